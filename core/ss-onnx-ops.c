/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-private.h"

/* One function per supported ONNX operator (opsets 11–17), each turning a node into an
 * architecture node or an alias. Every attribute is checked against the operator's list
 * (ss-onnx-attr.c), so an attribute Supersign does not know (which could change the result)
 * refuses the node rather than being ignored.
 * Legend: (C, H, W) a layer's output, F = C·H·W a flat input, M outputs. */

#define MAX_DIM (1 << 26)

/* ---------------------------------------------------------------------------------------- */
/* Tensors                                                                                  */

/* t must have ndim dimensions, each in [1, MAX_DIM]. */
static gboolean
check_dims (const SsOnnxNode    *node,
            const SsOnnxTensor  *t,
            int                  ndim,
            const char          *what,
            GError             **error)
{
  gboolean ok = t->ndim == ndim;

  for (int d = 0; ok && d < ndim; d++)
    ok = t->dims[d] >= 1 && t->dims[d] <= MAX_DIM;
  if (!ok)
    ss_onnx_node_error (error, SS_ERROR_SHAPE, node,
                        "its %s “%s” has %d dimensions or an empty or huge one; %d are needed",
                        what, t->name, t->ndim, ndim);
  return ok;
}

/* t must be a vector of n values ([n], or [1, n] when also_row). */
static gboolean
check_vector (const SsOnnxNode    *node,
              const SsOnnxTensor  *t,
              gint64               n,
              gboolean             also_row,
              const char          *what,
              GError             **error)
{
  if ((t->ndim == 1 && t->dims[0] == n) ||
      (also_row && t->ndim == 2 && t->dims[0] == 1 && t->dims[1] == n))
    return TRUE;
  ss_onnx_node_error (error, SS_ERROR_SHAPE, node,
                      "its %s “%s” should hold %" G_GINT64_FORMAT " values", what, t->name, n);
  return FALSE;
}

static void
params_free (SsOnnxParam *params,
             int          n)
{
  for (int p = 0; p < n; p++)
    g_clear_pointer (&params[p].owned, g_free);
}

/* Fills param from t: float32 values with shape (shape, ndim). */
static gboolean
param_set (SsOnnxImport        *im,
           SsOnnxParam         *param,
           const char          *suffix,
           const SsOnnxTensor  *t,
           int                  ndim,
           const gint64        *shape,
           GError             **error)
{
  param->suffix = suffix;
  param->ndim = ndim;
  memcpy (param->shape, shape, (gsize) ndim * sizeof (gint64));
  param->data = ss_onnx_tensor_floats (t, ss_onnx_import_folder (im), &param->owned, error);
  param->external = t->location != NULL ? (gsize) t->n_elements * sizeof (float) : 0;
  return param->data != NULL;
}

/* A linear layer's weight (M, F) from a (F, M) matrix. */
static void
param_transpose (SsOnnxParam *param)
{
  gint64 f = param->shape[0], m = param->shape[1];
  float *t = g_new (float, (gsize) (f * m));

  for (gint64 i = 0; i < f; i++)
    for (gint64 j = 0; j < m; j++)
      t[j * f + i] = param->data[i * m + j];
  g_free (param->owned);
  param->owned = t;
  param->data = t;
  param->shape[0] = m;
  param->shape[1] = f;
}

/* ---------------------------------------------------------------------------------------- */
/* Operators                                                                                */

static gboolean
activation_4d (SsOnnxImport      *im,
               const SsOnnxNode  *node,
               int               *layer,
               GError           **error)
{
  gboolean flat;

  if (!ss_onnx_import_activation (im, node, 0, layer, &flat, error))
    return FALSE;
  if (flat)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "reads a flat N×F tensor, but %s needs N×C×H×W", node->op_type);
      return FALSE;
    }
  return TRUE;
}

