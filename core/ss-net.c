/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "ss-net-private.h"

/* Legend: N batch, K classes; every node's output is (N, C, H, W) in the activation arena. */


/* Debian's libopenblas exports this; cblas.h declares it only in some builds. */
void openblas_set_num_threads (int num_threads);

static int
add_param (SsNet      *net,
           int         node,
           const char *node_name,
           const char *suffix,
           int         ndim,
           const gint64 *shape,
           gboolean    trainable)
{
  SsParamInfo info = { .node = node, .ndim = ndim, .trainable = trainable, .len = 1 };
  for (int d = 0; d < ndim; d++)
    {
      info.shape[d] = shape[d];
      info.len *= (gsize) shape[d];
    }
  info.name = g_strconcat (node_name, ".", suffix, NULL);
  g_array_append_val (net->params, info);
  return (int) net->params->len - 1;
}

static void
param_info_clear (gpointer data)
{
  g_free (((SsParamInfo *) data)->name);
}

/* Registers every node's tensors in state_dict order and lays out the arenas. */
static void
build_params (SsNet *net)
{
  gsize n_stats = 0;

  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      const SsNode *node = st->node;
      gint64 shape[4];

      st->p_weight = st->p_bias = st->p_mean = st->p_var = -1;
      switch (node->op)
        {
        case SS_OP_CONV:
          /* (O, C/G, K, K): each filter sees its group's channels only. */
          shape[0] = node->out; shape[1] = st->in_c / MAX (node->groups, 1);
          shape[2] = shape[3] = node->kernel;
          st->p_weight = add_param (net, i, node->name, "weight", 4, shape, TRUE);
          if (node->bias)
            st->p_bias = add_param (net, i, node->name, "bias", 1, shape, TRUE);
          break;
        case SS_OP_LINEAR:
          shape[0] = node->out; shape[1] = (gint64) st->in_len;
          st->p_weight = add_param (net, i, node->name, "weight", 2, shape, TRUE);
          if (node->bias)
            st->p_bias = add_param (net, i, node->name, "bias", 1, shape, TRUE);
          break;
        case SS_OP_BATCHNORM:
          shape[0] = st->in_c;
          st->p_weight = add_param (net, i, node->name, "weight", 1, shape, TRUE);
          st->p_bias = add_param (net, i, node->name, "bias", 1, shape, TRUE);
          st->p_mean = add_param (net, i, node->name, "running_mean", 1, shape, FALSE);
          st->p_var = add_param (net, i, node->name, "running_var", 1, shape, FALSE);
          n_stats += 2 * (gsize) st->in_c;
          break;
        default:
          break;
        }
    }

  net->offsets = g_new0 (gsize, MAX (net->params->len, 1));
  for (guint p = 0; p < net->params->len; p++)
    {
      const SsParamInfo *info = &g_array_index (net->params, SsParamInfo, p);
      gsize *len = info->trainable ? &net->arena_len : &net->buffers_len;
      net->offsets[p] = *len;
      *len += info->len;
    }
  net->arena = g_new0 (float, MAX (net->arena_len, 1));
  net->grad_arena = g_new0 (float, MAX (net->arena_len, 1));
  net->buffers = g_new0 (float, MAX (net->buffers_len, 1));
  net->stats = g_new0 (float, MAX (n_stats, 1));

  n_stats = 0;
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].node->op == SS_OP_BATCHNORM)
      {
        net->nodes[i].stat_mean = net->stats + n_stats;
        net->nodes[i].stat_invstd = net->stats + n_stats + net->nodes[i].in_c;
        n_stats += 2 * (gsize) net->nodes[i].in_c;
      }
}

/* PyTorch's reset_parameters(): kaiming_uniform_(a=√5) gives a bound of 1/√fan_in, and the bias
 * uses the same bound. */
static void
init_params (SsNet  *net,
             guint64 seed)
{
  SsRng rng;
  ss_rng_seed (&rng, seed);

  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      float *w = st->p_weight >= 0 ? ss_net_get_param (net, st->p_weight) : NULL;
      float *b = st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL;

      if (st->node->op == SS_OP_BATCHNORM)
        {
          float *var = ss_net_get_param (net, st->p_var);
          for (int c = 0; c < st->in_c; c++)
            {
              w[c] = 1.f; b[c] = 0.f; var[c] = 1.f;   /* running mean stays 0 */
            }
          continue;
        }
      if (w != NULL)
        {
          const SsParamInfo *info = ss_net_get_param_info (net, st->p_weight);
          gsize fan_in = info->len / (gsize) info->shape[0];
          double bound = 1.0 / sqrt ((double) fan_in);
          for (gsize k = 0; k < info->len; k++)
            w[k] = (float) ((2 * ss_rng_uniform (&rng) - 1) * bound);
          if (b != NULL)
            for (gint64 k = 0; k < info->shape[0]; k++)
              b[k] = (float) ((2 * ss_rng_uniform (&rng) - 1) * bound);
        }
    }
}

