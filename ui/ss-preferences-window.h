/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Preferences: the entropy profile's bins and samples, and the heatmap grid's page size, bound to
 * the app's GSettings. */

#include <adwaita.h>

G_BEGIN_DECLS

#define SS_TYPE_PREFERENCES_WINDOW (ss_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (SsPreferencesWindow, ss_preferences_window, SS, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GtkWidget *ss_preferences_window_new (GtkWindow *parent, GSettings *settings);

G_END_DECLS