static gboolean
convert_conv (SsOnnxImport      *im,
              const SsOnnxNode  *node,
              GError           **error)
{
  static const char *const allowed[] = { "auto_pad", "dilations", "group", "kernel_shape",
                                         "pads", "strides", NULL };
  const SsOnnxTensor *w, *b;
  SsNode n = { .op = SS_OP_CONV, .inputs = { 0, SS_NODE_INPUT } };
  SsOnnxParam params[2] = { { 0 } };
  SsOnnxWindow win;
  gint64 group;
  int c, h, wd, np = 0;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !activation_4d (im, node, &n.inputs[0], error) ||
      !ss_onnx_import_const (im, node, 1, SS_ONNX_FLOAT, FALSE, &w, error) ||
      !ss_onnx_import_const (im, node, 2, SS_ONNX_FLOAT, TRUE, &b, error) ||
      !check_dims (node, w, 4, "weight", error) ||
      (b != NULL && !check_vector (node, b, w->dims[0], FALSE, "bias", error)) ||
      !ss_onnx_attr_int (node, "group", 1, &group, error))
    return FALSE;
  ss_onnx_import_shape (im, n.inputs[0], &c, &h, &wd);
  if (w->dims[2] != w->dims[3])
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "its kernel is %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT "; Supersign's "
                          "convolutions have square kernels", w->dims[2], w->dims[3]);
      return FALSE;
    }
  if (group < 1 || group > c || c % group != 0 || w->dims[1] * group != c ||
      w->dims[0] % group != 0)
    {
      ss_onnx_node_error (error, SS_ERROR_SHAPE, node,
                          "a %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT "×k×k weight in %"
                          G_GINT64_FORMAT " groups does not fit its %d input channels",
                          w->dims[0], w->dims[1], group, c);
      return FALSE;
    }
  if (!ss_onnx_window (node, h, wd, (int) w->dims[2], FALSE, &win, error))
    return FALSE;
  n.out = (int) w->dims[0];
  n.kernel = win.kernel;
  n.stride = win.stride;
  n.padding = win.padding;
  n.dilation = win.dilation;
  n.groups = (int) group;
  n.bias = b != NULL;
  if (!param_set (im, &params[np++], "weight", w, 4, w->dims, error) ||
      (b != NULL && !param_set (im, &params[np++], "bias", b, 1, b->dims, error)))
    {
      params_free (params, np);
      return FALSE;
    }
  return ss_onnx_import_append (im, node, &n, ss_onnx_node_input (node, 1),
                                ss_onnx_node_input (node, 2), params, np, error) >= 0;
}

/* Supersign's batch norm uses ε = 1e-5 (PyTorch's default). Another ε is folded into the
 * running variance, which gives the same outputs in evaluation: var + ε = (var + ε − 1e-5)
 * + 1e-5. */
#define SS_BN_EPS 1e-5f

static gboolean
convert_batchnorm (SsOnnxImport      *im,
                   const SsOnnxNode  *node,
                   GError           **error)
{
  static const char *const allowed[] = { "epsilon", "momentum", "training_mode", NULL };
  static const char *const suffix[] = { "weight", "bias", "running_mean", "running_var" };
  const SsOnnxTensor *t[4];
  SsNode n = { .op = SS_OP_BATCHNORM, .inputs = { 0, SS_NODE_INPUT } };
  SsOnnxParam params[4] = { { 0 } };
  gint64 training;
  gboolean flat;
  float eps;
  int c, h, w, np = 0;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_import_activation (im, node, 0, &n.inputs[0], &flat, error) ||
      !ss_onnx_attr_int (node, "training_mode", 0, &training, error) ||
      !ss_onnx_attr_float (node, "epsilon", SS_BN_EPS, &eps, error) ||
      !ss_onnx_import_only_first_output (im, node, error))
    return FALSE;
  if (training != 0)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "is in training mode; export the model in evaluation mode");
      return FALSE;
    }
  if (!(eps >= 0.f && eps < 1.f))
    {
      ss_onnx_node_error (error, SS_ERROR_VALUE, node, "epsilon %g is not valid", eps);
      return FALSE;
    }
  ss_onnx_import_shape (im, n.inputs[0], &c, &h, &w);
  for (guint k = 0; k < 4; k++)
    if (!ss_onnx_import_const (im, node, k + 1, SS_ONNX_FLOAT, FALSE, &t[k], error) ||
        !check_vector (node, t[k], c, FALSE, suffix[k], error))
      return FALSE;
  for (np = 0; np < 4; np++)
    if (!param_set (im, &params[np], suffix[np], t[np], 1, t[np]->dims, error))
      {
        params_free (params, np);
        return FALSE;
      }
  if (eps != SS_BN_EPS)
    {
      float *var = g_new (float, c);
      for (int k = 0; k < c; k++)
        var[k] = (float) ((double) params[3].data[k] + (double) eps - (double) SS_BN_EPS);
      g_free (params[3].owned);
      params[3].owned = var;
      params[3].data = var;
      for (int k = 0; k < c; k++)
        if (var[k] < 0.f)
          {
            ss_onnx_node_error (error, SS_ERROR_VALUE, node,
                                "its ε = %g is below Supersign's 1e-5 and the variance of "
                                "channel %d is too small to absorb the difference", eps, k);
            params_free (params, 4);
            return FALSE;
          }
    }
  return ss_onnx_import_append (im, node, &n, ss_onnx_node_input (node, 1),
                                ss_onnx_node_input (node, 2), params, 4, error) >= 0;
}

