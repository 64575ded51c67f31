/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-experiment-task.h"
#include "ss-runs-view-private.h"

/* Rows listed at most (the newest). */
#define MAX_RUNS 200

enum {
  RUN_LOADED,
  MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SsRunsView, ss_runs_view, GTK_TYPE_WIDGET)

const char *
ss_runs_view_kind_title (const char *kind)
{
  if (g_strcmp0 (kind, SS_RUN_KIND_TRAIN) == 0)
    return _("Training");
  if (g_strcmp0 (kind, SS_RUN_KIND_FREEZE_COMPARE) == 0)
    return _("Freeze comparison");
  if (g_strcmp0 (kind, SS_RUN_KIND_PRUNE_LAYERS) == 0)
    return _("Layer removal");
  if (g_strcmp0 (kind, SS_RUN_KIND_PRUNE_FILTERS) == 0)
    return _("Filter pruning");
  if (g_strcmp0 (kind, SS_RUN_KIND_AMC) == 0)
    return _("AMC");
  return kind;
}

/* ---- Workers ------------------------------------------------------------------------------ */

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
  return ss_run_db_list (db, NULL, error);
}

/* input: a GArray of gint64 ids; the result: their runs (SsRun), in that order. */
static gpointer
load_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  GArray *ids = input;
  g_autoptr(SsRunDb) db = ss_run_db_open_readonly (NULL, error);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_run_free);

  if (db == NULL)
    return NULL;
  for (guint i = 0; i < ids->len; i++)
    {
      SsRun *run = ss_run_db_load (db, g_array_index (ids, gint64, i), error);
      if (run == NULL)
        return NULL;
      g_ptr_array_add (runs, run);
    }
  return g_steal_pointer (&runs);
}

/* Runs a job of the view with the bar showing it. */
void
ss_runs_view_start_job (SsRunsView     *self,
                        SsJob          *job,
                        SsJobWorker     worker,
                        gpointer        input,
                        GDestroyNotify  input_free,
                        GDestroyNotify  result_free,
                        SsJobDone       done)
{
  ss_job_bar_set_job (self->job_bar, job);
  ss_job_start (job, worker, input, input_free, result_free, done, G_OBJECT (self));
}

/* ---- The list ----------------------------------------------------------------------------- */

static gboolean
is_checked (SsRunsView *self,
            gint64      id)
{
  for (guint i = 0; i < self->checked->len; i++)
    if (g_array_index (self->checked, gint64, i) == id)
      return TRUE;
  return FALSE;
}

static void start_compare (SsRunsView *self);

static void
on_check_toggled (SsRunsView     *self,
                  GtkCheckButton *check)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (check), "run-id");
  gboolean active = gtk_check_button_get_active (check);
  guint i = 0;

  if (active == is_checked (self, id))
    return;
  while (i < self->checked->len && g_array_index (self->checked, gint64, i) < id)
    i++;
  if (active)
    g_array_insert_val (self->checked, i, id);
  else
    g_array_remove_index (self->checked, i);
  if (!self->syncing)
    start_compare (self);
}

static GtkWidget *
run_menu (gint64 id)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  static const struct { const char *label, *action; } items[] = {
    { N_("_Open"), "runs.open" },
    { N_("Export as _CSV…"), "runs.export-csv" },
    { N_("Export as _JSON…"), "runs.export-json" },
    { N_("_Delete…"), "runs.delete" },
  };
  GtkWidget *button = gtk_menu_button_new ();

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_(items[i].label), NULL);
      g_menu_item_set_action_and_target_value (item, items[i].action, g_variant_new_int64 (id));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Open, export or delete"));
  return button;
}

