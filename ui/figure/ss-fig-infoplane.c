/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-infoplane.h"

#include <math.h>

#include "ss-fig-export.h"
#include "ss-fig-plot.h"

typedef struct {
  int    epoch;
  double x, y;   /* I(X;T), I(T;Y) */
} IpPoint;

typedef struct {
  char   *name;    /* owned */
  GArray *points;  /* of IpPoint, owned */
  IpPoint ref;     /* the reference point (epoch -1); NaN when there is none */
} IpLayer;

struct _SsFigInfoplane {
  GArray *layers;  /* of IpLayer */
  char   *title;   /* owned, may be NULL */
};

#define X_LABEL "<i>I</i>(<i>X</i>; <i>T</i>) [bits]"
#define Y_LABEL "<i>I</i>(<i>T</i>; <i>Y</i>) [bits]"
/* Earlier epochs' markers, relative to the emphasised last one. */
#define SMALL_MARKER 0.55
/* Opacity of a reference point's fill. */
#define REF_ALPHA 0.3

static void
ip_layer_clear (gpointer data)
{
  IpLayer *layer = data;

  g_free (layer->name);
  g_array_unref (layer->points);
}

SsFigInfoplane *
ss_fig_infoplane_new (void)
{
  SsFigInfoplane *fig = g_new0 (SsFigInfoplane, 1);

  fig->layers = g_array_new (FALSE, TRUE, sizeof (IpLayer));
  g_array_set_clear_func (fig->layers, ip_layer_clear);
  return fig;
}

void
ss_fig_infoplane_free (SsFigInfoplane *fig)
{
  if (fig == NULL)
    return;
  g_array_unref (fig->layers);
  g_free (fig->title);
  g_free (fig);
}

static const IpLayer *
layer_at (const SsFigInfoplane *fig,
          int                   i)
{
  return &g_array_index (fig->layers, IpLayer, i);
}

int
ss_fig_infoplane_add_layer (SsFigInfoplane *fig,
                            const char     *name)
{
  IpLayer layer = { g_strdup (name != NULL ? name : ""),
                    g_array_new (FALSE, FALSE, sizeof (IpPoint)), { -1, NAN, NAN } };

  g_return_val_if_fail (fig != NULL, -1);

  g_array_append_val (fig->layers, layer);
  return (int) fig->layers->len - 1;
}

void
ss_fig_infoplane_add_point (SsFigInfoplane *fig,
                            int             layer,
                            int             epoch,
                            double          i_xt,
                            double          i_ty)
{
  IpPoint p = { epoch, i_xt, i_ty };

  g_return_if_fail (fig != NULL);
  g_return_if_fail (layer >= 0 && layer < (int) fig->layers->len);

  g_array_append_val (layer_at (fig, layer)->points, p);
}

void
ss_fig_infoplane_set_reference (SsFigInfoplane *fig,
                                int             layer,
                                double          i_xt,
                                double          i_ty)
{
  g_return_if_fail (fig != NULL);
  g_return_if_fail (layer >= 0 && layer < (int) fig->layers->len);

  g_array_index (fig->layers, IpLayer, layer).ref = (IpPoint) { -1, i_xt, i_ty };
}

static gboolean
has_reference (const IpLayer *layer)
{
  return isfinite (layer->ref.x) && isfinite (layer->ref.y);
}

gboolean
ss_fig_infoplane_get_reference (const SsFigInfoplane *fig,
                                int                   layer,
                                double               *i_xt,
                                double               *i_ty)
{
  const IpLayer *l;

  g_return_val_if_fail (fig != NULL, FALSE);
  g_return_val_if_fail (layer >= 0 && layer < (int) fig->layers->len, FALSE);

  l = layer_at (fig, layer);
  if (i_xt != NULL)
    *i_xt = l->ref.x;
  if (i_ty != NULL)
    *i_ty = l->ref.y;
  return has_reference (l);
}

void
ss_fig_infoplane_set_title (SsFigInfoplane *fig,
                            const char     *title)
{
  g_return_if_fail (fig != NULL);

  g_free (fig->title);
  fig->title = g_strdup (title);
}

int
ss_fig_infoplane_get_n_layers (const SsFigInfoplane *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return (int) fig->layers->len;
}

int
ss_fig_infoplane_get_n_points (const SsFigInfoplane *fig,
                               int                   layer)
{
  g_return_val_if_fail (fig != NULL, 0);
  g_return_val_if_fail (layer >= 0 && layer < (int) fig->layers->len, 0);

  return (int) layer_at (fig, layer)->points->len;
}

