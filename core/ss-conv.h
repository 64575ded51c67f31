/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* 2-D convolution, float32 NCHW, im2col + cblas_sgemm, with groups and dilation.
 * Legend: N batch, C input channels, H W input size, O filters, G groups, K kernel side,
 * S stride, P zero padding, D dilation, KE = (K - 1)·D + 1 the effective kernel side,
 * OH = (H + 2P - KE)/S + 1, OW likewise. Weights are PyTorch's (O, C/G, K, K): filter o sees
 * input channels (o / (O/G))·C/G … + C/G - 1, as nn.Conv2d(groups=G, dilation=D). */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int n, c, h, w;   /* input (N, C, H, W) */
  int o, k, s, p;   /* O filters of (C/G)×K×K, stride S, padding P */
  int g, dl;        /* groups G (dividing C and O), dilation D */
  int oh, ow;       /* output spatial size, filled by ss_conv_dims_init */
} SsConvDims;

/* Fills oh/ow (one group, no dilation); returns FALSE if the kernel does not fit the padded
 * input. */
gboolean ss_conv_dims_init      (SsConvDims *d, int n, int c, int h, int w, int o, int k, int s,
                                 int p);
/* The same with G groups and dilation D; FALSE also when G or D is below 1 or G does not divide
 * C and O. */
gboolean ss_conv_dims_init_full (SsConvDims *d, int n, int c, int h, int w, int o, int k, int s,
                                 int p, int groups, int dilation);

/* Floats of caller-owned scratch the forward and backward need with up to n_threads workers. */
gsize ss_conv_workspace_size (const SsConvDims *d, int n_threads);

/* What ss_conv_forward_post does to each output value v after the convolution and bias, in this
 * order: batch norm in evaluation form v = (v - mean[o])·scale[o] + shift[o] (mean NULL: none),
 * v = v + residual (NULL: none), v = max(v, 0) (relu). The float operations are those of
 * ss_batchnorm_forward_eval (scale = invstd·γ), ss_add_forward and ss_relu_forward, so a fused
 * layer gives the unfused layers' results bit for bit. */
typedef struct {
  const float *mean;      /* (O) or NULL */
  const float *scale;     /* (O) */
  const float *shift;     /* (O) */
  const float *residual;  /* (N, O, OH, OW) or NULL; not out */
  gboolean     relu;
} SsConvPost;

/* out = conv(in, w) + b.  out (N, O, OH, OW); in (N, C, H, W); w (O, C/G, K, K); b (O) or NULL;
 * ws: ss_conv_workspace_size floats. Overwrites out. */
void ss_conv_forward      (float            *out,
                           const float      *in,
                           const float      *w,
                           const float      *b,
                           float            *ws,
                           const SsConvDims *d,
                           int               n_threads);

/* ss_conv_forward followed by post (NULL: nothing), applied while the output is in cache. */
void ss_conv_forward_post (float            *out,
                           const float      *in,
                           const float      *w,
                           const float      *b,
                           const SsConvPost *post,
                           float            *ws,
                           const SsConvDims *d,
                           int               n_threads);

/* Accumulates (+=) the gradients of any of din (N, C, H, W), dw (O, C/G, K, K), db (O) that is
 * not NULL, from dout (N, O, OH, OW), the forward's input in and weights w. */
void ss_conv_backward     (float            *din,
                           float            *dw,
                           float            *db,
                           const float      *dout,
                           const float      *in,
                           const float      *w,
                           float            *ws,
                           const SsConvDims *d,
                           int               n_threads);

G_END_DECLS
