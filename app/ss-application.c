/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "ss-application.h"
#include "ss-arch-resolve.h"
#include "ss-experiments-view.h"
#include "ss-heatmap-panel.h"
#include "ss-layers-view.h"
#include "ss-train-view.h"
#include "ss-ui.h"
#include "ss-window.h"

struct _SsApplication
{
  AdwApplication parent_instance;

  /* Owned: what to open instead of the last model and data set (absolute paths) */
  char          *model;
  char          *data;
  char          *labels;

  /* Owned: --screenshot and friends (debugging, documentation) */
  char          *screenshot;
  char          *page;
  char          *layer;
  int            train_epochs;     /* --train: a short run on the Experiments page first */
  gboolean       train_started;
  guint          screenshot_id;
  int            screenshot_waits;
};

G_DEFINE_FINAL_TYPE (SsApplication, ss_application, ADW_TYPE_APPLICATION)

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Supersign developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", "Supersign",
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", "The Supersign developers",
                        "developers", developers,
                        "comments", _("Information-theoretic analysis of convolutional networks: "
                                      "Grad-CAM saliency, the spatial aura entropy of saliency maps "
                                      "layer by layer, the information plane, entropy-driven layer "
                                      "freezing and pruning."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 The Supersign developers",
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_entries[] = {
  { "quit", quit_activated },
  { "about", about_activated },
};

/* --screenshot: once the window has its model, data, heatmaps and profiles, save it. */
static gboolean
screenshot_tick (gpointer user_data)
{
  SsApplication *self = user_data;
  SsWindow *window = SS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (self)));
  SsSession *session;
  g_autoptr(GError) error = NULL;
  gboolean busy = FALSE;

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  session = ss_window_get_session (window);
  busy = ss_session_get_model (session) == NULL || ss_session_get_data (session) == NULL ||
         ss_job_is_running (ss_session_get_model_job (session)) ||
         ss_job_is_running (ss_session_get_data_job (session)) ||
         ss_job_is_running (ss_session_get_profile_job (session)) ||
         ss_job_is_running (ss_session_get_random_job (session));
  if (!busy && self->layer != NULL && self->screenshot_waits == 0)
    {
      SsLayersView *layers = SS_LAYERS_VIEW (ss_window_get_page (window, "layers"));
      const SsArch *arch = ss_net_get_arch (ss_session_get_model (session)->net);
      g_autoptr(GError) layer_error = NULL;
      /* A node name or a PyTorch module path, as the CLI's --layers takes. */
      int node = ss_arch_resolve_layer (arch, self->layer, &layer_error);

      if (node < 0)
        g_printerr ("supersign: --layer: %s\n", layer_error->message);
      ss_layers_view_select_node (layers, node);
    }
  if (!busy && self->train_epochs > 0)
    {
      SsExperimentsView *experiments =
        SS_EXPERIMENTS_VIEW (ss_window_get_page (window, "experiments"));
      SsTrainView *train = SS_TRAIN_VIEW (ss_experiments_view_get_experiment (experiments,
                                                                              "train"));
      if (!self->train_started)
        {
          ss_train_view_configure (train, self->train_epochs, 64, 2000);
          ss_train_view_start (train);
          self->train_started = TRUE;
        }
      busy = ss_job_is_running (ss_train_view_get_job (train));
    }
  if (!busy && self->layer != NULL)
    {
      SsLayersView *layers = SS_LAYERS_VIEW (ss_window_get_page (window, "layers"));
      busy = ss_job_is_running (ss_heatmap_panel_get_job (ss_layers_view_get_panel (layers)));
    }
  /* A few more ticks after the last job, for the widgets to lay out and draw. */
  if (busy || self->screenshot_waits++ < 5)
    return G_SOURCE_CONTINUE;
  if (!ss_window_save_screenshot (window, self->screenshot, &error))
    g_printerr ("supersign: %s\n", error->message);
  self->screenshot_id = 0;
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* --model, --data and --labels, in place of what the new window reopened from its settings
 * (those jobs are cancelled by the new ones). */
static void
open_from_options (SsApplication *self,
                   SsWindow      *window)
{
  SsSession *session = ss_window_get_session (window);
  gboolean invert = g_settings_get_boolean (ss_window_get_settings (window), "png-invert");

  if (self->model != NULL)
    ss_session_open_model (session, self->model);
  if (self->labels != NULL)
    ss_session_open_png_labels (session, self->data, invert, self->labels);
  else if (self->data != NULL)
    ss_session_open_data (session, self->data, invert);
}

static void
ss_application_activate (GApplication *app)
{
  SsApplication *self = SS_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (ss_window_new (GTK_APPLICATION (app)));
      open_from_options (self, SS_WINDOW (window));
    }
  if (self->page != NULL)
    ss_window_set_page (SS_WINDOW (window), self->page);
  gtk_window_present (window);
  if (self->screenshot != NULL && self->screenshot_id == 0)
    self->screenshot_id = g_timeout_add (200, screenshot_tick, self);
}

