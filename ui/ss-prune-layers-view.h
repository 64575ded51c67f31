/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Layer Removal experiment (SPEC §6, thesis Table 2.4, `supersign-cli prune-layers`):
 * greedy semiotic layer removal (core/ss-prune-layers.h) on a worker — remove the conv layer
 * whose saliency entropy does not fall, retrain, and go on while the test accuracy stays within
 * the tolerance. Each step adds a row to the step table (the layer removed, conv layers,
 * parameters, MACs, test accuracy) and a point to the accuracy-per-step plot; the final model
 * (the last accepted step's) can replace the open one or be saved. Recorded in the run history
 * as kind "prune-layers" with the command line's observations (training epochs and steps). */

#include <adwaita.h>

#include "ss-experiment-page.h"

G_BEGIN_DECLS

#define SS_TYPE_PRUNE_LAYERS_VIEW (ss_prune_layers_view_get_type ())
G_DECLARE_FINAL_TYPE (SsPruneLayersView, ss_prune_layers_view, SS, PRUNE_LAYERS_VIEW, GtkWidget)

/* Transfer none. */
SsTable          *ss_prune_layers_view_get_table (SsPruneLayersView *self);
SsPlot           *ss_prune_layers_view_get_plot  (SsPruneLayersView *self);

G_END_DECLS