/* MaxPool and AveragePool. pad, if not NULL, is the Pad node before an AveragePool: torch
 * exports AvgPool2d(padding=p) as a zero Pad then an unpadded AveragePool, which together are
 * an average pooling that counts the padding (Supersign's); pad_p is its padding. */
static gboolean
convert_pool (SsOnnxImport      *im,
              const SsOnnxNode  *node,
              SsOp               op,
              const SsOnnxNode  *pad,
              int                pad_p,
              GError           **error)
{
  static const char *const max_allowed[] = { "auto_pad", "ceil_mode", "dilations",
                                             "kernel_shape", "pads", "storage_order", "strides",
                                             NULL };
  static const char *const avg_allowed[] = { "auto_pad", "ceil_mode", "count_include_pad",
                                             "kernel_shape", "pads", "strides", NULL };
  SsNode n = { .op = op, .inputs = { 0, SS_NODE_INPUT } };
  gint64 include_pad = 0;
  SsOnnxWindow win;
  int c, h, w;

  if (!ss_onnx_check_attrs (node, op == SS_OP_MAXPOOL ? max_allowed : avg_allowed, error) ||
      !activation_4d (im, pad != NULL ? pad : node, &n.inputs[0], error) ||
      !ss_onnx_import_only_first_output (im, node, error) ||
      !ss_onnx_attr_int (node, "count_include_pad", 0, &include_pad, error))
    return FALSE;
  ss_onnx_import_shape (im, n.inputs[0], &c, &h, &w);
  if (!ss_onnx_window (node, h + 2 * pad_p, w + 2 * pad_p, 0, TRUE, &win, error))
    return FALSE;
  if (pad != NULL && win.padding > 0)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "pads an input that a Pad node has already padded");
      return FALSE;
    }
  if (op == SS_OP_AVGPOOL && win.padding > 0 && include_pad == 0)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "averages padded windows over their real pixels only "
                          "(count_include_pad = 0); Supersign's average pooling counts the "
                          "padding, as PyTorch's AvgPool2d does by default");
      return FALSE;
    }
  n.kernel = win.kernel;
  n.stride = win.stride;
  n.padding = pad != NULL ? pad_p : win.padding;
  return ss_onnx_import_append (im, node, &n, NULL, NULL, NULL, 0, error) >= 0;
}

/* Pad is read only as torch's zero padding before an AveragePool (see convert_pool): constant
 * mode, value 0, the same p on every side of H and W, nothing on N and C. */
static gboolean
convert_pad (SsOnnxImport      *im,
             const SsOnnxNode  *node,
             GError           **error)
{
  static const char *const allowed[] = { "mode", NULL };
  const SsOnnxTensor *pads, *value;
  const SsOnnxNode *pool;
  g_autofree gint64 *v = NULL;
  const char *mode;
  guint index;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_string (node, "mode", "constant", &mode, error) ||
      !ss_onnx_import_const (im, node, 1, SS_ONNX_INT64, FALSE, &pads, error) ||
      !ss_onnx_import_const (im, node, 2, SS_ONNX_FLOAT, TRUE, &value, error))
    return FALSE;
  pool = ss_onnx_import_sole_reader (im, node->outputs->pdata[0], &index);
  if (!g_str_equal (mode, "constant") || pool == NULL ||
      !g_str_equal (pool->op_type, "AveragePool") || pool->domain[0] != '\0')
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "Supersign reads Pad only as the zero padding of the AveragePool "
                          "after it (how torch exports AvgPool2d with padding)");
      return FALSE;
    }
  if (value != NULL)
    {
      g_autofree float *owned = NULL;
      const float *x = value->n_elements == 1
                       ? ss_onnx_tensor_floats (value, ss_onnx_import_folder (im), &owned, error)
                       : NULL;
      if (x == NULL || x[0] != 0.f)
        {
          if (x != NULL || value->n_elements != 1)
            ss_onnx_node_error (error, SS_ERROR_ARCH, node, "pads with a value other than 0");
          return FALSE;
        }
    }
  if (pads->n_elements != 8 ||
      (v = ss_onnx_tensor_int64s (pads, ss_onnx_import_folder (im), error)) == NULL)
    {
      if (v == NULL && pads->n_elements == 8)
        return FALSE;
      ss_onnx_node_error (error, SS_ERROR_ARCH, node, "does not pad a 4-D tensor");
      return FALSE;
    }
  if (v[0] || v[1] || v[4] || v[5] || v[2] != v[3] || v[2] != v[6] || v[2] != v[7] ||
      v[2] < 0 || v[2] > 16384)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "pads [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                          ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                          ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] are not the same on "
                          "every side of H and W alone", v[0], v[1], v[2], v[3], v[4], v[5],
                          v[6], v[7]);
      return FALSE;
    }
  ss_onnx_import_fuse (im, index);
  return convert_pool (im, pool, SS_OP_AVGPOOL, node, (int) v[2], error);
}

