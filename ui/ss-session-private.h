/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-session.c (the session: model, fit, profiles, jobs) and ss-session-data.c (opening
 * a data set). The data side reads the session through its public getters; only these two calls
 * cross between the files. */

#include "ss-session.h"

G_BEGIN_DECLS

/* Opens spec on the data job, as ss_session_open_data, with the classes named by the class-names
 * file labels (NULL: none, the current names carry over) (ss-session-data.c). Also how the
 * session opens data by itself: a PNG folder again for another model, a model file's data set. */
void ss_session_start_open_data (SsSession *self, const char *spec, gboolean invert,
                                 const char *labels);
/* Replaces the data set with data (transfer full) once the data job has opened it, and fits the
 * model to it (ss-session.c). */
void ss_session_take_data       (SsSession *self, SsSessionData *data);

G_END_DECLS
