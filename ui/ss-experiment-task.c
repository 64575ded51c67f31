/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-experiment-page.h"
#include "ss-experiment-task.h"
#include "ss-observer-record.h"

/* ---- Data --------------------------------------------------------------------------------- */

/* The first n images of ds; NULL when that is all of ds (n is 0 or at least its size).
 * Transfer full. */
static SsDataset *
first_images (const SsDataset *ds,
              int              n)
{
  g_autofree guint32 *idx = NULL;

  if (n <= 0 || (gsize) n >= ss_dataset_get_size (ds))
    return NULL;
  idx = g_new (guint32, n);
  for (int i = 0; i < n; i++)
    idx[i] = (guint32) i;
  return ss_dataset_subset (ds, idx, (gsize) n);
}

const SsDataset *
ss_experiment_get_train (SsExperimentInput  *in,
                         GError            **error)
{
  const SsDataset *train;

  g_return_val_if_fail (in != NULL, NULL);

  if (in->train != NULL)
    return in->train;
  ss_job_task_progress (in->task, -1, _("Loading the training split…"));
  if ((train = ss_session_data_get_train (in->data, error)) == NULL)
    return NULL;
  in->train = first_images (train, in->train_subset);
  return in->train != NULL ? in->train : train;
}

const SsDataset *
ss_experiment_get_test (SsExperimentInput *in)
{
  g_return_val_if_fail (in != NULL, NULL);

  if (in->test == NULL)
    in->test = first_images (in->data->test, in->test_subset);
  return in->test != NULL ? in->test : in->data->test;
}

/* ---- Recording and posting ---------------------------------------------------------------- */

static void
observation_free (gpointer p)
{
  SsRunObservation *obs = p;

  for (guint i = 0; i < obs->n_layers; i++)
    g_free ((char *) obs->layers[i].layer);
  g_free ((SsRunLayerPoint *) obs->layers);
  g_free ((char *) obs->extra_json);
  g_free (obs);
}

/* A deep copy of obs, for the main thread. Transfer full: observation_free. */
static SsRunObservation *
observation_dup (const SsRunObservation *obs)
{
  SsRunObservation *copy = g_memdup2 (obs, sizeof *obs);
  SsRunLayerPoint *layers = g_memdup2 (obs->layers, sizeof *layers * obs->n_layers);

  for (guint i = 0; i < obs->n_layers; i++)
    layers[i].layer = g_strdup (obs->layers[i].layer);
  copy->layers = layers;
  copy->extra_json = g_strdup (obs->extra_json);
  return copy;
}

static void
begin_posted (GObject  *target,
              gpointer  data)
{
  ss_experiment_page_begin (SS_EXPERIMENT_PAGE (target), NULL, data);
}

static void
observe_posted (GObject  *target,
                gpointer  data)
{
  ss_experiment_page_observe (SS_EXPERIMENT_PAGE (target), data);
}

void
ss_experiment_begin (SsExperimentInput *in,
                     const char        *kind,
                     const char        *label,
                     const char        *config_json)
{
  SsRunInfo info = { kind, label, config_json, in->model->spec, in->data->spec };

  g_return_if_fail (in != NULL && in->task != NULL);

  ss_experiment_end (in, NULL);
  if (in->record && (in->db = ss_run_db_open (NULL, NULL)) != NULL)
    {
      gint64 run = ss_run_db_begin (in->db, &info, NULL);
      if (run != 0)
        in->run = run;
      else
        g_clear_pointer (&in->db, ss_run_db_free);   /* go on unrecorded */
    }
  ss_job_task_post (in->task, begin_posted, g_strdup (config_json), g_free);
}

void
ss_experiment_observe (SsExperimentInput      *in,
                       const SsRunObservation *obs)
{
  g_return_if_fail (in != NULL && in->task != NULL && obs != NULL);

  if (in->db != NULL && !ss_run_db_add_observation (in->db, in->run, obs, NULL))
    g_clear_pointer (&in->db, ss_run_db_free);   /* stop recording, keep going */
  ss_job_task_post (in->task, observe_posted, observation_dup (obs), observation_free);
}

void
ss_experiment_observe_training (SsExperimentInput     *in,
                                const SsTrainProgress *p,
                                const char            *extra_json)
{
  SsRunObservation obs;

  ss_train_progress_to_run_row (p, extra_json, &obs);
  ss_experiment_observe (in, &obs);
}

void
ss_experiment_end (SsExperimentInput *in,
                   const GError      *error)
{
  SsRunStatus status = error == NULL ? SS_RUN_FINISHED
                       : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                         ? SS_RUN_INTERRUPTED : SS_RUN_FAILED;

  g_return_if_fail (in != NULL);

  if (in->db != NULL)
    ss_run_db_finish (in->db, in->run, status, NULL,
                      status == SS_RUN_INTERRUPTED ? _("stopped by the user")
                      : error != NULL ? error->message : NULL, NULL);
  g_clear_pointer (&in->db, ss_run_db_free);
}

void
ss_experiment_train_progress (SsExperimentInput     *in,
                              const SsTrainProgress *p,
                              double                 lo,
                              double                 hi,
                              const char            *what)
{
  double done = (p->epoch + (p->n_batches ? (double) p->batch / p->n_batches : 0)) / p->epochs;
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("%s%sEpoch %d of %d · batch %lu of %lu · loss %.3f · "
                            "%.0f images/s · %.0f s left"), what ? what : "", what ? " · " : "",
                          p->epoch + 1, p->epochs, (unsigned long) p->batch,
                          (unsigned long) p->n_batches, p->train_loss, p->images_per_s,
                          p->eta_seconds);
  ss_job_task_progress (in->task, MIN (lo + (hi - lo) * done, 0.999), text);
}

static gboolean
history_changed (gpointer p)
{
  g_autoptr(GObject) page = g_weak_ref_get (p);

  if (page != NULL)
    g_signal_emit_by_name (page, "history-changed");
  return G_SOURCE_REMOVE;
}

static void
page_ref_free (gpointer p)
{
  g_weak_ref_clear (p);
  g_free (p);
}

void
ss_experiment_input_clear (SsExperimentInput *in)
{
  g_return_if_fail (in != NULL);

  g_clear_pointer (&in->model, ss_session_model_unref);
  g_clear_pointer (&in->data, ss_session_data_unref);
  g_clear_pointer (&in->test, ss_dataset_free);
  g_clear_pointer (&in->train, ss_dataset_free);
  g_clear_pointer (&in->db, ss_run_db_free);
  if (in->run != 0 && in->page != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, history_changed, g_steal_pointer (&in->page),
                     page_ref_free);
  g_clear_pointer (&in->page, page_ref_free);
}
