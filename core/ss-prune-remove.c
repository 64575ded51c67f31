/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-prune-private.h"

/* Whole-layer removal (ss-prune.h, SPEC §6). Tensors are matched by state_dict name between
 * the old and the new network; a node keeps its values only when all of its tensors kept their
 * shapes. */

/* The one node reading node `i`'s output, or -1 when none or several do (or it is the last
 * node, whose output the network returns). */
static int
sole_reader (const SsArch *arch,
             int           i)
{
  int n = ss_arch_get_n_nodes (arch), reader = -1;

  if (i == n - 1)
    return -1;
  for (int j = i + 1; j < n; j++)
    {
      const SsNode *node = ss_arch_get_node (arch, j);
      int uses = (node->inputs[0] == i) + (node->op == SS_OP_ADD && node->inputs[1] == i);
      if (uses > 1 || (uses == 1 && reader >= 0))
        return -1;
      if (uses == 1)
        reader = j;
    }
  return reader;
}

SsArch *
ss_prune_arch_remove_layer (const SsArch *arch,
                            const char   *layer,
                            GError      **error)
{
  g_autofree char *name = NULL;
  g_autofree int *new_index = NULL;
  g_autoptr(SsArch) out = NULL;
  g_autoptr(GError) local_error = NULL;
  int chain[3], n_chain = 1;
  int n, conv, next, c, h, w;
  const SsNode *conv_node;

  g_return_val_if_fail (arch != NULL, NULL);
  g_return_val_if_fail (layer != NULL, NULL);

  conv = ss_arch_find_node (arch, layer);
  if (conv < 0 || ss_arch_get_node (arch, conv)->op != SS_OP_CONV)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "%s has no conv layer “%s”; see “supersign-cli info” for the layer names",
                   ss_arch_get_name (arch), layer);
      return NULL;
    }
  conv_node = ss_arch_get_node (arch, conv);

  /* The chain conv [→ batch norm] [→ ReLU], each link the only reader of the one before. */
  chain[0] = conv;
  next = sole_reader (arch, conv);
  if (next >= 0 && ss_arch_get_node (arch, next)->op == SS_OP_BATCHNORM)
    {
      chain[n_chain++] = next;
      next = sole_reader (arch, next);
    }
  if (next >= 0 && ss_arch_get_node (arch, next)->op == SS_OP_RELU)
    chain[n_chain++] = next;

  n = ss_arch_get_n_nodes (arch);
  if (chain[n_chain - 1] == n - 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "“%s” computes the network's outputs and cannot be removed", layer);
      return NULL;
    }

  /* The chain goes; its readers read conv's input instead. Only the last link has readers
   * outside the chain, since every other link has the next link as its only reader. */
  new_index = g_new (int, n);
  name = ss_prune_derived_name (arch);
  ss_arch_get_input (arch, &c, &h, &w);
  out = ss_arch_new (name, c, h, w, ss_arch_get_n_classes (arch));
  for (int i = 0; i < n; i++)
    {
      SsNode node = *ss_arch_get_node (arch, i);
      gboolean in_chain = FALSE;
      for (int k = 0; k < n_chain; k++)
        in_chain |= chain[k] == i;
      if (in_chain)
        {
          new_index[i] = conv_node->inputs[0] == SS_NODE_INPUT
                         ? SS_NODE_INPUT : new_index[conv_node->inputs[0]];
          continue;
        }
      for (int k = 0; k < 2; k++)
        if (node.inputs[k] >= 0)
          node.inputs[k] = new_index[node.inputs[k]];
      new_index[i] = ss_arch_append (out, &node);
    }
  if (!ss_arch_infer_shapes (out, &local_error))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "removing “%s” leaves no valid network: %s",
                   layer, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* Whether every tensor of node `node` of dst has a same-named, same-shaped tensor in src. */
static gboolean
node_fits (SsNet *dst,
           SsNet *src,
           int    node)
{
  for (int p = 0; p < ss_net_get_n_params (dst); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (dst, p);
      const SsParamInfo *old;
      int sp;

      if (info->node != node)
        continue;
      if ((sp = ss_net_find_param (src, info->name)) < 0)
        return FALSE;
      old = ss_net_get_param_info (src, sp);
      if (old->ndim != info->ndim ||
          memcmp (old->shape, info->shape, sizeof (gint64) * (gsize) info->ndim) != 0)
        return FALSE;
    }
  return TRUE;
}

SsNet *
ss_prune_remove_layer (SsNet      *net,
                       const char *layer,
                       guint64     seed,
                       char     ***reinitialised,
                       GError    **error)
{
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) out = NULL;
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  const SsArch *old_arch;

  g_return_val_if_fail (net != NULL, NULL);
  g_return_val_if_fail (layer != NULL, NULL);

  old_arch = ss_net_get_arch (net);
  if ((arch = ss_prune_arch_remove_layer (old_arch, layer, error)) == NULL)
    return NULL;
  out = ss_net_new (arch, seed);
  ss_net_set_n_threads (out, ss_net_get_n_threads (net));

  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      int old_node = ss_arch_find_node (old_arch, node->name);

      if (node->op != SS_OP_CONV && node->op != SS_OP_LINEAR && node->op != SS_OP_BATCHNORM)
        continue;
      if (!node_fits (out, net, i))
        {
          g_ptr_array_add (fresh, g_strdup (node->name));
          continue;
        }
      for (int p = 0; p < ss_net_get_n_params (out); p++)
        {
          const SsParamInfo *info = ss_net_get_param_info (out, p);
          if (info->node == i)
            memcpy (ss_net_get_param (out, p),
                    ss_net_get_param (net, ss_net_find_param (net, info->name)),
                    info->len * sizeof (float));
        }
      ss_net_set_batches_tracked (out, i, ss_net_get_batches_tracked (net, old_node));
    }
  if (reinitialised != NULL)
    {
      g_ptr_array_add (fresh, NULL);
      *reinitialised = (char **) g_ptr_array_free (g_steal_pointer (&fresh), FALSE);
    }
  else
    g_ptr_array_set_free_func (fresh, g_free);
  return g_steal_pointer (&out);
}
