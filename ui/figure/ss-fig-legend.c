/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-legend.h"

#include "ss-fig-axes.h"

/* Sizes of one legend row: the swatch's width, the gap after it, and the row height. */
static void
legend_metrics (cairo_t          *cr,
                const SsFigStyle *style,
                double           *swatch_w,
                double           *gap,
                double           *row_h)
{
  double h;

  ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, "Ag", NULL, &h);
  *swatch_w = 1.8 * style->font_size;
  *gap = 0.4 * style->font_size;
  *row_h = 1.1 * h;
}

void
ss_fig_legend_size (cairo_t                *cr,
                    const SsFigStyle       *style,
                    const SsFigLegendEntry *entries,
                    int                     n,
                    int                     max_rows,
                    double                 *w,
                    double                 *h)
{
  double swatch_w, gap, row_h, total = 0.0;
  int rows = max_rows <= 0 ? MAX (n, 1) : MIN (max_rows, MAX (n, 1));
  int columns = (n + rows - 1) / rows;

  legend_metrics (cr, style, &swatch_w, &gap, &row_h);
  for (int c = 0; c < columns; c++)
    {
      double widest = 0.0;
      for (int i = c * rows; i < MIN (n, (c + 1) * rows); i++)
        {
          double tw;
          ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, entries[i].label, &tw, NULL);
          widest = MAX (widest, tw);
        }
      total += swatch_w + gap + widest + (c > 0 ? 2 * gap : 0.0);
    }
  *w = n > 0 ? total : 0.0;
  *h = n > 0 ? rows * row_h : 0.0;
}

static void
draw_swatch (cairo_t                *cr,
             const SsFigStyle       *style,
             const SsFigLegendEntry *entry,
             double                  x,
             double                  yc,
             double                  w)
{
  double box = 0.8 * style->font_size;

  cairo_save (cr);
  switch (entry->swatch)
    {
    case SS_FIG_LEGEND_BOX:
      cairo_rectangle (cr, x + 0.5 * (w - box), yc - 0.5 * box, box, box);
      ss_fig_set_color (cr, &entry->color);
      cairo_fill (cr);
      break;
    case SS_FIG_LEGEND_HATCH:
      ss_fig_draw_hatched_rect (cr, style, x + 0.5 * (w - box), yc - 0.5 * box, box, box,
                                &entry->color);
      break;
    case SS_FIG_LEGEND_TICK:
      cairo_set_line_width (cr, 1.5 * style->line_width);
      ss_fig_set_color (cr, &entry->color);
      ss_fig_stroke_line (cr, x + 0.2 * w, yc, x + 0.8 * w, yc);
      break;
    case SS_FIG_LEGEND_LINE:
    default:
      cairo_set_line_width (cr, style->line_width);
      ss_fig_set_color (cr, &entry->color);
      ss_fig_stroke_line (cr, x, yc, x + w, yc);
      ss_fig_draw_marker (cr, style, entry->marker, x + 0.5 * w, yc, style->marker_size,
                          &entry->color, FALSE);
      break;
    }
  cairo_restore (cr);
}

void
ss_fig_legend_draw (cairo_t                *cr,
                    const SsFigStyle       *style,
                    const SsFigLegendEntry *entries,
                    int                     n,
                    int                     max_rows,
                    double                  x,
                    double                  y)
{
  double swatch_w, gap, row_h;
  int rows = max_rows <= 0 ? MAX (n, 1) : MIN (max_rows, MAX (n, 1));

  legend_metrics (cr, style, &swatch_w, &gap, &row_h);
  for (int c = 0; c * rows < n; c++)
    {
      double widest = 0.0;
      for (int i = c * rows; i < MIN (n, (c + 1) * rows); i++)
        {
          double yc = y + (i - c * rows + 0.5) * row_h;
          double tw;

          draw_swatch (cr, style, &entries[i], x, yc, swatch_w);
          ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, entries[i].label,
                            x + swatch_w + gap, yc, 0.0, 0.5, 0.0);
          ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, entries[i].label, &tw, NULL);
          widest = MAX (widest, tw);
        }
      x += swatch_w + 3 * gap + widest;
    }
}

void
ss_fig_legend_line_entry (SsFigLegendEntry *entry,
                          const SsFigStyle *style,
                          guint             index,
                          const char       *label)
{
  *entry = (SsFigLegendEntry) { label, SS_FIG_LEGEND_LINE, { 0 }, ss_fig_palette_marker (index) };
  ss_fig_style_series_color (style, index, &entry->color);
}
