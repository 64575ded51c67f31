/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-heatmap-card.h"

/* The images live on the drawing area as cairo surfaces ("input", "overlay"), drawn scaled up
 * with nearest-neighbour filtering so that every map cell stays a sharp square. */

#define GAP 6   /* logical pixels between the two tiles */

static cairo_surface_t *
surface_from_image (const SsImage *image)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, image->width,
                                                   image->height);
  guint8 *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);

  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        const guint8 *p = ss_image_pixel (image, x, y);
        guint32 *q = (guint32 *) (data + (gsize) y * stride) + x;
        guint8 r = p[0], g = image->channels == 3 ? p[1] : p[0];
        guint8 b = image->channels == 3 ? p[2] : p[0];
        *q = 0xff000000u | ((guint32) r << 16) | ((guint32) g << 8) | b;
      }
  cairo_surface_mark_dirty (s);
  return s;
}

static void
draw_tile (cairo_t         *cr,
           cairo_surface_t *surface,
           double           x,
           double           size)
{
  int w = cairo_image_surface_get_width (surface);
  int h = cairo_image_surface_get_height (surface);

  cairo_save (cr);
  cairo_translate (cr, x, 0);
  cairo_rectangle (cr, 0, 0, size, size);
  cairo_clip (cr);
  cairo_scale (cr, size / w, size / h);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
}

static void
tiles_draw (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        user_data)
{
  cairo_surface_t *input = g_object_get_data (G_OBJECT (area), "input");
  cairo_surface_t *overlay = g_object_get_data (G_OBJECT (area), "overlay");
  double size = MIN ((width - GAP) / 2.0, height);

  if (input != NULL)
    draw_tile (cr, input, (width - 2 * size - GAP) / 2, size);
  if (overlay != NULL)
    draw_tile (cr, overlay, (width - 2 * size - GAP) / 2 + size + GAP, size);
}

/* Not gtk_widget_set_tooltip_text: on a shown widget that asks the display where the pointer
 * is, a round trip to the X server for every card of a page. The text is asked for only when a
 * tooltip is about to show. */
static gboolean
on_query_tooltip (GtkWidget  *card,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip)
{
  gtk_tooltip_set_text (tooltip, g_object_get_data (G_OBJECT (card), "tooltip"));
  return TRUE;
}

static GtkWidget *
add_label (GtkWidget  *box,
           const char *text,
           const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

GtkWidget *
ss_heatmap_card_new (const SsImage        *input,
                     int                   tile,
                     const char           *heading,
                     const char           *prediction,
                     SsHeatmapCardVerdict  verdict,
                     const char           *tooltip)
{
  GtkWidget *box, *area, *pred;

  g_return_val_if_fail (input != NULL && heading != NULL && prediction != NULL, NULL);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "sample-card");
  area = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (area), 2 * tile + GAP);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), tile);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), tiles_draw, NULL, NULL);
  g_object_set_data_full (G_OBJECT (area), "input", surface_from_image (input),
                          (GDestroyNotify) cairo_surface_destroy);
  gtk_box_append (GTK_BOX (box), area);
  add_label (box, heading, "heading");
  pred = add_label (box, prediction, "caption");
  if (verdict != SS_HEATMAP_CARD_UNLABELLED)
    gtk_widget_add_css_class (pred, verdict == SS_HEATMAP_CARD_RIGHT ? "success" : "error");
  g_object_set_data_full (G_OBJECT (box), "tooltip", g_strdup (tooltip), g_free);
  gtk_widget_set_has_tooltip (box, tooltip != NULL);
  g_signal_connect (box, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  return box;
}

void
ss_heatmap_card_set_map (GtkWidget     *card,
                         const SsImage *overlay)
{
  GtkWidget *area;

  g_return_if_fail (GTK_IS_BOX (card));

  area = gtk_widget_get_first_child (card);
  g_return_if_fail (GTK_IS_DRAWING_AREA (area));
  g_object_set_data_full (G_OBJECT (area), "overlay",
                          overlay != NULL ? surface_from_image (overlay) : NULL,
                          (GDestroyNotify) cairo_surface_destroy);
  gtk_widget_queue_draw (area);
}
