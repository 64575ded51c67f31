/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* DDPG's replay buffer: a ring of transitions (s, a, r, s', terminal) with uniform minibatch
 * sampling from a caller's SsRng.
 *
 * Legend: C capacity, S state width, B batch.
 *
 * AMC's SequentialMemory (from keras-rl) stores observations in sequence and reads s' from the
 * next entry, so it appends a dummy entry after each episode and re-draws indices that land
 * on one. Storing s' with each transition gives the same distribution over real transitions
 * without that bookkeeping. Sampling is as its sample_batch_indexes: without replacement when
 * the buffer holds at least B transitions, with replacement otherwise. */

#include <glib.h>

#include "ss-rng.h"

G_BEGIN_DECLS

typedef struct _SsDdpgReplay SsDdpgReplay;

/* capacity ≥ 1, state_dim ≥ 1. Returns: (transfer full). */
SsDdpgReplay *ss_ddpg_replay_new       (int capacity, int state_dim);
void          ss_ddpg_replay_free      (SsDdpgReplay *replay);
/* Copies one transition in, over the oldest one when full. state, next_state (S). */
void          ss_ddpg_replay_push      (SsDdpgReplay *replay, const float *state, float action,
                                        float reward, const float *next_state, gboolean terminal);
/* Transitions held: min(pushed, C). */
int           ss_ddpg_replay_get_count (const SsDdpgReplay *replay);
/* Draws B transitions uniformly at random from rng into state, next_state (B, S) and action,
 * reward, not_done (B), where not_done is 0 for a terminal transition and 1 otherwise (the
 * mask on γ·Q' in the target). The buffer must not be empty. */
void          ss_ddpg_replay_sample    (SsDdpgReplay *replay, SsRng *rng, int batch,
                                        float *state, float *action, float *reward,
                                        float *next_state, float *not_done);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsDdpgReplay, ss_ddpg_replay_free)

G_END_DECLS
