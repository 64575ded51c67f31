/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-heatmap-panel.h"
#include "ss-shipped.h"
#include "ss-test-util.h"
#include "ss-ui.h"
#include "ui-test-util.h"

static AdwApplication *app;
static char *tmp_dir;
static SsWindow *opened;   /* by ui_test_open_window; borrowed */

AdwApplication *
ui_test_init (int    *argc,
              char ***argv)
{
  g_autofree char *home = NULL, *runs = NULL;

  tmp_dir = g_dir_make_tmp ("ss-ui-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  home = g_build_filename (tmp_dir, "home", NULL);
  runs = g_build_filename (tmp_dir, "runs.sqlite", NULL);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("SUPERSIGN_RUNS_DB", runs, TRUE);

  g_test_init (argc, argv, NULL);
  gtk_init ();
  adw_init ();
  ss_ui_init ();
  app = adw_application_new ("io.github.supersign.Supersign.Test", G_APPLICATION_NON_UNIQUE);
  g_application_set_resource_base_path (G_APPLICATION (app), APP_RESOURCE_PATH);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  return app;
}

const char *
ui_test_get_tmp_dir (void)
{
  return tmp_dir;
}

/* The window of ui_test_open_window, at the default size width × height unless width is 0. */
static SsWindow *
open_window (int width,
             int height)
{
  if (ss_shipped_model_path () == NULL)
    {
      g_test_skip ("the shipped model data/fmnist-vgg.safetensors is missing");
      return NULL;
    }
  opened = ss_window_new (GTK_APPLICATION (app));
  if (width > 0)
    gtk_window_set_default_size (GTK_WINDOW (opened), width, height);
  gtk_window_present (GTK_WINDOW (opened));
  return opened;
}

SsWindow *
ui_test_open_window (void)
{
  return open_window (0, 0);
}

SsWindow *
ui_test_open_window_sized (int width,
                           int height)
{
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  return open_window (width, height);
}

gboolean
ui_test_need_window (void)
{
  if (opened == NULL)
    g_test_skip ("no window");
  return opened != NULL;
}

SsSession *
ui_test_session (void)
{
  return ss_window_get_session (opened);
}

SsLayersView *
ui_test_layers_view (void)
{
  return SS_LAYERS_VIEW (ss_window_get_page (opened, "layers"));
}

int
ui_test_finish (int       status,
                SsWindow *window)
{
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  opened = NULL;
  /* Returning from main under a running worker crashes it as OpenBLAS is torn down. */
  while (ss_job_get_n_in_flight () > 0 && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  g_assert_cmpuint (ss_job_get_n_in_flight (), ==, 0);
  ui_test_spin (0.2);
  g_clear_object (&app);
  ss_test_rm_rf (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
  return status;
}

gboolean
ui_test_wait_for (UiTestCondition cond,
                  gpointer        data,
                  double          seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return TRUE;
}

void
ui_test_spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

gboolean
ui_test_job_not_running (gpointer job)
{
  return !ss_job_is_running (SS_JOB (job));
}

gboolean
ui_test_model_ready (gpointer window)
{
  SsSession *s = ss_window_get_session (SS_WINDOW (window));

  return ss_session_get_model (s) != NULL && ss_session_get_data (s) != NULL &&
         ss_session_get_fits (s, NULL) && ss_session_get_profile (s) != NULL &&
         ss_session_get_random_profile (s) != NULL;
}

gboolean
ui_test_maps_shown (gpointer unused)
{
  SsHeatmapPanel *panel = ss_layers_view_get_panel (ui_test_layers_view ());

  return ss_heatmap_panel_get_n_maps (panel) > 0 &&
         !ss_job_is_running (ss_heatmap_panel_get_job (panel));
}

GtkWidget *
ui_test_find_named (GtkWidget  *root,
                    const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_named (child, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

void
ui_test_set_form (GtkWidget         *root,
                  const UiTestField *fields)
{
  for (const UiTestField *f = fields; f->name != NULL; f++)
    {
      GtkWidget *w = ui_test_find_named (root, f->name);

      if (w == NULL)
        g_error ("%s has no widget named %s", G_OBJECT_TYPE_NAME (root), f->name);
      if (GTK_IS_SPIN_BUTTON (w))
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), f->value);
      else if (ADW_IS_COMBO_ROW (w))
        adw_combo_row_set_selected (ADW_COMBO_ROW (w), (guint) f->value);
      else
        g_error ("%s is a %s, neither a spin button nor a combo row", f->name,
                 G_OBJECT_TYPE_NAME (w));
    }
}

GdkTexture *
ui_test_render (GtkWidget       *widget,
                graphene_rect_t *bounds)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (widget));
  int w = gtk_widget_get_width (root), h = gtk_widget_get_height (root);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer;

  g_assert_true (GTK_IS_NATIVE (root));
  renderer = gtk_native_get_renderer (GTK_NATIVE (root));
  g_assert_nonnull (renderer);
  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  if (bounds != NULL)
    g_assert_true (gtk_widget_compute_bounds (widget, root, bounds));
  paintable = gtk_widget_paintable_new (root);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

/* The texture's pixels' luma (0–255), row by row. Transfer full. */
static guint8 *
texture_luma (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint8 *argb = g_malloc ((gsize) w * h * 4);
  guint8 *luma = g_malloc ((gsize) w * h);

  /* Cairo's ARGB32: native-endian 32-bit words, premultiplied; the window is opaque. */
  gdk_texture_download (texture, argb, (gsize) w * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint32 p;
      memcpy (&p, argb + 4 * i, 4);
      luma[i] = (guint8) ((2126 * ((p >> 16) & 0xff) + 7152 * ((p >> 8) & 0xff) +
                           722 * (p & 0xff)) / 10000);
    }
  return luma;
}

void
ui_test_luma (GdkTexture *texture,
              int         x,
              int         y,
              int         w,
              int         h,
              UiTestLuma *out)
{
  int tw = gdk_texture_get_width (texture), th = gdk_texture_get_height (texture);
  g_autofree guint8 *luma = texture_luma (texture);
  guint64 hist[256] = { 0 }, n = 0, seen = 0, lighter = 0, darker = 0, black = 0;
  int median = 0;

  g_assert_true (x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= tw && y + h <= th);
  for (int r = y; r < y + h; r++)
    for (int c = x; c < x + w; c++)
      hist[luma[(gsize) r * tw + c]]++;
  n = (guint64) w * h;
  for (median = 0; median < 255 && (seen += hist[median]) < (n + 1) / 2; median++)
    ;
  for (int v = 0; v < 256; v++)
    {
      if (v > median + 96)
        lighter += hist[v];
      else if (v < median - 96)
        darker += hist[v];
    }
  for (int v = 0; v < 16; v++)
    black += hist[v];
  out->background = median;
  out->lighter = (double) lighter / n;
  out->darker = (double) darker / n;
  out->black = (double) black / n;
}

double
ui_test_luma_variance (GdkTexture *texture)
{
  gsize n = (gsize) gdk_texture_get_width (texture) * gdk_texture_get_height (texture);
  g_autofree guint8 *luma = texture_luma (texture);
  double mean = 0, var = 0;

  for (gsize i = 0; i < n; i++)
    mean += luma[i];
  mean /= n;
  for (gsize i = 0; i < n; i++)
    var += (luma[i] - mean) * (luma[i] - mean);
  return var / n;
}

gboolean
ui_test_has_label (GtkWidget  *root,
                   const char *text)
{
  if (GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ui_test_has_label (child, text))
      return TRUE;
  return FALSE;
}
