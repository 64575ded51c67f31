/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-experiment-page-private.h"

enum {
  PROP_0,
  PROP_START_LABEL,
  PROP_STATUS_ICON_NAME,
  PROP_STATUS_TITLE,
  PROP_STATUS_DESCRIPTION,
  PROP_TRAIN_IMAGES,
  PROP_TEST_IMAGES,
  PROP_RESULT_FILE_NAME,
  PROP_JOB_TITLE,
  PROP_SESSION,
  N_PROPS
};

enum {
  START,
  HISTORY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SsExperimentPage, ss_experiment_page, GTK_TYPE_WIDGET)

/* ---- Display ------------------------------------------------------------------------------ */

void
ss_experiment_page_update_actions (SsExperimentPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "experiment.start",
                                 !ss_job_is_running (self->job));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "experiment.use-model",
                                 self->result != NULL && self->session != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "experiment.save-model",
                                 self->result != NULL);
}

static void
show_status (SsExperimentPage *self,
             const char       *title,
             const char       *description)
{
  adw_status_page_set_title (self->status, title);
  adw_status_page_set_description (self->status, description);
  gtk_stack_set_visible_child_name (self->content, "empty");
}

static void
display_begin (SsExperimentPage  *self,
               const SsRunRecord *record,
               const char        *config_json)
{
  g_autoptr(JsonObject) config = ss_json_parse_object (config_json);
  /* A live run's points name the layers of the model it started from; a recorded run's are
   * matched against the open model's. */
  SsSessionModel *model = record == NULL ? self->run_model
                          : self->session ? ss_session_get_model (self->session) : NULL;

  g_clear_pointer (&self->shown_model, ss_session_model_unref);
  self->shown_model = model != NULL ? ss_session_model_ref (model) : NULL;
  if (self->begin != NULL)
    self->begin (self->experiment, record, config);
  gtk_stack_set_visible_child_name (self->content, "views");
}

static void
display_observe (SsExperimentPage       *self,
                 const SsRunObservation *obs)
{
  if (self->observe != NULL)
    self->observe (self->experiment, obs);
}

SsSessionModel *
ss_experiment_page_get_shown_model (SsExperimentPage *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  return self->shown_model;
}

void
ss_experiment_page_begin_trajectory (SsExperimentPage *self,
                                     JsonObject       *config)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  self->probe = (int) ss_json_get_int (config, "probe", 0);
  self->bins = (int) ss_json_get_int (config, "bins", 0);
  ss_session_clear_epoch_profiles (self->session);
}

void
ss_experiment_page_add_trajectory_point (SsExperimentPage       *self,
                                         const SsRunObservation *obs)
{
  g_autoptr(SsSessionProfile) prof = NULL;

  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  if (self->shown_model != NULL &&
      (prof = ss_session_profile_new_from_run (self->shown_model, obs, self->probe,
                                               self->bins)) != NULL)
    ss_session_add_epoch_profile (self->session, prof);
}

void
ss_experiment_page_begin (SsExperimentPage  *self,
                          const SsRunRecord *record,
                          const char        *config_json)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  if (self->live)
    display_begin (self, record, config_json);
}

void
ss_experiment_page_observe (SsExperimentPage       *self,
                            const SsRunObservation *obs)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  if (self->live)
    display_observe (self, obs);
}

void
ss_experiment_page_show_run (SsExperimentPage *self,
                             const SsRun      *run)
{
  const SsRunRecord *rec;
  g_autoptr(GDateTime) started = NULL;
  g_autofree char *when = NULL, *text = NULL, *model = NULL;

  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));
  g_return_if_fail (run != NULL);

  rec = ss_run_get_record (run);
  model = rec->model_in ? g_path_get_basename (rec->model_in) : g_strdup ("?");
  self->live = FALSE;
  display_begin (self, rec, rec->config_json);
  for (guint i = 0; i < ss_run_get_n_observations (run); i++)
    display_observe (self, ss_run_get_observation (run, i));
  started = g_date_time_new_from_unix_local (rec->started_us / G_USEC_PER_SEC);
  when = started ? g_date_time_format (started, "%Y-%m-%d %H:%M") : g_strdup ("?");
  /* %lld, not G_GINT64_FORMAT: xgettext cuts a msgid at a macro. */
  text = g_strdup_printf (_("Run #%lld of the history, %s %s, on %s: %s%s%s"),
                          (long long) rec->id, rec->kind, when, model,
                          ss_run_status_name (rec->status), rec->message ? " — " : "",
                          rec->message ? rec->message : "");
  ss_experiment_page_set_result (self, NULL, NULL, NULL, NULL);
  ss_experiment_page_set_message (self, text);
}

