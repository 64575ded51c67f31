/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-amc.c (structure, counting, clipping, steps), ss-amc-data.c (calibration,
 * refit, rewards) and ss-amc-search.c (the DDPG loop). */

#include "ss-amc.h"
#include "ss-entropy.h"
#include "ss-lsq.h"

G_BEGIN_DECLS

/* Static features per step before the three dynamic ones. */
#define AMC_STATIC_DIM 8

typedef struct {
  int                 group;         /* index into env->groups */
  const SsPruneGroup *g;             /* borrowed from env->groups */
  const char         *layer;         /* first producer's name, borrowed from env->net's arch */
  int                 channels;      /* C */
  int                 min_kept;      /* from lbound */
  int                 max_kept;      /* from rbound */
  gint64              macs;          /* original MACs of its producers */
  double              rest;          /* original MACs of the later steps / original total */
  int                *producer_weight;  /* (g->n_producers) their weights' parameter indices
                                         * in env->net; owned */
  float               features[AMC_STATIC_DIM];  /* scaled to [0, 1] */
  int                 first_consumer;            /* its consumers are env->consumers[first …
                                                  * first + n_consumers) */
  int                 n_consumers;
  guint8             *keep;          /* (C) 1 for a channel kept in this episode */
} AmcStep;

/* A conv or linear node's MACs as base · (kept channels of the group it reads) · (kept
 * channels of the group it writes); a factor is 1 for a group that is not a step. */
typedef struct {
  int    step_in, step_out;   /* -1: not a step */
  gint64 base;
} AmcMacTerm;

/* A consumer of a step's group: refitted when the group loses channels. */
typedef struct {
  int      node;
  int      block;          /* input features per group channel: K·K (conv), h·w (linear) */
  int      n_features;     /* D: C·K·K or the linear layer's inputs; bias feature not counted */
  gboolean bias;
  int      n_out;
  int      weight;         /* parameter indices in env->net; bias -1 without */
  int      bias_param;
  SsLsq   *lsq;            /* owned; NULL until ss_amc_env_set_data (or without refit) */
} AmcConsumer;

struct _SsAmcEnv {
  SsAmcOptions opt;
  /* Owned */
  SsNet       *net;            /* working copy: consumers' weights zeroed or refitted */
  float       *orig_arena;     /* (arena_len) net's trainable values as given */
  gsize        arena_len;
  GArray      *groups;         /* SsPruneGroup */
  int          n_steps;
  AmcStep     *steps;          /* (L) */
  int          n_terms;
  AmcMacTerm  *terms;
  int          n_consumers;
  AmcConsumer *consumers;
  gint64       orig_macs;
  gint64       budget;         /* ⌊keep_macs · orig_macs⌋ */

  /* The episode */
  int          cur;
  int         *kept;           /* (L) whole for the steps not taken */
  double      *ratios;         /* (L) */
  float        last_state[SS_AMC_STATE_DIM];

  /* Step scratch, sized at creation so a step allocates nothing */
  int         *trial;          /* (L) */
  double      *importance;     /* (C max) */
  int         *order;          /* (C max) */
  int         *features;       /* (D + 1 max) */
  float       *w_new;          /* (O·(D + 1) max) */
  double      *work;           /* ss_lsq_work_size of the largest consumer; NULL without data */

  /* Data (ss_amc_env_set_data) */
  gboolean         has_data;
  const SsDataset *val;        /* borrowed */
  float           *entropy_x;  /* (n_entropy, C, H, W) */
  int              n_entropy;
  SsAmeResult     *ame_res;    /* (n_entropy · C max over conv layers) */
  gpointer         ame_scratch;
  gsize            ame_scratch_size;

  /* The best episode of a search */
  gboolean     has_best;
  int         *best_kept;      /* (L) */
  double       best_reward;
  int          best_episode;
};

/* MACs with kept (L) channels per step. */
gint64   amc_macs_of            (const SsAmcEnv *env, const int *kept);
/* Takes the current step with n channels (a count the step allows); zeroes or refits the
 * consumers. */
gboolean amc_take_step          (SsAmcEnv *env, int n, GError **error);
/* The count the current step keeps for a wanted count: lowered to what the budget allows. */
int      amc_wall               (const SsAmcEnv *env, int want);
/* Refits (or, without data or refit, zeroes the removed inputs of) consumer c of a step whose
 * keep mask is set. */
gboolean amc_refit_consumer     (SsAmcEnv *env, AmcConsumer *c, const AmcStep *step,
                                 GError **error);
/* Records a finished episode as the best if its reward is higher. */
void     amc_offer_best         (SsAmcEnv *env, double reward, int episode);

G_END_DECLS
