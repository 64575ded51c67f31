/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-experiment-task.h"
#include "ss-relevance-panel.h"
#include "ss-relevance.h"

struct _SsRelevancePanel
{
  GtkWidget     parent_instance;

  /* Template widgets */
  AdwComboRow   *layer_row;
  GtkStringList *layer_names;

  /* Owned */
  SsSession     *session;
  SsJob         *job;
  GArray        *scores;      /* SsLayerRelevance of the last computation, or NULL */

  /* Borrowed */
  SsPlot        *plot;

  SsRelevanceCriterion criterion;   /* the form's */
  SsRelevanceCriterion scored_by;   /* scores' */
  int           samples;
  int           train_images;
};

enum {
  PROP_0,
  PROP_CRITERION,
  PROP_SAMPLES,
  PROP_TRAIN_IMAGES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SsRelevancePanel, ss_relevance_panel, GTK_TYPE_WIDGET)

/* ---- Worker ------------------------------------------------------------------------------- */

/* The experiments' input, for its data (nothing is recorded). */
typedef struct {
  SsExperimentInput    base;
  SsRelevanceCriterion criterion;
  int                  samples;
} RelevanceIn;

static void
relevance_in_free (gpointer p)
{
  ss_experiment_input_clear (p);
  g_free (p);
}

static void
on_layer_scored (int         done,
                 int         total,
                 const char *layer,
                 gpointer    user_data)
{
  RelevanceIn *in = user_data;
  g_autofree char *text = g_strdup_printf (_("Scored %s (%d of %d layers)"), layer, done, total);

  ss_job_task_progress (in->base.task, (double) done / total, text);
}

static gpointer
relevance_worker (SsJobTask    *task,
                  gpointer      input,
                  GCancellable *cancellable,
                  GError      **error)
{
  RelevanceIn *in = input;
  g_autoptr(SsNet) net = ss_session_model_clone_net (in->base.model);
  const SsDataset *train = NULL;
  SsRelevanceOptions opt;

  in->base.task = task;
  ss_relevance_options_init (&opt);
  /* The samples Filter Pruning scores: drawn from the same training images. */
  if (in->criterion != SS_RELEVANCE_L1)
    {
      if ((train = ss_experiment_get_train (&in->base, error)) == NULL)
        return NULL;
      opt.n_samples = (int) MIN ((gsize) in->samples, ss_dataset_get_size (train));
    }
  return ss_relevance_compute (net, train, in->criterion, &opt, on_layer_scored, in, cancellable,
                               error);
}

/* ---- Display ------------------------------------------------------------------------------ */

static const SsLayerRelevance *
find_layer (SsRelevancePanel *self,
            const char       *layer)
{
  for (guint i = 0; self->scores != NULL && i < self->scores->len; i++)
    if (g_strcmp0 (g_array_index (self->scores, SsLayerRelevance, i).name, layer) == 0)
      return &g_array_index (self->scores, SsLayerRelevance, i);
  return NULL;
}

gboolean
ss_relevance_panel_show_layer (SsRelevancePanel *self,
                               const char       *layer)
{
  const SsLayerRelevance *lr;
  g_autofree int *order = NULL;
  g_autofree char *title = NULL;
  SsFigBars *fig;

  g_return_val_if_fail (SS_IS_RELEVANCE_PANEL (self), FALSE);

  if ((lr = find_layer (self, layer)) == NULL || self->plot == NULL)
    return FALSE;
  order = ss_relevance_rank (lr);
  fig = ss_fig_bars_new ();
  title = g_strdup_printf (_("%s: %d filters by %s, least relevant first"), lr->name,
                           lr->n_filters, ss_relevance_criterion_name (self->scored_by));
  ss_fig_bars_set_title (fig, title);
  ss_fig_bars_set_y_label (fig, self->scored_by == SS_RELEVANCE_L1 ? _("L1 norm of the weights")
                                                                    : _("relevance (bits)"));
  ss_fig_bars_set_y_range (fig, 0, NAN);
  ss_fig_bars_add_series (fig, ss_relevance_criterion_name (self->scored_by));
  for (int k = 0; k < lr->n_filters; k++)
    {
      g_autofree char *name = g_strdup_printf ("%d", order[k]);
      int x = ss_fig_bars_add_layer (fig, name, FALSE);
      ss_fig_bars_set_value (fig, 0, x, lr->scores[order[k]], NAN, NAN);
    }
  ss_plot_set_figure (self->plot, SS_FIG_BARS, fig, (GDestroyNotify) ss_fig_bars_free);
  return TRUE;
}

static void
on_layer_selected (SsRelevancePanel *self)
{
  guint i = adw_combo_row_get_selected (self->layer_row);

  if (i != GTK_INVALID_LIST_POSITION)
    ss_relevance_panel_show_layer (self, gtk_string_list_get_string (self->layer_names, i));
}

