/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The GTK app's main window on the shipped model (run under Xvfb by meson test): the layer list
 * fills, a layer's Grad-CAM heatmaps are computed on a worker, the entropy bars get the profile
 * of every saliency layer beside random weights, Escape during a long job leaves a clear
 * "cancelled" state, a corrupt model file gives an error (toast and failed job) rather than a
 * crash, figures export, and a folder of PNGs with a bad file opens with the bad file listed.
 * The tests run in order on one window, since opening the model and computing profiles takes a
 * while. */

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ss-entropy-view.h"
#include "ss-export-dialog.h"
#include "ss-infoplane-view.h"
#include "ss-job-bar.h"
#include "ss-layers-view.h"
#include "ss-png.h"
#include "ss-experiments-view.h"
#include "ss-runs-view.h"
#include "ss-train-view.h"
#include "ss-window.h"
#include "ui-test-util.h"

#define TIMEOUT_S 240.0

static SsWindow *window;

static gboolean
layers_filled (gpointer data)
{
  return ss_layers_view_get_n_rows (ui_test_layers_view ()) > 0 &&
         ss_session_get_data (ui_test_session ()) != NULL;
}

static void
test_open_shipped (void)
{
  SsSessionModel *model;

  g_test_summary ("The window opens the shipped fmnist-vgg and the Fashion-MNIST test set on "
                  "workers and lists every node of the network");
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  g_assert_true (ui_test_wait_for (layers_filled, NULL, TIMEOUT_S));
  model = ss_session_get_model (ui_test_session ());
  g_assert_cmpstr (model->title, ==, "fmnist-vgg");
  g_assert_false (model->random);
  g_assert_cmpuint (ss_layers_view_get_n_rows (ui_test_layers_view ()), ==,
                    (guint) ss_arch_get_n_nodes (ss_net_get_arch (model->net)));
  g_assert_true (ss_session_get_fits (ui_test_session (), NULL));
}

static void
test_heatmaps (void)
{
  SsHeatmapPanel *panel;
  const SsArch *arch;
  int node;

  g_test_summary ("Selecting a conv layer computes its Grad-CAM maps for a page of samples on a "
                  "worker and shows one card per sample; the grid exports as a figure");
  if (!ui_test_need_window ())
    return;
  panel = ss_layers_view_get_panel (ui_test_layers_view ());
  arch = ss_net_get_arch (ss_session_get_model (ui_test_session ())->net);
  node = ss_arch_find_node (arch, "conv2");
  g_assert_cmpint (node, >=, 0);
  ss_layers_view_select_node (ui_test_layers_view (), node);
  g_assert_true (ui_test_wait_for (ui_test_maps_shown, NULL, TIMEOUT_S));
  g_assert_cmpint (ss_heatmap_panel_get_node (panel), ==, node);
  g_assert_cmpint (ss_heatmap_panel_get_n_maps (panel), ==, 12);
  g_assert_nonnull (ss_heatmap_panel_get_figure (panel));
  g_assert_cmpint (ss_fig_heatmaps_get_n_samples (ss_heatmap_panel_get_figure (panel)), ==, 12);

  /* The next page is a new computation; coming back is served from the cache. */
  ss_heatmap_panel_set_first (panel, 12);
  g_assert_true (ui_test_wait_for (ui_test_maps_shown, NULL, TIMEOUT_S));
  ss_heatmap_panel_set_first (panel, 0);
  g_assert_false (ss_job_is_running (ss_heatmap_panel_get_job (panel)));
  g_assert_cmpint (ss_heatmap_panel_get_n_maps (panel), ==, 12);
}

static gconstpointer
get_plot_figure (GObject   *source,
                 SsFigKind *kind)
{
  return ss_plot_get_figure (SS_PLOT (source), kind);
}

static gboolean
profiles_ready (gpointer data)
{
  return ss_session_get_profile (ui_test_session ()) != NULL &&
         ss_session_get_random_profile (ui_test_session ()) != NULL;
}

