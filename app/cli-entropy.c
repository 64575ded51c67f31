/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-profile.h"

/* supersign-cli entropy and infoplane: the layer entropy profile (thesis Tables 2.1–2.3, with
 * SPEC §1's null baseline beside every AME) and the information-plane points (SPEC §3). */

typedef struct {
  char    *bins;
  gboolean miller_madow;
  int      radius;
  int      samples;
  int      null_perm;
  int      mi_bins;
  gboolean random;
  gboolean csv;
} ProfileArgs;

static gboolean
profile_options (const ProfileArgs *a,
                 SsProfileOptions  *opt,
                 GError           **error)
{
  ss_profile_options_init (opt);
  opt->n_samples = a->samples;
  opt->ame.miller_madow = a->miller_madow;
  opt->ame.radius = a->radius;
  opt->null_permutations = (guint) MAX (a->null_perm, 0);
  opt->mi_bins = a->mi_bins;
  opt->seed = 1;
  if (a->bins != NULL && g_str_equal (a->bins, "auto"))
    opt->ame.bins = SS_AME_BINS_AUTO;
  else if (a->bins != NULL)
    {
      gint64 b;
      if (!g_ascii_string_to_signed (a->bins, 10, 2, SS_AME_BINS_MAX, &b, NULL))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "--bins must be auto or a number from 2 to %d", SS_AME_BINS_MAX);
          return FALSE;
        }
      opt->ame.bins = (int) b;
    }
  if (a->samples < 1 || a->samples > 100000 || a->null_perm < 1 || a->null_perm > 1000)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "--samples must be 1 to 100000 and --null 1 to 1000");
      return FALSE;
    }
  return ss_ame_options_check (&opt->ame, error);
}

/* The trained model's profile, and with --random that of the same architecture with fresh
 * weights (seeded), over the same samples. */
static gboolean
compute_profiles (CliOptions        *opts,
                  const ProfileArgs *a,
                  GArray           **trained,
                  GArray           **random,
                  SsNet            **net_out,
                  SsProfileOptions  *opt,
                  GError           **error)
{
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(SsDataset) test = NULL;
  g_autoptr(SsNet) net = NULL;

  if (!profile_options (a, opt, error))
    return FALSE;
  if ((net = cli_open_model (opts, NULL, &metadata, error)) == NULL ||
      (test = cli_load_data (opts, cli_model_dataset (metadata), FALSE, error)) == NULL)
    return FALSE;
  if ((*trained = ss_profile_compute (net, test, opt, NULL, error)) == NULL)
    return FALSE;
  if (a->random)
    {
      g_autoptr(SsNet) fresh = ss_net_new (ss_net_get_arch (net), (guint64) opts->seed);
      ss_net_set_n_threads (fresh, ss_net_get_n_threads (net));
      if ((*random = ss_profile_compute (fresh, test, opt, NULL, error)) == NULL)
        return FALSE;
      /* Names are borrowed from the net; fresh goes, the trained net (same layers) stays. */
      for (guint l = 0; l < (*random)->len; l++)
        g_array_index (*random, SsLayerProfile, l).name =
          g_array_index (*trained, SsLayerProfile, l).name;
    }
  *net_out = g_steal_pointer (&net);
  return TRUE;
}

static void
add_layer_json (JsonBuilder          *b,
                const SsLayerProfile *lp,
                gboolean              infoplane)
{
  json_builder_begin_object (b);
  ss_json_add_string (b, "layer", lp->name);
  ss_json_add_string (b, "kind", ss_saliency_kind_name (lp->kind));
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, lp->c);
  json_builder_add_int_value (b, lp->h);
  json_builder_add_int_value (b, lp->w);
  json_builder_end_array (b);
  if (infoplane)
    {
      ss_json_add_number (b, "i_xt_bits", lp->i_xt);
      ss_json_add_number (b, "i_ty_bits", lp->i_ty);
    }
  else
    {
      ss_json_add_number (b, "saliency_ame_mean", lp->saliency_mean);
      ss_json_add_number (b, "saliency_ame_sd", lp->saliency_sd);
      ss_json_add_number (b, "null_ame_mean", lp->null_mean);
      ss_json_add_number (b, "activation_ame_mean", lp->activation_mean);
      ss_json_add_number (b, "delta", lp->delta);
      ss_json_add_string (b, "step", ss_step_kind_name (lp->step));
      ss_json_add_int (b, "valid_samples", lp->n_valid);
      ss_json_add_int (b, "zero_maps", lp->n_constant);
      ss_json_add_int (b, "bins", lp->bins);
      ss_json_add_bool (b, "bias_dominated", lp->bias_dominated);
    }
  json_builder_end_object (b);
}

