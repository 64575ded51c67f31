/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Colormaps (core/ss-colormap.h) against matplotlib, and figure composition
 * (core/ss-heatmap.h): input images from floats, overlays computed by hand, nearest-neighbour
 * upscaling, and grid layout.
 *
 * Legend: C = channels, H = height, W = width; floats are planar (C, H, W) or (H, W), images
 * interleaved (H, W, C). */

#include <math.h>
#include <string.h>

#include "ss-colormap.h"
#include "ss-error.h"
#include "ss-heatmap.h"

/* ---------------------------------------------------------------------------------------- */
/* Colormaps                                                                                */

typedef struct {
  float  x;
  int    entry;
  guint8 rgb[3];
} Probe;

/* From the printout of /usr/bin/python3 tools/gen-colormaps.py (matplotlib 3.6.3):
 * cmap(x, bytes=True) and the entry floor(x · 256) (255 for x = 1). */
static const Probe viridis_probes[] = {
  { 0.00f,   0, {  68,   1,  84 } },
  { 0.25f,  64, {  58,  82, 139 } },
  { 0.50f, 128, {  32, 144, 140 } },
  { 0.75f, 192, {  94, 201,  97 } },
  { 1.00f, 255, { 253, 231,  36 } },
};

static const Probe inferno_probes[] = {
  { 0.00f,   0, {   0,   0,   3 } },
  { 0.25f,  64, {  87,  15, 109 } },
  { 0.50f, 128, { 187,  55,  84 } },
  { 0.75f, 192, { 249, 142,   8 } },
  { 1.00f, 255, { 252, 254, 164 } },
};

static const SsColormap *
lookup (const char *name)
{
  g_autoptr(GError) error = NULL;
  const SsColormap *cmap = ss_colormap_lookup (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cmap);
  return cmap;
}

static void
assert_rgb (const guint8 *got,
            guint8        r,
            guint8        g,
            guint8        b)
{
  if (got[0] != r || got[1] != g || got[2] != b)
    g_error ("colour (%u, %u, %u), expected (%u, %u, %u)", got[0], got[1], got[2], r, g, b);
}

static void
check_probes (const char  *name,
              const Probe *probes,
              gsize        n)
{
  const SsColormap *cmap = lookup (name);
  const guint8 *table = ss_colormap_get_table (cmap);

  g_assert_cmpstr (ss_colormap_get_name (cmap), ==, name);
  for (gsize i = 0; i < n; i++)
    {
      guint8 rgb[3];

      ss_colormap_map (cmap, probes[i].x, rgb);
      assert_rgb (rgb, probes[i].rgb[0], probes[i].rgb[1], probes[i].rgb[2]);
      assert_rgb (table + 3 * probes[i].entry, probes[i].rgb[0], probes[i].rgb[1],
                  probes[i].rgb[2]);
    }
}

static void
test_viridis_reference (void)
{
  g_test_summary ("viridis at 0, 0.25, 0.5, 0.75 and 1 gives matplotlib 3.6.3's "
                  "cmap(x, bytes=True), and those are table entries 0, 64, 128, 192, 255.");
  check_probes ("viridis", viridis_probes, G_N_ELEMENTS (viridis_probes));
}

static void
test_inferno_reference (void)
{
  g_test_summary ("inferno at 0, 0.25, 0.5, 0.75 and 1 gives matplotlib 3.6.3's "
                  "cmap(x, bytes=True), and those are table entries 0, 64, 128, 192, 255.");
  check_probes ("inferno", inferno_probes, G_N_ELEMENTS (inferno_probes));
}

