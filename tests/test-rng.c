/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-rng.h"

static void
test_rng_reproducible (void)
{
  SsRng a, b;
  g_test_summary ("The same seed gives the same stream; another seed another stream.");
  ss_rng_seed (&a, 42);
  ss_rng_seed (&b, 42);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpuint (ss_rng_next (&a), ==, ss_rng_next (&b));
  ss_rng_seed (&b, 43);
  g_assert_cmpuint (ss_rng_next (&a), !=, ss_rng_next (&b));
}

static void
test_rng_moments (void)
{
  SsRng rng;
  const int n = 200000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0;
  g_test_summary ("Uniform has mean 1/2 and variance 1/12; normal has mean 0 and variance 1.");
  ss_rng_seed (&rng, 7);
  for (int i = 0; i < n; i++)
    {
      double u = ss_rng_uniform (&rng), z = ss_rng_normal (&rng);
      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      su += u; su2 += u * u; sn += z; sn2 += z * z;
    }
  /* 5 standard errors: fails by chance with probability < 1e-6. */
  g_assert_cmpfloat (fabs (su / n - 0.5), <, 5 * sqrt (1.0 / 12 / n));
  g_assert_cmpfloat (fabs (su2 / n - su * su / n / n - 1.0 / 12), <, 5 * 0.0745 / sqrt (n));
  g_assert_cmpfloat (fabs (sn / n), <, 5 / sqrt (n));
  g_assert_cmpfloat (fabs (sn2 / n - 1), <, 5 * sqrt (2.0 / n));
}

static void
test_rng_below_and_shuffle (void)
{
  SsRng rng;
  guint counts[7] = { 0 };
  guint32 idx[100];
  gboolean seen[100] = { FALSE };
  g_test_summary ("ss_rng_below stays in range and is roughly uniform; a shuffle is a permutation.");
  ss_rng_seed (&rng, 1);
  for (int i = 0; i < 70000; i++)
    counts[ss_rng_below (&rng, 7)]++;
  for (int i = 0; i < 7; i++)
    g_assert_cmpuint (counts[i], >, 9500);  /* expected 10000, sd ≈ 93 */
  for (guint32 i = 0; i < 100; i++)
    idx[i] = i;
  ss_rng_shuffle (&rng, idx, 100);
  for (int i = 0; i < 100; i++)
    {
      g_assert_cmpuint (idx[i], <, 100);
      g_assert_false (seen[idx[i]]);
      seen[idx[i]] = TRUE;
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/rng/reproducible", test_rng_reproducible);
  g_test_add_func ("/rng/moments", test_rng_moments);
  g_test_add_func ("/rng/below-and-shuffle", test_rng_below_and_shuffle);
  return g_test_run ();
}
