/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-runs-view.c (the list and the comparison) and ss-runs-view-actions.c (a run's
 * actions). */

#include "ss-job-bar.h"
#include "ss-runs-view.h"

G_BEGIN_DECLS

struct _SsRunsView
{
  GtkWidget      parent_instance;

  /* Template widgets */
  GtkListBox    *list;
  GtkDropDown   *metric;
  GtkAdjustment *smoothing;
  GtkStack      *compare_stack;
  SsPlot        *plot;
  SsJobBar      *job_bar;

  /* Owned */
  SsSession     *session;
  SsJob         *list_job;
  SsJob         *load_job;
  SsJob         *compare_job;
  SsJob         *export_job;
  SsJob         *delete_job;
  GPtrArray     *records;     /* SsRunRecord as listed, newest first */
  GArray        *checked;     /* gint64: the ids ticked for the comparison, ascending */
  GPtrArray     *compared;    /* SsRun: the ticked runs, loaded */

  gboolean       syncing;     /* ticking from code: no comparison per box */
};

/* Runs job with the view's bar showing it; done gets the view. */
void               ss_runs_view_start_job    (SsRunsView *self, SsJob *job, SsJobWorker worker,
                                              gpointer input, GDestroyNotify input_free,
                                              GDestroyNotify result_free, SsJobDone done);
/* The record of run id as listed, and its position; NULL if it is not listed. */
const SsRunRecord *ss_runs_view_find_record  (SsRunsView *self, gint64 id, guint *index);
/* "Layer removal" for "prune-layers". Static. */
const char        *ss_runs_view_kind_title   (const char *kind);

/* The actions, parameter the run's id (ss-runs-view-actions.c). */
void               ss_runs_view_open_action   (GtkWidget *widget, const char *action_name,
                                               GVariant *param);
void               ss_runs_view_export_action (GtkWidget *widget, const char *action_name,
                                               GVariant *param);
void               ss_runs_view_delete_action (GtkWidget *widget, const char *action_name,
                                               GVariant *param);

G_END_DECLS
