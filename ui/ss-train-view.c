/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-job-bar.h"
#include "ss-model-file.h"
#include "ss-observer.h"
#include "ss-runs.h"
#include "ss-runs-view.h"
#include "ss-train-view.h"

struct _SsTrainView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkAdjustment  *epochs;
  GtkAdjustment  *lr;
  GtkAdjustment  *batch;
  GtkAdjustment  *subset;
  GtkSwitch      *fresh_switch;
  GtkSwitch      *freeze_switch;
  GtkSwitch      *record_switch;
  GtkButton      *start_button;
  GtkLabel       *result_label;
  GtkBox         *result_box;
  GtkStack       *content;
  AdwStatusPage  *status;
  GtkStack       *plots;
  SsPlot         *loss_plot;
  SsPlot         *acc_plot;
  SsPlot         *entropy_plot;
  SsJobBar       *job_bar;
  SsRunsView     *runs_view;

  /* Owned */
  SsSession      *session;
  SsJob          *job;
  SsSessionModel *run_model;    /* the model the current run started from */
  int             run_probe;    /* its probe's size and AME bins */
  int             run_bins;
  SsNet          *trained;      /* the last finished run's net */
  char           *trained_spec;

  /* Borrowed: owned by the plots, changed on the main thread only */
  SsFigCurves    *loss_fig;
  SsFigCurves    *acc_fig;
  SsFigCurves    *entropy_fig;
  GArray         *entropy_series;   /* int: the entropy figure's series of each saliency layer, -1 if none */
};

G_DEFINE_FINAL_TYPE (SsTrainView, ss_train_view, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsSessionModel *model;
  SsSessionData  *data;
  SsTrainConfig   config;
  int             subset;
  gboolean        fresh;
  gboolean        freeze;
  gboolean        record;
  int             probe;
  int             bins;
  GWeakRef       *history;    /* the SsRunsView to refresh once the run is recorded */
  /* Worker thread only */
  SsJobTask      *task;
  SsRunDb        *db;
  gint64          run;
} TrainIn;

static void
history_ref_free (gpointer p)
{
  g_weak_ref_clear (p);
  g_free (p);
}

/* Main thread: the run history changed (a run ended, also a cancelled one whose result is
 * dropped), so the list reads it again. */
static gboolean
history_changed (gpointer p)
{
  g_autoptr(GObject) view = g_weak_ref_get (p);

  if (view != NULL)
    ss_runs_view_refresh (SS_RUNS_VIEW (view));
  return G_SOURCE_REMOVE;
}

static void
train_in_free (gpointer p)
{
  TrainIn *in = p;

  ss_session_model_unref (in->model);
  ss_session_data_unref (in->data);
  if (in->db != NULL)
    {
      g_clear_pointer (&in->db, ss_run_db_free);
      g_idle_add_full (G_PRIORITY_DEFAULT, history_changed, g_steal_pointer (&in->history),
                       history_ref_free);
    }
  g_clear_pointer (&in->history, history_ref_free);
  g_free (in);
}

static void
on_progress (const SsTrainProgress *p,
             gpointer               user_data)
{
  TrainIn *in = user_data;
  double fraction = (p->epoch + (p->n_batches ? (double) p->batch / p->n_batches : 0)) / p->epochs;
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Epoch %d of %d · batch %lu of %lu · loss %.3f · %.0f images/s · "
                            "%.0f s left"),
                          p->epoch + 1, p->epochs, (unsigned long) p->batch,
                          (unsigned long) p->n_batches, p->train_loss, p->images_per_s,
                          p->eta_seconds);
  ss_job_task_progress (in->task, MIN (fraction, 0.999), text);
}

static void epoch_posted (GObject *target, gpointer data);

