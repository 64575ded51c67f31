/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Matrix-based Rényi α-entropy mutual information between each filter's activation maps and
 * the class labels (Giraldo, Rao & Príncipe 2015, "Measures of entropy from data using
 * infinitely divisible kernels"), the estimator of HRel (Sarvani et al. 2022) and the baseline
 * of SPEC §5.
 *
 * Legend: N samples, C filters, H W map size, d = H·W, K classes, α the order.
 *
 * Definition, for filter f with its N maps flattened to x_1 … x_N ∈ R^d:
 *   D_ij = ‖x_i − x_j‖²
 *   σ² = the median of D_ij over the N(N−1)/2 pairs i < j (numpy.median's median: the mean of
 *        the two middle values when the count is even).  If that median is 0 (most maps
 *        identical), σ² = the mean of the positive D_ij; if no D_ij is positive the maps carry
 *        no information and I = 0.
 *   K_ij = exp (−D_ij / (2σ²)),  A = K / tr K  (= K / N)
 *   L_ij = ⟨e_{y_i}, e_{y_j}⟩ = [y_i = y_j]  (the one-hot vectors' linear Gram),  B = L / tr L
 *   S_α(M) = log₂ (Σ_i λ_i(M)^α) / (1 − α), λ the eigenvalues, negative ones (rounding) as 0;
 *            α = 1 is the limit −Σ λ log₂ λ
 *   I_f = S_α(A) + S_α(B) − S_α(A∘B / tr (A∘B)), in bits.
 *
 * Kernel width: the median heuristic.  It is scale-free (scaling a filter's maps leaves K and
 * I unchanged) and keeps K away from both degenerate ends in any dimension; Silverman's rule
 * σ = s·N^(−1/(4+d)) on the per-cell spread s makes D_ij/(2σ²) ≈ d, so for d = 256 every
 * off-diagonal K_ij is about e^(−256), A → I/N and every filter gets the same I = S_α(B).  HRel
 * instead searches σ to maximise the kernel alignment with the labels at every epoch, which is
 * the cost the thesis removes; a fixed rule makes this baseline a lower bound on HRel's time.
 * L is HRel's label kernel too: its Gaussian of width 0.1 on one-hot vectors is [y_i = y_j] up
 * to e^(−200).
 *
 * How it is computed (the same numbers, fewer operations):
 * - The samples are ordered by class, so L is block diagonal and A∘B / tr (A∘B) = (K∘L)/N is
 *   the block diagonal of K/N: its spectrum is the union of the spectra of the K class blocks
 *   K_cc / N, each N_c×N_c, instead of one N×N eigenproblem.
 * - S_α(B) has the closed form log₂ (Σ_c (N_c/N)^α) / (1 − α): L_cc is all ones.
 * - The maps are centred (the mean map subtracted: distances do not change) and the Gram
 *   X·Xᵀ is one cblas_ssyrk in float32; D_ij = G_ii + G_jj − 2G_ij and everything after it is
 *   in double, and the eigenvalues come from LAPACK's dsyevd (eigenvalues only) in OpenBLAS. */

#include <gio/gio.h>

#include "ss-labels.h"

G_BEGIN_DECLS

#define SS_RENYI_ALPHA_DEFAULT 1.01

/* scores (C) receives I_f in bits, and sigmas (C) (nullable) each filter's kernel width σ (0 for
 * a filter whose maps are all equal), for maps (N, C, H, W) with labels (N) < n_classes.
 * alpha > 0.  Runs the filters on n_threads OpenMP threads (≥ 1) and sets OpenBLAS to one
 * thread, as ss_net_new does; the result does not depend on the thread count.  Allocates its
 * workspace once per call (per thread about 3·N² doubles, N² floats and N·d floats).
 * Errors: SS_ERROR_ARGUMENT for n < 2 or > 8192 (the workspace grows as N²), c < 1, an empty
 * map, alpha ≤ 0 or not finite, a label ≥ n_classes; SS_ERROR_VALUE for NaN or ±Inf in the maps or an eigensolver failure;
 * G_IO_ERROR_CANCELLED (checked between filters). */
gboolean ss_renyi_mi_layer (double        *scores,
                            double        *sigmas,
                            const float   *maps,
                            const SsLabel *labels,
                            int            n,
                            int            c,
                            int            h,
                            int            w,
                            int            n_classes,
                            double         alpha,
                            int            n_threads,
                            GCancellable  *cancellable,
                            GError       **error);

/* S_α of the n×n symmetric positive semi-definite matrix m (N, N) with trace 1, in bits, through
 * the same eigensolver; for tests.  m is overwritten.  NAN if the solver fails. */
double   ss_renyi_entropy  (double *m,
                            int     n,
                            double  alpha);

G_END_DECLS
