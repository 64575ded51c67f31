/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-prune-layers-view.h"
#include "ss-prune-layers.h"

#define META_PRUNE_LAYERS "supersign.prune-layers"

struct _SsPruneLayersView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  SsExperimentPage *page;
  GtkAdjustment    *epochs;
  GtkAdjustment    *retrain;
  GtkAdjustment    *tolerance;
  GtkAdjustment    *max_removals;
  GtkAdjustment    *samples;
  GtkAdjustment    *lr;
  GtkAdjustment    *batch;
  SsTable          *table;
  SsPlot           *acc_plot;

  /* The run shown */
  double            tolerance_points;
  double            original;     /* step 0's accuracy */

  /* Borrowed: owned by the plot */
  SsFigCurves      *acc_fig;
};

G_DEFINE_FINAL_TYPE (SsPruneLayersView, ss_prune_layers_view, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsExperimentInput   base;
  SsPruneLayersConfig config;
  int                 n_steps;    /* the most steps the loop can make (for the progress) */
  JsonBuilder        *steps;      /* the steps' extras, as an array (worker) */
} LayersIn;

typedef struct {
  SsNet *net;
  char  *steps_json;
  char  *stop_reason;
} LayersOut;

static void
layers_out_free (gpointer p)
{
  LayersOut *out = p;

  g_clear_pointer (&out->net, ss_net_free);
  g_free (out->steps_json);
  g_free (out->stop_reason);
  g_free (out);
}

static void
layers_in_free (gpointer p)
{
  LayersIn *in = p;

  g_clear_object (&in->steps);
  g_free (in);
}

/* A step as the run history's extra member, as the command line records it. */
static void
add_step (JsonBuilder             *b,
          const SsPruneLayersStep *s)
{
  json_builder_begin_object (b);
  ss_json_add_string (b, "phase", "step");
  ss_json_add_int (b, "step", s->index);
  ss_json_add_string (b, "removed", s->removed);
  ss_json_add_int (b, "conv_layers", s->conv_layers);
  ss_json_add_int (b, "params", s->params);
  ss_json_add_int (b, "macs", s->macs);
  ss_json_add_bool (b, "accepted", s->accepted);
  ss_json_add_number (b, "entropy", s->entropy);
  ss_json_add_number (b, "previous_entropy", s->previous_entropy);
  json_builder_end_object (b);
}

static void
on_progress (const SsPruneLayersProgress *p,
             gpointer                     user_data)
{
  LayersIn *in = user_data;
  double lo = (double) p->step / in->n_steps, hi = (double) (p->step + 1) / in->n_steps;

  if (p->phase == SS_PRUNE_LAYERS_TRAINING)
    {
      g_autofree char *what = p->step == 0 ? g_strdup (_("Training"))
                                            : g_strdup_printf (_("Step %d: retraining"), p->step);
      ss_experiment_train_progress (&in->base, p->train, lo, lo + 0.8 * (hi - lo), what);
      if (p->train->epoch_done)
        {
          g_autofree char *extra = g_strdup_printf ("{\"phase\": \"%s\", \"step\": %d}",
                                                    p->step == 0 ? "train" : "retrain",
                                                    p->step);
          ss_experiment_observe_training (&in->base, p->train, extra);
        }
    }
  else if (p->phase == SS_PRUNE_LAYERS_PROFILING)
    {
      g_autofree char *text = g_strdup_printf (_("Step %d: measuring the saliency entropy of "
                                                 "the conv layers"), p->step);
      ss_job_task_progress (in->base.task, lo + 0.8 * (hi - lo), text);
    }
  else if (p->phase == SS_PRUNE_LAYERS_STEP_DONE)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *extra = NULL;
      SsRunObservation obs = {
        .epoch = p->result->index, .epoch_end = TRUE, .seconds = NAN, .lr = NAN,
        .train_loss = NAN, .train_acc = NAN, .test_loss = p->result->loss,
        .test_acc = p->result->accuracy,
      };

      add_step (b, p->result);
      add_step (in->steps, p->result);
      obs.extra_json = extra = ss_json_to_text (b);
      ss_experiment_observe (&in->base, &obs);
    }
}