static GtkWidget *
run_row (SsRunsView        *self,
         const SsRunRecord *r)
{
  g_autoptr(GDateTime) started = g_date_time_new_from_unix_local (r->started_us / G_USEC_PER_SEC);
  g_autofree char *when = started ? g_date_time_format (started, "%Y-%m-%d %H:%M") : NULL;
  g_autofree char *title = g_strdup_printf ("#%" G_GINT64_FORMAT " · %s · %s", r->id,
                                            ss_runs_view_kind_title (r->kind), when ? when : "");
  g_autoptr(JsonObject) config = ss_json_parse_object (r->config_json);
  const char *arm = ss_json_get_string (config, "arm");
  g_autofree char *model = r->model_in ? g_path_get_basename (r->model_in) : g_strdup ("?");
  GString *subtitle = g_string_new (ss_run_status_name (r->status));
  g_autofree char *widget_name = g_strdup_printf ("run-%" G_GINT64_FORMAT, r->id);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();

  if (arm != NULL)
    g_string_append_printf (subtitle, _(" · %s run"), arm);
  g_string_append_printf (subtitle, " · %s", model);
  if (isfinite (r->best_test_acc))
    g_string_append_printf (subtitle, _(" · best test accuracy %.2f %%"), 100 * r->best_test_acc);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  g_string_free (subtitle, TRUE);
  gtk_widget_set_name (row, widget_name);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (check, _("Compare"));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), is_checked (self, r->id));
  g_object_set_data_full (G_OBJECT (check), "run-id", g_memdup2 (&r->id, sizeof r->id), g_free);
  g_signal_connect_object (check, "toggled", G_CALLBACK (on_check_toggled), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), run_menu (r->id));
  g_object_set_data_full (G_OBJECT (row), "run-id", g_memdup2 (&r->id, sizeof r->id), g_free);
  g_object_set_data (G_OBJECT (row), "check", check);
  return row;
}

static void
list_done (GObject  *target,
           gpointer  result)
{
  SsRunsView *self = SS_RUNS_VIEW (target);
  g_autoptr(GPtrArray) runs = result;
  GtkListBoxRow *old;
  guint i;

  while ((old = gtk_list_box_get_row_at_index (self->list, 0)) != NULL)
    gtk_list_box_remove (self->list, GTK_WIDGET (old));
  g_ptr_array_set_size (self->records, 0);
  /* Newest first: the records move over, the oldest beyond MAX_RUNS stay to be freed. */
  for (i = runs->len; i > 0 && self->records->len < MAX_RUNS; i--)
    g_ptr_array_add (self->records, g_ptr_array_steal_index (runs, i - 1));
  /* Runs no longer listed are no longer compared. */
  for (i = self->checked->len; i > 0; i--)
    {
      gboolean listed = FALSE;
      for (guint k = 0; k < self->records->len && !listed; k++)
        listed = ((SsRunRecord *) self->records->pdata[k])->id ==
                 g_array_index (self->checked, gint64, i - 1);
      if (!listed)
        g_array_remove_index (self->checked, i - 1);
    }
  for (i = 0; i < self->records->len; i++)
    gtk_list_box_append (self->list, run_row (self, self->records->pdata[i]));
}

void
ss_runs_view_refresh (SsRunsView *self)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));

  ss_runs_view_start_job (self, self->list_job, list_worker, NULL, NULL,
                          (GDestroyNotify) g_ptr_array_unref, list_done);
}

const SsRunRecord *
ss_runs_view_find_record (SsRunsView *self,
                          gint64      id,
                          guint      *index)
{
  for (guint i = 0; i < self->records->len; i++)
    if (((SsRunRecord *) self->records->pdata[i])->id == id)
      {
        if (index != NULL)
          *index = i;
        return self->records->pdata[i];
      }
  return NULL;
}

/* A freeze comparison's other run: the run listed next to it, of the same kind and the other
 * arm (the two are recorded one after the other). */
static gint64
partner (SsRunsView *self,
         gint64      id,
         gboolean   *normal_first)
{
  guint i;
  const SsRunRecord *r = ss_runs_view_find_record (self, id, &i);
  g_autoptr(JsonObject) config = r ? ss_json_parse_object (r->config_json) : NULL;
  const char *arm = ss_json_get_string (config, "arm");

  if (r == NULL || g_strcmp0 (r->kind, SS_RUN_KIND_FREEZE_COMPARE) != 0 || arm == NULL)
    return 0;
  *normal_first = g_str_equal (arm, "normal");
  for (int d = -1; d <= 1; d += 2)
    {
      const SsRunRecord *o;
      g_autoptr(JsonObject) other = NULL;

      if ((d < 0 && i == 0) || i + d >= self->records->len)
        continue;
      o = self->records->pdata[i + d];
      other = ss_json_parse_object (o->config_json);
      if (g_strcmp0 (o->kind, SS_RUN_KIND_FREEZE_COMPARE) == 0 &&
          g_strcmp0 (ss_json_get_string (other, "arm"), arm) != 0 &&
          ss_json_get_string (other, "arm") != NULL)
        return o->id;
    }
  return 0;
}

