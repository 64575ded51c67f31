/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* PNG files (core/ss-png.h): write → read round trips of odd sizes; files written here with
 * libpng in settings our writer never uses (16 bit, palette, alpha, low bit depths, Adam7)
 * read back to the right 8-bit pixels; each kind of bad file fails with an SS_ERROR naming the
 * file; saving is atomic.
 *
 * Legend: H = height, W = width, C = channels; pixels are (H, W, C), interleaved. */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <png.h>
#include <zlib.h>

#include "ss-error.h"
#include "ss-png.h"
#include "ss-test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */

/* A w × h image with c channels whose every byte differs from its neighbours (seeded). */
static SsImage *
pattern_image (int     w,
               int     h,
               int     c,
               guint32 seed)
{
  SsImage *image = ss_image_new (w, h, c);
  gsize n = (gsize) w * (gsize) h * (gsize) c;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < n; i++)
    image->pixels[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return image;
}

static void
assert_same_image (const SsImage *a,
                   const SsImage *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  g_assert_cmpint (a->channels, ==, b->channels);
  g_assert_cmpmem (a->pixels, (gsize) a->width * a->height * a->channels,
                   b->pixels, (gsize) b->width * b->height * b->channels);
}

static void
assert_error_names (const GError *error,
                    int           code,
                    const char   *path,
                    const char   *problem)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, SS_ERROR, code);
  if (strstr (error->message, path) == NULL)
    g_error ("message does not name the file “%s”: %s", path, error->message);
  if (problem != NULL && strstr (error->message, problem) == NULL)
    g_error ("message does not say “%s”: %s", problem, error->message);
}

static void
write_bytes (const char   *path,
             const guint8 *data,
             gsize         len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
}

/* A PNG written directly with libpng: rows are PNG-format rows (packed sub-byte samples,
 * big-endian 16-bit), (H, row bytes). */
typedef struct {
  int           w, h;
  int           bit_depth;
  int           color_type;
  int           interlace;
  const guint8 *rows;
  gsize         row_bytes;
  const png_color *palette;
  int           n_palette;
  const guint8 *trans;
  int           n_trans;
} RawPng;

