/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-profile-view.h"

void
ss_profile_view_follow (SsSession *session,
                        SsJobBar  *bar,
                        GCallback  rebuild,
                        gpointer   view)
{
  static const char *const signals[] = { "notify::profile", "notify::random-profile",
                                         "notify::fits" };
  SsJob *job = ss_session_get_profile_job (session);

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    g_signal_connect_object (session, signals[i], rebuild, view, G_CONNECT_SWAPPED);
  g_signal_connect_object (job, "notify::state", rebuild, view, G_CONNECT_SWAPPED);
  ss_job_bar_set_job (bar, job);
  g_signal_connect_object (bar, "retry", G_CALLBACK (ss_session_recompute_profiles), session,
                           G_CONNECT_SWAPPED);
}

void
ss_profile_view_show_empty (SsSession     *session,
                            GtkStack      *stack,
                            AdwStatusPage *status,
                            GtkLabel      *subtitle,
                            const char    *description)
{
  const char *message = NULL;
  gboolean fits = ss_session_get_fits (session, &message);
  gboolean running = ss_job_is_running (ss_session_get_profile_job (session));

  adw_status_page_set_title (status, !fits ? _("Model and data do not fit")
                                     : running ? _("Computing the profile…")
                                     : _("No profile yet"));
  adw_status_page_set_description (status, !fits ? message : description);
  gtk_stack_set_visible_child_name (stack, "empty");
  gtk_label_set_label (subtitle, "");
}
