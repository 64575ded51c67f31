/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The ui library's entry point: registers its GResource (templates, menus, shortcuts window,
 * CSS, icons) once. The application calls it at startup, tests before creating widgets. */

#include <glib.h>

G_BEGIN_DECLS

void ss_ui_init (void);

G_END_DECLS
