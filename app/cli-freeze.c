/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-observer.h"

/* freeze-compare (thesis Table 2.6): the same model, data, seed and recipe trained twice, once
 * normally and once freezing conv layers whose saliency entropy settles (core/ss-freeze.h);
 * per epoch the best test accuracy so far of each run, the layers frozen and each run's epoch
 * time. Both runs are observed on the same probe, so the normal run's entropies (Table 2.5) are
 * reported too; only the freezing run's time includes its observer, which it needs. Also the
 * observer options and printer that `train --observe/--freeze` uses. */

void
cli_observe_options_init (CliObserveOptions *o)
{
  ss_observer_options_init (&o->observer);
  ss_freeze_rule_init (&o->rule);
}

GOptionEntry *
cli_observe_entries (CliObserveOptions  *o,
                     const GOptionEntry *more)
{
  const GOptionEntry entries[] = {
    { "epsilon", 0, 0, G_OPTION_ARG_DOUBLE, &o->rule.epsilon,
      "Freeze when the entropy's variance over the window is below this (default 5e-5)", "E" },
    { "window", 0, 0, G_OPTION_ARG_INT, &o->rule.window,
      "Epochs the variance and slope are taken over (default 5)", "N" },
    { "earliest", 0, 0, G_OPTION_ARG_INT, &o->rule.earliest,
      "No freezing before this many epochs (default 5)", "N" },
    { "probe", 0, 0, G_OPTION_ARG_INT, &o->observer.profile.n_samples,
      "Training samples the entropies are measured on (default 50)", "N" },
    { "observe-every", 0, 0, G_OPTION_ARG_INT, &o->observer.every_batches,
      "Also observe every K batches (default 0: epoch ends only)", "K" },
    { NULL }
  };
  return cli_entries_concat (entries, more);
}

SsObserver *
cli_observer_new (const CliObserveOptions *o,
                  const SsNet             *net,
                  const SsDataset         *train,
                  gboolean                 freeze,
                  GError                 **error)
{
  g_autoptr(SsObserver) observer = ss_observer_new (net, train, &o->observer, error);

  if (observer == NULL ||
      (freeze && !ss_observer_set_freeze_rule (observer, &o->rule, error)))
    return NULL;
  return g_steal_pointer (&observer);
}

void
cli_print_observation (SsObservation *obs,
                       gpointer       user_data)
{
  const SsTrainProgress *p = ss_observation_get_progress (obs);
  int n = ss_observation_get_n_layers (obs);

  if (!p->epoch_done)
    {
      fprintf (stderr, "\nepoch %d batch %" G_GSIZE_FORMAT " entropy:", p->epoch + 1, p->batch);
      for (int l = 0; l < n; l++)
        {
          const SsLayerProfile *lp = ss_observation_get_layer (obs, l);
          if (lp->n_valid > 0)
            fprintf (stderr, " %s %.4f", lp->name, lp->saliency_mean);
        }
      fprintf (stderr, "\n");
      return;
    }
  fprintf (stderr, "\nepoch %d saliency entropy (mean AME over the probe; %.2f s):\n"
           "  %-10s %8s %8s %8s %8s  %s\n", p->epoch + 1, ss_observation_get_seconds (obs),
           "layer", "AME", "sd", "I(X;T)", "I(T;Y)", "freezing");
  for (int l = 0; l < n; l++)
    {
      const SsLayerProfile *lp = ss_observation_get_layer (obs, l);
      const SsLayerFreeze *f = ss_observation_get_freeze (obs, l);
      g_autofree char *state = NULL;

      if (!f->freezable)
        state = g_strdup ("");
      else if (f->frozen_after > 0)
        state = g_strdup_printf ("frozen after epoch %d", f->frozen_after);
      else if (f->frozen)
        state = g_strdup ("frozen");
      else
        state = g_strdup (ss_freeze_verdict_name (f->verdict));
      fprintf (stderr, "  %-10s %8.4f %8.4f %8.3f %8.3f  %s\n", lp->name, lp->saliency_mean,
               lp->saliency_sd, lp->i_xt, lp->i_ty, state);
    }
}

/* One of the two runs. */
typedef struct {
  const char *label;          /* "normal", "freezing" */
  gboolean    freezing;       /* a rule is applied: the verdicts mean something */
  CliHistory *history;        /* nullable: this run's record in the run history */
  GArray     *ends;           /* SsTrainProgress at each epoch's end */
  GPtrArray  *observations;   /* SsObservation, in order */
  GPtrArray  *epoch_obs;      /* borrowed from observations: the epoch ends' */
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->ends, g_array_unref);
  g_clear_pointer (&run->epoch_obs, g_ptr_array_unref);
  g_clear_pointer (&run->observations, g_ptr_array_unref);
}

