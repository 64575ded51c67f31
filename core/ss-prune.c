/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-prune-private.h"

/* Dependency groups and filter surgery (ss-prune.h). Tensors are the state_dict's: conv weight
 * (O, I, K, K), linear weight (O, F), biases (O), batch norm (C). A node's "block" is the number
 * of values per group channel along its channel axis: 1 for a C×H×W map, H·W after flattening
 * one, so group channel k is features k·block … (k+1)·block − 1. */

struct _SsPrunePlan {
  SsArch   *arch;
  SsDeps   *deps;
  guint8  **removed;   /* per group: (n_channels) 1 for a channel to remove */
};

static void
group_clear (gpointer data)
{
  SsPruneGroup *g = data;
  g_clear_pointer (&g->producers, g_free);
  g_clear_pointer (&g->consumers, g_free);
}

static int
uf_find (int *parent,
         int  x)
{
  while (parent[x] != x)
    x = parent[x] = parent[parent[x]];
  return x;
}

static void
uf_union (int *parent,
          int  a,
          int  b)
{
  a = uf_find (parent, a);
  b = uf_find (parent, b);
  /* The lower index becomes the root, so the root of a set is its first node. */
  if (a != b)
    parent[MAX (a, b)] = MIN (a, b);
}

void
ss_deps_free (SsDeps *deps)
{
  if (deps == NULL)
    return;
  g_free (deps->group);
  g_free (deps->block);
  g_array_unref (deps->groups);
  g_free (deps);
}

/* Union-find over the nodes plus one slot for the network input (index n): a node carrying its
 * input's channels joins its input's set; an add joins both of its inputs. */
SsDeps *
ss_deps_new (const SsArch *arch)
{
  int n = ss_arch_get_n_nodes (arch);
  g_autofree int *parent = g_new (int, n + 1);
  g_autofree int *root_group = g_new (int, n + 1);
  g_autofree gboolean *from_input = g_new0 (gboolean, n + 1);
  g_autofree gboolean *from_linear = g_new0 (gboolean, n + 1);
  g_autofree gboolean *to_logits = g_new0 (gboolean, n + 1);
  g_autofree gboolean *bad_block = g_new0 (gboolean, n + 1);
  g_autofree gboolean *grouped = g_new0 (gboolean, n + 1);
  SsDeps *deps = g_new0 (SsDeps, 1);
  int in_c, in_h, in_w;

#define SLOT(index) ((index) == SS_NODE_INPUT ? n : (index))

  ss_arch_get_input (arch, &in_c, &in_h, &in_w);
  deps->n_nodes = n;
  deps->group = g_new (int, n + 1);
  deps->block = g_new (int, n + 1);
  deps->groups = g_array_new (FALSE, TRUE, sizeof (SsPruneGroup));
  g_array_set_clear_func (deps->groups, group_clear);
  for (int i = 0; i <= n; i++)
    parent[i] = i;
  deps->block[n] = 1;

  for (int i = 0; i < n; i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      int in = SLOT (node->inputs[0]);
      switch (node->op)
        {
        case SS_OP_CONV:
        case SS_OP_LINEAR:
          deps->block[i] = 1;
          break;
        case SS_OP_FLATTEN:
          {
            int h = node->inputs[0] == SS_NODE_INPUT ? in_h
                    : ss_arch_get_node (arch, node->inputs[0])->h;
            int w = node->inputs[0] == SS_NODE_INPUT ? in_w
                    : ss_arch_get_node (arch, node->inputs[0])->w;
            uf_union (parent, i, in);
            deps->block[i] = deps->block[in] * h * w;
          }
          break;
        case SS_OP_ADD:
          uf_union (parent, i, in);
          uf_union (parent, i, SLOT (node->inputs[1]));
          deps->block[i] = deps->block[in];
          /* Blocks that disagree would tie channel k of one input to another feature range of
           * the other; no built-in does that, so such a set is simply not prunable. */
          if (deps->block[in] != deps->block[SLOT (node->inputs[1])])
            bad_block[i] = TRUE;
          break;
        default:
          uf_union (parent, i, in);
          deps->block[i] = deps->block[in];
          break;
        }
    }

  /* Flag each set by what writes it and whether it reaches the logits. */
  from_input[uf_find (parent, n)] = TRUE;
  to_logits[uf_find (parent, n - 1)] = TRUE;
  for (int i = 0; i < n; i++)
    {
      int r = uf_find (parent, i);
      if (ss_arch_get_node (arch, i)->op == SS_OP_LINEAR)
        from_linear[r] = TRUE;
      if (bad_block[i])
        bad_block[r] = TRUE;
      /* A grouped (or depthwise) conv ties channel k of its input and of its output to the
       * other channels of k's group: removing one alone would change which channels every
       * filter sees. Its input and output sets are left whole. */
      if (ss_arch_get_node (arch, i)->op == SS_OP_CONV && ss_arch_get_node (arch, i)->groups > 1)
        {
          int in = ss_arch_get_node (arch, i)->inputs[0];
          grouped[r] = TRUE;
          grouped[uf_find (parent, SLOT (in))] = TRUE;
        }
    }

  /* Groups in order of their first conv. */
  for (int i = 0; i <= n; i++)
    root_group[i] = -1;
  for (int i = 0; i < n; i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      int r = uf_find (parent, i);
      if (node->op == SS_OP_CONV && root_group[r] < 0)
        {
          SsPruneGroup g = { .n_channels = node->out, .prunable = TRUE };
          if (from_input[r])
            g.reason = "its channels are added to the network input";
          else if (from_linear[r])
            g.reason = "its channels are tied to a linear layer's outputs";
          else if (to_logits[r])
            g.reason = "its channels are the network's outputs";
          else if (bad_block[r])
            g.reason = "a residual add ties it to channels of another layout";
          else if (grouped[r])
            g.reason = "a grouped or depthwise convolution ties its channels together in groups";
          g.prunable = g.reason == NULL;
          root_group[r] = (int) deps->groups->len;
          g_array_append_val (deps->groups, g);
        }
    }
  for (int i = 0; i <= n; i++)
    deps->group[i] = root_group[uf_find (parent, i)];

  /* Producers and consumers. */
  for (guint k = 0; k < deps->groups->len; k++)
    {
      SsPruneGroup *g = &g_array_index (deps->groups, SsPruneGroup, k);
      g_autoptr(GArray) prod = g_array_new (FALSE, FALSE, sizeof (int));
      g_autoptr(GArray) cons = g_array_new (FALSE, FALSE, sizeof (int));
      for (int i = 0; i < n; i++)
        {
          const SsNode *node = ss_arch_get_node (arch, i);
          if (node->op == SS_OP_CONV && deps->group[i] == (int) k)
            g_array_append_val (prod, i);
          if ((node->op == SS_OP_CONV || node->op == SS_OP_LINEAR) &&
              deps->group[SLOT (node->inputs[0])] == (int) k)
            g_array_append_val (cons, i);
        }
      g->n_producers = (int) prod->len;
      g->producers = (int *) g_array_free (g_steal_pointer (&prod), FALSE);
      g->n_consumers = (int) cons->len;
      g->consumers = (int *) g_array_free (g_steal_pointer (&cons), FALSE);
    }
#undef SLOT
  return deps;
}

