/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-amc.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-shipped.h"

/* supersign-cli amc: AMC's search (core/ss-amc.h) with the accuracy reward or the thesis's
 * entropy rewards (SPEC §7, thesis §3.1), then the best policy applied for real, fine-tuned and
 * saved. Each phase runs on a worker thread while the main thread waits in a main loop for it
 * or for Ctrl-C: during the search Ctrl-C stops it and the best policy so far is applied; during
 * fine-tuning it stops after the batch and the model so far is kept. A second Ctrl-C quits. */

#define META_AMC "supersign.amc"

typedef struct {
  /* Borrowed */
  const CliOptions *opts;
  SsAmcEnv         *env;
  CliHistory       *history;
  /* Owned by the phase runner */
  GCancellable     *cancellable;
  gboolean          interrupted;    /* a phase was stopped by the user */
  /* Search */
  int               episodes;
  SsDdpgOptions     agent;
  JsonBuilder      *log;            /* the episodes, for --json */
  /* Fine-tuning */
  SsNet            *pruned;
  SsDataset        *train;
  SsDataset        *test;
  SsTrainConfig     config;
  /* Written by the worker, read by the main thread after the loop quits */
  gboolean          ok;
  GError           *error;
} AmcJob;

static void
on_episode (const SsAmcEpisode *e,
            gpointer            user_data)
{
  AmcJob *job = user_data;
  g_autoptr(JsonBuilder) extra = json_builder_new ();
  g_autofree char *extra_text = NULL;
  g_autofree char *measured = NULL;
  SsRunObservation obs = {
    .epoch = e->episode, .seconds = e->seconds, .lr = NAN, .train_loss = NAN,
    .train_acc = NAN, .test_loss = NAN, .test_acc = NAN,
  };

  measured = !isnan (e->measure.accuracy)
             ? g_strdup_printf ("held-out accuracy %.2f%%", 100 * e->measure.accuracy)
             : g_strdup_printf ("conv AME %.4f", e->measure.ame);
  fprintf (stderr, "episode %d/%d  reward %.4f  %s  MACs kept %.2f%%  best %.4f (episode %d)"
           "%s  %.1f s\n", e->episode + 1, e->n_episodes, e->measure.reward, measured,
           100 * e->macs_kept, e->best_reward, e->best_episode + 1,
           e->warmup ? "  warm-up" : "", e->seconds);

  json_builder_begin_object (extra);
  ss_json_add_string (extra, "phase", "search");
  ss_amc_episode_add_json (extra, e);
  json_builder_end_object (extra);
  obs.extra_json = extra_text = ss_json_to_text (extra);
  cli_history_observe (job->history, &obs);

  json_builder_begin_object (job->log);
  ss_amc_episode_add_json (job->log, e);
  json_builder_end_object (job->log);
}

static void
on_finetune (const SsTrainProgress *p,
             gpointer               user_data)
{
  AmcJob *job = user_data;
  SsRunObservation obs;

  if (!p->epoch_done)
    return;
  ss_train_progress_to_run_row (p, "{\"phase\": \"finetune\"}", &obs);
  fprintf (stderr, "fine-tuning epoch %d/%d  loss %.4f  train acc %.2f%%  test acc %.2f%%  "
           "%.1f s\n", p->epoch + 1, p->epochs, p->train_loss, 100 * p->train_acc,
           100 * p->test_acc, p->epoch_seconds);
  cli_history_observe (job->history, &obs);
}

static gpointer
search_thread (gpointer user_data)
{
  AmcJob *job = user_data;
  job->ok = ss_amc_search (job->env, &job->agent, job->episodes, (guint64) job->opts->seed,
                           on_episode, job, job->cancellable, &job->error);
  return NULL;
}

static gpointer
finetune_thread (gpointer user_data)
{
  AmcJob *job = user_data;
  job->ok = ss_train (job->pruned, job->train, job->test, &job->config, on_finetune, job,
                      job->cancellable, &job->error);
  return NULL;
}