static void
write_raw_png (const char   *path,
               const RawPng *raw)
{
  FILE *fp = g_fopen (path, "wb");
  png_structp png;
  png_infop info;
  g_autofree png_bytep *rows = g_new (png_bytep, raw->h);

  g_assert_nonnull (fp);
  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  g_assert_nonnull (png);
  info = png_create_info_struct (png);
  g_assert_nonnull (info);
  if (setjmp (png_jmpbuf (png)))
    g_error ("libpng failed to write the test file %s", path);
  png_init_io (png, fp);
  png_set_IHDR (png, info, raw->w, raw->h, raw->bit_depth, raw->color_type, raw->interlace,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (raw->palette != NULL)
    png_set_PLTE (png, info, raw->palette, raw->n_palette);
  if (raw->trans != NULL)
    png_set_tRNS (png, info, raw->trans, raw->n_trans, NULL);
  for (int y = 0; y < raw->h; y++)
    rows[y] = (png_bytep) raw->rows + (gsize) y * raw->row_bytes;
  png_write_info (png, info);
  png_write_image (png, rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_assert_cmpint (fclose (fp), ==, 0);
}

/* A valid PNG file's bytes: a noisy RGB image, so that IDAT holds real deflate data. */
static GBytes *
valid_png_bytes (int w,
                 int h)
{
  g_autoptr(SsImage) image = pattern_image (w, h, 3, 7);
  g_autoptr(GError) error = NULL;
  GBytes *bytes = ss_png_encode (image, &error);

  g_assert_no_error (error);
  return bytes;
}

static guint32
get_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | (guint32) p[3];
}

static void
put_be32 (guint8  *p,
          guint32  v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* Offset of the first chunk of type type (its length field) in a PNG file, or -1. */
static gssize
find_chunk (const guint8 *data,
            gsize         len,
            const char   *type)
{
  gsize off = 8;

  while (off + 12 <= len)
    {
      guint32 n = get_be32 (data + off);
      if (memcmp (data + off + 4, type, 4) == 0)
        return (gssize) off;
      off += 12 + (gsize) n;
    }
  return -1;
}

/* Recomputes the CRC of the chunk at off (the CRC covers type and data). */
static void
fix_crc (guint8 *data,
         gsize   off)
{
  guint32 n = get_be32 (data + off);
  uLong crc = crc32 (0L, data + off + 4, 4 + n);

  put_be32 (data + off + 8 + n, (guint32) crc);
}

/* ---------------------------------------------------------------------------------------- */
/* Round trips                                                                              */

typedef struct {
  const char *path;
  int         w, h, c;
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "/png/round-trip/gray-1x1", 1, 1, 1 },
  { "/png/round-trip/gray-7x3", 7, 3, 1 },
  { "/png/round-trip/gray-33x17", 33, 17, 1 },
  { "/png/round-trip/gray-1x101", 1, 101, 1 },
  { "/png/round-trip/rgb-1x1", 1, 1, 3 },
  { "/png/round-trip/rgb-5x9", 5, 9, 3 },
  { "/png/round-trip/rgb-31x29", 31, 29, 3 },
  { "/png/round-trip/rgb-257x3", 257, 3, 3 },
};

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "image.png", NULL);
  g_autoptr(SsImage) image = pattern_image (rt->w, rt->h, rt->c, (guint32) (rt->w * 1000 + rt->h));
  g_autoptr(SsImage) back = NULL;
  g_autoptr(SsImage) decoded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *theirs = NULL;
  png_image pi = { 0 };

  g_test_summary ("ss_png_save then ss_png_load of a noisy gray or RGB image of an odd size "
                  "gives the same pixels bit for bit; libpng's own simplified reader reads the "
                  "file to the same pixels; ss_png_encode / ss_png_decode agree with the file.");

  g_assert_true (ss_png_save (image, path, &error));
  g_assert_no_error (error);
  back = ss_png_load (path, &error);
  g_assert_no_error (error);
  assert_same_image (image, back);

  /* An independent reader: libpng's simplified API, asked for the file's own format. */
  pi.version = PNG_IMAGE_VERSION;
  g_assert_true (png_image_begin_read_from_file (&pi, path));
  g_assert_cmpuint (pi.width, ==, (guint) rt->w);
  g_assert_cmpuint (pi.height, ==, (guint) rt->h);
  pi.format = rt->c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  theirs = g_malloc (PNG_IMAGE_SIZE (pi));
  g_assert_true (png_image_finish_read (&pi, NULL, theirs, 0, NULL));
  g_assert_cmpmem (theirs, PNG_IMAGE_SIZE (pi), image->pixels,
                   (gsize) rt->w * rt->h * rt->c);

  bytes = ss_png_encode (image, &error);
  g_assert_no_error (error);
  decoded = ss_png_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "memory",
                           &error);
  g_assert_no_error (error);
  assert_same_image (image, decoded);

  ss_test_rm_rf (dir);
}

/* ---------------------------------------------------------------------------------------- */
/* Files in other settings                                                                  */

static SsImage *
load_raw (const RawPng *raw)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "other.png", NULL);
  g_autoptr(GError) error = NULL;
  SsImage *image;

  write_raw_png (path, raw);
  image = ss_png_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (image->width, ==, raw->w);
  g_assert_cmpint (image->height, ==, raw->h);
  ss_test_rm_rf (dir);
  return image;
}

/* The 8-bit value nearest v16 · 255 / 65535 = v16 / 257 (never a tie). */
static guint8
scale16 (guint v16)
{
  return (guint8) ((v16 + 128) / 257);
}

static void
test_read_16bit (void)
{
  enum { W = 7, H = 5 };
  static const int types[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGB,
                               PNG_COLOR_TYPE_RGB_ALPHA, PNG_COLOR_TYPE_GRAY_ALPHA };

  g_test_summary ("16-bit gray, RGB, RGBA and gray + alpha files read as 8-bit gray or RGB, "
                  "each sample the nearest 8-bit value of v16 / 257 (half-way values 128 and "
                  "385 included) and alpha dropped.");

  for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
    {
      int in_c = types[t] == PNG_COLOR_TYPE_GRAY ? 1 : types[t] == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                 : types[t] == PNG_COLOR_TYPE_RGB ? 3 : 4;
      int out_c = in_c <= 2 ? 1 : 3;
      g_autofree guint8 *rows = g_malloc ((gsize) W * H * in_c * 2);
      g_autofree guint *v = g_new (guint, (gsize) W * H * in_c);
      g_autoptr(SsImage) image = NULL;
      RawPng raw = { W, H, 16, types[t], PNG_INTERLACE_NONE, NULL, (gsize) W * in_c * 2 };

      for (gsize i = 0; i < (gsize) W * H * in_c; i++)
        {
          v[i] = (guint) ((i * 40503u + 128u * (t + 1)) & 0xffff);
          if (i == 3)
            v[i] = 128;     /* 0.498 → 0 */
          if (i == 4)
            v[i] = 385;     /* 1.498 → 1 */
          if (i == 5)
            v[i] = 65535;
          rows[2 * i] = (guint8) (v[i] >> 8);
          rows[2 * i + 1] = (guint8) v[i];
        }
      raw.rows = rows;
      image = load_raw (&raw);
      g_assert_cmpint (image->channels, ==, out_c);
      for (gsize p = 0; p < (gsize) W * H; p++)
        for (int ch = 0; ch < out_c; ch++)
          g_assert_cmpuint (image->pixels[p * out_c + ch], ==, scale16 (v[p * in_c + ch]));
    }
}

