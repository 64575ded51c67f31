/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Figures as files, and the small table of figure kinds that lets the exporter, the CSV
 * writer and the CLI treat every figure alike.
 *
 * Every file is written atomically: the bytes are produced in memory, then
 * g_file_set_contents_full (…_CONSISTENT) writes a temporary file in the same folder, fsyncs
 * it and renames it over path (as core/ss-png.c).  On failure the previous file, if any, is
 * unchanged and nothing is left behind.  Errors are SS_ERROR_IO (cannot write) or
 * SS_ERROR_ARGUMENT (bad size, unknown format). */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-bars.h"
#include "ss-fig-curves.h"
#include "ss-fig-heatmaps.h"
#include "ss-fig-infoplane.h"
#include "ss-fig-style.h"

G_BEGIN_DECLS

typedef enum {
  SS_FIG_BARS,        /* SsFigBars */
  SS_FIG_INFOPLANE,   /* SsFigInfoplane */
  SS_FIG_CURVES,      /* SsFigCurves */
  SS_FIG_HEATMAPS,    /* SsFigHeatmaps */
} SsFigKind;

typedef enum {
  SS_FIG_FORMAT_AUTO,   /* from the path's extension (.png, .svg, .pdf, any case) */
  SS_FIG_FORMAT_PNG,
  SS_FIG_FORMAT_SVG,
  SS_FIG_FORMAT_PDF,
} SsFigFormat;

/* What a kind of figure can do; fig is the kind's struct (SsFigBars *, …). */
typedef struct {
  SsFigKind   kind;
  const char *name;     /* "bars", "infoplane", "curves", "heatmaps" */
  void      (*draw)  (const void *fig, cairo_t *cr, double width, double height,
                      const SsFigStyle *style);
  void      (*csv)   (const void *fig, GString *out);
} SsFigClass;

/* Returns: (transfer none): the static class of kind. */
const SsFigClass *ss_fig_class_get        (SsFigKind kind);
/* The kind named name (as SsFigClass.name); an unknown name is an SS_ERROR_ARGUMENT error.
 * Returns: FALSE on error. */
gboolean          ss_fig_kind_from_name   (const char *name, SsFigKind *kind, GError **error);

/* The format of path by its extension; anything else is an SS_ERROR_ARGUMENT error.
 * Returns: the format, or SS_FIG_FORMAT_AUTO on error. */
SsFigFormat       ss_fig_format_from_path (const char *path, GError **error);

/* Writes fig (of kind) to path as format (AUTO: from the extension), width_pt × height_pt
 * points (1 pt = 1/72 in) with one user unit = 1 pt; a PNG is rendered at dpi_for_png dots per
 * inch, so it is round (width_pt / 72 · dpi) × round (height_pt / 72 · dpi) pixels, opaque
 * RGB(A) as cairo writes it.  style NULL = "paper".  Sizes must be in [1, 14400] pt and the
 * PNG at most 20000 pixels a side; dpi in [10, 2400] (ignored for vector formats). */
gboolean          ss_fig_export           (SsFigKind kind, const void *fig, const char *path,
                                           SsFigFormat format, double width_pt,
                                           double height_pt, double dpi_for_png,
                                           const SsFigStyle *style, GError **error);
/* Renders fig to a new ARGB32 image surface of width × height pixels, one user unit = one
 * pixel (the widget's and the tests' view).
 * Returns: (transfer full): free with cairo_surface_destroy. */
cairo_surface_t  *ss_fig_render_image     (SsFigKind kind, const void *fig, int width,
                                           int height, const SsFigStyle *style);

/* Writes the CSV of fig (the class's csv) to path atomically. */
gboolean          ss_fig_write_csv        (SsFigKind kind, const void *fig, const char *path,
                                           GError **error);

/* The figures' CSV fields (ss-csv.h: shortest exact numbers, NaN as an empty field, text quoted
 * per RFC 4180), each followed by a comma, or a line break when it is the last of its row. */
void              ss_fig_csv_number       (GString *out, double v, gboolean last);
void              ss_fig_csv_text         (GString *out, const char *text, gboolean last);

G_END_DECLS
