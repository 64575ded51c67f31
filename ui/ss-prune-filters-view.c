/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-job-bar.h"
#include "ss-prune-filters-view.h"
#include "ss-relevance-prune.h"

#define META_PRUNE_FILTERS "supersign.prune-filters"

enum { TARGET_FRACTION, TARGET_PER_LAYER };

/* A prunable layer group of the open model, with its row in the form. */
typedef struct {
  char          *name;     /* its first conv layer */
  int            n0;       /* its filters */
  GtkWidget     *row;      /* borrowed: owned by the expander row */
  GtkAdjustment *kept;     /* borrowed: owned by the row's spin button */
} Unit;

struct _SsPruneFiltersView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  SsExperimentPage *page;
  AdwComboRow      *criterion_row;
  AdwComboRow      *target_row;
  GtkWidget        *fraction_row;
  GtkAdjustment    *fraction;
  AdwExpanderRow   *units_row;
  GtkAdjustment    *rounds;
  GtkAdjustment    *epochs;
  GtkAdjustment    *lr;
  GtkAdjustment    *batch;
  GtkAdjustment    *samples;
  SsRelevancePanel *relevance;
  SsTable          *table;
  SsPlot           *acc_plot;
  SsPlot           *relevance_plot;
  SsJobBar         *relevance_bar;

  /* Owned */
  GPtrArray        *units;        /* Unit, of the open model */
  GStrv             shown_units;  /* the units of the run shown, or NULL until known */
  JsonObject       *shown_config; /* its configuration, or NULL */
  char             *last_config;  /* its last round's filters per group ("16-16-32-32") */
  char             *last_round;   /* its last round's summary, for the outcome */

  /* Borrowed: owned by the plot */
  SsFigCurves      *acc_fig;
};

G_DEFINE_FINAL_TYPE (SsPruneFiltersView, ss_prune_filters_view, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsExperimentInput      base;
  SsRelevancePruneConfig config;
  GStrv                  units;
  int                   *targets;
  double                 fraction;    /* 0: per-layer targets */
} FiltersIn;

static void
filters_in_free (gpointer p)
{
  FiltersIn *in = p;

  g_strfreev (in->units);
  g_free (in->targets);
  g_free (in);
}

static void
on_progress (const SsRelevancePruneProgress *p,
             gpointer                        user_data)
{
  FiltersIn *in = user_data;
  double lo = (double) MAX (p->round - 1, 0) / p->rounds, hi = (double) p->round / p->rounds;
  g_autofree char *what = g_strdup_printf (_("Round %d of %d"), p->round, p->rounds);

  if (p->phase == SS_RELEVANCE_PRUNE_SCORING)
    {
      g_autofree char *text = g_strdup_printf (_("%s: scoring the filters by %s"), what,
                                               ss_relevance_criterion_name (in->config.criterion));
      ss_job_task_progress (in->base.task, lo, text);
    }
  else if (p->phase == SS_RELEVANCE_PRUNE_FINETUNING)
    {
      ss_experiment_train_progress (&in->base, p->train, lo + 0.2 * (hi - lo), hi, what);
      if (p->train->epoch_done)
        {
          g_autofree char *extra = g_strdup_printf ("{\"phase\": \"finetune\", \"round\": %d}",
                                                    p->round);
          ss_experiment_observe_training (&in->base, p->train, extra);
        }
    }
  else if (p->phase == SS_RELEVANCE_PRUNE_ROUND_DONE)
    {
      const SsRelevancePruneRound *r = p->result;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *config = ss_relevance_prune_format_kept (r->kept, r->n_units);
      g_autofree char *extra = NULL;
      SsRunObservation obs = {
        .epoch = r->round, .epoch_end = TRUE, .seconds = r->relevance_wall + r->finetune_seconds,
        .lr = NAN, .train_loss = NAN, .train_acc = NAN, .test_loss = r->loss,
        .test_acc = r->accuracy,
      };

      json_builder_begin_object (b);
      ss_json_add_string (b, "phase", "round");
      ss_json_add_int (b, "round", r->round);
      ss_json_add_string (b, "configuration", config);
      ss_json_add_int (b, "params", r->params);
      ss_json_add_int (b, "macs", r->macs);
      ss_json_add_number (b, "relevance_seconds", r->relevance_seconds);
      ss_json_add_number (b, "relevance_wall", r->relevance_wall);
      ss_json_add_number (b, "finetune_seconds", r->finetune_seconds);
      json_builder_end_object (b);
      obs.extra_json = extra = ss_json_to_text (b);
      ss_experiment_observe (&in->base, &obs);
    }
}