GArray *
ss_prune_groups (const SsArch *arch)
{
  SsDeps *deps;
  GArray *groups;

  g_return_val_if_fail (arch != NULL, NULL);
  g_return_val_if_fail (ss_arch_get_n_nodes (arch) > 0, NULL);

  deps = ss_deps_new (arch);
  groups = g_array_ref (deps->groups);
  ss_deps_free (deps);
  return groups;
}

int
ss_prune_groups_find (const GArray *groups,
                      int           node)
{
  g_return_val_if_fail (groups != NULL, -1);
  for (guint k = 0; k < groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      for (int p = 0; p < g->n_producers; p++)
        if (g->producers[p] == node)
          return (int) k;
    }
  return -1;
}

SsPrunePlan *
ss_prune_plan_new (const SsArch *arch)
{
  SsPrunePlan *plan;

  g_return_val_if_fail (arch != NULL, NULL);
  g_return_val_if_fail (ss_arch_get_n_nodes (arch) > 0, NULL);

  plan = g_new0 (SsPrunePlan, 1);
  plan->arch = ss_arch_copy (arch);
  plan->deps = ss_deps_new (plan->arch);
  plan->removed = g_new0 (guint8 *, MAX (plan->deps->groups->len, 1));
  for (guint k = 0; k < plan->deps->groups->len; k++)
    plan->removed[k] = g_new0 (guint8, g_array_index (plan->deps->groups, SsPruneGroup,
                                                      k).n_channels);
  return plan;
}

void
ss_prune_plan_free (SsPrunePlan *plan)
{
  if (plan == NULL)
    return;
  for (guint k = 0; k < plan->deps->groups->len; k++)
    g_free (plan->removed[k]);
  g_free (plan->removed);
  ss_deps_free (plan->deps);
  ss_arch_free (plan->arch);
  g_free (plan);
}

