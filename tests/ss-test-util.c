/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-rng.h"
#include "ss-test-util.h"

void
ss_test_check_close (const float *a,
                     const float *b,
                     gsize        n,
                     double       atol,
                     double       rtol,
                     const char  *label,
                     const char  *file,
                     int          line)
{
  double worst = 0;
  gssize first_bad = -1;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      if (!(d <= atol + rtol * fabs ((double) b[i])))  /* NaN fails too */
        {
          if (first_bad < 0)
            first_bad = (gssize) i;
          if (!(d <= worst))
            worst = d;
        }
      else if (d > worst)
        worst = d;
    }
  if (first_bad >= 0)
    {
      g_autofree char *msg =
        g_strdup_printf ("%s: max |diff| %.3g, first bad index %" G_GSSIZE_FORMAT
                         " (got %.8g, want %.8g; atol %.1g rtol %.1g)",
                         label, worst, first_bad, a[first_bad], b[first_bad], atol, rtol);
      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, msg);
    }
  g_test_message ("%s: max |diff| %.3g over %" G_GSIZE_FORMAT " values", label, worst, n);
}

void
ss_test_fill_uniform (float  *x,
                      gsize   n,
                      float   lo,
                      float   hi,
                      guint64 seed)
{
  SsRng rng;
  ss_rng_seed (&rng, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * (float) ss_rng_uniform (&rng);
}

char *
ss_test_data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}