static gpointer
filters_worker (SsExperimentInput  *base,
                GCancellable       *cancellable,
                GError            **error)
{
  FiltersIn *in = (FiltersIn *) base;
  int n = (int) g_strv_length (in->units);
  const SsDataset *train;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *layers = g_strjoinv (",", in->units);
  g_autofree char *target = ss_relevance_prune_format_kept (in->targets, n);
  g_autofree char *config = NULL;

  if (!ss_relevance_prune_check (ss_net_get_arch (base->model->net),
                                 (const char *const *) in->units, in->targets, n, error) ||
      (train = ss_experiment_get_train (base, error)) == NULL)
    return NULL;

  json_builder_begin_object (b);
  ss_json_add_string (b, "criterion", ss_relevance_criterion_name (in->config.criterion));
  ss_json_add_string (b, "layers", layers);
  ss_json_add_string (b, "target", in->fraction > 0 ? "" : target);
  ss_json_add_number (b, "fraction", in->fraction);
  ss_json_add_int (b, "rounds", in->config.rounds);
  ss_json_add_int (b, "finetune_epochs", in->config.finetune.epochs);
  ss_json_add_number (b, "lr", in->config.finetune.schedule.lr);
  ss_json_add_int (b, "batch", in->config.finetune.batch_size);
  ss_json_add_int (b, "samples", in->config.relevance.n_samples);
  ss_json_add_int (b, "subset", base->train_subset);
  ss_json_add_int (b, "test_subset", base->test_subset);
  ss_json_add_int (b, "seed", (gint64) in->config.finetune.seed);
  json_builder_end_object (b);
  config = ss_json_to_text (b);
  ss_experiment_begin (base, SS_RUN_KIND_PRUNE_FILTERS, "supersign app prune-filters", config);

  /* The relevance samples: no more than the training images taken. */
  in->config.relevance.n_samples = (int) MIN ((gsize) in->config.relevance.n_samples,
                                              ss_dataset_get_size (train));
  return ss_relevance_prune_run (base->model->net, train, ss_experiment_get_test (base),
                                 &in->config, (const char *const *) in->units, in->targets, n,
                                 on_progress, in, cancellable, error);
}

/* ---- Display ------------------------------------------------------------------------------ */

static void
set_columns (SsPruneFiltersView *self,
             int                 n_units)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (titles, g_strdup (_("Round")));
  for (int u = 0; u < n_units; u++)
    g_ptr_array_add (titles, self->shown_units != NULL && self->shown_units[u] != NULL
                             ? g_strdup (self->shown_units[u])
                             : g_strdup_printf (_("group %d"), u + 1));
  g_ptr_array_add (titles, g_strdup (_("Parameters")));
  g_ptr_array_add (titles, g_strdup (_("MACs")));
  g_ptr_array_add (titles, g_strdup (_("Accuracy")));
  g_ptr_array_add (titles, g_strdup (_("Relevance (s)")));
  g_ptr_array_add (titles, g_strdup (_("Tuning (s)")));
  g_ptr_array_add (titles, NULL);
  ss_table_set_columns (self->table, (const char *const *) titles->pdata, 0);
}

