/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-observer.h"
#include "ss-train.h"

/* Training runs on a worker thread while the main thread waits for it or for Ctrl-C, which
 * cancels between batches: the weights are then those of the last full step, and they are saved
 * like an epoch's checkpoint. Every epoch is recorded in the run history as it ends (with the
 * observer's layer entropies when --observe or --freeze is on). */

typedef struct {
  /* Owned by the caller of run_training; the worker only reads the config. */
  SsNet          *net;
  SsDataset      *train;
  SsDataset      *test;
  SsTrainConfig   config;
  const CliOptions *opts;
  const char     *data_spec;       /* recorded in the model file */
  GCancellable   *cancellable;
  SsObserver     *observer;        /* nullable: --observe or --freeze */
  CliHistory     *history;         /* nullable: --no-history */
  /* Written by the worker, read by the main thread after the loop quits. */
  gboolean        ok;
  GError         *error;
  GArray         *epochs;          /* SsTrainProgress at each epoch's end */
  SsTrainProgress last;
  gint64          last_print;
  gboolean        tty;
} TrainJob;

static char *
training_metadata (TrainJob              *job,
                   const SsTrainProgress *p,
                   gboolean               interrupted)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const SsTrainConfig *c = &job->config;

  json_builder_begin_object (b);
  ss_json_add_int (b, "epochs_done", p->epoch_done ? p->epoch + 1 : p->epoch);
  ss_json_add_int (b, "epochs", c->epochs);
  ss_json_add_bool (b, "interrupted", interrupted);
  ss_json_add_int (b, "batch", c->batch_size);
  ss_json_add_number (b, "lr", c->schedule.lr);
  ss_json_add_string (b, "schedule", job->opts->schedule ? job->opts->schedule : "cosine");
  ss_json_add_number (b, "momentum", c->momentum);
  ss_json_add_number (b, "weight_decay", c->weight_decay);
  ss_json_add_bool (b, "nesterov", c->nesterov);
  ss_json_add_bool (b, "augment", c->augment);
  ss_json_add_int (b, "seed", (gint64) c->seed);
  ss_json_add_int (b, "threads", ss_net_get_n_threads (job->net));
  ss_json_add_int (b, "train_images", (gint64) ss_dataset_get_size (job->train));
  if (p->epoch_done && !isnan (p->test_acc))
    {
      ss_json_add_number (b, "test_accuracy", p->test_acc);
      ss_json_add_number (b, "test_loss", p->test_loss);
    }
  json_builder_end_object (b);
  return ss_json_to_text (b);
}

static gboolean
save_checkpoint (TrainJob              *job,
                 const SsTrainProgress *p,
                 gboolean               interrupted,
                 GError               **error)
{
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (job->opts->out == NULL)
    return TRUE;
  g_hash_table_insert (meta, SS_MODEL_META_DATASET, g_strdup (job->data_spec));
  g_hash_table_insert (meta, SS_MODEL_META_TRAINING, training_metadata (job, p, interrupted));
  return ss_model_save (job->net, job->opts->out, meta, error);
}

