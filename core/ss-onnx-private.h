/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The parts of an ONNX ModelProto the importer reads (ss-onnx-proto.c), and the graph
 * conversion shared by ss-onnx.c (graph, names, values) and ss-onnx-ops.c (one function per
 * operator). Field numbers follow onnx/onnx.proto (IR version 8). */

#include <glib.h>

#include "ss-arch.h"
#include "ss-onnx-pb.h"

G_BEGIN_DECLS

#define SS_ONNX_MAX_DIMS 8

/* TensorProto.DataType values the importer reads. */
enum {
  SS_ONNX_FLOAT = 1,
  SS_ONNX_INT64 = 7,
};

/* AttributeProto.AttributeType. */
typedef enum {
  SS_ONNX_ATTR_UNDEFINED = 0,
  SS_ONNX_ATTR_FLOAT = 1,
  SS_ONNX_ATTR_INT = 2,
  SS_ONNX_ATTR_STRING = 3,
  SS_ONNX_ATTR_TENSOR = 4,
  SS_ONNX_ATTR_GRAPH = 5,
  SS_ONNX_ATTR_FLOATS = 6,
  SS_ONNX_ATTR_INTS = 7,
} SsOnnxAttrType;

typedef struct {
  char         *name;        /* owned; "" if unnamed (a Constant's value) */
  int           data_type;
  int           ndim;        /* 0 = scalar */
  gint64        dims[SS_ONNX_MAX_DIMS];
  gint64        n_elements;  /* product of dims, checked against overflow */
  /* Where the values are (exactly one when n_elements > 0; checked by the parser): */
  gboolean      has_raw;
  const guint8 *raw;         /* raw_data: n_elements items, little-endian; borrowed from the
                              * buffer given to ss_onnx_model_parse */
  gsize         raw_len;     /* its length in bytes */
  GArray       *floats;      /* float_data (float); owned, NULL if absent */
  GArray       *int64s;      /* int64_data (gint64); owned, NULL if absent */
  const char   *other_field; /* static name of another value field in use ("int32_data") */
  char         *location;    /* external data: a plain file name in the model's folder; owned */
  guint64       ext_offset;  /* external data: where the values start in that file */
} SsOnnxTensor;

typedef struct {
  char          *name;       /* owned */
  SsOnnxAttrType type;       /* inferred from the field present when the file leaves it 0 */
  float          f;
  gint64         i;
  char          *s;          /* owned, NUL-free UTF-8, or NULL */
  GArray        *ints;       /* gint64; owned, or NULL */
  GArray        *floats;     /* float; owned, or NULL */
  SsOnnxTensor  *t;          /* owned, or NULL */
} SsOnnxAttr;

typedef struct {
  char      *name;           /* owned; may be "" */
  char      *op_type;        /* owned */
  char      *domain;         /* owned; "" for the default domain */
  GPtrArray *inputs;         /* char *, owned; "" marks an omitted optional input */
  GPtrArray *outputs;        /* char *, owned */
  GPtrArray *attrs;          /* SsOnnxAttr *, owned */
} SsOnnxNode;

/* A graph input or output (ValueInfoProto). */
typedef struct {
  char    *name;             /* owned */
  int      elem_type;        /* 0 when not a tensor or not given */
  int      ndim;             /* -1 when the shape is not given */
  gint64   dims[SS_ONNX_MAX_DIMS];  /* -1 for a symbolic or missing dimension ("N") */
} SsOnnxValueInfo;

typedef struct {
  gint64     ir_version;
  gint64     opset;          /* the default domain's version; 0 if not imported */
  char      *graph_name;     /* owned, may be NULL */
  GPtrArray *nodes;          /* SsOnnxNode *, owned, in file order */
  GPtrArray *initializers;   /* SsOnnxTensor *, owned */
  GPtrArray *inputs;         /* SsOnnxValueInfo *, owned */
  GPtrArray *outputs;        /* SsOnnxValueInfo *, owned */
} SsOnnxModel;

/* ---- Parsing (ss-onnx-proto.c, ss-onnx-tensor.c) ---- */

typedef struct {
  guint    objects;     /* nodes, attributes, tensors and names parsed so far */
  gboolean has_graph;   /* ModelProto.graph was read: a second one is refused */
} SsOnnxParse;

/* Counts one more parsed object; fails past the cap (ss-onnx-proto.c). */
gboolean ss_onnx_parse_count  (SsOnnxParse *ps, const SsPbField *f, GError **error);
/* A TensorProto field of r into a new *out (set even on failure; free with
 * ss_onnx_tensor_free). */
