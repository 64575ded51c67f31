/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Matrix-based Rényi α-entropy MI of filters and labels; the definition, the kernel-width rule
 * and how the joint entropy is reduced to class blocks are in ss-renyi.h.
 *
 * Legend: N samples, C filters, d = H·W cells of a map, K classes, N_c samples of class c.
 * Rows are samples in class order (order[r] is the sample of row r; class c owns the rows
 * start[c] .. start[c + 1] − 1).
 *
 * Workspace of one thread:
 *   x      (N, d)        float   the filter's maps, centred, in class order
 *   mean   (d)           double  the mean map
 *   g      (N, N)        float   Gram x·xᵀ, upper triangle (cblas_ssyrk)
 *   dist   (N, N)        double  D_ij on the upper triangle; then a class block's K_cc / N
 *   sel    (N(N−1)/2)    double  the D_ij again, reordered by the median's selection
 *   a      (N, N)        double  K / N, overwritten by the eigensolver
 *   lambda (N)           double  eigenvalues
 *   work   (lwork)       double, iwork (liwork) int: dsyevd's, sized by a workspace query */

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "ss-error.h"
#include "ss-relevance-private.h"
#include "ss-renyi.h"

/* LAPACK's symmetric eigensolver (divide and conquer), exported by Debian's libopenblas; its
 * -dev package ships no lapack.h, and liblapacke-dev would add a library and a package for one
 * call.  Fortran convention: every argument by reference, then the hidden lengths of the
 * character arguments (size_t for gfortran ≥ 8, which built OpenBLAS's LAPACK). */
extern void dsyevd_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                     double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                     int *info, size_t jobz_len, size_t uplo_len);

/* The workspace is about 3·N² doubles per thread: 8192 samples already take 1.5 GiB. */
#define MAX_SAMPLES 8192

typedef struct {
  int           n, c, d, k;
  double        alpha;
  const float  *maps;    /* (N, C, d) */
  const int    *order;   /* (N) */
  const int    *start;   /* (K + 1) */
  double        s_b;     /* S_α(B), bits */
  int           lwork, liwork;
} Layer;

typedef struct {
  float  *x;       /* (N, d) */
  double *mean;    /* (d) */
  float  *g;       /* (N, N) */
  double *dist;    /* (N, N) */
  double *sel;     /* (N(N−1)/2) */
  double *a;       /* (N, N) */
  double *lambda;  /* (N) */
  double *work;    /* (lwork) */
  int    *iwork;   /* (liwork) */
} Work;

/* Adds the eigenvalues' share of S_α to *acc: λ^α for α ≠ 1, −λ·log₂ λ for α = 1. */
static void
accumulate_spectrum (double       *acc,
                     const double *lambda,
                     int           n,
                     double        alpha)
{
  for (int i = 0; i < n; i++)
    {
      /* Rounding leaves the null space's eigenvalues at ±1e-17, not 0. */
      const double l = MAX (lambda[i], 0.0);
      if (alpha == 1.0)
        *acc -= l > 0.0 ? l * log2 (l) : 0.0;
      else
        *acc += pow (l, alpha);
    }
}

static double
entropy_from_acc (double acc,
                  double alpha)
{
  return alpha == 1.0 ? acc : log2 (acc) / (1.0 - alpha);
}

/* Eigenvalues of m (n, n) (overwritten) into lambda (n); FALSE if dsyevd fails. */
static gboolean
eigenvalues (double *m,
             int     n,
             double *lambda,
             double *work,
             int     lwork,
             int    *iwork,
             int     liwork)
{
  int info = 0;

  /* Symmetric, so the row-major upper triangle read as column-major "U" is the same matrix. */
  dsyevd_ ("N", "U", &n, m, &n, lambda, work, &lwork, iwork, &liwork, &info, 1, 1);
  return info == 0;
}

/* dsyevd's optimal workspace for n×n eigenvalues; it serves every smaller n too. */
static void
query_workspace (int  n,
                 int *lwork,
                 int *liwork)
{
  double wq = 0.0, dummy = 0.0;
  int iwq = 0, info = 0, q = -1;

  dsyevd_ ("N", "U", &n, &dummy, &n, &dummy, &wq, &q, &iwq, &q, &info, 1, 1);
  *lwork = MAX ((int) wq, 2 * n + 1);
  *liwork = MAX (iwq, 1);
}

