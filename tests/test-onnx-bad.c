/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Bad ONNX files (core/ss-onnx.h): each must give a GError saying what is wrong, never a crash
 * or a read outside the buffer (run under AddressSanitizer by ./quickstart.sh test). The
 * files are built here with a small protobuf writer (onnx-writer.c): a tiny valid model (conv,
 * ReLU, global pool, flatten, Gemm) with one thing changed at a time, plus raw byte sequences
 * for the wire format itself. Also every prefix of two valid models, and single-byte
 * corruptions of the tiny one.
 *
 * Legend: the tiny model reads x (N, 1, 4, 4), conv 2×1×3×3 pad 1, 3 classes. */

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "onnx-writer.h"
#include "ss-error.h"
#include "ss-onnx.h"
#include "ss-test-util.h"

/* ------------------------------------------------------------------------------------------ */
/* The tiny model and its variations                                                          */

typedef struct {
  gint64      opset;        /* 0: no opset_import at all */
  const char *act_op;       /* the ReLU node's operator */
  const char *conv_in;      /* the conv's input */
  const char *act_in;       /* the ReLU's input */
  float       w0;           /* the conv weight's first value */
  gboolean    second_input; /* a second graph input "z" */
  gboolean    second_output;
  const char *location;     /* conv weight as external data at location */
  gint64      ext_offset;
  gint64      ext_length;   /* -1: not stated */
  GByteArray *extra_tensor; /* another initializer (consumed) */
  GByteArray *extra_node;   /* a node after the conv (consumed) */
  GByteArray *conv_attr;    /* an extra conv attribute (consumed) */
  const char *fc_in;        /* the Gemm's input */
  gint64      pads[4];      /* the conv's pads */
} Tiny;

static const gint64 conv_dims[4] = { 2, 1, 3, 3 };

static void
tiny_init (Tiny *t)
{
  memset (t, 0, sizeof *t);
  t->opset = 13;
  t->act_op = "Relu";
  t->conv_in = "x";
  t->act_in = "c";
  t->w0 = 0.25f;
  t->ext_length = -1;
  t->fc_in = "f";
  for (int k = 0; k < 4; k++)
    t->pads[k] = 1;
}

static void
conv_weight (const Tiny *t,
             float      *w)
{
  for (int i = 0; i < 18; i++)
    w[i] = 0.1f * (float) (i % 7) - 0.3f;
  w[0] = t->w0;
}

static GBytes *
tiny_model (Tiny *t)
{
  static const gint64 in_dims[4] = { -1, 1, 4, 4 }, out_dims[2] = { -1, 3 };
  static const gint64 b_dims[1] = { 2 };
  static const gint64 fc_dims[2] = { 3, 2 }, fcb_dims[1] = { 3 };
  static const float bias[2] = { 0.1f, -0.2f }, fc_b[3] = { 0.f, 0.5f, -0.5f };
  static const float fc_w[6] = { 1.f, -1.f, 0.5f, 2.f, -0.25f, 0.75f };
  GByteArray *m = g_byte_array_new (), *g = g_byte_array_new (), *opset;
  g_autofree char *conv_in = g_strdup_printf ("%s,W,B", t->conv_in);
  g_autofree char *fc_in = g_strdup_printf ("%s,fc.weight,fc.bias", t->fc_in);
  float w[18];

  conv_weight (t, w);
  pbw_msg (g, 1, pbw_node ("Conv", "conv", conv_in, "c",
                           pbw_attr_ints ("pads", t->pads, 4), t->conv_attr, NULL));
  if (t->extra_node != NULL)
    pbw_msg (g, 1, t->extra_node);
  pbw_msg (g, 1, pbw_node (t->act_op, "act", t->act_in, "r", NULL));
  pbw_msg (g, 1, pbw_node ("GlobalAveragePool", "gap", "r", "p", NULL));
  pbw_msg (g, 1, pbw_node ("Flatten", "flat", "p", "f", NULL));
  pbw_msg (g, 1, pbw_node ("Gemm", "fc", fc_in, "y", pbw_attr_int ("transB", 1), NULL));
  pbw_str (g, 2, "tiny");
  if (t->location != NULL)
    {
      GByteArray *wt = pbw_tensor ("W", 1, conv_dims, 4, NULL, 0), *e;
      g_autofree char *off = g_strdup_printf ("%" G_GINT64_FORMAT, t->ext_offset);
      g_autofree char *len = g_strdup_printf ("%" G_GINT64_FORMAT, t->ext_length);
      e = g_byte_array_new ();
      pbw_str (e, 1, "location");
      pbw_str (e, 2, t->location);
      pbw_msg (wt, 13, e);
      e = g_byte_array_new ();
      pbw_str (e, 1, "offset");
      pbw_str (e, 2, off);
      pbw_msg (wt, 13, e);
      if (t->ext_length >= 0)
        {
          e = g_byte_array_new ();
          pbw_str (e, 1, "length");
          pbw_str (e, 2, len);
          pbw_msg (wt, 13, e);
        }
      pbw_int (wt, 14, 1);
      pbw_msg (g, 5, wt);
    }
  else
    pbw_msg (g, 5, pbw_tensor_f32 ("W", conv_dims, 4, w));
  pbw_msg (g, 5, pbw_tensor_f32 ("B", b_dims, 1, bias));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.weight", fc_dims, 2, fc_w));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.bias", fcb_dims, 1, fc_b));
  if (t->extra_tensor != NULL)
    pbw_msg (g, 5, t->extra_tensor);
  pbw_msg (g, 11, pbw_value_info ("x", in_dims, 4));
  if (t->second_input)
    pbw_msg (g, 11, pbw_value_info ("z", in_dims, 4));
  pbw_msg (g, 12, pbw_value_info ("y", out_dims, 2));
  if (t->second_output)
    pbw_msg (g, 12, pbw_value_info ("r", in_dims, 4));

  pbw_int (m, 1, 8);
  pbw_str (m, 2, "test-onnx-bad");
  pbw_msg (m, 7, g);
  if (t->opset != 0)
    {
      opset = g_byte_array_new ();
      pbw_str (opset, 1, "");
      pbw_int (opset, 2, t->opset);
      pbw_msg (m, 8, opset);
    }
  return g_byte_array_free_to_bytes (m);
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                     */

