/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "runs-check.h"
#include "ss-error.h"
#include "ss-runs-private.h"
#include "ss-test-util.h"

void
runs_fixture_set_up (RunsFixture  *f,
                     gconstpointer data)
{
  ss_test_dir_init (f, "runs.sqlite");
}

char **
runs_check_layer_names (guint n)
{
  char **names = g_new0 (char *, n + 1);

  for (guint l = 0; l < n; l++)
    names[l] = g_strdup_printf ("block.%u.conv", l);
  return names;
}

void
runs_check_observation (guint             i,
                        guint             n,
                        char *const      *names,
                        SsRunLayerPoint  *points,
                        SsRunObservation *obs)
{
  for (guint l = 0; l < n; l++)
    points[l] = (SsRunLayerPoint) {
      .layer = names[l],
      .saliency_mean = i + l / 1000.0,
      .saliency_sd = 0.1 * l,
      .i_xt = l % 3 == 0 ? NAN : 1.0 / (l + i + 1),
      .i_ty = i * 0.5 + l,
      .frozen = l < i,
    };
  *obs = (SsRunObservation) {
    .epoch = (int) (i / 2),
    .batch = i % 2 ? 100 : 50,
    .epoch_end = i % 2 == 1,
    .seconds = 1.5 * i,
    .lr = 0.05 / (i + 1),
    .train_loss = 2.0 / (i + 1),
    .train_acc = 0.1 * i,
    .test_loss = i % 2 ? 1.0 / (i + 1) : NAN,
    .test_acc = i % 2 ? 0.5 + 0.01 * i : NAN,
    .layers = n ? points : NULL,
    .n_layers = n,
  };
}

static void
assert_number (double got,
               double want)
{
  if (isnan (want))
    g_assert_true (isnan (got));
  else
    g_assert_cmpfloat (got, ==, want);
}

void
runs_check_assert_observation (const SsRunObservation *got,
                               guint                   i,
                               guint                   n)
{
  g_auto(GStrv) names = runs_check_layer_names (n);
  g_autofree SsRunLayerPoint *points = g_new0 (SsRunLayerPoint, MAX (n, 1));
  SsRunObservation want;

  runs_check_observation (i, n, names, points, &want);
  g_assert_cmpint (got->epoch, ==, want.epoch);
  g_assert_cmpint (got->batch, ==, want.batch);
  g_assert_cmpint (got->epoch_end, ==, want.epoch_end);
  assert_number (got->seconds, want.seconds);
  assert_number (got->lr, want.lr);
  assert_number (got->train_loss, want.train_loss);
  assert_number (got->train_acc, want.train_acc);
  assert_number (got->test_loss, want.test_loss);
  assert_number (got->test_acc, want.test_acc);
  g_assert_cmpuint (got->n_layers, ==, n);
  for (guint l = 0; l < n; l++)
    {
      g_assert_cmpstr (got->layers[l].layer, ==, names[l]);
      assert_number (got->layers[l].saliency_mean, points[l].saliency_mean);
      assert_number (got->layers[l].saliency_sd, points[l].saliency_sd);
      assert_number (got->layers[l].i_xt, points[l].i_xt);
      assert_number (got->layers[l].i_ty, points[l].i_ty);
      g_assert_cmpint (got->layers[l].frozen, ==, points[l].frozen);
    }
}

SsRunDb *
runs_check_open (const char *path)
{
  g_autoptr(GError) error = NULL;
  SsRunDb *db = ss_run_db_open (path, &error);

  g_assert_no_error (error);
  return db;
}

gint64
runs_check_record (SsRunDb    *db,
                   const char *kind,
                   guint       n_obs,
                   guint       n_layers)
{
  const SsRunInfo info = { .kind = kind, .label = kind };
  g_auto(GStrv) names = runs_check_layer_names (n_layers);
  g_autofree SsRunLayerPoint *points = g_new0 (SsRunLayerPoint, MAX (n_layers, 1));
  g_autoptr(GError) error = NULL;
  gint64 run = ss_run_db_begin (db, &info, &error);

  g_assert_no_error (error);
  g_assert_cmpint (run, >, 0);
  for (guint i = 0; i < n_obs; i++)
    {
      SsRunObservation obs;
      runs_check_observation (i, n_layers, names, points, &obs);
      g_assert_true (ss_run_db_add_observation (db, run, &obs, &error));
      g_assert_no_error (error);
    }
  return run;
}

void
runs_check_error_says (const GError *error,
                       int           code,
                       ...)
{
  va_list ap;

  g_assert_error (error, SS_ERROR, code);
  va_start (ap, code);
  for (const char *s = va_arg (ap, const char *); s != NULL; s = va_arg (ap, const char *))
    if (strstr (error->message, s) == NULL)
      g_error ("“%s” is not in the error “%s”", s, error->message);
  va_end (ap);
}

GBytes *
runs_check_file_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

void
runs_check_assert_file_is (const char *path,
                           GBytes     *bytes)
{
  g_autoptr(GBytes) now = runs_check_file_bytes (path);

  g_assert_cmpuint (g_bytes_get_size (now), ==, g_bytes_get_size (bytes));
  g_assert_true (g_bytes_equal (now, bytes));
}

sqlite3 *
runs_check_raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  return db;
}

gint64
runs_check_raw_int (sqlite3    *db,
                    const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

void
runs_check_raw_exec (sqlite3    *db,
                     const char *sql)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
}

void
runs_check_assert_integrity (const char *path)
{
  sqlite3 *db = runs_check_raw_open (path);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
}
