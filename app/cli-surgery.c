/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ss-arch-resolve.h"
#include "ss-model-file.h"
#include "ss-prune.h"

/* supersign-cli surgery: the dependency groups of a model's conv channels (which layers are
 * pruned together, and which cannot be), and the removal of one conv layer (ss-prune.h). */

static void
print_groups (const SsArch *arch)
{
  g_autoptr(GArray) groups = ss_prune_groups (arch);

  printf ("%s: %u channel groups (conv layers whose output channels are pruned together)\n\n",
          ss_arch_get_name (arch), groups->len);
  for (guint k = 0; k < groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      printf ("group %u: %d channels, %s%s\n  written by:", k, g->n_channels,
              g->prunable ? "prunable" : "not prunable: ", g->prunable ? "" : g->reason);
      for (int p = 0; p < g->n_producers; p++)
        printf (" %s", ss_arch_get_node (arch, g->producers[p])->name);
      printf ("\n  read by:");
      for (int c = 0; c < g->n_consumers; c++)
        printf (" %s", ss_arch_get_node (arch, g->consumers[c])->name);
      printf ("\n");
    }
}

int
cli_surgery (CliOptions *opts,
             int         argc,
             char      **argv)
{
  g_autofree char *layer = NULL;
  const GOptionEntry entries[] = {
    { "remove-layer", 0, 0, G_OPTION_ARG_STRING, &layer,
      "Remove this conv layer (name or PyTorch module path) with its batch norm and ReLU",
      "NAME" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out, "Save the result here", "FILE" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL, out = NULL;
  g_auto(GStrv) reinit = NULL;
  const SsArch *before, *after;

  if (!cli_parse_options (opts, "surgery",
                          "list the channel groups, or remove a conv layer (--remove-layer)",
                          entries, &argc, &argv))
    return 2;
  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
    return cli_fail (error);
  before = ss_net_get_arch (net);
  if (layer == NULL)
    {
      print_groups (before);
      return 0;
    }
  {
    /* A module path that gives a conv becomes its name; ss_prune_remove_layer refuses other
     * names with the list of layers it can remove. */
    int node = ss_arch_resolve_layer (before, layer, NULL);
    if (node >= 0 && ss_arch_get_node (before, node)->op == SS_OP_CONV)
      {
        g_free (layer);
        layer = g_strdup (ss_arch_get_node (before, node)->name);
      }
  }
  if ((out = ss_prune_remove_layer (net, layer, (guint64) opts->seed, &reinit, &error)) == NULL)
    return cli_fail (error);
  after = ss_net_get_arch (out);
  if (opts->out != NULL && !ss_model_save (out, opts->out, metadata, &error))
    return cli_fail (error);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "removed", layer);
      json_builder_set_member_name (b, "reinitialised");
      json_builder_begin_array (b);
      for (char **r = reinit; *r != NULL; r++)
        json_builder_add_string_value (b, *r);
      json_builder_end_array (b);
      ss_json_add_int (b, "params_before", ss_arch_total_params (before));
      ss_json_add_int (b, "params_after", ss_arch_total_params (after));
      ss_json_add_int (b, "macs_before", ss_arch_total_macs (before));
      ss_json_add_int (b, "macs_after", ss_arch_total_macs (after));
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }
  printf ("removed %s: %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT " parameters, %"
          G_GINT64_FORMAT " → %" G_GINT64_FORMAT " MACs per image\n", layer,
          ss_arch_total_params (before), ss_arch_total_params (after),
          ss_arch_total_macs (before), ss_arch_total_macs (after));
  if (reinit[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", reinit);
      printf ("re-initialised (shapes changed): %s\n", list);
    }
  if (opts->out != NULL)
    printf ("saved in %s\n", opts->out);
  return 0;
}
