/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-shipped.h"
#include "ss-relevance-prune.h"

/* supersign-cli prune-filters: iterative filter pruning by relevance (SPEC §5, thesis §3.2,
 * core/ss-relevance-prune.h): rank → prune → fine-tune for --rounds rounds down to --target
 * filters per pruned layer or, on a ResNet, per residual stage (ss_relevance_prune_parse_target
 * tells the two apart), or --fraction of them fewer, printing each round's configuration,
 * parameters, MACs, test accuracy and the time spent on relevance. Runs on a worker thread;
 * Ctrl-C cancels, and the model is saved (atomically) only once the last round is done. */

#define META_PRUNE_FILTERS "supersign.prune-filters"

typedef struct {
  gboolean          json;
  GArray           *rounds;   /* SsRelevancePruneRound, kept copied (owned) */
  char            **units;    /* borrowed */
  CliHistory       *history;
} Report;

static void
round_clear (gpointer data)
{
  g_free (((SsRelevancePruneRound *) data)->kept);
}

/* A round's result as an observation of the recorded run (epoch = round). */
static void
record_round (CliHistory                  *history,
              const SsRelevancePruneRound *r,
              const char                  *config)
{
  g_autofree char *extra = g_strdup_printf (
      "{\"phase\": \"round\", \"round\": %d, \"configuration\": \"%s\", \"params\": %"
      G_GINT64_FORMAT ", \"macs\": %" G_GINT64_FORMAT ", \"relevance_seconds\": %.6g, "
      "\"finetune_seconds\": %.6g}", r->round, config, r->params, r->macs,
      r->relevance_seconds, r->finetune_seconds);
  SsRunObservation obs = {
    .epoch = r->round, .epoch_end = TRUE, .seconds = r->relevance_wall + r->finetune_seconds,
    .lr = NAN, .train_loss = NAN, .train_acc = NAN, .test_loss = r->loss,
    .test_acc = r->accuracy, .extra_json = extra,
  };
  cli_history_observe (history, &obs);
}

static void
on_progress (const SsRelevancePruneProgress *p,
             gpointer                        user_data)
{
  Report *rep = user_data;

  if (p->phase == SS_RELEVANCE_PRUNE_SCORING)
    fprintf (stderr, "round %d/%d: computing relevance\n", p->round, p->rounds);
  else if (p->phase == SS_RELEVANCE_PRUNE_FINETUNING && p->train->epoch_done)
    {
      g_autofree char *extra = g_strdup_printf ("{\"phase\": \"finetune\", \"round\": %d}",
                                                p->round);
      SsRunObservation obs;

      ss_train_progress_to_run_row (p->train, extra, &obs);
      cli_history_observe (rep->history, &obs);
      fprintf (stderr, "round %d/%d: fine-tuning epoch %d/%d  loss %.4f  train acc %.2f%%  "
             "%.1f s\n", p->round, p->rounds, p->train->epoch + 1, p->train->epochs,
             p->train->train_loss, 100 * p->train->train_acc, p->train->epoch_seconds);
    }
  else if (p->phase == SS_RELEVANCE_PRUNE_ROUND_DONE)
    {
      SsRelevancePruneRound copy = *p->result;
      g_autofree char *config = ss_relevance_prune_format_kept (copy.kept, copy.n_units);

      copy.kept = g_memdup2 (copy.kept, (gsize) copy.n_units * sizeof (int));
      g_array_append_val (rep->rounds, copy);
      record_round (rep->history, &copy, config);
      if (rep->json)
        return;
      if (copy.round == 0)
        printf ("round 0: %s  params %" G_GINT64_FORMAT "  MACs %" G_GINT64_FORMAT
                "  test accuracy %.2f%%\n", config, copy.params, copy.macs,
                100 * copy.accuracy);
      else
        printf ("round %d: %s  params %" G_GINT64_FORMAT "  MACs %" G_GINT64_FORMAT
                "  test accuracy %.2f%%  relevance %.3f s (%.3f s with forwards)  "
                "fine-tuning %.1f s\n", copy.round, config, copy.params, copy.macs,
                100 * copy.accuracy, copy.relevance_seconds, copy.relevance_wall,
                copy.finetune_seconds);
      fflush (stdout);
    }
}

