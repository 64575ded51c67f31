/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Flattens by the batch size read at run time (core/ss-onnx-shape.c). torch.onnx exports
 * x.view(x.size(0), -1) with a dynamic batch as Shape → Gather(0) → Unsqueeze → Concat(with
 * [-1]) → Reshape. Here a small model is written in its variants (opsets 11 and 13, the
 * image's shape, an index [0] or -4, F instead of -1, constants as Constant nodes and as an
 * initializer) with onnx-writer.c: each must import as the same model with a Flatten node,
 * bit for bit. Every other shape computation must be refused with a GError naming the node,
 * and no single-byte change may crash the importer. torch's own exports are in test-onnx.c.
 *
 * Legend: the model reads x (N, 1, 4, 4): conv 2×1×3×3 pad 1, ReLU, global pool to (2, 1, 1),
 * the flatten (F = 2), Gemm to 3 classes. */

#include <string.h>

#include "onnx-writer.h"
#include "ss-error.h"
#include "ss-onnx.h"
#include "ss-test-util.h"

typedef struct {
  gboolean    plain;       /* a Flatten node instead of the shape computation */
  gint64      opset;       /* < 13: Unsqueeze's axes an attribute, else a Constant input */
  const char *shape_of;    /* the Shape's input */
  gint64      index;       /* the Gather's index */
  gboolean    index_vec;   /* the index as [index]: the Gather gives a vector, no Unsqueeze */
  gint64      axes;        /* the Unsqueeze's axes */
  gint64      tail;        /* the Concat's constant, an initializer */
  const char *cat_in;      /* the Concat's inputs (NULL: the batch size, then the constant) */
  const char *reshape_in;  /* the Reshape's shape */
  GByteArray *shape_attr;  /* an attribute of the Shape (consumed) */
  GByteArray *early_node;  /* a node before the Shape (consumed) */
  GByteArray *extra_node;  /* a node before the Concat (consumed) */
} View;

static void
view_init (View *v)
{
  memset (v, 0, sizeof *v);
  v->opset = 13;
  v->shape_of = "p";
  v->tail = -1;
  v->reshape_in = "cat";
}

/* An AttributeProto holding the tensor t (consumed). Transfer full. */
static GByteArray *
attr_tensor (const char *name,
             GByteArray *t)
{
  GByteArray *a = g_byte_array_new ();
  pbw_str (a, 1, name);
  pbw_msg (a, 5, t);
  pbw_int (a, 20, 4);
  return a;
}

/* An INT64 tensor holding the vector [value], or the scalar value when !vector. Transfer
 * full. */
static GByteArray *
int64_tensor (const char *name,
              gint64      value,
              gboolean    vector)
{
  gint64 dims[1] = { 1 }, le = GINT64_TO_LE (value);
  return pbw_tensor (name, 7, dims, vector ? 1 : 0, &le, sizeof le);
}

/* A Constant node making output from the INT64 tensor of int64_tensor. Transfer full. */
static GByteArray *
constant_node (const char *output,
               gint64      value,
               gboolean    vector)
{
  return pbw_node ("Constant", output, "", output,
                   attr_tensor ("value", int64_tensor ("", value, vector)), NULL);
}

