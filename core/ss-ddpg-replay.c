/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: C capacity, S state width, B batch. Slots fill 0 … C−1 in order, then the oldest is
 * overwritten; the set of occupied slots is always 0 … count−1. */

#include <string.h>

#include "ss-ddpg-replay.h"

struct _SsDdpgReplay {
  int      capacity;
  int      state_dim;
  int      count;       /* occupied slots */
  int      next;        /* slot the next push writes */
  /* One arena: */
  float   *arena;
  float   *state;       /* (C, S) */
  float   *next_state;  /* (C, S) */
  float   *action;      /* (C) */
  float   *reward;      /* (C) */
  float   *not_done;    /* (C) */
  /* A permutation of the occupied slots: a partial Fisher–Yates shuffle of its head draws a
   * batch without replacement in O(B), and leaves a permutation for the next draw. */
  guint32 *order;       /* (C) */
};

SsDdpgReplay *
ss_ddpg_replay_new (int capacity,
                    int state_dim)
{
  SsDdpgReplay *replay;
  const gsize c = (gsize) capacity, s = (gsize) state_dim;

  g_return_val_if_fail (capacity >= 1 && state_dim >= 1, NULL);

  replay = g_new0 (SsDdpgReplay, 1);
  replay->capacity = capacity;
  replay->state_dim = state_dim;
  replay->arena = g_new0 (float, 2 * c * s + 3 * c);
  replay->state = replay->arena;
  replay->next_state = replay->state + c * s;
  replay->action = replay->next_state + c * s;
  replay->reward = replay->action + c;
  replay->not_done = replay->reward + c;
  replay->order = g_new0 (guint32, c);
  return replay;
}

void
ss_ddpg_replay_free (SsDdpgReplay *replay)
{
  if (replay == NULL)
    return;
  g_free (replay->arena);
  g_free (replay->order);
  g_free (replay);
}

void
ss_ddpg_replay_push (SsDdpgReplay *replay,
                     const float  *state,
                     float         action,
                     float         reward,
                     const float  *next_state,
                     gboolean      terminal)
{
  /* state, next_state (S) */
  gsize s, slot;

  g_return_if_fail (replay != NULL && state != NULL && next_state != NULL);

  s = (gsize) replay->state_dim;
  slot = (gsize) replay->next;

  memcpy (replay->state + slot * s, state, s * sizeof (float));
  memcpy (replay->next_state + slot * s, next_state, s * sizeof (float));
  replay->action[slot] = action;
  replay->reward[slot] = reward;
  replay->not_done[slot] = terminal ? 0.f : 1.f;
  replay->next = (replay->next + 1) % replay->capacity;
  if (replay->count < replay->capacity)
    {
      /* Until the ring is full the pushed slot is the count-th one. */
      replay->order[replay->count] = (guint32) slot;
      replay->count++;
    }
}

int
ss_ddpg_replay_get_count (const SsDdpgReplay *replay)
{
  g_return_val_if_fail (replay != NULL, 0);
  return replay->count;
}

void
ss_ddpg_replay_sample (SsDdpgReplay *replay,
                       SsRng        *rng,
                       int           batch,
                       float        *state,
                       float        *action,
                       float        *reward,
                       float        *next_state,
                       float        *not_done)
{
  /* state, next_state (B, S); action, reward, not_done (B) */
  gsize s;
  gboolean distinct;

  g_return_if_fail (replay != NULL && rng != NULL && batch >= 1);
  g_return_if_fail (state != NULL && action != NULL && reward != NULL);
  g_return_if_fail (next_state != NULL && not_done != NULL);
  g_return_if_fail (replay->count > 0);

  s = (gsize) replay->state_dim;
  distinct = replay->count >= batch;

  for (int i = 0; i < batch; i++)
    {
      gsize slot;

      if (distinct)
        {
          const guint32 j = (guint32) i + ss_rng_below (rng, (guint32) (replay->count - i));
          const guint32 tmp = replay->order[j];
          replay->order[j] = replay->order[i];
          replay->order[i] = tmp;
          slot = tmp;
        }
      else
        slot = ss_rng_below (rng, (guint32) replay->count);
      memcpy (state + (gsize) i * s, replay->state + slot * s, s * sizeof (float));
      memcpy (next_state + (gsize) i * s, replay->next_state + slot * s, s * sizeof (float));
      action[i] = replay->action[slot];
      reward[i] = replay->reward[slot];
      not_done[i] = replay->not_done[slot];
    }
}
