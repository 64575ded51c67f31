/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* torchvision's AlexNet, VGG16 and ResNet50 (narrowed, 10 classes, random weights; exported
 * by tests/reference/gen-onnx-torchvision.py, see tests/data/onnx/README.md) imported from
 * ONNX: logits within LOGIT_RTOL of PyTorch's float64 ones, and Grad-CAM at each reference
 * module path ("features.2", "layer1.0", "avgpool"), found with ss_onnx_module_node, within
 * MAP_ATOL. ResNet50 is also checked exported with its batch norms folded into the convs.
 *
 * Legend: N = 2 samples of 3×224×224, K = 10 classes, (h, w) a layer's map. */

#include <string.h>

#include "ss-gradcam.h"
#include "ss-onnx.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

#define LOGIT_RTOL 1e-3
#define LOGIT_ATOL 1e-5
#define MAP_ATOL   1e-3

static const SsTensorView *
lookup (const SsSafetensors *st,
        const char          *key,
        const char          *file)
{
  const SsTensorView *t = ss_safetensors_lookup (st, key);

  if (t == NULL)
    g_error ("%s lacks “%s”; run tests/reference/gen-onnx-torchvision.py", file, key);
  return t;
}

static void
test_model (gconstpointer data)
{
  const char *model = data;   /* "resnet50-small" or "resnet50-small-folded" */
  g_autofree char *onnx_name = g_strdup_printf ("onnx/%s.onnx", model);
  g_autofree char *ref_name = g_strdup_printf ("onnx/%.*s-ref.safetensors",
                                               (int) (g_str_has_suffix (model, "-folded")
                                                      ? strlen (model) - 7 : strlen (model)),
                                               model);
  g_autofree char *onnx_path = ss_test_data_path (onnx_name);
  g_autofree char *ref_path = ss_test_data_path (ref_name);
  g_autofree char *inputs_path = ss_test_data_path ("onnx/inputs.safetensors");
  g_autoptr(SsSafetensors) ref = NULL, inputs = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GError) error = NULL;
  const SsTensorView *x, *logits, *classes;
  const SsArch *arch;
  guint checked = 0;
  int n;

  g_test_summary ("A torchvision network imported from ONNX gives PyTorch's logits and "
                  "Grad-CAM maps at PyTorch module paths");
  if (!g_file_test (onnx_path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("run tests/reference/gen-onnx-torchvision.py to make the fixtures");
      return;
    }
  ref = ss_safetensors_load (ref_path, &error);
  g_assert_no_error (error);
  inputs = ss_safetensors_load (inputs_path, &error);
  g_assert_no_error (error);
  x = lookup (inputs, "input", inputs_path);
  logits = lookup (ref, "logits", ref_path);
  classes = lookup (ref, "classes", ref_path);
  n = (int) x->shape[0];

  net = ss_onnx_load (onnx_path, &error);
  g_assert_no_error (error);
  ss_net_set_n_threads (net, 2);
  arch = ss_net_get_arch (net);
  g_assert_cmpint (ss_arch_get_n_classes (arch), ==, logits->shape[1]);

  gc = ss_gradcam_compute (net, x->data, n, (int) x->shape[1], (int) x->shape[2],
                           (int) x->shape[3], NULL, &error);
  g_assert_no_error (error);
  ss_assert_tensor_close (ss_gradcam_get_logits (gc), logits->data,
                          logits->n_bytes / sizeof (float), LOGIT_ATOL, LOGIT_RTOL, "logits");
  for (int s = 0; s < n; s++)
    g_assert_cmpint (ss_gradcam_get_classes (gc)[s], ==, ((const gint64 *) classes->data)[s]);

  for (guint i = 0; i < ss_safetensors_get_n_tensors (ref); i++)
    {
      const SsTensorView *t = ss_safetensors_get (ref, i);
      const char *module;
      int node, layer, h, w;

      if (!g_str_has_prefix (t->name, "gradcam."))
        continue;
      module = t->name + strlen ("gradcam.");
      node = ss_onnx_module_node (arch, module);
      if (node < 0)
        g_error ("%s: no layer for the module “%s”", model, module);
      layer = ss_gradcam_find_layer (gc, node);
      if (layer < 0)
        g_error ("%s: “%s” (module “%s”) is not a saliency layer", model,
                 ss_arch_get_node (arch, node)->name, module);
      ss_gradcam_get_layer_size (gc, layer, &h, &w);
      g_assert_cmpint (h, ==, t->shape[1]);
      g_assert_cmpint (w, ==, t->shape[2]);
      ss_assert_tensor_close (ss_gradcam_get_maps (gc, layer), t->data,
                              t->n_bytes / sizeof (float), MAP_ATOL, 0, module);
      checked++;
    }
  g_assert_cmpuint (checked, >=, 5);
}

int
main (int argc, char *argv[])
{
  static const char *const models[] = { "alexnet-small", "vgg16-small", "resnet50-small",
                                        "resnet50-small-folded" };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *path = g_strdup_printf ("/onnx/torchvision/%s", models[i]);
      g_test_add_data_func (path, models[i], test_model);
    }
  return g_test_run ();
}
