/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The network as a list of layers (name, kind, output shape, parameters, MACs, saliency entropy
 * once the profile is computed) beside the Grad-CAM heatmaps of the selected layer. */

#include <adwaita.h>

#include "ss-heatmap-panel.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_LAYERS_VIEW (ss_layers_view_get_type ())
G_DECLARE_FINAL_TYPE (SsLayersView, ss_layers_view, SS, LAYERS_VIEW, GtkWidget)

void            ss_layers_view_set_session (SsLayersView *self, SsSession *session);
/* Rows in the list (one per node of the network). */
guint           ss_layers_view_get_n_rows  (SsLayersView *self);
/* Selects the row of node. */
void            ss_layers_view_select_node (SsLayersView *self, int node);
SsHeatmapPanel *ss_layers_view_get_panel   (SsLayersView *self);

G_END_DECLS