SsNet *
ss_net_new (const SsArch *arch,
            guint64       seed)
{
  SsNet *net;

  g_return_val_if_fail (arch != NULL, NULL);
  g_return_val_if_fail (ss_arch_get_n_nodes (arch) > 0, NULL);

  openblas_set_num_threads (1);

  net = g_new0 (SsNet, 1);
  net->arch = ss_arch_copy (arch);
  net->n_threads = (int) MAX (1, g_get_num_processors ());
  net->n_nodes = ss_arch_get_n_nodes (net->arch);
  net->nodes = g_new0 (SsNodeState, net->n_nodes);
  net->params = g_array_new (FALSE, TRUE, sizeof (SsParamInfo));
  g_array_set_clear_func (net->params, param_info_clear);
  net->grad_from = net->n_nodes;

  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      st->node = ss_arch_get_node (net->arch, i);
      if (st->node->inputs[0] == SS_NODE_INPUT)
        ss_arch_get_input (net->arch, &st->in_c, &st->in_h, &st->in_w);
      else
        {
          const SsNode *in = ss_arch_get_node (net->arch, st->node->inputs[0]);
          st->in_c = in->c; st->in_h = in->h; st->in_w = in->w;
        }
      st->in_len = (gsize) st->in_c * st->in_h * st->in_w;
      st->out_len = (gsize) st->node->c * st->node->h * st->node->w;
      g_return_val_if_fail (st->out_len > 0, NULL);  /* shapes were not inferred */
    }
  build_params (net);
  init_params (net, seed);
  ss_net_plan_memory (net);
  return net;
}

void
ss_net_free (SsNet *net)
{
  if (net == NULL)
    return;
  g_clear_pointer (&net->arch, ss_arch_free);
  g_free (net->nodes);
  g_array_unref (net->params);
  g_free (net->offsets);
  g_free (net->arena);
  g_free (net->grad_arena);
  g_free (net->buffers);
  g_free (net->stats);
  g_free (net->seconds);
  ss_net_release_memory (net);
  g_free (net);
}

const SsArch *
ss_net_get_arch (const SsNet *net)
{
  return net->arch;
}

int
ss_net_get_n_params (const SsNet *net)
{
  return (int) net->params->len;
}

const SsParamInfo *
ss_net_get_param_info (const SsNet *net,
                       int          i)
{
  g_return_val_if_fail (i >= 0 && i < (int) net->params->len, NULL);
  return &g_array_index (net->params, SsParamInfo, i);
}

float *
ss_net_get_param (SsNet *net,
                  int    i)
{
  const SsParamInfo *info = ss_net_get_param_info (net, i);
  g_return_val_if_fail (info != NULL, NULL);
  return (info->trainable ? net->arena : net->buffers) + net->offsets[i];
}

float *
ss_net_get_param_grad (SsNet *net,
                       int    i)
{
  const SsParamInfo *info = ss_net_get_param_info (net, i);
  g_return_val_if_fail (info != NULL, NULL);
  return info->trainable ? net->grad_arena + net->offsets[i] : NULL;
}

int
ss_net_find_param (const SsNet *net,
                   const char  *name)
{
  for (guint i = 0; i < net->params->len; i++)
    if (g_str_equal (g_array_index (net->params, SsParamInfo, i).name, name))
      return (int) i;
  return -1;
}

float *
ss_net_get_arena (SsNet *net,
                  gsize *len)
{
  *len = net->arena_len;
  return net->arena;
}

float *
ss_net_get_grad_arena (SsNet *net,
                       gsize *len)
{
  *len = net->arena_len;
  return net->grad_arena;
}

void
ss_net_zero_grad (SsNet *net)
{
  memset (net->grad_arena, 0, sizeof (float) * net->arena_len);
}

gint64
ss_net_get_batches_tracked (const SsNet *net,
                            int          node)
{
  g_return_val_if_fail (node >= 0 && node < net->n_nodes, 0);
  return net->nodes[node].batches_tracked;
}

void
ss_net_set_batches_tracked (SsNet *net,
                            int    node,
                            gint64 count)
{
  g_return_if_fail (node >= 0 && node < net->n_nodes);
  net->nodes[node].batches_tracked = count;
}

void
ss_net_set_frozen (SsNet   *net,
                   int      node,
                   gboolean frozen)
{
  g_return_if_fail (node >= 0 && node < net->n_nodes);
  net->nodes[node].frozen = frozen;
}

gboolean
ss_net_get_frozen (const SsNet *net,
                   int          node)
{
  g_return_val_if_fail (node >= 0 && node < net->n_nodes, FALSE);
  return net->nodes[node].frozen;
}

void
ss_net_set_profiling (SsNet   *net,
                      gboolean enabled)
{
  net->profiling = enabled;
  if (enabled)
    {
      g_free (net->seconds);
      net->seconds = g_new0 (double, 2 * (gsize) net->n_nodes);
    }
}

void
ss_net_get_node_seconds (const SsNet *net,
                         int          node,
                         double      *forward,
                         double      *backward)
{
  g_return_if_fail (node >= 0 && node < net->n_nodes);
  *forward = net->seconds ? net->seconds[2 * node] : 0;
  *backward = net->seconds ? net->seconds[2 * node + 1] : 0;
}
