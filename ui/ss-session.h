/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What one window looks at: a model, a data set, and the saliency entropy profiles of that model
 * (trained weights and fresh random weights of the same architecture), each opened or computed
 * by a job on a worker thread. The model and data set are immutable, reference-counted
 * snapshots, so jobs share them across threads: a job that runs the network clones it first
 * (ss_session_model_clone_net), since a forward pass writes into the net. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-dataset-png.h"
#include "ss-job.h"
#include "ss-net.h"
#include "ss-profile.h"
#include "ss-runs.h"

G_BEGIN_DECLS

typedef struct {
  SsNet    *net;        /* never run: clone it (owned) */
  char     *spec;       /* what opens it again: a model file's path or a built-in name */
  char     *title;      /* "fmnist-vgg" */
  char     *origin;     /* "shipped model", "random weights", the file's name, … */
  gboolean  random;     /* fresh weights (a built-in or a JSON architecture) */
  char     *dataset;    /* the data set the file says it was trained on, or NULL */
} SsSessionModel;

typedef struct {
  SsDataset         *test;     /* the samples shown (owned) */
  char              *spec;     /* "fashion-mnist", "mnist:DIR", "cifar10:DIR" or "png:DIR" */
  char              *title;    /* "Fashion-MNIST test set" */
  SsPngFolderReport *report;   /* PNG folders: files, labels, problems; else NULL */
  gboolean           invert;   /* PNG folders: opened with inverted values */
  char              *labels;   /* PNG folders: the class-names file naming the classes, or NULL */
  SsDataset         *train;    /* the training split once ss_session_data_get_train loaded it */
} SsSessionData;

typedef struct {
  GArray         *layers;      /* SsLayerProfile; names borrowed from model's net */
  SsSessionModel *model;       /* the model it belongs to (a reference) */
  gboolean        random;      /* computed on fresh weights of model's architecture */
  int             n_samples;
  int             bins;
  int             epoch;       /* after this training epoch (1, 2, …), or 0 */
} SsSessionProfile;

#define SS_TYPE_SESSION_MODEL   (ss_session_model_get_type ())
#define SS_TYPE_SESSION_DATA    (ss_session_data_get_type ())
#define SS_TYPE_SESSION_PROFILE (ss_session_profile_get_type ())
GType             ss_session_model_get_type   (void);
GType             ss_session_data_get_type    (void);
GType             ss_session_profile_get_type (void);

SsSessionModel   *ss_session_model_ref        (SsSessionModel *model);
void              ss_session_model_unref      (SsSessionModel *model);
/* A new net with model's architecture, parameters and running statistics. Safe on any thread.
 * Transfer full. */
SsNet            *ss_session_model_clone_net  (SsSessionModel *model);
/* The same for any net that no other thread writes meanwhile. Transfer full. */
SsNet            *ss_session_clone_net        (SsNet *net);
/* A model around net (transfer full). */
SsSessionModel   *ss_session_model_new_take   (SsNet *net, const char *spec, const char *title,
                                               const char *origin, gboolean random);
SsSessionData    *ss_session_data_ref         (SsSessionData *data);
void              ss_session_data_unref       (SsSessionData *data);
/* Whether sample i has a label (always, except unlabelled PNG images). */
gboolean          ss_session_data_is_labelled (SsSessionData *data, gsize i);
/* Whether the data set has a training split to train on. */
gboolean          ss_session_data_has_train   (SsSessionData *data);
/* The training split, loaded on first use and kept with data, so the experiments started on
 * one data set load it once. Any thread (loaders wait for each other). Transfer none: valid
 * while data is. */
const SsDataset  *ss_session_data_get_train   (SsSessionData *data, GError **error);
SsSessionProfile *ss_session_profile_ref      (SsSessionProfile *profile);
/* A profile of layers (transfer full) for model. */
SsSessionProfile *ss_session_profile_new_take (GArray *layers, SsSessionModel *model,
                                               gboolean random, int n_samples, int bins);