/* A layer that keeps its input's shape or needs no parameters: Relu, GlobalAveragePool, the
 * flatten of a 4-D input, Dropout with probability p. */
static gboolean
convert_simple (SsOnnxImport      *im,
                const SsOnnxNode  *node,
                SsOp               op,
                float              p,
                GError           **error)
{
  SsNode n = { .op = op, .inputs = { 0, SS_NODE_INPUT }, .p = p };

  if (op == SS_OP_GLOBAL_AVGPOOL)
    {
      if (!activation_4d (im, node, &n.inputs[0], error))
        return FALSE;
    }
  else
    {
      gboolean flat;
      if (!ss_onnx_import_activation (im, node, 0, &n.inputs[0], &flat, error))
        return FALSE;
    }
  return ss_onnx_import_append (im, node, &n, NULL, NULL, NULL, 0, error) >= 0;
}

/* The output becomes another name for input 0 (Identity, Dropout in inference, a flatten of
 * what is already flat, the final Softmax). */
static gboolean
alias_input (SsOnnxImport      *im,
             const SsOnnxNode  *node,
             GError           **error)
{
  const SsOnnxValue *v = ss_onnx_import_input (im, node, 0, error);
  return v != NULL && ss_onnx_import_define (im, node, 0, v, error);
}

static gboolean
convert_flatten (SsOnnxImport      *im,
                 const SsOnnxNode  *node,
                 GError           **error)
{
  static const char *const allowed[] = { "axis", NULL };
  int layer;
  gboolean flat;
  gint64 axis;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_int (node, "axis", 1, &axis, error) ||
      !ss_onnx_import_activation (im, node, 0, &layer, &flat, error))
    return FALSE;
  if (axis != 1 && axis != (flat ? -1 : -3))
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "flattens from axis %" G_GINT64_FORMAT "; Supersign flattens "
                          "everything but the batch (axis 1)", axis);
      return FALSE;
    }
  return flat ? alias_input (im, node, error)
              : convert_simple (im, node, SS_OP_FLATTEN, 0.f, error);
}

/* Reshape is read as a flatten when its shape keeps the batch and flattens the rest:
 * [N, -1], [0, -1], [-1, C·H·W], [0, C·H·W] or [N, C·H·W], N either the batch size of the
 * export (a constant, not kept) or the batch size read at run time (torch's
 * x.view(x.size(0), -1) with a dynamic batch, followed by ss-onnx-shape.c). */
static gboolean
convert_reshape (SsOnnxImport      *im,
                 const SsOnnxNode  *node,
                 GError           **error)
{
  static const char *const allowed[] = { "allowzero", NULL };
  SsOnnxValue shape;
  const gint64 *v = shape.ints;
  gint64 allowzero, f;
  int layer, c, h, w;
  gboolean flat, ok, n0;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_int (node, "allowzero", 0, &allowzero, error) ||
      !ss_onnx_import_activation (im, node, 0, &layer, &flat, error) ||
      !ss_onnx_import_ints (im, node, 1, &shape, error))
    return FALSE;
  if (shape.rank != 1 || shape.len != 2)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "reshapes to something other than N×F; Supersign reads Reshape only "
                          "as a flatten");
      return FALSE;
    }
  ss_onnx_import_shape (im, layer, &c, &h, &w);
  f = (gint64) c * h * w;
  n0 = (shape.batch & 1u) != 0;
  ok = (n0 || v[0] > 0 || (v[0] == 0 && !allowzero) || v[0] == -1) &&
       (shape.batch & 2u) == 0 && (v[1] == f || (v[1] == -1 && (n0 || v[0] != -1)));
  if (!ok)
    {
      g_autofree char *s = ss_onnx_ints_string (&shape);
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "reshapes a %d×%d×%d tensor to %s; Supersign reads Reshape only as a "
                          "flatten to [N, %" G_GINT64_FORMAT "] or [N, -1]", c, h, w, s, f);
      return FALSE;
    }
  return flat ? alias_input (im, node, error)
              : convert_simple (im, node, SS_OP_FLATTEN, 0.f, error);
}

