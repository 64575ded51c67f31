/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-runs-private.h"

/* Reading the run history: the list of runs with a summary each, and one run whole. */

struct _SsRun {
  SsRunRecord   record;
  GArray       *observations;  /* SsRunObservation; layers point into points */
  GArray       *points;        /* SsRunLayerPoint of all observations, in order */
  GStringChunk *strings;       /* the layer names and extra JSON they point to */
};

static double
column_number (sqlite3_stmt *stmt,
               int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? NAN
                                                            : sqlite3_column_double (stmt, column);
}

/* Transfer full. */
static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static const char record_select[] =
  "SELECT r.id, r.kind, r.label, r.started_us, r.ended_us, r.status, r.message, r.config, "
  "  r.model_in, r.model_out, r.dataset, count(o.id), coalesce(sum(o.epoch_end), 0), "
  "  max(o.test_acc) "
  "FROM runs r LEFT JOIN observations o ON o.run_id = r.id ";

static void
record_clear (SsRunRecord *r)
{
  g_free (r->kind);
  g_free (r->label);
  g_free (r->message);
  g_free (r->config_json);
  g_free (r->model_in);
  g_free (r->model_out);
  g_free (r->dataset);
}

void
ss_run_record_free (SsRunRecord *record)
{
  if (record == NULL)
    return;
  record_clear (record);
  g_free (record);
}

/* Fills r from a row of record_select. */
static gboolean
read_record (SsRunDb      *self,
             sqlite3_stmt *stmt,
             SsRunRecord  *r,
             GError      **error)
{
  const char *status = (const char *) sqlite3_column_text (stmt, 5);
  SsRunStatus s;

  /* The schema's CHECK holds status to these; anything else is damage. */
  for (s = SS_RUN_RUNNING; s <= SS_RUN_FAILED; s++)
    if (g_strcmp0 (status, ss_run_status_name (s)) == 0)
      break;
  if (s > SS_RUN_FAILED)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” is damaged: run %" G_GINT64_FORMAT
                   " has the unknown status “%s”", self->display,
                   (gint64) sqlite3_column_int64 (stmt, 0), status ? status : "");
      return FALSE;
    }
  r->id = sqlite3_column_int64 (stmt, 0);
  r->kind = column_text (stmt, 1);
  r->label = column_text (stmt, 2);
  if (r->label == NULL)
    r->label = g_strdup ("");
  r->started_us = sqlite3_column_int64 (stmt, 3);
  r->ended_us = sqlite3_column_int64 (stmt, 4);
  r->status = s;
  r->message = column_text (stmt, 6);
  r->config_json = column_text (stmt, 7);
  r->model_in = column_text (stmt, 8);
  r->model_out = column_text (stmt, 9);
  r->dataset = column_text (stmt, 10);
  r->n_observations = (guint) sqlite3_column_int64 (stmt, 11);
  r->n_epochs = (guint) sqlite3_column_int64 (stmt, 12);
  r->best_test_acc = column_number (stmt, 13);
  return TRUE;
}

GPtrArray *
ss_run_db_list (SsRunDb    *db,
                const char *kind,
                GError    **error)
{
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = NULL;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);

  sql = g_strconcat (record_select, "WHERE ?1 IS NULL OR r.kind = ?1 GROUP BY r.id ORDER BY r.id",
                     NULL);
  stmt = ss_run_db_prepare (db, sql, "Could not list the runs", NULL, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
  runs = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_run_record_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SsRunRecord *r = g_new0 (SsRunRecord, 1);
      g_ptr_array_add (runs, r);
      if (!read_record (db, stmt, r, error))
        return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      ss_run_db_set_error (db, error, "Could not list the runs", NULL);
      return NULL;
    }
  return g_steal_pointer (&runs);
}

void
ss_run_free (SsRun *run)
{
  if (run == NULL)
    return;
  record_clear (&run->record);
  g_array_unref (run->observations);
  g_array_unref (run->points);
  g_string_chunk_free (run->strings);
  g_free (run);
}

/* Reads the observations of run->record.id and their points into run; the pointers between
 * them are set once both arrays have stopped growing. */
