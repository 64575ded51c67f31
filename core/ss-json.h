/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The JSON-GLib helpers every writer and reader of the project's JSON shares: the run
 * history's export, the app's run configurations and observations' extras, and the command
 * line's reports. Writing: a member of the object being built, where the numbers JSON cannot
 * hold (NaN, infinities: no test set, a 1×1 map) and NULL strings become null. Reading:
 * members of a stored object that may be absent, null or of another type. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- Writing ---- */

void        ss_json_add_number   (JsonBuilder *b, const char *name, double v);
void        ss_json_add_int      (JsonBuilder *b, const char *name, gint64 v);
void        ss_json_add_bool     (JsonBuilder *b, const char *name, gboolean v);
void        ss_json_add_string   (JsonBuilder *b, const char *name, const char *v);
/* An array of the n integers v. */
void        ss_json_add_ints     (JsonBuilder *b, const char *name, const int *v, int n);
/* An array of the n numbers v (NaN and infinities as null). */
void        ss_json_add_doubles  (JsonBuilder *b, const char *name, const double *v, int n);
/* JSON text (stored in the run history) as JSON; text that does not parse (a file edited by
 * hand) as a string, so that nothing is lost; NULL as null. */
void        ss_json_add_json     (JsonBuilder *b, const char *name, const char *text);
/* The builder's document as compact text. Transfer full (g_free). */
char       *ss_json_to_text      (JsonBuilder *b);

/* ---- Reading ---- */

/* text parsed as a JSON object, or NULL (also for NULL text). Transfer full. */
JsonObject *ss_json_parse_object (const char *text);
/* A member as a number (NaN when absent, null or not a number), integer (fallback when
 * absent), string (NULL when absent; transfer none) or array (NULL when absent; transfer
 * none). o may be NULL. */
double      ss_json_get_number   (JsonObject *o, const char *name);
gint64      ss_json_get_int      (JsonObject *o, const char *name, gint64 fallback);
const char *ss_json_get_string   (JsonObject *o, const char *name);
JsonArray  *ss_json_get_array    (JsonObject *o, const char *name);

G_END_DECLS
