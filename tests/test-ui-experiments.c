/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The Experiments and History pages of the GTK app on the shipped model (run under Xvfb by meson
 * test), driven through the widgets and actions a user would use, on tiny settings (a few
 * hundred images, one or two epochs, two AMC episodes): each experiment runs on a worker and
 * fills its tables and plots, and a trained model saves on a worker; Cancel leaves a clear
 * cancelled state and the open model as it was; the runs are in the run history with their
 * kinds, open again in their experiment, compare, export as CSV and JSON and delete after a
 * confirmation; the information plane shows the random-weights points and a recorded run's
 * trajectories. The tests run in order on one window. */

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ss-amc-view.h"
#include "ss-experiment-page-private.h"
#include "ss-experiments-view.h"
#include "ss-freeze-view.h"
#include "ss-infoplane-view.h"
#include "ss-job-bar.h"
#include "ss-model-file.h"
#include "ss-prune-filters-view.h"
#include "ss-prune-layers-view.h"
#include "ss-runs-view.h"
#include "ss-train-view.h"
#include "ss-window.h"
#include "ui-test-util.h"

#define TIMEOUT_S 300.0

static SsWindow *window;
static double accuracy_before;   /* the shipped model on the first 200 test images */

static SsExperimentsView *
experiments (void)
{
  return SS_EXPERIMENTS_VIEW (ss_window_get_page (window, "experiments"));
}

static SsRunsView *
runs_view (void)
{
  return SS_RUNS_VIEW (ss_window_get_page (window, "history"));
}

static SsExperimentPage *
page (const char *name)
{
  return ss_experiments_view_get_page (experiments (), name);
}

static GtkWidget *
experiment (const char *name)
{
  return ss_experiments_view_get_experiment (experiments (), name);
}

static void
start_experiment (const char *name)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page (name)), "experiment.start",
                                             NULL));
}

/* ---- Waiting ---- */

static gboolean
job_has_progress (gpointer data)
{
  return ss_job_is_running (SS_JOB (data)) && ss_job_get_fraction (SS_JOB (data)) > 0;
}

static void
wait_done (SsJob *job)
{
  g_assert_true (ui_test_wait_for (ui_test_job_not_running, job, TIMEOUT_S));
  if (ss_job_get_state (job) == SS_JOB_FAILED)
    g_error ("%s failed: %s", ss_job_get_title (job), ss_job_get_message (job));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_DONE);
}

/* Fills the form of experiment name with form, runs it and waits until it is done. */
static void
run_experiment (const char        *name,
                const UiTestField *form)
{
  SsJob *job = ss_experiment_page_get_job (page (name));

  ui_test_set_form (experiment (name), form);
  ss_experiments_view_set_visible (experiments (), name);
  start_experiment (name);
  g_assert_true (ss_job_is_running (job));
  wait_done (job);
  ui_test_spin (0.2);
}

/* The open model's test accuracy on the first 200 test images, on a clone. */
static double
model_accuracy (void)
{
  SsSessionData *data = ss_session_get_data (ui_test_session ());
  g_autoptr(SsNet) net = ss_session_model_clone_net (ss_session_get_model (ui_test_session ()));
  g_autofree guint32 *idx = g_new (guint32, 200);
  g_autoptr(SsDataset) test = NULL;
  double loss, acc;

  for (guint i = 0; i < 200; i++)
    idx[i] = i;
  test = ss_dataset_subset (data->test, idx, 200);
  g_assert_true (ss_evaluate (net, test, 100, &loss, &acc, NULL, NULL));
  return acc;
}

static const SsFigCurves *
curves_of (SsPlot *plot)
{
  SsFigKind kind;
  const SsFigCurves *fig = ss_plot_get_figure (plot, &kind);

  g_assert_nonnull (fig);
  g_assert_cmpint (kind, ==, SS_FIG_CURVES);
  return fig;
}

/* ---- Tests ---- */

static void
test_open (void)
{
  g_autoptr(GSettings) settings = NULL;

  g_test_summary ("The window opens the shipped model and Fashion-MNIST with both profiles");
  /* Small probes: the training observer and the profiles take 10 samples. */
  settings = g_settings_new ("io.github.supersign.Supersign");
  g_settings_set_int (settings, "samples", 10);
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  g_assert_true (ui_test_wait_for (ui_test_model_ready, window, TIMEOUT_S));
  accuracy_before = model_accuracy ();
  ss_window_set_page (window, "experiments");
}