static void
keep_observation (SsObservation *obs,
                  gpointer       user_data)
{
  Run *run = user_data;
  g_ptr_array_add (run->observations, ss_observation_ref (obs));
  if (ss_observation_get_progress (obs)->epoch_done)
    g_ptr_array_add (run->epoch_obs, obs);
}

static void
keep_epoch_end (const SsTrainProgress *p,
                gpointer               user_data)
{
  Run *run = user_data;
  if (!p->epoch_done)
    return;
  g_array_append_val (run->ends, *p);
  fprintf (stderr, "%-8s epoch %d/%d  test acc %.2f%%  %.1f s + %.2f s observing\n", run->label,
           p->epoch + 1, p->epochs, 100 * p->test_acc, p->epoch_seconds, p->hook_seconds);
}

/* Trains a fresh copy of the model (same seed, so the same initial weights) with an observer,
 * freezing if asked, recording it in the run history as one run of the comparison. */
static gboolean
train_run (Run                     *run,
           const CliOptions        *opts,
           const CliObserveOptions *observe,
           const SsTrainConfig     *config,
           const SsDataset         *train,
           const SsDataset         *test,
           gboolean                 freeze,
           GCancellable            *cancellable,
           GError                 **error)
{
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsObserver) observer = NULL;
  g_autofree char *label = NULL, *config_text = NULL;
  SsTrainHooks hooks = { .progress = keep_epoch_end, .progress_data = run };
  gboolean ok;

  run->label = freeze ? "freezing" : "normal";
  run->freezing = freeze;
  run->ends = g_array_new (FALSE, FALSE, sizeof (SsTrainProgress));
  run->observations = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_observation_unref);
  run->epoch_obs = g_ptr_array_new ();
  if ((net = cli_open_model (opts, train, NULL, error)) == NULL ||
      (observer = cli_observer_new (observe, net, train, freeze, error)) == NULL)
    return FALSE;
  label = g_strdup_printf ("supersign-cli freeze-compare: %s", run->label);
  config_text = g_strdup_printf (
      "{\"arm\": \"%s\", \"epochs\": %d, \"batch\": %d, \"lr\": %g, \"seed\": %" G_GINT64_FORMAT
      ", \"train_images\": %" G_GSIZE_FORMAT ", \"epsilon\": %g, \"window\": %d, \"earliest\": %d, "
      "\"probe\": %d}", run->label, config->epochs, config->batch_size, config->schedule.lr,
      opts->seed, ss_dataset_get_size (train), observe->rule.epsilon, observe->rule.window,
      observe->rule.earliest, observe->observer.profile.n_samples);
  {
    SsRunInfo info = { SS_RUN_KIND_FREEZE_COMPARE, label, config_text, opts->model,
                       cli_data_spec (opts, NULL) };
    run->history = cli_history_begin (opts, &info);
  }
  ss_observer_subscribe (observer, keep_observation, run, NULL);
  if (run->history != NULL)
    ss_observer_subscribe (observer, cli_history_observe_layers, run->history, NULL);
  ss_observer_attach (observer, &hooks);
  ok = ss_train_with_hooks (net, train, test, config, &hooks, cancellable, error);
  cli_history_finish (g_steal_pointer (&run->history),
                      ok ? SS_RUN_FINISHED
                         : g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                           ? SS_RUN_INTERRUPTED : SS_RUN_FAILED,
                      NULL, ok ? NULL : (*error)->message);
  return ok;
}

/* Both runs, one after the other, on a worker thread. */
typedef struct {
  Run                     *normal, *freezing;
  const CliOptions        *opts;
  const CliObserveOptions *observe;
  const SsTrainConfig     *config;
  const SsDataset         *train, *test;
  GCancellable            *cancellable;
  gboolean                 ok;      /* out */
  GError                  *error;   /* out */
} Comparison;

static gpointer
compare_thread (gpointer user_data)
{
  Comparison *c = user_data;

  c->ok = train_run (c->normal, c->opts, c->observe, c->config, c->train, c->test, FALSE,
                     c->cancellable, &c->error) &&
          train_run (c->freezing, c->opts, c->observe, c->config, c->train, c->test, TRUE,
                     c->cancellable, &c->error);
  return NULL;
}

