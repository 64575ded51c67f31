/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-pb.h"
#include "ss-onnx-private.h"

/* The ONNX messages the importer reads, from onnx/onnx.proto: ModelProto, OperatorSetIdProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto and the tensor part of
 * TypeProto (TensorProto is read in ss-onnx-tensor.c). Fields the importer has no use for
 * (doc strings, metadata, value_info, training info, functions) are skipped without being
 * looked into. Nesting is fixed by this schema (a
 * tensor inside an attribute inside a node inside the graph), so there is no recursion, and a
 * sub-graph attribute (If, Loop) is skipped, not parsed: such operators are refused later.
 *
 * Bounds: every element of a repeated field costs at least one byte of the file, and the
 * number of parsed objects (nodes, attributes, tensors, names) is capped at MAX_OBJECTS, so the
 * memory held is a small multiple of the file size and never more than a few hundred MB. */

#define MAX_OBJECTS     (1u << 18)
#define MAX_ATTR_VALUES 4096u

gboolean
ss_onnx_parse_count (SsOnnxParse      *ps,
                     const SsPbField  *f,
                     GError          **error)
{
  if (++ps->objects <= MAX_OBJECTS)
    return TRUE;
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "byte %" G_GSIZE_FORMAT ": the model holds more than %u nodes, attributes, "
               "tensors and names; Supersign reads networks smaller than that", f->offset,
               MAX_OBJECTS);
  return FALSE;
}

/* A string field as a new NUL-terminated UTF-8 string. */
gboolean
ss_onnx_parse_string (SsOnnxParse      *ps,
                      const SsPbField  *f,
                      const char       *what,
                      char            **out,
                      GError          **error)
{
  if (f->wire != SS_PB_LEN)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": %s is not stored as a string (the file is "
                   "damaged or not ONNX)", f->offset, what);
      return FALSE;
    }
  if (!ss_onnx_parse_count (ps, f, error))
    return FALSE;
  if (memchr (f->data, 0, f->len) != NULL ||
      !g_utf8_validate ((const char *) f->data, (gssize) f->len, NULL))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": %s is not valid UTF-8 text", f->offset, what);
      return FALSE;
    }
  g_free (*out);   /* protobuf: the last occurrence of a singular field wins */
  *out = g_strndup ((const char *) f->data, f->len);
  return TRUE;
}

gboolean
ss_onnx_parse_varint (const SsPbReader  *r,
                      const SsPbField   *f,
                      const char        *what,
                      gint64            *out,
                      GError           **error)
{
  if (!ss_pb_expect (r, f, SS_PB_VARINT, what, error))
    return FALSE;
  *out = (gint64) f->value;
  return TRUE;
}

static void
attr_free (gpointer data)
{
  SsOnnxAttr *a = data;
  g_free (a->name);
  g_free (a->s);
  if (a->ints)
    g_array_unref (a->ints);
  if (a->floats)
    g_array_unref (a->floats);
  ss_onnx_tensor_free (a->t);
  g_free (a);
}

