/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Axis ticks: "nice" steps of 1, 2 or 5 × 10^k, the range they cover, and their labels.  Plain
 * numbers, no drawing; ss-fig-axes.h draws them. */

#include <glib.h>

G_BEGIN_DECLS

#define SS_FIG_MAX_TICKS 16

typedef struct {
  double lo, hi;                     /* the axis range (the first and last tick, for nice
                                      * ticks) */
  double step;                       /* 1, 2 or 5 × 10^k */
  int    n;                          /* number of ticks, 2..SS_FIG_MAX_TICKS */
  double values[SS_FIG_MAX_TICKS];   /* ascending, step apart, within [lo, hi] */
} SsFigTicks;

/* Ticks for data in [lo, hi] with at most max_ticks ticks (clamped to 2..SS_FIG_MAX_TICKS):
 * the smallest step in {1, 2, 5} × 10^k for which floor (lo / step)·step ..
 * ceil (hi / step)·step needs no more than max_ticks ticks; the range is widened to those
 * multiples.  [0, 1] with 6 gives 0, 0.2, …, 1.  Degenerate input: lo == hi is widened around
 * the value (by ±5 % of it, or to [0, 1] for 0), non-finite bounds give [0, 1], and lo > hi is
 * swapped. */
void   ss_fig_nice_ticks   (double lo, double hi, int max_ticks, SsFigTicks *ticks);

/* Ticks for data in [lo, hi] on an axis that ends a little past the data, as matplotlib's
 * default margins: the axis range is [lo − pad_lo·(hi − lo), hi + pad_hi·(hi − lo)], and the
 * ticks are the multiples inside it of the smallest 1-2-5 step giving at most max_ticks of
 * them (if that leaves fewer than two, ss_fig_nice_ticks's range and ticks are used).  Points
 * at the data's extremes then stay off the axes.  Degenerate input is handled as above. */
void   ss_fig_data_ticks   (double lo, double hi, double pad_lo, double pad_hi, int max_ticks,
                            SsFigTicks *ticks);

/* A tick label for value v on an axis of the given step: just enough decimals to tell the
 * ticks apart (step 0.2 → "0.4", step 0.05 → "0.15", step 5 → "15"), a true minus sign
 * (U+2212) for negatives, and %g for very large or very small steps.
 * Returns: (transfer full): free with g_free. */
char  *ss_fig_format_tick  (double v, double step);

G_END_DECLS
