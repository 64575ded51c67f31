/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-bars.h"

#include <math.h>
#include <string.h>

#include "ss-fig-axes.h"
#include "ss-fig-export.h"
#include "ss-fig-legend.h"

typedef struct {
  double mean, sd, null_mean;
} BarValue;

typedef struct {
  char    *name;
  gboolean pooling;
  BarValue values[SS_FIG_BARS_MAX_SERIES];
} BarLayer;

struct _SsFigBars {
  GArray *layers;                          /* of BarLayer, owned names */
  int     n_series;
  char   *labels[SS_FIG_BARS_MAX_SERIES];  /* owned */
  char   *title;                           /* owned, may be NULL */
  char   *y_label;                         /* owned markup, may be NULL */
  double  y_lo, y_hi;                      /* NaN: from the data */
};

/* Where everything goes for one width × height; draw and hit share it. */
typedef struct {
  SsFigFrame frame;
  SsFigTicks ticks;
  double     label_x;           /* y label's centre line */
  double     group_w;           /* x extent of one layer */
  double     bar_w;
  gboolean   rotate_names;
  int        legend_n, legend_rows;
  double     legend_x, legend_y;
  SsFigLegendEntry legend[SS_FIG_BARS_MAX_SERIES + 2];
} BarsLayout;

/* Bars fill this fraction of their group; the rest separates the groups. */
#define GROUP_FILL 0.8

static void
bar_layer_clear (gpointer data)
{
  BarLayer *layer = data;

  g_free (layer->name);
}

SsFigBars *
ss_fig_bars_new (void)
{
  SsFigBars *fig = g_new0 (SsFigBars, 1);

  fig->layers = g_array_new (FALSE, TRUE, sizeof (BarLayer));
  g_array_set_clear_func (fig->layers, bar_layer_clear);
  fig->y_label = g_strdup ("saliency AME");
  fig->y_lo = 0.0;
  fig->y_hi = 1.0;
  return fig;
}

void
ss_fig_bars_free (SsFigBars *fig)
{
  if (fig == NULL)
    return;
  g_array_unref (fig->layers);
  for (int s = 0; s < fig->n_series; s++)
    g_free (fig->labels[s]);
  g_free (fig->title);
  g_free (fig->y_label);
  g_free (fig);
}

int
ss_fig_bars_add_layer (SsFigBars  *fig,
                       const char *name,
                       gboolean    pooling)
{
  BarLayer layer = { g_strdup (name != NULL ? name : ""), pooling, { { 0 } } };

  g_return_val_if_fail (fig != NULL, -1);

  for (int s = 0; s < SS_FIG_BARS_MAX_SERIES; s++)
    layer.values[s] = (BarValue) { NAN, NAN, NAN };
  g_array_append_val (fig->layers, layer);
  return (int) fig->layers->len - 1;
}

int
ss_fig_bars_add_series (SsFigBars  *fig,
                        const char *label)
{
  g_return_val_if_fail (fig != NULL, -1);

  if (fig->n_series == SS_FIG_BARS_MAX_SERIES)
    return -1;
  fig->labels[fig->n_series] = g_strdup (label != NULL ? label : "");
  return fig->n_series++;
}

void
ss_fig_bars_set_value (SsFigBars *fig,
                       int        series,
                       int        layer,
                       double     mean,
                       double     sd,
                       double     null_mean)
{
  g_return_if_fail (fig != NULL);
  g_return_if_fail (series >= 0 && series < fig->n_series);
  g_return_if_fail (layer >= 0 && layer < (int) fig->layers->len);

  g_array_index (fig->layers, BarLayer, layer).values[series] =
    (BarValue) { mean, sd, null_mean };
}

void
ss_fig_bars_set_title (SsFigBars  *fig,
                       const char *title)
{
  g_return_if_fail (fig != NULL);

  g_free (fig->title);
  fig->title = g_strdup (title);
}

void
ss_fig_bars_set_y_label (SsFigBars  *fig,
                         const char *label)
{
  g_return_if_fail (fig != NULL);

  g_free (fig->y_label);
  fig->y_label = label != NULL ? g_markup_escape_text (label, -1) : NULL;
}

void
ss_fig_bars_set_y_range (SsFigBars *fig,
                         double     lo,
                         double     hi)
{
  g_return_if_fail (fig != NULL);

  fig->y_lo = lo;
  fig->y_hi = hi;
}