static void
on_observation (SsObservation *obs,
                gpointer       user_data)
{
  TrainIn *in = user_data;
  const SsTrainProgress *p = ss_observation_get_progress (obs);

  if (!p->epoch_done)
    return;
  if (in->db != NULL)
    {
      int n = ss_observation_get_n_layers (obs);
      g_autofree SsRunLayerPoint *points = g_new0 (SsRunLayerPoint, n);
      SsRunObservation ro = { 0 };

      for (int i = 0; i < n; i++)
        {
          const SsLayerProfile *lp = ss_observation_get_layer (obs, i);
          points[i].layer = lp->name;
          points[i].saliency_mean = lp->saliency_mean;
          points[i].saliency_sd = lp->saliency_sd;
          points[i].i_xt = lp->i_xt;
          points[i].i_ty = lp->i_ty;
          points[i].frozen = ss_observation_get_freeze (obs, i)->frozen;
        }
      ro.epoch = p->epoch;
      ro.batch = (gint64) p->batch;
      ro.epoch_end = TRUE;
      ro.seconds = p->epoch_seconds;
      ro.lr = p->lr;
      ro.train_loss = p->train_loss;
      ro.train_acc = p->train_acc;
      ro.test_loss = p->test_loss;
      ro.test_acc = p->test_acc;
      ro.layers = points;
      ro.n_layers = (guint) n;
      if (!ss_run_db_add_observation (in->db, in->run, &ro, NULL))
        g_clear_pointer (&in->db, ss_run_db_free);   /* stop recording, keep training */
    }
  ss_job_task_post (in->task, epoch_posted, ss_observation_ref (obs),
                    (GDestroyNotify) ss_observation_unref);
}

static SsDataset *
load_train (TrainIn  *in,
            GError  **error)
{
  g_autoptr(SsDataset) train = ss_dataset_load (in->data->spec, TRUE, error);
  g_autofree guint32 *idx = NULL;
  gsize n;

  if (train == NULL || in->subset <= 0 || (gsize) in->subset >= ss_dataset_get_size (train))
    return g_steal_pointer (&train);
  n = (gsize) in->subset;
  idx = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = (guint32) i;
  return ss_dataset_subset (train, idx, n);
}

static gpointer
train_worker (SsJobTask    *task,
              gpointer      input,
              GCancellable *cancellable,
              GError      **error)
{
  TrainIn *in = input;
  g_autoptr(SsDataset) train = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsObserver) observer = NULL;
  SsObserverOptions oo;
  SsTrainHooks hooks = { 0 };
  GError *local = NULL;
  gboolean ok;

  in->task = task;
  ss_job_task_progress (task, -1, _("Loading the training split…"));
  if ((train = load_train (in, error)) == NULL)
    return NULL;
  net = in->fresh ? ss_net_new (ss_net_get_arch (in->model->net), in->config.seed)
                  : ss_session_model_clone_net (in->model);

  ss_observer_options_init (&oo);
  oo.profile.n_samples = (int) MIN ((gsize) in->probe, ss_dataset_get_size (train));
  oo.profile.ame.bins = in->bins;
  if ((observer = ss_observer_new (net, train, &oo, error)) == NULL)
    return NULL;
  if (in->freeze)
    {
      SsFreezeRule rule;
      ss_freeze_rule_init (&rule);
      if (!ss_observer_set_freeze_rule (observer, &rule, error))
        return NULL;
    }
  ss_observer_subscribe (observer, on_observation, in, NULL);
  hooks.progress = on_progress;
  hooks.progress_data = in;
  ss_observer_attach (observer, &hooks);

  if (in->record && (in->db = ss_run_db_open (NULL, NULL)) != NULL)
    {
      g_autofree char *config = g_strdup_printf (
        "{\"epochs\": %d, \"batch\": %d, \"lr\": %g, \"subset\": %d, \"fresh\": %s, "
        "\"freeze\": %s}", in->config.epochs, in->config.batch_size,
        in->config.schedule.lr, in->subset, in->fresh ? "true" : "false",
        in->freeze ? "true" : "false");
      SsRunInfo info = { SS_RUN_KIND_TRAIN, "supersign app", config, in->model->spec,
                         in->data->spec };
      if ((in->run = ss_run_db_begin (in->db, &info, NULL)) == 0)
        g_clear_pointer (&in->db, ss_run_db_free);
    }

  ok = ss_train_with_hooks (net, train, in->data->test, &in->config, &hooks, cancellable, &local);
  if (in->db != NULL)
    ss_run_db_finish (in->db, in->run,
                      ok ? SS_RUN_FINISHED
                      : g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                        ? SS_RUN_INTERRUPTED : SS_RUN_FAILED,
                      NULL, ok ? NULL : local->message, NULL);
  if (!ok)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  return g_steal_pointer (&net);
}

