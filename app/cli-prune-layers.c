/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-shipped.h"
#include "ss-prune-layers.h"

/* supersign-cli prune-layers: greedy semiotic layer removal (SPEC §6, thesis Table 2.4). The job
 * runs on a worker thread; the main thread waits in a main loop for it or for Ctrl-C, which
 * cancels: the last accepted model is then what gets saved. */

#define META_PRUNE_LAYERS "supersign.prune-layers"

typedef struct {
  SsPruneLayersJob *job;
  GCancellable     *cancellable;
  CliHistory       *history;
  /* Written by the worker, read by the main thread after it ends. */
  gboolean          ok;
  GError           *error;
} PruneRun;

static void add_strv (JsonBuilder *b, const char *key, char **v);

/* A step as the run history's extra columns. Transfer full. */
static char *
step_extra_json (const SsPruneLayersStep *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ss_json_add_string (b, "phase", "step");
  ss_json_add_int (b, "step", s->index);
  ss_json_add_string (b, "removed", s->removed);
  add_strv (b, "reinitialised", s->reinitialised);
  ss_json_add_int (b, "conv_layers", s->conv_layers);
  ss_json_add_int (b, "params", s->params);
  ss_json_add_int (b, "macs", s->macs);
  ss_json_add_bool (b, "accepted", s->accepted);
  json_builder_end_object (b);
  return ss_json_to_text (b);
}

/* Each training epoch and each step's end become observations of the recorded run; extra_json
 * says which phase and step (epochs count from 0 within their phase, steps from 0). */
static void
record_progress (const SsPruneLayersProgress *p,
                 CliHistory                  *history)
{
  const SsPruneLayersStep *s = p->result;

  if (p->phase == SS_PRUNE_LAYERS_TRAINING && p->train->epoch_done)
    {
      g_autofree char *extra = g_strdup_printf ("{\"phase\": \"%s\", \"step\": %d}",
                                                p->step == 0 ? "train" : "retrain", p->step);
      SsRunObservation obs;

      ss_train_progress_to_run_row (p->train, extra, &obs);
      cli_history_observe (history, &obs);
    }
  else if (p->phase == SS_PRUNE_LAYERS_STEP_DONE)
    {
      g_autofree char *extra = step_extra_json (s);
      SsRunObservation obs = {
        .epoch = s->index, .epoch_end = TRUE, .seconds = NAN, .lr = NAN, .train_loss = NAN,
        .train_acc = NAN, .test_loss = s->loss, .test_acc = s->accuracy, .extra_json = extra,
      };
      cli_history_observe (history, &obs);
    }
}

static void
print_progress (const SsPruneLayersProgress *p,
                gpointer                     user_data)
{
  const SsPruneLayersStep *s = p->result;
  PruneRun *run = user_data;

  record_progress (p, run->history);
  switch (p->phase)
    {
    case SS_PRUNE_LAYERS_TRAINING:
      if (p->train->epoch_done)
        fprintf (stderr, "step %d: %s epoch %d/%d  loss %.4f  train acc %.2f%%  %.0f img/s  "
                 "%.1f s\n", p->step, p->step == 0 ? "training" : "retraining",
                 p->train->epoch + 1, p->train->epochs, p->train->train_loss,
                 100 * p->train->train_acc, p->train->images_per_s, p->train->epoch_seconds);
      break;
    case SS_PRUNE_LAYERS_PROFILING:
      fprintf (stderr, "step %d: measuring the saliency entropy of the conv layers\n", p->step);
      break;
    case SS_PRUNE_LAYERS_STEP_DONE:
      if (s->removed == NULL)
        fprintf (stderr, "step 0: %d conv layers, test accuracy %.2f%%\n", s->conv_layers,
                 100 * s->accuracy);
      else
        fprintf (stderr, "step %d: removed %s (entropy %.4f ≥ %.4f before it), test accuracy "
                 "%.2f%%%s\n", s->index, s->removed, s->entropy, s->previous_entropy,
                 100 * s->accuracy, s->accepted ? "" : " — beyond the tolerance");
      break;
    default:
      break;
    }
}

