/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Bilinear resize (core/ss-resize.h) and pooled-histogram mutual information (core/ss-mi.h),
 * SPEC §3.  Legend: SH SW source size, DH DW destination size, B bins, n pooled pairs. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-mi.h"
#include "ss-resize.h"
#include "ss-rng.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

/* ---------------------------------------------------------------------------------------------
 * Resize */

static void
test_resize_identity (void)
{
  float src[5 * 7], dst[5 * 7];

  g_test_summary ("Equal sizes copy the plane bit for bit.");
  ss_test_fill_uniform (src, G_N_ELEMENTS (src), -3.0f, 3.0f, 11);
  ss_resize_bilinear (dst, 5, 7, src, 5, 7);
  g_assert_cmpmem (dst, sizeof dst, src, sizeof src);
}

static void
test_resize_hand_up (void)
{
  /* 2×2 → 4×4, scale S/D = 1/2.  Source index of destination d: s = 0.5·(d + 0.5) − 0.5:
   *   d = 0: −0.25 → clamped to 0: i0 = 0, λ = 0      (pure x[0])
   *   d = 1:  0.25: i0 = 0, i1 = 1, λ = 0.25
   *   d = 2:  0.75: i0 = 0, i1 = 1, λ = 0.75
   *   d = 3:  1.25: i0 = 1, i1 = 1 (last index), λ = 0.25 (both taps read x[1])
   * so a row [1, 2] becomes [1, 1.25, 1.75, 2] and [3, 4] becomes [3, 3.25, 3.75, 4]; rows mix
   * the same way: row 1 = 0.75·[1 …] + 0.25·[3 …], row 2 = 0.25·[1 …] + 0.75·[3 …].  Every value
   * is a multiple of 1/4, exact in float. */
  const float src[4] = { 1, 2, 3, 4 };
  const float want[16] = {
    1.0f, 1.25f, 1.75f, 2.0f,
    1.5f, 1.75f, 2.25f, 2.5f,
    2.5f, 2.75f, 3.25f, 3.5f,
    3.0f, 3.25f, 3.75f, 4.0f,
  };
  float dst[16];

  g_test_summary ("2×2 → 4×4 with half-pixel centres, worked out by hand (as PyTorch prints).");
  ss_resize_bilinear (dst, 4, 4, src, 2, 2);
  g_assert_cmpmem (dst, sizeof dst, want, sizeof want);
}

static void
test_resize_hand_down (void)
{
  /* 4×4 → 2×2, scale 2: s = 2·(d + 0.5) − 0.5 = 2d + 0.5, so d = 0 reads cells 0 and 1 with
   * λ = 0.5 and d = 1 reads 2 and 3: each output is the mean of one 2×2 block (no antialias
   * needed at an exact factor of 2).  src = arange(16) as 4×4: blocks {0,1,4,5}, {2,3,6,7},
   * {8,9,12,13}, {10,11,14,15} → 2.5, 4.5, 10.5, 12.5.
   * 4×4 → 1×1, scale 4: s = 4·0.5 − 0.5 = 1.5 → cells 1 and 2 of each axis, λ = 0.5:
   * (5 + 6 + 9 + 10)/4 = 7.5 (only the 4 central cells are read; it equals the mean of all 16
   * here just because arange is linear). */
  float src[16], dst[4], one;
  const float want[4] = { 2.5f, 4.5f, 10.5f, 12.5f };

  g_test_summary ("4×4 → 2×2 and 4×4 → 1×1 worked out by hand (as PyTorch prints).");
  for (int i = 0; i < 16; i++)
    src[i] = (float) i;
  ss_resize_bilinear (dst, 2, 2, src, 4, 4);
  g_assert_cmpmem (dst, sizeof dst, want, sizeof want);
  ss_resize_bilinear (&one, 1, 1, src, 4, 4);
  g_assert_cmpfloat (one, ==, 7.5f);
}

/* Keep in sync with CASES in tests/reference/gen-resize.py. */
static const char *const resize_cases[] = {
  "hand-up-2x2-4x4", "hand-down-4x4-2x2", "up-7x7-28x28", "down-28x28-7x7", "up-14x14-28x28",
  "mixed-5x3-7x11", "mixed-3x5-2x9", "down-4x4-1x1", "up-1x1-3x3", "rows-only-6x6-6x9",
  "odd-3x3-32x32",
};

