/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-curves.h"

#include <math.h>

#include "ss-fig-export.h"
#include "ss-fig-plot.h"

typedef struct {
  double x;
  char  *label;     /* owned, may be NULL */
} CvMarker;

typedef struct {
  char   *label;    /* owned */
  GArray *x, *y;    /* of double, owned */
  GArray *smoothed; /* of double, owned: y smoothed with the figure's weight */
  GArray *markers;  /* of CvMarker, owned */
} CvSeries;

struct _SsFigCurves {
  GArray *series;   /* of CvSeries */
  double  smoothing;
  char   *title;    /* owned, may be NULL */
  char   *x_label;  /* owned markup, may be NULL */
  char   *y_label;  /* owned markup, may be NULL */
  double  y_lo, y_hi;
  gboolean x_integer;
};

/* Series of at most this many points show a marker at every point; longer ones only where a
 * point has no drawn neighbour. */
#define MARKERS_MAX_POINTS 30
/* Opacity of the raw series behind a smoothed one, and of a marker's shaded region. */
#define RAW_ALPHA   0.28
#define SHADE_ALPHA 0.07

void
ss_fig_smooth_ema (double       *out,
                   const double *in,
                   int           n,
                   double        weight)
{
  gboolean constant = TRUE;
  double last = 0.0;
  int t = 0;

  g_return_if_fail (n == 0 || (out != NULL && in != NULL));
  g_return_if_fail (weight >= 0.0 && weight < 1.0);

  /* TensorBoard's data.every (v => v == data[0]): a NaN anywhere makes it non-constant. */
  for (int i = 1; i < n && constant; i++)
    constant = in[i] == in[0];
  if (n > 0 && !(in[0] == in[0]))
    constant = FALSE;
  for (int i = 0; i < n; i++)
    {
      double v = in[i];

      if (constant || !isfinite (v))
        {
          out[i] = v;
          continue;
        }
      last = last * weight + (1.0 - weight) * v;
      t++;
      out[i] = last / (1.0 - pow (weight, t));
    }
}

static void
cv_series_clear (gpointer data)
{
  CvSeries *s = data;

  g_free (s->label);
  g_array_unref (s->x);
  g_array_unref (s->y);
  g_array_unref (s->smoothed);
  g_array_unref (s->markers);
}

static void
cv_marker_clear (gpointer data)
{
  g_free (((CvMarker *) data)->label);
}

SsFigCurves *
ss_fig_curves_new (void)
{
  SsFigCurves *fig = g_new0 (SsFigCurves, 1);

  fig->series = g_array_new (FALSE, TRUE, sizeof (CvSeries));
  g_array_set_clear_func (fig->series, cv_series_clear);
  fig->x_label = g_strdup ("epoch");
  fig->y_lo = NAN;
  fig->y_hi = NAN;
  return fig;
}

void
ss_fig_curves_free (SsFigCurves *fig)
{
  if (fig == NULL)
    return;
  g_array_unref (fig->series);
  g_free (fig->title);
  g_free (fig->x_label);
  g_free (fig->y_label);
  g_free (fig);
}

static CvSeries *
series_at (const SsFigCurves *fig,
           int                i)
{
  return &g_array_index (fig->series, CvSeries, i);
}

static double
value_at (GArray *a,
          guint   i)
{
  return g_array_index (a, double, i);
}

static void
resmooth (const SsFigCurves *fig,
          CvSeries          *s)
{
  g_array_set_size (s->smoothed, s->y->len);
  ss_fig_smooth_ema ((double *) (void *) s->smoothed->data,
                     (const double *) (const void *) s->y->data, (int) s->y->len,
                     fig->smoothing);
}

