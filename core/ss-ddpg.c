/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* DDPG as AMC's lib/agent.py and the training loop of amc_search.py; docs/ddpg.md walks
 * through it. Legend: S state width, B minibatch, X = S + 1 the critic's input [s | a],
 * T steps of the current episode (≤ replay_size). */

#include <math.h>
#include <string.h>

#include "ss-ddpg-private.h"
#include "ss-error.h"

void
ss_ddpg_options_init (SsDdpgOptions *options)
{
  g_return_if_fail (options != NULL);

  *options = (SsDdpgOptions) {
    .hidden1 = 300,
    .hidden2 = 300,
    .lr_actor = 1e-4,
    .lr_critic = 1e-3,
    .adam_beta1 = 0.9,
    .adam_beta2 = 0.999,
    .adam_eps = 1e-8,
    .replay_size = 2000,
    .batch_size = 64,
    .tau = 0.01,
    .discount = 1.0,
    .init_delta = 0.5,
    .delta_decay = 0.95,
    .lbound = 0.0,
    .rbound = 1.0,
    .n_warmup = 100,
    .moving_alpha = 0.5,
  };
}

/* Each check is written so that NaN fails it. */
static gboolean
check_options (const SsDdpgOptions *o,
               int                  state_dim,
               GError             **error)
{
  const char *bad = NULL;

  if (!(state_dim >= 1))
    bad = "state_dim must be ≥ 1";
  else if (!(o->hidden1 >= 1 && o->hidden2 >= 1))
    bad = "hidden1 and hidden2 must be ≥ 1";
  else if (!(o->lr_actor > 0 && o->lr_critic > 0 && isfinite (o->lr_actor)
             && isfinite (o->lr_critic)))
    bad = "lr_actor and lr_critic must be finite and > 0";
  else if (!(o->adam_beta1 >= 0 && o->adam_beta1 < 1 && o->adam_beta2 >= 0
             && o->adam_beta2 < 1))
    bad = "adam_beta1 and adam_beta2 must be in [0, 1)";
  else if (!(o->adam_eps > 0 && isfinite (o->adam_eps)))
    bad = "adam_eps must be finite and > 0";
  else if (!(o->replay_size >= 1))
    bad = "replay_size must be ≥ 1";
  else if (!(o->batch_size >= 1 && o->batch_size <= o->replay_size))
    bad = "batch_size must be in [1, replay_size]";
  else if (!(o->tau >= 0 && o->tau <= 1))
    bad = "tau (soft target update rate) must be in [0, 1]";
  else if (!(o->discount >= 0 && o->discount <= 1))
    bad = "discount must be in [0, 1]";
  else if (!(o->init_delta >= 0 && isfinite (o->init_delta)))
    bad = "init_delta must be finite and ≥ 0";
  else if (!(o->delta_decay > 0 && o->delta_decay <= 1))
    bad = "delta_decay must be in (0, 1]";
  else if (!(isfinite (o->lbound) && isfinite (o->rbound) && o->lbound < o->rbound))
    bad = "lbound and rbound must be finite with lbound < rbound";
  else if (!(o->n_warmup >= 0))
    bad = "n_warmup must be ≥ 0";
  else if (!(o->moving_alpha > 0 && o->moving_alpha <= 1))
    bad = "moving_alpha must be in (0, 1]";

  if (bad != NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Invalid DDPG options: %s (see ss_ddpg_options_init for the defaults)", bad);
      return FALSE;
    }
  return TRUE;
}

