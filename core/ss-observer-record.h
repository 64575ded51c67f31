/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The bridge between training and the run history: a training loop's progress, or an
 * observer's observation, as the row the history stores, so every recorder (the CLI's
 * commands, the app's experiments) writes the same columns. */

#include "ss-observer.h"
#include "ss-runs.h"

G_BEGIN_DECLS

/* Fills *row with p's training figures: epoch, batch, the end-of-epoch flag, the epoch's
 * seconds, learning rate, losses and accuracies; no layers, and extra_json (borrowed, may be
 * NULL). */
void             ss_train_progress_to_run_row (const SsTrainProgress *p,
                                               const char            *extra_json,
                                               SsRunObservation      *row);
/* Fills *row with obs's training figures (epoch, batch, losses, accuracies, learning rate, the
 * epoch's seconds) and its layers: saliency AME mean and sd, I(X;T), I(T;Y) and the frozen flag
 * of every saliency layer. row->extra_json is left NULL. The layer names are borrowed from obs,
 * which must outlive row. Returns: (transfer full) the row's layer array (g_free). */
SsRunLayerPoint *ss_observation_to_run_row (const SsObservation *obs,
                                            SsRunObservation    *row);

G_END_DECLS