gboolean ss_onnx_parse_tensor (SsOnnxParse *ps, const SsPbReader *r, const SsPbField *msg,
                               SsOnnxTensor **out, GError **error);
void     ss_onnx_tensor_free  (SsOnnxTensor *t);

/* Reads field f of r into data (an SsOnnxField's dest). */
typedef gboolean (*SsOnnxFieldFunc) (SsOnnxParse *ps, const SsPbReader *r, const SsPbField *f,
                                     gpointer data, GError **error);

/* What a message does with one of its fields; the comment gives the type of dest. A value that
 * occurs again replaces the earlier one (protobuf's rule for singular fields); a repeated
 * field's values are appended. */
typedef enum {
  SS_ONNX_FIELD_STRING,    /* char **: NUL-free UTF-8, counted as one parsed object */
  SS_ONNX_FIELD_STRINGS,   /* GPtrArray * (char *): the same, appended */
  SS_ONNX_FIELD_VARINT,    /* gint64 * */
  SS_ONNX_FIELD_FLOAT,     /* float * */
  SS_ONNX_FIELD_INT64S,    /* GArray ** (gint64), made on first use: packed or not, up to max */
  SS_ONNX_FIELD_FLOATS,    /* GArray ** (float), the same */
  SS_ONNX_FIELD_TENSOR,    /* SsOnnxTensor **: a TensorProto (ss_onnx_parse_tensor) */
  SS_ONNX_FIELD_TENSORS,   /* GPtrArray * (SsOnnxTensor *): the same, appended */
  SS_ONNX_FIELD_BYTES,     /* SsPbField *: the LEN field itself, its payload borrowed */
  SS_ONNX_FIELD_PRESENT,   /* const char **: set to what, whatever the field holds */
  SS_ONNX_FIELD_SKIP,      /* none: the field is not read, only its mark kept */
  SS_ONNX_FIELD_REFUSED,   /* none: fails with "byte N: " and what */
  SS_ONNX_FIELD_MESSAGE,   /* none: a sub-message read by the entry's own fields */
  SS_ONNX_FIELD_LEN,       /* parse's data: parse runs once the wire type is LEN */
  SS_ONNX_FIELD_OBJECT,    /* the same, and the sub-message counts as one parsed object */
  SS_ONNX_FIELD_CUSTOM,    /* parse's data: parse checks everything itself */
} SsOnnxFieldKind;

/* One entry of a message's table of fields, which ends with a { 0 } entry (0 is not a valid
 * field number). */
typedef struct _SsOnnxField SsOnnxField;
struct _SsOnnxField {
  guint32             number;   /* the field number in onnx.proto */
  SsOnnxFieldKind     kind;
  const char         *what;     /* the field in errors ("NodeProto.name"); see the kinds */
  gpointer            dest;     /* see the kinds */
  SsOnnxFieldFunc     parse;    /* LEN, OBJECT, CUSTOM */
  guint               max;      /* INT64S, FLOATS: values at most */
  int                 mark;     /* non-zero: stored in the caller's *mark once the field is read */
  const SsOnnxField  *fields;   /* MESSAGE: the sub-message's table */
};

/* Reads the message in field msg (wire type LEN) of r: each field whose number is in the table
 * fields as its entry says; the others are skipped. *mark (may be NULL) gets the mark of the
 * last field of this message read that has one. FALSE with error set on malformed input. */
gboolean ss_onnx_parse_message (SsOnnxParse *ps, const SsPbReader *r, const SsPbField *msg,
                                const SsOnnxField *fields, int *mark, GError **error);

/* Parses the size bytes at data, which must outlive the model (raw_data points into them).
 * Checks the wire format and every tensor's declared size against its data. Transfer full. */
SsOnnxModel *ss_onnx_model_parse (const guint8 *data, gsize size, GError **error);
void         ss_onnx_model_free  (SsOnnxModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsOnnxModel, ss_onnx_model_free)

/* A tensor's values as float32 (n_elements): a pointer into the file buffer when the raw bytes
 * happen to be aligned, else a copy returned in *owned too (g_free). External data is read from
 * folder (NULL refuses it). Errors name the tensor. */
const float *ss_onnx_tensor_floats (const SsOnnxTensor *t, const char *folder, float **owned,
                                    GError **error);
/* An INT64 tensor's values (n_elements), external data read from folder as above. Transfer
 * full (g_free). */
gint64      *ss_onnx_tensor_int64s (const SsOnnxTensor *t, const char *folder, GError **error);
/* "FLOAT", "INT64", "DOUBLE", …; static. */
const char  *ss_onnx_type_name     (int data_type);

/* ---- Conversion state (ss-onnx.c, ss-onnx-ops.c) ---- */

