/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-amc-view.h"
#include "ss-experiments-view.h"
#include "ss-freeze-view.h"
#include "ss-prune-filters-view.h"
#include "ss-prune-layers-view.h"
#include "ss-train-view.h"

struct _SsExperimentsView
{
  GtkWidget  parent_instance;

  /* Template widgets */
  GtkStack  *stack;
};

enum {
  HISTORY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The experiments (the stack's page names) and the kind of run each shows. */
static const struct {
  const char *name;
  const char *kind;
} experiments[] = {
  { "train", SS_RUN_KIND_TRAIN },
  { "freeze", SS_RUN_KIND_FREEZE_COMPARE },
  { "prune-layers", SS_RUN_KIND_PRUNE_LAYERS },
  { "prune-filters", SS_RUN_KIND_PRUNE_FILTERS },
  { "amc", SS_RUN_KIND_AMC },
};

G_DEFINE_FINAL_TYPE (SsExperimentsView, ss_experiments_view, GTK_TYPE_WIDGET)

GtkWidget *
ss_experiments_view_get_experiment (SsExperimentsView *self,
                                    const char        *name)
{
  g_return_val_if_fail (SS_IS_EXPERIMENTS_VIEW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return gtk_stack_get_child_by_name (self->stack, name);
}

/* Every experiment's only child is its page. */
static SsExperimentPage *
page_of (GtkWidget *experiment)
{
  GtkWidget *child = experiment != NULL ? gtk_widget_get_first_child (experiment) : NULL;

  return SS_IS_EXPERIMENT_PAGE (child) ? SS_EXPERIMENT_PAGE (child) : NULL;
}

SsExperimentPage *
ss_experiments_view_get_page (SsExperimentsView *self,
                              const char        *name)
{
  return page_of (ss_experiments_view_get_experiment (self, name));
}

const char *
ss_experiments_view_get_visible (SsExperimentsView *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENTS_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
ss_experiments_view_set_visible (SsExperimentsView *self,
                                 const char        *name)
{
  g_return_if_fail (SS_IS_EXPERIMENTS_VIEW (self));
  g_return_if_fail (ss_experiments_view_get_experiment (self, name) != NULL);

  gtk_stack_set_visible_child_name (self->stack, name);
}

/* The experiment that shows runs of kind, or NULL. */
static const char *
name_for_kind (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    if (g_strcmp0 (kind, experiments[i].kind) == 0)
      return experiments[i].name;
  return NULL;
}

gboolean
ss_experiments_view_show_runs (SsExperimentsView *self,
                               GPtrArray         *runs)
{
  const char *name;
  SsExperimentPage *page;

  g_return_val_if_fail (SS_IS_EXPERIMENTS_VIEW (self), FALSE);
  g_return_val_if_fail (runs != NULL && runs->len > 0, FALSE);

  name = name_for_kind (ss_run_get_record (runs->pdata[0])->kind);
  if (name == NULL || (page = ss_experiments_view_get_page (self, name)) == NULL)
    return FALSE;
  for (guint i = 0; i < runs->len; i++)
    ss_experiment_page_show_run (page, runs->pdata[i]);
  gtk_stack_set_visible_child_name (self->stack, name);
  return TRUE;
}

static SsExperimentPage *
visible_page (SsExperimentsView *self)
{
  return page_of (gtk_stack_get_visible_child (self->stack));
}

SsPlot *
ss_experiments_view_get_plot (SsExperimentsView *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENTS_VIEW (self), NULL);
  return ss_experiment_page_get_plot (visible_page (self));
}

SsTable *
ss_experiments_view_get_table (SsExperimentsView *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENTS_VIEW (self), NULL);
  return ss_experiment_page_get_table (visible_page (self));
}

static void
on_history_changed (SsExperimentsView *self)
{
  g_signal_emit (self, signals[HISTORY_CHANGED], 0);
}

void
ss_experiments_view_set_session (SsExperimentsView *self,
                                 SsSession         *session)
{
  g_return_if_fail (SS_IS_EXPERIMENTS_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    {
      SsExperimentPage *page = ss_experiments_view_get_page (self, experiments[i].name);

      ss_experiment_page_set_session (page, session);
      g_signal_connect_object (page, "history-changed", G_CALLBACK (on_history_changed), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
ss_experiments_view_dispose (GObject *object)
{
  SsExperimentsView *self = SS_EXPERIMENTS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_EXPERIMENTS_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_experiments_view_parent_class)->dispose (object);
}

static void
ss_experiments_view_class_init (SsExperimentsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_experiments_view_dispose;

  /* A run of one of the experiments was recorded in the run history. */
  signals[HISTORY_CHANGED] = g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  g_type_ensure (SS_TYPE_TRAIN_VIEW);
  g_type_ensure (SS_TYPE_FREEZE_VIEW);
  g_type_ensure (SS_TYPE_PRUNE_LAYERS_VIEW);
  g_type_ensure (SS_TYPE_PRUNE_FILTERS_VIEW);
  g_type_ensure (SS_TYPE_AMC_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-experiments-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsExperimentsView, stack);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_experiments_view_init (SsExperimentsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
