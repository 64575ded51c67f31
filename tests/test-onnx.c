/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* ONNX import (core/ss-onnx.h) of the small models of tests/reference/gen-onnx-small.py: each
 * imported network's logits against PyTorch's (float64, LOGIT_RTOL relative), the layer names
 * and residual blocks, Grad-CAM at PyTorch module paths, external data, the round trip through
 * a model file (bit for bit), and the CLI's import and info; and the flattens by a run-time
 * batch size of tests/reference/gen-onnx-viewflatten.py. Bad files are in
 * test-onnx-bad.c, the torchvision networks in test-onnx-torchvision.c.
 *
 * Legend: N samples, K classes, (C, H, W) the input; float32 NCHW. */

#include <string.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-gradcam.h"
#include "ss-model-file.h"
#include "ss-onnx.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

#define LOGIT_RTOL 1e-4
#define LOGIT_ATOL 1e-6
#define MAP_ATOL   1e-3

static SsSafetensors *
load_ref (void)
{
  g_autofree char *path = ss_test_data_path ("onnx/small-ref.safetensors");
  g_autoptr(GError) error = NULL;
  SsSafetensors *ref = ss_safetensors_load (path, &error);

  g_assert_no_error (error);
  return ref;
}

static const SsTensorView *
ref_get (const SsSafetensors *ref,
         const char          *model,
         const char          *what)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", model, what);
  const SsTensorView *t = ss_safetensors_lookup (ref, key);

  if (t == NULL)
    g_error ("the reference file lacks “%s”; run tests/reference/gen-onnx-*.py", key);
  return t;
}

static SsNet *
import (const char *file)
{
  g_autofree char *path = ss_test_data_path (file);
  g_autoptr(GError) error = NULL;
  SsNet *net = ss_onnx_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (net);
  ss_net_set_n_threads (net, 2);
  return net;
}

/* The net's logits (N, K) for model's reference input equal PyTorch's. */
static void
check_logits (SsNet               *net,
              const SsSafetensors *ref,
              const char          *model)
{
  const SsTensorView *x = ref_get (ref, model, "input");
  const SsTensorView *want = ref_get (ref, model, "logits");
  const SsArch *arch = ss_net_get_arch (net);
  const float *logits;
  int c, h, w;

  ss_arch_get_input (arch, &c, &h, &w);
  g_assert_cmpint (c, ==, x->shape[1]);
  g_assert_cmpint (h, ==, x->shape[2]);
  g_assert_cmpint (w, ==, x->shape[3]);
  g_assert_cmpint (ss_arch_get_n_classes (arch), ==, want->shape[1]);
  logits = ss_net_predict (net, x->data, (int) x->shape[0]);
  ss_assert_tensor_close (logits, want->data, want->n_bytes / sizeof (float), LOGIT_ATOL,
                          LOGIT_RTOL, model);
}

/* Checks the Grad-CAM maps of net on ref's PREFIX/input against every PREFIX/cam/MODULE of ref
 * (but skip's), each at the layer of that PyTorch module path; returns how many it checked. */
static guint
check_cams (SsNet               *net,
            const SsSafetensors *ref,
            const char          *prefix,
            const char          *skip)
{
  g_autofree char *cam = g_strconcat (prefix, "/cam/", NULL);
  const SsTensorView *x = ref_get (ref, prefix, "input");
  const SsArch *arch = ss_net_get_arch (net);
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GError) error = NULL;
  guint checked = 0;

  gc = ss_gradcam_compute (net, x->data, (int) x->shape[0], (int) x->shape[1],
                           (int) x->shape[2], (int) x->shape[3], NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ss_safetensors_get_n_tensors (ref); i++)
    {
      const SsTensorView *t = ss_safetensors_get (ref, i);
      const char *module;
      int node, layer, h, w;

      if (!g_str_has_prefix (t->name, cam))
        continue;
      module = t->name + strlen (cam);
      if (g_strcmp0 (module, skip) == 0)
        continue;
      node = ss_onnx_module_node (arch, module);
      g_assert_cmpint (node, >=, 0);
      layer = ss_gradcam_find_layer (gc, node);
      g_assert_cmpint (layer, >=, 0);
      ss_gradcam_get_layer_size (gc, layer, &h, &w);
      g_assert_cmpint (h, ==, t->shape[1]);
      g_assert_cmpint (w, ==, t->shape[2]);
      ss_assert_tensor_close (ss_gradcam_get_maps (gc, layer), t->data,
                              t->n_bytes / sizeof (float), MAP_ATOL, 0, module);
      checked++;
    }
  return checked;
}

static void
test_logits (gconstpointer data)
{
  const char *file = data;
  g_autoptr(SsSafetensors) ref = load_ref ();
  g_autoptr(SsNet) net = import (file);
  g_autofree char *base = g_path_get_basename (file);

  g_test_summary ("An imported model gives PyTorch's logits (float64 reference, 1e-4 relative)");
  *strrchr (base, '.') = '\0';
  check_logits (net, ref, base);
}

