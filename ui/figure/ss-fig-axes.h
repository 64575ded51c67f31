/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every figure shares: "nice" ticks, text, axes and legends, drawn on a bare cairo_t.
 *
 * Text goes through Pango (pangocairo), not cairo's toy text API: layouts need real ink and
 * logical extents to place rotated layer names and to size margins, the labels need Unicode
 * (−, ±, α, I(X;T)) with font fallback, and GTK 4 renders with Pango too, so a widget and its
 * exported PDF look alike.  Metric hinting is turned off, so text measures the same on a
 * screen, an image surface and a PDF, and a hit test can redo a figure's layout on a scratch
 * surface. */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-style.h"

G_BEGIN_DECLS

/* ---- Ticks ---- */

#define SS_FIG_MAX_TICKS 16

typedef struct {
  double lo, hi;                     /* the axis range (the first and last tick, for nice
                                      * ticks) */
  double step;                       /* 1, 2 or 5 × 10^k */
  int    n;                          /* number of ticks, 2..SS_FIG_MAX_TICKS */
  double values[SS_FIG_MAX_TICKS];   /* ascending, step apart, within [lo, hi] */
} SsFigTicks;

/* Ticks for data in [lo, hi] with at most max_ticks ticks (clamped to 2..SS_FIG_MAX_TICKS):
 * the smallest step in {1, 2, 5} × 10^k for which floor (lo / step)·step ..
 * ceil (hi / step)·step needs no more than max_ticks ticks; the range is widened to those
 * multiples.  [0, 1] with 6 gives 0, 0.2, …, 1.  Degenerate input: lo == hi is widened around the value (by ±5 % of it,
 * or to [0, 1] for 0), non-finite bounds give [0, 1], and lo > hi is swapped. */
void   ss_fig_nice_ticks   (double lo, double hi, int max_ticks, SsFigTicks *ticks);

/* Ticks for data in [lo, hi] on an axis that ends a little past the data, as matplotlib's
 * default margins: the axis range is [lo − pad_lo·(hi − lo), hi + pad_hi·(hi − lo)], and the
 * ticks are the multiples inside it of the smallest 1-2-5 step giving at most max_ticks of
 * them (if that leaves fewer than two, ss_fig_nice_ticks's range and ticks are used).  Points
 * at the data's extremes then stay off the axes.  Degenerate input is handled as above. */
void   ss_fig_data_ticks   (double lo, double hi, double pad_lo, double pad_hi, int max_ticks,
                            SsFigTicks *ticks);

/* A tick label for value v on an axis of the given step: just enough decimals to tell the
 * ticks apart (step 0.2 → "0.4", step 0.05 → "0.15", step 5 → "15"), a true minus sign
 * (U+2212) for negatives, and %g for very large or very small steps.
 * Returns: (transfer full): free with g_free. */
char  *ss_fig_format_tick  (double v, double step);

/* ---- Text ---- */

typedef enum {
  SS_FIG_TEXT_TICK,     /* style->font_size */
  SS_FIG_TEXT_LABEL,    /* style->label_font_size */
  SS_FIG_TEXT_TITLE,    /* style->title_font_size, bold */
} SsFigTextRole;

/* The logical size of text (UTF-8, may contain Pango markup if markup is TRUE) as it would be
 * drawn on cr, unrotated: *w wide and *h tall, in user units. */
void   ss_fig_text_size    (cairo_t *cr, const SsFigStyle *style, SsFigTextRole role,
                            gboolean markup, const char *text, double *w, double *h);
/* Draws text in style->foreground with its anchor point at (x, y).  ax and ay place the anchor
 * within the text's logical box before rotation: (0, 0) top left, (0.5, 0.5) centre, (1, 1)
 * bottom right.  angle is in radians, counter-clockwise (π/2 reads bottom to top). */
void   ss_fig_text_draw    (cairo_t *cr, const SsFigStyle *style, SsFigTextRole role,
                            gboolean markup, const char *text, double x, double y, double ax,
                            double ay, double angle);

/* ---- Plot frame and axes ---- */

/* The data area of a plot in user units and the data ranges it maps. */
typedef struct {
  double left, top, right, bottom;   /* user units, y growing down */
  double x_lo, x_hi, y_lo, y_hi;     /* data coordinates at left/right and bottom/top */
} SsFigFrame;

/* Data → user coordinates (linear; a degenerate range maps to the frame's middle). */
double ss_fig_frame_x      (const SsFigFrame *frame, double x);
double ss_fig_frame_y      (const SsFigFrame *frame, double y);

/* Fills the whole width × height area with style->background. */
void   ss_fig_draw_background (cairo_t *cr, const SsFigStyle *style, double width,
                               double height);
/* The y axis of frame: a spine at frame->left, ticks and their labels at ticks->values, grid
 * lines across the frame when style->grid, and label (Pango markup, may be NULL: escape plain
 * text with g_markup_escape_text) rotated along the axis at label_x (its centre line).
 * The x axis: a spine at frame->bottom, ticks (NULL: spine only), and label (markup, may be
 * NULL) centred below the tick labels with its top at label_y.
 * Spines, ticks and grid lines are snapped to the device's pixel grid (by at most half a
 * pixel), so they stay crisp on screens and in PNGs. */
void   ss_fig_draw_y_axis  (cairo_t *cr, const SsFigStyle *style, const SsFigFrame *frame,
                            const SsFigTicks *ticks, const char *label, double label_x);
void   ss_fig_draw_x_axis  (cairo_t *cr, const SsFigStyle *style, const SsFigFrame *frame,
                            const SsFigTicks *ticks, const char *label, double label_y);
