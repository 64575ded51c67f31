/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-amc-private.h"
#include "ss-error.h"

/* The environment's structure: options, steps, counting, AMC's action wall, the channel choice
 * and the episode's bookkeeping (ss-amc.h). Tensors are the state_dict's: conv weight (O, I, K, K),
 * linear weight (O, F). */

const char *
ss_amc_reward_name (SsAmcReward reward)
{
  switch (reward)
    {
    case SS_AMC_REWARD_ACCURACY:
      return "accuracy";
    case SS_AMC_REWARD_ENTROPY:
      return "entropy";
    case SS_AMC_REWARD_ENTROPY_MAX:
      return "entropy-max";
    default:
      return "unknown";
    }
}

gboolean
ss_amc_reward_parse (const char  *name,
                     SsAmcReward *reward)
{
  g_return_val_if_fail (reward != NULL, FALSE);
  for (int r = SS_AMC_REWARD_ACCURACY; r <= SS_AMC_REWARD_ENTROPY_MAX; r++)
    if (name != NULL && g_str_equal (name, ss_amc_reward_name ((SsAmcReward) r)))
      {
        *reward = (SsAmcReward) r;
        return TRUE;
      }
  return FALSE;
}

void
ss_amc_options_init (SsAmcOptions *options)
{
  g_return_if_fail (options != NULL);
  *options = (SsAmcOptions) {
    .keep_macs = 0.5,
    .lbound = 0.2,
    .rbound = 1.0,
    .channel_round = 1,
    .reward = SS_AMC_REWARD_ACCURACY,
    .n_calibration = 3000,
    .n_points = 10,
    .n_entropy = 100,
    .bins = SS_AME_BINS_DEFAULT,
    .ridge = 1e-6,
    .refit = TRUE,
    .eval_batch = 256,
    .seed = 1,
  };
}

gboolean
ss_amc_options_check (const SsAmcOptions *o,
                      GError            **error)
{
  const char *bad = NULL;
  SsAmeOptions ame;

  g_return_val_if_fail (o != NULL, FALSE);

  if (!(o->keep_macs > 0 && o->keep_macs <= 1))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the share of MACs to keep must be more than 0 and at most 1, not %g "
                   "(0.5 keeps half)", o->keep_macs);
      return FALSE;
    }
  ss_ame_options_init (&ame);
  ame.bins = o->bins;
  if (!(o->lbound >= 0 && o->lbound <= 1))
    bad = "lbound (the lowest preserve ratio) must be in [0, 1]";
  else if (!(o->rbound > 0 && o->rbound <= 1 && o->rbound >= o->lbound))
    bad = "rbound (the highest preserve ratio) must be in (0, 1] and at least lbound";
  else if (o->channel_round < 1)
    bad = "channel_round must be at least 1";
  else if ((guint) o->reward > SS_AMC_REWARD_ENTROPY_MAX)
    bad = "the reward must be accuracy, entropy or entropy-max";
  else if (o->n_calibration < 1 || o->n_points < 1 || o->n_entropy < 1 || o->eval_batch < 1)
    bad = "n_calibration, n_points, n_entropy and eval_batch must be at least 1";
  else if (!(o->ridge >= 0 && isfinite (o->ridge)))
    bad = "the ridge must be finite and not negative";
  else if (!ss_ame_options_check (&ame, NULL))
    bad = "bins must be 2 to 4096";
  if (bad != NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "invalid AMC option: %s", bad);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Channel counts                                                                           */

/* The smallest count a step of c channels allows that is ≥ x (≥ 1): a multiple of r below c,
 * or c itself (AMC rounds d' up to channel_round and caps it). */
static int
count_up (int c,
          int r,
          int x)
{
  int m;

  if (x >= c)
    return c;
  m = (x + r - 1) / r * r;
  return m >= c ? c : m;
}

/* The largest allowed count below n (n > the step's smallest count). */
static int
count_below (int c,
             int r,
             int n)
{
  return n == c ? (c - 1) / r * r : n - r;
}

