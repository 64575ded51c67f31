/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-pb.h"
#include "ss-onnx-private.h"

/* The ONNX messages the importer reads, from onnx/onnx.proto: ModelProto, OperatorSetIdProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto and the tensor part of
 * TypeProto (TensorProto is read in ss-onnx-tensor.c). Each message is a table of the fields it
 * reads (ss_onnx_parse_message); fields the importer has no use for (doc strings, metadata,
 * value_info, training info, functions) are skipped without being looked into. Nesting is
 * fixed by this schema (a tensor inside an attribute inside a node inside the graph), so there
 * is no unbounded recursion, and a sub-graph attribute (If, Loop) is skipped, not parsed: such
 * operators are refused later.
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
static gboolean
parse_string (SsOnnxParse      *ps,
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

/* Field f of reader r as its table entry says. */
static gboolean
read_field (SsOnnxParse        *ps,
            const SsPbReader   *r,
            const SsPbField    *f,
            const SsOnnxField  *field,
            GError            **error)
{
  switch (field->kind)
    {
    case SS_ONNX_FIELD_STRING:
      return parse_string (ps, f, field->what, field->dest, error);
    case SS_ONNX_FIELD_STRINGS:
      {
        char *s = NULL;
        if (!parse_string (ps, f, field->what, &s, error))
          return FALSE;
        g_ptr_array_add (field->dest, s);
        return TRUE;
      }
    case SS_ONNX_FIELD_VARINT:
      if (!ss_pb_expect (r, f, SS_PB_VARINT, field->what, error))
        return FALSE;
      *(gint64 *) field->dest = (gint64) f->value;
      return TRUE;
    case SS_ONNX_FIELD_FLOAT:
      if (!ss_pb_expect (r, f, SS_PB_I32, field->what, error))
        return FALSE;
      *(float *) field->dest = ss_pb_float (f);
      return TRUE;
    case SS_ONNX_FIELD_INT64S:
    case SS_ONNX_FIELD_FLOATS:
      {
        GArray **values = field->dest;
        gboolean ints = field->kind == SS_ONNX_FIELD_INT64S;
        if (*values == NULL)
          *values = g_array_new (FALSE, FALSE, ints ? sizeof (gint64) : sizeof (float));
        return ints ? ss_pb_append_int64s (r, f, *values, field->max, field->what, error)
                    : ss_pb_append_floats (r, f, *values, field->max, field->what, error);
      }
    case SS_ONNX_FIELD_TENSOR:
      g_clear_pointer ((SsOnnxTensor **) field->dest, ss_onnx_tensor_free);
      return ss_onnx_parse_tensor (ps, r, f, field->dest, error);
    case SS_ONNX_FIELD_TENSORS:
      {
        SsOnnxTensor *t = NULL;
        gboolean ok = ss_onnx_parse_tensor (ps, r, f, &t, error);
        g_ptr_array_add (field->dest, t);   /* also on failure, to be freed with the rest */
        return ok;
      }
    case SS_ONNX_FIELD_BYTES:
      if (!ss_pb_expect (r, f, SS_PB_LEN, field->what, error))
        return FALSE;
      *(SsPbField *) field->dest = *f;
      return TRUE;
    case SS_ONNX_FIELD_PRESENT:
      *(const char **) field->dest = field->what;
      return TRUE;
    case SS_ONNX_FIELD_SKIP:
      return TRUE;
    case SS_ONNX_FIELD_REFUSED:
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "byte %" G_GSIZE_FORMAT ": %s", f->offset,
                   field->what);
      return FALSE;
    case SS_ONNX_FIELD_MESSAGE:
      return ss_pb_expect (r, f, SS_PB_LEN, field->what, error) &&
             ss_onnx_parse_message (ps, r, f, field->fields, NULL, error);
    case SS_ONNX_FIELD_LEN:
      return ss_pb_expect (r, f, SS_PB_LEN, field->what, error) &&
             field->parse (ps, r, f, field->dest, error);
    case SS_ONNX_FIELD_OBJECT:
      return ss_pb_expect (r, f, SS_PB_LEN, field->what, error) &&
             ss_onnx_parse_count (ps, f, error) && field->parse (ps, r, f, field->dest, error);
    case SS_ONNX_FIELD_CUSTOM:
      return field->parse (ps, r, f, field->dest, error);
    }
  g_assert_not_reached ();
}

