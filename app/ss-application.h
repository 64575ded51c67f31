/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Supersign application: one SsWindow per activation, the app-wide actions (quit, about,
 * shortcuts) and their accelerators, and a debug option that saves a screenshot of a page once
 * its jobs are done. */

#include <adwaita.h>

G_BEGIN_DECLS

#define SS_TYPE_APPLICATION (ss_application_get_type ())
G_DECLARE_FINAL_TYPE (SsApplication, ss_application, SS, APPLICATION, AdwApplication)

SsApplication *ss_application_new (void);

G_END_DECLS
