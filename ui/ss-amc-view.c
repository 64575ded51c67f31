/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-amc-view.h"
#include "ss-amc.h"
#include "ss-relevance-prune.h"

#define META_AMC "supersign.amc"

struct _SsAmcView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  SsExperimentPage *page;
  AdwComboRow      *reward_row;
  GtkAdjustment    *keep;
  GtkAdjustment    *episodes;
  GtkAdjustment    *warmup;
  GtkAdjustment    *epochs;
  GtkAdjustment    *lr;
  GtkAdjustment    *batch;
  GtkAdjustment    *lbound;
  GtkAdjustment    *val_size;
  GtkAdjustment    *calibration;
  GtkAdjustment    *entropy_samples;
  SsTable          *table;
  SsPlot           *reward_plot;

  /* The run shown */
  GStrv             layers;      /* the layer groups' names, or NULL until known */
  GArray           *channels;    /* int: their channels */
  double            best;        /* the best reward so far */

  /* Borrowed: owned by the plot */
  SsFigCurves      *reward_fig;
};

G_DEFINE_FINAL_TYPE (SsAmcView, ss_amc_view, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsExperimentInput base;
  SsAmcOptions      amc;
  int               episodes;
  int               warmup;
  int               val_size;
  SsTrainConfig     finetune;
} AmcIn;

typedef struct {
  SsNet  *net;
  int     n_steps;
  int    *kept;
  int     best_episode;
  double  best_reward;
  double  accuracy[3];   /* test accuracy: original, pruned (refitted), fine-tuned */
  gint64  macs0;
} AmcOut;

static void
amc_out_free (gpointer p)
{
  AmcOut *out = p;

  g_clear_pointer (&out->net, ss_net_free);
  g_free (out->kept);
  g_free (out);
}

static char *
config_json (AmcIn          *in,
             const SsAmcEnv *env)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int n = ss_amc_env_get_n_steps (env);

  json_builder_begin_object (b);
  ss_json_add_string (b, "reward", ss_amc_reward_name (in->amc.reward));
  ss_json_add_number (b, "keep_flops", in->amc.keep_macs);
  ss_json_add_int (b, "episodes", in->episodes);
  ss_json_add_int (b, "warmup", in->warmup);
  ss_json_add_int (b, "finetune_epochs", in->finetune.epochs);
  ss_json_add_number (b, "lr", in->finetune.schedule.lr);
  ss_json_add_number (b, "lbound", in->amc.lbound);
  ss_json_add_int (b, "channel_round", in->amc.channel_round);
  ss_json_add_int (b, "val_size", in->val_size);
  ss_json_add_int (b, "calibration", in->amc.n_calibration);
  ss_json_add_int (b, "entropy_samples", in->amc.n_entropy);
  ss_json_add_int (b, "subset", in->base.train_subset);
  ss_json_add_int (b, "test_subset", in->base.test_subset);
  ss_json_add_int (b, "seed", (gint64) in->amc.seed);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int t = 0; t < n; t++)
    json_builder_add_string_value (b, ss_amc_env_get_step_layer (env, t));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "channels");
  json_builder_begin_array (b);
  for (int t = 0; t < n; t++)
    json_builder_add_int_value (b, ss_amc_env_get_step_channels (env, t));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return ss_json_to_text (b);
}

/* An episode as the command line records it. */
static void
on_episode (const SsAmcEpisode *e,
            gpointer            user_data)
{
  AmcIn *in = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *extra = NULL, *text = NULL;
  SsRunObservation obs = {
    .epoch = e->episode, .seconds = e->seconds, .lr = NAN, .train_loss = NAN,
    .train_acc = NAN, .test_loss = NAN, .test_acc = NAN,
  };

  json_builder_begin_object (b);
  ss_json_add_string (b, "phase", "search");
  ss_amc_episode_add_json (b, e);
  json_builder_end_object (b);
  obs.extra_json = extra = ss_json_to_text (b);
  ss_experiment_observe (&in->base, &obs);

  text = g_strdup_printf (_("Episode %d of %d%s · reward %.4f · best %.4f (episode %d)"),
                          e->episode + 1, e->n_episodes, e->warmup ? _(" (warm-up)") : "",
                          e->measure.reward, e->best_reward, e->best_episode + 1);
  ss_job_task_progress (in->base.task, 0.1 + 0.8 * (e->episode + 1) / e->n_episodes, text);
}