static gboolean
parse_attr (SsOnnxParse       *ps,
            const SsPbReader  *r,
            const SsPbField   *msg,
            SsOnnxAttr        *a,
            GError           **error)
{
  SsPbReader sub;
  SsPbField f;
  gint64 type = 0;
  SsOnnxAttrType seen = SS_ONNX_ATTR_UNDEFINED;

  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    switch (f.number)
      {
      case 1:
        if (!ss_onnx_parse_string (ps, &f, "AttributeProto.name", &a->name, error))
          return FALSE;
        break;
      case 2:
        if (!ss_pb_expect (&sub, &f, SS_PB_I32, "AttributeProto.f", error))
          return FALSE;
        a->f = ss_pb_float (&f);
        seen = SS_ONNX_ATTR_FLOAT;
        break;
      case 3:
        if (!ss_onnx_parse_varint (&sub, &f, "AttributeProto.i", &a->i, error))
          return FALSE;
        seen = SS_ONNX_ATTR_INT;
        break;
      case 4:
        if (!ss_onnx_parse_string (ps, &f, "AttributeProto.s", &a->s, error))
          return FALSE;
        seen = SS_ONNX_ATTR_STRING;
        break;
      case 5:
        ss_onnx_tensor_free (a->t);
        a->t = NULL;
        if (!ss_onnx_parse_tensor (ps, &sub, &f, &a->t, error))
          return FALSE;
        seen = SS_ONNX_ATTR_TENSOR;
        break;
      case 6:
        seen = SS_ONNX_ATTR_GRAPH;   /* a sub-graph: not parsed, the operator is refused */
        break;
      case 7:
        if (a->floats == NULL)
          a->floats = g_array_new (FALSE, FALSE, sizeof (float));
        if (!ss_pb_append_floats (&sub, &f, a->floats, MAX_ATTR_VALUES, "AttributeProto.floats",
                                  error))
          return FALSE;
        seen = SS_ONNX_ATTR_FLOATS;
        break;
      case 8:
        if (a->ints == NULL)
          a->ints = g_array_new (FALSE, FALSE, sizeof (gint64));
        if (!ss_pb_append_int64s (&sub, &f, a->ints, MAX_ATTR_VALUES, "AttributeProto.ints",
                                  error))
          return FALSE;
        seen = SS_ONNX_ATTR_INTS;
        break;
      case 20:
        if (!ss_onnx_parse_varint (&sub, &f, "AttributeProto.type", &type, error))
          return FALSE;
        break;
      case 21:
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                     "byte %" G_GSIZE_FORMAT ": an attribute refers to a function's attribute, "
                     "which only ONNX functions may do", f.offset);
        return FALSE;
      default:
        break;
      }
  if (a->name == NULL || a->name[0] == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": an attribute has no name", msg->offset);
      return FALSE;
    }
  /* IR version 1 files leave the type out; the field that is present says it. Types the
   * importer does not read keep their number and are refused where used. */
  a->type = type != 0 ? (SsOnnxAttrType) CLAMP (type, 0, 100) : seen;
  return TRUE;
}

static void
node_free (gpointer data)
{
  SsOnnxNode *n = data;
  g_free (n->name);
  g_free (n->op_type);
  g_free (n->domain);
  g_ptr_array_unref (n->inputs);
  g_ptr_array_unref (n->outputs);
  g_ptr_array_unref (n->attrs);
  g_free (n);
}

static gboolean
parse_node (SsOnnxParse       *ps,
            const SsPbReader  *r,
            const SsPbField   *msg,
            SsOnnxNode        *n,
            GError           **error)
{
  SsPbReader sub;
  SsPbField f;

  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    {
      char *s = NULL;
      switch (f.number)
        {
        case 1:
        case 2:
          if (!ss_onnx_parse_string (ps, &f, f.number == 1 ? "NodeProto.input"
                                                          : "NodeProto.output", &s, error))
            return FALSE;
          g_ptr_array_add (f.number == 1 ? n->inputs : n->outputs, s);
          break;
        case 3:
          if (!ss_onnx_parse_string (ps, &f, "NodeProto.name", &n->name, error))
            return FALSE;
          break;
        case 4:
          if (!ss_onnx_parse_string (ps, &f, "NodeProto.op_type", &n->op_type, error))
            return FALSE;
          break;
        case 7:
          if (!ss_onnx_parse_string (ps, &f, "NodeProto.domain", &n->domain, error))
            return FALSE;
          break;
        case 5:
          {
            SsOnnxAttr *a = g_new0 (SsOnnxAttr, 1);
            g_ptr_array_add (n->attrs, a);
            if (!ss_pb_expect (&sub, &f, SS_PB_LEN, "NodeProto.attribute", error) ||
                !ss_onnx_parse_count (ps, &f, error) || !parse_attr (ps, &sub, &f, a, error))
              return FALSE;
          }
          break;
        default:
          break;
        }
    }
  if (n->name == NULL)
    n->name = g_strdup ("");
  if (n->domain == NULL)
    n->domain = g_strdup ("");
  if (n->op_type == NULL || n->op_type[0] == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": %s%s%s has no operator type", msg->offset,
                   n->name[0] ? "node “" : "a node", n->name, n->name[0] ? "”" : "");
      return FALSE;
    }
  return TRUE;
}

/* ValueInfoProto → TypeProto → TypeProto.Tensor → TensorShapeProto → Dimension. */
static gboolean
parse_dim (SsOnnxParse       *ps,
           const SsPbReader  *r,
           const SsPbField   *msg,
           gint64            *dim,
           GError           **error)
{
  SsPbReader sub;
  SsPbField f;

  *dim = -1;
  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    if (f.number == 1)
      {
        if (!ss_onnx_parse_varint (&sub, &f, "Dimension.dim_value", dim, error))
          return FALSE;
        if (*dim < 0)
          *dim = -1;   /* not a valid size: treated as unknown, and refused where needed */
      }
  return TRUE;
}

