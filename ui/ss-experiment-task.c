/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-experiment-page.h"
#include "ss-experiment-task.h"

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

/* ---- JSON --------------------------------------------------------------------------------- */

void
ss_json_add_number (JsonBuilder *b,
                    const char  *name,
                    double       v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ss_json_add_int (JsonBuilder *b,
                 const char  *name,
                 gint64       v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
ss_json_add_string (JsonBuilder *b,
                    const char  *name,
                    const char  *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ss_json_add_ints (JsonBuilder *b,
                  const char  *name,
                  const int   *v,
                  int          n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

char *
ss_json_to_text (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

JsonObject *
ss_json_parse_object (const char *text)
{
  g_autoptr(JsonNode) root = NULL;

  if (text == NULL || (root = json_from_string (text, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
member (JsonObject *o,
        const char *name)
{
  return o != NULL && json_object_has_member (o, name) ? json_object_get_member (o, name)
                                                       : NULL;
}

double
ss_json_get_number (JsonObject *o,
                    const char *name)
{
  JsonNode *node = member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return (double) json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return json_node_get_double (node);
    default:
      return NAN;
    }
}

gint64
ss_json_get_int (JsonObject *o,
                 const char *name,
                 gint64      fallback)
{
  JsonNode *node = member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

const char *
ss_json_get_string (JsonObject *o,
                    const char *name)
{
  JsonNode *node = member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonArray *
ss_json_get_array (JsonObject *o,
                   const char *name)
{
  JsonNode *node = member (o, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}
