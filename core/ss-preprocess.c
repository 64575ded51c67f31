/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* torchvision's Resize + CenterCrop on PIL images (ss-preprocess.h).
 * Legend: W H C an image's width, height, channels (interleaved (H, W, C) bytes); S the shorter
 * side after resizing; CW CH the crop.  The resampling follows Pillow 9.4's
 * libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc, ImagingResample*_8bpc)
 * operation for operation, since matching its bytes exactly is the point. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-preprocess.h"

const float ss_imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
const float ss_imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

/* Pillow's fixed point: 32 bits less 8 for the pixel and 2 for the sign and rounding. */
#define PRECISION_BITS (32 - 8 - 2)

void
ss_preprocess_resized_size (int  width,
                            int  height,
                            int  shorter,
                            int *out_width,
                            int *out_height)
{
  int s = MIN (width, height), l = MAX (width, height);
  int new_long;

  g_return_if_fail (width > 0 && height > 0 && shorter > 0);
  g_return_if_fail (shorter <= SS_PREPROCESS_MAX_RESIZE && l <= SS_IMAGE_MAX_SIDE);

  /* Python: int (S * long / short): an exact integer product, a true (double) division, then
   * truncation.  At most 2^16 · 2^14 = 2^30, so it fits an int. */
  new_long = (int) ((double) ((gint64) shorter * l) / s);

  if (width <= height)
    *out_width = shorter, *out_height = new_long;
  else
    *out_width = new_long, *out_height = shorter;
}

int
ss_preprocess_imagenet_resize (int crop_shorter)
{
  return (crop_shorter * SS_IMAGENET_RESIZE + SS_IMAGENET_CROP / 2) / SS_IMAGENET_CROP;
}