static void
test_read_palette (void)
{
  enum { W = 9, H = 4 };
  static const png_color palette[] = {
    { 0, 0, 0 }, { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 },
    { 12, 34, 56 }, { 200, 100, 50 }, { 255, 255, 255 }, { 1, 2, 3 },
  };
  static const guint8 trans[] = { 0, 128, 255, 7 };
  static const int depths[] = { 8, 4 };

  g_test_summary ("Palette files, 8 and 4 bits per index, with and without tRNS transparency, "
                  "read as RGB with each pixel its palette colour (transparency dropped).");

  for (gsize d = 0; d < G_N_ELEMENTS (depths); d++)
    for (int with_trns = 0; with_trns <= 1; with_trns++)
      {
        int depth = depths[d];
        gsize row_bytes = depth == 8 ? W : (W + 1) / 2;
        g_autofree guint8 *rows = g_malloc0 (row_bytes * H);
        guint8 index[W * H];
        g_autoptr(SsImage) image = NULL;
        RawPng raw = { W, H, depth, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, NULL, row_bytes,
                       palette, G_N_ELEMENTS (palette), with_trns ? trans : NULL,
                       with_trns ? (int) G_N_ELEMENTS (trans) : 0 };

        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            {
              guint8 k = (guint8) ((x * 3 + y * 5) % G_N_ELEMENTS (palette));
              index[y * W + x] = k;
              if (depth == 8)
                rows[y * row_bytes + x] = k;
              else
                rows[y * row_bytes + x / 2] |= (guint8) (x % 2 == 0 ? k << 4 : k);
            }
        raw.rows = rows;
        image = load_raw (&raw);
        g_assert_cmpint (image->channels, ==, 3);
        for (int i = 0; i < W * H; i++)
          {
            const png_color *want = &palette[index[i]];
            g_assert_cmpuint (image->pixels[3 * i], ==, want->red);
            g_assert_cmpuint (image->pixels[3 * i + 1], ==, want->green);
            g_assert_cmpuint (image->pixels[3 * i + 2], ==, want->blue);
          }
      }
}

static void
test_read_alpha (void)
{
  enum { W = 6, H = 5 };
  guint8 rgba[W * H * 4], ga[W * H * 2];
  g_autoptr(SsImage) rgb = NULL;
  g_autoptr(SsImage) gray = NULL;
  RawPng raw_rgba = { W, H, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, rgba, W * 4 };
  RawPng raw_ga = { W, H, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, ga, W * 2 };

  g_test_summary ("8-bit RGBA reads as its RGB samples and gray + alpha as its gray samples, "
                  "whatever the alpha (0, partial, 255): alpha is dropped, not composited.");

  for (int i = 0; i < W * H * 4; i++)
    rgba[i] = (guint8) (i * 37 + 11);
  for (int i = 0; i < W * H * 2; i++)
    ga[i] = (guint8) (i * 53 + 5);
  rgba[3] = 0;
  ga[1] = 0;
  rgb = load_raw (&raw_rgba);
  gray = load_raw (&raw_ga);
  g_assert_cmpint (rgb->channels, ==, 3);
  g_assert_cmpint (gray->channels, ==, 1);
  for (int p = 0; p < W * H; p++)
    {
      for (int ch = 0; ch < 3; ch++)
        g_assert_cmpuint (rgb->pixels[3 * p + ch], ==, rgba[4 * p + ch]);
      g_assert_cmpuint (gray->pixels[p], ==, ga[2 * p]);
    }
}

