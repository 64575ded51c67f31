/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Internals of ss-entropy.c that tests and benchmarks reach: the histogram storage can be forced
 * and the four-histogram reference path (one joint histogram per offset, the literal SPEC §1
 * step 3) can be selected, so tests can assert every combination gives the same bits. */

#include "ss-entropy.h"

G_BEGIN_DECLS

typedef enum {
  SS_AME_HIST_AUTO,   /* dense when B² ≤ hash size, else hash (what the public API uses) */
  SS_AME_HIST_DENSE,  /* B² counters, cleared with memset per histogram */
  SS_AME_HIST_HASH,   /* open addressing, power-of-two size ≥ 2·H·W, linear probing */
} SsAmeHistMode;

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

G_END_DECLS
