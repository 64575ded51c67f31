/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-fig-heatmaps.h"

#include <math.h>
#include <string.h>

#include "ss-colormap.h"
#include "ss-error.h"
#include "ss-fig-axes.h"
#include "ss-fig-export.h"
#include "ss-heatmap.h"
#include "ss-resize.h"

/* Legend: C, H, W the input's channels and size; (h, w) a layer map's size. */

typedef struct {
  float           *map;    /* (h, w), owned; NULL: no map */
  int              h, w;
  float           *up;     /* (H, W), owned: map resized to the input and clamped to [0, 1] */
  cairo_surface_t *tile;   /* owned: the input with up overlaid */
} HmCell;

typedef struct {
  char            *label;  /* owned, may be NULL */
  SsImage         *input;  /* owned, RGB (H, W, 3) */
  cairo_surface_t *tile;   /* owned: input alone */
  GArray          *cells;  /* of HmCell, one per column (may be shorter: no map) */
} HmSample;

struct _SsFigHeatmaps {
  int               c, h, w;
  GPtrArray        *titles;          /* of char *, owned */
  GPtrArray        *samples;         /* of HmSample *, owned */
  const SsColormap *cmap;            /* static */
  double            alpha;
  gboolean          show_input;
  char             *input_title;     /* owned */
  char             *colorbar_label;  /* owned markup */
};

typedef struct {
  double   x0, y0;         /* top-left of the first cell */
  double   cell, gap;
  int      n_cols, n_rows; /* n_cols includes the input column */
  gboolean rotate_titles;
  double   title_y;        /* baseline area of the titles: their bottom edge */
  double   bar_x, bar_w;   /* the colour bar */
  double   bar_label_x;
} HmLayout;

/* The colour bar's ticks: the map's range. */
static const SsFigTicks bar_ticks = { 0.0, 1.0, 0.5, 3, { 0.0, 0.5, 1.0 } };

static void
hm_cell_clear (gpointer data)
{
  HmCell *cell = data;

  g_free (cell->map);
  g_free (cell->up);
  g_clear_pointer (&cell->tile, cairo_surface_destroy);
}

static void
hm_sample_free (gpointer data)
{
  HmSample *s = data;

  g_free (s->label);
  ss_image_free (s->input);
  cairo_surface_destroy (s->tile);
  g_array_unref (s->cells);
  g_free (s);
}

SsFigHeatmaps *
ss_fig_heatmaps_new (int c,
                     int h,
                     int w)
{
  SsFigHeatmaps *fig;

  g_return_val_if_fail (c == 1 || c == 3, NULL);
  g_return_val_if_fail (ss_image_size_ok ((guint64) MAX (w, 0), (guint64) MAX (h, 0)), NULL);

  fig = g_new0 (SsFigHeatmaps, 1);
  fig->c = c;
  fig->h = h;
  fig->w = w;
  fig->titles = g_ptr_array_new_with_free_func (g_free);
  fig->samples = g_ptr_array_new_with_free_func (hm_sample_free);
  fig->cmap = ss_colormap_lookup (SS_COLORMAP_DEFAULT, NULL);
  fig->alpha = 0.5;
  fig->show_input = TRUE;
  fig->input_title = g_strdup ("input");
  fig->colorbar_label = g_strdup ("Grad-CAM");
  return fig;
}

void
ss_fig_heatmaps_free (SsFigHeatmaps *fig)
{
  if (fig == NULL)
    return;
  g_ptr_array_unref (fig->titles);
  g_ptr_array_unref (fig->samples);
  g_free (fig->input_title);
  g_free (fig->colorbar_label);
  g_free (fig);
}

