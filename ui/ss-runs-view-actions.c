/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-runs-view-private.h"

/* A run's menu: open it, export it as CSV or JSON, delete it after a confirmation; the export
 * and the deletion run on workers with the view's bar. */

typedef struct {
  gint64      id;
  SsRunFormat format;
  char       *path;
} ExportIn;

static void
export_in_free (gpointer p)
{
  g_free (((ExportIn *) p)->path);
  g_free (p);
}

static gpointer
export_worker (SsJobTask    *task,
               gpointer      input,
               GCancellable *cancellable,
               GError      **error)
{
  ExportIn *in = input;
  g_autoptr(SsRunDb) db = ss_run_db_open_readonly (NULL, error);
  g_autoptr(SsRun) run = NULL;

  if (db == NULL || (run = ss_run_db_load (db, in->id, error)) == NULL ||
      !ss_run_export (run, in->format, in->path, error))
    return NULL;
  return g_strdup_printf (_("Run #%lld exported to %s"), (long long) in->id, in->path);
}

static gpointer
delete_worker (SsJobTask    *task,
               gpointer      input,
               GCancellable *cancellable,
               GError      **error)
{
  gint64 id = *(gint64 *) input;
  g_autoptr(SsRunDb) db = ss_run_db_open (NULL, error);

  if (db == NULL || !ss_run_db_delete (db, id, error))
    return NULL;
  return g_strdup_printf (_("Run #%lld deleted"), (long long) id);
}

static void
message_done (GObject  *target,
              gpointer  result)
{
  g_autofree char *text = result;

  g_signal_emit_by_name (target, "message", text);
}

void
ss_runs_view_export (SsRunsView  *self,
                     gint64       id,
                     SsRunFormat  format,
                     const char  *path)
{
  ExportIn *in;

  g_return_if_fail (SS_IS_RUNS_VIEW (self));
  g_return_if_fail (path != NULL);

  in = g_new0 (ExportIn, 1);
  in->id = id;
  in->format = format;
  in->path = g_strdup (path);
  ss_runs_view_start_job (self, self->export_job, export_worker, in, export_in_free, g_free,
                          message_done);
}

static void
on_export_response (GtkNativeDialog *chooser,
                    int              response,
                    SsRunsView      *self)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (chooser), "run-id");
  SsRunFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    ss_runs_view_export (self, id, format, path);
  g_object_unref (chooser);
  g_object_unref (self);
}

void
ss_runs_view_export_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  SsRunsView *self = SS_RUNS_VIEW (widget);
  gint64 id = g_variant_get_int64 (param);
  SsRunFormat format = g_str_equal (action_name, "runs.export-json") ? SS_RUN_FORMAT_JSON
                                                                      : SS_RUN_FORMAT_CSV;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Export Run"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  g_autofree char *name = g_strdup_printf ("supersign-run-%" G_GINT64_FORMAT ".%s", id,
                                           format == SS_RUN_FORMAT_JSON ? "json" : "csv");

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "run-id", g_memdup2 (&id, sizeof id), g_free);
  g_object_set_data (G_OBJECT (chooser), "format", GINT_TO_POINTER (format));
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
delete_done (GObject  *target,
             gpointer  result)
{
  message_done (target, result);
  ss_runs_view_refresh (SS_RUNS_VIEW (target));
}

void
ss_runs_view_delete (SsRunsView *self,
                     gint64      id)
{
  g_return_if_fail (SS_IS_RUNS_VIEW (self));

  ss_runs_view_start_job (self, self->delete_job, delete_worker, g_memdup2 (&id, sizeof id),
                          g_free, g_free, delete_done);
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    SsRunsView       *self)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (dialog), "run-id");

  if (g_strcmp0 (response, "delete") == 0)
    ss_runs_view_delete (self, id);
}

void
ss_runs_view_delete_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  SsRunsView *self = SS_RUNS_VIEW (widget);
  gint64 id = g_variant_get_int64 (param);
  const SsRunRecord *r = ss_runs_view_find_record (self, id, NULL);
  GtkRoot *root = gtk_widget_get_root (widget);
  guint n = r ? r->n_observations : 0;
  g_autofree char *heading = g_strdup_printf (_("Delete Run #%lld?"), (long long) id);
  g_autofree char *body = g_strdup_printf (ngettext ("The run (%s) and its %u observation are "
                                                     "removed from the run history. This cannot "
                                                     "be undone.",
                                                     "The run (%s) and its %u observations are "
                                                     "removed from the run history. This cannot "
                                                     "be undone.", n),
                                           r ? ss_runs_view_kind_title (r->kind) : "?", n);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "run-id", g_memdup2 (&id, sizeof id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
ss_runs_view_open_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  ss_runs_view_load (SS_RUNS_VIEW (widget), g_variant_get_int64 (param));
}