/* A row of Table 2.6. */
typedef struct {
  double best_freezing, best_normal;
  double secs_freezing, secs_normal;       /* this epoch */
  double total_freezing, total_normal;     /* up to and including it */
  char **frozen;                           /* the freezing run's frozen layers; owned */
} Row;

static void
make_rows (const Run *fr,
           const Run *nr,
           Row       *rows)
{
  double best_f = -1, best_n = -1, total_f = 0, total_n = 0;

  for (guint e = 0; e < fr->ends->len; e++)
    {
      const SsTrainProgress *pf = &g_array_index (fr->ends, SsTrainProgress, e);
      const SsTrainProgress *pn = &g_array_index (nr->ends, SsTrainProgress, e);
      SsObservation *obs = fr->epoch_obs->pdata[e];
      g_autoptr(GPtrArray) names = g_ptr_array_new ();

      best_f = MAX (best_f, pf->test_acc);
      best_n = MAX (best_n, pn->test_acc);
      total_f += pf->epoch_seconds + pf->hook_seconds;
      total_n += pn->epoch_seconds;
      for (int l = 0; l < ss_observation_get_n_layers (obs); l++)
        {
          const SsLayerFreeze *f = ss_observation_get_freeze (obs, l);
          if (f->freezable && f->frozen)
            g_ptr_array_add (names, g_strdup (ss_observation_get_layer (obs, l)->name));
        }
      g_ptr_array_add (names, NULL);
      rows[e] = (Row) {
        .best_freezing = best_f, .best_normal = best_n,
        .secs_freezing = pf->epoch_seconds + pf->hook_seconds, .secs_normal = pn->epoch_seconds,
        .total_freezing = total_f, .total_normal = total_n,
        .frozen = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE),
      };
    }
}

