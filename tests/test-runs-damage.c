/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The run history under damage (docs/run-history.md, "Guarantees"): files it must refuse and
 * leave byte for byte as they were (newer schema, garbage, truncated), and writers that lack
 * permission, run out of disk or are killed. Those writers are tests/runs-writer.c in its own
 * process, which prints each observation's index once it is committed; the test then checks
 * that every reported observation is in the file, whole. */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "runs-check.h"
#include "ss-error.h"
#include "ss-test-util.h"

/* Runs tests/runs-writer.c with args until it exits 0; returns its stdout. Transfer full. */
static char *
run_writer (const char *first,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("SS_RUNS_WRITER"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    g_error ("runs-writer %s failed:\n%s%s", first, out, err);
  return out;
}

/* Both ways of opening refuse path with a message holding s1 and s2 (may be NULL), and leave
 * it and its folder as they were. */
static void
assert_refused (const char *path,
                const char *s1,
                const char *s2)
{
  g_autoptr(GBytes) before = runs_check_file_bytes (path);
  g_autofree char *dir = g_path_get_dirname (path);
  guint entries = ss_test_count_entries (dir);

  for (int readonly = 0; readonly < 2; readonly++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SsRunDb) db = readonly ? ss_run_db_open_readonly (path, &error)
                                       : ss_run_db_open (path, &error);
      g_assert_null (db);
      runs_check_error_says (error, SS_ERROR_FORMAT, path, "left untouched", s1, s2, NULL);
    }
  runs_check_assert_file_is (path, before);
  g_assert_cmpuint (ss_test_count_entries (dir), ==, entries);
}

static void
test_newer (RunsFixture   *f,
            gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  sqlite3 *raw;

  g_test_summary ("A history from a newer schema is refused, naming both versions, and left "
                  "byte for byte as it was with nothing created beside it.");
  runs_check_record (db, SS_RUN_KIND_TRAIN, 2, 3);
  g_clear_pointer (&db, ss_run_db_free);
  raw = runs_check_raw_open (f->path);
  runs_check_raw_exec (raw, "PRAGMA user_version = 7");
  sqlite3_close (raw);
  assert_refused (f->path, "was written by a newer Supersign (run-history schema 7, this one "
                  "knows 1)", NULL);
}

static void
test_garbage (RunsFixture   *f,
              gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint8 bytes[8192];
  static const char short_header[40] = "SQLite format 3";

  g_test_summary ("Random bytes, and a file shorter than an SQLite header, are refused as not "
                  "a database and left as they were.");
  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_assert_true (g_file_set_contents (f->path, (const char *) bytes, sizeof bytes, NULL));
  assert_refused (f->path, "not an SQLite database", NULL);
  g_assert_true (g_file_set_contents (f->path, short_header, sizeof short_header, NULL));
  assert_refused (f->path, "not an SQLite database", NULL);
}

static void
test_truncated (RunsFixture   *f,
                gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(GBytes) whole = NULL;
  gsize keep;

  g_test_summary ("A history cut short (a copy interrupted) is refused as damaged before "
                  "SQLite can append to it, and left as it was.");
  runs_check_record (db, SS_RUN_KIND_TRAIN, 30, 20);
  g_clear_pointer (&db, ss_run_db_free);
  whole = runs_check_file_bytes (f->path);
  g_assert_cmpuint (g_bytes_get_size (whole), >, 8 * 4096);
  keep = g_bytes_get_size (whole) / 2 + 100;
  g_assert_true (g_file_set_contents (f->path, g_bytes_get_data (whole, NULL), (gssize) keep,
                                      NULL));
  assert_refused (f->path, "is damaged", "truncated");
}

/* Runs the writer without write permission to path (the file) or its folder; returns what it
 * printed. As root it runs as nobody, for whom the test opens the folder. */