static void
on_finetune (const SsTrainProgress *p,
             gpointer               user_data)
{
  AmcIn *in = user_data;

  ss_experiment_train_progress (&in->base, p, 0.9, 1, _("Fine-tuning the best policy"));
  if (p->epoch_done)
    ss_experiment_observe_training (&in->base, p, "{\"phase\": \"finetune\"}");
}

static gpointer
amc_worker (SsExperimentInput  *base,
            GCancellable       *cancellable,
            GError            **error)
{
  AmcIn *in = (AmcIn *) base;
  g_autoptr(SsNet) net = ss_session_model_clone_net (base->model);
  g_autoptr(SsDataset) rest = NULL, val = NULL;
  const SsDataset *train;
  g_autoptr(SsAmcEnv) env = NULL;
  g_autofree char *config = NULL, *label = NULL;
  const SsDataset *test;
  SsDdpgOptions agent;
  SsAmcMeasure measure;
  double loss;
  AmcOut *out;

  if ((env = ss_amc_env_new (net, &in->amc, error)) == NULL ||
      (train = ss_experiment_get_train (base, error)) == NULL ||
      !ss_check_data_fits (net, train, error) ||
      !ss_amc_split_dataset (train, in->val_size, in->amc.seed, &rest, &val, error))
    return NULL;
  test = ss_experiment_get_test (base);
  ss_job_task_progress (base->task, -1, _("Recording the calibration features…"));
  if (!ss_amc_env_set_data (env, rest, val, cancellable, error))
    return NULL;
  config = config_json (in, env);
  label = g_strdup_printf ("amc %s %.4g", ss_amc_reward_name (in->amc.reward),
                           in->amc.keep_macs);
  ss_experiment_begin (base, SS_RUN_KIND_AMC, label, config);

  out = g_new0 (AmcOut, 1);
  out->n_steps = ss_amc_env_get_n_steps (env);
  out->kept = g_new0 (int, out->n_steps);
  out->macs0 = ss_amc_env_get_original_macs (env);
  ss_ddpg_options_init (&agent);
  agent.replay_size = 100 * out->n_steps;
  agent.n_warmup = in->warmup;
  if (!ss_evaluate (net, test, 256, &loss, &out->accuracy[0], cancellable, error) ||
      !ss_amc_search (env, &agent, in->episodes, in->amc.seed, on_episode, in, cancellable,
                      error) ||
      !ss_amc_env_get_best (env, out->kept, &out->best_reward, &out->best_episode) ||
      (out->net = ss_amc_env_apply (env, out->kept, &measure, cancellable, error)) == NULL ||
      !ss_evaluate (out->net, test, 256, &loss, &out->accuracy[1], cancellable, error))
    {
      amc_out_free (out);
      return NULL;
    }
  out->accuracy[2] = out->accuracy[1];
  if (in->finetune.epochs > 0 &&
      (!ss_train (out->net, rest, test, &in->finetune, on_finetune, in, cancellable, error) ||
       !ss_evaluate (out->net, test, 256, &loss, &out->accuracy[2], cancellable, error)))
    {
      amc_out_free (out);
      return NULL;
    }
  return out;
}

/* ---- Display ------------------------------------------------------------------------------ */

static void
set_channel_row (SsAmcView *self,
                 guint      t,
                 int        kept)
{
  g_autofree char *name = self->layers && t < g_strv_length (self->layers)
                          ? g_strdup (self->layers[t]) : g_strdup_printf (_("group %u"), t + 1);
  int channels = t < self->channels->len ? g_array_index (self->channels, int, t) : 0;
  g_autofree char *total = channels > 0 ? g_strdup_printf ("%d", channels) : g_strdup ("—");
  g_autofree char *kept_text = kept > 0 ? g_strdup_printf ("%d", kept) : g_strdup ("—");
  g_autofree char *ratio = ss_table_format_percent (kept > 0 && channels > 0
                                              ? (double) kept / channels : NAN);
  const char *cells[] = { name, total, kept_text, ratio, NULL };

  ss_table_set_row (self->table, MIN (t, ss_table_get_n_rows (self->table)), cells);
}