/* AMC's d' for preserve ratio a: max (round (c·a), 1) (np.around, half to even), rounded up. */
static int
count_of_ratio (int    c,
                int    r,
                double a)
{
  return count_up (c, r, MAX ((int) rint (c * a), 1));
}

gint64
amc_macs_of (const SsAmcEnv *env,
             const int      *kept)
{
  gint64 total = 0;

  for (int i = 0; i < env->n_terms; i++)
    {
      const AmcMacTerm *t = &env->terms[i];
      total += t->base * (t->step_in >= 0 ? kept[t->step_in] : 1)
               * (t->step_out >= 0 ? kept[t->step_out] : 1);
    }
  return total;
}

int
amc_wall (const SsAmcEnv *env,
          int             want)
{
  const AmcStep *s = &env->steps[env->cur];
  int *trial = env->trial;
  int n = want;

  /* The decided steps as chosen, this one at n, the later ones at their lower bound: what is
   * left of the budget is the most this step can keep. The lower bounds always fit (checked
   * at creation for the first step, and kept true by every step after), so n stops there. */
  memcpy (trial, env->kept, sizeof (int) * env->n_steps);
  for (int t = env->cur + 1; t < env->n_steps; t++)
    trial[t] = env->steps[t].min_kept;
  trial[env->cur] = n;
  while (n > s->min_kept && amc_macs_of (env, trial) > env->budget)
    trial[env->cur] = n = count_below (s->channels, env->opt.channel_round, n);
  return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Creation                                                                                 */

/* A copy of net: parameters, running statistics and batch counts. Transfer full. */
static SsNet *
net_copy (SsNet *net)
{
  const SsArch *arch = ss_net_get_arch (net);
  SsNet *copy = ss_net_new (arch, 0);

  ss_net_set_n_threads (copy, ss_net_get_n_threads (net));
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    memcpy (ss_net_get_param (copy, p), ss_net_get_param (net, p),
            ss_net_get_param_info (net, p)->len * sizeof (float));
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    ss_net_set_batches_tracked (copy, i, ss_net_get_batches_tracked (net, i));
  return copy;
}

/* The parameter index of node's tensor "NAME.what", or -1. */
static int
find_param (SsNet      *net,
            int         node,
            const char *what)
{
  g_autofree char *name = g_strdup_printf ("%s.%s",
                                           ss_arch_get_node (ss_net_get_arch (net), node)->name,
                                           what);
  return ss_net_find_param (net, name);
}

/* The shape (C, H, W) node reads. */
static void
input_shape (const SsArch *arch,
             const SsNode *node,
             int          *c,
             int          *h,
             int          *w)
{
  if (node->inputs[0] == SS_NODE_INPUT)
    ss_arch_get_input (arch, c, h, w);
  else
    {
      const SsNode *in = ss_arch_get_node (arch, node->inputs[0]);
      *c = in->c;
      *h = in->h;
      *w = in->w;
    }
}

static gboolean
explain_nothing_prunable (const SsArch *arch,
                          GArray       *groups,
                          GError      **error)
{
  g_autoptr(GString) why = g_string_new (NULL);

  for (guint k = 0; k < groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      g_string_append_printf (why, "%s%s: %s", k > 0 ? "; " : "",
                              ss_arch_get_node (arch, g->producers[0])->name, g->reason);
    }
  if (groups->len == 0)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "nothing in %s can be pruned: it has no conv layer (AMC prunes the filters of "
                 "conv layers)", ss_arch_get_name (arch));
  else
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "nothing in %s can be pruned: %s", ss_arch_get_name (arch), why->str);
  return FALSE;
}

/* Min-max scales each static feature over the steps, as AMC's _build_state_embedding; a feature
 * all steps share becomes 0 (AMC leaves it raw, which may exceed 1, e.g. kernel 3). */