int
ss_fig_bars_get_n_layers (const SsFigBars *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return (int) fig->layers->len;
}

int
ss_fig_bars_get_n_series (const SsFigBars *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return fig->n_series;
}

static const BarLayer *
layer_at (const SsFigBars *fig,
          int              i)
{
  return &g_array_index (fig->layers, BarLayer, i);
}

/* The data's y extent: bars, error bars and baselines, always including 0 (bars grow from 0). */
static void
data_range (const SsFigBars *fig,
            double          *lo,
            double          *hi)
{
  *lo = 0.0;
  *hi = 0.0;
  for (guint i = 0; i < fig->layers->len; i++)
    for (int s = 0; s < fig->n_series; s++)
      {
        const BarValue *v = &layer_at (fig, (int) i)->values[s];
        double sd = isfinite (v->sd) ? v->sd : 0.0;
        double candidates[] = { v->mean - sd, v->mean + sd, v->null_mean };

        for (gsize k = 0; k < G_N_ELEMENTS (candidates); k++)
          if (isfinite (candidates[k]))
            {
              *lo = MIN (*lo, candidates[k]);
              *hi = MAX (*hi, candidates[k]);
            }
      }
}

static void
layout_legend (const SsFigBars  *fig,
               const SsFigStyle *style,
               BarsLayout       *lay)
{
  gboolean any_pooling = FALSE, any_null = FALSE;

  lay->legend_n = 0;
  for (guint i = 0; i < fig->layers->len; i++)
    {
      const BarLayer *l = layer_at (fig, (int) i);
      any_pooling |= l->pooling;
      for (int s = 0; s < fig->n_series; s++)
        any_null |= isfinite (l->values[s].null_mean);
    }
  if (fig->n_series >= 2)
    for (int s = 0; s < fig->n_series; s++)
      {
        SsFigLegendEntry *e = &lay->legend[lay->legend_n++];
        *e = (SsFigLegendEntry) { fig->labels[s], SS_FIG_LEGEND_BOX, { 0 }, 0 };
        ss_fig_style_series_color (style, (guint) s, &e->color);
      }
  if (any_pooling)
    {
      SsFigLegendEntry *e = &lay->legend[lay->legend_n++];
      *e = (SsFigLegendEntry) { "pooling", SS_FIG_LEGEND_HATCH, { 0.6, 0.6, 0.6, 1.0 }, 0 };
    }
  if (any_null)
    {
      SsFigLegendEntry *e = &lay->legend[lay->legend_n++];
      *e = (SsFigLegendEntry) { "null baseline", SS_FIG_LEGEND_TICK, style->foreground, 0 };
    }
}

static void
bars_layout (const SsFigBars  *fig,
             cairo_t          *cr,
             double            width,
             double            height,
             const SsFigStyle *style,
             BarsLayout       *lay)
{
  double pad = style->padding, top = pad, bottom_space, widest = 0.0, name_h = 0.0;
  double lo, hi, legend_w = 0.0, legend_h = 0.0;
  int n = MAX ((int) fig->layers->len, 1);

  memset (lay, 0, sizeof *lay);
  top += ss_fig_title (cr, style, fig->title, width, top, FALSE);

  /* The legend sits in rows above the plot, right-aligned, as few rows as fit the width. */
  layout_legend (fig, style, lay);
  for (lay->legend_rows = 1; lay->legend_n > 0; lay->legend_rows++)
    {
      ss_fig_legend_size (cr, style, lay->legend, lay->legend_n, lay->legend_rows, &legend_w,
                          &legend_h);
      if (legend_w <= width - 2 * pad || lay->legend_rows >= lay->legend_n)
        break;
    }
  lay->legend_x = width - pad - legend_w;
  lay->legend_y = top;
  if (lay->legend_n > 0)
    top += legend_h + 0.5 * style->font_size;

  data_range (fig, &lo, &hi);
  /* Bars grow from 0, so only the top gets a margin, and only when it comes from the data. */
  ss_fig_data_ticks (isnan (fig->y_lo) ? lo : fig->y_lo, isnan (fig->y_hi) ? hi : fig->y_hi,
                     0.0, isnan (fig->y_hi) ? 0.05 : 0.0, 6, &lay->ticks);

  lay->frame.left = ss_fig_y_axis_left (cr, style, &lay->ticks, fig->y_label, pad,
                                        &lay->label_x);
  lay->frame.right = width - pad;
  lay->group_w = (lay->frame.right - lay->frame.left) / n;

  for (guint i = 0; i < fig->layers->len; i++)
    {
      double w;
      ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, layer_at (fig, (int) i)->name, &w,
                        &name_h);
      widest = MAX (widest, w);
    }
  lay->rotate_names = widest > 0.95 * lay->group_w;
  if (lay->rotate_names)
    bottom_space = (widest + name_h) * G_SQRT2 / 2;
  else
    bottom_space = name_h;
  bottom_space += style->tick_length + 0.35 * style->font_size;

  lay->frame.top = top + 0.5 * style->font_size;   /* room for the top tick label */
  lay->frame.bottom = MAX (height - pad - bottom_space, lay->frame.top + 1.0);
  lay->frame.x_lo = 0.0;
  lay->frame.x_hi = n;
  lay->frame.y_lo = lay->ticks.lo;
  lay->frame.y_hi = lay->ticks.hi;
  lay->bar_w = GROUP_FILL * lay->group_w / MAX (fig->n_series, 1);
}

