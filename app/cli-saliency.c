/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-gradcam.h"
#include "ss-heatmap.h"
#include "ss-png.h"

/* supersign-cli saliency: Grad-CAM (and vanilla gradient) heatmaps of chosen samples and layers
 * as PNG figures — each sample's input, each layer's map upsampled and overlaid on it, and one
 * grid of everything (rows: samples; columns: input, vanilla, then the layers), with a CSV that
 * names each tile, since the PNGs carry no text. */

#define TILE_TARGET 224   /* pixels on a tile's longer side */

/* Parses "0,5,7" into indices below limit. Transfer full. */
static GArray *
parse_indices (const char *text,
               gsize       limit,
               GError    **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (int i = 0; parts[i] != NULL; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, limit - 1, &v, NULL))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "--samples: “%s” is not a sample index below %" G_GSIZE_FORMAT,
                       parts[i], limit);
          return NULL;
        }
      g_array_append_val (out, (guint32) { (guint32) v });
    }
  if (out->len == 0 || out->len > 256)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--samples: give 1 to 256 indices");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* The saliency layers to draw: all, or the nodes names (NULL-terminated) holds, resolved by
 * cli_resolve_layers from the --layers text given. Transfer full. */
static GArray *
choose_layers (const SsGradcam    *gc,
               const char *const  *names,
               const char         *given,
               GError            **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto(GStrv) parts = NULL;

  if (names == NULL)
    {
      /* By default only maps with spatial extent: a 1×1 map after flatten is 0 or 1. */
      for (int l = 0; l < ss_gradcam_get_n_layers (gc); l++)
        {
          int h, w;
          ss_gradcam_get_layer_size (gc, l, &h, &w);
          if (h * w > 1)
            g_array_append_val (out, l);
        }
      return g_steal_pointer (&out);
    }
  /* names[i] was resolved from parts[i]. */
  parts = g_strsplit (given, ",", -1);
  for (int i = 0; names[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);
      int found = -1;
      for (int l = 0; l < ss_gradcam_get_n_layers (gc); l++)
        if (g_str_equal (ss_gradcam_get_layer_name (gc, l), names[i]))
          found = l;
      if (found < 0 && g_str_equal (part, names[i]))
        g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                     "--layers: “%s” is not a saliency layer of this model (conv, ReLU, "
                     "pooling or block outputs; see supersign-cli info)", part);
      else if (found < 0)
        g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                     "--layers: the output of module “%s” is layer “%s”, which is not a "
                     "saliency layer of this model (conv, ReLU, pooling or block outputs; see "
                     "supersign-cli info)", part, names[i]);
      if (found < 0)
        return NULL;
      g_array_append_val (out, found);
    }
  return g_steal_pointer (&out);
}

static gboolean
save_tile (const SsImage *tile,
           const char    *dir,
           const char    *name,
           JsonBuilder   *files,
           GError       **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (!ss_png_save (tile, path, error))
    return FALSE;
  json_builder_add_string_value (files, path);
  return TRUE;
}

