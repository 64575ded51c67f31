/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-prune-layers.h"
#include "ss-prune.h"

/* The greedy loop of ss-prune-layers.h. The job holds the last accepted model; each step works
 * on a new network made from it, which replaces it only once retrained and within tolerance, so
 * a cancelled or rejected step never leaves a half-trained model behind. */

struct _SsPruneLayersJob {
  /* Owned */
  SsNet               *model;      /* the last accepted model */
  GArray              *steps;      /* SsPruneLayersStep */
  char                *stop_reason;
  SsPruneLayersConfig  config;
  /* Borrowed */
  const SsDataset     *train;
  const SsDataset     *test;
  SsPruneLayersEntropyFunc entropy_func;
  gpointer             entropy_data;
  /* During a run */
  SsPruneLayersProgressFunc progress;
  gpointer             user_data;
  int                  step;
  gboolean             ran;
};

void
ss_prune_layers_config_init (SsPruneLayersConfig *config)
{
  g_return_if_fail (config != NULL);
  *config = (SsPruneLayersConfig) {
    .epochs = 3,
    .retrain_epochs = 1,
    .tolerance = 1.0,
    .seed = 1,
  };
  ss_train_config_init (&config->train);
  ss_profile_options_init (&config->profile);
}

gboolean
ss_prune_layers_config_validate (const SsPruneLayersConfig *config,
                                 GError                   **error)
{
  SsTrainConfig train;

  g_return_val_if_fail (config != NULL, FALSE);

  if (config->epochs < 0 || config->epochs > 10000)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the initial epochs must be between 0 and 10000, not %d", config->epochs);
      return FALSE;
    }
  if (config->retrain_epochs < 1 || config->retrain_epochs > 10000)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the retraining epochs must be between 1 and 10000, not %d",
                   config->retrain_epochs);
      return FALSE;
    }
  if (!(config->tolerance >= 0 && config->tolerance <= 100))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the tolerance must be between 0 and 100 accuracy points, not %g",
                   config->tolerance);
      return FALSE;
    }
  if (config->max_removals < 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the maximum number of removals must be 0 (no limit) or more, not %d",
                   config->max_removals);
      return FALSE;
    }
  if (config->profile.n_samples < 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the entropy needs at least one sample, not %d", config->profile.n_samples);
      return FALSE;
    }
  /* The recipe is checked as the retraining will use it. */
  train = config->train;
  train.epochs = config->retrain_epochs;
  train.schedule.epochs = config->retrain_epochs;
  return ss_train_config_validate (&train, error);
}

static void
step_clear (gpointer data)
{
  SsPruneLayersStep *s = data;
  g_clear_pointer (&s->removed, g_free);
  g_clear_pointer (&s->reinitialised, g_strfreev);
  g_clear_pointer (&s->candidates, g_strfreev);
}

/* The default measurement: each conv's mean saliency AME over the profile's training samples.
 * user_data is the job. */
static gboolean
profile_entropy (SsNet         *net,
                 const int     *conv_nodes,
                 int            n,
                 double        *entropy,
                 gpointer       user_data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  SsPruneLayersJob *job = user_data;
  g_autoptr(GArray) profile = ss_profile_compute (net, job->train, &job->config.profile,
                                                  cancellable, error);
  if (profile == NULL)
    return FALSE;
  for (int c = 0; c < n; c++)
    {
      entropy[c] = NAN;
      for (guint l = 0; l < profile->len; l++)
        if (g_array_index (profile, SsLayerProfile, l).node == conv_nodes[c])
          entropy[c] = g_array_index (profile, SsLayerProfile, l).saliency_mean;
    }
  return TRUE;
}

SsPruneLayersJob *
ss_prune_layers_job_new (SsNet                     *net,
                         const SsDataset           *train,
                         const SsDataset           *test,
                         const SsPruneLayersConfig *config)
{
  SsPruneLayersJob *job;

  g_return_val_if_fail (net != NULL && train != NULL && test != NULL, NULL);
  g_return_val_if_fail (config != NULL && ss_prune_layers_config_validate (config, NULL), NULL);

  job = g_new0 (SsPruneLayersJob, 1);
  job->model = net;
  job->train = train;
  job->test = test;
  job->config = *config;
  job->steps = g_array_new (FALSE, TRUE, sizeof (SsPruneLayersStep));
  g_array_set_clear_func (job->steps, step_clear);
  job->entropy_func = profile_entropy;
  job->entropy_data = job;
  return job;
}

void
ss_prune_layers_job_free (SsPruneLayersJob *job)
{
  if (job == NULL)
    return;
  g_clear_pointer (&job->model, ss_net_free);
  g_array_unref (job->steps);
  g_free (job->stop_reason);
  g_free (job);
}

