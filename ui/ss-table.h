/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A table of text cells under column titles (an experiment's steps, rounds or channels): a
 * GtkColumnView over rows of strings, filled on the main thread as results come in. Columns of
 * numbers are right-aligned in tabular figures, columns of text left-aligned. It exports as
 * CSV, like a figure's data. */

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SS_TYPE_TABLE (ss_table_get_type ())
G_DECLARE_FINAL_TYPE (SsTable, ss_table, SS, TABLE, GtkWidget)

GtkWidget  *ss_table_new             (void);
/* Replaces the columns (titles: NULL-terminated) and removes every row. text_columns has bit i
 * set when column i holds text rather than numbers. */
void        ss_table_set_columns     (SsTable *self, const char *const *titles,
                                      guint32 text_columns);
/* Sets row to cells (NULL-terminated, one per column; missing cells are empty): replaces it,
 * or appends it when row is the number of rows. */
void        ss_table_set_row         (SsTable *self, guint row, const char *const *cells);
guint       ss_table_get_n_rows      (SsTable *self);
guint       ss_table_get_n_columns   (SsTable *self);
/* Transfer none; "" for a missing cell. */
const char *ss_table_get_cell        (SsTable *self, guint row, guint column);
/* RFC 4180 CSV: the titles, then one line per row. Transfer full. */
char       *ss_table_to_csv          (SsTable *self);
/* The same CSV written atomically (ss-fig-export.h's way). */
gboolean    ss_table_write_csv       (SsTable *self, const char *path, GError **error);
/* The file name an export suggests ("supersign-steps"). */
void        ss_table_set_export_name (SsTable *self, const char *name);
const char *ss_table_get_export_name (SsTable *self);

/* Cells (transfer full): a count with thin spaces between thousands ("468 202"), a fraction as
 * a percentage ("93.00 %"), a number with digits decimals; "—" for NaN. */
char       *ss_table_format_count    (gint64 n);
char       *ss_table_format_percent  (double fraction);
char       *ss_table_format_number   (double v, int digits);

G_END_DECLS
