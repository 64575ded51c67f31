/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-net-private.h"

/* The net's memory plan, fixed at creation, and the lazily grown regions it is laid out in.
 * Legend: N batch; a node's output is (N, C, H, W).
 *
 * A forward for training or inspection keeps every node's output (the backward and Grad-CAM
 * read them). Gradients are kept per node when someone will read them (saliency); in a training
 * step each lives only from its first writer's backward to its own, so gradients share "slots"
 * assigned by interval colouring. ss_net_predict does the same for outputs: a buffer is free
 * once its last reader has run. A flatten node never owns memory: it reinterprets its input's
 * buffers, so its "canonical" node is its input's. In prediction the batch norm, add and ReLU a
 * conv computes in its output pass (ss-net-run.c) share the conv's buffer too. */

#define ALIGN 64

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

/* The one later node reading node i (flatten included), or -1 if none or several. */
static int
sole_reader (const SsNet *net,
             const int   *readers,
             int          i)
{
  if (readers[i] != 1)
    return -1;
  for (int j = i + 1; j < net->n_nodes; j++)
    {
      const SsNode *node = net->nodes[j].node;
      if (node->inputs[0] == i || (node->op == SS_OP_ADD && node->inputs[1] == i))
        return j;
    }
  return -1;
}

/* Finds the conv → BN [→ add] [→ ReLU] chains ss_net_predict computes in one pass. */
static void
plan_fusion (SsNet *net)
{
  int n = net->n_nodes;
  g_autofree int *readers = g_new0 (int, n);

  for (int i = 0; i < n; i++)
    {
      const SsNode *node = net->nodes[i].node;
      SsNodeState *st = &net->nodes[i];
      st->fused_into = st->fuse_bn = st->fuse_add = st->fuse_relu = -1;
      for (int k = 0; k < (node->op == SS_OP_ADD ? 2 : 1); k++)
        if (node->inputs[k] != SS_NODE_INPUT)
          readers[node->inputs[k]]++;
    }
  for (int i = 0; i < n; i++)
    {
      SsNodeState *st = &net->nodes[i];
      int tail, j;

      if (st->node->op != SS_OP_CONV)
        continue;
      j = sole_reader (net, readers, i);
      if (j < 0 || net->nodes[j].node->op != SS_OP_BATCHNORM)
        continue;
      st->fuse_bn = tail = j;
      j = sole_reader (net, readers, tail);
      if (j >= 0 && net->nodes[j].node->op == SS_OP_ADD)
        {
          const SsNode *add = net->nodes[j].node;
          int other = add->inputs[0] == tail ? add->inputs[1] : add->inputs[0];
          /* The other operand must exist when the conv runs. */
          if (other != tail && other < i)
            {
              st->fuse_add = tail = j;
              j = sole_reader (net, readers, tail);
            }
        }
      if (j >= 0 && net->nodes[j].node->op == SS_OP_RELU)
        st->fuse_relu = j;
      net->nodes[st->fuse_bn].fused_into = i;
      if (st->fuse_add >= 0)
        net->nodes[st->fuse_add].fused_into = i;
      if (st->fuse_relu >= 0)
        net->nodes[st->fuse_relu].fused_into = i;
    }
}

/* Output slots for ss_net_predict: a buffer per "owner" (a node, its flattens, and in predict
 * the nodes fused into it), live from the owner to the last node reading any of them. */
static void
plan_predict_slots (SsNet *net,
                    int   *order,
                    int   *start,
                    int   *end,
                    int   *slot,
                    gsize *size)
{
  int n = net->n_nodes, m = 0;
  g_autofree int *owner = g_new (int, n);

  for (int i = 0; i < n; i++)
    {
      const SsNodeState *st = &net->nodes[i];
      owner[i] = st->fused_into >= 0 ? st->fused_into
               : st->canonical != i ? owner[st->canonical] : i;
      end[i] = i;
    }
  for (int i = 0; i < n; i++)
    {
      const SsNode *node = net->nodes[i].node;
      if (node->op == SS_OP_FLATTEN)
        continue;   /* its readers read its owner */
      for (int k = 0; k < (node->op == SS_OP_ADD ? 2 : 1); k++)
        if (node->inputs[k] != SS_NODE_INPUT && owner[node->inputs[k]] != owner[i])
          end[owner[node->inputs[k]]] = MAX (end[owner[node->inputs[k]]], i);
    }
  end[owner[n - 1]] = n;
  for (int i = 0; i < n; i++)
    if (owner[i] == i)
      {
        order[m++] = i;
        start[i] = i;
        size[i] = net->nodes[i].out_len;
      }
  net->out_slot_len = g_new (gsize, MAX (m, 1));
  net->n_out_slots = colour_intervals (m, order, start, end, size, slot, net->out_slot_len);
  for (int i = 0; i < n; i++)
    net->nodes[i].out_slot = slot[owner[i]];
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
              in->first_writer = MAX (in->first_writer, i);
            else if (i == n - 1)
              in->first_writer = n;
          }
    }

  /* Outputs for prediction: live from the node to its last reader; nodes in order of start. */
  plan_fusion (net);
  plan_predict_slots (net, order, start, end, slot, size);

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

float *
ss_net_region_reserve (SsRegion *r,
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

void
ss_net_region_clear (SsRegion *r)
{
  g_clear_pointer (&r->mem, g_aligned_free);
  r->len = 0;
}

void
ss_net_release_memory (SsNet *net)
{
  ss_net_region_clear (&net->acts);
  ss_net_region_clear (&net->grads);
  ss_net_region_clear (&net->pred);
  g_clear_pointer (&net->out_slot_len, g_free);
  g_clear_pointer (&net->grad_slot_len, g_free);
}