/* Fills the form of experiment name with form, starts it, waits for its first progress and
 * cancels it with win.cancel (Escape). */
static void
cancel_experiment (const char        *name,
                   const UiTestField *form)
{
  SsSessionModel *model = ss_session_get_model (ui_test_session ());
  SsJob *job = ss_experiment_page_get_job (page (name));
  GtkWidget *bar;

  ui_test_set_form (experiment (name), form);
  ss_experiments_view_set_visible (experiments (), name);
  start_experiment (name);
  g_assert_true (ui_test_wait_for (job_has_progress, job, TIMEOUT_S));
  g_test_message ("%s: cancelled at “%s”", name, ss_job_get_message (job));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL));
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_CANCELLED);
  ui_test_spin (1.0);
  g_assert_cmpint (ss_job_get_state (job), ==, SS_JOB_CANCELLED);
  bar = gtk_widget_get_last_child (gtk_widget_get_first_child (GTK_WIDGET (page (name))));
  g_assert_true (SS_IS_JOB_BAR (bar));
  g_assert_cmpstr (ss_job_bar_get_status_text (SS_JOB_BAR (bar)), ==, "Cancelled");
  g_assert_null (ss_experiment_page_get_result (page (name)));
  /* The open model is the one from before, and computes as before. */
  g_assert_true (ss_session_get_model (ui_test_session ()) == model);
  g_assert_cmpfloat (model_accuracy (), ==, accuracy_before);
}

static void
test_cancel (void)
{
  g_test_summary ("Cancel (win.cancel) during each experiment leaves its job cancelled, its bar "
                  "saying so, no result, and the open model unchanged");
  if (!ui_test_need_window ())
    return;
  cancel_experiment ("freeze", (const UiTestField[]) { { "epochs", 3 }, { "train-images", 3000 },
    { "test-images", 200 }, { NULL } });

  cancel_experiment ("prune-layers", (const UiTestField[]) { { "retrain-epochs", 3 },
    { "train-images", 3000 }, { "test-images", 200 }, { "samples", 10 }, { NULL } });

  cancel_experiment ("prune-filters", (const UiTestField[]) { { "rounds", 3 },
    { "train-images", 3000 }, { "test-images", 200 }, { "samples", 20 }, { NULL } });

  cancel_experiment ("amc", (const UiTestField[]) { { "episodes", 50 }, { "train-images", 1000 },
    { "val-size", 100 }, { "calibration", 100 }, { "test-images", 200 }, { NULL } });
}

static void
test_train (void)
{
  SsTrainView *view;
  const SsFigCurves *acc;
  double raw, smoothed;
  SsFigTicks ticks;

  g_test_summary ("Two epochs of training on 200 images draw the loss, accuracy and entropy "
                  "curves epoch by epoch on integer ticks, smoothed by the slider with the raw "
                  "curve kept, and give the information plane a profile per epoch");
  if (!ui_test_need_window ())
    return;
  run_experiment ("train", (const UiTestField[]) { { "epochs", 2 }, { "train-images", 200 },
    { "test-images", 200 }, { NULL } });
  view = SS_TRAIN_VIEW (experiment ("train"));
  g_assert_nonnull (ss_experiment_page_get_result (ss_train_view_get_page (view)));
  g_assert_nonnull (ss_experiment_page_get_message (ss_train_view_get_page (view)));
  g_assert_cmpuint (ss_session_get_epoch_profiles (ui_test_session ())->len, ==, 2);

  gtk_stack_set_visible_child_name (GTK_STACK (gtk_widget_get_parent (
    GTK_WIDGET (ss_experiment_page_get_plot (page ("train"))))), "accuracy");
  acc = curves_of (ss_experiment_page_get_plot (page ("train")));
  g_assert_cmpint (ss_fig_curves_get_n_series (acc), ==, 2);
  g_assert_cmpint (ss_fig_curves_get_n_points (acc, 1), ==, 2);
  ss_fig_curves_get_x_ticks (acc, 640, 400, NULL, &ticks);
  g_assert_cmpint (ticks.n, >=, 2);
  for (int t = 0; t < ticks.n; t++)
    g_assert_cmpfloat (ticks.values[t], ==, floor (ticks.values[t]));

  /* The slider smooths every curve of the page; the raw values stay. */
  ss_experiment_page_set_smoothing (page ("train"), 0.9);
  ss_fig_curves_get_point (acc, 0, 1, NULL, &raw, &smoothed);
  g_assert_cmpfloat (ss_plot_get_smoothing (ss_experiment_page_get_plot (page ("train"))), ==,
                     0.9);
  g_assert_cmpfloat (smoothed, !=, raw);
  ss_experiment_page_set_smoothing (page ("train"), 0);
}

