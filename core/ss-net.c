/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "ss-activation.h"
#include "ss-batchnorm.h"
#include "ss-linear.h"
#include "ss-net-private.h"

/* Legend: N batch, K classes; every node's output is (N, C, H, W) in the activation arena. */

#define BN_MOMENTUM 0.1f
#define BN_EPS      1e-5f
#define ALIGN       64

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
          shape[0] = node->out; shape[1] = st->in_c;
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
  g_aligned_free (net->acts);
  g_free (net);
}

const SsArch *
ss_net_get_arch (const SsNet *net)
{
  return net->arch;
}

static gsize
workspace_size (const SsNet *net,
                int          n)
{
  gsize size = 0;
  for (int i = 0; i < net->n_nodes; i++)
    {
      const SsNodeState *st = &net->nodes[i];
      SsConvDims d;
      if (st->node->op != SS_OP_CONV)
        continue;
      ss_conv_dims_init (&d, n, st->in_c, st->in_h, st->in_w, st->node->out, st->node->kernel,
                         st->node->stride, st->node->padding);
      size = MAX (size, ss_conv_workspace_size (&d, net->n_threads));
    }
  return size;
}

static gsize
round_up (gsize n)
{
  return (n + ALIGN / sizeof (float) - 1) & ~(ALIGN / sizeof (float) - 1);
}

/* Lays out the activation arena for n samples: one allocation, reused while batches fit. */
static void
ensure_capacity (SsNet *net,
                 int    n)
{
  gsize in_len, total, off = 0;
  int c, h, w;

  if (n <= net->capacity)
    return;

  ss_arch_get_input (net->arch, &c, &h, &w);
  in_len = round_up ((gsize) n * c * h * w);
  total = 2 * in_len;
  for (int i = 0; i < net->n_nodes; i++)
    {
      const SsNodeState *st = &net->nodes[i];
      gsize len = round_up ((gsize) n * st->out_len);
      if (st->node->op != SS_OP_FLATTEN)
        total += 2 * len;
      if (st->node->op == SS_OP_MAXPOOL || st->node->op == SS_OP_DROPOUT)
        total += len;
    }
  total += workspace_size (net, n);

  g_aligned_free (net->acts);
  net->acts = g_aligned_alloc (total, sizeof (float), ALIGN);
  net->acts_len = total;
  net->capacity = n;
  net->grad_from = net->n_nodes;

  net->input = net->acts + off; off += in_len;
  net->input_grad = net->acts + off; off += in_len;
  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      gsize len = round_up ((gsize) n * st->out_len);
      int src = st->node->inputs[0];
      st->argmax = NULL;
      st->mask = NULL;
      if (st->node->op == SS_OP_FLATTEN)
        {
          /* Flatten only reinterprets (C, H, W) as (C·H·W): it shares its input's buffers. */
          st->out = src == SS_NODE_INPUT ? net->input : net->nodes[src].out;
          st->grad = src == SS_NODE_INPUT ? net->input_grad : net->nodes[src].grad;
          continue;
        }
      st->out = net->acts + off; off += len;
      st->grad = net->acts + off; off += len;
      if (st->node->op == SS_OP_MAXPOOL)
        {
          st->argmax = (gint32 *) (net->acts + off);
          off += len;
        }
      if (st->node->op == SS_OP_DROPOUT)
        {
          st->mask = net->acts + off;
          off += len;
        }
    }
  net->workspace = net->acts + off;
}

static const float *
node_input (const SsNet *net,
            int          index)
{
  return index == SS_NODE_INPUT ? net->input : net->nodes[index].out;
}

static void
pool_dims (const SsNodeState *st,
           int                n,
           SsPoolDims        *d)
{
  ss_pool_dims_init (d, n, st->in_c, st->in_h, st->in_w, st->node->kernel, st->node->stride,
                     st->node->padding);
}

static void
conv_dims (const SsNodeState *st,
           int                n,
           SsConvDims        *d)
{
  ss_conv_dims_init (d, n, st->in_c, st->in_h, st->in_w, st->node->out, st->node->kernel,
                     st->node->stride, st->node->padding);
}

