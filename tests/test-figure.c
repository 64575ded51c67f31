/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ss-colormap.h"
#include "ss-error.h"
#include "ss-fig-axes.h"
#include "ss-fig-export.h"
#include "ss-png.h"
#include "ss-resize.h"
#include "ss-test-util.h"

/* The figure library (ui/figure): rendered to image surfaces and checked pixel by pixel, its
 * exports read back, its CSV compared byte for byte.  test-figure-cli.c runs `supersign-cli
 * figure` end to end. */

/* ---- Pixel helpers ---- */

typedef struct {
  int r, g, b;
} Rgb;

static Rgb
pixel_at (cairo_surface_t *surface,
          int              x,
          int              y)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  guint32 v;

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (surface));
  v = *(const guint32 *) (const void *) (data + (gsize) y * (gsize) stride + (gsize) x * 4);
  return (Rgb) { (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
}

static Rgb
rgb_of (const SsFigRgba *c)
{
  return (Rgb) { (int) lround (c->r * 255), (int) lround (c->g * 255),
                 (int) lround (c->b * 255) };
}

static gboolean
rgb_near (Rgb a,
          Rgb b,
          int tol)
{
  return abs (a.r - b.r) <= tol && abs (a.g - b.g) <= tol && abs (a.b - b.b) <= tol;
}

#define assert_rgb(got, want, tol)                                                            \
  G_STMT_START {                                                                              \
    Rgb g_ = (got), w_ = (want);                                                              \
    if (!rgb_near (g_, w_, (tol)))                                                            \
      g_error ("%s:%d: pixel (%d, %d, %d), expected (%d, %d, %d) ± %d", __FILE__, __LINE__,  \
               g_.r, g_.g, g_.b, w_.r, w_.g, w_.b, (tol));                                   \
  } G_STMT_END

/* The topmost row of column x, scanning down from y0 to y1, whose pixel is near color. */
static int
first_row_of (cairo_surface_t *surface,
              int              x,
              int              y0,
              int              y1,
              Rgb              color)
{
  for (int y = y0; y <= y1; y++)
    if (rgb_near (pixel_at (surface, x, y), color, 12))
      return y;
  return -1;
}

/* Whether a line of color crosses the column of data x within a pixel of data y's row. */
static gboolean
line_at (cairo_surface_t  *surface,
         const SsFigFrame *frame,
         double            x,
         double            y,
         Rgb               color)
{
  int px = (int) ss_fig_frame_x (frame, x), py = (int) round (ss_fig_frame_y (frame, y));

  for (int dy = -1; dy <= 1; dy++)
    if (rgb_near (pixel_at (surface, px, py + dy), color, 40))
      return TRUE;
  return FALSE;
}

/* A style whose grid does not cross the bars, for exact pixel tests. */
static SsFigStyle
test_style (void)
{
  SsFigStyle style;

  ss_fig_style_init_screen (&style);
  style.grid = FALSE;
  return style;
}

/* ---- Ticks and numbers ---- */

typedef struct {
  double lo, hi;
  int    max_ticks;
  double step, first, last;
  int    n;
} TickCase;

static const TickCase tick_cases[] = {
  { 0, 1, 6, 0.2, 0, 1, 6 },
  { 0, 7.3, 6, 2, 0, 8, 5 },
  { -3.2, 4.1, 6, 2, -4, 6, 6 },
  { 0.0012, 0.0047, 5, 0.001, 0.001, 0.005, 5 },
  { 5, 5, 6, 0.2, 4.6, 5.4, 5 },                 /* all equal: ±5 % */
  { 0, 0, 6, 0.2, 0, 1, 6 },                     /* all zero: [0, 1] */
  { NAN, 1, 6, 0.2, 0, 1, 6 },                   /* no data */
  { 1000, 98000, 6, 20000, 0, 100000, 6 },
  { 1, 0, 6, 0.2, 0, 1, 6 },                     /* swapped */
  { 0.3, 0.3000001, 6, 2e-8, 0.3, 0.3000001, 6 },      /* tick indices near 1.5e7 */
};

static void
test_ticks_nice (void)
{
  g_test_summary ("Nice ticks: the smallest 1-2-5 step within max_ticks, the range widened to "
                  "its multiples, exact multiples (no accumulated error), degenerate input.");
  for (gsize i = 0; i < G_N_ELEMENTS (tick_cases); i++)
    {
      const TickCase *c = &tick_cases[i];
      SsFigTicks t;

      ss_fig_nice_ticks (c->lo, c->hi, c->max_ticks, &t);
      g_test_message ("case %" G_GSIZE_FORMAT ": [%g, %g] → step %g, %d ticks %g..%g", i, c->lo,
                      c->hi, t.step, t.n, t.lo, t.hi);
      g_assert_cmpfloat_with_epsilon (t.step, c->step, c->step * 1e-9);
      g_assert_cmpint (t.n, ==, c->n);
      g_assert_cmpfloat_with_epsilon (t.lo, c->first, c->step * 1e-9);
      g_assert_cmpfloat_with_epsilon (t.hi, c->last, c->step * 1e-9);
      g_assert_cmpfloat (t.values[0], ==, t.lo);
      g_assert_cmpfloat (t.values[t.n - 1], ==, t.hi);
      for (int k = 1; k < t.n; k++)
        g_assert_cmpfloat_with_epsilon (t.values[k] - t.values[k - 1], t.step,
                                        t.step * 1e-9 + 4 * DBL_EPSILON * fabs (t.values[k]));
    }
  {
    SsFigTicks t;
    ss_fig_nice_ticks (0, 1, 6, &t);
    g_assert_cmpfloat (t.values[3], ==, 3 * 0.2);   /* 0.6000000000000001, not 0.2+0.2+0.2 */
  }
}

static void
test_ticks_data (void)
{
  SsFigTicks t;

  g_test_summary ("Data ticks: the axis ends a margin past the data, with the multiples of the "
                  "smallest 1-2-5 step that fit inside it.");
  ss_fig_data_ticks (0.30, 0.73, 0.05, 0.05, 6, &t);
  g_assert_cmpfloat_with_epsilon (t.lo, 0.30 - 0.05 * 0.43, 1e-15);
  g_assert_cmpfloat_with_epsilon (t.hi, 0.73 + 0.05 * 0.43, 1e-15);
  g_assert_cmpfloat_with_epsilon (t.step, 0.1, 1e-15);
  g_assert_cmpint (t.n, ==, 5);
  g_assert_cmpfloat_with_epsilon (t.values[0], 0.3, 1e-15);
  g_assert_cmpfloat_with_epsilon (t.values[4], 0.7, 1e-15);

  ss_fig_data_ticks (0.0, 3.59, 0.0, 0.05, 6, &t);   /* the information plane's x axis */
  g_assert_cmpfloat (t.lo, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (t.hi, 3.7695, 1e-12);
  g_assert_cmpfloat (t.step, ==, 1.0);
  g_assert_cmpint (t.n, ==, 4);

  ss_fig_data_ticks (1.0, 20.0, 0.03, 0.03, 7, &t);  /* epochs 1..20: 5, 10, 15, 20 */
  g_assert_cmpfloat (t.step, ==, 5.0);
  g_assert_cmpint (t.n, ==, 4);
  g_assert_cmpfloat (t.values[0], ==, 5.0);

  ss_fig_data_ticks (0.5, 0.5, 0.05, 0.05, 6, &t);   /* all equal: around the value */
  g_assert_cmpfloat (t.lo, <, 0.5);
  g_assert_cmpfloat (t.hi, >, 0.5);
  g_assert_cmpint (t.n, >=, 2);
  for (int i = 0; i < t.n; i++)
    {
      g_assert_cmpfloat (t.values[i], >=, t.lo);
      g_assert_cmpfloat (t.values[i], <=, t.hi);
    }
}

static void
test_ticks_format (void)
{
  static const struct {
    double v, step;
    const char *text;
  } cases[] = {
    { 0.4, 0.2, "0.4" }, { 0.15, 0.05, "0.15" }, { 15, 5, "15" }, { -0.5, 0.5, "\342\210\2220.5" },
    { -1e-17, 0.2, "0.0" }, { 1e6, 2e5, "1e+06" }, { 0.6000000000000001, 0.2, "0.6" },
    { 100, 20, "100" },
  };

  g_test_summary ("Tick labels: just enough decimals for the step, a true minus sign, %g for "
                  "extreme steps, no \"-0.0\".");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ss_fig_format_tick (cases[i].v, cases[i].step);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_ema (void)
{
  const double in[] = { 1, 2, NAN, 4 };
  const double constant[] = { 3, 3, 3 };
  const double ramp[] = { 0, 10 };
  double out[4];

  g_test_summary ("TensorBoard's debiased EMA: smoothed_t = ema_t / (1 − w^t), t counting "
                  "finite values only; NaN passes through; constant series unchanged; w = 0 "
                  "is the identity.");
  ss_fig_smooth_ema (out, in, 4, 0.6);
  /* ema_1 = 0.4·1 = 0.4 → 0.4 / 0.4 = 1 */
  g_assert_cmpfloat_with_epsilon (out[0], 1.0, 1e-15);
  /* ema_2 = 0.6·0.4 + 0.4·2 = 1.04 → 1.04 / (1 − 0.36) = 1.625 */
  g_assert_cmpfloat_with_epsilon (out[1], 1.625, 1e-15);
  g_assert_true (isnan (out[2]));
  /* ema_3 = 0.6·1.04 + 0.4·4 = 2.224 → 2.224 / (1 − 0.216) */
  g_assert_cmpfloat_with_epsilon (out[3], 2.224 / 0.784, 1e-14);

  ss_fig_smooth_ema (out, constant, 3, 0.9);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (out[i], ==, 3.0);
  ss_fig_smooth_ema (out, in, 4, 0.0);
  g_assert_cmpfloat (out[0], ==, 1.0);
  g_assert_cmpfloat (out[1], ==, 2.0);
  g_assert_cmpfloat (out[3], ==, 4.0);
  /* In place; without debiasing the second value would be 0.5·10·(1 − 0.5) = 2.5, not 10/1.5·… */
  memcpy (out, ramp, sizeof ramp);
  ss_fig_smooth_ema (out, out, 2, 0.5);
  g_assert_cmpfloat (out[0], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (out[1], 5.0 / 0.75, 1e-14);
}

/* ---- Bars ---- */

static SsFigBars *
make_bars (void)
{
  SsFigBars *fig = ss_fig_bars_new ();

  ss_fig_bars_add_series (fig, "trained");
  ss_fig_bars_add_layer (fig, "conv1", FALSE);
  ss_fig_bars_add_layer (fig, "relu1", FALSE);
  ss_fig_bars_add_layer (fig, "pool1", TRUE);
  ss_fig_bars_set_value (fig, 0, 0, 1.0, 0.0, NAN);
  ss_fig_bars_set_value (fig, 0, 1, 0.5, 0.0, 0.25);
  ss_fig_bars_set_value (fig, 0, 2, 0.5, 0.1, NAN);
  return fig;
}

static void
test_bars_pixels (void)
{
  g_autoptr(SsFigBars) fig = make_bars ();
  SsFigStyle style = test_style ();
  SsFigRgba blue;
  SsFigFrame frame;
  cairo_surface_t *s;
  int x0, x1, x2, top0, top1, want;
  gboolean hatched = FALSE;

  g_test_summary ("A bar of mean 0.5 on the 0..1 axis reaches the frame's mapped row within "
                  "1 px, a bar of 1 the top; the null baseline is a dark line at 0.25; a "
                  "pooling bar is hatched.");
  ss_fig_palette_color (0, &blue);
  s = ss_fig_render_image (SS_FIG_BARS, fig, 480, 320, &style);
  ss_fig_bars_get_frame (fig, 480, 320, &style, &frame);
  g_assert_cmpfloat (frame.y_lo, ==, 0.0);
  g_assert_cmpfloat (frame.y_hi, ==, 1.0);
  g_assert_cmpfloat (frame.x_hi, ==, 3.0);

  /* The left quarter of each bar: clear of the error bar and null line in its middle. */
  x0 = (int) ss_fig_frame_x (&frame, 0.2 + 0.05);
  x1 = (int) ss_fig_frame_x (&frame, 1.2 + 0.05);
  x2 = (int) ss_fig_frame_x (&frame, 2.2 + 0.05);
  top0 = first_row_of (s, x0, 0, (int) frame.bottom, rgb_of (&blue));
  top1 = first_row_of (s, x1, 0, (int) frame.bottom, rgb_of (&blue));
  g_assert_cmpint (abs (top0 - (int) round (ss_fig_frame_y (&frame, 1.0))), <=, 1);
  g_assert_cmpint (abs (top1 - (int) round (ss_fig_frame_y (&frame, 0.5))), <=, 1);
  /* Halfway between the top and the baseline, independently of the frame. */
  g_assert_cmpint (abs (top1 - (int) round (0.5 * (top0 + frame.bottom))), <=, 1);
  /* Nothing blue above a bar. */
  assert_rgb (pixel_at (s, x1, top1 - 3), ((Rgb) { 255, 255, 255 }), 0);

  /* The baseline: a dark line across the bar at 0.25. */
  want = (int) round (ss_fig_frame_y (&frame, 0.25));
  {
    int dark = 0;
    for (int y = want - 1; y <= want + 1; y++)
      dark += rgb_near (pixel_at (s, x1, y), (Rgb) { 0, 0, 0 }, 60);
    g_assert_cmpint (dark, >=, 1);
    assert_rgb (pixel_at (s, x1, want + 5), rgb_of (&blue), 12);
  }

  /* Pooling: some pixels inside the bar are much darker than the fill. */
  for (int y = (int) ss_fig_frame_y (&frame, 0.3); y < (int) ss_fig_frame_y (&frame, 0.05); y++)
    for (int x = x2; x < x2 + 10; x++)
      if (!rgb_near (pixel_at (s, x, y), rgb_of (&blue), 40))
        hatched = TRUE;
  g_assert_true (hatched);
  cairo_surface_destroy (s);
}

static void
test_bars_two_series_hit (void)
{
  g_autoptr(SsFigBars) fig = make_bars ();
  SsFigStyle style = test_style ();
  SsFigRgba vermillion;
  SsFigFrame frame;
  cairo_surface_t *s;
  int series, x;

  g_test_summary ("A second series sits beside the first in its own colour; hit testing "
                  "returns the layer and series under the pointer, -1 outside.");
  g_assert_cmpint (ss_fig_bars_add_series (fig, "random weights"), ==, 1);
  for (int l = 0; l < 3; l++)
    ss_fig_bars_set_value (fig, 1, l, 0.8, 0.05, 0.7);
  for (int k = 2; k < SS_FIG_BARS_MAX_SERIES; k++)
    g_assert_cmpint (ss_fig_bars_add_series (fig, "more"), ==, k);
  g_assert_cmpint (ss_fig_bars_add_series (fig, "too many"), ==, -1);

  ss_fig_palette_color (1, &vermillion);
  s = ss_fig_render_image (SS_FIG_BARS, fig, 480, 320, &style);
  ss_fig_bars_get_frame (fig, 480, 320, &style, &frame);
  /* Four series share 0.8 of a group: series 1's bar covers [0.3, 0.5) of layer 0. */
  x = (int) ss_fig_frame_x (&frame, 0.32);
  g_assert_cmpint (abs (first_row_of (s, x, (int) frame.top, (int) frame.bottom,
                                      rgb_of (&vermillion))
                        - (int) round (ss_fig_frame_y (&frame, 0.8))), <=, 1);
  cairo_surface_destroy (s);

  g_assert_cmpint (ss_fig_bars_hit (fig, 480, 320, &style, ss_fig_frame_x (&frame, 1.35),
                                    ss_fig_frame_y (&frame, 0.1), &series), ==, 1);
  g_assert_cmpint (series, ==, 1);
  g_assert_cmpint (ss_fig_bars_hit (fig, 480, 320, &style, ss_fig_frame_x (&frame, 2.15),
                                    ss_fig_frame_y (&frame, 0.1), &series), ==, 2);
  g_assert_cmpint (series, ==, 0);
  g_assert_cmpint (ss_fig_bars_hit (fig, 480, 320, &style, ss_fig_frame_x (&frame, 2.95),
                                    ss_fig_frame_y (&frame, 0.1), &series), ==, 2);
  g_assert_cmpint (series, ==, -1);   /* the gap after the bars */
  g_assert_cmpint (ss_fig_bars_hit (fig, 480, 320, &style, 1, 1, &series), ==, -1);
}

/* ---- Information plane ---- */

static void
test_infoplane_pixels (void)
{
  g_autoptr(SsFigInfoplane) fig = ss_fig_infoplane_new ();
  SsFigStyle style = test_style ();
  SsFigRgba c0, c1;
  SsFigFrame frame;
  cairo_surface_t *s;
  double x, y;
  int layer, epoch;

  g_test_summary ("Points are drawn at their mapped pixel in their layer's palette colour; the "
                  "axes start at 0 and cover the data; hit testing returns (layer, epoch).");
  g_assert_cmpint (ss_fig_infoplane_add_layer (fig, "conv1"), ==, 0);
  g_assert_cmpint (ss_fig_infoplane_add_layer (fig, "pool2"), ==, 1);
  ss_fig_infoplane_add_point (fig, 0, 1, 1.0, 0.5);
  ss_fig_infoplane_add_point (fig, 0, 2, 2.0, 1.5);
  ss_fig_infoplane_add_point (fig, 0, 3, NAN, 1.0);   /* not drawn */
  ss_fig_infoplane_add_point (fig, 1, 1, 3.0, 2.0);
  ss_fig_palette_color (0, &c0);
  ss_fig_palette_color (1, &c1);

  s = ss_fig_render_image (SS_FIG_INFOPLANE, fig, 520, 360, &style);
  ss_fig_infoplane_get_frame (fig, 520, 360, &style, &frame);
  g_assert_cmpfloat (frame.x_lo, ==, 0.0);
  g_assert_cmpfloat (frame.y_lo, ==, 0.0);
  g_assert_cmpfloat (frame.x_hi, >=, 3.0);
  g_assert_cmpfloat (frame.y_hi, >=, 2.0);
  x = ss_fig_frame_x (&frame, 3.0);
  y = ss_fig_frame_y (&frame, 2.0);
  assert_rgb (pixel_at (s, (int) x, (int) y), rgb_of (&c1), 8);
  x = ss_fig_frame_x (&frame, 1.0);
  y = ss_fig_frame_y (&frame, 0.5);
  assert_rgb (pixel_at (s, (int) x, (int) y), rgb_of (&c0), 8);
  /* The x axis runs through the mapped y = 0 row, the y axis through x = 0 (each snapped to
   * the pixel grid, so within a pixel), and blank a few pixels off them. */
  g_assert_true (line_at (s, &frame, 2.5, 0.0, (Rgb) { 0, 0, 0 }));
  g_assert_false (line_at (s, &frame, 2.5, 0.05, (Rgb) { 0, 0, 0 }));
  {
    int x0 = (int) round (ss_fig_frame_x (&frame, 0.0)), y1 = (int) ss_fig_frame_y (&frame, 1.0);
    gboolean dark = FALSE;
    for (int dx = -1; dx <= 1; dx++)
      dark |= rgb_near (pixel_at (s, x0 + dx, y1), (Rgb) { 0, 0, 0 }, 40);
    g_assert_true (dark);
    assert_rgb (pixel_at (s, x0 + 4, y1), ((Rgb) { 255, 255, 255 }), 0);
  }
  cairo_surface_destroy (s);

  g_assert_true (ss_fig_infoplane_hit (fig, 520, 360, &style, ss_fig_frame_x (&frame, 2.0) + 2,
                                       ss_fig_frame_y (&frame, 1.5) - 2, &layer, &epoch));
  g_assert_cmpint (layer, ==, 0);
  g_assert_cmpint (epoch, ==, 2);
  g_assert_true (ss_fig_infoplane_hit (fig, 520, 360, &style, ss_fig_frame_x (&frame, 3.0),
                                       ss_fig_frame_y (&frame, 2.0), &layer, &epoch));
  g_assert_cmpint (layer, ==, 1);
  g_assert_cmpint (epoch, ==, 1);
  g_assert_false (ss_fig_infoplane_hit (fig, 520, 360, &style, ss_fig_frame_x (&frame, 0.1),
                                        ss_fig_frame_y (&frame, 1.9), &layer, &epoch));
}

/* ---- Curves ---- */

static void
test_curves_pixels (void)
{
  g_autoptr(SsFigCurves) fig = ss_fig_curves_new ();
  const double y0[] = { 0.2, 0.4, NAN, 0.8, 0.6 };
  const double flat[] = { 0.5, 0.5, 0.5 };
  const double one_x[] = { 3 };
  const double one_y[] = { 0.9 };
  SsFigStyle style = test_style ();
  SsFigRgba c0, c1, c2;
  SsFigFrame frame;
  cairo_surface_t *s;
  double sm;
  int point;

  g_test_summary ("Curves: NaN makes a gap, all-equal and single-point series are drawn at "
                  "their value, the smoothed line passes through the smoothed values, and hit "
                  "testing finds (series, point).");
  g_assert_cmpint (ss_fig_curves_add_series (fig, "conv1", NULL, y0, 5), ==, 0);
  g_assert_cmpint (ss_fig_curves_add_series (fig, "flat", NULL, flat, 3), ==, 1);
  g_assert_cmpint (ss_fig_curves_add_series (fig, "one", one_x, one_y, 1), ==, 2);
  ss_fig_curves_add_marker (fig, 0, 4.0, "conv1 froze");
  style.line_width = 3.0;   /* a line whose middle row is fully covered */
  ss_fig_palette_color (0, &c0);
  ss_fig_palette_color (1, &c1);
  ss_fig_palette_color (2, &c2);

  s = ss_fig_render_image (SS_FIG_CURVES, fig, 520, 360, &style);
  ss_fig_curves_get_frame (fig, 520, 360, &style, &frame);
  g_assert_cmpfloat (frame.x_lo, <=, 1.0);
  g_assert_cmpfloat (frame.x_hi, >=, 5.0);
  g_assert_true (line_at (s, &frame, 1.5, 0.3, rgb_of (&c0)));
  /* The gap: nothing of series 0 between epochs 2 and 4 at the line's height. */
  g_assert_false (line_at (s, &frame, 3.0, 0.6, rgb_of (&c0)));
  g_assert_true (line_at (s, &frame, 2.5, 0.5, rgb_of (&c1)));
  assert_rgb (pixel_at (s, (int) ss_fig_frame_x (&frame, 3.0),
                        (int) ss_fig_frame_y (&frame, 0.9)), rgb_of (&c2), 10);
  /* The freeze marker: a shaded region right of epoch 4, white left of it. */
  {
    Rgb left = pixel_at (s, (int) ss_fig_frame_x (&frame, 3.5), (int) frame.top + 3);
    Rgb right = pixel_at (s, (int) ss_fig_frame_x (&frame, 4.5), (int) frame.top + 3);
    assert_rgb (left, ((Rgb) { 255, 255, 255 }), 0);
    g_assert_true (!rgb_near (right, (Rgb) { 255, 255, 255 }, 3));
  }
  cairo_surface_destroy (s);

  g_assert_cmpint (ss_fig_curves_hit (fig, 520, 360, &style, ss_fig_frame_x (&frame, 4.0),
                                      ss_fig_frame_y (&frame, 0.8), &point), ==, 0);
  g_assert_cmpint (point, ==, 3);
  g_assert_cmpint (ss_fig_curves_hit (fig, 520, 360, &style, ss_fig_frame_x (&frame, 1.5),
                                      ss_fig_frame_y (&frame, 0.95), &point), ==, -1);

  /* Smoothing: the line now passes through the smoothed value. */
  ss_fig_curves_set_smoothing (fig, 0.6);
  ss_fig_curves_get_point (fig, 0, 1, NULL, NULL, &sm);
  g_assert_cmpfloat_with_epsilon (sm, (0.6 * 0.4 * 0.2 + 0.4 * 0.4) / (1 - 0.36), 1e-15);
  s = ss_fig_render_image (SS_FIG_CURVES, fig, 520, 360, &style);
  ss_fig_curves_get_frame (fig, 520, 360, &style, &frame);
  g_assert_true (line_at (s, &frame, 1.5, 0.5 * (sm + 0.2), rgb_of (&c0)));
  g_assert_false (line_at (s, &frame, 1.5, 0.3, rgb_of (&c0)));   /* the raw line is faint */
  cairo_surface_destroy (s);
}

static void
test_curves_degenerate (void)
{
  g_autoptr(SsFigCurves) fig = ss_fig_curves_new ();
  const double nans[] = { NAN, NAN };
  cairo_surface_t *s;

  g_test_summary ("Empty figures, all-NaN series, tiny and huge surfaces draw without crashing.");
  s = ss_fig_render_image (SS_FIG_CURVES, fig, 200, 100, NULL);
  cairo_surface_destroy (s);
  ss_fig_curves_add_series (fig, "nan", NULL, nans, 2);
  ss_fig_curves_append (fig, 0, 3, INFINITY);
  s = ss_fig_render_image (SS_FIG_CURVES, fig, 3, 3, NULL);
  cairo_surface_destroy (s);
  {
    g_autoptr(SsFigBars) bars = ss_fig_bars_new ();
    g_autoptr(SsFigInfoplane) ip = ss_fig_infoplane_new ();
    g_autoptr(SsFigHeatmaps) hm = ss_fig_heatmaps_new (1, 2, 2);
    ss_fig_bars_add_series (bars, "x");
    ss_fig_bars_add_layer (bars, "a", FALSE);   /* a layer with no value: "n/a" */
    s = ss_fig_render_image (SS_FIG_BARS, bars, 2, 2, NULL);
    cairo_surface_destroy (s);
    s = ss_fig_render_image (SS_FIG_BARS, bars, 300, 200, NULL);
    cairo_surface_destroy (s);
    s = ss_fig_render_image (SS_FIG_INFOPLANE, ip, 300, 200, NULL);
    cairo_surface_destroy (s);
    s = ss_fig_render_image (SS_FIG_HEATMAPS, hm, 300, 200, NULL);
    cairo_surface_destroy (s);
  }
}

/* ---- Heatmaps ---- */

static void
test_heatmaps_pixels (void)
{
  /* A 4 × 4 gray input and two maps: one at the input's size (copied as is), one 2 × 2
   * (upsampled bilinearly). */
  float input[16], full[16], small[4] = { 0.0f, 1.0f, 0.5f, 0.25f }, up[16];
  g_autoptr(SsFigHeatmaps) fig = ss_fig_heatmaps_new (1, 4, 4);
  const SsColormap *inferno = ss_colormap_lookup ("inferno", NULL);
  SsFigStyle style = test_style ();
  g_autoptr(GError) error = NULL;
  cairo_surface_t *s;
  double cx, cy, cw, ch;
  int sample, column;

  g_test_summary ("Each heatmap cell pixel is floor ((1 − α)·input + α·cmap (map) + 0.5), the "
                  "map upsampled bilinearly; the input column shows the input; hit testing "
                  "finds cells.");
  for (int i = 0; i < 16; i++)
    {
      input[i] = (float) i / 15.0f;
      full[i] = (float) ((i * 7) % 16) / 15.0f;
    }
  ss_resize_bilinear (up, 4, 4, small, 2, 2);
  g_assert_cmpint (ss_fig_heatmaps_add_column (fig, "conv1"), ==, 0);
  g_assert_cmpint (ss_fig_heatmaps_add_column (fig, "pool1"), ==, 1);
  g_assert_cmpint (ss_fig_heatmaps_add_sample (fig, input, "true 3 / pred 3"), ==, 0);
  ss_fig_heatmaps_set_map (fig, 0, 0, full, 4, 4);
  ss_fig_heatmaps_set_map (fig, 0, 1, small, 2, 2);
  g_assert_true (ss_fig_heatmaps_set_colormap (fig, "inferno", &error));
  g_assert_no_error (error);
  g_assert_false (ss_fig_heatmaps_set_colormap (fig, "jet", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  ss_fig_heatmaps_set_alpha (fig, 0.4);

  s = ss_fig_render_image (SS_FIG_HEATMAPS, fig, 600, 260, &style);
  for (int col = -1; col < 2; col++)
    {
      g_assert_true (ss_fig_heatmaps_cell_rect (fig, 600, 260, &style, 0, col, &cx, &cy, &cw,
                                                &ch));
      g_assert_cmpfloat (cw, ==, ch);
      g_assert_cmpfloat (cw, >, 40);
      for (int py = 0; py < 4; py++)
        for (int px = 0; px < 4; px++)
          {
            int gray = (int) floor (255.0 * input[py * 4 + px] + 0.5);
            Rgb want = { gray, gray, gray };
            if (col >= 0)
              {
                guint8 cm[3];
                float v = col == 0 ? full[py * 4 + px] : CLAMP (up[py * 4 + px], 0.0f, 1.0f);
                ss_colormap_map (inferno, v, cm);
                want.r = (int) floor (0.6 * gray + 0.4 * cm[0] + 0.5);
                want.g = (int) floor (0.6 * gray + 0.4 * cm[1] + 0.5);
                want.b = (int) floor (0.6 * gray + 0.4 * cm[2] + 0.5);
              }
            assert_rgb (pixel_at (s, (int) (cx + (px + 0.5) * cw / 4),
                                  (int) (cy + (py + 0.5) * ch / 4)), want, 0);
          }
    }
  cairo_surface_destroy (s);

  g_assert_true (ss_fig_heatmaps_hit (fig, 600, 260, &style, cx + 1, cy + 1, &sample, &column));
  g_assert_cmpint (sample, ==, 0);
  g_assert_cmpint (column, ==, 1);
  g_assert_true (ss_fig_heatmaps_cell_rect (fig, 600, 260, &style, 0, -1, &cx, &cy, &cw, &ch));
  g_assert_true (ss_fig_heatmaps_hit (fig, 600, 260, &style, cx + cw - 1, cy + ch - 1, &sample,
                                      &column));
  g_assert_cmpint (column, ==, -1);
  g_assert_false (ss_fig_heatmaps_hit (fig, 600, 260, &style, cx - 2, cy + 1, NULL, NULL));
  g_assert_false (ss_fig_heatmaps_cell_rect (fig, 600, 260, &style, 1, 0, NULL, NULL, NULL,
                                             NULL));
}

/* ---- Export ---- */

static char *
read_file (const char *path,
           gsize      *len)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

static void
test_export_formats (void)
{
  g_autoptr(SsFigBars) fig = make_bars ();
  g_autofree char *dir = ss_test_make_tmp_dir ("figure-XXXXXX");
  g_autofree char *png = g_build_filename (dir, "bars.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "bars.svg", NULL);
  g_autofree char *pdf = g_build_filename (dir, "bars.PDF", NULL);
  g_autofree char *svg_data = NULL, *pdf_data = NULL;
  g_autoptr(SsImage) image = NULL;
  g_autoptr(GError) error = NULL;
  double w = 85 * SS_FIG_PT_PER_MM, h = 60 * SS_FIG_PT_PER_MM;
  gsize len;

  g_test_summary ("Export writes a PNG of width_pt / 72 · dpi pixels, an SVG and a PDF of the "
                  "asked size in points, choosing the format by extension.");
  g_assert_true (ss_fig_export (SS_FIG_BARS, fig, png, SS_FIG_FORMAT_AUTO, w, h, 300, NULL,
                                &error));
  g_assert_no_error (error);
  image = ss_png_load (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, (int) round (w / 72 * 300));   /* 1004 */
  g_assert_cmpint (image->height, ==, (int) round (h / 72 * 300));  /* 709 */
  g_assert_cmpint (image->width, ==, 1004);

  g_assert_true (ss_fig_export (SS_FIG_BARS, fig, svg, SS_FIG_FORMAT_AUTO, 241, 170, 0, NULL,
                                &error));
  g_assert_no_error (error);
  svg_data = read_file (svg, &len);
  g_assert_true (g_str_has_prefix (svg_data, "<?xml"));
  g_assert_nonnull (strstr (svg_data, "<svg"));
  g_assert_nonnull (strstr (svg_data, "width=\"241pt\""));
  g_assert_nonnull (strstr (svg_data, "height=\"170pt\""));

  g_assert_true (ss_fig_export (SS_FIG_BARS, fig, pdf, SS_FIG_FORMAT_AUTO, 241, 170, 0, NULL,
                                &error));
  g_assert_no_error (error);
  pdf_data = read_file (pdf, &len);
  g_assert_true (g_str_has_prefix (pdf_data, "%PDF-"));
  g_assert_true (ss_test_contains_bytes (pdf_data, len, "/MediaBox [ 0 0 241 170 ]"));

  g_assert_false (ss_fig_export (SS_FIG_BARS, fig, png, SS_FIG_FORMAT_PNG, w, h, 5, NULL,
                                 &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (ss_fig_format_from_path ("a.jpeg", &error), ==, SS_FIG_FORMAT_AUTO);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_cmpuint (ss_test_count_entries (dir), ==, 3);
  ss_test_rm_rf (dir);
}

static void
test_export_unwritable (void)
{
  g_autoptr(SsFigBars) fig = make_bars ();
  g_autofree char *dir = ss_test_make_tmp_dir ("figure-XXXXXX");
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "bars.pdf", NULL);
  g_autofree char *taken = g_build_filename (dir, "taken.png", NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Export into a missing folder, or over a folder, fails with SS_ERROR_IO and "
                  "leaves no file behind (works as root too, unlike a read-only folder).");
  g_assert_false (ss_fig_export (SS_FIG_BARS, fig, missing, SS_FIG_FORMAT_AUTO, 100, 100, 72,
                                 NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "bars.pdf"));
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (taken, 0755), ==, 0);
  g_assert_false (ss_fig_export (SS_FIG_BARS, fig, taken, SS_FIG_FORMAT_AUTO, 100, 100, 72,
                                 NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (ss_fig_write_csv (SS_FIG_BARS, fig, taken, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_IO);
  /* Only the folder that was in the way: no temporary file left. */
  g_assert_cmpuint (ss_test_count_entries (dir), ==, 1);
  g_assert_true (g_file_test (taken, G_FILE_TEST_IS_DIR));
  ss_test_rm_rf (dir);
}

/* ---- CSV ---- */

static void
assert_csv (SsFigKind   kind,
            const void *fig,
            const char *want)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("figure-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "data.csv", NULL);
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (ss_fig_write_csv (kind, fig, path, &error));
  g_assert_no_error (error);
  got = read_file (path, &len);
  g_assert_cmpstr (got, ==, want);
  ss_test_rm_rf (dir);
}

static void
test_csv (void)
{
  g_autoptr(SsFigBars) bars = make_bars ();
  g_autoptr(SsFigInfoplane) ip = ss_fig_infoplane_new ();
  g_autoptr(SsFigCurves) curves = ss_fig_curves_new ();
  g_autoptr(SsFigHeatmaps) hm = ss_fig_heatmaps_new (1, 2, 2);
  const double y[] = { 1, 2, NAN, 4 };
  const float input[4] = { 0 }, map[4] = { 0.5f, 0.25f, 1.0f, 0.0f };

  g_test_summary ("Each figure's CSV is exact: header, shortest round-trip numbers, NaN as an "
                  "empty field, quoted text where needed.");
  assert_csv (SS_FIG_BARS, bars,
              "series,label,layer,name,pooling,mean,sd,null\n"
              "0,trained,0,conv1,0,1,0,\n"
              "0,trained,1,relu1,0,0.5,0,0.25\n"
              "0,trained,2,pool1,1,0.5,0.1,\n");

  ss_fig_infoplane_add_layer (ip, "layer1.0, relu");
  ss_fig_infoplane_add_point (ip, 0, 1, 0.1, 1.0 / 3.0);
  ss_fig_infoplane_add_point (ip, 0, 2, NAN, 2.5);
  assert_csv (SS_FIG_INFOPLANE, ip,
              "layer,name,epoch,i_xt,i_ty\n"
              "0,\"layer1.0, relu\",1,0.1,0.3333333333333333\n"
              "0,\"layer1.0, relu\",2,,2.5\n");

  ss_fig_curves_add_series (curves, "say \"hi\"", NULL, y, 4);
  ss_fig_curves_add_marker (curves, 0, 3, "froze");
  ss_fig_curves_set_smoothing (curves, 0.6);
  assert_csv (SS_FIG_CURVES, curves,
              "series,label,x,y,smoothed,marked\n"
              "0,\"say \"\"hi\"\"\",1,1,1,0\n"
              "0,\"say \"\"hi\"\"\",2,2,1.625,0\n"
              "0,\"say \"\"hi\"\"\",3,,,1\n"
              "0,\"say \"\"hi\"\"\",4,4,2.8367346938775513,1\n");

  ss_fig_heatmaps_add_column (hm, "conv1");
  ss_fig_heatmaps_add_sample (hm, input, NULL);
  ss_fig_heatmaps_set_map (hm, 0, 0, map, 2, 2);
  assert_csv (SS_FIG_HEATMAPS, hm,
              "sample,label,column,title,i,j,value\n"
              "0,,0,conv1,0,0,0.5\n"
              "0,,0,conv1,0,1,0.25\n"
              "0,,0,conv1,1,0,1\n"
              "0,,0,conv1,1,1,0\n");
}

static void
test_kinds (void)
{
  g_autoptr(GError) error = NULL;
  SsFigKind kind;

  g_test_summary ("The kind table names every kind and rejects unknown names.");
  for (int k = SS_FIG_BARS; k <= SS_FIG_HEATMAPS; k++)
    {
      const SsFigClass *klass = ss_fig_class_get ((SsFigKind) k);
      g_assert_cmpint (klass->kind, ==, k);
      g_assert_true (ss_fig_kind_from_name (klass->name, &kind, &error));
      g_assert_cmpint (kind, ==, k);
    }
  g_assert_false (ss_fig_kind_from_name ("pie", &kind, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/figure/ticks/nice", test_ticks_nice);
  g_test_add_func ("/figure/ticks/data", test_ticks_data);
  g_test_add_func ("/figure/ticks/format", test_ticks_format);
  g_test_add_func ("/figure/curves/ema", test_ema);
  g_test_add_func ("/figure/bars/pixels", test_bars_pixels);
  g_test_add_func ("/figure/bars/two-series-hit", test_bars_two_series_hit);
  g_test_add_func ("/figure/infoplane/pixels", test_infoplane_pixels);
  g_test_add_func ("/figure/curves/pixels", test_curves_pixels);
  g_test_add_func ("/figure/curves/degenerate", test_curves_degenerate);
  g_test_add_func ("/figure/heatmaps/pixels", test_heatmaps_pixels);
  g_test_add_func ("/figure/export/formats", test_export_formats);
  g_test_add_func ("/figure/export/unwritable", test_export_unwritable);
  g_test_add_func ("/figure/csv", test_csv);
  g_test_add_func ("/figure/kinds", test_kinds);

  return g_test_run ();
}
