/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-ticks.h"

#include <float.h>
#include <math.h>

/* A usable range: finite, ordered, not empty. */
static void
sanitize_range (double *lo,
                double *hi)
{
  if (!isfinite (*lo) || !isfinite (*hi))
    *lo = 0.0, *hi = 1.0;
  if (*lo > *hi)
    {
      double t = *lo;
      *lo = *hi;
      *hi = t;
    }
  if (*lo == *hi)
    {
      double d = fabs (*lo) * 0.05;
      if (d == 0.0)
        *lo = 0.0, *hi = 1.0;
      else
        *lo -= d, *hi += d;
    }
}

/* Float noise in a quotient v / step, which grows with the quotient (0.3 / 2e-8): data sitting
 * on a tick up to this counts as on it (1 / 0.2 is 5.000000000000001). */
static double
quotient_slack (double q)
{
  return 1e-9 + 8 * DBL_EPSILON * fabs (q);
}

/* The smallest step in {1, 2, 5} × 10^k whose multiples for [lo, hi] number at most
 * max_ticks: those covering it (outward, from floor (lo / step) to ceil (hi / step)) or those
 * inside it (inward).  Sets *k0 to the first multiple's index and *n to their number. */
static double
pick_step (double   lo,
           double   hi,
           int      max_ticks,
           gboolean inward,
           double  *k0,
           int     *n)
{
  static const double mantissas[] = { 1.0, 2.0, 5.0 };

  /* The answer's exponent is at most one below (hi − lo) / max_ticks's: start there, climb. */
  for (int exponent = (int) floor (log10 ((hi - lo) / max_ticks)) - 1;; exponent++)
    for (gsize m = 0; m < G_N_ELEMENTS (mantissas); m++)
      {
        double step = mantissas[m] * pow (10.0, exponent);
        double q0 = lo / step, q1 = hi / step, k1;

        if (inward)
          {
            *k0 = ceil (q0 - quotient_slack (q0));
            k1 = floor (q1 + quotient_slack (q1));
          }
        else
          {
            *k0 = floor (q0 + quotient_slack (q0));
            k1 = ceil (q1 - quotient_slack (q1));
          }
        *n = (int) (k1 - *k0) + 1;
        if (*n <= max_ticks)
          return step;
      }
}

/* ticks->values = n multiples of step from index k0 (multiples, not repeated sums, so 0.6 is
 * 3 × 0.2 and not 0.6000000000000001; float noise near 0 is 0). */
static void
fill_ticks (SsFigTicks *ticks,
            double      step,
            double      k0,
            int         n)
{
  ticks->step = step;
  ticks->n = n;
  for (int i = 0; i < n; i++)
    {
      double v = (k0 + i) * step;
      ticks->values[i] = fabs (v) < step * 1e-9 ? 0.0 : v;
    }
}

void
ss_fig_nice_ticks (double      lo,
                   double      hi,
                   int         max_ticks,
                   SsFigTicks *ticks)
{
  double step, k0;
  int n;

  g_return_if_fail (ticks != NULL);

  max_ticks = CLAMP (max_ticks, 2, SS_FIG_MAX_TICKS);
  sanitize_range (&lo, &hi);
  step = pick_step (lo, hi, max_ticks, FALSE, &k0, &n);
  /* A range within one step still gets two ticks around it. */
  fill_ticks (ticks, step, k0, MAX (n, 2));
  ticks->lo = ticks->values[0];
  ticks->hi = ticks->values[ticks->n - 1];
}

void
ss_fig_data_ticks (double      lo,
                   double      hi,
                   double      pad_lo,
                   double      pad_hi,
                   int         max_ticks,
                   SsFigTicks *ticks)
{
  double span, step, k0;
  int n;

  g_return_if_fail (ticks != NULL);

  max_ticks = CLAMP (max_ticks, 2, SS_FIG_MAX_TICKS);
  sanitize_range (&lo, &hi);
  span = hi - lo;
  lo -= MAX (pad_lo, 0.0) * span;
  hi += MAX (pad_hi, 0.0) * span;
  step = pick_step (lo, hi, max_ticks, TRUE, &k0, &n);
  if (n < 2)
    {
      ss_fig_nice_ticks (lo, hi, max_ticks, ticks);
      return;
    }
  fill_ticks (ticks, step, k0, n);
  ticks->lo = lo;
  ticks->hi = hi;
}

char *
ss_fig_format_tick (double v,
                    double step)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  int decimals;

  if (fabs (v) < fabs (step) * 1e-9)
    v = 0.0;
  if (!(step > 0.0) || step >= 1e5 || step < 1e-4)
    g_ascii_formatd (buf, sizeof buf, "%g", v);
  else
    {
      char format[16];
      decimals = MAX (0, -(int) floor (log10 (step) + 1e-9));
      g_snprintf (format, sizeof format, "%%.%df", decimals);
      g_ascii_formatd (buf, sizeof buf, format, v);
    }
  if (buf[0] == '-')
    return g_strconcat ("\342\210\222", buf + 1, NULL);   /* U+2212 MINUS SIGN */
  return g_strdup (buf);
}