static void
test_freeze (void)
{
  SsTable *table;
  const SsFigCurves *acc;

  g_test_summary ("A freeze comparison of two epochs fills Table 2.6's rows for both runs and "
                  "both accuracy curves");
  if (!ui_test_need_window ())
    return;
  run_experiment ("freeze", (const UiTestField[]) { { "epochs", 2 }, { "train-images", 200 },
    { "test-images", 200 }, { "window", 2 }, { "earliest", 2 }, { NULL } });
  table = ss_freeze_view_get_table (SS_FREEZE_VIEW (experiment ("freeze")));
  g_assert_cmpuint (ss_table_get_n_columns (table), ==, 6);
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 2);
  for (guint r = 0; r < 2; r++)
    {
      g_assert_cmpstr (ss_table_get_cell (table, r, 0), ==, r == 0 ? "1" : "2");
      g_assert_nonnull (strstr (ss_table_get_cell (table, r, 1), "%"));
      g_assert_nonnull (strstr (ss_table_get_cell (table, r, 2), "%"));
    }
  acc = curves_of (ss_freeze_view_get_plot (SS_FREEZE_VIEW (experiment ("freeze"))));
  g_assert_cmpint (ss_fig_curves_get_n_points (acc, 0), ==, 2);
  g_assert_cmpint (ss_fig_curves_get_n_points (acc, 1), ==, 2);
  g_assert_nonnull (ss_experiment_page_get_result (page ("freeze")));
}

static void
test_prune_layers (void)
{
  SsPruneLayersView *view;
  SsTable *table;
  const SsFigCurves *acc;
  double original;

  g_test_summary ("Greedy layer removal, one removal with a retraining epoch on 300 images: "
                  "the step table has the original and the step, the accuracy plot a point "
                  "each, and the final model is offered");
  if (!ui_test_need_window ())
    return;
  run_experiment ("prune-layers", (const UiTestField[]) { { "epochs", 0 }, { "retrain-epochs", 1 },
    { "max-removals", 1 }, { "samples", 10 }, { "train-images", 300 }, { "test-images", 200 },
    { NULL } });
  view = SS_PRUNE_LAYERS_VIEW (experiment ("prune-layers"));
  table = ss_prune_layers_view_get_table (view);
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 2);
  g_assert_cmpstr (ss_table_get_cell (table, 0, 7), ==, "original");
  g_assert_cmpstr (ss_table_get_cell (table, 1, 0), ==, "1");
  g_assert_cmpstr (ss_table_get_cell (table, 1, 1), !=, "");
  acc = curves_of (ss_prune_layers_view_get_plot (view));
  g_assert_cmpint (ss_fig_curves_get_n_points (acc, 0), ==, 2);
  ss_fig_curves_get_point (acc, 0, 0, NULL, &original, NULL);
  g_assert_cmpfloat (original, ==, accuracy_before);
  g_assert_nonnull (ss_experiment_page_get_result (page ("prune-layers")));
}

static gboolean
relevance_shown (gpointer data)
{
  SsPruneFiltersView *view = data;
  SsJob *job = ss_relevance_panel_get_job (ss_prune_filters_view_get_relevance (view));

  return !ss_job_is_running (job) &&
         ss_plot_get_figure (ss_prune_filters_view_get_relevance_plot (view), NULL) != NULL;
}

