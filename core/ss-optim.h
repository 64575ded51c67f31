/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Stochastic gradient descent with momentum, weight decay and optional Nesterov momentum, as
 * torch.optim.SGD (dampening 0), and the learning-rate schedules of torch.optim.lr_scheduler.
 * Schedules are evaluated at every step, at the fractional epoch reached (epoch + batch/batches):
 * the step schedule changes at epoch boundaries as MultiStepLR does, the cosine one decays
 * smoothly within epochs too, so even a one-epoch run anneals. */

#include <glib.h>

#include "ss-net.h"

G_BEGIN_DECLS

typedef struct _SsSgd SsSgd;

/* Borrows net, which must outlive the optimiser. Transfer full. */
SsSgd   *ss_sgd_new  (SsNet *net, double momentum, double weight_decay, gboolean nesterov);
void     ss_sgd_free (SsSgd *sgd);
/* One step with learning rate lr over every trainable tensor of a node that is not frozen:
 *   g = dW + wd·w;  v = μ·v + g (v = g at the first step);  w -= lr·(nesterov ? g + μ·v : v). */
void     ss_sgd_step (SsSgd *sgd, double lr);

typedef enum {
  SS_SCHEDULE_CONSTANT,
  SS_SCHEDULE_STEP,     /* lr · gamma^(number of milestones ≤ t) — MultiStepLR */
  SS_SCHEDULE_COSINE,   /* lr_min + (lr − lr_min)(1 + cos(π·t/epochs))/2 — CosineAnnealingLR */
} SsScheduleKind;

#define SS_MAX_MILESTONES 16

typedef struct {
  SsScheduleKind kind;
  double         lr;             /* base learning rate */
  double         gamma;          /* step: factor at each milestone */
  int            milestones[SS_MAX_MILESTONES];   /* step: epochs (0-based), increasing */
  int            n_milestones;
  double         lr_min;         /* cosine: final learning rate */
  int            epochs;         /* cosine: T_max */
} SsSchedule;

/* The learning rate at t epochs into the run (0 ≤ t ≤ epochs, fractional within an epoch). */
double   ss_schedule_lr    (const SsSchedule *schedule, double t);
/* Parses "constant", "cosine", "step" (milestones at 50 % and 75 % of epochs, γ = 0.1) or
 * "step:M1,M2,…[@GAMMA]" into schedule (lr and epochs are set by the caller). */
gboolean ss_schedule_parse (SsSchedule *schedule, const char *text, int epochs, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSgd, ss_sgd_free)

G_END_DECLS