static void
print_progress (const SsTrainProgress *p,
                gpointer               user_data)
{
  TrainJob *job = user_data;
  gint64 now = g_get_monotonic_time ();

  job->last = *p;
  if (p->epoch_done)
    {
      g_autoptr(GError) error = NULL;
      g_array_append_val (job->epochs, *p);
      if (job->observer == NULL)
        {
          SsRunObservation row;
          ss_train_progress_to_run_row (p, NULL, &row);
          cli_history_observe (job->history, &row);
        }
      fprintf (stderr, "%sepoch %d/%d  loss %.4f  train acc %.2f%%  test loss %.4f  "
               "test acc %.2f%%  %.0f img/s  %.1f s\n", job->tty ? "\r\033[K" : "",
               p->epoch + 1, p->epochs, p->train_loss, 100 * p->train_acc, p->test_loss,
               100 * p->test_acc, p->images_per_s, p->epoch_seconds);
      /* A failed save is reported but does not stop training; the error is kept for the end. */
      if (!save_checkpoint (job, p, FALSE, &error))
        fprintf (stderr, "supersign-cli: could not save the checkpoint: %s\n", error->message);
      return;
    }
  /* A terminal gets a line redrawn ~5 times a second; a log gets one line per tenth of an
   * epoch. */
  if (job->tty ? now - job->last_print < G_USEC_PER_SEC / 5
               : (p->batch * 10 / p->n_batches) == ((p->batch - 1) * 10 / p->n_batches))
    return;
  job->last_print = now;
  fprintf (stderr, "%sepoch %d/%d  batch %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "  loss %.4f  "
           "acc %.2f%%  %.0f img/s  ETA %.0f s%s", job->tty ? "\r\033[K" : "",
           p->epoch + 1, p->epochs, p->batch, p->n_batches, p->train_loss, 100 * p->train_acc,
           p->images_per_s, p->eta_seconds, job->tty ? "" : "\n");
}

static gpointer
train_thread (gpointer user_data)
{
  TrainJob *job = user_data;
  SsTrainHooks hooks = { .progress = print_progress, .progress_data = job };

  if (job->observer != NULL)
    ss_observer_attach (job->observer, &hooks);
  job->ok = ss_train_with_hooks (job->net, job->train, job->test, &job->config, &hooks,
                                 job->cancellable, &job->error);
  return NULL;
}

static void
print_result (TrainJob *job)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (job->net)));
  ss_json_add_string (b, "data", ss_dataset_get_name (job->train));
  ss_json_add_int (b, "train_images", (gint64) ss_dataset_get_size (job->train));
  ss_json_add_bool (b, "completed", job->ok);
  if (job->error != NULL)
    {
      ss_json_add_string (b, "error", job->error->message);
    }
  json_builder_set_member_name (b, "epochs");
  json_builder_begin_array (b);
  for (guint i = 0; i < job->epochs->len; i++)
    {
      const SsTrainProgress *p = &g_array_index (job->epochs, SsTrainProgress, i);
      json_builder_begin_object (b);
      ss_json_add_int (b, "epoch", p->epoch + 1);
      ss_json_add_number (b, "lr", p->lr);
      ss_json_add_number (b, "train_loss", p->train_loss);
      ss_json_add_number (b, "train_accuracy", p->train_acc);
      ss_json_add_number (b, "test_loss", p->test_loss);
      ss_json_add_number (b, "test_accuracy", p->test_acc);
      ss_json_add_number (b, "images_per_second", p->images_per_s);
      ss_json_add_number (b, "seconds", p->epoch_seconds);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (job->opts->out != NULL)
    {
      ss_json_add_string (b, "out", job->opts->out);
    }
  json_builder_end_object (b);
  cli_print_json (b);
}

GOptionEntry *
cli_recipe_entries (CliOptions         *opts,
                    const GOptionEntry *more)
{
  const GOptionEntry entries[] = {
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &opts->epochs, "Epochs (default 3)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &opts->batch, "Mini-batch size (default 64)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &opts->lr, "Base learning rate (default 0.05)", "LR" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &opts->schedule,
      "constant, cosine (default), step or step:M1,M2@GAMMA", "KIND" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &opts->momentum, "SGD momentum (default 0.9)", "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &opts->weight_decay,
      "L2 weight decay (default 5e-4)", "WD" },
    { "nesterov", 0, 0, G_OPTION_ARG_NONE, &opts->nesterov, "Nesterov momentum", NULL },
    { "augment", 0, 0, G_OPTION_ARG_NONE, &opts->augment,
      "Random crop (4-pixel padding) and horizontal flip", NULL },
    { "subset", 0, 0, G_OPTION_ARG_INT, &opts->subset,
      "Train on the first N training images only", "N" },
    { NULL }
  };
  return cli_entries_concat (entries, more);
}

