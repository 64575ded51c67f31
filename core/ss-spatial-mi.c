/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial mutual information of filters and labels, SPEC §5; the definition and the decisions
 * SPEC leaves open are in ss-spatial-mi.h.
 *
 * Legend: N samples, C filters, H W map size, K classes, B bins, D = 2 offset directions
 * (0: vertical (1,0), 1: horizontal (0,1)), P_d pairs of direction d in one map.
 *
 * Scratch of one thread:
 *   cls   (D, B, B)  guint32  pooled co-occurrence counts of one class's maps of the filter
 *   all   (D, B, B)  guint32  their sum over the classes counted so far
 *   q     (H, W)     guint16  one map, quantized
 * Every map has the same P_d, so a class's histogram holds N_c·P_d pairs and the histogram of
 * all maps (their sum) N·P_d.  Entropies: H = ln n − (1/n)·Σ c·ln c, in nats.
 *
 * Where the time goes (supersign-cli bench --relevance, N = 100, one thread; perf): counting
 * the pairs, about 1.5 cycles each, is two fifths of it (two increments a cell: near one store
 * a cycle); reading the histograms a fifth; quantizing a sixth and the range scan a tenth, both
 * bound by memory.  Tried without gain: side counters taking turns at the pairs of two zero
 * codes (a branch-free index doubled the loop's instructions; written as ?: it compiled to a
 * branch and ran 3× slower), and prefetching 2 to 8 maps ahead instead of one.
 * So a filter's samples are visited class by class (the order is computed once per layer): one
 * class's histograms are counted, read and cleared while they sit in the L1 cache, instead of
 * K classes' at once; each map is quantized just before its pairs are counted, while the next
 * one is fetched; the vertical and horizontal pairs are counted in one pass; and a histogram is
 * read only over the codes that occur (ReLU maps leave the upper codes empty). */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-quantize-private.h"
#include "ss-relevance-private.h"
#include "ss-spatial-mi.h"

/* c·ln c of counts below this comes from a table: pooled histograms hold mostly small counts,
 * and a log per occupied bin would cost more than the counting. */
#define XLOGX_TABLE 4096

typedef struct {
  int           n, c, h, w, k, bins;
  gsize         hw;
  const float  *maps;       /* (N, C, H, W) */
  SsQuantizer   qz;         /* the layer's range */
  gsize         pairs[2];   /* P_d */
  const double *xlogx;      /* (XLOGX_TABLE) c·ln c */
  const double *p;          /* (K) N_c / N */
  const guint64 *n_c;       /* (K) samples of each class */
  const int    *order;      /* (N) the samples, class by class */
  const int    *start;      /* (K + 1) class k's samples are order[start[k] .. start[k + 1] − 1] */
} Layer;

/* The table of c·ln c, filled on first use and never changed after: 4096 logarithms would cost
 * as much as scoring a small layer. */
static const double *
xlogx_table (void)
{
  static double table[XLOGX_TABLE];
  static gsize ready = 0;

  if (g_once_init_enter (&ready))
    {
      table[0] = 0.0;
      for (int i = 1; i < XLOGX_TABLE; i++)
        table[i] = (double) i * log ((double) i);
      g_once_init_leave (&ready, 1);
    }
  return table;
}

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

/* Quantizes one map x (H, W) into q (H, W) with the layer's range; returns its largest code. */
VECTOR_CLONES static guint
quantize_map (const Layer  *L,
              const float  *x,
              guint16      *q)
{
  const gsize hw = L->hw;
  guint16 mx = 0;

  ss_quantizer_codes (&L->qz, x, hw, q);
  for (gsize i = 0; i < hw; i++)
    mx = MAX (mx, q[i]);
  return mx;
}

/* Asks for sample s's map of filter f to be brought into the cache.  A filter's maps are C maps
 * apart in memory, and in class order they come in no pattern the hardware prefetcher follows:
 * without this, quantizing waits on memory for most of its time. */
static inline void
prefetch_map (const Layer *L,
              int          s,
              int          f)
{
  const char *x = (const char *) (L->maps + ((gsize) s * L->c + f) * L->hw);
  const gsize bytes = L->hw * sizeof (float);

  for (gsize o = 0; o < bytes; o += 64)
    __builtin_prefetch (x + o);
}