/* Runs func on a worker thread until it ends or Ctrl-C cancels it. TRUE if it was cancelled
 * (job->error then holds G_IO_ERROR_CANCELLED). */
static gboolean
run_phase (AmcJob      *job,
           GThreadFunc  func,
           const char  *name,
           const char  *stop_message)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  job->cancellable = cancellable;
  job->ok = FALSE;
  g_clear_error (&job->error);
  if (cli_run_in_worker (name, func, job, cancellable, stop_message))
    job->interrupted = TRUE;
  job->cancellable = NULL;
  return g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct {
  char    *reward;
  double   keep;
  int      episodes;
  int      warmup;
  int      finetune_epochs;
  double   lr;
  double   lbound;
  int      channel_round;
  int      val_size;
  int      calibration;
  int      entropy_samples;
  int      test_subset;
} AmcArgs;

static char *
config_json (const AmcArgs    *a,
             const CliOptions *opts)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ss_json_add_string (b, "reward", a->reward);
  ss_json_add_number (b, "keep_flops", a->keep);
  ss_json_add_int (b, "episodes", a->episodes);
  ss_json_add_int (b, "warmup", a->warmup);
  ss_json_add_int (b, "finetune_epochs", a->finetune_epochs);
  ss_json_add_number (b, "lr", a->lr);
  ss_json_add_number (b, "lbound", a->lbound);
  ss_json_add_int (b, "channel_round", a->channel_round);
  ss_json_add_int (b, "val_size", a->val_size);
  ss_json_add_int (b, "calibration", a->calibration);
  ss_json_add_int (b, "entropy_samples", a->entropy_samples);
  ss_json_add_int (b, "subset", opts->subset);
  ss_json_add_int (b, "seed", opts->seed);
  json_builder_end_object (b);
  return ss_json_to_text (b);
}

/* Ends the recorded run as failed and reports error: exit status 1. */
static int
fail_run (AmcJob       *job,
          const GError *error)
{
  cli_history_finish (job->history, SS_RUN_FAILED, NULL, error->message);
  return cli_fail (error);
}

/* Usage errors: exit status 2 with a message naming the option. */
static gboolean
check_args (const AmcArgs *a,
            SsAmcReward   *reward)
{
  const char *bad = NULL;

  if (!ss_amc_reward_parse (a->reward, reward))
    bad = "--reward must be accuracy, entropy or entropy-max";
  else if (!(a->keep > 0 && a->keep <= 1))
    bad = "--keep-flops is the share of MACs kept: more than 0 and at most 1 (0.5 keeps half)";
  else if (a->episodes < 1)
    bad = "--episodes must be at least 1";
  else if (a->warmup < 0)
    bad = "--warmup must not be negative";
  else if (a->finetune_epochs < 0)
    bad = "--finetune-epochs must not be negative";
  if (bad != NULL)
    fprintf (stderr, "supersign-cli amc: %s\n", bad);
  return bad == NULL;
}

