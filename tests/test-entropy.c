/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial aura matrix entropy, SDE and the permutation null (core/ss-entropy.h, SPEC §1).
 * Legend: H W map size, N = H·W cells, B bins, R SDE radius, P permutations; maps (H, W) float.
 * Entropies below are in bits, as SsAmeResult reports them; H_R is a ratio (base-free). */

#include <math.h>
#include <string.h>

#include "ss-entropy-private.h"
#include "ss-error.h"
#include "ss-rng.h"
#include "ss-test-util.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers */

static SsAmeOptions
opts (int bins, gboolean mm, int radius)
{
  SsAmeOptions o;

  ss_ame_options_init (&o);
  o.bins = bins;
  o.miller_madow = mm;
  o.radius = radius;
  return o;
}

/* ss_ame_compute_mode with its own scratch; fails the test on error. */
static SsAmeResult
ame_mode (const float *x, int h, int w, SsAmeOptions o, gboolean four, SsAmeHistMode mode)
{
  g_autoptr (GError) error = NULL;
  const gsize size = ss_ame_scratch_size_mode (h, w, &o, mode);
  g_autofree gpointer scratch = g_malloc (size);
  SsAmeResult res;

  g_assert_cmpuint (size, >, 0);
  /* Garbage in the scratch: nothing may depend on it being zero. */
  memset (scratch, 0xa5, size);
  g_assert_true (ss_ame_compute_mode (&res, x, h, w, &o, four, mode, scratch, size, &error));
  g_assert_no_error (error);
  return res;
}

static SsAmeResult
ame (const float *x, int h, int w, SsAmeOptions o)
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

static SsAmeNull
null_of (const float *x, int h, int w, SsAmeOptions o, guint p, guint64 seed)
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

/* Two results agree field by field, doubles bit for bit (NaN included). */
#define assert_same_double(a, b) g_assert_cmpmem (&(a), sizeof (double), &(b), sizeof (double))

static void
assert_same_result (const SsAmeResult *a, const SsAmeResult *b)
{
  g_assert_cmpint (a->status, ==, b->status);
  assert_same_double (a->ame, b->ame);
  assert_same_double (a->h0, b->h0);
  for (int i = 0; i < 4; i++)
    {
      assert_same_double (a->h_joint[i], b->h_joint[i]);
      assert_same_double (a->h_rel[i], b->h_rel[i]);
    }
  g_assert_cmpint (a->bins, ==, b->bins);
  g_assert_cmpint (a->h, ==, b->h);
  g_assert_cmpint (a->w, ==, b->w);
  g_assert_cmpint (a->radius, ==, b->radius);
  g_assert_cmpint (a->miller_madow, ==, b->miller_madow);
  g_assert_cmpuint (a->n_offsets, ==, b->n_offsets);
  g_assert_cmpuint (a->n_cells, ==, b->n_cells);
  g_assert_cmpuint (a->n_pairs, ==, b->n_pairs);
  g_assert_cmpuint (a->h0_occupied, ==, b->h0_occupied);
  g_assert_cmpint (a->bias_dominated, ==, b->bias_dominated);
}

/* 8×8 map, columns 0–3 at 0 and 4–7 at 1. */
static void
fill_halves (float *x)
{
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++)
      x[i * 8 + j] = j < 4 ? 0.0f : 1.0f;
}

/* H×W map of integers in [0, levels) with 0 and levels − 1 both present. */
static void
fill_levels (float *x, int h, int w, int levels, SsRng *rng)
{
  const int n = h * w;

  for (int i = 0; i < n; i++)
    x[i] = (float) ss_rng_below (rng, levels);
  x[0] = 0.0f;
  x[n - 1] = (float) (levels - 1);
}

/* Gaussian bump of s.d. sigma centred on an H×W map. */
static void
fill_bump (float *x, int h, int w, double sigma)
{
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      {
        const double di = i - (h - 1) / 2.0, dj = j - (w - 1) / 2.0;
        x[i * w + j] = (float) exp (-(di * di + dj * dj) / (2.0 * sigma * sigma));
      }
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
static double
ref_ame (const float *x, int h, int w, int bins, gboolean mm, int radius)
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

/* ---------------------------------------------------------------------------------------------
 * Tests */

static void
test_auto_bins (void)
{
  static const struct { int h, w, bins; } cases[] = {
    { 7, 7, 4 },          /* √49 = 7 → 4 */
    { 28, 28, 16 },       /* 28 → 16 */
    { 32, 32, 32 },       /* exactly 32 */
    { 1000, 1000, 256 },  /* 1000 → 512, clamped to 256 */
    { 1, 1, 4 },          /* 1 → 1, clamped up to 4 */
    { 3, 5, 4 },          /* √15 = 3.9 → 2 → 4 */
    { 16, 16, 16 },
    { 17, 17, 16 },
    { 8, 32, 16 },        /* √256 = 16 */
    { 14, 14, 8 },        /* √196 = 14 → 8 */
    { 2048, 2048, 256 },
  };
  SsAmeOptions o = opts (SS_AME_BINS_AUTO, FALSE, 0);

  g_test_summary ("auto bins = largest power of two ≤ √(H·W), clamped to [4, 256].");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpint (ss_ame_auto_bins (cases[i].h, cases[i].w), ==, cases[i].bins);
      g_assert_cmpint (ss_ame_resolve_bins (&o, cases[i].h, cases[i].w), ==, cases[i].bins);
    }
  o.bins = 64;
  g_assert_cmpint (ss_ame_resolve_bins (&o, 7, 7), ==, 64);

  /* The result states the B it used. */
  float x[49];
  ss_test_fill_uniform (x, 49, 0.0f, 1.0f, 3);
  g_assert_cmpint (ame (x, 7, 7, opts (SS_AME_BINS_AUTO, FALSE, 0)).bins, ==, 4);
}

