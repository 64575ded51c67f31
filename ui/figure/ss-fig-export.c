/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-export.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

#include "ss-csv.h"
#include "ss-error.h"

/* ---- The kinds ---- */

/* Each wrapper restores the kind's pointer type: calling through a cast function pointer would
 * be undefined behaviour. */
#define FIG_CLASS_WRAPPERS(Type, prefix)                                                       \
  static void                                                                                  \
  prefix##_draw_any (const void *fig, cairo_t *cr, double width, double height,                \
                     const SsFigStyle *style)                                                  \
  {                                                                                            \
    prefix##_draw ((const Type *) fig, cr, width, height, style);                              \
  }                                                                                            \
  static void                                                                                  \
  prefix##_csv_any (const void *fig, GString *out)                                             \
  {                                                                                            \
    prefix##_csv ((const Type *) fig, out);                                                    \
  }

FIG_CLASS_WRAPPERS (SsFigBars, ss_fig_bars)
FIG_CLASS_WRAPPERS (SsFigInfoplane, ss_fig_infoplane)
FIG_CLASS_WRAPPERS (SsFigCurves, ss_fig_curves)
FIG_CLASS_WRAPPERS (SsFigHeatmaps, ss_fig_heatmaps)

static const SsFigClass classes[] = {
  { SS_FIG_BARS, "bars", ss_fig_bars_draw_any, ss_fig_bars_csv_any },
  { SS_FIG_INFOPLANE, "infoplane", ss_fig_infoplane_draw_any, ss_fig_infoplane_csv_any },
  { SS_FIG_CURVES, "curves", ss_fig_curves_draw_any, ss_fig_curves_csv_any },
  { SS_FIG_HEATMAPS, "heatmaps", ss_fig_heatmaps_draw_any, ss_fig_heatmaps_csv_any },
};

const SsFigClass *
ss_fig_class_get (SsFigKind kind)
{
  g_return_val_if_fail ((gsize) kind < G_N_ELEMENTS (classes), NULL);

  return &classes[kind];
}

gboolean
ss_fig_kind_from_name (const char *name,
                       SsFigKind  *kind,
                       GError    **error)
{
  g_return_val_if_fail (name != NULL && kind != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (name, classes[i].name) == 0)
      {
        *kind = classes[i].kind;
        return TRUE;
      }
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "unknown figure “%s” (known: bars, infoplane, curves, heatmaps)", name);
  return FALSE;
}

SsFigFormat
ss_fig_format_from_path (const char *path,
                         GError    **error)
{
  static const struct {
    const char *ext;
    SsFigFormat format;
  } formats[] = {
    { ".png", SS_FIG_FORMAT_PNG }, { ".svg", SS_FIG_FORMAT_SVG }, { ".pdf", SS_FIG_FORMAT_PDF },
  };
  const char *dot;

  g_return_val_if_fail (path != NULL, SS_FIG_FORMAT_AUTO);

  dot = strrchr (path, '.');
  for (gsize i = 0; dot != NULL && i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (dot, formats[i].ext) == 0)
      return formats[i].format;
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "cannot tell the figure format of “%s”: use a .png, .svg or .pdf name", path);
  return SS_FIG_FORMAT_AUTO;
}

/* ---- Files ---- */

static gboolean
save_bytes (const char *path,
            const void *data,
            gsize       len,
            GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not save “%s”: %s (the previous file, "
                   "if any, is unchanged)", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static cairo_status_t
append_bytes (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

cairo_surface_t *
ss_fig_render_image (SsFigKind         kind,
                     const void       *fig,
                     int               width,
                     int               height,
                     const SsFigStyle *style)
{
  const SsFigClass *klass = ss_fig_class_get (kind);
  cairo_surface_t *surface;
  cairo_t *cr;

  g_return_val_if_fail (klass != NULL && fig != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);
  klass->draw (fig, cr, width, height, style);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

gboolean
ss_fig_export (SsFigKind         kind,
               const void       *fig,
               const char       *path,
               SsFigFormat       format,
               double            width_pt,
               double            height_pt,
               double            dpi_for_png,
               const SsFigStyle *style,
               GError          **error)
{
  const SsFigClass *klass = ss_fig_class_get (kind);
  g_autoptr(GByteArray) bytes = NULL;
  SsFigStyle paper;
  cairo_surface_t *surface = NULL;
  cairo_status_t status;
  cairo_t *cr;

  g_return_val_if_fail (klass != NULL && fig != NULL && path != NULL, FALSE);

  if (format == SS_FIG_FORMAT_AUTO)
    format = ss_fig_format_from_path (path, error);
  if (format == SS_FIG_FORMAT_AUTO)
    return FALSE;
  if (!(width_pt >= 1.0 && width_pt <= 14400.0 && height_pt >= 1.0 && height_pt <= 14400.0))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "figure size %g × %g pt is out of range (1 to 14400 pt a side)", width_pt,
                   height_pt);
      return FALSE;
    }
  if (style == NULL)
    {
      ss_fig_style_init_paper (&paper);
      style = &paper;
    }

  bytes = g_byte_array_new ();
  switch (format)
    {
    case SS_FIG_FORMAT_PNG:
      {
        double pw = round (width_pt / 72.0 * dpi_for_png);
        double ph = round (height_pt / 72.0 * dpi_for_png);

        if (!(dpi_for_png >= 10.0 && dpi_for_png <= 2400.0) || pw > 20000 || ph > 20000
            || pw < 1 || ph < 1)
          {
            g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                         "a PNG of %g × %g pt at %g dpi is out of range (10 to 2400 dpi, at "
                         "most 20000 pixels a side)", width_pt, height_pt, dpi_for_png);
            return FALSE;
          }
        surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) pw, (int) ph);
        cr = cairo_create (surface);
        cairo_scale (cr, pw / width_pt, ph / height_pt);
        break;
      }
    case SS_FIG_FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, width_pt, height_pt);
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PT);
      cr = cairo_create (surface);
      break;
    case SS_FIG_FORMAT_PDF:
    default:
      surface = cairo_pdf_surface_create_for_stream (append_bytes, bytes, width_pt, height_pt);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR,
                                      "Supersign " PACKAGE_VERSION);
      cr = cairo_create (surface);
      break;
    }

  klass->draw (fig, cr, width_pt, height_pt, style);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == SS_FIG_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  cairo_surface_finish (surface);   /* vector surfaces emit their last bytes here */
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not draw the figure for “%s”: %s",
                   display, cairo_status_to_string (status));
      return FALSE;
    }
  return save_bytes (path, bytes->data, bytes->len, error);
}

gboolean
ss_fig_write_csv (SsFigKind   kind,
                  const void *fig,
                  const char *path,
                  GError    **error)
{
  const SsFigClass *klass = ss_fig_class_get (kind);
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (klass != NULL && fig != NULL && path != NULL, FALSE);

  out = g_string_new (NULL);
  klass->csv (fig, out);
  return save_bytes (path, out->str, out->len, error);
}

/* ---- CSV fields ---- */

void
ss_fig_csv_number (GString *out,
                   double   v,
                   gboolean last)
{
  ss_csv_append_number (out, v);
  g_string_append_c (out, last ? '\n' : ',');
}

void
ss_fig_csv_text (GString    *out,
                 const char *text,
                 gboolean    last)
{
  ss_csv_append_text (out, text);
  g_string_append_c (out, last ? '\n' : ',');
}
