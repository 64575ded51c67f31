/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-arch-private.h"
#include "ss-error.h"

/* Shapes are (C, H, W) per sample; a flat vector of F values is (F, 1, 1). */

struct _SsArch {
  char   *name;
  int     in_c, in_h, in_w;
  int     n_classes;
  GArray *nodes;   /* SsNode; names owned */
};

static void
node_clear (gpointer data)
{
  SsNode *node = data;
  g_clear_pointer (&node->name, g_free);
  g_clear_pointer (&node->block, g_free);
}

SsArch *
ss_arch_new (const char *name,
             int         in_c,
             int         in_h,
             int         in_w,
             int         n_classes)
{
  SsArch *arch = g_new0 (SsArch, 1);
  arch->name = g_strdup (name ? name : "custom");
  arch->in_c = in_c;
  arch->in_h = in_h;
  arch->in_w = in_w;
  arch->n_classes = n_classes;
  arch->nodes = g_array_new (FALSE, TRUE, sizeof (SsNode));
  g_array_set_clear_func (arch->nodes, node_clear);
  return arch;
}

SsArch *
ss_arch_copy (const SsArch *arch)
{
  SsArch *copy;

  g_return_val_if_fail (arch != NULL, NULL);
  copy = ss_arch_new (arch->name, arch->in_c, arch->in_h, arch->in_w, arch->n_classes);
  for (guint i = 0; i < arch->nodes->len; i++)
    {
      SsNode node = g_array_index (arch->nodes, SsNode, i);
      node.name = g_strdup (node.name);
      node.block = g_strdup (node.block);
      g_array_append_val (copy->nodes, node);
    }
  return copy;
}

void
ss_arch_free (SsArch *arch)
{
  if (arch == NULL)
    return;
  g_free (arch->name);
  g_array_unref (arch->nodes);
  g_free (arch);
}

const char *
ss_op_name (SsOp op)
{
  switch (op)
    {
    case SS_OP_CONV: return "conv";
    case SS_OP_BATCHNORM: return "batchnorm";
    case SS_OP_RELU: return "relu";
    case SS_OP_MAXPOOL: return "maxpool";
    case SS_OP_AVGPOOL: return "avgpool";
    case SS_OP_GLOBAL_AVGPOOL: return "global-avgpool";
    case SS_OP_FLATTEN: return "flatten";
    case SS_OP_LINEAR: return "linear";
    case SS_OP_DROPOUT: return "dropout";
    case SS_OP_ADD: return "add";
    default: g_return_val_if_reached ("unknown");
    }
}

int
ss_arch_append (SsArch       *arch,
                const SsNode *node)
{
  SsNode copy;
  int index;

  g_return_val_if_fail (arch != NULL, -1);
  g_return_val_if_fail (node != NULL, -1);

  index = (int) arch->nodes->len;
  copy = *node;
  if (copy.name == NULL)
    {
      /* Parameter-free layers get a name from their kind and how many of that kind came before,
       * so "relu3" is the third ReLU. */
      int count = 1;
      for (int i = 0; i < index; i++)
        count += g_array_index (arch->nodes, SsNode, i).op == node->op;
      copy.name = g_strdup_printf ("%s%d", ss_op_name (node->op), count);
    }
  else
    copy.name = g_strdup (node->name);
  copy.block = g_strdup (node->block);
  for (int k = 0; k < 2; k++)
    if (copy.inputs[k] == SS_NODE_PREVIOUS)
      copy.inputs[k] = index - 1;
  if (node->op != SS_OP_ADD)
    copy.inputs[1] = SS_NODE_INPUT;
  copy.groups = MAX (copy.groups, 1);
  copy.dilation = MAX (copy.dilation, 1);
  g_array_append_val (arch->nodes, copy);
  return index;
}

const char *
ss_arch_get_name (const SsArch *arch)
{
  return arch->name;
}

int
ss_arch_get_n_nodes (const SsArch *arch)
{
  return (int) arch->nodes->len;
}

const SsNode *
ss_arch_get_node (const SsArch *arch,
                  int           i)
{
  g_return_val_if_fail (i >= 0 && i < (int) arch->nodes->len, NULL);
  return &g_array_index (arch->nodes, SsNode, i);
}

int
ss_arch_find_node (const SsArch *arch,
                   const char   *name)
{
  for (guint i = 0; i < arch->nodes->len; i++)
    if (g_strcmp0 (g_array_index (arch->nodes, SsNode, i).name, name) == 0)
      return (int) i;
  return -1;
}

void
ss_arch_get_input (const SsArch *arch,
                   int          *c,
                   int          *h,
                   int          *w)
{
  if (c) *c = arch->in_c;
  if (h) *h = arch->in_h;
  if (w) *w = arch->in_w;
}

int
ss_arch_get_n_classes (const SsArch *arch)
{
  return arch->n_classes;
}