/* ---- Curves ------------------------------------------------------------------------------- */

static void
reset_figures (SsTrainView *self)
{
  self->loss_fig = ss_fig_curves_new ();
  ss_fig_curves_set_y_label (self->loss_fig, _("cross-entropy (nats)"));
  ss_fig_curves_add_series (self->loss_fig, _("train"), NULL, NULL, 0);
  ss_fig_curves_add_series (self->loss_fig, _("test"), NULL, NULL, 0);
  ss_plot_set_figure (self->loss_plot, SS_FIG_CURVES, self->loss_fig,
                      (GDestroyNotify) ss_fig_curves_free);

  self->acc_fig = ss_fig_curves_new ();
  ss_fig_curves_set_y_label (self->acc_fig, _("accuracy"));
  ss_fig_curves_add_series (self->acc_fig, _("train"), NULL, NULL, 0);
  ss_fig_curves_add_series (self->acc_fig, _("test"), NULL, NULL, 0);
  ss_plot_set_figure (self->acc_plot, SS_FIG_CURVES, self->acc_fig,
                      (GDestroyNotify) ss_fig_curves_free);

  self->entropy_fig = ss_fig_curves_new ();
  ss_fig_curves_set_y_label (self->entropy_fig, _("saliency AME (probe mean)"));
  ss_plot_set_figure (self->entropy_plot, SS_FIG_CURVES, self->entropy_fig,
                      (GDestroyNotify) ss_fig_curves_free);
  g_array_set_size (self->entropy_series, 0);
}

static void
epoch_posted (GObject  *target,
              gpointer  data)
{
  SsTrainView *self = SS_TRAIN_VIEW (target);
  SsObservation *obs = data;
  const SsTrainProgress *p = ss_observation_get_progress (obs);
  int n = ss_observation_get_n_layers (obs);
  double epoch = p->epoch + 1;
  GArray *layers = g_array_sized_new (FALSE, FALSE, sizeof (SsLayerProfile), n);
  g_autoptr(SsSessionProfile) prof = NULL;

  ss_fig_curves_append (self->loss_fig, 0, epoch, p->train_loss);
  ss_fig_curves_append (self->loss_fig, 1, epoch, p->test_loss);
  ss_fig_curves_append (self->acc_fig, 0, epoch, p->train_acc);
  ss_fig_curves_append (self->acc_fig, 1, epoch, p->test_acc);
  if (self->entropy_series->len == 0)
    for (int i = 0; i < n; i++)
      {
        const SsLayerProfile *lp = ss_observation_get_layer (obs, i);
        int series = -1;
        /* Only maps with spatial extent and not after a pooling of 1×1. */
        if (lp->h * lp->w > 1 && lp->kind != SS_SALIENCY_ACTIVATION)
          series = ss_fig_curves_add_series (self->entropy_fig, lp->name, NULL, NULL, 0);
        g_array_append_val (self->entropy_series, series);
      }
  for (int i = 0; i < n && i < (int) self->entropy_series->len; i++)
    {
      const SsLayerProfile *lp = ss_observation_get_layer (obs, i);
      const SsLayerFreeze *fr = ss_observation_get_freeze (obs, i);
      int series = g_array_index (self->entropy_series, int, i);

      g_array_append_val (layers, *lp);
      if (series < 0)
        continue;
      ss_fig_curves_append (self->entropy_fig, series, epoch, lp->saliency_mean);
      if (fr->frozen && fr->frozen_after == p->epoch + 1)
        ss_fig_curves_add_marker (self->entropy_fig, series, epoch, _("frozen"));
    }
  gtk_stack_set_visible_child_name (self->content, "plots");
  gtk_widget_queue_draw (GTK_WIDGET (self->loss_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->entropy_plot));

  prof = ss_session_profile_new_take (layers, self->run_model, FALSE, self->run_probe,
                                      self->run_bins);
  prof->epoch = p->epoch + 1;
  ss_session_add_epoch_profile (self->session, prof);
}