/* Names are PyTorch's module paths; blocks are the scopes holding a residual add. */
static void
test_names (void)
{
  static const struct { const char *name, *op, *block; } want[] = {
    { "features.0", "conv", NULL },
    { "features.1", "batchnorm", NULL },
    { "features.2", "relu", NULL },
    { "features.3", "maxpool", NULL },
    { "layer1.0.conv1", "conv", "layer1.0" },
    { "layer1.0.bn1", "batchnorm", "layer1.0" },
    { "layer1.0.relu", "relu", "layer1.0" },
    { "layer1.0.conv2", "conv", "layer1.0" },
    { "layer1.0.bn2", "batchnorm", "layer1.0" },
    { "layer1.0.add", "add", "layer1.0" },
    { "layer1.0.relu_1", "relu", "layer1.0" },
    { "layer1.1.downsample.0", "conv", "layer1.1" },
    { "layer1.1.downsample.1", "batchnorm", "layer1.1" },
    { "layer1.1.conv1", "conv", "layer1.1" },
    { "layer1.1.bn1", "batchnorm", "layer1.1" },
    { "layer1.1.relu", "relu", "layer1.1" },
    { "layer1.1.conv2", "conv", "layer1.1" },
    { "layer1.1.bn2", "batchnorm", "layer1.1" },
    { "layer1.1.add", "add", "layer1.1" },
    { "layer1.1.relu_1", "relu", "layer1.1" },
    { "pool", "avgpool", NULL },
    { "avgpool", "global-avgpool", NULL },
    { "flatten", "flatten", NULL },
    { "classifier.1", "linear", NULL },
  };
  g_autoptr(SsNet) net = import ("onnx/small-bn.onnx");
  g_autoptr(SsNet) folded = import ("onnx/small-folded.onnx");
  const SsArch *arch = ss_net_get_arch (net), *farch = ss_net_get_arch (folded);
  int f = 0;

  g_test_summary ("Layer names are the PyTorch module paths, unique, with residual blocks; "
                  "folded convs are named by their scope");
  g_assert_cmpstr (ss_arch_get_name (arch), ==, "small-bn");
  g_assert_cmpint (ss_arch_get_n_nodes (arch), ==, G_N_ELEMENTS (want));
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, (int) i);
      g_assert_cmpstr (node->name, ==, want[i].name);
      g_assert_cmpstr (ss_op_name (node->op), ==, want[i].op);
      g_assert_cmpstr (node->block, ==, want[i].block);
      /* The folded export has the same layers without the batch norms. */
      if (node->op == SS_OP_BATCHNORM)
        continue;
      g_assert_cmpstr (ss_arch_get_node (farch, f)->name, ==, want[i].name);
      g_assert_cmpstr (ss_arch_get_node (farch, f)->block, ==, want[i].block);
      f++;
    }
  g_assert_cmpint (ss_arch_get_n_nodes (farch), ==, f);
  g_assert_cmpint (ss_net_find_param (net, "layer1.1.downsample.1.running_var"), >=, 0);
  g_assert_cmpint (ss_net_find_param (folded, "layer1.1.downsample.0.bias"), >=, 0);
  g_assert_cmpint (ss_net_get_n_params (net), ==, 2 + 4 + 5 * (1 + 4) + 2);
}

static void
test_names_head (void)
{
  static const char *const want[] = { "conv", "relu", "pool", "conv2", "relu_1", "avg",
                                      "flatten", "linear" };
  g_autoptr(SsNet) net = import ("onnx/small-head.onnx");
  g_autoptr(SsNet) graph = import ("onnx/small-graph.onnx");
  const SsArch *arch = ss_net_get_arch (net);

  g_test_summary ("Scope names for layers without state_dict names; the node names of a "
                  "hand-made graph");
  g_assert_cmpint (ss_arch_get_n_nodes (arch), ==, G_N_ELEMENTS (want));
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpstr (ss_arch_get_node (arch, (int) i)->name, ==, want[i]);
  /* x @ w + b: one linear layer with its bias. */
  g_assert_true (ss_arch_get_node (arch, 7)->bias);
  g_assert_cmpint (ss_arch_get_node (arch, 7)->out, ==, 7);
  /* The hand-made graph's parameterised nodes take their weights' prefixes, the others their
   * node names. */
  arch = ss_net_get_arch (graph);
  g_assert_cmpstr (ss_arch_get_node (arch, 0)->name, ==, "conv1");
  g_assert_cmpstr (ss_arch_get_node (arch, 1)->name, ==, "relu1");
  g_assert_cmpstr (ss_arch_get_node (arch, 2)->name, ==, "conv2");
  g_assert_cmpint (ss_arch_get_node (arch, 2)->padding, ==, 1);
  g_assert_cmpint (ss_arch_get_node (arch, 2)->stride, ==, 2);
  g_assert_cmpstr (ss_arch_get_node (arch, 5)->name, ==, "drop");
  g_assert_cmpfloat_with_epsilon (ss_arch_get_node (arch, 5)->p, 0.25, 1e-7);
  g_assert_cmpstr (ss_arch_get_node (arch, 7)->name, ==, "fc");
}