/* The k-th smallest of v (len), reordering v so that every element before index k is ≤ it. */
static double
select_kth (double *v,
            gssize  len,
            gssize  k)
{
  gssize lo = 0, hi = len - 1;

  while (lo < hi)
    {
      const double pivot = v[lo + (hi - lo) / 2];
      gssize i = lo, j = hi;
      /* Hoare partition: runs of equal values (ReLU maps' zeros) split evenly. */
      while (i <= j)
        {
          while (v[i] < pivot)
            i++;
          while (v[j] > pivot)
            j--;
          if (i <= j)
            {
              const double t = v[i];
              v[i++] = v[j];
              v[j--] = t;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        break;  /* j < k < i: v[k] equals the pivot, everything before it is ≤ */
    }
  return v[k];
}

/* numpy.median of v (len ≥ 1), reordering v. */
static double
median (double *v,
        gsize   len)
{
  const gssize k = (gssize) (len / 2);
  const double upper = select_kth (v, (gssize) len, k);
  double lower = -INFINITY;

  if (len % 2 == 1)
    return upper;
  for (gssize i = 0; i < k; i++)
    lower = MAX (lower, v[i]);
  return (lower + upper) / 2.0;
}

/* I_f in bits for filter f; *sigma receives σ.  NAN if the eigensolver fails. */
static double
filter_mi (const Layer *L,
           int          f,
           Work        *wk,
           double      *sigma)
{
  const int n = L->n, d = L->d;
  const gsize nn = (gsize) n;
  double pos_sum = 0.0, s2, inv, acc_a = 0.0, acc_joint = 0.0;
  gsize m = 0, n_pos = 0;

  memset (wk->mean, 0, (gsize) d * sizeof (double));
  for (int r = 0; r < n; r++)
    {
      const float *x = L->maps + ((gsize) L->order[r] * L->c + f) * d;
      for (int j = 0; j < d; j++)
        wk->mean[j] += x[j];
    }
  for (int j = 0; j < d; j++)
    wk->mean[j] /= n;
  for (int r = 0; r < n; r++)
    {
      const float *x = L->maps + ((gsize) L->order[r] * L->c + f) * d;
      float *xr = wk->x + (gsize) r * d;
      for (int j = 0; j < d; j++)
        xr[j] = (float) ((double) x[j] - wk->mean[j]);
    }
  /* G = X·Xᵀ: M = N rows, K = d. */
  cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, n, d, 1.0f, wk->x, d, 0.0f, wk->g, n);

  for (gsize i = 0; i < nn; i++)
    for (gsize j = i + 1; j < nn; j++)
      {
        const double dij = MAX ((double) wk->g[i * nn + i] + (double) wk->g[j * nn + j]
                                - 2.0 * (double) wk->g[i * nn + j], 0.0);
        wk->dist[i * nn + j] = dij;
        wk->sel[m++] = dij;
        if (dij > 0.0)
          {
            pos_sum += dij;
            n_pos++;
          }
      }
  if (n_pos == 0)
    {
      /* All maps equal: K is all ones, S_α(A) = 0 and the joint's spectrum is B's. */
      *sigma = 0.0;
      return 0.0;
    }
  s2 = median (wk->sel, m);
  if (s2 == 0.0)
    s2 = pos_sum / (double) n_pos;
  *sigma = sqrt (s2);

  inv = 1.0 / (2.0 * s2);
  for (gsize i = 0; i < nn; i++)
    {
      wk->a[i * nn + i] = 1.0 / n;
      for (gsize j = i + 1; j < nn; j++)
        wk->a[i * nn + j] = wk->a[j * nn + i] = exp (-wk->dist[i * nn + j] * inv) / n;
    }

  /* The joint's class blocks, copied out of a before the eigensolver overwrites it; dist is
   * free from here on. */
  for (int c = 0; c < L->k; c++)
    {
      const int s0 = L->start[c], nc = L->start[c + 1] - s0;
      if (nc == 0)
        continue;
      for (int i = 0; i < nc; i++)
        memcpy (wk->dist + (gsize) i * nc, wk->a + (gsize) (s0 + i) * nn + s0,
                (gsize) nc * sizeof (double));
      if (!eigenvalues (wk->dist, nc, wk->lambda, wk->work, L->lwork, wk->iwork, L->liwork))
        return NAN;
      accumulate_spectrum (&acc_joint, wk->lambda, nc, L->alpha);
    }
  if (!eigenvalues (wk->a, n, wk->lambda, wk->work, L->lwork, wk->iwork, L->liwork))
    return NAN;
  accumulate_spectrum (&acc_a, wk->lambda, n, L->alpha);
  return entropy_from_acc (acc_a, L->alpha) + L->s_b - entropy_from_acc (acc_joint, L->alpha);
}

static gboolean
check_args (const float   *maps,
            const SsLabel *labels,
            int            n,
            int            c,
            int            h,
            int            w,
            int            n_classes,
            double         alpha,
            GError       **error)
{
  const gsize d = (gsize) MAX (h, 0) * (gsize) MAX (w, 0);

  if (n < 2 || n > MAX_SAMPLES || c < 1 || h < 1 || w < 1 || n_classes < 1 ||
      n_classes > SS_MAX_CLASSES || d > G_MAXINT / 2)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Rényi MI needs 2 to %d samples, at least one filter, cell and class (got "
                   "%d samples of %d filters of %d×%d, %d classes)", MAX_SAMPLES, n, c, h, w,
                   n_classes);
      return FALSE;
    }
  if (!(alpha > 0.0) || !isfinite (alpha))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "The Rényi order α must be positive and finite (default %g), not %g",
                   SS_RENYI_ALPHA_DEFAULT, alpha);
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
  return ss_relevance_scan_maps (maps, n, c, d, 1, NULL, NULL, error);
}