static void
scale_features (SsAmcEnv *env,
                double  (*raw)[AMC_STATIC_DIM])
{
  for (int f = 0; f < AMC_STATIC_DIM; f++)
    {
      double lo = raw[0][f], hi = raw[0][f];
      for (int t = 1; t < env->n_steps; t++)
        {
          lo = MIN (lo, raw[t][f]);
          hi = MAX (hi, raw[t][f]);
        }
      for (int t = 0; t < env->n_steps; t++)
        env->steps[t].features[f] = hi > lo ? (float) ((raw[t][f] - lo) / (hi - lo)) : 0.0f;
    }
}

static void
build_consumer (SsAmcEnv    *env,
                AmcConsumer *c,
                int          node,
                int          channels)
{
  const SsArch *arch = ss_net_get_arch (env->net);
  const SsNode *n = ss_arch_get_node (arch, node);
  int in_c, in_h, in_w;

  input_shape (arch, n, &in_c, &in_h, &in_w);
  c->node = node;
  c->n_out = n->out;
  c->bias = n->bias;
  c->n_features = n->op == SS_OP_CONV ? in_c * n->kernel * n->kernel : in_c * in_h * in_w;
  /* A conv's weight row is (C, K, K); a linear layer's flattened C×h×w input puts h·w
   * features per channel (1 after a global pool). */
  c->block = c->n_features / channels;
  c->weight = find_param (env->net, node, "weight");
  c->bias_param = c->bias ? find_param (env->net, node, "bias") : -1;
  g_assert (c->weight >= 0 && (!c->bias || c->bias_param >= 0));
  g_assert (c->block * channels == c->n_features);
}

/* The steps, their consumers and the MAC terms. */
static void
build_structure (SsAmcEnv *env)
{
  const SsArch *arch = ss_net_get_arch (env->net);
  const int n_nodes = ss_arch_get_n_nodes (arch);
  g_autofree int *step_of_group = g_new (int, env->groups->len);
  g_autofree int *group_read = g_new (int, n_nodes);
  g_autofree double (*raw)[AMC_STATIC_DIM] = NULL;
  int t = 0, n_cons = 0;
  gint64 later = 0;

  for (int i = 0; i < n_nodes; i++)
    group_read[i] = -1;
  for (guint k = 0; k < env->groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (env->groups, SsPruneGroup, k);
      step_of_group[k] = g->prunable ? env->n_steps++ : -1;
      for (int j = 0; j < g->n_consumers; j++)
        group_read[g->consumers[j]] = (int) k;
      if (g->prunable)
        n_cons += g->n_consumers;
    }
  env->steps = g_new0 (AmcStep, env->n_steps);
  env->consumers = g_new0 (AmcConsumer, MAX (n_cons, 1));
  raw = g_malloc0_n (env->n_steps, sizeof *raw);
  for (guint k = 0; k < env->groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (env->groups, SsPruneGroup, k);
      AmcStep *s;
      const SsNode *p;
      int in_c, in_h, in_w;

      if (!g->prunable)
        continue;
      s = &env->steps[t];
      p = ss_arch_get_node (arch, g->producers[0]);
      s->group = (int) k;
      s->g = g;
      s->layer = p->name;
      s->channels = g->n_channels;
      s->min_kept = count_of_ratio (s->channels, env->opt.channel_round, env->opt.lbound);
      s->max_kept = count_of_ratio (s->channels, env->opt.channel_round, env->opt.rbound);
      s->keep = g_malloc (s->channels);
      s->producer_weight = g_new (int, g->n_producers);
      for (int j = 0; j < g->n_producers; j++)
        {
          s->producer_weight[j] = find_param (env->net, g->producers[j], "weight");
          s->macs += ss_arch_node_macs (arch, g->producers[j]);
        }
      s->first_consumer = env->n_consumers;
      s->n_consumers = g->n_consumers;
      for (int j = 0; j < g->n_consumers; j++)
        build_consumer (env, &env->consumers[env->n_consumers++], g->consumers[j],
                        s->channels);
      input_shape (arch, p, &in_c, &in_h, &in_w);
      raw[t][0] = t;
      raw[t][1] = s->channels;
      raw[t][2] = in_c;
      raw[t][3] = in_h;
      raw[t][4] = in_w;
      raw[t][5] = p->stride;
      raw[t][6] = p->kernel;
      raw[t][7] = (double) s->macs;
      t++;
    }
  scale_features (env, raw);

  env->terms = g_new0 (AmcMacTerm, n_nodes);
  for (int i = 0; i < n_nodes; i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      gint64 macs = ss_arch_node_macs (arch, i), div = 1;
      AmcMacTerm *term;
      int out_group;

      if (macs == 0)
        continue;
      term = &env->terms[env->n_terms++];
      out_group = node->op == SS_OP_CONV ? ss_prune_groups_find (env->groups, i) : -1;
      term->step_in = group_read[i] >= 0 ? step_of_group[group_read[i]] : -1;
      term->step_out = out_group >= 0 ? step_of_group[out_group] : -1;
      if (term->step_in >= 0)
        div *= env->steps[term->step_in].channels;
      if (term->step_out >= 0)
        div *= env->steps[term->step_out].channels;
      g_assert (macs % div == 0);
      term->base = macs / div;
    }
  env->orig_macs = ss_arch_total_macs (arch);

  for (t = env->n_steps - 1; t >= 0; t--)
    {
      env->steps[t].rest = (double) later / (double) env->orig_macs;
      later += env->steps[t].macs;
    }
}

