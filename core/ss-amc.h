/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* AMC's channel-pruning environment (He et al. 2018; mit-han-lab/amc
 * env/channel_pruning_env.py) with the thesis's entropy rewards (§3.1, SPEC §7), and the
 * search that drives it with the DDPG agent of ss-ddpg.h. docs/amc.md describes every step and
 * the AMC source of every default.
 *
 * An episode walks the prunable channel groups of ss-prune.h in node order, one step per group:
 * a tied group (a ResNet stage joined by identity shortcuts) is one step, so the agent acts
 * once for all its producers. At each step the agent's action becomes a preserve ratio: clipped
 * to [lbound, rbound], turned into a channel count (rounded to channel_round), and lowered to
 * what the MACs budget still allows with every later group at its lower bound (AMC's
 * _action_wall, computed on exact channel counts), so every episode meets the target. The
 * group keeps its filters of largest L1 norm (summed over the producers of a tied group), and
 * every consumer of the group (all of them, also in a tied group) is refitted by least squares
 * (ss-lsq.h) on features recorded once from the original network, on calibration images. At the
 * end the network is pruned physically (ss_prune_plan_apply) and rewarded.
 *
 * The environment works on its own copy of the network: the caller's model is only read.
 * Counting follows SPEC §8 (MACs of conv and linear layers).
 *
 * Legend: L steps (prunable groups), S = SS_AMC_STATE_DIM. */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ss-dataset.h"
#include "ss-ddpg.h"
#include "ss-net.h"
#include "ss-prune.h"

G_BEGIN_DECLS

typedef enum {
  SS_AMC_REWARD_ACCURACY,     /* top-1 accuracy on the held-out split, in [0, 1] (AMC's
                               * acc_reward: 0.01 × accuracy in percent) */
  SS_AMC_REWARD_ENTROPY,      /* 1 − mean AME of the conv layers' outputs (thesis §3.1) */
  SS_AMC_REWARD_ENTROPY_MAX,  /* the mean AME itself: Table 3.2's maximisation control */
} SsAmcReward;

/* "accuracy", "entropy", "entropy-max". */
const char *ss_amc_reward_name  (SsAmcReward reward);
/* FALSE for an unknown name. */
gboolean    ss_amc_reward_parse (const char *name, SsAmcReward *reward);

/* State features: step index, out channels, in channels, input h, input w, stride, kernel,
 * layer MACs (these eight min-max scaled over the steps, 0 where all steps agree), MACs reduced
 * so far, MACs of the later steps (both over the original total), previous preserve ratio. */
#define SS_AMC_STATE_DIM 11

typedef struct {
  double      keep_macs;      /* 0.5: share of the original MACs the pruned net may keep, in
                               * (0, 1] (--preserve_ratio) */
  double      lbound;         /* 0.2: lowest preserve ratio of a step, in [0, 1] (--lbound) */
  double      rbound;         /* 1.0: highest, in [lbound, 1], > 0 (--rbound) */
  int         channel_round;  /* 1: kept channels are a multiple of this, or all of them.
                               * AMC's --channel_round is 8, for MobileNet's 32–1024 channels;
                               * on resnet20's 16-channel groups 8 leaves 10 % of the MACs out
                               * of reach (13.4 % at lbound), so 1 here */
  SsAmcReward reward;         /* accuracy (--reward acc_reward) */
  int         n_calibration;  /* 3000 images whose features the refit uses
                               * (--n_calibration_batches 60 × --data_bsize 50) */
  int         n_points;       /* 10 output positions sampled per image for a conv
                               * (--n_points_per_layer) */
  int         n_entropy;      /* 100 calibration images for the entropy rewards (thesis) */
  int         bins;           /* 256: AME bins of the entropy rewards (thesis; SPEC §1) */
  double      ridge;          /* 1e-6: relative ridge of the refit (ss_lsq_solve) */
  gboolean    refit;          /* TRUE: refit the consumers; FALSE only drops channels */
  int         eval_batch;     /* 256: batch of the accuracy reward */
  guint64     seed;           /* 1: the calibration images and positions */
} SsAmcOptions;

void     ss_amc_options_init  (SsAmcOptions *options);
/* SS_ERROR_ARGUMENT naming the option that is out of range. */
gboolean ss_amc_options_check (const SsAmcOptions *options, GError **error);

/* The training set split into a held-out part of n_val images drawn at random (seeded, the
 * split AMC rewards accuracy on: 5,000 for CIFAR) and the rest, in their original order.
 * SS_ERROR_ARGUMENT unless 1 ≤ n_val < the set's size. Both (transfer full). */
gboolean ss_amc_split_dataset (const SsDataset *train, int n_val, guint64 seed,
                               SsDataset **rest, SsDataset **val, GError **error);

typedef struct _SsAmcEnv SsAmcEnv;

/* An environment for net's architecture and weights (copied; net is only read). Counting,
 * clipping and the channel choice work at once; the refit and the rewards need
 * ss_amc_env_set_data. SS_ERROR_ARGUMENT for bad options, when nothing in the network can be
 * pruned (the message says why for each group), or when keep_macs cannot be met even with
 * every group at its lower bound. Returns: (transfer full) or NULL. */
SsAmcEnv *ss_amc_env_new      (SsNet *net, const SsAmcOptions *options, GError **error);
void      ss_amc_env_free     (SsAmcEnv *env);