void
ss_experiment_page_set_display (SsExperimentPage        *self,
                                GtkWidget               *experiment,
                                SsExperimentBeginFunc    begin,
                                SsExperimentObserveFunc  observe)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));
  g_return_if_fail (GTK_IS_WIDGET (experiment));

  self->experiment = experiment;
  self->begin = begin;
  self->observe = observe;
}

/* ---- Running ------------------------------------------------------------------------------ */

gpointer
ss_experiment_page_input_new (SsExperimentPage *self,
                              gsize             size)
{
  SsExperimentInput *in;

  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  g_return_val_if_fail (size >= sizeof (SsExperimentInput), NULL);
  g_return_val_if_fail (self->session != NULL, NULL);

  if (!ss_session_check_trainable (self->session, self->job,
                                   _("This needs a model and a data set with a training split "
                                     "that fit each other (a PNG folder has none)")))
    return NULL;
  in = g_malloc0 (size);
  in->model = ss_session_model_ref (ss_session_get_model (self->session));
  in->data = ss_session_data_ref (ss_session_get_data (self->session));
  in->train_subset = (int) gtk_adjustment_get_value (self->train_images);
  in->test_subset = (int) gtk_adjustment_get_value (self->test_images);
  in->record = gtk_switch_get_active (self->record_switch);
  in->page = g_new0 (GWeakRef, 1);
  g_weak_ref_init (in->page, self);
  return in;
}

void
ss_experiment_read_recipe (SsTrainConfig *config,
                           GtkAdjustment *epochs,
                           GtkAdjustment *lr,
                           GtkAdjustment *batch)
{
  g_return_if_fail (config != NULL);

  config->epochs = (int) gtk_adjustment_get_value (epochs);
  config->schedule.epochs = MAX (config->epochs, 1);
  config->schedule.lr = gtk_adjustment_get_value (lr);
  config->batch_size = (int) gtk_adjustment_get_value (batch);
}

static gpointer
page_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  SsExperimentInput *in = input;
  GError *local = NULL;
  gpointer result;

  in->task = task;
  result = in->worker (in, cancellable, &local);
  ss_experiment_end (in, local);
  if (local != NULL)
    g_propagate_error (error, local);
  return result;
}

static void
page_input_free (gpointer p)
{
  SsExperimentInput *in = p;

  ss_experiment_input_clear (in);
  in->free_func (in);
}

static void
page_done (GObject  *target,
           gpointer  result)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (target);

  self->done (self->experiment, result);
}

void
ss_experiment_page_start (SsExperimentPage   *self,
                          SsExperimentInput  *in,
                          SsExperimentWorker  worker,
                          GDestroyNotify      free_func,
                          GDestroyNotify      result_free,
                          SsExperimentDoneFunc done)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));
  g_return_if_fail (in != NULL && in->model != NULL && worker != NULL && free_func != NULL);
  g_return_if_fail (done != NULL);

  in->worker = worker;
  in->free_func = free_func;
  self->done = done;
  self->live = TRUE;
  g_clear_pointer (&self->run_model, ss_session_model_unref);
  self->run_model = ss_session_model_ref (in->model);
  ss_experiment_page_set_result (self, NULL, NULL, NULL, NULL);
  ss_experiment_page_set_message (self, NULL);
  show_status (self, _("Starting…"), _("The results appear here as the run goes on."));
  ss_job_start (self->job, page_worker, in, page_input_free, result_free, page_done,
                G_OBJECT (self));
}

static void
on_retry (SsExperimentPage *self)
{
  g_signal_emit (self, signals[START], 0);
}

/* ---- Views -------------------------------------------------------------------------------- */

SsPlot *
ss_experiment_page_get_plot (SsExperimentPage *self)
{
  GtkWidget *child;

  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);

  /* A view is a plot, or a box with a plot first (and, say, its job's bar). */
  child = gtk_stack_get_visible_child (self->views);
  if (child != NULL && GTK_IS_BOX (child))
    child = gtk_widget_get_first_child (child);
  return SS_IS_PLOT (child) ? SS_PLOT (child) : NULL;
}

