/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ss-error.h"
#include "ss-runs-private.h"

/* The run history in SQLite (docs/run-history.md): errors in words a person can act on, and
 * writing. Every write is one transaction, so an observation's rows are either all there or
 * not at all. Opening and the schema: ss-runs-open.c; reading: ss-runs-read.c. */

static const char *const status_names[] = { "running", "finished", "interrupted", "failed" };

static const char *const known_kinds[] = {
  SS_RUN_KIND_TRAIN, SS_RUN_KIND_FREEZE_COMPARE, SS_RUN_KIND_PRUNE_LAYERS,
  SS_RUN_KIND_PRUNE_FILTERS, SS_RUN_KIND_AMC,
};

gboolean
ss_run_kind_is_known (const char *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (known_kinds); i++)
    if (g_str_equal (kind, known_kinds[i]))
      return TRUE;
  return FALSE;
}

const char *
ss_run_status_name (SsRunStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (status_names), NULL);
  return status_names[status];
}

char *
ss_run_db_default_path (void)
{
  const char *env = g_getenv (SS_RUNS_DB_ENV);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "supersign", "runs.sqlite", NULL);
}

const char *
ss_run_db_get_path (const SsRunDb *db)
{
  g_return_val_if_fail (db != NULL, NULL);
  return db->path;
}

void
ss_run_db_free (SsRunDb *db)
{
  if (db == NULL)
    return;
  /* Closing the last connection checkpoints the WAL into the file and removes it. */
  sqlite3_close (db->db);
  g_free (db->path);
  g_free (db->display);
  g_free (db);
}

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                   */

/* SQLite reports a full disk (ENOSPC) as SQLITE_FULL, but a write past the process's file
 * size limit (EFBIG) only as an I/O error, and by then errno is gone: compare the limit with
 * the files, which a failed write leaves within one WAL frame of it. */
static gboolean
file_size_limit_reached (const SsRunDb *self)
{
  static const char *const suffixes[] = { "", "-wal", "-shm" };
  const gint64 frame = 65536 + 24;
  struct rlimit lim;

  if (getrlimit (RLIMIT_FSIZE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (self->path, suffixes[i], NULL);
      GStatBuf st;
      if (g_stat (name, &st) == 0 && (guint64) st.st_size + frame >= (guint64) lim.rlim_cur)
        return TRUE;
    }
  return FALSE;
}

/* Why the last call failed, in words a person can act on; NULL when SQLite's message is all
 * there is. Transfer full. */
static char *
describe_cause (const SsRunDb *self,
                int           *code)
{
  int rc = sqlite3_extended_errcode (self->db);
  int sys = sqlite3_system_errno (self->db);

  *code = SS_ERROR_IO;
  if ((rc & 0xff) == SQLITE_FULL || ((rc & 0xff) == SQLITE_IOERR && sys == ENOSPC))
    return g_strdup ("the disk is full");
  if ((rc & 0xff) == SQLITE_IOERR && file_size_limit_reached (self))
    return g_strdup ("the file size limit is reached (ulimit -f), as on a full disk");
  switch (rc & 0xff)
    {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_IOERR:
      {
        g_autofree char *dir = g_path_get_dirname (self->path);
        g_autofree char *base = g_path_get_basename (self->path);
        if (g_file_test (self->path, G_FILE_TEST_EXISTS) && access (self->path, W_OK) != 0)
          return g_strdup ("the file is read-only");
        if (access (dir, W_OK) != 0)
          return g_strdup_printf ("its folder is read-only, and SQLite needs to create "
                                  "“%s-wal” beside it", base);
        if ((rc & 0xff) == SQLITE_IOERR && sys != 0)
          return g_strdup_printf ("input/output error (%s)", g_strerror (sys));
        return NULL;
      }
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      *code = SS_ERROR_FORMAT;
      return g_strdup ("the file is damaged");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return g_strdup_printf ("another process kept it locked for more than %d s",
                              SS_RUNS_BUSY_TIMEOUT_MS / 1000);
    default:
      return NULL;
    }
}

void
ss_run_db_set_error (const SsRunDb *self,
                     GError       **error,
                     const char    *what,
                     const char    *tail)
{
  int code;
  g_autofree char *cause = describe_cause (self, &code);

  if (cause != NULL)
    g_set_error (error, SS_ERROR, code, "%s in “%s”: %s (SQLite: %s)%s%s", what, self->display,
                 cause, sqlite3_errmsg (self->db), tail ? ". " : "", tail ? tail : "");
  else
    g_set_error (error, SS_ERROR, code, "%s in “%s”: SQLite: %s%s%s", what, self->display,
                 sqlite3_errmsg (self->db), tail ? ". " : "", tail ? tail : "");
}

gboolean
ss_run_db_exec (SsRunDb    *self,
                const char *sql,
                const char *what,
                const char *tail,
                GError    **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  ss_run_db_set_error (self, error, what, tail);
  return FALSE;
}

void
ss_run_db_rollback (SsRunDb *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
ss_run_db_prepare (SsRunDb    *self,
                   const char *sql,
                   const char *what,
                   const char *tail,
                   GError    **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK)
    return stmt;
  ss_run_db_set_error (self, error, what, tail);
  sqlite3_finalize (stmt);
  return NULL;
}

static void
bind_number (sqlite3_stmt *stmt,
             int           column,
             double        v)
{
  if (isfinite (v))
    sqlite3_bind_double (stmt, column, v);
  else
    sqlite3_bind_null (stmt, column);
}

static gboolean
check_json (const char *text,
            const char *what,
            GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;

  if (text == NULL || json_parser_load_from_data (parser, text, -1, &local_error))
    return TRUE;
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s must be JSON: %s", what,
               local_error->message);
  return FALSE;
}