static void
test_module_node (void)
{
  g_autoptr(SsNet) net = import ("onnx/small-bn.onnx");
  const SsArch *arch = ss_net_get_arch (net);
  static const struct { const char *path, *node; } cases[] = {
    { "features.0", "features.0" },
    { "features", "features.3" },
    { "layer1.0", "layer1.0.relu_1" },
    { "layer1.0.relu", "layer1.0.relu_1" },     /* called twice: the last call */
    { "layer1", "layer1.1.relu_1" },
    { "layer1.1.downsample", "layer1.1.downsample.1" },
    { "classifier", "classifier.1" },
    { "avgpool", "avgpool" },
  };

  g_test_summary ("ss_onnx_module_node maps a module path to the node giving its output");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (ss_arch_get_node (arch, ss_onnx_module_node (arch, cases[i].path))->name,
                     ==, cases[i].node);
  g_assert_cmpint (ss_onnx_module_node (arch, "feature"), ==, -1);
  g_assert_cmpint (ss_onnx_module_node (arch, "layer1.0.conv"), ==, -1);
  g_assert_cmpint (ss_onnx_module_node (arch, "layer2"), ==, -1);
}

/* Grad-CAM of the imported network at PyTorch module paths equals PyTorch's. */
static void
test_gradcam (void)
{
  g_autoptr(SsSafetensors) ref = load_ref ();
  g_autoptr(SsNet) net = import ("onnx/small-bn.onnx");

  g_test_summary ("Grad-CAM maps at PyTorch module paths match PyTorch's (1e-3)");
  g_assert_cmpuint (check_cams (net, ref, "small-bn", NULL), ==, 10);
}

/* The external-data variant, from its file and from bytes with and without its folder. */
static void
test_external (void)
{
  g_autoptr(SsSafetensors) ref = load_ref ();
  g_autofree char *path = ss_test_data_path ("onnx/external/small-graph.onnx");
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL;
  gsize len;

  g_test_summary ("External data next to the model is read; from bytes it needs a folder");
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  net = ss_onnx_load_from_data ((const guint8 *) bytes, len, NULL, NULL, &error);
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "small-graph.onnx.data"));
  g_assert_null (net);
  g_clear_error (&error);
  net = ss_onnx_load_from_data ((const guint8 *) bytes, len, folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_arch_get_name (ss_net_get_arch (net)), ==, "small-graph");
  check_logits (net, ref, "small-graph");
}

/* import → ss_model_save → ss_model_load gives the same network, bit for bit. */
static void
test_round_trip (gconstpointer data)
{
  const char *file = data;
  g_autoptr(SsSafetensors) ref = load_ref ();
  g_autoptr(SsNet) net = import (file);
  g_autoptr(SsNet) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("onnx-XXXXXX");
  g_autofree char *out = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *json1 = NULL, *json2 = NULL, *base = g_path_get_basename (file);
  const SsTensorView *x;
  g_autofree float *logits = NULL;
  int k;

  g_test_summary ("An imported model saved and loaded again gives identical logits");
  *strrchr (base, '.') = '\0';
  x = ref_get (ref, base, "input");
  g_assert_true (ss_model_save (net, out, NULL, &error));
  g_assert_no_error (error);
  back = ss_model_load (out, NULL, &error);
  g_assert_no_error (error);
  json1 = ss_arch_to_json (ss_net_get_arch (net));
  json2 = ss_arch_to_json (ss_net_get_arch (back));
  g_assert_cmpstr (json1, ==, json2);
  ss_net_set_n_threads (back, 2);
  k = ss_arch_get_n_classes (ss_net_get_arch (net));
  logits = g_memdup2 (ss_net_predict (net, x->data, (int) x->shape[0]),
                      sizeof (float) * (gsize) (k * x->shape[0]));
  g_assert_cmpmem (logits, sizeof (float) * (gsize) (k * x->shape[0]),
                   ss_net_predict (back, x->data, (int) x->shape[0]),
                   sizeof (float) * (gsize) (k * x->shape[0]));
  ss_test_rm_rf (dir);
}

/* x.view(x.size(0), -1) exported by torch as a shape computation (Shape, Gather, Unsqueeze,
 * Concat, Reshape), at opsets 11, 13 and 17, with a fixed batch, and as a module of its own
 * with F written out (tests/reference/gen-onnx-viewflatten.py): one network, whose logits for
 * a batch of 3 (the export's was 2) and Grad-CAM maps must be PyTorch's. */
