/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
/* OpenBLAS's own prototypes of its Fortran-callable LAPACK (dpotrf_, dpotrs_), with its blasint,
 * so the integer width always matches the library. */
#include <f77blas.h>

#include "ss-error.h"
#include "ss-lsq.h"

/* Legend: N rows, D features, O outputs, M kept features. G is stored full (both triangles),
 * row-major; P is (D, O) row-major. */

struct _SsLsq {
  int      d;
  gint64   n_rows;
  double  *gram;      /* (D, D): XᵀX; only the upper triangle until ss_lsq_set_weights */
  int      n_out;     /* 0 until ss_lsq_set_weights */
  double  *p;         /* (D, O): G·Wᵀ = XᵀY */
};

/* A failed factorisation retries with the relative ridge raised to max (100·ridge, this). */
#define RIDGE_FLOOR 1e-10
#define RIDGE_RETRIES 4

SsLsq *
ss_lsq_new (int d)
{
  SsLsq *lsq;

  g_return_val_if_fail (d >= 1, NULL);

  lsq = g_new0 (SsLsq, 1);
  lsq->d = d;
  lsq->gram = g_new0 (double, (gsize) d * d);
  return lsq;
}

void
ss_lsq_free (SsLsq *lsq)
{
  if (lsq == NULL)
    return;
  g_free (lsq->gram);
  g_free (lsq->p);
  g_free (lsq);
}

int
ss_lsq_get_dim (const SsLsq *lsq)
{
  g_return_val_if_fail (lsq != NULL, 0);
  return lsq->d;
}

gint64
ss_lsq_get_n_rows (const SsLsq *lsq)
{
  g_return_val_if_fail (lsq != NULL, 0);
  return lsq->n_rows;
}

void
ss_lsq_add_rows (SsLsq        *lsq,
                 const double *x,
                 int           n)
{
  g_return_if_fail (lsq != NULL);
  g_return_if_fail (lsq->p == NULL);
  g_return_if_fail (n >= 0 && (x != NULL || n == 0));

  if (n == 0)
    return;
  /* G (D×D) += Xᵀ X: C = A·Aᵀ with A = Xᵀ, i.e. Trans on the row-major (N, D) rows. */
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, lsq->d, n, 1.0, x, lsq->d, 1.0,
               lsq->gram, lsq->d);
  lsq->n_rows += n;
}

void
ss_lsq_set_weights (SsLsq       *lsq,
                    const float *w,
                    int          n_out)
{
  g_autofree double *wd = NULL;
  gsize len;
  int d;

  g_return_if_fail (lsq != NULL);
  g_return_if_fail (w != NULL && n_out >= 1);
  g_return_if_fail (lsq->p == NULL);

  d = lsq->d;
  len = (gsize) n_out * (gsize) d;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < i; j++)
      lsq->gram[(gsize) i * d + j] = lsq->gram[(gsize) j * d + i];
  wd = g_new (double, len);
  for (gsize i = 0; i < len; i++)
    wd[i] = w[i];
  lsq->n_out = n_out;
  lsq->p = g_new (double, len);
  /* P (D×O) = G (D×D) · Wᵀ (D×O): M = D, N = O, K = D. */
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, d, n_out, d, 1.0, lsq->gram, d, wd, d,
               0.0, lsq->p, n_out);
}

gsize
ss_lsq_work_size (int max_kept,
                  int n_out)
{
  g_return_val_if_fail (max_kept >= 1 && n_out >= 1, 0);
  return (gsize) max_kept * max_kept + (gsize) max_kept * n_out;
}

gboolean
ss_lsq_solve (const SsLsq *lsq,
              const int   *kept,
              int          m,
              double       ridge,
              float       *w_out,
              double      *work,
              GError     **error)
{
  double *a, *b;
  double mean_diag = 0;
  blasint n, nrhs, info = 0;
  char uplo = 'U';

  g_return_val_if_fail (lsq != NULL && lsq->p != NULL, FALSE);
  g_return_val_if_fail (kept != NULL && m >= 1 && m <= lsq->d, FALSE);
  g_return_val_if_fail (ridge >= 0 && isfinite (ridge), FALSE);
  g_return_val_if_fail (w_out != NULL && work != NULL, FALSE);

  /* Column-major for LAPACK: A (M×M) is symmetric, so its layout is moot; B is (M, O) with
   * leading dimension M. */
  a = work;
  b = work + (gsize) m * m;
  for (int i = 0; i < m; i++)
    {
      g_return_val_if_fail (kept[i] >= 0 && kept[i] < lsq->d, FALSE);
      mean_diag += lsq->gram[(gsize) kept[i] * lsq->d + kept[i]];
    }
  mean_diag /= m;
  n = m;
  nrhs = lsq->n_out;
  for (int attempt = 0; attempt <= RIDGE_RETRIES; attempt++)
    {
      /* A feature that never varies has a zero diagonal; the floor keeps λ > 0 even then. */
      const double lambda = ridge * (mean_diag > 0 ? mean_diag : 1.0);

      for (int i = 0; i < m; i++)
        {
          const double *row = lsq->gram + (gsize) kept[i] * lsq->d;
          for (int j = 0; j < m; j++)
            a[(gsize) i * m + j] = row[kept[j]];
          a[(gsize) i * m + i] += lambda;
          for (int o = 0; o < lsq->n_out; o++)
            b[(gsize) o * m + i] = lsq->p[(gsize) kept[i] * lsq->n_out + o];
        }
      dpotrf_ (&uplo, &n, a, &n, &info);
      if (info == 0)
        {
          dpotrs_ (&uplo, &n, &nrhs, a, &n, b, &n, &info);
          break;
        }
      ridge = MAX (100 * ridge, RIDGE_FLOOR);
    }
  if (info != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                   "the least-squares refit of %d features failed (LAPACK info %d): the "
                   "calibration features are probably not finite", m, (int) info);
      return FALSE;
    }
  for (int o = 0; o < lsq->n_out; o++)
    for (int i = 0; i < m; i++)
      w_out[(gsize) o * m + i] = (float) b[(gsize) o * m + i];
  return TRUE;
}
