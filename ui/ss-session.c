/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The session (ss-session.h): the current model and data set, whether they fit each other, their
 * profiles, and the window's jobs. Opening a data set is in ss-session-data.c, the snapshots
 * in ss-session-snapshots.c. */

#include <glib/gi18n.h>

#include "ss-model-file.h"
#include "ss-session-private.h"
#include "ss-shipped.h"
#include "ss-train.h"

#define PROFILE_SEED 1
#define RANDOM_WEIGHTS_SEED 1

struct _SsSession
{
  GObject           parent_instance;

  /* Owned */
  SsSessionModel   *model;
  SsSessionData    *data;
  SsSessionProfile *profile;
  SsSessionProfile *random_profile;
  SsJob            *model_job;
  SsJob            *data_job;
  SsJob            *profile_job;
  SsJob            *random_job;
  GPtrArray        *jobs;          /* every job of the window, for cancel-all */
  GPtrArray        *epoch_profiles;
  char             *fit_message;

  int               bins;
  int               n_samples;
  gboolean          fits;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DATA,
  PROP_PROFILE,
  PROP_RANDOM_PROFILE,
  PROP_FITS,
  PROP_N_EPOCH_PROFILES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SsSession, ss_session, G_TYPE_OBJECT)

/* ---- Fitting model and data ---------------------------------------------------------------- */

static gboolean
is_builtin (const char *spec)
{
  return spec != NULL && g_strv_contains ((const char * const *) ss_arch_builtin_names (), spec);
}

static void start_profiles (SsSession *self);
static void open_model_shaped (SsSession *self, const char *spec);

static void
update_fits (SsSession *self)
{
  g_autoptr(GError) error = NULL;
  gboolean fits = FALSE;

  g_clear_pointer (&self->fit_message, g_free);
  if (self->model == NULL || self->data == NULL)
    self->fit_message = g_strdup (_("Open a model and a data set"));
  else if (!ss_check_data_fits (self->model->net, self->data->test, &error) &&
           self->model->dataset == NULL && !self->model->random &&
           !g_str_has_prefix (self->data->spec, "png:"))
    /* An imported model (ONNX) names no data set, and the built-in ones rarely fit it (an
     * ImageNet model takes 3×224×224 images of 1000 classes): say what to do, not only what is
     * wrong. */
    self->fit_message = g_strdup_printf (_("%s. The model does not say which data set it was "
                                           "made for: open a folder of images for it with "
                                           "Data ▸ Folder of PNG Images (in subfolders named by "
                                           "class number to have them labelled)"),
                                         error->message);
  else if (error != NULL)
    self->fit_message = g_strdup (error->message);
  else
    fits = TRUE;
  self->fits = fits;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FITS]);
}

static void
clear_profiles (SsSession *self)
{
  ss_job_reset (self->profile_job);
  ss_job_reset (self->random_job);
  g_clear_pointer (&self->profile, ss_session_profile_unref);
  g_clear_pointer (&self->random_profile, ss_session_profile_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANDOM_PROFILE]);
}

/* Whether the data, a PNG folder, was converted for another input or class count than the
 * model's (it is made for the model open when it loads). */
static gboolean
png_for_other_model (SsSession *self)
{
  const SsArch *arch = ss_net_get_arch (self->model->net);
  const SsDataset *ds = self->data->test;
  int c, h, w;

  if (!g_str_has_prefix (self->data->spec, "png:"))
    return FALSE;
  ss_arch_get_input (arch, &c, &h, &w);
  return c != ss_dataset_get_channels (ds) || h != ss_dataset_get_height (ds) ||
         w != ss_dataset_get_width (ds) ||
         ss_arch_get_n_classes (arch) != ss_dataset_get_n_classes (ds);
}

/* After the model or the data changed: a built-in model is rebuilt for data of another shape,
 * a PNG folder is converted again for another model, a model file opens the data set it was
 * trained on when the current one does not fit it. */
static void
model_or_data_changed (SsSession *self)
{
  clear_profiles (self);
  update_fits (self);
  if (self->fits || self->model == NULL || self->data == NULL)
    {
      start_profiles (self);
      return;
    }
  if (is_builtin (self->model->spec) && !ss_job_is_running (self->model_job))
    open_model_shaped (self, self->model->spec);
  else if (png_for_other_model (self) && !ss_job_is_running (self->data_job))
    ss_session_start_open_data (self, self->data->spec, self->data->invert, self->data->labels);
  else if (self->model->dataset != NULL && !ss_job_is_running (self->data_job) &&
           !g_str_equal (self->model->dataset, self->data->spec))
    ss_session_start_open_data (self, self->model->dataset, FALSE, NULL);
}

