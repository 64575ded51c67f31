/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An 8-bit image: gray (1 channel) or RGB (3 channels), the pixel type of figures
 * (core/ss-heatmap.h) and of PNG files (core/ss-png.h).
 *
 * Legend: H = height (rows), W = width (columns), C = channels (1 or 3).  Unlike tensors, which
 * are planar (C, H, W), pixels are interleaved, as in a PNG row: (H, W, C), row-major, with no
 * padding between rows, so pixel (x, y) channel c is pixels[(y * W + x) * C + c].
 *
 * The struct is public because it is a plain value holder: read the fields, write the pixels;
 * do not change width, height or channels, and free it only with ss_image_free. */
typedef struct {
  int     width;      /* W, in [1, SS_IMAGE_MAX_SIDE] */
  int     height;     /* H, in [1, SS_IMAGE_MAX_SIDE] */
  int     channels;   /* C: 1 (gray) or 3 (RGB) */
  guint8 *pixels;     /* (H, W, C); owned */
} SsImage;

/* Largest image any function makes or reads: 16384 per side and 2^28 pixels (768 MiB RGB). */
#define SS_IMAGE_MAX_SIDE   16384
#define SS_IMAGE_MAX_PIXELS (G_GUINT64_CONSTANT (1) << 28)

/* TRUE when a width × height image is within the limits above (and not empty). */
gboolean  ss_image_size_ok  (guint64 width, guint64 height);

/* A new image with every byte 0 (black).  width and height must satisfy ss_image_size_ok
 * (check run-time sizes first) and channels must be 1 or 3.
 * Returns: (transfer full): free with ss_image_free. */
SsImage  *ss_image_new      (int width, int height, int channels);
/* Returns: (transfer full): a deep copy; free with ss_image_free. */
SsImage  *ss_image_copy     (const SsImage *image);
/* An RGB copy of image: gray pixels are replicated to R = G = B, RGB is copied.
 * Returns: (transfer full): free with ss_image_free. */
SsImage  *ss_image_to_rgb   (const SsImage *image);
/* Sets every pixel to value (C bytes: one for gray, R, G, B for RGB). */
void      ss_image_fill     (SsImage *image, const guint8 *value);
/* The C bytes of pixel (x, y), 0 <= x < W, 0 <= y < H.
 * Returns: (transfer none): points into image->pixels. */
guint8   *ss_image_pixel    (const SsImage *image, int x, int y);
void      ss_image_free     (SsImage *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsImage, ss_image_free)

G_END_DECLS