static void
test_entropy_bars (void)
{
  SsEntropyView *view;
  SsSessionProfile *prof;
  SsFigKind kind;
  const SsFigBars *fig;
  SsExportDialog *dialog = NULL;
  g_autofree char *svg = NULL, *png = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The entropy bars show the trained profile of every saliency layer beside "
                  "the random-weights profile; the figure exports as SVG and PNG");
  if (!ui_test_need_window ())
    return;
  ss_window_set_page (window, "entropy");
  g_assert_true (ui_test_wait_for (profiles_ready, NULL, TIMEOUT_S));
  ui_test_spin (0.2);
  view = SS_ENTROPY_VIEW (ss_window_get_page (window, "entropy"));
  prof = ss_session_get_profile (ui_test_session ());
  fig = ss_plot_get_figure (ss_entropy_view_get_plot (view), &kind);
  g_assert_nonnull (fig);
  g_assert_cmpint (kind, ==, SS_FIG_BARS);
  g_assert_cmpint (ss_fig_bars_get_n_layers (fig), ==, (int) prof->layers->len);
  g_assert_cmpint (ss_fig_bars_get_n_series (fig), ==, 2);
  g_assert_cmpint ((int) prof->layers->len, ==,
                   (int) ss_session_get_random_profile (ui_test_session ())->layers->len);

  /* The export dialog's default: PNG, 85 × 60 mm at 300 dpi. */
  dialog = ss_export_dialog_new (GTK_WINDOW (window), G_OBJECT (ss_entropy_view_get_plot (view)),
                                 get_plot_figure, "bars");
  png = g_build_filename (ui_test_get_tmp_dir (), "bars.png", NULL);
  g_assert_true (ss_export_dialog_write (dialog, png, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&dialog)));
  svg = g_build_filename (ui_test_get_tmp_dir (), "bars.svg", NULL);
  g_assert_true (ss_fig_export (kind, fig, svg, SS_FIG_FORMAT_SVG, 241, 170, 300, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (svg, G_FILE_TEST_IS_REGULAR));

  {
    SsInfoplaneView *ip = SS_INFOPLANE_VIEW (ss_window_get_page (window, "infoplane"));
    g_assert_nonnull (ss_plot_get_figure (ss_infoplane_view_get_plot (ip), &kind));
    g_assert_cmpint (kind, ==, SS_FIG_INFOPLANE);
  }
}

static gboolean
job_running_with_progress (gpointer data)
{
  return ss_job_is_running (SS_JOB (data)) && ss_job_get_fraction (SS_JOB (data)) > 0;
}

static gboolean
runs_listed (gpointer data)
{
  return ss_runs_view_get_n_runs (SS_RUNS_VIEW (data)) > 0 &&
         !ss_job_is_running (ss_runs_view_get_job (SS_RUNS_VIEW (data)));
}

static void
test_cancel (void)
{
  SsTrainView *train;
  SsRunsView *runs;
  SsJob *job;
  GtkWidget *bar;

  g_test_summary ("Escape (win.cancel) during a training run leaves the job cancelled, with "
                  "the bar saying so, and no late result replaces that state; the run is in "
                  "the run history as interrupted");
  if (!ui_test_need_window ())
    return;
  ss_window_set_page (window, "experiments");
  train = SS_TRAIN_VIEW (ss_experiments_view_get_experiment (
    SS_EXPERIMENTS_VIEW (ss_window_get_page (window, "experiments")), "train"));
  job = ss_train_view_get_job (train);
  ss_train_view_configure (train, 5, 64, 0);
  ss_train_view_start (train);
  g_assert_true (ss_job_is_running (job));
  g_assert_true (ui_test_wait_for (job_running_with_progress, job, TIMEOUT_S));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_CANCELLED);
  ui_test_spin (1.0);
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_CANCELLED);
  bar = gtk_widget_get_last_child (gtk_widget_get_first_child (
    GTK_WIDGET (ss_train_view_get_page (train))));
  g_assert_true (SS_IS_JOB_BAR (bar));
  g_assert_cmpstr (ss_job_bar_get_status_text (SS_JOB_BAR (bar)), ==, "Cancelled");

  /* The interrupted run is in the run history, and loads. */
  runs = SS_RUNS_VIEW (ss_window_get_page (window, "history"));
  g_assert_true (ui_test_wait_for (runs_listed, runs, TIMEOUT_S));
  ss_runs_view_load (runs, 1);
  job = ss_runs_view_get_task_job (runs);
  g_assert_true (ui_test_wait_for (ui_test_job_not_running, job, TIMEOUT_S));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_DONE);
}

