/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Train experiment: train the current model (or fresh weights of its architecture) on the
 * data set's training split on a worker, with loss and accuracy curves and each layer's
 * saliency entropy updating live after every epoch (ss-observed-training.h on a fixed probe of
 * training samples), optional entropy-driven layer freezing (ss-freeze.h), and the run
 * recorded in the run history (kind "train"). Each epoch's profile also goes to the session,
 * for the information plane's trajectories; so does a recorded run's when it is opened and its
 * layers are the open model's. */

#include <adwaita.h>

#include "ss-experiment-page.h"

G_BEGIN_DECLS

#define SS_TYPE_TRAIN_VIEW (ss_train_view_get_type ())
G_DECLARE_FINAL_TYPE (SsTrainView, ss_train_view, SS, TRAIN_VIEW, GtkWidget)

/* Starts training with the form's settings. */
void              ss_train_view_start       (SsTrainView *self);
/* Sets the form: epochs, batch size, training subset (0 = all). */
void              ss_train_view_configure   (SsTrainView *self, int epochs, int batch,
                                             int subset);
SsJob            *ss_train_view_get_job     (SsTrainView *self);
/* Transfer none. */
SsExperimentPage *ss_train_view_get_page    (SsTrainView *self);

G_END_DECLS