static gpointer
prune_thread (gpointer user_data)
{
  PruneRun *run = user_data;
  run->ok = ss_prune_layers_job_run (run->job, print_progress, run, run->cancellable,
                                     &run->error);
  return NULL;
}

static void
add_strv (JsonBuilder *b,
          const char  *key,
          char       **v)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (char **s = v; s != NULL && *s != NULL; s++)
    json_builder_add_string_value (b, *s);
  json_builder_end_array (b);
}

static void
add_steps (JsonBuilder      *b,
           SsPruneLayersJob *job)
{
  json_builder_begin_array (b);
  for (int i = 0; i < ss_prune_layers_job_get_n_steps (job); i++)
    {
      const SsPruneLayersStep *s = ss_prune_layers_job_get_step (job, i);
      json_builder_begin_object (b);
      ss_json_add_int (b, "step", s->index);
      ss_json_add_string (b, "removed", s->removed);
      add_strv (b, "candidates", s->candidates);
      add_strv (b, "reinitialised", s->reinitialised);
      ss_json_add_number (b, "entropy", s->entropy);
      ss_json_add_number (b, "previous_entropy", s->previous_entropy);
      ss_json_add_int (b, "conv_layers", s->conv_layers);
      ss_json_add_int (b, "params", s->params);
      ss_json_add_int (b, "macs", s->macs);
      ss_json_add_number (b, "accuracy", s->accuracy);
      ss_json_add_number (b, "loss", s->loss);
      ss_json_add_bool (b, "accepted", s->accepted);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* The step table as a JSON string for the model file's metadata. Transfer full. */
static char *
steps_json (SsPruneLayersJob *job)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  add_steps (b, job);
  return ss_json_to_text (b);
}

static void
print_table (SsPruneLayersJob *job,
             double            tolerance)
{
  const SsPruneLayersStep *s0 = ss_prune_layers_job_get_step (job, 0);

  printf ("greedy semiotic layer removal, tolerance %g points below the original\n"
          "(MACs: conv and linear multiply–accumulates per image; parameters include biases and "
          "BN affine terms)\n\n", tolerance);
  printf ("%-4s %-22s %6s %12s %14s %9s %8s  %s\n", "step", "removed", "convs", "params",
          "MACs", "accuracy", "Δ", "");
  for (int i = 0; i < ss_prune_layers_job_get_n_steps (job); i++)
    {
      const SsPruneLayersStep *s = ss_prune_layers_job_get_step (job, i);
      printf ("%-4d %-22s %6d %12" G_GINT64_FORMAT " %14" G_GINT64_FORMAT " %8.2f%% %+8.2f  %s\n",
              s->index, s->removed ? s->removed : "— (original)", s->conv_layers, s->params,
              s->macs, 100 * s->accuracy, 100 * (s->accuracy - s0->accuracy),
              s->accepted ? "" : "rejected");
    }
}

static void
print_json (SsPruneLayersJob *job,
            const PruneRun   *run,
            const SsDataset  *train,
            const SsDataset  *test,
            const CliOptions *opts,
            double            tolerance,
            gboolean          saved)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const SsArch *arch = ss_net_get_arch (ss_prune_layers_job_get_model (job));
  const char *reason = ss_prune_layers_job_get_stop_reason (job);

  json_builder_begin_object (b);
  ss_json_add_string (b, "data", ss_dataset_get_name (train));
  ss_json_add_int (b, "train_images", (gint64) ss_dataset_get_size (train));
  ss_json_add_int (b, "test_images", (gint64) ss_dataset_get_size (test));
  ss_json_add_number (b, "tolerance", tolerance);
  ss_json_add_bool (b, "completed", run->ok);
  json_builder_set_member_name (b, "stop_reason");
  if (reason != NULL)
    json_builder_add_string_value (b, reason);
  else
    json_builder_add_null_value (b);
  if (run->error != NULL)
    {
      ss_json_add_string (b, "error", run->error->message);
    }
  json_builder_set_member_name (b, "steps");
  add_steps (b, job);
  json_builder_set_member_name (b, "final");
  json_builder_begin_object (b);
  ss_json_add_string (b, "model", ss_arch_get_name (arch));
  ss_json_add_int (b, "params", ss_arch_total_params (arch));
  ss_json_add_int (b, "macs", ss_arch_total_macs (arch));
  json_builder_end_object (b);
  if (saved)
    {
      ss_json_add_string (b, "out", opts->out);
    }
  json_builder_end_object (b);
  cli_print_json (b);
}

