/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-shipped.h"
#include "ss-window-private.h"

/* One schema for the app and its .Devel build, as GNOME Text Editor does. */
#define SETTINGS_SCHEMA "io.github.supersign.Supersign"

G_DEFINE_FINAL_TYPE (SsWindow, ss_window, ADW_TYPE_APPLICATION_WINDOW)

void
ss_window_toast (SsWindow   *self,
                 const char *message)
{
  AdwToast *toast;

  g_return_if_fail (SS_IS_WINDOW (self));

  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
ss_window_get_last_toast (SsWindow *self)
{
  g_return_val_if_fail (SS_IS_WINDOW (self), NULL);
  return self->last_toast;
}

static void
update_subtitle (SsWindow *self)
{
  SsSessionModel *model = ss_session_get_model (self->session);
  SsSessionData *data = ss_session_get_data (self->session);
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s · %s", model ? model->title : _("no model"),
                          data ? data->title : _("no data"));
  adw_view_switcher_title_set_subtitle (self->switcher_title, text);
}

/* Failures of the session's jobs also show as toasts: the bar says it in place, the toast
 * makes sure it is seen. */
static void
on_session_job_state (SsWindow *self,
                      GParamSpec *pspec,
                      SsJob    *job)
{
  if (ss_job_get_state (job) == SS_JOB_FAILED)
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", ss_job_get_title (job),
                                               ss_job_get_message (job));
      ss_window_toast (self, text);

      /* What the settings remembered is gone (a moved file, an unplugged folder): fall back to
       * the shipped model and Fashion-MNIST rather than an empty window. */
      if (job == ss_session_get_model_job (self->session) &&
          ss_session_get_model (self->session) == NULL && !self->model_fallback)
        {
          self->model_fallback = TRUE;
          ss_session_open_model (self->session, ss_shipped_default_model ());
        }
      else if (job == ss_session_get_data_job (self->session) &&
               ss_session_get_data (self->session) == NULL && !self->data_fallback)
        {
          self->data_fallback = TRUE;
          ss_session_open_data (self->session, "fashion-mnist", FALSE);
        }
    }
  ss_window_actions_update (self);
}

static void
on_model_changed (SsWindow *self)
{
  SsSessionModel *model = ss_session_get_model (self->session);

  update_subtitle (self);
  if (model != NULL && model->spec != NULL && !g_str_equal (model->origin, _("trained here")))
    g_settings_set_string (self->settings, "last-model",
                           g_strcmp0 (model->spec, ss_shipped_model_path ()) == 0 ? ""
                                                                                 : model->spec);
  ss_window_actions_update (self);
}

static void
on_data_changed (SsWindow *self)
{
  SsSessionData *data = ss_session_get_data (self->session);

  update_subtitle (self);
  if (data != NULL)
    g_settings_set_string (self->settings, "data", data->spec);
  ss_window_actions_update (self);
}

static void
on_profile_settings_changed (SsWindow *self)
{
  ss_session_set_profile_options (self->session, g_settings_get_int (self->settings, "bins"),
                                  g_settings_get_int (self->settings, "samples"));
}

/* A run opened from the history shows on the Experiments page, in the experiment of its
 * kind. */
static void
on_run_loaded (SsWindow  *self,
               GPtrArray *runs)
{
  if (ss_experiments_view_show_runs (self->experiments_view, runs))
    ss_window_set_page (self, "experiments");
  else
    ss_window_toast (self, _("No experiment shows runs of this kind"));
}

/* The "style" setting (the main menu's Style items) picks libadwaita's colour scheme, which is
 * the whole application's: every window applies it, to the same effect. */
static void
on_style_changed (SsWindow *self)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK,
  };
  guint style = (guint) g_settings_get_enum (self->settings, "style");

  g_return_if_fail (style < G_N_ELEMENTS (schemes));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[style]);
}

static void
open_from_settings (SsWindow *self)
{
  g_autofree char *model = g_settings_get_string (self->settings, "last-model");
  g_autofree char *data = g_settings_get_string (self->settings, "data");

  /* A data folder that is gone (or a PNG folder, which depends on the model) falls back. */
  if (*data == '\0' || g_str_has_prefix (data, "png:"))
    {
      g_free (data);
      data = g_strdup ("fashion-mnist");
    }
  ss_session_open_data (self->session, data, g_settings_get_boolean (self->settings, "png-invert"));
  ss_session_open_model (self->session, *model != '\0' ? model : ss_shipped_default_model ());
}

gboolean
ss_window_save_screenshot (SsWindow   *self,
                           const char *path,
                           GError    **error)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer;

  g_return_val_if_fail (SS_IS_WINDOW (self), FALSE);

  renderer = gtk_native_get_renderer (GTK_NATIVE (self));
  if (renderer == NULL || w <= 0 || h <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "The window is not shown");
      return FALSE;
    }
  paintable = gtk_widget_paintable_new (GTK_WIDGET (self));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Nothing was drawn");
      return FALSE;
    }
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: could not write the PNG", path);
      return FALSE;
    }
  return TRUE;
}

