/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-private.h"

/* Shape computations (docs/onnx.md). With a dynamic batch, torch.onnx exports the flatten
 * x.view(x.size(0), -1) as Shape → Gather(entry 0) → Unsqueeze → Concat(with [-1]) → Reshape:
 * the batch size read from the tensor at run time. Supersign's layers take any batch, so the
 * importer follows these values symbolically, without computing anything: a Shape gives a
 * SHAPE value, which only a Gather of entry 0 may read; that gives the batch size N, an INTS
 * value; Unsqueeze and Concat build short integer vectors of N and constants, and Reshape
 * (ss-onnx-ops.c) reads [N, -1] or [N, F] as a flatten. The constants may come from
 * initializers or Constant nodes, which is also how a fixed batch exported without constant
 * folding arrives ([2] then [-1]). Anything else computed from a shape (another entry, Slice,
 * arithmetic) is refused, naming the node: Supersign could not tell what it means. */

gboolean
ss_onnx_is_shape_op (const char *op)
{
  return g_str_equal (op, "Shape") || g_str_equal (op, "Gather") ||
         g_str_equal (op, "Unsqueeze") || g_str_equal (op, "Concat");
}

char *
ss_onnx_ints_string (const SsOnnxValue *v)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < v->len; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      if (v->batch & (1u << i))
        g_string_append (s, "N");
      else
        g_string_append_printf (s, "%" G_GINT64_FORMAT, v->ints[i]);
    }
  g_string_append (s, "]");
  return g_string_free (s, FALSE);
}

gboolean
ss_onnx_import_ints (SsOnnxImport      *im,
                     const SsOnnxNode  *node,
                     guint              k,
                     SsOnnxValue       *out,
                     GError           **error)
{
  const SsOnnxValue *v = ss_onnx_import_input (im, node, k, error);
  const SsOnnxTensor *t;
  g_autofree gint64 *x = NULL;

  if (v == NULL)
    return FALSE;
  if (v->kind == SS_ONNX_VALUE_INTS)
    {
      *out = *v;
      return TRUE;
    }
  if (v->kind == SS_ONNX_VALUE_SHAPE)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) is the whole shape of a tensor; Supersign reads a "
                          "shape only through a Gather of entry 0, the batch size", k + 1,
                          ss_onnx_node_input (node, k));
      return FALSE;
    }
  if (v->kind != SS_ONNX_VALUE_CONST)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) is a tensor computed from the image; Supersign reads "
                          "%s only in the shape computation of a flatten "
                          "(x.view(x.size(0), -1))", k + 1, ss_onnx_node_input (node, k),
                          node->op_type);
      return FALSE;
    }
  if (!ss_onnx_import_const (im, node, k, SS_ONNX_INT64, FALSE, &t, error))
    return FALSE;
  if (t->ndim > 1 || t->n_elements < 1 || t->n_elements > SS_ONNX_MAX_DIMS)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) is not a scalar or a vector of 1 to %d values, as "
                          "the shape of a flatten is", k + 1, t->name, SS_ONNX_MAX_DIMS);
      return FALSE;
    }
  if ((x = ss_onnx_tensor_int64s (t, ss_onnx_import_folder (im), error)) == NULL)
    return FALSE;
  memset (out, 0, sizeof *out);
  out->kind = SS_ONNX_VALUE_INTS;
  out->rank = t->ndim;
  out->len = (int) t->n_elements;
  memcpy (out->ints, x, (gsize) out->len * sizeof (gint64));
  return TRUE;
}

/* Shape of a computed tensor, whole: Supersign knows every entry but the batch size. Its input
 * is not a use of the layer (nothing reads its values), so a layer read by a Shape alone is
 * still refused as unused. */
static gboolean
convert_shape (SsOnnxImport      *im,
               const SsOnnxNode  *node,
               GError           **error)
{
  static const char *const allowed[] = { "end", "start", NULL };
  SsOnnxValue out = { SS_ONNX_VALUE_SHAPE };
  const SsOnnxValue *v;
  gint64 start;
  int c, h, w;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_int (node, "start", 0, &start, error))
    return FALSE;
  if (node->inputs->len != 1)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "has %u inputs instead of 1",
                          node->inputs->len);
      return FALSE;
    }
  if ((v = ss_onnx_import_peek (im, node, 0, error)) == NULL)
    return FALSE;
  if (start != 0 || ss_onnx_attr (node, "end") != NULL)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "takes part of a shape (start, end); Supersign reads a Shape only "
                          "whole, for its entry 0");
      return FALSE;
    }
  if (v->kind != SS_ONNX_VALUE_LAYER && v->kind != SS_ONNX_VALUE_IMAGE)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "takes the shape of “%s”, which is not computed from the image; "
                          "Supersign reads a Shape only for the batch size of a flatten",
                          ss_onnx_node_input (node, 0));
      return FALSE;
    }
  ss_onnx_import_shape (im, v->layer, &c, &h, &w);
  out.rank = 1;
  out.batch = 1u;
  if (v->flat)
    {
      out.len = 2;
      out.ints[1] = (gint64) c * h * w;
    }
  else
    {
      out.len = 4;
      out.ints[1] = c;
      out.ints[2] = h;
      out.ints[3] = w;
    }
  return ss_onnx_import_define (im, node, 0, &out, error);
}