static void
test_prune_filters (void)
{
  SsPruneFiltersView *view;
  SsTable *table;
  const SsFigBars *bars;
  SsNet *pruned;
  SsFigKind kind;

  g_test_summary ("Filter pruning by spatial MI to half the filters in two rounds with a "
                  "fine-tuning epoch each: a table row per round with the filters per layer, "
                  "and the relevance of a layer's filters as bars");
  if (!ui_test_need_window ())
    return;
  view = SS_PRUNE_FILTERS_VIEW (experiment ("prune-filters"));
  run_experiment ("prune-filters", (const UiTestField[]) { { "criterion", 0 }, { "target", 0 },
    { "fraction", 0.5 }, { "rounds", 2 }, { "finetune-epochs", 1 }, { "samples", 20 },
    { "train-images", 200 }, { "test-images", 200 }, { NULL } });
  table = ss_prune_filters_view_get_table (view);
  /* Round, conv1 … conv4, parameters, MACs, accuracy, relevance and fine-tuning seconds. */
  g_assert_cmpuint (ss_table_get_n_columns (table), ==, 10);
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 3);
  g_assert_cmpstr (ss_table_get_cell (table, 0, 1), ==, "32");
  g_assert_cmpstr (ss_table_get_cell (table, 1, 1), ==, "24");
  g_assert_cmpstr (ss_table_get_cell (table, 2, 1), ==, "16");
  g_assert_cmpstr (ss_table_get_cell (table, 2, 4), ==, "32");
  g_assert_cmpint (ss_fig_curves_get_n_points (curves_of (ss_prune_filters_view_get_plot (view)),
                                               0), ==, 3);
  pruned = ss_experiment_page_get_result (page ("prune-filters"));
  g_assert_nonnull (pruned);
  g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (pruned),
                                     ss_arch_find_node (ss_net_get_arch (pruned), "conv1"))->out,
                   ==, 16);

  /* The optional relevance view: every layer scored, conv1's 32 filters as bars. */
  gtk_widget_activate (ui_test_find_named (GTK_WIDGET (view), "compute-relevance"));
  g_assert_true (ui_test_wait_for (relevance_shown, view, TIMEOUT_S));
  bars = ss_plot_get_figure (ss_prune_filters_view_get_relevance_plot (view), &kind);
  g_assert_cmpint (kind, ==, SS_FIG_BARS);
  g_assert_cmpint (ss_fig_bars_get_n_layers (bars), ==, 32);
  g_assert_true (ss_relevance_panel_show_layer (ss_prune_filters_view_get_relevance (view),
                                                "conv3"));
  bars = ss_plot_get_figure (ss_prune_filters_view_get_relevance_plot (view), NULL);
  g_assert_cmpint (ss_fig_bars_get_n_layers (bars), ==, 64);
}

static void
test_amc (void)
{
  SsAmcView *view;
  SsTable *table;
  const SsFigCurves *episodes;
  double reward, best0, best1;

  g_test_summary ("Two AMC episodes with the entropy reward: the episode plot has each reward "
                  "and the best so far, the channel table the best policy, and the pruned, "
                  "fine-tuned model is offered");
  if (!ui_test_need_window ())
    return;
  view = SS_AMC_VIEW (experiment ("amc"));
  run_experiment ("amc", (const UiTestField[]) { { "reward", 1 }, { "episodes", 2 },
    { "warmup", 1 }, { "finetune-epochs", 1 }, { "val-size", 100 }, { "calibration", 100 },
    { "entropy-samples", 20 }, { "train-images", 600 }, { "test-images", 200 }, { NULL } });
  episodes = curves_of (ss_amc_view_get_plot (view));
  g_assert_cmpint (ss_fig_curves_get_n_points (episodes, 0), ==, 2);
  g_assert_cmpint (ss_fig_curves_get_n_points (episodes, 1), ==, 2);
  ss_fig_curves_get_point (episodes, 0, 1, NULL, &reward, NULL);
  ss_fig_curves_get_point (episodes, 1, 0, NULL, NULL, &best0);
  ss_fig_curves_get_point (episodes, 1, 1, NULL, &best1, NULL);
  g_assert_cmpfloat (best1, ==, MAX (best0, reward));
  table = ss_amc_view_get_table (view);
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 4);
  g_assert_cmpstr (ss_table_get_cell (table, 0, 0), ==, "conv1");
  g_assert_cmpstr (ss_table_get_cell (table, 0, 1), ==, "32");
  g_assert_cmpstr (ss_table_get_cell (table, 0, 2), !=, "—");
  g_assert_nonnull (ss_experiment_page_get_result (page ("amc")));
  g_assert_nonnull (strstr (ss_experiment_page_get_message (page ("amc")), "Best policy"));
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WINDOW (w);
    }
  return NULL;
}