static char *
curves_tooltip (SsPlot     *plot,
                const void *fig,
                double      x,
                double      y,
                double      width,
                double      height,
                gpointer    user_data)
{
  int point, series = ss_fig_curves_hit (fig, width, height, NULL, x, y, &point);
  double px, py;

  if (series < 0)
    return NULL;
  ss_fig_curves_get_point (fig, series, point, &px, &py, NULL);
  return g_markup_printf_escaped ("<b>%s</b>\nepoch %g: %.4f", ss_fig_curves_get_label (fig, series),
                                  px, py);
}

/* ---- Actions ------------------------------------------------------------------------------ */

static void
train_done (GObject  *target,
            gpointer  result)
{
  SsTrainView *self = SS_TRAIN_VIEW (target);
  g_autofree char *text = NULL;
  int n = ss_fig_curves_get_n_points (self->acc_fig, 1);
  double acc = NAN;

  g_clear_pointer (&self->trained, ss_net_free);
  self->trained = result;
  if (n > 0)
    ss_fig_curves_get_point (self->acc_fig, 1, n - 1, NULL, &acc, NULL);
  text = g_strdup_printf (_("Finished: test accuracy %.2f %% after %d epochs."), 100 * acc, n);
  gtk_label_set_label (self->result_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->result_box), TRUE);
}

void
ss_train_view_start (SsTrainView *self)
{
  SsSessionModel *model;
  SsSessionData *data;
  TrainIn *in;
  int bins, probe;

  g_return_if_fail (SS_IS_TRAIN_VIEW (self));

  model = ss_session_get_model (self->session);
  data = ss_session_get_data (self->session);
  if (model == NULL || data == NULL || !ss_session_get_fits (self->session, NULL) ||
      !ss_session_data_has_train (data))
    {
      g_autoptr(GError) error =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             _("Training needs a model and a data set with a training split "
                               "that fit each other (a PNG folder has none)"));
      ss_job_fail (self->job, error);
      return;
    }
  ss_session_get_profile_options (self->session, &bins, &probe);
  in = g_new0 (TrainIn, 1);
  in->model = ss_session_model_ref (model);
  in->data = ss_session_data_ref (data);
  ss_train_config_init (&in->config);
  in->config.epochs = (int) gtk_adjustment_get_value (self->epochs);
  in->config.batch_size = (int) gtk_adjustment_get_value (self->batch);
  in->config.schedule.lr = gtk_adjustment_get_value (self->lr);
  in->subset = (int) gtk_adjustment_get_value (self->subset);
  in->fresh = gtk_switch_get_active (self->fresh_switch);
  in->freeze = gtk_switch_get_active (self->freeze_switch);
  in->record = gtk_switch_get_active (self->record_switch);
  in->probe = probe;
  in->bins = bins;
  in->history = g_new0 (GWeakRef, 1);
  g_weak_ref_init (in->history, self->runs_view);
  self->run_probe = probe;
  self->run_bins = bins;

  g_clear_pointer (&self->run_model, ss_session_model_unref);
  self->run_model = ss_session_model_ref (model);
  g_clear_pointer (&self->trained, ss_net_free);
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->result_box), FALSE);
  reset_figures (self);
  gtk_stack_set_visible_child_name (self->content, "empty");
  adw_status_page_set_title (self->status, _("Training…"));
  adw_status_page_set_description (self->status,
                                   _("The curves appear after the first epoch."));
  ss_session_clear_epoch_profiles (self->session);
  ss_job_start (self->job, train_worker, in, train_in_free, (GDestroyNotify) ss_net_free,
                train_done, G_OBJECT (self));
}