/* The group conv layer `layer` writes, or -1 with error set. */
static int
find_conv_group (const SsPrunePlan *plan,
                 const char        *layer,
                 GError           **error)
{
  int node = ss_arch_find_node (plan->arch, layer);

  if (node < 0 || ss_arch_get_node (plan->arch, node)->op != SS_OP_CONV)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "%s has no conv layer “%s”; see “supersign-cli info” for the layer names",
                   ss_arch_get_name (plan->arch), layer);
      return -1;
    }
  return plan->deps->group[node];
}

gboolean
ss_prune_plan_remove_filters (SsPrunePlan *plan,
                              const char  *layer,
                              const int   *filters,
                              int          n_filters,
                              GError     **error)
{
  g_autofree guint8 *marked = NULL;
  const SsPruneGroup *g;
  int k, n_removed = 0;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (layer != NULL, FALSE);
  g_return_val_if_fail (n_filters >= 0 && (filters != NULL || n_filters == 0), FALSE);

  if ((k = find_conv_group (plan, layer, error)) < 0)
    return FALSE;
  g = &g_array_index (plan->deps->groups, SsPruneGroup, k);
  if (!g->prunable)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "the filters of “%s” cannot be pruned: %s",
                   layer, g->reason);
      return FALSE;
    }
  if (n_filters >= g->n_channels)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "cannot remove %d filters from “%s”, which has %d; at least one must stay "
                   "(remove the whole layer instead)", n_filters, layer, g->n_channels);
      return FALSE;
    }
  marked = g_memdup2 (plan->removed[k], g->n_channels);
  for (int i = 0; i < n_filters; i++)
    {
      if (filters[i] < 0 || filters[i] >= g->n_channels)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "“%s” has filters 0 to %d; there is no filter %d", layer,
                       g->n_channels - 1, filters[i]);
          return FALSE;
        }
      for (int j = 0; j < i; j++)
        if (filters[j] == filters[i])
          {
            g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                         "filter %d of “%s” is named twice", filters[i], layer);
            return FALSE;
          }
      marked[filters[i]] = 1;
    }
  for (int c = 0; c < g->n_channels; c++)
    n_removed += marked[c];
  if (n_removed == g->n_channels)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the plan would remove all %d filters of “%s”; at least one must stay "
                   "(remove the whole layer instead)", g->n_channels, layer);
      return FALSE;
    }
  memcpy (plan->removed[k], marked, g->n_channels);
  return TRUE;
}

static int
group_n_kept (const SsPrunePlan *plan,
              int                k)
{
  const SsPruneGroup *g = &g_array_index (plan->deps->groups, SsPruneGroup, k);
  int kept = 0;
  for (int c = 0; c < g->n_channels; c++)
    kept += !plan->removed[k][c];
  return kept;
}

int
ss_prune_plan_get_n_kept (const SsPrunePlan *plan,
                          const char        *layer)
{
  int node;

  g_return_val_if_fail (plan != NULL && layer != NULL, -1);
  node = ss_arch_find_node (plan->arch, layer);
  if (node < 0 || ss_arch_get_node (plan->arch, node)->op != SS_OP_CONV)
    return -1;
  return group_n_kept (plan, plan->deps->group[node]);
}

/* A name for a derived architecture: the original's with one "-pruned". Transfer full. */
char *
ss_prune_derived_name (const SsArch *arch)
{
  const char *name = ss_arch_get_name (arch);
  return g_str_has_suffix (name, "-pruned") ? g_strdup (name)
                                            : g_strconcat (name, "-pruned", NULL);
}

SsArch *
ss_prune_plan_build_arch (const SsPrunePlan *plan)
{
  g_autofree char *name = NULL;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(GError) error = NULL;
  int c, h, w;

  g_return_val_if_fail (plan != NULL, NULL);

  name = ss_prune_derived_name (plan->arch);
  ss_arch_get_input (plan->arch, &c, &h, &w);
  arch = ss_arch_new (name, c, h, w, ss_arch_get_n_classes (plan->arch));
  for (int i = 0; i < ss_arch_get_n_nodes (plan->arch); i++)
    {
      SsNode node = *ss_arch_get_node (plan->arch, i);
      if (node.op == SS_OP_CONV)
        node.out = group_n_kept (plan, plan->deps->group[i]);
      ss_arch_append (arch, &node);
    }
  /* Fewer channels in a whole group keep every add and every layer consistent. */
  if (!ss_arch_infer_shapes (arch, &error))
    {
      g_critical ("pruned architecture is inconsistent: %s", error->message);
      return NULL;
    }
  return g_steal_pointer (&arch);
}