SsSession *
ss_window_get_session (SsWindow *self)
{
  g_return_val_if_fail (SS_IS_WINDOW (self), NULL);
  return self->session;
}

GSettings *
ss_window_get_settings (SsWindow *self)
{
  g_return_val_if_fail (SS_IS_WINDOW (self), NULL);
  return self->settings;
}

void
ss_window_set_page (SsWindow   *self,
                    const char *name)
{
  g_return_if_fail (SS_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->stack, name);
}

GtkWidget *
ss_window_get_page (SsWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (SS_IS_WINDOW (self), NULL);
  return adw_view_stack_get_child_by_name (self->stack, name);
}

SsWindow *
ss_window_new (GtkApplication *application)
{
  return g_object_new (SS_TYPE_WINDOW, "application", application, NULL);
}

static void
ss_window_constructed (GObject *object)
{
  SsWindow *self = SS_WINDOW (object);
  SsJob *jobs[2];

  G_OBJECT_CLASS (ss_window_parent_class)->constructed (object);

  self->settings = g_settings_new (SETTINGS_SCHEMA);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::style", G_CALLBACK (on_style_changed), self,
                           G_CONNECT_SWAPPED);
  on_style_changed (self);

  self->session = ss_session_new ();
  ss_session_set_profile_options (self->session, g_settings_get_int (self->settings, "bins"),
                                  g_settings_get_int (self->settings, "samples"));
  g_signal_connect_object (self->settings, "changed::bins",
                           G_CALLBACK (on_profile_settings_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::samples",
                           G_CALLBACK (on_profile_settings_changed), self, G_CONNECT_SWAPPED);

  {
    SsHeatmapPanel *panel = ss_layers_view_get_panel (self->layers_view);
    g_settings_bind (self->settings, "colormap", panel, "colormap", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind (self->settings, "opacity", panel, "opacity", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind (self->settings, "grid-samples", panel, "page-size", G_SETTINGS_BIND_DEFAULT);
  }

  ss_layers_view_set_session (self->layers_view, self->session);
  ss_entropy_view_set_session (self->entropy_view, self->session);
  ss_infoplane_view_set_session (self->infoplane_view, self->session);
  ss_experiments_view_set_session (self->experiments_view, self->session);
  ss_runs_view_set_session (self->runs_view, self->session);
  g_signal_connect_object (self->experiments_view, "history-changed",
                           G_CALLBACK (ss_runs_view_refresh), self->runs_view, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->runs_view, "run-loaded", G_CALLBACK (on_run_loaded), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->runs_view, "message", G_CALLBACK (ss_window_toast), self,
                           G_CONNECT_SWAPPED);
  ss_job_bar_set_job (self->model_bar, ss_session_get_model_job (self->session));
  ss_job_bar_set_job (self->data_bar, ss_session_get_data_job (self->session));

  jobs[0] = ss_session_get_model_job (self->session);
  jobs[1] = ss_session_get_data_job (self->session);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_signal_connect_object (jobs[i], "notify::state", G_CALLBACK (on_session_job_state), self,
                             G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::model", G_CALLBACK (on_model_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::data", G_CALLBACK (on_data_changed), self,
                           G_CONNECT_SWAPPED);

  ss_window_actions_init (self);
  update_subtitle (self);
  open_from_settings (self);
}

static void
ss_window_dispose (GObject *object)
{
  SsWindow *self = SS_WINDOW (object);

  if (self->session != NULL)
    ss_session_cancel_jobs (self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ss_window_parent_class)->dispose (object);
}

static void
ss_window_finalize (GObject *object)
{
  g_clear_pointer (&SS_WINDOW (object)->last_toast, g_free);
  G_OBJECT_CLASS (ss_window_parent_class)->finalize (object);
}

static void
ss_window_class_init (SsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ss_window_constructed;
  object_class->dispose = ss_window_dispose;
  object_class->finalize = ss_window_finalize;

  g_type_ensure (SS_TYPE_JOB_BAR);
  g_type_ensure (SS_TYPE_LAYERS_VIEW);
  g_type_ensure (SS_TYPE_ENTROPY_VIEW);
  g_type_ensure (SS_TYPE_INFOPLANE_VIEW);
  g_type_ensure (SS_TYPE_EXPERIMENTS_VIEW);
  g_type_ensure (SS_TYPE_RUNS_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/ss-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, model_bar);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, data_bar);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, layers_view);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, entropy_view);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, infoplane_view);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, experiments_view);
  gtk_widget_class_bind_template_child (widget_class, SsWindow, runs_view);

  /* Escape cancels the running jobs; as a bubbling binding, a popover or entry sees it first.
   * The other shortcuts are the application's accelerators (shown in the menus). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
}

static void
ss_window_init (SsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  if (APP_DEVELOPMENT)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}