static void
load_done (GObject  *target,
           gpointer  result)
{
  g_autoptr(GPtrArray) runs = result;

  g_signal_emit (target, signals[RUN_LOADED], 0, runs);
}

void
ss_runs_view_load (SsRunsView *self,
                   gint64      id)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean normal_first = TRUE;
  gint64 other;

  g_return_if_fail (SS_IS_RUNS_VIEW (self));

  other = partner (self, id, &normal_first);
  if (other != 0 && !normal_first)
    g_array_append_val (ids, other);
  g_array_append_val (ids, id);
  if (other != 0 && normal_first)
    g_array_append_val (ids, other);
  ss_runs_view_start_job (self, self->load_job, load_worker, ids,
                          (GDestroyNotify) g_array_unref, (GDestroyNotify) g_ptr_array_unref,
                          load_done);
}

static void
on_row_activated (SsRunsView    *self,
                  GtkListBoxRow *row)
{
  gint64 *id = g_object_get_data (G_OBJECT (row), "run-id");

  if (id != NULL)
    ss_runs_view_load (self, *id);
}

/* ---- Comparison --------------------------------------------------------------------------- */

static void
rebuild_figure (SsRunsView *self)
{
  guint metric = gtk_drop_down_get_selected (self->metric);

  if (self->compared == NULL || self->compared->len == 0 || metric >= SS_RUNS_N_METRICS)
    {
      ss_plot_set_figure (self->plot, SS_FIG_CURVES, NULL, NULL);
      gtk_stack_set_visible_child_name (self->compare_stack, "empty");
      return;
    }
  ss_plot_set_figure (self->plot, SS_FIG_CURVES,
                      ss_runs_compare_figure (self->compared, (SsRunsMetric) metric),
                      (GDestroyNotify) ss_fig_curves_free);
  gtk_stack_set_visible_child_name (self->compare_stack, "plot");
}

static void
compare_done (GObject  *target,
              gpointer  result)
{
  SsRunsView *self = SS_RUNS_VIEW (target);

  g_clear_pointer (&self->compared, g_ptr_array_unref);
  self->compared = result;
  rebuild_figure (self);
}

static void
start_compare (SsRunsView *self)
{
  GArray *ids;

  if (self->checked->len == 0)
    {
      ss_job_reset (self->compare_job);
      g_clear_pointer (&self->compared, g_ptr_array_unref);
      rebuild_figure (self);
      return;
    }
  ids = g_array_copy (self->checked);
  ss_runs_view_start_job (self, self->compare_job, load_worker, ids,
                          (GDestroyNotify) g_array_unref, (GDestroyNotify) g_ptr_array_unref,
                          compare_done);
}

void
ss_runs_view_set_compared (SsRunsView   *self,
                           const gint64 *ids,
                           guint         n)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));
  g_return_if_fail (n == 0 || ids != NULL);

  g_array_set_size (self->checked, 0);
  for (guint i = 0; i < n; i++)
    if (!is_checked (self, ids[i]))
      {
        guint k = 0;
        while (k < self->checked->len && g_array_index (self->checked, gint64, k) < ids[i])
          k++;
        g_array_insert_val (self->checked, k, ids[i]);
      }
  self->syncing = TRUE;
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkCheckButton *check = g_object_get_data (G_OBJECT (row), "check");
      gint64 *id = g_object_get_data (G_OBJECT (row), "run-id");
      if (check != NULL && id != NULL)
        gtk_check_button_set_active (check, is_checked (self, *id));
    }
  self->syncing = FALSE;
  start_compare (self);
}

void
ss_runs_view_set_metric (SsRunsView   *self,
                         SsRunsMetric  metric)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));
  g_return_if_fail (metric < SS_RUNS_N_METRICS);

  gtk_drop_down_set_selected (self->metric, metric);
}

static void
on_smoothing_changed (SsRunsView *self)
{
  ss_plot_set_smoothing (self->plot, CLAMP (gtk_adjustment_get_value (self->smoothing), 0, 0.99));
}