SsAmcEnv *
ss_amc_env_new (SsNet              *net,
                const SsAmcOptions *options,
                GError            **error)
{
  g_autoptr(SsAmcEnv) env = NULL;
  g_autoptr(GArray) groups = NULL;
  const SsArch *arch;
  float *arena;
  int c_max = 1, d_max = 1, o_max = 1;
  gboolean any = FALSE;
  gint64 least;

  g_return_val_if_fail (net != NULL, NULL);

  env = g_new0 (SsAmcEnv, 1);
  if (options != NULL)
    env->opt = *options;
  else
    ss_amc_options_init (&env->opt);
  if (!ss_amc_options_check (&env->opt, error))
    return NULL;
  arch = ss_net_get_arch (net);
  groups = ss_prune_groups (arch);
  for (guint k = 0; k < groups->len; k++)
    any |= g_array_index (groups, SsPruneGroup, k).prunable;
  if (!any)
    {
      explain_nothing_prunable (arch, groups, error);
      return NULL;
    }

  env->net = net_copy (net);
  env->groups = g_steal_pointer (&groups);
  arena = ss_net_get_arena (env->net, &env->arena_len);
  env->orig_arena = g_memdup2 (arena, env->arena_len * sizeof (float));
  build_structure (env);
  env->budget = (gint64) floor (env->opt.keep_macs * (double) env->orig_macs);

  env->kept = g_new (int, env->n_steps);
  env->ratios = g_new (double, env->n_steps);
  env->trial = g_new (int, env->n_steps);
  for (int t = 0; t < env->n_steps; t++)
    {
      env->trial[t] = env->steps[t].min_kept;
      c_max = MAX (c_max, env->steps[t].channels);
    }
  least = amc_macs_of (env, env->trial);
  if (least > env->budget)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "keeping %.4g of the MACs is out of reach: with every prunable layer at its "
                   "fewest channels (preserve ratio %.2g, counts rounded up to multiples of %d) "
                   "%s still has %.2f%% of its MACs; keep more, or lower lbound or "
                   "channel_round", env->opt.keep_macs, env->opt.lbound,
                   env->opt.channel_round, ss_arch_get_name (arch),
                   100.0 * (double) least / (double) env->orig_macs);
      return NULL;
    }
  for (int i = 0; i < env->n_consumers; i++)
    {
      d_max = MAX (d_max, env->consumers[i].n_features + 1);
      o_max = MAX (o_max, env->consumers[i].n_out);
    }
  env->importance = g_new (double, c_max);
  env->order = g_new (int, c_max);
  env->features = g_new (int, d_max);
  env->w_new = g_new (float, (gsize) o_max * d_max);
  env->best_kept = g_new (int, env->n_steps);
  ss_amc_env_reset (env, env->last_state);
  return g_steal_pointer (&env);
}

