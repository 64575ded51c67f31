/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ss-arch-resolve.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-shipped.h"
#include "ss-train.h"

static const struct {
  const char *name;
  CliCommand  run;
  const char *help;
} commands[] = {
  { "info", cli_info, "layers, output shapes, parameters and MACs of a model" },
  { "import", cli_import, "an ONNX model and its weights as a Supersign model file" },
  { "train", cli_train, "train a model on a data set" },
  { "eval", cli_eval, "test loss and accuracy of a model" },
  { "bench", cli_bench, "training and inference speed, GFLOP/s per conv layer" },
  { "saliency", cli_saliency, "Grad-CAM heatmaps of chosen samples and layers as PNG" },
  { "entropy", cli_entropy, "layer entropy profile: saliency AME, null, ΔH per layer" },
  { "infoplane", cli_infoplane, "information-plane points I(X;T), I(T;Y) per layer" },
  { "figure", cli_figure, "paper figures (bars, infoplane, heatmaps, curves) as PNG/SVG/PDF" },
  { "prune-layers", cli_prune_layers,
    "greedy removal of conv layers by saliency entropy (thesis Table 2.4)" },
  { "surgery", cli_surgery, "channel groups of a model, or remove one conv layer" },
  { "amc", cli_amc, "AutoML pruning (AMC) with an accuracy or entropy reward (thesis §3.1)" },
  { "freeze-compare", cli_freeze_compare,
    "train with and without entropy-driven layer freezing (thesis Table 2.6)" },
  { "runs", cli_runs, "the run history: list, show, export or delete recorded runs" },
  { "relevance", cli_relevance, "every conv filter's relevance: spatial MI, Rényi MI or L1" },
  { "prune-filters", cli_prune_filters,
    "iterative filter pruning by relevance: rank, prune, fine-tune (thesis §3.2)" },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: supersign-cli COMMAND [OPTION…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].help);
  fprintf (out, "\nRun “supersign-cli COMMAND --help” for a command's options.\n");
}

gboolean
cli_parse_options (CliOptions         *opts,
                   const char         *command,
                   const char         *summary,
                   const GOptionEntry *extra,
                   int                *argc,
                   char             ***argv)
{
  const GOptionEntry common[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &opts->model,
      "Built-in architecture, architecture .json, model .safetensors or ONNX .onnx (default: "
      "the shipped trained fmnist-vgg; train: a fresh fmnist-vgg)", "NAME|FILE" },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &opts->weights,
      "Load a state_dict .safetensors into the named architecture", "FILE" },
    { "data", 'd', 0, G_OPTION_ARG_STRING, &opts->data,
      "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR or png:DIR (a folder of images)", "SPEC" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &opts->threads, "Worker threads (default: all)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &opts->seed, "Random seed", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
      "Print one JSON document on standard output", NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &opts->db,
      "Run history (default: $" SS_RUNS_DB_ENV ", else $XDG_DATA_HOME/supersign/runs.sqlite)",
      "FILE" },
    { "preprocess", 0, 0, G_OPTION_ARG_STRING, &opts->preprocess,
      "For png:DIR data: none (stretch to the input), resize[:S] (shorter side to S, centre "
      "crop) or imagenet (Resize 256, CenterCrop 224, ImageNet mean and std)",
      "none|resize[:S]|imagenet" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &opts->labels,
      "For png:DIR data: class names, one per line, as many as the model's classes", "FILE" },
    { "no-history", 0, 0, G_OPTION_ARG_NONE, &opts->no_history,
      "Do not record this run in the run history", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *param = g_strdup_printf ("%s — %s", command, summary);

  context = g_option_context_new (param);
  g_option_context_add_main_entries (context, common, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (context, extra, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "supersign-cli %s: %s\n", command, error->message);
      return FALSE;
    }
  if (*argc > 1)
    {
      fprintf (stderr, "supersign-cli %s: unexpected argument “%s”\n", command, (*argv)[1]);
      return FALSE;
    }
  if (opts->threads < 0 || opts->threads > 1024)
    {
      fprintf (stderr, "supersign-cli %s: --threads must be between 1 and 1024\n", command);
      return FALSE;
    }
  return TRUE;
}

GOptionEntry *
cli_entries_concat (const GOptionEntry *a,
                    const GOptionEntry *b)
{
  gsize na = 0, nb = 0;
  GOptionEntry *all;

  while (a != NULL && a[na].long_name != NULL)
    na++;
  while (b != NULL && b[nb].long_name != NULL)
    nb++;
  all = g_new0 (GOptionEntry, na + nb + 1);   /* zeroed: the terminator */
  if (na > 0)
    memcpy (all, a, na * sizeof (GOptionEntry));
  if (nb > 0)
    memcpy (all + na, b, nb * sizeof (GOptionEntry));
  return all;
}