/* Targets from --fraction f: each unit keeps n₀ − round (f·n₀), at least 1. */
static gboolean
fraction_targets (double        f,
                  const SsArch *arch,
                  char        **units,
                  int          *targets,
                  int           n_units,
                  GError      **error)
{
  if (!(f > 0.0 && f < 1.0))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "--fraction is the share of each layer's filters to remove: more than 0 and "
                   "less than 1, not %g", f);
      return FALSE;
    }
  for (int u = 0; u < n_units; u++)
    {
      const int node = ss_arch_find_node (arch, units[u]);
      /* An unknown name is left for ss_relevance_prune_check to report. */
      const int n0 = node >= 0 ? ss_arch_get_node (arch, node)->out : 1;
      targets[u] = MAX (1, n0 - (int) (f * n0 + 0.5));
    }
  return TRUE;
}

static void
print_json (Report       *rep,
            const SsNet  *net,
            const char   *criterion,
            int           n_units,
            const char   *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (net)));
  ss_json_add_string (b, "criterion", criterion);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int u = 0; u < n_units; u++)
    json_builder_add_string_value (b, rep->units[u]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "rounds");
  json_builder_begin_array (b);
  for (guint r = 0; r < rep->rounds->len; r++)
    {
      const SsRelevancePruneRound *x = &g_array_index (rep->rounds, SsRelevancePruneRound, r);
      g_autofree char *config = ss_relevance_prune_format_kept (x->kept, x->n_units);
      json_builder_begin_object (b);
      ss_json_add_int (b, "round", x->round);
      ss_json_add_string (b, "configuration", config);
      json_builder_set_member_name (b, "filters");
      json_builder_begin_array (b);
      for (int u = 0; u < x->n_units; u++)
        json_builder_add_int_value (b, x->kept[u]);
      json_builder_end_array (b);
      ss_json_add_int (b, "params", x->params);
      ss_json_add_int (b, "macs", x->macs);
      ss_json_add_number (b, "test_accuracy", x->accuracy);
      ss_json_add_number (b, "test_loss", x->loss);
      ss_json_add_number (b, "relevance_seconds", x->relevance_seconds);
      ss_json_add_number (b, "relevance_wall_seconds", x->relevance_wall);
      ss_json_add_number (b, "finetune_seconds", x->finetune_seconds);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (out != NULL)
    {
      ss_json_add_string (b, "out", out);
    }
  json_builder_end_object (b);
  cli_print_json (b);
}

typedef struct {
  SsNet                        *net;
  const SsDataset              *train, *test;
  const SsRelevancePruneConfig *config;
  char                        **units;
  const int                    *targets;
  int                           n_units;
  Report                       *rep;
  GCancellable                 *cancellable;
  SsNet                        *pruned;   /* out */
  GError                       *error;    /* out */
} PruneJob;

static gpointer
prune_thread (gpointer user_data)
{
  PruneJob *j = user_data;
  j->pruned = ss_relevance_prune_run (j->net, j->train, j->test, j->config,
                                      (const char *const *) j->units, j->targets, j->n_units,
                                      on_progress, j->rep, j->cancellable, &j->error);
  return NULL;
}

typedef struct {
  CliRelevanceArgs rel;
  char            *layers;
  char            *target;
  double           fraction;
  int              rounds;
  int              epochs;
  double           lr;
  int              test_subset;
} PruneArgs;

