/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The History page: the run history (core/ss-runs.h) — every kind of run, from the app and from
 * supersign-cli, newest first — read on a worker. A run opens (its row, or its menu's Open) by
 * loading it on a worker and emitting "run-loaded", for the Experiments page to show it in the
 * experiment of its kind (with its partner run, for the two runs of a freeze comparison).
 * Ticked runs are compared on the right: their curves of a metric overlaid (ss-runs-compare.h).
 * A run's menu exports it as CSV or JSON (ss_run_export) or deletes it after a confirmation.
 *
 * Actions (parameter: the run's id): runs.open, runs.export-csv, runs.export-json, runs.delete;
 * runs.refresh. */

#include <adwaita.h>

#include "ss-plot.h"
#include "ss-runs.h"
#include "ss-runs-compare.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_RUNS_VIEW (ss_runs_view_get_type ())
G_DECLARE_FINAL_TYPE (SsRunsView, ss_runs_view, SS, RUNS_VIEW, GtkWidget)

void     ss_runs_view_set_session  (SsRunsView *self, SsSession *session);
/* Reads the history again. */
void     ss_runs_view_refresh      (SsRunsView *self);
/* Runs listed now, and the record of the one listed at position i (newest first; transfer
 * none). */
guint    ss_runs_view_get_n_runs   (SsRunsView *self);
const SsRunRecord *ss_runs_view_get_record (SsRunsView *self, guint i);
/* The job reading the list, and the one the bar shows now (opening, comparing, exporting or
 * deleting). */
SsJob   *ss_runs_view_get_job      (SsRunsView *self);
SsJob   *ss_runs_view_get_task_job (SsRunsView *self);
/* Loads run id (and its partner, for a freeze comparison) and emits "run-loaded". */
void     ss_runs_view_load         (SsRunsView *self, gint64 id);
/* Ticks exactly the runs ids (n of them) for the comparison, which loads them on a worker. */
void     ss_runs_view_set_compared (SsRunsView *self, const gint64 *ids, guint n);
void     ss_runs_view_set_metric   (SsRunsView *self, SsRunsMetric metric);
/* Transfer none. */
SsPlot  *ss_runs_view_get_plot     (SsRunsView *self);
/* Writes run id to path as format on a worker (what the export chooser does). */
void     ss_runs_view_export       (SsRunsView *self, gint64 id, SsRunFormat format,
                                    const char *path);
/* Deletes run id on a worker, without asking (what the confirmation's Delete does). */
void     ss_runs_view_delete       (SsRunsView *self, gint64 id);

G_END_DECLS
