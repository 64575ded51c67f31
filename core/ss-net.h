/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A network instance: an architecture plus its parameters, running statistics, gradients and
 * the activations of the last batch. Forward keeps every node's output (N, C, H, W); backward
 * from any upstream gradient of the logits fills every node's gradient, so the saliency code can
 * read A and ∂y_c/∂A at every layer.
 * Legend: N batch, K classes, (C, H, W) a node's output shape. */

#include <glib.h>

#include "ss-arch.h"
#include "ss-rng.h"

G_BEGIN_DECLS

typedef struct _SsNet SsNet;

typedef enum {
  SS_MODE_EVAL,    /* batch norm uses running statistics; dropout is the identity */
  SS_MODE_TRAIN,   /* batch statistics, running statistics updated; dropout active */
} SsMode;

typedef enum {
  SS_BACKWARD_PARAM_GRADS = 1 << 0,  /* accumulate dL/dW into the gradient arena */
  SS_BACKWARD_INPUT_GRAD  = 1 << 1,  /* carry the gradient down to the network's input */
  SS_BACKWARD_LAYER_GRADS = 1 << 2,  /* keep every layer's gradient readable */
} SsBackwardFlags;

/* One named tensor of the state_dict: a trainable parameter (conv/linear weight and bias, BN
 * weight and bias) or a running statistic (BN running_mean, running_var). */
typedef struct {
  char    *name;        /* "conv1.weight" */
  int      node;        /* index of the node it belongs to */
  int      ndim;
  gint64   shape[4];
  gsize    len;         /* elements */
  gboolean trainable;   /* FALSE for running statistics */
} SsParamInfo;

/* A network with parameters initialised as PyTorch initialises them (Kaiming-uniform weights
 * with a = √5, uniform biases of bound 1/√fan_in, BN γ = 1, β = 0, running mean 0, var 1),
 * drawing from seed. The architecture is copied; its shapes must be inferred. Sets OpenBLAS to
 * one thread: Supersign splits batches across its own threads instead. Transfer full. */
SsNet        *ss_net_new             (const SsArch *arch, guint64 seed);
void          ss_net_free            (SsNet *net);
const SsArch *ss_net_get_arch        (const SsNet *net);

/* Worker threads for the kernels (default: the number of processors). Results are
 * deterministic for a given count. */
void          ss_net_set_n_threads   (SsNet *net, int n_threads);
int           ss_net_get_n_threads   (const SsNet *net);

/* x (N, C, H, W), normalised input; copied. rng may be NULL unless a dropout layer runs in
 * SS_MODE_TRAIN. Returns the logits (N, K), owned by the net. */
const float  *ss_net_forward         (SsNet *net, const float *x, int n, SsMode mode, SsRng *rng);

/* Evaluation-mode logits (N, K) for x (N, C, H, W) without keeping the layers' outputs: each
 * buffer is reused once its last reader is done, so large batches take little memory. Leaves
 * the last forward's outputs and gradients as they were. Owned by the net, valid until the next
 * call. */
const float  *ss_net_predict         (SsNet *net, const float *x, int n);

/* dlogits (N, K): the upstream gradient of the last forward's logits. With
 * SS_BACKWARD_PARAM_GRADS adds dL/dW of the layers that are not frozen to the gradient arena.
 * Every layer's gradient stays readable unless the flags are exactly SS_BACKWARD_PARAM_GRADS (a
 * training step): then gradients share a few buffers by liveness and the backward stops below
 * the deepest layer that still trains. */
void          ss_net_backward        (SsNet *net, const float *dlogits, SsBackwardFlags flags);

/* The last batch: node i's output and gradient (N, C, H, W), the input and its gradient. Owned
 * by the net, valid until the next forward. A gradient the last backward did not keep (see
 * ss_net_backward) is NULL. */
int           ss_net_get_batch_size  (const SsNet *net);
const float  *ss_net_get_output      (const SsNet *net, int node);
const float  *ss_net_get_grad        (const SsNet *net, int node);
const float  *ss_net_get_input       (const SsNet *net);
const float  *ss_net_get_input_grad  (const SsNet *net);

/* Parameters, in state_dict order. The arenas are one contiguous allocation each, laid out the
 * same way (trainable tensors only), so an optimiser can run over them flat. */
int                ss_net_get_n_params   (const SsNet *net);
const SsParamInfo *ss_net_get_param_info (const SsNet *net, int i);
float             *ss_net_get_param      (SsNet *net, int i);       /* (shape) */
float             *ss_net_get_param_grad (SsNet *net, int i);       /* (shape); NULL if not trainable */
int                ss_net_find_param     (const SsNet *net, const char *name);  /* -1 if absent */
float             *ss_net_get_arena      (SsNet *net, gsize *len);  /* trainable values */
float             *ss_net_get_grad_arena (SsNet *net, gsize *len);  /* their gradients */
void               ss_net_zero_grad      (SsNet *net);
/* BN's num_batches_tracked, counted like PyTorch's (one per training forward). */
gint64             ss_net_get_batches_tracked (const SsNet *net, int node);
void               ss_net_set_batches_tracked (SsNet *net, int node, gint64 count);

/* A frozen node computes no weight gradient and its batch norm neither uses nor updates batch
 * statistics (it runs as in evaluation); the optimiser leaves its parameters alone. */
void          ss_net_set_frozen      (SsNet *net, int node, gboolean frozen);
gboolean      ss_net_get_frozen      (const SsNet *net, int node);

/* Per-node wall-clock timing for benchmarks. Enabling resets the totals. */
void          ss_net_set_profiling   (SsNet *net, gboolean enabled);
void          ss_net_get_node_seconds (const SsNet *net, int node, double *forward,
                                       double *backward);

/* Bytes held by the net now (parameters, gradients, activations, workspace). */
gsize         ss_net_get_memory_size (const SsNet *net);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsNet, ss_net_free)

G_END_DECLS