static GBytes *
view_model (View *v)
{
  static const gint64 in_dims[4] = { -1, 1, 4, 4 }, out_dims[2] = { -1, 3 };
  static const gint64 pads[4] = { 1, 1, 1, 1 }, w_dims[4] = { 2, 1, 3, 3 };
  static const gint64 b_dims[1] = { 2 }, fc_dims[2] = { 3, 2 }, fcb_dims[1] = { 3 };
  static const float bias[2] = { 0.1f, -0.2f }, fc_b[3] = { 0.f, 0.5f, -0.5f };
  static const float fc_w[6] = { 1.f, -1.f, 0.5f, 2.f, -0.25f, 0.75f };
  GByteArray *m = g_byte_array_new (), *g = g_byte_array_new (), *opset = g_byte_array_new ();
  g_autofree char *cat_in = g_strdup_printf ("%s,tail", v->index_vec ? "g" : "u");
  g_autofree char *reshape_in = g_strdup_printf ("p,%s", v->reshape_in);
  float w[18];

  for (int i = 0; i < 18; i++)
    w[i] = 0.1f * (float) (i % 7) - 0.3f;
  pbw_msg (g, 1, pbw_node ("Conv", "conv", "x,W,B", "c", pbw_attr_ints ("pads", pads, 4),
                           NULL));
  pbw_msg (g, 1, pbw_node ("Relu", "act", "c", "r", NULL));
  pbw_msg (g, 1, pbw_node ("GlobalAveragePool", "gap", "r", "p", NULL));
  if (v->early_node != NULL)
    pbw_msg (g, 1, v->early_node);
  if (v->plain)
    pbw_msg (g, 1, pbw_node ("Flatten", "reshape", "p", "f", NULL));
  else
    {
      pbw_msg (g, 1, pbw_node ("Shape", "shape", v->shape_of, "s", v->shape_attr, NULL));
      pbw_msg (g, 1, constant_node ("i", v->index, v->index_vec));
      pbw_msg (g, 1, pbw_node ("Gather", "gather", "s,i", "g", pbw_attr_int ("axis", 0), NULL));
      if (!v->index_vec && v->opset < 13)
        pbw_msg (g, 1, pbw_node ("Unsqueeze", "unsqueeze", "g", "u",
                                 pbw_attr_ints ("axes", &v->axes, 1), NULL));
      else if (!v->index_vec)
        {
          pbw_msg (g, 1, constant_node ("a", v->axes, TRUE));
          pbw_msg (g, 1, pbw_node ("Unsqueeze", "unsqueeze", "g,a", "u", NULL));
        }
      if (v->extra_node != NULL)
        pbw_msg (g, 1, v->extra_node);
      pbw_msg (g, 1, pbw_node ("Concat", "concat", v->cat_in != NULL ? v->cat_in : cat_in,
                               "cat", pbw_attr_int ("axis", 0), NULL));
      pbw_msg (g, 1, pbw_node ("Reshape", "reshape", reshape_in, "f", NULL));
    }
  pbw_msg (g, 1, pbw_node ("Gemm", "fc", "f,fc.weight,fc.bias", "y", pbw_attr_int ("transB", 1),
                           NULL));
  pbw_str (g, 2, "view");
  pbw_msg (g, 5, pbw_tensor_f32 ("W", w_dims, 4, w));
  pbw_msg (g, 5, pbw_tensor_f32 ("B", b_dims, 1, bias));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.weight", fc_dims, 2, fc_w));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.bias", fcb_dims, 1, fc_b));
  pbw_msg (g, 5, int64_tensor ("tail", v->tail, TRUE));
  pbw_msg (g, 11, pbw_value_info ("x", in_dims, 4));
  pbw_msg (g, 12, pbw_value_info ("y", out_dims, 2));
  pbw_int (m, 1, 8);
  pbw_msg (m, 7, g);
  pbw_str (opset, 1, "");
  pbw_int (opset, 2, v->opset);
  pbw_msg (m, 8, opset);
  return g_byte_array_free_to_bytes (m);
}

static SsNet *
load_bytes (GBytes  *bytes,
            GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return ss_onnx_load_from_data (data, len, NULL, NULL, error);
}

/* The logits (2, 3) for a fixed batch of 2. Transfer full. */
static float *
view_logits (SsNet *net)
{
  float x[2 * 16];
  for (int i = 0; i < 32; i++)
    x[i] = (float) ((i * 7) % 11) / 11.f - 0.4f;
  ss_net_set_n_threads (net, 1);
  return g_memdup2 (ss_net_predict (net, x, 2), 6 * sizeof (float));
}

