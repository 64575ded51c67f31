/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: H = height, W = width, C = channels (1 gray, 3 RGB); pixels are (H, W, C).
 *
 * libpng reports errors by calling our error function, which records the message and
 * longjmps back to a setjmp.  To keep that well defined, each setjmp sits in a small function
 * (encode_png, decode_png) whose only work after it is to call a body function: the body's
 * locals die with its frame, and the setjmp function uses nothing after a longjmp but its
 * unchanged pointer parameter.  Everything that must be freed on an error (png_struct, info,
 * row pointers, the image being filled) is a field of a state struct in the caller's frame, and
 * the caller frees it on every path. */

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <png.h>

#include "ss-error.h"
#include "ss-png.h"

#define PNG_SIGNATURE_LEN 8

/* ---------------------------------------------------------------------------------------- */
/* Shared libpng callbacks                                                                  */

typedef struct {
  char message[256];
} PngErrorSink;

/* libpng's error function: records msg and jumps back to the active setjmp.  The error pointer
 * of every png_struct made here is a struct whose first member is a PngErrorSink. */
static void
on_png_error (png_structp     png,
              png_const_charp msg)
{
  PngErrorSink *sink = png_get_error_ptr (png);

  g_strlcpy (sink->message, msg != NULL ? msg : "unknown libpng error", sizeof sink->message);
  png_longjmp (png, 1);
}

static void
on_png_warning (png_structp     png,
                png_const_charp msg)
{
  g_debug ("libpng warning: %s", msg);
}

/* ---------------------------------------------------------------------------------------- */
/* Writing                                                                                  */

typedef struct {
  PngErrorSink sink;            /* first: see on_png_error */
  /* Borrowed */
  const SsImage *image;
  /* Owned; freed by encode_image whatever happens */
  png_structp png;
  png_infop   info;
  png_bytep  *rows;             /* (H) pointers into image->pixels */
  GByteArray *out;
} PngWriter;

static void
on_png_write (png_structp png,
              png_bytep   data,
              size_t      len)
{
  PngWriter *w = png_get_io_ptr (png);

  g_byte_array_append (w->out, data, (guint) len);
}

static void
on_png_flush (png_structp png)
{
}

static void
encode_png_body (PngWriter *w)
{
  png_set_write_fn (w->png, w, on_png_write, on_png_flush);
  png_set_IHDR (w->png, w->info, (png_uint_32) w->image->width, (png_uint_32) w->image->height,
                8, w->image->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (w->png, w->info);
  png_write_image (w->png, w->rows);
  png_write_end (w->png, NULL);
}

/* Fills w->out; on a libpng error returns FALSE with w->sink.message set. */
static gboolean
encode_png (PngWriter *w)
{
  w->png = png_create_write_struct (PNG_LIBPNG_VER_STRING, w, on_png_error, on_png_warning);
  if (w->png == NULL)
    {
      g_strlcpy (w->sink.message, "cannot create the libpng writer", sizeof w->sink.message);
      return FALSE;
    }
  w->info = png_create_info_struct (w->png);
  if (w->info == NULL)
    {
      g_strlcpy (w->sink.message, "cannot create the libpng info", sizeof w->sink.message);
      return FALSE;
    }
  if (setjmp (png_jmpbuf (w->png)))
    return FALSE;
  encode_png_body (w);
  return TRUE;
}

GBytes *
ss_png_encode (const SsImage  *image,
               GError        **error)
{
  PngWriter w = { 0 };
  gsize row_bytes;
  gboolean ok;

  g_return_val_if_fail (image != NULL && image->pixels != NULL, NULL);
  g_return_val_if_fail (image->channels == 1 || image->channels == 3, NULL);
  g_return_val_if_fail (ss_image_size_ok ((guint64) image->width, (guint64) image->height), NULL);

  w.image = image;
  w.out = g_byte_array_new ();
  w.rows = g_new (png_bytep, image->height);
  row_bytes = (gsize) image->width * (gsize) image->channels;
  for (int y = 0; y < image->height; y++)
    w.rows[y] = image->pixels + (gsize) y * row_bytes;

  ok = encode_png (&w);

  png_destroy_write_struct (&w.png, &w.info);
  g_free (w.rows);
  if (!ok)
    {
      g_byte_array_unref (w.out);
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "Could not encode a %d×%d PNG: %s",
                   image->width, image->height, w.sink.message);
      return NULL;
    }
  return g_byte_array_free_to_bytes (w.out);
}

