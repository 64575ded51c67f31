/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* AME, SDE and the permutation null: statistical and property tests (core/ss-entropy.h, SPEC §1).
 * Legend: H W map size, N = H·W cells, B bins, R SDE radius, P permutations; maps (H, W) float.
 * Entropies below are in bits, as SsAmeResult reports them; H_R is a ratio (base-free). */

#include <float.h>
#include <math.h>
#include <string.h>

#include "entropy-check.h"
#include "ss-error.h"
#include "ss-rng.h"
#include "ss-test-util.h"

/* Hand-computed cases are in test-entropy.c; helpers shared with it in entropy-check.h. */

/* ---------------------------------------------------------------------------------------------
 * Helpers */

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
 * Tests */

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
  r = entropy_check_ame (x, side, side, entropy_check_opts (bins, FALSE, 0));
  rmm = entropy_check_ame (x, side, side, entropy_check_opts (bins, TRUE, 0));
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
            entropy_check_fill_levels (x, h, w, 3, &rng);

          for (gsize b = 0; b < G_N_ELEMENTS (bin_list); b++)
            for (int mm = 0; mm < 2; mm++)
              for (int radius = 0; radius <= 2; radius++)
                {
                  const SsAmeOptions o = entropy_check_opts (bin_list[b], mm, radius);
                  const int bins = ss_ame_resolve_bins (&o, h, w);
                  SsAmeResult two = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_AUTO);
                  SsAmeResult four = ame_mode (x, h, w, o, TRUE, SS_AME_HIST_AUTO);
                  SsAmeResult dense = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_DENSE);
                  SsAmeResult hash4 = ame_mode (x, h, w, o, TRUE, SS_AME_HIST_HASH);
                  SsAmeResult pub = entropy_check_ame (x, h, w, o);

                  assert_same_result (&two, &four);
                  assert_same_result (&two, &dense);
                  assert_same_result (&two, &hash4);
                  assert_same_result (&two, &pub);
                  g_assert_cmpint (two.status, ==, SS_AME_OK);
                  g_assert_cmpfloat_with_epsilon (two.ame,
                                                  entropy_check_ref_ame (x, h, w, bins, mm,
                                                                         radius),
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

          entropy_check_fill_levels (x, h, w, levels, &rng);
          r = entropy_check_ame (x, h, w, entropy_check_opts (bins, FALSE, 0));
          for (gsize a = 0; a < G_N_ELEMENTS (affine); a++)
            {
              for (gsize i = 0; i < n; i++)
                y[i] = (float) (affine[a][0] * x[i] + affine[a][1]);
              SsAmeResult ry = entropy_check_ame (y, h, w, entropy_check_opts (bins, FALSE, 0));
              assert_same_result (&r, &ry);
            }

          for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
              t[j * h + i] = x[i * w + j];
          SsAmeResult rt = entropy_check_ame (t, w, h, entropy_check_opts (bins, FALSE, 0));
          g_assert_cmpfloat (rt.ame, ==, r.ame);
          g_assert_cmpfloat (rt.h0, ==, r.h0);
          g_assert_cmpmem (&rt.h_joint[0], sizeof (double), &r.h_joint[1], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[1], sizeof (double), &r.h_joint[0], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[2], sizeof (double), &r.h_joint[3], sizeof (double));
          g_assert_cmpmem (&rt.h_joint[3], sizeof (double), &r.h_joint[2], sizeof (double));
          /* SDE sums its offsets in another order once transposed: equal to rounding. */
          g_assert_cmpfloat_with_epsilon (
            entropy_check_ame (t, w, h, entropy_check_opts (bins, FALSE, 2)).ame,
            entropy_check_ame (x, h, w, entropy_check_opts (bins, FALSE, 2)).ame, 1e-14);
        }
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
  SsAmeOptions o = entropy_check_opts (16, FALSE, 0);
  SsAmeResult r;
  SsAmeNull nul, again, other;

  g_test_summary ("The permutation null of noise is its AME within 5 sd; the null of a smooth "
                  "bump lies far above its AME; the null is reproducible for a seed.");
  ss_test_fill_uniform (x, n, 0.0f, 1.0f, 4242);
  r = entropy_check_ame (x, side, side, o);
  nul = entropy_check_null_of (x, side, side, o, 64, 99);
  g_test_message ("noise 28×28 B=16: AME %.4f, null %.4f ± %.4f", r.ame, nul.mean, nul.sd);
  g_assert_cmpint (nul.status, ==, SS_AME_OK);
  g_assert_cmpuint (nul.n_permutations, ==, 64);
  g_assert_cmpfloat (nul.sd, >, 0.0);
  g_assert_cmpfloat (fabs (r.ame - nul.mean), <, 5.0 * nul.sd * sqrt (1.0 + 1.0 / 64));

  /* Reproducible: the same seed gives the same bits, another seed another value. */
  again = entropy_check_null_of (x, side, side, o, 64, 99);
  other = entropy_check_null_of (x, side, side, o, 64, 100);
  g_assert_cmpint (nul.status, ==, again.status);
  assert_same_double (nul.mean, again.mean);
  assert_same_double (nul.sd, again.sd);
  g_assert_cmpfloat (other.mean, !=, nul.mean);

  fill_bump (x, side, side, 4.0);
  for (int b = 0; b < 2; b++)
    {
      const int bins = b == 0 ? 16 : 256;
      o = entropy_check_opts (bins, FALSE, 0);
      r = entropy_check_ame (x, side, side, o);
      nul = entropy_check_null_of (x, side, side, o, SS_AME_NULL_PERMUTATIONS_DEFAULT, 7);
      g_test_message ("bump 28×28 B=%d: AME %.4f, null %.4f ± %.4f", bins, r.ame, nul.mean,
                      nul.sd);
      g_assert_cmpfloat (nul.mean, >, r.ame + 0.25);
      g_assert_cmpfloat (nul.mean - r.ame, >, 10.0 * nul.sd);
    }

  /* SDE nulls run too (the radius is honoured). */
  nul = entropy_check_null_of (x, side, side, entropy_check_opts (16, FALSE, 2), 4, 7);
  g_assert_cmpfloat (nul.mean, >,
                     entropy_check_ame (x, side, side, entropy_check_opts (16, FALSE, 2)).ame);
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
  SsAmeOptions o = entropy_check_opts (2, FALSE, 0);
  const gsize size = ss_ame_scratch_size (8, 8, &o);
  g_autofree gpointer scratch = g_malloc (size);
  const double halves = (log2 (7.0) - 6.0 / 7.0 * log2 (3.0) - 1.0) / 2.0;

  g_test_summary ("Multi-channel AME is the mean over channels; constant channels count as 0, "
                  "non-finite ones are left out, and both are counted.");
  entropy_check_fill_halves (x);
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
  g_assert_cmpfloat (entropy_check_ame (x, 8, 8, o).ame, ==, per[0]);

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
      o = i < G_N_ELEMENTS (bad_bins) ? entropy_check_opts (bad_bins[i], FALSE, 0)
                                      : entropy_check_opts (4, FALSE, -1);
      g_assert_false (ss_ame_options_check (&o, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
      g_clear_error (&error);
      g_assert_cmpuint (ss_ame_scratch_size (3, 3, &o), ==, 0);
      g_assert_false (ss_ame_compute (&r, x, 3, 3, &o, scratch, sizeof scratch, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    }

  g_autoptr (GError) error = NULL;
  o = entropy_check_opts (4, FALSE, 0);
  g_assert_cmpuint (ss_ame_scratch_size (3, 3, &o), <=, sizeof scratch);
  g_assert_false (ss_ame_null (&nul, x, 3, 3, &o, 0, &rng, scratch, sizeof scratch, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);

  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*scratch_size*");
  g_assert_false (ss_ame_compute (&r, x, 3, 3, &o, scratch, 8, NULL));
  g_test_assert_expected_messages ();
}

/* SPEC §1 step 1 for one value, written out as plainly as possible. */
static guint
naive_code (float v, float lo, float hi, int bins)
{
  const double xp = ((double) v - (double) lo) / ((double) hi - (double) lo);
  return MIN ((guint) floor (xp * bins), (guint) bins - 1);
}

static void
test_quantize (void)
{
  /* ss_ame_quantize multiplies in float and redoes a block with the division when a value may
   * sit within rounding of a bin edge.  Every bin edge lo + k·(hi − lo)/B is put in the map with
   * its three float neighbours either side, among uniform values, so edges fall at every
   * position of a block; the ranges include ones where x − lo rounds (far from 0), a negative
   * one, tiny and huge ones, one whose float scale would be subnormal (B = 2 over ±FLT_MAX/2)
   * and one whose hi − lo overflows a float (±FLT_MAX). */
  static const int bins[] = { 2, 3, 7, 16, 100, 256, 257, 1000, 4096, 65536 };
  static const float ranges[][2] = {
    { 0.0f, 1.0f }, { -1.0f, 1.0f }, { 1000.0f, 1000.5f }, { -3e30f, 2e30f }, { 1e-30f, 3e-30f },
    { 0.0f, 16777215.0f }, { -FLT_MAX / 2, FLT_MAX / 2 }, { -FLT_MAX, FLT_MAX },
  };
  gsize checked = 0;

  g_test_summary ("The quantisation's codes equal SPEC §1's double-precision division for every "
                  "value, bin edges and their float neighbours included, for B from 2 to 65536; "
                  "NaN, ±Inf and constant maps (±0 included) are flagged.");
  for (gsize r = 0; r < G_N_ELEMENTS (ranges); r++)
    for (gsize b = 0; b < G_N_ELEMENTS (bins); b++)
      {
        const float lo = ranges[r][0], hi = ranges[r][1];
        const int nb = bins[b], edges = MIN (nb, 1500);
        const gsize n = (gsize) edges * 7 + 1000 + 5;  /* not a whole number of blocks */
        g_autofree float *x = g_new (float, n);
        g_autofree guint16 *q = g_new (guint16, n);
        gsize i = 0;

        x[i++] = lo;
        x[i++] = hi;
        for (int e = 0; e < edges; e++)
          {
            const int k = (int) ((gint64) e * nb / edges);
            const float edge = (float) ((double) lo + k * (((double) hi - lo) / nb));
            float below = edge, above = edge;

            x[i++] = edge;
            for (int d = 0; d < 3; d++)
              {
                below = nextafterf (below, -INFINITY);
                above = nextafterf (above, INFINITY);
                x[i++] = CLAMP (below, lo, hi);
                x[i++] = CLAMP (above, lo, hi);
              }
          }
        ss_test_fill_uniform (x + i, n - i, 0.0f, 1.0f, 90 + r * 16 + b);
        for (; i < n; i++)
          x[i] = (float) CLAMP ((double) lo + x[i] * ((double) hi - lo), lo, hi);

        g_assert_cmpint (ss_ame_quantize (q, x, n, nb), ==, SS_AME_OK);
        for (i = 0; i < n; i++)
          if (q[i] != naive_code (x[i], lo, hi, nb))
            g_error ("range [%g, %g], B = %d: x[%zu] = %.9g has code %u, SPEC says %u", lo, hi,
                     nb, i, x[i], q[i], naive_code (x[i], lo, hi, nb));
        checked += n;
      }
  g_test_message ("%zu codes checked", checked);

  /* Degenerate maps, the odd one out in the vectorised part, in a block, and in the tail. */
  for (gsize at = 0; at < 100; at += 33)
    {
      float x[101];
      guint16 q[101];

      for (int kind = 0; kind < 4; kind++)
        {
          ss_test_fill_uniform (x, 101, -1.0f, 1.0f, 7);
          x[at] = kind == 0 ? NAN : kind == 1 ? INFINITY : kind == 2 ? -INFINITY : 0.5f;
          g_assert_cmpint (ss_ame_quantize (q, x, 101, 256), ==,
                           kind == 3 ? SS_AME_OK : SS_AME_NONFINITE);
        }
      for (int i = 0; i < 101; i++)
        x[i] = i % 2 ? 0.0f : -0.0f;
      g_assert_cmpint (ss_ame_quantize (q, x, 101, 256), ==, SS_AME_CONSTANT);
    }
}

static void
test_modes (void)
{
  /* The dense histograms are read back in two ways, chosen per histogram by its pairs per slot
   * (a scan of the table, or only the duplicated keys found through one bit per key), and a
   * scan leaves the table zero for the next histogram, which then skips clearing it.  SDE
   * offsets far apart have fewer pairs, so on 16×16 at B = 32 (1024 slots) R = 3 switches ways
   * within one map, and on 40×37 at B = 16 and 256 all offsets take one way or the other.  A
   * scanned table has 16-bit counters up to 65535 cells and 32-bit ones above: 255×257 and
   * 257×256 sit on either side, and the third kind of map (nearly constant) puts about 65,000
   * pairs in one bin, past the 16-bit counters' signed range. */
  static const struct { int h, w, bins, radius; } cases[] = {
    { 16, 16, 32, 3 }, { 18, 18, 32, 3 }, { 40, 37, 16, 2 }, { 40, 37, 256, 1 },
    { 64, 64, 256, 0 }, { 37, 40, 64, 2 }, { 255, 257, 256, 0 }, { 257, 256, 256, 0 },
    { 255, 257, 16, 2 },
  };
  SsRng rng;

  g_test_summary ("Dense histograms read back by a scan or through duplicated keys, switching "
                  "within a map, give the hashed histograms' bits and the naive reference.");
  ss_rng_seed (&rng, 5);
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const int h = cases[c].h, w = cases[c].w;
      g_autofree float *x = g_new (float, h * w);

      for (int kind = 0; kind < 3; kind++)
        {
          const SsAmeOptions o = entropy_check_opts (cases[c].bins, kind == 1, cases[c].radius);
          if (kind == 0)
            ss_test_fill_uniform (x, (gsize) h * w, 0.0f, 1.0f, 40 + c);
          else if (kind == 1)
            entropy_check_fill_levels (x, h, w, 5, &rng);
          else
            for (int i = 0; i < h * w; i++)
              x[i] = i % 997 == 0 ? (float) (i % 3 + 1) : 0.0f;

          SsAmeResult dense = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_DENSE);
          SsAmeResult hash = ame_mode (x, h, w, o, FALSE, SS_AME_HIST_HASH);
          assert_same_result (&dense, &hash);
          g_assert_cmpfloat_with_epsilon (dense.ame,
                                          entropy_check_ref_ame (x, h, w, cases[c].bins,
                                                                 kind == 1, cases[c].radius),
                                          1e-12);
        }
    }
}

static void
test_batch (void)
{
  /* Maps of every status through ss_ame_compute_batch, with the scratch of every thread full of
   * garbage, on 1 to 5 threads, and through ss_ame_compute with fresh scratch. */
  const int h = 23, w = 19, n_maps = 9;
  const gsize n = (gsize) h * w;
  g_autofree float *x = g_new (float, n_maps * n);
  SsRng rng;

  g_test_summary ("ss_ame_compute_batch gives ss_ame_compute's bits for every map, whatever "
                  "the number of threads.");
  ss_rng_seed (&rng, 11);
  for (int m = 0; m < n_maps; m++)
    {
      float *xm = x + m * n;
      if (m % 3 == 0)
        ss_test_fill_uniform (xm, n, -1.0f, 3.0f, 70 + m);
      else
        entropy_check_fill_levels (xm, h, w, 2 + m * 3, &rng);
    }
  for (gsize i = 0; i < n; i++)
    x[4 * n + i] = 1.5f;  /* constant */
  x[7 * n + 100] = NAN;

  for (int b = 0; b < 3; b++)
    {
      const SsAmeOptions o = entropy_check_opts (b == 0 ? 256 : b == 1 ? 16 : SS_AME_BINS_AUTO,
                                                 b == 1, b == 2 ? 2 : 0);
      for (int threads = 1; threads <= 5; threads += 2)
        {
          g_autoptr (GError) error = NULL;
          const gsize size = ss_ame_batch_scratch_size (h, w, &o, threads);
          g_autofree gpointer scratch = g_malloc (size);
          SsAmeResult res[9];

          g_assert_cmpuint (size, >=, ss_ame_scratch_size (h, w, &o) * threads);
          memset (scratch, 0xa5, size);
          g_assert_true (ss_ame_compute_batch (res, x, n_maps, h, w, &o, threads, scratch, size,
                                               &error));
          g_assert_no_error (error);
          for (int m = 0; m < n_maps; m++)
            {
              SsAmeResult one = entropy_check_ame (x + m * n, h, w, o);
              assert_same_result (&res[m], &one);
            }
          g_assert_cmpint (res[4].status, ==, SS_AME_CONSTANT);
          g_assert_cmpint (res[7].status, ==, SS_AME_NONFINITE);
          g_assert_true (ss_ame_compute_batch (res, x, 0, h, w, &o, threads, scratch, size,
                                               NULL));
        }
    }
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
  const SsAmeOptions o = entropy_check_opts (256, FALSE, 0);

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
  g_test_add_func ("/entropy/noise-512", test_noise_large);
  g_test_add_func ("/entropy/two-vs-four-histograms", test_two_vs_four);
  g_test_add_func ("/entropy/invariance", test_invariance);
  g_test_add_func ("/entropy/null", test_null);
  g_test_add_func ("/entropy/channels", test_channels);
  g_test_add_func ("/entropy/options", test_options);
  g_test_add_func ("/entropy/quantize", test_quantize);
  g_test_add_func ("/entropy/dense-modes", test_modes);
  g_test_add_func ("/entropy/batch", test_batch);
  g_test_add_func ("/entropy/timing", test_timing);
  return g_test_run ();
}
