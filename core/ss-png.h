/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ss-image.h"

G_BEGIN_DECLS

/* PNG files through libpng.
 *
 * Writing: 8-bit gray or RGB, not interlaced, no gamma or colour-space chunks.  The file is
 * encoded in memory first, then written with g_file_set_contents_full (…_CONSISTENT): a
 * temporary file in the same folder, fsync, rename.  On failure the previous file, if any, is
 * unchanged and no temporary file is left behind.
 *
 * Reading: any PNG libpng reads (gray 1–16 bit, gray + alpha, RGB, RGBA, palette with or without
 * tRNS, 8 or 16 bit, interlaced or not) becomes 8-bit:
 *   - gray and gray + alpha → a gray image (C = 1); RGB, RGBA and palette → RGB (C = 3);
 *   - 16-bit samples are rounded to the nearest 8-bit value (v16 / 257);
 *   - 1, 2 and 4-bit gray is scaled to 0..255 (bit replication);
 *   - alpha and tRNS transparency are dropped, not composited (as PIL's convert ("RGB"));
 *   - gAMA, cHRM, sRGB and iCCP are ignored: the stored sample values are returned.
 * An image larger than SS_IMAGE_MAX_SIDE per side or SS_IMAGE_MAX_PIXELS pixels is refused
 * from its header, before any pixel memory is allocated; so is one whose pixels could not come
 * out of a file (or memory block) that small even at deflate's largest ratio, 1032:1.  Errors are SS_ERROR_IO (the file
 * cannot be opened or read) or SS_ERROR_FORMAT (empty, not a PNG, truncated, corrupt, too
 * large), and every message starts with the file name. */

/* Writes image (gray or RGB) to path, atomically as described above. */
gboolean  ss_png_save    (const SsImage *image, const char *path, GError **error);
/* The PNG file's bytes for image.
 * Returns: (transfer full): free with g_bytes_unref; NULL on error. */
GBytes   *ss_png_encode  (const SsImage *image, GError **error);

/* Reads the PNG file at path.
 * Returns: (transfer full): a gray or RGB image, free with ss_image_free; NULL on error. */
SsImage  *ss_png_load    (const char *path, GError **error);
/* Decodes a PNG held in memory, data (len bytes); name is used in error messages.
 * Returns: (transfer full): a gray or RGB image, free with ss_image_free; NULL on error. */
SsImage  *ss_png_decode  (const guint8 *data, gsize len, const char *name, GError **error);

G_END_DECLS