const float *
ss_net_forward (SsNet       *net,
                const float *x,
                int          n,
                SsMode       mode,
                SsRng       *rng)
{
  int c, h, w;

  g_return_val_if_fail (net != NULL, NULL);
  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (n > 0, NULL);

  ensure_capacity (net, n);
  ss_arch_get_input (net->arch, &c, &h, &w);
  memcpy (net->input, x, sizeof (float) * (gsize) n * c * h * w);
  net->batch = n;
  net->mode = mode;
  net->grad_from = net->n_nodes;

  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      const SsNode *node = st->node;
      const float *in = node_input (net, node->inputs[0]);
      gsize len = (gsize) n * st->out_len;
      gint64 start = net->profiling ? g_get_monotonic_time () : 0;

      switch (node->op)
        {
        case SS_OP_CONV:
          {
            SsConvDims d;
            conv_dims (st, n, &d);
            ss_conv_forward (st->out, in, ss_net_get_param (net, st->p_weight),
                             st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL,
                             net->workspace, &d, net->n_threads);
          }
          break;
        case SS_OP_BATCHNORM:
          if (mode == SS_MODE_TRAIN && !st->frozen)
            {
              ss_batchnorm_forward_train (st->out, st->stat_mean, st->stat_invstd,
                                          ss_net_get_param (net, st->p_mean),
                                          ss_net_get_param (net, st->p_var), in,
                                          ss_net_get_param (net, st->p_weight),
                                          ss_net_get_param (net, st->p_bias),
                                          n, st->in_c, st->in_h * st->in_w, BN_MOMENTUM, BN_EPS,
                                          net->n_threads);
              st->batches_tracked++;
            }
          else
            ss_batchnorm_forward_eval (st->out, st->stat_mean, st->stat_invstd, in,
                                       ss_net_get_param (net, st->p_weight),
                                       ss_net_get_param (net, st->p_bias),
                                       ss_net_get_param (net, st->p_mean),
                                       ss_net_get_param (net, st->p_var),
                                       n, st->in_c, st->in_h * st->in_w, BN_EPS, net->n_threads);
          break;
        case SS_OP_RELU:
          ss_relu_forward (st->out, in, len);
          break;
        case SS_OP_MAXPOOL:
          {
            SsPoolDims d;
            pool_dims (st, n, &d);
            ss_maxpool_forward (st->out, st->argmax, in, &d, net->n_threads);
          }
          break;
        case SS_OP_AVGPOOL:
          {
            SsPoolDims d;
            pool_dims (st, n, &d);
            ss_avgpool_forward (st->out, in, &d, net->n_threads);
          }
          break;
        case SS_OP_GLOBAL_AVGPOOL:
          ss_gap_forward (st->out, in, n, st->in_c, st->in_h * st->in_w, net->n_threads);
          break;
        case SS_OP_FLATTEN:
          break;
        case SS_OP_LINEAR:
          ss_linear_forward (st->out, in, ss_net_get_param (net, st->p_weight),
                             st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL,
                             n, (int) st->in_len, node->out, net->n_threads);
          break;
        case SS_OP_DROPOUT:
          if (mode == SS_MODE_TRAIN && node->p > 0.f)
            {
              g_return_val_if_fail (rng != NULL, NULL);
              ss_dropout_forward (st->out, st->mask, in, len, node->p, rng);
            }
          else
            {
              memcpy (st->out, in, sizeof (float) * len);
              for (gsize k = 0; k < len; k++)
                st->mask[k] = 1.f;
            }
          break;
        case SS_OP_ADD:
          ss_add_forward (st->out, in, node_input (net, node->inputs[1]), len);
          break;
        default:
          g_assert_not_reached ();
        }
      if (net->profiling)
        net->seconds[2 * i] += (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    }
  return net->nodes[net->n_nodes - 1].out;
}

/* Where the gradient for input `index` of a node goes, or NULL if nobody needs it. */
static float *
input_grad_target (SsNet          *net,
                   int             index,
                   int             stop,
                   SsBackwardFlags flags)
{
  if (index == SS_NODE_INPUT)
    return (flags & SS_BACKWARD_INPUT_GRAD) ? net->input_grad : NULL;
  return index >= stop ? net->nodes[index].grad : NULL;
}

/* The lowest node the backward must visit: everything when layer gradients are wanted for
 * inspection, else only down to the deepest layer that still trains (SPEC §4). */
static int
backward_stop (const SsNet    *net,
               SsBackwardFlags flags)
{
  if (flags != SS_BACKWARD_PARAM_GRADS)
    return 0;
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].p_weight >= 0 && !net->nodes[i].frozen)
      return i;
  return net->n_nodes;
}

