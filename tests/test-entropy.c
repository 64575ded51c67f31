/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial aura matrix entropy, SDE and the permutation null (core/ss-entropy.h, SPEC §1).
 * Legend: H W map size, N = H·W cells, B bins, R SDE radius, P permutations; maps (H, W) float.
 * Entropies below are in bits, as SsAmeResult reports them; H_R is a ratio (base-free). */

#include <math.h>
#include <string.h>

#include "entropy-check.h"
#include "ss-error.h"
#include "ss-rng.h"
#include "ss-test-util.h"

/* Hand-computed cases; the statistical and property tests are in test-entropy-props.c. */

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
  SsAmeOptions o = entropy_check_opts (SS_AME_BINS_AUTO, FALSE, 0);

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
  g_assert_cmpint (entropy_check_ame (x, 7, 7, entropy_check_opts (SS_AME_BINS_AUTO, FALSE, 0))
                     .bins, ==, 4);
}

static void
test_constant (void)
{
  float x[6 * 5];
  SsAmeResult r;
  SsAmeNull nul;
  SsRng rng, before;
  g_autoptr (GError) error = NULL;
  SsAmeOptions o = entropy_check_opts (256, FALSE, 0);
  const gsize size = ss_ame_scratch_size (6, 5, &o);
  g_autofree gpointer scratch = g_malloc (size);

  g_test_summary ("A constant map has AME 0 and status CONSTANT (not a crash, not N/A); its "
                  "null is 0 and draws nothing from the generator.");
  for (int i = 0; i < 30; i++)
    x[i] = 3.25f;
  r = entropy_check_ame (x, 6, 5, o);
  g_assert_cmpint (r.status, ==, SS_AME_CONSTANT);
  g_assert_cmpfloat (r.ame, ==, 0.0);
  g_assert_cmpfloat (r.h0, ==, 0.0);
  g_assert_cmpuint (r.h0_occupied, ==, 1);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (r.h_joint[i], ==, 0.0);
  g_assert_cmpuint (r.n_pairs, ==, 24);  /* min (6·4, 5·5) */
  g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "constant");

  r = entropy_check_ame (x, 6, 5, entropy_check_opts (4, TRUE, 2));
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
  entropy_check_fill_halves (x);
  g_assert_cmpfloat_with_epsilon (hh, 1.448815636, 1e-9);
  for (int b = 0; b < 2; b++)
    {
      SsAmeResult r = entropy_check_ame (x, 8, 8, entropy_check_opts (bin_counts[b], FALSE, 0));

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

  r = entropy_check_ame (x8, 8, 8, entropy_check_opts (2, FALSE, 0));
  g_assert_cmpint (r.status, ==, SS_AME_OK);
  g_assert_cmpfloat_with_epsilon (r.h0, 1.0, 1e-12);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (r.h_joint[i], 1.0, 1e-12);
  g_assert_cmpfloat (r.ame, <, 1e-12);

  r = entropy_check_ame (x7, 7, 7, entropy_check_opts (2, FALSE, 0));
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
  SsAmeResult r256 = entropy_check_ame (x7, 7, 7, entropy_check_opts (256, FALSE, 0));
  g_assert_cmpfloat (r256.ame, ==, r.ame);
  g_assert_true (r256.bias_dominated);
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
  SsAmeOptions o = entropy_check_opts (256, FALSE, 0);
  gsize size = ss_ame_scratch_size (1, 1, &o);
  g_autofree gpointer scratch = g_malloc (size);
  const float two[2] = { 0.1f, 0.9f };

  g_test_summary ("A 1×1 map has no neighbour pair: NOT_APPLICABLE with ame NAN, distinct from "
                  "a constant map's 0; a 1×W map uses its two horizontal offsets only.");
  r = entropy_check_ame (&one, 1, 1, o);
  g_assert_cmpint (r.status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_true (isnan (r.ame));
  g_assert_cmpuint (r.n_offsets, ==, 0);
  g_assert_cmpuint (r.n_pairs, ==, 0);
  g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "not applicable");
  /* Size is checked before the values. */
  g_assert_cmpint (entropy_check_ame (&nan1, 1, 1, o).status, ==, SS_AME_NOT_APPLICABLE);
  g_assert_cmpint (entropy_check_ame (&one, 1, 1, entropy_check_opts (4, TRUE, 3)).status, ==,
                   SS_AME_NOT_APPLICABLE);

  nul = entropy_check_null_of (&one, 1, 1, o, 8, 1);
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
  r = entropy_check_ame (row, 1, 5, entropy_check_opts (2, FALSE, 0));
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
  SsAmeOptions o = entropy_check_opts (256, FALSE, 0);

  g_test_summary ("A map holding NaN, +Inf or −Inf gets AME 0 and status NONFINITE; so does "
                  "its null.");
  for (int b = 0; b < 3; b++)
    {
      ss_test_fill_uniform (x, 24, 0.0f, 1.0f, 8);
      x[13] = bad[b];
      SsAmeResult r = entropy_check_ame (x, 4, 6, o);
      g_assert_cmpint (r.status, ==, SS_AME_NONFINITE);
      g_assert_cmpfloat (r.ame, ==, 0.0);
      g_assert_true (isnan (r.h0));
      g_assert_cmpuint (r.n_pairs, ==, 18);  /* geometry is still reported */
      g_assert_cmpstr (ss_ame_status_to_string (r.status), ==, "non-finite");

      SsAmeNull nul = entropy_check_null_of (x, 4, 6, o, 8, 4);
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
  entropy_check_fill_halves (x);
  p = entropy_check_ame (x, 8, 8, entropy_check_opts (2, FALSE, 0));
  c = entropy_check_ame (x, 8, 8, entropy_check_opts (2, TRUE, 0));
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
  entropy_check_fill_levels (y, 13, 11, 9, &rng);
  p = entropy_check_ame (y, 13, 11, entropy_check_opts (16, FALSE, 0));
  c = entropy_check_ame (y, 13, 11, entropy_check_opts (16, TRUE, 0));
  g_assert_cmpuint (c.h0_occupied, ==, p.h0_occupied);
  g_assert_cmpuint (p.h0_occupied, ==, 9);
  g_assert_cmpfloat_with_epsilon (c.h0 - p.h0, (9 - 1) / (2.0 * 143) / G_LN2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c.ame, entropy_check_ref_ame (y, 13, 11, 16, TRUE, 0), 1e-12);
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
  r0 = entropy_check_ame (x, 2, 3, entropy_check_opts (2, FALSE, 0));
  r1 = entropy_check_ame (x, 2, 3, entropy_check_opts (2, FALSE, 1));
  r2 = entropy_check_ame (x, 2, 3, entropy_check_opts (2, FALSE, 2));
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
      entropy_check_fill_levels (y, h, w, 4 + t, &rng);

      const double a = entropy_check_ame (y, h, w, entropy_check_opts (8, FALSE, 0)).ame;
      const double s1 = entropy_check_ame (y, h, w, entropy_check_opts (8, FALSE, 1)).ame;
      const double full8 = entropy_check_ref_ame (y, h, w, 8, FALSE, 1);
      /* the reference's R = 1 mean over 8 offsets, minus its 4-neighbour part, is the diagonals */
      const double diag = 2.0 * full8 - entropy_check_ref_ame (y, h, w, 8, FALSE, 0);
      g_assert_cmpfloat_with_epsilon (s1, (a + diag) / 2.0, 1e-12);
      g_assert_cmpfloat_with_epsilon (s1, full8, 1e-12);
      g_assert_cmpfloat_with_epsilon (entropy_check_ame (y, h, w,
                                                         entropy_check_opts (8, FALSE, 3)).ame,
                                      entropy_check_ref_ame (y, h, w, 8, FALSE, 3), 1e-12);
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
  g_test_add_func ("/entropy/not-applicable", test_not_applicable);
  g_test_add_func ("/entropy/nonfinite", test_nonfinite);
  g_test_add_func ("/entropy/miller-madow", test_miller_madow);
  g_test_add_func ("/entropy/sde", test_sde);
  return g_test_run ();
}