/* An opaque cairo surface with image's pixels (RGB). */
static cairo_surface_t *
surface_from_image (const SsImage *image)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, image->width,
                                                         image->height);
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  cairo_surface_flush (surface);
  for (int y = 0; y < image->height; y++)
    {
      guint32 *row = (guint32 *) (void *) (data + (gsize) y * (gsize) stride);
      for (int x = 0; x < image->width; x++)
        {
          const guint8 *p = ss_image_pixel (image, x, y);
          row[x] = 0xff000000u | (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

static void
update_tile (const SsFigHeatmaps *fig,
             const HmSample      *sample,
             HmCell              *cell)
{
  g_autoptr(SsImage) blended = NULL;

  g_clear_pointer (&cell->tile, cairo_surface_destroy);
  if (cell->up == NULL)
    return;
  blended = ss_heatmap_overlay (sample->input, cell->up, fig->cmap, (float) fig->alpha);
  cell->tile = surface_from_image (blended);
}

static void
update_all_tiles (SsFigHeatmaps *fig)
{
  for (guint i = 0; i < fig->samples->len; i++)
    {
      HmSample *s = g_ptr_array_index (fig->samples, i);
      for (guint j = 0; j < s->cells->len; j++)
        update_tile (fig, s, &g_array_index (s->cells, HmCell, j));
    }
}

int
ss_fig_heatmaps_add_column (SsFigHeatmaps *fig,
                            const char    *title)
{
  g_return_val_if_fail (fig != NULL, -1);

  g_ptr_array_add (fig->titles, g_strdup (title != NULL ? title : ""));
  return (int) fig->titles->len - 1;
}

int
ss_fig_heatmaps_add_sample (SsFigHeatmaps *fig,
                            const float   *input,
                            const char    *label)
{
  HmSample *s;

  g_return_val_if_fail (fig != NULL && input != NULL, -1);

  s = g_new0 (HmSample, 1);
  s->label = g_strdup (label);
  {
    g_autoptr(SsImage) image = ss_heatmap_image_from_floats (input, fig->c, fig->h, fig->w);
    s->input = ss_image_to_rgb (image);
  }
  s->tile = surface_from_image (s->input);
  s->cells = g_array_new (FALSE, TRUE, sizeof (HmCell));
  g_array_set_clear_func (s->cells, hm_cell_clear);
  g_ptr_array_add (fig->samples, s);
  return (int) fig->samples->len - 1;
}

void
ss_fig_heatmaps_set_map (SsFigHeatmaps *fig,
                         int            sample,
                         int            column,
                         const float   *map,
                         int            h,
                         int            w)
{
  HmSample *s;
  HmCell *cell;
  gsize n_up;

  g_return_if_fail (fig != NULL && map != NULL);
  g_return_if_fail (sample >= 0 && sample < (int) fig->samples->len);
  g_return_if_fail (column >= 0 && column < (int) fig->titles->len);
  g_return_if_fail (ss_image_size_ok ((guint64) MAX (w, 0), (guint64) MAX (h, 0)));

  s = g_ptr_array_index (fig->samples, sample);
  if ((int) s->cells->len <= column)
    g_array_set_size (s->cells, (guint) column + 1);
  cell = &g_array_index (s->cells, HmCell, column);
  hm_cell_clear (cell);
  cell->h = h;
  cell->w = w;
  cell->map = g_memdup2 (map, (gsize) h * (gsize) w * sizeof (float));
  n_up = (gsize) fig->h * (gsize) fig->w;
  cell->up = g_new (float, n_up);
  /* As ss_gradcam_upsample: bilinear with half-pixel centres, then clamped, since float
   * weights can overshoot 1 by an ulp. */
  ss_resize_bilinear (cell->up, fig->h, fig->w, cell->map, h, w);
  for (gsize i = 0; i < n_up; i++)
    cell->up[i] = CLAMP (cell->up[i], 0.0f, 1.0f);
  update_tile (fig, s, cell);
}

gboolean
ss_fig_heatmaps_set_colormap (SsFigHeatmaps *fig,
                              const char    *name,
                              GError       **error)
{
  const SsColormap *cmap;

  g_return_val_if_fail (fig != NULL && name != NULL, FALSE);

  cmap = ss_colormap_lookup (name, error);
  if (cmap == NULL)
    return FALSE;
  fig->cmap = cmap;
  update_all_tiles (fig);
  return TRUE;
}

void
ss_fig_heatmaps_set_alpha (SsFigHeatmaps *fig,
                           double         alpha)
{
  g_return_if_fail (fig != NULL);

  fig->alpha = isnan (alpha) ? 0.5 : CLAMP (alpha, 0.0, 1.0);
  update_all_tiles (fig);
}

void
ss_fig_heatmaps_set_show_input (SsFigHeatmaps *fig,
                                gboolean       show)
{
  g_return_if_fail (fig != NULL);

  fig->show_input = show;
}

void
ss_fig_heatmaps_set_input_title (SsFigHeatmaps *fig,
                                 const char    *title)
{
  g_return_if_fail (fig != NULL);

  g_free (fig->input_title);
  fig->input_title = g_strdup (title != NULL ? title : "");
}

void
ss_fig_heatmaps_set_colorbar_label (SsFigHeatmaps *fig,
                                    const char    *label)
{
  g_return_if_fail (fig != NULL);

  g_free (fig->colorbar_label);
  fig->colorbar_label = label != NULL ? g_markup_escape_text (label, -1) : NULL;
}

int
ss_fig_heatmaps_get_n_samples (const SsFigHeatmaps *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return (int) fig->samples->len;
}

int
ss_fig_heatmaps_get_n_columns (const SsFigHeatmaps *fig)
{
  g_return_val_if_fail (fig != NULL, 0);

  return (int) fig->titles->len;
}

/* The title of drawn column col (0 = the input column when it is shown). */
static const char *
column_title (const SsFigHeatmaps *fig,
              int                  col)
{
  if (fig->show_input)
    return col == 0 ? fig->input_title : g_ptr_array_index (fig->titles, col - 1);
  return g_ptr_array_index (fig->titles, col);
}

static void
hm_layout (const SsFigHeatmaps *fig,
           cairo_t             *cr,
           double               width,
           double               height,
           const SsFigStyle    *style,
           HmLayout            *lay)
{
  double pad = style->padding, text_h, widest_title = 0.0, row_label_w = 0.0, title_h;
  double label_h = 0.0, avail_w, avail_h, block_w, block_h;

  memset (lay, 0, sizeof *lay);
  lay->n_cols = MAX ((int) fig->titles->len + (fig->show_input ? 1 : 0), 1);
  lay->n_rows = MAX ((int) fig->samples->len, 1);
  lay->gap = MAX (1.0, 0.2 * style->font_size);
  ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, "Ag", NULL, &text_h);
  for (int c = 0; c < (int) fig->titles->len + (fig->show_input ? 1 : 0); c++)
    {
      double tw;
      ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, column_title (fig, c), &tw, NULL);
      widest_title = MAX (widest_title, tw);
    }
  for (guint i = 0; i < fig->samples->len; i++)
    {
      const HmSample *s = g_ptr_array_index (fig->samples, i);
      double tw;

      if (s->label == NULL)
        continue;
      ss_fig_text_size (cr, style, SS_FIG_TEXT_TICK, FALSE, s->label, &tw, NULL);
      row_label_w = MAX (row_label_w, tw + 0.5 * style->font_size);
    }

  /* Colour bar: the bar, its ticks and labels, and its rotated label. */
  lay->bar_w = 0.9 * style->font_size;
  if (fig->colorbar_label != NULL)
    ss_fig_text_size (cr, style, SS_FIG_TEXT_LABEL, TRUE, fig->colorbar_label, NULL, &label_h);
  block_w = style->font_size + lay->bar_w + style->tick_length + 0.35 * style->font_size
            + ss_fig_y_ticks_width (cr, style, &bar_ticks) + label_h;

  /* Cells are square: the smaller of the sizes the width and the height allow, first with
   * horizontal titles, then with rotated ones if the titles do not fit. */
  avail_w = width - 2 * pad - row_label_w - block_w - (lay->n_cols - 1) * lay->gap;
  for (int attempt = 0; attempt < 2; attempt++)
    {
      title_h = lay->rotate_titles ? (widest_title + text_h) * G_SQRT2 / 2 : text_h;
      avail_h = height - 2 * pad - title_h - 0.3 * style->font_size
                - (lay->n_rows - 1) * lay->gap;
      lay->cell = MAX (1.0, MIN (avail_w / lay->n_cols, avail_h / lay->n_rows));
      if (lay->rotate_titles || widest_title <= lay->cell + lay->gap)
        break;
      lay->rotate_titles = TRUE;
    }

  /* The grid, its labels and the colour bar are centred in the figure both ways. */
  block_w += row_label_w + lay->n_cols * lay->cell + (lay->n_cols - 1) * lay->gap;
  block_h = title_h + 0.3 * style->font_size + lay->n_rows * lay->cell
            + (lay->n_rows - 1) * lay->gap;
  lay->x0 = 0.5 * (width - block_w) + row_label_w;
  lay->y0 = MAX (pad, 0.5 * (height - block_h)) + title_h + 0.3 * style->font_size;
  lay->title_y = lay->y0 - 0.3 * style->font_size;
  lay->bar_x = lay->x0 + lay->n_cols * lay->cell + (lay->n_cols - 1) * lay->gap
               + style->font_size;
  lay->bar_label_x = lay->x0 - row_label_w + block_w - 0.5 * label_h;
}

static void
cell_origin (const HmLayout *lay,
             int             row,
             int             col,
             double         *x,
             double         *y)
{
  *x = lay->x0 + col * (lay->cell + lay->gap);
  *y = lay->y0 + row * (lay->cell + lay->gap);
}

/* Paints tile (W × H) scaled into the size × size square at (x, y), pixels kept square and
 * flat. */
static void
paint_tile (cairo_t         *cr,
            cairo_surface_t *tile,
            double           x,
            double           y,
            double           size)
{
  cairo_pattern_t *pattern;

  cairo_save (cr);
  cairo_rectangle (cr, x, y, size, size);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, size / cairo_image_surface_get_width (tile),
               size / cairo_image_surface_get_height (tile));
  cairo_set_source_surface (cr, tile, 0, 0);
  pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
}

