/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-rng.h"

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
ss_rng_seed (SsRng  *rng,
             guint64 seed)
{
  g_return_if_fail (rng != NULL);
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&seed);
}

guint64
ss_rng_next (SsRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint32
ss_rng_below (SsRng  *rng,
              guint32 bound)
{
  g_return_val_if_fail (bound > 0, 0);
  /* Lemire's multiply-shift with rejection: unbiased and branch-light. */
  guint64 m = (ss_rng_next (rng) >> 32) * (guint64) bound;
  guint32 low = (guint32) m;
  if (low < bound)
    {
      guint32 threshold = (guint32) (-bound) % bound;
      while (low < threshold)
        {
          m = (ss_rng_next (rng) >> 32) * (guint64) bound;
          low = (guint32) m;
        }
    }
  return (guint32) (m >> 32);
}

double
ss_rng_uniform (SsRng *rng)
{
  return (double) (ss_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
ss_rng_normal (SsRng *rng)
{
  double u1 = ss_rng_uniform (rng);
  double u2 = ss_rng_uniform (rng);
  /* 1 - u1 is in (0, 1], so the log is finite. */
  return sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * G_PI * u2);
}

void
ss_rng_shuffle (SsRng   *rng,
                guint32 *idx,
                gsize    n)
{
  for (gsize i = n; i > 1; i--)
    {
      guint32 j = ss_rng_below (rng, (guint32) i);
      guint32 t = idx[i - 1];
      idx[i - 1] = idx[j];
      idx[j] = t;
    }
}

void
ss_rng_split (SsRng *child,
              SsRng *parent)
{
  ss_rng_seed (child, ss_rng_next (parent));
}