static gboolean
job_ended (gpointer job)
{
  return ss_job_get_state (job) == SS_JOB_DONE || ss_job_get_state (job) == SS_JOB_FAILED;
}

static gboolean
chooser_shown (gpointer data)
{
  return find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) != NULL;
}

static void
test_save_model (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) saved = NULL;
  SsNet *result;
  GtkWindow *chooser;

  g_test_summary ("Save Model asks for a file and writes the trained model on a worker, with "
                  "the data set in its metadata");
  if (!ui_test_need_window ())
    return;
  result = ss_experiment_page_get_result (page ("train"));
  g_assert_nonnull (result);
  path = g_build_filename (ui_test_get_tmp_dir (), "trained.safetensors", NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page ("train")),
                                             "experiment.save-model", NULL));
  g_assert_true (ui_test_wait_for (chooser_shown, NULL, TIMEOUT_S));
  chooser = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  /* The name entry of a save dialog takes a whole path, as typed. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), path);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  g_assert_true (ui_test_wait_for (job_ended, page ("train")->save_job, TIMEOUT_S));
  g_assert_cmpint (ss_job_get_state (page ("train")->save_job), ==, SS_JOB_DONE);
  saved = ss_model_load (path, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_macs (ss_net_get_arch (saved)), ==,
                   ss_arch_total_macs (ss_net_get_arch (result)));
  g_assert_cmpstr (g_hash_table_lookup (meta, SS_MODEL_META_DATASET), ==,
                   ss_session_get_data (ui_test_session ())->spec);
}

static gboolean
model_is (gpointer data)
{
  return ss_session_get_model (ui_test_session ()) != NULL &&
         ss_session_get_model (ui_test_session ())->net != data && ui_test_model_ready (window);
}

static void
test_use_model (void)
{
  SsNet *result, *before;
  const SsArch *arch;

  g_test_summary ("Use Model puts AMC's pruned network in place of the open model");
  if (!ui_test_need_window ())
    return;
  result = ss_experiment_page_get_result (page ("amc"));
  g_assert_nonnull (result);
  before = ss_session_get_model (ui_test_session ())->net;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page ("amc")), "experiment.use-model",
                                             NULL));
  g_assert_true (ui_test_wait_for (model_is, before, TIMEOUT_S));
  arch = ss_net_get_arch (ss_session_get_model (ui_test_session ())->net);
  g_assert_cmpint (ss_arch_total_macs (arch), ==, ss_arch_total_macs (ss_net_get_arch (result)));
  g_assert_nonnull (strstr (ss_session_get_model (ui_test_session ())->origin, "AMC"));
}

static gboolean
runs_listed (gpointer data)
{
  return !ss_job_is_running (ss_runs_view_get_job (runs_view ())) &&
         ss_runs_view_get_n_runs (runs_view ()) > 0;
}

/* The newest run of kind with status (and arm, if not NULL), or 0. */
static gint64
find_run (const char  *kind,
          SsRunStatus  status,
          const char  *arm)
{
  for (guint i = 0; i < ss_runs_view_get_n_runs (runs_view ()); i++)
    {
      const SsRunRecord *r = ss_runs_view_get_record (runs_view (), i);
      if (g_str_equal (r->kind, kind) && r->status == status &&
          (arm == NULL || strstr (r->config_json, arm) != NULL))
        return r->id;
    }
  return 0;
}