void
ss_session_take_data (SsSession     *self,
                      SsSessionData *data)
{
  g_clear_pointer (&self->data, ss_session_data_unref);
  self->data = data;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA]);
  model_or_data_changed (self);
}

/* ---- Opening a model ------------------------------------------------------------------------ */

typedef struct {
  char *spec;
  int   c, h, w, k;
} OpenModel;

static void
open_model_free (gpointer p)
{
  OpenModel *in = p;

  g_free (in->spec);
  g_free (in);
}

static gpointer
open_model_worker (SsJobTask    *task,
                   gpointer      input,
                   GCancellable *cancellable,
                   GError      **error)
{
  OpenModel *in = input;
  g_autoptr(GHashTable) metadata = NULL;
  g_autofree char *base = NULL;
  const char *shipped = ss_shipped_model_path ();
  SsSessionModel *m;
  SsNet *net;
  gboolean random;

  ss_job_task_progress (task, -1, in->spec);
  net = ss_model_open (in->spec, in->c, in->h, in->w, in->k, RANDOM_WEIGHTS_SEED, &metadata,
                       error);
  if (net == NULL)
    return NULL;
  random = is_builtin (in->spec) || g_str_has_suffix (in->spec, ".json");
  base = g_path_get_basename (in->spec);
  m = ss_session_model_new_take (net, in->spec, ss_arch_get_name (ss_net_get_arch (net)),
                                 shipped != NULL && g_str_equal (in->spec, shipped)
                                   ? _("shipped, trained")
                                   : random ? _("random weights") : base,
                                 random);
  if (metadata != NULL && g_hash_table_lookup (metadata, SS_MODEL_META_DATASET) != NULL)
    m->dataset = g_strdup (g_hash_table_lookup (metadata, SS_MODEL_META_DATASET));
  return m;
}

static void
open_model_done (GObject  *target,
                 gpointer  result)
{
  ss_session_set_model (SS_SESSION (target), result);
  ss_session_model_unref (result);
}

static void
open_model_shaped (SsSession  *self,
                   const char *spec)
{
  OpenModel *in = g_new0 (OpenModel, 1);

  in->spec = g_strdup (spec);
  in->k = 10;
  if (self->data != NULL)
    {
      in->c = ss_dataset_get_channels (self->data->test);
      in->h = ss_dataset_get_height (self->data->test);
      in->w = ss_dataset_get_width (self->data->test);
      in->k = ss_dataset_get_n_classes (self->data->test);
    }
  else if (!ss_arch_builtin_input (spec, &in->c, &in->h, &in->w))
    in->c = 1, in->h = 28, in->w = 28;
  ss_job_start (self->model_job, open_model_worker, in, open_model_free,
                (GDestroyNotify) ss_session_model_unref, open_model_done, G_OBJECT (self));
}

void
ss_session_open_model (SsSession  *self,
                       const char *spec)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (spec != NULL);

  open_model_shaped (self, spec);
}

void
ss_session_set_model (SsSession      *self,
                      SsSessionModel *model)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (model != NULL);

  ss_session_model_ref (model);
  g_clear_pointer (&self->model, ss_session_model_unref);
  self->model = model;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
  model_or_data_changed (self);
}

/* ---- Profiles ------------------------------------------------------------------------------- */

typedef struct {
  SsSessionModel  *model;
  SsSessionData   *data;
  SsProfileOptions opt;
  gboolean         random;
} ProfileIn;

static void
profile_in_free (gpointer p)
{
  ProfileIn *in = p;

  ss_session_model_unref (in->model);
  ss_session_data_unref (in->data);
  g_free (in);
}

