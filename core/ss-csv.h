/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* CSV fields as every CSV the project writes has them (figures' data, exported runs), so a
 * spreadsheet or pandas reads the same numbers back. */

#include <glib.h>

G_BEGIN_DECLS

/* v in the shortest of %.15g, %.16g and %.17g that parses back to the same double ("0.1"
 * rather than "0.10000000000000001"), in the C locale; nothing for NaN and infinities (an
 * empty field). */
void ss_csv_append_number (GString *s, double v);
/* text as is, or quoted with its quotes doubled when it holds a comma, quote or line break
 * (RFC 4180); nothing for NULL. */
void ss_csv_append_text   (GString *s, const char *text);

G_END_DECLS
