/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Figure legends: a swatch and a label per entry, in columns of a given number of rows, drawn on
 * a bare cairo_t (bars above their plot; curves and the information plane down the right,
 * ss-fig-plot.h). */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-style.h"

G_BEGIN_DECLS

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

G_END_DECLS
