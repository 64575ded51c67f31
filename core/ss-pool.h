/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Max, average and global average pooling, float32 NCHW, as torch.nn.MaxPool2d,
 * AvgPool2d (count_include_pad=True, ceil_mode=False) and AdaptiveAvgPool2d(1).
 * Legend: N batch, C channels, H W input, K window, S stride, P padding, OH OW output. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int n, c, h, w;  /* input (N, C, H, W) */
  int k, s, p;     /* window, stride, padding (P ≤ K/2 as PyTorch requires) */
  int oh, ow;      /* filled by ss_pool_dims_init */
} SsPoolDims;

gboolean ss_pool_dims_init (SsPoolDims *d, int n, int c, int h, int w, int k, int s, int p);

/* out (N, C, OH, OW); argmax (N, C, OH, OW): flat index into the (H, W) plane of each max, ties
 * going to the first in row-major order as PyTorch's CPU kernel; padding never wins. */
void ss_maxpool_forward  (float *out, gint32 *argmax, const float *in, const SsPoolDims *d,
                          int n_threads);
/* din (N, C, H, W) += scatter of dout through argmax. */
void ss_maxpool_backward (float *din, const float *dout, const gint32 *argmax, const SsPoolDims *d,
                          int n_threads);

void ss_avgpool_forward  (float *out, const float *in, const SsPoolDims *d, int n_threads);
void ss_avgpool_backward (float *din, const float *dout, const SsPoolDims *d, int n_threads);

/* out (N, C) = mean over HW of in (N, C, HW); backward: din (N, C, HW) += dout / HW. */
void ss_gap_forward  (float *out, const float *in, int n, int c, int hw, int n_threads);
void ss_gap_backward (float *din, const float *dout, int n, int c, int hw, int n_threads);

G_END_DECLS