void
ss_amc_env_free (SsAmcEnv *env)
{
  if (env == NULL)
    return;
  for (int t = 0; t < env->n_steps; t++)
    {
      g_free (env->steps[t].keep);
      g_free (env->steps[t].producer_weight);
    }
  for (int i = 0; i < env->n_consumers; i++)
    ss_lsq_free (env->consumers[i].lsq);
  g_free (env->steps);
  g_free (env->consumers);
  g_free (env->terms);
  g_clear_pointer (&env->groups, g_array_unref);
  g_clear_pointer (&env->net, ss_net_free);
  g_free (env->orig_arena);
  g_free (env->kept);
  g_free (env->ratios);
  g_free (env->trial);
  g_free (env->importance);
  g_free (env->order);
  g_free (env->features);
  g_free (env->w_new);
  g_free (env->work);
  g_free (env->entropy_x);
  g_free (env->ame_res);
  g_free (env->ame_scratch);
  g_free (env->best_kept);
  g_free (env);
}

/* ---------------------------------------------------------------------------------------- */
/* Episodes                                                                                 */

int
ss_amc_env_get_n_steps (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, 0);
  return env->n_steps;
}

const char *
ss_amc_env_get_step_layer (const SsAmcEnv *env,
                           int             step)
{
  g_return_val_if_fail (env != NULL && step >= 0 && step < env->n_steps, NULL);
  return env->steps[step].layer;
}

int
ss_amc_env_get_step_channels (const SsAmcEnv *env,
                              int             step)
{
  g_return_val_if_fail (env != NULL && step >= 0 && step < env->n_steps, 0);
  return env->steps[step].channels;
}

int
ss_amc_env_get_step_min_kept (const SsAmcEnv *env,
                              int             step)
{
  g_return_val_if_fail (env != NULL && step >= 0 && step < env->n_steps, 0);
  return env->steps[step].min_kept;
}

const SsAmcOptions *
ss_amc_env_get_options (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, NULL);
  return &env->opt;
}

gint64
ss_amc_env_get_original_macs (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, 0);
  return env->orig_macs;
}

gint64
ss_amc_env_get_macs (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, 0);
  return amc_macs_of (env, env->kept);
}

int
ss_amc_env_get_step (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, 0);
  return env->cur;
}

const int *
ss_amc_env_get_kept (const SsAmcEnv *env)
{
  g_return_val_if_fail (env != NULL, NULL);
  return env->kept;
}

/* state (S) for step t of the episode so far. */
static void
fill_state (const SsAmcEnv *env,
            int             t,
            float          *state)
{
  const AmcStep *s = &env->steps[t];

  memcpy (state, s->features, sizeof s->features);
  state[AMC_STATIC_DIM] = (float) (1.0 - (double) amc_macs_of (env, env->kept)
                                         / (double) env->orig_macs);
  state[AMC_STATIC_DIM + 1] = (float) s->rest;
  state[AMC_STATIC_DIM + 2] = t > 0 ? (float) env->ratios[t - 1] : 1.0f;
}

void
ss_amc_env_reset (SsAmcEnv *env,
                  float    *state)
{
  gsize len;

  g_return_if_fail (env != NULL && state != NULL);

  memcpy (ss_net_get_arena (env->net, &len), env->orig_arena, env->arena_len * sizeof (float));
  env->cur = 0;
  for (int t = 0; t < env->n_steps; t++)
    {
      env->kept[t] = env->steps[t].channels;
      env->ratios[t] = 1.0;
      memset (env->steps[t].keep, 1, env->steps[t].channels);
    }
  fill_state (env, 0, env->last_state);
  memcpy (state, env->last_state, sizeof env->last_state);
}