/* Pillow's BILINEAR filter, a triangle of support 1. */
static double
bilinear_filter (double x)
{
  if (x < 0.0)
    x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* One axis of the resampling, for the n outputs first..first+n−1 of an in_size → out_size axis:
 * output i reads count[i] inputs from start[i] with weights k[i·ksize ..] (fixed point). */
typedef struct {
  int     n;
  int     ksize;
  int    *start;   /* (n) */
  int    *count;   /* (n) */
  gint32 *k;       /* (n, ksize) */
} Axis;

static void
axis_clear (Axis *a)
{
  g_clear_pointer (&a->start, g_free);
  g_clear_pointer (&a->count, g_free);
  g_clear_pointer (&a->k, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Axis, axis_clear)

/* precompute_coeffs and normalize_coeffs_8bpc for outputs first..first+n−1 (box = whole axis). */
static void
axis_init (Axis *a,
           int   in_size,
           int   out_size,
           int   first,
           int   n)
{
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = 1.0 * filterscale;
  g_autofree double *pre = NULL;

  a->n = n;
  a->ksize = (int) ceil (support) * 2 + 1;
  a->start = g_new (int, MAX (n, 1));
  a->count = g_new (int, MAX (n, 1));
  a->k = g_new0 (gint32, (gsize) MAX (n, 1) * a->ksize);
  pre = g_new (double, a->ksize);

  for (int i = 0; i < n; i++)
    {
      int xx = first + i;
      double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
      /* (int) truncates toward zero, as Pillow's "round the value" does. */
      int xmin = (int) (center - support + 0.5), xmax = (int) (center + support + 0.5);

      if (xmin < 0)
        xmin = 0;
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          pre[x] = bilinear_filter ((x + xmin - center + 0.5) * ss);
          ww += pre[x];
        }
      for (int x = 0; x < xmax; x++)
        {
          if (ww != 0.0)
            pre[x] /= ww;
          a->k[(gsize) i * a->ksize + x] =
            pre[x] < 0 ? (gint32) (-0.5 + pre[x] * (1 << PRECISION_BITS))
                       : (gint32) (0.5 + pre[x] * (1 << PRECISION_BITS));
        }
      a->start[i] = xmin;
      a->count[i] = xmax;
    }
}

/* Pillow's clip8: the fixed-point sum back to a byte, clamped. */
static inline guint8
clip8 (int v)
{
  if (v < 0)
    return 0;
  v >>= PRECISION_BITS;
  return (guint8) MIN (v, 255);
}

/* Where the crop of one axis starts in the resized image: round ((side − crop) / 2) with
 * Python's round (half to even), or minus the padding before the image when the crop is larger
 * ((crop − side) // 2, the rest goes after). */
static int
crop_start (int side,
            int crop)
{
  int d = side - crop;

  if (d < 0)
    return -((-d) / 2);
  if (d % 2 == 0)
    return d / 2;
  return (d / 2) % 2 == 0 ? d / 2 : d / 2 + 1;
}

SsImage *
ss_image_resize_crop (const SsImage *image,
                      int            shorter,
                      int            crop_width,
                      int            crop_height,
                      GError       **error)
{
  int c, rw, rh, x0, y0, xa, xb, ya, yb, ncols, r0, r1;
  gboolean need_h, need_v;
  g_auto(Axis) ax = { 0 };
  g_auto(Axis) ay = { 0 };
  g_autofree guint8 *tmp = NULL;
  g_autoptr(SsImage) out = NULL;

  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (ss_image_size_ok ((guint64) MAX (crop_width, 0),
                                          (guint64) MAX (crop_height, 0)), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (shorter < 1 || shorter > SS_PREPROCESS_MAX_RESIZE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Cannot resize the shorter side to %d pixels: it must be 1 to %d", shorter,
                   SS_PREPROCESS_MAX_RESIZE);
      return NULL;
    }

  c = image->channels;
  ss_preprocess_resized_size (image->width, image->height, shorter, &rw, &rh);
  x0 = crop_start (rw, crop_width);
  y0 = crop_start (rh, crop_height);
  /* The crop's columns [xa, xb) and rows [ya, yb) that fall inside the resized image; the rest
   * is padding and stays 0. */
  xa = MAX (x0, 0), xb = MIN (x0 + crop_width, rw);
  ya = MAX (y0, 0), yb = MIN (y0 + crop_height, rh);
  ncols = xb - xa;
  out = ss_image_new (crop_width, crop_height, c);
  if (ncols <= 0 || yb <= ya)
    return g_steal_pointer (&out);

  /* Pillow resamples an axis only when its size changes; an unchanged axis is copied, with no
   * rounding step. */
  need_h = rw != image->width;
  need_v = rh != image->height;
  if (need_h)
    axis_init (&ax, image->width, rw, xa, ncols);
  if (need_v)
    {
      axis_init (&ay, image->height, rh, ya, yb - ya);
      r0 = ay.start[0];
      r1 = ay.start[ay.n - 1] + ay.count[ay.n - 1];
    }
  else
    r0 = ya, r1 = yb;

  /* Horizontal pass first, over the source rows [r0, r1) the vertical pass reads, into
   * tmp (r1 − r0, ncols, C) bytes, each rounded as Pillow's intermediate image is. */
  tmp = g_new (guint8, (gsize) (r1 - r0) * ncols * c);
  for (int y = r0; y < r1; y++)
    {
      const guint8 *src = image->pixels + (gsize) y * image->width * c;
      guint8 *dst = tmp + (gsize) (y - r0) * ncols * c;

      if (!need_h)
        {
          memcpy (dst, src + (gsize) xa * c, (gsize) ncols * c);
          continue;
        }
      for (int i = 0; i < ncols; i++)
        {
          const gint32 *k = ax.k + (gsize) i * ax.ksize;
          const guint8 *p = src + (gsize) ax.start[i] * c;
          for (int ch = 0; ch < c; ch++)
            {
              int ss = 1 << (PRECISION_BITS - 1);
              for (int x = 0; x < ax.count[i]; x++)
                ss += p[x * c + ch] * k[x];
              dst[i * c + ch] = clip8 (ss);
            }
        }
    }

  /* Vertical pass into the crop: output row y shows resized row y0 + y. */
  for (int yy = ya; yy < yb; yy++)
    {
      guint8 *dst = out->pixels + ((gsize) (yy - y0) * crop_width + (xa - x0)) * c;

      if (!need_v)
        {
          memcpy (dst, tmp + (gsize) (yy - r0) * ncols * c, (gsize) ncols * c);
          continue;
        }
      {
        int i = yy - ya;
        const gint32 *k = ay.k + (gsize) i * ay.ksize;
        const guint8 *col = tmp + (gsize) (ay.start[i] - r0) * ncols * c;

        for (int j = 0; j < ncols * c; j++)
          {
            int ss = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < ay.count[i]; y++)
              ss += col[(gsize) y * ncols * c + j] * k[y];
            dst[j] = clip8 (ss);
          }
      }
    }
  return g_steal_pointer (&out);
}