/* A run that did not record its layer groups (the command line's): the open model's, if it has
 * as many (AMC's steps are the prunable groups in node order, named by their first conv). */
static void
name_groups (SsAmcView *self,
             guint      n)
{
  SsSessionModel *model = ss_session_get_model (ss_experiment_page_get_session (self->page));
  const SsArch *arch = model ? ss_net_get_arch (model->net) : NULL;
  g_auto(GStrv) units = arch ? ss_relevance_prune_default_units (arch) : NULL;

  if (units == NULL || g_strv_length (units) != n)
    return;
  for (guint t = 0; t < n; t++)
    {
      int c = ss_arch_get_node (arch, ss_arch_find_node (arch, units[t]))->out;
      g_array_append_val (self->channels, c);
    }
  self->layers = g_steal_pointer (&units);
}

static void
amc_begin (GtkWidget         *experiment,
           const SsRunRecord *record,
           JsonObject        *config)
{
  SsAmcView *self = SS_AMC_VIEW (experiment);
  const char *titles[] = { _("Layer group"), _("Channels"), _("Kept (best policy)"),
                           _("Preserved"), NULL };
  JsonArray *layers = ss_json_get_array (config, "layers");
  JsonArray *channels = ss_json_get_array (config, "channels");

  ss_table_set_columns (self->table, titles, 1u << 0);
  g_clear_pointer (&self->layers, g_strfreev);
  g_array_set_size (self->channels, 0);
  if (layers != NULL && channels != NULL)
    {
      guint n = MIN (json_array_get_length (layers), json_array_get_length (channels));
      self->layers = g_new0 (char *, n + 1);
      for (guint t = 0; t < n; t++)
        {
          int c = (int) json_array_get_int_element (channels, t);
          self->layers[t] = g_strdup (json_array_get_string_element (layers, t));
          g_array_append_val (self->channels, c);
          set_channel_row (self, t, 0);
        }
    }
  self->best = -INFINITY;
  self->reward_fig = ss_plot_new_curves (self->reward_plot, _("episode"), _("reward"),
                                         _("episode reward"), _("best so far"), NULL);
}

static void
amc_observe (GtkWidget              *experiment,
             const SsRunObservation *obs)
{
  SsAmcView *self = SS_AMC_VIEW (experiment);
  g_autoptr(JsonObject) extra = ss_json_parse_object (obs->extra_json);
  double reward = ss_json_get_number (extra, "reward");
  double episode = obs->epoch + 1;
  JsonArray *kept;

  if (g_strcmp0 (ss_json_get_string (extra, "phase"), "search") != 0)
    return;
  if (reward > self->best && (kept = ss_json_get_array (extra, "kept")) != NULL)
    {
      if (self->layers == NULL)
        name_groups (self, json_array_get_length (kept));
      self->best = reward;
      for (guint t = 0; t < json_array_get_length (kept); t++)
        set_channel_row (self, t, (int) json_array_get_int_element (kept, t));
    }
  ss_fig_curves_append (self->reward_fig, 0, episode, reward);
  ss_fig_curves_append (self->reward_fig, 1, episode, self->best);
  gtk_widget_queue_draw (GTK_WIDGET (self->reward_plot));
}

/* ---- Actions ------------------------------------------------------------------------------ */

