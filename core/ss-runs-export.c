/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-csv.h"
#include "ss-error.h"
#include "ss-json.h"
#include "ss-runs.h"

/* A run as CSV (one row per observation × layer, for a spreadsheet or pandas) or as one JSON
 * document (nested, for scripts). Numbers read back to the same double. */

static const char csv_header[] =
  "observation,epoch,batch,epoch_end,seconds,lr,train_loss,train_acc,test_loss,test_acc,extra,"
  "layer,saliency_mean,saliency_sd,i_xt,i_ty,frozen\n";

/* The observation's columns up to extra, then ',' before the layer's. */
static void
append_csv_observation (GString                *s,
                        guint                   index,
                        const SsRunObservation *obs)
{
  const double numbers[] = {
    obs->seconds, obs->lr, obs->train_loss, obs->train_acc, obs->test_loss, obs->test_acc,
  };

  g_string_append_printf (s, "%u,%d,%" G_GINT64_FORMAT ",%s", index, obs->epoch, obs->batch,
                          obs->epoch_end ? "true" : "false");
  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_string_append_c (s, ',');
      ss_csv_append_number (s, numbers[i]);
    }
  g_string_append_c (s, ',');
  ss_csv_append_text (s, obs->extra_json);
  g_string_append_c (s, ',');
}

static gboolean
write_csv (const SsRun   *run,
           GOutputStream *out,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GString) s = g_string_new (csv_header);

  for (guint i = 0; i < ss_run_get_n_observations (run); i++)
    {
      const SsRunObservation *obs = ss_run_get_observation (run, i);

      if (obs->n_layers == 0)
        {
          append_csv_observation (s, i, obs);
          g_string_append (s, ",,,,,\n");
        }
      for (guint l = 0; l < obs->n_layers; l++)
        {
          const SsRunLayerPoint *lp = &obs->layers[l];
          append_csv_observation (s, i, obs);
          ss_csv_append_text (s, lp->layer);
          g_string_append_c (s, ',');
          ss_csv_append_number (s, lp->saliency_mean);
          g_string_append_c (s, ',');
          ss_csv_append_number (s, lp->saliency_sd);
          g_string_append_c (s, ',');
          ss_csv_append_number (s, lp->i_xt);
          g_string_append_c (s, ',');
          ss_csv_append_number (s, lp->i_ty);
          g_string_append (s, lp->frozen ? ",true\n" : ",false\n");
        }
      /* One write per observation keeps memory flat for long runs. */
      if (!g_output_stream_write_all (out, s->str, s->len, NULL, cancellable, error))
        return FALSE;
      g_string_truncate (s, 0);
    }
  return s->len == 0 || g_output_stream_write_all (out, s->str, s->len, NULL, cancellable, error);
}

/* A time such as started_us in ISO 8601 UTC; null for 0 (not ended). */
static void
add_time (JsonBuilder *b,
          const char  *key,
          gint64       us)
{
  g_autoptr(GDateTime) s = NULL, t = NULL;
  g_autofree char *text = NULL;

  if (us != 0)
    {
      s = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
      t = g_date_time_add (s, us % G_USEC_PER_SEC);
      text = g_date_time_format_iso8601 (t);
    }
  ss_json_add_string (b, key, text);
}

void
ss_run_record_add_json (JsonBuilder       *b,
                        const SsRunRecord *r)
{
  ss_json_add_int (b, "id", r->id);
  ss_json_add_string (b, "kind", r->kind);
  ss_json_add_string (b, "label", r->label);
  ss_json_add_string (b, "status", ss_run_status_name (r->status));
  ss_json_add_string (b, "message", r->message);
  add_time (b, "started", r->started_us);
  add_time (b, "ended", r->ended_us);
}

static void
add_observation (JsonBuilder            *b,
                 const SsRunObservation *obs)
{
  json_builder_begin_object (b);
  ss_json_add_int (b, "epoch", obs->epoch);
  ss_json_add_int (b, "batch", obs->batch);
  ss_json_add_bool (b, "epoch_end", obs->epoch_end);
  ss_json_add_number (b, "seconds", obs->seconds);
  ss_json_add_number (b, "lr", obs->lr);
  ss_json_add_number (b, "train_loss", obs->train_loss);
  ss_json_add_number (b, "train_acc", obs->train_acc);
  ss_json_add_number (b, "test_loss", obs->test_loss);
  ss_json_add_number (b, "test_acc", obs->test_acc);
  ss_json_add_json (b, "extra", obs->extra_json);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint l = 0; l < obs->n_layers; l++)
    {
      const SsRunLayerPoint *lp = &obs->layers[l];
      json_builder_begin_object (b);
      ss_json_add_string (b, "layer", lp->layer);
      ss_json_add_number (b, "saliency_mean", lp->saliency_mean);
      ss_json_add_number (b, "saliency_sd", lp->saliency_sd);
      ss_json_add_number (b, "i_xt", lp->i_xt);
      ss_json_add_number (b, "i_ty", lp->i_ty);
      ss_json_add_bool (b, "frozen", lp->frozen);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static gboolean
write_json (const SsRun   *run,
            GOutputStream *out,
            GCancellable  *cancellable,
            GError       **error)
{
  const SsRunRecord *r = ss_run_get_record (run);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  ss_run_record_add_json (b, r);
  ss_json_add_string (b, "model_in", r->model_in);
  ss_json_add_string (b, "model_out", r->model_out);
  ss_json_add_string (b, "dataset", r->dataset);
  ss_json_add_json (b, "config", r->config_json);
  json_builder_set_member_name (b, "observations");
  json_builder_begin_array (b);
  for (guint i = 0; i < ss_run_get_n_observations (run); i++)
    add_observation (b, ss_run_get_observation (run, i));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_stream (gen, out, cancellable, error) &&
         g_output_stream_write_all (out, "\n", 1, NULL, cancellable, error);
}

gboolean
ss_run_write (const SsRun   *run,
              SsRunFormat    format,
              GOutputStream *out,
              GCancellable  *cancellable,
              GError       **error)
{
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (format == SS_RUN_FORMAT_CSV || format == SS_RUN_FORMAT_JSON, FALSE);

  if (format == SS_RUN_FORMAT_CSV)
    return write_csv (run, out, cancellable, error);
  return write_json (run, out, cancellable, error);
}

gboolean
ss_run_export (const SsRun *run,
               SsRunFormat  format,
               const char  *path,
               GError     **error)
{
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) local_error = NULL;
  GMemoryOutputStream *m = G_MEMORY_OUTPUT_STREAM (mem);

  g_return_val_if_fail (path != NULL, FALSE);

  /* Whole in memory first, so that the file is replaced in one step (temporary file, fsync,
   * rename) and a full disk never leaves half an export. */
  if (!ss_run_write (run, format, mem, NULL, error) || !g_output_stream_close (mem, NULL, error))
    return FALSE;
  if (!g_file_set_contents_full (path, g_memory_output_stream_get_data (m),
                                 (gssize) g_memory_output_stream_get_data_size (m),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666, &local_error))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not save “%s”: %s (the previous file, "
                   "if any, is unchanged)", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}