static SsNet *
load_bytes (GBytes      *bytes,
            const char  *folder,
            GError     **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return ss_onnx_load_from_data (data != NULL ? data : (const guint8 *) "", len, folder, NULL,
                                 error);
}

/* The bytes must fail with code and a message holding needle (and needle2, if not NULL). */
static void
expect_error (GBytes     *bytes,
              const char *folder,
              int         code,
              const char *needle,
              const char *needle2)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = load_bytes (bytes, folder, &error);

  g_assert_null (net);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  if (error->domain != SS_ERROR || error->code != code || strstr (error->message, needle) == NULL ||
      (needle2 != NULL && strstr (error->message, needle2) == NULL))
    g_error ("expected error %d with “%s”%s%s%s, got %d: %s", code, needle,
             needle2 ? " and “" : "", needle2 ? needle2 : "", needle2 ? "”" : "", error->code,
             error->message);
}

static void
expect_tiny_error (Tiny       *t,
                   int         code,
                   const char *needle,
                   const char *needle2)
{
  g_autoptr(GBytes) bytes = tiny_model (t);
  expect_error (bytes, NULL, code, needle, needle2);
}

/* The tiny model's logits for a fixed input (2 samples). Transfer full. */
static float *
tiny_logits (SsNet *net)
{
  float x[2 * 16];
  for (int i = 0; i < 32; i++)
    x[i] = (float) ((i * 7) % 11) / 11.f - 0.4f;
  return g_memdup2 (ss_net_predict (net, x, 2), 6 * sizeof (float));
}

static void
test_valid (void)
{
  Tiny t;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL;
  const SsArch *arch;

  g_test_summary ("The tiny model the bad ones are made from imports");
  tiny_init (&t);
  bytes = tiny_model (&t);
  net = load_bytes (bytes, NULL, &error);
  g_assert_no_error (error);
  arch = ss_net_get_arch (net);
  g_assert_cmpstr (ss_arch_get_name (arch), ==, "tiny");
  g_assert_cmpint (ss_arch_get_n_nodes (arch), ==, 5);
  g_assert_cmpint (ss_arch_get_n_classes (arch), ==, 3);
  g_assert_cmpstr (ss_arch_get_node (arch, 0)->name, ==, "conv");
  g_assert_cmpstr (ss_arch_get_node (arch, 4)->name, ==, "fc");
  g_assert_cmpint (ss_arch_get_node (arch, 0)->padding, ==, 1);
}