static gboolean
load_observations (SsRunDb *db,
                   SsRun   *run,
                   GError **error)
{
  const char *what = "Could not read the run";
  g_autoptr(sqlite3_stmt) o = NULL, p = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (guint));
  guint k = 0;
  int rc;

  o = ss_run_db_prepare (db, "SELECT id, epoch, batch, epoch_end, seconds, lr, train_loss, "
                         "train_acc, test_loss, test_acc, extra FROM observations "
                         "WHERE run_id = ? ORDER BY id", what, NULL, error);
  if (o == NULL)
    return FALSE;
  p = ss_run_db_prepare (db, "SELECT p.observation_id, p.layer, p.saliency_mean, p.saliency_sd, "
                         "p.i_xt, p.i_ty, p.frozen FROM layer_points p JOIN observations o "
                         "ON o.id = p.observation_id WHERE o.run_id = ? "
                         "ORDER BY o.id, p.position", what, NULL, error);
  if (p == NULL)
    return FALSE;
  sqlite3_bind_int64 (o, 1, run->record.id);
  while ((rc = sqlite3_step (o)) == SQLITE_ROW)
    {
      SsRunObservation obs = {
        .epoch = sqlite3_column_int (o, 1),
        .batch = sqlite3_column_int64 (o, 2),
        .epoch_end = sqlite3_column_int (o, 3) != 0,
        .seconds = column_number (o, 4),
        .lr = column_number (o, 5),
        .train_loss = column_number (o, 6),
        .train_acc = column_number (o, 7),
        .test_loss = column_number (o, 8),
        .test_acc = column_number (o, 9),
      };
      gint64 id = sqlite3_column_int64 (o, 0);
      if (sqlite3_column_type (o, 10) != SQLITE_NULL)
        obs.extra_json = g_string_chunk_insert (run->strings,
                                                (const char *) sqlite3_column_text (o, 10));
      g_array_append_val (run->observations, obs);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      ss_run_db_set_error (db, error, what, NULL);
      return FALSE;
    }

  g_array_set_size (first, ids->len);
  sqlite3_bind_int64 (p, 1, run->record.id);
  while ((rc = sqlite3_step (p)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (p, 0);
      SsRunLayerPoint lp = {
        /* Names repeat at every observation: one copy each. */
        .layer = g_string_chunk_insert_const (run->strings,
                                              (const char *) sqlite3_column_text (p, 1)),
        .saliency_mean = column_number (p, 2),
        .saliency_sd = column_number (p, 3),
        .i_xt = column_number (p, 4),
        .i_ty = column_number (p, 5),
        .frozen = sqlite3_column_int (p, 6) != 0,
      };
      SsRunObservation *obs;
      /* Both queries are in observation order; skip those without points. */
      while (k < ids->len && g_array_index (ids, gint64, k) != id)
        k++;
      g_assert (k < ids->len);
      obs = &g_array_index (run->observations, SsRunObservation, k);
      if (obs->n_layers++ == 0)
        g_array_index (first, guint, k) = run->points->len;
      g_array_append_val (run->points, lp);
    }
  if (rc != SQLITE_DONE)
    {
      ss_run_db_set_error (db, error, what, NULL);
      return FALSE;
    }
  for (guint i = 0; i < run->observations->len; i++)
    {
      SsRunObservation *obs = &g_array_index (run->observations, SsRunObservation, i);
      if (obs->n_layers > 0)
        obs->layers = &g_array_index (run->points, SsRunLayerPoint,
                                      g_array_index (first, guint, i));
    }
  return TRUE;
}

SsRun *
ss_run_db_load (SsRunDb *db,
                gint64   id,
                GError **error)
{
  const char *what = "Could not read the run";
  g_autoptr(SsRun) run = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = NULL;
  gboolean ok;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);

  run = g_new0 (SsRun, 1);
  run->observations = g_array_new (FALSE, TRUE, sizeof (SsRunObservation));
  run->points = g_array_new (FALSE, TRUE, sizeof (SsRunLayerPoint));
  run->strings = g_string_chunk_new (4096);

  /* One read transaction: a writer adding an observation meanwhile is not half seen. */
  if (!ss_run_db_exec (db, "BEGIN", what, NULL, error))
    return NULL;
  sql = g_strconcat (record_select, "WHERE r.id = ? GROUP BY r.id", NULL);
  stmt = ss_run_db_prepare (db, sql, what, NULL, error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "There is no run %" G_GINT64_FORMAT
                       " in “%s”", id, db->display);
          ok = FALSE;
        }
      else if (rc != SQLITE_ROW)
        {
          ss_run_db_set_error (db, error, what, NULL);
          ok = FALSE;
        }
      else
        ok = read_record (db, stmt, &run->record, error) && load_observations (db, run, error);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  ss_run_db_rollback (db);
  return ok ? g_steal_pointer (&run) : NULL;
}

const SsRunRecord *
ss_run_get_record (const SsRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);
  return &run->record;
}

guint
ss_run_get_n_observations (const SsRun *run)
{
  g_return_val_if_fail (run != NULL, 0);
  return run->observations->len;
}

const SsRunObservation *
ss_run_get_observation (const SsRun *run,
                        guint        i)
{
  g_return_val_if_fail (run != NULL && i < run->observations->len, NULL);
  return &g_array_index (run->observations, SsRunObservation, i);
}
