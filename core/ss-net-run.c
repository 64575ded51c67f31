/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-activation.h"
#include "ss-batchnorm.h"
#include "ss-linear.h"
#include "ss-net-private.h"

/* Running a net: forward, backward, prediction, and the memory they use.
 * Legend: N batch, K classes; a node's output is (N, C, H, W).
 *
 * Memory plan. A forward for training or inspection keeps every node's output (the backward and
 * Grad-CAM read them). Gradients are kept per node when someone will read them (saliency); in a
 * training step each lives only from its first writer's backward to its own, so gradients share
 * "slots" assigned by interval colouring. ss_net_predict does the same for outputs: a buffer is
 * free once its last reader has run. A flatten node never owns memory: it reinterprets its
 * input's buffers, so its "canonical" node is its input's. */

#define BN_MOMENTUM 0.1f
#define BN_EPS      1e-5f
#define ALIGN       64

static gsize
round_up (gsize n)
{
  return (n + ALIGN / sizeof (float) - 1) & ~(ALIGN / sizeof (float) - 1);
}

/* Greedy interval colouring. Items order[0..m) sorted by start; item i is live over
 * [start[i], end[i]]. Fills slot[i] and len[slot] = max size[i]; returns the slot count. */
static int
colour_intervals (int          m,
                  const int   *order,
                  const int   *start,
                  const int   *end,
                  const gsize *size,
                  int         *slot,
                  gsize       *len)
{
  g_autofree int *busy_until = g_new (int, MAX (m, 1));
  int n_slots = 0;

  for (int k = 0; k < m; k++)
    {
      int i = order[k], s = -1;
      for (int j = 0; j < n_slots && s < 0; j++)
        if (busy_until[j] < start[i])
          s = j;
      if (s < 0)
        {
          s = n_slots++;
          len[s] = 0;
        }
      busy_until[s] = end[i];
      slot[i] = s;
      len[s] = MAX (len[s], size[i]);
    }
  return n_slots;
}

void
ss_net_plan_memory (SsNet *net)
{
  int n = net->n_nodes;
  g_autofree int *order = g_new (int, n);
  g_autofree int *start = g_new (int, n);
  g_autofree int *end = g_new (int, n);
  g_autofree int *slot = g_new (int, n);
  g_autofree gsize *size = g_new (gsize, n);
  int m = 0;

  for (int i = 0; i < n; i++)
    {
      SsNodeState *st = &net->nodes[i];
      int src = st->node->inputs[0];
      st->canonical = st->node->op == SS_OP_FLATTEN && src != SS_NODE_INPUT
                      ? net->nodes[src].canonical : i;
      st->last_use = i == n - 1 ? n : -1;
      st->first_writer = i == n - 1 ? n : -1;
    }
  for (int i = 0; i < n; i++)
    {
      const SsNode *node = net->nodes[i].node;
      for (int k = 0; k < (node->op == SS_OP_ADD ? 2 : 1); k++)
        if (node->inputs[k] != SS_NODE_INPUT)
          {
            SsNodeState *in = &net->nodes[net->nodes[node->inputs[k]].canonical];
            /* A flatten's reader reads the canonical buffer; the flatten itself does not. */
            if (node->op != SS_OP_FLATTEN)
              {
                in->last_use = MAX (in->last_use, i);
                in->first_writer = MAX (in->first_writer, i);
              }
            else if (i == n - 1)
              in->last_use = in->first_writer = n;
          }
    }

  /* Outputs for prediction: live from the node to its last reader; nodes in order of start. */
  for (int i = 0; i < n; i++)
    if (net->nodes[i].canonical == i)
      {
        order[m++] = i;
        start[i] = i;
        end[i] = MAX (net->nodes[i].last_use, i);
        size[i] = net->nodes[i].out_len;
      }
  net->out_slot_len = g_new (gsize, MAX (m, 1));
  net->n_out_slots = colour_intervals (m, order, start, end, size, slot, net->out_slot_len);
  for (int i = 0; i < n; i++)
    net->nodes[i].out_slot = slot[net->nodes[i].canonical];

  /* Gradients, in backward time t = n − node: live from the first writer to the node itself. A
   * node nobody reads (a dead branch) is "written" at the start, where it is zeroed. */
  m = 0;
  for (int w = n; w >= 0; w--)
    for (int i = 0; i < n; i++)
      if (net->nodes[i].canonical == i &&
          (net->nodes[i].first_writer < 0 ? n : net->nodes[i].first_writer) == w)
        {
          order[m++] = i;
          start[i] = n - w;
          end[i] = n - i;
          size[i] = net->nodes[i].out_len;
        }
  for (int i = 0; i < n; i++)
    if (net->nodes[i].first_writer < 0)
      net->nodes[i].first_writer = n;
  net->grad_slot_len = g_new (gsize, MAX (m, 1));
  net->n_grad_slots = colour_intervals (m, order, start, end, size, slot, net->grad_slot_len);
  for (int i = 0; i < n; i++)
    net->nodes[i].grad_slot = slot[net->nodes[i].canonical];
}

static float *
region_reserve (SsRegion *r,
                gsize     len)
{
  if (len > r->len)
    {
      g_aligned_free (r->mem);
      r->mem = g_aligned_alloc (len, sizeof (float), ALIGN);
      r->len = len;
    }
  return r->mem;
}

static void
region_clear (SsRegion *r)
{
  g_clear_pointer (&r->mem, g_aligned_free);
  r->len = 0;
}

void
ss_net_release_memory (SsNet *net)
{
  region_clear (&net->acts);
  region_clear (&net->grads);
  region_clear (&net->pred);
  g_clear_pointer (&net->out_slot_len, g_free);
  g_clear_pointer (&net->grad_slot_len, g_free);
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
  region_clear (&net->acts);
  region_reserve (&net->acts, total);
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
  region_reserve (&net->grads, total);
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

static void
conv_dims (const SsNodeState *st,
           int                n,
           SsConvDims        *d)
{
  ss_conv_dims_init (d, n, st->in_c, st->in_h, st->in_w, st->node->out, st->node->kernel,
                     st->node->stride, st->node->padding);
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
  region_reserve (&net->pred, total);

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
  region_clear (&net->acts);
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