gboolean
ss_png_save (const SsImage  *image,
             const char     *path,
             GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display = NULL;
  gsize len;
  const char *data;

  g_return_val_if_fail (image != NULL && path != NULL, FALSE);

  display = g_filename_display_name (path);
  bytes = ss_png_encode (image, &local_error);
  if (bytes == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: %s", display, local_error->message);
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &len);
  if (!g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not save “%s”: %s (the previous file, "
                   "if any, is unchanged)", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Reading                                                                                  */

typedef struct {
  PngErrorSink sink;            /* first: see on_png_error */
  /* Borrowed: the source is either a stream or a memory block */
  const char   *display;
  FILE         *fp;
  const guint8 *data;           /* (len) */
  gsize         len;
  gsize         pos;
  guint64       size;           /* bytes in the whole source (0: unknown, e.g. a pipe) */
  /* How a read failed, for the message */
  gboolean      truncated;
  int           read_errno;
  /* Owned; freed by read_image whatever happens */
  png_structp   png;
  png_infop     info;
  png_bytep    *rows;           /* (H) pointers into image->pixels */
  SsImage      *image;
} PngReader;

/* Reads up to n bytes; returns how many were read.  A short count is the end of the data, or
 * a read error with r->read_errno set. */
static gsize
source_read (PngReader *r,
             guint8    *buf,
             gsize      n)
{
  gsize got;

  if (r->fp == NULL)
    {
      got = MIN (n, r->len - r->pos);
      if (got > 0)
        memcpy (buf, r->data + r->pos, got);
      r->pos += got;
      return got;
    }
  got = fread (buf, 1, n, r->fp);
  if (got < n && ferror (r->fp))
    r->read_errno = errno != 0 ? errno : EIO;
  return got;
}

static void
on_png_read (png_structp png,
             png_bytep   data,
             size_t      len)
{
  PngReader *r = png_get_io_ptr (png);

  if (source_read (r, data, len) == len)
    return;
  if (r->read_errno == 0)
    r->truncated = TRUE;
  png_error (png, r->read_errno != 0 ? "read error" : "unexpected end of file");
}

/* Checks the signature, setting error (file name first) when the data is not a PNG. */
static gboolean
check_signature (PngReader  *r,
                 GError    **error)
{
  guint8 sig[PNG_SIGNATURE_LEN];
  gsize got = source_read (r, sig, sizeof sig);
  const char *hint = "";

  if (r->read_errno != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: could not read: %s", r->display,
                   g_strerror (r->read_errno));
      return FALSE;
    }
  if (got == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: the file is empty, not a PNG image",
                   r->display);
      return FALSE;
    }
  if (got == sizeof sig && png_sig_cmp (sig, 0, sizeof sig) == 0)
    return TRUE;
  if (got < sizeof sig && png_sig_cmp (sig, 0, got) == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: truncated: the file ends inside the PNG signature (%" G_GSIZE_FORMAT
                   " bytes)", r->display, got);
      return FALSE;
    }
  if (got >= 3 && sig[0] == 0xff && sig[1] == 0xd8 && sig[2] == 0xff)
    hint = "; this looks like a JPEG file";
  else if (got >= 4 && memcmp (sig, "GIF8", 4) == 0)
    hint = "; this looks like a GIF file";
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: not a PNG file (bad signature)%s",
               r->display, hint);
  return FALSE;
}

/* Known ancillary chunks the reader has no use for, in libpng's list format (four letters and
 * a NUL each). */
static const png_byte ignored_chunks[] =
  "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0"
  "tEXt\0tIME\0zTXt";

