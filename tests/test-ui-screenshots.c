/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The screenshots of docs/images (run under Xvfb by meson test; `ninja -C BUILD screenshots`
 * copies them into docs/images): each page of the app at a fixed window size, driven as a user
 * would — the Layers page with a clicked layer's heatmaps, the entropy bars (in light and dark
 * style), a short live training on the Experiments page, the information plane with its
 * trajectories, and the History page comparing two runs. Each is saved as a PNG into
 * SS_SCREENSHOT_DIR (the build's tests/screenshots) and checked: a PNG of the window's size,
 * not blank, small enough to commit, and without the blank strip of a job bar with nothing to
 * say. */

#include <glib/gstdio.h>

#include "ss-experiments-view.h"
#include "ss-job-bar.h"
#include "ss-layers-view.h"
#include "ss-runs-view.h"
#include "ss-train-view.h"
#include "ui-test-util.h"

#define TIMEOUT_S 600.0
/* The window's default size, the app's (window-width × window-height); the screenshot is the
 * window's widget, a little smaller (GTK keeps a margin for the client-side frame). */
#define WIDTH 1280
#define HEIGHT 820
#define FRAME_SLACK 24
/* Screenshots are committed: keep each well under this. */
#define MAX_BYTES (300 * 1024)

static SsWindow *window;
static char *shot_dir;
/* The training runs: short in the test suite; longer for docs/images (`ninja screenshots` sets
 * SS_SCREENSHOTS_FOR_DOCS), for curves worth looking at. */
static int epochs = 2, train_images = 500, test_images = 500;

static SsExperimentsView *
experiments (void)
{
  return SS_EXPERIMENTS_VIEW (ss_window_get_page (window, "experiments"));
}

/* Whether every shown job bar under root whose job has nothing to say (idle or done) has slid
 * away: one that takes space would be a blank strip across the screenshot. */
static gboolean
idle_bars_collapsed (gpointer root)
{
  if (SS_IS_JOB_BAR (root) && gtk_widget_get_mapped (root))
    {
      SsJob *job = ss_job_bar_get_job (SS_JOB_BAR (root));
      SsJobState state = job != NULL ? ss_job_get_state (job) : SS_JOB_IDLE;

      if ((state == SS_JOB_IDLE || state == SS_JOB_DONE) && gtk_widget_get_height (root) > 0)
        return FALSE;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (!idle_bars_collapsed (child))
      return FALSE;
  return TRUE;
}

/* Saves the window as shot_dir/name after it has drawn, then checks the file. */
static void
shoot (const char *name)
{
  g_autofree char *path = g_build_filename (shot_dir, name, NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  double variance;

  ui_test_spin (0.8);
  /* A bar slides away in a quarter of a second: wait for it rather than take it half gone. */
  g_assert_true (ui_test_wait_for (idle_bars_collapsed, window, 10));
  g_assert_true (ss_window_save_screenshot (window, path, &error));
  g_assert_no_error (error);
  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, gtk_widget_get_width (GTK_WIDGET (window)));
  g_assert_cmpint (gdk_texture_get_height (texture), ==,
                   gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_cmpint (gdk_texture_get_width (texture), >, WIDTH - FRAME_SLACK);
  g_assert_cmpint (gdk_texture_get_width (texture), <=, WIDTH);
  g_assert_cmpint (gdk_texture_get_height (texture), >, HEIGHT - FRAME_SLACK);
  g_assert_cmpint (gdk_texture_get_height (texture), <=, HEIGHT);
  variance = ui_test_luma_variance (texture);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_test_message ("%s: %d × %d, %.0f KiB, luma variance %.0f", path,
                  gdk_texture_get_width (texture), gdk_texture_get_height (texture),
                  st.st_size / 1024.0, variance);
  /* A blank or single-colour window has a variance near 0; any page with text has hundreds. */
  g_assert_cmpfloat (variance, >, 100);
  g_assert_cmpint (st.st_size, <, MAX_BYTES);
}

static void
test_layers (void)
{
  const SsArch *arch;

  g_test_summary ("The Layers page with conv2 clicked: its Grad-CAM heatmaps over a page of "
                  "samples");
  window = ui_test_open_window_sized (WIDTH, HEIGHT);
  if (window == NULL)
    return;
  g_assert_true (ui_test_wait_for (ui_test_model_ready, window, TIMEOUT_S));
  arch = ss_net_get_arch (ss_session_get_model (ui_test_session ())->net);
  ss_window_set_page (window, "layers");
  ss_layers_view_select_node (ui_test_layers_view (), ss_arch_find_node (arch, "conv2"));
  g_assert_true (ui_test_wait_for (ui_test_maps_shown, NULL, TIMEOUT_S));
  shoot ("app-layers.png");
}

static void
test_entropy (void)
{
  g_test_summary ("The Entropy page: the supersign bars of the trained and random weights, in "
                  "light and in dark style");
  if (!ui_test_need_window ())
    return;
  ss_window_set_page (window, "entropy");
  shoot ("app-entropy.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.style", "s", "dark"));
  shoot ("app-entropy-dark.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.style", "s", "light"));
}

/* Trains fresh weights of the open model's architecture for the epochs at lr. */
static void
train (double lr)
{
  SsTrainView *view = SS_TRAIN_VIEW (ss_experiments_view_get_experiment (experiments (), "train"));
  SsExperimentPage *page = ss_train_view_get_page (view);
  SsJob *job = ss_train_view_get_job (view);

  ui_test_set_form (GTK_WIDGET (view), (const UiTestField[]) {
    { "epochs", epochs }, { "lr", lr }, { "train-images", train_images },
    { "test-images", test_images }, { NULL } });
  gtk_switch_set_active (GTK_SWITCH (ui_test_find_named (GTK_WIDGET (view), "fresh")), TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "experiment.start", NULL));
  g_assert_true (ss_job_is_running (job));
  g_assert_true (ui_test_wait_for (ui_test_job_not_running, job, TIMEOUT_S));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_DONE);
}