static void
print_json (const SsNet            *net,
            const SsProfileOptions *opt,
            GArray                 *trained,
            GArray                 *random,
            gboolean                infoplane)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ss_json_add_string (b, "model", ss_arch_get_name (ss_net_get_arch (net)));
  ss_json_add_int (b, "samples", opt->n_samples);
  ss_json_add_int (b, infoplane ? "mi_bins" : "bins", infoplane ? opt->mi_bins : opt->ame.bins);
  ss_json_add_bool (b, "miller_madow", opt->ame.miller_madow);
  for (int which = 0; which < (random ? 2 : 1); which++)
    {
      GArray *p = which == 0 ? trained : random;
      json_builder_set_member_name (b, which == 0 ? "layers" : "random_weights");
      json_builder_begin_array (b);
      for (guint l = 0; l < p->len; l++)
        add_layer_json (b, &g_array_index (p, SsLayerProfile, l), infoplane);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  cli_print_json (b);
}

static void
print_profile_table (GArray           *trained,
                     GArray           *random,
                     const SsProfileOptions *opt,
                     gboolean          csv)
{
  if (csv)
    printf ("layer,kind,c,h,w,saliency_ame_mean,saliency_ame_sd,null_ame_mean,"
            "activation_ame_mean,delta,step,bias_dominated,bins,valid_maps,zero_maps%s\n",
            random ? ",random_saliency_ame_mean,random_null_ame_mean" : "");
  else
    printf ("%-18s %-10s %-10s %-15s %6s %6s %7s %4s %5s %4s%s\n", "layer", "kind", "shape",
            "saliency AME", "null", "activ", "ΔH", "step", "  B", "zero",
            random ? "   random-weights AME (null)" : "");
  for (guint l = 0; l < trained->len; l++)
    {
      const SsLayerProfile *lp = &g_array_index (trained, SsLayerProfile, l);
      const SsLayerProfile *rp = random ? &g_array_index (random, SsLayerProfile, l) : NULL;
      g_autofree char *shape = g_strdup_printf ("%dx%dx%d", lp->c, lp->h, lp->w);
      if (csv)
        {
          printf ("%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%s,%d,%d,%d", lp->name,
                  ss_saliency_kind_name (lp->kind), lp->c, lp->h, lp->w, lp->saliency_mean,
                  lp->saliency_sd, lp->null_mean, lp->activation_mean, lp->delta,
                  ss_step_kind_name (lp->step), lp->bias_dominated ? "true" : "false", lp->bins,
                  lp->n_valid, lp->n_constant);
          if (rp)
            printf (",%.6f,%.6f", rp->saliency_mean, rp->null_mean);
          printf ("\n");
          continue;
        }
      if (lp->n_valid == 0)
        {
          /* A 1×1 map (after flatten or global pooling) has no AME (SPEC §1). */
          printf ("%-18s %-10s %-10s %15s\n", lp->name, ss_saliency_kind_name (lp->kind), shape,
                  "n/a (1×1)");
          continue;
        }
      printf ("%-18s %-10s %-10s %6.3f ± %5.3f %6.3f %6.3f ", lp->name,
              ss_saliency_kind_name (lp->kind), shape, lp->saliency_mean, lp->saliency_sd,
              lp->null_mean, lp->activation_mean);
      if (isnan (lp->delta))
        printf ("%7s", "");
      else
        printf ("%+7.3f", lp->delta);
      printf (" %4s %5d %4d%s", ss_step_kind_name (lp->step), lp->bins, lp->n_constant,
              lp->bias_dominated ? " *" : "  ");
      if (rp)
        printf ("   %6.3f (%5.3f)", rp->saliency_mean, rp->null_mean);
      printf ("\n");
    }
  if (!csv)
    printf ("\n%d samples, B = %s, plug-in%s; null = mean AME of the map with its cells "
            "permuted (%u permutations); zero = maps that are all zero (constant: AME 0 by "
            "SPEC §1); * = fewer neighbour pairs than B² (bias-dominated estimate, SPEC §1); "
            "step I = pooling (type I superization), II = conv (type II)\n",
            opt->n_samples, opt->ame.bins == SS_AME_BINS_AUTO ? "auto (per layer: column B)"
                                                              : "the B column",
            opt->ame.miller_madow ? " + Miller–Madow" : "", opt->null_permutations);
}