/* The width the y axis's tick labels need (widest label plus the tick and a gap), and the
 * height the x axis's tick labels need, so a figure can size its margins before drawing. */
double ss_fig_y_ticks_width  (cairo_t *cr, const SsFigStyle *style, const SsFigTicks *ticks);
double ss_fig_x_ticks_height (cairo_t *cr, const SsFigStyle *style);

/* Where the frame's left edge goes for a y axis with ticks and label (markup, may be NULL) when
 * the figure's content starts at x0; *label_x receives the label's centre line. */
double ss_fig_y_axis_left    (cairo_t *cr, const SsFigStyle *style, const SsFigTicks *ticks,
                              const char *label, double x0, double *label_x);
/* The height an x axis needs below the frame: tick labels when ticks is TRUE, and label
 * (markup, may be NULL), whose top goes at frame->bottom + *label_dy. */
double ss_fig_x_axis_height  (cairo_t *cr, const SsFigStyle *style, gboolean ticks,
                              const char *label, double *label_dy);
/* A figure title (plain text, may be NULL) centred at the top: draws it with its top at y when
 * cr is drawn on (draw TRUE), and returns the height it takes including the gap below it
 * (0 for NULL). */
double ss_fig_title          (cairo_t *cr, const SsFigStyle *style, const char *title,
                              double width, double y, gboolean draw);

/* Draws marker (ss-fig-style.h) of diameter size centred at (x, y), filled with color; when
 * outline is TRUE it is also stroked with style->foreground (the emphasised last epoch). */
void   ss_fig_draw_marker  (cairo_t *cr, const SsFigStyle *style, SsFigMarker marker, double x,
                            double y, double size, const SsFigRgba *color, gboolean outline);
void   ss_fig_set_color    (cairo_t *cr, const SsFigRgba *color);
/* Fills the rectangle with color and hatches it with thin diagonal lines in a darker shade
 * (pooling layers' bars and their legend swatch). */
void   ss_fig_draw_hatched_rect (cairo_t *cr, const SsFigStyle *style, double x, double y,
                                 double w, double h, const SsFigRgba *color);

/* ---- Legends ---- */

typedef enum {
  SS_FIG_LEGEND_LINE,     /* a short line with the marker on it (curves, trajectories) */
  SS_FIG_LEGEND_BOX,      /* a filled box (bars) */
  SS_FIG_LEGEND_HATCH,    /* a hatched box (pooling layers) */
  SS_FIG_LEGEND_TICK,     /* a short horizontal tick (null baselines) */
} SsFigLegendSwatch;

typedef struct {
  const char       *label;     /* plain text, borrowed */
  SsFigLegendSwatch swatch;
  SsFigRgba         color;
  SsFigMarker       marker;    /* for SS_FIG_LEGEND_LINE */
} SsFigLegendEntry;

/* The size of a legend of n entries laid out in columns of at most max_rows rows (max_rows ≤ 0:
 * one column), in user units. */
void   ss_fig_legend_size  (cairo_t *cr, const SsFigStyle *style, const SsFigLegendEntry *entries,
                            int n, int max_rows, double *w, double *h);
/* Draws that legend with its top-left corner at (x, y). */
void   ss_fig_legend_draw  (cairo_t *cr, const SsFigStyle *style, const SsFigLegendEntry *entries,
                            int n, int max_rows, double x, double y);
/* Sets *entry to category index of a figure whose categories (curves, layers) take style's
 * colours and the palette's markers in order: a line with its marker, labelled label
 * (borrowed). */
void   ss_fig_legend_line_entry (SsFigLegendEntry *entry, const SsFigStyle *style, guint index,
                                 const char *label);

/* ---- A plot with its legend on the right ---- */

/* The layout of a plot with x and y axes and a legend down its right side, in as many columns
 * as its rows need (curves, information plane). */
typedef struct {
  SsFigFrame              frame;
  SsFigTicks              x_ticks, y_ticks;
  double                  y_label_x, x_label_dy;
  double                  legend_x, legend_y;
  int                     legend_rows;
  /* Borrowed from ss_fig_plot_layout's arguments, for drawing */
  const char             *x_label, *y_label;
  const SsFigLegendEntry *entries;
  int                     n_entries;
} SsFigPlotLayout;

/* Places the legend of n entries down the right of width × height, and the frame and the axis
 * labels (markup, may be NULL) of lay below the figure's title (ss_fig_title: plain text, may
 * be NULL); the figure sets lay->x_ticks and lay->y_ticks first. The labels and entries must
 * outlive lay. */
void   ss_fig_plot_layout     (cairo_t *cr, const SsFigStyle *style, double width, double height,
                               const char *title, const SsFigLegendEntry *entries, int n,
                               const char *x_label, const char *y_label, SsFigPlotLayout *lay);
/* Draws lay's y and x axes with their labels. */
void   ss_fig_plot_draw_axes  (cairo_t *cr, const SsFigStyle *style, const SsFigPlotLayout *lay);
/* Draws lay's legend. */
void   ss_fig_plot_draw_legend (cairo_t *cr, const SsFigStyle *style, const SsFigPlotLayout *lay);
/* How near a point a hit test finds it, in user units: a marker and a half, at least 6. */
double ss_fig_hit_radius      (const SsFigStyle *style);

/* A cairo context on a 1 × 1 scratch surface, for hit tests that redo a layout without a
 * drawing surface.  Returns: (transfer full): free with cairo_destroy. */
cairo_t *ss_fig_measure_context_new (void);

G_END_DECLS
