/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every figure shares: text, plot frames and axes, markers, drawn on a bare cairo_t.  The
 * ticks are ss-fig-ticks.h's, legends ss-fig-legend.h's.
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
#include "ss-fig-ticks.h"

G_BEGIN_DECLS

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
/* Strokes the line from (x0, y0) to (x1, y1) with cr's source and line width. */
void   ss_fig_stroke_line  (cairo_t *cr, double x0, double y0, double x1, double y1);
/* Fills the rectangle with color and hatches it with thin diagonal lines in a darker shade
 * (pooling layers' bars and their legend swatch). */
void   ss_fig_draw_hatched_rect (cairo_t *cr, const SsFigStyle *style, double x, double y,
                                 double w, double h, const SsFigRgba *color);

/* A cairo context on a 1 × 1 scratch surface, for hit tests that redo a layout without a
 * drawing surface.  Returns: (transfer full): free with cairo_destroy. */
cairo_t *ss_fig_measure_context_new (void);

G_END_DECLS