void
ss_fig_infoplane_get_point (const SsFigInfoplane *fig,
                            int                   layer,
                            int                   point,
                            int                  *epoch,
                            double               *i_xt,
                            double               *i_ty)
{
  const IpPoint *p;

  g_return_if_fail (fig != NULL);
  g_return_if_fail (layer >= 0 && layer < (int) fig->layers->len);
  g_return_if_fail (point >= 0 && point < (int) layer_at (fig, layer)->points->len);

  p = &g_array_index (layer_at (fig, layer)->points, IpPoint, point);
  if (epoch != NULL)
    *epoch = p->epoch;
  if (i_xt != NULL)
    *i_xt = p->x;
  if (i_ty != NULL)
    *i_ty = p->y;
}

const char *
ss_fig_infoplane_get_layer_name (const SsFigInfoplane *fig,
                                 int                   layer)
{
  g_return_val_if_fail (fig != NULL, NULL);
  g_return_val_if_fail (layer >= 0 && layer < (int) fig->layers->len, NULL);

  return layer_at (fig, layer)->name;
}

static const char *
layer_name (gconstpointer fig,
            int           i)
{
  return layer_at (fig, i)->name;
}

/* fig's layout on width × height (cr NULL: measured, not drawn); lay starts from { 0 }. */
static void
ip_layout (const SsFigInfoplane *fig,
           cairo_t              *cr,
           double                width,
           double                height,
           const SsFigStyle     *style,
           SsFigPlotLayout      *lay)
{
  double x_hi = 0.0, y_hi = 0.0;
  int n = (int) fig->layers->len;

  for (int i = 0; i < n; i++)
    for (guint k = 0; k <= layer_at (fig, i)->points->len; k++)
      {
        const IpLayer *l = layer_at (fig, i);
        const IpPoint *p = k < l->points->len ? &g_array_index (l->points, IpPoint, k) : &l->ref;
        if (isfinite (p->x))
          x_hi = MAX (x_hi, p->x);
        if (isfinite (p->y))
          y_hi = MAX (y_hi, p->y);
      }
  ss_fig_data_ticks (0.0, x_hi, 0.0, 0.05, 6, &lay->x_ticks);
  ss_fig_data_ticks (0.0, y_hi, 0.0, 0.05, 6, &lay->y_ticks);
  ss_fig_plot_layout (lay, cr, style, width, height, fig->title, n, layer_name, fig, X_LABEL,
                      Y_LABEL);
}