static void
test_tables_consistent (void)
{
  const char * const *names = ss_colormap_list_names ();

  g_test_summary ("For every colormap, each 8-bit entry is its float entry × 255 truncated "
                  "(matplotlib's bytes=True rule), and ss_colormap_map_float returns the float "
                  "entry of the value's index.");

  for (int k = 0; names[k] != NULL; k++)
    {
      const SsColormap *cmap = lookup (names[k]);
      const guint8 *t8 = ss_colormap_get_table (cmap);
      const float *tf = ss_colormap_get_table_float (cmap);

      for (int i = 0; i < SS_COLORMAP_SIZE * 3; i++)
        {
          g_assert_cmpfloat (tf[i], >=, 0.0f);
          g_assert_cmpfloat (tf[i], <=, 1.0f);
          g_assert_cmpuint (t8[i], ==, (guint) floor ((double) tf[i] * 255.0));
        }
      for (int i = 0; i < SS_COLORMAP_SIZE; i++)
        {
          float rgb[3];
          ss_colormap_map_float (cmap, (i + 0.5f) / SS_COLORMAP_SIZE, rgb);
          g_assert_cmpmem (rgb, sizeof rgb, tf + 3 * i, sizeof rgb);
        }
    }
}

static void
test_index_rule (void)
{
  const SsColormap *cmap = lookup ("viridis");
  const guint8 *t = ss_colormap_get_table (cmap);
  static const guint8 nan_rgb[3] = SS_COLORMAP_NAN_RGB;
  struct { float x; int entry; } cases[] = {
    { 1.0f / 256, 1 },
    { nextafterf (1.0f / 256, 0.0f), 0 },
    { 0.5f, 128 },
    { nextafterf (0.5f, 0.0f), 127 },
    { 255.0f / 256, 255 },
    { nextafterf (255.0f / 256, 0.0f), 254 },
    { nextafterf (1.0f, 0.0f), 255 },
    { -0.0f, 0 },
    { -1e-7f, 0 },
    { -3.0f, 0 },
    { 1.0000001f, 255 },
    { 7.0f, 255 },
    { INFINITY, 255 },
    { -INFINITY, 0 },
  };
  guint8 rgb[3];

  g_test_summary ("A value selects entry floor(x · 256) (1 → 255), matplotlib's rule, at both "
                  "sides of entry boundaries; out-of-range values and infinities clamp to the "
                  "end entries; NaN gives SS_COLORMAP_NAN_RGB (mid gray).");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ss_colormap_map (cmap, cases[i].x, rgb);
      g_test_message ("x = %.9g → entry %d", cases[i].x, cases[i].entry);
      g_assert_cmpmem (rgb, 3, t + 3 * cases[i].entry, 3);
    }
  ss_colormap_map (cmap, NAN, rgb);
  assert_rgb (rgb, nan_rgb[0], nan_rgb[1], nan_rgb[2]);
  assert_rgb (rgb, 128, 128, 128);
}

