/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Filter Pruning experiment (SPEC §5, thesis §3.2, `supersign-cli prune-filters`):
 * iterative pruning by filter relevance (core/ss-relevance-prune.h) on a worker — each round
 * scores the filters (spatial MI, Rényi MI or L1), removes the least relevant of every prunable
 * layer group down to the round's count and fine-tunes. The target is a share of each group's
 * filters or a count per group. Each round adds a row to the table (filters per layer,
 * parameters, MACs, test accuracy, the relevance's seconds) and a point to the accuracy plot;
 * the pruned model can replace the open one or be saved. An optional view shows a layer's
 * filter relevance as bars (SsRelevancePanel). Recorded as kind "prune-filters" with the
 * command line's observations. */

#include <adwaita.h>

#include "ss-experiment-page.h"
#include "ss-relevance-panel.h"

G_BEGIN_DECLS

#define SS_TYPE_PRUNE_FILTERS_VIEW (ss_prune_filters_view_get_type ())
G_DECLARE_FINAL_TYPE (SsPruneFiltersView, ss_prune_filters_view, SS, PRUNE_FILTERS_VIEW,
                      GtkWidget)

/* Transfer none. */
SsTable          *ss_prune_filters_view_get_table     (SsPruneFiltersView *self);
SsPlot           *ss_prune_filters_view_get_plot      (SsPruneFiltersView *self);
SsRelevancePanel *ss_prune_filters_view_get_relevance (SsPruneFiltersView *self);
SsPlot           *ss_prune_filters_view_get_relevance_plot (SsPruneFiltersView *self);

G_END_DECLS
