/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-amc-private.h"
#include "ss-error.h"
#include "ss-rng.h"
#include "ss-train.h"

/* The environment's data: the held-out split, calibration features for the least-squares
 * refit, the refit itself, and the rewards measured on the physically pruned network
 * (ss-amc.h).
 * Legend: N images, (C, H, W) a layer's input, K kernel, S stride, P padding, D a consumer's
 * input features, O its outputs. */

gboolean
ss_amc_split_dataset (const SsDataset *train,
                      int              n_val,
                      guint64          seed,
                      SsDataset      **rest,
                      SsDataset      **val,
                      GError         **error)
{
  gsize n, n_rest = 0, n_held = 0;
  g_autofree guint32 *idx = NULL, *rest_idx = NULL, *val_idx = NULL;
  g_autofree guint8 *held = NULL;
  SsRng rng;

  g_return_val_if_fail (train != NULL && rest != NULL && val != NULL, FALSE);

  n = ss_dataset_get_size (train);
  if (n_val < 1 || (gsize) n_val >= n)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the held-out split must have 1 to %" G_GSIZE_FORMAT " images (the training "
                   "set has %" G_GSIZE_FORMAT "), not %d", n > 0 ? n - 1 : 0, n, n_val);
      return FALSE;
    }
  idx = g_new (guint32, n);
  held = g_new0 (guint8, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = (guint32) i;
  ss_rng_seed (&rng, seed);
  ss_rng_shuffle (&rng, idx, n);
  for (int i = 0; i < n_val; i++)
    held[idx[i]] = 1;
  rest_idx = g_new (guint32, n - n_val);
  val_idx = g_new (guint32, n_val);
  for (gsize i = 0; i < n; i++)
    {
      if (held[i])
        val_idx[n_held++] = (guint32) i;
      else
        rest_idx[n_rest++] = (guint32) i;
    }
  *rest = ss_dataset_subset (train, rest_idx, n_rest);
  *val = ss_dataset_subset (train, val_idx, n_held);
  return TRUE;
}

/* Calibration images per forward pass. */
#define CALIB_BATCH 100

/* Rows one calibration batch of nb images gives consumer c. */
static int
rows_per_batch (const SsAmcEnv    *env,
                const AmcConsumer *c,
                int                nb)
{
  const SsNode *node = ss_arch_get_node (ss_net_get_arch (env->net), c->node);
  return node->op == SS_OP_CONV ? nb * env->opt.n_points : nb;
}

/* rows (nb · n_points, D [+ 1]): for each image, n_points output positions of conv node drawn
 * from rng, each the im2col patch (C, K, K) of x (nb, C, H, W) it reads (0 in the padding),
 * then 1 for the bias. AMC samples positions of a 1×1 conv's maps; a K×K conv's patch is the
 * same idea with the kernel's (dilated) window. Grouped convs never get here: ss-prune.c leaves
 * their channels whole. */
