/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The GTK app on a folder of PNG images with a class-names file (run under Xvfb by meson test),
 * as Data ▸ Class Names… and `supersign --data png:DIR --labels FILE` open it: the file's names
 * label the class subfolders (by number or by name) and show in the heatmap cards' headings and
 * predictions and in the target-class list; a file with the wrong count of names, bytes that
 * are not UTF-8 or no names fails the data job with ss_labels_load's message, in a toast, and
 * the folder stays as it was; before any model is open the file decides the class count. The
 * folder is made at test time from libpng images (core/ss-png.h). */

#include <string.h>

#include <adwaita.h>

#include "ss-layers-view.h"
#include "ss-png.h"
#include "ss-window.h"
#include "ui-test-util.h"

#define TIMEOUT_S 240.0

/* Fashion-MNIST's classes in German, so that a name shown can only have come from the file. */
static const char *const names[] = {
  "T-Shirt", "Hose", "Pulli", "Kleid", "Mantel", "Sandale", "Hemd", "Turnschuh", "Tasche",
  "Stiefelette",
};

static SsWindow *window;
static char *folder_spec;     /* "png:DIR" */
static char *labels_path;

static SsHeatmapPanel *
panel (void)
{
  return ss_layers_view_get_panel (ui_test_layers_view ());
}

static char *
write_file (const char *name,
            const char *text,
            gssize      len)
{
  char *path = g_build_filename (ui_test_get_tmp_dir (), name, NULL);

  g_assert_true (g_file_set_contents (path, text, len, NULL));
  return path;
}

/* DIR/7/a.png, DIR/Kleid/a.png, DIR/Kleid/b.png and DIR/top.png: samples 0–3 in path order,
 * of classes 7 (subfolder named by number), 3, 3 (by the file's name) and unlabelled. */
static char *
make_folder (void)
{
  static const char *const files[] = { "7/a.png", "Kleid/a.png", "Kleid/b.png", "top.png" };
  g_autofree char *dir = g_build_filename (ui_test_get_tmp_dir (), "photos", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(SsImage) image = ss_image_new (36, 30, 1);
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      g_autofree char *sub = g_path_get_dirname (path);

      g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
      for (int p = 0; p < image->width * image->height; p++)
        image->pixels[p] = (guint8) ((p * 11 + (int) i * 67) % 256);
      g_assert_true (ss_png_save (image, path, NULL));
    }
  return g_strconcat ("png:", dir, NULL);
}

static gboolean
shipped_open (gpointer data)
{
  SsSession *s = ui_test_session ();
  return ss_session_get_model (s) != NULL && ss_session_get_data (s) != NULL &&
         !ss_job_is_running (ss_session_get_model_job (s)) &&
         !ss_job_is_running (ss_session_get_data_job (s)) && ss_session_get_fits (s, NULL);
}

/* A condition: the folder is open with the labels file, and its heatmaps are shown. */
static gboolean
named_maps_shown (gpointer data)
{
  SsSessionData *d = ss_session_get_data (ui_test_session ());
  return d != NULL && d->labels != NULL && g_str_equal (d->spec, folder_spec) &&
         !ss_job_is_running (ss_session_get_data_job (ui_test_session ())) &&
         ss_heatmap_panel_get_n_maps (panel ()) == 4 &&
         !ss_job_is_running (ss_heatmap_panel_get_job (panel ()));
}

static gboolean
labels_enabled (void)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open-labels");
}

/* Every "predicted NAME (P %)" caption under root: how many, and FALSE when a NAME is not one
 * of names. */
static gboolean
predictions_named (GtkWidget *root,
                   guint     *n)
{
  if (GTK_IS_LABEL (root) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (root)),
                                               "predicted "))
    {
      const char *text = gtk_label_get_text (GTK_LABEL (root)) + strlen ("predicted ");
      const char *paren = strstr (text, " (");
      g_autofree char *name = paren != NULL ? g_strndup (text, (gsize) (paren - text)) : NULL;

      (*n)++;
      if (name == NULL || !g_strv_contains (names, name))
        return FALSE;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (!predictions_named (child, n))
      return FALSE;
  return TRUE;
}