static void
draw_layer (cairo_t          *cr,
            const SsFigStyle *style,
            const SsFigFrame *frame,
            const IpLayer    *layer,
            guint             index)
{
  SsFigRgba color;
  SsFigMarker marker = ss_fig_palette_marker (index);
  gboolean pen_down = FALSE;
  guint n = layer->points->len;

  ss_fig_style_series_color (style, index, &color);
  cairo_save (cr);
  if (has_reference (layer))
    {
      SsFigRgba faint = color;
      faint.a *= REF_ALPHA;
      ss_fig_draw_marker (cr, style, marker, ss_fig_frame_x (frame, layer->ref.x),
                          ss_fig_frame_y (frame, layer->ref.y), style->marker_size, &faint,
                          TRUE);
    }
  cairo_set_line_width (cr, style->line_width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  ss_fig_set_color (cr, &color);
  for (guint k = 0; k < n; k++)
    {
      const IpPoint *p = &g_array_index (layer->points, IpPoint, k);

      if (!isfinite (p->x) || !isfinite (p->y))
        {
          pen_down = FALSE;
          continue;
        }
      if (pen_down)
        cairo_line_to (cr, ss_fig_frame_x (frame, p->x), ss_fig_frame_y (frame, p->y));
      else
        cairo_move_to (cr, ss_fig_frame_x (frame, p->x), ss_fig_frame_y (frame, p->y));
      pen_down = TRUE;
    }
  cairo_stroke (cr);
  for (guint k = 0; k < n; k++)
    {
      const IpPoint *p = &g_array_index (layer->points, IpPoint, k);
      gboolean last = k + 1 == n;

      if (isfinite (p->x) && isfinite (p->y))
        ss_fig_draw_marker (cr, style, marker, ss_fig_frame_x (frame, p->x),
                            ss_fig_frame_y (frame, p->y),
                            style->marker_size * (last ? 1.0 : SMALL_MARKER), &color, last);
    }
  cairo_restore (cr);
}

void
ss_fig_infoplane_draw (const SsFigInfoplane *fig,
                       cairo_t              *cr,
                       double                width,
                       double                height,
                       const SsFigStyle     *style)
{
  g_auto(SsFigPlotLayout) lay = { 0 };

  g_return_if_fail (fig != NULL && cr != NULL);

  ip_layout (fig, cr, width, height, style, &lay);
  cairo_save (cr);
  ss_fig_plot_draw_background (cr, &lay);
  ss_fig_plot_draw_axes (cr, &lay);
  /* Every layer's lines first, then every layer's markers would hide deep layers' points
   * under shallow layers' lines; layer by layer keeps each trajectory readable. */
  for (int i = 0; i < lay.n_entries; i++)
    draw_layer (cr, &lay.style, &lay.frame, layer_at (fig, i), (guint) i);
  ss_fig_plot_draw_legend (cr, &lay);
  cairo_restore (cr);
}

void
ss_fig_infoplane_get_frame (const SsFigInfoplane *fig,
                            double                width,
                            double                height,
                            const SsFigStyle     *style,
                            SsFigFrame           *frame)
{
  g_auto(SsFigPlotLayout) lay = { 0 };

  g_return_if_fail (fig != NULL && frame != NULL);

  ip_layout (fig, NULL, width, height, style, &lay);
  *frame = lay.frame;
}

gboolean
ss_fig_infoplane_hit (const SsFigInfoplane *fig,
                      double                width,
                      double                height,
                      const SsFigStyle     *style,
                      double                x,
                      double                y,
                      int                  *layer,
                      int                  *epoch)
{
  g_auto(SsFigPlotLayout) lay = { 0 };
  double best, radius;
  int best_layer = -1, best_point = -1;

  g_return_val_if_fail (fig != NULL, FALSE);

  ip_layout (fig, NULL, width, height, style, &lay);
  radius = ss_fig_hit_radius (&lay.style);
  best = radius * radius;
  for (guint i = 0; i < fig->layers->len; i++)
    for (guint k = 0; k <= layer_at (fig, (int) i)->points->len; k++)
      {
        const IpLayer *l = layer_at (fig, (int) i);
        /* The reference point last; drawn below the trajectory, it loses ties. */
        const IpPoint *p = k < l->points->len ? &g_array_index (l->points, IpPoint, k) : &l->ref;
        double dx = ss_fig_frame_x (&lay.frame, p->x) - x;
        double dy = ss_fig_frame_y (&lay.frame, p->y) - y;

        /* NaN compares false: undrawn points never hit. */
        if (dx * dx + dy * dy < best || (dx * dx + dy * dy == best && p != &l->ref))
          {
            best = dx * dx + dy * dy;
            best_layer = (int) i;
            best_point = (int) k;
          }
      }
  if (best_layer < 0)
    return FALSE;
  if (layer != NULL)
    *layer = best_layer;
  if (epoch != NULL)
    *epoch = best_point < (int) layer_at (fig, best_layer)->points->len
             ? g_array_index (layer_at (fig, best_layer)->points, IpPoint, best_point).epoch
             : -1;
  return TRUE;
}

void
ss_fig_infoplane_csv (const SsFigInfoplane *fig,
                      GString              *out)
{
  g_return_if_fail (fig != NULL && out != NULL);

  g_string_append (out, "layer,name,epoch,i_xt,i_ty\n");
  for (guint i = 0; i < fig->layers->len; i++)
    {
      const IpLayer *l = layer_at (fig, (int) i);

      for (guint k = 0; k <= l->points->len; k++)
        {
          const IpPoint *p = k < l->points->len ? &g_array_index (l->points, IpPoint, k)
                                                : &l->ref;

          if (k == l->points->len && !has_reference (l))
            break;
          g_string_append_printf (out, "%u,", i);
          ss_fig_csv_text (out, l->name, FALSE);
          g_string_append_printf (out, "%d,", p->epoch);
          ss_fig_csv_number (out, p->x, FALSE);
          ss_fig_csv_number (out, p->y, TRUE);
        }
    }
}

gboolean
ss_fig_infoplane_write_csv (const SsFigInfoplane *fig,
                            const char           *path,
                            GError              **error)
{
  return ss_fig_write_csv (SS_FIG_INFOPLANE, fig, path, error);
}
