/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Training and evaluation loops over a data set: shuffled mini-batches from a seed, optional
 * CIFAR augmentation, SGD with a learning-rate schedule, softmax cross-entropy; progress through
 * a callback on the calling thread, a hook at epoch ends (and every K batches) that may observe
 * the network and freeze layers, cancellation between batches. Run them on a worker thread:
 * they block for as long as the work takes. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-net.h"
#include "ss-optim.h"

G_BEGIN_DECLS

typedef struct {
  int        epochs;
  int        batch_size;
  SsSchedule schedule;       /* holds the base learning rate */
  double     momentum;
  double     weight_decay;
  gboolean   nesterov;
  gboolean   augment;        /* random crop (4-pixel padding) and horizontal flip */
  guint64    seed;           /* shuffling, augmentation and dropout draw from it */
  int        eval_batch_size;
} SsTrainConfig;

/* The recipe recorded in the README: 3 epochs, batch 64, SGD lr 0.05 with momentum 0.9 and
 * weight decay 5e-4, cosine schedule, seed 1, no augmentation. */
void ss_train_config_init (SsTrainConfig *config);
/* Checks ranges; a message names the option at fault. */
gboolean ss_train_config_validate (const SsTrainConfig *config, GError **error);

typedef struct {
  int      epoch;            /* 0-based */
  int      epochs;
  gsize    batch;            /* batches done in this epoch */
  gsize    n_batches;
  double   lr;               /* of the last step */
  double   train_loss;       /* mean over the epoch's batches so far */
  double   train_acc;        /* fraction correct so far this epoch */
  gboolean epoch_done;       /* the test figures below are set */
  double   test_loss;
  double   test_acc;
  double   images_per_s;     /* training throughput this epoch */
  double   epoch_seconds;    /* training steps only: evaluation and hooks excluded */
  double   hook_seconds;     /* spent in the hook this epoch (the epoch end's included once
                              * it has run: in the epoch_done progress) */
  double   eta_seconds;      /* for the whole run */
} SsTrainProgress;

/* Called after every batch and once more at the end of each epoch (epoch_done TRUE, after the
 * evaluation), on the training thread. */
typedef void (*SsTrainProgressFunc) (const SsTrainProgress *progress, gpointer user_data);

/* Called on the training thread at the end of each epoch (progress->epoch_done TRUE, after the
 * evaluation and before the epoch's last progress call) and, when SsTrainHooks.hook_every is
 * K > 0, after every K-th batch that does not end an epoch. It may read net freely and change
 * its frozen flags (ss_net_set_frozen: effective from the next batch); it must leave the
 * weights, running statistics and gradients alone, since training continues from them. Returning
 * FALSE with error set stops training with that error. */
typedef gboolean (*SsTrainHookFunc) (SsNet                 *net,
                                     const SsTrainProgress *progress,
                                     gpointer               user_data,
                                     GError               **error);

typedef struct {
  SsTrainProgressFunc progress;       /* nullable */
  gpointer            progress_data;
  SsTrainHookFunc     hook;           /* nullable */
  gpointer            hook_data;
  int                 hook_every;     /* batches; 0: epoch ends only */
} SsTrainHooks;

/* Trains net in place. test may be NULL (no evaluation). Returns FALSE with G_IO_ERROR_CANCELLED
 * when cancelled (the weights are those after the last full step: consistent), SS_ERROR_DIVERGED
 * when the loss turns NaN or infinite, SS_ERROR_SHAPE if the data do not fit the network. */
gboolean ss_train (SsNet               *net,
                   const SsDataset     *train,
                   const SsDataset     *test,
                   const SsTrainConfig *config,
                   SsTrainProgressFunc  progress,
                   gpointer             user_data,
                   GCancellable        *cancellable,
                   GError             **error);

/* ss_train with a hook as well (hooks may be NULL). With a hook that does nothing the weights
 * come out bit-identical to ss_train's. */
gboolean ss_train_with_hooks (SsNet               *net,
                              const SsDataset     *train,
                              const SsDataset     *test,
                              const SsTrainConfig *config,
                              const SsTrainHooks  *hooks,
                              GCancellable        *cancellable,
                              GError             **error);

/* Mean loss and top-1 accuracy of net over ds in evaluation mode. */
gboolean ss_evaluate (SsNet           *net,
                      const SsDataset *ds,
                      int              batch_size,
                      double          *loss,
                      double          *accuracy,
                      GCancellable    *cancellable,
                      GError         **error);

/* SS_ERROR_SHAPE unless ds's samples and classes fit net's input and output. */
gboolean ss_check_data_fits (const SsNet *net, const SsDataset *ds, GError **error);

G_END_DECLS
