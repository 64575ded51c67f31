/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Bilinear resize with half-pixel centres (PyTorch's align_corners=False), no antialiasing.
 *
 * Legend: SH SW source size, DH DW destination size.  Planes are float32, row-major.
 * Follows PyTorch's aten/src/ATen/native/UpSample.h (area_pixel_compute_scale,
 * area_pixel_compute_source_index, compute_source_index_and_lambda) and the two-tap recursion of UpSampleKernel.cpp
 * (out = (x00·wx0 + x01·wx1)·wy0 + (x10·wx0 + x11·wx1)·wy1).  The rounding points were matched
 * against Debian's PyTorch 1.13 by tests/reference/gen-resize.py; see axis_weights. */

#include <string.h>

#include "ss-resize.h"

/* One axis: for destination index d < n_dst, the two source indices and their weights, as
 * PyTorch 1.13 computes them for float tensors (checked weight by weight against it with
 * one-hot inputs): scale = (float) S / D; the source coordinate s = scale·(d + 0.5) − 0.5 is
 * evaluated in double (d + 0.5 is a double) and clamped at 0; λ1 = (float) (s − i0),
 * λ0 = 1 − λ1 in float. */
static inline void
axis_weights (int n_src, int n_dst, int d, int *i0, int *i1, double *l0, double *l1)
{
  const float scale = (float) n_src / (float) n_dst;
  double s = (double) scale * ((double) d + 0.5) - 0.5;
  float lambda1;

  if (n_src == n_dst)
    {
      /* PyTorch copies along an axis of equal size: index d, weights (1, 0). */
      *i0 = *i1 = d;
      *l0 = 1.0;
      *l1 = 0.0;
      return;
    }
  if (s < 0.0)
    s = 0.0;
  *i0 = MIN ((int) s, n_src - 1);
  *i1 = *i0 + (*i0 < n_src - 1 ? 1 : 0);
  lambda1 = (float) CLAMP (s - (double) *i0, 0.0, 1.0);
  *l1 = lambda1;
  *l0 = 1.0f - lambda1;
}

void
ss_resize_bilinear (float       *dst,
                    int          dh,
                    int          dw,
                    const float *src,
                    int          sh,
                    int          sw)
{
  g_return_if_fail (dst != NULL && src != NULL);
  g_return_if_fail (dh > 0 && dw > 0 && sh > 0 && sw > 0);

  if (dh == sh && dw == sw)
    {
      memcpy (dst, src, (gsize) dh * (gsize) dw * sizeof (float));
      return;
    }

  for (int y = 0; y < dh; y++)
    {
      int y0, y1;
      double wy0, wy1;

      axis_weights (sh, dh, y, &y0, &y1, &wy0, &wy1);

      const float *r0 = src + (gsize) y0 * (gsize) sw;
      const float *r1 = src + (gsize) y1 * (gsize) sw;
      float *out = dst + (gsize) y * (gsize) dw;

      for (int x = 0; x < dw; x++)
        {
          int x0, x1;
          double wx0, wx1;

          axis_weights (sw, dw, x, &x0, &x1, &wx0, &wx1);
          /* Rows first, then the column blend, in double and rounded once: this reproduces
           * PyTorch 1.13's CPU results bit for bit on > 99 % of tests/data/resize.safetensors,
           * and within one float ulp elsewhere. */
          const double t0 = r0[x0] * wx0 + r0[x1] * wx1;
          const double t1 = r1[x0] * wx0 + r1[x1] * wx1;
          out[x] = (float) (t0 * wy0 + t1 * wy1);
        }
    }
}
