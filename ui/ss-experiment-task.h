/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The worker side of an experiment (SsExperimentPage runs it): what the worker gets — the model
 * and data set it started from, the form's training and test subsets — and how it reports. A
 * run is one run of the run history (core/ss-runs.h): ss_experiment_begin records it with its
 * configuration, every ss_experiment_observe commits an observation, and the page ends the run
 * when the worker returns (finished, interrupted by Cancel, or failed). Each observation is
 * also posted to the main thread, where the experiment shows it exactly as it shows the
 * observations of a recorded run opened from the history, so what a live run shows is what
 * the history keeps. Configurations and extras are JSON text (ss-json.h). */

#include "ss-job.h"
#include "ss-json.h"
#include "ss-runs.h"
#include "ss-session.h"
#include "ss-train.h"

G_BEGIN_DECLS

typedef struct _SsExperimentInput SsExperimentInput;

/* Runs on the worker thread with in->task set; returns the result (transfer full) or NULL
 * with error set. */
typedef gpointer (*SsExperimentWorker) (SsExperimentInput *in, GCancellable *cancellable,
                                        GError **error);

/* The first member of an experiment's input struct. */
struct _SsExperimentInput
{
  /* Set on the main thread by ss_experiment_page_input_new (all owned) */
  SsSessionModel     *model;
  SsSessionData      *data;
  int                 train_subset;   /* the first N training images; 0: all */
  int                 test_subset;    /* the first N test images; 0: all */
  gboolean            record;
  GWeakRef           *page;           /* told when the run history changed */
  /* Set by ss_experiment_page_start */
  SsExperimentWorker  worker;
  GDestroyNotify      free_func;      /* frees the rest of the experiment's input and it */
  /* Worker thread only */
  SsJobTask          *task;
  SsRunDb            *db;
  gint64              run;            /* the last run begun, or 0 */
  SsDataset          *train;          /* the training subset (owned); NULL: all of it */
  SsDataset          *test;           /* the test subset (owned); NULL: data->test */
};

/* Worker thread. The training split of in->data (loaded once per data set), its first
 * train_subset images. Transfer none: valid until the input is cleared. */
const SsDataset *ss_experiment_get_train      (SsExperimentInput *in, GError **error);
/* The test set, its first test_subset images. Transfer none. */
const SsDataset *ss_experiment_get_test       (SsExperimentInput *in);
/* Begins a run: recorded as kind with label and config (one JSON value) when recording, and
 * posted to the page's display. A job may make several runs one after the other (the two arms
 * of a freeze comparison): a run begun before is ended as finished first. */
void             ss_experiment_begin          (SsExperimentInput *in, const char *kind,
                                               const char *label, const char *config_json);
/* Records obs (borrowed) and posts a copy to the page. */
void             ss_experiment_observe        (SsExperimentInput *in,
                                               const SsRunObservation *obs);
/* Records and posts the training figures of a training loop's epoch end p (see
 * ss_train_progress_to_run_row), with extra_json (borrowed, may be NULL): the (re)training and
 * fine-tuning epochs of the pruning experiments. */
void             ss_experiment_observe_training (SsExperimentInput *in,
                                                 const SsTrainProgress *p,
                                                 const char *extra_json);
/* Ends the run begun (if any): finished without error, interrupted when cancelled, else
 * failed with the error's message. */
void             ss_experiment_end            (SsExperimentInput *in, const GError *error);
/* Reports a training loop's progress as a fraction between lo and hi of the whole job, its
 * text prefixed with what ("Normal run"; may be NULL). */
void             ss_experiment_train_progress (SsExperimentInput *in, const SsTrainProgress *p,
                                               double lo, double hi, const char *what);
/* Frees what ss_experiment_page_input_new and the worker set, on any thread; tells the page
 * (on the main thread) that the run history changed when a run was recorded. */
void             ss_experiment_input_clear    (SsExperimentInput *in);

G_END_DECLS