/* The first GtkDropDown under root, or NULL. */
static GtkDropDown *
find_dropdown (GtkWidget *root)
{
  if (GTK_IS_DROP_DOWN (root))
    return GTK_DROP_DOWN (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkDropDown *found = find_dropdown (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_names_shown (void)
{
  g_autoptr(GString) text = g_string_new ("\xef\xbb\xbf");
  SsSessionData *data;
  GtkDropDown *dropdown;
  GListModel *items;
  guint n_pred = 0;
  int node;

  g_test_summary ("A PNG folder opened with a class-names file: subfolders named by number or "
                  "by a name of the file are labelled, and the names show in the cards' "
                  "headings and predictions and in the target-class list");
  window = ui_test_open_window ();
  if (window == NULL)
    return;
  /* A byte-order mark, CRLF line ends and blank lines, as editors on other systems save. */
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    g_string_append_printf (text, "%s\r\n%s", names[k], k == 4 ? "\r\n  \n" : "");
  labels_path = write_file ("classes.txt", text->str, (gssize) text->len);
  folder_spec = make_folder ();

  ss_window_set_page (window, "layers");
  g_assert_true (ui_test_wait_for (shipped_open, NULL, TIMEOUT_S));
  g_assert_false (labels_enabled ());
  node = ss_arch_find_node (ss_net_get_arch (ss_session_get_model (ui_test_session ())->net),
                            "conv2");
  g_assert_cmpint (node, >=, 0);
  ss_layers_view_select_node (ui_test_layers_view (), node);

  ss_session_open_png_labels (ui_test_session (), folder_spec, FALSE, labels_path);
  g_assert_true (ui_test_wait_for (named_maps_shown, NULL, TIMEOUT_S));
  ui_test_spin (0.2);
  g_assert_true (labels_enabled ());
  data = ss_session_get_data (ui_test_session ());
  g_assert_cmpstr (data->labels, ==, labels_path);
  g_assert_cmpint (ss_dataset_get_n_classes (data->test), ==, 10);
  for (int k = 0; k < 10; k++)
    g_assert_cmpstr (ss_dataset_get_class_name (data->test, k), ==, names[k]);
  g_assert_cmpuint (ss_dataset_get_size (data->test), ==, 4);
  g_assert_cmpuint (data->report->n_labelled, ==, 3);
  g_assert_cmpint (ss_dataset_get_labels (data->test)[0], ==, 7);
  g_assert_cmpint (ss_dataset_get_labels (data->test)[1], ==, 3);
  g_assert_cmpint (ss_dataset_get_labels (data->test)[2], ==, 3);

  g_assert_true (ui_test_has_label (GTK_WIDGET (panel ()), "#0 · Turnschuh"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (panel ()), "#1 · Kleid"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (panel ()), "#2 · Kleid"));
  g_assert_true (ui_test_has_label (GTK_WIDGET (panel ()), "#3 · top.png"));
  g_assert_false (ui_test_has_label (GTK_WIDGET (panel ()), "#1 · Dress"));
  g_assert_true (predictions_named (GTK_WIDGET (panel ()), &n_pred));
  g_assert_cmpuint (n_pred, ==, 4);

  /* "Predicted class", "True class", then the classes. */
  dropdown = find_dropdown (GTK_WIDGET (panel ()));
  g_assert_nonnull (dropdown);
  items = gtk_drop_down_get_model (dropdown);
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 12);
  for (guint k = 0; k < 10; k++)
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 2 + k), ==, names[k]);
}

