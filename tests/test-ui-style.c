/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Light and dark style (run under Xvfb by meson test): the main menu's Style items (win.style,
 * stored in GSettings) set libadwaita's colour scheme, and the plots, drawn with Cairo, take
 * their colours from the widget's style: in dark style the entropy bars and the information
 * plane are light text and axes on a dark background, in light style dark on light, as the
 * window renders them. A figure exported for a paper stays black on white in either. */

#include <adwaita.h>

#include "ss-entropy-view.h"
#include "ss-infoplane-view.h"
#include "ui-test-util.h"

#define TIMEOUT_S 240.0

static SsWindow *window;

static SsPlot *
page_plot (const char *page)
{
  GtkWidget *view = ss_window_get_page (window, page);

  if (g_str_equal (page, "entropy"))
    return ss_entropy_view_get_plot (SS_ENTROPY_VIEW (view));
  return ss_infoplane_view_get_plot (SS_INFOPLANE_VIEW (view));
}

/* Sets the style through the menu's action and checks that libadwaita follows. */
static void
set_style (const char *style)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.supersign.Supersign");
  g_autofree char *stored = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.style", "s", style));
  stored = g_settings_get_string (settings, "style");
  g_assert_cmpstr (stored, ==, style);
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==,
                   g_str_equal (style, "dark") ? ADW_COLOR_SCHEME_FORCE_DARK
                                               : ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_cmpint (adw_style_manager_get_dark (adw_style_manager_get_default ()), ==,
                   g_str_equal (style, "dark"));
  ui_test_spin (0.5);
}

/* The plot of page as the window shows it, in the style set. */
static void
check_plot (const char *page,
            gboolean    dark)
{
  SsPlot *plot = page_plot (page);
  g_autoptr(GdkTexture) texture = NULL;
  graphene_rect_t b;
  UiTestLuma luma;

  ss_window_set_page (window, page);
  ui_test_spin (0.5);
  g_assert_nonnull (ss_plot_get_figure (plot, NULL));
  texture = ui_test_render (GTK_WIDGET (plot), &b);
  ui_test_luma (texture, (int) b.origin.x, (int) b.origin.y, (int) b.size.width,
                (int) b.size.height, &luma);
  g_test_message ("%s, %s: background luma %d, %.2f %% lighter, %.2f %% darker, %.2f %% black",
                  page, dark ? "dark" : "light", luma.background, 100 * luma.lighter,
                  100 * luma.darker, 100 * luma.black);
  if (dark)
    {
      /* Light ink (text, axes, the null-baseline line: at least 0.2 % of a sparse plot) on
       * dark, and no black text left. */
      g_assert_cmpint (luma.background, <, 80);
      g_assert_cmpfloat (luma.lighter, >, 0.002);
      g_assert_cmpfloat (luma.black, <, 0.001);
    }
  else
    {
      g_assert_cmpint (luma.background, >, 200);
      g_assert_cmpfloat (luma.darker, >, 0.002);
    }
}

/* The figure of page exported as a PNG (the "paper" style), still white under black text. */
static void
check_export (const char *page)
{
  SsFigKind kind;
  gconstpointer fig = ss_plot_get_figure (page_plot (page), &kind);
  g_autofree char *path = g_build_filename (ui_test_get_tmp_dir (), "paper.png", NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  UiTestLuma luma;

  g_assert_true (ss_fig_export (kind, fig, path, SS_FIG_FORMAT_PNG, 241, 170, 100, NULL,
                                &error));
  g_assert_no_error (error);
  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  ui_test_luma (texture, 0, 0, gdk_texture_get_width (texture),
                gdk_texture_get_height (texture), &luma);
  g_assert_cmpint (luma.background, >, 240);
  g_assert_cmpfloat (luma.darker, >, 0.005);
}

static void
test_open (void)
{
  g_test_summary ("The window opens the shipped model with both entropy profiles");
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  g_assert_true (ui_test_wait_for (ui_test_model_ready, window, TIMEOUT_S));
}

static void
test_dark (void)
{
  g_test_summary ("Style Dark (FORCE_DARK): the entropy bars and the information plane draw "
                  "light text and axes on a dark background; a paper export stays white");
  if (!ui_test_need_window ())
    return;
  set_style ("dark");
  check_plot ("entropy", TRUE);
  check_plot ("infoplane", TRUE);
  check_export ("entropy");
}

static void
test_light (void)
{
  g_test_summary ("Style Light (FORCE_LIGHT): the same plots draw dark on light");
  if (!ui_test_need_window ())
    return;
  set_style ("light");
  check_plot ("entropy", FALSE);
  check_plot ("infoplane", FALSE);
}

int
main (int argc, char *argv[])
{
  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/style/open", test_open);
  g_test_add_func ("/ui/style/dark", test_dark);
  g_test_add_func ("/ui/style/light", test_light);
  return ui_test_finish (g_test_run (), window);
}
