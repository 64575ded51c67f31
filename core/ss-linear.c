/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Fully connected layer, out = in·Wᵀ + b, with single-threaded cblas_sgemm per thread.
 *
 * Legend: N batch, I inputs, O outputs, R = rows of one block (≤ ROW_BLOCK). W is (O, I) as
 * in PyTorch.
 *
 * Threading: the forward and din split the batch rows, dW and db the output rows, into blocks
 * of ROW_BLOCK rows that the threads share out with schedule(static). Every element comes from
 * one GEMM over the whole reduction axis, so no partial sums are combined across threads; and
 * since the blocks do not depend on n_threads (OpenBLAS's rounding does depend on the GEMM's
 * shape), results are bit-identical for any n_threads.
 */

#include <cblas.h>

#include "ss-linear.h"

/* Large enough that re-packing W once per block costs little next to the block's GEMM. */
#define ROW_BLOCK 16

static inline int
n_blocks (int rows)
{
  return (rows + ROW_BLOCK - 1) / ROW_BLOCK;
}

void
ss_linear_forward (float       *out,
                   const float *in,
                   const float *w,
                   const float *b,
                   int          n,
                   int          i,
                   int          o,
                   int          n_threads)
{
  /* out (N, O); in (N, I); w (O, I); b (O) or NULL */
  int nb;

  g_return_if_fail (out != NULL && in != NULL && w != NULL);
  g_return_if_fail (n > 0 && i > 0 && o > 0);

  nb = n_blocks (n);
#pragma omp parallel for schedule(static) num_threads(CLAMP (n_threads, 1, nb))
  for (int t = 0; t < nb; t++)
    {
      const int r0 = t * ROW_BLOCK, r1 = MIN (r0 + ROW_BLOCK, n);
      float beta = 0.f;

      if (b != NULL)
        {
          for (int r = r0; r < r1; r++)
            for (int j = 0; j < o; j++)
              out[(gsize) r * o + j] = b[j];
          beta = 1.f;
        }
      /* out[r0:r1] (R, O) = in[r0:r1] (R, I) · wᵀ (I, O) [+ bias]; M = R rows, N = O, K = I. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, o, i,
                   1.f, in + (gsize) r0 * i, i, w, i, beta, out + (gsize) r0 * o, o);
    }
}

void
ss_linear_backward (float       *din,
                    float       *dw,
                    float       *db,
                    const float *dout,
                    const float *in,
                    const float *w,
                    int          n,
                    int          i,
                    int          o,
                    int          n_threads)
{
  /* din (N, I); dw (O, I); db (O); dout (N, O); in (N, I); w (O, I) */
  g_return_if_fail (dout != NULL && in != NULL && w != NULL);
  g_return_if_fail (n > 0 && i > 0 && o > 0);

#pragma omp parallel num_threads(MAX (n_threads, 1))
  {
    const int nb_rows = n_blocks (n), nb_outs = n_blocks (o);

    if (din != NULL)
      {
#pragma omp for schedule(static) nowait
        for (int t = 0; t < nb_rows; t++)
          {
            const int r0 = t * ROW_BLOCK, r1 = MIN (r0 + ROW_BLOCK, n);
            /* din[r0:r1] (R, I) += dout[r0:r1] (R, O) · w (O, I); M = R rows, N = I, K = O. */
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, i, o,
                         1.f, dout + (gsize) r0 * o, o, w, i, 1.f, din + (gsize) r0 * i, i);
          }
      }
    if (dw != NULL || db != NULL)
      {
#pragma omp for schedule(static) nowait
        for (int t = 0; t < nb_outs; t++)
          {
            const int j0 = t * ROW_BLOCK, j1 = MIN (j0 + ROW_BLOCK, o);
            /* dw[j0:j1] (R, I) += dout[:, j0:j1]ᵀ (R, N) · in (N, I); M = R rows, N = I, K = N. */
            if (dw != NULL)
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, j1 - j0, i, n,
                           1.f, dout + j0, o, in, i, 1.f, dw + (gsize) j0 * i, i);
            if (db != NULL)
              for (int j = j0; j < j1; j++)
                {
                  double sum = 0;
                  for (int r = 0; r < n; r++)
                    sum += dout[(gsize) r * o + j];
                  db[j] += (float) sum;
                }
          }
      }
  }
}