static void
on_use_clicked (SsTrainView *self)
{
  g_autoptr(SsSessionModel) model = NULL;

  if (self->trained == NULL || self->run_model == NULL)
    return;
  model = ss_session_model_new_take (ss_session_clone_net (self->trained), self->run_model->spec,
                                     self->run_model->title, _("trained here"), FALSE);
  model->dataset = g_strdup (ss_session_get_data (self->session)
                             ? ss_session_get_data (self->session)->spec : NULL);
  ss_session_set_model (self->session, model);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  SsTrainView     *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  SsSessionData *data = ss_session_get_data (self->session);

  if (response == GTK_RESPONSE_ACCEPT && self->trained != NULL &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (data != NULL)
        g_hash_table_insert (meta, (gpointer) SS_MODEL_META_DATASET, data->spec);
      if (!ss_model_save (self->trained, path, meta, &error))
        ss_job_fail (self->job, error);
    }
  g_object_unref (dialog);
}

static void
on_save_clicked (SsTrainView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Save Model"), GTK_WINDOW (root),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "trained.safetensors");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
ss_train_view_configure (SsTrainView *self,
                         int          epochs,
                         int          batch,
                         int          subset)
{
  g_return_if_fail (SS_IS_TRAIN_VIEW (self));

  gtk_adjustment_set_value (self->epochs, epochs);
  gtk_adjustment_set_value (self->batch, batch);
  gtk_adjustment_set_value (self->subset, subset);
}

void
ss_train_view_set_session (SsTrainView *self,
                           SsSession   *session)
{
  g_return_if_fail (SS_IS_TRAIN_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  ss_session_add_job (session, self->job);
  ss_runs_view_set_session (self->runs_view, session);
}

SsJob *
ss_train_view_get_job (SsTrainView *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_VIEW (self), NULL);
  return self->job;
}

SsRunsView *
ss_train_view_get_runs_view (SsTrainView *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_VIEW (self), NULL);
  return self->runs_view;
}

SsPlot *
ss_train_view_get_plot (SsTrainView *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_VIEW (self), NULL);
  return SS_PLOT (gtk_stack_get_visible_child (self->plots));
}

static void
on_job_state (SsTrainView *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !ss_job_is_running (self->job));
}

/* Draws a recorded run's curves, and its information-plane trajectories when its layers are
 * those of the open model. */
