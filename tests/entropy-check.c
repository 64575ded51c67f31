/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Helpers shared by test-entropy.c and test-entropy-props.c (see entropy-check.h).
 * Legend: H W map size, N = H·W cells, B bins, R SDE radius, P permutations; maps (H, W) float.
 * Entropies below are in bits, as SsAmeResult reports them; H_R is a ratio (base-free). */

#include <math.h>
#include <string.h>

#include "entropy-check.h"

/* ---------------------------------------------------------------------------------------------
 * Wrappers and maps */

SsAmeOptions
entropy_check_opts (int bins, gboolean mm, int radius)
{
  SsAmeOptions o;

  ss_ame_options_init (&o);
  o.bins = bins;
  o.miller_madow = mm;
  o.radius = radius;
  return o;
}

SsAmeResult
entropy_check_ame (const float *x, int h, int w, SsAmeOptions o)
{
  g_autoptr (GError) error = NULL;
  const gsize size = ss_ame_scratch_size (h, w, &o);
  g_autofree gpointer scratch = g_malloc (size);
  SsAmeResult res;

  memset (scratch, 0x5a, size);
  g_assert_true (ss_ame_compute (&res, x, h, w, &o, scratch, size, &error));
  g_assert_no_error (error);
  return res;
}

SsAmeNull
entropy_check_null_of (const float *x, int h, int w, SsAmeOptions o, guint p, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  const gsize size = ss_ame_scratch_size (h, w, &o);
  g_autofree gpointer scratch = g_malloc (size);
  SsAmeNull res;
  SsRng rng;

  ss_rng_seed (&rng, seed);
  g_assert_true (ss_ame_null (&res, x, h, w, &o, p, &rng, scratch, size, &error));
  g_assert_no_error (error);
  return res;
}

/* 8×8 map, columns 0–3 at 0 and 4–7 at 1. */
void
entropy_check_fill_halves (float *x)
{
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++)
      x[i * 8 + j] = j < 4 ? 0.0f : 1.0f;
}

/* H×W map of integers in [0, levels) with 0 and levels − 1 both present. */
void
entropy_check_fill_levels (float *x, int h, int w, int levels, SsRng *rng)
{
  const int n = h * w;

  for (int i = 0; i < n; i++)
    x[i] = (float) ss_rng_below (rng, levels);
  x[0] = 0.0f;
  x[n - 1] = (float) (levels - 1);
}

/* ---------------------------------------------------------------------------------------------
 * A deliberately naive reference: quantize, one dense double histogram per offset (all offsets,
 * no symmetry), H = −Σ p·ln p.  It shares only SPEC §1's formulas with the library. */

static double
ref_entropy (const double *counts, gsize n_bins, double n, gboolean mm)
{
  double h = 0.0;
  int m = 0;

  for (gsize i = 0; i < n_bins; i++)
    if (counts[i] > 0)
      {
        h -= counts[i] / n * log (counts[i] / n);
        m++;
      }
  if (mm)
    h += (m - 1) / (2.0 * n);
  return h;
}

/* AME (R = 0) or SDE_R of x (H, W); NAN when no offset has pairs. */
double
entropy_check_ref_ame (const float *x, int h, int w, int bins, gboolean mm, int radius)
{
  const int n = h * w;
  g_autofree int *q = g_new (int, n);
  g_autofree double *marg = g_new0 (double, bins);
  g_autofree double *joint = g_new (double, (gsize) bins * bins);
  float lo = x[0], hi = x[0];
  double h0, total = 0.0;
  int count = 0;
  const int r = radius == 0 ? 1 : radius;

  for (int i = 0; i < n; i++)
    {
      lo = MIN (lo, x[i]);
      hi = MAX (hi, x[i]);
    }
  for (int i = 0; i < n; i++)
    {
      const double xp = ((double) x[i] - lo) / ((double) hi - lo);
      q[i] = MIN ((int) floor (xp * bins), bins - 1);
      marg[q[i]] += 1.0;
    }
  h0 = ref_entropy (marg, bins, n, mm);
  for (int k = -r; k <= r; k++)
    for (int l = -r; l <= r; l++)
      {
        double pairs = 0.0, hr;

        if ((k == 0 && l == 0) || (radius == 0 && k != 0 && l != 0))
          continue;
        memset (joint, 0, (gsize) bins * bins * sizeof (double));
        for (int i = 0; i < h; i++)
          for (int j = 0; j < w; j++)
            if (i + k >= 0 && i + k < h && j + l >= 0 && j + l < w)
              {
                joint[q[i * w + j] * bins + q[(i + k) * w + j + l]] += 1.0;
                pairs += 1.0;
              }
        if (pairs == 0.0)
          continue;
        hr = h0 > 0 ? CLAMP ((ref_entropy (joint, (gsize) bins * bins, pairs, mm) - h0) / h0,
                             0.0, 1.0) : 0.0;
        total += hr;
        count++;
      }
  return count > 0 ? total / count : NAN;
}
