/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* "Export Figure…": format (PNG, SVG, PDF), size in millimetres and resolution for PNG, then a
 * file chooser; the figure is written by ss_fig_export with the "paper" style. The figure is
 * fetched from its source when the file is chosen, so a figure redrawn meanwhile is exported as
 * it is then. */

#include <adwaita.h>

#include "ss-fig-export.h"

G_BEGIN_DECLS

/* Returns the source's figure now (transfer none) and its kind, or NULL. */
typedef gconstpointer (*SsExportFigureFunc) (GObject *source, SsFigKind *kind);

#define SS_TYPE_EXPORT_DIALOG (ss_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SsExportDialog, ss_export_dialog, SS, EXPORT_DIALOG, AdwWindow)

SsExportDialog *ss_export_dialog_new   (GtkWindow *parent, GObject *source,
                                        SsExportFigureFunc get_figure, const char *name);
/* Writes the figure to path now (tests; the Export button does this after the file chooser). */
gboolean        ss_export_dialog_write (SsExportDialog *self, const char *path, GError **error);

G_END_DECLS