static void
draw_colorbar (const SsFigHeatmaps *fig,
               cairo_t             *cr,
               const SsFigStyle    *style,
               const HmLayout      *lay)
{
  const guint8 *table = ss_colormap_get_table (fig->cmap);
  g_autoptr(SsImage) strip = ss_image_new (1, SS_COLORMAP_SIZE, 3);
  cairo_surface_t *surface;
  double bar_h = lay->n_rows * lay->cell + (lay->n_rows - 1) * lay->gap;
  SsFigFrame frame = { lay->bar_x + lay->bar_w, lay->y0, lay->bar_x + lay->bar_w,
                       lay->y0 + bar_h, 0.0, 1.0, 0.0, 1.0 };

  /* Row 0 of the strip is the top of the bar: value 1. */
  for (int i = 0; i < SS_COLORMAP_SIZE; i++)
    memcpy (ss_image_pixel (strip, 0, i), table + 3 * (SS_COLORMAP_SIZE - 1 - i), 3);
  surface = surface_from_image (strip);
  cairo_save (cr);
  cairo_rectangle (cr, lay->bar_x, lay->y0, lay->bar_w, bar_h);
  cairo_clip (cr);
  cairo_translate (cr, lay->bar_x, lay->y0);
  cairo_scale (cr, lay->bar_w, bar_h / SS_COLORMAP_SIZE);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (surface);

  cairo_save (cr);
  cairo_set_line_width (cr, style->axis_line_width);
  ss_fig_set_color (cr, &style->foreground);
  cairo_rectangle (cr, lay->bar_x, lay->y0, lay->bar_w, bar_h);
  for (int i = 0; i < bar_ticks.n; i++)
    {
      double y = ss_fig_frame_y (&frame, bar_ticks.values[i]);
      cairo_move_to (cr, frame.left, y);
      cairo_line_to (cr, frame.left + style->tick_length, y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
  for (int i = 0; i < bar_ticks.n; i++)
    {
      g_autofree char *text = ss_fig_format_tick (bar_ticks.values[i], bar_ticks.step);
      ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, text,
                        frame.left + style->tick_length + 0.35 * style->font_size,
                        ss_fig_frame_y (&frame, bar_ticks.values[i]), 0.0, 0.5, 0.0);
    }
  if (fig->colorbar_label != NULL)
    ss_fig_text_draw (cr, style, SS_FIG_TEXT_LABEL, TRUE, fig->colorbar_label,
                      lay->bar_label_x, lay->y0 + 0.5 * bar_h, 0.5, 0.5, G_PI / 2);
}

void
ss_fig_heatmaps_draw (const SsFigHeatmaps *fig,
                      cairo_t             *cr,
                      double               width,
                      double               height,
                      const SsFigStyle    *style)
{
  SsFigStyle storage;
  HmLayout lay;
  int n_titles;

  g_return_if_fail (fig != NULL && cr != NULL);

  style = ss_fig_style_resolve (style, &storage);
  cairo_save (cr);
  ss_fig_draw_background (cr, style, width, height);
  hm_layout (fig, cr, width, height, style, &lay);

  n_titles = (int) fig->titles->len + (fig->show_input ? 1 : 0);
  for (int c = 0; c < n_titles; c++)
    {
      double x, y;
      cell_origin (&lay, 0, c, &x, &y);
      if (lay.rotate_titles)
        ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, column_title (fig, c),
                          x + 0.5 * lay.cell, lay.title_y, 0.0, 1.0, G_PI / 4);
      else
        ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, column_title (fig, c),
                          x + 0.5 * lay.cell, lay.title_y, 0.5, 1.0, 0.0);
    }

  for (guint r = 0; r < fig->samples->len; r++)
    {
      const HmSample *s = g_ptr_array_index (fig->samples, r);
      double x, y;

      cell_origin (&lay, (int) r, 0, &x, &y);
      if (s->label != NULL)
        ss_fig_text_draw (cr, style, SS_FIG_TEXT_TICK, FALSE, s->label,
                          x - 0.5 * style->font_size, y + 0.5 * lay.cell, 1.0, 0.5, 0.0);
      if (fig->show_input)
        paint_tile (cr, s->tile, x, y, lay.cell);
      for (guint c = 0; c < fig->titles->len; c++)
        {
          const HmCell *cell = c < s->cells->len ? &g_array_index (s->cells, HmCell, c) : NULL;

          cell_origin (&lay, (int) r, (int) c + (fig->show_input ? 1 : 0), &x, &y);
          paint_tile (cr, cell != NULL && cell->tile != NULL ? cell->tile : s->tile, x, y,
                      lay.cell);
        }
    }
  draw_colorbar (fig, cr, style, &lay);
  cairo_restore (cr);
}

