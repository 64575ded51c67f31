/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* 2-D convolution, float32 NCHW, im2col + cblas_sgemm.
 * Legend: N batch, C input channels, H W input size, O filters, K kernel side, S stride,
 * P zero padding, OH = (H + 2P - K)/S + 1, OW likewise. Weights are PyTorch's OIHW. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int n, c, h, w;   /* input (N, C, H, W) */
  int o, k, s, p;   /* O filters of C×K×K, stride S, padding P */
  int oh, ow;       /* output spatial size, filled by ss_conv_dims_init */
} SsConvDims;

/* Fills oh/ow; returns FALSE if the kernel does not fit the padded input. */
gboolean ss_conv_dims_init (SsConvDims *d, int n, int c, int h, int w, int o, int k, int s, int p);

/* Floats of caller-owned scratch the forward and backward need with n_threads workers. */
gsize ss_conv_workspace_size (const SsConvDims *d, int n_threads);

/* out = conv(in, w) + b.  out (N, O, OH, OW); in (N, C, H, W); w (O, C, K, K); b (O) or NULL;
 * ws: ss_conv_workspace_size floats. Overwrites out. */
void ss_conv_forward  (float            *out,
                       const float      *in,
                       const float      *w,
                       const float      *b,
                       float            *ws,
                       const SsConvDims *d,
                       int               n_threads);

/* Accumulates (+=) the gradients of any of din (N, C, H, W), dw (O, C, K, K), db (O) that is not
 * NULL, from dout (N, O, OH, OW), the forward's input in and weights w. */
void ss_conv_backward (float            *din,
                       float            *dw,
                       float            *db,
                       const float      *dout,
                       const float      *in,
                       const float      *w,
                       float            *ws,
                       const SsConvDims *d,
                       int               n_threads);

G_END_DECLS
