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
  /* Memory plan, fixed at creation (see ss-net-run.c): */
  int       canonical;     /* the node whose buffers this one uses (flatten: its input's) */
  int       first_writer;  /* first node whose backward writes this gradient */
  int       out_slot;      /* shared output buffer in ss_net_predict */
  /* Inference fusion (ss_net_predict): a conv whose only reader is a batch norm computes that
   * batch norm, then possibly a residual add and a ReLU, in its output pass. */
  int       fused_into;    /* the conv that computes this BN, add or ReLU in predict; -1 */
  int       fuse_bn, fuse_add, fuse_relu;   /* conv: the nodes it absorbs, -1 if none */
  int       grad_slot;     /* shared gradient buffer in a training backward */
  /* Into the arenas, for the current capacity: */
  float    *out;           /* (N, C, H, W) */
  float    *grad;          /* (N, C, H, W); a flatten's is its input's */
  gint32   *argmax;        /* (N, C, H, W) max pooling only */
  float    *mask;          /* (N, C, H, W) dropout only */
  gboolean  frozen;
  gint64    batches_tracked;
} SsNodeState;

/* A lazily grown aligned allocation. */
typedef struct {
  float *mem;
  gsize  len;
} SsRegion;

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

  /* Activations of the last forward for up to `capacity` samples: input, every node's output,
   * pooling indices, dropout masks, conv workspace. */
  int          capacity;
  int          batch;
  SsMode       mode;         /* of the last forward */
  int          grad_from;    /* lowest node whose gradient is readable, n_nodes for none */
  SsRegion     acts;
  float       *input;        /* (N, C, H, W) */
  float       *workspace;    /* conv scratch for the largest layer */
  /* Gradients: one buffer per node when they must stay readable, else shared slots. */
  SsRegion     grads;
  float       *input_grad;   /* (N, C, H, W) */
  int          n_grad_slots;
  gsize       *grad_slot_len;   /* per sample */
  /* ss_net_predict's scratch: shared output slots, pooling indices, BN statistics. */
  SsRegion     pred;
  int          n_out_slots;
  gsize       *out_slot_len;    /* per sample */

  gboolean     profiling;
  double      *seconds;      /* per node: forward then backward, accumulated while profiling */
};

/* ss-net-plan.c */
void   ss_net_plan_memory    (SsNet *net);
void   ss_net_release_memory (SsNet *net);
/* Grows r to at least len floats (64-byte aligned; old contents lost) and returns its memory. */
float *ss_net_region_reserve (SsRegion *r, gsize len);
void   ss_net_region_clear   (SsRegion *r);

G_END_DECLS
