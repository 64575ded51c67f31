/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The agent's insides, shared by ss-ddpg.c and the test that recomputes an update.
 * Legend: S state width, B minibatch, X = S + 1 the critic's input [s | a], T steps of the
 * current episode (≤ replay_size). */

#include "ss-ddpg.h"
#include "ss-ddpg-replay.h"
#include "ss-mlp.h"

G_BEGIN_DECLS

struct _SsDdpg {
  SsDdpgOptions opt;
  int           state_dim;
  SsRng         rng;

  /* Owned. */
  SsMlp        *actor;          /* S → H1 → H2 → 1, sigmoid */
  SsMlp        *actor_target;
  SsMlp        *critic;         /* X → H1 → H2 → 1, first layer split as fc11(s) + fc12(a) */
  SsMlp        *critic_target;
  SsDdpgReplay *replay;

  double        baseline;       /* moving average of minibatch mean rewards */
  gboolean      has_baseline;

  /* Minibatch arena, one allocation: */
  float        *work;
  float        *s;              /* (B, S) */
  float        *s2;             /* (B, S) s' */
  float        *x;              /* (B, X) critic input */
  float        *dx;             /* (B, X) ∂L/∂x */
  float        *a;              /* (B) */
  float        *r;              /* (B) */
  float        *not_done;       /* (B) */
  float        *y;              /* (B) critic target */
  float        *dq;             /* (B) ∂L/∂Q */
  float        *dmu;            /* (B) ∂L/∂μ */

  /* The current episode's steps, one allocation: */
  float        *episode;
  float        *ep_s;           /* (T, S) */
  float        *ep_s2;          /* (T, S) */
  float        *ep_a;           /* (T) */
  int           ep_len;
};

G_END_DECLS
