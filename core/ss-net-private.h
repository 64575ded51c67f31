/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The net's insides, shared by ss-net.c and the optimiser and file code. */

#include "ss-conv.h"
#include "ss-net.h"
#include "ss-pool.h"

G_BEGIN_DECLS

typedef struct {
  const SsNode *node;      /* borrowed from the net's arch */
  gsize     in_len;        /* elements per sample of the (first) input */
  gsize     out_len;       /* elements per sample of the output */
  int       in_c, in_h, in_w;
  int       p_weight, p_bias, p_mean, p_var;   /* parameter indices, -1 when absent */
  float    *stat_mean;     /* (C) batch norm statistics used by the last forward */
  float    *stat_invstd;   /* (C) */
  /* Into the activation arena, for the current capacity: */
  float    *out;           /* (N, C, H, W) */
  float    *grad;          /* (N, C, H, W); aliases the input's for flatten */
  gint32   *argmax;        /* (N, C, H, W) max pooling only */
  float    *mask;          /* (N, C, H, W) dropout only */
  gboolean  frozen;
  gint64    batches_tracked;
} SsNodeState;

struct _SsNet {
  SsArch      *arch;
  int          n_threads;
  int          n_nodes;
  SsNodeState *nodes;

  GArray      *params;       /* SsParamInfo; names owned */
  gsize       *offsets;      /* per parameter: offset into arena or buffers */
  float       *arena;        /* trainable values, one allocation */
  float       *grad_arena;   /* same layout */
  gsize        arena_len;
  float       *buffers;      /* running statistics */
  gsize        buffers_len;
  float       *stats;        /* per batch-norm node: mean (C) then invstd (C) */

  /* Activations for up to `capacity` samples, one allocation. */
  int          capacity;
  int          batch;
  SsMode       mode;         /* of the last forward */
  int          grad_from;    /* lowest node whose gradient the last backward filled */
  float       *acts;
  gsize        acts_len;
  float       *input;        /* (N, C, H, W) */
  float       *input_grad;   /* (N, C, H, W) */
  float       *workspace;    /* conv scratch for the largest layer */

  gboolean     profiling;
  double      *seconds;      /* per node: forward then backward, accumulated while profiling */
};

G_END_DECLS
