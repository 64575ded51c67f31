/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Experiments page: train the current model (or fresh weights of its architecture) on the
 * data set's training split on a worker, with a progress bar and Cancel, loss and accuracy
 * curves and each layer's saliency entropy updating live after every epoch (ss-observer.h on a
 * fixed probe of training samples), optional entropy-driven layer freezing (ss-freeze.h), and
 * every run recorded in the run history (ss-runs.h). */

#include <adwaita.h>

#include "ss-plot.h"
#include "ss-runs-view.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_TRAIN_VIEW (ss_train_view_get_type ())
G_DECLARE_FINAL_TYPE (SsTrainView, ss_train_view, SS, TRAIN_VIEW, GtkWidget)

void    ss_train_view_set_session (SsTrainView *self, SsSession *session);
/* Starts training with the form's settings. */
void    ss_train_view_start       (SsTrainView *self);
/* Sets the form (tests): epochs, batch size, training subset (0 = all). */
void    ss_train_view_configure   (SsTrainView *self, int epochs, int batch, int subset);
SsJob  *ss_train_view_get_job     (SsTrainView *self);
/* The run history list. Transfer none. */
SsRunsView *ss_train_view_get_runs_view (SsTrainView *self);
/* The plot shown now (the export target). Transfer none. */
SsPlot *ss_train_view_get_plot    (SsTrainView *self);

G_END_DECLS