void
ss_net_backward (SsNet          *net,
                 const float    *dlogits,
                 SsBackwardFlags flags)
{
  int n = net->batch;
  int last = net->n_nodes - 1;
  int stop;
  gboolean want_params = (flags & SS_BACKWARD_PARAM_GRADS) != 0;

  g_return_if_fail (net->batch > 0);
  g_return_if_fail (dlogits != NULL);

  stop = backward_stop (net, flags);
  for (int i = MAX (stop, 0); i < last; i++)
    memset (net->nodes[i].grad, 0, sizeof (float) * (gsize) n * net->nodes[i].out_len);
  if (flags & SS_BACKWARD_INPUT_GRAD)
    memset (net->input_grad, 0, sizeof (float) * (gsize) n * net->nodes[0].in_len);
  memcpy (net->nodes[last].grad, dlogits, sizeof (float) * (gsize) n * net->nodes[last].out_len);
  net->grad_from = MIN (stop, last);

  for (int i = last; i >= stop; i--)
    {
      SsNodeState *st = &net->nodes[i];
      const SsNode *node = st->node;
      const float *in = node_input (net, node->inputs[0]);
      const float *g = st->grad;
      float *din = input_grad_target (net, node->inputs[0], stop, flags);
      gboolean params = want_params && !st->frozen;
      float *dw = params && st->p_weight >= 0 ? ss_net_get_param_grad (net, st->p_weight) : NULL;
      float *db = params && st->p_bias >= 0 ? ss_net_get_param_grad (net, st->p_bias) : NULL;
      gsize len = (gsize) n * st->out_len;
      gint64 start = net->profiling ? g_get_monotonic_time () : 0;

      switch (node->op)
        {
        case SS_OP_CONV:
          if (din != NULL || dw != NULL)
            {
              SsConvDims d;
              conv_dims (st, n, &d);
              ss_conv_backward (din, dw, db, g, in, ss_net_get_param (net, st->p_weight),
                                net->workspace, &d, net->n_threads);
            }
          break;
        case SS_OP_BATCHNORM:
          ss_batchnorm_backward (din, dw, db, g, in, ss_net_get_param (net, st->p_weight),
                                 st->stat_mean, st->stat_invstd,
                                 net->mode == SS_MODE_TRAIN && !st->frozen,
                                 n, st->in_c, st->in_h * st->in_w, net->n_threads);
          break;
        case SS_OP_RELU:
          if (din != NULL)
            ss_relu_backward (din, g, st->out, len);
          break;
        case SS_OP_MAXPOOL:
          if (din != NULL)
            {
              SsPoolDims d;
              pool_dims (st, n, &d);
              ss_maxpool_backward (din, g, st->argmax, &d, net->n_threads);
            }
          break;
        case SS_OP_AVGPOOL:
          if (din != NULL)
            {
              SsPoolDims d;
              pool_dims (st, n, &d);
              ss_avgpool_backward (din, g, &d, net->n_threads);
            }
          break;
        case SS_OP_GLOBAL_AVGPOOL:
          if (din != NULL)
            ss_gap_backward (din, g, n, st->in_c, st->in_h * st->in_w, net->n_threads);
          break;
        case SS_OP_FLATTEN:
          /* Shares its input's gradient buffer; consumers already wrote there. */
          break;
        case SS_OP_LINEAR:
          if (din != NULL || dw != NULL)
            ss_linear_backward (din, dw, db, g, in, ss_net_get_param (net, st->p_weight),
                                n, (int) st->in_len, node->out, net->n_threads);
          break;
        case SS_OP_DROPOUT:
          if (din != NULL)
            ss_dropout_backward (din, g, st->mask, len);
          break;
        case SS_OP_ADD:
          {
            float *din2 = input_grad_target (net, node->inputs[1], stop, flags);
            if (din != NULL)
              ss_accumulate (din, g, len);
            if (din2 != NULL)
              ss_accumulate (din2, g, len);
          }
          break;
        default:
          g_assert_not_reached ();
        }
      if (net->profiling)
        net->seconds[2 * i + 1] += (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    }
}

void
ss_net_set_n_threads (SsNet *net,
                      int    n_threads)
{
  g_return_if_fail (net != NULL);
  g_return_if_fail (n_threads >= 1);
  if (n_threads == net->n_threads)
    return;
  net->n_threads = n_threads;
  /* The conv workspace is per thread: lay the arena out again on the next forward. */
  g_clear_pointer (&net->acts, g_aligned_free);
  net->capacity = 0;
  net->batch = 0;
  net->grad_from = net->n_nodes;
}

int
ss_net_get_n_threads (const SsNet *net)
{
  return net->n_threads;
}

int
ss_net_get_batch_size (const SsNet *net)
{
  return net->batch;
}

const float *
ss_net_get_output (const SsNet *net,
                   int          node)
{
  g_return_val_if_fail (node >= 0 && node < net->n_nodes, NULL);
  return net->batch > 0 ? net->nodes[node].out : NULL;
}

const float *
ss_net_get_grad (const SsNet *net,
                 int          node)
{
  g_return_val_if_fail (node >= 0 && node < net->n_nodes, NULL);
  return node >= net->grad_from ? net->nodes[node].grad : NULL;
}

const float *
ss_net_get_input (const SsNet *net)
{
  return net->batch > 0 ? net->input : NULL;
}

const float *
ss_net_get_input_grad (const SsNet *net)
{
  return net->batch > 0 ? net->input_grad : NULL;
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

gsize
ss_net_get_memory_size (const SsNet *net)
{
  return sizeof (float) * (2 * net->arena_len + net->buffers_len + net->acts_len);
}
