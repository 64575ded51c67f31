/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-observed-training.h"
#include "ss-observer-record.h"

typedef struct {
  SsExperimentInput        *in;
  const SsObservedTraining *how;
} Run;

static void
on_progress (const SsTrainProgress *p,
             gpointer               user_data)
{
  Run *run = user_data;

  ss_experiment_train_progress (run->in, p, run->how->lo, run->how->hi, run->how->what);
}

static void
on_observation (SsObservation *obs,
                gpointer       user_data)
{
  Run *run = user_data;
  const SsTrainProgress *p = ss_observation_get_progress (obs);
  g_autofree char *extra = NULL;
  g_autofree SsRunLayerPoint *points = NULL;
  SsRunObservation row;

  if (!p->epoch_done)
    return;
  points = ss_observation_to_run_row (obs, &row);
  /* A freezing run needs its observer: the time it took counts (Table 2.6). The epoch end's
   * progress does not include this observation yet. */
  if (run->how->rule != NULL)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_number (b, "observer_seconds",
                          p->hook_seconds + ss_observation_get_seconds (obs));
      json_builder_end_object (b);
      row.extra_json = extra = ss_json_to_text (b);
    }
  ss_experiment_observe (run->in, &row);
}

gboolean
ss_observed_training_run (SsExperimentInput        *in,
                          SsNet                    *net,
                          const SsDataset          *train,
                          const SsObservedTraining *how,
                          GCancellable             *cancellable,
                          GError                  **error)
{
  g_autoptr(SsObserver) observer = NULL;
  SsObserverOptions oo;
  SsTrainHooks hooks = { 0 };
  Run run = { in, how };

  g_return_val_if_fail (in != NULL && net != NULL && train != NULL && how != NULL, FALSE);

  ss_observer_options_init (&oo);
  oo.profile.n_samples = (int) MIN ((gsize) how->probe, ss_dataset_get_size (train));
  oo.profile.ame.bins = how->bins;
  if ((observer = ss_observer_new (net, train, &oo, error)) == NULL ||
      (how->rule != NULL && !ss_observer_set_freeze_rule (observer, how->rule, error)))
    return FALSE;
  ss_observer_subscribe (observer, on_observation, &run, NULL);
  hooks.progress = on_progress;
  hooks.progress_data = &run;
  ss_observer_attach (observer, &hooks);
  return ss_train_with_hooks (net, train, ss_experiment_get_test (in), how->config, &hooks,
                              cancellable, error);
}
