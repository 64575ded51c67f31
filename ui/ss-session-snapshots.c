/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The session's reference-counted snapshots (ss-session.h): a model, a data set, a profile. They
 * are immutable once made, so worker threads share them; the last reference may go on any
 * thread. */

#include <math.h>
#include <string.h>

#include "ss-gradcam.h"
#include "ss-session.h"

/* ---- Boxed snapshots ---------------------------------------------------------------------- */

static void
model_clear (gpointer p)
{
  SsSessionModel *m = p;

  g_clear_pointer (&m->net, ss_net_free);
  g_free (m->spec);
  g_free (m->title);
  g_free (m->origin);
  g_free (m->dataset);
}

SsSessionModel *
ss_session_model_ref (SsSessionModel *model)
{
  return g_atomic_rc_box_acquire (model);
}

void
ss_session_model_unref (SsSessionModel *model)
{
  g_atomic_rc_box_release_full (model, model_clear);
}

SsSessionModel *
ss_session_model_new_take (SsNet      *net,
                           const char *spec,
                           const char *title,
                           const char *origin,
                           gboolean    random)
{
  SsSessionModel *m = g_atomic_rc_box_new0 (SsSessionModel);

  m->net = net;
  m->spec = g_strdup (spec);
  m->title = g_strdup (title);
  m->origin = g_strdup (origin);
  m->random = random;
  return m;
}

SsNet *
ss_session_clone_net (SsNet *net)
{
  const SsArch *arch;
  SsNet *clone;

  g_return_val_if_fail (net != NULL, NULL);

  arch = ss_net_get_arch (net);
  clone = ss_net_new (arch, 0);
  for (int i = 0; i < ss_net_get_n_params (net); i++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, i);
      memcpy (ss_net_get_param (clone, i), ss_net_get_param (net, i), info->len * sizeof (float));
    }
  for (int node = 0; node < ss_arch_get_n_nodes (arch); node++)
    if (ss_arch_get_node (arch, node)->op == SS_OP_BATCHNORM)
      ss_net_set_batches_tracked (clone, node, ss_net_get_batches_tracked (net, node));
  return clone;
}

SsNet *
ss_session_model_clone_net (SsSessionModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return ss_session_clone_net (model->net);
}

static void
data_clear (gpointer p)
{
  SsSessionData *d = p;

  g_clear_pointer (&d->test, ss_dataset_free);
  g_clear_pointer (&d->train, ss_dataset_free);
  g_clear_pointer (&d->report, ss_png_folder_report_free);
  g_free (d->spec);
  g_free (d->title);
  g_free (d->labels);
}

SsSessionData *
ss_session_data_ref (SsSessionData *data)
{
  return g_atomic_rc_box_acquire (data);
}

void
ss_session_data_unref (SsSessionData *data)
{
  g_atomic_rc_box_release_full (data, data_clear);
}

gboolean
ss_session_data_is_labelled (SsSessionData *data,
                             gsize          i)
{
  g_return_val_if_fail (data != NULL, FALSE);
  return data->report == NULL || (i < data->report->files->len && data->report->labelled[i]);
}

gboolean
ss_session_data_has_train (SsSessionData *data)
{
  g_return_val_if_fail (data != NULL, FALSE);
  return !g_str_has_prefix (data->spec, "png:");
}

const SsDataset *
ss_session_data_get_train (SsSessionData  *data,
                           GError        **error)
{
  /* One lock for every data set: loads are rare, and a second one waits for the first. */
  static GMutex lock;
  const SsDataset *train;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (ss_session_data_has_train (data), NULL);

  g_mutex_lock (&lock);
  if (data->train == NULL)
    data->train = ss_dataset_load (data->spec, TRUE, error);
  train = data->train;
  g_mutex_unlock (&lock);
  return train;
}

static void
profile_clear (gpointer p)
{
  SsSessionProfile *prof = p;

  g_clear_pointer (&prof->layers, g_array_unref);
  g_clear_pointer (&prof->model, ss_session_model_unref);
}

SsSessionProfile *
ss_session_profile_ref (SsSessionProfile *profile)
{
  return g_atomic_rc_box_acquire (profile);
}

void
ss_session_profile_unref (SsSessionProfile *profile)
{
  g_atomic_rc_box_release_full (profile, profile_clear);
}

SsSessionProfile *
ss_session_profile_new_take (GArray         *layers,
                             SsSessionModel *model,
                             gboolean        random,
                             int             n_samples,
                             int             bins)
{
  SsSessionProfile *prof = g_atomic_rc_box_new0 (SsSessionProfile);
  const SsArch *arch = ss_net_get_arch (model->net);

  /* The names may point into a clone that goes away: point them at the model's own net. */
  for (guint i = 0; i < layers->len; i++)
    {
      SsLayerProfile *lp = &g_array_index (layers, SsLayerProfile, i);
      lp->name = ss_arch_get_node (arch, lp->node)->name;
    }
  prof->layers = layers;
  prof->model = ss_session_model_ref (model);
  prof->random = random;
  prof->n_samples = n_samples;
  prof->bins = bins;
  return prof;
}

SsSessionProfile *
ss_session_profile_new_from_run (SsSessionModel         *model,
                                 const SsRunObservation *obs,
                                 int                     n_samples,
                                 int                     bins)
{
  const SsArch *arch;
  g_autoptr(GArray) layers = NULL;
  SsSessionProfile *prof;

  g_return_val_if_fail (model != NULL && obs != NULL, NULL);

  arch = ss_net_get_arch (model->net);
  layers = g_array_new (FALSE, TRUE, sizeof (SsLayerProfile));
  for (guint l = 0; l < obs->n_layers; l++)
    {
      const SsRunLayerPoint *pt = &obs->layers[l];
      int node = ss_arch_find_node (arch, pt->layer);
      const SsNode *n;
      SsLayerProfile lp;

      if (node < 0)
        return NULL;
      n = ss_arch_get_node (arch, node);
      lp = (SsLayerProfile) { .node = node, .name = n->name,
                              .kind = ss_gradcam_layer_kind (arch, node), .c = n->c,
                              .h = n->h, .w = n->w, .saliency_mean = pt->saliency_mean,
                              .saliency_sd = pt->saliency_sd, .null_mean = NAN,
                              .activation_mean = NAN, .delta = NAN, .i_xt = pt->i_xt,
                              .i_ty = pt->i_ty };
      g_array_append_val (layers, lp);
    }
  if (layers->len == 0)
    return NULL;
  prof = ss_session_profile_new_take (g_steal_pointer (&layers), model, FALSE, n_samples, bins);
  prof->epoch = obs->epoch + 1;
  return prof;
}

G_DEFINE_BOXED_TYPE (SsSessionModel, ss_session_model, ss_session_model_ref,
                     ss_session_model_unref)
G_DEFINE_BOXED_TYPE (SsSessionData, ss_session_data, ss_session_data_ref, ss_session_data_unref)
G_DEFINE_BOXED_TYPE (SsSessionProfile, ss_session_profile, ss_session_profile_ref,
                     ss_session_profile_unref)

