/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The lowerings behind ss-conv.c: the column matrices its GEMMs multiply, and the weight
 * rearrangements that go with them (ss-conv-lower.c); the direct depthwise kernels
 * (ss-conv-depthwise.c).
 *
 * Legend: CH input channels of one group, H W input size, K kernel side, S stride, P zero padding,
 * DL dilation, KE = (K - 1)·DL + 1 the effective kernel side, OH = (H + 2P - KE)/S + 1, OW
 * likewise, HP = H + 2P, LD a column matrix's row stride in floats (OH·OW for one sample; more
 * when several samples' columns sit side by side). Weights of one group: (M, CH, K, K). */

#include "ss-conv.h"

G_BEGIN_DECLS

/* One group's geometry for one sample. */
typedef struct {
  int ch, h, w;     /* input (CH, H, W) */
  int k, s, p, dl;  /* kernel side, stride, padding, dilation */
  int oh, ow;       /* output size */
} SsConvGeom;

/* col (CH·K·K, LD), the first OH·OW columns of each row = patches of im (CH, H, W), zero
 * outside. For K 1, S 1, P 0 it is a copy of im's rows. */
void ss_conv_im2col     (float *col, gsize ld, const float *im, const SsConvGeom *g);

/* im (CH, H, W) += the adjoint of ss_conv_im2col applied to col (CH·K·K, OH·OW). */
void ss_conv_col2im_add (float *im, const float *col, const SsConvGeom *g);

/* S 1 only. rows (CH·K, HP·OW): rows[c·K + kx][y·OW + x] = im[c][y - P][x + kx·DL - P], zero
 * outside im (CH, H, W). Kernel row ky's GEMM reads rows shifted down by ky·DL image rows. */
void ss_conv_shift_rows (float *rows, const float *im, const SsConvGeom *g);

/* wr (K, M, CH·K) from w (M, CH, K, K): wr[ky][m][c·K + kx] = w[m][c][ky][kx]. */
void ss_conv_rearrange_rows    (float *wr, const float *w, int m, int ch, int k);

/* The kernel of din as a convolution of dout, from w (M, CH, K, K): flipped in both spatial axes,
 * CH and M swapped. rows FALSE: wt (CH, M, K, K); rows TRUE: wt (K, CH, M·K) in row-shift order. */
void ss_conv_rearrange_flipped (float *wt, const float *w, gboolean rows, int m, int ch, int k);

/* Depthwise (ss-conv-depthwise.c), one filter of one channel: out (OH, OW) = bias + the
 * convolution of in (H, W) with w (K, K). */
void ss_conv_dw_forward_plane  (float *out, const float *in, const float *w, float bias,
                                const SsConvGeom *g);
/* din (H, W) += dL/din and dw (K, K) += dL/dw (either may be NULL) from dout (OH, OW). */
void ss_conv_dw_backward_plane (float *din, float *dw, const float *dout, const float *in,
                                const float *w, const SsConvGeom *g);

G_END_DECLS