static gboolean
parse_value_info (SsOnnxParse       *ps,
                  const SsPbReader  *r,
                  const SsPbField   *msg,
                  SsOnnxValueInfo   *v,
                  GError           **error)
{
  SsPbReader sub, type, tensor, shape;
  SsPbField f, g, h, k;

  v->ndim = -1;
  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    {
      if (f.number == 1 && !ss_onnx_parse_string (ps, &f, "ValueInfoProto.name", &v->name, error))
        return FALSE;
      if (f.number != 2)
        continue;
      if (!ss_pb_expect (&sub, &f, SS_PB_LEN, "ValueInfoProto.type", error))
        return FALSE;
      ss_pb_reader_sub (&type, &sub, &f);
      SS_ONNX_FOR_EACH_FIELD (&type, g, error)
        {
          if (g.number != 1)
            continue;
          if (!ss_pb_expect (&type, &g, SS_PB_LEN, "TypeProto.tensor_type", error))
            return FALSE;
          ss_pb_reader_sub (&tensor, &type, &g);
          SS_ONNX_FOR_EACH_FIELD (&tensor, h, error)
            {
              gint64 elem;
              if (h.number == 1)
                {
                  if (!ss_onnx_parse_varint (&tensor, &h, "TypeProto.Tensor.elem_type", &elem,
                                             error))
                    return FALSE;
                  v->elem_type = (int) CLAMP (elem, 0, G_MAXINT);
                  continue;
                }
              if (h.number != 2)
                continue;
              if (!ss_pb_expect (&tensor, &h, SS_PB_LEN, "TypeProto.Tensor.shape", error))
                return FALSE;
              v->ndim = 0;
              ss_pb_reader_sub (&shape, &tensor, &h);
              SS_ONNX_FOR_EACH_FIELD (&shape, k, error)
                {
                  if (k.number != 1)
                    continue;
                  if (!ss_pb_expect (&shape, &k, SS_PB_LEN, "TensorShapeProto.dim", error))
                    return FALSE;
                  if (v->ndim >= SS_ONNX_MAX_DIMS)
                    {
                      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                                   "byte %" G_GSIZE_FORMAT ": “%s” has more than %d dimensions",
                                   k.offset, v->name ? v->name : "a graph input or output",
                                   SS_ONNX_MAX_DIMS);
                      return FALSE;
                    }
                  if (!parse_dim (ps, &shape, &k, &v->dims[v->ndim++], error))
                    return FALSE;
                }
            }
        }
    }
  if (v->name == NULL || v->name[0] == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": a graph input or output has no name",
                   msg->offset);
      return FALSE;
    }
  return TRUE;
}

static void
value_info_free (gpointer data)
{
  SsOnnxValueInfo *v = data;
  g_free (v->name);
  g_free (v);
}

static gboolean
parse_graph (SsOnnxParse       *ps,
             const SsPbReader  *r,
             const SsPbField   *msg,
             SsOnnxModel       *m,
             GError           **error)
{
  SsPbReader sub;
  SsPbField f;

  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    switch (f.number)
      {
      case 1:
        {
          SsOnnxNode *n = g_new0 (SsOnnxNode, 1);
          n->inputs = g_ptr_array_new_with_free_func (g_free);
          n->outputs = g_ptr_array_new_with_free_func (g_free);
          n->attrs = g_ptr_array_new_with_free_func (attr_free);
          g_ptr_array_add (m->nodes, n);
          if (!ss_pb_expect (&sub, &f, SS_PB_LEN, "GraphProto.node", error) ||
              !ss_onnx_parse_count (ps, &f, error) || !parse_node (ps, &sub, &f, n, error))
            return FALSE;
        }
        break;
      case 2:
        if (!ss_onnx_parse_string (ps, &f, "GraphProto.name", &m->graph_name, error))
          return FALSE;
        break;
      case 5:
        {
          SsOnnxTensor *t = NULL;
          gboolean ok = ss_onnx_parse_tensor (ps, &sub, &f, &t, error);
          if (t != NULL)
            g_ptr_array_add (m->initializers, t);
          if (!ok)
            return FALSE;
        }
        break;
      case 11:
      case 12:
        {
          SsOnnxValueInfo *v = g_new0 (SsOnnxValueInfo, 1);
          g_ptr_array_add (f.number == 11 ? m->inputs : m->outputs, v);
          if (!ss_pb_expect (&sub, &f, SS_PB_LEN, "GraphProto.input", error) ||
              !ss_onnx_parse_count (ps, &f, error) || !parse_value_info (ps, &sub, &f, v, error))
            return FALSE;
        }
        break;
      case 15:
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                     "byte %" G_GSIZE_FORMAT ": the graph has sparse initializers, which "
                     "Supersign does not read", f.offset);
        return FALSE;
      default:
        break;
      }
  return TRUE;
}