SsTable *
ss_experiment_page_get_table (SsExperimentPage *self)
{
  GtkWidget *child;

  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);

  child = gtk_stack_get_visible_child (self->views);
  return SS_IS_TABLE (child) ? SS_TABLE (child) : NULL;
}

void
ss_experiment_page_set_smoothing (SsExperimentPage *self,
                                  double            weight)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));
  gtk_adjustment_set_value (self->smoothing, weight);
}

static void
on_smoothing_changed (SsExperimentPage *self)
{
  double weight = CLAMP (gtk_adjustment_get_value (self->smoothing), 0.0, 0.99);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->views)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (SS_IS_PLOT (child))
      ss_plot_set_smoothing (SS_PLOT (child), weight);
}

static void
on_view_changed (SsExperimentPage *self)
{
  SsPlot *plot = ss_experiment_page_get_plot (self);
  SsFigKind kind = SS_FIG_BARS;

  if (plot != NULL)
    ss_plot_get_figure (plot, &kind);
  gtk_widget_set_visible (self->smoothing_box, plot != NULL && kind == SS_FIG_CURVES);
}

/* ---- Session and job ---------------------------------------------------------------------- */

void
ss_experiment_page_set_session (SsExperimentPage *self,
                                SsSession        *session)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));
  g_return_if_fail (SS_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;
  ss_session_add_job (session, self->job);
  ss_experiment_page_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

SsSession *
ss_experiment_page_get_session (SsExperimentPage *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  return self->session;
}

SsJob *
ss_experiment_page_get_job (SsExperimentPage *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  return self->job;
}

static void
on_job_state (SsExperimentPage *self)
{
  ss_experiment_page_update_actions (self);
  /* A run that ended before showing anything leaves the status page saying so. */
  if (!ss_job_is_running (self->job) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->content), "empty") == 0)
    show_status (self, self->status_title, self->status_description);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_experiment_page_dispose (GObject *object)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (object);

  if (self->job != NULL)
    ss_job_reset (self->job);
  g_clear_object (&self->job);
  g_clear_object (&self->save_job);
  g_clear_object (&self->session);
  g_clear_pointer (&self->run_model, ss_session_model_unref);
  g_clear_pointer (&self->shown_model, ss_session_model_unref);
  g_clear_pointer (&self->result, ss_net_free);
  g_clear_pointer (&self->result_meta_value, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_EXPERIMENT_PAGE);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_experiment_page_parent_class)->dispose (object);
}

static void
ss_experiment_page_finalize (GObject *object)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (object);

  g_clear_pointer (&self->result_origin, g_free);
  g_clear_pointer (&self->result_file_name, g_free);
  g_clear_pointer (&self->status_title, g_free);
  g_clear_pointer (&self->status_description, g_free);
  G_OBJECT_CLASS (ss_experiment_page_parent_class)->finalize (object);
}

static void
ss_experiment_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_START_LABEL:
      g_value_set_string (value, gtk_button_get_label (self->start_button));
      break;
    case PROP_STATUS_ICON_NAME:
      g_value_set_string (value, adw_status_page_get_icon_name (self->status));
      break;
    case PROP_STATUS_TITLE:
      g_value_set_string (value, self->status_title);
      break;
    case PROP_STATUS_DESCRIPTION:
      g_value_set_string (value, self->status_description);
      break;
    case PROP_TRAIN_IMAGES:
      g_value_set_int (value, (int) gtk_adjustment_get_value (self->train_images));
      break;
    case PROP_TEST_IMAGES:
      g_value_set_int (value, (int) gtk_adjustment_get_value (self->test_images));
      break;
    case PROP_RESULT_FILE_NAME:
      g_value_set_string (value, self->result_file_name);
      break;
    case PROP_JOB_TITLE:
      g_value_set_string (value, ss_job_get_title (self->job));
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_experiment_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_START_LABEL:
      gtk_button_set_label (self->start_button, g_value_get_string (value));
      break;
    case PROP_STATUS_ICON_NAME:
      adw_status_page_set_icon_name (self->status, g_value_get_string (value));
      break;
    case PROP_STATUS_TITLE:
      g_free (self->status_title);
      self->status_title = g_value_dup_string (value);
      show_status (self, self->status_title, self->status_description);
      break;
    case PROP_STATUS_DESCRIPTION:
      g_free (self->status_description);
      self->status_description = g_value_dup_string (value);
      show_status (self, self->status_title, self->status_description);
      break;
    case PROP_TRAIN_IMAGES:   /* notified by on_images_changed */
      gtk_adjustment_set_value (self->train_images, g_value_get_int (value));
      return;
    case PROP_TEST_IMAGES:
      gtk_adjustment_set_value (self->test_images, g_value_get_int (value));
      return;
    case PROP_RESULT_FILE_NAME:
      g_free (self->result_file_name);
      self->result_file_name = g_value_dup_string (value);
      break;
    case PROP_JOB_TITLE:
      ss_job_set_title (self->job, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_object_notify_by_pspec (object, pspec);
}