static gpointer
profile_worker (SsJobTask    *task,
                gpointer      input,
                GCancellable *cancellable,
                GError      **error)
{
  ProfileIn *in = input;
  const SsArch *arch = ss_net_get_arch (in->model->net);
  g_autoptr(SsNet) net = NULL;
  GArray *layers;

  ss_job_task_progress (task, -1, NULL);
  net = in->random ? ss_net_new (arch, RANDOM_WEIGHTS_SEED)
                   : ss_session_model_clone_net (in->model);
  layers = ss_profile_compute (net, in->data->test, &in->opt, cancellable, error);
  if (layers == NULL)
    return NULL;
  return ss_session_profile_new_take (layers, in->model, in->random, in->opt.n_samples,
                                      in->opt.ame.bins);
}

static void
profile_done (GObject  *target,
              gpointer  result)
{
  SsSession *self = SS_SESSION (target);
  SsSessionProfile *prof = result;

  if (prof->model != self->model)
    {
      ss_session_profile_unref (prof);
      return;
    }
  if (prof->random)
    {
      g_clear_pointer (&self->random_profile, ss_session_profile_unref);
      self->random_profile = prof;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANDOM_PROFILE]);
    }
  else
    {
      g_clear_pointer (&self->profile, ss_session_profile_unref);
      self->profile = prof;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
    }
}

static void
start_profile (SsSession *self,
               SsJob     *job,
               gboolean   random)
{
  ProfileIn *in = g_new0 (ProfileIn, 1);
  gsize size = ss_dataset_get_size (self->data->test);

  in->model = ss_session_model_ref (self->model);
  in->data = ss_session_data_ref (self->data);
  in->random = random;
  ss_profile_options_init (&in->opt);
  in->opt.seed = PROFILE_SEED;
  in->opt.ame.bins = self->bins;
  in->opt.n_samples = (int) MIN ((gsize) self->n_samples, size);
  ss_job_start (job, profile_worker, in, profile_in_free,
                (GDestroyNotify) ss_session_profile_unref, profile_done, G_OBJECT (self));
}

static void
start_profiles (SsSession *self)
{
  if (!self->fits)
    return;
  start_profile (self, self->profile_job, FALSE);
  if (!self->model->random)
    start_profile (self, self->random_job, TRUE);
}

void
ss_session_recompute_profiles (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));

  clear_profiles (self);
  start_profiles (self);
}

void
ss_session_set_profile_options (SsSession *self,
                                int        bins,
                                int        n_samples)
{
  g_return_if_fail (SS_IS_SESSION (self));

  bins = bins == 0 ? SS_AME_BINS_AUTO : CLAMP (bins, 2, 4096);
  n_samples = CLAMP (n_samples, 1, 10000);
  if (bins == self->bins && n_samples == self->n_samples)
    return;
  self->bins = bins;
  self->n_samples = n_samples;
  if (self->model != NULL && self->data != NULL)
    ss_session_recompute_profiles (self);
}

void
ss_session_get_profile_options (SsSession *self,
                                int       *bins,
                                int       *n_samples)
{
  g_return_if_fail (SS_IS_SESSION (self));

  if (bins != NULL)
    *bins = self->bins;
  if (n_samples != NULL)
    *n_samples = self->n_samples;
}

GPtrArray *
ss_session_get_epoch_profiles (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->epoch_profiles;
}

void
ss_session_add_epoch_profile (SsSession        *self,
                              SsSessionProfile *profile)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (profile != NULL);

  g_ptr_array_add (self->epoch_profiles, ss_session_profile_ref (profile));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EPOCH_PROFILES]);
}

void
ss_session_clear_epoch_profiles (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));

  if (self->epoch_profiles->len == 0)
    return;
  g_ptr_array_set_size (self->epoch_profiles, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EPOCH_PROFILES]);
}

/* ---- Accessors ------------------------------------------------------------------------------ */

SsSessionModel *
ss_session_get_model (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->model;
}

SsSessionData *
ss_session_get_data (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->data;
}

SsSessionProfile *
ss_session_get_profile (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->profile;
}

SsSessionProfile *
ss_session_get_random_profile (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->random_profile;
}

gboolean
ss_session_get_fits (SsSession   *self,
                     const char **message)
{
  g_return_val_if_fail (SS_IS_SESSION (self), FALSE);

  if (message != NULL)
    *message = self->fit_message;
  return self->fits;
}

gboolean
ss_session_check_trainable (SsSession  *self,
                            SsJob      *job,
                            const char *message)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (SS_IS_SESSION (self), FALSE);

  if (self->model != NULL && self->data != NULL && self->fits &&
      ss_session_data_has_train (self->data))
    return TRUE;
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, message);
  ss_job_fail (job, error);
  return FALSE;
}

