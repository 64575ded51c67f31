/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Mutual information of saliency maps for the information plane, SPEC §3.
 *
 * Legend: N values per map pair (H·W of the common grid), B bins (B_mi).
 *
 * The caller brings each pair of maps to one grid (ss_resize_bilinear, ss-resize.h) and to the
 * global [0, 1] range; this module quantizes both, q = min (⌊v·B⌋, B − 1), and pools the
 * (q_a, q_b) pairs of any number of samples into ONE joint B×B histogram.  Then
 *   I = H(a) + H(b) − H(a,b)   (plug-in entropies of the pooled marginals and joint, bits).
 *
 * Decisions where SPEC §3 is silent:
 * - Finite values outside [0, 1] are clamped to it (bilinear rounding can give 1 + ε).
 * - A pair where either value is NaN or ±Inf is skipped and counted (get_n_skipped).
 * - An empty histogram has I = 0 and entropies 0.
 * - I is clamped at 0 (the plug-in MI is ≥ 0; rounding can otherwise give −1e-16).
 * - No bias correction: the plug-in MI of independent maps is biased up by about
 *   (B − 1)²/(2n·ln 2) bits for n pooled pairs (32 bins, 50 × 28×28 pairs: 0.018 bits). */

#include <glib.h>

G_BEGIN_DECLS

#define SS_MI_BINS_DEFAULT 32
#define SS_MI_BINS_MAX     4096

typedef struct _SsMiHistogram SsMiHistogram;

/* An empty histogram of B × B bins.  Returns: (transfer full), or NULL with SS_ERROR_ARGUMENT
 * when bins is outside [2, SS_MI_BINS_MAX]. */
SsMiHistogram *ss_mi_histogram_new           (int bins, GError **error);
void           ss_mi_histogram_free          (SsMiHistogram *hist);
/* Back to empty, keeping B. */
void           ss_mi_histogram_clear         (SsMiHistogram *hist);
/* Adds the len pairs (a[i], b[i]): a (N), b (N), values in [0, 1].  No allocation. */
void           ss_mi_histogram_accumulate    (SsMiHistogram *hist,
                                              const float   *a,
                                              const float   *b,
                                              gsize          len);
int            ss_mi_histogram_get_bins      (const SsMiHistogram *hist);
/* Pairs counted so far. */
guint64        ss_mi_histogram_get_n         (const SsMiHistogram *hist);
/* Pairs skipped for NaN/Inf. */
guint64        ss_mi_histogram_get_n_skipped (const SsMiHistogram *hist);
/* Count of joint bin (qa, qb). */
guint64        ss_mi_histogram_get_count     (const SsMiHistogram *hist, int qa, int qb);

/* Plug-in entropies of the pooled histogram in bits; each pointer is nullable. */
void           ss_mi_entropies               (const SsMiHistogram *hist,
                                              double              *h_a,
                                              double              *h_b,
                                              double              *h_ab);
/* I(a; b) = H(a) + H(b) − H(a,b) in bits, ≥ 0. */
double         ss_mi_bits                    (const SsMiHistogram *hist);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsMiHistogram, ss_mi_histogram_free)

G_END_DECLS
