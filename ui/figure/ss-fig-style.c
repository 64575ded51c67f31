/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-style.h"

#include "ss-error.h"

/* DejaVu Sans ships with Debian (fonts-dejavu-core, pulled in by fontconfig), so a PDF made on
 * one machine embeds the same font as on another; fontconfig falls back when it is missing. */
#define SS_FIG_FONT "DejaVu Sans"

#define RGB(r, g, b) { (r) / 255.0, (g) / 255.0, (b) / 255.0, 1.0 }

/* Okabe & Ito's eight colours, except their yellow (#F0E442), which vanishes on white paper,
 * darkened to #B8A000; black stays, for the seventh category. */
#define OKABE_ITO                                                                              \
  { RGB (0x00, 0x72, 0xB2),   /* blue */                                                       \
    RGB (0xD5, 0x5E, 0x00),   /* vermillion */                                                 \
    RGB (0x00, 0x9E, 0x73),   /* bluish green */                                               \
    RGB (0xE6, 0x9F, 0x00),   /* orange */                                                     \
    RGB (0xCC, 0x79, 0xA7),   /* reddish purple */                                             \
    RGB (0x56, 0xB4, 0xE9),   /* sky blue */                                                   \
    RGB (0x00, 0x00, 0x00),   /* black */                                                      \
    RGB (0xB8, 0xA0, 0x00) }  /* yellow, darkened */

/* The presets share black on white with a light grid and Okabe & Ito's colours; they differ
 * in sizes only: points on paper, logical pixels on a screen. */
#define BLACK_ON_WHITE                                                                         \
  .font_family = SS_FIG_FONT, .grid = TRUE, .foreground = { 0.0, 0.0, 0.0, 1.0 },             \
  .background = { 1.0, 1.0, 1.0, 1.0 }, .grid_color = { 0.0, 0.0, 0.0, 0.12 },                \
  .palette = OKABE_ITO

enum { PAPER, SCREEN };

static const struct {
  const char *name;
  SsFigStyle  style;
} presets[] = {
  [PAPER] = { "paper", { BLACK_ON_WHITE,
                         .font_size = 7.0, .label_font_size = 8.0, .title_font_size = 8.0,
                         .line_width = 0.75, .axis_line_width = 0.5, .grid_line_width = 0.4,
                         .marker_size = 3.0, .tick_length = 2.5, .padding = 3.0 } },
  [SCREEN] = { "screen", { BLACK_ON_WHITE,
                           .font_size = 11.0, .label_font_size = 12.0, .title_font_size = 13.0,
                           .line_width = 1.5, .axis_line_width = 1.0, .grid_line_width = 1.0,
                           .marker_size = 6.0, .tick_length = 4.0, .padding = 8.0 } },
};

void
ss_fig_style_init_paper (SsFigStyle *style)
{
  g_return_if_fail (style != NULL);

  *style = presets[PAPER].style;
}

void
ss_fig_style_init_screen (SsFigStyle *style)
{
  g_return_if_fail (style != NULL);

  *style = presets[SCREEN].style;
}

gboolean
ss_fig_style_init_from_name (SsFigStyle *style,
                             const char *name,
                             GError    **error)
{
  g_return_val_if_fail (style != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (name, presets[i].name) == 0)
      {
        *style = presets[i].style;
        return TRUE;
      }
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "unknown figure style “%s” (known: paper, screen)", name);
  return FALSE;
}

const SsFigStyle *
ss_fig_style_resolve (const SsFigStyle *style,
                      SsFigStyle       *storage)
{
  if (style != NULL)
    return style;
  ss_fig_style_init_screen (storage);
  return storage;
}

void
ss_fig_palette_color (guint      index,
                      SsFigRgba *color)
{
  g_return_if_fail (color != NULL);

  *color = presets[PAPER].style.palette[index % SS_FIG_PALETTE_SIZE];
}

SsFigMarker
ss_fig_palette_marker (guint index)
{
  return (SsFigMarker) ((index / SS_FIG_PALETTE_SIZE) % 4);
}

G_STATIC_ASSERT (G_N_ELEMENTS (((SsFigStyle *) NULL)->palette) == SS_FIG_PALETTE_SIZE);

void
ss_fig_style_series_color (const SsFigStyle *style,
                           guint             index,
                           SsFigRgba        *color)
{
  g_return_if_fail (style != NULL && color != NULL);

  *color = style->palette[index % SS_FIG_PALETTE_SIZE];
}