static void
test_constant (void)
{
  float x[6 * 5];
  SsAmeResult r;
  SsAmeNull nul;
  SsRng rng, before;
  g_autoptr (GError) error = NULL;
  SsAmeOptions o = opts (256, FALSE, 0);
  const gsize size = ss_ame_scratch_size (6, 5, &o);
  g_autofree gpointer scratch = g_malloc (size);

  g_test_summary ("A constant map has AME 0 and status CONSTANT (not a crash, not N/A); its "
                  "null is 0 and draws nothing from the generator.");
  for (int i = 0; i < 30; i++)
    x[i] = 3.25f;
  r = ame (x, 6, 5, o);
  g_assert_cmpint (r.status, ==, SS_AME_CONSTANT);
  g_assert_cmpfloat (r.ame, ==, 0.0);
  g_assert_cmpfloat (r.h0, ==, 0.0);
  g_assert_cmpuint (r.h0_occupied, ==, 1);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (r.h_joint[i], ==, 0.0);
  g_assert_cmpuint (r.n_pairs, ==, 24);  /* min (6·4, 5·5) */
  g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "constant");

  r = ame (x, 6, 5, opts (4, TRUE, 2));
  g_assert_cmpint (r.status, ==, SS_AME_CONSTANT);
  g_assert_cmpfloat (r.ame, ==, 0.0);

  ss_rng_seed (&rng, 9);
  before = rng;
  g_assert_true (ss_ame_null (&nul, x, 6, 5, &o, 8, &rng, scratch, size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nul.status, ==, SS_AME_CONSTANT);
  g_assert_cmpfloat (nul.mean, ==, 0.0);
  g_assert_cmpmem (&rng, sizeof rng, &before, sizeof before);
}