gboolean
ss_fig_heatmaps_cell_rect (const SsFigHeatmaps *fig,
                           double               width,
                           double               height,
                           const SsFigStyle    *style,
                           int                  sample,
                           int                  column,
                           double              *x,
                           double              *y,
                           double              *w,
                           double              *h)
{
  SsFigStyle storage;
  HmLayout lay;
  cairo_t *cr;
  double cx, cy;

  g_return_val_if_fail (fig != NULL, FALSE);

  if (sample < 0 || sample >= (int) fig->samples->len || column < -1
      || column >= (int) fig->titles->len || (column == -1 && !fig->show_input))
    return FALSE;
  style = ss_fig_style_resolve (style, &storage);
  cr = ss_fig_measure_context_new ();
  hm_layout (fig, cr, width, height, style, &lay);
  cairo_destroy (cr);
  cell_origin (&lay, sample, column + (fig->show_input ? 1 : 0), &cx, &cy);
  if (x != NULL)
    *x = cx;
  if (y != NULL)
    *y = cy;
  if (w != NULL)
    *w = lay.cell;
  if (h != NULL)
    *h = lay.cell;
  return TRUE;
}

gboolean
ss_fig_heatmaps_hit (const SsFigHeatmaps *fig,
                     double               width,
                     double               height,
                     const SsFigStyle    *style,
                     double               x,
                     double               y,
                     int                 *sample,
                     int                 *column)
{
  SsFigStyle storage;
  HmLayout lay;
  cairo_t *cr;
  double fx, fy;
  int col, row, n_drawn;

  g_return_val_if_fail (fig != NULL, FALSE);

  style = ss_fig_style_resolve (style, &storage);
  cr = ss_fig_measure_context_new ();
  hm_layout (fig, cr, width, height, style, &lay);
  cairo_destroy (cr);
  fx = (x - lay.x0) / (lay.cell + lay.gap);
  fy = (y - lay.y0) / (lay.cell + lay.gap);
  if (!(fx >= 0.0 && fy >= 0.0))
    return FALSE;
  col = (int) fx;
  row = (int) fy;
  n_drawn = (int) fig->titles->len + (fig->show_input ? 1 : 0);
  /* Inside a cell, not in the gap after it. */
  if (col >= n_drawn || row >= (int) fig->samples->len
      || (fx - col) * (lay.cell + lay.gap) >= lay.cell
      || (fy - row) * (lay.cell + lay.gap) >= lay.cell)
    return FALSE;
  if (sample != NULL)
    *sample = row;
  if (column != NULL)
    *column = col - (fig->show_input ? 1 : 0);
  return TRUE;
}