/* Adds the pairs of the map q (H, W) to hv (B, B) (vertical) and hh (B, B) (horizontal). */
static void
count_pairs (const Layer   *L,
             const guint16 *q,
             guint32       *hv,
             guint32       *hh)
{
  const guint32 bins = (guint32) L->bins;
  const int h = L->h, w = L->w;

  /* One pass: cell (i, j) is the first of a vertical and of a horizontal pair.  Alternating
   * the two tables also spreads the increments of a frequent bin (0, 0 in ReLU maps), which
   * would otherwise wait on one another through the store buffer. */
  for (int i = 0; i + 1 < h; i++)
    {
      const guint16 *restrict r = q + (gsize) i * w;
      int j = 0;

      for (; j + 1 < w; j++)
        {
          const guint32 a = r[j] * bins;
          hv[a + r[j + w]]++;
          hh[a + r[j + 1]]++;
        }
      hv[r[j] * bins + r[j + w]]++;  /* the last column has no horizontal pair */
    }
  {
    const guint16 *restrict r = q + (gsize) (h - 1) * w;  /* the last row: no vertical pair */
    for (int j = 0; j + 1 < w; j++)
      hh[r[j] * bins + r[j + 1]]++;
  }
}

/* Entropy in nats of the n pairs in hist (B, B), whose codes are all ≤ top (the other bins are
 * 0).  With add (nullable), hist is added to it; hist is cleared. */
static double
histogram_entropy (const Layer *L,
                   guint32     *hist,
                   guint32     *add,
                   guint        top,
                   double       n)
{
  const gsize bins = (gsize) L->bins, cols = (gsize) top + 1;
  const double *table = L->xlogx;
  double s[4] = { 0.0, 0.0, 0.0, 0.0 };
  guint m = 0;

  for (gsize a = 0; a <= top; a++)
    {
      guint32 *restrict row = hist + a * bins;
      gsize b = 0;

      /* Four partial sums, so the additions do not wait on one another (the result may differ
       * from one running sum in the last bit); runs of eight empty bins, common away from the
       * low codes, are skipped.  The table lookups keep this loop scalar; the rest is a vector
       * loop of its own. */
      for (; b + 8 <= cols; b += 8)
        {
          guint32 any = 0;
          for (int u = 0; u < 8; u++)
            any |= row[b + u];
          if (any == 0)
            continue;
          for (int u = 0; u < 8; u++)
            s[u % 4] += xlogx (table, row[b + u]);
        }
      for (; b < cols; b++)
        s[0] += xlogx (table, row[b]);
      if (add != NULL)
        {
          guint32 *restrict to = add + a * bins;
          for (b = 0; b < cols; b++)
            {
              m += row[b] != 0;
              to[b] += row[b];
              row[b] = 0;
            }
        }
      else
        for (b = 0; b < cols; b++)
          {
            m += row[b] != 0;
            row[b] = 0;
          }
    }
  return entropy ((s[0] + s[1]) + (s[2] + s[3]), m, n);
}

/* I_f in bits of filter f.  cls and all (D, B, B) are zero on entry and on return. */
static double
filter_mi (const Layer *L,
           int          f,
           guint32     *cls,
           guint32     *all,
           guint16     *q)
{
  const gsize bb = (gsize) L->bins * (gsize) L->bins;
  double h_cond[2] = { 0.0, 0.0 }, mi = 0.0;
  guint top_all = 0;
  int n_dirs = 0;

  for (int k = 0; k < L->k; k++)
    {
      guint top = 0;

      if (L->n_c[k] == 0)
        continue;
      for (int r = L->start[k]; r < L->start[k + 1]; r++)
        {
          const int s = L->order[r];
          if (r + 1 < L->n)
            prefetch_map (L, L->order[r + 1], f);
          top = MAX (top, quantize_map (L, L->maps + ((gsize) s * L->c + f) * L->hw, q));
          count_pairs (L, q, cls, cls + bb);
        }
      for (int d = 0; d < 2; d++)
        if (L->pairs[d] > 0)
          h_cond[d] += L->p[k] * histogram_entropy (L, cls + d * bb, all + d * bb, top,
                                                    (double) L->n_c[k] * (double) L->pairs[d]);
      top_all = MAX (top_all, top);
    }

  for (int d = 0; d < 2; d++)
    {
      if (L->pairs[d] == 0)
        continue;
      mi += histogram_entropy (L, all + d * bb, NULL, top_all,
                               (double) L->n * (double) L->pairs[d]) - h_cond[d];
      n_dirs++;
    }
  g_assert (n_dirs > 0);
  /* Each direction stands for two of the four offsets, so its weight is the same as theirs. */
  return MAX (mi / n_dirs, 0.0) / G_LN2;
}