static void
on_run_loaded (SsTrainView *self,
               SsRun       *run)
{
  SsSessionModel *model = ss_session_get_model (self->session);
  const SsArch *arch = model ? ss_net_get_arch (model->net) : NULL;
  const SsRunRecord *rec = ss_run_get_record (run);
  g_autoptr(GHashTable) series = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *text = NULL;
  gboolean same_layers = arch != NULL;

  reset_figures (self);
  ss_session_clear_epoch_profiles (self->session);
  for (guint o = 0; o < ss_run_get_n_observations (run); o++)
    {
      const SsRunObservation *obs = ss_run_get_observation (run, o);
      double epoch = obs->epoch + 1;
      GArray *layers;

      if (!obs->epoch_end)
        continue;
      ss_fig_curves_append (self->loss_fig, 0, epoch, obs->train_loss);
      ss_fig_curves_append (self->loss_fig, 1, epoch, obs->test_loss);
      ss_fig_curves_append (self->acc_fig, 0, epoch, obs->train_acc);
      ss_fig_curves_append (self->acc_fig, 1, epoch, obs->test_acc);
      layers = g_array_new (FALSE, TRUE, sizeof (SsLayerProfile));
      for (guint l = 0; l < obs->n_layers; l++)
        {
          const SsRunLayerPoint *pt = &obs->layers[l];
          int node = arch ? ss_arch_find_node (arch, pt->layer) : -1;
          gpointer index;
          int s;

          if (!g_hash_table_lookup_extended (series, pt->layer, NULL, &index))
            {
              s = ss_fig_curves_add_series (self->entropy_fig, pt->layer, NULL, NULL, 0);
              g_hash_table_insert (series, (gpointer) g_intern_string (pt->layer),
                                   GINT_TO_POINTER (s + 1));
            }
          else
            s = GPOINTER_TO_INT (index) - 1;
          if (s >= 0)
            ss_fig_curves_append (self->entropy_fig, s, epoch, pt->saliency_mean);
          if (node < 0)
            same_layers = FALSE;
          else
            {
              const SsNode *n = ss_arch_get_node (arch, node);
              SsLayerProfile lp = { .node = node, .name = n->name, .c = n->c, .h = n->h,
                                    .w = n->w, .saliency_mean = pt->saliency_mean,
                                    .saliency_sd = pt->saliency_sd, .i_xt = pt->i_xt,
                                    .i_ty = pt->i_ty, .null_mean = NAN, .delta = NAN };
              g_array_append_val (layers, lp);
            }
        }
      if (same_layers && layers->len > 0)
        {
          g_autoptr(SsSessionProfile) prof =
            ss_session_profile_new_take (layers, model, FALSE, 0, 0);
          prof->epoch = obs->epoch + 1;
          ss_session_add_epoch_profile (self->session, prof);
        }
      else
        g_array_unref (layers);
    }
  gtk_stack_set_visible_child_name (self->content, "plots");
  gtk_widget_queue_draw (GTK_WIDGET (self->loss_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->entropy_plot));
  text = g_strdup_printf (_("Run #%" G_GINT64_FORMAT " (%s, %s): %u epochs."), rec->id,
                          rec->model_in ? rec->model_in : "?", ss_run_status_name (rec->status),
                          rec->n_epochs);
  gtk_label_set_label (self->result_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->result_box), FALSE);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_train_view_dispose (GObject *object)
{
  SsTrainView *self = SS_TRAIN_VIEW (object);

  if (self->job != NULL)
    ss_job_reset (self->job);
  g_clear_object (&self->job);
  g_clear_object (&self->session);
  g_clear_pointer (&self->run_model, ss_session_model_unref);
  g_clear_pointer (&self->trained, ss_net_free);
  g_clear_pointer (&self->trained_spec, g_free);
  g_clear_pointer (&self->entropy_series, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_TRAIN_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_train_view_parent_class)->dispose (object);
}

static void
ss_train_view_class_init (SsTrainViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_train_view_dispose;

  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_JOB_BAR);
  g_type_ensure (SS_TYPE_RUNS_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-train-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, subset);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, fresh_switch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, freeze_switch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, record_switch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, start_button);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, result_label);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, result_box);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, content);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, status);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, plots);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, acc_plot);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, entropy_plot);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, job_bar);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, runs_view);
  gtk_widget_class_bind_template_callback (widget_class, ss_train_view_start);
  gtk_widget_class_bind_template_callback (widget_class, on_use_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_run_loaded);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_train_view_init (SsTrainView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->entropy_series = g_array_new (FALSE, FALSE, sizeof (int));
  self->job = ss_job_new (_("Training"));
  ss_job_bar_set_job (self->job_bar, self->job);
  g_signal_connect_object (self->job, "notify::state", G_CALLBACK (on_job_state), self,
                           G_CONNECT_SWAPPED);
  reset_figures (self);
  ss_plot_set_tooltip_func (self->loss_plot, curves_tooltip, NULL);
  ss_plot_set_tooltip_func (self->acc_plot, curves_tooltip, NULL);
  ss_plot_set_tooltip_func (self->entropy_plot, curves_tooltip, NULL);
  ss_plot_set_export_name (self->loss_plot, "supersign-loss");
  ss_plot_set_export_name (self->acc_plot, "supersign-accuracy");
  ss_plot_set_export_name (self->entropy_plot, "supersign-entropy-epochs");
}
