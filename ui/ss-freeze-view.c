/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-freeze-view.h"
#include "ss-observed-training.h"

enum { NORMAL, FREEZING, N_ARMS };

/* One epoch of one arm, as shown. */
typedef struct {
  double  test_acc;
  double  seconds;    /* training steps, and the observer's time when freezing */
  char   *frozen;     /* the frozen layers, ", "-separated (owned) */
} Epoch;

struct _SsFreezeView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  SsExperimentPage *page;
  GtkAdjustment    *epochs;
  GtkAdjustment    *lr;
  GtkAdjustment    *batch;
  GtkSwitch        *fresh_switch;
  GtkAdjustment    *epsilon;
  GtkAdjustment    *window;
  GtkAdjustment    *earliest;
  SsTable          *table;
  SsPlot           *acc_plot;

  /* Owned: the comparison shown */
  GArray           *arms[N_ARMS];   /* of Epoch */
  GHashTable       *frozen;         /* layers of the freezing run marked frozen */
  int               arm;            /* the arm observations go to */

  /* Borrowed: owned by the plot */
  SsFigCurves      *acc_fig;
};

G_DEFINE_FINAL_TYPE (SsFreezeView, ss_freeze_view, GTK_TYPE_WIDGET)

static const char *const arm_names[N_ARMS] = { "normal", "freezing" };

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  SsExperimentInput base;
  SsTrainConfig     config;
  SsFreezeRule      rule;
  gboolean          fresh;
  int               probe;
  int               bins;
} FreezeIn;

static char *
config_json (FreezeIn *in,
             int       arm,
             gsize     train_images)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ss_json_add_string (b, "arm", arm_names[arm]);
  ss_json_add_int (b, "epochs", in->config.epochs);
  ss_json_add_int (b, "batch", in->config.batch_size);
  ss_json_add_number (b, "lr", in->config.schedule.lr);
  ss_json_add_int (b, "seed", (gint64) in->config.seed);
  ss_json_add_int (b, "train_images", (gint64) train_images);
  ss_json_add_int (b, "test_subset", in->base.test_subset);
  ss_json_add_bool (b, "fresh", in->fresh);
  ss_json_add_number (b, "epsilon", in->rule.epsilon);
  ss_json_add_int (b, "window", in->rule.window);
  ss_json_add_int (b, "earliest", in->rule.earliest);
  ss_json_add_int (b, "probe", in->probe);
  ss_json_add_int (b, "bins", in->bins);
  json_builder_end_object (b);
  return ss_json_to_text (b);
}

/* Both runs, one after the other, from the same weights: fresh ones drawn from the same seed,
 * or the model's. Returns the freezing run's network. */
static gpointer
freeze_worker (SsExperimentInput  *base,
               GCancellable       *cancellable,
               GError            **error)
{
  FreezeIn *in = (FreezeIn *) base;
  const SsDataset *train;
  g_autoptr(SsNet) net = NULL;

  if (!ss_freeze_rule_validate (&in->rule, error) ||
      (train = ss_experiment_get_train (base, error)) == NULL)
    return NULL;
  for (int arm = NORMAL; arm < N_ARMS; arm++)
    {
      g_autofree char *config = config_json (in, arm, ss_dataset_get_size (train));
      g_autofree char *label = g_strdup_printf ("supersign app freeze-compare: %s",
                                                arm_names[arm]);
      SsObservedTraining how = { &in->config, in->probe, in->bins,
                                 arm == FREEZING ? &in->rule : NULL,
                                 arm == FREEZING ? _("Freezing run") : _("Normal run"),
                                 0.5 * arm, 0.5 * (arm + 1) };

      g_clear_pointer (&net, ss_net_free);
      net = in->fresh ? ss_net_new (ss_net_get_arch (base->model->net), in->config.seed)
                      : ss_session_model_clone_net (base->model);
      ss_experiment_begin (base, SS_RUN_KIND_FREEZE_COMPARE, label, config);
      if (!ss_observed_training_run (base, net, train, &how, cancellable, error))
        return NULL;
    }
  return g_steal_pointer (&net);
}

/* ---- Display ------------------------------------------------------------------------------ */

static void
epoch_clear (gpointer p)
{
  g_free (((Epoch *) p)->frozen);
}

/* The best test accuracy of arm up to epoch e, NaN if the arm has not got there. */
static double
best_until (GArray *arm,
            guint   e)
{
  double best = NAN;

  if (e >= arm->len)
    return NAN;
  for (guint i = 0; i <= e; i++)
    {
      double a = g_array_index (arm, Epoch, i).test_acc;
      if (isnan (best) || a > best)
        best = a;
    }
  return best;
}

