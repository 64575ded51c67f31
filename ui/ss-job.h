/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One kind of long job a view runs (load a model, compute Grad-CAM, a profile, train): the work
 * runs in a GTask on a worker thread on a snapshot of its inputs and never touches GTK; progress
 * comes back through the main loop at most ~30 times a second; results come back through the main
 * loop and are dropped when a newer start or a cancel made them stale (the job compares the
 * finishing task's GCancellable with its current one). The job's state, progress and error are
 * properties a SsJobBar shows. */

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SS_JOB_IDLE,
  SS_JOB_RUNNING,
  SS_JOB_DONE,
  SS_JOB_CANCELLED,
  SS_JOB_FAILED,
} SsJobState;

#define SS_TYPE_JOB_STATE (ss_job_state_get_type ())
GType ss_job_state_get_type (void);

#define SS_TYPE_JOB (ss_job_get_type ())
G_DECLARE_FINAL_TYPE (SsJob, ss_job, SS, JOB, GObject)

/* Handed to a worker for reporting progress; owned by the running task. */
typedef struct _SsJobTask SsJobTask;

/* Runs on the worker thread: returns the result (transfer full, freed with result_free if
 * nobody takes it), or NULL with error set. */
typedef gpointer (*SsJobWorker) (SsJobTask    *task,
                                 gpointer      input,
                                 GCancellable *cancellable,
                                 GError      **error);
/* Runs on the main thread when the current run succeeded; result is transfer full. */
typedef void     (*SsJobDone)   (GObject      *target,
                                 gpointer      result);

SsJob       *ss_job_new            (const char *title);
/* A background job (a training run, a pruning search: long, and nobody waits on it) runs on a
 * thread of its own at a lower priority than the window and the other jobs. Default FALSE. */
void         ss_job_set_background (SsJob *job, gboolean background);

/* Starts worker on input (transfer full, freed with input_free after the worker returns),
 * cancelling any run in progress. done is called with target (held weakly: no call once it
 * is finalized). */
void         ss_job_start          (SsJob          *job,
                                    SsJobWorker     worker,
                                    gpointer        input,
                                    GDestroyNotify  input_free,
                                    GDestroyNotify  result_free,
                                    SsJobDone       done,
                                    GObject        *target);
/* Workers of every job that have not yet reported back to the main loop (cancelled ones
 * included). Main thread only. */
guint        ss_job_get_n_in_flight (void);
/* Cancels the current run: the state becomes SS_JOB_CANCELLED at once. No-op unless running. */
void         ss_job_cancel         (SsJob *job);
/* Back to SS_JOB_IDLE, cancelling a run and forgetting an error. */
void         ss_job_reset          (SsJob *job);
/* Marks the job failed with error's message without running anything (e.g. inputs missing). */
void         ss_job_fail           (SsJob *job, const GError *error);

/* Worker thread: fraction in [0, 1] (or < 0 for "busy, unknown progress") and a status text.
 * Throttled to ~30 Hz; a fraction of 1 is always delivered. */
void         ss_job_task_progress  (SsJobTask *task, double fraction, const char *text);

/* Worker thread: calls func (target, data) on the main thread, unthrottled, if the run is still
 * the job's current one and target is alive; then frees data with data_free either way. For
 * results that must all arrive (an epoch's figures). */
typedef void (*SsJobPostFunc) (GObject *target, gpointer data);
void         ss_job_task_post      (SsJobTask *task, SsJobPostFunc func, gpointer data,
                                    GDestroyNotify data_free);

SsJobState   ss_job_get_state      (SsJob *job);
double       ss_job_get_fraction   (SsJob *job);
const char  *ss_job_get_title      (SsJob *job);
void         ss_job_set_title      (SsJob *job, const char *title);
/* The progress text while running, the error message when failed, else NULL. */
const char  *ss_job_get_message    (SsJob *job);
gboolean     ss_job_is_running     (SsJob *job);

G_END_DECLS
