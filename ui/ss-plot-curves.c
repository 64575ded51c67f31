/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>


#include "ss-plot.h"

/* What the curve plots of the experiments share: how their figures start, and what the point
 * under the pointer says. */

SsFigCurves *
ss_plot_new_curves (SsPlot     *self,
                    const char *x_label,
                    const char *y_label,
                    ...)
{
  SsFigCurves *fig;
  va_list ap;

  g_return_val_if_fail (SS_IS_PLOT (self), NULL);

  fig = ss_fig_curves_new ();
  if (x_label != NULL)
    ss_fig_curves_set_x_label (fig, x_label);
  ss_fig_curves_set_y_label (fig, y_label);
  ss_fig_curves_set_x_integer (fig, TRUE);
  va_start (ap, y_label);
  for (const char *label; (label = va_arg (ap, const char *)) != NULL;)
    ss_fig_curves_add_series (fig, label, NULL, NULL, 0);
  va_end (ap);
  ss_plot_set_figure (self, SS_FIG_CURVES, fig, (GDestroyNotify) ss_fig_curves_free);
  return fig;
}

/* "<b>series</b>\nepoch 3: 0.1234", and the labels of the series' markers at that x. */
static char *
curves_tooltip (SsPlot     *plot,
                const void *fig,
                double      x,
                double      y,
                double      width,
                double      height,
                gpointer    percent)
{
  int point, series = ss_fig_curves_hit (fig, width, height, NULL, x, y, &point);
  const char *x_label = ss_fig_curves_get_x_label (fig);
  g_autofree char *label = NULL;
  double px, py;
  GString *text;

  if (series < 0)
    return NULL;
  ss_fig_curves_get_point (fig, series, point, &px, &py, NULL);
  label = g_markup_escape_text (ss_fig_curves_get_label (fig, series), -1);
  text = g_string_new (NULL);
  /* The axis label is markup already. */
  g_string_append_printf (text, "<b>%s</b>\n%s %g: ", label, x_label ? x_label : "", px);
  if (GPOINTER_TO_INT (percent))
    g_string_append_printf (text, "%.2f %%", 100 * py);
  else
    g_string_append_printf (text, "%.4f", py);
  for (int m = 0; m < ss_fig_curves_get_n_markers (fig, series); m++)
    {
      double mx;
      const char *mark = ss_fig_curves_get_marker (fig, series, m, &mx);

      if (mx == px && mark != NULL)
        {
          g_autofree char *escaped = g_markup_escape_text (mark, -1);
          g_string_append_printf (text, "\n%s", escaped);
        }
    }
  return g_string_free (text, FALSE);
}

void
ss_plot_set_curves_tooltip (SsPlot   *self,
                            gboolean  percent)
{
  g_return_if_fail (SS_IS_PLOT (self));

  ss_plot_set_tooltip_func (self, curves_tooltip, GINT_TO_POINTER (percent));
}