static void
test_viewflat (gconstpointer data)
{
  const char *file = data;
  gboolean folded = strstr (file, "-11") != NULL || strstr (file, "-f.") != NULL;
  const char *flatten = strstr (file, "-f.") != NULL ? "view" : "flatten";
  const char *const names[] = { "features.0", "features.1", "features.2", "features.3", flatten,
                                "classifier.0", "classifier.1", "classifier.2" };
  const SsOp ops[] = { SS_OP_CONV, SS_OP_BATCHNORM, SS_OP_RELU, SS_OP_MAXPOOL, SS_OP_FLATTEN,
                       SS_OP_LINEAR, SS_OP_RELU, SS_OP_LINEAR };
  g_autofree char *ref_path = ss_test_data_path ("onnx/viewflat-ref.safetensors");
  g_autoptr(SsSafetensors) ref = NULL;
  g_autoptr(SsNet) net = import (file);
  g_autoptr(GError) error = NULL;
  const SsArch *arch = ss_net_get_arch (net);
  const SsTensorView *x;
  int n = 0;

  g_test_summary ("A flatten by the batch size read at run time imports as a flatten: "
                  "PyTorch's logits, names and Grad-CAM maps");
  ref = ss_safetensors_load (ref_path, &error);
  g_assert_no_error (error);
  x = ref_get (ref, "viewflat", "input");
  g_assert_cmpint (x->shape[0], ==, 3);
  check_logits (net, ref, "viewflat");

  /* The shape computation makes no layers; the flatten takes the module's name. */
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const SsNode *node;
      if (folded && ops[i] == SS_OP_BATCHNORM)
        continue;
      node = ss_arch_get_node (arch, n++);
      g_assert_cmpstr (node->name, ==, names[i]);
      g_assert_cmpint (node->op, ==, ops[i]);
    }
  g_assert_cmpint (ss_arch_get_n_nodes (arch), ==, n);
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, flatten))->c, ==, 64);

  /* A folded conv's output is PyTorch's batch norm's, not its conv's. */
  g_assert_cmpuint (check_cams (net, ref, "viewflat", folded ? "features.0" : NULL), ==,
                    folded ? 3 : 4);
}

static void
test_cli (void)
{
  g_autofree char *model = ss_test_data_path ("onnx/small-bn.onnx");
  g_autofree char *dir = ss_test_make_tmp_dir ("onnx-cli-XXXXXX");
  g_autofree char *out_path = g_build_filename (dir, "small.safetensors", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("supersign-cli import writes a model file; info lists an .onnx's layers");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "import", model, "--out", out_path,
                                    "--dataset", "cifar10:/nowhere", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "24 layers"));
  net = ss_model_load (out_path, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (meta, SS_MODEL_META_DATASET), ==, "cifar10:/nowhere");

  g_assert_cmpint (ss_test_run_cli (&out, &err, "info", "-m", model, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "layer1.1.downsample.0"));
  g_assert_nonnull (strstr (out, "layer1.0.relu_1"));

  /* No output file named, and a file that is not ONNX. */
  g_assert_cmpint (ss_test_run_cli (&out, &err, "import", model, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--out"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "import", out_path, "--out", out_path, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "ONNX"));
  ss_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  static const char *const files[] = { "onnx/small-bn.onnx", "onnx/small-folded.onnx",
                                       "onnx/small-head.onnx", "onnx/small-graph.onnx",
                                       "onnx/small-group.onnx" };
  static const char *const viewflat[] = { "onnx/viewflat-11.onnx", "onnx/viewflat-13.onnx",
                                          "onnx/viewflat-17.onnx", "onnx/viewflat-fixed.onnx",
                                          "onnx/viewflat-f.onnx" };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_strdup_printf ("/onnx/logits/%s", files[i] + 5);
      g_autofree char *rt = g_strdup_printf ("/onnx/round-trip/%s", files[i] + 5);
      g_test_add_data_func (path, files[i], test_logits);
      g_test_add_data_func (rt, files[i], test_round_trip);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (viewflat); i++)
    {
      g_autofree char *path = g_strdup_printf ("/onnx/viewflat/%s", viewflat[i] + 5);
      g_test_add_data_func (path, viewflat[i], test_viewflat);
    }
  g_test_add_func ("/onnx/names/small-bn", test_names);
  g_test_add_func ("/onnx/names/small-head", test_names_head);
  g_test_add_func ("/onnx/module-node", test_module_node);
  g_test_add_func ("/onnx/gradcam", test_gradcam);
  g_test_add_func ("/onnx/external", test_external);
  g_test_add_func ("/onnx/cli", test_cli);
  return g_test_run ();
}
