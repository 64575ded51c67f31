/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-experiment-page.c (the page, its display and runs) and
 * ss-experiment-page-actions.c (its actions and the outcome of a run). */

#include "ss-experiment-page.h"
#include "ss-job-bar.h"

G_BEGIN_DECLS

struct _SsExperimentPage
{
  GtkWidget                parent_instance;

  /* Template widgets */
  GtkBox                  *form;
  GtkAdjustment           *train_images;
  GtkAdjustment           *test_images;
  GtkSwitch               *record_switch;
  GtkButton               *start_button;
  GtkLabel                *result_label;
  GtkBox                  *result_box;
  GtkWidget               *smoothing_box;
  GtkAdjustment           *smoothing;
  GtkStack                *content;
  AdwStatusPage           *status;
  GtkStack                *views;
  SsJobBar                *save_bar;
  SsJobBar                *job_bar;

  /* Owned */
  SsSession               *session;
  SsJob                   *job;
  SsJob                   *save_job;      /* Save Model, on a worker */
  SsSessionModel          *run_model;     /* the model the last live run started from */
  SsSessionModel          *shown_model;   /* whose layers the shown run's points name */
  int                      probe, bins;   /* the shown run's observer (trajectories) */
  SsNet                   *result;        /* the model the last run made */
  char                    *result_origin;
  const char              *result_meta_key;
  char                    *result_meta_value;
  char                    *result_file_name;
  char                    *status_title;
  char                    *status_description;

  /* Borrowed: the experiment this page belongs to (its ancestor) and how it shows runs */
  GtkWidget               *experiment;
  SsExperimentBeginFunc    begin;
  SsExperimentObserveFunc  observe;
  SsExperimentDoneFunc     done;

  gboolean                 live;          /* the display follows the live run */
};

/* Enables the actions that need a result, a session or no run going on. */
void ss_experiment_page_update_actions (SsExperimentPage *self);

/* Sets up Save Model's job and its bar (ss-experiment-page-actions.c). */
void ss_experiment_page_save_init      (SsExperimentPage *self);

/* The actions, installed by the class (ss-experiment-page-actions.c). */
void ss_experiment_page_start_action   (GtkWidget *widget, const char *action_name,
                                        GVariant *param);
void ss_experiment_page_use_action     (GtkWidget *widget, const char *action_name,
                                        GVariant *param);
void ss_experiment_page_save_action    (GtkWidget *widget, const char *action_name,
                                        GVariant *param);

G_END_DECLS