static void
filters_begin (GtkWidget         *experiment,
               const SsRunRecord *record,
               JsonObject        *config)
{
  SsPruneFiltersView *self = SS_PRUNE_FILTERS_VIEW (experiment);
  const char *layers = ss_json_get_string (config, "layers");

  g_clear_pointer (&self->shown_units, g_strfreev);
  g_clear_pointer (&self->shown_config, json_object_unref);
  g_clear_pointer (&self->last_config, g_free);
  g_clear_pointer (&self->last_round, g_free);
  self->shown_config = config != NULL ? json_object_ref (config) : NULL;
  if (layers != NULL && *layers != '\0')
    self->shown_units = g_strsplit (layers, ",", -1);
  set_columns (self, self->shown_units ? (int) g_strv_length (self->shown_units) : 0);
  self->acc_fig = ss_plot_new_curves (self->acc_plot, _("round"), _("test accuracy"),
                                      _("test accuracy"), NULL);
}

static void
filters_observe (GtkWidget              *experiment,
                 const SsRunObservation *obs)
{
  SsPruneFiltersView *self = SS_PRUNE_FILTERS_VIEW (experiment);
  g_autoptr(JsonObject) extra = ss_json_parse_object (obs->extra_json);
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) kept = NULL;
  const char *config;
  gint64 round;

  if (g_strcmp0 (ss_json_get_string (extra, "phase"), "round") != 0)
    return;
  config = ss_json_get_string (extra, "configuration");
  kept = g_strsplit (config ? config : "", "-", -1);
  if (ss_table_get_n_rows (self->table) == 0 &&
      ss_table_get_n_columns (self->table) != g_strv_length (kept) + 6)
    {
      /* A run that did not record its layers (the command line's default): the open model's
       * groups, if there are as many. */
      SsSessionModel *model = ss_session_get_model (ss_experiment_page_get_session (self->page));
      GStrv units = model ? ss_relevance_prune_default_units (ss_net_get_arch (model->net)) : NULL;

      if (units != NULL && g_strv_length (units) == g_strv_length (kept))
        self->shown_units = g_steal_pointer (&units);
      g_strfreev (units);
      set_columns (self, (int) g_strv_length (kept));
    }
  round = ss_json_get_int (extra, "round", obs->epoch);
  g_ptr_array_add (cells, g_strdup_printf ("%" G_GINT64_FORMAT, round));
  for (guint u = 0; kept[u] != NULL; u++)
    g_ptr_array_add (cells, g_strdup (kept[u]));
  g_ptr_array_add (cells, ss_table_format_count (ss_json_get_int (extra, "params", 0)));
  g_ptr_array_add (cells, ss_table_format_count (ss_json_get_int (extra, "macs", 0)));
  g_ptr_array_add (cells, ss_table_format_percent (obs->test_acc));
  g_ptr_array_add (cells, round > 0 ? ss_table_format_number (ss_json_get_number (extra,
                                                                            "relevance_seconds"),
                                                        3)
                                    : g_strdup ("—"));
  g_ptr_array_add (cells, round > 0 ? ss_table_format_number (ss_json_get_number (extra,
                                                                            "finetune_seconds"),
                                                        1)
                                    : g_strdup ("—"));
  g_ptr_array_add (cells, NULL);
  ss_table_set_row (self->table, ss_table_get_n_rows (self->table),
                    (const char *const *) cells->pdata);
  ss_fig_curves_append (self->acc_fig, 0, (double) round, obs->test_acc);
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
  g_free (self->last_config);
  self->last_config = g_strdup (config);
  g_free (self->last_round);
  self->last_round = g_strdup_printf (_("configuration %s, %s parameters, %s MACs, test "
                                        "accuracy %s"), config ? config : "?",
                                      (char *) cells->pdata[cells->len - 6],
                                      (char *) cells->pdata[cells->len - 5],
                                      (char *) cells->pdata[cells->len - 4]);
}

/* ---- The form ----------------------------------------------------------------------------- */

static void
unit_free (gpointer p)
{
  Unit *unit = p;

  g_free (unit->name);
  g_free (unit);
}

