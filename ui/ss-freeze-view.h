/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Freeze Comparison experiment (thesis Table 2.6, `supersign-cli freeze-compare`): the same
 * model, data, seed and recipe trained twice on a worker, normally and then freezing conv
 * layers whose saliency entropy settles (core/ss-freeze.h). A table fills epoch by epoch with
 * Table 2.6's columns (best test accuracy so far of each run, the layers frozen, each run's
 * epoch time, the freezing run's including its observer), beside both runs' test accuracy
 * curves with a mark where layers froze. Each run is recorded in the run history as a run of
 * kind "freeze-compare" (config member "arm": "normal" or "freezing"), as the command line
 * records them; opening either from the history shows the pair. */

#include <adwaita.h>

#include "ss-experiment-page.h"

G_BEGIN_DECLS

#define SS_TYPE_FREEZE_VIEW (ss_freeze_view_get_type ())
G_DECLARE_FINAL_TYPE (SsFreezeView, ss_freeze_view, SS, FREEZE_VIEW, GtkWidget)

/* Transfer none. */
SsTable          *ss_freeze_view_get_table   (SsFreezeView *self);
SsPlot           *ss_freeze_view_get_plot    (SsFreezeView *self);

G_END_DECLS
