/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Pooled-histogram mutual information, SPEC §3; decisions are listed in ss-mi.h.
 *
 * Legend: N values per accumulate call, B bins.  The joint histogram is B×B guint64 counts,
 * row index q_a, column q_b; the marginals are its row and column sums.  Entropies are summed
 * in nats in bin order as H = ln n − (1/n)·Σ c·ln c and converted to bits at the end. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-mi.h"

struct _SsMiHistogram {
  int      bins;
  guint64  n;
  guint64  n_skipped;
  guint64 *joint;   /* (B, B) */
  guint64 *marg_a;  /* (B) */
  guint64 *marg_b;  /* (B) */
};

SsMiHistogram *
ss_mi_histogram_new (int      bins,
                     GError **error)
{
  SsMiHistogram *hist;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bins < 2 || bins > SS_MI_BINS_MAX)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Mutual-information bins must be between 2 and %d (default %d), not %d",
                   SS_MI_BINS_MAX, SS_MI_BINS_DEFAULT, bins);
      return NULL;
    }
  hist = g_new0 (SsMiHistogram, 1);
  hist->bins = bins;
  hist->joint = g_new0 (guint64, (gsize) bins * (gsize) bins);
  hist->marg_a = g_new0 (guint64, bins);
  hist->marg_b = g_new0 (guint64, bins);
  return hist;
}

void
ss_mi_histogram_free (SsMiHistogram *hist)
{
  if (hist == NULL)
    return;
  g_free (hist->joint);
  g_free (hist->marg_a);
  g_free (hist->marg_b);
  g_free (hist);
}

void
ss_mi_histogram_clear (SsMiHistogram *hist)
{
  g_return_if_fail (hist != NULL);

  const gsize b = (gsize) hist->bins;
  memset (hist->joint, 0, b * b * sizeof (guint64));
  memset (hist->marg_a, 0, b * sizeof (guint64));
  memset (hist->marg_b, 0, b * sizeof (guint64));
  hist->n = hist->n_skipped = 0;
}

static inline guint
bin_of (float v,
        int   bins)
{
  if (!(v > 0.0f))
    return 0;
  if (v >= 1.0f)
    return (guint) bins - 1;
  return MIN ((guint) ((double) v * bins), (guint) bins - 1);
}

void
ss_mi_histogram_accumulate (SsMiHistogram *hist,
                            const float   *a,
                            const float   *b,
                            gsize          len)
{
  g_return_if_fail (hist != NULL);
  g_return_if_fail (len == 0 || (a != NULL && b != NULL));

  const int bins = hist->bins;
  for (gsize i = 0; i < len; i++)
    {
      if (!isfinite (a[i]) || !isfinite (b[i]))
        {
          hist->n_skipped++;
          continue;
        }
      const guint qa = bin_of (a[i], bins), qb = bin_of (b[i], bins);
      hist->joint[(gsize) qa * bins + qb]++;
      hist->marg_a[qa]++;
      hist->marg_b[qb]++;
      hist->n++;
    }
}

int
ss_mi_histogram_get_bins (const SsMiHistogram *hist)
{
  g_return_val_if_fail (hist != NULL, 0);
  return hist->bins;
}

guint64
ss_mi_histogram_get_n (const SsMiHistogram *hist)
{
  g_return_val_if_fail (hist != NULL, 0);
  return hist->n;
}

guint64
ss_mi_histogram_get_n_skipped (const SsMiHistogram *hist)
{
  g_return_val_if_fail (hist != NULL, 0);
  return hist->n_skipped;
}

guint64
ss_mi_histogram_get_count (const SsMiHistogram *hist,
                           int                  qa,
                           int                  qb)
{
  g_return_val_if_fail (hist != NULL, 0);
  g_return_val_if_fail (qa >= 0 && qa < hist->bins && qb >= 0 && qb < hist->bins, 0);
  return hist->joint[(gsize) qa * hist->bins + qb];
}

/* Plug-in entropy in nats of counts (n_slots) summing to n. */
static double
entropy_nats (const guint64 *counts,
              gsize          n_slots,
              guint64        n)
{
  double sum = 0.0;
  guint m = 0;

  if (n == 0)
    return 0.0;
  for (gsize s = 0; s < n_slots; s++)
    if (counts[s] != 0)
      {
        const double c = (double) counts[s];
        sum += c * log (c);
        m++;
      }
  return m <= 1 ? 0.0 : MAX (log ((double) n) - sum / (double) n, 0.0);
}

void
ss_mi_entropies (const SsMiHistogram *hist,
                 double              *h_a,
                 double              *h_b,
                 double              *h_ab)
{
  g_return_if_fail (hist != NULL);

  const gsize b = (gsize) hist->bins;
  if (h_a != NULL)
    *h_a = entropy_nats (hist->marg_a, b, hist->n) / G_LN2;
  if (h_b != NULL)
    *h_b = entropy_nats (hist->marg_b, b, hist->n) / G_LN2;
  if (h_ab != NULL)
    *h_ab = entropy_nats (hist->joint, b * b, hist->n) / G_LN2;
}

double
ss_mi_bits (const SsMiHistogram *hist)
{
  double ha, hb, hab;

  g_return_val_if_fail (hist != NULL, 0.0);

  /* In nats first, so H(a) + H(a) − H(a,a) is H(a) to the bit when a == b: the diagonal of the
   * joint holds the marginal's counts in the same order. */
  const gsize b = (gsize) hist->bins;
  ha = entropy_nats (hist->marg_a, b, hist->n);
  hb = entropy_nats (hist->marg_b, b, hist->n);
  hab = entropy_nats (hist->joint, b * b, hist->n);
  return MAX (ha + hb - hab, 0.0) / G_LN2;
}
