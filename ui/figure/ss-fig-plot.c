/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-plot.h"

void
ss_fig_plot_layout (SsFigPlotLayout    *lay,
                    cairo_t            *cr,
                    const SsFigStyle   *style,
                    double              width,
                    double              height,
                    const char         *title,
                    int                 n,
                    SsFigPlotLabelFunc  label,
                    gconstpointer       data,
                    const char         *x_label,
                    const char         *y_label)
{
  cairo_t *measure = NULL;
  SsFigStyle storage;
  double pad, top, legend_w = 0.0, legend_h = 0.0, row_h, x_space;

  g_return_if_fail (lay != NULL && n >= 0 && (n == 0 || label != NULL));

  if (cr == NULL)
    cr = measure = ss_fig_measure_context_new ();
  lay->style = *ss_fig_style_resolve (style, &storage);
  style = &lay->style;
  lay->width = width;
  lay->height = height;
  lay->title = title;
  lay->x_label = x_label;
  lay->y_label = y_label;
  g_free (lay->entries);
  lay->entries = g_new0 (SsFigLegendEntry, MAX (n, 1));
  lay->n_entries = n;
  for (int i = 0; i < n; i++)
    ss_fig_legend_line_entry (&lay->entries[i], style, (guint) i, label (data, i));

  pad = style->padding;
  top = pad + ss_fig_title (cr, style, title, width, pad, FALSE);
  lay->legend_rows = 1;
  if (n > 0)
    {
      ss_fig_legend_size (cr, style, lay->entries, 1, 1, &legend_w, &row_h);
      lay->legend_rows = MAX (1, (int) ((height - top - pad) / row_h));
      ss_fig_legend_size (cr, style, lay->entries, n, lay->legend_rows, &legend_w, &legend_h);
    }
  lay->legend_x = width - pad - legend_w;
  lay->legend_y = top + 0.5 * style->font_size;

  lay->frame.top = top + 0.5 * style->font_size;
  lay->frame.left = ss_fig_y_axis_left (cr, style, &lay->y_ticks, y_label, pad, &lay->y_label_x);
  x_space = ss_fig_x_axis_height (cr, style, TRUE, x_label, &lay->x_label_dy);
  lay->frame.bottom = MAX (height - pad - x_space, lay->frame.top + 1.0);
  /* Half a tick label of room on the right, for the last x tick's label. */
  lay->frame.right = MAX (lay->legend_x - (n > 0 ? 1.0 : 0.5) * style->font_size,
                          lay->frame.left + 1.0);
  lay->frame.x_lo = lay->x_ticks.lo;
  lay->frame.x_hi = lay->x_ticks.hi;
  lay->frame.y_lo = lay->y_ticks.lo;
  lay->frame.y_hi = lay->y_ticks.hi;
  g_clear_pointer (&measure, cairo_destroy);
}

void
ss_fig_plot_layout_clear (SsFigPlotLayout *lay)
{
  g_clear_pointer (&lay->entries, g_free);
  lay->n_entries = 0;
}

void
ss_fig_plot_draw_background (cairo_t               *cr,
                             const SsFigPlotLayout *lay)
{
  ss_fig_draw_background (cr, &lay->style, lay->width, lay->height);
  ss_fig_title (cr, &lay->style, lay->title, lay->width, lay->style.padding, TRUE);
}

void
ss_fig_plot_draw_axes (cairo_t               *cr,
                       const SsFigPlotLayout *lay)
{
  ss_fig_draw_y_axis (cr, &lay->style, &lay->frame, &lay->y_ticks, lay->y_label,
                      lay->y_label_x);
  ss_fig_draw_x_axis (cr, &lay->style, &lay->frame, &lay->x_ticks, lay->x_label,
                      lay->frame.bottom + lay->x_label_dy);
}

void
ss_fig_plot_draw_legend (cairo_t               *cr,
                         const SsFigPlotLayout *lay)
{
  ss_fig_legend_draw (cr, &lay->style, lay->entries, lay->n_entries, lay->legend_rows,
                      lay->legend_x, lay->legend_y);
}

double
ss_fig_hit_radius (const SsFigStyle *style)
{
  return MAX (1.5 * style->marker_size, 6.0);
}
