/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Curves over epochs (or steps): several series on one y axis — saliency entropy per layer,
 * a loss, an accuracy — with optional TensorBoard smoothing, markers for frozen layers, a
 * legend, axis labels and nice ticks.
 *
 * Smoothing.  With weight w in [0, 1), each series is drawn smoothed, with the raw series
 * faint behind it.  The smoothing is TensorBoard's debiased exponential moving average
 * (classicSmoothing in tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts): ema_0 = 0,
 * ema_t = w·ema_{t−1} + (1 − w)·x_t, smoothed_t = ema_t / (1 − w^t), where t counts only the
 * finite values so far; a non-finite value is passed through unsmoothed and does not advance
 * t, and a series whose values are all equal is left as it is.  w = 0 is no smoothing.
 *
 * Markers.  A marker at x on a series (e.g. the epoch its layer froze, SPEC §4) draws a dashed
 * vertical line in the series' colour across the plot and shades the region from x to the
 * right edge very lightly; a small down-pointing triangle at the top names it.
 *
 * Points: series of up to 30 points show a marker (ss_fig_palette_marker) at every point;
 * longer ones only at isolated points.  A NaN or infinite y (or x) breaks the line, so an
 * isolated point between gaps, or a series of one point, is a lone marker.  All-equal values
 * get a range around them.
 *
 * SsFigCurves copies everything it is given. */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-axes.h"
#include "ss-fig-style.h"

G_BEGIN_DECLS

typedef struct _SsFigCurves SsFigCurves;

/* Returns: (transfer full): an empty figure (x label "epoch", no smoothing); free with
 * ss_fig_curves_free. */
SsFigCurves *ss_fig_curves_new          (void);
void         ss_fig_curves_free         (SsFigCurves *fig);

/* Adds a series labelled label with n points (x[i], y[i]); x may be NULL for 1, 2, …, n
 * (epochs); n may be 0 (fill it with ss_fig_curves_append).  Returns: its index, 0, 1, … */
int          ss_fig_curves_add_series   (SsFigCurves *fig, const char *label, const double *x,
                                         const double *y, int n);
/* Appends one point to series (a live run's new epoch). */
void         ss_fig_curves_append       (SsFigCurves *fig, int series, double x, double y);
/* Marks series at x (see above); label (may be NULL) is kept for tooltips
 * (ss_fig_curves_get_marker). */
void         ss_fig_curves_add_marker   (SsFigCurves *fig, int series, double x,
                                         const char *label);
/* The smoothing weight w in [0, 1); 0 turns smoothing off. */
void         ss_fig_curves_set_smoothing (SsFigCurves *fig, double weight);
/* Optional texts, copied; NULL removes them. */
void         ss_fig_curves_set_title    (SsFigCurves *fig, const char *title);
void         ss_fig_curves_set_x_label  (SsFigCurves *fig, const char *label);
void         ss_fig_curves_set_y_label  (SsFigCurves *fig, const char *label);
/* The y range; NaN for either end (the default) takes it from the data. */
void         ss_fig_curves_set_y_range  (SsFigCurves *fig, double lo, double hi);
/* Integer x ticks only (epochs, steps, rounds: default FALSE): a tick step below 1 becomes 1,
 * and when fewer than two integers fall in the axis range it widens to the integers around
 * it (one epoch at 1 gets the ticks 0, 1, 2). */
void         ss_fig_curves_set_x_integer (SsFigCurves *fig, gboolean integer);

int          ss_fig_curves_get_n_series (const SsFigCurves *fig);
int          ss_fig_curves_get_n_points (const SsFigCurves *fig, int series);
/* Point `point` of series: its x, raw y and drawn (smoothed) y; pointers may be NULL. */
void         ss_fig_curves_get_point    (const SsFigCurves *fig, int series, int point,
                                         double *x, double *y, double *smoothed);
/* Returns: (transfer none): the series' label. */
const char  *ss_fig_curves_get_label    (const SsFigCurves *fig, int series);
/* The x axis's label as markup ("epoch" unless set). */
const char  *ss_fig_curves_get_x_label  (const SsFigCurves *fig);

/* The markers of series: how many, and marker i's x and label (transfer none, may be NULL). */
int          ss_fig_curves_get_n_markers (const SsFigCurves *fig, int series);
const char  *ss_fig_curves_get_marker   (const SsFigCurves *fig, int series, int marker,
                                         double *x);

/* Draws fig filling width × height user units of cr; style NULL = "screen". */
void         ss_fig_curves_draw         (const SsFigCurves *fig, cairo_t *cr, double width,
                                         double height, const SsFigStyle *style);
/* The series whose drawn (smoothed) point is nearest to (x, y) within max (1.5 × marker size,
 * 6) user units, and that point's index in *point (may be NULL).  Returns: the series, or
 * -1. */
int          ss_fig_curves_hit          (const SsFigCurves *fig, double width, double height,
                                         const SsFigStyle *style, double x, double y,
                                         int *point);

/* The plot area of the width × height layout (data ↔ user units, ss_fig_frame_x/_y). */
void         ss_fig_curves_get_frame    (const SsFigCurves *fig, double width, double height,
                                         const SsFigStyle *style, SsFigFrame *frame);
/* The x axis's ticks in that layout (they follow from the data alone, whatever the size and
 * style). */
void         ss_fig_curves_get_x_ticks  (const SsFigCurves *fig, double width, double height,
                                         const SsFigStyle *style, SsFigTicks *ticks);

/* out[i] = in[i] smoothed with weight as described above, for n values; out may equal in. */
void         ss_fig_smooth_ema          (double *out, const double *in, int n, double weight);

/* CSV, one row per point in series order, header
 *   series,label,x,y,smoothed,marked
 * where marked is 1 at and after the series' first marker and 0 before (or without one);
 * written atomically. */
gboolean     ss_fig_curves_write_csv    (const SsFigCurves *fig, const char *path,
                                         GError **error);
void         ss_fig_curves_csv          (const SsFigCurves *fig, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFigCurves, ss_fig_curves_free)

G_END_DECLS
