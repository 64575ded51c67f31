/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Internals of ss-entropy.c and its histogram kernels in ss-entropy-hist.c, for those two files,
 * tests and benchmarks: the histogram storage can be forced and the four-histogram reference
 * path (one joint histogram per offset, the literal SPEC §1 step 3) can be selected, so tests
 * can assert every combination gives the same bits; the quantisation can be checked alone.
 *
 * Legend: H W map size, N = H·W cells, B bins, T hash-table slots (a power of two ≥ 2·N),
 * (k, l) an offset (rows, columns).
 *
 * Scratch layout, in this order (the 32-bit arrays first, so each is aligned):
 *   cc    (N + 1)   guint32  count-of-counts: cc[c] = bins holding c items (up to a bound;
 *                            larger counts are listed after it, ss-entropy-hist.c's CC_DIRECT)
 *   keys  (N)       guint32  keys of some of one histogram's items        (SS_AME_HIST_DENSE)
 *   bits  (⌈B²/32⌉) guint32  one bit per key: seen yet?                   (SS_AME_HIST_DENSE)
 *   marg  (B)       guint32  histogram of q for H0
 *   hist  (B²)      guint32  dense joint histogram, key a·B + b           (SS_AME_HIST_DENSE;
 *                            read as B² guint16 counters when N ≤ 65535 and it is scanned)
 *         (2·T)     guint32  or hash slots {key, count}, count 0 = empty  (SS_AME_HIST_HASH)
 *   q     (N)       guint16  bin codes of the map (B ≤ 65536)
 * Every histogram holds at most N distinct keys and T ≥ 2N, so the load stays ≤ 1/2. */

#include "ss-entropy.h"

G_BEGIN_DECLS

typedef enum {
  SS_AME_HIST_AUTO,   /* dense when B² ≤ max (2^16, T), else hash (what the public API uses) */
  SS_AME_HIST_DENSE,  /* B² counters, counted either way of ss-entropy-hist.c */
  SS_AME_HIST_HASH,   /* open addressing, power-of-two size ≥ 2·H·W, linear probing */
} SsAmeHistMode;

/* One map's work: sizes, options and the scratch cut up as above. */
typedef struct {
  int            h, w, bins;
  gboolean       mm;
  int            radius;
  SsAmeHistMode  mode;        /* DENSE or HASH, resolved */
  gsize          n;           /* cells */
  guint32        hash_mask;   /* T − 1 */
  int            hash_shift;  /* 32 − log2 T */
  guint32       *cc;          /* (N + 1) */
  guint32       *keys;        /* (N), dense only */
  guint32       *bits;        /* (⌈B²/32⌉), dense only */
  guint32       *marg;        /* (B) */
  guint32       *hist;        /* (B²) or (2·T) */
  guint16       *q;           /* (N) */
  gsize          hist_zero_bytes;  /* hist's first bytes known to be zero (it starts as
                                    * garbage; a scan clears its 16- or 32-bit table) */
} SsAmeWork;

gsize    ss_ame_scratch_size_mode (int h, int w, const SsAmeOptions *opt, SsAmeHistMode mode);

/* ss_ame_compute with the storage forced and, when four_histograms, every one of the offsets
 * (±k, ±l) built separately instead of once per ± pair.  Scratch from
 * ss_ame_scratch_size_mode (h, w, opt, mode). */
gboolean ss_ame_compute_mode      (SsAmeResult        *res,
                                   const float        *x,
                                   int                 h,
                                   int                 w,
                                   const SsAmeOptions *opt,
                                   gboolean            four_histograms,
                                   SsAmeHistMode       mode,
                                   gpointer            scratch,
                                   gsize               scratch_size,
                                   GError            **error);

/* The codes q (N) of x (N) in B = bins, as SPEC §1 step 1 computes them in double precision.
 * Returns SS_AME_NONFINITE (x holds NaN or ±Inf), SS_AME_CONSTANT (max == min; q untouched) or
 * SS_AME_OK. */
SsAmeStatus ss_ame_quantize       (guint16     *q,
                                   const float *x,
                                   gsize        n,
                                   int          bins);

/* Entropy in nats of the joint histogram of (q[i][j], q[i+k][j+l]) over wk->q; the offset has
 * pairs.  *row_sums asks for the histogram of the pairs' first codes in wk->marg and says on
 * return whether it is there (it never is for a hashed histogram). */
double   ss_ame_joint_nats        (SsAmeWork *wk,
                                   int        k,
                                   int        l,
                                   gboolean  *row_sums);

/* H0 in nats of wk->q.  If from_rows, wk->marg holds the histogram of the first codes of offset
 * (k, l)'s pairs (ss_ame_joint_nats's row sums) and only the other cells are counted; else all
 * are.  *occupied (nullable) receives the occupied bins m. */
double   ss_ame_h0_nats           (SsAmeWork *wk,
                                   gboolean   from_rows,
                                   int        k,
                                   int        l,
                                   guint     *occupied);

G_END_DECLS
