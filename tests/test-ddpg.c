/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The DDPG agent (core/ss-ddpg.h): options, acting, the reward baseline, AMC's episode
 * protocol, convergence on toy problems with a known optimal action, and reproducibility.
 * Its parts (MLP, Adam, replay, truncated normal) are tested in test-ddpg-parts.c.
 *
 * Legend: S state width, L steps per episode. */

#include <math.h>
#include <string.h>

#include "ss-ddpg.h"
#include "ss-error.h"
#include "ss-rng.h"

/* ---- options ------------------------------------------------------------------------------- */

static void
test_options (void)
{
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;

  g_test_summary ("The defaults are AMC's, and NULL options mean them: the noise scale is "
                  "0.5 at episode 100 and decays by 0.95 per episode.");

  ss_ddpg_options_init (&o);
  g_assert_cmpint (o.hidden1, ==, 300);
  g_assert_cmpint (o.hidden2, ==, 300);
  g_assert_cmpfloat (o.lr_actor, ==, 1e-4);
  g_assert_cmpfloat (o.lr_critic, ==, 1e-3);
  g_assert_cmpfloat (o.adam_beta1, ==, 0.9);
  g_assert_cmpfloat (o.adam_beta2, ==, 0.999);
  g_assert_cmpfloat (o.adam_eps, ==, 1e-8);
  g_assert_cmpint (o.replay_size, ==, 2000);
  g_assert_cmpint (o.batch_size, ==, 64);
  g_assert_cmpfloat (o.tau, ==, 0.01);
  g_assert_cmpfloat (o.discount, ==, 1.0);
  g_assert_cmpfloat (o.init_delta, ==, 0.5);
  g_assert_cmpfloat (o.delta_decay, ==, 0.95);
  g_assert_cmpfloat (o.lbound, ==, 0.0);
  g_assert_cmpfloat (o.rbound, ==, 1.0);
  g_assert_cmpint (o.n_warmup, ==, 100);
  g_assert_cmpfloat (o.moving_alpha, ==, 0.5);

  agent = ss_ddpg_new (11, NULL, 1, NULL);
  g_assert_cmpfloat_with_epsilon (ss_ddpg_get_delta (agent, 100), 0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (ss_ddpg_get_delta (agent, 110), 0.5 * pow (0.95, 10), 1e-15);
}

typedef enum {
  BAD_TAU, BAD_BATCH, BAD_HIDDEN, BAD_LR, BAD_BATCH_ABOVE_REPLAY, BAD_BOUNDS, BAD_DECAY,
  BAD_STATE_DIM,
} BadKind;

static const struct {
  const char *name;
  BadKind     kind;
} bad_cases[] = {
  { "tau-negative", BAD_TAU },
  { "batch-zero", BAD_BATCH },
  { "hidden-zero", BAD_HIDDEN },
  { "lr-nan", BAD_LR },
  { "batch-above-replay", BAD_BATCH_ABOVE_REPLAY },
  { "bounds-empty", BAD_BOUNDS },
  { "decay-zero", BAD_DECAY },
  { "state-dim-zero", BAD_STATE_DIM },
};

static void
test_bad_option (gconstpointer data)
{
  const BadKind kind = *(const BadKind *) data;
  SsDdpgOptions o;
  int state_dim = 4;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDdpg) agent = NULL;

  g_test_summary ("An invalid option or state width gives NULL and SS_ERROR_ARGUMENT.");

  ss_ddpg_options_init (&o);
  switch (kind)
    {
    case BAD_TAU: o.tau = -0.1; break;
    case BAD_BATCH: o.batch_size = 0; break;
    case BAD_HIDDEN: o.hidden2 = 0; break;
    case BAD_LR: o.lr_critic = NAN; break;
    case BAD_BATCH_ABOVE_REPLAY: o.batch_size = o.replay_size + 1; break;
    case BAD_BOUNDS: o.lbound = o.rbound = 1; break;
    case BAD_DECAY: o.delta_decay = 0; break;
    case BAD_STATE_DIM: state_dim = 0; break;
    }
  agent = ss_ddpg_new (state_dim, &o, 1, &error);
  g_assert_null (agent);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
}

/* ---- acting and learning ------------------------------------------------------------------- */

