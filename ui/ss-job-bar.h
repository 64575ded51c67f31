/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The state of one SsJob as a bar at the bottom of a view: hidden when idle or done; a progress
 * bar (pulsing when the progress is unknown), the status and a Cancel button while running; a
 * plain "Cancelled" or the error message with Retry and Dismiss buttons afterwards. */

#include <gtk/gtk.h>

#include "ss-job.h"

G_BEGIN_DECLS

#define SS_TYPE_JOB_BAR (ss_job_bar_get_type ())
G_DECLARE_FINAL_TYPE (SsJobBar, ss_job_bar, SS, JOB_BAR, GtkWidget)

GtkWidget *ss_job_bar_new     (SsJob *job);
SsJob     *ss_job_bar_get_job (SsJobBar *self);
void       ss_job_bar_set_job (SsJobBar *self, SsJob *job);
/* The text the bar shows now (for tests). Transfer none. */
const char *ss_job_bar_get_status_text (SsJobBar *self);

G_END_DECLS
