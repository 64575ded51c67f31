/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"

/* Layers, output shapes, parameters and MACs (multiply–accumulates of conv and linear layers,
 * SPEC §8) of a model. */
int
cli_info (CliOptions *opts,
          int         argc,
          char      **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  const SsArch *arch;
  int c, h, w;

  if (!cli_parse_options (opts, "info", "describe a model", NULL, &argc, &argv))
    return 2;
  if (opts->data != NULL && (ds = cli_load_data (opts, NULL, FALSE, &error)) == NULL)
    return cli_fail (error);
  if ((net = cli_open_model (opts, ds, &metadata, &error)) == NULL)
    return cli_fail (error);
  arch = ss_net_get_arch (net);
  ss_arch_get_input (arch, &c, &h, &w);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (arch));
      json_builder_set_member_name (b, "input");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, c);
      json_builder_add_int_value (b, h);
      json_builder_add_int_value (b, w);
      json_builder_end_array (b);
      ss_json_add_int (b, "classes", ss_arch_get_n_classes (arch));
      ss_json_add_int (b, "params", ss_arch_total_params (arch));
      ss_json_add_int (b, "macs", ss_arch_total_macs (arch));
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
        {
          const SsNode *node = ss_arch_get_node (arch, i);
          json_builder_begin_object (b);
          ss_json_add_string (b, "name", node->name);
          ss_json_add_string (b, "type", ss_op_name (node->op));
          json_builder_set_member_name (b, "shape");
          json_builder_begin_array (b);
          json_builder_add_int_value (b, node->c);
          json_builder_add_int_value (b, node->h);
          json_builder_add_int_value (b, node->w);
          json_builder_end_array (b);
          ss_json_add_int (b, "params", ss_arch_node_params (arch, i));
          ss_json_add_int (b, "macs", ss_arch_node_macs (arch, i));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }

  printf ("%s: input %d×%d×%d, %d classes\n\n", ss_arch_get_name (arch), c, h, w,
          ss_arch_get_n_classes (arch));
  printf ("%-4s %-24s %-15s %-14s %12s %14s\n", "#", "layer", "type", "output", "params", "MACs");
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      g_autofree char *shape = g_strdup_printf ("%d×%d×%d", node->c, node->h, node->w);
      /* The × sign is 2 bytes but 1 column: pad by hand so the columns line up. */
      printf ("%-4d %-24s %-15s %s%*s %12" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", i,
              node->name, ss_op_name (node->op), shape,
              (int) MAX (0, 14 - (int) g_utf8_strlen (shape, -1)), "",
              ss_arch_node_params (arch, i), ss_arch_node_macs (arch, i));
    }
  printf ("\ntotal: %" G_GINT64_FORMAT " parameters (BN affine included), %" G_GINT64_FORMAT
          " MACs per image (conv and linear multiply–accumulates)\n",
          ss_arch_total_params (arch), ss_arch_total_macs (arch));
  return 0;
}