static int
run (CliOptions *opts,
     int         argc,
     char      **argv,
     gboolean    infoplane)
{
  ProfileArgs a = { .samples = 50, .null_perm = 8, .mi_bins = 32 };
  const GOptionEntry entries[] = {
    { "samples", 'n', 0, G_OPTION_ARG_INT, &a.samples, "Samples (default 50, seed 1)", "N" },
    { "bins", 0, 0, G_OPTION_ARG_STRING, &a.bins, "AME bins: a number or auto (default 256)",
      "B" },
    { "miller-madow", 0, 0, G_OPTION_ARG_NONE, &a.miller_madow, "Miller–Madow correction",
      NULL },
    { "radius", 0, 0, G_OPTION_ARG_INT, &a.radius, "Full SDE with radius R (default: AME)", "R" },
    { "null", 0, 0, G_OPTION_ARG_INT, &a.null_perm, "Permutations for the null (default 8)",
      "P" },
    { "mi-bins", 0, 0, G_OPTION_ARG_INT, &a.mi_bins, "Information-plane bins (default 32)",
      "B" },
    { "random", 0, 0, G_OPTION_ARG_NONE, &a.random,
      "Also the same architecture with random weights, side by side", NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &a.csv, "Print CSV", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) trained = NULL, random = NULL;
  g_autoptr(SsNet) net = NULL;
  SsProfileOptions opt;
  int status = 0;

  if (!cli_parse_options (opts, infoplane ? "infoplane" : "entropy",
                          infoplane ? "information-plane points" : "layer entropy profile",
                          entries, &argc, &argv))
    status = 2;
  else if (!compute_profiles (opts, &a, &trained, &random, &net, &opt, &error))
    status = cli_fail (error);
  else if (opts->json)
    print_json (net, &opt, trained, random, infoplane);
  else if (infoplane)
    {
      if (a.csv)
        printf ("layer,i_xt_bits,i_ty_bits%s\n",
                random ? ",random_i_xt_bits,random_i_ty_bits" : "");
      else
        printf ("%-18s %10s %10s%s\n", "layer", "I(X;T)", "I(T;Y)",
                random ? "   random I(X;T)  I(T;Y)" : "");
      for (guint l = 0; l < trained->len; l++)
        {
          const SsLayerProfile *lp = &g_array_index (trained, SsLayerProfile, l);
          const SsLayerProfile *rp = random ? &g_array_index (random, SsLayerProfile, l) : NULL;
          printf (a.csv ? "%s,%.6f,%.6f" : "%-18s %10.4f %10.4f", lp->name, lp->i_xt, lp->i_ty);
          if (rp)
            printf (a.csv ? ",%.6f,%.6f" : "   %14.4f %7.4f", rp->i_xt, rp->i_ty);
          printf ("\n");
        }
    }
  else
    print_profile_table (trained, random, &opt, a.csv);
  g_free (a.bins);
  return status;
}

int
cli_entropy (CliOptions *opts,
             int         argc,
             char      **argv)
{
  return run (opts, argc, argv, FALSE);
}

int
cli_infoplane (CliOptions *opts,
               int         argc,
               char      **argv)
{
  return run (opts, argc, argv, TRUE);
}