static void
input_shape (const SsArch *arch,
             int           index,
             int          *c,
             int          *h,
             int          *w)
{
  if (index == SS_NODE_INPUT)
    {
      *c = arch->in_c; *h = arch->in_h; *w = arch->in_w;
    }
  else
    {
      const SsNode *in = &g_array_index (arch->nodes, SsNode, index);
      *c = in->c; *h = in->h; *w = in->w;
    }
}

/* Output side of a window of size k, stride s, padding p over n cells; 0 if it does not fit. */
static int
window_out (int n, int k, int s, int p)
{
  if (k < 1 || s < 1 || p < 0 || n + 2 * p < k)
    return 0;
  return (n + 2 * p - k) / s + 1;
}

/* Generous bounds that keep every count inside gint64 and every buffer inside memory. */
#define MAX_CHANNELS (1 << 16)
#define MAX_SIDE     (1 << 14)
/* ImageNet models have 1000 or 21843 outputs. The same number as SS_MAX_CLASSES (ss-labels.h):
 * data set labels are 16-bit, so every output can be a class of a data set. */
#define MAX_CLASSES  (1 << 16)

/* A conv's filters, groups and dilation against its c input channels. */
static gboolean
check_conv (const SsArch *arch,
            const SsNode *node,
            int           c,
            GError      **error)
{
  int groups = MAX (node->groups, 1), dilation = MAX (node->dilation, 1);

  if (node->out < 1 || node->out > MAX_CHANNELS)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: layer “%s” has %d filters", arch->name, node->name, node->out);
      return FALSE;
    }
  if (node->groups < 0 || groups > MAX_CHANNELS || node->dilation < 0 || dilation > MAX_SIDE ||
      node->kernel < 1 || node->kernel > MAX_SIDE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: conv “%s” has kernel %d, %d groups and dilation %d; each must be at "
                   "least 1 (kernel and dilation at most %d, groups at most %d)", arch->name,
                   node->name, node->kernel, node->groups, node->dilation, MAX_SIDE,
                   MAX_CHANNELS);
      return FALSE;
    }
  if (c % groups != 0 || node->out % groups != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: conv “%s” splits its %d input channels and %d filters into %d groups, "
                   "but both must be multiples of the number of groups", arch->name,
                   node->name, c, node->out, groups);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_arch_infer_node (SsArch  *arch,
                    int      i,
                    GError **error)
{
  SsNode *node = &g_array_index (arch->nodes, SsNode, i);
  int n_inputs = node->op == SS_OP_ADD ? 2 : 1;
  int c, h, w;

  if (node->name == NULL || node->name[0] == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: layer %d has no name", arch->name, i);
      return FALSE;
    }
  for (int j = 0; j < i; j++)
    if (g_str_equal (g_array_index (arch->nodes, SsNode, j).name, node->name))
      {
        g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: two layers are named “%s”",
                     arch->name, node->name);
        return FALSE;
      }
  for (int k = 0; k < n_inputs; k++)
    if (node->inputs[k] < SS_NODE_INPUT || node->inputs[k] >= i)
      {
        g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                     "%s: layer “%s” reads from layer %d, which does not come before it",
                     arch->name, node->name, node->inputs[k]);
        return FALSE;
      }

  input_shape (arch, node->inputs[0], &c, &h, &w);
  switch (node->op)
    {
    case SS_OP_CONV:
    case SS_OP_MAXPOOL:
    case SS_OP_AVGPOOL:
      {
        gboolean pool = node->op != SS_OP_CONV;
        int groups = MAX (node->groups, 1), dilation = MAX (node->dilation, 1);
        int span, oh, ow;
        if (!pool && !check_conv (arch, node, c, error))
          return FALSE;
        /* A dilated kernel spans (K - 1)·D + 1 pixels; pools are never dilated. */
        span = pool ? node->kernel : (node->kernel - 1) * dilation + 1;
        oh = window_out (h, span, node->stride, node->padding);
        ow = window_out (w, span, node->stride, node->padding);
        if (oh < 1 || ow < 1 || (pool && 2 * node->padding > node->kernel))
          {
            g_autofree char *extra = groups > 1 || dilation > 1
              ? g_strdup_printf (", dilation %d (it spans %d×%d)", dilation, span, span)
              : g_strdup ("");
            g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                         "%s: layer “%s” (%s %d×%d, stride %d, padding %d%s) does not fit its "
                         "%d×%d input", arch->name, node->name, ss_op_name (node->op),
                         node->kernel, node->kernel, node->stride, node->padding, extra, h, w);
            return FALSE;
          }
        node->c = pool ? c : node->out;
        node->h = oh;
        node->w = ow;
      }
      break;
    case SS_OP_BATCHNORM:
    case SS_OP_RELU:
    case SS_OP_DROPOUT:
      if (node->op == SS_OP_DROPOUT && !(node->p >= 0.f && node->p < 1.f))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "%s: dropout “%s” has p = %g; it must be in [0, 1)",
                       arch->name, node->name, node->p);
          return FALSE;
        }
      node->c = c; node->h = h; node->w = w;
      break;
    case SS_OP_GLOBAL_AVGPOOL:
      node->c = c; node->h = 1; node->w = 1;
      break;
    case SS_OP_FLATTEN:
      if ((gint64) c * h * w > G_MAXINT / 2)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “%s” output is too large",
                       arch->name, node->name);
          return FALSE;
        }
      node->c = c * h * w; node->h = 1; node->w = 1;
      break;
    case SS_OP_LINEAR:
      if (h != 1 || w != 1)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "%s: linear layer “%s” needs a flat input, but gets %d×%d×%d; put a "
                       "flatten or global pooling layer before it",
                       arch->name, node->name, c, h, w);
          return FALSE;
        }
      if (node->out < 1 || node->out > MAX_CHANNELS * 16)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: linear layer “%s” has %d outputs",
                       arch->name, node->name, node->out);
          return FALSE;
        }
      node->c = node->out; node->h = 1; node->w = 1;
      break;
    case SS_OP_ADD:
      {
        int c2, h2, w2;
        input_shape (arch, node->inputs[1], &c2, &h2, &w2);
        if (c != c2 || h != h2 || w != w2)
          {
            g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                         "%s: “%s” adds a %d×%d×%d tensor to a %d×%d×%d one",
                         arch->name, node->name, c, h, w, c2, h2, w2);
            return FALSE;
          }
        node->c = c; node->h = h; node->w = w;
      }
      break;
    default:
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: layer “%s” has an unknown type",
                   arch->name, node->name);
      return FALSE;
    }
  if ((gint64) node->c * node->h * node->w > (1 << 26))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: layer “%s” output (%d×%d×%d) is too large", arch->name, node->name,
                   node->c, node->h, node->w);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_arch_infer_shapes (SsArch  *arch,
                      GError **error)
{
  g_return_val_if_fail (arch != NULL, FALSE);

  if (arch->in_c < 1 || arch->in_h < 1 || arch->in_w < 1 || arch->in_c > MAX_CHANNELS ||
      arch->in_h > MAX_SIDE || arch->in_w > MAX_SIDE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: input shape %d×%d×%d is not valid",
                   arch->name, arch->in_c, arch->in_h, arch->in_w);
      return FALSE;
    }
  if (arch->n_classes < 2 || arch->n_classes > MAX_CLASSES)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: %d classes; Supersign handles 2 to %d",
                   arch->name, arch->n_classes, MAX_CLASSES);
      return FALSE;
    }
  if (arch->nodes->len == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: the architecture has no layers",
                   arch->name);
      return FALSE;
    }

  for (int i = 0; i < (int) arch->nodes->len; i++)
    if (!ss_arch_infer_node (arch, i, error))
      return FALSE;

  {
    const SsNode *last = &g_array_index (arch->nodes, SsNode, arch->nodes->len - 1);
    if (last->c != arch->n_classes || last->h != 1 || last->w != 1)
      {
        g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                     "%s: the last layer “%s” gives %d×%d×%d values, but there are %d classes",
                     arch->name, last->name, last->c, last->h, last->w, arch->n_classes);
        return FALSE;
      }
  }
  return TRUE;
}

