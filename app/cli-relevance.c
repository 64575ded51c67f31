/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-relevance.h"

/* supersign-cli relevance: every filter's score by spatial MI, Rényi MI or L1 (SPEC §5,
 * core/ss-relevance.h) over N training samples, as a table, CSV or JSON. */

gboolean
cli_relevance_args_apply (const CliRelevanceArgs *a,
                          SsRelevanceCriterion   *criterion,
                          SsRelevanceOptions     *opt,
                          GError                **error)
{
  ss_relevance_options_init (opt);
  if (!ss_relevance_criterion_parse (a->criterion ? a->criterion : "ame-mi", criterion, error))
    return FALSE;
  opt->n_samples = a->samples;
  opt->bins = a->bins;
  opt->alpha = a->alpha;
  opt->seed = 1;
  return TRUE;
}

GOptionEntry *
cli_relevance_entries (CliRelevanceArgs   *a,
                       const GOptionEntry *more)
{
  const GOptionEntry entries[] = {
    { "criterion", 'c', 0, G_OPTION_ARG_STRING, &a->criterion,
      "ame-mi (spatial MI, default), renyi-mi (HRel's matrix-based Rényi MI) or l1", "NAME" },
    { "samples", 'n', 0, G_OPTION_ARG_INT, &a->samples,
      "Training samples for the MIs (default 100, seed 1)", "N" },
    { "mi-bins", 0, 0, G_OPTION_ARG_INT, &a->bins, "Spatial MI bins B_mi (default 32)", "B" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &a->alpha, "Rényi order α (default 1.01)", "A" },
    { NULL }
  };
  return cli_entries_concat (entries, more);
}

void
cli_relevance_args_init (CliRelevanceArgs *a)
{
  SsRelevanceOptions opt;

  ss_relevance_options_init (&opt);
  *a = (CliRelevanceArgs) { .samples = opt.n_samples, .bins = opt.bins, .alpha = opt.alpha };
}

void
cli_relevance_args_clear (CliRelevanceArgs *a)
{
  g_clear_pointer (&a->criterion, g_free);
}

static void
print_progress (int         done,
                int         total,
                const char *layer,
                gpointer    user_data)
{
  fprintf (stderr, "relevance: %s scored (%d/%d)\n", layer, done, total);
}

static void
print_json (const SsNet              *net,
            SsRelevanceCriterion      criterion,
            const SsRelevanceOptions *opt,
            GArray                   *rel,
            double                    wall)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const SsArch *arch = ss_net_get_arch (net);
  double criterion_seconds = 0;

  json_builder_begin_object (b);
  ss_json_add_string (b, "model", ss_arch_get_name (arch));
  ss_json_add_string (b, "criterion", ss_relevance_criterion_name (criterion));
  if (criterion != SS_RELEVANCE_L1)
    {
      ss_json_add_int (b, "samples", opt->n_samples);
    }
  if (criterion == SS_RELEVANCE_SPATIAL_MI)
    {
      ss_json_add_int (b, "mi_bins", opt->bins);
    }
  if (criterion == SS_RELEVANCE_RENYI_MI)
    ss_json_add_number (b, "alpha", opt->alpha);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint l = 0; l < rel->len; l++)
    {
      const SsLayerRelevance *lr = &g_array_index (rel, SsLayerRelevance, l);
      criterion_seconds += lr->seconds;
      json_builder_begin_object (b);
      ss_json_add_string (b, "layer", lr->name);
      ss_json_add_string (b, "scored_at", ss_arch_get_node (arch, lr->map_node)->name);
      ss_json_add_int (b, "filters", lr->n_filters);
      json_builder_set_member_name (b, "map");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, lr->h);
      json_builder_add_int_value (b, lr->w);
      json_builder_end_array (b);
      ss_json_add_number (b, "seconds", lr->seconds);
      json_builder_set_member_name (b, "scores");
      json_builder_begin_array (b);
      for (int f = 0; f < lr->n_filters; f++)
        json_builder_add_double_value (b, lr->scores[f]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  ss_json_add_number (b, "criterion_seconds", criterion_seconds);
  ss_json_add_number (b, "wall_seconds", wall);
  json_builder_end_object (b);
  cli_print_json (b);
}