static void
ss_application_startup (GApplication *app)
{
  static const char *quit[] = { "<Control>q", NULL };
  static const char *open[] = { "<Control>o", NULL };
  static const char *export[] = { "<Control>e", NULL };
  static const char *help[] = { "F1", "<Control>question", NULL };
  static const char *prefs[] = { "<Control>comma", NULL };
  static const char *pages[] = { "layers", "entropy", "infoplane", "experiments", "history" };

  ss_ui_init ();
  G_APPLICATION_CLASS (ss_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries, G_N_ELEMENTS (app_entries),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.open-model", open);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.export", export);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay", help);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.preferences", prefs);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *accel = g_strdup_printf ("<Alt>%u", i + 1);
      g_autofree char *action = g_strdup_printf ("win.page::%s", pages[i]);
      const char *accels[] = { accel, NULL };
      gtk_application_set_accels_for_action (GTK_APPLICATION (app), action, accels);
    }
}

/* spec ("png:DIR", "mnist:DIR", a built-in name, …) with its path made absolute, as the
 * settings remember it. Transfer full. */
static char *
absolute_spec (const char *spec)
{
  const char *colon = strchr (spec, ':');
  g_autofree char *path = NULL;

  if (colon == NULL || colon[1] == '\0')
    return g_strdup (spec);
  path = g_canonicalize_filename (colon + 1, NULL);
  return g_strdup_printf ("%.*s:%s", (int) (colon - spec), spec, path);
}

/* Reads --model, --data and --labels; FALSE (with a message printed) when they do not go
 * together. */
static gboolean
take_open_options (SsApplication *self,
                   GVariantDict  *options)
{
  g_autofree char *model = NULL, *data = NULL, *labels = NULL;

  g_variant_dict_lookup (options, "model", "s", &model);
  g_variant_dict_lookup (options, "data", "s", &data);
  g_variant_dict_lookup (options, "labels", "^ay", &labels);
  if (labels != NULL && (data == NULL || !g_str_has_prefix (data, "png:") || data[4] == '\0'))
    {
      g_printerr ("supersign: --labels applies to a folder of images: give it with "
                  "--data png:DIR\n");
      return FALSE;
    }
  /* A built-in architecture's name stays a name; a file's path is made absolute. */
  if (model != NULL)
    self->model = g_strv_contains ((const char * const *) ss_arch_builtin_names (), model)
                    ? g_steal_pointer (&model) : g_canonicalize_filename (model, NULL);
  if (data != NULL)
    self->data = absolute_spec (data);
  if (labels != NULL)
    self->labels = g_canonicalize_filename (labels, NULL);
  return TRUE;
}

static int
ss_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  SsApplication *self = SS_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("supersign %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (!take_open_options (self, options))
    return 1;
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot);
  g_variant_dict_lookup (options, "page", "s", &self->page);
  g_variant_dict_lookup (options, "layer", "s", &self->layer);
  g_variant_dict_lookup (options, "train", "i", &self->train_epochs);
  if (self->screenshot != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static void
ss_application_finalize (GObject *object)
{
  SsApplication *self = SS_APPLICATION (object);

  g_clear_handle_id (&self->screenshot_id, g_source_remove);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->data, g_free);
  g_clear_pointer (&self->labels, g_free);
  g_clear_pointer (&self->screenshot, g_free);
  g_clear_pointer (&self->page, g_free);
  g_clear_pointer (&self->layer, g_free);
  G_OBJECT_CLASS (ss_application_parent_class)->finalize (object);
}

static void
ss_application_class_init (SsApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ss_application_finalize;
  app_class->activate = ss_application_activate;
  app_class->startup = ss_application_startup;
  app_class->handle_local_options = ss_application_handle_local_options;
}

static void
ss_application_init (SsApplication *self)
{
  static const GOptionEntry options[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { "model", 'm', 0, G_OPTION_ARG_STRING, NULL,
      N_("Model to open: a built-in architecture, architecture .json, model .safetensors or "
         "ONNX .onnx (default: the last one)"), "NAME|FILE" },
    { "data", 'd', 0, G_OPTION_ARG_STRING, NULL,
      N_("Data to open: fashion-mnist, mnist:DIR, cifar10:DIR or png:DIR (a folder of images)"),
      "SPEC" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("For png:DIR data: class names, one per line, as many as the model's classes"),
      "FILE" },
    { "screenshot", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL,
      "Save a PNG of the window once its jobs are done, then quit (debugging)", "FILE" },
    { "page", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Page to show: layers, entropy, infoplane, experiments or history"), "PAGE" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Layer to select in the layer list"),
      "NAME" },
    { "train", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, NULL,
      "With --screenshot: first train for N epochs on 2000 images", "N" },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

SsApplication *
ss_application_new (void)
{
  return g_object_new (SS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", APP_RESOURCE_PATH,
                       NULL);
}