static gboolean
check_args (const SsLabel *labels,
            int            n,
            int            c,
            int            h,
            int            w,
            int            n_classes,
            int            bins,
            GError       **error)
{
  if (bins < 2 || bins > SS_SPATIAL_MI_BINS_MAX)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Spatial MI bins must be between 2 and %d (default %d), not %d",
                   SS_SPATIAL_MI_BINS_MAX, SS_SPATIAL_MI_BINS_DEFAULT, bins);
      return FALSE;
    }
  if (n < 1 || c < 1 || h < 1 || w < 1 || n_classes < 1 ||
      n_classes > SS_MAX_CLASSES)
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
                     const SsLabel *labels,
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
  g_autofree double *p = NULL;         /* (K) */
  g_autofree guint64 *n_c = NULL;      /* (K) */
  g_autofree int *order = NULL;        /* (N) */
  g_autofree int *start = NULL;        /* (K + 1) */
  g_autofree guint32 *counts = NULL;   /* per thread: cls (D, B, B), all (D, B, B) */
  g_autofree guint16 *codes = NULL;    /* per thread: (H, W) */
  float lo, hi;
  gsize per_thread;
  int nt, next_filter = 0;
  Layer L;

  g_return_val_if_fail (scores != NULL && maps != NULL && labels != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_args (labels, n, c, h, w, n_classes, bins, error))
    return FALSE;
  L = (Layer) {
    .n = n, .c = c, .h = h, .w = w, .k = n_classes, .bins = bins, .hw = (gsize) h * w,
    .maps = maps,
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
  L.qz = ss_quantizer_make (lo, hi, bins);

  p = g_new0 (double, n_classes);
  n_c = g_new0 (guint64, n_classes);
  for (int s = 0; s < n; s++)
    n_c[labels[s]]++;
  for (int k = 0; k < n_classes; k++)
    p[k] = (double) n_c[k] / n;
  /* The samples by class (a counting sort), the same for every filter. */
  start = g_new0 (int, n_classes + 1);
  order = g_new (int, n);
  for (int k = 0; k < n_classes; k++)
    start[k + 1] = start[k] + (int) n_c[k];
  {
    g_autofree int *slot = g_memdup2 (start, (gsize) n_classes * sizeof (int));
    for (int s = 0; s < n; s++)
      order[slot[labels[s]]++] = s;
  }
  L.xlogx = xlogx_table ();
  L.p = p;
  L.n_c = n_c;
  L.order = order;
  L.start = start;

  nt = CLAMP (n_threads, 1, c);
  /* Whole cache lines per thread, so the threads' tables never share one. */
  per_thread = ((gsize) 4 * bins * bins + 15) / 16 * 16;
  counts = g_new0 (guint32, per_thread * nt);
  codes = g_new (guint16, L.hw * nt);

#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      guint32 *cls = counts + per_thread * t;
      guint32 *all = cls + (gsize) 2 * bins * bins;
      guint16 *q = codes + L.hw * t;
      int f;

      /* Filters taken one at a time from a shared counter, so a thread the system schedules
       * late scores fewer of them rather than holding the others up (a layer takes a few
       * milliseconds, about a time slice).  Each writes only its own scores, which do not
       * depend on the thread. */
      while ((f = g_atomic_int_add (&next_filter, 1)) < c)
        {
          if (g_cancellable_is_cancelled (cancellable))
            {
              scores[f] = NAN;
              continue;
            }
          scores[f] = filter_mi (&L, f, cls, all, q);
        }
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}
