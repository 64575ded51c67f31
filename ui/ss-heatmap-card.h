/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One sample's card in the heatmap grid (ss-heatmap-panel.h): the input and a layer's map over
 * it side by side, the sample's heading, the model's prediction (green when right, red when
 * wrong) and, as its tooltip, the class Grad-CAM explains. Another layer, colormap or opacity
 * of the same page replaces only the map (ss_heatmap_card_set_map): the card's widgets, their
 * style and layout stay, which keeps a click in the layer list cheap. */

#include <gtk/gtk.h>

#include "ss-image.h"

G_BEGIN_DECLS

typedef enum {
  SS_HEATMAP_CARD_UNLABELLED,   /* no true class to compare with */
  SS_HEATMAP_CARD_RIGHT,
  SS_HEATMAP_CARD_WRONG,
} SsHeatmapCardVerdict;

/* A new card showing input (copied), without a map yet. Returns: (transfer floating). */
GtkWidget *ss_heatmap_card_new     (const SsImage *input, int tile, const char *heading,
                                    const char *prediction, SsHeatmapCardVerdict verdict,
                                    const char *tooltip);
/* Shows overlay (copied; NULL: none) beside the input. */
void       ss_heatmap_card_set_map (GtkWidget *card, const SsImage *overlay);

G_END_DECLS