typedef enum {
  SS_ONNX_VALUE_IMAGE,       /* the graph's image input */
  SS_ONNX_VALUE_LAYER,       /* the output of an architecture node */
  SS_ONNX_VALUE_CONST,       /* an initializer or a Constant node's tensor */
  SS_ONNX_VALUE_SHAPE,       /* a Shape node's output: read only by a Gather of entry 0 */
  SS_ONNX_VALUE_INTS,        /* a shape computation's integers: the batch size, constants */
} SsOnnxValueKind;

typedef struct {
  SsOnnxValueKind      kind;
  int                  layer;   /* LAYER: node index; IMAGE: SS_NODE_INPUT */
  gboolean             flat;    /* rank 2 (N, F) rather than (N, C, H, W) */
  const SsOnnxTensor  *tensor;  /* CONST: borrowed from the model */
  /* SHAPE and INTS (ss-onnx-shape.c): */
  int                  rank;    /* 0 a scalar, 1 a vector */
  int                  len;     /* values in ints (1 for a scalar) */
  gint64               ints[SS_ONNX_MAX_DIMS];  /* (len) the values */
  guint                batch;   /* bit i set: ints[i] is the batch size N, not a number */
} SsOnnxValue;

/* One parameter tensor bound for the net, "features.0.weight" and its values. */
typedef struct {
  const char  *suffix;   /* "weight", "bias", "running_mean", "running_var"; static */
  char        *name;     /* the full name, set by ss_onnx_import_append; owned */
  int          ndim;
  gint64       shape[4];
  const float *data;     /* (shape), borrowed from the file buffer or from owned */
  float       *owned;    /* an owned copy, or NULL */
  gsize        external; /* bytes read from an external data file for it (0 if none) */
} SsOnnxParam;

typedef struct _SsOnnxImport SsOnnxImport;

/* The node's name for messages: its name, else its first output's, else its operator. */
const char *ss_onnx_node_label (const SsOnnxNode *node);
/* The name of the node's k-th input; "" when omitted. */
const char *ss_onnx_node_input (const SsOnnxNode *node, guint k);