/* Every strict prefix of a valid model is refused with a message. */
static void
check_prefixes (const guint8 *data,
                gsize         len)
{
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SsNet) net = NULL;
      /* A copy of exactly n bytes, so that AddressSanitizer sees any read past the end. */
      g_autofree guint8 *prefix = g_memdup2 (data, MAX (n, 1));
      net = ss_onnx_load_from_data (prefix, n, NULL, NULL, &error);
      if (net != NULL || error == NULL || error->message[0] == '\0')
        g_error ("the first %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes %s", n, len,
                 net != NULL ? "imported" : "failed without a message");
    }
}

static void
test_truncated (void)
{
  Tiny t;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *path = ss_test_data_path ("onnx/small-head.onnx");
  g_autofree char *contents = NULL;
  gsize len;

  g_test_summary ("Every truncation of a valid model fails cleanly");
  tiny_init (&t);
  bytes = tiny_model (&t);
  check_prefixes (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  check_prefixes ((const guint8 *) contents, len);
}

static void
test_corrupted (void)
{
  static const guint8 values[] = { 0x00, 0x80, 0xff };
  Tiny t;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize len;
  guint failed = 0, total = 0;

  g_test_summary ("Any one byte of a valid model changed: a net or an error, never a crash");
  tiny_init (&t);
  bytes = tiny_model (&t);
  data = g_bytes_get_data (bytes, &len);
  for (gsize i = 0; i < len; i++)
    for (gsize v = 0; v < G_N_ELEMENTS (values) + 1; v++)
      {
        g_autofree guint8 *copy = g_memdup2 (data, len);
        g_autoptr(GError) error = NULL;
        g_autoptr(SsNet) net = NULL;
        copy[i] = v < G_N_ELEMENTS (values) ? values[v] : copy[i] ^ 0x04;
        net = ss_onnx_load_from_data (copy, len, NULL, NULL, &error);
        g_assert_true ((net == NULL) == (error != NULL));
        if (net != NULL)
          {
            /* The input shape may have changed too: the batch is made for the net. */
            int c, h, w;
            g_autofree float *x = NULL;
            ss_arch_get_input (ss_net_get_arch (net), &c, &h, &w);
            if ((gint64) c * h * w <= 1 << 16)
              {
                x = g_new0 (float, (gsize) c * h * w);
                ss_net_set_n_threads (net, 1);
                g_assert_nonnull (ss_net_predict (net, x, 1));
              }
          }
        failed += net == NULL;
        total++;
      }
  g_test_message ("%u of %u corruptions refused", failed, total);
  g_assert_cmpuint (failed, >, total / 2);
}

static void
test_wire (void)
{
  static const struct {
    const char *bytes;
    gsize       len;
    const char *needle;
  } cases[] = {
    { "", 0, "empty" },
    { "\x38\x01", 2, "ModelProto.graph is stored as a varint field" },
    { "\x3a\xff\xff\xff\xff\x0f", 6, "declares 4294967295 bytes but only 0 are left" },
    { "\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "declares" },
    { "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, "longer than 64 bits" },
    { "\x08\x80", 2, "ends inside a number" },
    { "\x3b", 1, "wire type 3 (group)" },
    { "\x3f", 1, "wire type 7" },
    { "\x00\x01", 2, "field number 0" },
    { "\x0d\x01", 2, "ends inside field 1" },
    { "\x08\x08", 2, "no graph" },
    { "\x3a\x02\x08\x01", 4, "GraphProto.node is stored as a varint field" },
    { "\x3a\x02\x58\x01", 4, "GraphProto.input is stored as a varint field" },
    { "\x3a\x02\x60\x01", 4, "GraphProto.output is stored as a varint field" },
    { "\x3a\x03\x12\x01\xff", 5, "not valid UTF-8" },
    { "\x3a\x03\x12\x01\x00", 5, "not valid UTF-8" },
    { "\x3a\x04\x0a\x02\x22\x00", 6, "has no operator type" },
    { "\x3a\x02\x7a\x00\x42\x02\x10\x00", 8, "sparse initializers" },
    { "\x3a\x00\x42\x02\x10\x00\x42\x02\x10\x00", 10, "imports the default operator set twice" },
    { "\x3a\x00", 2, "does not name its ONNX operator set" },
    { "not an ONNX file\n", 17, "not a readable ONNX model" },
  };

  g_test_summary ("Malformed protobuf: a clear GError naming the problem and its byte");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (cases[i].bytes, cases[i].len);
      expect_error (bytes, NULL, SS_ERROR_FORMAT, cases[i].needle, NULL);
    }
}

static void
test_tensors (void)
{
  static const gint64 huge[2] = { G_GINT64_CONSTANT (1) << 40, G_GINT64_CONSTANT (1) << 40 };
  static const gint64 negative[2] = { 2, -3 }, four[1] = { 4 }, nine[9] = { 1 };
  static const float values[4] = { 1.f, 2.f, 3.f, 4.f };
  Tiny t;
  GByteArray *e;

  g_test_summary ("Tensors whose declared size disagrees with their data are refused");
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("huge", 1, huge, 2, NULL, 0);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "tensor “huge” declares more than 2^40 values", NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("neg", 1, negative, 2, NULL, 0);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "tensor “neg” has a negative dimension", NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("short", 1, four, 1, values, 12);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "declares 4 values of FLOAT (16 bytes)",
                     "raw_data holds 12 bytes");
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("long", 7, four, 1, values, 16);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "tensor “long” declares 4 values of INT64 (32 bytes)",
                     NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("empty", 1, four, 1, NULL, 0);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "declares 4 values but holds none", NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("deep", 1, nine, 9, NULL, 0);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "TensorProto.dims holds more than 8 values", NULL);
  tiny_init (&t);
  e = pbw_tensor ("twice", 1, four, 1, values, 16);
  for (int i = 0; i < 4; i++)
    pbw_float (e, 4, values[i]);
  t.extra_tensor = e;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "stores its values in more than one field", NULL);
  tiny_init (&t);
  e = pbw_tensor ("three", 1, four, 1, NULL, 0);
  for (int i = 0; i < 3; i++)
    pbw_float (e, 4, values[i]);
  t.extra_tensor = e;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "holds 3 float_data values", NULL);
  tiny_init (&t);
  e = pbw_tensor ("seg", 1, four, 1, values, 16);
  pbw_bytes (e, 3, "", 0);
  t.extra_tensor = e;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "segments", NULL);
  tiny_init (&t);
  e = pbw_tensor ("where", 1, four, 1, values, 16);
  pbw_int (e, 14, 2);
  t.extra_tensor = e;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "data_location 2", NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("", 1, four, 1, values, 16);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "an initializer has no name", NULL);
  tiny_init (&t);
  t.extra_tensor = pbw_tensor ("W", 1, four, 1, values, 16);
  expect_tiny_error (&t, SS_ERROR_ARCH, "“W” is defined twice", NULL);
}