static void
on_images_changed (SsExperimentPage *self,
                   GtkAdjustment    *adjustment)
{
  g_object_notify_by_pspec (G_OBJECT (self),
                            properties[adjustment == self->train_images ? PROP_TRAIN_IMAGES
                                                                        : PROP_TEST_IMAGES]);
}

/* The views' figures are set once the experiment is built: look at them when shown. */
static void
ss_experiment_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ss_experiment_page_parent_class)->map (widget);
  on_view_changed (SS_EXPERIMENT_PAGE (widget));
}

static void
ss_experiment_page_class_init (SsExperimentPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ss_experiment_page_dispose;
  object_class->finalize = ss_experiment_page_finalize;
  object_class->get_property = ss_experiment_page_get_property;
  object_class->set_property = ss_experiment_page_set_property;
  widget_class->map = ss_experiment_page_map;

  properties[PROP_START_LABEL] = g_param_spec_string ("start-label", NULL, NULL, NULL, rw);
  properties[PROP_STATUS_ICON_NAME] =
    g_param_spec_string ("status-icon-name", NULL, NULL, NULL, rw);
  properties[PROP_STATUS_TITLE] = g_param_spec_string ("status-title", NULL, NULL, NULL, rw);
  properties[PROP_STATUS_DESCRIPTION] =
    g_param_spec_string ("status-description", NULL, NULL, NULL, rw);
  properties[PROP_TRAIN_IMAGES] =
    g_param_spec_int ("train-images", NULL, NULL, 0, 1000000, 10000, rw);
  properties[PROP_TEST_IMAGES] = g_param_spec_int ("test-images", NULL, NULL, 0, 1000000, 0, rw);
  properties[PROP_RESULT_FILE_NAME] =
    g_param_spec_string ("result-file-name", NULL, NULL, NULL, rw);
  properties[PROP_JOB_TITLE] = g_param_spec_string ("job-title", NULL, NULL, NULL, rw);
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SS_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Start pressed (the button, Retry or experiment.start): the experiment starts its run. */
  signals[START] = g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A run was recorded in the run history (emitted once its worker has ended). */
  signals[HISTORY_CHANGED] = g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           0);

  gtk_widget_class_install_action (widget_class, "experiment.start", NULL,
                                   ss_experiment_page_start_action);
  gtk_widget_class_install_action (widget_class, "experiment.use-model", NULL,
                                   ss_experiment_page_use_action);
  gtk_widget_class_install_action (widget_class, "experiment.save-model", NULL,
                                   ss_experiment_page_save_action);

  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-experiment-page.ui");
  gtk_widget_class_bind_template_child_full (widget_class, "form", TRUE,
                                             G_STRUCT_OFFSET (SsExperimentPage, form));
  gtk_widget_class_bind_template_child_full (widget_class, "views", TRUE,
                                             G_STRUCT_OFFSET (SsExperimentPage, views));
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, train_images);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, test_images);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, record_switch);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, result_label);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, result_box);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, smoothing_box);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, smoothing);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, content);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, status);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, save_bar);
  gtk_widget_class_bind_template_child (widget_class, SsExperimentPage, job_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_retry);
  gtk_widget_class_bind_template_callback (widget_class, on_smoothing_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_experiment_page_init (SsExperimentPage *self)
{
  /* Before the template's properties are set: job-title names the job. */
  self->job = ss_job_new (_("Experiment"));
  ss_job_set_background (self->job, TRUE);
  gtk_widget_init_template (GTK_WIDGET (self));
  ss_job_bar_set_job (self->job_bar, self->job);
  ss_experiment_page_save_init (self);
  g_signal_connect_object (self->train_images, "value-changed", G_CALLBACK (on_images_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->test_images, "value-changed", G_CALLBACK (on_images_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->job, "notify::state", G_CALLBACK (on_job_state), self,
                           G_CONNECT_SWAPPED);
  ss_experiment_page_update_actions (self);
}
