/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-runs-private.h"

/* Opening a run history: refusing files that are not ours, damaged or newer before anything
 * is written, WAL mode for writers, and the schema's forward migrations. */

/* "SsRH" in the header's application_id: tells our files from other programs' databases. */
#define APPLICATION_ID 0x53735248

#define OPEN_WHAT "Could not open the run history"

/* migrations[v] takes the schema from version v to v + 1; append, never edit a released step.
 * Each runs inside the upgrade transaction, so a failing step leaves the file as it was. */
static const char *const migrations[] = {
  /* 0 → 1: the first layout. */
  "CREATE TABLE runs ("
  "  id          INTEGER PRIMARY KEY,"
  "  kind        TEXT NOT NULL,"
  "  label       TEXT NOT NULL DEFAULT '',"
  "  started_us  INTEGER NOT NULL,"
  "  ended_us    INTEGER,"
  "  status      TEXT NOT NULL"
  "              CHECK (status IN ('running', 'finished', 'interrupted', 'failed')),"
  "  message     TEXT,"
  "  config      TEXT,"
  "  model_in    TEXT,"
  "  model_out   TEXT,"
  "  dataset     TEXT);"
  "CREATE INDEX runs_by_kind ON runs (kind, id);"
  "CREATE TABLE observations ("
  "  id          INTEGER PRIMARY KEY,"
  "  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
  "  epoch       INTEGER NOT NULL,"
  "  batch       INTEGER NOT NULL,"
  "  epoch_end   INTEGER NOT NULL CHECK (epoch_end IN (0, 1)),"
  "  seconds     REAL,"
  "  lr          REAL,"
  "  train_loss  REAL,"
  "  train_acc   REAL,"
  "  test_loss   REAL,"
  "  test_acc    REAL,"
  "  extra       TEXT);"
  "CREATE INDEX observations_by_run ON observations (run_id, id);"
  "CREATE TABLE layer_points ("
  "  observation_id INTEGER NOT NULL REFERENCES observations (id) ON DELETE CASCADE,"
  "  position       INTEGER NOT NULL,"
  "  layer          TEXT NOT NULL,"
  "  saliency_mean  REAL,"
  "  saliency_sd    REAL,"
  "  i_xt           REAL,"
  "  i_ty           REAL,"
  "  frozen         INTEGER NOT NULL CHECK (frozen IN (0, 1)),"
  "  PRIMARY KEY (observation_id, position)) WITHOUT ROWID;",
};

const char *const *
ss_run_db_migrations (guint *n_steps)
{
  g_return_val_if_fail (n_steps != NULL, NULL);
  *n_steps = G_N_ELEMENTS (migrations);
  return migrations;
}

static gboolean
query_int (SsRunDb    *self,
           const char *sql,
           const char *what,
           gint64     *value,
           GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = ss_run_db_prepare (self, sql, what, NULL, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      ss_run_db_set_error (self, error, what, NULL);
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static guint32
read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* Refuses another program's database (its application id, or tables without ours) and a
 * newer schema. */
static gboolean
check_ours (const SsRunDb *self,
            gint64         app_id,
            gint64         n_objects,
            gint64         version,
            guint          n_steps,
            GError       **error)
{
  const char *hint = "It was left untouched; record elsewhere with --db or " SS_RUNS_DB_ENV;

  if (app_id != APPLICATION_ID && (app_id != 0 || n_objects > 0))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” is an SQLite database of another "
                   "program, not a Supersign run history. %s", self->display, hint);
      return FALSE;
    }
  if (version > n_steps)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” was written by a newer Supersign "
                   "(run-history schema %" G_GINT64_FORMAT ", this one knows %u). %s; or "
                   "read it with the newer Supersign", self->display, version, n_steps, hint);
      return FALSE;
    }
  return TRUE;
}

/* Refuses, before SQLite opens it, a file that is not an SQLite database or is shorter than
 * its header says (SQLite would only notice when it reaches a missing page, maybe after
 * appending to the damaged file), and, from the header's application id and user version, one
 * that is not ours or is newer: SQLite would create its -wal and -shm files beside them. */
