/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the GTK app's tests (tests/test-ui-*.c, run under Xvfb) share: the process set-up with
 * the user's folders and run history in a temporary folder, the window on the shipped model,
 * waiting on the main loop, finding widgets by name, filling a form, and rendering a widget to
 * pixels. */

#include <adwaita.h>

#include "ss-layers-view.h"
#include "ss-window.h"

G_BEGIN_DECLS

typedef gboolean (*UiTestCondition) (gpointer data);

/* Sets HOME, the XDG folders and SUPERSIGN_RUNS_DB to a new temporary folder (not
 * G_TEST_OPTION_ISOLATE_DIRS: it also hides the system data folders, where the MIME database
 * lives that gdk-pixbuf needs to recognise SVG icons), then runs g_test_init, gtk_init,
 * adw_init and ss_ui_init and registers a non-unique application with the app's resource base
 * path. Returns: (transfer none): the application, owned until ui_test_finish. */
AdwApplication *ui_test_init          (int *argc, char ***argv);
/* The temporary folder of ui_test_init. */
const char     *ui_test_get_tmp_dir   (void);
/* A new window of the application on the shipped model, presented: the window of
 * ui_test_session and ui_test_layers_view. NULL, with the test skipped, when the shipped model
 * (data/fmnist-vgg.safetensors) is missing.
 * Returns: (transfer none): the window, for ui_test_finish to destroy. */
SsWindow       *ui_test_open_window   (void);
/* As ui_test_open_window, with the window's default size width × height set before it is
 * presented (a screenshot's size). */
SsWindow       *ui_test_open_window_sized (int width, int height);
/* Whether a window of ui_test_open_window is open; when not (the test that opens it skipped),
 * skips the test ("no window") for it to return at once. */
gboolean        ui_test_need_window   (void);
/* The session and the Layers page of the window of ui_test_open_window. */
SsSession      *ui_test_session       (void);
SsLayersView   *ui_test_layers_view   (void);
/* Destroys window (when not NULL), lets the main loop settle, frees the application and removes
 * the temporary folder. Returns status, for main's return. */
int             ui_test_finish        (int status, SsWindow *window);

/* Iterates the main context until cond (data) holds; FALSE after seconds. */
gboolean        ui_test_wait_for      (UiTestCondition cond, gpointer data, double seconds);
/* Iterates the main context for seconds. */
void            ui_test_spin          (double seconds);
/* Whether a GtkLabel under root (itself included) shows text. */
gboolean        ui_test_has_label     (GtkWidget *root, const char *text);
/* A condition: the SsJob data is not running. */
gboolean        ui_test_job_not_running (gpointer job);
/* A condition: window (an SsWindow) has a model and a data set that fit, and both profiles. */
gboolean        ui_test_model_ready   (gpointer window);
/* A condition: the heatmap panel of ui_test_layers_view shows maps, and its job is done. */
gboolean        ui_test_maps_shown    (gpointer unused);

/* The first widget under root (itself included, depth first) named name, or NULL. */
GtkWidget      *ui_test_find_named    (GtkWidget *root, const char *name);

/* One field of a form: a GtkSpinButton's value, or an AdwComboRow's position. */
typedef struct {
  const char *name;
  double      value;
} UiTestField;

/* Sets each field of fields (ended by one whose name is NULL) in the form under root; a field
 * that is missing, or neither a spin button nor a combo row, fails the test. */
void            ui_test_set_form      (GtkWidget *root, const UiTestField *fields);

/* widget's window as it is drawn now, by the window's renderer, and where widget is in it
 * (bounds, in the texture's pixels; may be NULL): what a user sees of the widget, parents'
 * backgrounds included. Fails the test when the window is not shown.
 * Returns: (transfer full): the texture. */
GdkTexture     *ui_test_render        (GtkWidget *widget, graphene_rect_t *bounds);
/* Luma (0–255) in texture's rectangle (x, y, w, h): the median, which is the background's
 * where most pixels are background; the shares of pixels more than 96 lighter and more than
 * 96 darker than it (text, axes, lines); and the share of near-black pixels (luma < 16). */
typedef struct {
  int    background;
  double lighter;
  double darker;
  double black;
} UiTestLuma;

void            ui_test_luma          (GdkTexture *texture, int x, int y, int w, int h,
                                       UiTestLuma *luma);
/* The variance of texture's luma over all pixels: 0 for a blank image. */
double          ui_test_luma_variance (GdkTexture *texture);

G_END_DECLS
