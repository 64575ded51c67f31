/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every experiment on the Experiments page has in common (training, freeze comparison,
 * layer removal, filter pruning, AMC): a form on the left — the experiment's own groups in the
 * internal child "form", then a shared Data group (training and test images, recording in the
 * run history) — with a Start button and, once a run is done, its outcome and Use/Save buttons
 * for the model it made; on the right the experiment's views (plots and tables, the internal
 * GtkStack "views") with a smoothing slider for curves and the export menu, or a status page
 * before the first run; and the job's bar at the bottom (progress, Cancel, the outcome).
 *
 * An experiment uses it like this (ss-experiment-task.h is the worker's side):
 *   - its template puts an SsExperimentPage in itself and fills "form" and "views";
 *   - it registers how it shows a run (ss_experiment_page_set_display): begin resets the
 *     display for a run of some configuration, observe adds one observation. Live runs and runs
 *     opened from the history go through the same two functions;
 *   - on "start" (the Start button, Retry, or the action experiment.start) it makes its input
 *     (ss_experiment_page_input_new, ss_experiment_read_recipe) and starts its worker
 *     (ss_experiment_page_start);
 *   - its done function turns the result into the outcome (ss_experiment_page_set_message,
 *     ss_experiment_page_set_result).
 *
 * Actions: experiment.start, experiment.use-model (the result replaces the open model),
 * experiment.save-model (a file chooser). */

#include <adwaita.h>

#include "ss-experiment-task.h"
#include "ss-plot.h"
#include "ss-runs.h"
#include "ss-session.h"
#include "ss-table.h"

G_BEGIN_DECLS

#define SS_TYPE_EXPERIMENT_PAGE (ss_experiment_page_get_type ())
G_DECLARE_FINAL_TYPE (SsExperimentPage, ss_experiment_page, SS, EXPERIMENT_PAGE, GtkWidget)

/* A run starts (record NULL: a live run; else one opened from the history) with config (the
 * run's configuration as recorded, NULL if none or not an object): reset the display. */
typedef void (*SsExperimentBeginFunc)   (GtkWidget              *experiment,
                                         const SsRunRecord      *record,
                                         JsonObject             *config);
/* One observation of that run (borrowed). */
typedef void (*SsExperimentObserveFunc) (GtkWidget              *experiment,
                                         const SsRunObservation *obs);
/* The worker's result (transfer full) when a live run succeeded. */
typedef void (*SsExperimentDoneFunc)    (GtkWidget              *experiment,
                                         gpointer                result);

void        ss_experiment_page_set_display  (SsExperimentPage        *self,
                                             GtkWidget               *experiment,
                                             SsExperimentBeginFunc    begin,
                                             SsExperimentObserveFunc  observe);
/* The session (property "session", notified when set). */
void        ss_experiment_page_set_session  (SsExperimentPage *self, SsSession *session);
/* Transfer none. */
SsSession  *ss_experiment_page_get_session  (SsExperimentPage *self);
SsJob      *ss_experiment_page_get_job      (SsExperimentPage *self);

/* Main thread: a new zeroed input struct of size bytes, whose first member (an
 * SsExperimentInput) is filled in from the session and the Data group. NULL, with the job
 * failed saying why, when there is no model and data set that fit each other or the data set
 * has no training split. Transfer full: for ss_experiment_page_start. */
gpointer    ss_experiment_page_input_new    (SsExperimentPage *self, gsize size);
/* The training recipe of a form — its epochs, learning rate and batch adjustments — into
 * config, whose other fields stay; the cosine schedule spans the epochs (at least one). */
void        ss_experiment_read_recipe       (SsTrainConfig *config, GtkAdjustment *epochs,
                                             GtkAdjustment *lr, GtkAdjustment *batch);
/* Runs worker on in (transfer full: freed on the worker thread by ss_experiment_input_clear,
 * then free_func) in the page's job, cancelling a run in progress; clears the outcome. done
 * gets the result when the run succeeded and is still the current one. */
void        ss_experiment_page_start        (SsExperimentPage *self, SsExperimentInput *in,
                                             SsExperimentWorker worker, GDestroyNotify free_func,
                                             GDestroyNotify result_free,
                                             SsExperimentDoneFunc done);

/* Shows a recorded run: begin and every observation, and its record as the outcome. A live
 * run still going on keeps running, but no longer shows here. */
void        ss_experiment_page_show_run     (SsExperimentPage *self, const SsRun *run);
/* The model whose layers the run shown names: the model a live run started from, or the open
 * model for a recorded run (transfer none; may be NULL). */
SsSessionModel *ss_experiment_page_get_shown_model  (SsExperimentPage *self);
/* For the experiments that train with the observer (Train, Freeze Comparison): the Information
 * Plane follows the training shown here. Begin (in the experiment's begin) starts a new
 * trajectory for a run of that configuration (its probe and bins); every epoch end's
 * observation adds its points, when they name the layers of the shown model. */
void        ss_experiment_page_begin_trajectory     (SsExperimentPage *self,
                                                     JsonObject *config);
void        ss_experiment_page_add_trajectory_point (SsExperimentPage *self,
                                                     const SsRunObservation *obs);
/* The posted path of a live run (ss-experiment-task.c): begin with the run's configuration
 * (JSON text, may be NULL), and one observation. */
void        ss_experiment_page_begin        (SsExperimentPage *self, const SsRunRecord *record,
                                             const char *config_json);
void        ss_experiment_page_observe      (SsExperimentPage *self,
                                             const SsRunObservation *obs);

/* The outcome: a line of text (NULL hides it), and the model a run made (transfer full; NULL
 * hides Use and Save), with the origin its title gets when used ("pruned here") and the
 * experiment's summary saved in its metadata (meta_key, a static string, may be NULL; the
 * value transfer full; the data set is added), as the command line saves it. */
void        ss_experiment_page_set_message  (SsExperimentPage *self, const char *text);
const char *ss_experiment_page_get_message  (SsExperimentPage *self);
void        ss_experiment_page_set_result   (SsExperimentPage *self, SsNet *net,
                                             const char *origin, const char *meta_key,
                                             char *meta_value);
/* Transfer none; NULL when there is none. */
SsNet      *ss_experiment_page_get_result   (SsExperimentPage *self);

/* The view shown now if it is a plot (or a box with a plot first: the export target), or a
 * table; else NULL. Transfer none. */
SsPlot     *ss_experiment_page_get_plot     (SsExperimentPage *self);
SsTable    *ss_experiment_page_get_table    (SsExperimentPage *self);
/* The smoothing of every curve plot among the views (the slider), in [0, 0.99]. */
void        ss_experiment_page_set_smoothing (SsExperimentPage *self, double weight);

G_END_DECLS
