/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-private.h"

/* Node attributes, each checked for its type, and the windows of Conv, MaxPool and AveragePool
 * (kernel, stride, dilation, explicit or automatic padding, ceil_mode) reduced to what
 * Supersign's layers do: square, the same padding on every side. */

/* ---------------------------------------------------------------------------------------- */
/* Attributes                                                                               */

const SsOnnxAttr *
ss_onnx_attr (const SsOnnxNode *node,
              const char       *name)
{
  for (guint a = 0; a < node->attrs->len; a++)
    {
      const SsOnnxAttr *attr = node->attrs->pdata[a];
      if (g_str_equal (attr->name, name))
        return attr;
    }
  return NULL;
}

gboolean
ss_onnx_check_attrs (const SsOnnxNode   *node,
                     const char *const  *allowed,
                     GError            **error)
{
  for (guint a = 0; a < node->attrs->len; a++)
    {
      const SsOnnxAttr *attr = node->attrs->pdata[a];
      if (!g_strv_contains (allowed, attr->name))
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "has the attribute “%s”, which Supersign does not read for %s",
                              attr->name, node->op_type);
          return FALSE;
        }
      if (ss_onnx_attr (node, attr->name) != attr)
        {
          ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "has two attributes “%s”",
                              attr->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
attr_type (const SsOnnxNode  *node,
           const SsOnnxAttr  *attr,
           SsOnnxAttrType     type,
           const char        *what,
           GError           **error)
{
  if (attr->type == type)
    return TRUE;
  ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "the attribute “%s” must be %s",
                      attr->name, what);
  return FALSE;
}

gboolean
ss_onnx_attr_int (const SsOnnxNode  *node,
                  const char        *name,
                  gint64             fallback,
                  gint64            *out,
                  GError           **error)
{
  const SsOnnxAttr *attr = ss_onnx_attr (node, name);

  *out = fallback;
  if (attr == NULL)
    return TRUE;
  if (!attr_type (node, attr, SS_ONNX_ATTR_INT, "an integer", error))
    return FALSE;
  *out = attr->i;
  return TRUE;
}

gboolean
ss_onnx_attr_float (const SsOnnxNode  *node,
                    const char        *name,
                    float              fallback,
                    float             *out,
                    GError           **error)
{
  const SsOnnxAttr *attr = ss_onnx_attr (node, name);

  *out = fallback;
  if (attr == NULL)
    return TRUE;
  if (!attr_type (node, attr, SS_ONNX_ATTR_FLOAT, "a float", error))
    return FALSE;
  *out = attr->f;
  return TRUE;
}

gboolean
ss_onnx_attr_string (const SsOnnxNode  *node,
                     const char        *name,
                     const char        *fallback,
                     const char       **out,
                     GError           **error)
{
  const SsOnnxAttr *attr = ss_onnx_attr (node, name);

  *out = fallback;
  if (attr == NULL)
    return TRUE;
  if (!attr_type (node, attr, SS_ONNX_ATTR_STRING, "a string", error))
    return FALSE;
  *out = attr->s != NULL ? attr->s : "";
  return TRUE;
}

/* An INTS attribute of exactly n values (absent: *present = FALSE). */
gboolean
ss_onnx_attr_ints (const SsOnnxNode  *node,
                   const char        *name,
                   int                n,
                   gint64            *out,
                   gboolean          *present,
                   GError           **error)
{
  const SsOnnxAttr *attr = ss_onnx_attr (node, name);

  *present = attr != NULL;
  if (attr == NULL)
    return TRUE;
  if (!attr_type (node, attr, SS_ONNX_ATTR_INTS, "a list of integers", error))
    return FALSE;
  if (attr->ints == NULL || attr->ints->len != (guint) n)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "the attribute “%s” has %u values; Supersign reads 2-D layers, which "
                          "need %d", name, attr->ints ? attr->ints->len : 0, n);
      return FALSE;
    }
  memcpy (out, attr->ints->data, (gsize) n * sizeof (gint64));
  return TRUE;
}

/* A pair attribute (kernel_shape, strides, dilations) that must be square, in [1, 16384]. */
static gboolean
attr_square (const SsOnnxNode  *node,
             const char        *name,
             gint64             fallback,
             int               *out,
             GError           **error)
{
  gint64 v[2] = { fallback, fallback };
  gboolean present;

  if (!ss_onnx_attr_ints (node, name, 2, v, &present, error))
    return FALSE;
  if (v[0] != v[1])
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "%s is %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT "; Supersign's layers "
                          "use the same value for height and width", name, v[0], v[1]);
      return FALSE;
    }
  if (v[0] < 1 || v[0] > 16384)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node, "%s %" G_GINT64_FORMAT " is not valid",
                          name, v[0]);
      return FALSE;
    }
  *out = (int) v[0];
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Windows: Conv, MaxPool, AveragePool                                                      */