static void
test_halves (void)
{
  /* 8×8, left half (columns 0–3) 0, right half 1.  With B = 2: x' = 0 → q 0, x' = 1 → ⌊2⌋ = 2
   * → clamped to q 1.  With B = 256 the codes are 0 and 255: the same partition, the same
   * entropies.
   *   H0: 32 + 32 cells → H(1/2, 1/2) = 1 bit.
   *   Horizontal offsets (0,±1): 7 pairs per row, 56 in all; in a row 3 (0,0), one (0,1) across
   *   the edge, 3 (1,1) → counts 24, 8, 24 → p = 3/7, 1/7, 3/7:
   *     H = 2·(3/7)·log2 (7/3) + (1/7)·log2 7 = log2 7 − (6/7)·log2 3 = 1.448815636… bits,
   *     H_R = (1.448815636 − 1)/1 = 0.448815636.
   *   Vertical offsets (±1,0): columns are constant, 28 (0,0) and 28 (1,1) → H = 1 bit, H_R = 0.
   *   AME = (2·0.448815636 + 2·0)/4 = 0.224407818.
   * n_pairs = 56 per offset: ≥ 2² = 4 (not bias-dominated) but < 256² (bias-dominated). */
  float x[64];
  const double hh = log2 (7.0) - 6.0 / 7.0 * log2 (3.0);
  const int bin_counts[2] = { 2, 256 };

  g_test_summary ("Two flat halves on 8×8: H0, joint entropies, H_R and AME by hand, B = 2 "
                  "and 256.");
  fill_halves (x);
  g_assert_cmpfloat_with_epsilon (hh, 1.448815636, 1e-9);
  for (int b = 0; b < 2; b++)
    {
      SsAmeResult r = ame (x, 8, 8, opts (bin_counts[b], FALSE, 0));

      g_assert_cmpint (r.status, ==, SS_AME_OK);
      g_assert_cmpint (r.bins, ==, bin_counts[b]);
      g_assert_cmpuint (r.n_cells, ==, 64);
      g_assert_cmpuint (r.n_pairs, ==, 56);
      g_assert_cmpuint (r.n_offsets, ==, 4);
      g_assert_cmpuint (r.h0_occupied, ==, 2);
      g_assert_true (r.bias_dominated == (b == 1));
      g_assert_cmpfloat_with_epsilon (r.h0, 1.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (r.h_joint[0], 1.0, 1e-12);  /* (−1,0) */
      g_assert_cmpfloat_with_epsilon (r.h_joint[2], 1.0, 1e-12);  /* (1,0) */
      g_assert_cmpfloat_with_epsilon (r.h_joint[1], hh, 1e-12);   /* (0,−1) */
      g_assert_cmpfloat_with_epsilon (r.h_joint[3], hh, 1e-12);   /* (0,1) */
      g_assert_cmpfloat_with_epsilon (r.h_rel[0], 0.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (r.h_rel[1], hh - 1.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (r.ame, (hh - 1.0) / 2.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (r.ame, 0.224407818, 1e-9);
    }
}

static void
test_checkerboard (void)
{
  /* q[i][j] = (i + j) mod 2, B = 2: every neighbour of a 0 is a 1 and vice versa — the
   * neighbour is fully determined, H(k,l) − H0 measures only the marginal mismatch.
   * 8×8: 32 zeros and 32 ones, H0 = 1 bit.  Each row of 8 has 7 alternating pairs; over the
   *   8 rows 28 (0,1) and 28 (1,0) → H = 1 bit; columns the same.  H_R = 0, AME = 0.
   * 7×7: 25 zeros and 24 ones, H0 = log2 49 − (25·log2 25 + 24·log2 24)/49 = 0.999699543 bits.
   *   A row of 7 has 6 pairs, 3 (0,1) and 3 (1,0), whatever its first cell, so the 42
   *   horizontal pairs split 21/21 → H = 1 bit, and likewise vertically.
   *   H_R = (1 − 0.999699543)/0.999699543 = 3.00547e-4 for all four offsets = AME. */
  float x8[64], x7[49];
  const double h0_7 = log2 (49.0) - (25.0 * log2 (25.0) + 24.0 * log2 (24.0)) / 49.0;
  SsAmeResult r;

  g_test_summary ("Checkerboards: 8×8 gives AME 0, 7×7 gives (1 − H0)/H0 = 3.005e-4 by hand.");
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++)
      x8[i * 8 + j] = (float) ((i + j) % 2);
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++)
      x7[i * 7 + j] = (float) ((i + j) % 2);

  r = ame (x8, 8, 8, opts (2, FALSE, 0));
  g_assert_cmpint (r.status, ==, SS_AME_OK);
  g_assert_cmpfloat_with_epsilon (r.h0, 1.0, 1e-12);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (r.h_joint[i], 1.0, 1e-12);
  g_assert_cmpfloat (r.ame, <, 1e-12);

  r = ame (x7, 7, 7, opts (2, FALSE, 0));
  g_assert_cmpfloat_with_epsilon (h0_7, 0.999699543, 1e-9);
  g_assert_cmpfloat_with_epsilon (r.h0, h0_7, 1e-12);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (r.h_joint[i], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.ame, (1.0 - h0_7) / h0_7, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.ame, 3.00547e-4, 1e-9);
  g_assert_cmpuint (r.n_pairs, ==, 42);
  g_assert_false (r.bias_dominated);  /* 42 ≥ 4 */

  /* B = 256 on the same 7×7 map: the same partition (codes 0 and 255), so the same AME; but
   * 42 pairs < 65536 and the result says so. */
  SsAmeResult r256 = ame (x7, 7, 7, opts (256, FALSE, 0));
  g_assert_cmpfloat (r256.ame, ==, r.ame);
  g_assert_true (r256.bias_dominated);
}

static void
test_noise_large (void)
{
  /* I.i.d. uniform noise, 512×512, B = 16: the true H_R is exactly 1 (independent neighbours,
   * H(k,l) = 2·ln B, H0 = ln B).  The plug-in entropy of n items in m equiprobable bins
   * underestimates by (m − 1)/(2n) nats on average (Miller–Madow; 2n·(H − Ĥ) → χ²_(m−1)), so
   *   E[Ĥ(k,l)] ≈ 2·ln B − (B² − 1)/(2·n_p),   n_p = 512·511 = 261632 pairs,
   *   E[Ĥ0]     ≈ ln B − (B − 1)/(2·N),         N = 262144 cells,
   *   1 − E[H_R] ≈ [(B² − 1)/(2·n_p) − 2·(B − 1)/(2·N)] / ln B
   *             = [255/523264 − 30/524288] / 2.7725887 = (4.8733e-4 − 5.722e-5)/2.7726
   *             = 1.5513e-4 = d.
   * Spread: sd(Ĥ(k,l)) ≈ √(2·(B² − 1))/(2·n_p) = 4.32e-5 nats and sd(Ĥ0) ≈ √(2·(B − 1))/(2N)
   * = 1.04e-5 nats, so sd(H_R) ≈ √(4.32² + (2·1.04)²)·1e-5/ln B = 1.73e-5; the mean of the
   * four is no more spread than one.  Assert |(1 − AME) − d| < 5·1.73e-5 = 8.7e-5.
   * Miller–Madow adds back exactly those (m − 1)/(2n): the corrected AME is 1 within the same
   * 8.7e-5 (and never above 1: each H_R is clamped). */
  const int side = 512, bins = 16;
  const gsize n = (gsize) side * side;
  g_autofree float *x = g_new (float, n);
  const double np = side * (side - 1.0), nc = (double) n;
  const double d = ((bins * bins - 1.0) / (2.0 * np) - 2.0 * (bins - 1.0) / (2.0 * nc))
                   / log (bins);
  const double tol = 5.0 * 1.73e-5;
  SsAmeResult r, rmm;

  g_test_summary ("512×512 uniform noise at B = 16: AME = 1 − d, d = the plug-in bias, within "
                  "5 sd; with Miller–Madow, 1 within 5 sd.");
  ss_test_fill_uniform (x, n, 0.0f, 1.0f, 2024);
  r = ame (x, side, side, opts (bins, FALSE, 0));
  rmm = ame (x, side, side, opts (bins, TRUE, 0));
  g_test_message ("noise 512×512 B=16: 1 − AME = %.3e (predicted %.3e), with MM %.3e",
                  1.0 - r.ame, d, 1.0 - rmm.ame);
  g_assert_cmpfloat_with_epsilon (d, 1.5513e-4, 1e-7);
  g_assert_cmpint (r.status, ==, SS_AME_OK);
  g_assert_false (r.bias_dominated);
  g_assert_cmpfloat (fabs ((1.0 - r.ame) - d), <, tol);
  g_assert_cmpfloat (rmm.ame, <=, 1.0);
  g_assert_cmpfloat (1.0 - rmm.ame, <, tol);
  g_assert_cmpfloat_with_epsilon (r.h0, 4.0, 1e-3);
}

/* Sizes deliberately odd, thin, or both. */
static const int odd_sizes[][2] = {
  { 3, 5 }, { 7, 7 }, { 9, 4 }, { 13, 11 }, { 1, 9 }, { 9, 1 }, { 2, 2 }, { 31, 29 },
  { 5, 63 },
};

static void
test_two_vs_four (void)
{
  static const int bin_list[] = { 2, 3, 4, 16, 256, SS_AME_BINS_AUTO };
  SsRng rng;
  guint n_checked = 0;

  g_test_summary ("Two histograms (H(1,0) = H(−1,0), H(0,1) = H(0,−1)) and the four-histogram "
                  "reference give the same bits, as do dense and hashed storage; both match a "
                  "naive reference to 1e-12.");
  ss_rng_seed (&rng, 77);
  for (gsize s = 0; s < G_N_ELEMENTS (odd_sizes); s++)
    {
      const int h = odd_sizes[s][0], w = odd_sizes[s][1];
      g_autofree float *x = g_new (float, h * w);

      for (int kind = 0; kind < 2; kind++)
        {
          /* kind 0: continuous values; kind 1: few levels, so many ties and repeated pairs. */
          if (kind == 0)
            ss_test_fill_uniform (x, (gsize) h * w, -2.0f, 5.0f, 500 + s);
          else
            fill_levels (x, h, w, 3, &rng);

          for (gsize b = 0; b < G_N_ELEMENTS (bin_list); b++)
            for (int mm = 0; mm < 2; mm++)
              for (int radius = 0; radius <= 2; radius++)
                {
                  const SsAmeOptions o = opts (bin_list[b], mm, radius);
                  const int bins = ss_ame_resolve_bins (&o, h, w);
                  SsAmeResult two = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_AUTO);
                  SsAmeResult four = ame_mode (x, h, w, o, TRUE, SS_AME_HIST_AUTO);
                  SsAmeResult dense = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_DENSE);
                  SsAmeResult hash4 = ame_mode (x, h, w, o, TRUE, SS_AME_HIST_HASH);
                  SsAmeResult pub = ame (x, h, w, o);

                  assert_same_result (&two, &four);
                  assert_same_result (&two, &dense);
                  assert_same_result (&two, &hash4);
                  assert_same_result (&two, &pub);
                  g_assert_cmpint (two.status, ==, SS_AME_OK);
                  g_assert_cmpfloat_with_epsilon (two.ame, ref_ame (x, h, w, bins, mm, radius),
                                                  1e-12);
                  n_checked++;
                }
        }
    }
  g_test_message ("%u map × option combinations identical bit for bit", n_checked);
}