SsJob *
ss_session_get_model_job (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->model_job;
}

SsJob *
ss_session_get_data_job (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->data_job;
}

SsJob *
ss_session_get_profile_job (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->profile_job;
}

SsJob *
ss_session_get_random_job (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->random_job;
}

void
ss_session_add_job (SsSession *self,
                    SsJob     *job)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (SS_IS_JOB (job));

  g_ptr_array_add (self->jobs, g_object_ref (job));
}

guint
ss_session_cancel_jobs (SsSession *self)
{
  guint n = 0;

  g_return_val_if_fail (SS_IS_SESSION (self), 0);

  for (guint i = 0; i < self->jobs->len; i++)
    {
      SsJob *job = g_ptr_array_index (self->jobs, i);
      if (ss_job_is_running (job))
        {
          ss_job_cancel (job);
          n++;
        }
    }
  return n;
}

/* ---- GObject -------------------------------------------------------------------------------- */

SsSession *
ss_session_new (void)
{
  return g_object_new (SS_TYPE_SESSION, NULL);
}

static void
ss_session_dispose (GObject *object)
{
  SsSession *self = SS_SESSION (object);

  if (self->jobs != NULL)
    for (guint i = 0; i < self->jobs->len; i++)
      ss_job_reset (g_ptr_array_index (self->jobs, i));
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_clear_pointer (&self->epoch_profiles, g_ptr_array_unref);
  g_clear_object (&self->model_job);
  g_clear_object (&self->data_job);
  g_clear_object (&self->profile_job);
  g_clear_object (&self->random_job);
  g_clear_pointer (&self->profile, ss_session_profile_unref);
  g_clear_pointer (&self->random_profile, ss_session_profile_unref);
  g_clear_pointer (&self->model, ss_session_model_unref);
  g_clear_pointer (&self->data, ss_session_data_unref);
  G_OBJECT_CLASS (ss_session_parent_class)->dispose (object);
}

static void
ss_session_finalize (GObject *object)
{
  SsSession *self = SS_SESSION (object);

  g_clear_pointer (&self->fit_message, g_free);
  G_OBJECT_CLASS (ss_session_parent_class)->finalize (object);
}

static void
ss_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SsSession *self = SS_SESSION (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_boxed (value, self->model);
      break;
    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;
    case PROP_PROFILE:
      g_value_set_boxed (value, self->profile);
      break;
    case PROP_RANDOM_PROFILE:
      g_value_set_boxed (value, self->random_profile);
      break;
    case PROP_FITS:
      g_value_set_boolean (value, self->fits);
      break;
    case PROP_N_EPOCH_PROFILES:
      g_value_set_uint (value, self->epoch_profiles ? self->epoch_profiles->len : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_session_class_init (SsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_session_dispose;
  object_class->finalize = ss_session_finalize;
  object_class->get_property = ss_session_get_property;

  properties[PROP_MODEL] =
    g_param_spec_boxed ("model", NULL, NULL, SS_TYPE_SESSION_MODEL,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL, SS_TYPE_SESSION_DATA,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROFILE] =
    g_param_spec_boxed ("profile", NULL, NULL, SS_TYPE_SESSION_PROFILE,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RANDOM_PROFILE] =
    g_param_spec_boxed ("random-profile", NULL, NULL, SS_TYPE_SESSION_PROFILE,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FITS] =
    g_param_spec_boolean ("fits", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_EPOCH_PROFILES] =
    g_param_spec_uint ("n-epoch-profiles", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_session_init (SsSession *self)
{
  self->bins = SS_AME_BINS_DEFAULT;
  self->n_samples = 50;
  self->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  self->epoch_profiles =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ss_session_profile_unref);
  self->model_job = ss_job_new (_("Opening the model"));
  self->data_job = ss_job_new (_("Loading the data set"));
  self->profile_job = ss_job_new (_("Saliency entropy profile"));
  self->random_job = ss_job_new (_("Random-weights profile"));
  ss_session_add_job (self, self->model_job);
  ss_session_add_job (self, self->data_job);
  ss_session_add_job (self, self->profile_job);
  ss_session_add_job (self, self->random_job);
  self->fit_message = g_strdup (_("Open a model and a data set"));
}
