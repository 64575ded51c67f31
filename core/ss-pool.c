/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Max, average and global average pooling, as PyTorch's CPU kernels.
 *
 * Legend: N batch, C channels, H W input size, K window side, S stride, P padding,
 * OH = (H + 2P - K)/S + 1, OW likewise (ceil_mode=False), HW = H·W.
 * Tensors are float32 NCHW, row-major, contiguous. Work is split over the N·C planes
 * (schedule(static)); each plane is handled by one thread, so no result depends on n_threads.
 */

#include <math.h>

#include "ss-pool.h"

gboolean
ss_pool_dims_init (SsPoolDims *d,
                   int         n,
                   int         c,
                   int         h,
                   int         w,
                   int         k,
                   int         s,
                   int         p)
{
  g_return_val_if_fail (d != NULL, FALSE);

  *d = (SsPoolDims) { .n = n, .c = c, .h = h, .w = w, .k = k, .s = s, .p = p };
  if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || s < 1 || p < 0 || p > k / 2)
    return FALSE;
  if (h + 2 * p < k || w + 2 * p < k)
    return FALSE;
  d->oh = (h + 2 * p - k) / s + 1;
  d->ow = (w + 2 * p - k) / s + 1;
  return TRUE;
}

/* One plane: out (OH, OW), argmax (OH, OW), in (H, W). */
static void
maxpool_plane (float *out, gint32 *argmax, const float *in, const SsPoolDims *d)
{
  for (int oy = 0; oy < d->oh; oy++)
    {
      const int y0 = MAX (oy * d->s - d->p, 0);
      const int y1 = MIN (oy * d->s - d->p + d->k, d->h);
      for (int ox = 0; ox < d->ow; ox++)
        {
          const int x0 = MAX (ox * d->s - d->p, 0);
          const int x1 = MIN (ox * d->s - d->p + d->k, d->w);
          /* Padding never wins: start from -inf at the first real pixel; '>' keeps the first of
           * equal values and NaN propagates, as in PyTorch's CPU kernel. */
          float best = -INFINITY;
          gint32 best_idx = y0 * d->w + x0;
          for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
              {
                const float v = in[y * d->w + x];
                if (v > best || isnan (v))
                  {
                    best = v;
                    best_idx = y * d->w + x;
                  }
              }
          out[oy * d->ow + ox] = best;
          argmax[oy * d->ow + ox] = best_idx;
        }
    }
}

/* maxpool_plane for the common 2x2, stride 2, no padding case: out (OH, OW), argmax (OH, OW),
 * in (H, W). */
static void
maxpool_plane_2x2 (float *restrict        out,
                   gint32 *restrict       argmax,
                   const float *restrict  in,
                   const SsPoolDims      *d)
{
  /* Selects instead of branches: with real activations the comparisons are unpredictable, and
   * the branchy version spent most of its time in mispredictions. The sizes are copied to
   * locals and the pointers restrict-qualified, or every store through argmax (an int) may
   * alias d and the loop reloads it. (v != v) is isnan (v). */
  const int oh = d->oh, ow = d->ow, w = d->w;
  for (int oy = 0; oy < oh; oy++)
    {
      const float *r0 = in + (gsize) 2 * oy * w;
      const float *r1 = r0 + w;
      const gint32 base0 = 2 * oy * w, base1 = base0 + w;
      float *o = out + (gsize) oy * ow;
      gint32 *a = argmax + (gsize) oy * ow;
      for (int ox = 0; ox < ow; ox++)
        {
          const int x = 2 * ox;
          float v1 = r0[x + 1], v2 = r1[x], v3 = r1[x + 1];
          float best = r0[x];
          gint32 idx = base0 + x;
          int t;
          t = (v1 > best) | (v1 != v1);
          best = t ? v1 : best;
          idx = t ? base0 + x + 1 : idx;
          t = (v2 > best) | (v2 != v2);
          best = t ? v2 : best;
          idx = t ? base1 + x : idx;
          t = (v3 > best) | (v3 != v3);
          best = t ? v3 : best;
          idx = t ? base1 + x + 1 : idx;
          o[ox] = best;
          a[ox] = idx;
        }
    }
}

void
ss_maxpool_forward (float            *out,
                    gint32           *argmax,
                    const float      *in,
                    const SsPoolDims *d,
                    int               n_threads)
{
  /* out (N, C, OH, OW); argmax (N, C, OH, OW); in (N, C, H, W) */
  gsize planes, in_plane, out_plane;
  gboolean fast;

  g_return_if_fail (out != NULL && argmax != NULL && in != NULL && d != NULL);

  planes = (gsize) d->n * d->c;
  in_plane = (gsize) d->h * d->w;
  out_plane = (gsize) d->oh * d->ow;
  /* With -inf start the general loop returns r0[x] for a first -inf or NaN too, so the
   * unrolled version (which starts from the first pixel) is equivalent. */
  fast = d->k == 2 && d->s == 2 && d->p == 0;
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      if (fast)
        maxpool_plane_2x2 (out + i * out_plane, argmax + i * out_plane, in + i * in_plane, d);
      else
        maxpool_plane (out + i * out_plane, argmax + i * out_plane, in + i * in_plane, d);
    }
}

