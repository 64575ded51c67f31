/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-plot.h"

struct _SsPlot
{
  GtkDrawingArea     parent_instance;

  /* Owned */
  gpointer           fig;
  GDestroyNotify     fig_free;
  char              *export_name;

  /* Borrowed */
  SsPlotTooltipFunc  tooltip_func;
  gpointer           tooltip_data;

  SsFigKind          kind;
  double             smoothing;
};

G_DEFINE_FINAL_TYPE (SsPlot, ss_plot, GTK_TYPE_DRAWING_AREA)

/* Okabe & Ito's colours for a dark background: their own yellow (the palette darkens it for
 * white paper) and the blue lightened, which on a dark grey is too dim to follow; the black
 * category becomes the text colour. */
static const SsFigRgba dark_palette[SS_FIG_PALETTE_SIZE] = {
  { 0.30, 0.61, 0.86, 1.0 },   /* blue, lightened */
  { 0.84, 0.37, 0.00, 1.0 },   /* vermillion */
  { 0.00, 0.62, 0.45, 1.0 },   /* bluish green */
  { 0.90, 0.62, 0.00, 1.0 },   /* orange */
  { 0.80, 0.47, 0.65, 1.0 },   /* reddish purple */
  { 0.34, 0.71, 0.91, 1.0 },   /* sky blue */
  { 0.00, 0.00, 0.00, 0.0 },   /* the foreground, filled in */
  { 0.94, 0.89, 0.26, 1.0 },   /* yellow */
};

/* The "screen" figure style in the widget's colours, so a plot follows the light or dark style:
 * text and axes in the CSS colour, no background of its own (the card's shows through), grid
 * lines a faint foreground. Sizes are the preset's, so hit-tests with the preset still match. */
static void
widget_style (GtkWidget  *widget,
              SsFigStyle *style)
{
  GdkRGBA fg;
  double luma;

  ss_fig_style_init_screen (style);
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  style->foreground = (SsFigRgba) { fg.red, fg.green, fg.blue, fg.alpha };
  style->background = (SsFigRgba) { 0, 0, 0, 0 };
  style->grid_color = (SsFigRgba) { fg.red, fg.green, fg.blue, 0.12 };
  /* Light text means a dark background (dark style, or a dark high-contrast theme). */
  luma = 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue;
  if (luma > 0.5)
    {
      memcpy (style->palette, dark_palette, sizeof dark_palette);
      style->palette[6] = style->foreground;
    }
}

static void
draw_func (GtkDrawingArea *area,
           cairo_t        *cr,
           int             width,
           int             height,
           gpointer        user_data)
{
  SsPlot *self = SS_PLOT (area);
  SsFigStyle style;

  if (self->fig == NULL || width < 2 || height < 2)
    return;
  widget_style (GTK_WIDGET (area), &style);
  ss_fig_class_get (self->kind)->draw (self->fig, cr, width, height, &style);
}

/* The colours come from CSS: redraw when the style (light, dark, high contrast) changes. */
static void
ss_plot_css_changed (GtkWidget         *widget,
                     GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (ss_plot_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  SsPlot *self = SS_PLOT (widget);
  g_autofree char *text = NULL;

  if (self->fig == NULL || self->tooltip_func == NULL || keyboard)
    return FALSE;
  text = self->tooltip_func (self, self->fig, x, y, gtk_widget_get_width (widget),
                             gtk_widget_get_height (widget), self->tooltip_data);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_markup (tooltip, text);
  return TRUE;
}

void
ss_plot_set_figure (SsPlot         *self,
                    SsFigKind       kind,
                    gpointer        fig,
                    GDestroyNotify  free_func)
{
  g_return_if_fail (SS_IS_PLOT (self));

  if (self->fig != NULL && self->fig_free != NULL)
    self->fig_free (self->fig);
  self->fig = fig;
  self->fig_free = free_func;
  self->kind = kind;
  if (fig != NULL && kind == SS_FIG_CURVES)
    ss_fig_curves_set_smoothing (fig, self->smoothing);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ss_plot_set_smoothing (SsPlot *self,
                       double  weight)
{
  g_return_if_fail (SS_IS_PLOT (self));
  g_return_if_fail (weight >= 0 && weight < 1);

  self->smoothing = weight;
  if (self->fig != NULL && self->kind == SS_FIG_CURVES)
    {
      ss_fig_curves_set_smoothing (self->fig, weight);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

double
ss_plot_get_smoothing (SsPlot *self)
{
  g_return_val_if_fail (SS_IS_PLOT (self), 0);
  return self->smoothing;
}

gconstpointer
ss_plot_get_figure (SsPlot    *self,
                    SsFigKind *kind)
{
  g_return_val_if_fail (SS_IS_PLOT (self), NULL);

  if (kind != NULL)
    *kind = self->kind;
  return self->fig;
}

void
ss_plot_set_tooltip_func (SsPlot            *self,
                          SsPlotTooltipFunc  func,
                          gpointer           user_data)
{
  g_return_if_fail (SS_IS_PLOT (self));

  self->tooltip_func = func;
  self->tooltip_data = user_data;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), func != NULL);
}

void
ss_plot_set_export_name (SsPlot     *self,
                         const char *name)
{
  g_return_if_fail (SS_IS_PLOT (self));

  g_free (self->export_name);
  self->export_name = g_strdup (name);
}

const char *
ss_plot_get_export_name (SsPlot *self)
{
  g_return_val_if_fail (SS_IS_PLOT (self), NULL);
  return self->export_name ? self->export_name : "supersign-figure";
}

gboolean
ss_plot_save_png (SsPlot     *self,
                  const char *path,
                  int         width,
                  int         height,
                  GError    **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;

  g_return_val_if_fail (SS_IS_PLOT (self), FALSE);

  if (self->fig == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "The plot is empty");
      return FALSE;
    }
  surface = ss_fig_render_image (self->kind, self->fig, width, height, NULL);
  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

GtkWidget *
ss_plot_new (void)
{
  return g_object_new (SS_TYPE_PLOT, NULL);
}

static void
ss_plot_dispose (GObject *object)
{
  ss_plot_set_figure (SS_PLOT (object), SS_FIG_BARS, NULL, NULL);
  G_OBJECT_CLASS (ss_plot_parent_class)->dispose (object);
}

static void
ss_plot_finalize (GObject *object)
{
  g_clear_pointer (&SS_PLOT (object)->export_name, g_free);
  G_OBJECT_CLASS (ss_plot_parent_class)->finalize (object);
}

static void
ss_plot_class_init (SsPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_plot_dispose;
  object_class->finalize = ss_plot_finalize;
  GTK_WIDGET_CLASS (klass)->css_changed = ss_plot_css_changed;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "plot");
}

static void
ss_plot_init (SsPlot *self)
{
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self), draw_func, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 320, 240);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
}