gboolean
cli_recipe_config (const CliOptions *opts,
                   SsTrainConfig    *config,
                   GError          **error)
{
  ss_train_config_init (config);
  config->epochs = opts->epochs;
  config->batch_size = opts->batch;
  config->momentum = opts->momentum;
  config->weight_decay = opts->weight_decay;
  config->nesterov = opts->nesterov;
  config->augment = opts->augment;
  config->seed = (guint64) opts->seed;
  if (!ss_schedule_parse (&config->schedule, opts->schedule ? opts->schedule : "cosine",
                          opts->epochs, error))
    return FALSE;
  config->schedule.lr = opts->lr;
  return ss_train_config_validate (config, error);
}

gboolean
cli_take_subset (const char *command,
                 const char *option,
                 int         n,
                 SsDataset **ds)
{
  g_autofree guint32 *idx = NULL;
  SsDataset *subset;

  if (n < 0 || (gsize) n > ss_dataset_get_size (*ds))
    {
      fprintf (stderr, "supersign-cli %s: %s must be between 1 and %" G_GSIZE_FORMAT "\n",
               command, option, ss_dataset_get_size (*ds));
      return FALSE;
    }
  if (n == 0)
    return TRUE;
  idx = g_new (guint32, n);
  for (int i = 0; i < n; i++)
    idx[i] = (guint32) i;
  subset = ss_dataset_subset (*ds, idx, (gsize) n);
  ss_dataset_free (*ds);
  *ds = subset;
  return TRUE;
}