SsDdpg *
ss_ddpg_new (int                  state_dim,
             const SsDdpgOptions *options,
             guint64              seed,
             GError             **error)
{
  SsDdpgOptions defaults;
  SsDdpg *agent;
  gsize b, s, t;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (options == NULL)
    {
      ss_ddpg_options_init (&defaults);
      options = &defaults;
    }
  if (!check_options (options, state_dim, error))
    return NULL;

  agent = g_new0 (SsDdpg, 1);
  agent->opt = *options;
  agent->state_dim = state_dim;
  ss_rng_seed (&agent->rng, seed);

  {
    const int actor_dims[] = { state_dim, options->hidden1, options->hidden2, 1 };
    const int critic_dims[] = { state_dim + 1, options->hidden1, options->hidden2, 1 };
    const int max_batch = options->batch_size;

    agent->actor = ss_mlp_new (actor_dims, 3, 0, SS_MLP_OUTPUT_SIGMOID, max_batch, TRUE,
                               &agent->rng);
    agent->critic = ss_mlp_new (critic_dims, 3, 1, SS_MLP_OUTPUT_IDENTITY, max_batch, TRUE,
                                &agent->rng);
    /* AMC's hard_update: the targets start as exact copies. */
    agent->actor_target = ss_mlp_new_like (agent->actor);
    agent->critic_target = ss_mlp_new_like (agent->critic);
  }
  agent->replay = ss_ddpg_replay_new (options->replay_size, state_dim);

  b = (gsize) options->batch_size;
  s = (gsize) state_dim;
  agent->work = g_new0 (float, 2 * b * s + 2 * b * (s + 1) + 6 * b);
  agent->s = agent->work;
  agent->s2 = agent->s + b * s;
  agent->x = agent->s2 + b * s;
  agent->dx = agent->x + b * (s + 1);
  agent->a = agent->dx + b * (s + 1);
  agent->r = agent->a + b;
  agent->not_done = agent->r + b;
  agent->y = agent->not_done + b;
  agent->dq = agent->y + b;
  agent->dmu = agent->dq + b;

  t = (gsize) options->replay_size;
  agent->episode = g_new0 (float, 2 * t * s + t);
  agent->ep_s = agent->episode;
  agent->ep_s2 = agent->ep_s + t * s;
  agent->ep_a = agent->ep_s2 + t * s;
  return agent;
}

void
ss_ddpg_free (SsDdpg *agent)
{
  if (agent == NULL)
    return;
  ss_mlp_free (agent->actor);
  ss_mlp_free (agent->actor_target);
  ss_mlp_free (agent->critic);
  ss_mlp_free (agent->critic_target);
  ss_ddpg_replay_free (agent->replay);
  g_free (agent->work);
  g_free (agent->episode);
  g_free (agent);
}

/* ---- acting -------------------------------------------------------------------------------- */

/* A standard normal conditioned on [a, b], a < b, by the rejection sampler of Robert (1995)
 * that fits the interval, so the expected number of tries stays below about 5 however far
 * the interval lies in a tail. */
static double
std_truncated_normal (SsRng *rng,
                      double a,
                      double b)
{
  if (b <= 0)
    return -std_truncated_normal (rng, -b, -a);

  if (a < 0)
    {
      /* The interval holds 0: a wide one keeps most normal draws, a narrow one is best
       * proposed uniformly with acceptance exp(−z²/2) ≥ exp(−π). */
      if (b - a >= sqrt (2 * G_PI))
        for (;;)
          {
            const double z = ss_rng_normal (rng);
            if (z >= a && z <= b)
              return z;
          }
      for (;;)
        {
          const double z = a + (b - a) * ss_rng_uniform (rng);
          if (ss_rng_uniform (rng) <= exp (-z * z / 2))
            return z;
        }
    }

  /* 0 ≤ a < b: a tail. Robert's translated exponential proposal with the optimal rate α,
   * unless the interval is narrower than its scale 1/α, where a uniform proposal wins. */
  {
    const double alpha = (a + sqrt (a * a + 4)) / 2;

    if (b - a < 1 / alpha)
      for (;;)
        {
          const double z = a + (b - a) * ss_rng_uniform (rng);
          if (ss_rng_uniform (rng) <= exp ((a * a - z * z) / 2))
            return z;
        }
    for (;;)
      {
        /* 1 − u is in (0, 1], so the log is finite. */
        const double z = a - log (1 - ss_rng_uniform (rng)) / alpha;
        if (z <= b && ss_rng_uniform (rng) <= exp (-(z - alpha) * (z - alpha) / 2))
          return z;
      }
  }
}

double
ss_ddpg_truncated_normal (SsRng *rng,
                          double mu,
                          double sigma,
                          double lo,
                          double hi)
{
  g_return_val_if_fail (rng != NULL, mu);
  g_return_val_if_fail (sigma >= 0 && lo < hi, mu);

  if (sigma == 0)
    return CLAMP (mu, lo, hi);
  /* Rounding in mu + σ·z can step just outside. */
  return CLAMP (mu + sigma * std_truncated_normal (rng, (lo - mu) / sigma, (hi - mu) / sigma),
                lo, hi);
}

