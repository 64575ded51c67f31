/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The AMC experiment (He et al. 2018 with the thesis's entropy rewards, SPEC §7,
 * `supersign-cli amc`): a DDPG agent searches per-layer channel counts that keep a share of the
 * MACs (core/ss-amc.h) on a worker; the best policy is then applied, fine-tuned and can replace
 * the open model or be saved. Each episode adds its reward and the best so far to the episode
 * plot, and the channel table shows the best policy's channels per layer group as it improves.
 * Recorded as kind "amc" with the command line's observations (search episodes, fine-tuning
 * epochs). */

#include <adwaita.h>

#include "ss-experiment-page.h"

G_BEGIN_DECLS

#define SS_TYPE_AMC_VIEW (ss_amc_view_get_type ())
G_DECLARE_FINAL_TYPE (SsAmcView, ss_amc_view, SS, AMC_VIEW, GtkWidget)

/* Transfer none. */
SsTable          *ss_amc_view_get_table (SsAmcView *self);
SsPlot           *ss_amc_view_get_plot  (SsAmcView *self);

G_END_DECLS
