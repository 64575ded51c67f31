/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A training run observed epoch by epoch, on an experiment's worker (the Train and Freeze
 * Comparison experiments): ss_train_with_hooks with an observer (core/ss-observer.h) on a fixed
 * probe of training images and, if asked, entropy-driven freezing (core/ss-freeze.h). Every
 * epoch end becomes one observation of the experiment's run (ss-experiment-task.h): the
 * training figures and one point per saliency layer (AME mean and sd, I(X;T), I(T;Y), frozen),
 * as the command line records them. */

#include "ss-experiment-task.h"
#include "ss-freeze.h"

G_BEGIN_DECLS

typedef struct {
  const SsTrainConfig *config;
  int                  probe;       /* the observer's probe size (capped by the set's size) */
  int                  bins;        /* AME bins */
  const SsFreezeRule  *rule;        /* NULL: no freezing */
  const char          *what;        /* the progress text's prefix; may be NULL */
  double               lo, hi;      /* the share of the job's progress this run takes */
} SsObservedTraining;

/* Trains net in place on train (tested on in's test set). Observations are the history's rows
 * of ss_observation_to_run_row (seconds: the epoch's training steps); when freezing, which
 * needs the observer, its time is in the extra member observer_seconds (Table 2.6 counts it).
 * FALSE with G_IO_ERROR_CANCELLED when cancelled (net is then
 * as its last full batch left it), or the errors of the observer and training. */
gboolean ss_observed_training_run (SsExperimentInput        *in,
                                   SsNet                    *net,
                                   const SsDataset          *train,
                                   const SsObservedTraining *how,
                                   GCancellable             *cancellable,
                                   GError                  **error);

G_END_DECLS
