/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The GTK app in German (run under Xvfb by meson test): with LANGUAGE=de and the build's
 * po/de.po compiled to BUILD/po/de/LC_MESSAGES/supersign.mo, the main window's templates
 * (GtkBuilder), its C strings (gettext) and plural forms come out in German. The locale is
 * C.UTF-8, which every Debian system has: glibc's gettext honours LANGUAGE in any locale but
 * "C" itself, so no German locale needs installing. */

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "ss-layers-view.h"
#include "ui-test-util.h"

#define TIMEOUT_S 240.0

static SsWindow *window;

static gboolean
layers_listed (gpointer data)
{
  return ss_layers_view_get_n_rows (ui_test_layers_view ()) > 0;
}

static void
test_catalog (void)
{
  g_test_summary ("The build's German catalogue is found: gettext translates a C string and "
                  "picks German plural forms");
  g_assert_cmpstr (_("Cancelled"), ==, "Abgebrochen");
  g_assert_cmpstr (ngettext ("Finished: test accuracy %.2f %% after %d epoch.",
                             "Finished: test accuracy %.2f %% after %d epochs.", 1), ==,
                   "Fertig: Testgenauigkeit %.2f %% nach %d Epoche.");
  g_assert_cmpstr (ngettext ("Finished: test accuracy %.2f %% after %d epoch.",
                             "Finished: test accuracy %.2f %% after %d epochs.", 3), ==,
                   "Fertig: Testgenauigkeit %.2f %% nach %d Epochen.");
}

static void
test_window (void)
{
  AdwViewStack *stack = NULL;

  g_test_summary ("The main window in German: the page titles of its template, the layer "
                  "list's column titles set in C, and the heatmap panel's status page");
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  g_assert_true (ui_test_wait_for (layers_listed, NULL, TIMEOUT_S));
  ui_test_spin (0.2);

  /* ss-window.ui, translated by GtkBuilder. */
  for (GtkWidget *w = ss_window_get_page (window, "layers"); stack == NULL;
       w = gtk_widget_get_parent (w))
    if (ADW_IS_VIEW_STACK (w))
      stack = ADW_VIEW_STACK (w);
  g_assert_cmpstr (adw_view_stack_page_get_title (
                     adw_view_stack_get_page (stack, ss_window_get_page (window, "layers"))), ==,
                   "_Schichten");
  g_assert_cmpstr (adw_view_stack_page_get_title (
                     adw_view_stack_get_page (stack, ss_window_get_page (window, "history"))),
                   ==, "_Verlauf");
  /* In the widget tree: column titles (C) and a status page (template), German only. */
  g_assert_true (ui_test_has_label (GTK_WIDGET (window), "Schicht"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (window), "Ausgabe"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (window), "Eine Schicht auswählen"));
  g_assert_false (ui_test_has_label (GTK_WIDGET (window), "Select a Layer"));
  g_assert_false (ui_test_has_label (GTK_WIDGET (window), "Output"));
}

int
main (int argc, char *argv[])
{
  const char *localedir = g_getenv ("SS_LOCALEDIR");

  /* Before gtk_init, which calls setlocale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/i18n/catalog", test_catalog);
  g_test_add_func ("/ui/i18n/window", test_window);
  return ui_test_finish (g_test_run (), window);
}
