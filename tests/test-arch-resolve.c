/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Layer names as users type them (core/ss-arch-resolve.h): exact node names on a built-in,
 * PyTorch module paths on the ResNet50 imported from ONNX (tests/data/onnx/resnet50-small.onnx:
 * "layer1.0" is the block's output ReLU), the same answers as ss_onnx_module_node, clear
 * errors with close names, and supersign-cli saliency and figure taking module paths. */

#include <string.h>

#include "ss-arch-resolve.h"
#include "ss-error.h"
#include "ss-onnx.h"
#include "ss-png.h"
#include "ss-test-util.h"

static SsNet *
import_resnet (void)
{
  g_autofree char *path = ss_test_data_path ("onnx/resnet50-small.onnx");
  g_autoptr(GError) error = NULL;
  SsNet *net = ss_onnx_load (path, &error);

  g_assert_no_error (error);
  return net;
}

/* The node name resolves to, failing the test on an error. */
static const char *
resolve (const SsArch *arch,
         const char   *name)
{
  g_autoptr(GError) error = NULL;
  int node = ss_arch_resolve_layer (arch, name, &error);

  g_assert_no_error (error);
  g_assert_cmpint (node, >=, 0);
  return ss_arch_get_node (arch, node)->name;
}

/* The error message name gives (SS_ERROR_ARGUMENT). Transfer full. */
static char *
resolve_error (const SsArch *arch,
               const char   *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ss_arch_resolve_layer (arch, name, &error), ==, -1);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  return g_strdup (error->message);
}

static void
test_contains (void)
{
  static const struct {
    const char *path, *name;
    gboolean    inside;
  } cases[] = {
    { "layer1.0", "layer1.0", TRUE },
    { "layer1.0", "layer1.0.conv1", TRUE },
    { "layer1.0", "layer1.0_1.conv1", TRUE },
    { "layer1.0.relu", "layer1.0.relu_2", TRUE },
    { "layer1", "layer1.2.relu_2", TRUE },
    { "layer1", "layer10.conv1", FALSE },
    { "layer1.0.conv", "layer1.0.conv1", FALSE },
    { "relu", "relu_", FALSE },
    { "relu", "relu_x", FALSE },
    { "", "conv1", FALSE },
  };

  g_test_summary ("ss_module_path_contains follows torch's scope names: the module, a later "
                  "call (_N) and what is inside, never a name that merely starts alike");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    if (ss_module_path_contains (cases[i].path, cases[i].name) != cases[i].inside)
      g_error ("“%s” in “%s”: expected %d", cases[i].name, cases[i].path, cases[i].inside);
}

static void
test_onnx_paths (void)
{
  static const char *const paths[] = {
    "layer1.0", "layer1.0.downsample", "layer1", "layer2.3", "layer4", "relu", "avgpool",
  };
  g_autoptr(SsNet) net = import_resnet ();
  const SsArch *arch = ss_net_get_arch (net);
  g_autofree char *message = NULL;

  g_test_summary ("On the ResNet50 imported from ONNX, a module path gives the node of the "
                  "module's output (layer1.0 → its block's output ReLU), as ss_onnx_module_node "
                  "for paths that are no node's name; a node's own name comes first; an unknown "
                  "one suggests close names");
  g_assert_cmpstr (resolve (arch, "layer1.0"), ==, "layer1.0.relu_2");
  g_assert_cmpstr (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer1.0.relu_2"))->block,
                   ==, "layer1.0");
  /* A node's own name comes first: "layer1.0.relu" is the module's first call, as before
   * module paths; its last call is named, "layer1.0.relu_2". */
  g_assert_cmpstr (resolve (arch, "layer1.0.relu"), ==, "layer1.0.relu");
  g_assert_cmpstr (resolve (arch, "layer1.0.relu_1"), ==, "layer1.0.relu_1");
  g_assert_cmpstr (resolve (arch, "layer1.0.conv1"), ==, "layer1.0.conv1");
  g_assert_cmpstr (resolve (arch, "layer1.0.downsample"), ==, "layer1.0.downsample.1");
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    g_assert_cmpstr (resolve (arch, paths[i]), ==,
                     ss_arch_get_node (arch, ss_onnx_module_node (arch, paths[i]))->name);

  message = resolve_error (arch, "layer1.0.conv");
  g_assert_nonnull (strstr (message, "resnet50-small: no layer or module named “layer1.0.conv”"));
  g_assert_nonnull (strstr (message, "did you mean “layer1.0.conv1”, “layer1.0.conv2”"));
  g_clear_pointer (&message, g_free);
  message = resolve_error (arch, "layer1.9");
  g_assert_nonnull (strstr (message, "“layer1.0”"));
}