static gpointer
layers_worker (SsExperimentInput  *base,
               GCancellable       *cancellable,
               GError            **error)
{
  LayersIn *in = (LayersIn *) base;
  const SsDataset *train;
  g_autoptr(SsNet) net = ss_session_model_clone_net (base->model);
  g_autoptr(SsPruneLayersJob) job = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *config = NULL;
  const SsArch *arch = ss_net_get_arch (net);
  LayersOut *out;
  int convs = 0;

  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    convs += ss_arch_get_node (arch, i)->op == SS_OP_CONV;
  in->n_steps = 1 + (in->config.max_removals > 0 ? MIN (in->config.max_removals, convs)
                                                 : MAX (convs - 1, 1));
  if (!ss_prune_layers_config_validate (&in->config, error) ||
      (train = ss_experiment_get_train (base, error)) == NULL ||
      !ss_check_data_fits (net, train, error))
    return NULL;

  json_builder_begin_object (b);
  ss_json_add_int (b, "epochs", in->config.epochs);
  ss_json_add_int (b, "retrain_epochs", in->config.retrain_epochs);
  ss_json_add_number (b, "tolerance", in->config.tolerance);
  ss_json_add_int (b, "max_removals", in->config.max_removals);
  ss_json_add_int (b, "samples", in->config.profile.n_samples);
  ss_json_add_int (b, "subset", base->train_subset);
  ss_json_add_int (b, "test_subset", base->test_subset);
  ss_json_add_int (b, "seed", (gint64) in->config.seed);
  ss_json_add_number (b, "lr", in->config.train.schedule.lr);
  ss_json_add_int (b, "batch", in->config.train.batch_size);
  json_builder_end_object (b);
  config = ss_json_to_text (b);
  ss_experiment_begin (base, SS_RUN_KIND_PRUNE_LAYERS, "supersign app prune-layers", config);

  /* The job borrows the data sets: it goes first (declared after them). */
  job = ss_prune_layers_job_new (g_steal_pointer (&net), train, ss_experiment_get_test (base),
                                 &in->config);
  in->steps = json_builder_new ();
  json_builder_begin_array (in->steps);
  if (!ss_prune_layers_job_run (job, on_progress, in, cancellable, error))
    return NULL;
  json_builder_end_array (in->steps);
  out = g_new0 (LayersOut, 1);
  out->net = ss_session_clone_net (ss_prune_layers_job_get_model (job));
  out->steps_json = ss_json_to_text (in->steps);
  out->stop_reason = g_strdup (ss_prune_layers_job_get_stop_reason (job));
  return out;
}

/* ---- Display ------------------------------------------------------------------------------ */

static void
layers_begin (GtkWidget         *experiment,
              const SsRunRecord *record,
              JsonObject        *config)
{
  SsPruneLayersView *self = SS_PRUNE_LAYERS_VIEW (experiment);
  const char *titles[] = { _("Step"), _("Removed"), _("Conv layers"), _("Parameters"),
                           _("MACs"), _("Test accuracy"), _("Δ points"), _("Outcome"), NULL };

  ss_table_set_columns (self->table, titles, 1u << 1 | 1u << 7);
  self->acc_fig = ss_plot_new_curves (self->acc_plot, _("step"), _("test accuracy"),
                                      _("test accuracy"), _("tolerance limit"), NULL);
  self->tolerance_points = ss_json_get_number (config, "tolerance");
  self->original = NAN;
}

static void
layers_observe (GtkWidget              *experiment,
                const SsRunObservation *obs)
{
  SsPruneLayersView *self = SS_PRUNE_LAYERS_VIEW (experiment);
  g_autoptr(JsonObject) extra = ss_json_parse_object (obs->extra_json);
  const char *removed;
  gboolean accepted;
  int step;
  g_autofree char *step_text = NULL, *convs = NULL, *params = NULL, *macs = NULL;
  g_autofree char *acc = NULL, *delta = NULL;

  if (g_strcmp0 (ss_json_get_string (extra, "phase"), "step") != 0)
    return;
  step = (int) ss_json_get_int (extra, "step", obs->epoch);
  removed = ss_json_get_string (extra, "removed");
  accepted = json_object_get_boolean_member_with_default (extra, "accepted", TRUE);
  if (step == 0)
    self->original = obs->test_acc;
  step_text = g_strdup_printf ("%d", step);
  convs = g_strdup_printf ("%" G_GINT64_FORMAT, ss_json_get_int (extra, "conv_layers", 0));
  params = ss_table_format_count (ss_json_get_int (extra, "params", 0));
  macs = ss_table_format_count (ss_json_get_int (extra, "macs", 0));
  acc = ss_table_format_percent (obs->test_acc);
  delta = ss_table_format_number (100 * (obs->test_acc - self->original), 2);
  {
    const char *cells[] = { step_text, removed ? removed : _("— (original)"), convs, params,
                            macs, acc, delta,
                            step == 0 ? _("original") : accepted ? _("accepted")
                                                                 : _("rejected"), NULL };
    ss_table_set_row (self->table, ss_table_get_n_rows (self->table), cells);
  }
  ss_fig_curves_append (self->acc_fig, 0, step, obs->test_acc);
  if (isfinite (self->tolerance_points))
    ss_fig_curves_append (self->acc_fig, 1, step,
                          self->original - self->tolerance_points / 100);
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
}