/* Relative luminance Y of an sRGB colour with components in [0, 1] (IEC 61966-2-1). */
static double
luminance (double r,
           double g,
           double b)
{
  double c[3] = { r, g, b };

  for (int k = 0; k < 3; k++)
    c[k] = c[k] <= 0.04045 ? c[k] / 12.92 : pow ((c[k] + 0.055) / 1.055, 2.4);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/* CIE L* of luminance y (white Y = 1). */
static double
lightness (double y)
{
  return y > 216.0 / 24389.0 ? 116.0 * cbrt (y) - 16.0 : y * 24389.0 / 27.0;
}

static void
check_lightness (const char *name)
{
  const SsColormap *cmap = lookup (name);
  const float *tf = ss_colormap_get_table_float (cmap);
  const guint8 *t8 = ss_colormap_get_table (cmap);
  double prev_f = -1.0, prev_8 = -1.0, prev_l = -1.0, worst = 0.0;
  int dips = 0;

  for (int i = 0; i < SS_COLORMAP_SIZE; i++)
    {
      double yf = luminance (tf[3 * i], tf[3 * i + 1], tf[3 * i + 2]);
      double y8 = luminance (t8[3 * i] / 255.0, t8[3 * i + 1] / 255.0, t8[3 * i + 2] / 255.0);
      double l = lightness (yf);

      /* matplotlib's float table: strictly monotone. */
      if (!(yf >= prev_f) || !(l >= prev_l))
        g_error ("%s: luminance decreases at entry %d: Y %.6f → %.6f, L* %.3f → %.3f",
                 name, i, prev_f, yf, prev_l, l);
      /* The 8-bit table: monotone up to its quantisation (one step in one channel). */
      if (y8 < prev_8)
        {
          dips++;
          worst = MAX (worst, prev_8 - y8);
          g_test_message ("%s: 8-bit luminance dips by %.2g at entry %d", name, prev_8 - y8, i);
        }
      prev_f = yf;
      prev_8 = y8;
      prev_l = l;
    }
  g_assert_cmpfloat (worst, <, 1e-3);
  g_assert_cmpint (dips, <=, 1);
}

static void
test_lightness (void)
{
  g_test_summary ("viridis and inferno are perceptually ordered: the relative luminance (and "
                  "so CIE L*) of matplotlib's float table is non-decreasing from entry 0 to "
                  "255.  The 8-bit table (bytes truncated as matplotlib does) is non-decreasing "
                  "except viridis 120 → 121, where red drops one step: a dip below 0.1% "
                  "luminance.");

  check_lightness ("viridis");
  check_lightness ("inferno");
}

static void
test_lookup (void)
{
  g_autoptr(GError) error = NULL;
  const char * const *names = ss_colormap_list_names ();

  g_test_summary ("ss_colormap_lookup finds viridis and inferno (ASCII case ignored); an unknown "
                  "name is an SS_ERROR_ARGUMENT error naming it and listing the known names.");

  g_assert_cmpstr (names[0], ==, "viridis");
  g_assert_cmpstr (names[1], ==, "inferno");
  g_assert_null (names[2]);
  g_assert_true (lookup ("Viridis") == lookup ("viridis"));
  g_assert_true (lookup ("INFERNO") == lookup ("inferno"));
  g_assert_true (lookup (SS_COLORMAP_DEFAULT) == lookup ("viridis"));

  g_assert_null (ss_colormap_lookup ("jet", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "jet"));
  g_assert_nonnull (strstr (error->message, "viridis"));
  g_assert_nonnull (strstr (error->message, "inferno"));
}

/* ---------------------------------------------------------------------------------------- */
/* Figures                                                                                  */

static void
test_image_from_floats (void)
{
  /* (3, 2, 2) */
  static const float rgb_planes[12] = {
    0.0f, 1.0f, 0.4f, 0.04f,        /* R */
    0.0f, 1.0f, 0.2f, 0.08f,        /* G */
    0.0f, 1.0f, 0.8f, 0.12f,        /* B */
  };
  static const guint8 rgb_want[12] = { 0, 0, 0, 255, 255, 255, 102, 51, 204, 10, 20, 31 };
  /* (1, 2, 3): clamping, NaN, and rounding half up (0.5 → 127.5 → 128). */
  const float gray[6] = { -0.5f, 1.5f, NAN, 0.5f, 1.0f / 255, 0.998f };
  static const guint8 gray_want[6] = { 0, 255, 0, 128, 1, 254 };
  g_autoptr(SsImage) a = ss_heatmap_image_from_floats (rgb_planes, 3, 2, 2);
  g_autoptr(SsImage) b = ss_heatmap_image_from_floats (gray, 1, 2, 3);

  g_test_summary ("An input (C, H, W) in [0, 1] becomes RGB bytes floor(255 v + 0.5): planes "
                  "interleave for C = 3, gray replicates for C = 1; values clamp to [0, 1] and "
                  "NaN gives 0.");

  g_assert_cmpint (a->width, ==, 2);
  g_assert_cmpint (a->height, ==, 2);
  g_assert_cmpint (a->channels, ==, 3);
  g_assert_cmpmem (a->pixels, 12, rgb_want, 12);

  g_assert_cmpint (b->width, ==, 3);
  g_assert_cmpint (b->height, ==, 2);
  g_assert_cmpint (b->channels, ==, 3);
  for (int i = 0; i < 6; i++)
    assert_rgb (b->pixels + 3 * i, gray_want[i], gray_want[i], gray_want[i]);
}

typedef struct {
  const char *path;
  float       alpha;
  guint8      want[12];   /* (2, 2, 3) */
} OverlayCase;

/* Image pixels (0,0,0) (255,255,255) (102,51,204) (10,20,31) (test_image_from_floats);
 * heat 0, 1, 0.5, NaN through viridis: (68,1,84) (253,231,36) (32,144,140) (128,128,128).
 * α = 0.5, by hand, floor(x + 0.5) of the mean:
 *   (34, 0.5 → 1, 42)  (254, 243, 145.5 → 146)  (67, 97.5 → 98, 172)  (69, 74, 79.5 → 80). */
static const OverlayCase overlay_cases[] = {
  { "/heatmap/overlay/alpha-0", 0.0f,
    { 0, 0, 0, 255, 255, 255, 102, 51, 204, 10, 20, 31 } },
  { "/heatmap/overlay/alpha-0.5", 0.5f,
    { 34, 1, 42, 254, 243, 146, 67, 98, 172, 69, 74, 80 } },
  { "/heatmap/overlay/alpha-1", 1.0f,
    { 68, 1, 84, 253, 231, 36, 32, 144, 140, 128, 128, 128 } },
};

static void
test_overlay (gconstpointer data)
{
  const OverlayCase *oc = data;
  static const float planes[12] = {
    0.0f, 1.0f, 0.4f, 0.04f,  0.0f, 1.0f, 0.2f, 0.08f,  0.0f, 1.0f, 0.8f, 0.12f,
  };
  const float heat[4] = { 0.0f, 1.0f, 0.5f, NAN };   /* (2, 2) */
  g_autoptr(SsImage) image = ss_heatmap_image_from_floats (planes, 3, 2, 2);
  g_autoptr(SsImage) out = ss_heatmap_overlay (image, heat, lookup ("viridis"), oc->alpha);

  g_test_summary ("A 2×2 heatmap (0, 1, 0.5, NaN) over a 2×2 RGB image through viridis at "
                  "α = 0, 0.5 and 1 gives (1 − α) · image + α · colour rounded half up, "
                  "values computed by hand; α = 1 equals ss_heatmap_colorize.");

  g_assert_cmpint (out->width, ==, 2);
  g_assert_cmpint (out->height, ==, 2);
  g_assert_cmpint (out->channels, ==, 3);
  g_assert_cmpmem (out->pixels, 12, oc->want, 12);

  if (oc->alpha == 1.0f)
    {
      g_autoptr(SsImage) col = ss_heatmap_colorize (heat, 2, 2, lookup ("viridis"));
      g_assert_cmpmem (col->pixels, 12, out->pixels, 12);
    }
}

static void
test_overlay_gray (void)
{
  g_autoptr(SsImage) gray = ss_image_new (2, 1, 1);
  const float heat[2] = { 0.0f, 1.0f };   /* (1, 2) */
  g_autoptr(SsImage) out = NULL;
  /* 0.75 · 100 + 0.25 · (68, 1, 84) = (92, 75.25, 96);
   * 0.75 · 200 + 0.25 · (253, 231, 36) = (213.25, 207.75, 159). */
  static const guint8 want[6] = { 92, 75, 96, 213, 208, 159 };

  g_test_summary ("A gray image is blended as R = G = B: gray (100, 200) under viridis "
                  "(0, 1) at α = 0.25 gives 0.75 · v + 0.25 · colour, computed by hand.");

  gray->pixels[0] = 100;
  gray->pixels[1] = 200;
  out = ss_heatmap_overlay (gray, heat, lookup ("viridis"), 0.25f);
  g_assert_cmpint (out->channels, ==, 3);
  g_assert_cmpmem (out->pixels, 6, want, 6);
}

static void
test_upscale (void)
{
  g_autoptr(SsImage) small = ss_image_new (3, 2, 1);
  g_autoptr(SsImage) big = NULL;
  g_autoptr(SsImage) mnist = ss_image_new (28, 28, 3);
  g_autoptr(SsImage) tile = NULL;
  g_autoptr(GError) error = NULL;
  int factor;

  g_test_summary ("Nearest-neighbour upscaling by k makes each pixel a k × k block (checked "
                  "pixel by pixel for a 3×2 gray image, k = 3); a 28×28 input with "
                  "ss_heatmap_scale_for (…, 224) becomes 224×224; k < 1 and results over the "
                  "size limit are SS_ERROR_ARGUMENT errors.");

  for (int i = 0; i < 6; i++)
    small->pixels[i] = (guint8) (10 * i + 1);
  big = ss_heatmap_upscale (small, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (big->width, ==, 9);
  g_assert_cmpint (big->height, ==, 6);
  g_assert_cmpint (big->channels, ==, 1);
  for (int y = 0; y < 6; y++)
    for (int x = 0; x < 9; x++)
      g_assert_cmpuint (*ss_image_pixel (big, x, y), ==, *ss_image_pixel (small, x / 3, y / 3));

  factor = ss_heatmap_scale_for (28, 28, 224);
  g_assert_cmpint (factor, ==, 8);
  g_assert_cmpint (ss_heatmap_scale_for (32, 16, 224), ==, 7);
  g_assert_cmpint (ss_heatmap_scale_for (500, 300, 224), ==, 1);
  for (int i = 0; i < 28 * 28 * 3; i++)
    mnist->pixels[i] = (guint8) (i * 7);
  tile = ss_heatmap_upscale (mnist, factor, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tile->width, ==, 224);
  g_assert_cmpint (tile->height, ==, 224);
  g_assert_cmpmem (ss_image_pixel (tile, 223, 223), 3, ss_image_pixel (mnist, 27, 27), 3);
  g_assert_cmpmem (ss_image_pixel (tile, 8 * 5 + 7, 8 * 9), 3, ss_image_pixel (mnist, 5, 9), 3);

  g_clear_pointer (&big, ss_image_free);
  big = ss_heatmap_upscale (small, 0, &error);
  g_assert_null (big);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  big = ss_heatmap_upscale (small, 10000, &error);
  g_assert_null (big);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
}

/* A w × h tile whose pixels encode the tile id and position (gray when channels = 1). */
static SsImage *
id_tile (int w,
         int h,
         int channels,
         int id)
{
  SsImage *tile = ss_image_new (w, h, channels);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 *p = ss_image_pixel (tile, x, y);
        p[0] = (guint8) (40 * id + 10 * y + x + 1);
        if (channels == 3)
          {
            p[1] = (guint8) (100 + id);
            p[2] = (guint8) (200 + x);
          }
      }
  return tile;
}

static void
test_grid_layout (void)
{
  enum { TW = 3, TH = 2 };
  static const guint8 bg[3] = { 10, 200, 30 };
  /* Columns of the 13-pixel-wide figure: tile 0 at 0–2, gap 3–4, tile 1 at 5–7, gap 8–9,
   * tile 2 at 10–12.  Rows of the 6-pixel-high figure: tile row 0 at 0–1, gap 2–3, row 1 at
   * 4–5.  -1 marks a gap. */
  static const int col_of_x[13] = { 0, 0, 0, -1, -1, 1, 1, 1, -1, -1, 2, 2, 2 };
  static const int row_of_y[6] = { 0, 0, -1, -1, 1, 1 };
  g_autoptr(SsImage) t0 = id_tile (TW, TH, 3, 0);
  g_autoptr(SsImage) t1 = id_tile (TW, TH, 1, 1);
  g_autoptr(SsImage) t2 = id_tile (TW, TH, 3, 2);
  g_autoptr(SsImage) t4 = id_tile (TW, TH, 3, 4);
  g_autoptr(SsImage) t5 = id_tile (TW, TH, 1, 5);
  const SsImage *tiles[6] = { t0, t1, t2, NULL, t4, t5 };
  g_autoptr(SsImage) grid = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A 2 × 3 grid of 3×2 tiles (gray and RGB, one NULL) is 13×6 pixels: tile "
                  "(r, c) has its top-left pixel at (5c, 4r), every tile pixel is copied (gray "
                  "as R = G = B), and the 2-pixel gaps and the NULL cell are the background "
                  "colour.");

  grid = ss_heatmap_grid (tiles, 2, 3, bg, &error);
  g_assert_no_error (error);
  g_assert_cmpint (grid->width, ==, 3 * TW + 2 * SS_HEATMAP_GRID_GAP);
  g_assert_cmpint (grid->width, ==, 13);
  g_assert_cmpint (grid->height, ==, 6);
  g_assert_cmpint (grid->channels, ==, 3);

  /* Top-left corners, spelled out. */
  g_assert_cmpuint (ss_image_pixel (grid, 0, 0)[0], ==, 1);
  g_assert_cmpuint (ss_image_pixel (grid, 5, 0)[0], ==, 41);
  g_assert_cmpuint (ss_image_pixel (grid, 10, 0)[0], ==, 81);
  g_assert_cmpuint (ss_image_pixel (grid, 5, 4)[0], ==, 161);
  g_assert_cmpuint (ss_image_pixel (grid, 10, 4)[0], ==, 201);

  for (int y = 0; y < 6; y++)
    for (int x = 0; x < 13; x++)
      {
        const guint8 *p = ss_image_pixel (grid, x, y);
        int r = row_of_y[y], c = col_of_x[x];
        const SsImage *tile = r < 0 || c < 0 ? NULL : tiles[r * 3 + c];

        if (tile == NULL)
          {
            assert_rgb (p, bg[0], bg[1], bg[2]);
            continue;
          }
        {
          const guint8 *q = ss_image_pixel (tile, x - c * (TW + 2), y - r * (TH + 2));
          if (tile->channels == 3)
            assert_rgb (p, q[0], q[1], q[2]);
          else
            assert_rgb (p, q[0], q[0], q[0]);
        }
      }
}