static void
test_act (void)
{
  const float state[2] = { 0.3f, 0.7f };
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  double sum = 0, sum_sq = 0, greedy, late_dev = 0, early_sq = 0;
  const int n = 2000;

  g_test_summary ("Warm-up actions are uniform in [lbound, rbound); later ones are the "
                  "greedy action plus truncated noise whose spread decays per episode.");

  ss_ddpg_options_init (&o);
  o.hidden1 = o.hidden2 = 16;
  o.n_warmup = 3;
  o.lbound = 0.2;
  o.rbound = 0.9;
  agent = ss_ddpg_new (2, &o, 7, NULL);

  for (int i = 0; i < n; i++)
    {
      const double a = ss_ddpg_act (agent, state, i % 4, TRUE);
      g_assert_cmpfloat (a, >=, 0.2);
      g_assert_cmpfloat (a, <, 0.9);
      sum += a;
      sum_sq += (a - 0.55) * (a - 0.55);
    }
  /* Uniform on [0.2, 0.9): mean 0.55, variance 0.49/12 ≈ 0.0408 whose estimate has
   * sd √(0.7⁴/180/n) ≈ 0.0008. */
  g_assert_cmpfloat (fabs (sum / n - 0.55), <, 5 * 0.202 / sqrt (n));
  g_assert_cmpfloat (fabs (sum_sq / n - 0.49 / 12), <, 5 * 0.0008);

  greedy = ss_ddpg_act (agent, state, 4, FALSE);
  g_assert_cmpfloat (greedy, ==, ss_ddpg_act (agent, state, 1000, FALSE));
  g_assert_cmpfloat (greedy, >=, 0.2);
  g_assert_cmpfloat (greedy, <=, 0.9);
  for (int i = 0; i < n; i++)
    {
      const double early = ss_ddpg_act (agent, state, 4, TRUE);
      const double late = ss_ddpg_act (agent, state, 3 + 300, TRUE);
      g_assert_cmpfloat (early, >=, 0.2);
      g_assert_cmpfloat (early, <=, 0.9);
      early_sq += (early - greedy) * (early - greedy);
      late_dev = MAX (late_dev, fabs (late - greedy));
    }
  /* σ = 0.475 truncated to a 0.7-wide interval leaves an rms spread above 0.15; after 300
   * episodes σ = 0.5·0.95³⁰⁰ ≈ 1e-7. */
  g_assert_cmpfloat (sqrt (early_sq / n), >, 0.15);
  g_assert_cmpfloat (late_dev, <, 1e-5);
}

