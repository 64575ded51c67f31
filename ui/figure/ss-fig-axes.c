/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-axes.h"

#include <math.h>
#include <pango/pangocairo.h>

/* Gap between a tick and its label, and between stacked texts, in font sizes. */
#define TEXT_GAP 0.35

/* ---- Text ---- */

static double
role_size (const SsFigStyle *style,
           SsFigTextRole     role)
{
  switch (role)
    {
    case SS_FIG_TEXT_LABEL:
      return style->label_font_size;
    case SS_FIG_TEXT_TITLE:
      return style->title_font_size;
    case SS_FIG_TEXT_TICK:
    default:
      return style->font_size;
    }
}

/* A layout of text on cr in the role's font, with metric hinting off (see the header). */
static PangoLayout *
text_layout (cairo_t          *cr,
             const SsFigStyle *style,
             SsFigTextRole     role,
             gboolean          markup,
             const char       *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_new ();
  cairo_font_options_t *options = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (pango_layout_get_context (layout), options);
  cairo_font_options_destroy (options);
  pango_layout_context_changed (layout);

  pango_font_description_set_family (desc, style->font_family);
  pango_font_description_set_absolute_size (desc, role_size (style, role) * PANGO_SCALE);
  if (role == SS_FIG_TEXT_TITLE)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  if (markup)
    pango_layout_set_markup (layout, text, -1);
  else
    pango_layout_set_text (layout, text, -1);
  return layout;
}

static void
layout_size (PangoLayout *layout,
             double      *w,
             double      *h)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  if (w != NULL)
    *w = (double) logical.width / PANGO_SCALE;
  if (h != NULL)
    *h = (double) logical.height / PANGO_SCALE;
}

void
ss_fig_text_size (cairo_t          *cr,
                  const SsFigStyle *style,
                  SsFigTextRole     role,
                  gboolean          markup,
                  const char       *text,
                  double           *w,
                  double           *h)
{
  g_autoptr(PangoLayout) layout = NULL;

  g_return_if_fail (cr != NULL && style != NULL && text != NULL);

  layout = text_layout (cr, style, role, markup, text);
  layout_size (layout, w, h);
}

void
ss_fig_text_draw (cairo_t          *cr,
                  const SsFigStyle *style,
                  SsFigTextRole     role,
                  gboolean          markup,
                  const char       *text,
                  double            x,
                  double            y,
                  double            ax,
                  double            ay,
                  double            angle)
{
  g_autoptr(PangoLayout) layout = NULL;
  double w, h;

  g_return_if_fail (cr != NULL && style != NULL && text != NULL);

  layout = text_layout (cr, style, role, markup, text);
  layout_size (layout, &w, &h);
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, -angle);   /* cairo's y axis points down: a positive angle turns clockwise */
  cairo_move_to (cr, -ax * w, -ay * h);
  ss_fig_set_color (cr, &style->foreground);
  pango_cairo_update_layout (cr, layout);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
}

/* ---- Frame and axes ---- */

double
ss_fig_frame_x (const SsFigFrame *frame,
                double            x)
{
  if (!(frame->x_hi != frame->x_lo))
    return 0.5 * (frame->left + frame->right);
  return frame->left + (x - frame->x_lo) / (frame->x_hi - frame->x_lo)
                       * (frame->right - frame->left);
}

double
ss_fig_frame_y (const SsFigFrame *frame,
                double            y)
{
  if (!(frame->y_hi != frame->y_lo))
    return 0.5 * (frame->top + frame->bottom);
  return frame->bottom - (y - frame->y_lo) / (frame->y_hi - frame->y_lo)
                         * (frame->bottom - frame->top);
}

void
ss_fig_set_color (cairo_t         *cr,
                  const SsFigRgba *color)
{
  cairo_set_source_rgba (cr, color->r, color->g, color->b, color->a);
}

void
ss_fig_draw_background (cairo_t          *cr,
                        const SsFigStyle *style,
                        double            width,
                        double            height)
{
  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  ss_fig_set_color (cr, &style->background);
  cairo_fill (cr);
  cairo_restore (cr);
}

double
ss_fig_y_ticks_width (cairo_t          *cr,
                      const SsFigStyle *style,
                      const SsFigTicks *ticks)
{
  double widest = 0.0;

  for (int i = 0; i < ticks->n; i++)
    {
      g_autofree char *text = ss_fig_format_tick (ticks->values[i], ticks->step);
      double w;

      ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, text, &w, NULL);
      widest = MAX (widest, w);
    }
  return widest + style->tick_length + TEXT_GAP * style->font_size;
}

