/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-fig-export.h"
#include "ss-table.h"

struct _SsTable
{
  GtkWidget      parent_instance;

  /* Owned */
  GListStore    *rows;          /* of GtkStringList, one per row */
  GStrv          titles;
  char          *export_name;

  /* Borrowed: children */
  GtkColumnView *view;
};

G_DEFINE_FINAL_TYPE (SsTable, ss_table, GTK_TYPE_WIDGET)

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  gboolean text = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "text"));
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), text ? 0 : 1);
  if (!text)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  GtkStringList *row = gtk_list_item_get_item (item);
  const char *text = gtk_string_list_get_string (row, column);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
}

void
ss_table_set_columns (SsTable            *self,
                      const char *const  *titles,
                      guint32             text_columns)
{
  GListModel *columns;

  g_return_if_fail (SS_IS_TABLE (self));
  g_return_if_fail (titles != NULL);

  columns = gtk_column_view_get_columns (self->view);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->view, column);
    }
  g_list_store_remove_all (self->rows);
  g_strfreev (self->titles);
  self->titles = g_strdupv ((char **) titles);
  for (guint i = 0; titles[i] != NULL; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (i));
      g_object_set_data (G_OBJECT (factory), "text",
                         GINT_TO_POINTER (i < 32 && (text_columns & (1u << i)) != 0));
      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), NULL);
      column = gtk_column_view_column_new (titles[i], factory);
      gtk_column_view_column_set_expand (column, titles[i + 1] == NULL);
      gtk_column_view_append_column (self->view, column);
    }
}

void
ss_table_set_row (SsTable            *self,
                  guint               row,
                  const char *const  *cells)
{
  g_autoptr(GtkStringList) strings = NULL;
  guint n;

  g_return_if_fail (SS_IS_TABLE (self));
  g_return_if_fail (cells != NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  g_return_if_fail (row <= n);

  strings = gtk_string_list_new (cells);
  g_list_store_splice (self->rows, row, row < n ? 1 : 0, (gpointer *) &strings, 1);
}

guint
ss_table_get_n_rows (SsTable *self)
{
  g_return_val_if_fail (SS_IS_TABLE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

guint
ss_table_get_n_columns (SsTable *self)
{
  g_return_val_if_fail (SS_IS_TABLE (self), 0);
  return self->titles ? g_strv_length (self->titles) : 0;
}

const char *
ss_table_get_cell (SsTable *self,
                   guint    row,
                   guint    column)
{
  g_autoptr(GtkStringList) strings = NULL;
  const char *text;

  g_return_val_if_fail (SS_IS_TABLE (self), NULL);
  g_return_val_if_fail (row < ss_table_get_n_rows (self), NULL);

  /* The store keeps its own reference, so the string outlives this one. */
  strings = g_list_model_get_item (G_LIST_MODEL (self->rows), row);
  text = gtk_string_list_get_string (strings, column);
  return text ? text : "";
}

char *
ss_table_to_csv (SsTable *self)
{
  GString *out = g_string_new (NULL);
  guint n_columns;

  g_return_val_if_fail (SS_IS_TABLE (self), NULL);

  n_columns = ss_table_get_n_columns (self);
  for (guint c = 0; c < n_columns; c++)
    ss_fig_csv_text (out, self->titles[c], c + 1 == n_columns);
  for (guint r = 0; r < ss_table_get_n_rows (self); r++)
    for (guint c = 0; c < n_columns; c++)
      ss_fig_csv_text (out, ss_table_get_cell (self, r, c), c + 1 == n_columns);
  return g_string_free (out, FALSE);
}

gboolean
ss_table_write_csv (SsTable     *self,
                    const char  *path,
                    GError     **error)
{
  g_autofree char *csv = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (SS_IS_TABLE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  csv = ss_table_to_csv (self);
  if (!g_file_set_contents_full (path, csv, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &local))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not save “%s”: %s (the previous file, "
                   "if any, is unchanged)", display, local->message);
      return FALSE;
    }
  return TRUE;
}

void
ss_table_set_export_name (SsTable    *self,
                          const char *name)
{
  g_return_if_fail (SS_IS_TABLE (self));

  g_free (self->export_name);
  self->export_name = g_strdup (name);
}

const char *
ss_table_get_export_name (SsTable *self)
{
  g_return_val_if_fail (SS_IS_TABLE (self), NULL);
  return self->export_name ? self->export_name : "supersign-table";
}

char *
ss_table_format_count (gint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, n < 0 ? -n : n);
  GString *out = g_string_new (n < 0 ? "−" : "");
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (out, "\u2009");
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

char *
ss_table_format_percent (double fraction)
{
  return isfinite (fraction) ? g_strdup_printf ("%.2f %%", 100 * fraction) : g_strdup ("—");
}

char *
ss_table_format_number (double v,
                        int    digits)
{
  return isfinite (v) ? g_strdup_printf ("%.*f", digits, v) : g_strdup ("—");
}

GtkWidget *
ss_table_new (void)
{
  return g_object_new (SS_TYPE_TABLE, NULL);
}

static void
ss_table_dispose (GObject *object)
{
  SsTable *self = SS_TABLE (object);

  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  self->view = NULL;
  g_clear_object (&self->rows);
  G_OBJECT_CLASS (ss_table_parent_class)->dispose (object);
}

static void
ss_table_finalize (GObject *object)
{
  SsTable *self = SS_TABLE (object);

  g_clear_pointer (&self->titles, g_strfreev);
  g_clear_pointer (&self->export_name, g_free);
  G_OBJECT_CLASS (ss_table_parent_class)->finalize (object);
}

static void
ss_table_class_init (SsTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_table_dispose;
  object_class->finalize = ss_table_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "table");
}

static void
ss_table_init (SsTable *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkNoSelection *selection;

  self->rows = g_list_store_new (GTK_TYPE_STRING_LIST);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->rows)));
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (selection)));
  gtk_column_view_set_show_column_separators (self->view, TRUE);
  gtk_column_view_set_show_row_separators (self->view, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "data-table");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->view));
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_parent (scrolled, GTK_WIDGET (self));
}
