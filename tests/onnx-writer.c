/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "onnx-writer.h"

/* A minimal protobuf writer for building ONNX models in tests (see onnx-writer.h). */

void
pbw_varint (GByteArray *b,
            guint64     v)
{
  do
    {
      guint8 byte = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
      g_byte_array_append (b, &byte, 1);
      v >>= 7;
    }
  while (v != 0);
}

void
pbw_int (GByteArray *b,
         guint       field,
         gint64      v)
{
  pbw_varint (b, (guint64) field << 3 | 0);
  pbw_varint (b, (guint64) v);
}

void
pbw_bytes (GByteArray *b,
           guint       field,
           const void *data,
           gsize       len)
{
  pbw_varint (b, (guint64) field << 3 | 2);
  pbw_varint (b, len);
  g_byte_array_append (b, data, (guint) len);
}

void
pbw_str (GByteArray *b,
         guint       field,
         const char *s)
{
  pbw_bytes (b, field, s, strlen (s));
}

/* Appends message m as field `field` and frees m. */
void
pbw_msg (GByteArray *b,
         guint       field,
         GByteArray *m)
{
  pbw_bytes (b, field, m->data, m->len);
  g_byte_array_unref (m);
}

void
pbw_float (GByteArray *b,
           guint       field,
           float       f)
{
  guint32 bits;
  memcpy (&bits, &f, 4);
  pbw_varint (b, (guint64) field << 3 | 5);
  bits = GUINT32_TO_LE (bits);
  g_byte_array_append (b, (const guint8 *) &bits, 4);
}

/* TensorProto with dims and raw_data (item_size bytes per value). */
GByteArray *
pbw_tensor (const char   *name,
            int           data_type,
            const gint64 *dims,
            int           ndim,
            const void   *raw,
            gsize         raw_len)
{
  GByteArray *t = g_byte_array_new ();
  for (int d = 0; d < ndim; d++)
    pbw_int (t, 1, dims[d]);
  pbw_int (t, 2, data_type);
  pbw_str (t, 8, name);
  if (raw != NULL)
    pbw_bytes (t, 9, raw, raw_len);
  return t;
}

GByteArray *
pbw_tensor_f32 (const char   *name,
                const gint64 *dims,
                int           ndim,
                const float  *values)
{
  gsize n = 1;
  for (int d = 0; d < ndim; d++)
    n *= (gsize) dims[d];
  return pbw_tensor (name, 1, dims, ndim, values, n * sizeof (float));
}

GByteArray *
pbw_attr_int (const char *name,
              gint64      v)
{
  GByteArray *a = g_byte_array_new ();
  pbw_str (a, 1, name);
  pbw_int (a, 20, 2);
  pbw_int (a, 3, v);
  return a;
}

GByteArray *
pbw_attr_ints (const char   *name,
               const gint64 *v,
               int           n)
{
  GByteArray *a = g_byte_array_new ();
  pbw_str (a, 1, name);
  pbw_int (a, 20, 7);
  for (int i = 0; i < n; i++)
    pbw_int (a, 8, v[i]);
  return a;
}

GByteArray *
pbw_attr_float (const char *name,
                float       v)
{
  GByteArray *a = g_byte_array_new ();
  pbw_str (a, 1, name);
  pbw_int (a, 20, 1);
  pbw_float (a, 2, v);
  return a;
}

/* NodeProto; inputs and outputs are comma-separated ("" for none); attrs NULL-terminated and
 * consumed. */
GByteArray *
pbw_node (const char *op,
      const char *name,
      const char *inputs,
      const char *outputs,
      ...)
{
  GByteArray *n = g_byte_array_new ();
  g_auto(GStrv) in = g_strsplit (inputs, ",", -1);
  g_auto(GStrv) out = g_strsplit (outputs, ",", -1);
  va_list ap;
  GByteArray *a;

  for (char **s = in; *s != NULL; s++)
    pbw_str (n, 1, *s);
  for (char **s = out; *s != NULL; s++)
    pbw_str (n, 2, *s);
  pbw_str (n, 3, name);
  pbw_str (n, 4, op);
  va_start (ap, outputs);
  while ((a = va_arg (ap, GByteArray *)) != NULL)
    pbw_msg (n, 5, a);
  va_end (ap);
  return n;
}

/* ValueInfoProto of a float tensor; a dimension of -1 is symbolic ("N"). */
GByteArray *
pbw_value_info (const char   *name,
                const gint64 *dims,
                int           ndim)
{
  GByteArray *v = g_byte_array_new (), *type = g_byte_array_new ();
  GByteArray *tt = g_byte_array_new (), *shape = g_byte_array_new ();

  for (int d = 0; d < ndim; d++)
    {
      GByteArray *dim = g_byte_array_new ();
      if (dims[d] < 0)
        pbw_str (dim, 2, "N");
      else
        pbw_int (dim, 1, dims[d]);
      pbw_msg (shape, 1, dim);
    }
  pbw_int (tt, 1, 1);
  pbw_msg (tt, 2, shape);
  pbw_msg (type, 1, tt);
  pbw_str (v, 1, name);
  pbw_msg (v, 2, type);
  return v;
}
