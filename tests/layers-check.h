/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by test-layers.c and test-layers-reference.c: every layer kernel wrapped in a Layer
 * with random inputs and parameters, a uniform forward/backward, and test registration.
 *
 * Legend: N batch, C channels, H W input size, O filters/outputs, K kernel, S stride,
 * P padding, G groups, D dilation, HW = H·W; everything float32 NCHW. */

#include <glib.h>

#include "ss-conv.h"
#include "ss-labels.h"
#include "ss-pool.h"

G_BEGIN_DECLS

#define LAYER_MAX_T       4    /* tensors per layer: input + up to 3 parameters */
#define LAYER_MAX_THREADS 3    /* workspaces are sized for the largest n_threads tested */

typedef enum {
  LAYER_CONV, LAYER_BN, LAYER_MAXPOOL, LAYER_AVGPOOL, LAYER_GAP, LAYER_LINEAR, LAYER_RELU,
  LAYER_DROPOUT, LAYER_XENT,
} LayerKind;

/* conv: input (n, c, h, w), o filters k×k, stride s, padding p, flag = bias, g groups and dl
 * dilation (0 read as 1).
 * bn: (n, c, h·w), flag = training mode.  pools: (n, c, h, w), k, s, p.  gap: (n, c, h·w).
 * linear: n rows, c inputs, o outputs, flag = bias.  relu, dropout: n·c·h·w values.
 * xent: n rows, c classes. */
typedef struct {
  const char *name;
  LayerKind   kind;
  int         n, c, h, w, o, k, s, p;
  int         flag;
  int         g, dl;
} LayerSpec;

/* t[0] is the input, t[1..] the parameters, out the output.  forward: out (out_len) from
 * t[k] (len[k]).  backward: g[k] (len[k]) += the gradient of Σ dout·out, for each g[k] that is
 * not NULL; dout (out_len). */
typedef struct _Layer Layer;
struct _Layer {
  const LayerSpec *spec;
  int         n_t;
  float      *t[LAYER_MAX_T];     /* (len[k]): t[0] input, then parameters */
  gsize       len[LAYER_MAX_T];
  const char *label[LAYER_MAX_T];
  float      *out;          /* (out_len) */
  gsize       out_len;
  double      loss;         /* xent: the forward's return value, used instead of out */
  float       eps;          /* finite-difference step */
  const void *state;        /* discrete state a perturbation must not change, or NULL */
  gsize       state_bytes;
  void      (*forward)  (Layer *l, int n_threads);
  void      (*backward) (Layer *l, float **g, const float *dout, int n_threads);
  /* layer state */
  SsConvDims  cd;
  SsPoolDims  pd;
  float      *ws;           /* conv workspace */
  float      *aux[4];       /* bn: mean, invstd, run_mean, run_var; dropout: mask; xent: probs */
  float      *tmp;          /* xent: dlogits before accumulation (N, K) */
  gint32     *argmax;       /* (N, C, OH, OW) */
  guint8     *bytes;        /* relu: mask (L) */
  SsLabel    *labels;       /* xent: labels (N) */
};

/* Returns: (transfer full) (n) uniform in [lo, hi). */
float *layers_check_random_floats (gsize n, float lo, float hi, guint64 seed);

/* Returns: (transfer full) the layer of s, its tensors filled from seed; free with
 * layers_check_free. */
Layer *layers_check_new (const LayerSpec *s, guint64 seed);

/* Frees l and everything it owns. */
void layers_check_free (Layer *l);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Layer, layers_check_free)

/* Adds func for each of specs (n) at /layers/LAYER/what/REST, where a spec's name is LAYER/REST. */
void layers_check_add_table (const char *what, const LayerSpec *specs, gsize n,
                             GTestDataFunc func);

G_END_DECLS
