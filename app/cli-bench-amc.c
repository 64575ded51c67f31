/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ss-amc.h"

/* bench --amc: AMC search episodes per minute on a model (default the shipped fmnist-vgg) with
 * the accuracy reward (the 5,000-image held-out split) and the entropy reward (100 calibration
 * images), at 50 % of the MACs, and their ratio. Episode 0 acts at random and the agent learns
 * from episode 1 on, as after AMC's warm-up, so an episode's time includes the agent's updates.
 * The one-off recording of calibration features is timed apart. */

typedef struct {
  double setup;     /* s: ss_amc_env_set_data */
  double search;    /* s: all episodes */
  double reward;    /* mean reward */
} RewardBench;

static void
on_episode (const SsAmcEpisode *e,
            gpointer            user_data)
{
  RewardBench *rb = user_data;
  rb->reward += e->measure.reward / e->n_episodes;
  fprintf (stderr, "  episode %d/%d: reward %.4f, MACs kept %.2f%%, %.2f s\n", e->episode + 1,
           e->n_episodes, e->measure.reward, 100 * e->macs_kept, e->seconds);
}

static gboolean
bench_reward (SsNet           *net,
              SsAmcReward      reward,
              const SsDataset *rest,
              const SsDataset *val,
              int              episodes,
              RewardBench     *rb,
              GError         **error)
{
  g_autoptr(SsAmcEnv) env = NULL;
  SsAmcOptions opt;
  SsDdpgOptions agent;
  gint64 t0;

  ss_amc_options_init (&opt);
  opt.reward = reward;
  if ((env = ss_amc_env_new (net, &opt, error)) == NULL)
    return FALSE;
  t0 = g_get_monotonic_time ();
  if (!ss_amc_env_set_data (env, rest, val, NULL, error))
    return FALSE;
  rb->setup = cli_seconds_since (t0);
  ss_ddpg_options_init (&agent);
  agent.replay_size = 100 * ss_amc_env_get_n_steps (env);
  agent.n_warmup = 0;
  fprintf (stderr, "%s reward (features recorded in %.1f s):\n", ss_amc_reward_name (reward),
           rb->setup);
  t0 = g_get_monotonic_time ();
  if (!ss_amc_search (env, &agent, episodes, 1, on_episode, rb, NULL, error))
    return FALSE;
  rb->search = cli_seconds_since (t0);
  return TRUE;
}

int
cli_bench_amc (CliOptions *opts,
               int         episodes)
{
  const SsAmcReward rewards[2] = { SS_AMC_REWARD_ACCURACY, SS_AMC_REWARD_ENTROPY };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsDataset) train = NULL, rest = NULL, val = NULL;
  RewardBench rb[2] = { 0 };
  double per_min[2];

  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL ||
      (train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL ||
      !ss_amc_split_dataset (train, 5000, 1, &rest, &val, &error))
    return cli_fail (error);
  for (int r = 0; r < 2; r++)
    {
      if (!bench_reward (net, rewards[r], rest, val, episodes, &rb[r], &error))
        return cli_fail (error);
      per_min[r] = 60.0 * episodes / rb[r].search;
    }

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (net)));
      ss_json_add_int (b, "threads", ss_net_get_n_threads (net));
      ss_json_add_int (b, "episodes", episodes);
      for (int r = 0; r < 2; r++)
        {
          json_builder_set_member_name (b, ss_amc_reward_name (rewards[r]));
          json_builder_begin_object (b);
          ss_json_add_number (b, "episodes_per_minute", per_min[r]);
          ss_json_add_number (b, "seconds_per_episode", rb[r].search / episodes);
          ss_json_add_number (b, "setup_seconds", rb[r].setup);
          ss_json_add_number (b, "mean_reward", rb[r].reward);
          json_builder_end_object (b);
        }
      ss_json_add_number (b, "entropy_over_accuracy", per_min[1] / per_min[0]);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }
  printf ("AMC search on %s at 50%% of the MACs, %d episodes per reward, %d threads\n",
          ss_arch_get_name (ss_net_get_arch (net)), episodes, ss_net_get_n_threads (net));
  printf ("%-34s %12s %12s %14s\n", "reward", "episodes/min", "s/episode", "setup (s)");
  printf ("%-34s %12.1f %12.2f %14.1f\n", "accuracy (5,000 held-out images)", per_min[0],
          rb[0].search / episodes, rb[0].setup);
  printf ("%-34s %12.1f %12.2f %14.1f\n", "entropy (100 calibration images)", per_min[1],
          rb[1].search / episodes, rb[1].setup);
  printf ("entropy / accuracy: %.2f× the episodes per minute\n", per_min[1] / per_min[0]);
  return 0;
}