static void
test_read_interlaced (void)
{
  enum { W = 13, H = 11 };
  g_autoptr(SsImage) want_rgb = pattern_image (W, H, 3, 99);
  g_autoptr(SsImage) want_gray = pattern_image (W, H, 1, 98);
  g_autoptr(SsImage) rgb = NULL;
  g_autoptr(SsImage) gray = NULL;
  RawPng raw_rgb = { W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, want_rgb->pixels, W * 3 };
  RawPng raw_gray = { W, H, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, want_gray->pixels, W };

  g_test_summary ("Adam7-interlaced RGB and gray files of an odd size (13×11, so every pass "
                  "is partial) read to the same pixels as they were written from.");

  rgb = load_raw (&raw_rgb);
  gray = load_raw (&raw_gray);
  assert_same_image (want_rgb, rgb);
  assert_same_image (want_gray, gray);
}

static void
test_read_low_bit_gray (void)
{
  enum { W = 11, H = 3 };
  static const int depths[] = { 1, 2, 4 };

  g_test_summary ("1, 2 and 4-bit gray files read as 8-bit gray scaled to 0..255 (1 bit: 0 and "
                  "255; 2 bits: 0, 85, 170, 255; 4 bits: 17 · v).");

  for (gsize d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      int depth = depths[d], per_byte = 8 / depth, max = (1 << depth) - 1;
      gsize row_bytes = (W + per_byte - 1) / per_byte;
      g_autofree guint8 *rows = g_malloc0 (row_bytes * H);
      int v[W * H];
      g_autoptr(SsImage) image = NULL;
      RawPng raw = { W, H, depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, NULL, row_bytes };

      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            int k = (x + 2 * y) % (max + 1);
            int shift = 8 - depth * (x % per_byte + 1);
            v[y * W + x] = k;
            rows[y * row_bytes + x / per_byte] |= (guint8) (k << shift);
          }
      raw.rows = rows;
      image = load_raw (&raw);
      g_assert_cmpint (image->channels, ==, 1);
      for (int i = 0; i < W * H; i++)
        g_assert_cmpuint (image->pixels[i], ==, v[i] * 255 / max);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Bad files                                                                                */

/* Loads bytes written to a file and checks the error; returns nothing: the image must be NULL. */
static void
assert_load_fails (const guint8 *data,
                   gsize         len,
                   int           code,
                   const char   *problem)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "bad.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImage) image = NULL;

  write_bytes (path, data, len);
  image = ss_png_load (path, &error);
  g_assert_null (image);
  assert_error_names (error, code, path, problem);
  g_clear_error (&error);

  /* The memory decoder says the same, naming what it was given. */
  image = ss_png_decode (data, len, "in-memory.png", &error);
  g_assert_null (image);
  assert_error_names (error, code, "in-memory.png", problem);
  ss_test_rm_rf (dir);
}

static void
test_bad_missing (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "no-such-file.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImage) image = NULL;

  g_test_summary ("Loading a file that does not exist is an SS_ERROR_IO error naming the file.");

  image = ss_png_load (path, &error);
  g_assert_null (image);
  assert_error_names (error, SS_ERROR_IO, path, "could not open");
  ss_test_rm_rf (dir);
}

static void
test_bad_not_png (void)
{
  static const char text[] = "P6\n2 2\n255\nthis is a PPM, not a PNG";
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0 };

  g_test_summary ("A file that is not a PNG (a PPM; a JPEG, with a hint) is an SS_ERROR_FORMAT "
                  "error naming the file.");

  assert_load_fails ((const guint8 *) text, sizeof text - 1, SS_ERROR_FORMAT, "not a PNG");
  assert_load_fails (jpeg, sizeof jpeg, SS_ERROR_FORMAT, "JPEG");
}

static void
test_bad_zero_length (void)
{
  g_test_summary ("An empty file is an SS_ERROR_FORMAT error naming the file and saying it is "
                  "empty.");

  assert_load_fails ((const guint8 *) "", 0, SS_ERROR_FORMAT, "empty");
}

static void
test_bad_truncated (void)
{
  g_autoptr(GBytes) bytes = valid_png_bytes (16, 16);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gssize idat = find_chunk (data, len, "IDAT");

  g_test_summary ("A PNG cut right after its IHDR chunk (signature + 25 bytes), inside the "
                  "signature, inside IDAT, or just before IEND is an SS_ERROR_FORMAT error "
                  "naming the file and saying it is truncated.");

  g_assert_cmpint (find_chunk (data, len, "IHDR"), ==, 8);
  g_assert_cmpint (idat, >, 0);
  assert_load_fails (data, 8 + 25, SS_ERROR_FORMAT, "truncated");
  assert_load_fails (data, 5, SS_ERROR_FORMAT, "truncated");
  assert_load_fails (data, (gsize) idat + 8 + 40, SS_ERROR_FORMAT, "truncated");
  assert_load_fails (data, len - 12, SS_ERROR_FORMAT, "truncated");
}