double
ss_ddpg_get_delta (const SsDdpg *agent,
                   int           episode)
{
  g_return_val_if_fail (agent != NULL, 0);
  return agent->opt.init_delta * pow (agent->opt.delta_decay, episode - agent->opt.n_warmup);
}

double
ss_ddpg_act (SsDdpg      *agent,
             const float *state,
             int          episode,
             gboolean     explore)
{
  /* state (S) */
  const SsDdpgOptions *o;
  double mu;

  g_return_val_if_fail (agent != NULL && state != NULL, 0);

  o = &agent->opt;
  if (explore && episode <= o->n_warmup)
    return o->lbound + (o->rbound - o->lbound) * ss_rng_uniform (&agent->rng);
  mu = ss_mlp_forward (agent->actor, state, 1)[0];
  if (explore)
    return ss_ddpg_truncated_normal (&agent->rng, mu, ss_ddpg_get_delta (agent, episode),
                                     o->lbound, o->rbound);
  return CLAMP (mu, o->lbound, o->rbound);
}

/* ---- learning ------------------------------------------------------------------------------ */

void
ss_ddpg_observe (SsDdpg      *agent,
                 const float *state,
                 double       action,
                 double       reward,
                 const float *next_state,
                 gboolean     terminal)
{
  /* state, next_state (S) */
  g_return_if_fail (agent != NULL && state != NULL && next_state != NULL);
  ss_ddpg_replay_push (agent->replay, state, (float) action, (float) reward, next_state,
                       terminal);
}

/* x (B, X) = [s | a] for s (B, S), a (B). */
static void
join_state_action (float       *x,
                   const float *s,
                   const float *a,
                   int          batch,
                   int          state_dim)
{
  for (int i = 0; i < batch; i++)
    {
      memcpy (x + (gsize) i * (state_dim + 1), s + (gsize) i * state_dim,
              (gsize) state_dim * sizeof (float));
      x[(gsize) i * (state_dim + 1) + state_dim] = a[i];
    }
}

/* One step of AMC's update_policy. */
static gboolean
update_once (SsDdpg  *agent,
             GError **error)
{
  const SsDdpgOptions *o = &agent->opt;
  const int nb = o->batch_size, ns = agent->state_dim;
  const float gamma = (float) o->discount;
  const float *mu, *q;    /* (B) */
  double mean = 0, loss = 0, value = 0;

  ss_ddpg_replay_sample (agent->replay, &agent->rng, nb, agent->s, agent->a, agent->r,
                         agent->s2, agent->not_done);

  /* The baseline follows minibatch means, so it tracks the rewards the policy now earns. */
  for (int i = 0; i < nb; i++)
    mean += agent->r[i];
  mean /= nb;
  agent->baseline = agent->has_baseline
                    ? agent->baseline + o->moving_alpha * (mean - agent->baseline) : mean;
  agent->has_baseline = TRUE;

  /* y = r − baseline + γ·(1 − terminal)·Q'(s', μ'(s')) */
  mu = ss_mlp_forward (agent->actor_target, agent->s2, nb);
  join_state_action (agent->x, agent->s2, mu, nb, ns);
  q = ss_mlp_forward (agent->critic_target, agent->x, nb);
  for (int i = 0; i < nb; i++)
    agent->y[i] = (float) (agent->r[i] - agent->baseline) + gamma * agent->not_done[i] * q[i];

  /* Critic: L = mean (Q(s, a) − y)², so ∂L/∂Q = 2(Q − y)/B. */
  join_state_action (agent->x, agent->s, agent->a, nb, ns);
  q = ss_mlp_forward (agent->critic, agent->x, nb);
  for (int i = 0; i < nb; i++)
    {
      const float d = q[i] - agent->y[i];
      loss += (double) d * d;
      agent->dq[i] = 2.f * d / (float) nb;
    }
  if (!isfinite (loss))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_DIVERGED,
                   "DDPG critic loss is not finite; lower lr_critic or scale the rewards");
      return FALSE;
    }
  ss_mlp_zero_grad (agent->critic);
  ss_mlp_backward (agent->critic, NULL, agent->dq, nb, TRUE);
  ss_mlp_adam_step (agent->critic, o->lr_critic, o->adam_beta1, o->adam_beta2, o->adam_eps);

  /* Actor: L = −mean Q(s, μ(s)) through the updated critic, whose own gradients are not
   * touched: ∂L/∂μ is the action column of ∂L/∂x. */
  mu = ss_mlp_forward (agent->actor, agent->s, nb);
  join_state_action (agent->x, agent->s, mu, nb, ns);
  q = ss_mlp_forward (agent->critic, agent->x, nb);
  for (int i = 0; i < nb; i++)
    {
      value += q[i];
      agent->dq[i] = -1.f / (float) nb;
    }
  if (!isfinite (value))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_DIVERGED,
                   "DDPG policy value is not finite; lower lr_actor or scale the rewards");
      return FALSE;
    }
  ss_mlp_backward (agent->critic, agent->dx, agent->dq, nb, FALSE);
  for (int i = 0; i < nb; i++)
    agent->dmu[i] = agent->dx[(gsize) i * (ns + 1) + ns];
  ss_mlp_zero_grad (agent->actor);
  ss_mlp_backward (agent->actor, NULL, agent->dmu, nb, TRUE);
  ss_mlp_adam_step (agent->actor, o->lr_actor, o->adam_beta1, o->adam_beta2, o->adam_eps);

  ss_mlp_soft_update (agent->actor_target, agent->actor, o->tau);
  ss_mlp_soft_update (agent->critic_target, agent->critic, o->tau);
  return TRUE;
}

