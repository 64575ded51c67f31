/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-observer.h"

/* Legend: N probe samples, (C, H, W) the network's input, L saliency layers. */

struct _SsObservation {
  SsTrainProgress progress;
  double          seconds;
  GArray         *layers;    /* SsLayerProfile (L), names pointing into `names` */
  char          **names;     /* (L) owned */
  SsLayerFreeze  *freeze;    /* (L) */
  int             n_frozen;
};

typedef struct {
  guint             id;
  SsObservationFunc func;
  gpointer          user_data;
  GDestroyNotify    destroy;
} Subscriber;

struct _SsObserver {
  SsObserverOptions opt;
  SsArch           *arch;        /* owned copy */
  float            *probe;       /* (N, C, H, W) */
  int               n;
  SsRng             null_rng;    /* as the probe's draw left it; copied for each observation */
  GArray           *subscribers; /* Subscriber */
  guint             next_id;
  SsFreezer        *freezer;     /* nullable */
};

void
ss_observer_options_init (SsObserverOptions *opt)
{
  g_return_if_fail (opt != NULL);

  ss_profile_options_init (&opt->profile);
  opt->profile.with_null = FALSE;
  opt->profile.with_activation = FALSE;
  opt->every_batches = 0;
}

static void
clear_subscriber (gpointer data)
{
  Subscriber *s = data;
  if (s->destroy != NULL)
    s->destroy (s->user_data);
}

SsObserver *
ss_observer_new (const SsNet             *net,
                 const SsDataset         *probe_source,
                 const SsObserverOptions *opt,
                 GError                 **error)
{
  g_autoptr(SsObserver) obs = NULL;

  g_return_val_if_fail (net != NULL && probe_source != NULL && opt != NULL, NULL);

  if (opt->every_batches < 0)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "--observe-every must be 0 (epoch ends only) or a number of batches");
      return NULL;
    }
  if (!ss_ame_options_check (&opt->profile.ame, error) ||
      !ss_check_data_fits (net, probe_source, error))
    return NULL;
  if (opt->profile.mi_bins < 2 || opt->profile.mi_bins > SS_MI_BINS_MAX)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the information plane's bins must be between 2 and %d", SS_MI_BINS_MAX);
      return NULL;
    }

  obs = g_new0 (SsObserver, 1);
  obs->opt = *opt;
  obs->arch = ss_arch_copy (ss_net_get_arch (net));
  obs->subscribers = g_array_new (FALSE, FALSE, sizeof (Subscriber));
  g_array_set_clear_func (obs->subscribers, clear_subscriber);
  obs->next_id = 1;
  obs->n = opt->profile.n_samples;
  if ((obs->probe = ss_profile_draw_samples (probe_source, &opt->profile, &obs->null_rng,
                                             error)) == NULL)
    return NULL;
  return g_steal_pointer (&obs);
}

void
ss_observer_free (SsObserver *obs)
{
  if (obs == NULL)
    return;
  g_array_unref (obs->subscribers);
  ss_freezer_free (obs->freezer);
  ss_arch_free (obs->arch);
  g_free (obs->probe);
  g_free (obs);
}

guint
ss_observer_subscribe (SsObserver       *obs,
                       SsObservationFunc func,
                       gpointer          user_data,
                       GDestroyNotify    destroy)
{
  Subscriber s = { 0, func, user_data, destroy };

  g_return_val_if_fail (obs != NULL && func != NULL, 0);

  s.id = obs->next_id++;
  g_array_append_val (obs->subscribers, s);
  return s.id;
}

void
ss_observer_unsubscribe (SsObserver *obs,
                         guint       id)
{
  g_return_if_fail (obs != NULL);

  for (guint i = 0; i < obs->subscribers->len; i++)
    if (g_array_index (obs->subscribers, Subscriber, i).id == id)
      {
        g_array_remove_index (obs->subscribers, i);
        return;
      }
  g_return_if_reached ();
}

gboolean
ss_observer_set_freeze_rule (SsObserver         *obs,
                             const SsFreezeRule *rule,
                             GError            **error)
{
  g_return_val_if_fail (obs != NULL, FALSE);

  if (rule != NULL && !ss_freeze_rule_validate (rule, error))
    return FALSE;
  g_clear_pointer (&obs->freezer, ss_freezer_free);
  if (rule != NULL)
    obs->freezer = ss_freezer_new (obs->arch, rule);
  return TRUE;
}

static void
observation_clear (gpointer data)
{
  SsObservation *o = data;
  g_array_unref (o->layers);
  g_strfreev (o->names);
  g_free (o->freeze);
}

SsObservation *
ss_observation_ref (SsObservation *o)
{
  g_return_val_if_fail (o != NULL, NULL);
  return g_atomic_rc_box_acquire (o);
}

void
ss_observation_unref (SsObservation *o)
{
  g_return_if_fail (o != NULL);
  g_atomic_rc_box_release_full (o, observation_clear);
}