static char *
write_without_permission (RunsFixture *f,
                          gboolean     folder)
{
  char *out;

  g_assert_cmpint (g_chmod (f->dir, folder ? 0555 : 0755), ==, 0);
  g_assert_cmpint (g_chmod (f->path, folder ? 0666 : 0444), ==, 0);
  out = run_writer ("readonly", f->path, NULL);
  g_assert_cmpint (g_chmod (f->dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (f->path, 0600), ==, 0);
  return out;
}

static void
test_readonly (RunsFixture   *f,
               gconstpointer  data)
{
  gboolean folder = GPOINTER_TO_INT (data);
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(GBytes) before = NULL;
  g_autoptr(SsRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  gint64 id;

  g_test_summary ("Without write permission to the file or to its folder, recording fails "
                  "with a message saying which, the runs are intact, and listing read-only "
                  "still works.");
  id = runs_check_record (db, SS_RUN_KIND_TRAIN, 3, 4);
  g_clear_pointer (&db, ss_run_db_free);
  before = runs_check_file_bytes (f->path);
  out = write_without_permission (f, folder);
  g_test_message ("runs-writer said: %s", out);
  g_assert_null (strstr (out, "recorded"));
  g_assert_nonnull (strstr (out, folder ? "its folder is read-only" : "the file is read-only"));
  g_assert_nonnull (strstr (out, "runs: 1\n"));
  runs_check_assert_file_is (f->path, before);

  db = runs_check_open (f->path);
  run = ss_run_db_load (db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_run_get_n_observations (run), ==, 3);
  runs_check_assert_observation (ss_run_get_observation (run, 2), 2, 4);
}

/* The indices the writer printed, each once, in order, before "error: ". */
static guint
count_committed (char **lines)
{
  guint n = 0;

  for (; lines[n] != NULL && g_ascii_isdigit (lines[n][0]); n++)
    g_assert_cmpuint (g_ascii_strtoull (lines[n], NULL, 10), ==, n);
  return n;
}

static void
test_disk_full (RunsFixture   *f,
                gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(SsRun) first = NULL, second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  guint committed;
  gint64 id;

  g_test_summary ("When the disk fills (simulated honestly: the writer process's RLIMIT_FSIZE "
                  "64 KiB above its files, SIGXFSZ ignored, so write() fails with EFBIG), the "
                  "failing observation reports a full disk, and every observation committed "
                  "before, of this run and of older ones, is intact.");
  id = runs_check_record (db, SS_RUN_KIND_TRAIN, 2, 3);
  g_clear_pointer (&db, ss_run_db_free);
  out = run_writer ("fill", f->path, "40", "65536", NULL);
  lines = g_strsplit (out, "\n", -1);
  committed = count_committed (lines);
  g_test_message ("%u observations committed, then %s", committed, lines[committed]);
  g_assert_cmpuint (committed, >=, 1);
  g_assert_true (g_str_has_prefix (lines[committed], "error: Could not record the observation"));
  g_assert_nonnull (strstr (lines[committed], "file size limit is reached"));
  g_assert_nonnull (strstr (lines[committed], "runs recorded before are intact"));

  runs_check_assert_integrity (f->path);
  db = runs_check_open (f->path);
  runs = ss_run_db_list (db, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  first = ss_run_db_load (db, id, &error);
  second = ss_run_db_load (db, ((SsRunRecord *) runs->pdata[1])->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_run_get_n_observations (first), ==, 2);
  runs_check_assert_observation (ss_run_get_observation (first, 1), 1, 3);
  g_assert_cmpuint (ss_run_get_n_observations (second), ==, committed);
  for (guint i = 0; i < committed; i++)
    runs_check_assert_observation (ss_run_get_observation (second, i), i, 40);
}

static void
test_sigkill (RunsFixture   *f,
              gconstpointer  data)
{
  const char *argv[] = { g_getenv ("SS_RUNS_WRITER"), "kill", f->path, "400", NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(SsRun) run = NULL;
  guint reported = 0;
  char *line;

  g_test_summary ("A writer killed with SIGKILL while it records (each observation of 400 "
                  "layer points is a transaction of a few milliseconds, and the kill follows "
                  "the third report at once, so it lands inside the next) leaves a file that "
                  "passes integrity_check and holds every observation it reported, whole; the "
                  "run stays “running”.");
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while (reported < 3 && (line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error)))
    {
      g_assert_cmpuint (g_ascii_strtoull (line, NULL, 10), ==, reported);
      reported++;
      g_free (line);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (reported, ==, 3);
  g_subprocess_force_exit (proc);
  /* Lines still in the pipe were committed too. */
  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error)))
    {
      g_assert_cmpuint (g_ascii_strtoull (line, NULL, 10), ==, reported);
      reported++;
      g_free (line);
    }
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_true (g_subprocess_get_if_signaled (proc));
  g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, SIGKILL);

  runs_check_assert_integrity (f->path);
  db = runs_check_open (f->path);
  run = ss_run_db_load (db, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_run_get_record (run)->status, ==, SS_RUN_RUNNING);
  /* One more may have committed between its report and the kill. */
  g_test_message ("%u reported, %u in the file", reported, ss_run_get_n_observations (run));
  g_assert_cmpuint (ss_run_get_n_observations (run), >=, reported);
  g_assert_cmpuint (ss_run_get_n_observations (run), <=, reported + 1);
  for (guint i = 0; i < ss_run_get_n_observations (run); i++)
    runs_check_assert_observation (ss_run_get_observation (run, i), i, 400);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/runs-damage/newer-schema", RunsFixture, NULL, runs_fixture_set_up, test_newer,
              runs_fixture_tear_down);
  g_test_add ("/runs-damage/garbage", RunsFixture, NULL, runs_fixture_set_up, test_garbage,
              runs_fixture_tear_down);
  g_test_add ("/runs-damage/truncated", RunsFixture, NULL, runs_fixture_set_up, test_truncated,
              runs_fixture_tear_down);
  g_test_add ("/runs-damage/read-only/file", RunsFixture, GINT_TO_POINTER (FALSE),
              runs_fixture_set_up, test_readonly, runs_fixture_tear_down);
  g_test_add ("/runs-damage/read-only/folder", RunsFixture, GINT_TO_POINTER (TRUE),
              runs_fixture_set_up, test_readonly, runs_fixture_tear_down);
  g_test_add ("/runs-damage/disk-full", RunsFixture, NULL, runs_fixture_set_up, test_disk_full,
              runs_fixture_tear_down);
  g_test_add ("/runs-damage/sigkill", RunsFixture, NULL, runs_fixture_set_up, test_sigkill,
              runs_fixture_tear_down);
  return g_test_run ();
}
