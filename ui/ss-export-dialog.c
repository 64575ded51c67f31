/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-error.h"
#include "ss-export-dialog.h"

struct _SsExportDialog
{
  AdwWindow           parent_instance;

  /* Template widgets */
  AdwToastOverlay    *toasts;
  AdwComboRow        *format_row;
  GtkAdjustment      *width_mm;
  GtkAdjustment      *height_mm;
  GtkAdjustment      *dpi;
  AdwActionRow       *dpi_row;

  /* Owned */
  GObject            *source;
  char               *name;

  SsExportFigureFunc  get_figure;
};

G_DEFINE_FINAL_TYPE (SsExportDialog, ss_export_dialog, ADW_TYPE_WINDOW)

static const char *const extensions[] = { "png", "svg", "pdf" };
static const SsFigFormat formats[] = { SS_FIG_FORMAT_PNG, SS_FIG_FORMAT_SVG, SS_FIG_FORMAT_PDF };

gboolean
ss_export_dialog_write (SsExportDialog *self,
                        const char     *path,
                        GError        **error)
{
  guint f = adw_combo_row_get_selected (self->format_row);
  SsFigKind kind;
  gconstpointer fig;

  g_return_val_if_fail (SS_IS_EXPORT_DIALOG (self), FALSE);

  fig = self->source ? self->get_figure (self->source, &kind) : NULL;
  if (fig == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, _("There is no figure to export yet"));
      return FALSE;
    }
  return ss_fig_export (kind, fig, path, formats[MIN (f, 2)],
                        gtk_adjustment_get_value (self->width_mm) * SS_FIG_PT_PER_MM,
                        gtk_adjustment_get_value (self->height_mm) * SS_FIG_PT_PER_MM,
                        gtk_adjustment_get_value (self->dpi), NULL, error);
}

static void
on_file_response (GtkNativeDialog *chooser,
                  int              response,
                  SsExportDialog  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (ss_export_dialog_write (self, path, &error))
        gtk_window_close (GTK_WINDOW (self));
      else
        adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
on_export_clicked (SsExportDialog *self)
{
  guint f = MIN (adw_combo_row_get_selected (self->format_row), 2);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  g_autofree char *name = g_strdup_printf ("%s.%s", self->name, extensions[f]);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (on_file_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_format_changed (SsExportDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->dpi_row),
                            adw_combo_row_get_selected (self->format_row) == 0);
}

SsExportDialog *
ss_export_dialog_new (GtkWindow          *parent,
                      GObject            *source,
                      SsExportFigureFunc  get_figure,
                      const char         *name)
{
  SsExportDialog *self = g_object_new (SS_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);

  self->source = g_object_ref (source);
  self->get_figure = get_figure;
  self->name = g_strdup (name);
  return self;
}

static void
ss_export_dialog_dispose (GObject *object)
{
  SsExportDialog *self = SS_EXPORT_DIALOG (object);

  g_clear_object (&self->source);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_EXPORT_DIALOG);
  G_OBJECT_CLASS (ss_export_dialog_parent_class)->dispose (object);
}

static void
ss_export_dialog_finalize (GObject *object)
{
  g_clear_pointer (&SS_EXPORT_DIALOG (object)->name, g_free);
  G_OBJECT_CLASS (ss_export_dialog_parent_class)->finalize (object);
}

static void
ss_export_dialog_class_init (SsExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_export_dialog_dispose;
  object_class->finalize = ss_export_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, toasts);
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, width_mm);
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, height_mm);
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, dpi);
  gtk_widget_class_bind_template_child (widget_class, SsExportDialog, dpi_row);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
}

static void
ss_export_dialog_init (SsExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (on_format_changed),
                            self);
}