static void
open_run (gint64 id)
{
  g_assert_cmpint (id, >, 0);
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (runs_view ()), "runs.open",
                                                     g_variant_new_int64 (id)));
  wait_done (ss_runs_view_get_task_job (runs_view ()));
  ui_test_spin (0.2);
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static void
test_history (void)
{
  const char *kinds[] = { SS_RUN_KIND_TRAIN, SS_RUN_KIND_FREEZE_COMPARE,
                          SS_RUN_KIND_PRUNE_LAYERS, SS_RUN_KIND_PRUNE_FILTERS, SS_RUN_KIND_AMC };
  g_autofree char *csv = NULL, *json = NULL, *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gint64 normal, freezing, gone, ids[2];
  const SsFigCurves *compared;
  SsTable *table;
  guint n;

  g_test_summary ("The History page lists the runs of every kind (the cancelled ones as "
                  "interrupted), opens them in their experiment, compares the two runs of a "
                  "freeze comparison, exports a run as CSV and JSON and deletes one after a "
                  "confirmation");
  if (!ui_test_need_window ())
    return;
  ss_window_set_page (window, "history");
  ss_runs_view_refresh (runs_view ());
  g_assert_true (ui_test_wait_for (runs_listed, NULL, TIMEOUT_S));
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    g_assert_cmpint (find_run (kinds[k], SS_RUN_FINISHED, NULL), >, 0);
  g_assert_cmpint (find_run (SS_RUN_KIND_PRUNE_LAYERS, SS_RUN_INTERRUPTED, NULL), >, 0);
  g_assert_cmpint (find_run (SS_RUN_KIND_AMC, SS_RUN_INTERRUPTED, NULL), >, 0);

  /* Opened, a run shows in its experiment as it did live. */
  open_run (find_run (SS_RUN_KIND_PRUNE_LAYERS, SS_RUN_FINISHED, NULL));
  g_assert_cmpstr (ss_experiments_view_get_visible (experiments ()), ==, "prune-layers");
  table = ss_prune_layers_view_get_table (SS_PRUNE_LAYERS_VIEW (experiment ("prune-layers")));
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 2);
  g_assert_null (ss_experiment_page_get_result (page ("prune-layers")));

  open_run (find_run (SS_RUN_KIND_PRUNE_FILTERS, SS_RUN_FINISHED, NULL));
  table = ss_prune_filters_view_get_table (SS_PRUNE_FILTERS_VIEW (experiment ("prune-filters")));
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 3);
  g_assert_cmpstr (ss_table_get_cell (table, 2, 1), ==, "16");

  open_run (find_run (SS_RUN_KIND_AMC, SS_RUN_FINISHED, NULL));
  table = ss_amc_view_get_table (SS_AMC_VIEW (experiment ("amc")));
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 4);

  /* Either run of a freeze comparison opens the pair. */
  normal = find_run (SS_RUN_KIND_FREEZE_COMPARE, SS_RUN_FINISHED, "\"normal\"");
  freezing = find_run (SS_RUN_KIND_FREEZE_COMPARE, SS_RUN_FINISHED, "\"freezing\"");
  g_assert_cmpint (freezing, ==, normal + 1);
  open_run (freezing);
  table = ss_freeze_view_get_table (SS_FREEZE_VIEW (experiment ("freeze")));
  g_assert_cmpuint (ss_table_get_n_rows (table), ==, 2);
  g_assert_nonnull (strstr (ss_table_get_cell (table, 1, 1), "%"));
  g_assert_nonnull (strstr (ss_table_get_cell (table, 1, 2), "%"));

  /* Compared: the normal and the freezing run's test accuracy per epoch. */
  ss_window_set_page (window, "history");
  ids[0] = normal;
  ids[1] = freezing;
  ss_runs_view_set_compared (runs_view (), ids, 2);
  wait_done (ss_runs_view_get_task_job (runs_view ()));
  compared = curves_of (ss_runs_view_get_plot (runs_view ()));
  g_assert_cmpint (ss_fig_curves_get_n_series (compared), ==, 2);
  g_assert_cmpint (ss_fig_curves_get_n_points (compared, 0), ==, 2);
  g_assert_cmpint (ss_fig_curves_get_n_points (compared, 1), ==, 2);
  g_assert_nonnull (strstr (ss_fig_curves_get_label (compared, 1), "freezing"));
  ss_runs_view_set_metric (runs_view (), SS_RUNS_METRIC_TRAIN_LOSS);
  compared = curves_of (ss_runs_view_get_plot (runs_view ()));
  g_assert_cmpint (ss_fig_curves_get_n_points (compared, 0), ==, 2);

  /* Exported. */
  csv = g_build_filename (ui_test_get_tmp_dir (), "run.csv", NULL);
  json = g_build_filename (ui_test_get_tmp_dir (), "run.json", NULL);
  ss_runs_view_export (runs_view (), normal, SS_RUN_FORMAT_CSV, csv);
  wait_done (ss_runs_view_get_task_job (runs_view ()));
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "observation,epoch,"));
  g_assert_nonnull (strstr (ss_window_get_last_toast (window), "exported"));
  ss_runs_view_export (runs_view (), normal, SS_RUN_FORMAT_JSON, json);
  wait_done (ss_runs_view_get_task_job (runs_view ()));
  g_assert_true (json_parser_load_from_file (parser, json, NULL));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (
                     json_parser_get_root (parser)), "kind"), ==, SS_RUN_KIND_FREEZE_COMPARE);

  /* Deleted after the confirmation; Cancel keeps it. */
  gone = find_run (SS_RUN_KIND_AMC, SS_RUN_INTERRUPTED, NULL);
  n = ss_runs_view_get_n_runs (runs_view ());
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (runs_view ()), "runs.delete",
                                                     g_variant_new_int64 (gone)));
  g_assert_true (ui_test_wait_for (dialog_shown, NULL, TIMEOUT_S));
  adw_message_dialog_response (find_dialog (), "cancel");
  ui_test_spin (0.3);
  g_assert_cmpuint (ss_runs_view_get_n_runs (runs_view ()), ==, n);
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (runs_view ()), "runs.delete",
                                                     g_variant_new_int64 (gone)));
  g_assert_true (ui_test_wait_for (dialog_shown, NULL, TIMEOUT_S));
  adw_message_dialog_response (find_dialog (), "delete");
  wait_done (ss_runs_view_get_task_job (runs_view ()));
  g_assert_true (ui_test_wait_for (runs_listed, NULL, TIMEOUT_S));
  g_assert_cmpuint (ss_runs_view_get_n_runs (runs_view ()), ==, n - 1);
  for (guint i = 0; i < ss_runs_view_get_n_runs (runs_view ()); i++)
    g_assert_cmpint (ss_runs_view_get_record (runs_view (), i)->id, !=, gone);
}

