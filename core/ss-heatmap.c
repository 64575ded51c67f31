/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: C = channels, H = height, W = width.  Float inputs are planar (C, H, W) or (H, W);
 * images are interleaved (H, W, C), C = 1 or 3. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-heatmap.h"

/* floor (255 v + 0.5) for v clamped to [0, 1]; NaN → 0. */
static guint8
unit_to_byte (float v)
{
  double x = v;

  if (!(x > 0.0))   /* also NaN */
    return 0;
  if (x >= 1.0)
    return 255;
  return (guint8) floor (255.0 * x + 0.5);
}

SsImage *
ss_heatmap_image_from_floats (const float *x,
                              int          c,
                              int          h,
                              int          w)
{
  SsImage *image;
  gsize plane;

  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (c == 1 || c == 3, NULL);
  g_return_val_if_fail (h > 0 && w > 0 && ss_image_size_ok ((guint64) w, (guint64) h), NULL);

  image = ss_image_new (w, h, 3);
  plane = (gsize) h * (gsize) w;
  for (gsize i = 0; i < plane; i++)
    for (int ch = 0; ch < 3; ch++)
      image->pixels[3 * i + (gsize) ch] = unit_to_byte (x[(c == 1 ? 0 : (gsize) ch) * plane + i]);
  return image;
}

SsImage *
ss_heatmap_colorize (const float      *heat,
                     int               h,
                     int               w,
                     const SsColormap *cmap)
{
  SsImage *image;
  gsize n;

  g_return_val_if_fail (heat != NULL && cmap != NULL, NULL);
  g_return_val_if_fail (h > 0 && w > 0 && ss_image_size_ok ((guint64) w, (guint64) h), NULL);

  image = ss_image_new (w, h, 3);
  n = (gsize) h * (gsize) w;
  for (gsize i = 0; i < n; i++)
    ss_colormap_map (cmap, heat[i], image->pixels + 3 * i);
  return image;
}

SsImage *
ss_heatmap_overlay (const SsImage    *image,
                    const float      *heat,
                    const SsColormap *cmap,
                    float             alpha)
{
  SsImage *out;
  gsize n;
  double a = alpha;

  g_return_val_if_fail (image != NULL && heat != NULL && cmap != NULL, NULL);
  g_return_val_if_fail (alpha >= 0.0f && alpha <= 1.0f, NULL);   /* also refuses NaN */

  out = ss_image_new (image->width, image->height, 3);
  n = (gsize) image->width * (gsize) image->height;
  for (gsize i = 0; i < n; i++)
    {
      guint8 colour[3];

      ss_colormap_map (cmap, heat[i], colour);
      for (int ch = 0; ch < 3; ch++)
        {
          double base = image->pixels[image->channels == 1 ? i : 3 * i + (gsize) ch];
          out->pixels[3 * i + (gsize) ch] = (guint8) floor ((1.0 - a) * base + a * colour[ch]
                                                            + 0.5);
        }
    }
  return out;
}

SsImage *
ss_heatmap_upscale (const SsImage  *image,
                    int             factor,
                    GError        **error)
{
  SsImage *out;
  guint64 ow, oh;
  gsize ch, in_row, out_row;

  g_return_val_if_fail (image != NULL, NULL);

  if (factor < 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Invalid upscaling factor %d: it must be at least 1", factor);
      return NULL;
    }
  ow = (guint64) image->width * (guint64) factor;
  oh = (guint64) image->height * (guint64) factor;
  if (!ss_image_size_ok (ow, oh))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Upscaling %d×%d by %d gives %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                   " pixels, over the limit of %d per side and %" G_GUINT64_FORMAT
                   " in all; use a smaller factor", image->width, image->height, factor, ow, oh,
                   SS_IMAGE_MAX_SIDE, SS_IMAGE_MAX_PIXELS);
      return NULL;
    }

  out = ss_image_new ((int) ow, (int) oh, image->channels);
  ch = (gsize) image->channels;
  in_row = (gsize) image->width * ch;
  out_row = (gsize) ow * ch;
  for (int y = 0; y < image->height; y++)
    {
      const guint8 *src = image->pixels + (gsize) y * in_row;
      guint8 *dst = out->pixels + (gsize) y * (gsize) factor * out_row;

      /* One output row, then factor − 1 copies of it. */
      for (int x = 0; x < image->width; x++)
        for (int k = 0; k < factor; k++)
          memcpy (dst + ((gsize) x * (gsize) factor + (gsize) k) * ch, src + (gsize) x * ch, ch);
      for (int k = 1; k < factor; k++)
        memcpy (dst + (gsize) k * out_row, dst, out_row);
    }
  return out;
}

