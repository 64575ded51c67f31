/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the Entropy and Information Plane views share: both draw the session's profiles
 * (ss-session.h) on a plot in a stack, with a status page (the stack's "empty" child) in its
 * place while there is none, a subtitle, and the profile job's bar. */

#include <adwaita.h>

#include "ss-job-bar.h"
#include "ss-session.h"

G_BEGIN_DECLS

/* Calls rebuild (with view, which it must not outlive) whenever the session's profiles, their
 * fit or the profile job's state change, and shows the profile job in bar, whose Retry
 * computes the profiles again. */
void ss_profile_view_follow     (SsSession *session, SsJobBar *bar, GCallback rebuild,
                                 gpointer view);
/* Shows the status page and clears the subtitle: why there is no profile — the model and the
 * data do not fit (the session says why), it is being computed, or there is none yet
 * (description). */
void ss_profile_view_show_empty (SsSession *session, GtkStack *stack, AdwStatusPage *status,
                                 GtkLabel *subtitle, const char *description);

G_END_DECLS