static void
add_layers_json (JsonBuilder   *b,
                 SsObservation *obs,
                 gboolean       verdicts)
{
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int l = 0; l < ss_observation_get_n_layers (obs); l++)
    {
      const SsLayerProfile *lp = ss_observation_get_layer (obs, l);
      const SsLayerFreeze *f = ss_observation_get_freeze (obs, l);
      json_builder_begin_object (b);
      ss_json_add_string (b, "name", lp->name);
      ss_json_add_string (b, "kind", ss_saliency_kind_name (lp->kind));
      ss_json_add_number (b, "saliency_mean", lp->saliency_mean);
      ss_json_add_number (b, "saliency_sd", lp->saliency_sd);
      ss_json_add_number (b, "i_xt", lp->i_xt);
      ss_json_add_number (b, "i_ty", lp->i_ty);
      ss_json_add_bool (b, "frozen", f->freezable && f->frozen);
      if (verdicts && f->freezable && ss_observation_get_progress (obs)->epoch_done)
        {
          ss_json_add_string (b, "verdict", ss_freeze_verdict_name (f->verdict));
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_observations_json (JsonBuilder *b,
                       const Run   *run)
{
  json_builder_set_member_name (b, run->label);
  json_builder_begin_array (b);
  for (guint i = 0; i < run->observations->len; i++)
    {
      SsObservation *obs = run->observations->pdata[i];
      const SsTrainProgress *p = ss_observation_get_progress (obs);
      json_builder_begin_object (b);
      ss_json_add_int (b, "epoch", p->epoch + 1);
      ss_json_add_int (b, "batch", (gint64) p->batch);
      ss_json_add_bool (b, "epoch_end", p->epoch_done);
      ss_json_add_number (b, "observer_seconds", ss_observation_get_seconds (obs));
      add_layers_json (b, obs, run->freezing);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_json (const Run               *fr,
            const Run               *nr,
            const Row               *rows,
            const CliOptions        *opts,
            const CliObserveOptions *observe,
            const SsDataset         *train,
            const SsDataset         *test)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint n = fr->ends->len;

  json_builder_begin_object (b);
  ss_json_add_string (b, "model", opts->model);
  ss_json_add_int (b, "seed", opts->seed);
  ss_json_add_string (b, "data", ss_dataset_get_name (train));
  ss_json_add_int (b, "train_images", (gint64) ss_dataset_get_size (train));
  ss_json_add_int (b, "test_images", (gint64) ss_dataset_get_size (test));
  json_builder_set_member_name (b, "rule");
  json_builder_begin_object (b);
  ss_json_add_number (b, "epsilon", observe->rule.epsilon);
  ss_json_add_int (b, "window", observe->rule.window);
  ss_json_add_int (b, "earliest", observe->rule.earliest);
  json_builder_end_object (b);
  ss_json_add_int (b, "probe", observe->observer.profile.n_samples);
  json_builder_set_member_name (b, "epochs");
  json_builder_begin_array (b);
  for (guint e = 0; e < n; e++)
    {
      json_builder_begin_object (b);
      ss_json_add_int (b, "epoch", e + 1);
      ss_json_add_number (b, "test_accuracy_freezing",
                          g_array_index (fr->ends, SsTrainProgress, e).test_acc);
      ss_json_add_number (b, "test_accuracy_normal",
                          g_array_index (nr->ends, SsTrainProgress, e).test_acc);
      ss_json_add_number (b, "best_accuracy_freezing", rows[e].best_freezing);
      ss_json_add_number (b, "best_accuracy_normal", rows[e].best_normal);
      json_builder_set_member_name (b, "layers_frozen");
      json_builder_begin_array (b);
      for (int i = 0; rows[e].frozen[i] != NULL; i++)
        json_builder_add_string_value (b, rows[e].frozen[i]);
      json_builder_end_array (b);
      ss_json_add_number (b, "seconds_freezing", rows[e].secs_freezing);
      ss_json_add_number (b, "seconds_normal", rows[e].secs_normal);
      ss_json_add_number (b, "observer_seconds_freezing",
                          g_array_index (fr->ends, SsTrainProgress, e).hook_seconds);
      ss_json_add_number (b, "total_seconds_freezing", rows[e].total_freezing);
      ss_json_add_number (b, "total_seconds_normal", rows[e].total_normal);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  ss_json_add_number (b, "best_accuracy_freezing", n ? rows[n - 1].best_freezing : NAN);
  ss_json_add_number (b, "best_accuracy_normal", n ? rows[n - 1].best_normal : NAN);
  ss_json_add_number (b, "seconds_freezing", n ? rows[n - 1].total_freezing : NAN);
  ss_json_add_number (b, "seconds_normal", n ? rows[n - 1].total_normal : NAN);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "observations");
  json_builder_begin_object (b);
  add_observations_json (b, fr);
  add_observations_json (b, nr);
  json_builder_end_object (b);
  json_builder_end_object (b);
  cli_print_json (b);
}

static void
print_text (const Run               *fr,
            const Run               *nr,
            const Row               *rows,
            const CliObserveOptions *observe)
{
  guint n = fr->ends->len;
  SsObservation *first = fr->epoch_obs->pdata[0];
  g_autoptr(GPtrArray) frozen = g_ptr_array_new_with_free_func (g_free);
  int width = (int) strlen ("layers frozen");

  for (guint e = 0; e < n; e++)
    {
      char *names = g_strjoinv (", ", rows[e].frozen);
      width = MAX (width, (int) g_utf8_strlen (names, -1));
      g_ptr_array_add (frozen, names);
    }
  printf ("%5s  %16s  %16s  %-*s  %10s  %10s\n", "epoch", "best acc freezing",
          "best acc normal", width, "layers frozen", "s freezing", "s normal");
  for (guint e = 0; e < n; e++)
    {
      const char *names = frozen->pdata[e];
      printf ("%5u  %15.2f%%  %15.2f%%  %-*s  %10.2f  %10.2f\n", e + 1,
              100 * rows[e].best_freezing, 100 * rows[e].best_normal, width,
              *names ? names : "-", rows[e].secs_freezing, rows[e].secs_normal);
    }
  printf ("%5s  %15.2f%%  %15.2f%%  %-*s  %10.2f  %10.2f  (normal/freezing time %.3f×)\n",
          "total", 100 * rows[n - 1].best_freezing, 100 * rows[n - 1].best_normal, width, "",
          rows[n - 1].total_freezing, rows[n - 1].total_normal,
          rows[n - 1].total_normal / rows[n - 1].total_freezing);
  printf ("\nTimes are the training steps; the freezing run's include its observer (%d probe "
          "samples) and decisions. Rule: ε = %g, window %d, earliest epoch %d.\n",
          observe->observer.profile.n_samples, observe->rule.epsilon, observe->rule.window,
          observe->rule.earliest);

  printf ("\nConv saliency entropy per epoch, normal / freezing run (* frozen):\n%5s", "epoch");
  for (int l = 0; l < ss_observation_get_n_layers (first); l++)
    if (ss_observation_get_freeze (first, l)->freezable)
      printf ("  %-16s", ss_observation_get_layer (first, l)->name);
  printf ("\n");
  for (guint e = 0; e < n; e++)
    {
      SsObservation *of = fr->epoch_obs->pdata[e], *on = nr->epoch_obs->pdata[e];
      printf ("%5u", e + 1);
      for (int l = 0; l < ss_observation_get_n_layers (of); l++)
        if (ss_observation_get_freeze (of, l)->freezable)
          printf ("  %.4f / %.4f%s", ss_observation_get_layer (on, l)->saliency_mean,
                  ss_observation_get_layer (of, l)->saliency_mean,
                  ss_observation_get_freeze (of, l)->frozen ? "*" : " ");
      printf ("\n");
    }
}

static void
print_csv (const Run *fr,
           const Row *rows)
{
  printf ("epoch,best_accuracy_freezing,best_accuracy_normal,layers_frozen,seconds_freezing,"
          "seconds_normal,total_seconds_freezing,total_seconds_normal\n");
  for (guint e = 0; e < fr->ends->len; e++)
    {
      g_autofree char *frozen = g_strjoinv (";", rows[e].frozen);
      printf ("%u,%.6f,%.6f,%s,%.4f,%.4f,%.4f,%.4f\n", e + 1, rows[e].best_freezing,
              rows[e].best_normal, frozen, rows[e].secs_freezing, rows[e].secs_normal,
              rows[e].total_freezing, rows[e].total_normal);
    }
}

int
cli_freeze_compare (CliOptions *opts,
                    int         argc,
                    char      **argv)
{
  CliObserveOptions observe;
  gboolean csv = FALSE;
  int test_subset = 0;
  const GOptionEntry own[] = {
    { "test-subset", 0, 0, G_OPTION_ARG_INT, &test_subset,
      "Evaluate on the first N test images only", "N" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Print the table as CSV", NULL },
    { NULL }
  };
  g_autofree GOptionEntry *observe_entries = NULL;
  g_autofree GOptionEntry *entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = NULL, test = NULL;
  g_autofree Row *rows = NULL;
  SsTrainConfig config;
  Run normal = { 0 }, freezing = { 0 };
  gboolean ok;

  cli_observe_options_init (&observe);
  observe_entries = cli_observe_entries (&observe, own);
  entries = cli_recipe_entries (opts, observe_entries);
  if (!cli_parse_options (opts, "freeze-compare", "normal training vs layer freezing", entries,
                          &argc, &argv))
    return 2;
  if (opts->json && csv)
    {
      fprintf (stderr, "supersign-cli freeze-compare: choose one of --json and --csv\n");
      return 2;
    }
  if (opts->model == NULL)
    opts->model = g_strdup ("fmnist-vgg");
  if (!ss_freeze_rule_validate (&observe.rule, &error) ||
      !cli_recipe_config (opts, &config, &error))
    return cli_fail (error);
  if ((train = cli_load_data (opts, NULL, TRUE, &error)) == NULL ||
      (test = cli_load_data (opts, NULL, FALSE, &error)) == NULL)
    return cli_fail (error);
  if (!cli_take_subset ("freeze-compare", "--subset", opts->subset, &train) ||
      !cli_take_subset ("freeze-compare", "--test-subset", test_subset, &test))
    return 2;
  if (config.epochs < MAX (observe.rule.earliest, observe.rule.window))
    fprintf (stderr, "note: in %d epochs nothing can freeze (the rule needs %d); see --earliest "
             "and --window\n", config.epochs, MAX (observe.rule.earliest, observe.rule.window));

  fprintf (stderr, "freeze-compare: %s on %s (%" G_GSIZE_FORMAT " training, %" G_GSIZE_FORMAT
           " test images), %d epochs, seed %" G_GINT64_FORMAT "\n", opts->model,
           ss_dataset_get_name (train), ss_dataset_get_size (train), ss_dataset_get_size (test),
           config.epochs, opts->seed);
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    Comparison c = { &normal, &freezing, opts, &observe, &config, train, test, cancellable };

    cli_run_in_worker ("freeze-compare", compare_thread, &c, cancellable,
                       "stopping after this batch; the table is not printed");
    ok = c.ok;
    if (!ok)
      g_propagate_error (&error, c.error);
  }
  if (ok)
    {
      rows = g_new0 (Row, freezing.ends->len);
      make_rows (&freezing, &normal, rows);
      if (opts->json)
        print_json (&freezing, &normal, rows, opts, &observe, train, test);
      else if (csv)
        print_csv (&freezing, rows);
      else
        print_text (&freezing, &normal, rows, &observe);
      for (guint e = 0; e < freezing.ends->len; e++)
        g_strfreev (rows[e].frozen);
    }
  run_clear (&normal);
  run_clear (&freezing);
  return ok ? 0 : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 130
                                                                          : cli_fail (error);
}