/* Records the refit features of n_calibration images drawn (seeded) from calibration, keeps the
 * first n_entropy of them for the entropy rewards, and val for the accuracy reward (borrowed:
 * it must outlive the environment; may be NULL for the entropy rewards). Forward passes of the
 * original network; G and P of ss-lsq.h per consumer, (D + 1)² doubles each (D: a conv's
 * C·K·K, a linear layer's inputs), and one solver workspace as large as the largest (about
 * 160 MB in all for fmnist-vgg, most of it for fc1). Once per environment. Fails on
 * cancellation, with SS_ERROR_SHAPE if the data do not fit, SS_ERROR_ARGUMENT if the reward
 * needs val and it is NULL or the entropy rewards have no conv output larger than 1×1. */
gboolean  ss_amc_env_set_data (SsAmcEnv *env, const SsDataset *calibration,
                               const SsDataset *val, GCancellable *cancellable,
                               GError **error);

int          ss_amc_env_get_n_steps        (const SsAmcEnv *env);
/* A step's group: its first producer's name (transfer none) and its original channels. */
const char  *ss_amc_env_get_step_layer     (const SsAmcEnv *env, int step);
int          ss_amc_env_get_step_channels  (const SsAmcEnv *env, int step);
/* The fewest channels a step may keep (lbound and channel_round). */
int          ss_amc_env_get_step_min_kept  (const SsAmcEnv *env, int step);
const SsAmcOptions *ss_amc_env_get_options (const SsAmcEnv *env);
gint64       ss_amc_env_get_original_macs  (const SsAmcEnv *env);
/* MACs of the network with the channels decided so far in this episode (later steps whole). */
gint64       ss_amc_env_get_macs           (const SsAmcEnv *env);

/* Starts an episode: the network's weights restored, nothing pruned. state (S) receives the
 * first step's features. */
void      ss_amc_env_reset     (SsAmcEnv *env, float *state);
/* The current step (0 … L; L once the episode's steps are done). */
int       ss_amc_env_get_step  (const SsAmcEnv *env);
/* Acts on the current step with the agent's action (finite; values outside [lbound, rbound] are
 * clipped), prunes its group and, with data and refit, refits the group's consumers. next_state
 * (S) receives the next step's features (the same step's after the last, as AMC). ratio, if not
 * NULL, receives the preserve ratio applied (kept / channels). Allocates nothing. Fails only if
 * the refit does (ss_lsq_solve). */
gboolean  ss_amc_env_step      (SsAmcEnv *env, double action, float *next_state, double *ratio,
                                GError **error);
/* Channels each step kept in this episode (L); those not taken yet are whole. Transfer none. */
const int *ss_amc_env_get_kept (const SsAmcEnv *env);
/* The plan removing what this episode's steps removed. Transfer full. */
SsPrunePlan *ss_amc_env_build_plan (const SsAmcEnv *env);

/* What an episode's pruned network measured. */
typedef struct {
  double reward;
  double accuracy;   /* on the held-out split; NAN if the reward does not measure it */
  double ame;        /* mean conv activation AME; NAN if the reward does not measure it */
  gint64 macs;
  gint64 params;
} SsAmcMeasure;

/* Ends an episode whose steps are all done: prunes the network physically (with the refitted
 * weights) and measures it. pruned, if not NULL, receives that network (transfer full). Needs
 * ss_amc_env_set_data. Fails on cancellation. */
gboolean  ss_amc_env_finish    (SsAmcEnv *env, SsAmcMeasure *measure, SsNet **pruned,
                                GCancellable *cancellable, GError **error);

/* One whole episode with the channel counts kept (L) imposed (each a count the steps allow, as
 * the best policy below), measured like ss_amc_env_finish. Returns: (transfer full) the pruned
 * network, or NULL. */
SsNet    *ss_amc_env_apply     (SsAmcEnv *env, const int *kept, SsAmcMeasure *measure,
                                GCancellable *cancellable, GError **error);

/* One episode of a search, as reported to the progress callback. */
typedef struct {
  int           episode;       /* 0-based */
  int           n_episodes;
  gboolean      warmup;        /* the agent acted at random */
  SsAmcMeasure  measure;
  double        macs_kept;     /* measure.macs / original MACs */
  int           n_steps;
  const int    *kept;          /* (L) channels kept */
  const double *ratios;        /* (L) preserve ratios applied */
  double        best_reward;
  int           best_episode;
  double        seconds;       /* this episode, wall time */
} SsAmcEpisode;

typedef void (*SsAmcEpisodeFunc) (const SsAmcEpisode *episode, gpointer user_data);

/* Adds episode's members to the object b is building, as the run history's observations and
 * the command line's log record them: episode, reward, macs_kept, accuracy and ame (null when
 * the reward did not measure them), preserve_ratios and kept. */
void      ss_amc_episode_add_json (JsonBuilder *b, const SsAmcEpisode *episode);

/* AMC's search (amc_search.py train): n_episodes ≥ 1 episodes of a DDPG agent (agent options
 * NULL: ss_ddpg_options_init's with replay_size = 100·L, as AMC's --rmsize 100 per layer; the
 * agent is seeded with seed) acting on env, every episode rewarded at its end and stored with
 * that reward; episode's callback after each one. The best episode (highest reward, the first of
 * equals) is kept by env (ss_amc_env_get_best), also when the search fails or is cancelled
 * (G_IO_ERROR_CANCELLED, checked between steps). */
gboolean  ss_amc_search        (SsAmcEnv *env, const SsDdpgOptions *agent, int n_episodes,
                                guint64 seed, SsAmcEpisodeFunc func, gpointer user_data,
                                GCancellable *cancellable, GError **error);

/* The best episode finished so far: kept (L) receives its channel counts; reward and episode
 * (nullable) its reward and index. FALSE when no episode has finished. */
gboolean  ss_amc_env_get_best  (const SsAmcEnv *env, int *kept, double *reward, int *episode);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsAmcEnv, ss_amc_env_free)

G_END_DECLS
