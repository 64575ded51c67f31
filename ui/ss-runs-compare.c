/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-experiment-task.h"
#include "ss-runs-compare.h"

const char *
ss_runs_metric_name (SsRunsMetric metric)
{
  switch (metric)
    {
    case SS_RUNS_METRIC_TEST_ACCURACY:
      return _("test accuracy");
    case SS_RUNS_METRIC_TEST_LOSS:
      return _("test loss (nats)");
    case SS_RUNS_METRIC_TRAIN_ACCURACY:
      return _("training accuracy");
    case SS_RUNS_METRIC_TRAIN_LOSS:
      return _("training loss (nats)");
    case SS_RUNS_METRIC_REWARD:
      return _("AMC episode reward");
    case SS_RUNS_N_METRICS:
    default:
      g_return_val_if_reached (NULL);
    }
}

char *
ss_runs_label (const SsRun *run)
{
  const SsRunRecord *rec = ss_run_get_record (run);
  g_autoptr(JsonObject) config = ss_json_parse_object (rec->config_json);
  const char *arm = ss_json_get_string (config, "arm");

  return arm != NULL ? g_strdup_printf ("#%" G_GINT64_FORMAT " %s · %s", rec->id, rec->kind, arm)
                     : g_strdup_printf ("#%" G_GINT64_FORMAT " %s", rec->id, rec->kind);
}

/* Whether obs is a point of its run's curve, and its x: the epochs of a training (1, 2, …),
 * a pruning's steps or rounds (0, 1, …), AMC's episodes for the reward. */
static gboolean
point_of (const char             *kind,
          const SsRunObservation *obs,
          JsonObject             *extra,
          SsRunsMetric            metric,
          double                 *x)
{
  const char *phase = ss_json_get_string (extra, "phase");

  if (metric == SS_RUNS_METRIC_REWARD)
    {
      *x = obs->epoch + 1;
      return g_strcmp0 (phase, "search") == 0;
    }
  if (!obs->epoch_end)
    return FALSE;
  if (g_strcmp0 (kind, SS_RUN_KIND_PRUNE_LAYERS) == 0 ||
      g_strcmp0 (kind, SS_RUN_KIND_PRUNE_FILTERS) == 0)
    {
      *x = obs->epoch;
      return g_strcmp0 (phase, g_str_equal (kind, SS_RUN_KIND_PRUNE_LAYERS) ? "step" : "round")
             == 0;
    }
  *x = obs->epoch + 1;
  return g_strcmp0 (kind, SS_RUN_KIND_AMC) != 0 || g_strcmp0 (phase, "finetune") == 0;
}

static double
value_of (const SsRunObservation *obs,
          JsonObject             *extra,
          SsRunsMetric            metric)
{
  switch (metric)
    {
    case SS_RUNS_METRIC_TEST_ACCURACY:
      return obs->test_acc;
    case SS_RUNS_METRIC_TEST_LOSS:
      return obs->test_loss;
    case SS_RUNS_METRIC_TRAIN_ACCURACY:
      return obs->train_acc;
    case SS_RUNS_METRIC_TRAIN_LOSS:
      return obs->train_loss;
    case SS_RUNS_METRIC_REWARD:
      return ss_json_get_number (extra, "reward");
    case SS_RUNS_N_METRICS:
    default:
      g_return_val_if_reached (NAN);
    }
}

SsFigCurves *
ss_runs_compare_figure (GPtrArray    *runs,
                        SsRunsMetric  metric)
{
  SsFigCurves *fig = ss_fig_curves_new ();

  g_return_val_if_fail (runs != NULL, fig);
  g_return_val_if_fail (metric < SS_RUNS_N_METRICS, fig);

  ss_fig_curves_set_x_label (fig, metric == SS_RUNS_METRIC_REWARD
                                  ? _("episode") : _("epoch · step · round"));
  ss_fig_curves_set_y_label (fig, ss_runs_metric_name (metric));
  ss_fig_curves_set_x_integer (fig, TRUE);
  for (guint r = 0; r < runs->len; r++)
    {
      const SsRun *run = runs->pdata[r];
      const char *kind = ss_run_get_record (run)->kind;
      g_autofree char *label = ss_runs_label (run);
      int series = ss_fig_curves_add_series (fig, label, NULL, NULL, 0);

      for (guint i = 0; i < ss_run_get_n_observations (run); i++)
        {
          const SsRunObservation *obs = ss_run_get_observation (run, i);
          g_autoptr(JsonObject) extra = ss_json_parse_object (obs->extra_json);
          double x;

          if (point_of (kind, obs, extra, metric, &x))
            ss_fig_curves_append (fig, series, x, value_of (obs, extra, metric));
        }
    }
  return fig;
}
