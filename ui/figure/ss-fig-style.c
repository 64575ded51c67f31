/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-style.h"

#include "ss-error.h"

/* DejaVu Sans ships with Debian (fonts-dejavu-core, pulled in by fontconfig), so a PDF made on
 * one machine embeds the same font as on another; fontconfig falls back when it is missing. */
#define SS_FIG_FONT "DejaVu Sans"

static void
style_init_colors (SsFigStyle *style)
{
  style->foreground = (SsFigRgba) { 0.0, 0.0, 0.0, 1.0 };
  style->background = (SsFigRgba) { 1.0, 1.0, 1.0, 1.0 };
  style->grid_color = (SsFigRgba) { 0.0, 0.0, 0.0, 0.12 };
  style->grid = TRUE;
}

void
ss_fig_style_init_paper (SsFigStyle *style)
{
  g_return_if_fail (style != NULL);

  style->font_family = SS_FIG_FONT;
  style->font_size = 7.0;
  style->label_font_size = 8.0;
  style->title_font_size = 8.0;
  style->line_width = 0.75;
  style->axis_line_width = 0.5;
  style->grid_line_width = 0.4;
  style->marker_size = 3.0;
  style->tick_length = 2.5;
  style->padding = 3.0;
  style_init_colors (style);
}

void
ss_fig_style_init_screen (SsFigStyle *style)
{
  g_return_if_fail (style != NULL);

  style->font_family = SS_FIG_FONT;
  style->font_size = 11.0;
  style->label_font_size = 12.0;
  style->title_font_size = 13.0;
  style->line_width = 1.5;
  style->axis_line_width = 1.0;
  style->grid_line_width = 1.0;
  style->marker_size = 6.0;
  style->tick_length = 4.0;
  style->padding = 8.0;
  style_init_colors (style);
}

gboolean
ss_fig_style_init_from_name (SsFigStyle *style,
                             const char *name,
                             GError    **error)
{
  g_return_val_if_fail (style != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (g_strcmp0 (name, "paper") == 0)
    ss_fig_style_init_paper (style);
  else if (g_strcmp0 (name, "screen") == 0)
    ss_fig_style_init_screen (style);
  else
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "unknown figure style “%s” (known: paper, screen)", name);
      return FALSE;
    }
  return TRUE;
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

/* Okabe & Ito's eight colours, except their yellow (#F0E442), which vanishes on white paper,
 * darkened to #B8A000; black stays, for the seventh category. */
static const guint8 palette[SS_FIG_PALETTE_SIZE][3] = {
  { 0x00, 0x72, 0xB2 },   /* blue */
  { 0xD5, 0x5E, 0x00 },   /* vermillion */
  { 0x00, 0x9E, 0x73 },   /* bluish green */
  { 0xE6, 0x9F, 0x00 },   /* orange */
  { 0xCC, 0x79, 0xA7 },   /* reddish purple */
  { 0x56, 0xB4, 0xE9 },   /* sky blue */
  { 0x00, 0x00, 0x00 },   /* black */
  { 0xB8, 0xA0, 0x00 },   /* yellow, darkened */
};

void
ss_fig_palette_color (guint      index,
                      SsFigRgba *color)
{
  const guint8 *c = palette[index % SS_FIG_PALETTE_SIZE];

  g_return_if_fail (color != NULL);

  *color = (SsFigRgba) { c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, 1.0 };
}

SsFigMarker
ss_fig_palette_marker (guint index)
{
  return (SsFigMarker) ((index / SS_FIG_PALETTE_SIZE) % 4);
}