int
cli_train (CliOptions *opts,
           int         argc,
           char      **argv)
{
  CliObserveOptions observe;
  gboolean freeze = FALSE, print_entropy = FALSE;
  const GOptionEntry own[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "Save the model here after every epoch (atomically) and when stopped", "FILE" },
    { "freeze", 0, 0, G_OPTION_ARG_NONE, &freeze,
      "Freeze conv layers whose saliency entropy settles (docs/freezing.md)", NULL },
    { "observe", 0, 0, G_OPTION_ARG_NONE, &print_entropy,
      "Print each saliency layer's entropy and information-plane point after every epoch",
      NULL },
    { NULL }
  };
  g_autofree GOptionEntry *observe_entries = NULL;
  g_autofree GOptionEntry *entries = NULL;
  g_autoptr(SsObserver) observer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsDataset) train = NULL, test = NULL;
  TrainJob job = { 0 };
  gboolean cancelled;
  int status;

  cli_observe_options_init (&observe);
  observe_entries = cli_observe_entries (&observe, own);
  entries = cli_recipe_entries (opts, observe_entries);
  if (!cli_parse_options (opts, "train", "train a model", entries, &argc, &argv))
    return 2;
  /* Training starts from fresh weights unless a model file is named. */
  if (opts->model == NULL)
    opts->model = g_strdup ("fmnist-vgg");

  if (opts->model != NULL && g_str_has_suffix (opts->model, ".safetensors"))
    {
      /* A model file names the data set it was trained on; read that first. */
      if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
        return cli_fail (error);
    }
  if ((train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_take_subset ("train", "--subset", opts->subset, &train))
    return 2;
  if (net == NULL && (net = cli_open_model (opts, train, &metadata, &error)) == NULL)
    return cli_fail (error);
  if (!ss_check_data_fits (net, train, &error))
    return cli_fail (error);

  if (!cli_recipe_config (opts, &job.config, &error))
    return cli_fail (error);
  if ((freeze || print_entropy) &&
      (observer = cli_observer_new (&observe, net, train, freeze, &error)) == NULL)
    return cli_fail (error);
  if (observer != NULL)
    ss_observer_subscribe (observer, cli_print_observation, NULL, NULL);

  cancellable = g_cancellable_new ();
  job.net = net;
  job.train = train;
  job.test = test;
  job.opts = opts;
  job.data_spec = cli_data_spec (opts, cli_model_dataset (metadata));
  job.cancellable = cancellable;
  job.observer = observer;
  job.epochs = g_array_new (FALSE, TRUE, sizeof (SsTrainProgress));
  job.tty = isatty (STDERR_FILENO);
  {
    g_autofree char *config = training_metadata (&job, &job.last, FALSE);
    SsRunInfo info = { SS_RUN_KIND_TRAIN, "supersign-cli train", config,
                       opts->model, job.data_spec };
    job.history = cli_history_begin (opts, &info);
  }
  if (observer != NULL && job.history != NULL)
    ss_observer_subscribe (observer, cli_history_observe_layers, job.history, NULL);

  fprintf (stderr, "training %s on %s (%" G_GSIZE_FORMAT " images), %d epoch%s, batch %d, "
           "lr %g (%s), %d threads, seed %" G_GINT64_FORMAT "\n",
           ss_arch_get_name (ss_net_get_arch (net)), ss_dataset_get_name (train),
           ss_dataset_get_size (train), opts->epochs, opts->epochs == 1 ? "" : "s", opts->batch,
           opts->lr,
           opts->schedule ? opts->schedule : "cosine", ss_net_get_n_threads (net), opts->seed);
  cli_run_in_worker ("train", train_thread, &job, cancellable,
                     "stopping after this batch");

  cancelled = g_error_matches (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (cancelled && opts->out != NULL)
    {
      g_autoptr(GError) save_error = NULL;
      if (save_checkpoint (&job, &job.last, TRUE, &save_error))
        fprintf (stderr, "stopped: the model after epoch %d, batch %" G_GSIZE_FORMAT
                 " is saved in %s\n", job.last.epoch + 1, job.last.batch, opts->out);
      else
        fprintf (stderr, "supersign-cli: could not save the checkpoint: %s\n",
                 save_error->message);
    }
  else if (cancelled)
    fprintf (stderr, "stopped (no --out given, nothing saved)\n");

  cli_history_finish (job.history, job.ok ? SS_RUN_FINISHED
                                   : cancelled ? SS_RUN_INTERRUPTED : SS_RUN_FAILED,
                      opts->out, job.error != NULL ? job.error->message : NULL);
  if (opts->json)
    print_result (&job);
  status = job.ok ? 0 : cancelled ? 130 : cli_fail (job.error);
  g_clear_error (&job.error);
  g_array_unref (job.epochs);
  return status;
}

int
cli_eval (CliOptions *opts,
          int         argc,
          char      **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) test = NULL;
  g_autoptr(SsNet) net = NULL;
  double loss, acc;
  gint64 start;
  double secs;

  if (!cli_parse_options (opts, "eval", "evaluate a model", NULL, &argc, &argv))
    return 2;
  if (opts->model != NULL && g_str_has_suffix (opts->model, ".safetensors") &&
      (net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
    return cli_fail (error);
  if ((test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (net == NULL && (net = cli_open_model (opts, test, &metadata, &error)) == NULL)
    return cli_fail (error);
  start = g_get_monotonic_time ();
  if (!ss_evaluate (net, test, 256, &loss, &acc, NULL, &error))
    return cli_fail (error);
  secs = cli_seconds_since (start);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (net)));
      ss_json_add_string (b, "data", ss_dataset_get_name (test));
      ss_json_add_int (b, "images", (gint64) ss_dataset_get_size (test));
      ss_json_add_number (b, "loss", loss);
      ss_json_add_number (b, "accuracy", acc);
      ss_json_add_number (b, "seconds", secs);
      json_builder_end_object (b);
      cli_print_json (b);
    }
  else
    printf ("%s on %s test set (%" G_GSIZE_FORMAT " images): loss %.4f, accuracy %.2f%% "
            "(%.1f s)\n", ss_arch_get_name (ss_net_get_arch (net)), ss_dataset_get_name (test),
            ss_dataset_get_size (test), loss, 100 * acc, secs);
  return 0;
}
