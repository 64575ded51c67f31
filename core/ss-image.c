/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: H = height, W = width, C = channels (1 gray, 3 RGB); pixels are (H, W, C). */

#include <string.h>

#include "ss-image.h"

gboolean
ss_image_size_ok (guint64 width,
                  guint64 height)
{
  return width >= 1 && height >= 1 && width <= SS_IMAGE_MAX_SIDE && height <= SS_IMAGE_MAX_SIDE
         && width * height <= SS_IMAGE_MAX_PIXELS;
}

SsImage *
ss_image_new (int width,
              int height,
              int channels)
{
  SsImage *image;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (ss_image_size_ok ((guint64) width, (guint64) height), NULL);
  g_return_val_if_fail (channels == 1 || channels == 3, NULL);

  image = g_new0 (SsImage, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->pixels = g_malloc0 ((gsize) width * (gsize) height * (gsize) channels);
  return image;
}

SsImage *
ss_image_copy (const SsImage *image)
{
  SsImage *copy;

  g_return_val_if_fail (image != NULL, NULL);

  copy = ss_image_new (image->width, image->height, image->channels);
  memcpy (copy->pixels, image->pixels,
          (gsize) image->width * (gsize) image->height * (gsize) image->channels);
  return copy;
}

SsImage *
ss_image_to_rgb (const SsImage *image)
{
  SsImage *rgb;
  gsize n;

  g_return_val_if_fail (image != NULL, NULL);

  if (image->channels == 3)
    return ss_image_copy (image);

  rgb = ss_image_new (image->width, image->height, 3);
  n = (gsize) image->width * (gsize) image->height;
  for (gsize i = 0; i < n; i++)
    {
      guint8 v = image->pixels[i];
      rgb->pixels[3 * i] = v;
      rgb->pixels[3 * i + 1] = v;
      rgb->pixels[3 * i + 2] = v;
    }
  return rgb;
}

void
ss_image_fill (SsImage      *image,
               const guint8 *value)
{
  gsize n;

  g_return_if_fail (image != NULL && value != NULL);

  n = (gsize) image->width * (gsize) image->height;
  if (image->channels == 1)
    {
      memset (image->pixels, value[0], n);
      return;
    }
  for (gsize i = 0; i < n; i++)
    memcpy (image->pixels + 3 * i, value, 3);
}

guint8 *
ss_image_pixel (const SsImage *image,
                int            x,
                int            y)
{
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (x >= 0 && x < image->width && y >= 0 && y < image->height, NULL);

  return image->pixels + ((gsize) y * (gsize) image->width + (gsize) x) * (gsize) image->channels;
}

void
ss_image_free (SsImage *image)
{
  if (image == NULL)
    return;
  g_free (image->pixels);
  g_free (image);
}
