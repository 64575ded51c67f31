/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-job-bar.h"
#include "ss-runs-view.h"

#define MAX_RUNS 20

struct _SsRunsView
{
  GtkWidget   parent_instance;

  /* Template widgets */
  GtkListBox *list;
  SsJobBar   *job_bar;

  /* Owned */
  SsSession  *session;
  SsJob      *list_job;
  SsJob      *load_job;

  guint       n_runs;
};

enum {
  RUN_LOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SsRunsView, ss_runs_view, GTK_TYPE_WIDGET)

static gpointer
list_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  g_autoptr(SsRunDb) db = NULL;
  g_autofree char *path = ss_run_db_default_path ();

  /* No history yet is an empty list, not an error. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) ss_run_record_free);
  if ((db = ss_run_db_open_readonly (path, error)) == NULL)
    return NULL;
  return ss_run_db_list (db, SS_RUN_KIND_TRAIN, error);
}

static void
list_done (GObject  *target,
           gpointer  result)
{
  SsRunsView *self = SS_RUNS_VIEW (target);
  g_autoptr(GPtrArray) runs = result;
  GtkListBoxRow *old;

  while ((old = gtk_list_box_get_row_at_index (self->list, 0)) != NULL)
    gtk_list_box_remove (self->list, GTK_WIDGET (old));
  self->n_runs = 0;
  /* Newest first. */
  for (guint i = runs->len; i > 0 && self->n_runs < MAX_RUNS; i--)
    {
      const SsRunRecord *r = g_ptr_array_index (runs, i - 1);
      g_autoptr(GDateTime) started = g_date_time_new_from_unix_local (r->started_us /
                                                                      G_USEC_PER_SEC);
      g_autofree char *when = started ? g_date_time_format (started, "%Y-%m-%d %H:%M") : NULL;
      g_autofree char *title = g_strdup_printf ("#%" G_GINT64_FORMAT " · %s", r->id,
                                                when ? when : "");
      g_autofree char *subtitle = NULL;
      GtkWidget *row = adw_action_row_new ();

      if (isfinite (r->best_test_acc))
        subtitle = g_strdup_printf (_("%s · %u epochs · best test accuracy %.2f %%"),
                                    ss_run_status_name (r->status), r->n_epochs,
                                    100 * r->best_test_acc);
      else
        subtitle = g_strdup_printf (_("%s · %u epochs"), ss_run_status_name (r->status),
                                    r->n_epochs);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "run-id", g_memdup2 (&r->id, sizeof r->id), g_free);
      gtk_list_box_append (self->list, row);
      self->n_runs++;
    }
}

void
ss_runs_view_refresh (SsRunsView *self)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));

  ss_job_bar_set_job (self->job_bar, self->list_job);
  ss_job_start (self->list_job, list_worker, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                list_done, G_OBJECT (self));
}

static gpointer
load_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  g_autoptr(SsRunDb) db = ss_run_db_open_readonly (NULL, error);

  if (db == NULL)
    return NULL;
  return ss_run_db_load (db, *(gint64 *) input, error);
}

static void
load_done (GObject  *target,
           gpointer  result)
{
  g_autoptr(SsRun) run = result;

  g_signal_emit (target, signals[RUN_LOADED], 0, run);
}

void
ss_runs_view_load (SsRunsView *self,
                   gint64      id)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));

  ss_job_bar_set_job (self->job_bar, self->load_job);
  ss_job_start (self->load_job, load_worker, g_memdup2 (&id, sizeof id), g_free,
                (GDestroyNotify) ss_run_free, load_done, G_OBJECT (self));
}

static void
on_row_activated (SsRunsView    *self,
                  GtkListBoxRow *row)
{
  gint64 *id = g_object_get_data (G_OBJECT (row), "run-id");

  if (id != NULL)
    ss_runs_view_load (self, *id);
}

void
ss_runs_view_set_session (SsRunsView *self,
                          SsSession  *session)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  ss_session_add_job (session, self->list_job);
  ss_session_add_job (session, self->load_job);
  ss_runs_view_refresh (self);
}

guint
ss_runs_view_get_n_runs (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), 0);
  return self->n_runs;
}

SsJob *
ss_runs_view_get_job (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  return self->list_job;
}

SsJob *
ss_runs_view_get_load_job (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  return self->load_job;
}

static void
ss_runs_view_dispose (GObject *object)
{
  SsRunsView *self = SS_RUNS_VIEW (object);

  if (self->list_job != NULL)
    ss_job_reset (self->list_job);
  if (self->load_job != NULL)
    ss_job_reset (self->load_job);
  g_clear_object (&self->list_job);
  g_clear_object (&self->load_job);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_RUNS_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_runs_view_parent_class)->dispose (object);
}

static void
ss_runs_view_class_init (SsRunsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_runs_view_dispose;

  /* A run was loaded: the SsRun (transfer none) is valid during the emission. */
  signals[RUN_LOADED] = g_signal_new ("run-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-runs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, list);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, job_bar);
  gtk_widget_class_bind_template_callback (widget_class, ss_runs_view_refresh);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_runs_view_init (SsRunsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->list_job = ss_job_new (_("Reading the run history"));
  self->load_job = ss_job_new (_("Loading the run"));
  ss_job_bar_set_job (self->job_bar, self->list_job);
}
