/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial mutual information of filters and labels, SPEC §5; the definition and the decisions
 * SPEC leaves open are in ss-spatial-mi.h.
 *
 * Legend: N samples, C filters, H W map size, K classes, B bins, D = 2 offset directions
 * (0: vertical (1,0), 1: horizontal (0,1)), P_d pairs of direction d in one map.
 *
 * Scratch of one thread:
 *   hist  (K, D, B, B) guint32  pooled co-occurrence counts of each class's maps
 *   all   (B, B)       guint32  their sum over the classes, one direction at a time
 *   codes (N, H, W)    guint8   the filter being scored, quantized
 * Every map has the same P_d, so a class's histogram holds N_c·P_d pairs and the histogram of
 * all maps (their sum) N·P_d.  Entropies: H = ln n − (1/n)·Σ c·ln c, in nats. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-relevance-private.h"
#include "ss-spatial-mi.h"

/* c·ln c of counts below this comes from a table: pooled histograms hold mostly small counts,
 * and a log per occupied bin would cost more than the counting. */
#define XLOGX_TABLE 4096

typedef struct {
  int           n, c, h, w, k, bins;
  gsize         hw;
  const float  *maps;       /* (N, C, H, W) */
  const guint8 *labels;     /* (N) */
  double        lo, range;  /* the layer's min and max − min */
  gsize         pairs[2];   /* P_d */
  const double *xlogx;      /* (XLOGX_TABLE) c·ln c */
  const double *p;          /* (K) N_c / N */
  const guint64 *n_c;       /* (K) samples of each class */
} Layer;

static inline double
xlogx (const double *table,
       guint64       c)
{
  return c < XLOGX_TABLE ? table[c] : (double) c * log ((double) c);
}

/* Plug-in entropy in nats of n items in m occupied bins with Σ c·ln c = s. */
static inline double
entropy (double s,
         guint  m,
         double n)
{
  /* One occupied bin is exactly 0 (ln n − n·ln n/n may round away from it), so a constant
   * filter scores exactly 0. */
  return m <= 1 ? 0.0 : log (n) - s / n;
}

/* Quantizes filter f's N maps into codes (N, H, W) with the layer's range. */
static void
quantize_filter (const Layer *L,
                 int          f,
                 guint8      *codes)
{
  /* Locals, so the byte stores cannot alias them and the loop vectorises. */
  const double b = L->bins, lo = L->lo, range = L->range;
  const int top = L->bins - 1;
  const gsize hw = L->hw;

  for (int s = 0; s < L->n; s++)
    {
      const float *restrict x = L->maps + ((gsize) s * L->c + f) * hw;
      guint8 *restrict q = codes + (gsize) s * hw;
      for (gsize i = 0; i < hw; i++)
        {
          /* Same operations as ss-entropy.c's quantize: x' ≥ 0, so the cast is the floor;
           * x'·B ≤ 256 fits an int, whose conversion vectorises. */
          const double xp = ((double) x[i] - lo) / range;
          const int bin = (int) (xp * b);
          q[i] = (guint8) (bin < top ? bin : top);
        }
    }
}

/* I_f in bits from the codes of one filter. */
static double
filter_mi (const Layer  *L,
           const guint8 *codes,
           guint32      *hist,
           guint32      *all)
{
  const gsize bb = (gsize) L->bins * (gsize) L->bins;
  const guint32 bins = (guint32) L->bins;
  const int w = L->w;
  double mi = 0.0;
  int n_dirs = 0;

  memset (hist, 0, (gsize) L->k * 2 * bb * sizeof (guint32));
  for (int s = 0; s < L->n; s++)
    {
      const guint8 *restrict q = codes + (gsize) s * L->hw;
      guint32 *restrict hv = hist + (gsize) L->labels[s] * 2 * bb;
      guint32 *restrict hh = hv + bb;

      /* Vertical pairs (i, j), (i + 1, j) are w apart in the row-major map. */
      for (gsize t = 0; t < L->pairs[0]; t++)
        hv[q[t] * bins + q[t + (gsize) w]]++;
      if (L->pairs[1] > 0)
        for (int i = 0; i < L->h; i++)
          {
            const guint8 *row = q + (gsize) i * w;
            for (int j = 0; j + 1 < w; j++)
              hh[row[j] * bins + row[j + 1]]++;
          }
    }

  for (int d = 0; d < 2; d++)
    {
      double s_all = 0.0, h_cond = 0.0;
      guint m_all = 0;

      if (L->pairs[d] == 0)
        continue;
      memset (all, 0, bb * sizeof (guint32));
      for (int c = 0; c < L->k; c++)
        {
          const guint32 *restrict hc = hist + ((gsize) c * 2 + d) * bb;
          const double n = (double) L->n_c[c] * (double) L->pairs[d];
          double s = 0.0;
          guint m = 0;
          if (L->n_c[c] == 0)
            continue;
          for (gsize i = 0; i < bb; i++)
            {
              all[i] += hc[i];
              s += xlogx (L->xlogx, hc[i]);
              m += hc[i] != 0;
            }
          h_cond += L->p[c] * entropy (s, m, n);
        }
      for (gsize i = 0; i < bb; i++)
        {
          s_all += xlogx (L->xlogx, all[i]);
          m_all += all[i] != 0;
        }
      mi += entropy (s_all, m_all, (double) L->n * (double) L->pairs[d]) - h_cond;
      n_dirs++;
    }
  g_assert (n_dirs > 0);
  /* Each direction stands for two of the four offsets, so its weight is the same as theirs. */
  return MAX (mi / n_dirs, 0.0) / G_LN2;
}