/* Applies the rule to the epoch's conv entropies and fills o->freeze. */
static void
decide_freezing (SsObserver    *obs,
                 SsNet         *net,
                 SsObservation *o)
{
  int n_nodes = ss_arch_get_n_nodes (obs->arch);
  g_autofree double *saliency = g_new (double, n_nodes);          /* by node */
  g_autofree SsFreezeVerdict *verdicts = g_new0 (SsFreezeVerdict, n_nodes);
  gboolean decide = obs->freezer != NULL && o->progress.epoch_done;

  if (decide)
    {
      for (int i = 0; i < n_nodes; i++)
        saliency[i] = NAN;
      for (guint l = 0; l < o->layers->len; l++)
        {
          const SsLayerProfile *lp = &g_array_index (o->layers, SsLayerProfile, l);
          saliency[lp->node] = lp->saliency_mean;
        }
      ss_freezer_update (obs->freezer, net, saliency, verdicts);
    }
  for (guint l = 0; l < o->layers->len; l++)
    {
      int node = g_array_index (o->layers, SsLayerProfile, l).node;
      SsLayerFreeze *f = &o->freeze[l];
      f->freezable = ss_freeze_unit_of (obs->arch, node, NULL);
      f->frozen = ss_net_get_frozen (net, node);
      f->frozen_after = obs->freezer != NULL && f->freezable
                        ? ss_freezer_get_frozen_after (obs->freezer, node) : 0;
      f->verdict = decide ? verdicts[node] : SS_FREEZE_TOO_EARLY;
      o->n_frozen += f->freezable && f->frozen;
    }
}

SsObservation *
ss_observer_observe (SsObserver            *obs,
                     SsNet                 *net,
                     const SsTrainProgress *progress,
                     GError               **error)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GArray) profile = NULL;
  SsObservation *o;
  SsRng rng;

  g_return_val_if_fail (obs != NULL && net != NULL, NULL);
  g_return_val_if_fail (ss_arch_get_n_nodes (ss_net_get_arch (net)) ==
                        ss_arch_get_n_nodes (obs->arch), NULL);

  rng = obs->null_rng;
  profile = ss_profile_compute_samples (net, obs->probe, obs->n, &obs->opt.profile, &rng, NULL,
                                        error);
  if (profile == NULL)
    return NULL;

  o = g_atomic_rc_box_new0 (SsObservation);
  if (progress != NULL)
    o->progress = *progress;
  else
    o->progress = (SsTrainProgress) {
      .train_loss = NAN, .train_acc = NAN, .test_loss = NAN, .test_acc = NAN, .lr = NAN,
    };
  o->layers = g_steal_pointer (&profile);
  o->names = g_new0 (char *, o->layers->len + 1);
  for (guint l = 0; l < o->layers->len; l++)
    {
      SsLayerProfile *lp = &g_array_index (o->layers, SsLayerProfile, l);
      o->names[l] = g_strdup (lp->name);
      lp->name = o->names[l];
    }
  o->freeze = g_new0 (SsLayerFreeze, o->layers->len);
  decide_freezing (obs, net, o);
  o->seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;

  for (guint i = 0; i < obs->subscribers->len; i++)
    {
      const Subscriber *s = &g_array_index (obs->subscribers, Subscriber, i);
      s->func (o, s->user_data);
    }
  return o;
}

static gboolean
observe_hook (SsNet                 *net,
              const SsTrainProgress *progress,
              gpointer               user_data,
              GError               **error)
{
  SsObservation *o = ss_observer_observe (user_data, net, progress, error);
  if (o == NULL)
    return FALSE;
  ss_observation_unref (o);
  return TRUE;
}

void
ss_observer_attach (SsObserver   *obs,
                    SsTrainHooks *hooks)
{
  g_return_if_fail (obs != NULL && hooks != NULL);

  hooks->hook = observe_hook;
  hooks->hook_data = obs;
  hooks->hook_every = obs->opt.every_batches;
}

const SsTrainProgress *
ss_observation_get_progress (const SsObservation *o)
{
  g_return_val_if_fail (o != NULL, NULL);
  return &o->progress;
}

double
ss_observation_get_seconds (const SsObservation *o)
{
  g_return_val_if_fail (o != NULL, NAN);
  return o->seconds;
}

int
ss_observation_get_n_layers (const SsObservation *o)
{
  g_return_val_if_fail (o != NULL, 0);
  return (int) o->layers->len;
}

const SsLayerProfile *
ss_observation_get_layer (const SsObservation *o,
                          int                  layer)
{
  g_return_val_if_fail (o != NULL && layer >= 0 && (guint) layer < o->layers->len, NULL);
  return &g_array_index (o->layers, SsLayerProfile, layer);
}

const SsLayerFreeze *
ss_observation_get_freeze (const SsObservation *o,
                           int                  layer)
{
  g_return_val_if_fail (o != NULL && layer >= 0 && (guint) layer < o->layers->len, NULL);
  return &o->freeze[layer];
}

int
ss_observation_get_n_frozen (const SsObservation *o)
{
  g_return_val_if_fail (o != NULL, 0);
  return o->n_frozen;
}