static void
test_values (void)
{
  Tiny t;

  g_test_summary ("NaN or infinite weights are refused, naming the tensor");
  tiny_init (&t);
  t.w0 = NAN;
  expect_tiny_error (&t, SS_ERROR_VALUE, "“conv.weight” holds NaN or infinite values", NULL);
  tiny_init (&t);
  t.w0 = -INFINITY;
  expect_tiny_error (&t, SS_ERROR_VALUE, "“conv.weight” holds NaN or infinite values", NULL);
}

static void
test_graph (void)
{
  static const gint64 uneven[4] = { 1, 1, 0, 0 }, rect[2] = { 3, 1 };
  Tiny t;

  g_test_summary ("Unsupported operators and malformed graphs: errors naming the node");
  tiny_init (&t);
  t.act_op = "Sigmoid";
  expect_tiny_error (&t, SS_ERROR_ARCH, "unsupported ONNX operator “Sigmoid” in node “act”",
                     NULL);
  tiny_init (&t);
  t.conv_in = "r";
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “conv” (Conv): reads “r”", "a cycle");
  tiny_init (&t);
  t.conv_in = "nowhere";
  expect_tiny_error (&t, SS_ERROR_ARCH, "reads “nowhere”, which no initializer", "dangling");
  tiny_init (&t);
  t.act_in = "c,ghost";   /* an input Relu does not use must still be defined */
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “act” (Relu): reads “ghost”", NULL);
  tiny_init (&t);
  t.second_input = TRUE;
  expect_tiny_error (&t, SS_ERROR_ARCH, "the graph has 2 inputs “x”, “z”", NULL);
  tiny_init (&t);
  t.second_output = TRUE;
  expect_tiny_error (&t, SS_ERROR_ARCH, "the graph has 2 outputs", NULL);
  tiny_init (&t);
  t.extra_node = pbw_node ("Relu", "spare", "c", "unused", NULL);
  expect_tiny_error (&t, SS_ERROR_ARCH, "the layer “spare” computes a value that nothing uses",
                     NULL);
  tiny_init (&t);
  t.extra_node = pbw_node ("Relu", "again", "c", "c", NULL);
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “again” (Relu): the value “c” is defined twice",
                     NULL);
  tiny_init (&t);
  t.act_op = "Softmax";
  expect_tiny_error (&t, SS_ERROR_ARCH, "Softmax is read only as the last operation", NULL);
  tiny_init (&t);
  t.act_op = "Add";
  t.act_in = "c,B";
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “act” (Add): adds the constant “B”", NULL);
  tiny_init (&t);
  t.fc_in = "p";
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “fc” (Gemm): multiplies an N×C×H×W tensor", NULL);
  tiny_init (&t);
  memcpy (t.pads, uneven, sizeof uneven);
  expect_tiny_error (&t, SS_ERROR_ARCH, "node “conv” (Conv): pads [1, 1, 0, 0]", NULL);
  tiny_init (&t);
  t.conv_attr = pbw_attr_ints ("kernel_shape", rect, 2);
  expect_tiny_error (&t, SS_ERROR_ARCH, "kernel_shape is 3×1", NULL);
  tiny_init (&t);
  t.conv_attr = pbw_attr_int ("group", 2);
  expect_tiny_error (&t, SS_ERROR_SHAPE, "in 2 groups does not fit its 1 input channels", NULL);
  tiny_init (&t);
  t.conv_attr = pbw_attr_int ("fancy", 1);
  expect_tiny_error (&t, SS_ERROR_ARCH, "has the attribute “fancy”", NULL);
  tiny_init (&t);
  t.conv_attr = pbw_attr_ints ("pads", t.pads, 4);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "has two attributes “pads”", NULL);
  tiny_init (&t);
  t.conv_attr = pbw_attr_float ("group", 1.f);
  expect_tiny_error (&t, SS_ERROR_FORMAT, "the attribute “group” must be an integer", NULL);
  tiny_init (&t);
  t.opset = 7;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "ONNX operator set 7; Supersign reads opsets 11 to 17",
                     NULL);
  tiny_init (&t);
  t.opset = 18;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "ONNX operator set 18", NULL);
  tiny_init (&t);
  t.opset = 0;
  expect_tiny_error (&t, SS_ERROR_FORMAT, "does not name its ONNX operator set", NULL);
}