static gboolean
check_header (const SsRunDb *self,
              guint          n_steps,
              GError       **error)
{
  static const char magic[16] = "SQLite format 3";
  const char *hint = "It was left untouched; move it away, or record elsewhere with --db or "
                     SS_RUNS_DB_ENV;
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  guint8 header[100];
  GStatBuf st, wal_st;
  gssize n;
  guint32 page_size, pages;
  int fd;

  fd = g_open (self->path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;
      if (errsv == ENOENT && !self->readonly)
        return TRUE;   /* created by sqlite3_open_v2 */
      g_set_error (error, SS_ERROR, SS_ERROR_IO, errsv == ENOENT
                   ? "No run history at “%s”: %s (nothing has been recorded there yet)"
                   : "Could not open “%s”: %s", self->display, g_strerror (errsv));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || st.st_size == 0)
    {
      close (fd);
      return TRUE;     /* a new, empty database */
    }
  n = read (fd, header, sizeof header);
  close (fd);
  if (n != sizeof header || memcmp (header, magic, sizeof magic) != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” is not a Supersign run history: it "
                   "is not an SQLite database, or it is damaged. %s", self->display, hint);
      return FALSE;
    }
  /* Bytes 16–17: page size (1 means 65536); 28: pages, valid when 92 (version-valid-for)
   * equals 24 (change counter). A WAL with frames may legitimately hold what a checkpoint
   * interrupted by a crash had not yet written back: SQLite recovers it, so it is not
   * truncation. */
  page_size = (guint32) header[16] << 8 | header[17];
  if (page_size == 1)
    page_size = 65536;
  pages = read_be32 (header + 28);
  if (read_be32 (header + 92) == read_be32 (header + 24) &&
      (guint64) st.st_size < (guint64) pages * page_size &&
      !(g_stat (wal, &wal_st) == 0 && wal_st.st_size > 0))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” is damaged: it holds %"
                   G_GUINT64_FORMAT " bytes but its header says %" G_GUINT64_FORMAT
                   " (a truncated copy?). %s",
                   self->display, (guint64) st.st_size, (guint64) pages * page_size, hint);
      return FALSE;
    }
  /* Bytes 60: user version, 68: application id. A database with tables but no id only shows
   * itself once SQLite reads its schema (inspect). */
  return check_ours (self, read_be32 (header + 68), 0, read_be32 (header + 60), n_steps, error);
}

/* Reads the schema version and refuses files that are not ours or are newer, now with what a
 * write-ahead log may hold beyond the file's header. */
static gboolean
inspect (SsRunDb *self,
         guint    n_steps,
         gint64  *version,
         GError **error)
{
  gint64 app_id, n_objects;

  if (!query_int (self, "PRAGMA application_id", OPEN_WHAT, &app_id, error) ||
      !query_int (self, "PRAGMA user_version", OPEN_WHAT, version, error) ||
      !query_int (self, "SELECT count(*) FROM sqlite_schema", OPEN_WHAT, &n_objects, error) ||
      !check_ours (self, app_id, n_objects, *version, n_steps, error))
    return FALSE;
  if (self->readonly && *version < n_steps)
    {
      if (*version == 0)
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” holds no runs yet", self->display);
      else
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "“%s” has the older run-history schema %"
                     G_GINT64_FORMAT " (this Supersign reads %u); it is upgraded when a run is "
                     "next recorded in it", self->display, *version, n_steps);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_up_writing (SsRunDb *self,
                GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *mode;

  /* WAL: readers never block the writer, and a commit appends to the -wal file instead of
   * rewriting pages in place. synchronous=NORMAL would already keep every committed
   * observation when the process is killed (the data are in the kernel); FULL also fsyncs the
   * WAL at each commit so that they survive a power cut. That costs one fsync per observation,
   * a few milliseconds at an epoch's end or every K batches. */
  stmt = ss_run_db_prepare (self, "PRAGMA journal_mode = WAL", OPEN_WHAT, NULL, error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      ss_run_db_set_error (self, error, OPEN_WHAT, NULL);
      return FALSE;
    }
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (mode == NULL || g_ascii_strcasecmp (mode, "wal") != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not open “%s” for recording: its file "
                   "system does not support SQLite's write-ahead log (journal mode stays “%s”)",
                   self->display, mode ? mode : "?");
      return FALSE;
    }
  return ss_run_db_exec (self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
                         OPEN_WHAT, NULL, error);
}

