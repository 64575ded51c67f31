/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The "supersign bars": per saliency layer the mean ± sd of its Grad-CAM maps' AME and its null
 * baseline, pooling layers marked, the model's weights beside fresh random weights of the same
 * architecture (both profiles computed by the session on workers). */

#include <adwaita.h>

#include "ss-plot.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_ENTROPY_VIEW (ss_entropy_view_get_type ())
G_DECLARE_FINAL_TYPE (SsEntropyView, ss_entropy_view, SS, ENTROPY_VIEW, GtkWidget)

void      ss_entropy_view_set_session (SsEntropyView *self, SsSession *session);
/* Transfer none. */
SsPlot   *ss_entropy_view_get_plot    (SsEntropyView *self);

G_END_DECLS