gboolean
ss_onnx_parse_message (SsOnnxParse        *ps,
                       const SsPbReader   *r,
                       const SsPbField    *msg,
                       const SsOnnxField  *fields,
                       int                *mark,
                       GError            **error)
{
  SsPbReader sub;
  SsPbField f;
  SsPbStatus st;

  ss_pb_reader_sub (&sub, r, msg);
  while ((st = ss_pb_next (&sub, &f, error)) == SS_PB_FIELD)
    for (const SsOnnxField *field = fields; field->number != 0; field++)
      if (field->number == f.number)
        {
          if (!read_field (ps, &sub, &f, field, error))
            return FALSE;
          if (field->mark != 0 && mark != NULL)
            *mark = field->mark;
          break;
        }
  return st == SS_PB_END;
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

/* NodeProto.attribute, appended to data (the node's attrs). */
static gboolean
parse_attr (SsOnnxParse       *ps,
            const SsPbReader  *r,
            const SsPbField   *msg,
            gpointer           data,
            GError           **error)
{
  SsOnnxAttr *a = g_new0 (SsOnnxAttr, 1);
  gint64 type = 0;
  int seen = SS_ONNX_ATTR_UNDEFINED;   /* the type of the last value field */
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_STRING, "AttributeProto.name", &a->name },
    { 2, SS_ONNX_FIELD_FLOAT, "AttributeProto.f", &a->f, .mark = SS_ONNX_ATTR_FLOAT },
    { 3, SS_ONNX_FIELD_VARINT, "AttributeProto.i", &a->i, .mark = SS_ONNX_ATTR_INT },
    { 4, SS_ONNX_FIELD_STRING, "AttributeProto.s", &a->s, .mark = SS_ONNX_ATTR_STRING },
    { 5, SS_ONNX_FIELD_TENSOR, NULL, &a->t, .mark = SS_ONNX_ATTR_TENSOR },
    /* A sub-graph: not parsed, the operator is refused. */
    { 6, SS_ONNX_FIELD_SKIP, .mark = SS_ONNX_ATTR_GRAPH },
    { 7, SS_ONNX_FIELD_FLOATS, "AttributeProto.floats", &a->floats, .max = MAX_ATTR_VALUES,
      .mark = SS_ONNX_ATTR_FLOATS },
    { 8, SS_ONNX_FIELD_INT64S, "AttributeProto.ints", &a->ints, .max = MAX_ATTR_VALUES,
      .mark = SS_ONNX_ATTR_INTS },
    { 20, SS_ONNX_FIELD_VARINT, "AttributeProto.type", &type },
    { 21, SS_ONNX_FIELD_REFUSED, "an attribute refers to a function's attribute, which only "
                                 "ONNX functions may do" },
    { 0 }
  };

  g_ptr_array_add (data, a);
  if (!ss_onnx_parse_message (ps, r, msg, fields, &seen, error))
    return FALSE;
  if (a->name == NULL || a->name[0] == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": an attribute has no name", msg->offset);
      return FALSE;
    }
  /* IR version 1 files leave the type out; the field that is present says it. Types the
   * importer does not read keep their number and are refused where used. */
  a->type = type != 0 ? (SsOnnxAttrType) CLAMP (type, 0, 100) : (SsOnnxAttrType) seen;
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

static SsOnnxNode *
node_new (void)
{
  SsOnnxNode *n = g_new0 (SsOnnxNode, 1);
  n->inputs = g_ptr_array_new_with_free_func (g_free);
  n->outputs = g_ptr_array_new_with_free_func (g_free);
  n->attrs = g_ptr_array_new_with_free_func (attr_free);
  return n;
}

/* GraphProto.node, appended to data (the model's nodes). */
static gboolean
parse_node (SsOnnxParse       *ps,
            const SsPbReader  *r,
            const SsPbField   *msg,
            gpointer           data,
            GError           **error)
{
  SsOnnxNode *n = node_new ();
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_STRINGS, "NodeProto.input", n->inputs },
    { 2, SS_ONNX_FIELD_STRINGS, "NodeProto.output", n->outputs },
    { 3, SS_ONNX_FIELD_STRING, "NodeProto.name", &n->name },
    { 4, SS_ONNX_FIELD_STRING, "NodeProto.op_type", &n->op_type },
    { 5, SS_ONNX_FIELD_OBJECT, "NodeProto.attribute", n->attrs, parse_attr },
    { 7, SS_ONNX_FIELD_STRING, "NodeProto.domain", &n->domain },
    { 0 }
  };

  g_ptr_array_add (data, n);
  if (!ss_onnx_parse_message (ps, r, msg, fields, NULL, error))
    return FALSE;
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

/* ValueInfoProto → TypeProto → TypeProto.Tensor → TensorShapeProto → Dimension; the data of
 * parse_dim and parse_shape is the SsOnnxValueInfo. */

/* TensorShapeProto.dim, appended to the value's dims. */
static gboolean
parse_dim (SsOnnxParse       *ps,
           const SsPbReader  *r,
           const SsPbField   *msg,
           gpointer           data,
           GError           **error)
{
  SsOnnxValueInfo *v = data;
  gint64 dim = -1;
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_VARINT, "Dimension.dim_value", &dim },
    { 0 }
  };

  if (v->ndim >= SS_ONNX_MAX_DIMS)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": “%s” has more than %d dimensions", msg->offset,
                   v->name ? v->name : "a graph input or output", SS_ONNX_MAX_DIMS);
      return FALSE;
    }
  if (!ss_onnx_parse_message (ps, r, msg, fields, NULL, error))
    return FALSE;
  /* A negative size is not valid: treated as unknown, and refused where needed. */
  v->dims[v->ndim++] = MAX (dim, -1);
  return TRUE;
}

