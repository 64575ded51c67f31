/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A multilayer perceptron for DDPG's actor and critic (ss-ddpg.h): Linear layers with ReLU
 * between them and an identity or sigmoid output, trained on minibatches through ss-linear's
 * cblas_sgemm with Adam, plus the soft updates of target networks.
 *
 * Legend: N batch (≤ the max_batch given at creation), I input width, O output width,
 * L number of Linear layers, D_l width of layer l's input (D_0 = I, D_L = O).
 *
 * Parameters, gradients, Adam's two moments and the activations each live in one allocation
 * made by the constructor; forward, backward and the optimiser never allocate. */

#include <glib.h>

#include "ss-rng.h"

G_BEGIN_DECLS

typedef struct _SsMlp SsMlp;

typedef enum {
  SS_MLP_OUTPUT_IDENTITY,
  SS_MLP_OUTPUT_SIGMOID,
} SsMlpOutput;

/* dims (n_layers + 1): D_0 … D_L, each ≥ 1. split ≥ 0: when > 0 the first layer is the sum of
 * two Linear layers, one over input columns [0, I − split) and one over [I − split, I), each
 * with its own bias and its own fan-in for initialisation — AMC's critic fc11(s) + fc12(a).
 * Weights and biases are drawn from rng as torch.nn.Linear's default, U(−1/√fan_in, 1/√fan_in).
 * trainable: also allocate gradients and Adam moments. Returns: (transfer full). */
SsMlp *ss_mlp_new      (const int *dims, int n_layers, int split, SsMlpOutput output,
                        int max_batch, gboolean trainable, SsRng *rng);
/* A copy of src's shapes and parameters without gradients or moments, for a target network.
 * Returns: (transfer full). */
SsMlp *ss_mlp_new_like (const SsMlp *src);
void   ss_mlp_free     (SsMlp *mlp);

/* in (N, I) is borrowed and must stay unchanged until the matching ss_mlp_backward.
 * Returns: (transfer none) out (N, O), valid until the next forward. */
const float *ss_mlp_forward  (SsMlp *mlp, const float *in, int n);
/* The gradient of a loss L through the last forward, which had the same n. dout (N, O) is
 * ∂L/∂out. din (N, I) or NULL is overwritten with ∂L/∂in. with_params: accumulate (+=)
 * ∂L/∂θ into the gradient arena; FALSE leaves it untouched, for a loss that only passes
 * through this network (the actor's loss through the critic). */
void         ss_mlp_backward (SsMlp *mlp, float *din, const float *dout, int n,
                              gboolean with_params);
void         ss_mlp_zero_grad (SsMlp *mlp);

/* One step of torch.optim.Adam (no weight decay, no AMSGrad) over every parameter:
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 *   θ ← θ − lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε), t counting this mlp's steps from 1. */
void ss_mlp_adam_step   (SsMlp *mlp, double lr, double beta1, double beta2, double eps);
/* target ← (1 − τ)·target + τ·src over every parameter; τ = 1 copies. Shapes must agree. */
void ss_mlp_soft_update (SsMlp *target, const SsMlp *src, double tau);

/* Returns: (transfer none) the parameter arena (len), writable. */
float *ss_mlp_get_params  (SsMlp *mlp, gsize *len);
/* Returns: (transfer none) the gradient arena (len), same layout, or NULL when not trainable. */
float *ss_mlp_get_grads   (SsMlp *mlp, gsize *len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsMlp, ss_mlp_free)

G_END_DECLS
