/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The main window: a header bar with the model and data menus and a view switcher over five
 * pages — Layers (list + Grad-CAM heatmaps), Entropy (supersign bars), Information Plane,
 * Experiments (training, freeze comparison, layer removal, filter pruning, AMC) and History (the
 * run history) — plus toasts for errors. It opens the model and data set the settings remember
 * (the shipped Fashion-MNIST model and its test set by default). */

#include <adwaita.h>

#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_WINDOW (ss_window_get_type ())
G_DECLARE_FINAL_TYPE (SsWindow, ss_window, SS, WINDOW, AdwApplicationWindow)

SsWindow   *ss_window_new           (GtkApplication *application);
/* Transfer none. */
SsSession  *ss_window_get_session   (SsWindow *self);
GSettings  *ss_window_get_settings  (SsWindow *self);
/* The page shown: "layers", "entropy", "infoplane", "experiments" or "history". */
void        ss_window_set_page      (SsWindow *self, const char *name);
GtkWidget  *ss_window_get_page      (SsWindow *self, const char *name);
void        ss_window_toast         (SsWindow *self, const char *message);
/* Renders the window as it is now to a PNG (screenshots for the docs, tests). */
gboolean    ss_window_save_screenshot (SsWindow *self, const char *path, GError **error);
/* The last toast's text (tests), or NULL. */
const char *ss_window_get_last_toast (SsWindow *self);
/* The Open Model dialog's file filters (GtkFileFilter), the first for every file
 * ss_model_open reads: model files (.safetensors), ONNX exports (.onnx), architectures
 * (.json). Transfer full. */
GListModel *ss_window_new_model_filters (void);

G_END_DECLS
