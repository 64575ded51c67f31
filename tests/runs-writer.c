/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* A process that records into a run history for tests/test-runs.c, which kills it, starves it
 * of disk or runs it without write permission. One line on stdout per committed observation
 * (its index), flushed at once, so the test knows exactly what was committed.
 *
 *   runs-writer kill DB LAYERS          record observations until killed
 *   runs-writer fill DB LAYERS HEADROOM record with the file size limit (RLIMIT_FSIZE) set
 *                                       HEADROOM bytes above the largest of the database's
 *                                       files, until a write fails: "error: MESSAGE"
 *   runs-writer readonly DB             as user nobody when run as root: try to record
 *                                       ("error: MESSAGE"), then list ("runs: N") */

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "runs-check.h"
#include "ss-error.h"
#include "ss-runs.h"

/* Enough for any test, and a bound if a limit is never hit. */
#define MAX_OBSERVATIONS 100000

static gint64
file_size (const char *path,
           const char *suffix)
{
  g_autofree char *name = g_strconcat (path, suffix, NULL);
  GStatBuf st;

  return g_stat (name, &st) == 0 ? (gint64) st.st_size : 0;
}

/* Records observations 0, 1, … into a new run; returns the exit status. */
static int
record (SsRunDb *db,
        guint    n_layers)
{
  const SsRunInfo info = { .kind = SS_RUN_KIND_TRAIN, .label = "runs-writer" };
  g_auto(GStrv) names = runs_check_layer_names (n_layers);
  g_autofree SsRunLayerPoint *points = g_new0 (SsRunLayerPoint, MAX (n_layers, 1));
  g_autoptr(GError) error = NULL;
  gint64 run = ss_run_db_begin (db, &info, &error);

  for (guint i = 0; run > 0 && i < MAX_OBSERVATIONS; i++)
    {
      SsRunObservation obs;
      runs_check_observation (i, n_layers, names, points, &obs);
      if (!ss_run_db_add_observation (db, run, &obs, &error))
        break;
      printf ("%u\n", i);
      fflush (stdout);
    }
  if (error == NULL)
    return 1;
  printf ("error: %s\n", error->message);
  return g_error_matches (error, SS_ERROR, SS_ERROR_IO) ? 0 : 1;
}

static int
fill (SsRunDb    *db,
      const char *path,
      guint       n_layers,
      gint64      headroom)
{
  struct rlimit lim;
  gint64 largest = MAX (file_size (path, ""), MAX (file_size (path, "-wal"),
                                                   file_size (path, "-shm")));

  /* Past the limit write() fails with EFBIG instead of killing the process, as on a full
   * disk, where it fails with ENOSPC. */
  signal (SIGXFSZ, SIG_IGN);
  if (getrlimit (RLIMIT_FSIZE, &lim) != 0)
    return 1;
  lim.rlim_cur = (rlim_t) (largest + headroom);
  if (setrlimit (RLIMIT_FSIZE, &lim) != 0)
    return 1;
  return record (db, n_layers);
}

static int
try_readonly (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(SsRunDb) ro = NULL;
  g_autoptr(GPtrArray) runs = NULL;

  /* root may write anything; nobody (65534) cannot write what the test made read-only. */
  if (geteuid () == 0 && (setgroups (0, NULL) != 0 || setgid (65534) != 0 || setuid (65534) != 0))
    return 1;
  db = ss_run_db_open (path, &error);
  if (db != NULL)
    {
      const SsRunInfo info = { .kind = SS_RUN_KIND_TRAIN };
      if (ss_run_db_begin (db, &info, &error) > 0)
        printf ("recorded\n");
    }
  if (error != NULL)
    printf ("error: %s\n", error->message);
  g_clear_error (&error);
  ro = ss_run_db_open_readonly (path, &error);
  if (ro != NULL)
    runs = ss_run_db_list (ro, NULL, &error);
  if (runs != NULL)
    printf ("runs: %u\n", runs->len);
  else
    printf ("list error: %s\n", error->message);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  const char *mode = argc > 2 ? argv[1] : "";

  if (g_str_equal (mode, "readonly"))
    return try_readonly (argv[2]);
  if (!(g_str_equal (mode, "kill") && argc == 4) && !(g_str_equal (mode, "fill") && argc == 5))
    {
      fprintf (stderr, "usage: runs-writer kill DB LAYERS | fill DB LAYERS HEADROOM | "
               "readonly DB\n");
      return 2;
    }
  db = ss_run_db_open (argv[2], &error);
  if (db == NULL)
    {
      fprintf (stderr, "runs-writer: %s\n", error->message);
      return 1;
    }
  if (g_str_equal (mode, "kill"))
    return record (db, (guint) g_ascii_strtoull (argv[3], NULL, 10));
  return fill (db, argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10),
               g_ascii_strtoll (argv[4], NULL, 10));
}
