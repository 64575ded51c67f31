/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Batch normalisation, as torch.nn.BatchNorm2d / BatchNorm1d on the CPU.
 *
 * Legend: N batch, C channels, HW = H·W positions per channel, M = N·HW values per channel,
 * x̂ = (x - mean)·invstd. Tensors are float32 (N, C, HW), row-major, contiguous.
 *
 * Per-channel sums are accumulated in double, two-pass (mean, then Σ(x - mean)²) as PyTorch's
 * CPU kernel does. Work is split over channels (schedule(static)); each channel is reduced by
 * one thread in a fixed order, so results do not depend on n_threads at all.
 */

#include <math.h>

#include "ss-batchnorm.h"

/* Σ x over channel ch of in (N, C, HW). */
static double
channel_sum (const float *in, int n, int c, int hw, int ch)
{
  double sum = 0;

  for (int i = 0; i < n; i++)
    {
      const float *x = in + ((gsize) i * c + ch) * hw;
#pragma omp simd reduction(+:sum)
      for (int j = 0; j < hw; j++)
        sum += x[j];
    }
  return sum;
}

/* Σ (x - mean)² over channel ch of in (N, C, HW). */
static double
channel_sqdev (const float *in, int n, int c, int hw, int ch, double mean)
{
  double sum = 0;

  for (int i = 0; i < n; i++)
    {
      const float *x = in + ((gsize) i * c + ch) * hw;
#pragma omp simd reduction(+:sum)
      for (int j = 0; j < hw; j++)
        {
          double dx = x[j] - mean;
          sum += dx * dx;
        }
    }
  return sum;
}

/* out = (in - mean)·scale + shift over channel ch; out (N, C, HW); in (N, C, HW). */
static void
channel_affine (float *out, const float *in, int n, int c, int hw, int ch,
                float mean, float scale, float beta)
{
  for (int i = 0; i < n; i++)
    {
      const float *x = in + ((gsize) i * c + ch) * hw;
      float *y = out + ((gsize) i * c + ch) * hw;
      for (int j = 0; j < hw; j++)
        y[j] = (x[j] - mean) * scale + beta;
    }
}

void
ss_batchnorm_forward_train (float       *out,
                            float       *mean,
                            float       *invstd,
                            float       *run_mean,
                            float       *run_var,
                            const float *in,
                            const float *gamma,
                            const float *beta,
                            int n, int c, int hw,
                            float momentum, float eps,
                            int n_threads)
{
  /* out (N, C, HW); mean, invstd, run_mean, run_var (C); in (N, C, HW); gamma, beta (C) */
  const double m = (double) n * hw;

  g_return_if_fail (out != NULL && mean != NULL && invstd != NULL && in != NULL);
  g_return_if_fail (gamma != NULL && beta != NULL);
  g_return_if_fail (n > 0 && c > 0 && hw > 0);

#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (int ch = 0; ch < c; ch++)
    {
      double mu = channel_sum (in, n, c, hw, ch) / m;
      double var = channel_sqdev (in, n, c, hw, ch, mu) / m;  /* biased */
      float istd = (float) (1.0 / sqrt (var + (double) eps));

      mean[ch] = (float) mu;
      invstd[ch] = istd;
      channel_affine (out, in, n, c, hw, ch, mean[ch], istd * gamma[ch], beta[ch]);
      if (run_mean != NULL)
        run_mean[ch] = (float) ((1.0 - momentum) * run_mean[ch] + momentum * mu);
      if (run_var != NULL)
        {
          /* PyTorch raises for M = 1; keep the biased value (0) rather than divide by zero. */
          double unbiased = m > 1 ? var * m / (m - 1) : var;
          run_var[ch] = (float) ((1.0 - momentum) * run_var[ch] + momentum * unbiased);
        }
    }
}