/* The left edge of series's bar in layer's group. */
static double
bar_left (const BarsLayout *lay,
          int               layer,
          int               series)
{
  return lay->frame.left + (layer + 0.5 * (1.0 - GROUP_FILL)) * lay->group_w
         + series * lay->bar_w;
}

static void
draw_bar (cairo_t          *cr,
          const SsFigStyle *style,
          const BarsLayout *lay,
          const BarLayer   *layer,
          int               i,
          int               s)
{
  const BarValue *v = &layer->values[s];
  double x = bar_left (lay, i, s), w = lay->bar_w, y0, y1, xc = x + 0.5 * w;
  SsFigRgba color;

  if (!isfinite (v->mean))
    {
      ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, "n/a", xc,
                        lay->frame.bottom - 0.3 * style->font_size, 0.0, 0.5, G_PI / 2);
      return;
    }
  ss_fig_style_series_color (style, (guint) s, &color);
  y0 = ss_fig_frame_y (&lay->frame, MAX (lay->frame.y_lo, 0.0));
  y1 = ss_fig_frame_y (&lay->frame, v->mean);
  if (layer->pooling)
    ss_fig_draw_hatched_rect (cr, style, x, MIN (y0, y1), w, fabs (y1 - y0), &color);
  else
    {
      cairo_rectangle (cr, x, MIN (y0, y1), w, fabs (y1 - y0));
      ss_fig_set_color (cr, &color);
      cairo_fill (cr);
    }

  cairo_set_line_width (cr, style->line_width);
  ss_fig_set_color (cr, &style->foreground);
  if (isfinite (v->sd) && v->sd > 0.0)
    {
      double ya = ss_fig_frame_y (&lay->frame, v->mean - v->sd);
      double yb = ss_fig_frame_y (&lay->frame, v->mean + v->sd);
      double cap = 0.18 * w;

      cairo_move_to (cr, xc, ya);
      cairo_line_to (cr, xc, yb);
      cairo_move_to (cr, xc - cap, ya);
      cairo_line_to (cr, xc + cap, ya);
      cairo_move_to (cr, xc - cap, yb);
      cairo_line_to (cr, xc + cap, yb);
      cairo_stroke (cr);
    }
  if (isfinite (v->null_mean))
    {
      double yn = ss_fig_frame_y (&lay->frame, v->null_mean);

      /* Wider than the bar and thick, so the baseline reads as a mark on the layer, not an
       * edge of the bar. */
      cairo_set_line_width (cr, 2.0 * style->line_width);
      cairo_move_to (cr, x - 0.08 * w, yn);
      cairo_line_to (cr, x + 1.08 * w, yn);
      cairo_stroke (cr);
    }
}

