/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* supersign-cli runs (SS_CLI) on a history made through the API: list, show, export and
 * delete, with --db and with SUPERSIGN_RUNS_DB, and its usage errors. */

#include <string.h>

#include <json-glib/json-glib.h>

#include "runs-check.h"
#include "ss-runs.h"
#include "ss-test-util.h"

typedef struct {
  RunsFixture f;
  gint64      train;   /* finished, 4 observations (2 epochs), 3 layers */
  gint64      prune;   /* failed, 1 observation */
} CliFixture;

static void
cli_fixture_set_up (CliFixture   *c,
                    gconstpointer data)
{
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GError) error = NULL;

  runs_fixture_set_up (&c->f, data);
  db = runs_check_open (c->f.path);
  c->train = runs_check_record (db, SS_RUN_KIND_TRAIN, 4, 3);
  g_assert_true (ss_run_db_finish (db, c->train, SS_RUN_FINISHED, "/models/vgg.safetensors",
                                   NULL, &error));
  c->prune = runs_check_record (db, SS_RUN_KIND_PRUNE_LAYERS, 1, 2);
  g_assert_true (ss_run_db_finish (db, c->prune, SS_RUN_FAILED, NULL, "diverged", &error));
  g_assert_no_error (error);
}

static void
cli_fixture_tear_down (CliFixture   *c,
                       gconstpointer data)
{
  runs_fixture_tear_down (&c->f, data);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

/* run in format, as the API writes it. Transfer full. */
static char *
api_export (const char *path,
            gint64      id,
            SsRunFormat format)
{
  g_autoptr(SsRunDb) db = ss_run_db_open_readonly (path, NULL);
  g_autoptr(SsRun) run = ss_run_db_load (db, id, NULL);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();

  g_assert_true (ss_run_write (run, format, mem, NULL, NULL));
  g_assert_true (g_output_stream_write_all (mem, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (mem, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
test_list (CliFixture   *c,
           gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), SS_RUNS_DB_ENV, c->f.path, TRUE);
  g_autoptr(JsonNode) root = NULL, env_root = NULL, kind_root = NULL;
  JsonObject *first;

  g_test_summary ("runs lists id, kind, label, status, epochs, best test accuracy and model "
                  "out; --json has the same as numbers; --kind filters; SUPERSIGN_RUNS_DB "
                  "stands for --db.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "--db", c->f.path, NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "best test"));
  g_assert_nonnull (strstr (out, "finished"));
  g_assert_nonnull (strstr (out, "53.00%"));    /* 0.5 + 0.01 · 3 */
  g_assert_nonnull (strstr (out, "/models/vgg.safetensors"));
  g_assert_nonnull (strstr (out, "prune-layers"));
  g_assert_nonnull (strstr (out, "failed"));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "list", "--db", c->f.path, "--json", NULL),
                   ==, 0);
  root = parse (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 2);
  first = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, c->train);
  g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "train");
  g_assert_cmpstr (json_object_get_string_member (first, "status"), ==, "finished");
  g_assert_cmpint (json_object_get_int_member (first, "observations"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (first, "epochs"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (first, "best_test_acc"), ==, 0.53);

  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "--kind", "prune-layers", "--json", "--db",
                                    c->f.path, NULL), ==, 0);
  kind_root = parse (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (kind_root)), ==, 1);

  g_assert_cmpint (ss_test_run_cli_envv (envp, &out, &err,
                                         (const char *[]) { "runs", "--json", NULL }), ==, 0);
  env_root = parse (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (env_root)), ==, 2);
}

