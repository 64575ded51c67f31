/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The bridge between the training observer and the run history: an observation as the row the
 * history stores, so every recorder (the CLI's train and freeze-compare, the app) writes the
 * same columns. */

#include "ss-observer.h"
#include "ss-runs.h"

G_BEGIN_DECLS

/* Fills *row with obs's training figures (epoch, batch, losses, accuracies, learning rate, the
 * epoch's seconds) and its layers: saliency AME mean and sd, I(X;T), I(T;Y) and the frozen flag
 * of every saliency layer. row->extra_json is left NULL. The layer names are borrowed from obs,
 * which must outlive row. Returns: (transfer full) the row's layer array (g_free). */
SsRunLayerPoint *ss_observation_to_run_row (const SsObservation *obs,
                                            SsRunObservation    *row);

G_END_DECLS
