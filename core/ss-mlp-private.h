/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The MLP's layout, shared by ss-mlp.c and the tests that recompute its forward in double. */

#include "ss-mlp.h"

G_BEGIN_DECLS

#define SS_MLP_NO_OFFSET G_MAXSIZE

typedef struct {
  int    in, out;     /* D_l, D_{l+1} */
  gsize  w;           /* offset of W (out, in) in the parameter arena */
  gsize  b;           /* offset of b (out) */
  gsize  b2;          /* offset of the split's second bias (out), or SS_MLP_NO_OFFSET */
  float *act;         /* (max_batch, out) output after the activation, in the activation arena */
} SsMlpLayer;

struct _SsMlp {
  int          n_layers;
  int          split;        /* width of the second input block of layer 0, or 0 */
  SsMlpOutput  output;
  int          max_batch;
  SsMlpLayer  *layers;       /* (L) */

  /* Owned arenas; the last three share the parameter layout. */
  float       *params;       /* (n_params) */
  gsize        n_params;
  float       *grads;        /* (n_params), NULL unless trainable */
  float       *moments;      /* (2, n_params): Adam's m then v, NULL unless trainable */
  gint64       adam_t;       /* Adam steps taken */
  float       *acts;         /* every layer's act, then grad_out and grad_in */
  float       *grad_out;     /* (max_batch, max D_l) ∂L/∂(pre-activation) of the current layer */
  float       *grad_in;      /* (max_batch, max D_l) ∂L/∂(its input) */

  /* Borrowed from the last forward. */
  const float *in;           /* (N, I) */
  int          n;
};

G_END_DECLS