void
ss_batchnorm_forward_eval (float       *out,
                           float       *mean,
                           float       *invstd,
                           const float *in,
                           const float *gamma,
                           const float *beta,
                           const float *run_mean,
                           const float *run_var,
                           int n, int c, int hw,
                           float eps,
                           int n_threads)
{
  /* out (N, C, HW); mean, invstd (C); in (N, C, HW); gamma, beta, run_mean, run_var (C) */
  g_return_if_fail (out != NULL && mean != NULL && invstd != NULL && in != NULL);
  g_return_if_fail (gamma != NULL && beta != NULL && run_mean != NULL && run_var != NULL);
  g_return_if_fail (n > 0 && c > 0 && hw > 0);

#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (int ch = 0; ch < c; ch++)
    {
      float istd = (float) (1.0 / sqrt ((double) run_var[ch] + (double) eps));

      mean[ch] = run_mean[ch];
      invstd[ch] = istd;
      channel_affine (out, in, n, c, hw, ch, mean[ch], istd * gamma[ch], beta[ch]);
    }
}

void
ss_batchnorm_backward (float       *din,
                       float       *dgamma,
                       float       *dbeta,
                       const float *dout,
                       const float *in,
                       const float *gamma,
                       const float *mean,
                       const float *invstd,
                       gboolean     batch_stats,
                       int n, int c, int hw,
                       int n_threads)
{
  /* din (N, C, HW); dgamma, dbeta (C); dout, in (N, C, HW); gamma, mean, invstd (C) */
  const double m = (double) n * hw;

  g_return_if_fail (dout != NULL && in != NULL && gamma != NULL);
  g_return_if_fail (mean != NULL && invstd != NULL);
  g_return_if_fail (n > 0 && c > 0 && hw > 0);

  if (din == NULL && dgamma == NULL && dbeta == NULL)
    return;

#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (int ch = 0; ch < c; ch++)
    {
      const float mu = mean[ch], istd = invstd[ch];
      double sum_dy = 0, sum_dy_xhat = 0;  /* Σ dy and Σ dy·x̂ = dbeta and dgamma */

      if (dgamma != NULL || dbeta != NULL || (din != NULL && batch_stats))
        {
          for (int i = 0; i < n; i++)
            {
              const gsize off = ((gsize) i * c + ch) * hw;
              const float *x = in + off, *dy = dout + off;
#pragma omp simd reduction(+:sum_dy, sum_dy_xhat)
              for (int j = 0; j < hw; j++)
                {
                  sum_dy += dy[j];
                  sum_dy_xhat += (double) dy[j] * ((x[j] - mu) * istd);
                }
            }
          if (dgamma != NULL)
            dgamma[ch] += (float) sum_dy_xhat;
          if (dbeta != NULL)
            dbeta[ch] += (float) sum_dy;
        }
      if (din == NULL)
        continue;
      if (batch_stats)
        {
          /* din = γ·invstd·(dy - Σdy/M - x̂·Σ(dy·x̂)/M) */
          const float scale = gamma[ch] * istd;
          const float mean_dy = (float) (sum_dy / m);
          const float mean_dy_xhat = (float) (sum_dy_xhat / m);
          for (int i = 0; i < n; i++)
            {
              const gsize off = ((gsize) i * c + ch) * hw;
              const float *x = in + off, *dy = dout + off;
              float *dx = din + off;
              for (int j = 0; j < hw; j++)
                {
                  float xhat = (x[j] - mu) * istd;
                  dx[j] += scale * (dy[j] - mean_dy - xhat * mean_dy_xhat);
                }
            }
        }
      else
        {
          /* Constant statistics: din = γ·invstd·dy */
          const float scale = gamma[ch] * istd;
          for (int i = 0; i < n; i++)
            {
              const gsize off = ((gsize) i * c + ch) * hw;
              const float *dy = dout + off;
              float *dx = din + off;
              for (int j = 0; j < hw; j++)
                dx[j] += scale * dy[j];
            }
        }
    }
}