double
ss_fig_x_ticks_height (cairo_t          *cr,
                       const SsFigStyle *style)
{
  double h;

  ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, "0", NULL, &h);
  return h + style->tick_length + TEXT_GAP * style->font_size;
}

/* v (a user x, or y when vertical) moved to where a line of user width `width` across it is
 * crisp on the device: the middle of a pixel for an odd number of device pixels, a pixel edge
 * for an even one.  Moves by at most half a device pixel, so axes do not blur on screens. */
static double
snap (cairo_t *cr,
      double   v,
      double   width,
      gboolean vertical)
{
  double x = vertical ? 0.0 : v, y = vertical ? v : 0.0, wx = width, wy = width, d, w;

  cairo_user_to_device (cr, &x, &y);
  cairo_user_to_device_distance (cr, &wx, &wy);
  d = vertical ? y : x;
  w = fabs (vertical ? wy : wx);
  if (((long) lround (w)) % 2 == 1)
    d = floor (d) + 0.5;
  else
    d = round (d);
  if (vertical)
    y = d;
  else
    x = d;
  cairo_device_to_user (cr, &x, &y);
  return vertical ? y : x;
}

void
ss_fig_stroke_line (cairo_t *cr,
                    double   x0,
                    double   y0,
                    double   x1,
                    double   y1)
{
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x1, y1);
  cairo_stroke (cr);
}

void
ss_fig_draw_y_axis (cairo_t          *cr,
                    const SsFigStyle *style,
                    const SsFigFrame *frame,
                    const SsFigTicks *ticks,
                    const char       *label,
                    double            label_x)
{
  double gap = TEXT_GAP * style->font_size, spine;

  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  if (style->grid)
    {
      cairo_set_line_width (cr, style->grid_line_width);
      ss_fig_set_color (cr, &style->grid_color);
      for (int i = 0; i < ticks->n; i++)
        {
          double y = snap (cr, ss_fig_frame_y (frame, ticks->values[i]),
                           style->grid_line_width, TRUE);
          if (ticks->values[i] != frame->y_lo)   /* the x axis is there already */
            ss_fig_stroke_line (cr, frame->left, y, frame->right, y);
        }
    }
  cairo_set_line_width (cr, style->axis_line_width);
  ss_fig_set_color (cr, &style->foreground);
  spine = snap (cr, frame->left, style->axis_line_width, FALSE);
  ss_fig_stroke_line (cr, spine, frame->top, spine, frame->bottom);
  for (int i = 0; i < ticks->n; i++)
    {
      double y = snap (cr, ss_fig_frame_y (frame, ticks->values[i]), style->axis_line_width,
                       TRUE);
      g_autofree char *text = ss_fig_format_tick (ticks->values[i], ticks->step);

      ss_fig_stroke_line (cr, spine - style->tick_length, y, spine, y);
      ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, text,
                        frame->left - style->tick_length - gap, y, 1.0, 0.5, 0.0);
    }
  if (label != NULL)
    ss_fig_text_draw (cr, style, SS_FIG_TEXT_LABEL, TRUE, label, label_x,
                      0.5 * (frame->top + frame->bottom), 0.5, 0.5, G_PI / 2);
  cairo_restore (cr);
}

void
ss_fig_draw_x_axis (cairo_t          *cr,
                    const SsFigStyle *style,
                    const SsFigFrame *frame,
                    const SsFigTicks *ticks,
                    const char       *label,
                    double            label_y)
{
  double gap = TEXT_GAP * style->font_size, spine;

  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  cairo_set_line_width (cr, style->axis_line_width);
  ss_fig_set_color (cr, &style->foreground);
  spine = snap (cr, frame->bottom, style->axis_line_width, TRUE);
  /* From the y spine's outer edge, so the corner is closed. */
  ss_fig_stroke_line (cr, snap (cr, frame->left, style->axis_line_width, FALSE)
                          - 0.5 * style->axis_line_width, spine, frame->right, spine);
  for (int i = 0; ticks != NULL && i < ticks->n; i++)
    {
      double x = snap (cr, ss_fig_frame_x (frame, ticks->values[i]), style->axis_line_width,
                       FALSE);
      g_autofree char *text = ss_fig_format_tick (ticks->values[i], ticks->step);

      ss_fig_stroke_line (cr, x, spine, x, spine + style->tick_length);
      ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, text, x,
                        frame->bottom + style->tick_length + gap, 0.5, 0.0, 0.0);
    }
  if (label != NULL)
    ss_fig_text_draw (cr, style, SS_FIG_TEXT_LABEL, TRUE, label,
                      0.5 * (frame->left + frame->right), label_y, 0.5, 0.0, 0.0);
  cairo_restore (cr);
}