static void
test_experiments (void)
{
  SsExperimentPage *page;

  g_test_summary ("The Experiments page after a short live training from fresh weights: its "
                  "accuracy curves, smoothed");
  if (!ui_test_need_window ())
    return;
  ss_window_set_page (window, "experiments");
  ss_experiments_view_set_visible (experiments (), "train");
  train (0.05);
  page = ss_experiments_view_get_page (experiments (), "train");
  gtk_stack_set_visible_child_name (GTK_STACK (gtk_widget_get_parent (
    GTK_WIDGET (ss_experiment_page_get_plot (page)))), "accuracy");
  ss_experiment_page_set_smoothing (page, 0.6);
  shoot ("app-experiments.png");
}

static void
test_infoplane (void)
{
  GtkWidget *view;

  g_test_summary ("The Information Plane: the training run's trajectories, one point per "
                  "epoch, and the random-weights points");
  if (!ui_test_need_window ())
    return;
  view = ss_window_get_page (window, "infoplane");
  ss_window_set_page (window, "infoplane");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui_test_find_named (view, "epochs")), TRUE);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui_test_find_named (view, "random")), TRUE);
  g_assert_cmpuint (ss_session_get_epoch_profiles (ui_test_session ())->len, ==, (guint) epochs);
  shoot ("app-infoplane-epochs.png");
}

static gboolean
runs_listed (gpointer data)
{
  SsRunsView *runs = data;

  return !ss_job_is_running (ss_runs_view_get_job (runs)) &&
         ss_runs_view_get_n_runs (runs) >= 2;
}

static void
test_history (void)
{
  SsRunsView *runs;
  gint64 ids[2];

  g_test_summary ("The History page: the run list and two training runs (learning rates 0.05 "
                  "and 0.01) compared by test accuracy");
  if (!ui_test_need_window ())
    return;
  runs = SS_RUNS_VIEW (ss_window_get_page (window, "history"));
  ss_window_set_page (window, "experiments");
  train (0.01);
  ss_window_set_page (window, "history");
  ss_runs_view_refresh (runs);
  g_assert_true (ui_test_wait_for (runs_listed, runs, TIMEOUT_S));
  /* Newest first. */
  ids[0] = ss_runs_view_get_record (runs, 1)->id;
  ids[1] = ss_runs_view_get_record (runs, 0)->id;
  ss_runs_view_set_compared (runs, ids, 2);
  g_assert_true (ui_test_wait_for (ui_test_job_not_running, ss_runs_view_get_task_job (runs),
                                   TIMEOUT_S));
  shoot ("app-history.png");
}

int
main (int argc, char *argv[])
{
  int status;

  ui_test_init (&argc, &argv);
  shot_dir = g_strdup (g_getenv ("SS_SCREENSHOT_DIR"));
  if (shot_dir == NULL)
    shot_dir = g_build_filename (ui_test_get_tmp_dir (), "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (shot_dir, 0755), ==, 0);
  if (g_getenv ("SS_SCREENSHOTS_FOR_DOCS") != NULL)
    {
      epochs = 4;
      train_images = 2000;
      test_images = 1000;
    }

  g_test_add_func ("/ui/screenshots/layers", test_layers);
  g_test_add_func ("/ui/screenshots/entropy", test_entropy);
  g_test_add_func ("/ui/screenshots/experiments", test_experiments);
  g_test_add_func ("/ui/screenshots/infoplane", test_infoplane);
  g_test_add_func ("/ui/screenshots/history", test_history);
  status = ui_test_finish (g_test_run (), window);
  g_free (shot_dir);
  return status;
}
