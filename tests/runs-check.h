/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the run-history tests (test-runs, test-runs-damage, test-cli-runs) and their
 * helper process runs-writer: the observations written and checked (observation i of a run
 * with n layers, every field a function of (i, layer), some absent), a fixture with a fresh
 * database path, and raw SQLite access to look under the API. */

#include <sqlite3.h>

#include "ss-runs.h"
#include "ss-test-util.h"

G_BEGIN_DECLS

/* dir: a new empty folder, removed afterwards; path: dir/runs.sqlite, not created. */
typedef SsTestDir RunsFixture;

void     runs_fixture_set_up    (RunsFixture *f, gconstpointer data);
#define  runs_fixture_tear_down ss_test_dir_tear_down

/* "block.L.conv" for L < n. Transfer full (g_strfreev). */
char   **runs_check_layer_names (guint n);
/* Fills obs and points (n entries, names from runs_check_layer_names) for observation i. */
void     runs_check_observation (guint i, guint n, char *const *names, SsRunLayerPoint *points,
                                 SsRunObservation *obs);
/* Asserts that got is observation i with its n layers, value for value (NaN for absent). */
void     runs_check_assert_observation (const SsRunObservation *got, guint i, guint n);

/* ss_run_db_open, asserting success. Transfer full. */
SsRunDb *runs_check_open        (const char *path);
/* Begins a run of kind and records observations 0 … n_obs - 1; returns its id. */
gint64   runs_check_record      (SsRunDb *db, const char *kind, guint n_obs, guint n_layers);
/* Fails unless error is SS_ERROR/code and its message holds every string up to NULL. */
void     runs_check_error_says  (const GError *error, int code, ...) G_GNUC_NULL_TERMINATED;

/* The file's bytes. Transfer full. */
GBytes  *runs_check_file_bytes  (const char *path);
void     runs_check_assert_file_is (const char *path, GBytes *bytes);

/* Plain SQLite on path, below the API; each asserts success. */
sqlite3 *runs_check_raw_open    (const char *path);
gint64   runs_check_raw_int     (sqlite3 *db, const char *sql);
void     runs_check_raw_exec    (sqlite3 *db, const char *sql);
/* PRAGMA integrity_check says "ok". */
void     runs_check_assert_integrity (const char *path);

G_END_DECLS