static void
relevance_done (GObject  *target,
                gpointer  result)
{
  SsRelevancePanel *self = SS_RELEVANCE_PANEL (target);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_names));
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_clear_pointer (&self->scores, g_array_unref);
  self->scores = result;
  for (guint i = 0; i < self->scores->len; i++)
    g_ptr_array_add (names, g_array_index (self->scores, SsLayerRelevance, i).name);
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->layer_names, 0, n, (const char *const *) names->pdata);
  gtk_widget_set_sensitive (GTK_WIDGET (self->layer_row), self->scores->len > 0);
  adw_combo_row_set_selected (self->layer_row, 0);
  on_layer_selected (self);
}

void
ss_relevance_panel_compute (SsRelevancePanel *self)
{
  RelevanceIn *in;

  g_return_if_fail (SS_IS_RELEVANCE_PANEL (self));
  g_return_if_fail (self->session != NULL);

  if (!ss_session_check_trainable (self->session, self->job,
                                   _("Relevance needs a model and a data set with a training "
                                     "split that fit each other")))
    return;
  in = g_new0 (RelevanceIn, 1);
  in->base.model = ss_session_model_ref (ss_session_get_model (self->session));
  in->base.data = ss_session_data_ref (ss_session_get_data (self->session));
  in->base.train_subset = self->train_images;
  in->criterion = self->criterion;
  in->samples = self->samples;
  self->scored_by = self->criterion;
  ss_job_start (self->job, relevance_worker, in, relevance_in_free,
                (GDestroyNotify) g_array_unref, relevance_done, G_OBJECT (self));
}

void
ss_relevance_panel_set_session (SsRelevancePanel *self,
                                SsSession        *session)
{
  g_return_if_fail (SS_IS_RELEVANCE_PANEL (self));
  g_return_if_fail (SS_IS_SESSION (session));

  if (g_set_object (&self->session, session))
    ss_session_add_job (session, self->job);
}

void
ss_relevance_panel_set_plot (SsRelevancePanel *self,
                             SsPlot           *plot)
{
  g_return_if_fail (SS_IS_RELEVANCE_PANEL (self));
  self->plot = plot;
}

SsJob *
ss_relevance_panel_get_job (SsRelevancePanel *self)
{
  g_return_val_if_fail (SS_IS_RELEVANCE_PANEL (self), NULL);
  return self->job;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_relevance_panel_dispose (GObject *object)
{
  SsRelevancePanel *self = SS_RELEVANCE_PANEL (object);

  if (self->job != NULL)
    ss_job_reset (self->job);
  g_clear_object (&self->job);
  g_clear_object (&self->session);
  g_clear_pointer (&self->scores, g_array_unref);
  self->plot = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_RELEVANCE_PANEL);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_relevance_panel_parent_class)->dispose (object);
}

static void
ss_relevance_panel_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SsRelevancePanel *self = SS_RELEVANCE_PANEL (object);

  switch (prop_id)
    {
    case PROP_CRITERION:
      g_value_set_uint (value, self->criterion);
      break;
    case PROP_SAMPLES:
      g_value_set_double (value, self->samples);
      break;
    case PROP_TRAIN_IMAGES:
      g_value_set_int (value, self->train_images);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_relevance_panel_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SsRelevancePanel *self = SS_RELEVANCE_PANEL (object);

  switch (prop_id)
    {
    case PROP_CRITERION:
      self->criterion = (SsRelevanceCriterion) g_value_get_uint (value);
      break;
    case PROP_SAMPLES:
      self->samples = (int) g_value_get_double (value);
      break;
    case PROP_TRAIN_IMAGES:
      self->train_images = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_object_notify_by_pspec (object, pspec);
}

static void
ss_relevance_panel_class_init (SsRelevancePanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ss_relevance_panel_dispose;
  object_class->get_property = ss_relevance_panel_get_property;
  object_class->set_property = ss_relevance_panel_set_property;

  /* The types of the form's widgets they are bound to: a combo row's position, a spin
   * button's value, the page's training images. */
  properties[PROP_CRITERION] =
    g_param_spec_uint ("criterion", NULL, NULL, 0, SS_RELEVANCE_L1, SS_RELEVANCE_SPATIAL_MI, rw);
  properties[PROP_SAMPLES] =
    g_param_spec_double ("samples", NULL, NULL, 1, 100000, SS_RELEVANCE_SAMPLES_DEFAULT, rw);
  properties[PROP_TRAIN_IMAGES] =
    g_param_spec_int ("train-images", NULL, NULL, 0, G_MAXINT, 0, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-relevance-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SsRelevancePanel, layer_row);
  gtk_widget_class_bind_template_child (widget_class, SsRelevancePanel, layer_names);
  gtk_widget_class_bind_template_callback (widget_class, ss_relevance_panel_compute);
  gtk_widget_class_bind_template_callback (widget_class, on_layer_selected);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_relevance_panel_init (SsRelevancePanel *self)
{
  self->samples = SS_RELEVANCE_SAMPLES_DEFAULT;
  self->job = ss_job_new (_("Filter relevance"));
  ss_job_set_background (self->job, TRUE);
  gtk_widget_init_template (GTK_WIDGET (self));
}