/* The tiny model with its conv weight in folder/name (written there at offset, unless
 * write_data is FALSE), stored as external data at location. */
static GBytes *
external_model (const char *folder,
                const char *location,
                gint64      offset,
                gint64      length,
                gboolean    write_data,
                const char *data_name)
{
  Tiny t;
  float w[18];
  g_autofree char *path = NULL, *bytes = NULL;

  tiny_init (&t);
  t.location = location;
  t.ext_offset = offset;
  t.ext_length = length;
  conv_weight (&t, w);
  if (write_data)
    {
      bytes = g_malloc0 ((gsize) offset + sizeof w);
      memcpy (bytes + offset, w, sizeof w);
      path = g_build_filename (folder, data_name, NULL);
      g_assert_true (g_file_set_contents (path, bytes, offset + (gssize) sizeof w, NULL));
    }
  return tiny_model (&t);
}

static void
test_external (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("onnx-bad-XXXXXX");
  g_autofree char *inside = g_build_filename (dir, "model", NULL);
  g_autofree char *outside = g_build_filename (dir, "secret.bin", NULL);
  g_autofree char *link = g_build_filename (inside, "link.bin", NULL);
  g_autofree char *model_path = g_build_filename (inside, "tiny.onnx", NULL);
  g_autoptr(GBytes) inline_bytes = NULL, bytes = NULL;
  g_autoptr(SsNet) inline_net = NULL, net = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *want = NULL, *got = NULL;
  Tiny t;

  g_test_summary ("External data: read from a plain file next to the model, refused anywhere "
                  "else, checked against the file's size");
  g_assert_cmpint (g_mkdir (inside, 0700), ==, 0);
  tiny_init (&t);
  inline_bytes = tiny_model (&t);
  inline_net = load_bytes (inline_bytes, NULL, &error);
  g_assert_no_error (error);
  want = tiny_logits (inline_net);

  /* Good: offset and length stated or not, from bytes with the folder or from the file. */
  bytes = external_model (inside, "w.bin", 40, 72, TRUE, "w.bin");
  net = load_bytes (bytes, inside, &error);
  g_assert_no_error (error);
  got = tiny_logits (net);
  g_assert_cmpmem (got, 6 * sizeof (float), want, 6 * sizeof (float));
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&net, ss_net_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (inside, "w.bin", 0, -1, TRUE, "w.bin");
  g_assert_true (g_file_set_contents (model_path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), NULL));
  net = ss_onnx_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_arch_get_name (ss_net_get_arch (net)), ==, "tiny");
  got = tiny_logits (net);
  g_assert_cmpmem (got, 6 * sizeof (float), want, 6 * sizeof (float));

  /* Bad. */
  expect_error (bytes, NULL, SS_ERROR_FORMAT, "keeps its values in the external file “w.bin”",
                "opened from its file");
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (dir, "../secret.bin", 0, -1, TRUE, "secret.bin");
  expect_error (bytes, inside, SS_ERROR_FORMAT, "“../secret.bin”, outside the model's folder",
                NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (dir, outside, 0, -1, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_FORMAT, "outside the model's folder", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (dir, "model/w.bin", 0, -1, FALSE, NULL);
  expect_error (bytes, dir, SS_ERROR_FORMAT, "outside the model's folder", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (dir, "..", 0, -1, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_FORMAT, "outside the model's folder", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  bytes = external_model (inside, "link.bin", 0, -1, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_IO, "it is a symbolic link", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (inside, "w.bin", 40, -1, FALSE, NULL);   /* w.bin holds 72 bytes */
  expect_error (bytes, inside, SS_ERROR_FORMAT, "“w.bin” is too short",
                "needs bytes 40 to 112");
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (inside, "w.bin", G_MAXINT64, -1, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_FORMAT, "is too short", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (inside, "w.bin", 0, 10, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_FORMAT, "its external data is 10 bytes long", NULL);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = external_model (inside, "missing.bin", 0, -1, FALSE, NULL);
  expect_error (bytes, inside, SS_ERROR_IO, "cannot open its external data file “missing.bin”",
                NULL);
  ss_test_rm_rf (dir);
}

/* One 512×512 weight (1 MiB) read by n MatMul layers in a row. */
static GBytes *
shared_weight_model (int n)
{
  static const gint64 in_dims[4] = { -1, 1, 16, 32 }, out_dims[2] = { -1, 512 };
  static const gint64 w_dims[2] = { 512, 512 };
  GByteArray *m = g_byte_array_new (), *g = g_byte_array_new (), *opset = g_byte_array_new ();
  g_autofree float *w = g_new0 (float, 512 * 512);

  pbw_msg (g, 1, pbw_node ("Flatten", "flat", "x", "h0", NULL));
  for (int i = 0; i < n; i++)
    {
      g_autofree char *in = g_strdup_printf ("h%d,W", i);
      g_autofree char *out = i + 1 < n ? g_strdup_printf ("h%d", i + 1) : g_strdup ("y");
      g_autofree char *name = g_strdup_printf ("mm%d", i);
      pbw_msg (g, 1, pbw_node ("MatMul", name, in, out, NULL));
    }
  pbw_msg (g, 5, pbw_tensor_f32 ("W", w_dims, 2, w));
  pbw_msg (g, 11, pbw_value_info ("x", in_dims, 4));
  pbw_msg (g, 12, pbw_value_info ("y", out_dims, 2));
  pbw_msg (m, 7, g);
  pbw_int (opset, 2, 13);
  pbw_msg (m, 8, opset);
  return g_byte_array_free_to_bytes (m);
}

static void
test_shared_weights (void)
{
  g_autoptr(GBytes) three = shared_weight_model (3), four = shared_weight_model (4);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL;

  g_test_summary ("Weights shared by many nodes cannot make more than about twice the file's "
                  "size in parameters");
  net = load_bytes (three, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_net_get_n_params (net), ==, 3);
  expect_error (four, NULL, SS_ERROR_ARCH, "node “mm3” (MatMul): the weights read so far add up",
                NULL);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/onnx-bad/valid", test_valid);
  g_test_add_func ("/onnx-bad/truncated", test_truncated);
  g_test_add_func ("/onnx-bad/corrupted", test_corrupted);
  g_test_add_func ("/onnx-bad/wire", test_wire);
  g_test_add_func ("/onnx-bad/tensors", test_tensors);
  g_test_add_func ("/onnx-bad/values", test_values);
  g_test_add_func ("/onnx-bad/graph", test_graph);
  g_test_add_func ("/onnx-bad/external", test_external);
  g_test_add_func ("/onnx-bad/shared-weights", test_shared_weights);
  return g_test_run ();
}