static void
test_bad_corrupt_idat (void)
{
  g_autoptr(GBytes) bytes = valid_png_bytes (16, 16);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gssize idat = find_chunk (data, len, "IDAT");
  g_autofree guint8 *bad = g_memdup2 (data, len);
  guint32 n;

  g_test_summary ("Flipped bytes in IDAT are an SS_ERROR_FORMAT error naming the file: in the "
                  "middle of the compressed data (libpng decodes before it checks the CRC, so "
                  "the data's own error); in the CRC alone (a CRC error); in the zlib header "
                  "with the CRC recomputed (so only zlib can tell).");

  g_assert_cmpint (idat, >, 0);
  n = get_be32 (data + idat);
  g_assert_cmpuint (n, >, 64);

  /* Flip bytes in the middle of the compressed data; the CRC no longer matches either. */
  for (guint32 k = n / 2; k < n / 2 + 4; k++)
    bad[idat + 8 + k] ^= 0xff;
  assert_load_fails (bad, len, SS_ERROR_FORMAT, "corrupt");

  /* Only the CRC is wrong. */
  memcpy (bad, data, len);
  bad[idat + 8 + n] ^= 0x5a;
  assert_load_fails (bad, len, SS_ERROR_FORMAT, "CRC");

  /* Flip the zlib header and make the CRC right again. */
  memcpy (bad, data, len);
  bad[idat + 8] ^= 0xff;
  bad[idat + 9] ^= 0xff;
  fix_crc (bad, (gsize) idat);
  assert_load_fails (bad, len, SS_ERROR_FORMAT, "corrupt");
}

/* The crafted file: a valid 1×1 PNG whose IHDR (CRC recomputed) declares w × h. */
static guint8 *
huge_png (guint32  w,
          guint32  h,
          gsize   *len)
{
  g_autoptr(GBytes) bytes = valid_png_bytes (1, 1);
  guint8 *data = g_bytes_unref_to_data (g_steal_pointer (&bytes), len);

  g_assert_cmpint (find_chunk (data, *len, "IHDR"), ==, 8);
  put_be32 (data + 16, w);
  put_be32 (data + 20, h);
  fix_crc (data, 8);
  return data;
}

static void
test_bad_huge (void)
{
  static const struct { guint32 w, h; const char *says; } sizes[] = {
    { 100000, 100000, "100000×100000" },
    { 16385, 1, "16385×1" },
    { 1, 16385, "1×16385" },
    { 0x7fffffff, 0x7fffffff, "2147483647×2147483647" },   /* PNG's largest */
  };

  g_test_summary ("A PNG whose IHDR (with a valid CRC) declares 100000×100000 pixels (or one "
                  "pixel too many on a side, or PNG's largest) is refused from its header with "
                  "an SS_ERROR_FORMAT error naming the file, the size and the limit; the file "
                  "is only a few dozen bytes, so an error about the size (not about missing "
                  "data) shows the check comes before any reading; a subprocess with its "
                  "address space capped shows nothing big is allocated.");

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize len;
      g_autofree guint8 *data = huge_png (sizes[i].w, sizes[i].h, &len);

      assert_load_fails (data, len, SS_ERROR_FORMAT, sizes[i].says);
      assert_load_fails (data, len, SS_ERROR_FORMAT, "16384 per side");
    }

#ifdef HAVE_ASAN
  g_test_message ("AddressSanitizer reserves terabytes of address space: the capped "
                  "subprocess is skipped");
#else
  /* Under valgrind, GLib's child-watch thread for the subprocess is reported as possibly
   * lost: skip it there (valgrind runs the same reader code in the checks above). */
  if (g_strrstr (g_getenv ("LD_PRELOAD") != NULL ? g_getenv ("LD_PRELOAD") : "", "vgpreload"))
    {
      g_test_message ("running under valgrind: the capped subprocess is skipped");
      return;
    }
  g_test_trap_subprocess ("/png/bad/huge/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#endif
}

