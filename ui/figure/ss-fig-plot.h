/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A plot with x and y axes and a legend down its right side, in as many columns as its rows
 * need: the layout the curves and the information plane share.  Each of the figure's
 * categories (a curve, a layer) is a line in style's colour and the palette's marker
 * (ss_fig_legend_line_entry). */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-axes.h"
#include "ss-fig-legend.h"
#include "ss-fig-style.h"

G_BEGIN_DECLS

/* Category i's label (plain text, borrowed) in the figure data. */
typedef const char *(*SsFigPlotLabelFunc) (gconstpointer data, int i);

typedef struct {
  SsFigStyle        style;              /* the figure's style, resolved (a copy) */
  double            width, height;      /* the whole figure */
  SsFigFrame        frame;
  SsFigTicks        x_ticks, y_ticks;   /* set by the figure before ss_fig_plot_layout */
  double            y_label_x, x_label_dy;
  double            legend_x, legend_y;
  int               legend_rows;
  SsFigLegendEntry *entries;            /* n_entries, owned: one per category */
  int               n_entries;
  /* Borrowed from ss_fig_plot_layout's arguments, for drawing */
  const char       *title, *x_label, *y_label;
} SsFigPlotLayout;

/* Lays out a width × height plot of n categories, category i labelled label (data, i): resolves
 * style (NULL = "screen") into lay->style, makes the legend's entries, places the legend down
 * the right and the frame and the axis labels (markup, may be NULL) below the title (plain
 * text, may be NULL).  The figure sets lay->x_ticks and lay->y_ticks first.  cr is the context
 * to be drawn on, or NULL to measure on a scratch one (hit tests).  The texts and labels must
 * outlive lay; free it with ss_fig_plot_layout_clear (g_auto: start from { 0 }). */
void   ss_fig_plot_layout          (SsFigPlotLayout *lay, cairo_t *cr, const SsFigStyle *style,
                                    double width, double height, const char *title, int n,
                                    SsFigPlotLabelFunc label, gconstpointer data,
                                    const char *x_label, const char *y_label);
void   ss_fig_plot_layout_clear    (SsFigPlotLayout *lay);
/* Fills the figure with the background and draws the title. */
void   ss_fig_plot_draw_background (cairo_t *cr, const SsFigPlotLayout *lay);
/* Draws lay's y and x axes with their labels. */
void   ss_fig_plot_draw_axes       (cairo_t *cr, const SsFigPlotLayout *lay);
/* Draws lay's legend. */
void   ss_fig_plot_draw_legend     (cairo_t *cr, const SsFigPlotLayout *lay);
/* How near a point a hit test finds it, in user units: a marker and a half, at least 6. */
double ss_fig_hit_radius           (const SsFigStyle *style);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SsFigPlotLayout, ss_fig_plot_layout_clear)

G_END_DECLS