static void
test_builtin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  g_autofree char *message = NULL;
  int n;

  g_test_summary ("On a built-in, every node's exact name resolves to itself; a typo suggests "
                  "close names, a name like none gives the first and last layer, an empty one "
                  "says so");
  g_assert_no_error (error);
  n = ss_arch_get_n_nodes (arch);
  for (int i = 0; i < n; i++)
    g_assert_cmpint (ss_arch_resolve_layer (arch, ss_arch_get_node (arch, i)->name, NULL), ==, i);

  message = resolve_error (arch, "conv9");
  g_assert_nonnull (strstr (message, "fmnist-vgg: no layer or module named “conv9”; did you "
                                     "mean “conv1”"));
  g_clear_pointer (&message, g_free);
  message = resolve_error (arch, "transformer_block");
  g_assert_nonnull (strstr (message, "layers run from “conv1” to"));
  g_clear_pointer (&message, g_free);
  message = resolve_error (arch, "");
  g_assert_nonnull (strstr (message, "an empty layer name"));
}

static void
test_cli (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-resolve-XXXXXX");
  g_autofree char *model = ss_test_data_path ("onnx/resnet50-small.onnx");
  g_autofree char *data = g_strconcat ("png:", dir, NULL);
  g_autofree char *maps = g_build_filename (dir, "maps", NULL);
  g_autofree char *csv_path = g_build_filename (maps, "grid.csv", NULL);
  g_autofree char *figure = g_build_filename (dir, "figure.png", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL;

  g_test_summary ("supersign-cli saliency and figure heatmaps take module paths for --layers "
                  "on an imported model, and refuse an unknown name with close names");
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(SsImage) image = ss_image_new (64, 48, 3);
      g_autofree char *name = g_strdup_printf ("%d.png", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GError) error = NULL;
      const guint8 rgb[3] = { (guint8) (40 + 100 * i), 90, (guint8) (200 - 80 * i) };

      ss_image_fill (image, rgb);
      g_assert_true (ss_png_save (image, path, &error));
      g_assert_no_error (error);
    }

  g_assert_cmpint (ss_test_run_cli (&out, &err, "saliency", "--model", model, "--data", data,
                                    "--samples", "0,1", "--layers", "layer1.0, layer2,conv1",
                                    "--out-dir", maps, NULL), ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_nonnull (strstr (csv, ",layer1.0.relu_2,"));
  g_assert_nonnull (strstr (csv, ",conv1,"));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "figure", "heatmaps", "--model", model, "--data",
                                    data, "--samples", "2", "--layers", "layer1.0", "--out",
                                    figure, NULL), ==, 0);
  g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "saliency", "--model", model, "--data", data,
                                    "--layers", "layer1.9", "--out-dir", maps, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--layers: “layer1.9” is not a saliency layer of this model"));
  g_assert_nonnull (strstr (err, "nor a module path; did you mean “layer1.0”"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "figure", "heatmaps", "--model", model, "--data",
                                    data, "--samples", "2", "--layers", "layer9", "--out", figure,
                                    NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--layers: the saliency layers of resnet50-small: no layer or "
                                 "module named “layer9”"));
  ss_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/arch-resolve/contains", test_contains);
  g_test_add_func ("/arch-resolve/onnx-paths", test_onnx_paths);
  g_test_add_func ("/arch-resolve/builtin", test_builtin);
  g_test_add_func ("/arch-resolve/cli", test_cli);
  return g_test_run ();
}