/* The kept features of node's channel axis in the original numbering, (n_kept · block)
 * indices; NULL when nothing of node's group is removed (identity). Transfer full. */
static int *
kept_features (const SsPrunePlan *plan,
               int                node)
{
  const SsDeps *deps = plan->deps;
  int slot = node == SS_NODE_INPUT ? deps->n_nodes : node;
  int k = deps->group[slot], block = deps->block[slot];
  const SsPruneGroup *g;
  int *map, n = 0;

  if (k < 0 || group_n_kept (plan, k) ==
      g_array_index (deps->groups, SsPruneGroup, k).n_channels)
    return NULL;
  g = &g_array_index (deps->groups, SsPruneGroup, k);
  map = g_new (int, (gsize) group_n_kept (plan, k) * block);
  for (int c = 0; c < g->n_channels; c++)
    if (!plan->removed[k][c])
      for (int b = 0; b < block; b++)
        map[n++] = c * block + b;
  return map;
}

/* dst = src with dims 0 and 1 selected through map0 and map1 (NULL: identity); dims from 2 on
 * are the same in both. */
static void
copy_selected (float        *dst,         /* (dst_shape) */
               const gint64 *dst_shape,
               int           ndim,
               const float  *src,         /* (src_shape) */
               const gint64 *src_shape,
               const int    *map0,
               const int    *map1)
{
  gsize rest = 1;

  if (ndim == 1)
    {
      for (gint64 o = 0; o < dst_shape[0]; o++)
        dst[o] = src[map0 ? map0[o] : o];
      return;
    }
  for (int d = 2; d < ndim; d++)
    rest *= (gsize) dst_shape[d];
  for (gint64 o = 0; o < dst_shape[0]; o++)
    for (gint64 i = 0; i < dst_shape[1]; i++)
      {
        gint64 so = map0 ? map0[o] : o, si = map1 ? map1[i] : i;
        memcpy (dst + ((gsize) o * dst_shape[1] + i) * rest,
                src + ((gsize) so * src_shape[1] + si) * rest, rest * sizeof (float));
      }
}

SsNet *
ss_prune_plan_apply (const SsPrunePlan *plan,
                     SsNet             *net,
                     GError           **error)
{
  g_autofree char *plan_json = NULL, *net_json = NULL;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) pruned = NULL;

  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (net != NULL, NULL);

  plan_json = ss_arch_to_json (plan->arch);
  net_json = ss_arch_to_json (ss_net_get_arch (net));
  if (!g_str_equal (plan_json, net_json))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the pruning plan was made for another architecture than %s's",
                   ss_arch_get_name (ss_net_get_arch (net)));
      return NULL;
    }

  arch = ss_prune_plan_build_arch (plan);
  g_return_val_if_fail (arch != NULL, NULL);
  pruned = ss_net_new (arch, 0);
  ss_net_set_n_threads (pruned, ss_net_get_n_threads (net));
  for (int p = 0; p < ss_net_get_n_params (pruned); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (pruned, p);
      int sp = ss_net_find_param (net, info->name);
      const SsNode *node = ss_arch_get_node (plan->arch, info->node);
      g_autofree int *out_map = NULL, *in_map = NULL;

      g_assert (sp >= 0);
      /* Dim 0 is a conv's filters, or a batch norm's channels (its input's); dim 1 the input
       * channels or features of a conv or linear weight. */
      if (node->op == SS_OP_CONV)
        out_map = kept_features (plan, info->node);
      else if (node->op == SS_OP_BATCHNORM)
        out_map = kept_features (plan, node->inputs[0]);
      if (info->ndim >= 2)
        in_map = kept_features (plan, node->inputs[0]);
      copy_selected (ss_net_get_param (pruned, p), info->shape, info->ndim,
                     ss_net_get_param (net, sp), ss_net_get_param_info (net, sp)->shape,
                     out_map, in_map);
    }
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    ss_net_set_batches_tracked (pruned, i, ss_net_get_batches_tracked (net, i));
  return g_steal_pointer (&pruned);
}

SsNet *
ss_prune_filters (SsNet      *net,
                  const char *layer,
                  const int  *filters,
                  int         n_filters,
                  GError    **error)
{
  g_autoptr(SsPrunePlan) plan = NULL;

  g_return_val_if_fail (net != NULL, NULL);

  plan = ss_prune_plan_new (ss_net_get_arch (net));
  if (!ss_prune_plan_remove_filters (plan, layer, filters, n_filters, error))
    return NULL;
  return ss_prune_plan_apply (plan, net, error);
}