gboolean
ss_ddpg_update (SsDdpg  *agent,
                int      n_steps,
                GError **error)
{
  g_return_val_if_fail (agent != NULL && n_steps >= 1, FALSE);
  g_return_val_if_fail (ss_ddpg_replay_get_count (agent->replay) > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (int k = 0; k < n_steps; k++)
    if (!update_once (agent, error))
      return FALSE;
  return TRUE;
}

gboolean
ss_ddpg_episode_step (SsDdpg      *agent,
                      const float *state,
                      double       action,
                      const float *next_state,
                      GError     **error)
{
  /* state, next_state (S) */
  gsize s, t;

  g_return_val_if_fail (agent != NULL && state != NULL && next_state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (agent->ep_len == agent->opt.replay_size)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "A DDPG episode is longer than the replay buffer (%d transitions); "
                   "raise replay_size", agent->opt.replay_size);
      return FALSE;
    }
  s = (gsize) agent->state_dim;
  t = (gsize) agent->ep_len++;
  memcpy (agent->ep_s + t * s, state, s * sizeof (float));
  memcpy (agent->ep_s2 + t * s, next_state, s * sizeof (float));
  agent->ep_a[t] = (float) action;
  return TRUE;
}

gboolean
ss_ddpg_episode_end (SsDdpg  *agent,
                     double   final_reward,
                     int      episode,
                     GError **error)
{
  gsize s;
  int n;

  g_return_val_if_fail (agent != NULL && agent->ep_len > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  s = (gsize) agent->state_dim;
  n = agent->ep_len;
  /* AMC stores each step with the episode's final reward and, past the warm-up, updates once
   * after each store, so a longer episode trains for more steps. */
  agent->ep_len = 0;
  for (int t = 0; t < n; t++)
    {
      ss_ddpg_replay_push (agent->replay, agent->ep_s + t * s, agent->ep_a[t],
                           (float) final_reward, agent->ep_s2 + t * s, t == n - 1);
      if (episode > agent->opt.n_warmup && !update_once (agent, error))
        return FALSE;
    }
  return TRUE;
}

int
ss_ddpg_get_replay_count (const SsDdpg *agent)
{
  g_return_val_if_fail (agent != NULL, 0);
  return ss_ddpg_replay_get_count (agent->replay);
}

double
ss_ddpg_get_reward_baseline (const SsDdpg *agent)
{
  g_return_val_if_fail (agent != NULL, 0);
  return agent->baseline;
}
