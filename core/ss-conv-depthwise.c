/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Depthwise convolution (one input channel per group) without GEMMs, for ss-conv.c.
 *
 * Legend: H W input size, K kernel side, S stride, P zero padding, D dilation, OH OW output
 * size. One filter of one channel at a time: in (H, W), w (K, K), out (OH, OW).
 *
 * With one input channel a group's GEMM would be (M filters) × (K·K) · (K·K, OH·OW): a depth of
 * 9 leaves OpenBLAS's kernel mostly idle and im2col copies every pixel K·K times. Here each tap
 * (ky, kx) adds w·(a shifted input row) to an output row: for S 1 a contiguous multiply-add that
 * vectorises, with the padding handled by clipping each row to [lo, hi) once. */

#include "ss-conv-private.h"

/* Output columns [lo, hi) whose input column ox·S + x0 lies inside 0 … W - 1. */
static inline void
inside_cols (int x0, int s, int w, int ow, int *lo, int *hi)
{
  *lo = MIN (x0 >= 0 ? 0 : (-x0 + s - 1) / s, ow);
  *hi = MAX (x0 >= w ? 0 : MIN (ow, (w - 1 - x0) / s + 1), *lo);
}

void
ss_conv_dw_forward_plane (float            *out,
                          const float      *in,
                          const float      *w,
                          float             bias,
                          const SsConvGeom *g)
{
  /* out (OH, OW); in (H, W); w (K, K) */
  const int k = g->k, s = g->s, dl = g->dl, ow = g->ow;

  for (int oy = 0; oy < g->oh; oy++)
    {
      float *row = out + (gsize) oy * ow;
      for (int ox = 0; ox < ow; ox++)
        row[ox] = bias;
      for (int ky = 0; ky < k; ky++)
        {
          const int iy = oy * s - g->p + ky * dl;
          if (iy < 0 || iy >= g->h)
            continue;
          for (int kx = 0; kx < k; kx++)
            {
              const float wv = w[ky * k + kx];
              const int x0 = kx * dl - g->p;
              const float *src = in + (gsize) iy * g->w + x0;
              int lo, hi;

              inside_cols (x0, s, g->w, ow, &lo, &hi);
              if (s == 1)
                for (int ox = lo; ox < hi; ox++)
                  row[ox] += wv * src[ox];
              else
                for (int ox = lo; ox < hi; ox++)
                  row[ox] += wv * src[ox * s];
            }
        }
    }
}

void
ss_conv_dw_backward_plane (float            *din,
                           float            *dw,
                           const float      *dout,
                           const float      *in,
                           const float      *w,
                           const SsConvGeom *g)
{
  /* din (H, W) or NULL; dw (K, K) or NULL; dout (OH, OW); in (H, W); w (K, K) */
  const int k = g->k, s = g->s, dl = g->dl, ow = g->ow;

  for (int ky = 0; ky < k; ky++)
    for (int kx = 0; kx < k; kx++)
      {
        const int x0 = kx * dl - g->p;
        const float wv = w[ky * k + kx];
        float acc = 0.f;
        int lo, hi;

        inside_cols (x0, s, g->w, ow, &lo, &hi);
        for (int oy = 0; oy < g->oh; oy++)
          {
            const int iy = oy * s - g->p + ky * dl;
            const float *dy = dout + (gsize) oy * ow;
            float part = 0.f;

            if (iy < 0 || iy >= g->h)
              continue;
            if (dw != NULL)
              {
                const float *src = in + (gsize) iy * g->w + x0;
                /* dW: the tap's dot product of dout with the input it saw. */
                if (s == 1)
                  {
#pragma omp simd reduction(+:part)
                    for (int ox = lo; ox < hi; ox++)
                      part += dy[ox] * src[ox];
                  }
                else
                  for (int ox = lo; ox < hi; ox++)
                    part += dy[ox] * src[ox * s];
                acc += part;
              }
            if (din != NULL)
              {
                float *dst = din + (gsize) iy * g->w + x0;
                /* dX: the transposed tap scatters w·dout back onto the input it read. */
                if (s == 1)
                  for (int ox = lo; ox < hi; ox++)
                    dst[ox] += wv * dy[ox];
                else
                  for (int ox = lo; ox < hi; ox++)
                    dst[ox * s] += wv * dy[ox];
              }
          }
        if (dw != NULL)
          dw[ky * k + kx] += acc;
      }
}