void
ss_fig_heatmaps_csv (const SsFigHeatmaps *fig,
                     GString             *out)
{
  g_return_if_fail (fig != NULL && out != NULL);

  g_string_append (out, "sample,label,column,title,i,j,value\n");
  for (guint r = 0; r < fig->samples->len; r++)
    {
      const HmSample *s = g_ptr_array_index (fig->samples, r);

      for (guint c = 0; c < s->cells->len; c++)
        {
          const HmCell *cell = &g_array_index (s->cells, HmCell, c);

          for (int i = 0; cell->map != NULL && i < cell->h; i++)
            for (int j = 0; j < cell->w; j++)
              {
                g_string_append_printf (out, "%u,", r);
                ss_fig_csv_text (out, s->label, FALSE);
                g_string_append_printf (out, "%u,", c);
                ss_fig_csv_text (out, g_ptr_array_index (fig->titles, c), FALSE);
                g_string_append_printf (out, "%d,%d,", i, j);
                ss_fig_csv_number (out, cell->map[i * cell->w + j], TRUE);
              }
        }
    }
}

gboolean
ss_fig_heatmaps_write_csv (const SsFigHeatmaps *fig,
                           const char          *path,
                           GError             **error)
{
  return ss_fig_write_csv (SS_FIG_HEATMAPS, fig, path, error);
}
