/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The DDPG agent of AMC (He et al. 2018; mit-han-lab/amc lib/agent.py, amc_search.py) for one
 * continuous action in [lbound, rbound]: an actor s → H1 → H2 → 1 (ReLU, sigmoid output), a
 * critic (s, a) → H1 → H2 → 1 whose first layer is fc11(s) + fc12(a), target copies of both,
 * Adam, a replay buffer, truncated-normal exploration noise decaying per episode, random
 * warm-up episodes and a moving-average reward baseline. docs/ddpg.md gives the algorithm
 * step by step and the source of every default.
 *
 * Legend: S state width, B minibatch.
 *
 * All randomness (initialisation, warm-up actions, noise, minibatch sampling) comes from one
 * SsRng the agent seeds and owns, so the same seed and the same calls give bit-identical
 * actions. */

#include <glib.h>

#include "ss-rng.h"

G_BEGIN_DECLS

typedef struct {
  int    hidden1;       /* 300: width of both networks' first hidden layer (--hidden1) */
  int    hidden2;       /* 300: width of the second hidden layer (--hidden2) */
  double lr_actor;      /* 1e-4: Adam learning rate of the actor (--lr_a) */
  double lr_critic;     /* 1e-3: Adam learning rate of the critic (--lr_c) */
  double adam_beta1;    /* 0.9: torch.optim.Adam's default, which AMC keeps */
  double adam_beta2;    /* 0.999: likewise */
  double adam_eps;      /* 1e-8: likewise */
  int    replay_size;   /* 2000: transitions kept; AMC uses 100 per prunable layer (--rmsize),
                         * so an environment may set 100·L */
  int    batch_size;    /* 64: minibatch (--bsize); ≤ replay_size */
  double tau;           /* 0.01: soft target update θ' ← (1 − τ)·θ' + τ·θ (--tau), in [0, 1] */
  double discount;      /* 1.0: γ (--discount); AMC's reward is episodic, in [0, 1] */
  double init_delta;    /* 0.5: σ of the exploration noise at episode n_warmup (--init_delta) */
  double delta_decay;   /* 0.95: σ = init_delta·delta_decay^(episode − n_warmup)
                         * (--delta_decay), in (0, 1] */
  double lbound;        /* 0.0: lowest action; AMC's agent hard-codes 0 and 1 and leaves the */
  double rbound;        /* 1.0: preserve-ratio bounds (0.2, 1) to the environment's clipping */
  int    n_warmup;      /* 100: episodes 0 … n_warmup act uniformly at random and do not
                         * train (--warmup, with AMC's `episode <= warmup`) */
  double moving_alpha;  /* 0.5: rate of the moving average of minibatch mean rewards that is
                         * subtracted from the rewards before each update; in (0, 1] */
} SsDdpgOptions;

/* Fills options with the defaults above. */
void ss_ddpg_options_init (SsDdpgOptions *options);

typedef struct _SsDdpg SsDdpg;

/* options NULL means the defaults. Fails with SS_ERROR_ARGUMENT, naming the option, when
 * state_dim < 1 or an option is out of its range. Returns: (transfer full) or NULL. */
SsDdpg *ss_ddpg_new  (int state_dim, const SsDdpgOptions *options, guint64 seed, GError **error);
void    ss_ddpg_free (SsDdpg *agent);

/* The action for state (S) in episode (0-based), as AMC's training loop picks it. explore and
 * episode ≤ n_warmup: uniform in [lbound, rbound). explore after the warm-up: the actor's
 * output μ(s) perturbed by normal noise of σ = ss_ddpg_get_delta (episode) truncated to
 * [lbound, rbound]. Not exploring: μ(s), the policy as learned (clamped to the bounds). */
double ss_ddpg_act       (SsDdpg *agent, const float *state, int episode, gboolean explore);
/* σ of the exploration noise in episode. */
double ss_ddpg_get_delta (const SsDdpg *agent, int episode);

/* Stores one transition: state, next_state (S). */
void     ss_ddpg_observe (SsDdpg *agent, const float *state, double action, double reward,
                          const float *next_state, gboolean terminal);
/* n_steps ≥ 1 gradient steps, each on a fresh minibatch: the critic to the target
 * r − baseline + γ·(1 − terminal)·Q'(s', μ'(s')) by MSE, then the actor along ∇_a Q(s, μ(s)),
 * then both targets softly. The buffer must not be empty. Fails with SS_ERROR_DIVERGED when
 * a loss stops being finite. */
gboolean ss_ddpg_update  (SsDdpg *agent, int n_steps, GError **error);

/* AMC's episode protocol, for environments whose reward comes at the end of an episode:
 * record each step's (state, action, next_state) with ss_ddpg_episode_step; then
 * ss_ddpg_episode_end stores every step with final_reward, the last as terminal, and after
 * each one, once episode > n_warmup, runs one update. An episode longer than replay_size
 * fails with SS_ERROR_ARGUMENT. episode_end fails as ss_ddpg_update. */
gboolean ss_ddpg_episode_step (SsDdpg *agent, const float *state, double action,
                               const float *next_state, GError **error);
gboolean ss_ddpg_episode_end  (SsDdpg *agent, double final_reward, int episode, GError **error);

/* Transitions in the replay buffer. */
int    ss_ddpg_get_replay_count    (const SsDdpg *agent);
/* The moving-average reward baseline, 0 before the first update. */
double ss_ddpg_get_reward_baseline (const SsDdpg *agent);

/* A draw from the normal distribution N(mu, sigma²) conditioned on [lo, hi], exact (Robert
 * 1995's rejection samplers, the same law as scipy.stats.truncnorm, which AMC calls).
 * lo < hi; sigma = 0 gives mu clamped to [lo, hi]. */
double ss_ddpg_truncated_normal (SsRng *rng, double mu, double sigma, double lo, double hi);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsDdpg, ss_ddpg_free)

G_END_DECLS