/* If the only reader of node's output is an Add of a constant bias of m values (either
 * operand), returns it and marks the Add as done; NULL otherwise. */
static const SsOnnxTensor *
take_bias_add (SsOnnxImport      *im,
               const SsOnnxNode  *node,
               gint64             m,
               const SsOnnxNode **add,
               guint             *add_input)
{
  const char *out = node->outputs->len > 0 ? node->outputs->pdata[0] : "";
  guint index;
  const SsOnnxNode *reader = out[0] ? ss_onnx_import_sole_reader (im, out, &index) : NULL;
  const SsOnnxTensor *bias;

  if (reader == NULL || !g_str_equal (reader->op_type, "Add") || reader->domain[0] != '\0' ||
      reader->inputs->len != 2 || reader->attrs->len != 0)
    return NULL;
  for (guint k = 0; k < 2; k++)
    if (g_str_equal (ss_onnx_node_input (reader, k), out) &&
        ss_onnx_import_const (im, reader, 1 - k, SS_ONNX_FLOAT, FALSE, &bias, NULL) &&
        ((bias->ndim == 1 && bias->dims[0] == m) ||
         (bias->ndim == 2 && bias->dims[0] == 1 && bias->dims[1] == m)))
      {
        ss_onnx_import_fuse (im, index);
        *add = reader;
        *add_input = k;
        return bias;
      }
  return NULL;
}

/* Gemm (Y = A·Bᵀ + C with transB = 1, torch's nn.Linear; or A·B + C) and MatMul (A·B),
 * followed or not by an Add of the bias. */
static gboolean
convert_linear (SsOnnxImport      *im,
                const SsOnnxNode  *node,
                gboolean           gemm,
                GError           **error)
{
  static const char *const allowed[] = { "alpha", "beta", "transA", "transB", NULL };
  static const char *const none[] = { NULL };
  const SsOnnxTensor *b, *c = NULL;
  const SsOnnxNode *add = NULL;
  SsNode n = { .op = SS_OP_LINEAR, .inputs = { 0, SS_NODE_INPUT } };
  SsOnnxParam params[2] = { { 0 } };
  gint64 trans_a = 0, trans_b = 0, m, f, shape[2];
  guint add_input = 0;
  float alpha = 1.f, beta = 1.f;
  gboolean flat;
  int ic, ih, iw, np = 0;

  if (!ss_onnx_check_attrs (node, gemm ? allowed : none, error) ||
      !ss_onnx_attr_int (node, "transA", 0, &trans_a, error) ||
      !ss_onnx_attr_int (node, "transB", 0, &trans_b, error) ||
      !ss_onnx_attr_float (node, "alpha", 1.f, &alpha, error) ||
      !ss_onnx_attr_float (node, "beta", 1.f, &beta, error) ||
      !ss_onnx_import_activation (im, node, 0, &n.inputs[0], &flat, error) ||
      !ss_onnx_import_const (im, node, 1, SS_ONNX_FLOAT, FALSE, &b, error) ||
      !check_dims (node, b, 2, "weight", error) ||
      (gemm && !ss_onnx_import_const (im, node, 2, SS_ONNX_FLOAT, TRUE, &c, error)))
    return FALSE;
  if (!flat)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "multiplies an N×C×H×W tensor; Supersign's linear layers read a "
                          "flattened N×F input");
      return FALSE;
    }
  if (trans_a != 0 || alpha != 1.f || (c != NULL && beta != 1.f))
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "uses transA, alpha or beta; Supersign reads Gemm as torch's "
                          "nn.Linear exports it (alpha = beta = 1, transA = 0)");
      return FALSE;
    }
  m = trans_b ? b->dims[0] : b->dims[1];
  f = trans_b ? b->dims[1] : b->dims[0];
  ss_onnx_import_shape (im, n.inputs[0], &ic, &ih, &iw);
  if (f != (gint64) ic * ih * iw)
    {
      ss_onnx_node_error (error, SS_ERROR_SHAPE, node,
                          "its weight takes %" G_GINT64_FORMAT " inputs but receives %d", f,
                          ic * ih * iw);
      return FALSE;
    }
  if (c != NULL && !check_vector (node, c, m, TRUE, "bias", error))
    return FALSE;
  if (c == NULL)
    c = take_bias_add (im, node, m, &add, &add_input);
  n.out = (int) m;
  n.bias = c != NULL;
  shape[0] = m;
  if (!param_set (im, &params[np++], "weight", b, 2, b->dims, error) ||
      (c != NULL && !param_set (im, &params[np++], "bias", c, 1, shape, error)))
    {
      params_free (params, np);
      return FALSE;
    }
  if (!trans_b)
    param_transpose (&params[0]);
  if (ss_onnx_import_append (im, node, &n, ss_onnx_node_input (node, 1),
                             c != NULL ? c->name : NULL, params, np, error) < 0)
    return FALSE;
  if (add != NULL)
    {
      /* The Add's output is the biased linear layer's. */
      const SsOnnxValue *v = ss_onnx_import_input (im, add, add_input, error);
      return v != NULL && ss_onnx_import_define (im, add, 0, v, error);
    }
  return TRUE;
}