static void
print_result (AmcJob       *job,
              const AmcArgs *a,
              SsNet        *pruned,
              const int    *kept,
              double        best_reward,
              int           best_episode,
              const double  acc[3])
{
  const SsArch *arch = ss_net_get_arch (pruned);
  const int n = ss_amc_env_get_n_steps (job->env);
  const gint64 macs0 = ss_amc_env_get_original_macs (job->env);
  const gint64 macs = ss_arch_total_macs (arch), params = ss_arch_total_params (arch);

  if (job->opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (arch));
      ss_json_add_string (b, "reward", a->reward);
      ss_json_add_number (b, "keep_flops", a->keep);
      ss_json_add_bool (b, "interrupted", job->interrupted);
      ss_json_add_int (b, "best_episode", best_episode);
      ss_json_add_number (b, "best_reward", best_reward);
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (int t = 0; t < n; t++)
        {
          json_builder_begin_object (b);
          ss_json_add_string (b, "name", ss_amc_env_get_step_layer (job->env, t));
          ss_json_add_int (b, "channels", ss_amc_env_get_step_channels (job->env, t));
          ss_json_add_int (b, "kept", kept[t]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      ss_json_add_int (b, "params", params);
      ss_json_add_int (b, "macs_before", macs0);
      ss_json_add_int (b, "macs", macs);
      ss_json_add_number (b, "accuracy_original", acc[0]);
      ss_json_add_number (b, "accuracy_pruned", acc[1]);
      ss_json_add_number (b, "accuracy_finetuned", acc[2]);
      ss_json_add_int (b, "finetune_epochs", a->finetune_epochs);
      json_builder_set_member_name (b, "episodes");
      json_builder_add_value (b, json_builder_get_root (job->log));
      if (job->opts->out != NULL)
        {
          ss_json_add_string (b, "out", job->opts->out);
        }
      json_builder_end_object (b);
      cli_print_json (b);
      return;
    }
  printf ("best policy: episode %d, reward %.4f (%s)\n", best_episode + 1, best_reward,
          a->reward);
  printf ("%-24s %8s %6s\n", "layer group", "channels", "kept");
  for (int t = 0; t < n; t++)
    printf ("%-24s %8d %6d\n", ss_amc_env_get_step_layer (job->env, t),
            ss_amc_env_get_step_channels (job->env, t), kept[t]);
  printf ("parameters %" G_GINT64_FORMAT ", MACs %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
          " (%.2f%%, multiply–accumulates of conv and linear layers)\n", params, macs, macs0,
          100.0 * (double) macs / (double) macs0);
  printf ("test accuracy: original %.2f%%, pruned %.2f%% (after the refit), fine-tuned %.2f%% "
          "(%d epoch%s)\n", 100 * acc[0], 100 * acc[1], 100 * acc[2], a->finetune_epochs,
          a->finetune_epochs == 1 ? "" : "s");
  if (job->opts->out != NULL)
    printf ("saved %s\n", job->opts->out);
}

static int
run (CliOptions *opts,
     AmcArgs    *a,
     int         argc,
     char      **argv)
{
  const GOptionEntry own[] = {
    { "reward", 'r', 0, G_OPTION_ARG_STRING, &a->reward,
      "accuracy (AMC, default), entropy (1 − mean conv AME, the thesis) or entropy-max",
      "KIND" },
    { "keep-flops", 'k', 0, G_OPTION_ARG_DOUBLE, &a->keep,
      "Share of the MACs the pruned model keeps, in (0, 1] (default 0.5)", "F" },
    { "episodes", 'n', 0, G_OPTION_ARG_INT, &a->episodes, "Search episodes (default 800)", "N" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &a->warmup,
      "Episodes of random actions before the agent learns (default 100)", "W" },
    { "finetune-epochs", 'e', 0, G_OPTION_ARG_INT, &a->finetune_epochs,
      "Fine-tuning epochs of the best policy (default 1; 0: none)", "E" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &a->lr, "Fine-tuning learning rate (default 0.01)", "LR" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &opts->batch, "Fine-tuning batch (default 64)", "N" },
    { "lbound", 0, 0, G_OPTION_ARG_DOUBLE, &a->lbound,
      "Lowest preserve ratio of a layer (default 0.2)", "R" },
    { "channel-round", 0, 0, G_OPTION_ARG_INT, &a->channel_round,
      "Kept channels are a multiple of this, or all (default 1; AMC's is 8)", "N" },
    { "val-size", 0, 0, G_OPTION_ARG_INT, &a->val_size,
      "Training images held out for the accuracy reward (default 5000)", "N" },
    { "calibration", 0, 0, G_OPTION_ARG_INT, &a->calibration,
      "Calibration images for the refit (default 3000)", "N" },
    { "entropy-samples", 0, 0, G_OPTION_ARG_INT, &a->entropy_samples,
      "Calibration images of the entropy rewards (default 100)", "N" },
    { "subset", 0, 0, G_OPTION_ARG_INT, &opts->subset,
      "Use the first N training images only", "N" },
    { "test-subset", 0, 0, G_OPTION_ARG_INT, &a->test_subset,
      "Measure test accuracy on the first N test images (default: all)", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "Save the pruned, fine-tuned model here (atomically)", "FILE" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL, pruned = NULL;
  g_autoptr(SsDataset) train = NULL, test = NULL, rest = NULL, val = NULL;
  g_autoptr(SsAmcEnv) env = NULL;
  g_autoptr(JsonBuilder) log = json_builder_new ();
  g_autofree char *config = NULL, *label = NULL, *search_failure = NULL;
  g_autofree int *kept = NULL;
  SsAmcOptions amc;
  SsAmcMeasure measure;
  SsRunInfo info = { .kind = SS_RUN_KIND_AMC };
  AmcJob job = { .opts = opts, .log = log };
  double acc[3] = { NAN, NAN, NAN }, best_reward, loss;
  int best_episode;
  const char *status_message = NULL;

  if (!cli_parse_options (opts, "amc", "AutoML pruning (AMC) with an accuracy or entropy reward",
                          own, &argc, &argv))
    return 2;
  if (a->reward == NULL)
    a->reward = g_strdup ("accuracy");
  ss_amc_options_init (&amc);
  if (!check_args (a, &amc.reward))
    return 2;
  amc.keep_macs = a->keep;
  amc.lbound = a->lbound;
  amc.channel_round = a->channel_round;
  amc.n_calibration = a->calibration;
  amc.n_entropy = a->entropy_samples;
  amc.seed = (guint64) opts->seed;

  /* The network alone says whether it can be pruned to the target: before any data. */
  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL ||
      (env = ss_amc_env_new (net, &amc, &error)) == NULL)
    return cli_fail (error);
  if ((train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_take_subset ("amc", "--subset", opts->subset, &train) ||
      !cli_take_subset ("amc", "--test-subset", a->test_subset, &test))
    return 2;
  if (!cli_check_fits (net, train, &error) ||
      !ss_amc_split_dataset (train, a->val_size, (guint64) opts->seed, &rest, &val, &error))
    return cli_fail (error);

  fprintf (stderr, "amc: %s, reward %s, keep %.4g of %" G_GINT64_FORMAT " MACs, %d prunable "
           "layer group%s, %d episodes (%d warm-up); recording %d calibration images…\n",
           ss_arch_get_name (ss_net_get_arch (net)), a->reward, a->keep,
           ss_amc_env_get_original_macs (env), ss_amc_env_get_n_steps (env),
           ss_amc_env_get_n_steps (env) == 1 ? "" : "s", a->episodes,
           MIN (a->warmup + 1, a->episodes), a->calibration);
  if (!ss_amc_env_set_data (env, rest, val, NULL, &error) ||
      !ss_evaluate (net, test, 256, &loss, &acc[0], NULL, &error))
    return cli_fail (error);

  config = config_json (a, opts);
  label = g_strdup_printf ("amc %s %.4g", a->reward, a->keep);
  info.label = label;
  info.config_json = config;
  info.model_in = opts->model ? opts->model : ss_shipped_default_model ();
  info.dataset = cli_data_spec (opts, cli_model_dataset (metadata));
  job.history = cli_history_begin (opts, &info);
  job.env = env;
  job.episodes = a->episodes;
  ss_ddpg_options_init (&job.agent);
  job.agent.replay_size = 100 * ss_amc_env_get_n_steps (env);
  job.agent.n_warmup = a->warmup;

  json_builder_begin_array (log);
  run_phase (&job, search_thread, "amc-search",
             "stopping the search; the best policy so far will be applied");
  json_builder_end_array (log);
  kept = g_new (int, ss_amc_env_get_n_steps (env));
  if (!ss_amc_env_get_best (env, kept, &best_reward, &best_episode))
    {
      status_message = job.interrupted ? "stopped before the first episode ended"
                                       : job.error->message;
      fprintf (stderr, "supersign-cli: %s; nothing to apply\n", status_message);
      cli_history_finish (job.history, job.interrupted ? SS_RUN_INTERRUPTED : SS_RUN_FAILED,
                          NULL, status_message);
      g_clear_error (&job.error);
      return job.interrupted ? 130 : 1;
    }
  if (!job.ok && !job.interrupted)
    {
      search_failure = g_strdup_printf ("the search stopped: %s", job.error->message);
      fprintf (stderr, "supersign-cli: %s; applying the best policy so far\n", search_failure);
    }

  if ((pruned = ss_amc_env_apply (env, kept, &measure, NULL, &error)) == NULL ||
      !ss_evaluate (pruned, test, 256, &loss, &acc[1], NULL, &error))
    return fail_run (&job, error);
  acc[2] = acc[1];
  if (a->finetune_epochs > 0)
    {
      ss_train_config_init (&job.config);
      job.config.epochs = a->finetune_epochs;
      job.config.schedule.epochs = a->finetune_epochs;
      job.config.schedule.lr = a->lr;
      job.config.batch_size = opts->batch;
      job.config.seed = (guint64) opts->seed;
      if (!ss_train_config_validate (&job.config, &error))
        return fail_run (&job, error);
      job.pruned = pruned;
      job.train = rest;
      job.test = test;
      fprintf (stderr, "fine-tuning the best policy (episode %d, reward %.4f) for %d epoch%s\n",
               best_episode + 1, best_reward, a->finetune_epochs,
               a->finetune_epochs == 1 ? "" : "s");
      if (!run_phase (&job, finetune_thread, "amc-finetune",
                      "stopping fine-tuning after this batch; the model so far is kept") &&
          !job.ok)
        {
          g_propagate_error (&error, g_steal_pointer (&job.error));
          return fail_run (&job, error);
        }
      if (!ss_evaluate (pruned, test, 256, &loss, &acc[2], NULL, &error))
        return fail_run (&job, error);
    }

  if (opts->out != NULL)
    {
      g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_json (b, "search", config);
      ss_json_add_int (b, "best_episode", best_episode);
      ss_json_add_number (b, "best_reward", best_reward);
      ss_json_add_ints (b, "kept", kept, ss_amc_env_get_n_steps (env));
      json_builder_end_object (b);
      g_hash_table_insert (meta, SS_MODEL_META_DATASET,
                           g_strdup (cli_data_spec (opts, cli_model_dataset (metadata))));
      g_hash_table_insert (meta, META_AMC, ss_json_to_text (b));
      if (!ss_model_save (pruned, opts->out, meta, &error))
        return fail_run (&job, error);
    }
  print_result (&job, a, pruned, kept, best_reward, best_episode, acc);
  cli_history_finish (job.history,
                      job.interrupted ? SS_RUN_INTERRUPTED
                      : search_failure ? SS_RUN_FAILED : SS_RUN_FINISHED, opts->out,
                      job.interrupted ? "stopped by the user" : search_failure);
  g_clear_error (&job.error);
  /* As train: a run the user stopped says so, even with its results saved. */
  return job.interrupted ? 130 : search_failure ? 1 : 0;
}

int
cli_amc (CliOptions *opts,
         int         argc,
         char      **argv)
{
  AmcArgs a = {
    .keep = 0.5, .episodes = 800, .warmup = 100, .finetune_epochs = 1, .lr = 0.01,
    .lbound = 0.2, .channel_round = 1, .val_size = 5000, .calibration = 3000,
    .entropy_samples = 100,
  };
  int status;

  status = run (opts, &a, argc, argv);
  g_free (a.reward);
  return status;
}
