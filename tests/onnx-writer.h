/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A minimal protobuf writer for building ONNX models in tests (test-onnx-bad.c): wire types 0
 * (varint), 2 (length-delimited) and 5 (32-bit) and the few ONNX messages the tests need. A
 * message is a GByteArray; pbw_msg appends one to another as a field and frees it. */

#include <glib.h>

G_BEGIN_DECLS

void        pbw_varint     (GByteArray *b, guint64 v);
void        pbw_int        (GByteArray *b, guint field, gint64 v);
void        pbw_bytes      (GByteArray *b, guint field, const void *data, gsize len);
void        pbw_str        (GByteArray *b, guint field, const char *s);
/* Appends message m as field `field`; m is freed. */
void        pbw_msg        (GByteArray *b, guint field, GByteArray *m);
void        pbw_float      (GByteArray *b, guint field, float f);

/* TensorProto: dims, data_type, name and raw_data (raw may be NULL: no values). Transfer
 * full. */
GByteArray *pbw_tensor     (const char *name, int data_type, const gint64 *dims, int ndim,
                            const void *raw, gsize raw_len);
/* A FLOAT tensor holding values (the dims' product of them). Transfer full. */
GByteArray *pbw_tensor_f32 (const char *name, const gint64 *dims, int ndim,
                            const float *values);
/* AttributeProto of type INT, INTS or FLOAT. Transfer full. */
GByteArray *pbw_attr_int   (const char *name, gint64 v);
GByteArray *pbw_attr_ints  (const char *name, const gint64 *v, int n);
GByteArray *pbw_attr_float (const char *name, float v);
/* NodeProto; inputs and outputs are comma-separated names ("" for none), then attributes
 * (GByteArray *, consumed) ending with NULL. Transfer full. */
GByteArray *pbw_node       (const char *op, const char *name, const char *inputs,
                            const char *outputs, ...) G_GNUC_NULL_TERMINATED;
/* ValueInfoProto of a float tensor; a dimension of -1 is symbolic ("N"). Transfer full. */
GByteArray *pbw_value_info (const char *name, const gint64 *dims, int ndim);

G_END_DECLS