static void
conv_rows (double       *rows,
           const SsNode *node,
           const float  *x,
           int           nb,
           int           c,
           int           h,
           int           w,
           int           n_points,
           gboolean      bias,
           SsRng        *rng)
{
  const int k = node->kernel, s = node->stride, p = node->padding, dl = MAX (node->dilation, 1);
  const int d = c * k * k + (bias ? 1 : 0);

  for (int i = 0; i < nb; i++)
    for (int q = 0; q < n_points; q++)
      {
        const int oy = (int) ss_rng_below (rng, (guint32) node->h);
        const int ox = (int) ss_rng_below (rng, (guint32) node->w);
        double *row = rows + ((gsize) i * n_points + q) * d;
        for (int ch = 0; ch < c; ch++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
              {
                const int iy = oy * s - p + ky * dl, ix = ox * s - p + kx * dl;
                *row++ = (iy >= 0 && iy < h && ix >= 0 && ix < w)
                         ? x[(((gsize) i * c + ch) * h + iy) * w + ix] : 0.0;
              }
        if (bias)
          *row = 1.0;
      }
}

/* rows (nb, F [+ 1]): a linear layer's inputs x (nb, F), then 1 for the bias. */
static void
linear_rows (double      *rows,
             const float *x,
             int          nb,
             int          f,
             gboolean     bias)
{
  const int d = f + (bias ? 1 : 0);

  for (int i = 0; i < nb; i++)
    {
      for (int j = 0; j < f; j++)
        rows[(gsize) i * d + j] = x[(gsize) i * f + j];
      if (bias)
        rows[(gsize) i * d + f] = 1.0;
    }
}

/* Feeds the calibration images idx (n) through the original network and accumulates every
 * consumer's Gram matrix; then fixes each one's target, its original weights. */
static gboolean
record_features (SsAmcEnv        *env,
                 const SsDataset *ds,
                 const guint32   *idx,
                 int              n,
                 SsRng           *rng,
                 GCancellable    *cancellable,
                 GError         **error)
{
  const SsArch *arch = ss_net_get_arch (env->net);
  const gsize in_len = (gsize) ss_dataset_get_channels (ds) * ss_dataset_get_height (ds)
                       * ss_dataset_get_width (ds);
  g_autofree float *x = g_new (float, CALIB_BATCH * in_len);
  g_autofree SsLabel *y = g_new (SsLabel, CALIB_BATCH);
  g_autofree double *rows = NULL;
  g_autofree float *target = NULL;
  gsize rows_len = 0, target_len = 0, work_len = 1;

  for (int i = 0; i < env->n_consumers; i++)
    {
      AmcConsumer *c = &env->consumers[i];
      const int d = c->n_features + (c->bias ? 1 : 0);
      rows_len = MAX (rows_len, (gsize) rows_per_batch (env, c, CALIB_BATCH) * d);
      target_len = MAX (target_len, (gsize) c->n_out * d);
      work_len = MAX (work_len, ss_lsq_work_size (d, c->n_out));
      c->lsq = ss_lsq_new (d);
    }
  rows = g_new (double, rows_len);
  target = g_new (float, target_len);

  for (int b0 = 0; b0 < n; b0 += CALIB_BATCH)
    {
      const int nb = MIN (CALIB_BATCH, n - b0);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      ss_dataset_fill_batch (ds, x, y, idx + b0, nb, FALSE, NULL);
      ss_net_forward (env->net, x, nb, SS_MODE_EVAL, NULL);
      for (int i = 0; i < env->n_consumers; i++)
        {
          AmcConsumer *c = &env->consumers[i];
          const SsNode *node = ss_arch_get_node (arch, c->node);
          const SsNode *in;
          const float *a = ss_net_get_output (env->net, node->inputs[0]);

          /* A group's consumers read what its convs wrote, never the image. */
          g_assert (node->inputs[0] != SS_NODE_INPUT);
          in = ss_arch_get_node (arch, node->inputs[0]);
          if (node->op == SS_OP_CONV)
            conv_rows (rows, node, a, nb, in->c, in->h, in->w, env->opt.n_points, c->bias, rng);
          else
            linear_rows (rows, a, nb, c->n_features, c->bias);
          ss_lsq_add_rows (c->lsq, rows, rows_per_batch (env, c, nb));
        }
    }

  /* The target is the original layer: [W | b] (O, D + 1). */
  for (int i = 0; i < env->n_consumers; i++)
    {
      AmcConsumer *c = &env->consumers[i];
      const float *w = ss_net_get_param (env->net, c->weight);
      const int d = c->n_features + (c->bias ? 1 : 0);
      for (int o = 0; o < c->n_out; o++)
        {
          memcpy (target + (gsize) o * d, w + (gsize) o * c->n_features,
                  c->n_features * sizeof (float));
          if (c->bias)
            target[(gsize) o * d + c->n_features] = ss_net_get_param (env->net,
                                                                      c->bias_param)[o];
        }
      ss_lsq_set_weights (c->lsq, target, c->n_out);
    }
  env->work = g_new (double, work_len);
  return TRUE;
}

/* Buffers of the entropy rewards: results for every map of the widest conv layer and scratch
 * for the largest one. */
static gboolean
prepare_entropy (SsAmcEnv *env,
                 GError  **error)
{
  const SsArch *arch = ss_net_get_arch (env->net);
  const int threads = ss_net_get_n_threads (env->net);
  SsAmeOptions opt;
  int c_max = 0;

  ss_ame_options_init (&opt);
  opt.bins = env->opt.bins;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      if (node->op != SS_OP_CONV || node->h * node->w < 2)
        continue;
      c_max = MAX (c_max, node->c);
      env->ame_scratch_size = MAX (env->ame_scratch_size,
                                   ss_ame_batch_scratch_size (node->h, node->w, &opt, threads));
    }
  if (c_max == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the %s reward needs conv outputs larger than 1×1, and %s has none; use "
                   "the accuracy reward", ss_amc_reward_name (env->opt.reward),
                   ss_arch_get_name (arch));
      return FALSE;
    }
  env->ame_res = g_new (SsAmeResult, (gsize) env->n_entropy * c_max);
  env->ame_scratch = g_malloc (env->ame_scratch_size);
  return TRUE;
}

