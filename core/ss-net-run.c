/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-activation.h"
#include "ss-batchnorm.h"
#include "ss-linear.h"
#include "ss-net-private.h"

/* Running a net: forward, backward and prediction, in the memory ss-net-plan.c lays out.
 * Legend: N batch, K classes; a node's output is (N, C, H, W).
 *
 * Inference fusion. In ss_net_predict a conv whose only reader is a batch norm also computes
 * that batch norm (evaluation form), then the residual add reading only the batch norm (when its
 * other operand is ready before the conv runs) and the ReLU reading only what came before, all
 * in the conv's output pass while the values are in cache (SsConvPost): ResNet's conv-BN-ReLU
 * and conv-BN-add-ReLU chains become one pass instead of three or four. The absorbed nodes share
 * the conv's buffer; the float operations are the unfused ones, so the logits are the same bit
 * for bit. */

#define BN_MOMENTUM 0.1f
#define BN_EPS      1e-5f
#define ALIGN       64

static gsize
round_up (gsize n)
{
  return (n + ALIGN / sizeof (float) - 1) & ~(ALIGN / sizeof (float) - 1);
}

static void
conv_dims (const SsNodeState *st,
           int                n,
           SsConvDims        *d)
{
  /* The arch validated the shapes, groups and dilation (0 read as 1). */
  if (!ss_conv_dims_init_full (d, n, st->in_c, st->in_h, st->in_w, st->node->out,
                               st->node->kernel, st->node->stride, st->node->padding,
                               MAX (st->node->groups, 1), MAX (st->node->dilation, 1)))
    g_assert_not_reached ();
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
      conv_dims (st, n, &d);
      size = MAX (size, ss_conv_workspace_size (&d, net->n_threads));
    }
  return round_up (size);
}

static gsize
input_len (const SsNet *net,
           int          n)
{
  int c, h, w;
  ss_arch_get_input (net->arch, &c, &h, &w);
  return round_up ((gsize) n * c * h * w);
}

/* Lays out the activation arena for n samples; reused while batches fit. */
static void
ensure_capacity (SsNet *net,
                 int    n)
{
  gsize total = input_len (net, n) + workspace_size (net, n), off = 0;

  if (n <= net->capacity)
    return;
  for (int i = 0; i < net->n_nodes; i++)
    {
      const SsNodeState *st = &net->nodes[i];
      gsize len = round_up ((gsize) n * st->out_len);
      if (st->canonical == i)
        total += len;
      if (st->node->op == SS_OP_MAXPOOL || st->node->op == SS_OP_DROPOUT)
        total += len;
    }
  ss_net_region_clear (&net->acts);
  ss_net_region_reserve (&net->acts, total);
  net->capacity = n;
  net->grad_from = net->n_nodes;

  net->input = net->acts.mem + off;
  off += input_len (net, n);
  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      gsize len = round_up ((gsize) n * st->out_len);
      st->argmax = NULL;
      st->mask = NULL;
      if (st->canonical != i)
        continue;
      if (st->node->op == SS_OP_FLATTEN)   /* flattening the input itself */
        st->out = net->input;
      else
        {
          st->out = net->acts.mem + off;
          off += len;
        }
      if (st->node->op == SS_OP_MAXPOOL)
        {
          st->argmax = (gint32 *) (net->acts.mem + off);
          off += len;
        }
      if (st->node->op == SS_OP_DROPOUT)
        {
          st->mask = net->acts.mem + off;
          off += len;
        }
    }
  for (int i = 0; i < net->n_nodes; i++)
    net->nodes[i].out = net->nodes[net->nodes[i].canonical].out;
  net->workspace = net->acts.mem + off;
}

/* Points every node's gradient at per-node buffers (keep) or at shared slots, for n samples. */
static void
layout_grads (SsNet   *net,
              int      n,
              gboolean keep)
{
  gsize total = input_len (net, n), off = 0;
  g_autofree gsize *slot_off = g_new (gsize, MAX (net->n_grad_slots, 1));

  for (int i = 0; keep && i < net->n_nodes; i++)
    if (net->nodes[i].canonical == i)
      total += round_up ((gsize) n * net->nodes[i].out_len);
  for (int s = 0; !keep && s < net->n_grad_slots; s++)
    {
      slot_off[s] = total;
      total += round_up ((gsize) n * net->grad_slot_len[s]);
    }
  ss_net_region_reserve (&net->grads, total);
  net->input_grad = net->grads.mem;
  off = input_len (net, n);
  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      if (st->canonical != i)
        continue;
      if (st->node->op == SS_OP_FLATTEN)
        st->grad = net->input_grad;
      else if (keep)
        {
          st->grad = net->grads.mem + off;
          off += round_up ((gsize) n * st->out_len);
        }
      else
        st->grad = net->grads.mem + slot_off[st->grad_slot];
    }
  for (int i = 0; i < net->n_nodes; i++)
    net->nodes[i].grad = net->nodes[net->nodes[i].canonical].grad;
}

