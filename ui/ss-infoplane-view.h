/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The information plane of saliency maps (SPEC §3): I(X;T) against I(T;Y) per saliency layer,
 * one point per layer for the current model, and one point per epoch per layer (a trajectory)
 * for the last training run of the Experiments page. */

#include <adwaita.h>

#include "ss-plot.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_INFOPLANE_VIEW (ss_infoplane_view_get_type ())
G_DECLARE_FINAL_TYPE (SsInfoplaneView, ss_infoplane_view, SS, INFOPLANE_VIEW, GtkWidget)

void    ss_infoplane_view_set_session (SsInfoplaneView *self, SsSession *session);
SsPlot *ss_infoplane_view_get_plot    (SsInfoplaneView *self);

G_END_DECLS
