/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Grad-CAM heatmaps of one layer over a page of samples: each card shows a sample's input and
 * the layer's map over it, with the sample's label and the model's prediction. Maps of every
 * layer for a page are computed at once on a worker (ss_gradcam) and cached per model, data,
 * page and target, so clicking through layers is instant. The explained class is the
 * predicted one, the true one, or a chosen class. */

#include <adwaita.h>

#include "ss-fig-heatmaps.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_HEATMAP_PANEL (ss_heatmap_panel_get_type ())
G_DECLARE_FINAL_TYPE (SsHeatmapPanel, ss_heatmap_panel, SS, HEATMAP_PANEL, GtkWidget)

void        ss_heatmap_panel_set_session (SsHeatmapPanel *self, SsSession *session);
/* The node whose maps are shown, or -1. */
void        ss_heatmap_panel_set_node    (SsHeatmapPanel *self, int node);
int         ss_heatmap_panel_get_node    (SsHeatmapPanel *self);
/* Cards that show a computed map now. */
int         ss_heatmap_panel_get_n_maps  (SsHeatmapPanel *self);
SsJob      *ss_heatmap_panel_get_job     (SsHeatmapPanel *self);
/* The shown grid as a figure (one row per sample, input and the layer's map), or NULL.
 * Transfer none: valid until the panel changes. */
const SsFigHeatmaps *ss_heatmap_panel_get_figure (SsHeatmapPanel *self);
/* Shows the page starting at sample first. */
void        ss_heatmap_panel_set_first   (SsHeatmapPanel *self, guint first);

G_END_DECLS
