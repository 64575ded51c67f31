/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-gradcam.h"
#include "ss-observed-training.h"
#include "ss-train-view.h"

struct _SsTrainView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  SsExperimentPage *page;
  GtkAdjustment    *epochs;
  GtkAdjustment    *lr;
  GtkAdjustment    *batch;
  GtkSwitch        *fresh_switch;
  GtkSwitch        *freeze_switch;
  SsPlot           *loss_plot;
  SsPlot           *acc_plot;
  SsPlot           *entropy_plot;

  /* Owned: the run shown */
  GHashTable       *series;          /* layer name → entropy series + 1 (0: not shown) */
  GHashTable       *frozen;          /* layer names marked frozen */

  /* Borrowed: owned by the plots, changed on the main thread only */
  SsFigCurves      *loss_fig;
  SsFigCurves      *acc_fig;
  SsFigCurves      *entropy_fig;
};

G_DEFINE_FINAL_TYPE (SsTrainView, ss_train_view, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsExperimentInput base;
  SsTrainConfig     config;
  gboolean          fresh;
  gboolean          freeze;
  int               probe;
  int               bins;
} TrainIn;

static gpointer
train_worker (SsExperimentInput  *base,
              GCancellable       *cancellable,
              GError            **error)
{
  TrainIn *in = (TrainIn *) base;
  const SsDataset *train;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *config = NULL;
  SsFreezeRule rule;
  SsObservedTraining how = { &in->config, in->probe, in->bins, NULL, NULL, 0, 1 };

  if ((train = ss_experiment_get_train (base, error)) == NULL)
    return NULL;
  net = in->fresh ? ss_net_new (ss_net_get_arch (base->model->net), in->config.seed)
                  : ss_session_model_clone_net (base->model);
  ss_freeze_rule_init (&rule);
  if (in->freeze)
    how.rule = &rule;

  json_builder_begin_object (b);
  ss_json_add_int (b, "epochs", in->config.epochs);
  ss_json_add_int (b, "batch", in->config.batch_size);
  ss_json_add_number (b, "lr", in->config.schedule.lr);
  ss_json_add_int (b, "subset", base->train_subset);
  ss_json_add_int (b, "test_subset", base->test_subset);
  ss_json_add_bool (b, "fresh", in->fresh);
  ss_json_add_bool (b, "freeze", in->freeze);
  ss_json_add_int (b, "probe", in->probe);
  ss_json_add_int (b, "bins", in->bins);
  json_builder_end_object (b);
  config = ss_json_to_text (b);
  ss_experiment_begin (base, SS_RUN_KIND_TRAIN, "supersign app", config);

  if (!ss_observed_training_run (base, net, train, &how, cancellable, error))
    return NULL;
  return g_steal_pointer (&net);
}

/* ---- Curves ------------------------------------------------------------------------------- */

static void
reset_figures (SsTrainView *self)
{
  self->loss_fig = ss_plot_new_curves (self->loss_plot, NULL, _("cross-entropy (nats)"),
                                       _("train"), _("test"), NULL);
  self->acc_fig = ss_plot_new_curves (self->acc_plot, NULL, _("accuracy"), _("train"),
                                      _("test"), NULL);
  self->entropy_fig = ss_plot_new_curves (self->entropy_plot, NULL,
                                          _("saliency AME (probe mean)"), NULL);
  g_hash_table_remove_all (self->series);
  g_hash_table_remove_all (self->frozen);
}

static void
train_begin (GtkWidget         *experiment,
             const SsRunRecord *record,
             JsonObject        *config)
{
  SsTrainView *self = SS_TRAIN_VIEW (experiment);

  reset_figures (self);
  ss_experiment_page_begin_trajectory (self->page, config);
}

/* Whether a layer's entropy is drawn: maps larger than 1×1, not ReLUs (they repeat the conv
 * or batch norm before them); a layer the model does not have, if it was measured. */
static gboolean
shows_entropy (const SsArch          *arch,
               const SsRunLayerPoint *pt)
{
  int node = arch != NULL ? ss_arch_find_node (arch, pt->layer) : -1;
  const SsNode *n;

  if (node < 0)
    return isfinite (pt->saliency_mean);
  n = ss_arch_get_node (arch, node);
  return n->h * n->w > 1 && ss_gradcam_layer_kind (arch, node) != SS_SALIENCY_ACTIVATION;
}

