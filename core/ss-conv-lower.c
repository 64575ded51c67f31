/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Column matrices and weight layouts for ss-conv.c's GEMMs (ss-conv-private.h).
 *
 * Legend: CH input channels of one group, H W input size, K kernel side, S stride, P zero padding,
 * DL dilation, OH OW output size, HP = H + 2P, LD a column matrix's row stride, M filters of the
 * group. Everything float32, row-major, contiguous.
 *
 * Each output row of im2col and of the row shifts is split into zero edges and one contiguous
 * (S 1) or strided run, so the copies are memcpy or a plain strided loop; no per-element bounds
 * test. The loop order is that of Caffe's im2col_cpu / col2im_cpu (BSD-2-Clause, © BVLC), which
 * darknet's im2col.c also adapts; dilation enters as kernel offsets ky·DL and kx·DL. */

#include <string.h>

#include "ss-conv-private.h"

/* The output columns [lo, hi) of one kernel column whose input column is ox·S + x0 fall inside
 * 0 ≤ ox·S + x0 < W. */
static inline void
inside_range (int x0, int s, int w, int ow, int *lo, int *hi)
{
  *lo = MIN (x0 >= 0 ? 0 : (-x0 + s - 1) / s, ow);
  *hi = MAX (x0 >= w ? 0 : MIN (ow, (w - 1 - x0) / s + 1), *lo);
}

void
ss_conv_im2col (float            *col,
                gsize             ld,
                const float      *im,
                const SsConvGeom *g)
{
  /* col (CH·K·K, LD); im (CH, H, W) */
  const int h = g->h, w = g->w, k = g->k, s = g->s, p = g->p, dl = g->dl;
  const int oh = g->oh, ow = g->ow;

  if (k == 1 && s == 1 && p == 0)
    {
      /* A 1x1 lowering is the image itself; only the row stride changes. */
      for (int c = 0; c < g->ch; c++)
        memcpy (col + (gsize) c * ld, im + (gsize) c * h * w, sizeof (float) * h * w);
      return;
    }
  for (int c = 0; c < g->ch; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          const float *plane = im + (gsize) c * h * w;
          float *dst = col + (((gsize) c * k + ky) * k + kx) * ld;
          const int x0 = kx * dl - p;
          int lo, hi;

          inside_range (x0, s, w, ow, &lo, &hi);
          for (int oy = 0; oy < oh; oy++, dst += ow)
            {
              const int iy = oy * s - p + ky * dl;
              const float *src;

              if (iy < 0 || iy >= h)
                {
                  memset (dst, 0, sizeof (float) * ow);
                  continue;
                }
              src = plane + (gsize) iy * w + x0;
              for (int ox = 0; ox < lo; ox++)
                dst[ox] = 0.f;
              if (s == 1)
                memcpy (dst + lo, src + lo, sizeof (float) * (hi - lo));
              else
                for (int ox = lo; ox < hi; ox++)
                  dst[ox] = src[ox * s];
              for (int ox = hi; ox < ow; ox++)
                dst[ox] = 0.f;
            }
        }
}

void
ss_conv_col2im_add (float            *im,
                    const float      *col,
                    const SsConvGeom *g)
{
  /* im (CH, H, W); col (CH·K·K, OH·OW) */
  const int h = g->h, w = g->w, k = g->k, s = g->s, p = g->p, dl = g->dl;
  const int oh = g->oh, ow = g->ow;

  for (int c = 0; c < g->ch; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *plane = im + (gsize) c * h * w;
          const float *src = col + (((gsize) c * k + ky) * k + kx) * oh * ow;
          const int x0 = kx * dl - p;
          int lo, hi;

          inside_range (x0, s, w, ow, &lo, &hi);
          for (int oy = 0; oy < oh; oy++, src += ow)
            {
              const int iy = oy * s - p + ky * dl;
              float *dst;

              if (iy < 0 || iy >= h)
                continue;
              dst = plane + (gsize) iy * w + x0;
              if (s == 1)
                for (int ox = lo; ox < hi; ox++)
                  dst[ox] += src[ox];
              else
                for (int ox = lo; ox < hi; ox++)
                  dst[ox * s] += src[ox];
            }
        }
}

void
ss_conv_shift_rows (float            *rows,
                    const float      *im,
                    const SsConvGeom *g)
{
  /* rows (CH·K, HP·OW); im (CH, H, W) */
  const int h = g->h, w = g->w, k = g->k, p = g->p, dl = g->dl;
  const int hp = h + 2 * p, ow = g->ow;

  g_assert (g->s == 1);
  for (int c = 0; c < g->ch; c++)
    for (int kx = 0; kx < k; kx++)
      {
        const float *src = im + (gsize) c * h * w;
        float *dst = rows + ((gsize) c * k + kx) * hp * ow;
        float *body = dst + (gsize) p * ow;  /* (H, OW) between the padding rows */
        const int dx = kx * dl - p;          /* body[y][x] = src[y][x + dx] */

        memset (dst, 0, sizeof (float) * p * ow);
        memset (body + (gsize) h * ow, 0, sizeof (float) * p * ow);
        if (ow == w)
          {
            /* One shifted copy of the whole plane, then zero the dx columns that wrapped. */
            const gsize n = (gsize) h * w;
            if (ABS (dx) >= w)
              memset (body, 0, sizeof (float) * n);
            else if (dx >= 0)
              {
                memcpy (body, src + dx, sizeof (float) * (n - dx));
                for (int y = 0; y < h; y++)
                  for (int x = w - dx; x < w; x++)
                    body[(gsize) y * w + x] = 0.f;
              }
            else
              {
                memcpy (body - dx, src, sizeof (float) * (n + dx));
                for (int y = 0; y < h; y++)
                  for (int x = 0; x < -dx; x++)
                    body[(gsize) y * w + x] = 0.f;
              }
            continue;
          }
        {
          int lo, hi;
          inside_range (dx, 1, w, ow, &lo, &hi);
          for (int y = 0; y < h; y++)
            {
              float *row = body + (gsize) y * ow;
              const float *in = src + (gsize) y * w + dx;
              for (int x = 0; x < lo; x++)
                row[x] = 0.f;
              memcpy (row + lo, in + lo, sizeof (float) * (hi - lo));
              for (int x = hi; x < ow; x++)
                row[x] = 0.f;
            }
        }
      }
}

void
ss_conv_rearrange_rows (float       *wr,
                        const float *w,
                        int          m,
                        int          ch,
                        int          k)
{
  /* wr (K, M, CH·K); w (M, CH, K, K) */
  for (int o = 0; o < m; o++)
    for (int c = 0; c < ch; c++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          wr[(((gsize) ky * m + o) * ch + c) * k + kx] = w[(((gsize) o * ch + c) * k + ky) * k + kx];
}

void
ss_conv_rearrange_flipped (float       *wt,
                           const float *w,
                           gboolean     rows,
                           int          m,
                           int          ch,
                           int          k)
{
  /* wt (CH, M, K, K) or (K, CH, M·K); w (M, CH, K, K) */
  for (int o = 0; o < m; o++)
    for (int c = 0; c < ch; c++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          {
            const float v = w[(((gsize) o * ch + c) * k + ky) * k + kx];
            const int fy = k - 1 - ky, fx = k - 1 - kx;
            if (rows)
              wt[(((gsize) fy * ch + c) * m + o) * k + fx] = v;
            else
              wt[(((gsize) c * m + o) * k + fy) * k + fx] = v;
          }
}
