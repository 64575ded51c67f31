/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-onnx-pb.h"

/* Protobuf wire format: https://protobuf.dev/programming-guides/encoding/. Every read checks
 * the bytes left first; pointers are compared, never advanced past end. */

#define MAX_FIELD_NUMBER ((1u << 29) - 1)

static gsize
offset_of (const SsPbReader *r,
           const guint8     *p)
{
  return (gsize) (p - r->base);
}

static const char *
wire_name (guint wire)
{
  switch (wire)
    {
    case SS_PB_VARINT: return "varint";
    case SS_PB_I64: return "64-bit";
    case SS_PB_LEN: return "length-delimited";
    case SS_PB_I32: return "32-bit";
    case 3: case 4: return "group";
    default: return "invalid";
    }
}

/* Reads a varint at *p (< end) into *v. At most 10 bytes, the 10th holding only bit 63. */
static gboolean
read_varint (const SsPbReader  *r,
             const guint8     **p,
             guint64           *v,
             GError           **error)
{
  const guint8 *q = *p;
  guint64 value = 0;

  for (int i = 0; i < 10; i++)
    {
      guint8 byte;
      if (q >= r->end)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": the data ends inside a number (the file is "
                       "truncated or not ONNX)", offset_of (r, *p));
          return FALSE;
        }
      byte = *q++;
      if (i == 9 && byte > 1)
        break;
      value |= (guint64) (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0)
        {
          *v = value;
          *p = q;
          return TRUE;
        }
    }
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "byte %" G_GSIZE_FORMAT ": a number is longer than 64 bits (not an ONNX file?)",
               offset_of (r, *p));
  return FALSE;
}

static guint64
read_le (const guint8 *p,
         int           n)
{
  guint64 v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

void
ss_pb_reader_init (SsPbReader   *r,
                   const guint8 *data,
                   gsize         len)
{
  g_return_if_fail (r != NULL && (data != NULL || len == 0));
  r->base = data;
  r->p = data;
  r->end = data + len;
}

void
ss_pb_reader_sub (SsPbReader       *sub,
                  const SsPbReader *r,
                  const SsPbField  *f)
{
  g_return_if_fail (f->wire == SS_PB_LEN);
  sub->base = r->base;
  sub->p = f->data;
  sub->end = f->data + f->len;
}

SsPbStatus
ss_pb_next (SsPbReader  *r,
            SsPbField   *f,
            GError     **error)
{
  const guint8 *p = r->p;
  guint64 tag, wire;

  if (p >= r->end)
    return SS_PB_END;
  memset (f, 0, sizeof *f);
  f->offset = offset_of (r, p);
  if (!read_varint (r, &p, &tag, error))
    return SS_PB_ERROR;
  wire = tag & 7;
  if (tag >> 3 == 0 || tag >> 3 > MAX_FIELD_NUMBER)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": field number %" G_GUINT64_FORMAT " is not valid "
                   "(the file is damaged or not ONNX)", f->offset, tag >> 3);
      return SS_PB_ERROR;
    }
  f->number = (guint32) (tag >> 3);
  f->wire = (SsPbWireType) wire;
  switch (wire)
    {
    case SS_PB_VARINT:
      if (!read_varint (r, &p, &f->value, error))
        return SS_PB_ERROR;
      break;
    case SS_PB_I64:
    case SS_PB_I32:
      {
        gsize n = wire == SS_PB_I64 ? 8 : 4;
        if ((gsize) (r->end - p) < n)
          {
            g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                         "byte %" G_GSIZE_FORMAT ": the data ends inside field %u (the file is "
                         "truncated)", f->offset, f->number);
            return SS_PB_ERROR;
          }
        f->value = read_le (p, (int) n);
        p += n;
      }
      break;
    case SS_PB_LEN:
      {
        guint64 len;
        if (!read_varint (r, &p, &len, error))
          return SS_PB_ERROR;
        if (len > (guint64) (r->end - p))
          {
            g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                         "byte %" G_GSIZE_FORMAT ": field %u declares %" G_GUINT64_FORMAT
                         " bytes but only %" G_GSIZE_FORMAT " are left (the file is truncated "
                         "or damaged)", f->offset, f->number, len, (gsize) (r->end - p));
            return SS_PB_ERROR;
          }
        f->data = p;
        f->len = (gsize) len;
        p += len;
      }
      break;
    default:
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": field %u has wire type %u (%s), which ONNX files "
                   "do not use", f->offset, f->number, (guint) wire, wire_name ((guint) wire));
      return SS_PB_ERROR;
    }
  r->p = p;
  return SS_PB_FIELD;
}

gboolean
ss_pb_expect (const SsPbReader  *r,
              const SsPbField   *f,
              SsPbWireType       wire,
              const char        *what,
              GError           **error)
{
  if (f->wire == wire)
    return TRUE;
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "byte %" G_GSIZE_FORMAT ": %s is stored as a %s field, but ONNX defines it as %s "
               "(the file is damaged or not ONNX)", f->offset, what, wire_name (f->wire),
               wire_name (wire));
  return FALSE;
}

static gboolean
too_many (const SsPbField  *f,
          guint             max,
          const char       *what,
          GError          **error)
{
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "byte %" G_GSIZE_FORMAT ": %s holds more than %u values", f->offset, what, max);
  return FALSE;
}

gboolean
ss_pb_append_int64s (const SsPbReader  *r,
                     const SsPbField   *f,
                     GArray            *out,
                     guint              max,
                     const char        *what,
                     GError           **error)
{
  if (f->wire == SS_PB_VARINT)
    {
      gint64 v = (gint64) f->value;
      if (out->len >= max)
        return too_many (f, max, what, error);
      g_array_append_val (out, v);
      return TRUE;
    }
  if (!ss_pb_expect (r, f, SS_PB_LEN, what, error))
    return FALSE;
  {
    SsPbReader sub;
    const guint8 *p = f->data;
    ss_pb_reader_sub (&sub, r, f);
    while (p < sub.end)
      {
        guint64 v;
        if (out->len >= max)
          return too_many (f, max, what, error);
        if (!read_varint (&sub, &p, &v, error))
          return FALSE;
        g_array_append_val (out, v);
      }
  }
  return TRUE;
}

gboolean
ss_pb_append_floats (const SsPbReader  *r,
                     const SsPbField   *f,
                     GArray            *out,
                     guint              max,
                     const char        *what,
                     GError           **error)
{
  if (f->wire == SS_PB_I32)
    {
      float v = ss_pb_float (f);
      if (out->len >= max)
        return too_many (f, max, what, error);
      g_array_append_val (out, v);
      return TRUE;
    }
  if (!ss_pb_expect (r, f, SS_PB_LEN, what, error))
    return FALSE;
  if (f->len % 4 != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": %s holds %" G_GSIZE_FORMAT " bytes, not a whole "
                   "number of floats", f->offset, what, f->len);
      return FALSE;
    }
  if (out->len > max || f->len / 4 > (gsize) (max - out->len))
    return too_many (f, max, what, error);
  for (gsize i = 0; i < f->len; i += 4)
    {
      guint32 bits = (guint32) read_le (f->data + i, 4);
      float v;
      memcpy (&v, &bits, sizeof v);
      g_array_append_val (out, v);
    }
  return TRUE;
}

float
ss_pb_float (const SsPbField *f)
{
  guint32 bits = (guint32) f->value;
  float v;

  g_return_val_if_fail (f->wire == SS_PB_I32, 0.f);
  memcpy (&v, &bits, sizeof v);
  return v;
}