static void
test_invariance (void)
{
  /* Affine maps a·x + b (a > 0) leave x' = (x − min)/(max − min) unchanged in exact arithmetic.
   * In floating point x' can move by a few ulps, which changes a code only for a value within
   * those ulps of a bin edge.  Integer maps in [0, L) with 0 and L − 1 present have
   * x'·B = v·B/(L − 1) = v + v/(L − 1): an integer only for v = 0 (x' exactly 0) and v = L − 1
   * (x' exactly 1, the max), and otherwise at least 1/(L − 1) from one — far beyond rounding.
   * So for them every code, hence every entropy, is unchanged: bit-identical results.
   * Transposing maps offset (k,l) to (l,k): H0 is the same multiset of codes, each joint
   * histogram becomes another offset's histogram, and AME's mean pairs the four symmetrically,
   * so AME is bit-identical and h_joint swaps (−1,0) ↔ (0,−1), (1,0) ↔ (0,1). */
  static const double affine[][2] = { { 2.0, 0.0 }, { 3.7, -12.5 }, { 0.001, 1000.0 },
                                      { 1e4, 3.0 }, { 0.37, -0.2 } };
  SsRng rng;

  g_test_summary ("AME is unchanged bit for bit by a·x + b (a > 0) on maps where no value "
                  "sits at a bin edge, and by transposition.");
  ss_rng_seed (&rng, 31);
  for (gsize s = 0; s < G_N_ELEMENTS (odd_sizes); s++)
    {
      const int h = odd_sizes[s][0], w = odd_sizes[s][1];
      const gsize n = (gsize) h * w;
      g_autofree float *x = g_new (float, n);
      g_autofree float *y = g_new (float, n);
      g_autofree float *t = g_new (float, n);

      for (int levels_i = 0; levels_i < 2; levels_i++)
        {
          const int bins = levels_i == 0 ? 16 : 256;
          const int levels = levels_i == 0 ? 11 : 200;
          SsAmeResult r = { 0 };

          fill_levels (x, h, w, levels, &rng);
          r = ame (x, h, w, opts (bins, FALSE, 0));
          for (gsize a = 0; a < G_N_ELEMENTS (affine); a++)
            {
              for (gsize i = 0; i < n; i++)
                y[i] = (float) (affine[a][0] * x[i] + affine[a][1]);
              SsAmeResult ry = ame (y, h, w, opts (bins, FALSE, 0));
              assert_same_result (&r, &ry);
            }

          for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
              t[j * h + i] = x[i * w + j];
          SsAmeResult rt = ame (t, w, h, opts (bins, FALSE, 0));
          g_assert_cmpfloat (rt.ame, ==, r.ame);
          g_assert_cmpfloat (rt.h0, ==, r.h0);
          g_assert_cmpmem (&rt.h_joint[0], sizeof (double), &r.h_joint[1], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[1], sizeof (double), &r.h_joint[0], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[2], sizeof (double), &r.h_joint[3], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[3], sizeof (double), &r.h_joint[2], sizeof (double));
          /* SDE sums its offsets in another order once transposed: equal to rounding. */
          g_assert_cmpfloat_with_epsilon (ame (t, w, h, opts (bins, FALSE, 2)).ame,
                                          ame (x, h, w, opts (bins, FALSE, 2)).ame, 1e-14);
        }
    }
}

