/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64: every random step of a run (initialisation, shuffling,
 * augmentation, dropout) draws from an SsRng the run owns, so a run is reproducible bit for bit.
 * The struct is public because it is a value type callers embed and copy. */
typedef struct {
  guint64 s[4];
} SsRng;

void    ss_rng_seed        (SsRng *rng, guint64 seed);
guint64 ss_rng_next        (SsRng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
guint32 ss_rng_below       (SsRng *rng, guint32 bound);
/* Uniform double in [0, 1) with 53 random bits. */
double  ss_rng_uniform     (SsRng *rng);
/* Standard normal (Box–Muller; one of the pair is discarded so the stream stays stateless). */
double  ss_rng_normal      (SsRng *rng);
/* Fisher–Yates shuffle of idx[0..n). */
void    ss_rng_shuffle     (SsRng *rng, guint32 *idx, gsize n);
/* An independent stream for a sub-task (e.g. one per worker thread). */
void    ss_rng_split       (SsRng *child, SsRng *parent);

G_END_DECLS
