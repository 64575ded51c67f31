/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Experiments page: a sidebar of experiments — Train, Freeze Comparison, Layer Removal,
 * Filter Pruning, AMC — each an SsExperimentPage-based view that runs on a worker with its own
 * job, so several may run at once. A run recorded in the history is shown again in the
 * experiment of its kind (ss_experiments_view_show_runs). */

#include <adwaita.h>

#include "ss-experiment-page.h"

G_BEGIN_DECLS

#define SS_TYPE_EXPERIMENTS_VIEW (ss_experiments_view_get_type ())
G_DECLARE_FINAL_TYPE (SsExperimentsView, ss_experiments_view, SS, EXPERIMENTS_VIEW, GtkWidget)

void              ss_experiments_view_set_session    (SsExperimentsView *self,
                                                      SsSession *session);
/* The experiment named name — "train", "freeze", "prune-layers", "prune-filters", "amc" — and
 * its page; NULL for another name. Transfer none. */
GtkWidget        *ss_experiments_view_get_experiment (SsExperimentsView *self, const char *name);
SsExperimentPage *ss_experiments_view_get_page       (SsExperimentsView *self, const char *name);
/* The experiment shown: its name, or show another. */
const char       *ss_experiments_view_get_visible    (SsExperimentsView *self);
void              ss_experiments_view_set_visible    (SsExperimentsView *self, const char *name);
/* Shows recorded runs (SsRun *, at least one, all of one kind, in order: the two runs of a freeze
 * comparison, normal first) in the experiment of their kind, which becomes the one shown.
 * FALSE for a kind no experiment shows. */
gboolean          ss_experiments_view_show_runs      (SsExperimentsView *self, GPtrArray *runs);
/* The view shown now, if it is a plot or a table (the export targets). Transfer none. */
SsPlot           *ss_experiments_view_get_plot       (SsExperimentsView *self);
SsTable          *ss_experiments_view_get_table      (SsExperimentsView *self);

G_END_DECLS
