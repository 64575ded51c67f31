/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The run history (core/ss-runs.h) as a list on the Experiments page: the latest training runs
 * with their status, epochs and best test accuracy, read on a worker; activating one loads its
 * observations (on a worker) and emits "run-loaded" so the page can draw its curves. */

#include <adwaita.h>

#include "ss-runs.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_RUNS_VIEW (ss_runs_view_get_type ())
G_DECLARE_FINAL_TYPE (SsRunsView, ss_runs_view, SS, RUNS_VIEW, GtkWidget)

void   ss_runs_view_set_session (SsRunsView *self, SsSession *session);
/* Reads the history again. */
void   ss_runs_view_refresh     (SsRunsView *self);
/* Runs listed now. */
guint  ss_runs_view_get_n_runs  (SsRunsView *self);
/* The job reading the list, and the one loading a run. */
SsJob *ss_runs_view_get_job      (SsRunsView *self);
SsJob *ss_runs_view_get_load_job (SsRunsView *self);
/* Loads run id and emits "run-loaded" (what activating its row does). */
void   ss_runs_view_load         (SsRunsView *self, gint64 id);

G_END_DECLS