static gboolean
migrate (SsRunDb           *self,
         const char *const *steps,
         guint              n_steps,
         gint64             version,
         GError           **error)
{
  g_autofree char *stamp = NULL;
  gint64 from;

  if (version == n_steps)
    return TRUE;
  if (!ss_run_db_exec (self, "BEGIN IMMEDIATE", "Could not upgrade the run history", NULL, error))
    return FALSE;
  /* Another process may have upgraded it between inspect and the lock. */
  if (!query_int (self, "PRAGMA user_version", "Could not upgrade the run history", &from,
                  error))
    {
      ss_run_db_rollback (self);
      return FALSE;
    }
  if (from > n_steps)
    {
      ss_run_db_rollback (self);
      return inspect (self, n_steps, &version, error);
    }
  for (gint64 v = from; v < n_steps; v++)
    if (sqlite3_exec (self->db, steps[v], NULL, NULL, NULL) != SQLITE_OK)
      {
        g_autofree char *what = g_strdup_printf ("Could not upgrade the run-history schema "
                                                 "from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                                                 v, v + 1);
        g_autofree char *tail = g_strdup_printf ("The file stays at schema %" G_GINT64_FORMAT,
                                                 from);
        ss_run_db_set_error (self, error, what, tail);
        ss_run_db_rollback (self);
        return FALSE;
      }
  stamp = g_strdup_printf ("PRAGMA user_version = %u; PRAGMA application_id = %d; COMMIT",
                           n_steps, APPLICATION_ID);
  if (!ss_run_db_exec (self, stamp, "Could not upgrade the run history", NULL, error))
    {
      ss_run_db_rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* (Re)opens self's connection; immutable: read the file as it is, without the WAL index. */
static gboolean
open_connection (SsRunDb *self,
                 gboolean immutable,
                 GError **error)
{
  int flags = self->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  g_autofree char *uri = NULL;

  g_clear_pointer (&self->db, sqlite3_close);
  if (immutable)
    {
      g_autofree char *file_uri = g_filename_to_uri (self->path, NULL, NULL);
      uri = g_strconcat (file_uri, "?immutable=1", NULL);
      flags |= SQLITE_OPEN_URI;
    }
  if (sqlite3_open_v2 (uri ? uri : self->path, &self->db, flags, NULL) != SQLITE_OK)
    {
      ss_run_db_set_error (self, error, OPEN_WHAT, NULL);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, SS_RUNS_BUSY_TIMEOUT_MS);
  return TRUE;
}

static SsRunDb *
open_db (const char        *path,
         gboolean           readonly,
         const char *const *steps,
         guint              n_steps,
         GError           **error)
{
  g_autoptr(SsRunDb) self = g_new0 (SsRunDb, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *wal = NULL;
  gint64 version;
  gboolean ok;

  self->path = path ? g_strdup (path) : ss_run_db_default_path ();
  self->display = g_filename_display_name (self->path);
  self->readonly = readonly;
  wal = g_strconcat (self->path, "-wal", NULL);

  /* The connection is handed from the thread that opens it to a training worker. */
  if (sqlite3_threadsafe () == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not open “%s”: this SQLite library was "
                   "built without thread support", self->display);
      return NULL;
    }
  if (!readonly)
    {
      g_autofree char *dir = g_path_get_dirname (self->path);
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int errsv = errno;
          g_autofree char *display = g_filename_display_name (dir);
          g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not create the folder “%s” for the "
                       "run history: %s", display, g_strerror (errsv));
          return NULL;
        }
    }
  if (!check_header (self, n_steps, error) || !open_connection (self, FALSE, error))
    return NULL;
  if (!readonly && sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not open “%s” for recording: the file "
                   "is read-only. Its runs can still be listed; record elsewhere with --db or "
                   SS_RUNS_DB_ENV, self->display);
      return NULL;
    }
  ok = inspect (self, n_steps, &version, &local_error);
  /* A reader of a WAL-mode file needs its -shm index, which it cannot create in a read-only
   * folder. Without a -wal beside it the file holds every committed run, and SQLite reads it
   * without the index when told that it is immutable. */
  if (!ok && readonly && (sqlite3_extended_errcode (self->db) & 0xff) == SQLITE_READONLY &&
      !g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      g_clear_error (&local_error);
      ok = open_connection (self, TRUE, &local_error) &&
           inspect (self, n_steps, &version, &local_error);
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!readonly &&
      (!set_up_writing (self, error) || !migrate (self, steps, n_steps, version, error)))
    return NULL;
  return g_steal_pointer (&self);
}

SsRunDb *
ss_run_db_open_with_migrations (const char        *path,
                                const char *const *steps,
                                guint              n_steps,
                                GError           **error)
{
  g_return_val_if_fail (steps != NULL && n_steps > 0, NULL);
  return open_db (path, FALSE, steps, n_steps, error);
}

SsRunDb *
ss_run_db_open (const char *path,
                GError    **error)
{
  return open_db (path, FALSE, migrations, G_N_ELEMENTS (migrations), error);
}

SsRunDb *
ss_run_db_open_readonly (const char *path,
                         GError    **error)
{
  return open_db (path, TRUE, migrations, G_N_ELEMENTS (migrations), error);
}