static void
test_accepted (void)
{
  View v;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(SsNet) plain_net = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *want = NULL;

  g_test_summary ("x.view(x.size(0), -1) as a shape computation imports as a Flatten: opsets "
                  "11 and 13, the image's shape, index [0] or -4, axes -1, F given");
  view_init (&v);
  v.plain = TRUE;
  plain = view_model (&v);
  plain_net = load_bytes (plain, &error);
  g_assert_no_error (error);
  want = view_logits (plain_net);
  for (int c = 0; c < 6; c++)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(SsNet) net = NULL;
      g_autofree float *got = NULL;
      g_autofree char *json = NULL, *plain_json = NULL;

      view_init (&v);
      switch (c)
        {
        case 1: v.opset = 11; break;
        case 2: v.shape_of = "x"; break;
        case 3: v.index_vec = TRUE; break;
        case 4: v.index = -4; v.axes = -1; break;
        case 5: v.tail = 2; break;
        default: break;
        }
      bytes = view_model (&v);
      net = load_bytes (bytes, &error);
      g_assert_no_error (error);
      /* The same architecture (names included: the shape nodes make no layers), the same
       * logits bit for bit. */
      json = ss_arch_to_json (ss_net_get_arch (net));
      plain_json = ss_arch_to_json (ss_net_get_arch (plain_net));
      g_assert_cmpstr (json, ==, plain_json);
      g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (net), 3)->op, ==, SS_OP_FLATTEN);
      got = view_logits (net);
      g_assert_cmpmem (got, 6 * sizeof (float), want, 6 * sizeof (float));
    }
}

static void
expect_view_error (View       *v,
                   const char *needle,
                   const char *needle2)
{
  g_autoptr(GBytes) bytes = view_model (v);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = load_bytes (bytes, &error);

  g_assert_null (net);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  if (!g_error_matches (error, SS_ERROR, SS_ERROR_ARCH) || !strstr (error->message, needle) ||
      (needle2 != NULL && !strstr (error->message, needle2)))
    g_error ("expected an SS_ERROR_ARCH with “%s”%s%s, got %d: %s", needle,
             needle2 ? " and " : "", needle2 ? needle2 : "", error->code, error->message);
}

static void
test_refused (void)
{
  /* Fields left 0 keep view_init's value; extra is an "Op:inputs" node “odd” before the
   * Concat. */
  static const struct {
    gint64      index, tail, axes;
    const char *cat_in, *reshape_in, *shape_of, *extra, *needle, *needle2;
  } cases[] = {
    { .index = 1, .needle = "node “gather” (Gather): takes entry 1 of the shape",
      .needle2 = "only entry 0, the batch size" },
    { .index = -3, .needle = "node “gather” (Gather): takes entry -3" },
    { .tail = 5, .needle = "node “reshape” (Reshape): reshapes a 2×1×1 tensor to [N, 5]",
      .needle2 = "a flatten to [N, 2] or [N, -1]" },
    { .tail = -2, .needle = "reshapes a 2×1×1 tensor to [N, -2]" },
    { .cat_in = "tail,u", .needle = "node “reshape” (Reshape): reshapes a 2×1×1 tensor to "
                                    "[-1, N]" },
    { .cat_in = "u,u", .needle = "reshapes a 2×1×1 tensor to [N, N]" },
    { .cat_in = "u,u,tail", .needle = "node “reshape” (Reshape): reshapes to something other "
                                      "than N×F" },
    { .reshape_in = "g", .needle = "node “reshape” (Reshape): reshapes to something other "
                                   "than N×F" },
    /* The Shape read by something other than a Gather; a shape read as a tensor. */
    { .reshape_in = "s", .needle = "node “reshape” (Reshape): input 2 (“s”) is the whole shape "
                                   "of a tensor", .needle2 = "through a Gather of entry 0" },
    { .cat_in = "s,tail", .needle = "node “concat” (Concat): input 1 (“s”) is the whole shape" },
    { .extra = "Relu:s", .needle = "node “odd” (Relu): input 1 (“s”) is computed from a "
                                   "tensor's shape", .needle2 = "the batch size of a flatten" },
    { .extra = "Add:u,u", .needle = "node “odd” (Add): input 1 (“u”) is computed from a "
                                    "tensor's shape" },
    { .extra = "Gemm:u,fc.weight", .needle = "node “odd” (Gemm): input 1 (“u”) is computed" },
    { .extra = "Gather:p,i", .needle = "node “odd” (Gather): gathers from “p”, which is not a "
                                       "Shape's output" },
    { .extra = "Gather:s,s", .needle = "node “odd” (Gather): input 2 (“s”) is the whole shape" },
    { .extra = "Unsqueeze:p,a", .needle = "node “odd” (Unsqueeze): input 1 (“p”) is a tensor "
                                          "computed from the image" },
    /* Other computations on shapes. */
    { .extra = "Slice:s,i,i", .needle = "unsupported ONNX operator “Slice” in node “odd”" },
    { .extra = "Mul:g,g", .needle = "unsupported ONNX operator “Mul” in node “odd”" },
    { .cat_in = "p,p", .needle = "node “concat” (Concat): input 1 (“p”) is a tensor computed "
                                 "from the image", .needle2 = "only in the shape computation" },
    { .axes = 1, .needle = "node “unsqueeze” (Unsqueeze): unsqueezes a scalar at axes [1]" },
    { .shape_of = "tail", .needle = "node “shape” (Shape): takes the shape of “tail”, which is "
                                    "not computed from the image" },
  };
  View v;

  g_test_summary ("Other shape computations are refused with a message naming the node");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      view_init (&v);
      v.index = cases[i].index;
      v.axes = cases[i].axes;
      if (cases[i].tail != 0)
        v.tail = cases[i].tail;
      v.cat_in = cases[i].cat_in;
      if (cases[i].reshape_in != NULL)
        v.reshape_in = cases[i].reshape_in;
      if (cases[i].shape_of != NULL)
        v.shape_of = cases[i].shape_of;
      if (cases[i].extra != NULL)
        {
          g_auto(GStrv) op_in = g_strsplit (cases[i].extra, ":", 2);
          v.extra_node = pbw_node (op_in[0], "odd", op_in[1], "o", NULL);
        }
      expect_view_error (&v, cases[i].needle, cases[i].needle2);
    }
  view_init (&v);
  v.opset = 11;
  v.axes = 2;
  expect_view_error (&v, "unsqueezes a scalar at axes [2]", NULL);
  view_init (&v);
  v.shape_attr = pbw_attr_int ("start", 1);
  expect_view_error (&v, "node “shape” (Shape): takes part of a shape", NULL);
  /* A layer whose only reader is a Shape is a layer nothing uses. */
  view_init (&v);
  v.early_node = pbw_node ("Relu", "spare", "c", "c2", NULL);
  v.shape_of = "c2";
  expect_view_error (&v, "the layer “spare” computes a value that nothing uses", NULL);
}

