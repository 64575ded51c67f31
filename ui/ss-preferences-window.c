/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-preferences-window.h"

struct _SsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template widgets */
  GtkAdjustment       *bins;
  GtkAdjustment       *samples;
  GtkAdjustment       *grid_samples;
};

G_DEFINE_FINAL_TYPE (SsPreferencesWindow, ss_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

GtkWidget *
ss_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  SsPreferencesWindow *self = g_object_new (SS_TYPE_PREFERENCES_WINDOW,
                                            "transient-for", parent, NULL);

  g_settings_bind (settings, "bins", self->bins, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "samples", self->samples, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "grid-samples", self->grid_samples, "value",
                   G_SETTINGS_BIND_DEFAULT);
  return GTK_WIDGET (self);
}

static void
ss_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SS_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (ss_preferences_window_parent_class)->dispose (object);
}

static void
ss_preferences_window_class_init (SsPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ss_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SsPreferencesWindow, bins);
  gtk_widget_class_bind_template_child (widget_class, SsPreferencesWindow, samples);
  gtk_widget_class_bind_template_child (widget_class, SsPreferencesWindow, grid_samples);
}

static void
ss_preferences_window_init (SsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
