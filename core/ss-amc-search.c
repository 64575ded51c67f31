/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-amc-private.h"
#include "ss-error.h"
#include "ss-json.h"

/* AMC's search loop (mit-han-lab/amc amc_search.py, train): the agent acts at every step, the
 * environment rewards the episode at its end, and every step is stored with that final reward
 * (ss_ddpg_episode_step / _end); the best episode is kept, as AMC's env.best_strategy.
 * Legend: L steps, S = SS_AMC_STATE_DIM. */

void
amc_offer_best (SsAmcEnv *env,
                double    reward,
                int       episode)
{
  if (env->has_best && !(reward > env->best_reward))
    return;
  env->has_best = TRUE;
  env->best_reward = reward;
  env->best_episode = episode;
  memcpy (env->best_kept, env->kept, sizeof (int) * env->n_steps);
}

gboolean
ss_amc_env_get_best (const SsAmcEnv *env,
                     int            *kept,
                     double         *reward,
                     int            *episode)
{
  g_return_val_if_fail (env != NULL && kept != NULL, FALSE);

  if (!env->has_best)
    return FALSE;
  memcpy (kept, env->best_kept, sizeof (int) * env->n_steps);
  if (reward != NULL)
    *reward = env->best_reward;
  if (episode != NULL)
    *episode = env->best_episode;
  return TRUE;
}

gboolean
ss_amc_search (SsAmcEnv            *env,
               const SsDdpgOptions *agent_options,
               int                  n_episodes,
               guint64              seed,
               SsAmcEpisodeFunc     func,
               gpointer             user_data,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr(SsDdpg) agent = NULL;
  SsDdpgOptions ao;
  float state[SS_AMC_STATE_DIM], next[SS_AMC_STATE_DIM];

  g_return_val_if_fail (env != NULL, FALSE);

  if (n_episodes < 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "an AMC search needs at least one episode, not %d", n_episodes);
      return FALSE;
    }
  g_return_val_if_fail (env->has_data, FALSE);
  if (agent_options != NULL)
    ao = *agent_options;
  else
    {
      ss_ddpg_options_init (&ao);
      ao.replay_size = 100 * env->n_steps;
    }
  if ((agent = ss_ddpg_new (SS_AMC_STATE_DIM, &ao, seed, error)) == NULL)
    return FALSE;

  for (int episode = 0; episode < n_episodes; episode++)
    {
      const gint64 start = g_get_monotonic_time ();
      SsAmcEpisode report = { 0 };

      ss_amc_env_reset (env, state);
      for (int t = 0; t < env->n_steps; t++)
        {
          /* AMC stores the agent's own action; the state's previous ratio is the one applied. */
          const double action = ss_ddpg_act (agent, state, episode, TRUE);

          if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
              !ss_amc_env_step (env, action, next, NULL, error) ||
              !ss_ddpg_episode_step (agent, state, action, next, error))
            return FALSE;
          memcpy (state, next, sizeof state);
        }
      if (!ss_amc_env_finish (env, &report.measure, NULL, cancellable, error) ||
          !ss_ddpg_episode_end (agent, report.measure.reward, episode, error))
        return FALSE;
      amc_offer_best (env, report.measure.reward, episode);

      report.episode = episode;
      report.n_episodes = n_episodes;
      report.warmup = episode <= ao.n_warmup;
      report.macs_kept = (double) report.measure.macs / (double) env->orig_macs;
      report.n_steps = env->n_steps;
      report.kept = env->kept;
      report.ratios = env->ratios;
      report.best_reward = env->best_reward;
      report.best_episode = env->best_episode;
      report.seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
      if (func != NULL)
        func (&report, user_data);
    }
  return TRUE;
}

void
ss_amc_episode_add_json (JsonBuilder        *b,
                         const SsAmcEpisode *episode)
{
  ss_json_add_int (b, "episode", episode->episode);
  ss_json_add_number (b, "reward", episode->measure.reward);
  ss_json_add_number (b, "macs_kept", episode->macs_kept);
  ss_json_add_number (b, "accuracy", episode->measure.accuracy);
  ss_json_add_number (b, "ame", episode->measure.ame);
  ss_json_add_doubles (b, "preserve_ratios", episode->ratios, episode->n_steps);
  ss_json_add_ints (b, "kept", episode->kept, episode->n_steps);
}
