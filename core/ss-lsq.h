/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Least-squares refit of a linear map restricted to a subset of its input features: AMC's
 * channel reconstruction (He et al. 2018; mit-han-lab/amc env/channel_pruning_env.py,
 * prune_kernel with least_square_sklearn). Given sampled inputs X (rows) and a layer's original
 * weights W, whose outputs are Y = X·Wᵀ, and a set of kept features, it finds
 *   W' = argmin ‖X_kept·W'ᵀ − Y‖²  (+ λ‖W'‖², see ridge below)
 * A bias is handled by giving X a constant-1 feature whose weight is the bias.
 *
 * Since Y = X·Wᵀ exactly, the whole problem lives in the Gram matrix G = XᵀX (D × D) and
 * P = G·Wᵀ (= XᵀY, D × O): the rows are accumulated once (ss_lsq_add_rows) and any subset is
 * then solved from gathered blocks of G and P with a Cholesky factorisation (LAPACK dpotrf and
 * dpotrs from OpenBLAS), without the rows. Everything is in double precision: the normal
 * equations square the inputs' condition number.
 *
 * Legend: N rows, D features, O outputs, M kept features. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SsLsq SsLsq;

/* A problem over d ≥ 1 features with no rows yet. Holds G: d² doubles. Transfer full. */
SsLsq   *ss_lsq_new              (int d);
void     ss_lsq_free             (SsLsq *lsq);
int      ss_lsq_get_dim          (const SsLsq *lsq);
/* Rows added so far. */
gint64   ss_lsq_get_n_rows       (const SsLsq *lsq);

/* Adds n rows x (N, D) to G (cblas_dsyrk). Only before ss_lsq_set_weights. */
void     ss_lsq_add_rows         (SsLsq *lsq, const double *x, int n);

/* Fixes the target: the outputs of the weights w (O, D), P = G·wᵀ. Call once, after the last
 * ss_lsq_add_rows; allocates P (D·O doubles). */
void     ss_lsq_set_weights      (SsLsq *lsq, const float *w, int n_out);

/* Doubles of workspace ss_lsq_solve needs for up to max_kept features and n_out outputs. */
gsize    ss_lsq_work_size        (int max_kept, int n_out);

/* w_out (O, M) receives the refitted weights of the m kept features kept[0..m) (distinct
 * indices < D, in any order; w_out's columns follow it). ridge ≥ 0 adds λ = ridge·mean(diag)
 * of the kept block to its diagonal, so features that never vary (dead channels, padding) get
 * weight 0 instead of making the system singular; if the factorisation still fails, the relative
 * ridge becomes max (100·ridge, 1e-10), up to four times. work: ss_lsq_work_size (m, O) doubles (or more), contents
 * undefined after. Fails with SS_ERROR_VALUE only if no λ helps (non-finite rows). */
gboolean ss_lsq_solve            (const SsLsq *lsq, const int *kept, int m, double ridge,
                                  float *w_out, double *work, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsLsq, ss_lsq_free)

G_END_DECLS
