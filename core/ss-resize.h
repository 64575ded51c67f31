/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Bilinear resizing of one 2-D plane, as PyTorch's
 *   F.interpolate (x, size=(DH, DW), mode='bilinear', align_corners=False)
 * with no antialiasing.  Legend: SH SW source size, DH DW destination size; planes are float32,
 * row-major, contiguous.  Resize a (C, H, W) tensor plane by plane. */

#include <glib.h>

G_BEGIN_DECLS

/* dst (DH, DW) from src (SH, SW); all sizes ≥ 1; dst and src must not overlap.
 *
 * Half-pixel centres: destination index d samples the source at
 *   s = max ((d + 0.5)·(S/D) − 0.5, 0),  i0 = ⌊s⌋,  i1 = min (i0 + 1, S − 1),  λ = s − i0,
 * out = (1−λy)·((1−λx)·x[y0][x0] + λx·x[y0][x1]) + λy·((1−λx)·x[y1][x0] + λx·x[y1][x1]),
 * with PyTorch 1.13's rounding points (float scale and weights, the blend in double, rounded
 * once): identical bit for bit to its CPU kernel on > 99 % of the values of
 * tests/data/resize.safetensors, within one float ulp on the rest.  Equal sizes copy src
 * exactly (an axis of equal size takes weights (1, 0)).  Downsampling does not average
 * over the whole footprint (no antialias): each output reads at most 2×2 source cells. */
void ss_resize_bilinear (float *dst, int dh, int dw, const float *src, int sh, int sw);

G_END_DECLS