static void
print_text (const SsNet              *net,
            SsRelevanceCriterion      criterion,
            const SsRelevanceOptions *opt,
            GArray                   *rel,
            double                    wall,
            gboolean                  csv)
{
  const SsArch *arch = ss_net_get_arch (net);
  const char *unit = criterion == SS_RELEVANCE_L1 ? "Σ|w|" : "bits";
  double criterion_seconds = 0;

  if (csv)
    printf ("layer,filter,score,rank\n");
  for (guint l = 0; l < rel->len; l++)
    {
      const SsLayerRelevance *lr = &g_array_index (rel, SsLayerRelevance, l);
      g_autofree int *order = ss_relevance_rank (lr);
      g_autofree int *rank = g_new (int, lr->n_filters);

      criterion_seconds += lr->seconds;
      /* rank 1 = the least relevant, the first to prune */
      for (int i = 0; i < lr->n_filters; i++)
        rank[order[i]] = i + 1;
      if (csv)
        {
          for (int f = 0; f < lr->n_filters; f++)
            printf ("%s,%d,%.9g,%d\n", lr->name, f, lr->scores[f], rank[f]);
          continue;
        }
      printf ("%s: %d filters, scored at %s (%d×%d), %.3f s; lowest first: %d (%.4f), "
              "highest: %d (%.4f) %s\n", lr->name, lr->n_filters,
              ss_arch_get_node (arch, lr->map_node)->name, lr->h, lr->w, lr->seconds, order[0],
              lr->scores[order[0]], order[lr->n_filters - 1],
              lr->scores[order[lr->n_filters - 1]], unit);
      for (int f = 0; f < lr->n_filters; f++)
        printf ("  %3d %8.4f%s", f, lr->scores[f],
                f % 8 == 7 || f == lr->n_filters - 1 ? "\n" : "");
    }
  if (!csv)
    {
      printf ("\n%s", ss_relevance_criterion_name (criterion));
      if (criterion == SS_RELEVANCE_SPATIAL_MI)
        printf (" (B_mi = %d)", opt->bins);
      else if (criterion == SS_RELEVANCE_RENYI_MI)
        printf (" (α = %g, median-rule kernel width)", opt->alpha);
      if (criterion != SS_RELEVANCE_L1)
        printf (" over %d training samples", opt->n_samples);
      printf (": %.3f s computing scores, %.3f s in all (forwards included)\n",
              criterion_seconds, wall);
    }
}

static int
run (CliOptions       *opts,
     CliRelevanceArgs *a,
     int               argc,
     char            **argv)
{
  g_autofree char *layers = NULL;
  gboolean csv = FALSE;
  const GOptionEntry own[] = {
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &layers,
      "Conv layers to score, comma-separated, by name or PyTorch module path (default: every "
      "conv)", "NAME,…" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Print CSV: layer,filter,score,rank", NULL },
    { NULL }
  };
  g_autofree GOptionEntry *entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsDataset) train = NULL;
  g_autoptr(GArray) rel = NULL;
  g_auto(GStrv) names = NULL;
  SsRelevanceCriterion criterion;
  SsRelevanceOptions opt;
  gint64 t0;

  entries = cli_relevance_entries (a, own);
  if (!cli_parse_options (opts, "relevance", "score every filter of the conv layers", entries,
                          &argc, &argv))
    return 2;
  if (!cli_relevance_args_apply (a, &criterion, &opt, &error))
    return cli_fail (error);
  if ((net = cli_open_model (opts, NULL, &metadata, &error)) == NULL)
    return cli_fail (error);
  if (layers != NULL)
    {
      /* Module paths of imported models become their conv's name; ss_relevance_compute
       * refuses the rest with the list of conv layers. */
      names = cli_resolve_layers (ss_net_get_arch (net), layers, "--layers", "a conv layer",
                                  TRUE, &error);
      if (names == NULL)
        return cli_fail (error);
      opt.layers = (const char *const *) names;
    }
  if (criterion != SS_RELEVANCE_L1 &&
      (train = cli_load_data (opts, cli_model_dataset (metadata), TRUE, &error)) == NULL)
    return cli_fail (error);

  t0 = g_get_monotonic_time ();
  rel = ss_relevance_compute (net, train, criterion, &opt, opts->json ? NULL : print_progress,
                              NULL, NULL, &error);
  if (rel == NULL)
    return cli_fail (error);
  if (opts->json)
    print_json (net, criterion, &opt, rel, cli_seconds_since (t0));
  else
    print_text (net, criterion, &opt, rel, cli_seconds_since (t0), csv);
  return 0;
}

int
cli_relevance (CliOptions *opts,
               int         argc,
               char      **argv)
{
  CliRelevanceArgs a;
  int status;

  cli_relevance_args_init (&a);
  status = run (opts, &a, argc, argv);
  cli_relevance_args_clear (&a);
  return status;
}