static void
test_infoplane (void)
{
  SsInfoplaneView *view;
  const SsFigInfoplane *fig;
  SsFigKind kind;

  g_test_summary ("The information plane shows the random-weights points beside the model's, "
                  "and a training run opened from the history as trajectories, one point per "
                  "epoch");
  if (!ui_test_need_window ())
    return;
  view = SS_INFOPLANE_VIEW (ss_window_get_page (window, "infoplane"));
  ss_window_set_page (window, "infoplane");
  gtk_toggle_button_set_active (
    GTK_TOGGLE_BUTTON (ui_test_find_named (GTK_WIDGET (view), "random")), TRUE);
  fig = ss_plot_get_figure (ss_infoplane_view_get_plot (view), &kind);
  g_assert_cmpint (kind, ==, SS_FIG_INFOPLANE);
  g_assert_cmpint (ss_fig_infoplane_get_n_layers (fig), >, 0);
  for (int l = 0; l < ss_fig_infoplane_get_n_layers (fig); l++)
    g_assert_true (ss_fig_infoplane_get_reference (fig, l, NULL, NULL));

  ss_runs_view_refresh (runs_view ());
  g_assert_true (ui_test_wait_for (runs_listed, NULL, TIMEOUT_S));
  open_run (find_run (SS_RUN_KIND_TRAIN, SS_RUN_FINISHED, NULL));
  g_assert_cmpuint (ss_session_get_epoch_profiles (ui_test_session ())->len, ==, 2);
  g_assert_true (gtk_toggle_button_get_active (
    GTK_TOGGLE_BUTTON (ui_test_find_named (GTK_WIDGET (view), "epochs"))));
  fig = ss_plot_get_figure (ss_infoplane_view_get_plot (view), NULL);
  for (int l = 0; l < ss_fig_infoplane_get_n_layers (fig); l++)
    g_assert_cmpint (ss_fig_infoplane_get_n_points (fig, l), ==, 2);
}

int
main (int argc, char *argv[])
{
  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/experiments/open", test_open);
  g_test_add_func ("/ui/experiments/cancel", test_cancel);
  g_test_add_func ("/ui/experiments/train", test_train);
  g_test_add_func ("/ui/experiments/save-model", test_save_model);
  g_test_add_func ("/ui/experiments/freeze-compare", test_freeze);
  g_test_add_func ("/ui/experiments/prune-layers", test_prune_layers);
  g_test_add_func ("/ui/experiments/prune-filters", test_prune_filters);
  g_test_add_func ("/ui/experiments/amc", test_amc);
  g_test_add_func ("/ui/experiments/use-model", test_use_model);
  g_test_add_func ("/ui/experiments/history", test_history);
  g_test_add_func ("/ui/experiments/infoplane", test_infoplane);
  return ui_test_finish (g_test_run (), window);
}