/* Table 2.6's row of epoch e. */
static void
update_row (SsFreezeView *self,
            guint         e)
{
  GArray *f = self->arms[FREEZING], *n = self->arms[NORMAL];
  g_autofree char *epoch = g_strdup_printf ("%u", e + 1);
  g_autofree char *best_f = ss_table_format_percent (best_until (f, e));
  g_autofree char *best_n = ss_table_format_percent (best_until (n, e));
  g_autofree char *secs_f =
    ss_table_format_number (e < f->len ? g_array_index (f, Epoch, e).seconds : NAN, 2);
  g_autofree char *secs_n =
    ss_table_format_number (e < n->len ? g_array_index (n, Epoch, e).seconds : NAN, 2);
  const char *frozen = e < f->len ? g_array_index (f, Epoch, e).frozen : "";
  const char *cells[] = { epoch, best_f, best_n, *frozen ? frozen : "—", secs_f, secs_n, NULL };

  ss_table_set_row (self->table, MIN (e, ss_table_get_n_rows (self->table)), cells);
}

static void
reset_display (SsFreezeView *self)
{
  const char *titles[] = { _("Epoch"), _("Best, freezing"), _("Best, normal"),
                           _("Layers frozen"), _("Seconds, freezing"), _("Seconds, normal"),
                           NULL };

  ss_table_set_columns (self->table, titles, 1u << 3);
  self->acc_fig = ss_plot_new_curves (self->acc_plot, NULL, _("test accuracy"), _("normal"),
                                      _("freezing"), NULL);
  for (int a = 0; a < N_ARMS; a++)
    g_array_set_size (self->arms[a], 0);
  g_hash_table_remove_all (self->frozen);
}

/* A normal run resets the comparison; a freezing run continues the normal run shown before it
 * (the second run of a live comparison, or the pair opened from the history). */
static void
freeze_begin (GtkWidget         *experiment,
              const SsRunRecord *record,
              JsonObject        *config)
{
  SsFreezeView *self = SS_FREEZE_VIEW (experiment);
  int arm = g_strcmp0 (ss_json_get_string (config, "arm"), arm_names[FREEZING]) == 0
            ? FREEZING : NORMAL;

  if (arm == NORMAL || self->arm != NORMAL || self->arms[NORMAL]->len == 0 ||
      self->arms[FREEZING]->len > 0)
    reset_display (self);
  self->arm = arm;
  /* The information plane follows the run shown last: the freezing one in the end. */
  ss_experiment_page_begin_trajectory (self->page, config);
}

static void
freeze_observe (GtkWidget              *experiment,
                const SsRunObservation *obs)
{
  SsFreezeView *self = SS_FREEZE_VIEW (experiment);
  g_autoptr(JsonObject) extra = NULL;
  g_autoptr(GPtrArray) frozen = g_ptr_array_new ();
  g_autoptr(GString) marks = g_string_new (NULL);
  GArray *arm = self->arms[self->arm];
  double observer;
  Epoch e;

  if (!obs->epoch_end || obs->epoch != (int) arm->len)
    return;
  extra = ss_json_parse_object (obs->extra_json);
  observer = ss_json_get_number (extra, "observer_seconds");
  for (guint l = 0; l < obs->n_layers; l++)
    if (obs->layers[l].frozen)
      {
        const char *name = obs->layers[l].layer;
        g_ptr_array_add (frozen, (gpointer) name);
        if (self->arm == FREEZING && g_hash_table_add (self->frozen, g_strdup (name)))
          g_string_append_printf (marks, "%s%s", marks->len ? ", " : "", name);
      }
  g_ptr_array_add (frozen, NULL);
  e.test_acc = obs->test_acc;
  e.seconds = obs->seconds + (isfinite (observer) ? observer : 0);
  e.frozen = g_strjoinv (", ", (char **) frozen->pdata);
  g_array_append_val (arm, e);

  ss_experiment_page_add_trajectory_point (self->page, obs);
  ss_fig_curves_append (self->acc_fig, self->arm, obs->epoch + 1, obs->test_acc);
  if (marks->len > 0)
    {
      g_autofree char *label = g_strdup_printf (_("frozen: %s"), marks->str);
      ss_fig_curves_add_marker (self->acc_fig, FREEZING, obs->epoch + 1, label);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->acc_plot));
  update_row (self, (guint) obs->epoch);
}