void
ss_prune_layers_job_set_entropy_func (SsPruneLayersJob         *job,
                                      SsPruneLayersEntropyFunc  func,
                                      gpointer                  user_data)
{
  g_return_if_fail (job != NULL && func != NULL);
  g_return_if_fail (!job->ran);
  job->entropy_func = func;
  job->entropy_data = user_data;
}

SsNet *
ss_prune_layers_job_get_model (SsPruneLayersJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  return job->model;
}

int
ss_prune_layers_job_get_n_steps (const SsPruneLayersJob *job)
{
  g_return_val_if_fail (job != NULL, 0);
  return (int) job->steps->len;
}

const SsPruneLayersStep *
ss_prune_layers_job_get_step (const SsPruneLayersJob *job,
                              int                     i)
{
  g_return_val_if_fail (job != NULL && i >= 0 && i < (int) job->steps->len, NULL);
  return &g_array_index (job->steps, SsPruneLayersStep, i);
}

const char *
ss_prune_layers_job_get_stop_reason (const SsPruneLayersJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  return job->stop_reason;
}

int
ss_prune_layers_choose (int             n,
                        const double   *entropy,
                        const gint64   *params,
                        const gboolean *allowed,
                        gboolean       *candidates)
{
  int best = -1;

  g_return_val_if_fail (n >= 0, -1);
  g_return_val_if_fail (n == 0 || (entropy != NULL && params != NULL && allowed != NULL), -1);

  for (int i = 0; i < n; i++)
    {
      /* NaN compares false, so a layer without a defined entropy (or after one) never is. */
      gboolean cand = i > 0 && allowed[i] && isfinite (entropy[i]) &&
                      isfinite (entropy[i - 1]) && entropy[i] >= entropy[i - 1];
      if (candidates != NULL)
        candidates[i] = cand;
      /* ≥: of equal sizes the later, deeper layer wins. */
      if (cand && (best < 0 || params[i] >= params[best]))
        best = i;
    }
  return best;
}

static void
emit (SsPruneLayersJob        *job,
      SsPruneLayersPhase       phase,
      const SsTrainProgress   *train,
      const SsPruneLayersStep *result)
{
  SsPruneLayersProgress p = { .phase = phase, .step = job->step, .train = train,
                              .result = result };
  if (job->progress != NULL)
    job->progress (&p, job->user_data);
}

static void
on_train_progress (const SsTrainProgress *progress,
                   gpointer               user_data)
{
  emit (user_data, SS_PRUNE_LAYERS_TRAINING, progress, NULL);
}

static gboolean
train_for (SsPruneLayersJob *job,
           SsNet            *net,
           int               epochs,
           GCancellable     *cancellable,
           GError          **error)
{
  SsTrainConfig train = job->config.train;

  train.epochs = epochs;
  train.schedule.epochs = epochs;
  train.seed = job->config.train.seed + (guint64) job->step;
  return ss_train (net, job->train, NULL, &train, on_train_progress, job, cancellable, error);
}

static int
count_convs (const SsArch *arch)
{
  int n = 0;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    n += ss_arch_get_node (arch, i)->op == SS_OP_CONV;
  return n;
}

/* Evaluates net and fills the counts and figures of s. */
static gboolean
measure (SsPruneLayersJob  *job,
         SsNet             *net,
         SsPruneLayersStep *s,
         GCancellable      *cancellable,
         GError           **error)
{
  const SsArch *arch = ss_net_get_arch (net);

  s->conv_layers = count_convs (arch);
  s->params = ss_arch_total_params (arch);
  s->macs = ss_arch_total_macs (arch);
  return ss_evaluate (net, job->test, job->config.train.eval_batch_size, &s->loss, &s->accuracy,
                      cancellable, error);
}

/* Picks the layer to remove from job->model: fills s->removed, s->candidates, s->entropy and
 * s->previous_entropy; s->removed stays NULL when there is no candidate. */
