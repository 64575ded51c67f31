/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What ss-runs.c (errors, writing), ss-runs-open.c and ss-runs-read.c share, and the schema
 * machinery open to tests: they replay real migrations on files of an older layout and check
 * that a failing step leaves the file at its version. */

#include <sqlite3.h>

#include "ss-runs.h"

G_BEGIN_DECLS

struct _SsRunDb {
  sqlite3  *db;
  char     *path;
  char     *display;    /* path in the locale's encoding, for messages */
  gboolean  readonly;
};

/* Writers take turns; a transaction lasts milliseconds, so waiting this long means a stuck
 * process. */
#define SS_RUNS_BUSY_TIMEOUT_MS 5000

/* Said after a failed write: it was rolled back. */
#define SS_RUNS_INTACT "The runs recorded before are intact"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Sets error for the last failure of self's connection: what was being done, the cause in
 * words a person can act on, SQLite's own message, then tail (may be NULL). */
void          ss_run_db_set_error (const SsRunDb *self, GError **error, const char *what,
                                   const char *tail);
/* Runs sql; on failure sets error as ss_run_db_set_error. */
gboolean      ss_run_db_exec      (SsRunDb *self, const char *sql, const char *what,
                                   const char *tail, GError **error);
/* Transfer full (sqlite3_finalize); on failure NULL with error. */
sqlite3_stmt *ss_run_db_prepare   (SsRunDb *self, const char *sql, const char *what,
                                   const char *tail, GError **error);
/* Ends the open transaction, if any, without keeping it; take the error first, this resets
 * it. */
void          ss_run_db_rollback  (SsRunDb *self);

/* steps[v] takes the schema from version v to v + 1 (version 0: an empty file); the newest
 * version is n_steps. Transfer none. */
const char *const *ss_run_db_migrations            (guint *n_steps);

/* ss_run_db_open with another list of steps. Transfer full. */
SsRunDb           *ss_run_db_open_with_migrations  (const char *path, const char *const *steps,
                                                    guint n_steps, GError **error);

G_END_DECLS
