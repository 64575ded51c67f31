/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-experiment-page-private.h"
#include "ss-model-file.h"

/* The page's actions and the outcome of a run: its message and the model it made, which
 * experiment.use-model opens in place of the current one and experiment.save-model saves. */

void
ss_experiment_page_set_message (SsExperimentPage *self,
                                const char       *text)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  gtk_label_set_label (self->result_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), text != NULL);
}

const char *
ss_experiment_page_get_message (SsExperimentPage *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->result_label))
         ? gtk_label_get_label (self->result_label) : NULL;
}

void
ss_experiment_page_set_result (SsExperimentPage *self,
                               SsNet            *net,
                               const char       *origin,
                               const char       *meta_key,
                               char             *meta_value)
{
  g_return_if_fail (SS_IS_EXPERIMENT_PAGE (self));

  g_clear_pointer (&self->result, ss_net_free);
  g_clear_pointer (&self->result_origin, g_free);
  g_clear_pointer (&self->result_meta_value, g_free);
  self->result = net;
  self->result_origin = g_strdup (origin);
  self->result_meta_key = meta_key;
  self->result_meta_value = meta_value;
  gtk_widget_set_visible (GTK_WIDGET (self->result_box), net != NULL);
  ss_experiment_page_update_actions (self);
}

SsNet *
ss_experiment_page_get_result (SsExperimentPage *self)
{
  g_return_val_if_fail (SS_IS_EXPERIMENT_PAGE (self), NULL);
  return self->result;
}

void
ss_experiment_page_use_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (widget);
  SsSessionData *data;
  g_autoptr(SsSessionModel) model = NULL;

  if (self->result == NULL || self->session == NULL || self->run_model == NULL)
    return;
  /* No spec: a model made here is not opened again at the next start. */
  model = ss_session_model_new_take (ss_session_clone_net (self->result), NULL,
                                     self->run_model->title, self->result_origin, FALSE);
  data = ss_session_get_data (self->session);
  model->dataset = g_strdup (data != NULL ? data->spec : NULL);
  ss_session_set_model (self->session, model);
}

/* ---- Save Model, on a worker: writing and syncing a model file can take a while ---- */

typedef struct {
  SsNet      *net;        /* a copy of the result: the page may start a new run meanwhile */
  char       *path;
  GHashTable *metadata;   /* char * → char *, both owned */
} SaveIn;

static void
save_in_free (gpointer p)
{
  SaveIn *in = p;

  g_clear_pointer (&in->net, ss_net_free);
  g_free (in->path);
  g_clear_pointer (&in->metadata, g_hash_table_unref);
  g_free (in);
}

static gpointer
save_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  SaveIn *in = input;

  ss_job_task_progress (task, -1, in->path);
  if (!ss_model_save (in->net, in->path, in->metadata, error))
    return NULL;
  return g_steal_pointer (&in->path);
}

static void
save_done (GObject  *target,
           gpointer  result)
{
  g_free (result);
}

static void
on_save_response (GtkNativeDialog  *dialog,
                  int               response,
                  SsExperimentPage *self)
{
  g_autoptr(GFile) file = NULL;
  SsSessionData *data = self->session ? ss_session_get_data (self->session) : NULL;
  SaveIn *in;

  if (response == GTK_RESPONSE_ACCEPT && self->result != NULL &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      g_file_peek_path (file) != NULL)
    {
      in = g_new0 (SaveIn, 1);
      in->net = ss_session_clone_net (self->result);
      in->path = g_file_get_path (file);
      in->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (self->result_meta_key != NULL)
        g_hash_table_insert (in->metadata, g_strdup (self->result_meta_key),
                             g_strdup (self->result_meta_value));
      if (data != NULL)
        g_hash_table_insert (in->metadata, g_strdup (SS_MODEL_META_DATASET),
                             g_strdup (data->spec));
      ss_job_start (self->save_job, save_worker, in, save_in_free, g_free, save_done,
                    G_OBJECT (self));
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_save_retry (SsExperimentPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "experiment.save-model", NULL);
}

void
ss_experiment_page_save_init (SsExperimentPage *self)
{
  self->save_job = ss_job_new (_("Saving the model"));
  ss_job_bar_set_job (self->save_bar, self->save_job);
  g_signal_connect_object (self->save_bar, "retry", G_CALLBACK (on_save_retry), self,
                           G_CONNECT_SWAPPED);
}

void
ss_experiment_page_save_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  SsExperimentPage *self = SS_EXPERIMENT_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Save Model"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     self->result_file_name ? self->result_file_name
                                                            : "model.safetensors");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
ss_experiment_page_start_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *param)
{
  g_signal_emit_by_name (widget, "start");
}
