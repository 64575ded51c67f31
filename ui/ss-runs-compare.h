/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Recorded runs overlaid as curves (the History page's comparison): one series per run — per
 * arm for the two runs of a freeze comparison, which are two runs — of a metric over the epochs
 * of a training (train, freeze-compare, AMC's fine-tuning), the steps of a layer removal or the
 * rounds of a filter pruning (0: the network before), or AMC's search episodes for its reward. */

#include "ss-fig-curves.h"
#include "ss-runs.h"

G_BEGIN_DECLS

typedef enum {
  SS_RUNS_METRIC_TEST_ACCURACY,
  SS_RUNS_METRIC_TEST_LOSS,
  SS_RUNS_METRIC_TRAIN_ACCURACY,
  SS_RUNS_METRIC_TRAIN_LOSS,
  SS_RUNS_METRIC_REWARD,          /* AMC's episode rewards */
  SS_RUNS_N_METRICS
} SsRunsMetric;

/* The metric's name for people ("test accuracy"). Static, translated. */
const char  *ss_runs_metric_name    (SsRunsMetric metric);
/* A series label for run: "#12 train", "#14 freeze-compare · freezing". Transfer full. */
char        *ss_runs_label          (const SsRun *run);
/* The figure of runs (SsRun *) for metric; a run without such points adds an empty series.
 * Returns: (transfer full). */
SsFigCurves *ss_runs_compare_figure (GPtrArray *runs, SsRunsMetric metric);

G_END_DECLS