static void
train_observe (GtkWidget              *experiment,
               const SsRunObservation *obs)
{
  SsTrainView *self = SS_TRAIN_VIEW (experiment);
  SsSessionModel *model = ss_experiment_page_get_shown_model (self->page);
  const SsArch *arch = model != NULL ? ss_net_get_arch (model->net) : NULL;
  double epoch = obs->epoch + 1;

  if (!obs->epoch_end)
    return;
  ss_fig_curves_append (self->loss_fig, 0, epoch, obs->train_loss);
  ss_fig_curves_append (self->loss_fig, 1, epoch, obs->test_loss);
  ss_fig_curves_append (self->acc_fig, 0, epoch, obs->train_acc);
  ss_fig_curves_append (self->acc_fig, 1, epoch, obs->test_acc);
  for (guint l = 0; l < obs->n_layers; l++)
    {
      const SsRunLayerPoint *pt = &obs->layers[l];
      gpointer value;
      int series;

      if (!g_hash_table_lookup_extended (self->series, pt->layer, NULL, &value))
        {
          series = shows_entropy (arch, pt)
                   ? ss_fig_curves_add_series (self->entropy_fig, pt->layer, NULL, NULL, 0) : -1;
          value = GINT_TO_POINTER (series + 1);
          g_hash_table_insert (self->series, g_strdup (pt->layer), value);
        }
      if ((series = GPOINTER_TO_INT (value) - 1) < 0)
        continue;
      ss_fig_curves_append (self->entropy_fig, series, epoch, pt->saliency_mean);
      if (pt->frozen && g_hash_table_add (self->frozen, g_strdup (pt->layer)))
        ss_fig_curves_add_marker (self->entropy_fig, series, epoch, _("frozen"));
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->loss_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->entropy_plot));
  ss_experiment_page_add_trajectory_point (self->page, obs);
}

/* ---- Actions ------------------------------------------------------------------------------ */

static void
train_done (GtkWidget *experiment,
            gpointer   result)
{
  SsTrainView *self = SS_TRAIN_VIEW (experiment);
  g_autofree char *text = NULL;
  int n = ss_fig_curves_get_n_points (self->acc_fig, 1);
  double acc = NAN;

  if (n > 0)
    ss_fig_curves_get_point (self->acc_fig, 1, n - 1, NULL, &acc, NULL);
  text = g_strdup_printf (ngettext ("Finished: test accuracy %.2f %% after %d epoch.",
                                    "Finished: test accuracy %.2f %% after %d epochs.", n),
                          100 * acc, n);
  ss_experiment_page_set_message (self->page, text);
  ss_experiment_page_set_result (self->page, result, _("trained here"), NULL, NULL);
}

void
ss_train_view_start (SsTrainView *self)
{
  TrainIn *in;

  g_return_if_fail (SS_IS_TRAIN_VIEW (self));

  if ((in = ss_experiment_page_input_new (self->page, sizeof (TrainIn))) == NULL)
    return;
  ss_session_get_profile_options (ss_experiment_page_get_session (self->page), &in->bins,
                                  &in->probe);
  ss_train_config_init (&in->config);
  ss_experiment_read_recipe (&in->config, self->epochs, self->lr, self->batch);
  in->fresh = gtk_switch_get_active (self->fresh_switch);
  in->freeze = gtk_switch_get_active (self->freeze_switch);
  ss_experiment_page_start (self->page, &in->base, train_worker, g_free,
                            (GDestroyNotify) ss_net_free, train_done);
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
  g_object_set (self->page, "train-images", subset, NULL);
}

SsJob *
ss_train_view_get_job (SsTrainView *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_VIEW (self), NULL);
  return ss_experiment_page_get_job (self->page);
}

SsExperimentPage *
ss_train_view_get_page (SsTrainView *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_VIEW (self), NULL);
  return self->page;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_train_view_dispose (GObject *object)
{
  SsTrainView *self = SS_TRAIN_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_TRAIN_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_train_view_parent_class)->dispose (object);
}

static void
ss_train_view_finalize (GObject *object)
{
  SsTrainView *self = SS_TRAIN_VIEW (object);

  g_clear_pointer (&self->series, g_hash_table_unref);
  g_clear_pointer (&self->frozen, g_hash_table_unref);
  G_OBJECT_CLASS (ss_train_view_parent_class)->finalize (object);
}

static void
ss_train_view_class_init (SsTrainViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_train_view_dispose;
  object_class->finalize = ss_train_view_finalize;

  g_type_ensure (SS_TYPE_EXPERIMENT_PAGE);
  g_type_ensure (SS_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-train-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, page);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, fresh_switch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, freeze_switch);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, acc_plot);
  gtk_widget_class_bind_template_child (widget_class, SsTrainView, entropy_plot);
  gtk_widget_class_bind_template_callback (widget_class, ss_train_view_start);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_train_view_init (SsTrainView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->frozen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ss_experiment_page_set_display (self->page, GTK_WIDGET (self), train_begin, train_observe);
  reset_figures (self);
  ss_plot_set_curves_tooltip (self->loss_plot, FALSE);
  ss_plot_set_curves_tooltip (self->acc_plot, FALSE);
  ss_plot_set_curves_tooltip (self->entropy_plot, FALSE);
  ss_plot_set_export_name (self->loss_plot, "supersign-loss");
  ss_plot_set_export_name (self->acc_plot, "supersign-accuracy");
  ss_plot_set_export_name (self->entropy_plot, "supersign-entropy-epochs");
}
