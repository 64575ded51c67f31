/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A grid of saliency heatmaps: one row per sample, the input in the first column (unless
 * turned off) and one column per chosen layer, each cell the input with the layer's map drawn
 * over it, column titles on top, optional row labels on the left, and a colour bar on the
 * right.
 *
 * A cell's pixels.  The layer's map (h, w) is resized bilinearly to the input's H × W
 * (ss_resize_bilinear: half-pixel centres, as ss_gradcam_upsample) and clamped to [0, 1]; the
 * cell is then core's ss_heatmap_overlay of the input with that map: per channel
 * floor ((1 − α)·input + α·cmap (v) + 0.5) in 8 bits, cmap viridis or inferno (ss-colormap.h).
 * Cells are enlarged with nearest-neighbour sampling, so each input pixel is a flat square of
 * exactly that colour (what a paper figure of 28 × 28 inputs should show).  The colour bar
 * shows the colormap itself, unblended, from 0 (bottom) to 1 (top).
 *
 * Layout: square cells as large as the width and height allow, the block of titles, row
 * labels, grid and colour bar centred in the figure; column titles are rotated 45° when they
 * are wider than a cell.
 *
 * SsFigHeatmaps copies everything it is given. */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-style.h"

G_BEGIN_DECLS

typedef struct _SsFigHeatmaps SsFigHeatmaps;

/* An empty grid for inputs of c × h × w (c = 1 gray or 3 RGB; h, w ≥ 1), colormap viridis,
 * α = 0.5, input column shown.
 * Returns: (transfer full): free with ss_fig_heatmaps_free. */
SsFigHeatmaps *ss_fig_heatmaps_new           (int c, int h, int w);
void           ss_fig_heatmaps_free          (SsFigHeatmaps *fig);

/* Adds a layer column titled title.  Returns: its index among the layer columns, 0, 1, … */
int            ss_fig_heatmaps_add_column    (SsFigHeatmaps *fig, const char *title);
/* Adds a sample row: input (C, H, W), planar, already denormalised to [0, 1] (clamped; NaN →
 * 0); label (may be NULL) is drawn at the row's left, e.g. "true 3 / pred 3".
 * Returns: its index, 0, 1, … */
int            ss_fig_heatmaps_add_sample    (SsFigHeatmaps *fig, const float *input,
                                              const char *label);
/* Sets the map (h, w) of sample at layer column `column`, at the layer's own resolution (any
 * h, w ≥ 1; the input's size is taken as it is), values in [0, 1].  A cell without a map shows
 * the input alone. */
void           ss_fig_heatmaps_set_map       (SsFigHeatmaps *fig, int sample, int column,
                                              const float *map, int h, int w);
/* The colormap, "viridis" or "inferno"; anything else is an SS_ERROR_ARGUMENT error (the
 * colormap is then unchanged). */
gboolean       ss_fig_heatmaps_set_colormap  (SsFigHeatmaps *fig, const char *name,
                                              GError **error);
/* The overlay opacity α, clamped to [0, 1]. */
void           ss_fig_heatmaps_set_alpha     (SsFigHeatmaps *fig, double alpha);
void           ss_fig_heatmaps_set_show_input (SsFigHeatmaps *fig, gboolean show);
/* Optional title of the input column (default "input") and of the colour bar (default
 * "Grad-CAM"); copied. */
void           ss_fig_heatmaps_set_input_title (SsFigHeatmaps *fig, const char *title);
void           ss_fig_heatmaps_set_colorbar_label (SsFigHeatmaps *fig, const char *label);

int            ss_fig_heatmaps_get_n_samples (const SsFigHeatmaps *fig);
int            ss_fig_heatmaps_get_n_columns (const SsFigHeatmaps *fig);

/* Draws fig filling width × height user units of cr (cells stay square and as large as
 * fit); style NULL = "screen". */
void           ss_fig_heatmaps_draw          (const SsFigHeatmaps *fig, cairo_t *cr,
                                              double width, double height,
                                              const SsFigStyle *style);
/* The cell under (x, y): its sample row and layer column, the input column being -1.
 * Returns: whether (x, y) is inside a cell. */
gboolean       ss_fig_heatmaps_hit           (const SsFigHeatmaps *fig, double width,
                                              double height, const SsFigStyle *style, double x,
                                              double y, int *sample, int *column);
/* The rectangle of cell (sample, column) in that layout, column -1 being the input column
 * (for tests and for highlighting a selected cell).  Returns: FALSE if there is no such
 * cell. */
gboolean       ss_fig_heatmaps_cell_rect     (const SsFigHeatmaps *fig, double width,
                                              double height, const SsFigStyle *style,
                                              int sample, int column, double *x, double *y,
                                              double *w, double *h);

/* CSV of the maps at their own resolution, one row per map value, header
 *   sample,label,column,title,i,j,value
 * (i the row, j the column within the map); written atomically. */
gboolean       ss_fig_heatmaps_write_csv     (const SsFigHeatmaps *fig, const char *path,
                                              GError **error);
void           ss_fig_heatmaps_csv           (const SsFigHeatmaps *fig, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFigHeatmaps, ss_fig_heatmaps_free)

G_END_DECLS