/* A file-name-safe form of a layer name ("layer1.0.relu2" stays, "/" would not). */
static char *
file_part (const char *name)
{
  char *s = g_strdup (name);
  for (char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  return s;
}

int
cli_saliency (CliOptions *opts,
              int         argc,
              char      **argv)
{
  g_autofree char *samples_text = NULL, *layers_text = NULL, *target_text = NULL;
  g_autofree char *cmap_name = NULL, *out_dir = NULL;
  double alpha = 0.5;
  const GOptionEntry entries[] = {
    { "samples", 's', 0, G_OPTION_ARG_STRING, &samples_text,
      "Test-set sample indices (default 0,1,2,3)", "I,J,…" },
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &layers_text,
      "Saliency layers to draw, by name or PyTorch module path (default: all larger than 1×1)",
      "NAME,…" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &target_text,
      "Class to explain: predicted (default), true, or a class number", "WHICH" },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &cmap_name, "viridis (default) or inferno", "NAME" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Heatmap opacity over the input (0.5)", "A" },
    { "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Folder for the PNGs and grid.csv (default: saliency)", "DIR" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) test = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GArray) samples = NULL, layers = NULL;
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GPtrArray) tiles = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_image_free);
  g_autoptr(GString) csv = g_string_new ("row,column,sample,label,class,layer,kind,map_h,map_w\n");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree float *x = NULL, *mean = NULL, *std = NULL, *up = NULL, *shown = NULL;
  g_autofree SsLabel *labels = NULL;
  g_autofree int *targets = NULL;
  g_autofree char *csv_path = NULL, *grid_path = NULL;
  g_auto(GStrv) layer_names = NULL;
  const SsColormap *cmap;
  const guint8 background[3] = { 255, 255, 255 };
  int c, h, w, n, n_cols, scale;
  gsize in_len;

  if (!cli_parse_options (opts, "saliency", "Grad-CAM heatmaps as PNG", entries, &argc, &argv))
    return 2;
  if (!(alpha >= 0 && alpha <= 1))
    {
      fprintf (stderr, "supersign-cli saliency: --alpha must be between 0 and 1\n");
      return 2;
    }
  if ((cmap = ss_colormap_lookup (cmap_name ? cmap_name : SS_COLORMAP_DEFAULT, &error)) == NULL)
    return cli_fail (error);
  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_check_fits (net, test, &error))
    return cli_fail (error);
  /* Before the maps are computed, so that a typo fails at once. */
  if (layers_text != NULL &&
      (layer_names = cli_resolve_layers (ss_net_get_arch (net), layers_text, "--layers",
                                         "a saliency layer of this model (conv, ReLU, pooling "
                                         "or block outputs; see supersign-cli info)", FALSE,
                                         &error)) == NULL)
    return cli_fail (error);
  if ((samples = parse_indices (samples_text ? samples_text : "0,1,2,3",
                                ss_dataset_get_size (test), &error)) == NULL)
    return cli_fail (error);

  n = (int) samples->len;
  c = ss_dataset_get_channels (test);
  h = ss_dataset_get_height (test);
  w = ss_dataset_get_width (test);
  in_len = (gsize) c * h * w;
  x = g_new (float, (gsize) n * in_len);
  labels = g_new (SsLabel, n);
  ss_dataset_fill_batch (test, x, labels, (guint32 *) samples->data, n, FALSE, NULL);
  if (target_text != NULL && !g_str_equal (target_text, "predicted"))
    {
      targets = g_new (int, n);
      for (int i = 0; i < n; i++)
        {
          guint64 k;
          if (g_str_equal (target_text, "true"))
            targets[i] = labels[i];
          else if (g_ascii_string_to_unsigned (target_text, 10, 0,
                                               ss_dataset_get_n_classes (test) - 1, &k, NULL))
            targets[i] = (int) k;
          else
            {
              fprintf (stderr, "supersign-cli saliency: --target must be predicted, true or a "
                       "class number below %d\n", ss_dataset_get_n_classes (test));
              return 2;
            }
        }
    }
  if ((gc = ss_gradcam_compute (net, x, n, c, h, w, targets, &error)) == NULL ||
      (layers = choose_layers (gc, (const char *const *) layer_names, layers_text,
                               &error)) == NULL)
    return cli_fail (error);

  if (out_dir == NULL)
    out_dir = g_strdup ("saliency");
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      fprintf (stderr, "supersign-cli saliency: cannot create %s: %s\n", out_dir,
               g_strerror (errno));
      return 1;
    }

  mean = g_new (float, c);
  std = g_new (float, c);
  ss_dataset_get_normalization (test, mean, std);
  up = g_new (float, (gsize) h * w);
  shown = g_new (float, in_len);
  scale = ss_heatmap_scale_for (h, w, TILE_TARGET);
  n_cols = 2 + (int) layers->len;

  json_builder_begin_object (b);
  ss_json_add_string (b, "out_dir", out_dir);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    {
      guint32 index = g_array_index (samples, guint32, i);
      int cls = ss_gradcam_get_classes (gc)[i];
      g_autoptr(SsImage) input = NULL;

      /* Undo the normalisation so the tile shows the image as it is. */
      for (int ch = 0; ch < c; ch++)
        for (int p = 0; p < h * w; p++)
          shown[ch * h * w + p] = x[i * in_len + ch * h * w + p] * std[ch] + mean[ch];
      input = ss_heatmap_image_from_floats (shown, c, h, w);

      for (int col = 0; col < n_cols; col++)
        {
          g_autoptr(SsImage) tile = NULL;
          g_autofree char *name = NULL;
          const char *layer_name, *kind;
          int lh = h, lw = w;

          if (col == 0)
            {
              tile = ss_image_copy (input);
              layer_name = "input";
              kind = "input";
            }
          else if (col == 1)
            {
              tile = ss_heatmap_overlay (input, ss_gradcam_get_vanilla (gc, i), cmap,
                                         (float) alpha);
              layer_name = "vanilla-gradient";
              kind = "vanilla";
            }
          else
            {
              int l = g_array_index (layers, int, col - 2);
              ss_gradcam_get_layer_size (gc, l, &lh, &lw);
              ss_gradcam_upsample (gc, l, i, up);
              tile = ss_heatmap_overlay (input, up, cmap, (float) alpha);
              layer_name = ss_gradcam_get_layer_name (gc, l);
              kind = ss_saliency_kind_name (ss_gradcam_get_layer_kind (gc, l));
            }
          {
            g_autoptr(SsImage) big = ss_heatmap_upscale (tile, scale, &error);
            g_autofree char *part = file_part (layer_name);
            if (big == NULL)
              return cli_fail (error);
            name = g_strdup_printf ("sample-%u-%s.png", index, part);
            if (!save_tile (big, out_dir, name, b, &error))
              return cli_fail (error);
            g_ptr_array_add (tiles, g_steal_pointer (&big));
          }
          g_string_append_printf (csv, "%d,%d,%u,%d,%d,%s,%s,%d,%d\n", i, col, index,
                                  labels[i], cls, layer_name, kind, lh, lw);
        }
    }
  {
    g_autoptr(SsImage) grid = ss_heatmap_grid ((const SsImage *const *) tiles->pdata, n, n_cols,
                                               background, &error);
    grid_path = g_build_filename (out_dir, "grid.png", NULL);
    if (grid == NULL || !ss_png_save (grid, grid_path, &error))
      return cli_fail (error);
  }
  csv_path = g_build_filename (out_dir, "grid.csv", NULL);
  if (!g_file_set_contents_full (csv_path, csv->str, (gssize) csv->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    return cli_fail (error);
  json_builder_add_string_value (b, grid_path);
  json_builder_add_string_value (b, csv_path);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, ss_gradcam_get_classes (gc)[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);

  if (opts->json)
    cli_print_json (b);
  else
    printf ("wrote %d sample%s × %d columns (input, vanilla gradient, %u layers) to %s; the grid "
            "is %s, its tiles are named in %s\n", n, n == 1 ? "" : "s", n_cols, layers->len,
            out_dir, grid_path, csv_path);
  return 0;
}