static int
run (CliOptions *opts,
     PruneArgs  *a,
     int         argc,
     char      **argv)
{
  const GOptionEntry own[] = {
    { "target", 0, 0, G_OPTION_ARG_STRING, &a->target,
      "Filters each pruned layer keeps, one count per layer of --layers (e.g. 24-24-48-48), or "
      "on a ResNet one per residual stage, kept by all of its layers (e.g. 8-15-30)", "N-N-…" },
    { "fraction", 0, 0, G_OPTION_ARG_DOUBLE, &a->fraction,
      "Instead of --target: remove this share of every pruned layer's filters", "F" },
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &a->layers,
      "Conv layers to prune, comma-separated, by name or PyTorch module path (default: one per "
      "prunable channel group)",
      "NAME,…" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &a->rounds,
      "Rank → prune → fine-tune rounds to reach the target (default 1)", "R" },
    { "finetune-epochs", 'e', 0, G_OPTION_ARG_INT, &a->epochs,
      "Fine-tuning epochs after each round (default 1; 0: none)", "E" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &a->lr, "Fine-tuning learning rate (default 0.01)", "LR" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &opts->batch, "Fine-tuning batch (default 64)", "N" },
    { "subset", 0, 0, G_OPTION_ARG_INT, &opts->subset,
      "Use the first N training images (relevance samples and fine-tuning)", "N" },
    { "test-subset", 0, 0, G_OPTION_ARG_INT, &a->test_subset,
      "Measure accuracy on the first N test images (default: all)", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "Save the pruned model here (atomically)", "FILE" },
    { NULL }
  };
  g_autofree GOptionEntry *entries = cli_relevance_entries (&a->rel, own);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL, pruned = NULL;
  g_autoptr(SsDataset) train = NULL, test = NULL;
  g_autoptr(GArray) rounds = g_array_new (FALSE, TRUE, sizeof (SsRelevancePruneRound));
  g_auto(GStrv) units = NULL;
  g_autofree int *targets = NULL;
  SsRelevancePruneConfig config;
  Report rep = { .rounds = rounds };
  int n_units;

  if (!cli_parse_options (opts, "prune-filters",
                          "iterative filter pruning by relevance (rank, prune, fine-tune)",
                          entries, &argc, &argv))
    return 2;
  if ((a->target == NULL) == (a->fraction == 0.0))
    {
      fprintf (stderr, "supersign-cli prune-filters: give either --target N-N-… or "
               "--fraction F\n");
      return 2;
    }
  rep.json = opts->json;
  g_array_set_clear_func (rounds, round_clear);
  ss_relevance_prune_config_init (&config);
  if (!cli_relevance_args_apply (&a->rel, &config.criterion, &config.relevance, &error))
    return cli_fail (error);
  config.rounds = a->rounds;
  /* The schedule spans one round's fine-tuning; 0 epochs skips it. */
  config.finetune.epochs = a->epochs;
  config.finetune.schedule.epochs = MAX (a->epochs, 1);
  config.finetune.schedule.lr = a->lr;
  config.finetune.batch_size = opts->batch;
  config.finetune.seed = (guint64) opts->seed;

  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
    return cli_fail (error);
  /* Module paths that give a conv become its name; other names reach the checks below. */
  units = a->layers != NULL ? cli_resolve_layers (ss_net_get_arch (net), a->layers, "--layers",
                                                  "a conv layer", TRUE, NULL)
                            : ss_relevance_prune_default_units (ss_net_get_arch (net));
  n_units = (int) g_strv_length (units);
  rep.units = units;
  targets = g_new0 (int, MAX (n_units, 1));
  if (a->target != NULL ? !ss_relevance_prune_parse_target (ss_net_get_arch (net),
                                                            (const char *const *) units,
                                                            n_units, a->target, targets, &error)
                        : !fraction_targets (a->fraction, ss_net_get_arch (net), units, targets,
                                             n_units, &error))
    return cli_fail (error);
  if (!ss_relevance_prune_check (ss_net_get_arch (net), (const char *const *) units, targets,
                                 n_units, &error))
    return cli_fail (error);

  if ((train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_take_subset ("prune-filters", "--subset", opts->subset, &train) ||
      !cli_take_subset ("prune-filters", "--test-subset", a->test_subset, &test))
    return 2;

  if (!opts->json)
    printf ("pruning %s by %s: layers %s\n", ss_arch_get_name (ss_net_get_arch (net)),
            ss_relevance_criterion_name (config.criterion), a->layers ? a->layers : "(all)");
  {
    g_autofree char *config_text = g_strdup_printf (
        "{\"criterion\": \"%s\", \"layers\": \"%s\", \"target\": \"%s\", \"fraction\": %g, "
        "\"rounds\": %d, \"finetune_epochs\": %d, \"lr\": %g, \"samples\": %d, "
        "\"subset\": %d, \"test_subset\": %d, \"seed\": %" G_GINT64_FORMAT "}",
        ss_relevance_criterion_name (config.criterion), a->layers ? a->layers : "",
        a->target ? a->target : "", a->fraction, a->rounds, a->epochs, a->lr,
        config.relevance.n_samples, opts->subset, a->test_subset, opts->seed);
    const char *model_in = opts->model != NULL ? opts->model : ss_shipped_default_model ();
    SsRunInfo info = { SS_RUN_KIND_PRUNE_FILTERS, "supersign-cli prune-filters", config_text,
                       model_in, cli_data_spec (opts, cli_model_dataset (metadata)) };
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    PruneJob job = { net, train, test, &config, units, targets, n_units, &rep, cancellable };

    rep.history = cli_history_begin (opts, &info);
    cli_run_in_worker ("prune-filters", prune_thread, &job, cancellable,
                       "stopping after this batch; nothing is saved");
    pruned = job.pruned;
    if (pruned == NULL)
      {
        gboolean cancelled = g_error_matches (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        cli_history_finish (rep.history, cancelled ? SS_RUN_INTERRUPTED : SS_RUN_FAILED, NULL,
                            job.error->message);
        g_propagate_error (&error, job.error);
        return cancelled ? 130 : cli_fail (error);
      }
  }

  if (opts->out != NULL)
    {
      g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      const SsRelevancePruneRound *last = &g_array_index (rounds, SsRelevancePruneRound,
                                                          rounds->len - 1);
      g_autofree char *config_text = ss_relevance_prune_format_kept (last->kept, last->n_units);
      g_hash_table_insert (meta, SS_MODEL_META_DATASET,
                           g_strdup (cli_data_spec (opts, cli_model_dataset (metadata))));
      g_hash_table_insert (meta, META_PRUNE_FILTERS,
                           g_strdup_printf ("{\"criterion\": \"%s\", \"rounds\": %d, "
                                            "\"configuration\": \"%s\"}",
                                            ss_relevance_criterion_name (config.criterion),
                                            config.rounds, config_text));
      if (!ss_model_save (pruned, opts->out, meta, &error))
        {
          cli_history_finish (rep.history, SS_RUN_FAILED, NULL, error->message);
          return cli_fail (error);
        }
    }
  cli_history_finish (rep.history, SS_RUN_FINISHED, opts->out, NULL);
  if (opts->json)
    print_json (&rep, pruned, ss_relevance_criterion_name (config.criterion), n_units,
                opts->out);
  else if (opts->out != NULL)
    printf ("saved %s\n", opts->out);
  return 0;
}

int
cli_prune_filters (CliOptions *opts,
                   int         argc,
                   char      **argv)
{
  PruneArgs a = { .rounds = 1, .epochs = 1, .lr = 0.01 };
  int status;

  cli_relevance_args_init (&a.rel);
  status = run (opts, &a, argc, argv);
  cli_relevance_args_clear (&a.rel);
  g_free (a.layers);
  g_free (a.target);
  return status;
}
