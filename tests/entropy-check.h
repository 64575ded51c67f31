/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by test-entropy.c and test-entropy-props.c: option and call wrappers around
 * core/ss-entropy.h, test maps, and a naive reference AME.
 * Legend: H W map size, N = H·W cells, B bins, R SDE radius, P permutations; maps (H, W) float. */

#include <glib.h>

#include "ss-entropy-private.h"
#include "ss-rng.h"

G_BEGIN_DECLS

/* Default options with bins, Miller–Madow and radius set. */
SsAmeOptions entropy_check_opts (int bins, gboolean mm, int radius);

/* ss_ame_compute of x (H, W) with its own garbage-filled scratch; fails the test on error. */
SsAmeResult entropy_check_ame (const float *x, int h, int w, SsAmeOptions o);

/* ss_ame_null of x (H, W), P = p permutations from a generator seeded with seed; fails on error. */
SsAmeNull entropy_check_null_of (const float *x, int h, int w, SsAmeOptions o, guint p,
                                 guint64 seed);

/* Fills x (8, 8): columns 0–3 at 0 and 4–7 at 1. */
void entropy_check_fill_halves (float *x);

/* Fills x (H, W) with integers in [0, levels) from rng, 0 and levels − 1 both present. */
void entropy_check_fill_levels (float *x, int h, int w, int levels, SsRng *rng);

/* Naive reference AME (R = 0) or SDE_R of x (H, W) in B = bins; NAN when no offset has pairs. */
double entropy_check_ref_ame (const float *x, int h, int w, int bins, gboolean mm, int radius);

G_END_DECLS