const char *
cli_model_dataset (GHashTable *metadata)
{
  return metadata ? g_hash_table_lookup (metadata, SS_MODEL_META_DATASET) : NULL;
}

const char *
cli_data_spec (const CliOptions *opts,
               const char       *model_dataset)
{
  return opts->data ? opts->data : model_dataset ? model_dataset : "fashion-mnist";
}

SsDataset *
cli_load_data (const CliOptions *opts,
               const char       *model_dataset,
               gboolean          train,
               GError          **error)
{
  const char *spec = cli_data_spec (opts, model_dataset);

  if (g_str_has_prefix (spec, "png:"))
    return cli_load_png_folder (opts, spec + 4, model_dataset, error);
  if (opts->preprocess != NULL || opts->labels != NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "--preprocess and --labels apply to a folder of images (--data png:DIR), "
                   "not to %s", spec);
      return NULL;
    }
  return ss_dataset_load (spec, train, error);
}

gboolean
cli_check_fits (const SsNet     *net,
                const SsDataset *ds,
                GError         **error)
{
  return ss_check_data_fits (net, ds, error);
}

/* The model commands open when --model is not given: the shipped trained fmnist-vgg (from the
 * source tree when run from a build, else from the installed data), else a fresh one. */
static const char *
default_model (void)
{
  return ss_shipped_default_model ();
}

SsNet *
cli_open_model (const CliOptions *opts,
                const SsDataset  *ds,
                GHashTable      **metadata,
                GError          **error)
{
  const char *spec = opts->model ? opts->model : default_model ();
  int c = 0, h = 0, w = 0, k = 10;
  g_autoptr(SsNet) net = NULL;

  if (ds != NULL)
    {
      c = ss_dataset_get_channels (ds);
      h = ss_dataset_get_height (ds);
      w = ss_dataset_get_width (ds);
      k = ss_dataset_get_n_classes (ds);
    }
  else if (!ss_arch_builtin_input (spec, &c, &h, &w))
    c = 1, h = 28, w = 28;
  net = ss_model_open (spec, c, h, w, k, (guint64) opts->seed, metadata, error);
  if (net == NULL)
    return NULL;
  if (opts->weights != NULL && !ss_model_load_weights (net, opts->weights, error))
    return NULL;
  if (opts->threads > 0)
    ss_net_set_n_threads (net, opts->threads);
  cli_note_model (net);
  return g_steal_pointer (&net);
}

char **
cli_resolve_layers (const SsArch *arch,
                    const char   *list,
                    const char   *option,
                    const char   *what,
                    gboolean      convs_only,
                    GError      **error)
{
  g_auto(GStrv) parts = g_strsplit (list, ",", -1);
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();

  for (int i = 0; parts[i] != NULL; i++)
    {
      const char *name = g_strstrip (parts[i]);
      const int index = ss_arch_resolve_layer (arch, name, NULL);

      /* With convs_only, the conv check that follows lists the conv layers, a better hint than
       * close names of any kind: only a name or path that gives a conv is replaced. */
      if (index >= 0 && (!convs_only || ss_arch_get_node (arch, index)->op == SS_OP_CONV))
        name = ss_arch_get_node (arch, index)->name;
      else if (index < 0 && !convs_only)
        {
          g_autofree char *close = ss_arch_suggest_layers (arch, name);
          if (close != NULL)
            g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                         "%s: “%s” is not %s, nor a module path; did you mean %s?", option, name,
                         what, close);
          else
            g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                         "%s: “%s” is not %s, nor a module path", option, name, what);
          return NULL;
        }
      g_strv_builder_add (out, name);
    }
  return g_strv_builder_end (out);
}

void
cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

int
cli_fail (const GError *error)
{
  fprintf (stderr, "supersign-cli: %s\n", error->message);
  return 1;
}

double
cli_seconds_since (gint64 t0)
{
  return (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
cli_median (double *v,
            int     n)
{
  qsort (v, (gsize) n, sizeof (double), (GCompareFunc) compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char *argv[])
{
  CliOptions opts = {
    .seed = 1,
    .epochs = 3,
    .batch = 64,
    .lr = 0.05,
    .momentum = 0.9,
    .weight_decay = 5e-4,
    .iterations = 20,
    .infer_batch = 256,
  };
  int status = 2;
  gboolean found = FALSE;

  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("supersign-cli %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        status = commands[i].run (&opts, argc - 1, argv + 1);
        found = TRUE;
        break;
      }
  if (!found)
    {
      fprintf (stderr, "supersign-cli: unknown command “%s”\n\n", argv[1]);
      usage (stderr);
    }
  g_free (opts.model);
  g_free (opts.weights);
  g_free (opts.data);
  g_free (opts.schedule);
  g_free (opts.out);
  g_free (opts.db);
  g_free (opts.preprocess);
  g_free (opts.labels);
  return status;
}