static int
node_in_channels (const SsArch *arch,
                  const SsNode *node)
{
  int c, h, w;
  input_shape (arch, node->inputs[0], &c, &h, &w);
  return node->op == SS_OP_LINEAR ? c * h * w : c;
}

gint64
ss_arch_node_params (const SsArch *arch,
                     int           i)
{
  const SsNode *node = ss_arch_get_node (arch, i);
  gint64 in_c = node_in_channels (arch, node);

  switch (node->op)
    {
    case SS_OP_CONV:
      /* Weights (O, C/G, K, K): a filter sees only its group's channels. */
      return node->out * (in_c / MAX (node->groups, 1)) * node->kernel * node->kernel +
             (node->bias ? node->out : 0);
    case SS_OP_LINEAR:
      return node->out * in_c + (node->bias ? node->out : 0);
    case SS_OP_BATCHNORM:
      return 2 * in_c;
    default:
      return 0;
    }
}

gint64
ss_arch_node_macs (const SsArch *arch,
                   int           i)
{
  const SsNode *node = ss_arch_get_node (arch, i);
  gint64 in_c = node_in_channels (arch, node);

  switch (node->op)
    {
    case SS_OP_CONV:
      /* SPEC §8: O·OH·OW·(C/G)·K·K; dilation spreads the taps but adds none. */
      return (gint64) node->out * node->h * node->w * (in_c / MAX (node->groups, 1)) *
             node->kernel * node->kernel;
    case SS_OP_LINEAR:
      return node->out * in_c;
    default:
      return 0;
    }
}

gint64
ss_arch_total_params (const SsArch *arch)
{
  gint64 total = 0;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    total += ss_arch_node_params (arch, i);
  return total;
}

gint64
ss_arch_total_macs (const SsArch *arch)
{
  gint64 total = 0;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    total += ss_arch_node_macs (arch, i);
  return total;
}