void
ss_fig_bars_draw (const SsFigBars  *fig,
                  cairo_t          *cr,
                  double            width,
                  double            height,
                  const SsFigStyle *style)
{
  SsFigStyle storage;
  BarsLayout lay;

  g_return_if_fail (fig != NULL && cr != NULL);

  style = ss_fig_style_resolve (style, &storage);
  cairo_save (cr);
  ss_fig_draw_background (cr, style, width, height);
  bars_layout (fig, cr, width, height, style, &lay);
  ss_fig_title (cr, style, fig->title, width, style->padding, TRUE);
  ss_fig_legend_draw (cr, style, lay.legend, lay.legend_n, lay.legend_rows, lay.legend_x,
                      lay.legend_y);
  ss_fig_draw_y_axis (cr, style, &lay.frame, &lay.ticks, fig->y_label, lay.label_x);

  cairo_save (cr);
  cairo_rectangle (cr, lay.frame.left, lay.frame.top - style->font_size,
                   lay.frame.right - lay.frame.left,
                   lay.frame.bottom - lay.frame.top + style->font_size);
  cairo_clip (cr);
  for (guint i = 0; i < fig->layers->len; i++)
    for (int s = 0; s < fig->n_series; s++)
      draw_bar (cr, style, &lay, layer_at (fig, (int) i), (int) i, s);
  cairo_restore (cr);

  ss_fig_draw_x_axis (cr, style, &lay.frame, NULL, NULL, 0.0);
  for (guint i = 0; i < fig->layers->len; i++)
    {
      double x = lay.frame.left + (i + 0.5) * lay.group_w;
      double y = lay.frame.bottom + style->tick_length + 0.35 * style->font_size;
      const char *name = layer_at (fig, (int) i)->name;

      if (lay.rotate_names)
        ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, name, x, y, 1.0, 0.0, G_PI / 4);
      else
        ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, name, x, y, 0.5, 0.0, 0.0);
    }
  cairo_restore (cr);
}

/* The layout of fig on a scratch context, for functions called without a drawing surface. */
static void
bars_measure_layout (const SsFigBars  *fig,
                     double            width,
                     double            height,
                     const SsFigStyle *style,
                     BarsLayout       *lay)
{
  cairo_t *cr = ss_fig_measure_context_new ();

  bars_layout (fig, cr, width, height, style, lay);
  cairo_destroy (cr);
}

void
ss_fig_bars_get_frame (const SsFigBars  *fig,
                       double            width,
                       double            height,
                       const SsFigStyle *style,
                       SsFigFrame       *frame)
{
  SsFigStyle storage;
  BarsLayout lay;

  g_return_if_fail (fig != NULL && frame != NULL);

  bars_measure_layout (fig, width, height, ss_fig_style_resolve (style, &storage), &lay);
  *frame = lay.frame;
}

int
ss_fig_bars_hit (const SsFigBars  *fig,
                 double            width,
                 double            height,
                 const SsFigStyle *style,
                 double            x,
                 double            y,
                 int              *series)
{
  SsFigStyle storage;
  BarsLayout lay;
  int layer, s;

  g_return_val_if_fail (fig != NULL, -1);

  if (series != NULL)
    *series = -1;
  style = ss_fig_style_resolve (style, &storage);
  bars_measure_layout (fig, width, height, style, &lay);
  if (fig->layers->len == 0 || x < lay.frame.left || x >= lay.frame.right
      || y < lay.frame.top || y > height - style->padding)
    return -1;
  layer = MIN ((int) ((x - lay.frame.left) / lay.group_w), (int) fig->layers->len - 1);
  s = (int) floor ((x - bar_left (&lay, layer, 0)) / lay.bar_w);
  if (series != NULL && s >= 0 && s < fig->n_series)
    *series = s;
  return layer;
}

void
ss_fig_bars_csv (const SsFigBars *fig,
                 GString         *out)
{
  g_return_if_fail (fig != NULL && out != NULL);

  g_string_append (out, "series,label,layer,name,pooling,mean,sd,null\n");
  for (int s = 0; s < fig->n_series; s++)
    for (guint i = 0; i < fig->layers->len; i++)
      {
        const BarLayer *l = layer_at (fig, (int) i);

        g_string_append_printf (out, "%d,", s);
        ss_fig_csv_text (out, fig->labels[s], FALSE);
        g_string_append_printf (out, "%u,", i);
        ss_fig_csv_text (out, l->name, FALSE);
        g_string_append (out, l->pooling ? "1," : "0,");
        ss_fig_csv_number (out, l->values[s].mean, FALSE);
        ss_fig_csv_number (out, l->values[s].sd, FALSE);
        ss_fig_csv_number (out, l->values[s].null_mean, TRUE);
      }
}

gboolean
ss_fig_bars_write_csv (const SsFigBars *fig,
                       const char      *path,
                       GError         **error)
{
  return ss_fig_write_csv (SS_FIG_BARS, fig, path, error);
}