static gboolean
parse_opset (SsOnnxParse       *ps,
             const SsPbReader  *r,
             const SsPbField   *msg,
             SsOnnxModel       *m,
             GError           **error)
{
  SsPbReader sub;
  SsPbField f;
  g_autofree char *domain = NULL;
  gint64 version = 0;

  ss_pb_reader_sub (&sub, r, msg);
  SS_ONNX_FOR_EACH_FIELD (&sub, f, error)
    {
      if (f.number == 1 &&
          !ss_onnx_parse_string (ps, &f, "OperatorSetIdProto.domain", &domain, error))
        return FALSE;
      if (f.number == 2 &&
          !ss_onnx_parse_varint (&sub, &f, "OperatorSetIdProto.version", &version, error))
        return FALSE;
    }
  if (domain == NULL || domain[0] == '\0' || g_str_equal (domain, "ai.onnx"))
    {
      if (m->opset != 0)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": the model imports the default operator set "
                       "twice", msg->offset);
          return FALSE;
        }
      m->opset = MAX (version, -1);
      if (m->opset == 0)
        m->opset = -1;   /* present but 0: refused as a version, not as "missing" */
    }
  return TRUE;
}

void
ss_onnx_model_free (SsOnnxModel *m)
{
  if (m == NULL)
    return;
  g_free (m->graph_name);
  g_ptr_array_unref (m->nodes);
  g_ptr_array_unref (m->initializers);
  g_ptr_array_unref (m->inputs);
  g_ptr_array_unref (m->outputs);
  g_free (m);
}

SsOnnxModel *
ss_onnx_model_parse (const guint8  *data,
                     gsize          size,
                     GError       **error)
{
  g_autoptr(SsOnnxModel) m = g_new0 (SsOnnxModel, 1);
  SsOnnxParse ps = { 0 };
  SsPbReader r;
  SsPbField f;
  gboolean has_graph = FALSE;
  SsPbStatus st;

  m->nodes = g_ptr_array_new_with_free_func (node_free);
  m->initializers = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_onnx_tensor_free);
  m->inputs = g_ptr_array_new_with_free_func (value_info_free);
  m->outputs = g_ptr_array_new_with_free_func (value_info_free);
  if (size == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "the file is empty");
      return NULL;
    }
  ss_pb_reader_init (&r, data, size);
  while ((st = ss_pb_next (&r, &f, error)) == SS_PB_FIELD)
    {
      gboolean ok = TRUE;
      if (f.number == 1)
        ok = ss_onnx_parse_varint (&r, &f, "ModelProto.ir_version", &m->ir_version, error);
      else if (f.number == 7)
        {
          if (has_graph)
            {
              g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                           "byte %" G_GSIZE_FORMAT ": the model holds two graphs", f.offset);
              return NULL;
            }
          has_graph = TRUE;
          ok = ss_pb_expect (&r, &f, SS_PB_LEN, "ModelProto.graph", error) &&
               parse_graph (&ps, &r, &f, m, error);
        }
      else if (f.number == 8)
        ok = ss_pb_expect (&r, &f, SS_PB_LEN, "ModelProto.opset_import", error) &&
             ss_onnx_parse_count (&ps, &f, error) && parse_opset (&ps, &r, &f, m, error);
      if (!ok)
        return NULL;
    }
  if (st == SS_PB_ERROR)
    return NULL;
  if (!has_graph)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "no graph in the file (it is truncated, or not an ONNX model)");
      return NULL;
    }
  return g_steal_pointer (&m);
}