void              ss_session_profile_unref    (SsSessionProfile *profile);
/* A recorded observation's layer points (a training run's epoch) as a profile of model after
 * epoch obs->epoch + 1, when every point names a layer of model's architecture; else NULL.
 * Transfer full. */
SsSessionProfile *ss_session_profile_new_from_run (SsSessionModel *model,
                                                   const SsRunObservation *obs,
                                                   int n_samples, int bins);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSessionModel, ss_session_model_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSessionData, ss_session_data_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSessionProfile, ss_session_profile_unref)

#define SS_TYPE_SESSION (ss_session_get_type ())
G_DECLARE_FINAL_TYPE (SsSession, ss_session, SS, SESSION, GObject)

SsSession        *ss_session_new               (void);

/* Opens spec on a worker: a model file (.safetensors), an architecture .json or a built-in name
 * (random weights, shaped for the current data set). On failure the current model stays and
 * the model job is failed with the error. */
void              ss_session_open_model        (SsSession *session, const char *spec);
/* Loads the test split of spec ("fashion-mnist", "mnist:DIR", "cifar10:DIR") or the PNG folder
 * "png:DIR" (converted to the current model's input, see ss-dataset-png.h). invert applies to
 * PNG folders only. */
void              ss_session_open_data         (SsSession *session, const char *spec,
                                                gboolean invert);
/* The same for a PNG folder spec ("png:DIR") whose classes labels names: a class-names file
 * (core/ss-labels.h), one name per line, as many as the model has classes (while no model is
 * open, as many as the file has). The worker reads it, and reads it again whenever the folder
 * is converted for another model. When it cannot be used (another count of names, none, bytes
 * that are not UTF-8, unreadable) the current data set stays and the data job is failed with
 * ss_labels_load's error. */
void              ss_session_open_png_labels   (SsSession *session, const char *spec,
                                                gboolean invert, const char *labels);
/* Replaces the model with one made here (a trained net). */
void              ss_session_set_model         (SsSession *session, SsSessionModel *model);

/* Profile settings (SsProfileOptions): AME bins (0 = auto) and samples; recomputes. */
void              ss_session_set_profile_options (SsSession *session, int bins, int n_samples);
void              ss_session_get_profile_options (SsSession *session, int *bins, int *n_samples);
/* Starts the profiles again (after a cancel or failure). */
void              ss_session_recompute_profiles (SsSession *session);

/* Transfer none; NULL until loaded. */
SsSessionModel   *ss_session_get_model         (SsSession *session);
SsSessionData    *ss_session_get_data          (SsSession *session);
SsSessionProfile *ss_session_get_profile       (SsSession *session);
SsSessionProfile *ss_session_get_random_profile (SsSession *session);
/* TRUE when the data set fits the model; else *message (transfer none) says why. */
gboolean          ss_session_get_fits          (SsSession *session, const char **message);
/* Whether there is a model and a data set with a training split that fit each other, as every
 * job that trains or scores on training images needs; if not, fails job with message
 * (G_IO_ERROR_NOT_SUPPORTED). */
gboolean          ss_session_check_trainable   (SsSession *session, SsJob *job,
                                                const char *message);

/* Profiles taken after each epoch of the last training run (the Experiments page), oldest
 * first: SsSessionProfile *. Transfer none. */
GPtrArray        *ss_session_get_epoch_profiles  (SsSession *session);
void              ss_session_add_epoch_profile   (SsSession *session, SsSessionProfile *profile);
void              ss_session_clear_epoch_profiles (SsSession *session);

SsJob            *ss_session_get_model_job     (SsSession *session);
SsJob            *ss_session_get_data_job      (SsSession *session);
SsJob            *ss_session_get_profile_job   (SsSession *session);
SsJob            *ss_session_get_random_job    (SsSession *session);

/* Every job in the window registers here so that Escape can cancel them all. */
void              ss_session_add_job           (SsSession *session, SsJob *job);
/* Cancels every running job; returns how many were running. */
guint             ss_session_cancel_jobs       (SsSession *session);

G_END_DECLS