static void
test_grid_errors (void)
{
  static const guint8 bg[3] = { 0, 0, 0 };
  g_autoptr(SsImage) a = ss_image_new (4, 4, 3);
  g_autoptr(SsImage) b = ss_image_new (4, 5, 3);
  g_autoptr(SsImage) big = ss_image_new (4000, 4000, 1);
  const SsImage *mixed[2] = { a, b };
  const SsImage *none[2] = { NULL, NULL };
  const SsImage *many[5] = { big, big, big, big, big };
  g_autoptr(GError) error = NULL;

  g_test_summary ("Tiles of different sizes are an SS_ERROR_SHAPE error; a grid with no tiles, "
                  "or one over 16384 pixels per side, an SS_ERROR_ARGUMENT error.");

  g_assert_null (ss_heatmap_grid (mixed, 1, 2, bg, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_SHAPE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_null (ss_heatmap_grid (none, 2, 1, bg, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (ss_heatmap_grid (many, 1, 5, bg, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/colormap/viridis/reference", test_viridis_reference);
  g_test_add_func ("/colormap/inferno/reference", test_inferno_reference);
  g_test_add_func ("/colormap/tables-consistent", test_tables_consistent);
  g_test_add_func ("/colormap/index-rule", test_index_rule);
  g_test_add_func ("/colormap/lightness-monotone", test_lightness);
  g_test_add_func ("/colormap/lookup", test_lookup);

  g_test_add_func ("/heatmap/image-from-floats", test_image_from_floats);
  for (gsize i = 0; i < G_N_ELEMENTS (overlay_cases); i++)
    g_test_add_data_func (overlay_cases[i].path, &overlay_cases[i], test_overlay);
  g_test_add_func ("/heatmap/overlay/gray", test_overlay_gray);
  g_test_add_func ("/heatmap/upscale", test_upscale);
  g_test_add_func ("/heatmap/grid/layout", test_grid_layout);
  g_test_add_func ("/heatmap/grid/errors", test_grid_errors);

  return g_test_run ();
}