/* ---- Actions ------------------------------------------------------------------------------ */

static double
total_seconds (GArray *arm)
{
  double total = 0;

  for (guint i = 0; i < arm->len; i++)
    total += g_array_index (arm, Epoch, i).seconds;
  return total;
}

static void
freeze_done (GtkWidget *experiment,
             gpointer   result)
{
  SsFreezeView *self = SS_FREEZE_VIEW (experiment);
  guint n = self->arms[FREEZING]->len;
  double tf = total_seconds (self->arms[FREEZING]), tn = total_seconds (self->arms[NORMAL]);
  g_autofree char *text = NULL;

  text = g_strdup_printf (ngettext ("Finished after %u epoch: best test accuracy %.2f %% "
                                    "freezing, %.2f %% normal; %.1f s freezing, %.1f s normal "
                                    "(%.2f×).",
                                    "Finished after %u epochs: best test accuracy %.2f %% "
                                    "freezing, %.2f %% normal; %.1f s freezing, %.1f s normal "
                                    "(%.2f×).", n), n,
                          100 * best_until (self->arms[FREEZING], n - 1),
                          100 * best_until (self->arms[NORMAL], n - 1), tf, tn, tn / tf);
  ss_experiment_page_set_message (self->page, text);
  ss_experiment_page_set_result (self->page, result, _("trained with freezing here"), NULL,
                                 NULL);
}

static void
on_start (SsFreezeView *self)
{
  FreezeIn *in = ss_experiment_page_input_new (self->page, sizeof (FreezeIn));

  if (in == NULL)
    return;
  ss_session_get_profile_options (ss_experiment_page_get_session (self->page), &in->bins,
                                  &in->probe);
  ss_train_config_init (&in->config);
  ss_experiment_read_recipe (&in->config, self->epochs, self->lr, self->batch);
  in->fresh = gtk_switch_get_active (self->fresh_switch);
  ss_freeze_rule_init (&in->rule);
  in->rule.epsilon = gtk_adjustment_get_value (self->epsilon);
  in->rule.window = (int) gtk_adjustment_get_value (self->window);
  in->rule.earliest = (int) gtk_adjustment_get_value (self->earliest);
  ss_experiment_page_start (self->page, &in->base, freeze_worker, g_free,
                            (GDestroyNotify) ss_net_free, freeze_done);
}

SsTable *
ss_freeze_view_get_table (SsFreezeView *self)
{
  g_return_val_if_fail (SS_IS_FREEZE_VIEW (self), NULL);
  return self->table;
}

SsPlot *
ss_freeze_view_get_plot (SsFreezeView *self)
{
  g_return_val_if_fail (SS_IS_FREEZE_VIEW (self), NULL);
  return self->acc_plot;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_freeze_view_dispose (GObject *object)
{
  SsFreezeView *self = SS_FREEZE_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_FREEZE_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_freeze_view_parent_class)->dispose (object);
}

static void
ss_freeze_view_finalize (GObject *object)
{
  SsFreezeView *self = SS_FREEZE_VIEW (object);

  for (int a = 0; a < N_ARMS; a++)
    g_clear_pointer (&self->arms[a], g_array_unref);
  g_clear_pointer (&self->frozen, g_hash_table_unref);
  G_OBJECT_CLASS (ss_freeze_view_parent_class)->finalize (object);
}

static void
ss_freeze_view_class_init (SsFreezeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_freeze_view_dispose;
  object_class->finalize = ss_freeze_view_finalize;

  g_type_ensure (SS_TYPE_EXPERIMENT_PAGE);
  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_TABLE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-freeze-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, page);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, epochs);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, lr);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, batch);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, fresh_switch);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, epsilon);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, window);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, earliest);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, table);
  gtk_widget_class_bind_template_child (widget_class, SsFreezeView, acc_plot);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_freeze_view_init (SsFreezeView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  for (int a = 0; a < N_ARMS; a++)
    {
      self->arms[a] = g_array_new (FALSE, TRUE, sizeof (Epoch));
      g_array_set_clear_func (self->arms[a], epoch_clear);
    }
  self->frozen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ss_experiment_page_set_display (self->page, GTK_WIDGET (self), freeze_begin, freeze_observe);
  reset_display (self);
  ss_plot_set_curves_tooltip (self->acc_plot, TRUE);
  ss_plot_set_export_name (self->acc_plot, "supersign-freeze-accuracy");
  ss_table_set_export_name (self->table, "supersign-freeze-compare");
}
