/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-export-dialog.h"
#include "ss-preferences-window.h"
#include "ss-shipped.h"
#include "ss-window-private.h"

/* ---- Opening models and data ------------------------------------------------------------- */

static void
on_model_file_response (GtkNativeDialog *chooser,
                        int              response,
                        SsWindow        *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    {
      if ((path = g_file_get_path (file)) != NULL)
        ss_session_open_model (self->session, path);
      else
        ss_window_toast (self, _("Only local files can be opened"));
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

/* A filter named name for the files ending in the NULL-terminated suffixes (any case: torch
 * users write "MODEL.ONNX" too). Transfer full. */
static GtkFileFilter *
suffix_filter (const char *name,
               ...)
{
  GtkFileFilter *filter = gtk_file_filter_new ();
  const char *suffix;
  va_list args;

  gtk_file_filter_set_name (filter, name);
  va_start (args, name);
  while ((suffix = va_arg (args, const char *)) != NULL)
    gtk_file_filter_add_suffix (filter, suffix);
  va_end (args);
  return filter;
}

GListModel *
ss_window_new_model_filters (void)
{
  GListStore *filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  g_autoptr(GtkFileFilter) supported = NULL, onnx = NULL, models = NULL, all = NULL;

  /* Every kind ss_model_open reads, first, so that the dialog starts on it. */
  supported = suffix_filter (_("All supported models"), "safetensors", "onnx", "json", NULL);
  onnx = suffix_filter (_("ONNX models (from PyTorch)"), "onnx", NULL);
  models = suffix_filter (_("Models and architectures"), "safetensors", "json", NULL);
  all = gtk_file_filter_new ();
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  g_list_store_append (filters, supported);
  g_list_store_append (filters, onnx);
  g_list_store_append (filters, models);
  g_list_store_append (filters, all);
  return G_LIST_MODEL (filters);
}

static void
open_model (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  SsWindow *self = user_data;
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Open Model"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr(GListModel) filters = ss_window_new_model_filters ();

  for (guint i = 0; i < g_list_model_get_n_items (filters); i++)
    {
      g_autoptr(GtkFileFilter) filter = g_list_model_get_item (filters, i);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
      if (i == 0)
        gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (on_model_file_response),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_shipped (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  SsWindow *self = user_data;

  ss_session_open_model (self->session, ss_shipped_default_model ());
}

static void
open_builtin (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  SsWindow *self = user_data;

  ss_session_open_model (self->session, g_variant_get_string (param, NULL));
}

static void
open_data (GSimpleAction *action,
           GVariant      *param,
           gpointer       user_data)
{
  SsWindow *self = user_data;

  ss_session_open_data (self->session, g_variant_get_string (param, NULL), FALSE);
}

static void
on_folder_response (GtkNativeDialog *chooser,
                    int              response,
                    SsWindow        *self)
{
  const char *kind = g_object_get_data (G_OBJECT (chooser), "kind");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      g_autofree char *spec = g_strdup_printf ("%s:%s", kind, path);
      g_settings_set_string (self->settings, "data-folder", path);
      ss_session_open_data (self->session, spec,
                            g_settings_get_boolean (self->settings, "png-invert"));
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
open_folder (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  SsWindow *self = user_data;
  const char *kind = g_variant_get_string (param, NULL);
  const char *title = g_str_equal (kind, "mnist") ? _("MNIST Folder (IDX Files)")
                      : g_str_equal (kind, "cifar10") ? _("CIFAR-10 Folder (Binary Version)")
                      : _("Folder of PNG Images");
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                 _("_Open"), _("_Cancel"));
  g_autofree char *last = g_settings_get_string (self->settings, "data-folder");

  if (*last != '\0' && g_file_test (last, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) dir = g_file_new_for_path (last);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), dir, NULL);
    }
  g_object_set_data_full (G_OBJECT (chooser), "kind", g_strdup (kind), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Names the classes of the open PNG folder from a text file, one name per line (as the CLI's
 * --labels): the folder is loaded again with them on the data job, and a file that does not fit
 * fails the job, leaving the folder as it was. */
static void
on_labels_response (GtkNativeDialog *chooser,
                    int              response,
                    SsWindow        *self)
{
  SsSessionData *data = ss_session_get_data (self->session);
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    {
      if ((path = g_file_get_path (file)) == NULL)
        ss_window_toast (self, _("Only local files can be opened"));
      else if (data == NULL || !g_str_has_prefix (data->spec, "png:"))
        ss_window_toast (self, _("Class names apply to a folder of PNG images: open one first"));
      else
        ss_session_open_png_labels (self->session, data->spec, data->invert, path);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
open_labels (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  SsWindow *self = user_data;
  SsSessionData *data = ss_session_get_data (self->session);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Class Names"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr(GtkFileFilter) text = suffix_filter (_("Class names (text, one per line)"), "txt",
                                                 NULL);
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  g_autofree char *start = NULL;

  /* Where the last names came from, else next to the images' folder. */
  if (data != NULL && data->labels != NULL)
    start = g_path_get_dirname (data->labels);
  else if (data != NULL && g_str_has_prefix (data->spec, "png:"))
    start = g_path_get_dirname (data->spec + 4);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), text);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  if (start != NULL && g_file_test (start, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) dir = g_file_new_for_path (start);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), dir, NULL);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (on_labels_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- Export -------------------------------------------------------------------------------- */

static gconstpointer
get_plot_figure (GObject   *source,
                 SsFigKind *kind)
{
  return ss_plot_get_figure (SS_PLOT (source), kind);
}

static gconstpointer
get_heatmaps_figure (GObject   *source,
                     SsFigKind *kind)
{
  *kind = SS_FIG_HEATMAPS;
  return ss_heatmap_panel_get_figure (SS_HEATMAP_PANEL (source));
}

/* A table has no figure (its data exports as CSV). */
static gconstpointer
get_table_figure (GObject   *source,
                  SsFigKind *kind)
{
  return NULL;
}

/* The visible page's figure source: a plot, the heatmap panel, or a table (may be NULL). */
static GObject *
current_source (SsWindow            *self,
                SsExportFigureFunc  *func,
                const char         **name)
{
  const char *page = adw_view_stack_get_visible_child_name (self->stack);
  SsPlot *plot = NULL;

  if (g_strcmp0 (page, "layers") == 0)
    {
      *func = get_heatmaps_figure;
      *name = "supersign-heatmaps";
      return G_OBJECT (ss_layers_view_get_panel (self->layers_view));
    }
  if (g_strcmp0 (page, "entropy") == 0)
    plot = ss_entropy_view_get_plot (self->entropy_view);
  else if (g_strcmp0 (page, "infoplane") == 0)
    plot = ss_infoplane_view_get_plot (self->infoplane_view);
  else if (g_strcmp0 (page, "history") == 0)
    plot = ss_runs_view_get_plot (self->runs_view);
  else if ((plot = ss_experiments_view_get_plot (self->experiments_view)) == NULL)
    {
      /* A table: data, no figure. */
      SsTable *table = ss_experiments_view_get_table (self->experiments_view);
      *func = get_table_figure;
      *name = table != NULL ? ss_table_get_export_name (table) : "supersign-table";
      return G_OBJECT (table);
    }
  *func = get_plot_figure;
  *name = ss_plot_get_export_name (plot);
  return G_OBJECT (plot);
}

static void
export_figure (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  SsWindow *self = user_data;
  SsExportFigureFunc func;
  const char *name;
  GObject *source = current_source (self, &func, &name);
  SsFigKind kind;

  if (source == NULL || func (source, &kind) == NULL)
    {
      ss_window_toast (self, SS_IS_TABLE (source) ? _("A table exports as data (CSV), not as a "
                                                      "figure")
                                                  : _("There is no figure on this page yet"));
      return;
    }
  gtk_window_present (GTK_WINDOW (ss_export_dialog_new (GTK_WINDOW (self), source, func, name)));
}

static void
on_csv_response (GtkNativeDialog *chooser,
                 int              response,
                 SsWindow        *self)
{
  GObject *source = g_object_get_data (G_OBJECT (chooser), "source");
  SsExportFigureFunc func = g_object_get_data (G_OBJECT (chooser), "func");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  gconstpointer fig;
  SsFigKind kind;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (SS_IS_TABLE (source))
        {
          if (!ss_table_write_csv (SS_TABLE (source), path, &error))
            ss_window_toast (self, error->message);
        }
      else if ((fig = func (source, &kind)) == NULL)
        ss_window_toast (self, _("There is no figure on this page yet"));
      else if (!ss_fig_write_csv (kind, fig, path, &error))
        ss_window_toast (self, error->message);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
export_csv (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  SsWindow *self = user_data;
  SsExportFigureFunc func;
  const char *name;
  GObject *source = current_source (self, &func, &name);
  g_autofree char *file_name = g_strdup_printf ("%s.csv", name);
  GtkFileChooserNative *chooser;
  SsFigKind kind;

  if (source == NULL || (!SS_IS_TABLE (source) && func (source, &kind) == NULL))
    {
      ss_window_toast (self, _("There is no figure on this page yet"));
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Export Data"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                         _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), file_name);
  g_object_set_data_full (G_OBJECT (chooser), "source", g_object_ref (source), g_object_unref);
  g_object_set_data (G_OBJECT (chooser), "func", func);
  g_signal_connect (chooser, "response", G_CALLBACK (on_csv_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- Other -------------------------------------------------------------------------------- */

static void
cancel_jobs (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  SsWindow *self = user_data;

  if (ss_session_cancel_jobs (self->session) > 0)
    ss_window_toast (self, _("Cancelled"));
}

static void
preferences (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  SsWindow *self = user_data;

  gtk_window_present (GTK_WINDOW (ss_preferences_window_new (GTK_WINDOW (self),
                                                             self->settings)));
}

static void
show_page (GSimpleAction *action,
           GVariant      *param,
           gpointer       user_data)
{
  ss_window_set_page (SS_WINDOW (user_data), g_variant_get_string (param, NULL));
}

static const GActionEntry entries[] = {
  { "page", show_page, "s" },
  { "open-model", open_model },
  { "open-shipped", open_shipped },
  { "open-builtin", open_builtin, "s" },
  { "open-data", open_data, "s" },
  { "open-folder", open_folder, "s" },
  { "open-labels", open_labels },
  { "export", export_figure },
  { "export-csv", export_csv },
  { "cancel", cancel_jobs },
  { "preferences", preferences },
};

void
ss_window_actions_update (SsWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "open-shipped");
  /* Also called while the window is disposed, the session gone. */
  SsSessionData *data = self->session != NULL ? ss_session_get_data (self->session) : NULL;

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), ss_shipped_model_path () != NULL);
  if ((action = g_action_map_lookup_action (G_ACTION_MAP (self), "open-labels")) != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action),
                                 data != NULL && g_str_has_prefix (data->spec, "png:"));
}

void
ss_window_actions_init (SsWindow *self)
{
  g_autoptr(GAction) invert = g_settings_create_action (self->settings, "png-invert");
  g_autoptr(GAction) style = g_settings_create_action (self->settings, "style");

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  g_action_map_add_action (G_ACTION_MAP (self), invert);
  g_action_map_add_action (G_ACTION_MAP (self), style);
  ss_window_actions_update (self);
}