static void
test_show_export (CliFixture   *c,
                  gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                                   c->train);
  g_autofree char *file = g_build_filename (c->f.dir, "run.json", NULL);
  g_autofree char *csv = api_export (c->f.path, c->train, SS_RUN_FORMAT_CSV);
  g_autofree char *json = api_export (c->f.path, c->train, SS_RUN_FORMAT_JSON);
  g_autofree char *saved = NULL;

  g_test_summary ("runs show prints the run and one row per epoch; show --json and export "
                  "--json/--csv print what ss_run_write does; export --out writes a file.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "show", id, "--db", c->f.path, NULL),
                   ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "status     finished"));
  g_assert_nonnull (strstr (out, "/models/vgg.safetensors"));
  /* Epoch 1 ends at observation 1 (test acc 0.51), epoch 2 at 3 (0.53). */
  g_assert_nonnull (strstr (out, "51.00%"));
  g_assert_nonnull (strstr (out, "53.00%"));
  g_assert_nonnull (strstr (out, "4 observations (2 at an epoch's end), 3 layers"));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "show", id, "--json", "--db", c->f.path,
                                    NULL), ==, 0);
  g_assert_cmpstr (out, ==, json);
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "export", id, "--csv", "--db", c->f.path,
                                    NULL), ==, 0);
  g_assert_cmpstr (out, ==, csv);
  g_assert_true (g_str_has_prefix (out, "observation,epoch,batch,"));
  /* A header and 4 observations × 3 layers. */
  {
    guint n_lines = 0;
    for (const char *p = out; *p; p++)
      n_lines += *p == '\n';
    g_assert_cmpuint (n_lines, ==, 1 + 4 * 3);
  }
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "export", id, "--json", "--out", file,
                                    "--db", c->f.path, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_file_get_contents (file, &saved, NULL, NULL));
  g_assert_cmpstr (saved, ==, json);
}

static void
test_delete (CliFixture   *c,
             gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, c->prune);
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GPtrArray) runs = NULL;

  g_test_summary ("runs delete removes one run; deleting it again fails naming it.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "delete", id, "--db", c->f.path, NULL),
                   ==, 0);
  db = ss_run_db_open_readonly (c->f.path, NULL);
  runs = ss_run_db_list (db, NULL, NULL);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpint (((SsRunRecord *) runs->pdata[0])->id, ==, c->train);
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "delete", id, "--db", c->f.path, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "Could not delete run"));
}

static void
test_errors (CliFixture   *c,
             gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *missing = g_build_filename (c->f.dir, "none", "runs.sqlite", NULL);
  g_autofree char *garbage = g_build_filename (c->f.dir, "garbage.sqlite", NULL);

  g_test_summary ("A missing history lists as empty; unknown runs, actions and kinds, a "
                  "missing id or format, and a damaged file give a message and status 1 or "
                  "2.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "--db", missing, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "No runs recorded"));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "show", "99", "--db", c->f.path, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "no run 99"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "show", "--db", c->f.path, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "needs a run id"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "export", "1", "--db", c->f.path, NULL),
                   ==, 2);
  g_assert_nonnull (strstr (err, "--csv or --json"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "unknown action"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "--kind", "training", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "unknown kind"));
  g_assert_true (g_file_set_contents (garbage, "not a database, not at all, no: just text "
                                      "that is long enough to fill a header of 100 bytes and "
                                      "then some more", -1, NULL));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "runs", "--db", garbage, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not an SQLite database"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* A history named by the caller's environment must not stand in for the tests' own. */
  g_unsetenv (SS_RUNS_DB_ENV);
  g_test_add ("/cli-runs/list", CliFixture, NULL, cli_fixture_set_up, test_list,
              cli_fixture_tear_down);
  g_test_add ("/cli-runs/show-export", CliFixture, NULL, cli_fixture_set_up, test_show_export,
              cli_fixture_tear_down);
  g_test_add ("/cli-runs/delete", CliFixture, NULL, cli_fixture_set_up, test_delete,
              cli_fixture_tear_down);
  g_test_add ("/cli-runs/errors", CliFixture, NULL, cli_fixture_set_up, test_errors,
              cli_fixture_tear_down);
  return g_test_run ();
}