static gboolean
parse_shape (SsOnnxParse       *ps,
             const SsPbReader  *r,
             const SsPbField   *msg,
             gpointer           data,
             GError           **error)
{
  SsOnnxValueInfo *v = data;
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_LEN, "TensorShapeProto.dim", v, parse_dim },
    { 0 }
  };

  v->ndim = 0;
  return ss_onnx_parse_message (ps, r, msg, fields, NULL, error);
}

/* GraphProto.input or output, appended to data (the model's inputs or outputs). */
static gboolean
parse_value_info (SsOnnxParse       *ps,
                  const SsPbReader  *r,
                  const SsPbField   *msg,
                  gpointer           data,
                  GError           **error)
{
  SsOnnxValueInfo *v = g_new0 (SsOnnxValueInfo, 1);
  gint64 elem = 0;
  const SsOnnxField tensor_type[] = {
    { 1, SS_ONNX_FIELD_VARINT, "TypeProto.Tensor.elem_type", &elem },
    { 2, SS_ONNX_FIELD_LEN, "TypeProto.Tensor.shape", v, parse_shape },
    { 0 }
  };
  const SsOnnxField type[] = {
    { 1, SS_ONNX_FIELD_MESSAGE, "TypeProto.tensor_type", .fields = tensor_type },
    { 0 }
  };
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_STRING, "ValueInfoProto.name", &v->name },
    { 2, SS_ONNX_FIELD_MESSAGE, "ValueInfoProto.type", .fields = type },
    { 0 }
  };

  v->ndim = -1;
  g_ptr_array_add (data, v);
  if (!ss_onnx_parse_message (ps, r, msg, fields, NULL, error))
    return FALSE;
  v->elem_type = (int) CLAMP (elem, 0, G_MAXINT);
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

/* ModelProto.graph: data is the model. */
static gboolean
parse_graph (SsOnnxParse       *ps,
             const SsPbReader  *r,
             const SsPbField   *msg,
             gpointer           data,
             GError           **error)
{
  SsOnnxModel *m = data;
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_OBJECT, "GraphProto.node", m->nodes, parse_node },
    { 2, SS_ONNX_FIELD_STRING, "GraphProto.name", &m->graph_name },
    { 5, SS_ONNX_FIELD_TENSORS, NULL, m->initializers },
    { 11, SS_ONNX_FIELD_OBJECT, "GraphProto.input", m->inputs, parse_value_info },
    { 12, SS_ONNX_FIELD_OBJECT, "GraphProto.output", m->outputs, parse_value_info },
    { 15, SS_ONNX_FIELD_REFUSED, "the graph has sparse initializers, which Supersign does not "
                                 "read" },
    { 0 }
  };

  /* Checked before the wire type: a second graph is refused whatever it holds. */
  if (ps->has_graph)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": the model holds two graphs", msg->offset);
      return FALSE;
    }
  ps->has_graph = TRUE;
  return ss_pb_expect (r, msg, SS_PB_LEN, "ModelProto.graph", error) &&
         ss_onnx_parse_message (ps, r, msg, fields, NULL, error);
}

/* ModelProto.opset_import: data is the model. */
static gboolean
parse_opset (SsOnnxParse       *ps,
             const SsPbReader  *r,
             const SsPbField   *msg,
             gpointer           data,
             GError           **error)
{
  SsOnnxModel *m = data;
  g_autofree char *domain = NULL;
  gint64 version = 0;
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_STRING, "OperatorSetIdProto.domain", &domain },
    { 2, SS_ONNX_FIELD_VARINT, "OperatorSetIdProto.version", &version },
    { 0 }
  };

  if (!ss_onnx_parse_message (ps, r, msg, fields, NULL, error))
    return FALSE;
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
  const SsPbField whole = { .wire = SS_PB_LEN, .data = data, .len = size };   /* the ModelProto */
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_VARINT, "ModelProto.ir_version", &m->ir_version },
    { 7, SS_ONNX_FIELD_CUSTOM, NULL, m, parse_graph },
    { 8, SS_ONNX_FIELD_OBJECT, "ModelProto.opset_import", m, parse_opset },
    { 0 }
  };

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
  if (!ss_onnx_parse_message (&ps, &r, &whole, fields, NULL, error))
    return NULL;
  if (!ps.has_graph)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "no graph in the file (it is truncated, or not an ONNX model)");
      return NULL;
    }
  return g_steal_pointer (&m);
}