/* Gather of entry 0 of a Shape: the batch size N, a scalar (index 0) or a vector (index [0]). */
static gboolean
convert_gather (SsOnnxImport      *im,
                const SsOnnxNode  *node,
                GError           **error)
{
  static const char *const allowed[] = { "axis", NULL };
  SsOnnxValue index, out = { SS_ONNX_VALUE_INTS };
  const SsOnnxValue *data;
  gint64 axis, i;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_int (node, "axis", 0, &axis, error) ||
      (data = ss_onnx_import_input (im, node, 0, error)) == NULL)
    return FALSE;
  if (data->kind != SS_ONNX_VALUE_SHAPE)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "gathers from “%s”, which is not a Shape's output; Supersign reads "
                          "Gather only as the batch size taken from a shape (entry 0)",
                          ss_onnx_node_input (node, 0));
      return FALSE;
    }
  if (!ss_onnx_import_ints (im, node, 1, &index, error))
    return FALSE;
  if (index.batch != 0 || index.len != 1)
    {
      g_autofree char *s = ss_onnx_ints_string (&index);
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "takes the entries %s of the shape of a tensor; Supersign reads only "
                          "entry 0, the batch size", s);
      return FALSE;
    }
  i = index.ints[0] < 0 ? index.ints[0] + data->len : index.ints[0];
  if ((axis != 0 && axis != -1) || i != 0)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "takes entry %" G_GINT64_FORMAT " of the shape of a tensor; Supersign "
                          "reads only entry 0, the batch size (as x.view(x.size(0), -1) does)",
                          index.ints[0]);
      return FALSE;
    }
  out.rank = index.rank;
  out.len = 1;
  out.batch = 1u;
  return ss_onnx_import_define (im, node, 0, &out, error);
}

/* Unsqueeze of a scalar at axis 0: the one-value vector Concat takes. The axes are an
 * attribute before opset 13 and an input from 13 on; either is read. */
static gboolean
convert_unsqueeze (SsOnnxImport      *im,
                   const SsOnnxNode  *node,
                   GError           **error)
{
  static const char *const allowed[] = { "axes", NULL };
  const SsOnnxAttr *attr = ss_onnx_attr (node, "axes");
  SsOnnxValue data, axes = { SS_ONNX_VALUE_INTS };

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_import_ints (im, node, 0, &data, error))
    return FALSE;
  if (attr != NULL)
    {
      if (ss_onnx_node_input (node, 1)[0] != '\0')
        {
          ss_onnx_node_error (error, SS_ERROR_FORMAT, node,
                              "has its axes both as an attribute and as an input");
          return FALSE;
        }
      if (attr->type != SS_ONNX_ATTR_INTS || attr->ints == NULL || attr->ints->len < 1 ||
          attr->ints->len > SS_ONNX_MAX_DIMS)
        {
          ss_onnx_node_error (error, SS_ERROR_FORMAT, node,
                              "the attribute “axes” must be a list of 1 to %d integers",
                              SS_ONNX_MAX_DIMS);
          return FALSE;
        }
      axes.rank = 1;
      axes.len = (int) attr->ints->len;
      memcpy (axes.ints, attr->ints->data, (gsize) axes.len * sizeof (gint64));
    }
  else if (!ss_onnx_import_ints (im, node, 1, &axes, error))
    return FALSE;
  if (data.rank != 0 || axes.batch != 0 || axes.len != 1 ||
      (axes.ints[0] != 0 && axes.ints[0] != -1))
    {
      g_autofree char *a = ss_onnx_ints_string (&axes);
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "unsqueezes a %s at axes %s; Supersign reads Unsqueeze only as the "
                          "step that turns one number (the batch size) into a one-value vector",
                          data.rank == 0 ? "scalar" : "vector", a);
      return FALSE;
    }
  data.rank = 1;
  return ss_onnx_import_define (im, node, 0, &data, error);
}

/* Concat of integer vectors along their one axis: a shape such as [N, -1]. */
static gboolean
convert_concat (SsOnnxImport      *im,
                const SsOnnxNode  *node,
                GError           **error)
{
  static const char *const allowed[] = { "axis", NULL };
  SsOnnxValue out = { SS_ONNX_VALUE_INTS };
  gint64 axis;

  if (!ss_onnx_check_attrs (node, allowed, error) ||
      !ss_onnx_attr_int (node, "axis", 0, &axis, error))
    return FALSE;
  if (node->inputs->len == 0)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "has no inputs");
      return FALSE;
    }
  out.rank = 1;
  for (guint k = 0; k < node->inputs->len; k++)
    {
      SsOnnxValue part;
      if (!ss_onnx_import_ints (im, node, k, &part, error))
        return FALSE;
      if (part.rank != 1 || (axis != 0 && axis != -1))
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "concatenates %s along axis %" G_GINT64_FORMAT "; Supersign "
                              "reads Concat only as the joining of vectors into a shape",
                              part.rank == 0 ? "scalars" : "vectors", axis);
          return FALSE;
        }
      if (out.len + part.len > SS_ONNX_MAX_DIMS)
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "makes a shape of more than %d values", SS_ONNX_MAX_DIMS);
          return FALSE;
        }
      memcpy (out.ints + out.len, part.ints, (gsize) part.len * sizeof (gint64));
      out.batch |= part.batch << out.len;
      out.len += part.len;
    }
  return ss_onnx_import_define (im, node, 0, &out, error);
}

gboolean
ss_onnx_convert_shape_op (SsOnnxImport      *im,
                          const SsOnnxNode  *node,
                          GError           **error)
{
  const char *op = node->op_type;

  if (g_str_equal (op, "Shape"))
    return convert_shape (im, node, error);
  if (g_str_equal (op, "Gather"))
    return convert_gather (im, node, error);
  if (g_str_equal (op, "Unsqueeze"))
    return convert_unsqueeze (im, node, error);
  g_assert (g_str_equal (op, "Concat"));
  return convert_concat (im, node, error);
}
