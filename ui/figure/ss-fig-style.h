/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The look shared by every figure: fonts, line widths, colours and the categorical palette.
 *
 * Units.  Figures draw in cairo user units and every length in a style is in those units.  The
 * exporter (ss-fig-export.h) sets one user unit to one typographic point (1/72 in) for PDF, SVG
 * and PNG at any dpi, so the "paper" preset's 8 pt text really is 8 pt on the page.  A GTK
 * widget draws with one user unit = one logical pixel, for which the "screen" preset is made.
 *
 * A style is a plain struct: copy it, change a field, pass a pointer.  font_family is borrowed
 * (the presets point it to a static string). */

#include <glib.h>

G_BEGIN_DECLS

/* Points per millimetre: a two-column paper's single column is 85 mm = 241 pt wide. */
#define SS_FIG_PT_PER_MM (72.0 / 25.4)

typedef struct {
  double r, g, b, a;   /* each in [0, 1], not premultiplied */
} SsFigRgba;

typedef struct {
  const char *font_family;      /* a fontconfig family, e.g. "DejaVu Sans"; borrowed */
  double      font_size;        /* tick labels, legends, column titles */
  double      label_font_size;  /* axis labels */
  double      title_font_size;  /* figure titles */
  double      line_width;       /* data lines (curves, trajectories, error bars) */
  double      axis_line_width;  /* axis spines and ticks */
  double      grid_line_width;  /* light horizontal grid lines */
  double      marker_size;      /* diameter of point markers */
  double      tick_length;
  double      padding;          /* blank margin around the whole figure */
  gboolean    grid;             /* draw grid lines at the major y ticks */
  SsFigRgba   foreground;       /* axes, ticks and text */
  SsFigRgba   background;       /* filled behind everything; alpha 0 leaves it transparent */
  SsFigRgba   grid_color;
  /* The categorical colours, series i taking palette[i mod SS_FIG_PALETTE_SIZE]: the presets
   * copy ss_fig_palette_color's; a dark screen swaps in colours that show on dark. */
  SsFigRgba   palette[8];
} SsFigStyle;

/* For two-column papers, one user unit = 1 pt: 8 pt text (7 pt ticks), 0.75 pt data lines,
 * 0.5 pt axes, white background, black text. */
void     ss_fig_style_init_paper     (SsFigStyle *style);
/* For screens, one user unit = 1 logical pixel: 12 px text, 1.5 px lines, white background. */
void     ss_fig_style_init_screen    (SsFigStyle *style);
/* The preset named name, "paper" or "screen"; anything else is an SS_ERROR_ARGUMENT error
 * listing the names (style is then left untouched). */
gboolean ss_fig_style_init_from_name (SsFigStyle *style, const char *name, GError **error);
/* style, or when it is NULL the "screen" preset written into storage: what every draw function
 * does with its style argument.  Returns: (transfer none): style or storage. */
const SsFigStyle *ss_fig_style_resolve (const SsFigStyle *style, SsFigStyle *storage);

/* The colour-blind-safe categorical palette (Okabe & Ito 2008, "Color Universal Design"):
 * blue, vermillion, bluish green, orange, reddish purple, sky blue, black, and a darkened
 * yellow that still shows on white.  Index i takes colour i mod SS_FIG_PALETTE_SIZE. */
#define SS_FIG_PALETTE_SIZE 8
void     ss_fig_palette_color        (guint index, SsFigRgba *color);

/* Point markers.  Categories beyond the palette's size reuse its colours, so series i is drawn
 * with marker ss_fig_palette_marker (i): a circle for the first eight, a square for the next
 * eight, then triangles, diamonds, and around again. */
typedef enum {
  SS_FIG_MARKER_CIRCLE,
  SS_FIG_MARKER_SQUARE,
  SS_FIG_MARKER_TRIANGLE,
  SS_FIG_MARKER_DIAMOND,
} SsFigMarker;

SsFigMarker ss_fig_palette_marker    (guint index);
/* Series index's colour in style: style->palette[index mod SS_FIG_PALETTE_SIZE]. */
void        ss_fig_style_series_color (const SsFigStyle *style, guint index, SsFigRgba *color);

G_END_DECLS