/* Undoes a failed ss_amc_env_set_data. */
static void
clear_data (SsAmcEnv *env)
{
  for (int i = 0; i < env->n_consumers; i++)
    g_clear_pointer (&env->consumers[i].lsq, ss_lsq_free);
  g_clear_pointer (&env->work, g_free);
  g_clear_pointer (&env->entropy_x, g_free);
  g_clear_pointer (&env->ame_res, g_free);
  g_clear_pointer (&env->ame_scratch, g_free);
  env->ame_scratch_size = 0;
}

gboolean
ss_amc_env_set_data (SsAmcEnv        *env,
                     const SsDataset *calibration,
                     const SsDataset *val,
                     GCancellable    *cancellable,
                     GError         **error)
{
  g_autofree guint32 *idx = NULL;
  g_autofree SsLabel *y = NULL;
  float state[SS_AMC_STATE_DIM];
  gsize size, in_len;
  SsRng rng;
  int n;

  g_return_val_if_fail (env != NULL && calibration != NULL, FALSE);
  g_return_val_if_fail (!env->has_data, FALSE);

  if (!ss_check_data_fits (env->net, calibration, error) ||
      (val != NULL && !ss_check_data_fits (env->net, val, error)))
    return FALSE;
  if (env->opt.reward == SS_AMC_REWARD_ACCURACY && val == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the accuracy reward needs a held-out split to measure accuracy on");
      return FALSE;
    }

  size = ss_dataset_get_size (calibration);
  n = (int) MIN ((gsize) env->opt.n_calibration, size);
  idx = g_new (guint32, size);
  for (gsize i = 0; i < size; i++)
    idx[i] = (guint32) i;
  ss_rng_seed (&rng, env->opt.seed);
  ss_rng_shuffle (&rng, idx, size);

  /* The entropy rewards read the first calibration images, as the thesis's 100 samples. */
  env->n_entropy = MIN (env->opt.n_entropy, n);
  in_len = (gsize) ss_dataset_get_channels (calibration) * ss_dataset_get_height (calibration)
           * ss_dataset_get_width (calibration);
  env->entropy_x = g_new (float, env->n_entropy * in_len);
  y = g_new (SsLabel, env->n_entropy);
  ss_dataset_fill_batch (calibration, env->entropy_x, y, idx, env->n_entropy, FALSE, NULL);
  if (env->opt.reward != SS_AMC_REWARD_ACCURACY && !prepare_entropy (env, error))
    {
      clear_data (env);
      return FALSE;
    }

  /* Features come from the original weights, as AMC records them once at the start. */
  ss_amc_env_reset (env, state);
  if (env->opt.refit && !record_features (env, calibration, idx, n, &rng, cancellable, error))
    {
      clear_data (env);
      return FALSE;
    }
  env->val = val;
  env->has_data = TRUE;
  return TRUE;
}

gboolean
amc_refit_consumer (SsAmcEnv          *env,
                    AmcConsumer       *c,
                    const AmcStep     *step,
                    GError           **error)
{
  float *w = ss_net_get_param (env->net, c->weight);
  const int d = c->n_features;
  int m = 0;

  for (int ch = 0; ch < step->channels; ch++)
    if (step->keep[ch])
      for (int k = 0; k < c->block; k++)
        env->features[m++] = ch * c->block + k;

  if (c->lsq == NULL)
    {
      /* No refit: only the removed inputs go, so the filter norms of later steps count what
       * remains. */
      for (int o = 0; o < c->n_out; o++)
        for (int ch = 0; ch < step->channels; ch++)
          if (!step->keep[ch])
            memset (w + (gsize) o * d + (gsize) ch * c->block, 0, c->block * sizeof (float));
      return TRUE;
    }

  if (c->bias)
    env->features[m++] = d;
  if (!ss_lsq_solve (c->lsq, env->features, m, env->opt.ridge, env->w_new, env->work, error))
    {
      g_prefix_error (error, "refitting %s: ",
                      ss_arch_get_node (ss_net_get_arch (env->net), c->node)->name);
      return FALSE;
    }
  for (int o = 0; o < c->n_out; o++)
    {
      float *row = w + (gsize) o * d;
      const float *fit = env->w_new + (gsize) o * m;
      memset (row, 0, d * sizeof (float));
      for (int i = 0; i < m - (c->bias ? 1 : 0); i++)
        row[env->features[i]] = fit[i];
      if (c->bias)
        ss_net_get_param (env->net, c->bias_param)[o] = fit[m - 1];
    }
  return TRUE;
}