/* ---------------------------------------------------------------------------------------- */
/* Writing                                                                                  */

gint64
ss_run_db_begin (SsRunDb         *db,
                 const SsRunInfo *info,
                 GError         **error)
{
  const char *what = "Could not record the new run";
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (db != NULL && !db->readonly, 0);
  g_return_val_if_fail (info != NULL && info->kind != NULL, 0);

  if (!ss_run_kind_is_known (info->kind))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "Unknown kind of run “%s” (known: "
                   "train, freeze-compare, prune-layers, prune-filters, amc)", info->kind);
      return 0;
    }
  if (!check_json (info->config_json, "A run's configuration", error))
    return 0;
  stmt = ss_run_db_prepare (db, "INSERT INTO runs (kind, label, started_us, status, config, "
                            "model_in, dataset) VALUES (?, ?, ?, 'running', ?, ?, ?)", what,
                            SS_RUNS_INTACT, error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, info->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, info->label ? info->label : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  sqlite3_bind_text (stmt, 4, info->config_json, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, info->model_in, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, info->dataset, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      ss_run_db_set_error (db, error, what, SS_RUNS_INTACT);
      return 0;
    }
  return sqlite3_last_insert_rowid (db->db);
}

/* Inside a transaction: fails unless run exists and is still running. */
static gboolean
check_running (SsRunDb    *self,
               gint64      run,
               const char *what,
               GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *status;
  int rc;

  stmt = ss_run_db_prepare (self, "SELECT status FROM runs WHERE id = ?", what, SS_RUNS_INTACT,
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s in “%s”: there is no run %"
                   G_GINT64_FORMAT " (deleted?)", what, self->display, run);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      ss_run_db_set_error (self, error, what, SS_RUNS_INTACT);
      return FALSE;
    }
  status = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (status, "running") != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s in “%s”: run %" G_GINT64_FORMAT
                   " has already ended (%s)", what, self->display, run, status);
      return FALSE;
    }
  return TRUE;
}