static void
test_corrupt_model (void)
{
  g_autofree char *path = NULL;
  SsSessionModel *before;
  SsJob *job;

  g_test_summary ("Opening a corrupt model file fails its job with the error shown in a "
                  "toast; the model open before stays");
  if (!ui_test_need_window ())
    return;
  path = g_build_filename (ui_test_get_tmp_dir (), "corrupt.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", 13, NULL));
  before = ss_session_get_model (ui_test_session ());
  job = ss_session_get_model_job (ui_test_session ());
  ss_session_open_model (ui_test_session (), path);
  g_assert_true (ui_test_wait_for (ui_test_job_not_running, job, TIMEOUT_S));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_FAILED);
  g_assert_nonnull (ss_job_get_message (job));
  g_assert_nonnull (ss_window_get_last_toast (window));
  g_assert_nonnull (strstr (ss_window_get_last_toast (window), ss_job_get_message (job)));
  g_assert_true (ss_session_get_model (ui_test_session ()) == before);
}

static gboolean
png_data_loaded (gpointer data)
{
  SsSessionData *d = ss_session_get_data (ui_test_session ());
  return d != NULL && d->report != NULL && ui_test_maps_shown (NULL);
}

static void
test_png_folder (void)
{
  g_autofree char *dir = NULL, *bad = NULL, *spec = NULL;
  SsSessionData *data;

  g_test_summary ("A folder of PNGs (one of them broken) opens as the data set, converted to "
                  "the model's input; the broken file is listed, and its heatmaps compute");
  if (!ui_test_need_window ())
    return;
  dir = g_build_filename (ui_test_get_tmp_dir (), "pngs", NULL);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(SsImage) image = ss_image_new (40 + i, 40, 3);
      g_autofree char *name = g_strdup_printf ("img%d.png", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      for (int p = 0; p < image->width * image->height * 3; p++)
        image->pixels[p] = (guint8) ((p * 7 + i * 31) % 256);
      g_assert_true (ss_png_save (image, path, NULL));
    }
  bad = g_build_filename (dir, "broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, "not a png", -1, NULL));
  ss_window_set_page (window, "layers");
  spec = g_strconcat ("png:", dir, NULL);
  ss_session_open_data (ui_test_session (), spec, FALSE);
  g_assert_true (ui_test_wait_for (png_data_loaded, NULL, TIMEOUT_S));
  data = ss_session_get_data (ui_test_session ());
  g_assert_cmpuint (ss_dataset_get_size (data->test), ==, 3);
  g_assert_cmpuint (data->report->problems->len, ==, 1);
  g_assert_cmpint (ss_heatmap_panel_get_n_maps (ss_layers_view_get_panel (ui_test_layers_view ())),
                   ==, 3);
}

int
main (int argc, char *argv[])
{
  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/window/open-shipped", test_open_shipped);
  g_test_add_func ("/ui/window/heatmaps", test_heatmaps);
  g_test_add_func ("/ui/window/entropy-bars", test_entropy_bars);
  g_test_add_func ("/ui/window/cancel", test_cancel);
  g_test_add_func ("/ui/window/corrupt-model", test_corrupt_model);
  g_test_add_func ("/ui/window/png-folder", test_png_folder);
  return ui_test_finish (g_test_run (), window);
}