void
ss_maxpool_backward (float            *din,
                     const float      *dout,
                     const gint32     *argmax,
                     const SsPoolDims *d,
                     int               n_threads)
{
  /* din (N, C, H, W); dout (N, C, OH, OW); argmax (N, C, OH, OW) */
  gsize planes, in_plane, out_plane;

  g_return_if_fail (din != NULL && dout != NULL && argmax != NULL && d != NULL);

  planes = (gsize) d->n * d->c;
  in_plane = (gsize) d->h * d->w;
  out_plane = (gsize) d->oh * d->ow;
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      float *dx = din + i * in_plane;
      const float *dy = dout + i * out_plane;
      const gint32 *idx = argmax + i * out_plane;
      for (gsize j = 0; j < out_plane; j++)
        dx[idx[j]] += dy[j];
    }
}

void
ss_avgpool_forward (float            *out,
                    const float      *in,
                    const SsPoolDims *d,
                    int               n_threads)
{
  /* out (N, C, OH, OW); in (N, C, H, W) */
  gsize planes, in_plane, out_plane;
  float inv;

  g_return_if_fail (out != NULL && in != NULL && d != NULL);

  planes = (gsize) d->n * d->c;
  in_plane = (gsize) d->h * d->w;
  out_plane = (gsize) d->oh * d->ow;
  /* count_include_pad with ceil_mode=False: every window lies within the padded input, so
   * the divisor is always K·K. */
  inv = 1.f / (float) (d->k * d->k);
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      const float *x = in + i * in_plane;
      float *y = out + i * out_plane;
      for (int oy = 0; oy < d->oh; oy++)
        {
          const int y0 = MAX (oy * d->s - d->p, 0);
          const int y1 = MIN (oy * d->s - d->p + d->k, d->h);
          for (int ox = 0; ox < d->ow; ox++)
            {
              const int x0 = MAX (ox * d->s - d->p, 0);
              const int x1 = MIN (ox * d->s - d->p + d->k, d->w);
              float sum = 0.f;
              for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                  sum += x[yy * d->w + xx];
              y[oy * d->ow + ox] = sum * inv;
            }
        }
    }
}

void
ss_avgpool_backward (float            *din,
                     const float      *dout,
                     const SsPoolDims *d,
                     int               n_threads)
{
  /* din (N, C, H, W); dout (N, C, OH, OW) */
  gsize planes, in_plane, out_plane;
  float inv;

  g_return_if_fail (din != NULL && dout != NULL && d != NULL);

  planes = (gsize) d->n * d->c;
  in_plane = (gsize) d->h * d->w;
  out_plane = (gsize) d->oh * d->ow;
  inv = 1.f / (float) (d->k * d->k);
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      float *dx = din + i * in_plane;
      const float *dy = dout + i * out_plane;
      for (int oy = 0; oy < d->oh; oy++)
        {
          const int y0 = MAX (oy * d->s - d->p, 0);
          const int y1 = MIN (oy * d->s - d->p + d->k, d->h);
          for (int ox = 0; ox < d->ow; ox++)
            {
              const int x0 = MAX (ox * d->s - d->p, 0);
              const int x1 = MIN (ox * d->s - d->p + d->k, d->w);
              const float g = dy[oy * d->ow + ox] * inv;
              for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                  dx[yy * d->w + xx] += g;
            }
        }
    }
}

void
ss_gap_forward (float       *out,
                const float *in,
                int          n,
                int          c,
                int          hw,
                int          n_threads)
{
  /* out (N, C); in (N, C, HW) */
  gsize planes;

  g_return_if_fail (out != NULL && in != NULL && hw > 0);

  planes = (gsize) n * c;
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      const float *x = in + i * hw;
      double sum = 0;
#pragma omp simd reduction(+:sum)
      for (int j = 0; j < hw; j++)
        sum += x[j];
      out[i] = (float) (sum / hw);
    }
}

void
ss_gap_backward (float       *din,
                 const float *dout,
                 int          n,
                 int          c,
                 int          hw,
                 int          n_threads)
{
  /* din (N, C, HW); dout (N, C) */
  gsize planes;

  g_return_if_fail (din != NULL && dout != NULL && hw > 0);

  planes = (gsize) n * c;
#pragma omp parallel for schedule(static) num_threads(MAX (n_threads, 1))
  for (gsize i = 0; i < planes; i++)
    {
      float *dx = din + i * hw;
      const float g = dout[i] / (float) hw;
      for (int j = 0; j < hw; j++)
        dx[j] += g;
    }
}