static void
test_baseline (void)
{
  const float s[2] = { 0.1f, 0.2f };
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("The reward baseline starts at the first minibatch's mean reward and then "
                  "moves by moving_alpha towards each minibatch's mean.");

  ss_ddpg_options_init (&o);
  o.hidden1 = o.hidden2 = 8;
  o.replay_size = 4;
  o.batch_size = 4;
  agent = ss_ddpg_new (2, &o, 1, NULL);
  g_assert_cmpfloat (ss_ddpg_get_reward_baseline (agent), ==, 0);

  for (int i = 0; i < 4; i++)
    ss_ddpg_observe (agent, s, 0.5, 5.0, s, TRUE);
  g_assert_true (ss_ddpg_update (agent, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (ss_ddpg_get_reward_baseline (agent), ==, 5.0);

  for (int i = 0; i < 4; i++)
    ss_ddpg_observe (agent, s, 0.5, 7.0, s, TRUE);
  g_assert_cmpint (ss_ddpg_get_replay_count (agent), ==, 4);
  g_assert_true (ss_ddpg_update (agent, 2, &error));
  /* 5 → 6 → 6.5 */
  g_assert_cmpfloat (ss_ddpg_get_reward_baseline (agent), ==, 6.5);
}

static void
test_episode_protocol (void)
{
  const float s[3][2] = { { 0, 0 }, { 0.5f, 0.3f }, { 1, 0.6f } };
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("AMC's protocol: no training during the warm-up; afterwards every step of "
                  "an episode is stored with the final reward and trains once; an episode "
                  "longer than the replay buffer fails.");

  ss_ddpg_options_init (&o);
  o.hidden1 = o.hidden2 = 8;
  o.replay_size = 6;
  o.batch_size = 2;
  o.n_warmup = 0;
  agent = ss_ddpg_new (2, &o, 1, NULL);

  /* Episode 0 is the warm-up: stored, not trained on. */
  for (int t = 0; t < 2; t++)
    g_assert_true (ss_ddpg_episode_step (agent, s[t], 0.4, s[t + 1], &error));
  g_assert_true (ss_ddpg_episode_end (agent, 3.0, 0, &error));
  g_assert_cmpint (ss_ddpg_get_replay_count (agent), ==, 2);
  g_assert_cmpfloat (ss_ddpg_get_reward_baseline (agent), ==, 0);

  /* Episode 1 trains: every stored reward is 3.0, so the baseline becomes exactly 3. */
  for (int t = 0; t < 2; t++)
    g_assert_true (ss_ddpg_episode_step (agent, s[t], 0.6, s[t + 1], &error));
  g_assert_true (ss_ddpg_episode_end (agent, 3.0, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ss_ddpg_get_replay_count (agent), ==, 4);
  g_assert_cmpfloat (ss_ddpg_get_reward_baseline (agent), ==, 3.0);

  for (int t = 0; t < 6; t++)
    g_assert_true (ss_ddpg_episode_step (agent, s[0], 0.5, s[1], &error));
  g_assert_false (ss_ddpg_episode_step (agent, s[0], 0.5, s[1], &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
}

/* ---- toy problems -------------------------------------------------------------------------- */

/* One-step episodes: s uniform in [0, 1]³, optimal action a*(s) = 0.2 + 0.3·s₀ + 0.3·s₁²,
 * reward −(a − a*(s))². */
#define ONE_S 3

/* Both toys train a smaller, faster-learning agent than AMC's, so that they converge in
 * about a second: 64-wide hidden layers, actor learning rate 1e-3, batch 32, 50 warm-up
 * episodes and noise decaying by 0.995 per episode. Over 16 other seeds the final errors
 * stayed below 0.034 (one-step) and 0.033 (multi-step) against the 0.05 required. */
#define TOY_EPISODES 600

static double
one_target (const float *s)
{
  return 0.2 + 0.3 * s[0] + 0.3 * s[1] * s[1];
}

/* Trains agent for n episodes, writing each episode's reward to rewards (n) if not NULL.
 * Returns the greedy policy's mean |μ(s) − a*(s)| over 200 fresh states. */
static double
run_one_step (SsDdpg  *agent,
              int      n,
              guint64  env_seed,
              double  *rewards)
{
  g_autoptr (GError) error = NULL;
  SsRng env;
  double err = 0;
  float s[ONE_S];

  ss_rng_seed (&env, env_seed);
  for (int ep = 0; ep < n; ep++)
    {
      double a, r;
      for (int k = 0; k < ONE_S; k++)
        s[k] = (float) ss_rng_uniform (&env);
      a = ss_ddpg_act (agent, s, ep, TRUE);
      r = -(a - one_target (s)) * (a - one_target (s));
      g_assert_true (ss_ddpg_episode_step (agent, s, a, s, &error));
      g_assert_true (ss_ddpg_episode_end (agent, r, ep, &error));
      g_assert_no_error (error);
      if (rewards != NULL)
        rewards[ep] = r;
    }
  for (int i = 0; i < 200; i++)
    {
      for (int k = 0; k < ONE_S; k++)
        s[k] = (float) ss_rng_uniform (&env);
      err += fabs (ss_ddpg_act (agent, s, n, FALSE) - one_target (s));
    }
  return err / 200;
}

static void
toy_options (SsDdpgOptions *o)
{
  ss_ddpg_options_init (o);
  o->hidden1 = o->hidden2 = 64;
  o->lr_actor = 1e-3;
  o->batch_size = 32;
  o->replay_size = 500;
  o->n_warmup = 50;
  o->delta_decay = 0.995;
}

static void
test_toy_one_step (void)
{
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  double err_before, err;

  g_test_summary ("On one-step episodes with a known optimal action a*(s), the greedy "
                  "policy ends within 0.05 of a*(s) on average, where the best constant "
                  "action is 0.10 off.");

  toy_options (&o);
  agent = ss_ddpg_new (ONE_S, &o, 3, NULL);
  err_before = run_one_step (agent, 0, 1, NULL);
  err = run_one_step (agent, TOY_EPISODES, 2, NULL);
  g_test_message ("mean |μ(s) − a*(s)|: %.4f before, %.4f after %d episodes", err_before, err,
                  TOY_EPISODES);
  g_assert_cmpfloat (err_before, >, 0.05);
  g_assert_cmpfloat (err, <, 0.05);
}

/* AMC-like episodes of L steps (one per layer): state (t/(L−1), previous action), reward only
 * at the end, −Σ_t |a_t − c_t|, so each step has its own optimal action c_t. The absolute
 * value keeps each step's share of the reward sloped near its optimum, where a square would
 * drown it in the other steps' exploration noise. */
#define MS_L 4
static const double ms_c[MS_L] = { 0.3, 0.8, 0.5, 0.65 };

/* Plays one episode; trains when explore. Returns max_t |a_t − c_t|. */
static double
play_multi_step (SsDdpg  *agent,
                 int      episode,
                 gboolean explore)
{
  g_autoptr (GError) error = NULL;
  float s[2] = { 0, 0 }, s2[2];
  double dist = 0, worst = 0;

  for (int t = 0; t < MS_L; t++)
    {
      const double a = ss_ddpg_act (agent, s, episode, explore);
      dist += fabs (a - ms_c[t]);
      worst = MAX (worst, fabs (a - ms_c[t]));
      s2[0] = (float) (t + 1) / (MS_L - 1);
      s2[1] = (float) a;
      if (explore)
        g_assert_true (ss_ddpg_episode_step (agent, s, a, s2, &error));
      memcpy (s, s2, sizeof s);
    }
  if (explore)
    g_assert_true (ss_ddpg_episode_end (agent, -dist, episode, &error));
  g_assert_no_error (error);
  return worst;
}

static void
test_toy_multi_step (void)
{
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  double worst;

  g_test_summary ("On AMC-like multi-step episodes rewarded only at the end (discount 1), "
                  "the greedy policy ends within 0.05 of each step's optimal action.");

  toy_options (&o);
  agent = ss_ddpg_new (2, &o, 5, NULL);
  for (int ep = 0; ep < TOY_EPISODES; ep++)
    play_multi_step (agent, ep, TRUE);
  worst = play_multi_step (agent, TOY_EPISODES, FALSE);
  g_test_message ("worst |a_t − c_t| after %d episodes: %.4f", TOY_EPISODES, worst);
  g_assert_cmpfloat (worst, <, 0.05);
}

static void
test_reproducible (void)
{
  enum { N = 40 };
  SsDdpgOptions o;
  double r1[N], r2[N], r3[N], err[3];

  g_test_summary ("With AMC's network sizes and learning rates, the same seed gives "
                  "bit-identical episode rewards; another seed other rewards.");

  ss_ddpg_options_init (&o);
  o.n_warmup = 10;
  for (int run = 0; run < 3; run++)
    {
      g_autoptr (SsDdpg) agent = ss_ddpg_new (ONE_S, &o, run < 2 ? 42 : 43, NULL);
      err[run] = run_one_step (agent, N, 1, run == 0 ? r1 : run == 1 ? r2 : r3);
    }
  /* Past the warm-up the rewards depend on every update; the final greedy policy too. */
  g_assert_cmpmem (r1, sizeof r1, r2, sizeof r2);
  g_assert_cmpfloat (err[0], ==, err[1]);
  g_assert_cmpint (memcmp (r1, r3, sizeof r1), !=, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ddpg/options/defaults", test_options);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ddpg/options/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, &bad_cases[i].kind, test_bad_option);
    }
  g_test_add_func ("/ddpg/act", test_act);
  g_test_add_func ("/ddpg/baseline", test_baseline);
  g_test_add_func ("/ddpg/episode", test_episode_protocol);
  g_test_add_func ("/ddpg/toy/one-step", test_toy_one_step);
  g_test_add_func ("/ddpg/toy/multi-step", test_toy_multi_step);
  g_test_add_func ("/ddpg/reproducible", test_reproducible);
  return g_test_run ();
}