/* ---- Actions ------------------------------------------------------------------------------ */

static void
layers_done (GtkWidget *experiment,
             gpointer   result)
{
  SsPruneLayersView *self = SS_PRUNE_LAYERS_VIEW (experiment);
  LayersOut *out = result;
  const SsArch *arch = ss_net_get_arch (out->net);
  g_autofree char *params = ss_table_format_count (ss_arch_total_params (arch));
  g_autofree char *macs = ss_table_format_count (ss_arch_total_macs (arch));
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Finished: the final model has %s parameters and %s MACs; stopped "
                            "because %s."), params, macs,
                          out->stop_reason ? out->stop_reason : _("the loop ended"));
  ss_experiment_page_set_message (self->page, text);
  ss_experiment_page_set_result (self->page, g_steal_pointer (&out->net), _("layers removed here"),
                                 META_PRUNE_LAYERS, g_steal_pointer (&out->steps_json));
  layers_out_free (out);
}

static void
on_start (SsPruneLayersView *self)
{
  LayersIn *in = ss_experiment_page_input_new (self->page, sizeof (LayersIn));
  int bins;

  if (in == NULL)
    return;
  ss_session_get_profile_options (ss_experiment_page_get_session (self->page), &bins, NULL);
  ss_prune_layers_config_init (&in->config);
  in->config.epochs = (int) gtk_adjustment_get_value (self->epochs);
  in->config.retrain_epochs = (int) gtk_adjustment_get_value (self->retrain);
  in->config.tolerance = gtk_adjustment_get_value (self->tolerance);
  in->config.max_removals = (int) gtk_adjustment_get_value (self->max_removals);
  in->config.profile.n_samples = (int) gtk_adjustment_get_value (self->samples);
  in->config.profile.ame.bins = bins;
  /* The recipe as one phase would run it; the job sets each phase's length. */
  ss_experiment_read_recipe (&in->config.train, self->epochs, self->lr, self->batch);
  in->config.train.epochs = MAX (in->config.epochs, in->config.retrain_epochs);
  in->config.train.schedule.epochs = in->config.train.epochs;
  ss_experiment_page_start (self->page, &in->base, layers_worker, layers_in_free,
                            layers_out_free, layers_done);
}

SsTable *
ss_prune_layers_view_get_table (SsPruneLayersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_LAYERS_VIEW (self), NULL);
  return self->table;
}

SsPlot *
ss_prune_layers_view_get_plot (SsPruneLayersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_LAYERS_VIEW (self), NULL);
  return self->acc_plot;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_prune_layers_view_dispose (GObject *object)
{
  SsPruneLayersView *self = SS_PRUNE_LAYERS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_PRUNE_LAYERS_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_prune_layers_view_parent_class)->dispose (object);
}

static void
ss_prune_layers_view_class_init (SsPruneLayersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_prune_layers_view_dispose;

  g_type_ensure (SS_TYPE_EXPERIMENT_PAGE);
  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_TABLE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-prune-layers-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, page);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, retrain);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, tolerance);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, max_removals);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, samples);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, table);
  gtk_widget_class_bind_template_child (widget_class, SsPruneLayersView, acc_plot);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_prune_layers_view_init (SsPruneLayersView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ss_experiment_page_set_display (self->page, GTK_WIDGET (self), layers_begin, layers_observe);
  layers_begin (GTK_WIDGET (self), NULL, NULL);
  ss_plot_set_curves_tooltip (self->acc_plot, TRUE);
  ss_plot_set_export_name (self->acc_plot, "supersign-prune-layers-accuracy");
  ss_table_set_export_name (self->table, "supersign-prune-layers");
}
