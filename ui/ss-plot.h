/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A drawing area that shows one figure of ui/figure (bars, information plane, curves, heatmap
 * grid). The draw function only reads the figure the widget owns; a new figure is handed over on
 * the main thread and followed by a redraw. Tooltips come from the owner's hit-test callback. */

#include <gtk/gtk.h>

#include "ss-fig-export.h"

G_BEGIN_DECLS

#define SS_TYPE_PLOT (ss_plot_get_type ())
G_DECLARE_FINAL_TYPE (SsPlot, ss_plot, SS, PLOT, GtkDrawingArea)

/* Returns the tooltip text (transfer full) for (x, y) in a width × height plot, or NULL. */
typedef char *(*SsPlotTooltipFunc) (SsPlot     *plot,
                                    const void *fig,
                                    double      x,
                                    double      y,
                                    double      width,
                                    double      height,
                                    gpointer    user_data);

GtkWidget   *ss_plot_new              (void);
/* Takes fig (of kind; freed with free_func), or clears the plot when fig is NULL. */
void         ss_plot_set_figure       (SsPlot *self, SsFigKind kind, gpointer fig,
                                       GDestroyNotify free_func);
/* Transfer none; NULL when empty. */
gconstpointer ss_plot_get_figure      (SsPlot *self, SsFigKind *kind);
void         ss_plot_set_tooltip_func (SsPlot *self, SsPlotTooltipFunc func, gpointer user_data);
/* The smoothing weight in [0, 1) of a curves figure (ss_fig_curves_set_smoothing), kept for
 * the figures set later; other kinds of figure ignore it. */
void         ss_plot_set_smoothing    (SsPlot *self, double weight);
double       ss_plot_get_smoothing    (SsPlot *self);
/* The file name an export suggests ("supersign-bars"). */
void         ss_plot_set_export_name  (SsPlot *self, const char *name);
const char  *ss_plot_get_export_name  (SsPlot *self);

/* Renders what the widget shows to a PNG of width × height pixels (screenshots, tests). */
gboolean     ss_plot_save_png         (SsPlot *self, const char *path, int width, int height,
                                       GError **error);

/* ---- Curve plots (ss-plot-curves.c) ---- */

/* Gives the plot a new curves figure with integer x ticks (epochs, steps, rounds), x_label
 * (NULL: the figure's "epoch"), y_label and empty series named by the NULL-terminated labels
 * that follow. Returns: (transfer none): the figure, owned by the plot. */
SsFigCurves *ss_plot_new_curves         (SsPlot *self, const char *x_label, const char *y_label,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Tooltips for a plot of curves: the point under the pointer, "<b>series</b>\n" then the x
 * axis's label, x and y (as a percentage when percent), and the labels of the series'
 * markers at that x. */
void         ss_plot_set_curves_tooltip (SsPlot *self, gboolean percent);

G_END_DECLS