static void
test_corrupted (void)
{
  static const guint8 values[] = { 0x00, 0x01, 0x02, 0x80, 0xff };
  View v;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize len;
  guint failed = 0, total = 0;

  g_test_summary ("Any one byte of the shape computation's model changed: a net or an error, "
                  "never a crash");
  view_init (&v);
  bytes = view_model (&v);
  data = g_bytes_get_data (bytes, &len);
  for (gsize i = 0; i < len; i++)
    for (gsize k = 0; k < G_N_ELEMENTS (values); k++)
      {
        /* An exact-size copy, so that AddressSanitizer sees any read past the end. */
        g_autofree guint8 *copy = g_memdup2 (data, len);
        g_autoptr(GError) error = NULL;
        g_autoptr(SsNet) net = NULL;
        int c, h, w;

        copy[i] = values[k];
        net = ss_onnx_load_from_data (copy, len, NULL, NULL, &error);
        g_assert_true ((net == NULL) == (error != NULL));
        failed += net == NULL;
        total++;
        if (net == NULL)
          continue;
        ss_arch_get_input (ss_net_get_arch (net), &c, &h, &w);
        if ((gint64) c * h * w <= 1 << 16)
          {
            g_autofree float *x = g_new0 (float, (gsize) c * h * w);
            ss_net_set_n_threads (net, 1);
            g_assert_nonnull (ss_net_predict (net, x, 1));
          }
      }
  g_test_message ("%u of %u corruptions refused", failed, total);
  g_assert_cmpuint (failed, >, total / 2);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/onnx-shape/accepted", test_accepted);
  g_test_add_func ("/onnx-shape/refused", test_refused);
  g_test_add_func ("/onnx-shape/corrupted", test_corrupted);
  return g_test_run ();
}