/* Sets error to "node “label” (OpType): " + the message. */
void        ss_onnx_node_error (GError **error, int code, const SsOnnxNode *node,
                                const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The value read by the node's k-th input. Fails if it is omitted or not defined by an
 * initializer, the graph input or an earlier node (a dangling input or a cycle). */
const SsOnnxValue *ss_onnx_import_input (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                         GError **error);
/* The same, without counting it as a use of a layer's output (a Shape reads no values). */
const SsOnnxValue *ss_onnx_import_peek  (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                         GError **error);
/* The k-th input, which must be computed (a layer's output or the image): its node index
 * (SS_NODE_INPUT for the image) and whether it is flat (N, F). */
gboolean    ss_onnx_import_activation (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                       int *layer, gboolean *flat, GError **error);
/* The k-th input, which must be a constant tensor of data_type. When optional, an omitted
 * input gives *out = NULL. */
gboolean    ss_onnx_import_const (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                  int data_type, gboolean optional, const SsOnnxTensor **out,
                                  GError **error);
/* Binds output k of node to value (copied); nothing if the output is unnamed. Fails if the name
 * is defined twice. */
gboolean    ss_onnx_import_define (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                   const SsOnnxValue *value, GError **error);
/* Fails if an output past the first is read (MaxPool indices, Dropout mask, BN statistics). */
gboolean    ss_onnx_import_only_first_output (SsOnnxImport *im, const SsOnnxNode *node,
                                              GError **error);
/* Whether value name is the graph's output. */
gboolean    ss_onnx_import_is_output (SsOnnxImport *im, const char *name);
/* The only node reading value name (none if the graph output or several nodes read it); its
 * position in *index. */
const SsOnnxNode *ss_onnx_import_sole_reader (SsOnnxImport *im, const char *name,
                                              guint *index);
/* Marks node index as done (its work was folded into the current node, as the bias Add of a
 * MatMul) so that it is skipped; the caller defines its output. */
void        ss_onnx_import_fuse (SsOnnxImport *im, guint index);

/* Appends node for the current ONNX node, infers its shape and binds the ONNX node's first
 * output to it. The name comes from weight_name or bias_name (the ONNX names of its
 * parameters, "features.0.weight" → "features.0"; either may be NULL) or from the node's
 * module scope (docs/onnx.md). params (n_params, may be NULL) are its tensors; the import takes
 * them over, also on failure. Returns the node index, or -1 with error set. */
int         ss_onnx_import_append (SsOnnxImport *im, const SsOnnxNode *onnx, SsNode *node,
                                   const char *weight_name, const char *bias_name,
                                   SsOnnxParam *params, int n_params, GError **error);
/* A layer's inferred output shape (C, H, W); SS_NODE_INPUT gives the image's. */
void        ss_onnx_import_shape (SsOnnxImport *im, int layer, int *c, int *h, int *w);
/* Where external data files are, or NULL. */
const char *ss_onnx_import_folder (SsOnnxImport *im);

/* Layer names and residual blocks from module scopes (ss-onnx-names.c). */
typedef struct _SsOnnxNames SsOnnxNames;

/* The scopes of model's nodes; values (name → SsOnnxValue) tells which inputs are constants.
 * Transfer full. */
SsOnnxNames *ss_onnx_names_new    (const SsOnnxModel *model, GHashTable *values);
void         ss_onnx_names_free   (SsOnnxNames *names);
/* The name of the layer node `index` (onnx) makes, of kind op: from weight_name or bias_name
 * (may be NULL), else from the node's scope; made unique in arch with "_2", "_3"…. Transfer
 * full. */
char        *ss_onnx_names_choose (SsOnnxNames *names, guint index, const SsOnnxNode *onnx,
                                   SsOp op, const char *weight_name, const char *bias_name,
                                   const SsArch *arch);
/* The innermost residual block holding node `index`, or NULL. Transfer none. */
const char  *ss_onnx_names_block  (SsOnnxNames *names, guint index);

/* Attributes (ss-onnx-attr.c). The node's attributes must all be among allowed
 * (NULL-terminated), else it is refused: an unknown attribute may change the meaning. */
gboolean    ss_onnx_check_attrs (const SsOnnxNode *node, const char *const *allowed,
                                 GError **error);
/* The attribute called name, or NULL. Transfer none. */
const SsOnnxAttr *ss_onnx_attr  (const SsOnnxNode *node, const char *name);
/* Typed values; an absent attribute gives fallback, one of another type an error. */
gboolean    ss_onnx_attr_int    (const SsOnnxNode *node, const char *name, gint64 fallback,
                                 gint64 *out, GError **error);
gboolean    ss_onnx_attr_float  (const SsOnnxNode *node, const char *name, float fallback,
                                 float *out, GError **error);
/* *out: transfer none. */
gboolean    ss_onnx_attr_string (const SsOnnxNode *node, const char *name, const char *fallback,
                                 const char **out, GError **error);
/* An INTS attribute of exactly n values into out; *present FALSE when absent. */
gboolean    ss_onnx_attr_ints   (const SsOnnxNode *node, const char *name, int n, gint64 *out,
                                 gboolean *present, GError **error);

/* A Conv or pooling window reduced to Supersign's: square, one padding for every side. */
typedef struct {
  int kernel, stride, padding, dilation;
} SsOnnxWindow;

/* The node's window over an in_h×in_w input. kernel > 0 is the conv weight's side; 0 makes
 * kernel_shape required (a pool, which may also have ceil_mode but no dilation). */
gboolean    ss_onnx_window      (const SsOnnxNode *node, int in_h, int in_w, int kernel,
                                 gboolean pool, SsOnnxWindow *win, GError **error);

/* Shape computations (ss-onnx-shape.c): Shape, Gather, Unsqueeze and Concat, followed
 * symbolically as far as torch's x.view(x.size(0), -1) needs. Whether op is one of them: */
gboolean    ss_onnx_is_shape_op (const char *op_type);
/* Converts a node of a shape operator; FALSE with error set naming the node. */
gboolean    ss_onnx_convert_shape_op (SsOnnxImport *im, const SsOnnxNode *node, GError **error);
/* Input k as integers *out (kind INTS): a shape computation's, or a constant INT64 scalar or
 * vector of at most SS_ONNX_MAX_DIMS values. */
gboolean    ss_onnx_import_ints (SsOnnxImport *im, const SsOnnxNode *node, guint k,
                                 SsOnnxValue *out, GError **error);
/* "[N, -1]": the values of an INTS value for messages. Transfer full. */
char       *ss_onnx_ints_string (const SsOnnxValue *v);

/* Converts one node (ss-onnx-ops.c); FALSE with error set naming the node. */
gboolean    ss_onnx_convert_node (SsOnnxImport *im, const SsOnnxNode *node, guint index,
                                  GError **error);
/* Whether a node of op_type (with a constant input or not) becomes an architecture node; for
 * naming: Identity, Constant, Softmax, Pad, a bias Add and the shape operators do not. */
gboolean    ss_onnx_op_makes_layer (const char *op_type, gboolean has_const_input);

G_END_DECLS