static void
test_bad_huge_subprocess (void)
{
  gsize len;
  g_autofree guint8 *data = huge_png (100000, 100000, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImage) image = NULL;
  g_autofree char *statm = NULL;
  unsigned long pages;
  struct rlimit lim;

  g_test_summary ("Child of /png/bad/huge: decodes the crafted 100000×100000 header with the "
                  "address space capped at its current size plus 256 MiB.");
  if (!g_test_subprocess ())
    return;

  /* Cap the address space at what the process uses now plus 256 MiB: a 30 GB g_malloc of the
   * declared image would abort. */
  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  g_assert_cmpint (sscanf (statm, "%lu", &pages), ==, 1);
  g_assert_cmpint (getrlimit (RLIMIT_AS, &lim), ==, 0);
  lim.rlim_cur = (rlim_t) pages * (rlim_t) sysconf (_SC_PAGESIZE) + ((rlim_t) 256 << 20);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_cur > lim.rlim_max)
    lim.rlim_cur = lim.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &lim), ==, 0);

  image = ss_png_decode (data, len, "huge.png", &error);
  g_assert_null (image);
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
}

/* ---------------------------------------------------------------------------------------- */
/* Atomic saving                                                                            */

static void
test_save_missing_folder (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *folder = g_build_filename (dir, "no-such-folder", NULL);
  g_autofree char *path = g_build_filename (folder, "figure.png", NULL);
  g_autoptr(SsImage) image = pattern_image (9, 7, 3, 1);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Saving into a folder that does not exist is an SS_ERROR_IO error naming the "
                  "file, and leaves nothing behind: no folder, no temporary file.");

  g_assert_false (ss_png_save (image, path, &error));
  assert_error_names (error, SS_ERROR_IO, path, "unchanged");
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (ss_test_count_entries (dir), ==, 0);
  ss_test_rm_rf (dir);
}

static void
test_save_failure_keeps_old (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "figure.png", NULL);
  g_autoptr(SsImage) old_image = pattern_image (5, 5, 1, 2);
  g_autoptr(SsImage) new_image = pattern_image (96, 96, 3, 3);   /* ~27 KiB of noise */
  g_autoptr(SsImage) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_bytes = NULL;
  g_autofree char *now_bytes = NULL;
  gsize old_len, now_len;
  struct rlimit saved, lim;
  void (*saved_handler) (int);
  gboolean ok;

  g_test_summary ("A save that fails while writing (file-size limit of 4 KiB) is an "
                  "SS_ERROR_IO error naming the file; the existing file keeps its bytes and "
                  "no temporary file is left in the folder.  A save that succeeds replaces it.");

  g_assert_true (ss_png_save (old_image, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &old_bytes, &old_len, NULL));
  g_assert_cmpuint (old_len, <, 4096);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  lim = saved;
  lim.rlim_cur = 4096;
  saved_handler = signal (SIGXFSZ, SIG_IGN);   /* write () then fails with EFBIG */
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  ok = ss_png_save (new_image, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  assert_error_names (error, SS_ERROR_IO, path, "unchanged");
  g_assert_true (g_file_get_contents (path, &now_bytes, &now_len, NULL));
  g_assert_cmpmem (now_bytes, now_len, old_bytes, old_len);
  g_assert_cmpuint (ss_test_count_entries (dir), ==, 1);

  g_clear_error (&error);
  g_assert_true (ss_png_save (new_image, path, &error));
  g_assert_no_error (error);
  back = ss_png_load (path, &error);
  g_assert_no_error (error);
  assert_same_image (new_image, back);
  g_assert_cmpuint (ss_test_count_entries (dir), ==, 1);
  ss_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trips); i++)
    g_test_add_data_func (round_trips[i].path, &round_trips[i], test_round_trip);

  g_test_add_func ("/png/read/16-bit", test_read_16bit);
  g_test_add_func ("/png/read/palette", test_read_palette);
  g_test_add_func ("/png/read/alpha", test_read_alpha);
  g_test_add_func ("/png/read/interlaced", test_read_interlaced);
  g_test_add_func ("/png/read/low-bit-gray", test_read_low_bit_gray);

  g_test_add_func ("/png/bad/missing", test_bad_missing);
  g_test_add_func ("/png/bad/not-png", test_bad_not_png);
  g_test_add_func ("/png/bad/zero-length", test_bad_zero_length);
  g_test_add_func ("/png/bad/truncated", test_bad_truncated);
  g_test_add_func ("/png/bad/corrupt-idat", test_bad_corrupt_idat);
  g_test_add_func ("/png/bad/huge", test_bad_huge);
  g_test_add_func ("/png/bad/huge/subprocess", test_bad_huge_subprocess);

  g_test_add_func ("/png/save/missing-folder", test_save_missing_folder);
  g_test_add_func ("/png/save/failure-keeps-old", test_save_failure_keeps_old);

  return g_test_run ();
}