static gboolean
check_args (const guint8 *labels,
            int           n,
            int           c,
            int           h,
            int           w,
            int           n_classes,
            int           bins,
            GError      **error)
{
  if (bins < 2 || bins > SS_SPATIAL_MI_BINS_MAX)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Spatial MI bins must be between 2 and %d (default %d), not %d",
                   SS_SPATIAL_MI_BINS_MAX, SS_SPATIAL_MI_BINS_DEFAULT, bins);
      return FALSE;
    }
  if (n < 1 || c < 1 || h < 1 || w < 1 || n_classes < 1 || n_classes > 256)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Spatial MI needs at least one sample, filter, cell and class (got %d samples "
                   "of %d filters of %d×%d, %d classes)", n, c, h, w, n_classes);
      return FALSE;
    }
  if (h == 1 && w == 1)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_SHAPE,
                           "Spatial MI needs neighbouring cells: 1×1 maps have none");
      return FALSE;
    }
  if ((guint64) n * (guint64) h * (guint64) w >= G_MAXUINT32)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Spatial MI counts at most 2³² pairs: %d samples of %d×%d maps are too many",
                   n, h, w);
      return FALSE;
    }
  for (int s = 0; s < n; s++)
    if (labels[s] >= n_classes)
      {
        g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                     "Sample %d has label %u but there are only %d classes", s, labels[s],
                     n_classes);
        return FALSE;
      }
  return TRUE;
}

gboolean
ss_spatial_mi_layer (double        *scores,
                     const float   *maps,
                     const guint8  *labels,
                     int            n,
                     int            c,
                     int            h,
                     int            w,
                     int            n_classes,
                     int            bins,
                     int            n_threads,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autofree double *table = NULL;     /* (XLOGX_TABLE) */
  g_autofree double *p = NULL;         /* (K) */
  g_autofree guint64 *n_c = NULL;      /* (K) */
  g_autofree guint32 *counts = NULL;   /* per thread: hist (K, 2, B, B), all (B, B) */
  g_autofree guint8 *codes = NULL;     /* per thread: (N, H, W) */
  float lo, hi;
  gsize per_thread;
  int nt;
  Layer L;

  g_return_val_if_fail (scores != NULL && maps != NULL && labels != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_args (labels, n, c, h, w, n_classes, bins, error))
    return FALSE;
  L = (Layer) {
    .n = n, .c = c, .h = h, .w = w, .k = n_classes, .bins = bins, .hw = (gsize) h * w,
    .maps = maps, .labels = labels,
    .pairs = { (gsize) (h - 1) * w, (gsize) h * (w - 1) },
  };
  if (!ss_relevance_scan_maps (maps, n, c, L.hw, n_threads, &lo, &hi, error))
    return FALSE;
  if (lo == hi)
    {
      for (int f = 0; f < c; f++)
        scores[f] = 0.0;
      return TRUE;
    }
  L.lo = lo;
  L.range = (double) hi - (double) lo;

  table = g_new (double, XLOGX_TABLE);
  table[0] = 0.0;
  for (int i = 1; i < XLOGX_TABLE; i++)
    table[i] = (double) i * log ((double) i);
  p = g_new0 (double, n_classes);
  n_c = g_new0 (guint64, n_classes);
  for (int s = 0; s < n; s++)
    n_c[labels[s]]++;
  for (int k = 0; k < n_classes; k++)
    p[k] = (double) n_c[k] / n;
  L.xlogx = table;
  L.p = p;
  L.n_c = n_c;

  nt = CLAMP (n_threads, 1, c);
  per_thread = ((gsize) n_classes * 2 + 1) * (gsize) bins * bins;
  counts = g_new (guint32, per_thread * nt);
  codes = g_new (guint8, (gsize) n * L.hw * nt);

#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      guint32 *hist = counts + per_thread * t;
      guint32 *all = hist + (gsize) n_classes * 2 * bins * bins;
      guint8 *q = codes + (gsize) n * L.hw * t;

      /* Filters interleaved over the threads; each writes only its own scores. */
      for (int f = t; f < c; f += nt)
        {
          if (g_cancellable_is_cancelled (cancellable))
            {
              scores[f] = NAN;
              continue;
            }
          quantize_filter (&L, f, q);
          scores[f] = filter_mi (&L, q, hist, all);
        }
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}