/* The mean AME of every conv layer's output over the entropy images: per layer the mean over
 * its maps (images × channels; a constant map counts 0, a non-finite one is left out, as
 * ss_ame_compute_channels does), then the mean over layers. */
static gboolean
mean_conv_ame (SsAmcEnv *env,
               SsNet    *net,
               double   *ame,
               GError  **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  SsAmeOptions opt;
  double total = 0;
  int layers = 0;

  ss_ame_options_init (&opt);
  opt.bins = env->opt.bins;
  ss_net_forward (net, env->entropy_x, env->n_entropy, SS_MODE_EVAL, NULL);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      const int n_maps = env->n_entropy * node->c;
      double sum = 0;
      int counted = 0;

      if (node->op != SS_OP_CONV || node->h * node->w < 2)
        continue;
      if (!ss_ame_compute_batch (env->ame_res, ss_net_get_output (net, i), n_maps, node->h,
                                 node->w, &opt, ss_net_get_n_threads (net), env->ame_scratch,
                                 env->ame_scratch_size, error))
        return FALSE;
      for (int j = 0; j < n_maps; j++)
        if (env->ame_res[j].status == SS_AME_OK || env->ame_res[j].status == SS_AME_CONSTANT)
          {
            sum += env->ame_res[j].ame;
            counted++;
          }
      if (counted > 0)
        {
          total += sum / counted;
          layers++;
        }
    }
  if (layers == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                   "no conv layer of the pruned %s gave a finite activation map to measure",
                   ss_arch_get_name (arch));
      return FALSE;
    }
  *ame = total / layers;
  return TRUE;
}

gboolean
ss_amc_env_finish (SsAmcEnv      *env,
                   SsAmcMeasure  *measure,
                   SsNet        **pruned_out,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(SsPrunePlan) plan = NULL;
  g_autoptr(SsNet) pruned = NULL;
  const SsArch *arch;
  double loss;

  g_return_val_if_fail (env != NULL && measure != NULL, FALSE);
  g_return_val_if_fail (env->cur == env->n_steps, FALSE);
  g_return_val_if_fail (env->has_data, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  plan = ss_amc_env_build_plan (env);
  if ((pruned = ss_prune_plan_apply (plan, env->net, error)) == NULL)
    return FALSE;
  arch = ss_net_get_arch (pruned);
  *measure = (SsAmcMeasure) {
    .reward = NAN,
    .accuracy = NAN,
    .ame = NAN,
    .macs = ss_arch_total_macs (arch),
    .params = ss_arch_total_params (arch),
  };
  g_warn_if_fail (measure->macs == amc_macs_of (env, env->kept));
  if (env->opt.reward == SS_AMC_REWARD_ACCURACY)
    {
      if (!ss_evaluate (pruned, env->val, env->opt.eval_batch, &loss, &measure->accuracy,
                        cancellable, error))
        return FALSE;
      measure->reward = measure->accuracy;
    }
  else
    {
      if (!mean_conv_ame (env, pruned, &measure->ame, error))
        return FALSE;
      measure->reward = env->opt.reward == SS_AMC_REWARD_ENTROPY ? 1.0 - measure->ame
                                                                 : measure->ame;
    }
  if (pruned_out != NULL)
    *pruned_out = g_steal_pointer (&pruned);
  return TRUE;
}

SsNet *
ss_amc_env_apply (SsAmcEnv      *env,
                  const int     *kept,
                  SsAmcMeasure  *measure,
                  GCancellable  *cancellable,
                  GError       **error)
{
  float state[SS_AMC_STATE_DIM];
  SsNet *pruned = NULL;

  g_return_val_if_fail (env != NULL && kept != NULL && measure != NULL, NULL);
  g_return_val_if_fail (env->has_data, NULL);

  ss_amc_env_reset (env, state);
  for (int t = 0; t < env->n_steps; t++)
    {
      const AmcStep *s = &env->steps[t];
      const int n = kept[t];
      if (n < s->min_kept || n > s->max_kept ||
          (n != s->channels && n % env->opt.channel_round != 0) || amc_wall (env, n) != n)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "%s cannot keep %d of its %d channels in this search: from %d to %d, a "
                       "multiple of %d or all of them, within the MACs budget", s->layer, n,
                       s->channels, s->min_kept, s->max_kept, env->opt.channel_round);
          return NULL;
        }
      if (!amc_take_step (env, n, error))
        return NULL;
    }
  if (!ss_amc_env_finish (env, measure, &pruned, cancellable, error))
    return NULL;
  return pruned;
}