gboolean
ss_renyi_mi_layer (double        *scores,
                   double        *sigmas,
                   const float   *maps,
                   const SsLabel *labels,
                   int            n,
                   int            c,
                   int            h,
                   int            w,
                   int            n_classes,
                   double         alpha,
                   int            n_threads,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autofree int *order = NULL;       /* (N) */
  g_autofree int *start = NULL;       /* (K + 1) */
  g_autofree float *fbuf = NULL;      /* per thread: x (N, d), g (N, N) */
  g_autofree double *dbuf = NULL;     /* per thread: mean, dist, sel, a, lambda, work */
  g_autofree int *ibuf = NULL;        /* per thread: iwork */
  g_autofree gboolean *failed = NULL; /* per thread */
  gsize nn, f_per, d_per;
  double acc_b = 0.0;
  int nt;
  Layer L;

  g_return_val_if_fail (scores != NULL && maps != NULL && labels != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_args (maps, labels, n, c, h, w, n_classes, alpha, error))
    return FALSE;
  L = (Layer) { .n = n, .c = c, .d = h * w, .k = n_classes, .alpha = alpha, .maps = maps };

  /* Class order (counting sort, stable) and S_α(B) from the class sizes. */
  order = g_new (int, n);
  start = g_new0 (int, n_classes + 1);
  for (int s = 0; s < n; s++)
    start[labels[s] + 1]++;
  for (int k = 0; k < n_classes; k++)
    {
      if (start[k + 1] > 0)
        {
          const double p = (double) start[k + 1] / n;
          acc_b += alpha == 1.0 ? -p * log2 (p) : pow (p, alpha);
        }
      start[k + 1] += start[k];
    }
  {
    g_autofree int *next = g_memdup2 (start, (gsize) n_classes * sizeof (int));
    for (int s = 0; s < n; s++)
      order[next[labels[s]]++] = s;
  }
  L.order = order;
  L.start = start;
  L.s_b = entropy_from_acc (acc_b, alpha);
  query_workspace (n, &L.lwork, &L.liwork);

  /* Parallelism is over filters: one BLAS thread each, as ss_net_new sets it. */
  openblas_set_num_threads (1);
  nt = CLAMP (n_threads, 1, c);
  nn = (gsize) n;
  f_per = nn * L.d + nn * nn;
  d_per = (gsize) L.d + 2 * nn * nn + nn * (nn - 1) / 2 + nn + (gsize) L.lwork;
  fbuf = g_new (float, f_per * nt);
  dbuf = g_new (double, d_per * nt);
  ibuf = g_new (int, (gsize) L.liwork * nt);
  failed = g_new0 (gboolean, nt);

#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      Work wk;
      double sigma;

      wk.x = fbuf + f_per * t;
      wk.g = wk.x + nn * L.d;
      wk.mean = dbuf + d_per * t;
      wk.dist = wk.mean + L.d;
      wk.a = wk.dist + nn * nn;
      wk.sel = wk.a + nn * nn;
      wk.lambda = wk.sel + nn * (nn - 1) / 2;
      wk.work = wk.lambda + nn;
      wk.iwork = ibuf + (gsize) L.liwork * t;
      /* Filters interleaved over the threads; each writes only its own scores. */
      for (int f = t; f < c; f += nt)
        {
          if (failed[t] || g_cancellable_is_cancelled (cancellable))
            continue;
          scores[f] = filter_mi (&L, f, &wk, &sigma);
          if (sigmas != NULL)
            sigmas[f] = sigma;
          failed[t] = isnan (scores[f]);
        }
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (int t = 0; t < nt; t++)
    if (failed[t])
      {
        g_set_error_literal (error, SS_ERROR, SS_ERROR_VALUE,
                             "The eigenvalue solver (LAPACK dsyevd) did not converge on a "
                             "kernel matrix: the activations may be extreme");
        return FALSE;
      }
  return TRUE;
}

double
ss_renyi_entropy (double *m,
                  int     n,
                  double  alpha)
{
  g_autofree double *lambda = NULL;
  g_autofree double *work = NULL;
  g_autofree int *iwork = NULL;
  double acc = 0.0;
  int lwork, liwork;

  g_return_val_if_fail (m != NULL && n >= 1 && alpha > 0.0, NAN);

  query_workspace (n, &lwork, &liwork);
  lambda = g_new (double, n);
  work = g_new (double, lwork);
  iwork = g_new (int, liwork);
  if (!eigenvalues (m, n, lambda, work, lwork, iwork, liwork))
    return NAN;
  accumulate_spectrum (&acc, lambda, n, alpha);
  return entropy_from_acc (acc, alpha);
}