int
ss_fig_curves_add_series (SsFigCurves  *fig,
                          const char   *label,
                          const double *x,
                          const double *y,
                          int           n)
{
  CvSeries s;

  g_return_val_if_fail (fig != NULL, -1);
  g_return_val_if_fail (n >= 0 && (n == 0 || y != NULL), -1);

  s.label = g_strdup (label != NULL ? label : "");
  s.x = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) n);
  s.y = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) n);
  s.smoothed = g_array_new (FALSE, FALSE, sizeof (double));
  s.markers = g_array_new (FALSE, FALSE, sizeof (CvMarker));
  g_array_set_clear_func (s.markers, cv_marker_clear);
  for (int i = 0; i < n; i++)
    {
      double xi = x != NULL ? x[i] : i + 1.0;
      g_array_append_val (s.x, xi);
    }
  g_array_append_vals (s.y, y, (guint) n);
  resmooth (fig, &s);
  g_array_append_val (fig->series, s);
  return (int) fig->series->len - 1;
}

void
ss_fig_curves_append (SsFigCurves *fig,
                      int          series,
                      double       x,
                      double       y)
{
  CvSeries *s;

  g_return_if_fail (fig != NULL);
  g_return_if_fail (series >= 0 && series < (int) fig->series->len);

  s = series_at (fig, series);
  g_array_append_val (s->x, x);
  g_array_append_val (s->y, y);
  resmooth (fig, s);   /* the constant-series rule looks at the whole series */
}

void
ss_fig_curves_add_marker (SsFigCurves *fig,
                          int          series,
                          double       x,
                          const char  *label)
{
  CvMarker m = { x, g_strdup (label) };

  g_return_if_fail (fig != NULL);
  g_return_if_fail (series >= 0 && series < (int) fig->series->len);

  g_array_append_val (series_at (fig, series)->markers, m);
}

void
ss_fig_curves_set_smoothing (SsFigCurves *fig,
                             double       weight)
{
  g_return_if_fail (fig != NULL);
  g_return_if_fail (weight >= 0.0 && weight < 1.0);

  fig->smoothing = weight;
  for (guint i = 0; i < fig->series->len; i++)
    resmooth (fig, series_at (fig, (int) i));
}

static void
replace_text (char      **field,
              const char *text,
              gboolean    markup)
{
  g_free (*field);
  *field = text == NULL ? NULL : markup ? g_markup_escape_text (text, -1) : g_strdup (text);
}

void
ss_fig_curves_set_title (SsFigCurves *fig,
                         const char  *title)
{
  g_return_if_fail (fig != NULL);

  replace_text (&fig->title, title, FALSE);
}

void
ss_fig_curves_set_x_label (SsFigCurves *fig,
                           const char  *label)
{
  g_return_if_fail (fig != NULL);

  replace_text (&fig->x_label, label, TRUE);
}

void
ss_fig_curves_set_y_label (SsFigCurves *fig,
                           const char  *label)
{
  g_return_if_fail (fig != NULL);

  replace_text (&fig->y_label, label, TRUE);
}

void
ss_fig_curves_set_y_range (SsFigCurves *fig,
                           double       lo,
                           double       hi)
{
  g_return_if_fail (fig != NULL);

  fig->y_lo = lo;
  fig->y_hi = hi;
}

void
ss_fig_curves_set_x_integer (SsFigCurves *fig,
                             gboolean     integer)
{
  g_return_if_fail (fig != NULL);

  fig->x_integer = integer;
}

int
ss_fig_curves_get_n_series (const SsFigCurves *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return (int) fig->series->len;
}

int
ss_fig_curves_get_n_points (const SsFigCurves *fig,
                            int                series)
{
  g_return_val_if_fail (fig != NULL, 0);
  g_return_val_if_fail (series >= 0 && series < (int) fig->series->len, 0);

  return (int) series_at (fig, series)->y->len;
}

void
ss_fig_curves_get_point (const SsFigCurves *fig,
                         int                series,
                         int                point,
                         double            *x,
                         double            *y,
                         double            *smoothed)
{
  CvSeries *s;

  g_return_if_fail (fig != NULL);
  g_return_if_fail (series >= 0 && series < (int) fig->series->len);
  s = series_at (fig, series);
  g_return_if_fail (point >= 0 && point < (int) s->y->len);

  if (x != NULL)
    *x = value_at (s->x, (guint) point);
  if (y != NULL)
    *y = value_at (s->y, (guint) point);
  if (smoothed != NULL)
    *smoothed = value_at (s->smoothed, (guint) point);
}