static gboolean
convert_add (SsOnnxImport      *im,
             const SsOnnxNode  *node,
             GError           **error)
{
  SsNode n = { .op = SS_OP_ADD };
  gboolean flat[2];

  if (node->inputs->len != 2)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "has %u inputs instead of 2",
                          node->inputs->len);
      return FALSE;
    }
  for (guint k = 0; k < 2; k++)
    {
      const SsOnnxValue *v = ss_onnx_import_input (im, node, k, error);
      if (v == NULL)
        return FALSE;
      if (v->kind == SS_ONNX_VALUE_CONST)
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "adds the constant “%s”; Supersign reads an Add of a constant "
                              "only as the bias of the MatMul or Gemm right before it",
                              ss_onnx_node_input (node, k));
          return FALSE;
        }
      if (!ss_onnx_import_activation (im, node, k, &n.inputs[k], &flat[k], error))
        return FALSE;
    }
  if (flat[0] != flat[1])
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "adds a flat tensor to a 4-D one; Supersign adds equal shapes only");
      return FALSE;
    }
  return ss_onnx_import_append (im, node, &n, NULL, NULL, NULL, 0, error) >= 0;
}

static gboolean
convert_dropout (SsOnnxImport      *im,
                 const SsOnnxNode  *node,
                 GError           **error)
{
  static const char *const allowed[] = { "ratio", "seed", NULL };
  const SsOnnxTensor *ratio = NULL;
  float p = 0.5f;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_float (node, "ratio", 0.5f, &p, error) ||
      !ss_onnx_import_const (im, node, 1, SS_ONNX_FLOAT, TRUE, &ratio, error) ||
      !ss_onnx_import_only_first_output (im, node, error))
    return FALSE;
  if (ss_onnx_node_input (node, 2)[0] != '\0')
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "has a training_mode input; export the model in evaluation mode");
      return FALSE;
    }
  if (ratio != NULL)
    {
      g_autofree float *owned = NULL;
      const float *v;
      if (ratio->n_elements != 1)
        {
          ss_onnx_node_error (error, SS_ERROR_SHAPE, node, "its ratio is not one number");
          return FALSE;
        }
      if ((v = ss_onnx_tensor_floats (ratio, ss_onnx_import_folder (im), &owned, error)) == NULL)
        return FALSE;
      p = v[0];
    }
  return convert_simple (im, node, SS_OP_DROPOUT, p, error);
}

static gboolean
convert_constant (SsOnnxImport      *im,
                  const SsOnnxNode  *node,
                  GError           **error)
{
  static const char *const allowed[] = { "value", NULL };
  const SsOnnxAttr *value;
  SsOnnxValue v = { SS_ONNX_VALUE_CONST };

  if (!ss_onnx_check_attrs (node, allowed, error))
    return FALSE;
  value = ss_onnx_attr (node, "value");
  if (value == NULL || value->type != SS_ONNX_ATTR_TENSOR || value->t == NULL)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "holds no “value” tensor");
      return FALSE;
    }
  v.tensor = value->t;
  return ss_onnx_import_define (im, node, 0, &v, error);
}

