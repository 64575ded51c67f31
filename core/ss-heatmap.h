/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ss-colormap.h"
#include "ss-image.h"

G_BEGIN_DECLS

/* Figures of saliency maps (Grad-CAM and friends), composed as 8-bit RGB images (ss-image.h)
 * that core/ss-png.h writes.
 *
 * Legend: C = input channels (1 or 3), H = height, W = width.  Float inputs are planar,
 * (C, H, W) or (H, W), row-major; images are interleaved (H, W, 3).
 *
 * Conversions round to nearest: a float v in [0, 1] becomes floor(255 · v + 0.5), and a blend
 * floor((1 − α) · image + α · colour + 0.5), computed in double.
 *
 * No text is drawn: figures carry no labels or titles.  A caller that needs them (the CLI)
 * writes each tile's row, column and caption to a CSV or text file next to the PNG. */

/* Gap between grid tiles, in pixels. */
#define SS_HEATMAP_GRID_GAP 2

/* An RGB image of an input already denormalised to [0, 1]: x is (C, H, W), C = 1 (gray,
 * replicated to R = G = B) or 3 (R, G, B planes).  Values are clamped to [0, 1]; NaN → 0.
 * h and w must satisfy ss_image_size_ok.
 * Returns: (transfer full): free with ss_image_free. */
SsImage *ss_heatmap_image_from_floats (const float *x, int c, int h, int w);

/* An RGB image of heat, (H, W) with values in [0, 1], through cmap (ss_colormap_map's rule:
 * clamped, NaN → SS_COLORMAP_NAN_RGB).
 * Returns: (transfer full): free with ss_image_free. */
SsImage *ss_heatmap_colorize          (const float *heat, int h, int w, const SsColormap *cmap);

/* image (gray or RGB, H × W) with heat (H, W) drawn over it through cmap at opacity alpha in
 * [0, 1]: out = (1 − α) · image + α · cmap (heat), per channel, rounded as above.  alpha = 0
 * gives the image (as RGB), alpha = 1 the colorized heat.  heat must have the image's size
 * (upsample a low-resolution map first).
 * Returns: (transfer full): an RGB image, free with ss_image_free. */
SsImage *ss_heatmap_overlay           (const SsImage *image, const float *heat,
                                       const SsColormap *cmap, float alpha);

/* image (gray or RGB) enlarged factor times in each direction by nearest neighbour: each pixel
 * becomes a factor × factor block.  factor < 1, or a result over the ss-image.h limits, is an
 * SS_ERROR_ARGUMENT error.
 * Returns: (transfer full): an image with image's channels, free with ss_image_free; NULL on
 * error. */
SsImage *ss_heatmap_upscale           (const SsImage *image, int factor, GError **error);

/* The integer factor that makes an h × w image at most target pixels on its longer side (at
 * least 1): 28 × 28 with target 224 gives 8. */
int      ss_heatmap_scale_for         (int h, int w, int target);

/* A grid of n_rows × n_columns equal tiles, tiles[r · n_columns + c] at row r, column c,
 * separated by SS_HEATMAP_GRID_GAP pixels of background (R, G, B); no outer border.  Tile
 * (r, c) has its top-left pixel at x = c · (tile W + gap), y = r · (tile H + gap).  A NULL tile
 * leaves its cell background.  Gray tiles are drawn as RGB.  Tiles of different sizes
 * (SS_ERROR_SHAPE), no tile at all, or a grid over the ss-image.h limits (SS_ERROR_ARGUMENT)
 * are errors.
 * Returns: (transfer full): an RGB image, free with ss_image_free; NULL on error. */
SsImage *ss_heatmap_grid              (const SsImage * const *tiles, int n_rows, int n_columns,
                                       const guint8 background[3], GError **error);

G_END_DECLS