static void
amc_done (GtkWidget *experiment,
          gpointer   result)
{
  SsAmcView *self = SS_AMC_VIEW (experiment);
  AmcOut *out = result;
  const SsArch *arch = ss_net_get_arch (out->net);
  gint64 macs = ss_arch_total_macs (arch);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL, *params = ss_table_format_count (ss_arch_total_params (arch));
  g_autofree char *macs_text = ss_table_format_count (macs);

  /* The policy applied is the best episode's: the table shows it already. */
  for (int t = 0; t < out->n_steps; t++)
    set_channel_row (self, (guint) t, out->kept[t]);
  text = g_strdup_printf (_("Best policy: episode %d, reward %.4f. The pruned model has %s "
                            "parameters and %s MACs (%.1f %% of the original). Test accuracy: "
                            "original %.2f %%, pruned %.2f %%, fine-tuned %.2f %%."),
                          out->best_episode + 1, out->best_reward, params, macs_text,
                          100.0 * (double) macs / (double) out->macs0, 100 * out->accuracy[0],
                          100 * out->accuracy[1], 100 * out->accuracy[2]);
  ss_experiment_page_set_message (self->page, text);
  json_builder_begin_object (b);
  ss_json_add_int (b, "best_episode", out->best_episode);
  ss_json_add_number (b, "best_reward", out->best_reward);
  ss_json_add_ints (b, "kept", out->kept, out->n_steps);
  json_builder_end_object (b);
  ss_experiment_page_set_result (self->page, g_steal_pointer (&out->net), _("pruned by AMC here"),
                                 META_AMC, ss_json_to_text (b));
  amc_out_free (out);
}

static void
on_start (SsAmcView *self)
{
  AmcIn *in = ss_experiment_page_input_new (self->page, sizeof (AmcIn));

  if (in == NULL)
    return;
  ss_amc_options_init (&in->amc);
  in->amc.reward = (SsAmcReward) adw_combo_row_get_selected (self->reward_row);
  in->amc.keep_macs = gtk_adjustment_get_value (self->keep);
  in->amc.lbound = gtk_adjustment_get_value (self->lbound);
  in->amc.n_calibration = (int) gtk_adjustment_get_value (self->calibration);
  in->amc.n_entropy = (int) gtk_adjustment_get_value (self->entropy_samples);
  in->episodes = (int) gtk_adjustment_get_value (self->episodes);
  in->warmup = (int) gtk_adjustment_get_value (self->warmup);
  in->val_size = (int) gtk_adjustment_get_value (self->val_size);
  ss_train_config_init (&in->finetune);
  ss_experiment_read_recipe (&in->finetune, self->epochs, self->lr, self->batch);
  in->finetune.seed = in->amc.seed;
  ss_experiment_page_start (self->page, &in->base, amc_worker, g_free, amc_out_free, amc_done);
}

SsTable *
ss_amc_view_get_table (SsAmcView *self)
{
  g_return_val_if_fail (SS_IS_AMC_VIEW (self), NULL);
  return self->table;
}

SsPlot *
ss_amc_view_get_plot (SsAmcView *self)
{
  g_return_val_if_fail (SS_IS_AMC_VIEW (self), NULL);
  return self->reward_plot;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_amc_view_dispose (GObject *object)
{
  SsAmcView *self = SS_AMC_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_AMC_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_amc_view_parent_class)->dispose (object);
}

static void
ss_amc_view_finalize (GObject *object)
{
  SsAmcView *self = SS_AMC_VIEW (object);

  g_clear_pointer (&self->layers, g_strfreev);
  g_clear_pointer (&self->channels, g_array_unref);
  G_OBJECT_CLASS (ss_amc_view_parent_class)->finalize (object);
}

static void
ss_amc_view_class_init (SsAmcViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_amc_view_dispose;
  object_class->finalize = ss_amc_view_finalize;

  g_type_ensure (SS_TYPE_EXPERIMENT_PAGE);
  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_TABLE);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/ss-amc-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, page);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, reward_row);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, keep);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, episodes);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, warmup);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, lbound);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, val_size);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, calibration);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, entropy_samples);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, table);
  gtk_widget_class_bind_template_child (widget_class, SsAmcView, reward_plot);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_amc_view_init (SsAmcView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->channels = g_array_new (FALSE, FALSE, sizeof (int));
  ss_experiment_page_set_display (self->page, GTK_WIDGET (self), amc_begin, amc_observe);
  amc_begin (GTK_WIDGET (self), NULL, NULL);
  ss_plot_set_curves_tooltip (self->reward_plot, FALSE);
  ss_plot_set_export_name (self->reward_plot, "supersign-amc-episodes");
  ss_table_set_export_name (self->table, "supersign-amc-channels");
}