/* One row per prunable group of the open model, keeping half its filters at first. */
static void
rebuild_units (SsPruneFiltersView *self)
{
  SsSession *session = ss_experiment_page_get_session (self->page);
  SsSessionModel *model = session ? ss_session_get_model (session) : NULL;
  g_auto(GStrv) names = NULL;

  for (guint i = 0; i < self->units->len; i++)
    adw_expander_row_remove (self->units_row, ((Unit *) self->units->pdata[i])->row);
  g_ptr_array_set_size (self->units, 0);
  if (model == NULL)
    return;
  names = ss_relevance_prune_default_units (ss_net_get_arch (model->net));
  for (guint i = 0; names[i] != NULL; i++)
    {
      const SsArch *arch = ss_net_get_arch (model->net);
      Unit *unit = g_new0 (Unit, 1);
      g_autofree char *subtitle = NULL, *widget_name = NULL;
      GtkWidget *spin;

      unit->name = g_strdup (names[i]);
      unit->n0 = ss_arch_get_node (arch, ss_arch_find_node (arch, names[i]))->out;
      unit->kept = gtk_adjustment_new (MAX (1, unit->n0 / 2), 1, unit->n0, 1, 8, 0);
      spin = gtk_spin_button_new (unit->kept, 1, 0);
      widget_name = g_strdup_printf ("kept-%s", names[i]);
      gtk_widget_set_name (spin, widget_name);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      unit->row = adw_action_row_new ();
      subtitle = g_strdup_printf (_("of %d filters"), unit->n0);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (unit->row), names[i]);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (unit->row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (unit->row), spin);
      adw_expander_row_add_row (self->units_row, unit->row);
      g_ptr_array_add (self->units, unit);
    }
}

static void
on_target_changed (SsPruneFiltersView *self)
{
  gboolean per_layer = adw_combo_row_get_selected (self->target_row) == TARGET_PER_LAYER;

  gtk_widget_set_visible (self->fraction_row, !per_layer);
  gtk_widget_set_visible (GTK_WIDGET (self->units_row), per_layer);
}

static void
on_session (SsPruneFiltersView *self)
{
  SsSession *session = ss_experiment_page_get_session (self->page);

  ss_relevance_panel_set_session (self->relevance, session);
  g_signal_connect_object (session, "notify::model", G_CALLBACK (rebuild_units), self,
                           G_CONNECT_SWAPPED);
  rebuild_units (self);
}

static void
on_relevance_retry (SsPruneFiltersView *self)
{
  ss_relevance_panel_compute (self->relevance);
}

/* ---- Actions ------------------------------------------------------------------------------ */

static void
filters_done (GtkWidget *experiment,
              gpointer   result)
{
  SsPruneFiltersView *self = SS_PRUNE_FILTERS_VIEW (experiment);
  g_autofree char *text = g_strdup_printf (_("Finished: %s."), self->last_round);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  ss_experiment_page_set_message (self->page, text);
  /* As the command line saves it. */
  json_builder_begin_object (b);
  ss_json_add_string (b, "criterion", ss_json_get_string (self->shown_config, "criterion"));
  ss_json_add_int (b, "rounds", ss_json_get_int (self->shown_config, "rounds", 1));
  ss_json_add_string (b, "configuration", self->last_config);
  json_builder_end_object (b);
  ss_experiment_page_set_result (self->page, result, _("filters pruned here"), META_PRUNE_FILTERS,
                                 ss_json_to_text (b));
}

static void
on_start (SsPruneFiltersView *self)
{
  FiltersIn *in = ss_experiment_page_input_new (self->page, sizeof (FiltersIn));
  gboolean per_layer = adw_combo_row_get_selected (self->target_row) == TARGET_PER_LAYER;
  double f = gtk_adjustment_get_value (self->fraction);
  int n = (int) self->units->len;

  if (in == NULL)
    return;
  ss_relevance_prune_config_init (&in->config);
  in->config.criterion = adw_combo_row_get_selected (self->criterion_row);
  in->config.relevance.n_samples = (int) gtk_adjustment_get_value (self->samples);
  in->config.rounds = (int) gtk_adjustment_get_value (self->rounds);
  ss_experiment_read_recipe (&in->config.finetune, self->epochs, self->lr, self->batch);
  in->units = g_new0 (char *, n + 1);
  in->targets = g_new0 (int, MAX (n, 1));
  in->fraction = per_layer ? 0 : f;
  for (int u = 0; u < n; u++)
    {
      Unit *unit = self->units->pdata[u];
      in->units[u] = g_strdup (unit->name);
      /* As the command line's --fraction: each group keeps n₀ − round (f·n₀), at least 1. */
      in->targets[u] = per_layer ? (int) gtk_adjustment_get_value (unit->kept)
                                 : MAX (1, unit->n0 - (int) (f * unit->n0 + 0.5));
    }
  ss_experiment_page_start (self->page, &in->base, filters_worker, filters_in_free,
                            (GDestroyNotify) ss_net_free, filters_done);
}

