/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ss-model-file.h"
#include "ss-onnx.h"

/* supersign-cli import MODEL.onnx --out FILE: an ONNX network (core/ss-onnx.h, docs/onnx.md)
 * with its weights, saved as a Supersign model file (atomically, by ss_model_save). Every
 * other command also reads the .onnx directly; importing once saves parsing it each time and
 * records the data set it is meant for. */
int
cli_import (CliOptions  *opts,
            int          argc,
            char       **argv)
{
  g_auto(GStrv) files = NULL;
  g_autofree char *dataset = NULL;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "The model file to write (.safetensors)", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset,
      "Record the data set the model is for (a --data spec), used when none is given", "SPEC" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "MODEL.onnx" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  const char *path;
  const SsArch *arch;
  int c, h, w;

  if (!cli_parse_options (opts, "import",
                          "an ONNX model and its weights as a Supersign model file", entries,
                          &argc, &argv))
    return 2;
  path = files != NULL && files[0] != NULL ? files[0] : opts->model;
  if (path == NULL || (files != NULL && files[0] != NULL && (files[1] != NULL || opts->model)))
    {
      fprintf (stderr, "supersign-cli import: name one ONNX file\n");
      return 2;
    }
  if (opts->out == NULL)
    {
      fprintf (stderr, "supersign-cli import: say where to write the model with --out FILE\n");
      return 2;
    }
  if ((net = ss_onnx_load (path, &error)) == NULL)
    return cli_fail (error);
  metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (dataset != NULL)
    g_hash_table_insert (metadata, g_strdup (SS_MODEL_META_DATASET), g_strdup (dataset));
  if (!ss_model_save (net, opts->out, metadata, &error))
    return cli_fail (error);

  arch = ss_net_get_arch (net);
  ss_arch_get_input (arch, &c, &h, &w);
  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (arch));
      ss_json_add_string (b, "onnx", path);
      ss_json_add_string (b, "out", opts->out);
      ss_json_add_int (b, "layers", ss_arch_get_n_nodes (arch));
      ss_json_add_int (b, "params", ss_arch_total_params (arch));
      ss_json_add_int (b, "classes", ss_arch_get_n_classes (arch));
      json_builder_set_member_name (b, "input");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, c);
      json_builder_add_int_value (b, h);
      json_builder_add_int_value (b, w);
      json_builder_end_array (b);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }
  printf ("%s: %d layers, %" G_GINT64_FORMAT " parameters, input %d×%d×%d, %d classes; "
          "written to %s\n", ss_arch_get_name (arch), ss_arch_get_n_nodes (arch),
          ss_arch_total_params (arch), c, h, w, ss_arch_get_n_classes (arch), opts->out);
  printf ("(supersign-cli info -m %s lists them)\n", opts->out);
  return 0;
}