static void
pool_dims (const SsNodeState *st,
           int                n,
           SsPoolDims        *d)
{
  ss_pool_dims_init (d, n, st->in_c, st->in_h, st->in_w, st->node->kernel, st->node->stride,
                     st->node->padding);
}


/* Where one node's forward writes. */
typedef struct {
  float  *out;          /* (N, C, H, W) */
  gint32 *argmax;       /* (N, C, H, W) or NULL */
  float  *mask;         /* (N, C, H, W) or NULL: dropout runs as the identity */
  float  *stat_mean;    /* (C) */
  float  *stat_invstd;  /* (C) */
  float  *workspace;
} NodeOut;

static void
forward_node (SsNet         *net,
              int            i,
              const float   *in,
              const float   *in2,
              const NodeOut *o,
              int            n,
              SsMode         mode,
              SsRng         *rng)
{
  SsNodeState *st = &net->nodes[i];
  const SsNode *node = st->node;
  gsize len = (gsize) n * st->out_len;
  gint64 start = net->profiling ? g_get_monotonic_time () : 0;

  switch (node->op)
    {
    case SS_OP_CONV:
      {
        SsConvDims d;
        conv_dims (st, n, &d);
        ss_conv_forward (o->out, in, ss_net_get_param (net, st->p_weight),
                         st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL,
                         o->workspace, &d, net->n_threads);
      }
      break;
    case SS_OP_BATCHNORM:
      if (mode == SS_MODE_TRAIN && !st->frozen)
        {
          ss_batchnorm_forward_train (o->out, o->stat_mean, o->stat_invstd,
                                      ss_net_get_param (net, st->p_mean),
                                      ss_net_get_param (net, st->p_var), in,
                                      ss_net_get_param (net, st->p_weight),
                                      ss_net_get_param (net, st->p_bias),
                                      n, st->in_c, st->in_h * st->in_w, BN_MOMENTUM, BN_EPS,
                                      net->n_threads);
          st->batches_tracked++;
        }
      else
        ss_batchnorm_forward_eval (o->out, o->stat_mean, o->stat_invstd, in,
                                   ss_net_get_param (net, st->p_weight),
                                   ss_net_get_param (net, st->p_bias),
                                   ss_net_get_param (net, st->p_mean),
                                   ss_net_get_param (net, st->p_var),
                                   n, st->in_c, st->in_h * st->in_w, BN_EPS, net->n_threads);
      break;
    case SS_OP_RELU:
      ss_relu_forward (o->out, in, len);
      break;
    case SS_OP_MAXPOOL:
      {
        SsPoolDims d;
        pool_dims (st, n, &d);
        ss_maxpool_forward (o->out, o->argmax, in, &d, net->n_threads);
      }
      break;
    case SS_OP_AVGPOOL:
      {
        SsPoolDims d;
        pool_dims (st, n, &d);
        ss_avgpool_forward (o->out, in, &d, net->n_threads);
      }
      break;
    case SS_OP_GLOBAL_AVGPOOL:
      ss_gap_forward (o->out, in, n, st->in_c, st->in_h * st->in_w, net->n_threads);
      break;
    case SS_OP_FLATTEN:
      break;
    case SS_OP_LINEAR:
      ss_linear_forward (o->out, in, ss_net_get_param (net, st->p_weight),
                         st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL,
                         n, (int) st->in_len, node->out, net->n_threads);
      break;
    case SS_OP_DROPOUT:
      if (mode == SS_MODE_TRAIN && node->p > 0.f)
        {
          g_return_if_fail (rng != NULL);
          ss_dropout_forward (o->out, o->mask, in, len, node->p, rng);
        }
      else
        {
          memcpy (o->out, in, sizeof (float) * len);
          for (gsize k = 0; o->mask != NULL && k < len; k++)
            o->mask[k] = 1.f;
        }
      break;
    case SS_OP_ADD:
      ss_add_forward (o->out, in, in2, len);
      break;
    default:
      g_assert_not_reached ();
    }
  if (net->profiling)
    net->seconds[2 * i] += (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static const float *
node_input (const SsNet *net,
            int          index)
{
  return index == SS_NODE_INPUT ? net->input : net->nodes[index].out;
}

const float *
ss_net_forward (SsNet       *net,
                const float *x,
                int          n,
                SsMode       mode,
                SsRng       *rng)
{
  g_return_val_if_fail (net != NULL, NULL);
  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (n > 0, NULL);

  ensure_capacity (net, n);
  memcpy (net->input, x, sizeof (float) * (gsize) n * net->nodes[0].in_len);
  net->batch = n;
  net->mode = mode;
  net->grad_from = net->n_nodes;

  for (int i = 0; i < net->n_nodes; i++)
    {
      SsNodeState *st = &net->nodes[i];
      NodeOut o = {
        st->out, st->argmax, st->mask, st->stat_mean, st->stat_invstd, net->workspace,
      };
      forward_node (net, i, node_input (net, st->node->inputs[0]),
                    st->node->op == SS_OP_ADD ? node_input (net, st->node->inputs[1]) : NULL,
                    &o, n, mode, rng);
    }
  return net->nodes[net->n_nodes - 1].out;
}

/* The buffer ss_net_predict reads for input `index`: a flatten of the image is the image. */
static const float *
predict_input (const SsNet *net,
               float      **slots,
               const float *x,
               int          index)
{
  const SsNodeState *c;
  if (index == SS_NODE_INPUT)
    return x;
  c = &net->nodes[net->nodes[index].canonical];
  return c->node->op == SS_OP_FLATTEN ? x : slots[c->out_slot];
}

/* Conv node i with the batch norm, add and ReLU fused into it (plan_fusion), into o->out;
 * o->stat_invstd is scratch for the batch norm's scale. */
static void
conv_fused (SsNet         *net,
            int            i,
            float        **slots,
            const float   *x,
            const NodeOut *o,
            int            n)
{
  const SsNodeState *st = &net->nodes[i];
  const SsNodeState *bn = &net->nodes[st->fuse_bn];
  const float *var = ss_net_get_param (net, bn->p_var);    /* (C) */
  const float *gamma = ss_net_get_param (net, bn->p_weight);
  gint64 start = net->profiling ? g_get_monotonic_time () : 0;
  SsConvPost post = {
    .mean = ss_net_get_param (net, bn->p_mean),
    .scale = o->stat_invstd,
    .shift = ss_net_get_param (net, bn->p_bias),
    .relu = st->fuse_relu >= 0,
  };
  SsConvDims d;

  /* scale = invstd·γ exactly as ss_batchnorm_forward_eval computes it. */
  for (int c = 0; c < bn->in_c; c++)
    {
      float istd = (float) (1.0 / sqrt ((double) var[c] + (double) BN_EPS));
      o->stat_invstd[c] = istd * gamma[c];
    }
  if (st->fuse_add >= 0)
    {
      const SsNode *add = net->nodes[st->fuse_add].node;
      int other = add->inputs[0] == st->fuse_bn ? add->inputs[1] : add->inputs[0];
      post.residual = predict_input (net, slots, x, other);
    }
  conv_dims (st, n, &d);
  ss_conv_forward_post (o->out, predict_input (net, slots, x, st->node->inputs[0]),
                        ss_net_get_param (net, st->p_weight),
                        st->p_bias >= 0 ? ss_net_get_param (net, st->p_bias) : NULL,
                        &post, o->workspace, &d, net->n_threads);
  if (net->profiling)
    net->seconds[2 * i] += (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

const float *
ss_net_predict (SsNet       *net,
                const float *x,
                int          n)
{
  g_autofree float **slots = NULL;
  gsize total = 0, idx_len = 0, max_c = 1, off = 0;
  gint32 *argmax;
  float *stats, *workspace;

  g_return_val_if_fail (net != NULL && x != NULL && n > 0, NULL);

  for (int i = 0; i < net->n_nodes; i++)
    {
      if (net->nodes[i].node->op == SS_OP_MAXPOOL)
        idx_len = MAX (idx_len, round_up ((gsize) n * net->nodes[i].out_len));
      max_c = MAX (max_c, (gsize) net->nodes[i].in_c);
    }
  for (int s = 0; s < net->n_out_slots; s++)
    total += round_up ((gsize) n * net->out_slot_len[s]);
  total += idx_len + round_up (2 * max_c) + workspace_size (net, n);
  ss_net_region_reserve (&net->pred, total);

  slots = g_new (float *, MAX (net->n_out_slots, 1));
  for (int s = 0; s < net->n_out_slots; s++)
    {
      slots[s] = net->pred.mem + off;
      off += round_up ((gsize) n * net->out_slot_len[s]);
    }
  argmax = (gint32 *) (net->pred.mem + off);
  off += idx_len;
  stats = net->pred.mem + off;
  off += round_up (2 * max_c);
  workspace = net->pred.mem + off;

  for (int i = 0; i < net->n_nodes; i++)
    {
      const SsNodeState *st = &net->nodes[i];
      NodeOut o = { slots[st->out_slot], argmax, NULL, stats, stats + max_c, workspace };
      if (st->fused_into >= 0)
        continue;   /* computed by its conv */
      if (st->fuse_bn >= 0)
        {
          conv_fused (net, i, slots, x, &o, n);
          continue;
        }
      forward_node (net, i, predict_input (net, slots, x, st->node->inputs[0]),
                    st->node->op == SS_OP_ADD
                    ? predict_input (net, slots, x, st->node->inputs[1]) : NULL,
                    &o, n, SS_MODE_EVAL, NULL);
    }
  return predict_input (net, slots, x, net->n_nodes - 1);
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

static void
zero_grad_of (SsNet *net,
              int    node,
              int    n)
{
  memset (net->nodes[node].grad, 0, sizeof (float) * (gsize) n * net->nodes[node].out_len);
}

static void
backward_node (SsNet          *net,
               int             i,
               int             stop,
               SsBackwardFlags flags)
{
  SsNodeState *st = &net->nodes[i];
  const SsNode *node = st->node;
  int n = net->batch;
  const float *in = node_input (net, node->inputs[0]);
  const float *g = st->grad;
  float *din = input_grad_target (net, node->inputs[0], stop, flags);
  gboolean params = (flags & SS_BACKWARD_PARAM_GRADS) && !st->frozen;
  float *dw = params && st->p_weight >= 0 ? ss_net_get_param_grad (net, st->p_weight) : NULL;
  float *db = params && st->p_bias >= 0 ? ss_net_get_param_grad (net, st->p_bias) : NULL;
  gsize len = (gsize) n * st->out_len;

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
      /* Shares its input's gradient buffer; its readers already wrote there. */
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
}

void
ss_net_backward (SsNet          *net,
                 const float    *dlogits,
                 SsBackwardFlags flags)
{
  int n = net->batch;
  int last = net->n_nodes - 1;
  int stop;
  gboolean keep = flags != SS_BACKWARD_PARAM_GRADS;

  g_return_if_fail (net->batch > 0);
  g_return_if_fail (dlogits != NULL);

  stop = backward_stop (net, flags);
  layout_grads (net, n, keep);
  if (flags & SS_BACKWARD_INPUT_GRAD)
    memset (net->input_grad, 0, sizeof (float) * (gsize) n * net->nodes[0].in_len);
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].canonical == i && net->nodes[i].first_writer == net->n_nodes &&
        i >= stop)
      zero_grad_of (net, i, n);
  ss_accumulate (net->nodes[last].grad, dlogits, (gsize) n * net->nodes[last].out_len);
  net->grad_from = keep ? MIN (stop, last) : net->n_nodes;

  for (int i = last; i >= stop; i--)
    {
      const SsNode *node = net->nodes[i].node;
      gint64 start = net->profiling ? g_get_monotonic_time () : 0;

      /* A gradient's buffer is zeroed just before its first writer adds to it. */
      for (int k = 0; k < (node->op == SS_OP_ADD ? 2 : 1); k++)
        {
          int src = node->inputs[k];
          if (src != SS_NODE_INPUT && src >= stop && node->op != SS_OP_FLATTEN &&
              net->nodes[net->nodes[src].canonical].first_writer == i &&
              (k == 0 || src != node->inputs[0]))
            zero_grad_of (net, net->nodes[src].canonical, n);
        }
      backward_node (net, i, stop, flags);
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
  ss_net_region_clear (&net->acts);
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
  return net->batch > 0 && net->grads.mem != NULL ? net->input_grad : NULL;
}

gsize
ss_net_get_memory_size (const SsNet *net)
{
  return sizeof (float) * (2 * net->arena_len + net->buffers_len + net->acts.len +
                           net->grads.len + net->pred.len);
}