/* SAME padding's total for one side n: the output is ⌈n/s⌉. */
static gint64
same_total (int                 n,
            const SsOnnxWindow *win)
{
  gint64 span = (gint64) (win->kernel - 1) * win->dilation + 1;
  gint64 out = (n + win->stride - 1) / win->stride;
  return MAX ((out - 1) * win->stride + span - n, 0);
}

/* The node's window over an in_h×in_w input. kernel > 0 is the weight's (a Conv); 0 means
 * kernel_shape is required (a pool). */
gboolean
ss_onnx_window (const SsOnnxNode  *node,
                int                in_h,
                int                in_w,
                int                kernel,
                gboolean           pool,
                SsOnnxWindow      *win,
                GError           **error)
{
  const char *auto_pad;
  gint64 pads[4] = { 0, 0, 0, 0 };
  gboolean has_pads, has_kernel;
  gint64 ceil_mode = 0;

  has_kernel = ss_onnx_attr (node, "kernel_shape") != NULL;
  if (!has_kernel && kernel == 0)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "kernel_shape is missing");
      return FALSE;
    }
  if (!attr_square (node, "kernel_shape", kernel, &win->kernel, error) ||
      !attr_square (node, "strides", 1, &win->stride, error) ||
      !attr_square (node, "dilations", 1, &win->dilation, error) ||
      !ss_onnx_attr_string (node, "auto_pad", "NOTSET", &auto_pad, error) ||
      !ss_onnx_attr_ints (node, "pads", 4, pads, &has_pads, error) ||
      (pool && !ss_onnx_attr_int (node, "ceil_mode", 0, &ceil_mode, error)))
    return FALSE;
  if (kernel > 0 && win->kernel != kernel)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "kernel_shape %d disagrees with its %d×%d weight", win->kernel,
                          kernel, kernel);
      return FALSE;
    }
  if (pool && win->dilation != 1)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "dilated pooling (dilation %d) is not supported", win->dilation);
      return FALSE;
    }
  if (!g_str_equal (auto_pad, "NOTSET"))
    {
      if (has_pads && (pads[0] || pads[1] || pads[2] || pads[3]))
        {
          ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "sets both auto_pad and pads");
          return FALSE;
        }
      if (g_str_equal (auto_pad, "VALID"))
        pads[0] = pads[1] = pads[2] = pads[3] = 0;
      else if (g_str_equal (auto_pad, "SAME_UPPER") || g_str_equal (auto_pad, "SAME_LOWER"))
        {
          gint64 th = same_total (in_h, win), tw = same_total (in_w, win);
          if (th % 2 != 0 || tw % 2 != 0 || th != tw)
            {
              ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                                  "auto_pad %s pads %" G_GINT64_FORMAT " rows and %"
                                  G_GINT64_FORMAT " columns here, not the same amount on "
                                  "every side, which Supersign's layers cannot do", auto_pad,
                                  th, tw);
              return FALSE;
            }
          pads[0] = pads[1] = pads[2] = pads[3] = th / 2;
        }
      else
        {
          ss_onnx_node_error (error, SS_ERROR_FORMAT, node, "auto_pad “%s” is not valid",
                              auto_pad);
          return FALSE;
        }
    }
  if (pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3] || pads[0] < 0 ||
      pads[0] > 16384)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "pads [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                          ", %" G_GINT64_FORMAT "] are not the same on every side, which "
                          "Supersign's layers need", pads[0], pads[1], pads[2], pads[3]);
      return FALSE;
    }
  win->padding = (int) pads[0];
  if (ceil_mode != 0)
    {
      /* Rounding the output size up changes it unless the windows tile the input exactly. */
      gint64 span = (gint64) (win->kernel - 1) * win->dilation + 1;
      gint64 rh = ((gint64) in_h + 2 * win->padding - span) % win->stride;
      gint64 rw = ((gint64) in_w + 2 * win->padding - span) % win->stride;
      if (rh != 0 || rw != 0)
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "ceil_mode = 1 adds a partial window on this %d×%d input; "
                              "Supersign's pooling rounds down (export with ceil_mode=False)",
                              in_h, in_w);
          return FALSE;
        }
    }
  return TRUE;
}