static void
test_resize_torch (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = ss_test_data_path ("resize.safetensors");
  g_autoptr (SsSafetensors) st = NULL;
  gsize n_total = 0, n_identical = 0;

  g_test_summary ("Every case of tests/data/resize.safetensors (written by "
                  "tests/reference/gen-resize.py with PyTorch's F.interpolate, bilinear, "
                  "align_corners=False) matches within one float ulp (2.5e-7 for these values), "
                  "and at least 99 % of the values bit for bit.");
  st = ss_safetensors_load (path, &error);
  g_assert_no_error (error);
  for (gsize c = 0; c < G_N_ELEMENTS (resize_cases); c++)
    {
      g_autofree char *src_name = g_strdup_printf ("%s/src", resize_cases[c]);
      g_autofree char *dst_name = g_strdup_printf ("%s/dst", resize_cases[c]);
      const SsTensorView *src = ss_safetensors_lookup (st, src_name);
      const SsTensorView *want = ss_safetensors_lookup (st, dst_name);

      g_assert_nonnull (src);
      g_assert_nonnull (want);
      g_assert_cmpint (src->ndim, ==, 2);
      g_assert_cmpint (want->ndim, ==, 2);

      const int sh = (int) src->shape[0], sw = (int) src->shape[1];
      const int dh = (int) want->shape[0], dw = (int) want->shape[1];
      g_autofree float *dst = g_new (float, (gsize) dh * dw);

      ss_resize_bilinear (dst, dh, dw, src->data, sh, sw);
      ss_assert_tensor_close (dst, want->data, (gsize) dh * dw, 2.5e-7, 2.5e-7, resize_cases[c]);
      for (int i = 0; i < dh * dw; i++)
        n_identical += dst[i] == ((const float *) want->data)[i];
      n_total += (gsize) dh * dw;
    }
  g_test_message ("resize: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                  " values identical to PyTorch's bit for bit", n_identical, n_total);
  /* 2803 of 2820 with Debian's torch 1.13.1: the 17 others are in the mixed-* cases. */
  g_assert_cmpuint (n_identical * 100, >=, n_total * 99);
}

/* ---------------------------------------------------------------------------------------------
 * Mutual information */

static SsMiHistogram *
new_hist (int bins)
{
  g_autoptr (GError) error = NULL;
  SsMiHistogram *hist = ss_mi_histogram_new (bins, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hist);
  return hist;
}

static void
test_mi_hand_two_bins (void)
{
  /* B = 2: q = 0 below 0.5, 1 from 0.5.
   *   a = 0.1 0.2 0.9 0.8  → 0 0 1 1      H(a)   = 1 bit
   *   b = 0.1 0.9 0.9 0.7  → 0 1 1 1      H(b)   = H(1/4, 3/4) = 2 − (3/4)·log2 3 = 0.811278…
   *   pairs (0,0) (0,1) (1,1) (1,1)       H(a,b) = H(1/4, 1/4, 1/2) = 1.5 bits
   *   I = 1 + 0.811278 − 1.5 = 0.311278… = 1.5 − (3/4)·log2 3 bits. */
  const float a[4] = { 0.1f, 0.2f, 0.9f, 0.8f };
  const float b[4] = { 0.1f, 0.9f, 0.9f, 0.7f };
  g_autoptr (SsMiHistogram) hist = new_hist (2);
  double ha, hb, hab;

  g_test_summary ("Two bins, four pairs: entropies and I worked out by hand.");
  ss_mi_histogram_accumulate (hist, a, b, 4);
  g_assert_cmpuint (ss_mi_histogram_get_n (hist), ==, 4);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 0, 0), ==, 1);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 0, 1), ==, 1);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 1, 0), ==, 0);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 1, 1), ==, 2);
  ss_mi_entropies (hist, &ha, &hb, &hab);
  g_assert_cmpfloat_with_epsilon (ha, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (hb, 2.0 - 0.75 * log2 (3.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (hab, 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_mi_bits (hist), 1.5 - 0.75 * log2 (3.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_mi_bits (hist), 0.311278124459133, 1e-12);
}

static void
test_mi_identical (void)
{
  const gsize n = 28 * 28;
  g_autofree float *a = g_new (float, n);
  g_autoptr (SsMiHistogram) hist = new_hist (SS_MI_BINS_DEFAULT);
  double ha, hb, hab;

  g_test_summary ("I(a; a) is H(a) to the last bit (the joint's diagonal is a's histogram).");
  for (guint64 s = 0; s < 5; s++)
    {
      ss_test_fill_uniform (a, n, 0.0f, 1.0f, 100 + s);
      ss_mi_histogram_accumulate (hist, a, a, n);
    }
  ss_mi_entropies (hist, &ha, &hb, &hab);
  g_assert_cmpfloat (ha, ==, hb);
  g_assert_cmpfloat (ha, ==, hab);
  g_assert_cmpfloat (ss_mi_bits (hist), ==, ha);
  /* 3920 uniform values in 32 bins: H(a) close to log2 32 = 5 (plug-in bias 31/(2n ln 2)). */
  g_assert_cmpfloat (fabs (ha - 5.0), <, 0.05);
}

static void
test_mi_function (void)
{
  /* Values at bin centres (k + 0.5)/B so the bin of each transformed value is known exactly.
   * b = 1 − a maps bin k to B − 1 − k: injective, H(a|b) = H(b|a) = 0, I = H(a) = H(b).
   * c = ⌊2a⌋/2 + 0.25 maps bins [0, B/2) to bin B/4 and [B/2, B) to bin 3B/4: a function of a
   * but not injective, H(c|a) = 0 so I(a; c) = H(c) < H(a). */
  const int bins = 32;
  const gsize n = 4096;
  g_autofree float *a = g_new (float, n);
  g_autofree float *b = g_new (float, n);
  g_autofree float *c = g_new (float, n);
  g_autoptr (SsMiHistogram) hab = new_hist (bins);
  g_autoptr (SsMiHistogram) hac = new_hist (bins);
  SsRng rng;
  double ha, hb, hc;

  g_test_summary ("A deterministic function of a: I = H(function), = H(a) when injective.");
  ss_rng_seed (&rng, 5);
  for (gsize i = 0; i < n; i++)
    {
      /* A skewed distribution over the bins, so H(a) is not simply log2 B. */
      const guint32 k = MIN (ss_rng_below (&rng, bins), ss_rng_below (&rng, bins));
      a[i] = ((float) k + 0.5f) / bins;
      b[i] = 1.0f - a[i];
      c[i] = floorf (2.0f * a[i]) / 2.0f + 0.25f;
    }
  ss_mi_histogram_accumulate (hab, a, b, n);
  ss_mi_histogram_accumulate (hac, a, c, n);
  ss_mi_entropies (hab, &ha, &hb, NULL);
  ss_mi_entropies (hac, NULL, &hc, NULL);
  g_assert_cmpfloat_with_epsilon (hb, ha, 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_mi_bits (hab), ha, 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_mi_bits (hac), hc, 1e-12);
  g_assert_cmpfloat (hc, <=, 1.0 + 1e-12);  /* two occupied bins */
  g_assert_cmpfloat (hc, <, ha - 1.0);
}

static void
test_mi_independent (void)
{
  /* a and b independent and uniform: the true I is 0.  For n pooled pairs the plug-in estimate
   * satisfies 2n·I (nats) → χ² with (B − 1)² degrees of freedom (the G-test of independence),
   * so E[I] ≈ (B − 1)²/(2n) nats and sd ≈ √(2·(B − 1)²)/(2n) = √2·(B − 1)/(2n).
   * B = 32, n = 50 × 28×28 = 39200 (SPEC's default N = 50 samples of a 28×28 grid):
   *   E[I] ≈ 961/78400 nats = 0.012258 nats = 0.017684 bits,
   *   sd   ≈ 1.4142·31/78400  = 5.59e-4 nats = 8.07e-4 bits.
   * The test asserts |I − E[I]| < 5·sd (fails by chance with probability < 1e-6). */
  const int bins = SS_MI_BINS_DEFAULT, side = 28, samples = 50;
  const gsize len = (gsize) side * side;
  g_autofree float *a = g_new (float, len);
  g_autofree float *b = g_new (float, len);
  g_autoptr (SsMiHistogram) hist = new_hist (bins);

  g_test_summary ("Independent uniform maps: I is the plug-in bias (B−1)²/(2n ln 2) bits "
                  "within 5 standard deviations of the χ² law.");
  for (int s = 0; s < samples; s++)
    {
      ss_test_fill_uniform (a, len, 0.0f, 1.0f, 1000 + 2 * s);
      ss_test_fill_uniform (b, len, 0.0f, 1.0f, 1001 + 2 * s);
      ss_mi_histogram_accumulate (hist, a, b, len);
    }

  const double n = (double) ss_mi_histogram_get_n (hist);
  const double mean = (bins - 1.0) * (bins - 1.0) / (2.0 * n) / G_LN2;
  const double sd = sqrt (2.0) * (bins - 1.0) / (2.0 * n) / G_LN2;
  const double mi = ss_mi_bits (hist);

  g_assert_cmpfloat (n, ==, samples * (double) len);
  g_test_message ("independent: I = %.6f bits, bias %.6f ± %.6f", mi, mean, sd);
  g_assert_cmpfloat (fabs (mi - mean), <, 5.0 * sd);
}

static void
test_mi_pooling (void)
{
  const gsize n = 300;
  float a[300], b[300];
  g_autoptr (SsMiHistogram) whole = new_hist (8);
  g_autoptr (SsMiHistogram) parts = new_hist (8);

  g_test_summary ("One histogram pooled over several calls equals one call over everything; "
                  "clear empties it.");
  ss_test_fill_uniform (a, n, 0.0f, 1.0f, 7);
  for (gsize i = 0; i < n; i++)
    b[i] = 0.5f * a[i] + 0.5f * a[(i * 7) % n];
  ss_mi_histogram_accumulate (whole, a, b, n);
  ss_mi_histogram_accumulate (parts, a, b, 100);
  ss_mi_histogram_accumulate (parts, a + 100, b + 100, 0);
  ss_mi_histogram_accumulate (parts, a + 100, b + 100, 200);
  g_assert_cmpuint (ss_mi_histogram_get_n (parts), ==, n);
  g_assert_cmpfloat (ss_mi_bits (parts), ==, ss_mi_bits (whole));
  g_assert_cmpfloat (ss_mi_bits (whole), >, 0.1);

  ss_mi_histogram_clear (parts);
  g_assert_cmpuint (ss_mi_histogram_get_n (parts), ==, 0);
  g_assert_cmpfloat (ss_mi_bits (parts), ==, 0.0);
  g_assert_cmpint (ss_mi_histogram_get_bins (parts), ==, 8);
}

static void
test_mi_edges (void)
{
  /* B = 4.  0 and values below it → bin 0; 1, 1 + ε and above → bin 3; 0.25 → bin 1 (⌊1⌋);
   * 0.2499 → bin 0.  NaN and Inf pairs are skipped and counted. */
  const float a[7] = { -0.5f, 0.0f, 0.25f, 0.2499f, 1.0f, 1.0000001f, NAN };
  const float b[7] = { 0.0f, 0.0f, 0.25f, 0.2499f, 7.0f, 1.0f, 0.5f };
  const float c[1] = { INFINITY };
  g_autoptr (SsMiHistogram) hist = new_hist (4);
  g_autoptr (GError) error = NULL;
  SsMiHistogram *bad;

  g_test_summary ("Out-of-range values clamp to the end bins, NaN/Inf pairs are skipped, bad "
                  "bin counts are an SS_ERROR_ARGUMENT.");
  ss_mi_histogram_accumulate (hist, a, b, 7);
  ss_mi_histogram_accumulate (hist, c, c, 1);
  g_assert_cmpuint (ss_mi_histogram_get_n (hist), ==, 6);
  g_assert_cmpuint (ss_mi_histogram_get_n_skipped (hist), ==, 2);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 0, 0), ==, 3);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 1, 1), ==, 1);
  g_assert_cmpuint (ss_mi_histogram_get_count (hist, 3, 3), ==, 2);

  bad = ss_mi_histogram_new (1, &error);
  g_assert_null (bad);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  bad = ss_mi_histogram_new (SS_MI_BINS_MAX + 1, &error);
  g_assert_null (bad);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/resize/identity", test_resize_identity);
  g_test_add_func ("/resize/hand/2x2-4x4", test_resize_hand_up);
  g_test_add_func ("/resize/hand/4x4-2x2", test_resize_hand_down);
  g_test_add_func ("/resize/torch", test_resize_torch);
  g_test_add_func ("/mi/hand-two-bins", test_mi_hand_two_bins);
  g_test_add_func ("/mi/identical", test_mi_identical);
  g_test_add_func ("/mi/function", test_mi_function);
  g_test_add_func ("/mi/independent", test_mi_independent);
  g_test_add_func ("/mi/pooling", test_mi_pooling);
  g_test_add_func ("/mi/edges", test_mi_edges);
  return g_test_run ();
}