gboolean
ss_onnx_op_makes_layer (const char *op,
                        gboolean    has_const_input)
{
  return !(g_str_equal (op, "Identity") || g_str_equal (op, "Constant") ||
           g_str_equal (op, "Softmax") || g_str_equal (op, "Pad") || ss_onnx_is_shape_op (op) ||
           (g_str_equal (op, "Add") && has_const_input));
}

gboolean
ss_onnx_convert_node (SsOnnxImport      *im,
                      const SsOnnxNode  *node,
                      guint              index,
                      GError           **error)
{
  static const char *const none[] = { NULL };
  static const char *const softmax_allowed[] = { "axis", NULL };
  const char *op = node->op_type;

  if (node->domain[0] != '\0' && !g_str_equal (node->domain, "ai.onnx"))
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "unsupported ONNX operator “%s” from the domain “%s”", op,
                          node->domain);
      return FALSE;
    }
  if (node->outputs->len == 0 || ((const char *) node->outputs->pdata[0])[0] == '\0')
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "has no output");
      return FALSE;
    }
  /* A Shape reads no values: it does not count as a use of its input (ss-onnx-shape.c). */
  if (g_str_equal (op, "Shape"))
    return ss_onnx_convert_shape_op (im, node, error);
  /* Every input must be defined before the node, also one the operator does not use. */
  for (guint k = 0; k < node->inputs->len; k++)
    if (ss_onnx_node_input (node, k)[0] != '\0' && !ss_onnx_import_input (im, node, k, error))
      return FALSE;
  if (g_str_equal (op, "Conv"))
    return convert_conv (im, node, error);
  if (g_str_equal (op, "BatchNormalization"))
    return convert_batchnorm (im, node, error);
  if (g_str_equal (op, "Relu"))
    return ss_onnx_check_attrs (node, none, error) &&
           convert_simple (im, node, SS_OP_RELU, 0.f, error);
  if (g_str_equal (op, "MaxPool"))
    return convert_pool (im, node, SS_OP_MAXPOOL, NULL, 0, error);
  if (g_str_equal (op, "AveragePool"))
    return convert_pool (im, node, SS_OP_AVGPOOL, NULL, 0, error);
  if (g_str_equal (op, "Pad"))
    return convert_pad (im, node, error);
  if (g_str_equal (op, "GlobalAveragePool"))
    return ss_onnx_check_attrs (node, none, error) &&
           convert_simple (im, node, SS_OP_GLOBAL_AVGPOOL, 0.f, error);
  if (g_str_equal (op, "Flatten"))
    return convert_flatten (im, node, error);
  if (g_str_equal (op, "Reshape"))
    return convert_reshape (im, node, error);
  if (ss_onnx_is_shape_op (op))
    return ss_onnx_convert_shape_op (im, node, error);
  if (g_str_equal (op, "Gemm") || g_str_equal (op, "MatMul"))
    return convert_linear (im, node, g_str_equal (op, "Gemm"), error);
  if (g_str_equal (op, "Add"))
    return ss_onnx_check_attrs (node, none, error) && convert_add (im, node, error);
  if (g_str_equal (op, "Dropout"))
    return convert_dropout (im, node, error);
  if (g_str_equal (op, "Identity"))
    return ss_onnx_check_attrs (node, none, error) && alias_input (im, node, error);
  if (g_str_equal (op, "Constant"))
    return convert_constant (im, node, error);
  if (g_str_equal (op, "Softmax"))
    {
      /* Dropped: Supersign works on logits (Grad-CAM differentiates the class score before
       * softmax), and softmax does not change which class is predicted. */
      if (!ss_onnx_check_attrs (node, softmax_allowed, error))
        return FALSE;
      if (!ss_onnx_import_is_output (im, node->outputs->pdata[0]))
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "Softmax is read only as the last operation (it is dropped: "
                              "Supersign works on logits)");
          return FALSE;
        }
      return alias_input (im, node, error);
    }
  g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "unsupported ONNX operator “%s” in node “%s”",
               op, ss_onnx_node_label (node));
  return FALSE;
}
