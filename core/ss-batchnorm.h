/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Batch normalisation over (N, HW) per channel, as torch.nn.BatchNorm2d (and BatchNorm1d when
 * HW = 1). Legend: N batch, C channels, HW = H·W positions per channel. */

#include <glib.h>

G_BEGIN_DECLS

/* Training mode: normalises with the batch statistics (biased variance), saves mean (C) and
 * invstd (C) = 1/sqrt(var + eps) for the backward, and updates the running statistics as PyTorch
 * does: run = (1 - momentum)·run + momentum·batch, with the unbiased variance for run_var.
 * out (N, C, HW); in (N, C, HW); gamma, beta, run_mean, run_var (C). */
void ss_batchnorm_forward_train (float       *out,
                                 float       *mean,
                                 float       *invstd,
                                 float       *run_mean,
                                 float       *run_var,
                                 const float *in,
                                 const float *gamma,
                                 const float *beta,
                                 int n, int c, int hw,
                                 float momentum, float eps,
                                 int n_threads);

/* Evaluation mode: normalises with the running statistics; also writes mean (C) and invstd (C)
 * derived from them so the same backward serves. */
void ss_batchnorm_forward_eval (float       *out,
                                float       *mean,
                                float       *invstd,
                                const float *in,
                                const float *gamma,
                                const float *beta,
                                const float *run_mean,
                                const float *run_var,
                                int n, int c, int hw,
                                float eps,
                                int n_threads);

/* Accumulates (+=) din (N, C, HW), dgamma (C), dbeta (C) (each may be NULL) from dout.
 * batch_stats TRUE: mean/invstd came from this batch (training), so din carries the terms through
 * the statistics; FALSE: they were constants (evaluation mode, as used by Grad-CAM). */
void ss_batchnorm_backward (float       *din,
                            float       *dgamma,
                            float       *dbeta,
                            const float *dout,
                            const float *in,
                            const float *gamma,
                            const float *mean,
                            const float *invstd,
                            gboolean     batch_stats,
                            int n, int c, int hw,
                            int n_threads);

G_END_DECLS