int
ss_heatmap_scale_for (int h,
                      int w,
                      int target)
{
  int side;

  g_return_val_if_fail (h > 0 && w > 0, 1);

  side = MAX (h, w);
  return MAX (1, target / side);
}

/* Copies tile (gray or RGB) into the RGB image out with its top-left pixel at (x0, y0). */
static void
blit_rgb (SsImage       *out,
          const SsImage *tile,
          int            x0,
          int            y0)
{
  g_assert (out->channels == 3);
  g_assert (x0 + tile->width <= out->width && y0 + tile->height <= out->height);

  for (int y = 0; y < tile->height; y++)
    {
      guint8 *dst = ss_image_pixel (out, x0, y0 + y);
      const guint8 *src = tile->pixels + (gsize) y * (gsize) tile->width * (gsize) tile->channels;

      if (tile->channels == 3)
        {
          memcpy (dst, src, (gsize) tile->width * 3);
          continue;
        }
      for (int x = 0; x < tile->width; x++)
        dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
    }
}

SsImage *
ss_heatmap_grid (const SsImage * const *tiles,
                 int                    n_rows,
                 int                    n_columns,
                 const guint8           background[3],
                 GError               **error)
{
  const SsImage *first = NULL;
  SsImage *out;
  guint64 gw, gh;
  int n;

  g_return_val_if_fail (tiles != NULL && background != NULL, NULL);
  g_return_val_if_fail (n_rows > 0 && n_columns > 0, NULL);
  g_return_val_if_fail ((guint64) n_rows * (guint64) n_columns <= G_MAXINT, NULL);

  n = n_rows * n_columns;
  for (int i = 0; i < n; i++)
    {
      if (tiles[i] == NULL)
        continue;
      if (first == NULL)
        first = tiles[i];
      else if (tiles[i]->width != first->width || tiles[i]->height != first->height)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                       "Grid tiles differ in size: tile %d (row %d, column %d) is %d×%d, "
                       "the first is %d×%d; all tiles must be the same size",
                       i, i / n_columns, i % n_columns, tiles[i]->width, tiles[i]->height,
                       first->width, first->height);
          return NULL;
        }
    }
  if (first == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "A %d×%d grid with no tiles: every tile is empty", n_rows, n_columns);
      return NULL;
    }

  gw = (guint64) n_columns * (guint64) first->width
       + (guint64) (n_columns - 1) * SS_HEATMAP_GRID_GAP;
  gh = (guint64) n_rows * (guint64) first->height + (guint64) (n_rows - 1) * SS_HEATMAP_GRID_GAP;
  if (!ss_image_size_ok (gw, gh))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "A %d×%d grid of %d×%d tiles would be %" G_GUINT64_FORMAT "×%"
                   G_GUINT64_FORMAT " pixels, over the limit of %d per side and %"
                   G_GUINT64_FORMAT " in all; use fewer or smaller tiles",
                   n_rows, n_columns, first->width, first->height, gw, gh, SS_IMAGE_MAX_SIDE,
                   SS_IMAGE_MAX_PIXELS);
      return NULL;
    }

  out = ss_image_new ((int) gw, (int) gh, 3);
  ss_image_fill (out, background);
  for (int i = 0; i < n; i++)
    if (tiles[i] != NULL)
      blit_rgb (out, tiles[i], (i % n_columns) * (first->width + SS_HEATMAP_GRID_GAP),
                (i / n_columns) * (first->height + SS_HEATMAP_GRID_GAP));
  return out;
}