/* order[0..c) = channels by importance, largest first; equal ones by index. Insertion sort:
 * stable, in place, and c is at most a few hundred. */
static void
rank_channels (const double *importance,
               int          *order,
               int           c)
{
  for (int i = 0; i < c; i++)
    {
      int j = i;
      while (j > 0 && importance[order[j - 1]] < importance[i])
        {
          order[j] = order[j - 1];
          j--;
        }
      order[j] = i;
    }
}

gboolean
amc_take_step (SsAmcEnv *env,
               int       n,
               GError  **error)
{
  AmcStep *s = &env->steps[env->cur];
  const int c = s->channels;

  g_assert (n >= 1 && n <= c);
  /* L1 norm of each filter, summed over the producers of a tied group; a producer refitted at
   * an earlier step counts its refitted weights, the ones that will remain. */
  for (int k = 0; k < c; k++)
    env->importance[k] = 0;
  for (int j = 0; j < s->g->n_producers; j++)
    {
      const float *w = ss_net_get_param (env->net, s->producer_weight[j]);
      const gsize row = ss_net_get_param_info (env->net, s->producer_weight[j])->len / c;
      for (int k = 0; k < c; k++)
        {
          double sum = 0;
          for (gsize i = 0; i < row; i++)
            sum += fabsf (w[k * row + i]);
          env->importance[k] += sum;
        }
    }
  rank_channels (env->importance, env->order, c);
  memset (s->keep, 0, c);
  for (int i = 0; i < n; i++)
    s->keep[env->order[i]] = 1;
  env->kept[env->cur] = n;
  env->ratios[env->cur] = (double) n / c;
  if (n < c)
    for (int j = 0; j < s->n_consumers; j++)
      if (!amc_refit_consumer (env, &env->consumers[s->first_consumer + j], s, error))
        return FALSE;
  env->cur++;
  return TRUE;
}

gboolean
ss_amc_env_step (SsAmcEnv *env,
                 double    action,
                 float    *next_state,
                 double   *ratio,
                 GError  **error)
{
  const AmcStep *s;
  int want;

  g_return_val_if_fail (env != NULL && next_state != NULL, FALSE);
  g_return_val_if_fail (env->cur < env->n_steps, FALSE);
  g_return_val_if_fail (isfinite (action), FALSE);

  s = &env->steps[env->cur];
  want = count_of_ratio (s->channels, env->opt.channel_round,
                         CLAMP (action, env->opt.lbound, env->opt.rbound));
  if (!amc_take_step (env, amc_wall (env, want), error))
    return FALSE;
  if (ratio != NULL)
    *ratio = env->ratios[env->cur - 1];
  /* After the last step AMC returns the last state again. */
  if (env->cur < env->n_steps)
    fill_state (env, env->cur, env->last_state);
  memcpy (next_state, env->last_state, sizeof env->last_state);
  return TRUE;
}

SsPrunePlan *
ss_amc_env_build_plan (const SsAmcEnv *env)
{
  g_autoptr(SsPrunePlan) plan = NULL;

  g_return_val_if_fail (env != NULL, NULL);

  plan = ss_prune_plan_new (ss_net_get_arch (env->net));
  for (int t = 0; t < env->n_steps; t++)
    {
      const AmcStep *s = &env->steps[t];
      g_autoptr(GError) error = NULL;
      int n = 0;

      for (int k = 0; k < s->channels; k++)
        if (!s->keep[k])
          env->order[n++] = k;
      /* A step keeps at least one channel of a prunable group: this cannot fail. */
      if (n > 0 && !ss_prune_plan_remove_filters (plan, s->layer, env->order, n, &error))
        g_critical ("AMC plan for %s: %s", s->layer, error->message);
    }
  return g_steal_pointer (&plan);
}
