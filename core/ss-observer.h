/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The training observer: at the end of every epoch (and, optionally, every K batches) it
 * computes on a fixed probe set — N training samples (default 50) drawn once with a seed, the
 * same samples every time — each saliency layer's Grad-CAM AME (mean and population sd over the
 * N maps) and information-plane point I(X;T), I(T;Y) (ss-profile.h: SPEC §2–§3), adds the
 * training loop's figures (losses, accuracies, time) and, at epoch ends, applies the freezing
 * rule (ss-freeze.h) if one is set. The result is an immutable, reference-counted observation
 * handed to every subscriber.
 *
 * Threads and cost. Observing runs on the training thread, inside ss_train_with_hooks' hook
 * (ss_observer_attach), and subscribers are called there too, after the computation and in the
 * order they subscribed: they must be quick (copy what they need, or take a reference and pass
 * it to another thread, e.g. with g_idle_add) and must not subscribe or unsubscribe. The
 * observation's reference count is atomic, so it may be released on any thread.
 *
 * What observing does not touch. The probe runs in evaluation mode (ss_gradcam_compute): the
 * weights, batch-norm running statistics and batch counts, the gradient arena, the optimiser's
 * momentum and the training run's random streams are left exactly as they were, so a run with
 * and without an observer gives bit-identical weights. Only freezing (a rule set with
 * ss_observer_set_freeze_rule) changes the run, by design. The null baseline draws from the
 * observer's own generator, reset to the same state before each observation, so every epoch
 * uses the same permutations and the numbers equal ss_profile_compute's for the same samples. */

#include <glib.h>

#include "ss-dataset.h"
#include "ss-freeze.h"
#include "ss-net.h"
#include "ss-profile.h"
#include "ss-train.h"

G_BEGIN_DECLS

typedef struct {
  /* n_samples: the probe's size (default 50); seed (default 1); AME and MI settings.
   * with_null and with_activation default to FALSE here: the entropy series and the freezing
   * rule need neither, and together they add about two thirds to an observation's cost
   * (bench --observer). */
  SsProfileOptions profile;
  int              every_batches;   /* also observe after every K batches; 0: epoch ends only */
} SsObserverOptions;

/* One saliency layer's freezing state in an observation. */
typedef struct {
  gboolean        freezable;      /* a conv unit that can freeze (ss_freeze_unit_of) */
  gboolean        frozen;         /* its node is frozen, after this observation's decision */
  int             frozen_after;   /* epochs (1-based) after which the rule froze it; 0 if not */
  SsFreezeVerdict verdict;        /* the rule at this epoch end; SS_FREEZE_TOO_EARLY when no
                                   * rule is set, mid-epoch, or the layer cannot freeze */
} SsLayerFreeze;

typedef struct _SsObservation SsObservation;
typedef struct _SsObserver SsObserver;

/* A subscriber: observation is valid for the call; ss_observation_ref it to keep it. */
typedef void (*SsObservationFunc) (SsObservation *observation, gpointer user_data);

void                   ss_observer_options_init (SsObserverOptions *opt);

/* An observer for net (its architecture is copied; net is not kept) whose probe is drawn from
 * probe_source (the training set) as ss_profile_draw_samples draws. SS_ERROR_ARGUMENT for bad
 * options or a probe larger than the set, SS_ERROR_SHAPE if the set does not fit net.
 * Returns: (transfer full), or NULL with error set. */
SsObserver            *ss_observer_new          (const SsNet *net, const SsDataset *probe_source,
                                                 const SsObserverOptions *opt, GError **error);
void                   ss_observer_free         (SsObserver *observer);

/* Adds a subscriber; destroy (nullable) is called on user_data when it is removed or the
 * observer freed. Returns its id (> 0). */
guint                  ss_observer_subscribe    (SsObserver *observer, SsObservationFunc func,
                                                 gpointer user_data, GDestroyNotify destroy);
void                   ss_observer_unsubscribe  (SsObserver *observer, guint id);

/* Freeze by this rule at every epoch end from now on (NULL: never). SS_ERROR_ARGUMENT for a bad
 * rule. Starts the entropy series afresh. */
gboolean               ss_observer_set_freeze_rule (SsObserver *observer, const SsFreezeRule *rule,
                                                    GError **error);

/* Observes net now, with the training figures of progress (nullable: outside training, all
 * NAN), freezes as the rule says when progress->epoch_done (call it once per epoch end), and
 * publishes the result. Returns: (transfer full) the observation, or NULL with error set. */
SsObservation         *ss_observer_observe      (SsObserver *observer, SsNet *net,
                                                 const SsTrainProgress *progress, GError **error);

/* Sets hooks->hook, hook_data and hook_every so that ss_train_with_hooks observes with this
 * observer; progress and progress_data are left alone. The observer must outlive the run. */
void                   ss_observer_attach       (SsObserver *observer, SsTrainHooks *hooks);

SsObservation         *ss_observation_ref       (SsObservation *observation);
void                   ss_observation_unref     (SsObservation *observation);
/* Returns: (transfer none) the training loop's figures when observed (test figures NAN
 * mid-epoch; hook_seconds excludes this observation). */
const SsTrainProgress *ss_observation_get_progress (const SsObservation *observation);
/* Wall time the observation took (probe, entropies, MI, freezing decision; not subscribers). */
double                 ss_observation_get_seconds  (const SsObservation *observation);
int                    ss_observation_get_n_layers (const SsObservation *observation);
/* Returns: (transfer none) saliency layer `layer` (0..n_layers-1, node order); name is owned by
 * the observation, so it outlives the network. */
const SsLayerProfile  *ss_observation_get_layer    (const SsObservation *observation, int layer);
/* Returns: (transfer none). */
const SsLayerFreeze   *ss_observation_get_freeze   (const SsObservation *observation, int layer);
/* Freezable layers frozen after this observation. */
int                    ss_observation_get_n_frozen (const SsObservation *observation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsObserver, ss_observer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsObservation, ss_observation_unref)

G_END_DECLS