static gboolean
insert_observation (SsRunDb                *self,
                    gint64                  run,
                    const SsRunObservation *obs,
                    const char             *what,
                    GError                **error)
{
  g_autoptr(sqlite3_stmt) o = NULL, p = NULL;
  gint64 id;

  o = ss_run_db_prepare (self, "INSERT INTO observations (run_id, epoch, batch, epoch_end, "
                         "seconds, lr, train_loss, train_acc, test_loss, test_acc, extra) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", what, SS_RUNS_INTACT,
                         error);
  if (o == NULL)
    return FALSE;
  sqlite3_bind_int64 (o, 1, run);
  sqlite3_bind_int (o, 2, obs->epoch);
  sqlite3_bind_int64 (o, 3, obs->batch);
  sqlite3_bind_int (o, 4, obs->epoch_end ? 1 : 0);
  bind_number (o, 5, obs->seconds);
  bind_number (o, 6, obs->lr);
  bind_number (o, 7, obs->train_loss);
  bind_number (o, 8, obs->train_acc);
  bind_number (o, 9, obs->test_loss);
  bind_number (o, 10, obs->test_acc);
  sqlite3_bind_text (o, 11, obs->extra_json, -1, SQLITE_STATIC);
  if (sqlite3_step (o) != SQLITE_DONE)
    {
      ss_run_db_set_error (self, error, what, SS_RUNS_INTACT);
      return FALSE;
    }
  id = sqlite3_last_insert_rowid (self->db);
  if (obs->n_layers == 0)
    return TRUE;
  p = ss_run_db_prepare (self, "INSERT INTO layer_points (observation_id, position, layer, "
                         "saliency_mean, saliency_sd, i_xt, i_ty, frozen) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", what, SS_RUNS_INTACT, error);
  if (p == NULL)
    return FALSE;
  for (guint l = 0; l < obs->n_layers; l++)
    {
      const SsRunLayerPoint *lp = &obs->layers[l];
      sqlite3_reset (p);
      sqlite3_bind_int64 (p, 1, id);
      sqlite3_bind_int (p, 2, (int) l);
      sqlite3_bind_text (p, 3, lp->layer, -1, SQLITE_STATIC);
      bind_number (p, 4, lp->saliency_mean);
      bind_number (p, 5, lp->saliency_sd);
      bind_number (p, 6, lp->i_xt);
      bind_number (p, 7, lp->i_ty);
      sqlite3_bind_int (p, 8, lp->frozen ? 1 : 0);
      if (sqlite3_step (p) != SQLITE_DONE)
        {
          ss_run_db_set_error (self, error, what, SS_RUNS_INTACT);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ss_run_db_add_observation (SsRunDb                *db,
                           gint64                  run,
                           const SsRunObservation *obs,
                           GError                **error)
{
  const char *what = "Could not record the observation";

  g_return_val_if_fail (db != NULL && !db->readonly, FALSE);
  g_return_val_if_fail (obs != NULL && (obs->n_layers == 0 || obs->layers != NULL), FALSE);
  for (guint l = 0; l < obs->n_layers; l++)
    g_return_val_if_fail (obs->layers[l].layer != NULL, FALSE);

  if (!check_json (obs->extra_json, "An observation's extra values", error))
    return FALSE;
  /* IMMEDIATE takes the write lock now, so a reader-turned-writer never deadlocks. */
  if (!ss_run_db_exec (db, "BEGIN IMMEDIATE", what, SS_RUNS_INTACT, error))
    return FALSE;
  if (!check_running (db, run, what, error) || !insert_observation (db, run, obs, what, error) ||
      !ss_run_db_exec (db, "COMMIT", what, SS_RUNS_INTACT, error))
    {
      ss_run_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_run_db_finish (SsRunDb     *db,
                  gint64       run,
                  SsRunStatus  status,
                  const char  *model_out,
                  const char  *message,
                  GError     **error)
{
  const char *what = "Could not record the end of the run";
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (db != NULL && !db->readonly, FALSE);
  g_return_val_if_fail (status != SS_RUN_RUNNING &&
                        (guint) status < G_N_ELEMENTS (status_names), FALSE);

  if (!ss_run_db_exec (db, "BEGIN IMMEDIATE", what, SS_RUNS_INTACT, error))
    return FALSE;
  if (!check_running (db, run, what, error))
    {
      ss_run_db_rollback (db);
      return FALSE;
    }
  stmt = ss_run_db_prepare (db, "UPDATE runs SET status = ?, ended_us = ?, model_out = ?, "
                            "message = ? WHERE id = ?", what, SS_RUNS_INTACT, error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, status_names[status], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
      sqlite3_bind_text (stmt, 3, model_out, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, message, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, run);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        ss_run_db_set_error (db, error, what, SS_RUNS_INTACT);
      else if (ss_run_db_exec (db, "COMMIT", what, SS_RUNS_INTACT, error))
        return TRUE;
    }
  ss_run_db_rollback (db);
  return FALSE;
}

gboolean
ss_run_db_delete (SsRunDb *db,
                  gint64   run,
                  GError **error)
{
  g_autofree char *what = g_strdup_printf ("Could not delete run %" G_GINT64_FORMAT, run);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (db != NULL && !db->readonly, FALSE);

  /* One statement is one transaction: the cascade removes its observations and points. */
  stmt = ss_run_db_prepare (db, "DELETE FROM runs WHERE id = ?", what, SS_RUNS_INTACT, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      ss_run_db_set_error (db, error, what, SS_RUNS_INTACT);
      return FALSE;
    }
  if (sqlite3_changes (db->db) == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s in “%s”: there is no such run", what,
                   db->display);
      return FALSE;
    }
  return TRUE;
}
