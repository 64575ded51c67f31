/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A protobuf wire-format reader, just enough for ONNX files (docs/onnx.md says why Supersign
 * reads them itself rather than through protobuf-c).
 *
 * A message is a sequence of fields, each a varint tag (field number << 3 | wire type) and a
 * payload: a varint (type 0), 8 little-endian bytes (1), a varint length and that many bytes
 * (2: strings, bytes, sub-messages, packed repeated numbers) or 4 little-endian bytes (5).
 * Groups (types 3 and 4) are obsolete and refused.
 *
 * The reader never reads outside [data, data + len): every length is checked against the bytes
 * left before it is used, and it allocates nothing (LEN payloads point into the buffer). It does
 * not recurse: the caller decides which fields are sub-messages, so nesting depth is the
 * caller's, fixed by the schema it reads. Errors are SS_ERROR_FORMAT naming the byte offset
 * from the start of the whole buffer. */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SS_PB_VARINT = 0,
  SS_PB_I64    = 1,
  SS_PB_LEN    = 2,
  SS_PB_I32    = 5,
} SsPbWireType;

typedef struct {
  const guint8 *base;   /* the whole buffer: offsets in messages count from here */
  const guint8 *p;      /* the next unread byte */
  const guint8 *end;    /* one past this message's last byte */
} SsPbReader;

typedef struct {
  guint32       number;   /* 1 .. 2^29 - 1 */
  SsPbWireType  wire;
  guint64       value;    /* VARINT: the value; I32, I64: the little-endian bits */
  const guint8 *data;     /* LEN: the payload, inside the reader's buffer (borrowed) */
  gsize         len;      /* LEN: its length */
  gsize         offset;   /* where the field's tag starts, from base */
} SsPbField;

typedef enum {
  SS_PB_END,     /* no more fields */
  SS_PB_FIELD,   /* *field holds the next field */
  SS_PB_ERROR,   /* malformed; error is set */
} SsPbStatus;

/* A reader over the len bytes at data, which is the whole buffer. */
void       ss_pb_reader_init (SsPbReader *r, const guint8 *data, gsize len);
/* A reader over the payload of field f (wire type LEN), read from r. */
void       ss_pb_reader_sub  (SsPbReader *sub, const SsPbReader *r, const SsPbField *f);
/* Reads the next field of r. */
SsPbStatus ss_pb_next        (SsPbReader *r, SsPbField *f, GError **error);

/* FALSE with an error naming `what` ("GraphProto.node") if f's wire type is not wire. */
gboolean   ss_pb_expect      (const SsPbReader *r, const SsPbField *f, SsPbWireType wire,
                              const char *what, GError **error);

/* A repeated integer field (int32, int64, enums) may come packed (one LEN field) or one VARINT
 * field per value; both append to out (gint64). Fails past max values in out. */
gboolean   ss_pb_append_int64s (const SsPbReader *r, const SsPbField *f, GArray *out,
                                guint max, const char *what, GError **error);
/* The same for a repeated float field (packed LEN or one I32 field per value); out holds
 * floats. */
gboolean   ss_pb_append_floats (const SsPbReader *r, const SsPbField *f, GArray *out,
                                guint max, const char *what, GError **error);

/* A single float (I32) field's value. */
float      ss_pb_float       (const SsPbField *f);

G_END_DECLS