/* ---- Markers and swatches ---- */

void
ss_fig_draw_marker (cairo_t          *cr,
                    const SsFigStyle *style,
                    SsFigMarker       marker,
                    double            x,
                    double            y,
                    double            size,
                    const SsFigRgba  *color,
                    gboolean          outline)
{
  /* Shapes of about the circle's area, so no layer looks heavier than another. */
  double r = 0.5 * size;

  cairo_save (cr);
  cairo_new_path (cr);
  switch (marker)
    {
    case SS_FIG_MARKER_SQUARE:
      cairo_rectangle (cr, x - 0.886 * r, y - 0.886 * r, 1.772 * r, 1.772 * r);
      break;
    case SS_FIG_MARKER_TRIANGLE:
      cairo_move_to (cr, x, y - 1.33 * r);
      cairo_line_to (cr, x + 1.17 * r, y + 0.67 * r);
      cairo_line_to (cr, x - 1.17 * r, y + 0.67 * r);
      cairo_close_path (cr);
      break;
    case SS_FIG_MARKER_DIAMOND:
      cairo_move_to (cr, x, y - 1.25 * r);
      cairo_line_to (cr, x + 1.25 * r, y);
      cairo_line_to (cr, x, y + 1.25 * r);
      cairo_line_to (cr, x - 1.25 * r, y);
      cairo_close_path (cr);
      break;
    case SS_FIG_MARKER_CIRCLE:
    default:
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      break;
    }
  ss_fig_set_color (cr, color);
  if (outline)
    {
      cairo_fill_preserve (cr);
      cairo_set_line_width (cr, style->axis_line_width);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
      ss_fig_set_color (cr, &style->foreground);
      cairo_stroke (cr);
    }
  else
    cairo_fill (cr);
  cairo_restore (cr);
}

void
ss_fig_draw_hatched_rect (cairo_t          *cr,
                          const SsFigStyle *style,
                          double            x,
                          double            y,
                          double            w,
                          double            h,
                          const SsFigRgba  *color)
{
  /* Spacing in font sizes, so the hatch keeps its density at paper and screen scales. */
  double spacing = 0.45 * style->font_size;

  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  ss_fig_set_color (cr, color);
  cairo_fill_preserve (cr);
  cairo_clip (cr);
  cairo_set_line_width (cr, 0.6 * style->axis_line_width);
  cairo_set_source_rgba (cr, 0.45 * color->r, 0.45 * color->g, 0.45 * color->b, color->a);
  for (double d = -h; d < w; d += spacing)
    ss_fig_stroke_line (cr, x + d, y + h, x + d + h, y);
  cairo_restore (cr);
}

/* ---- Layout ---- */

cairo_t *
ss_fig_measure_context_new (void)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surface);

  cairo_surface_destroy (surface);   /* cr holds its own reference */
  return cr;
}

double
ss_fig_y_axis_left (cairo_t          *cr,
                    const SsFigStyle *style,
                    const SsFigTicks *ticks,
                    const char       *label,
                    double            x0,
                    double           *label_x)
{
  double x = x0;

  if (label != NULL)
    {
      double h;
      ss_fig_text_size (cr, style, SS_FIG_TEXT_LABEL, TRUE, label, NULL, &h);
      *label_x = x0 + 0.5 * h;
      x += h + TEXT_GAP * style->font_size;
    }
  return x + ss_fig_y_ticks_width (cr, style, ticks);
}

double
ss_fig_x_axis_height (cairo_t          *cr,
                      const SsFigStyle *style,
                      gboolean          ticks,
                      const char       *label,
                      double           *label_dy)
{
  double y = ticks ? ss_fig_x_ticks_height (cr, style) : style->tick_length;

  if (label != NULL)
    {
      double h;
      ss_fig_text_size (cr, style, SS_FIG_TEXT_LABEL, TRUE, label, NULL, &h);
      y += TEXT_GAP * style->font_size;
      *label_dy = y;
      y += h;
    }
  return y;
}

double
ss_fig_title (cairo_t          *cr,
              const SsFigStyle *style,
              const char       *title,
              double            width,
              double            y,
              gboolean          draw)
{
  double h;

  if (title == NULL)
    return 0.0;
  ss_fig_text_size (cr, style, SS_FIG_TEXT_TITLE, FALSE, title, NULL, &h);
  if (draw)
    ss_fig_text_draw (cr, style, SS_FIG_TEXT_TITLE, FALSE, title, 0.5 * width, y, 0.5, 0.0,
                      0.0);
  return h + 2 * TEXT_GAP * style->font_size;
}