static gboolean
choose_layer (SsPruneLayersJob  *job,
              SsPruneLayersStep *s,
              GCancellable      *cancellable,
              GError           **error)
{
  const SsArch *arch = ss_net_get_arch (job->model);
  g_autoptr(GArray) convs = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *entropy = NULL;
  g_autofree gint64 *params = NULL;
  g_autofree gboolean *allowed = NULL, *cand = NULL;
  gboolean pooled = FALSE;
  int n, best;

  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    if (ss_arch_get_node (arch, i)->op == SS_OP_CONV)
      g_array_append_val (convs, i);
  n = (int) convs->len;
  entropy = g_new (double, MAX (n, 1));
  params = g_new (gint64, MAX (n, 1));
  allowed = g_new (gboolean, MAX (n, 1));
  cand = g_new (gboolean, MAX (n, 1));

  for (int c = 0, i = 0; c < n; c++)
    {
      int node = g_array_index (convs, int, c);
      g_autoptr(SsArch) without = NULL;

      /* Layers before the first pooling, in node order, are the stem (thesis §2.1.4). */
      for (; i < node; i++)
        {
          SsOp op = ss_arch_get_node (arch, i)->op;
          pooled |= op == SS_OP_MAXPOOL || op == SS_OP_AVGPOOL || op == SS_OP_GLOBAL_AVGPOOL;
        }
      params[c] = ss_arch_node_params (arch, node);
      allowed[c] = pooled &&
        (without = ss_prune_arch_remove_layer (arch, ss_arch_get_node (arch, node)->name,
                                               NULL)) != NULL;
    }

  emit (job, SS_PRUNE_LAYERS_PROFILING, NULL, NULL);
  if (!job->entropy_func (job->model, (const int *) convs->data, n, entropy, job->entropy_data,
                          cancellable, error))
    return FALSE;
  best = ss_prune_layers_choose (n, entropy, params, allowed, cand);
  for (int c = 0; c < n; c++)
    if (cand[c])
      g_ptr_array_add (names, g_strdup (ss_arch_get_node (arch,
                                                          g_array_index (convs, int, c))->name));
  g_ptr_array_add (names, NULL);
  s->candidates = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  if (best >= 0)
    {
      s->removed = g_strdup (ss_arch_get_node (arch, g_array_index (convs, int, best))->name);
      s->entropy = entropy[best];
      s->previous_entropy = entropy[best - 1];
    }
  return TRUE;
}

static void
stop (SsPruneLayersJob *job,
      char             *reason)
{
  g_free (job->stop_reason);
  job->stop_reason = reason;
}

gboolean
ss_prune_layers_job_run (SsPruneLayersJob          *job,
                         SsPruneLayersProgressFunc  progress,
                         gpointer                   user_data,
                         GCancellable              *cancellable,
                         GError                   **error)
{
  const SsPruneLayersConfig *config;
  double original;

  g_return_val_if_fail (job != NULL, FALSE);
  g_return_val_if_fail (!job->ran, FALSE);

  config = &job->config;
  job->ran = TRUE;
  job->progress = progress;
  job->user_data = user_data;
  if (!ss_check_data_fits (job->model, job->train, error) ||
      !ss_check_data_fits (job->model, job->test, error))
    return FALSE;

  /* Step 0: the original, trained. */
  {
    SsPruneLayersStep s = { .index = 0, .entropy = NAN, .previous_entropy = NAN,
                            .accepted = TRUE };
    job->step = 0;
    if (config->epochs > 0 && !train_for (job, job->model, config->epochs, cancellable, error))
      return FALSE;
    if (!measure (job, job->model, &s, cancellable, error))
      return FALSE;
    s.reinitialised = g_new0 (char *, 1);
    s.candidates = g_new0 (char *, 1);
    g_array_append_val (job->steps, s);
    emit (job, SS_PRUNE_LAYERS_STEP_DONE, NULL, &g_array_index (job->steps, SsPruneLayersStep, 0));
    original = s.accuracy;
  }

  for (job->step = 1; ; job->step++)
    {
      SsPruneLayersStep s = { .index = job->step };
      g_autoptr(SsNet) next = NULL;
      SsPruneLayersStep *kept;

      if (config->max_removals > 0 && job->step > config->max_removals)
        {
          stop (job, g_strdup_printf ("reached the limit of %d removals", config->max_removals));
          break;
        }
      if (!choose_layer (job, &s, cancellable, error))
        {
          step_clear (&s);
          return FALSE;
        }
      if (s.removed == NULL)
        {
          stop (job, g_strdup ("no conv layer after the first pooling keeps or raises the "
                               "saliency entropy of the one before it"));
          step_clear (&s);
          break;
        }
      next = ss_prune_remove_layer (job->model, s.removed,
                                    config->seed + (guint64) job->step, &s.reinitialised, error);
      if (next == NULL ||
          !train_for (job, next, config->retrain_epochs, cancellable, error) ||
          !measure (job, next, &s, cancellable, error))
        {
          step_clear (&s);
          return FALSE;
        }
      s.accepted = s.accuracy >= original - config->tolerance / 100;
      g_array_append_val (job->steps, s);
      kept = &g_array_index (job->steps, SsPruneLayersStep, job->steps->len - 1);
      emit (job, SS_PRUNE_LAYERS_STEP_DONE, NULL, kept);
      if (!kept->accepted)
        {
          stop (job, g_strdup_printf ("removing %s left %.2f %% accuracy, more than %g points "
                                      "below the original %.2f %%", kept->removed,
                                      100 * kept->accuracy, config->tolerance, 100 * original));
          break;
        }
      ss_net_free (job->model);
      job->model = g_steal_pointer (&next);
    }
  return TRUE;
}
