/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Spatial aura matrix entropy (AME) and spatial disorder entropy (SDE) of 2-D maps, SPEC §1.
 *
 * Legend: H W map height and width, C channels, B bins, R SDE radius, P permutations of the null.
 * Maps are float32, row-major, contiguous: one map is (H, W), a multi-channel one (C, H, W).
 *
 * Definition (SPEC §1):
 *   x' = (x − min)/(max − min), q = min (⌊x'·B⌋, B − 1)      (in double precision)
 *   H0 = entropy of the histogram of the H·W codes q
 *   H(k,l) = entropy of the joint histogram of (q[i][j], q[i+k][j+l]) over every (i,j) where
 *            both cells are inside the map
 *   H_R(k,l) = clamp ((H(k,l) − H0)/H0, 0, 1); H0 = 0 gives 0
 *   AME = mean of H_R over (−1,0), (0,−1), (1,0), (0,1)
 *   SDE_R = mean of H_R over every offset with 0 < max(|k|,|l|) ≤ R
 * Entropies are plug-in estimates computed in nats: H = ln n − (1/n)·Σ c·ln c over the counts c
 * of the n items.  With the Miller–Madow option each one (H0 and every H(k,l)) gets
 * + (m − 1)/(2n) nats, m = occupied bins.  Reported raw entropies are in bits.
 *
 * Decisions where SPEC §1 is silent (each is tested in tests/test-entropy.c):
 * - H(k,l) = H(−k,−l) because one joint histogram is the transpose of the other; only one of
 *   each pair is built.  A four-histogram reference path (ss-entropy-private.h) gives the same
 *   result bit for bit: the entropy of a histogram is summed over its count-of-counts, in order
 *   of increasing count, so it depends only on the multiset of counts, never on bin order.
 * - The four (or SDE's) H_R are averaged as ((H_R(−1,0) + H_R(1,0)) + (H_R(0,−1) + H_R(0,1)))/4,
 *   so a transposed map has bit-identical AME.
 * - An offset with no pair inside the map (e.g. vertical offsets of a 1×W map, or |k| ≥ H in
 *   SDE) is left out of the mean; n_offsets says how many were averaged.  A map where no offset
 *   has a pair — only the 1×1 map — is SS_AME_NOT_APPLICABLE, with ame = NAN (never 0).
 * - Checks run in this order: 1×1 (not applicable), any NaN/±Inf (SS_AME_NONFINITE, ame 0,
 *   entropies NAN), max == min (SS_AME_CONSTANT, ame 0, entropies 0).
 * - n_pairs is the number of pairs of the averaged offset that has fewest (for AME on H×W:
 *   min (H·(W−1), (H−1)·W); a 7×7 map has 42).  bias_dominated = n_pairs < B².
 * - bins = SS_AME_BINS_AUTO chooses the largest power of two ≤ √(H·W), clamped to [4, 256]
 *   (7×7 → 4, 28×28 → 16, 32×32 → 32, 1000×1000 → 256).  Explicit B is in [2, 4096].
 * - Multi-channel maps: the mean over channels of the per-channel AMEs.  A constant channel
 *   counts as AME 0 (SPEC: a constant map has AME 0) and is counted in n_constant; a channel
 *   with NaN/Inf is left out of the mean and counted in n_nonfinite.
 * - Null baseline: the codes q are shuffled with ss_rng_shuffle (P times in succession, each
 *   shuffle a fresh uniform permutation) and the AME (or SDE) of each shuffle is averaged; its
 *   standard deviation is the population one.  H0 does not change under permutation.  A map
 *   that is constant or non-finite has null 0 and draws nothing from the generator.
 *
 * Memory: the functions never allocate.  The caller passes scratch of ss_ame_scratch_size()
 * bytes, 4-byte aligned (g_malloc's is).  Joint histograms are dense B² counters (plus one bit
 * per counter) when B ≤ 256 or B² ≤ 2·H·W rounded up to a power of two, so about 270 KiB at
 * B = 256 whatever the map size; a small map touches only a few of them.  Otherwise they are an
 * open-addressing hash table of that power-of-two size. */

#include <glib.h>

#include "ss-rng.h"

G_BEGIN_DECLS

#define SS_AME_BINS_AUTO                  0
#define SS_AME_BINS_DEFAULT               256
#define SS_AME_BINS_MAX                   65536
#define SS_AME_NULL_PERMUTATIONS_DEFAULT  8
/* Largest H·W accepted (the codes and counts are 32-bit). */
#define SS_AME_MAX_CELLS                  (1u << 28)

typedef struct {
  int      bins;          /* B in [2, SS_AME_BINS_MAX], or SS_AME_BINS_AUTO; default 256 */
  gboolean miller_madow;  /* add (m − 1)/(2n) nats to each plug-in entropy; default FALSE */
  int      radius;        /* 0: AME (four neighbours); R ≥ 1: SDE_R; default 0 */
} SsAmeOptions;

typedef enum {
  SS_AME_OK,
  SS_AME_CONSTANT,        /* max == min: ame 0 */
  SS_AME_NONFINITE,       /* the map holds NaN or ±Inf: ame 0 */
  SS_AME_NOT_APPLICABLE,  /* no neighbour pair at all (1×1): ame NAN */
} SsAmeStatus;

typedef struct {
  SsAmeStatus status;
  double      ame;             /* [0, 1]; the SDE_R when radius > 0; 0 / NAN as status says */
  double      h0;              /* bits */
  /* bits, for offsets (−1,0), (0,−1), (1,0), (0,1); NAN for an offset without pairs */
  double      h_joint[4];
  double      h_rel[4];        /* H_R of the same four offsets; NAN without pairs */
  int         bins;            /* B actually used (auto resolved) */
  int         h, w;
  int         radius;          /* 0 = AME */
  gboolean    miller_madow;
  guint       n_offsets;       /* offsets averaged */
  gsize       n_cells;         /* H·W */
  gsize       n_pairs;         /* pairs of the averaged offset with fewest */
  guint       h0_occupied;     /* occupied bins m of the H0 histogram */
  gboolean    bias_dominated;  /* n_pairs < B² */
} SsAmeResult;

typedef struct {
  SsAmeStatus status;          /* as the map's */
  double      mean;            /* mean AME (SDE) of P permuted maps; 0 / NAN as status says */
  double      sd;              /* population standard deviation over the P */
  guint       n_permutations;
  int         bins;
} SsAmeNull;

typedef struct {
  /* SS_AME_OK when at least one channel is counted and not all of them are constant;
   * SS_AME_CONSTANT when every counted channel is constant; SS_AME_NONFINITE when no channel
   * is finite (mean 0); SS_AME_NOT_APPLICABLE for 1×1 maps (mean NAN). */
  SsAmeStatus status;
  double      mean;            /* mean AME over the counted channels */
  guint       n_channels;
  guint       n_counted;       /* channels in the mean, constant ones included */
  guint       n_constant;
  guint       n_nonfinite;     /* left out of the mean */
  int         bins;
  gsize       n_pairs;
  gboolean    bias_dominated;
} SsAmeChannels;

/* Defaults: B = 256, plug-in, AME. */
void     ss_ame_options_init  (SsAmeOptions *opt);
/* SS_ERROR_ARGUMENT for bins outside {AUTO} ∪ [2, 4096] or radius < 0. */
gboolean ss_ame_options_check (const SsAmeOptions *opt, GError **error);

/* Largest power of two ≤ √(H·W), clamped to [4, 256]. */
int      ss_ame_auto_bins     (int h, int w);
/* opt->bins, or ss_ame_auto_bins (h, w) when it is SS_AME_BINS_AUTO. */
int      ss_ame_resolve_bins  (const SsAmeOptions *opt, int h, int w);

/* Bytes of scratch that ss_ame_compute, ss_ame_null and ss_ame_compute_channels need for an
 * (H, W) map with these options; 0 when the options are invalid or H·W > SS_AME_MAX_CELLS. */
gsize    ss_ame_scratch_size  (int h, int w, const SsAmeOptions *opt);

/* res receives the AME (SDE) of x (H, W).  Returns FALSE with SS_ERROR_ARGUMENT only for invalid
 * options, a map without cells (H or W < 1) or one above SS_AME_MAX_CELLS; degenerate maps
 * return TRUE and say so in status.
 * scratch: scratch_size ≥ ss_ame_scratch_size (h, w, opt) bytes, contents undefined after. */
gboolean ss_ame_compute       (SsAmeResult        *res,
                               const float        *x,
                               int                 h,
                               int                 w,
                               const SsAmeOptions *opt,
                               gpointer            scratch,
                               gsize               scratch_size,
                               GError            **error);

/* Bytes of scratch for ss_ame_compute_batch on n_threads threads: one ss_ame_scratch_size each,
 * rounded up to whole cache lines; 0 when the options or size are invalid. */
gsize    ss_ame_batch_scratch_size (int h, int w, const SsAmeOptions *opt, int n_threads);

/* res (N) receives the AME (SDE) of each of the N = n_maps maps of x (N, H, W), bit for bit what
 * ss_ame_compute gives, on min (n_threads, N) threads (OpenMP) that take the maps one at a time.
 * Errors as ss_ame_compute's.
 * scratch: scratch_size ≥ ss_ame_batch_scratch_size (h, w, opt, n_threads) bytes. */
gboolean ss_ame_compute_batch (SsAmeResult        *res,
                               const float        *x,
                               int                 n_maps,
                               int                 h,
                               int                 w,
                               const SsAmeOptions *opt,
                               int                 n_threads,
                               gpointer            scratch,
                               gsize               scratch_size,
                               GError            **error);

/* Null baseline of x (H, W): mean and population s.d. of the AME (SDE) of n_permutations
 * (≥ 1; SS_AME_NULL_PERMUTATIONS_DEFAULT = 8) random permutations of its cells, drawn from rng. */
gboolean ss_ame_null          (SsAmeNull          *res,
                               const float        *x,
                               int                 h,
                               int                 w,
                               const SsAmeOptions *opt,
                               guint               n_permutations,
                               SsRng              *rng,
                               gpointer            scratch,
                               gsize               scratch_size,
                               GError            **error);

/* Mean AME over the C channels of x (C, H, W).  per_channel (C) (nullable) receives each
 * channel's ame (0 for constant and non-finite channels, NAN if not applicable).  scratch is
 * ss_ame_scratch_size (h, w, opt) bytes: one channel's worth. */
gboolean ss_ame_compute_channels (SsAmeChannels      *res,
                                  double             *per_channel,
                                  const float        *x,
                                  int                 c,
                                  int                 h,
                                  int                 w,
                                  const SsAmeOptions *opt,
                                  gpointer            scratch,
                                  gsize               scratch_size,
                                  GError            **error);

const char *ss_ame_status_to_string (SsAmeStatus status);

G_END_DECLS
