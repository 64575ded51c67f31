/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A layer's filter relevance as bars (Filter Pruning's optional view): a form group with the
 * layer to show and a Compute button, which scores every filter of every conv layer of the open
 * model (core/ss-relevance.h) on a worker, in a job of its own (its bar goes under the plot);
 * the chosen layer's scores are drawn on the plot given, least relevant first — the filters
 * pruning removes first. The criterion, sample count and training images are properties the
 * Filter Pruning form sets. */

#include <adwaita.h>

#include "ss-job.h"
#include "ss-plot.h"
#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_RELEVANCE_PANEL (ss_relevance_panel_get_type ())
G_DECLARE_FINAL_TYPE (SsRelevancePanel, ss_relevance_panel, SS, RELEVANCE_PANEL, GtkWidget)

void   ss_relevance_panel_set_session (SsRelevancePanel *self, SsSession *session);
/* The plot the bars go to (borrowed: it must outlive the panel's use of it). */
void   ss_relevance_panel_set_plot    (SsRelevancePanel *self, SsPlot *plot);
/* Scores the open model's filters (what Compute does). */
void   ss_relevance_panel_compute     (SsRelevancePanel *self);
SsJob *ss_relevance_panel_get_job     (SsRelevancePanel *self);
/* Shows layer (a conv layer's name); FALSE if it was not scored. */
gboolean ss_relevance_panel_show_layer (SsRelevancePanel *self, const char *layer);

G_END_DECLS