/* Everything after the setjmp; a libpng error longjmps out of it. */
static gboolean
decode_png_body (PngReader  *r,
                 GError    **error)
{
  png_uint_32 width, height;
  int bit_depth, color_type, interlace, channels;
  gsize row_bytes;

  png_set_read_fn (r->png, r, on_png_read);
  png_set_sig_bytes (r->png, PNG_SIGNATURE_LEN);
  /* libpng's own limit (1000000 per side) would refuse some sizes with its terse message; ours,
   * below, refuses every oversized image with a clear one. */
  png_set_user_limits (r->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  /* The ancillary chunks this reader ignores anyway (colour management, text, time, …) and any
   * unknown chunk are skipped unread, and no other chunk may claim more than 8 MiB: otherwise
   * libpng allocates and zeroes whatever length a chunk header declares, up to 2 GiB, before it
   * finds the data too short (the PNG fuzzer's 168-byte file with a tEXt of 1.6 GB took 5 s
   * and 1.6 GB of memory). tRNS is kept: it changes how a palette expands. */
  png_set_keep_unknown_chunks (r->png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
  png_set_keep_unknown_chunks (r->png, PNG_HANDLE_CHUNK_NEVER, ignored_chunks,
                               (int) (sizeof ignored_chunks / 5));
  png_set_chunk_malloc_max (r->png, 8 * 1024 * 1024);
  png_read_info (r->png, r->info);
  png_get_IHDR (r->png, r->info, &width, &height, &bit_depth, &color_type, &interlace, NULL,
                NULL);

  /* Before any pixel memory: the header alone decides. */
  if (!ss_image_size_ok (width, height))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: the PNG declares %u×%u pixels; the limit is %d per side and %"
                   G_GUINT64_FORMAT " pixels in all (refused before reading the image data)",
                   r->display, (unsigned) width, (unsigned) height, SS_IMAGE_MAX_SIDE,
                   SS_IMAGE_MAX_PIXELS);
      return FALSE;
    }

  /* Deflate turns one compressed byte into at most 1032 (its limit: a 258-byte match coded in
   * two bits), so a W×H image's pixels cannot come from fewer than W·H·C·bits / 8 / 1032 bytes.
   * A header promising more than the source holds is refused here, before its pixel memory is
   * allocated: otherwise a 100-byte file could cost 768 MiB before libpng finds it truncated. */
  if (r->size > 0)
    {
      guint64 bits = (guint64) width * height * png_get_channels (r->png, r->info) * bit_depth;
      guint64 need = bits / 8 / 1032;

      if (need > r->size)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: truncated PNG: it declares %u×%u pixels, which need at least %"
                       G_GUINT64_FORMAT " bytes of compressed data, but the file has %"
                       G_GUINT64_FORMAT, r->display, (unsigned) width, (unsigned) height, need,
                       r->size);
          return FALSE;
        }
    }

  if (bit_depth == 16)
    png_set_scale_16 (r->png);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (r->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8 (r->png);
  /* png_set_palette_to_rgb also turns a palette's tRNS into alpha: strip that too. */
  if ((color_type & PNG_COLOR_MASK_ALPHA) != 0 || color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_strip_alpha (r->png);
  png_set_interlace_handling (r->png);
  png_read_update_info (r->png, r->info);

  channels = png_get_channels (r->png, r->info);
  row_bytes = png_get_rowbytes (r->png, r->info);
  if ((channels != 1 && channels != 3) || png_get_bit_depth (r->png, r->info) != 8
      || row_bytes != (gsize) width * (gsize) channels)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: unsupported PNG layout (colour type %d, %d bits) after conversion to "
                   "8 bits: %d channels, %" G_GSIZE_FORMAT " bytes per row",
                   r->display, color_type, bit_depth, channels, row_bytes);
      return FALSE;
    }

  r->image = ss_image_new ((int) width, (int) height, channels);
  r->rows = g_new (png_bytep, height);
  for (png_uint_32 y = 0; y < height; y++)
    r->rows[y] = r->image->pixels + (gsize) y * row_bytes;
  png_read_image (r->png, r->rows);
  png_read_end (r->png, NULL);
  return TRUE;
}

/* Decodes into r->image after the signature.  Returns FALSE with error set for our own checks,
 * or FALSE with error unset and r->sink.message set for a libpng error. */
static gboolean
decode_png (PngReader  *r,
            GError    **error)
{
  r->png = png_create_read_struct (PNG_LIBPNG_VER_STRING, r, on_png_error, on_png_warning);
  if (r->png == NULL)
    {
      g_strlcpy (r->sink.message, "cannot create the libpng reader", sizeof r->sink.message);
      return FALSE;
    }
  r->info = png_create_info_struct (r->png);
  if (r->info == NULL)
    {
      g_strlcpy (r->sink.message, "cannot create the libpng info", sizeof r->sink.message);
      return FALSE;
    }
  /* After a longjmp only r (an unchanged parameter pointing into the caller's frame) is used;
   * the body's locals die with its frame. */
  if (setjmp (png_jmpbuf (r->png)))
    return FALSE;
  return decode_png_body (r, error);
}

/* Runs the whole read on r (whose source is set) and frees what it made.
 * Returns: (transfer full): the image, or NULL with error set. */
static SsImage *
read_image (PngReader  *r,
            GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!check_signature (r, error))
    return NULL;

  ok = decode_png (r, &local_error);

  png_destroy_read_struct (&r->png, &r->info, NULL);
  g_clear_pointer (&r->rows, g_free);
  if (ok)
    return g_steal_pointer (&r->image);

  g_clear_pointer (&r->image, ss_image_free);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (r->read_errno != 0)
    g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: could not read: %s", r->display,
                 g_strerror (r->read_errno));
  else if (r->truncated)
    g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                 "%s: truncated PNG: the file ends before the image is complete", r->display);
  else
    g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: corrupt PNG: %s", r->display,
                 r->sink.message);
  return NULL;
}

SsImage *
ss_png_load (const char  *path,
             GError     **error)
{
  g_autofree char *display = NULL;
  PngReader r = { 0 };
  SsImage *image;

  g_return_val_if_fail (path != NULL, NULL);

  display = g_filename_display_name (path);
  r.display = display;
  r.fp = g_fopen (path, "rb");
  if (r.fp == NULL)
    {
      int saved_errno = errno;
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: could not open: %s", display,
                   g_strerror (saved_errno));
      return NULL;
    }
  {
    struct stat st;
    if (fstat (fileno (r.fp), &st) == 0 && S_ISREG (st.st_mode))
      r.size = (guint64) st.st_size;
  }
  image = read_image (&r, error);
  fclose (r.fp);
  return image;
}

SsImage *
ss_png_decode (const guint8  *data,
               gsize          len,
               const char    *name,
               GError       **error)
{
  PngReader r = { 0 };

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  r.display = name;
  r.data = data;
  r.len = len;
  r.size = len;
  return read_image (&r, error);
}
