/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The GTK app on a model imported from ONNX (run under Xvfb by meson test): the Open Model
 * dialog offers .onnx files; opening tests/data/onnx/resnet50-small.onnx through the function
 * the dialog calls (ss_session_open_model) lists its PyTorch-named layers; with Fashion-MNIST
 * open, which does not fit a 3×224×224 model that names no data set, the window says to open a
 * folder of PNG images instead of loading anything; a PNG folder then opens for the model, and
 * is converted again when another model is opened. */

#include <string.h>

#include <adwaita.h>

#include "ss-layers-view.h"
#include "ss-png.h"
#include "ss-shipped.h"
#include "ss-window.h"
#include "ui-test-util.h"

#define TIMEOUT_S 240.0

static SsWindow *window;

/* A condition: the model titled data (a string) is open and its job done. */
static gboolean
model_open (gpointer data)
{
  SsSessionModel *model = ss_session_get_model (ui_test_session ());
  return model != NULL && g_str_equal (model->title, data) &&
         !ss_job_is_running (ss_session_get_model_job (ui_test_session ())) &&
         ss_layers_view_get_n_rows (ui_test_layers_view ()) ==
           (guint) ss_arch_get_n_nodes (ss_net_get_arch (model->net));
}

/* A condition: a PNG folder of data (c) channels is open and fits the model. */
static gboolean
png_fits (gpointer data)
{
  SsSessionData *d = ss_session_get_data (ui_test_session ());
  return d != NULL && g_str_has_prefix (d->spec, "png:") &&
         ss_dataset_get_channels (d->test) == GPOINTER_TO_INT (data) &&
         !ss_job_is_running (ss_session_get_data_job (ui_test_session ())) &&
         ss_session_get_fits (ui_test_session (), NULL);
}

static void
test_filters (void)
{
  g_autoptr(GListModel) filters = ss_window_new_model_filters ();
  g_autoptr(GtkFileFilter) supported = g_list_model_get_item (filters, 0);
  static const struct {
    const char *name;
    gboolean    shown;
  } files[] = {
    { "resnet50.onnx", TRUE }, { "RESNET50.ONNX", TRUE }, { "fmnist.safetensors", TRUE },
    { "arch.json", TRUE }, { "notes.txt", FALSE },
  };

  g_test_summary ("The Open Model dialog's first filter, All supported models, shows ONNX "
                  "exports (any case), model files and architectures, and nothing else");
  g_assert_cmpuint (g_list_model_get_n_items (filters), >=, 2);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GFileInfo) info = g_file_info_new ();
      g_file_info_set_display_name (info, files[i].name);
      g_file_info_set_name (info, files[i].name);
      if (gtk_filter_match (GTK_FILTER (supported), info) != files[i].shown)
        g_error ("%s: expected %s", files[i].name, files[i].shown ? "shown" : "hidden");
    }
}

static void
test_open_onnx (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "onnx",
                                                 "resnet50-small.onnx", NULL);
  const char *message = NULL;
  SsSessionModel *model;
  SsSessionData *data;

  g_test_summary ("Opening the imported ResNet50 lists its PyTorch-named layers; Fashion-MNIST "
                  "stays open, does not fit, and the window says to open a PNG folder");
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  ss_window_set_page (window, "layers");
  g_assert_true (ui_test_wait_for (model_open, "fmnist-vgg", TIMEOUT_S));
  g_assert_true (ui_test_wait_for (ui_test_job_not_running,
                                   ss_session_get_data_job (ui_test_session ()), TIMEOUT_S));

  ss_session_open_model (ui_test_session (), path);
  g_assert_true (ui_test_wait_for (model_open, "resnet50-small", TIMEOUT_S));
  model = ss_session_get_model (ui_test_session ());
  g_assert_cmpstr (model->origin, ==, "resnet50-small.onnx");
  g_assert_false (model->random);
  g_assert_null (model->dataset);
  g_assert_true (ui_test_wait_for (ui_test_job_not_running,
                                   ss_session_get_data_job (ui_test_session ()), TIMEOUT_S));
  ui_test_spin (0.2);
  g_assert_true (ui_test_has_label (GTK_WIDGET (ui_test_layers_view ()), "conv1"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (ui_test_layers_view ()), "layer1.0.conv1"));

  data = ss_session_get_data (ui_test_session ());
  g_assert_cmpstr (data->spec, ==, "fashion-mnist");
  g_assert_false (ss_session_get_fits (ui_test_session (), &message));
  g_assert_nonnull (strstr (message, "3×224×224"));
  g_assert_nonnull (strstr (message, "Folder of PNG Images"));
}

static void
test_png_for_onnx (void)
{
  g_autofree char *dir = NULL, *spec = NULL, *sub = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "onnx",
                                                 "resnet50-small.onnx", NULL);
  SsSessionData *data;

  g_test_summary ("A PNG folder opens for the imported model (3×224×224, 10 classes, labels from "
                  "class subfolders), and is converted again for each model opened after it");
  if (!ui_test_need_window ())
    return;
  dir = g_build_filename (ui_test_get_tmp_dir (), "photos", NULL);
  sub = g_build_filename (dir, "7", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(SsImage) image = ss_image_new (80, 60, 3);
      g_autofree char *name = g_strdup_printf ("img%d.png", i);
      g_autofree char *file = g_build_filename (i == 0 ? dir : sub, name, NULL);
      for (int p = 0; p < image->width * image->height * 3; p++)
        image->pixels[p] = (guint8) ((p * 13 + i * 57) % 256);
      g_assert_true (ss_png_save (image, file, NULL));
    }
  spec = g_strconcat ("png:", dir, NULL);
  ss_session_open_data (ui_test_session (), spec, FALSE);
  g_assert_true (ui_test_wait_for (png_fits, GINT_TO_POINTER (3), TIMEOUT_S));
  data = ss_session_get_data (ui_test_session ());
  g_assert_cmpint (ss_dataset_get_height (data->test), ==, 224);
  /* Samples in path order: "7/img1.png" before "img0.png". */
  g_assert_cmpint (ss_dataset_get_labels (data->test)[0], ==, 7);

  /* The shipped model takes 1×28×28: the folder follows it, then back. */
  ss_session_open_model (ui_test_session (), ss_shipped_default_model ());
  g_assert_true (ui_test_wait_for (model_open, "fmnist-vgg", TIMEOUT_S));
  g_assert_true (ui_test_wait_for (png_fits, GINT_TO_POINTER (1), TIMEOUT_S));
  ss_session_open_model (ui_test_session (), path);
  g_assert_true (ui_test_wait_for (model_open, "resnet50-small", TIMEOUT_S));
  g_assert_true (ui_test_wait_for (png_fits, GINT_TO_POINTER (3), TIMEOUT_S));
  g_assert_true (ui_test_wait_for (ui_test_model_ready, window, TIMEOUT_S));
}

int
main (int argc, char *argv[])
{
  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/onnx/filters", test_filters);
  g_test_add_func ("/ui/onnx/open", test_open_onnx);
  g_test_add_func ("/ui/onnx/png-folder", test_png_for_onnx);
  return ui_test_finish (g_test_run (), window);
}