SsTable *
ss_prune_filters_view_get_table (SsPruneFiltersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_FILTERS_VIEW (self), NULL);
  return self->table;
}

SsPlot *
ss_prune_filters_view_get_plot (SsPruneFiltersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_FILTERS_VIEW (self), NULL);
  return self->acc_plot;
}

SsRelevancePanel *
ss_prune_filters_view_get_relevance (SsPruneFiltersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_FILTERS_VIEW (self), NULL);
  return self->relevance;
}

SsPlot *
ss_prune_filters_view_get_relevance_plot (SsPruneFiltersView *self)
{
  g_return_val_if_fail (SS_IS_PRUNE_FILTERS_VIEW (self), NULL);
  return self->relevance_plot;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_prune_filters_view_dispose (GObject *object)
{
  SsPruneFiltersView *self = SS_PRUNE_FILTERS_VIEW (object);

  g_clear_pointer (&self->units, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_PRUNE_FILTERS_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_prune_filters_view_parent_class)->dispose (object);
}

static void
ss_prune_filters_view_finalize (GObject *object)
{
  SsPruneFiltersView *self = SS_PRUNE_FILTERS_VIEW (object);

  g_clear_pointer (&self->shown_units, g_strfreev);
  g_clear_pointer (&self->shown_config, json_object_unref);
  g_clear_pointer (&self->last_config, g_free);
  g_clear_pointer (&self->last_round, g_free);
  G_OBJECT_CLASS (ss_prune_filters_view_parent_class)->finalize (object);
}

static void
ss_prune_filters_view_class_init (SsPruneFiltersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_prune_filters_view_dispose;
  object_class->finalize = ss_prune_filters_view_finalize;

  g_type_ensure (SS_TYPE_EXPERIMENT_PAGE);
  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_TABLE);
  g_type_ensure (SS_TYPE_RELEVANCE_PANEL);
  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-prune-filters-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, page);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, criterion_row);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, target_row);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, fraction_row);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, fraction);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, units_row);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, rounds);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, samples);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, relevance);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, table);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, acc_plot);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, relevance_plot);
  gtk_widget_class_bind_template_child (widget_class, SsPruneFiltersView, relevance_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
  gtk_widget_class_bind_template_callback (widget_class, on_target_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_relevance_retry);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_prune_filters_view_init (SsPruneFiltersView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->units = g_ptr_array_new_with_free_func (unit_free);
  ss_experiment_page_set_display (self->page, GTK_WIDGET (self), filters_begin, filters_observe);
  filters_begin (GTK_WIDGET (self), NULL, NULL);
  on_target_changed (self);
  g_signal_connect_object (self->page, "notify::session", G_CALLBACK (on_session), self,
                           G_CONNECT_SWAPPED);
  g_object_bind_property (self->criterion_row, "selected", self->relevance, "criterion",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->samples, "value", self->relevance, "samples",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->page, "train-images", self->relevance, "train-images",
                          G_BINDING_SYNC_CREATE);
  ss_relevance_panel_set_plot (self->relevance, self->relevance_plot);
  ss_job_bar_set_job (self->relevance_bar, ss_relevance_panel_get_job (self->relevance));
  ss_plot_set_curves_tooltip (self->acc_plot, TRUE);
  ss_plot_set_export_name (self->acc_plot, "supersign-prune-filters-accuracy");
  ss_plot_set_export_name (self->relevance_plot, "supersign-filter-relevance");
  ss_table_set_export_name (self->table, "supersign-prune-filters");
}