static void
test_bad_file_keeps_data (void)
{
  static const struct {
    const char *file;
    const char *text;
    const char *message;     /* in ss_labels_load's error */
  } bad[] = {
    { "three.txt", "Hose\nKleid\n\nMantel\n", "names 3 classes, but the model has 10" },
    { "latin1.txt", "T-Shirt\nHose\nPull\xf6ver\n", "line 3 is not valid UTF-8" },
    { "blank.txt", "\n  \n\t\n", "holds no class names" },
    { "missing.txt", NULL, "Could not read the labels file" },
  };

  g_test_summary ("A class-names file with the wrong count of names, bytes that are not UTF-8, "
                  "no names, or that is missing fails the data job with a toast naming the "
                  "problem, and the folder stays open with its names");
  if (!ui_test_need_window ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      SsSessionData *before = ss_session_get_data (ui_test_session ());
      g_autofree char *path = NULL;
      const char *toast;

      path = bad[i].text != NULL ? write_file (bad[i].file, bad[i].text, -1)
                                 : g_build_filename (ui_test_get_tmp_dir (), bad[i].file, NULL);
      ss_session_open_png_labels (ui_test_session (), folder_spec, FALSE, path);
      g_assert_true (ss_job_is_running (ss_session_get_data_job (ui_test_session ())));
      g_assert_true (ui_test_wait_for (ui_test_job_not_running,
                                       ss_session_get_data_job (ui_test_session ()), TIMEOUT_S));
      g_assert_cmpint (ss_job_get_state (ss_session_get_data_job (ui_test_session ())), ==,
                       SS_JOB_FAILED);
      toast = ss_window_get_last_toast (window);
      g_assert_nonnull (toast);
      if (strstr (toast, bad[i].message) == NULL || strstr (toast, bad[i].file) == NULL)
        g_error ("%s: toast “%s” lacks “%s”", bad[i].file, toast, bad[i].message);
      g_assert_true (ss_session_get_data (ui_test_session ()) == before);
      g_assert_cmpstr (before->labels, ==, labels_path);
      g_assert_cmpstr (ss_dataset_get_class_name (before->test, 3), ==, "Kleid");
      g_assert_true (ui_test_has_label (GTK_WIDGET (panel ()), "#1 · Kleid"));
    }
}

static gboolean
data_open (gpointer s)
{
  return ss_session_get_data (s) != NULL && !ss_job_is_running (ss_session_get_data_job (s));
}

static void
test_count_without_model (void)
{
  g_autoptr(SsSession) s = ss_session_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;
  SsSessionData *data;

  g_test_summary ("Before any model is open (the app's start with --data and --labels), the "
                  "file decides the class count");
  if (folder_spec == NULL)
    folder_spec = make_folder ();
  for (int k = 0; k < 12; k++)
    g_string_append_printf (text, "class %c\n", 'A' + k);
  path = write_file ("twelve.txt", text->str, -1);
  ss_session_open_png_labels (s, folder_spec, FALSE, path);
  g_assert_true (ui_test_wait_for (data_open, s, TIMEOUT_S));
  data = ss_session_get_data (s);
  g_assert_cmpint (ss_dataset_get_n_classes (data->test), ==, 12);
  g_assert_cmpstr (ss_dataset_get_class_name (data->test, 11), ==, "class L");
  g_assert_cmpstr (ss_dataset_get_class_name (data->test, 7), ==, "class H");
  /* "7" names class 7 by number; "Kleid" is no name of this file. */
  g_assert_cmpuint (data->report->n_labelled, ==, 1);
  g_assert_cmpint (ss_dataset_get_labels (data->test)[0], ==, 7);
}

int
main (int argc, char *argv[])
{
  int status;

  ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/labels/names-shown", test_names_shown);
  g_test_add_func ("/ui/labels/bad-file", test_bad_file_keeps_data);
  g_test_add_func ("/ui/labels/without-model", test_count_without_model);
  status = g_test_run ();
  g_free (folder_spec);
  g_free (labels_path);
  return ui_test_finish (status, window);
}