int
cli_prune_layers (CliOptions *opts,
                  int         argc,
                  char      **argv)
{
  SsPruneLayersConfig config;
  int retrain = 1, test_subset = 0, samples = 50, max_removals = 0;
  double tolerance = 1.0;
  const GOptionEntry own[] = {
    { "retrain-epochs", 0, 0, G_OPTION_ARG_INT, &retrain,
      "Epochs of retraining after each removal (default 1)", "N" },
    { "tolerance", 0, 0, G_OPTION_ARG_DOUBLE, &tolerance,
      "Stop when test accuracy falls more than this many points below the original "
      "(default 1)", "POINTS" },
    { "max-removals", 0, 0, G_OPTION_ARG_INT, &max_removals,
      "Stop after this many removals (default 0: no limit)", "N" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &samples,
      "Training samples for the saliency entropy (default 50)", "N" },
    { "test-subset", 0, 0, G_OPTION_ARG_INT, &test_subset,
      "Measure accuracy on the first N test images only", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "Save the final model here (atomically)", "FILE" },
    { NULL }
  };
  g_autofree GOptionEntry *entries = cli_recipe_entries (opts, own);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) train = NULL, test = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsPruneLayersJob) job = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  CliOptions recipe;
  PruneRun run = { 0 };
  gboolean cancelled, saved = FALSE;
  int status;

  if (!cli_parse_options (opts, "prune-layers",
                          "greedy removal of conv layers whose saliency entropy does not fall "
                          "(--epochs 0: start from a trained --model)", entries, &argc, &argv))
    return 2;
  if (opts->epochs == 0 && opts->model != NULL &&
      !g_str_has_suffix (opts->model, ".safetensors"))
    {
      fprintf (stderr, "supersign-cli prune-layers: --epochs 0 needs a trained --model "
               "FILE.safetensors\n");
      return 2;
    }
  /* Without --model: train a fresh fmnist-vgg, or with --epochs 0 take the shipped one. */
  if (opts->model == NULL && opts->epochs > 0)
    opts->model = g_strdup ("fmnist-vgg");
  if ((opts->model == NULL || g_str_has_suffix (opts->model, ".safetensors")) &&
      (net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
    return cli_fail (error);
  if ((train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_take_subset ("prune-layers", "--subset", opts->subset, &train) ||
      !cli_take_subset ("prune-layers", "--test-subset", test_subset, &test))
    return 2;
  if (net == NULL && (net = cli_open_model (opts, train, &metadata, &error)) == NULL)
    return cli_fail (error);

  ss_prune_layers_config_init (&config);
  /* The recipe as one retraining phase would run it; the job sets each phase's length. */
  recipe = *opts;
  recipe.epochs = MAX (opts->epochs, retrain);
  if (!cli_recipe_config (&recipe, &config.train, &error))
    return cli_fail (error);
  config.epochs = opts->epochs;
  config.retrain_epochs = retrain;
  config.tolerance = tolerance;
  config.max_removals = max_removals;
  config.profile.n_samples = samples;
  config.seed = (guint64) opts->seed;
  if (!ss_prune_layers_config_validate (&config, &error) ||
      !ss_check_data_fits (net, train, &error))
    return cli_fail (error);

  fprintf (stderr, "prune-layers: %s on %s (%" G_GSIZE_FORMAT " training, %" G_GSIZE_FORMAT
           " test images), %d initial epoch%s, %d retraining epoch%s per removal, tolerance %g "
           "points, %d threads\n", ss_arch_get_name (ss_net_get_arch (net)),
           ss_dataset_get_name (train), ss_dataset_get_size (train), ss_dataset_get_size (test),
           opts->epochs, opts->epochs == 1 ? "" : "s", retrain, retrain == 1 ? "" : "s",
           tolerance, ss_net_get_n_threads (net));

  {
    const char *model_in = opts->model != NULL ? opts->model : ss_shipped_default_model ();
    g_autofree char *config_text = g_strdup_printf (
        "{\"epochs\": %d, \"retrain_epochs\": %d, \"tolerance\": %g, \"max_removals\": %d, "
        "\"samples\": %d, \"subset\": %d, \"test_subset\": %d, \"seed\": %" G_GINT64_FORMAT
        "}", opts->epochs, retrain, tolerance, max_removals, samples, opts->subset, test_subset,
        opts->seed);
    SsRunInfo info = { SS_RUN_KIND_PRUNE_LAYERS, "supersign-cli prune-layers", config_text,
                       model_in, cli_data_spec (opts, cli_model_dataset (metadata)) };
    run.history = cli_history_begin (opts, &info);
  }
  job = ss_prune_layers_job_new (g_steal_pointer (&net), train, test, &config);
  cancellable = g_cancellable_new ();
  run.job = job;
  run.cancellable = cancellable;
  cli_run_in_worker ("prune-layers", prune_thread, &run, cancellable,
                     "stopping after this batch; the last accepted model is kept");
  cancelled = g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The last accepted model is consistent even after a cancel; before step 0 there is none. */
  if (opts->out != NULL && ss_prune_layers_job_get_n_steps (job) > 0)
    {
      g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      g_autoptr(GError) save_error = NULL;
      g_hash_table_insert (meta, SS_MODEL_META_DATASET,
                           g_strdup (cli_data_spec (opts, cli_model_dataset (metadata))));
      g_hash_table_insert (meta, META_PRUNE_LAYERS, steps_json (job));
      saved = ss_model_save (ss_prune_layers_job_get_model (job), opts->out, meta, &save_error);
      if (!saved)
        fprintf (stderr, "supersign-cli: could not save the model: %s\n", save_error->message);
    }

  if (opts->json)
    print_json (job, &run, train, test, opts, tolerance, saved);
  else if (ss_prune_layers_job_get_n_steps (job) > 0)
    {
      const SsArch *arch = ss_net_get_arch (ss_prune_layers_job_get_model (job));
      print_table (job, tolerance);
      printf ("\n%s: %" G_GINT64_FORMAT " parameters, %" G_GINT64_FORMAT " MACs%s%s\n",
              cancelled ? "stopped; last accepted model" : "final model",
              ss_arch_total_params (arch), ss_arch_total_macs (arch),
              saved ? ", saved in " : "", saved ? opts->out : "");
      if (ss_prune_layers_job_get_stop_reason (job) != NULL)
        printf ("stopped because %s\n", ss_prune_layers_job_get_stop_reason (job));
    }
  cli_history_finish (run.history, run.ok ? SS_RUN_FINISHED
                                   : cancelled ? SS_RUN_INTERRUPTED : SS_RUN_FAILED,
                      saved ? opts->out : NULL, run.error ? run.error->message : NULL);
  status = run.ok ? (opts->out != NULL && !saved ? 1 : 0)
                  : cancelled ? 130 : cli_fail (run.error);
  g_clear_error (&run.error);
  return status;
}