const char *
ss_fig_curves_get_label (const SsFigCurves *fig,
                         int                series)
{
  g_return_val_if_fail (fig != NULL, NULL);
  g_return_val_if_fail (series >= 0 && series < (int) fig->series->len, NULL);

  return series_at (fig, series)->label;
}

const char *
ss_fig_curves_get_x_label (const SsFigCurves *fig)
{
  g_return_val_if_fail (fig != NULL, NULL);

  return fig->x_label;
}

int
ss_fig_curves_get_n_markers (const SsFigCurves *fig,
                             int                series)
{
  g_return_val_if_fail (fig != NULL, 0);
  g_return_val_if_fail (series >= 0 && series < (int) fig->series->len, 0);

  return (int) series_at (fig, series)->markers->len;
}

const char *
ss_fig_curves_get_marker (const SsFigCurves *fig,
                          int                series,
                          int                marker,
                          double            *x)
{
  const CvMarker *m;

  g_return_val_if_fail (fig != NULL, NULL);
  g_return_val_if_fail (series >= 0 && series < (int) fig->series->len, NULL);
  g_return_val_if_fail (marker >= 0 && marker < (int) series_at (fig, series)->markers->len,
                        NULL);

  m = &g_array_index (series_at (fig, series)->markers, CvMarker, marker);
  if (x != NULL)
    *x = m->x;
  return m->label;
}

static const char *
series_label (gconstpointer fig,
              int           i)
{
  return series_at (fig, i)->label;
}

static void
widen (double *lo,
       double *hi,
       double  v)
{
  if (!isfinite (v))
    return;
  *lo = MIN (*lo, v);
  *hi = MAX (*hi, v);
}

/* Makes ticks integers (ss_fig_curves_set_x_integer). Steps of 1, 2, 5 × 10^k from 1 up give
 * integer ticks already. */
static void
integer_ticks (SsFigTicks *t)
{
  double lo = ceil (t->lo), hi = floor (t->hi);

  if (t->step >= 1.0)
    return;
  if (hi - lo < 1.0)
    {
      lo = floor (t->lo);
      hi = MAX (ceil (t->hi), lo + 1.0);
    }
  t->step = 1.0;
  t->n = 0;
  for (double v = lo; v <= hi && t->n < SS_FIG_MAX_TICKS; v += 1.0)
    t->values[t->n++] = v;
  t->lo = MIN (t->lo, lo);
  t->hi = MAX (t->hi, t->values[t->n - 1]);
}

/* The axes' ticks, which follow from the data alone. */
static void
cv_ticks (const SsFigCurves *fig,
          SsFigTicks        *x_ticks,
          SsFigTicks        *y_ticks)
{
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;

  for (int i = 0; i < (int) fig->series->len; i++)
    {
      CvSeries *s = series_at (fig, i);
      for (guint k = 0; k < s->y->len; k++)
        {
          widen (&x_lo, &x_hi, value_at (s->x, k));
          widen (&y_lo, &y_hi, value_at (s->y, k));
          widen (&y_lo, &y_hi, value_at (s->smoothed, k));
        }
      for (guint k = 0; k < s->markers->len; k++)
        widen (&x_lo, &x_hi, g_array_index (s->markers, CvMarker, k).x);
    }
  if (!isnan (fig->y_lo))
    y_lo = fig->y_lo;
  if (!isnan (fig->y_hi))
    y_hi = fig->y_hi;
  ss_fig_data_ticks (x_lo, x_hi, 0.03, 0.03, 7, x_ticks);
  if (fig->x_integer)
    integer_ticks (x_ticks);
  /* A range the caller fixed is kept as given; only the data's own ends get a margin. */
  ss_fig_data_ticks (y_lo, y_hi, isnan (fig->y_lo) ? 0.05 : 0.0, isnan (fig->y_hi) ? 0.05 : 0.0,
                     6, y_ticks);
}

