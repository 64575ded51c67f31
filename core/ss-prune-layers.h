/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Greedy semiotic layer removal (SPEC §6, thesis §2.1 and Table 2.4). Starting from a trained
 * network (or training it first), each step
 *   1. measures the saliency entropy of every conv layer (ss_profile_compute: the mean Grad-CAM
 *      AME of the conv's output over N training samples);
 *   2. takes as candidates the conv layers whose entropy does not decrease against the conv
 *      layer before them (H_i ≥ H_{i−1}, both defined), leaving out every conv before the first
 *      pooling layer and those whose removal leaves no valid network (ss_prune.h);
 *   3. removes the candidate with the most parameters (its conv weights and bias), the deepest
 *      on ties, with its batch norm and ReLU; layers whose shapes no longer fit are
 *      re-initialised (ss_prune_remove_layer);
 *   4. retrains the result from its inherited weights for retrain_epochs and measures its test
 *      accuracy.
 * It stops when a step's accuracy falls more than `tolerance` points below the original's (that
 * step is reported, marked rejected, and its model dropped), when there is no candidate, or
 * after max_removals. The result is the model of the last accepted step.
 *
 * A job runs on the calling thread (run it on a worker) and reports through a callback on that
 * thread; it polls its GCancellable between batches and between phases. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-net.h"
#include "ss-profile.h"
#include "ss-train.h"

G_BEGIN_DECLS

typedef struct {
  int              epochs;          /* initial training; 0: the network is trained already */
  int              retrain_epochs;  /* after each removal (default 1) */
  double           tolerance;       /* accuracy points below the original (default 1.0) */
  int              max_removals;    /* 0: no limit */
  SsTrainConfig    train;           /* the recipe; its epochs and schedule length are set per
                                     * phase, its seed offset by the step */
  SsProfileOptions profile;         /* entropy measurement (N = 50 samples, B = 256 …) */
  guint64          seed;            /* re-initialisation of layers that no longer fit */
} SsPruneLayersConfig;

/* Defaults: 3 initial epochs, 1 retraining epoch, tolerance 1 point, no limit, the training
 * recipe of ss_train_config_init, ss_profile_options_init, seed 1. */
void     ss_prune_layers_config_init     (SsPruneLayersConfig *config);
/* SS_ERROR_ARGUMENT naming the field at fault. */
gboolean ss_prune_layers_config_validate (const SsPruneLayersConfig *config, GError **error);

/* One row of the report (Table 2.4's columns and how the step was chosen). */
typedef struct {
  int       index;           /* 0: the original network, trained */
  char     *removed;         /* the conv layer removed; NULL at step 0 */
  char    **reinitialised;   /* layers re-initialised by the removal (NULL-terminated) */
  char    **candidates;      /* the candidates the removed layer was chosen from */
  double    entropy;         /* saliency entropy of the removed layer before removal */
  double    previous_entropy;   /* and of the conv layer before it; NAN at step 0 */
  int       conv_layers;
  gint64    params;          /* SPEC §8: BN affine terms and biases included */
  gint64    macs;            /* conv and linear multiply–accumulates per image */
  double    accuracy;        /* test accuracy after (re)training, in [0, 1] */
  double    loss;            /* test loss */
  gboolean  accepted;        /* accuracy ≥ original − tolerance */
} SsPruneLayersStep;

typedef enum {
  SS_PRUNE_LAYERS_TRAINING,    /* train is set: a batch or an epoch end of (re)training */
  SS_PRUNE_LAYERS_PROFILING,   /* measuring the entropies that choose the next removal */
  SS_PRUNE_LAYERS_STEP_DONE,   /* result is set */
} SsPruneLayersPhase;

typedef struct {
  SsPruneLayersPhase       phase;
  int                      step;     /* the step being made; 0 is the original */
  const SsTrainProgress   *train;    /* TRAINING only (ss_train's, per batch and epoch end) */
  const SsPruneLayersStep *result;   /* STEP_DONE only */
} SsPruneLayersProgress;

typedef void (*SsPruneLayersProgressFunc) (const SsPruneLayersProgress *progress,
                                           gpointer                     user_data);

/* Measures the entropies that choose a removal: entropy[i] for conv node conv_nodes[i] of net's
 * architecture (n of them, node order), NAN where undefined. */
typedef gboolean (*SsPruneLayersEntropyFunc) (SsNet         *net,
                                              const int     *conv_nodes,
                                              int            n,
                                              double        *entropy,
                                              gpointer       user_data,
                                              GCancellable  *cancellable,
                                              GError       **error);

typedef struct _SsPruneLayersJob SsPruneLayersJob;

/* A job on net (transfer full: the job owns it and may replace it), with train and test
 * borrowed (they must outlive the job) and config copied; config must be valid. */
SsPruneLayersJob *ss_prune_layers_job_new   (SsNet *net, const SsDataset *train,
                                             const SsDataset *test,
                                             const SsPruneLayersConfig *config);
void              ss_prune_layers_job_free  (SsPruneLayersJob *job);
/* Replaces step 1's measurement (by default each conv's saliency_mean from ss_profile_compute
 * over config->profile.n_samples training samples), e.g. with entropies a caller already has
 * or, in tests, a fixed ordering. user_data is borrowed. Call before running. */
void              ss_prune_layers_job_set_entropy_func (SsPruneLayersJob *job,
                                                        SsPruneLayersEntropyFunc func,
                                                        gpointer user_data);

/* Runs the loop to its end. FALSE with G_IO_ERROR_CANCELLED when cancelled (the steps done so
 * far and the last accepted model stay), SS_ERROR_SHAPE if the data do not fit the network,
 * or the errors of training and profiling. Run once. */
gboolean          ss_prune_layers_job_run   (SsPruneLayersJob *job,
                                             SsPruneLayersProgressFunc progress,
                                             gpointer user_data, GCancellable *cancellable,
                                             GError **error);

/* The model of the last accepted step; before step 0 is done, the network as given (or as its
 * initial training left it: consistent after its last full batch). Transfer none: owned by
 * the job. */
SsNet            *ss_prune_layers_job_get_model       (SsPruneLayersJob *job);
int               ss_prune_layers_job_get_n_steps     (const SsPruneLayersJob *job);
/* Transfer none. */
const SsPruneLayersStep *ss_prune_layers_job_get_step (const SsPruneLayersJob *job, int i);
/* Why the loop stopped (English, transfer none); NULL while it has not. */
const char       *ss_prune_layers_job_get_stop_reason (const SsPruneLayersJob *job);

/* Step 2 and 3's rule as a pure function over n conv layers in node order: entropy[i] their
 * saliency entropies (NAN: undefined), params[i] their parameters, allowed[i] FALSE for layers
 * that may not be removed (before the first pooling, or not removable). Fills candidates (n;
 * may be NULL) and returns the index of the layer to remove, or -1 if there is none. */
int               ss_prune_layers_choose    (int n, const double *entropy, const gint64 *params,
                                             const gboolean *allowed, gboolean *candidates);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsPruneLayersJob, ss_prune_layers_job_free)

G_END_DECLS