static void
test_not_applicable (void)
{
  const float one = 0.5f, nan1 = NAN;
  float row[5] = { 0, 1, 1, 0, 1 };
  SsAmeResult r;
  SsAmeNull nul;
  double per[2];
  SsAmeChannels ch;
  g_autoptr (GError) error = NULL;
  SsAmeOptions o = opts (256, FALSE, 0);
  gsize size = ss_ame_scratch_size (1, 1, &o);
  g_autofree gpointer scratch = g_malloc (size);
  const float two[2] = { 0.1f, 0.9f };

  g_test_summary ("A 1×1 map has no neighbour pair: NOT_APPLICABLE with ame NAN, distinct from "
                  "a constant map's 0; a 1×W map uses its two horizontal offsets only.");
  r = ame (&one, 1, 1, o);
  g_assert_cmpint (r.status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_true (isnan (r.ame));
  g_assert_cmpuint (r.n_offsets, ==, 0);
  g_assert_cmpuint (r.n_pairs, ==, 0);
  g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "not applicable");
  /* Size is checked before the values. */
  g_assert_cmpint (ame (&nan1, 1, 1, o).status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_cmpint (ame (&one, 1, 1, opts (4, TRUE, 3)).status, ==, SS_AME_NOT_APPLICABLE);

  nul = null_of (&one, 1, 1, o, 8, 1);
  g_assert_cmpint (nul.status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_true (isnan (nul.mean));

  g_assert_true (ss_ame_compute_channels (&ch, per, two, 2, 1, 1, &o, scratch, size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ch.status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_true (isnan (ch.mean));
  g_assert_true (isnan (per[0]) && isnan (per[1]));

  /* 1×5, B = 2: codes 0 1 1 0 1.  Only (0,±1): pairs (0,1) (1,1) (1,0) (0,1): counts 2, 1, 1 →
   * H = 1.5 bits; H0 = H(2/5, 3/5) = log2 5 − 2/5 − (3/5)·log2 3 = 0.970950594 bits;
   * AME = (1.5 − 0.970950594)/0.970950594 = 0.544877781 */
  const double h0 = log2 (5.0) - 0.4 - 0.6 * log2 (3.0);
  r = ame (row, 1, 5, opts (2, FALSE, 0));
  g_assert_cmpint (r.status, ==, SS_AME_OK);
  g_assert_cmpuint (r.n_offsets, ==, 2);
  g_assert_cmpuint (r.n_pairs, ==, 4);
  g_assert_true (isnan (r.h_joint[0]) && isnan (r.h_joint[2]));
  g_assert_cmpfloat_with_epsilon (r.h_joint[1], 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.h0, h0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.ame, (1.5 - h0) / h0, 1e-12);
}

static void
test_nonfinite (void)
{
  float x[4 * 6];
  const float bad[3] = { NAN, INFINITY, -INFINITY };
  SsAmeOptions o = opts (256, FALSE, 0);

  g_test_summary ("A map holding NaN, +Inf or −Inf gets AME 0 and status NONFINITE; so does "
                  "its null.");
  for (int b = 0; b < 3; b++)
    {
      ss_test_fill_uniform (x, 24, 0.0f, 1.0f, 8);
      x[13] = bad[b];
      SsAmeResult r = ame (x, 4, 6, o);
      g_assert_cmpint (r.status, ==, SS_AME_NONFINITE);
      g_assert_cmpfloat (r.ame, ==, 0.0);
      g_assert_true (isnan (r.h0));
      g_assert_cmpuint (r.n_pairs, ==, 18);  /* geometry is still reported */
      g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "non-finite");

      SsAmeNull nul = null_of (x, 4, 6, o, 8, 4);
      g_assert_cmpint (nul.status, ==, SS_AME_NONFINITE);
      g_assert_cmpfloat (nul.mean, ==, 0.0);
    }
}

static void
test_miller_madow (void)
{
  /* On the halves map (test_halves), B = 2:
   *   H0:     m = 2, n = 64 → + 1/128 nats
   *   (0,±1): m = 3, n = 56 → + 2/112 nats
   *   (±1,0): m = 2, n = 56 → + 1/112 nats
   * (reported in bits: divide by ln 2).  The AME then follows from the corrected entropies. */
  float x[64];
  SsAmeResult p, c;
  SsRng rng;

  g_test_summary ("Miller–Madow adds exactly (m − 1)/(2n) nats to H0 and to each joint "
                  "entropy, and the AME follows from the corrected values.");
  fill_halves (x);
  p = ame (x, 8, 8, opts (2, FALSE, 0));
  c = ame (x, 8, 8, opts (2, TRUE, 0));
  g_assert_true (c.miller_madow);
  g_assert_cmpfloat_with_epsilon (c.h0 - p.h0, 1.0 / 128 / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.h_joint[1] - p.h_joint[1], 2.0 / 112 / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.h_joint[3] - p.h_joint[3], 2.0 / 112 / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.h_joint[0] - p.h_joint[0], 1.0 / 112 / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.h_joint[2] - p.h_joint[2], 1.0 / 112 / G_LN2, 1e-12);
  const double hr_h = (c.h_joint[1] - c.h0) / c.h0, hr_v = MAX ((c.h_joint[0] - c.h0) / c.h0, 0);
  g_assert_cmpfloat_with_epsilon (c.ame, (hr_h + hr_v) / 2.0, 1e-12);

  /* A random 13×11 map at B = 16: H0 gains (m0 − 1)/(2·143) with m0 the reported occupancy. */
  ss_rng_seed (&rng, 2);
  g_autofree float *y = g_new (float, 143);
  fill_levels (y, 13, 11, 9, &rng);
  p = ame (y, 13, 11, opts (16, FALSE, 0));
  c = ame (y, 13, 11, opts (16, TRUE, 0));
  g_assert_cmpuint (c.h0_occupied, ==, p.h0_occupied);
  g_assert_cmpuint (p.h0_occupied, ==, 9);
  g_assert_cmpfloat_with_epsilon (c.h0 - p.h0, (9 - 1) / (2.0 * 143) / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.ame, ref_ame (y, 13, 11, 16, TRUE, 0), 1e-12);
}

static void
test_sde (void)
{
  /* 2×3 map, B = 2:      0 1 1
   *                      0 0 1        H0: three 0s, three 1s → 1 bit.
   * (0,±1): (0,1) (1,1) | (0,0) (0,1) → counts 2,1,1 of 4 → 1.5 bits, H_R = 0.5
   * (±1,0): (0,0) (1,0) (1,1)         → three singletons → log2 3 bits, H_R = log2 3 − 1
   * AME = (2·0.5 + 2·(log2 3 − 1))/4 = (log2 3 − 0.5)/2 = 0.542481250
   * (1,1):  (q00,q11) = (0,0), (q01,q12) = (1,1)  → 1 bit, H_R = 0
   * (1,−1): (q01,q10) = (1,0), (q02,q11) = (1,0)  → 0 bits, H_R = clamp (−1) = 0
   *   (and (−1,∓1) the same by symmetry)
   * SDE_1 = (2·0.5 + 2·(log2 3 − 1) + 0 + 0)/8 = AME/2 = 0.271240625.  Fewest pairs: 2 (diagonals).
   * R = 2 adds (0,±2): (q00,q02) = (0,1), (q10,q12) = (0,1) → 0 bits; (1,2): one pair (0,1), and
   *   (1,−2): one pair (1,0) → 0 bits; (±2,·) have no pair (the map has 2 rows) and are left out.
   *   14 offsets: SDE_2 = (1 + 2·(log2 3 − 1))/14 = 0.154994643; fewest pairs 1. */
  const float x[6] = { 0, 1, 1, 0, 0, 1 };
  const double l3 = log2 (3.0);
  SsAmeResult r0, r1, r2;
  SsRng rng;

  g_test_summary ("SDE on a 2×3 hand case for R = 1 and 2, and SDE_1 = (AME + mean diagonal "
                  "H_R)/2 on random maps.");
  r0 = ame (x, 2, 3, opts (2, FALSE, 0));
  r1 = ame (x, 2, 3, opts (2, FALSE, 1));
  r2 = ame (x, 2, 3, opts (2, FALSE, 2));
  g_assert_cmpfloat_with_epsilon (r0.ame, (l3 - 0.5) / 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r0.ame, 0.542481250, 1e-9);
  g_assert_cmpuint (r0.n_offsets, ==, 4);
  g_assert_cmpuint (r0.n_pairs, ==, 3);
  g_assert_cmpfloat_with_epsilon (r1.ame, (l3 - 0.5) / 4.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r1.ame, 0.271240625, 1e-9);
  g_assert_cmpuint (r1.n_offsets, ==, 8);
  g_assert_cmpuint (r1.n_pairs, ==, 2);
  g_assert_cmpint (r1.radius, ==, 1);
  g_assert_cmpfloat_with_epsilon (r1.h_joint[3], 1.5, 1e-12);  /* the four are still reported */
  g_assert_cmpfloat_with_epsilon (r1.h_joint[2], l3, 1e-12);
  g_assert_cmpfloat_with_epsilon (r2.ame, (1.0 + 2.0 * (l3 - 1.0)) / 14.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r2.ame, 0.154994643, 1e-9);
  g_assert_cmpuint (r2.n_offsets, ==, 14);
  g_assert_cmpuint (r2.n_pairs, ==, 1);

  /* Random maps: SDE_1 averages the 4 AME offsets and the 4 diagonals, so
   *   SDE_1 = (AME + (H_R(1,1) + H_R(1,−1))/2)/2, with the diagonal H_R from the reference. */
  ss_rng_seed (&rng, 12);
  for (int t = 0; t < 5; t++)
    {
      const int h = 6 + t, w = 9 - t;
      g_autofree float *y = g_new (float, h * w);
      fill_levels (y, h, w, 4 + t, &rng);

      const double a = ame (y, h, w, opts (8, FALSE, 0)).ame;
      const double s1 = ame (y, h, w, opts (8, FALSE, 1)).ame;
      const double full8 = ref_ame (y, h, w, 8, FALSE, 1);
      /* the reference's R = 1 mean over 8 offsets, minus its 4-neighbour part, is the diagonals */
      const double diag = 2.0 * full8 - ref_ame (y, h, w, 8, FALSE, 0);
      g_assert_cmpfloat_with_epsilon (s1, (a + diag) / 2.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (s1, full8, 1e-12);
      g_assert_cmpfloat_with_epsilon (ame (y, h, w, opts (8, FALSE, 3)).ame,
                                      ref_ame (y, h, w, 8, FALSE, 3), 1e-12);
    }
}

static void
test_null (void)
{
  /* Noise: the map's cells are i.i.d., so the map is itself distributed as a random permutation
   * of its cells and AME(map) is one more draw from the null's distribution.  With P draws of
   * population sd σ, AME − mean(null) has sd σ·√(1 + 1/P); assert it within 5 of those (σ taken
   * from the null itself, P = 64 so σ is well estimated).
   * Gaussian bump (σ = 4 cells) on 28×28: neighbours have nearly equal values, so H(k,l) stays
   * close to H0 and AME is small, while the permuted bump has independent neighbours. */
  const int side = 28;
  const gsize n = (gsize) side * side;
  g_autofree float *x = g_new (float, n);
  SsAmeOptions o = opts (16, FALSE, 0);
  SsAmeResult r;
  SsAmeNull nul, again, other;

  g_test_summary ("The permutation null of noise is its AME within 5 sd; the null of a smooth "
                  "bump lies far above its AME; the null is reproducible for a seed.");
  ss_test_fill_uniform (x, n, 0.0f, 1.0f, 4242);
  r = ame (x, side, side, o);
  nul = null_of (x, side, side, o, 64, 99);
  g_test_message ("noise 28×28 B=16: AME %.4f, null %.4f ± %.4f", r.ame, nul.mean, nul.sd);
  g_assert_cmpint (nul.status, ==, SS_AME_OK);
  g_assert_cmpuint (nul.n_permutations, ==, 64);
  g_assert_cmpfloat (nul.sd, >, 0.0);
  g_assert_cmpfloat (fabs (r.ame - nul.mean), <, 5.0 * nul.sd * sqrt (1.0 + 1.0 / 64));

  /* Reproducible: the same seed gives the same bits, another seed another value. */
  again = null_of (x, side, side, o, 64, 99);
  other = null_of (x, side, side, o, 64, 100);
  g_assert_cmpint (nul.status, ==, again.status);
  assert_same_double (nul.mean, again.mean);
  assert_same_double (nul.sd, again.sd);
  g_assert_cmpfloat (other.mean, !=, nul.mean);

  fill_bump (x, side, side, 4.0);
  for (int b = 0; b < 2; b++)
    {
      const int bins = b == 0 ? 16 : 256;
      o = opts (bins, FALSE, 0);
      r = ame (x, side, side, o);
      nul = null_of (x, side, side, o, SS_AME_NULL_PERMUTATIONS_DEFAULT, 7);
      g_test_message ("bump 28×28 B=%d: AME %.4f, null %.4f ± %.4f", bins, r.ame, nul.mean,
                      nul.sd);
      g_assert_cmpfloat (nul.mean, >, r.ame + 0.25);
      g_assert_cmpfloat (nul.mean - r.ame, >, 10.0 * nul.sd);
    }

  /* SDE nulls run too (the radius is honoured). */
  nul = null_of (x, side, side, opts (16, FALSE, 2), 4, 7);
  g_assert_cmpfloat (nul.mean, >, ame (x, side, side, opts (16, FALSE, 2)).ame);
}

static void
test_channels (void)
{
  /* 4 channels of 8×8: halves (AME 0.224407818, test_halves), constant (counts as 0), NaN
   * (left out), 8×8 checkerboard (0).  Mean over the 3 counted = 0.224407818/3. */
  g_autofree float *x = g_new (float, 4 * 64);
  double per[4];
  SsAmeChannels ch;
  g_autoptr (GError) error = NULL;
  SsAmeOptions o = opts (2, FALSE, 0);
  const gsize size = ss_ame_scratch_size (8, 8, &o);
  g_autofree gpointer scratch = g_malloc (size);
  const double halves = (log2 (7.0) - 6.0 / 7.0 * log2 (3.0) - 1.0) / 2.0;

  g_test_summary ("Multi-channel AME is the mean over channels; constant channels count as 0, "
                  "non-finite ones are left out, and both are counted.");
  fill_halves (x);
  for (int i = 0; i < 64; i++)
    {
      x[64 + i] = 2.0f;
      x[128 + i] = i == 5 ? NAN : (float) i;
      x[192 + i] = (float) (((i / 8) + (i % 8)) % 2);
    }
  g_assert_true (ss_ame_compute_channels (&ch, per, x, 4, 8, 8, &o, scratch, size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ch.status, ==, SS_AME_OK);
  g_assert_cmpuint (ch.n_channels, ==, 4);
  g_assert_cmpuint (ch.n_counted, ==, 3);
  g_assert_cmpuint (ch.n_constant, ==, 1);
  g_assert_cmpuint (ch.n_nonfinite, ==, 1);
  g_assert_cmpint (ch.bins, ==, 2);
  g_assert_cmpuint (ch.n_pairs, ==, 56);
  g_assert_cmpfloat_with_epsilon (per[0], halves, 1e-12);
  g_assert_cmpfloat (per[1], ==, 0.0);
  g_assert_cmpfloat (per[2], ==, 0.0);
  g_assert_cmpfloat (per[3], <, 1e-12);
  g_assert_cmpfloat (ch.mean, ==, (per[0] + per[3]) / 3.0);

  /* Each channel equals the single-map call. */
  g_assert_cmpfloat (ame (x, 8, 8, o).ame, ==, per[0]);

  /* Only constant channels: CONSTANT, mean 0.  Only non-finite: NONFINITE, mean 0. */
  g_assert_true (ss_ame_compute_channels (&ch, NULL, x + 64, 1, 8, 8, &o, scratch, size,
                                          &error));
  g_assert_cmpint (ch.status, ==, SS_AME_CONSTANT);
  g_assert_cmpfloat (ch.mean, ==, 0.0);
  g_assert_true (ss_ame_compute_channels (&ch, NULL, x + 128, 1, 8, 8, &o, scratch, size,
                                          &error));
  g_assert_cmpint (ch.status, ==, SS_AME_NONFINITE);
  g_assert_cmpuint (ch.n_counted, ==, 0);
  g_assert_cmpfloat (ch.mean, ==, 0.0);
}

static void
test_options (void)
{
  static const int bad_bins[] = { 1, -3, SS_AME_BINS_MAX + 1 };
  float x[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
  guint32 scratch[64];
  SsAmeResult r;
  SsAmeNull nul;
  SsRng rng;
  SsAmeOptions o;

  g_test_summary ("Invalid bins, radius or permutation counts are SS_ERROR_ARGUMENT GErrors; "
                  "their scratch size is 0; too little scratch is a critical.");
  ss_ame_options_init (&o);
  g_assert_cmpint (o.bins, ==, 256);
  g_assert_false (o.miller_madow);
  g_assert_cmpint (o.radius, ==, 0);
  g_assert_true (ss_ame_options_check (&o, NULL));
  ss_rng_seed (&rng, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_bins) + 1; i++)
    {
      g_autoptr (GError) error = NULL;
      o = i < G_N_ELEMENTS (bad_bins) ? opts (bad_bins[i], FALSE, 0) : opts (4, FALSE, -1);
      g_assert_false (ss_ame_options_check (&o, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
      g_clear_error (&error);
      g_assert_cmpuint (ss_ame_scratch_size (3, 3, &o), ==, 0);
      g_assert_false (ss_ame_compute (&r, x, 3, 3, &o, scratch, sizeof scratch, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    }

  g_autoptr (GError) error = NULL;
  o = opts (4, FALSE, 0);
  g_assert_cmpuint (ss_ame_scratch_size (3, 3, &o), <=, sizeof scratch);
  g_assert_false (ss_ame_null (&nul, x, 3, 3, &o, 0, &rng, scratch, sizeof scratch, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);

  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*scratch_size*");
  g_assert_false (ss_ame_compute (&r, x, 3, 3, &o, scratch, 8, NULL));
  g_test_assert_expected_messages ();
}

/* Wall time of one AME in µs: best of 3 rounds, each repeating for at least 20 ms. */
static double
time_ame (const float *x, int side, SsAmeOptions o, SsAmeHistMode mode)
{
  const gsize size = ss_ame_scratch_size_mode (side, side, &o, mode);
  g_autofree gpointer scratch = g_malloc (size);
  double best = G_MAXDOUBLE, sink = 0.0;

  for (int round = 0; round < 3; round++)
    {
      const gint64 t0 = g_get_monotonic_time ();
      gint64 elapsed;
      int reps = 0;

      do
        {
          SsAmeResult r;
          ss_ame_compute_mode (&r, x, side, side, &o, FALSE, mode, scratch, size, NULL);
          sink += r.ame;
          reps++;
          elapsed = g_get_monotonic_time () - t0;
        }
      while (elapsed < 20000);
      best = MIN (best, (double) elapsed / reps);
    }
  g_assert_cmpfloat (sink, >=, 0.0);
  return best;
}

static void
test_timing (void)
{
  static const int sides[] = { 7, 28, 64 };
  const SsAmeOptions o = opts (256, FALSE, 0);

  g_test_summary ("Not a pass/fail test: prints the time of one AME at B = 256 for 7×7, 28×28 "
                  "and 64×64 maps, hashed and dense joint histograms.");
  for (gsize s = 0; s < G_N_ELEMENTS (sides); s++)
    {
      const int side = sides[s];
      g_autofree float *x = g_new (float, side * side);

      ss_test_fill_uniform (x, (gsize) side * side, 0.0f, 1.0f, 6);
      g_test_message ("AME %d×%d B=256: %.2f µs (auto: %s), hash %.2f µs, dense %.2f µs",
                      side, side, time_ame (x, side, o, SS_AME_HIST_AUTO),
                      ss_ame_scratch_size (side, side, &o)
                        == ss_ame_scratch_size_mode (side, side, &o, SS_AME_HIST_HASH)
                        ? "hash" : "dense",
                      time_ame (x, side, o, SS_AME_HIST_HASH),
                      time_ame (x, side, o, SS_AME_HIST_DENSE));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/entropy/auto-bins", test_auto_bins);
  g_test_add_func ("/entropy/constant", test_constant);
  g_test_add_func ("/entropy/hand/halves", test_halves);
  g_test_add_func ("/entropy/hand/checkerboard", test_checkerboard);
  g_test_add_func ("/entropy/noise-512", test_noise_large);
  g_test_add_func ("/entropy/two-vs-four-histograms", test_two_vs_four);
  g_test_add_func ("/entropy/invariance", test_invariance);
  g_test_add_func ("/entropy/not-applicable", test_not_applicable);
  g_test_add_func ("/entropy/nonfinite", test_nonfinite);
  g_test_add_func ("/entropy/miller-madow", test_miller_madow);
  g_test_add_func ("/entropy/sde", test_sde);
  g_test_add_func ("/entropy/null", test_null);
  g_test_add_func ("/entropy/channels", test_channels);
  g_test_add_func ("/entropy/options", test_options);
  g_test_add_func ("/entropy/timing", test_timing);
  return g_test_run ();
}
