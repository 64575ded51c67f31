/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Spatial mutual information between each filter's activation maps and the class labels,
 * SPEC §5 (thesis §3.2): the criterion the thesis proposes in place of HRel's Rényi estimator.
 *
 * Legend: N samples, C filters of the layer, H W map size, K classes, B bins (B_mi).
 *
 * Definition, for the maps (N, C, H, W) of one layer:
 *   lo, hi = min and max over the whole layer (every filter, every sample)
 *   q = min (⌊((x − lo)/(hi − lo))·B⌋, B − 1)          (x' in double precision, as SPEC §1)
 *   For a set S of maps of one filter and an offset (k, l): the co-occurrence histogram of
 *   (q[i][j], q[i+k][j+l]) pooled over every map of S and every position where both cells are
 *   inside the map; H(S; k, l) its plug-in Shannon entropy, ln n − (1/n)·Σ c·ln c.
 *   H_s(S) = mean over the offsets (−1,0), (0,−1), (1,0), (0,1) of H(S; k, l)
 *   I_f = H_s(all N maps of f) − Σ_c p(c)·H_s(maps of f whose sample has class c),
 *   p(c) = N_c / N, the sum over the classes present among the N samples.
 * Reported in bits.  I_f ≥ 0: every map has the same number of pairs, so the pooled histogram
 * of all maps is the p(c)-mixture of the class histograms and the plug-in entropy is concave;
 * the result is clamped at 0 against rounding (−1e-16).
 *
 * Decisions where SPEC §5 is silent:
 * - H(S; −k, −l) = H(S; k, l) (one histogram is the transpose of the other), so two histograms
 *   per set are built, as ss-entropy.c does for one map.
 * - An offset without pairs (the vertical ones of 1×W maps) is left out of the mean, as in
 *   SPEC §1's AME; maps of 1×1 have none and are an error.
 * - A layer with hi == lo has I_f = 0 for every filter.  Any NaN or ±Inf is an error.
 * - No bias correction: a filter of pure noise scores about (B² − 1)·(K − 1)/(2n·ln 2) bits
 *   per offset, n the pairs pooled over all N maps (the plug-in MI's bias when the joint
 *   histogram is fully occupied), far below a filter whose maps encode the class. */

#include <gio/gio.h>

#include "ss-labels.h"

G_BEGIN_DECLS

#define SS_SPATIAL_MI_BINS_DEFAULT 32
#define SS_SPATIAL_MI_BINS_MAX     256   /* the codes are bytes */

/* scores (C) receives I_f in bits of every filter of maps (N, C, H, W); labels (N) are the
 * samples' classes, each < n_classes.  Runs the filters on n_threads OpenMP threads (≥ 1); the
 * result does not depend on it.  Allocates its scratch once (per thread: 4·B² counters and
 * one map's codes), never per filter.
 * Errors: SS_ERROR_ARGUMENT for bins outside [2, SS_SPATIAL_MI_BINS_MAX], n < 1, c < 1,
 * N·H·W ≥ 2³², a label ≥ n_classes; SS_ERROR_SHAPE for 1×1 maps; SS_ERROR_VALUE for NaN or
 * ±Inf in the maps; G_IO_ERROR_CANCELLED (checked between filters). */
gboolean ss_spatial_mi_layer (double        *scores,
                              const float   *maps,
                              const SsLabel *labels,
                              int            n,
                              int            c,
                              int            h,
                              int            w,
                              int            n_classes,
                              int            bins,
                              int            n_threads,
                              GCancellable  *cancellable,
                              GError       **error);

G_END_DECLS