static void
on_retry (SsRunsView *self)
{
  SsJob *job = ss_job_bar_get_job (self->job_bar);

  if (job == self->list_job)
    ss_runs_view_refresh (self);
  else if (job == self->compare_job)
    start_compare (self);
  else
    ss_job_reset (job);
}

/* ---- Accessors ---------------------------------------------------------------------------- */

void
ss_runs_view_set_session (SsRunsView *self,
                          SsSession  *session)
{
  SsJob *jobs[] = { self->list_job, self->load_job, self->compare_job, self->export_job,
                    self->delete_job };

  g_return_if_fail (SS_IS_RUNS_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    ss_session_add_job (session, jobs[i]);
  ss_runs_view_refresh (self);
}

guint
ss_runs_view_get_n_runs (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), 0);
  return self->records->len;
}

const SsRunRecord *
ss_runs_view_get_record (SsRunsView *self,
                         guint       i)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  g_return_val_if_fail (i < self->records->len, NULL);
  return self->records->pdata[i];
}

SsJob *
ss_runs_view_get_job (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  return self->list_job;
}

SsJob *
ss_runs_view_get_task_job (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  return ss_job_bar_get_job (self->job_bar);
}

SsPlot *
ss_runs_view_get_plot (SsRunsView *self)
{
  g_return_val_if_fail (SS_IS_RUNS_VIEW (self), NULL);
  return self->plot;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_runs_view_dispose (GObject *object)
{
  SsRunsView *self = SS_RUNS_VIEW (object);
  SsJob **jobs[] = { &self->list_job, &self->load_job, &self->compare_job, &self->export_job,
                     &self->delete_job };

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      if (*jobs[i] != NULL)
        ss_job_reset (*jobs[i]);
      g_clear_object (jobs[i]);
    }
  g_clear_object (&self->session);
  g_clear_pointer (&self->compared, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_RUNS_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_runs_view_parent_class)->dispose (object);
}

static void
ss_runs_view_finalize (GObject *object)
{
  SsRunsView *self = SS_RUNS_VIEW (object);

  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_pointer (&self->checked, g_array_unref);
  G_OBJECT_CLASS (ss_runs_view_parent_class)->finalize (object);
}

static void
ss_runs_view_class_init (SsRunsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_runs_view_dispose;
  object_class->finalize = ss_runs_view_finalize;

  /* Runs were loaded to be shown: a GPtrArray of SsRun (transfer none, valid during the
   * emission): one run, or the two of a freeze comparison, normal first. */
  signals[RUN_LOADED] = g_signal_new ("run-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  /* Something to tell the user (an export or deletion done). */
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "runs.open", "x", ss_runs_view_open_action);
  gtk_widget_class_install_action (widget_class, "runs.export-csv", "x",
                                   ss_runs_view_export_action);
  gtk_widget_class_install_action (widget_class, "runs.export-json", "x",
                                   ss_runs_view_export_action);
  gtk_widget_class_install_action (widget_class, "runs.delete", "x",
                                   ss_runs_view_delete_action);

  g_type_ensure (SS_TYPE_JOB_BAR);
  g_type_ensure (SS_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-runs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, list);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, metric);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, smoothing);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, compare_stack);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, plot);
  gtk_widget_class_bind_template_child (widget_class, SsRunsView, job_bar);
  gtk_widget_class_bind_template_callback (widget_class, ss_runs_view_refresh);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, rebuild_figure);
  gtk_widget_class_bind_template_callback (widget_class, on_smoothing_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_retry);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_runs_view_init (SsRunsView *self)
{
  g_autoptr(GtkStringList) metrics = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  for (int m = 0; m < SS_RUNS_N_METRICS; m++)
    gtk_string_list_append (metrics, ss_runs_metric_name (m));
  gtk_drop_down_set_model (self->metric, G_LIST_MODEL (metrics));
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_run_record_free);
  self->checked = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->list_job = ss_job_new (_("Reading the run history"));
  self->load_job = ss_job_new (_("Opening the run"));
  self->compare_job = ss_job_new (_("Loading the runs to compare"));
  self->export_job = ss_job_new (_("Exporting the run"));
  self->delete_job = ss_job_new (_("Deleting the run"));
  ss_job_bar_set_job (self->job_bar, self->list_job);
  ss_plot_set_export_name (self->plot, "supersign-runs-compared");
}