/* fig's layout on width × height (cr NULL: measured, not drawn); lay starts from { 0 }. */
static void
cv_layout (const SsFigCurves *fig,
           cairo_t           *cr,
           double             width,
           double             height,
           const SsFigStyle  *style,
           SsFigPlotLayout   *lay)
{
  cv_ticks (fig, &lay->x_ticks, &lay->y_ticks);
  ss_fig_plot_layout (lay, cr, style, width, height, fig->title, (int) fig->series->len,
                      series_label, fig, fig->x_label, fig->y_label);
}

static gboolean
drawable (GArray *x,
          GArray *y,
          gint64  k)
{
  return k >= 0 && k < (gint64) y->len && isfinite (value_at (x, (guint) k))
         && isfinite (value_at (y, (guint) k));
}

/* The polyline of (x, y), broken at non-finite points, and markers at every point (short
 * series) or at isolated ones. */
static void
draw_polyline (cairo_t          *cr,
               const SsFigStyle *style,
               const SsFigFrame *frame,
               GArray           *x,
               GArray           *y,
               const SsFigRgba  *color,
               SsFigMarker       marker,
               gboolean          markers)
{
  gboolean every = y->len <= MARKERS_MAX_POINTS;

  cairo_save (cr);
  cairo_set_line_width (cr, style->line_width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  ss_fig_set_color (cr, color);
  for (guint k = 0; k < y->len; k++)
    {
      double px = ss_fig_frame_x (frame, value_at (x, k));
      double py = ss_fig_frame_y (frame, value_at (y, k));

      if (!drawable (x, y, k))
        continue;
      if (drawable (x, y, (gint64) k - 1))
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
    }
  cairo_stroke (cr);
  for (guint k = 0; markers && k < y->len; k++)
    if (drawable (x, y, k)
        && (every || (!drawable (x, y, (gint64) k - 1) && !drawable (x, y, (gint64) k + 1))))
      ss_fig_draw_marker (cr, style, marker, ss_fig_frame_x (frame, value_at (x, k)),
                          ss_fig_frame_y (frame, value_at (y, k)), style->marker_size, color,
                          FALSE);
  cairo_restore (cr);
}

static void
draw_marks (cairo_t          *cr,
            const SsFigStyle *style,
            const SsFigFrame *frame,
            const CvSeries   *s,
            const SsFigRgba  *color)
{
  double dash[] = { 2.5 * style->line_width, 2.0 * style->line_width };
  double t = 0.5 * style->marker_size;

  cairo_save (cr);
  for (guint k = 0; k < s->markers->len; k++)
    {
      double x = ss_fig_frame_x (frame, g_array_index (s->markers, CvMarker, k).x);

      if (!isfinite (x))
        continue;
      cairo_rectangle (cr, x, frame->top, frame->right - x, frame->bottom - frame->top);
      cairo_set_source_rgba (cr, color->r, color->g, color->b, SHADE_ALPHA);
      cairo_fill (cr);
      ss_fig_set_color (cr, color);
      cairo_set_line_width (cr, style->line_width);
      cairo_set_dash (cr, dash, 2, 0.0);
      cairo_move_to (cr, x, frame->top);
      cairo_line_to (cr, x, frame->bottom);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0.0);
      cairo_move_to (cr, x - t, frame->top - 1.6 * t);
      cairo_line_to (cr, x + t, frame->top - 1.6 * t);
      cairo_line_to (cr, x, frame->top);
      cairo_close_path (cr);
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

void
ss_fig_curves_draw (const SsFigCurves *fig,
                    cairo_t           *cr,
                    double             width,
                    double             height,
                    const SsFigStyle  *style)
{
  g_auto(SsFigPlotLayout) lay = { 0 };
  const SsFigLegendEntry *entries;
  int n;

  g_return_if_fail (fig != NULL && cr != NULL);

  cv_layout (fig, cr, width, height, style, &lay);
  style = &lay.style;
  entries = lay.entries;
  n = lay.n_entries;
  cairo_save (cr);
  ss_fig_plot_draw_background (cr, &lay);
  for (int i = 0; i < n; i++)
    draw_marks (cr, style, &lay.frame, series_at (fig, i), &entries[i].color);
  ss_fig_plot_draw_axes (cr, &lay);

  cairo_save (cr);
  cairo_rectangle (cr, lay.frame.left - style->marker_size, lay.frame.top - style->marker_size,
                   lay.frame.right - lay.frame.left + 2 * style->marker_size,
                   lay.frame.bottom - lay.frame.top + 2 * style->marker_size);
  cairo_clip (cr);
  if (fig->smoothing > 0.0)
    for (int i = 0; i < n; i++)
      {
        SsFigRgba faint = entries[i].color;
        faint.a *= RAW_ALPHA;
        draw_polyline (cr, style, &lay.frame, series_at (fig, i)->x, series_at (fig, i)->y,
                       &faint, entries[i].marker, FALSE);
      }
  for (int i = 0; i < n; i++)
    draw_polyline (cr, style, &lay.frame, series_at (fig, i)->x, series_at (fig, i)->smoothed,
                   &entries[i].color, entries[i].marker, TRUE);
  cairo_restore (cr);

  ss_fig_plot_draw_legend (cr, &lay);
  cairo_restore (cr);
}

void
ss_fig_curves_get_frame (const SsFigCurves *fig,
                         double             width,
                         double             height,
                         const SsFigStyle  *style,
                         SsFigFrame        *frame)
{
  g_auto(SsFigPlotLayout) lay = { 0 };

  g_return_if_fail (fig != NULL && frame != NULL);

  cv_layout (fig, NULL, width, height, style, &lay);
  *frame = lay.frame;
}

void
ss_fig_curves_get_x_ticks (const SsFigCurves *fig,
                           double             width,
                           double             height,
                           const SsFigStyle  *style,
                           SsFigTicks        *ticks)
{
  SsFigTicks y_ticks;

  g_return_if_fail (fig != NULL && ticks != NULL);

  cv_ticks (fig, ticks, &y_ticks);
}

int
ss_fig_curves_hit (const SsFigCurves *fig,
                   double             width,
                   double             height,
                   const SsFigStyle  *style,
                   double             x,
                   double             y,
                   int               *point)
{
  g_auto(SsFigPlotLayout) lay = { 0 };
  double best, radius;
  int best_series = -1, best_point = -1;

  g_return_val_if_fail (fig != NULL, -1);

  cv_layout (fig, NULL, width, height, style, &lay);
  radius = ss_fig_hit_radius (&lay.style);
  best = radius * radius;
  for (guint i = 0; i < fig->series->len; i++)
    {
      CvSeries *s = series_at (fig, (int) i);
      for (guint k = 0; k < s->y->len; k++)
        {
          double dx = ss_fig_frame_x (&lay.frame, value_at (s->x, k)) - x;
          double dy = ss_fig_frame_y (&lay.frame, value_at (s->smoothed, k)) - y;

          if (dx * dx + dy * dy <= best)
            {
              best = dx * dx + dy * dy;
              best_series = (int) i;
              best_point = (int) k;
            }
        }
    }
  if (point != NULL)
    *point = best_point;
  return best_series;
}

void
ss_fig_curves_csv (const SsFigCurves *fig,
                   GString           *out)
{
  g_return_if_fail (fig != NULL && out != NULL);

  g_string_append (out, "series,label,x,y,smoothed,marked\n");
  for (guint i = 0; i < fig->series->len; i++)
    {
      CvSeries *s = series_at (fig, (int) i);
      double first_mark = INFINITY;

      for (guint k = 0; k < s->markers->len; k++)
        first_mark = MIN (first_mark, g_array_index (s->markers, CvMarker, k).x);
      for (guint k = 0; k < s->y->len; k++)
        {
          g_string_append_printf (out, "%u,", i);
          ss_fig_csv_text (out, s->label, FALSE);
          ss_fig_csv_number (out, value_at (s->x, k), FALSE);
          ss_fig_csv_number (out, value_at (s->y, k), FALSE);
          ss_fig_csv_number (out, value_at (s->smoothed, k), FALSE);
          g_string_append (out, value_at (s->x, k) >= first_mark ? "1\n" : "0\n");
        }
    }
}

gboolean
ss_fig_curves_write_csv (const SsFigCurves *fig,
                         const char        *path,
                         GError           **error)
{
  return ss_fig_write_csv (SS_FIG_CURVES, fig, path, error);
}
