/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-relevance-prune.h"
#include "ss-test-util.h"

/* Iterative filter pruning by relevance (core/ss-relevance-prune.c) and supersign-cli
 * prune-filters run as a user would (SS_CLI).  Legend: O filters, I input channels, k kernel. */

static void
collect_round (const SsRelevancePruneProgress *p,
               gpointer                        user_data)
{
  GString *log = user_data;
  if (p->phase != SS_RELEVANCE_PRUNE_ROUND_DONE)
    return;
  g_string_append_printf (log, "%d:", p->result->round);
  for (int u = 0; u < p->result->n_units; u++)
    g_string_append_printf (log, "%s%d", u ? "-" : "", p->result->kept[u]);
  g_string_append_printf (log, "/%" G_GINT64_FORMAT " ", p->result->params);
}

static int
compare_desc (gconstpointer a,
              gconstpointer b,
              gpointer      scores)
{
  const double x = ((const double *) scores)[*(const int *) a];
  const double y = ((const double *) scores)[*(const int *) b];
  return (x < y) - (x > y);
}

static void
test_prune_l1_rounds (void)
{
  g_autoptr(SsNet) net = ss_test_load_shipped ();
  g_autoptr(SsNet) pruned = NULL;
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 200);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *const units[] = { "conv1", "conv2", "conv3", "conv4" };
  const int targets[] = { 24, 16, 48, 32 };
  SsRelevancePruneConfig config;
  double l1[32];
  int order[32], keep[24];
  const float *w0, *w1;   /* conv1.weight (O, 1, 3, 3) */

  g_test_summary ("L1 pruning in two rounds without fine-tuning steps each layer halfway, then "
                  "to the target, and keeps exactly conv1's 24 filters of largest Σ|w|.");
  ss_relevance_prune_config_init (&config);
  config.criterion = SS_RELEVANCE_L1;
  config.rounds = 2;
  config.finetune.epochs = 0;
  pruned = ss_relevance_prune_run (net, NULL, test, &config, units, targets, 4, collect_round,
                                   log, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (log->str, ==, "0:32-32-64-64/468202 1:28-24-56-48/345530 "
                                 "2:24-16-48-32/226890 ");
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (pruned)), ==, 226890);

  /* conv1's weights do not change when other layers lose filters, so both rounds rank them
   * alike: the survivors are the 24 of largest L1, in their original order. */
  w0 = ss_net_get_param (net, ss_net_find_param (net, "conv1.weight"));
  w1 = ss_net_get_param (pruned, ss_net_find_param (pruned, "conv1.weight"));
  for (int f = 0; f < 32; f++)
    {
      l1[f] = 0;
      for (int i = 0; i < 9; i++)
        l1[f] += fabs ((double) w0[f * 9 + i]);
      order[f] = f;
    }
  g_qsort_with_data (order, 32, sizeof (int), compare_desc, l1);
  memcpy (keep, order, sizeof keep);
  for (int i = 1; i < 24; i++)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--)
      {
        const int t = keep[j];
        keep[j] = keep[j - 1];
        keep[j - 1] = t;
      }
  for (int f = 0; f < 24; f++)
    g_assert_cmpmem (w1 + f * 9, 9 * sizeof (float), w0 + keep[f] * 9, 9 * sizeof (float));
}

static void
test_prune_resnet_tied (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 1, 28, 28, 10, NULL);
  g_autoptr(SsNet) net = NULL, pruned = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) units = NULL;
  g_autofree int *targets = NULL;
  const SsArch *out;
  SsRelevancePruneConfig config;
  int n;

  g_test_summary ("In resnet20 the stem conv and layer1's conv2s are one unit: pruning it to 8 "
                  "leaves all of them with 8 filters; each block's conv1 is its own unit.");
  g_assert_true (ss_arch_infer_shapes (arch, NULL));
  net = ss_net_new (arch, 3);
  units = ss_relevance_prune_default_units (arch);
  n = (int) g_strv_length (units);
  /* Stage groups (stem + layer1, layer2, layer3) and nine block conv1s. */
  g_assert_cmpint (n, ==, 12);
  g_assert_cmpstr (units[0], ==, "conv1");
  g_assert_cmpstr (units[1], ==, "layer1.0.conv1");
  targets = g_new (int, n);
  for (int u = 0; u < n; u++)
    targets[u] = ss_arch_get_node (arch, ss_arch_find_node (arch, units[u]))->out;
  targets[0] = 8;
  targets[1] = 5;
  ss_relevance_prune_config_init (&config);
  config.criterion = SS_RELEVANCE_L1;
  config.finetune.epochs = 0;
  pruned = ss_relevance_prune_run (net, NULL, NULL, &config, (const char *const *) units,
                                   targets, n, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  out = ss_net_get_arch (pruned);
  g_assert_cmpint (ss_arch_get_node (out, ss_arch_find_node (out, "conv1"))->out, ==, 8);
  g_assert_cmpint (ss_arch_get_node (out, ss_arch_find_node (out, "layer1.2.conv2"))->out, ==, 8);
  g_assert_cmpint (ss_arch_get_node (out, ss_arch_find_node (out, "layer1.0.conv1"))->out, ==, 5);
  g_assert_cmpint (ss_arch_get_node (out, ss_arch_find_node (out, "layer1.1.conv1"))->out, ==, 16);
  g_assert_cmpint (ss_arch_get_node (out, ss_arch_find_node (out, "layer2.0.conv2"))->out, ==, 32);

  /* Naming two convs of one unit is refused. */
  {
    const char *const tied[] = { "conv1", "layer1.1.conv2" };
    const int t[] = { 8, 8 };
    g_autoptr(GError) e2 = NULL;
    g_assert_false (ss_relevance_prune_check (arch, tied, t, 2, &e2));
    g_assert_error (e2, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (e2->message, "share their channels"));
  }
}

static void
test_prune_check (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, NULL);
  const struct { const char *unit; int target; const char *message; } cases[] = {
    { "conv1", 33, "“conv1” has 32 filters: it cannot keep 33" },
    { "conv3", 0, "“conv3” must keep at least 1 filter, not 0" },
    { "conv7", 4, "no conv layer named “conv7” (its prunable layers: conv1, conv2, conv3, conv4)" },
    { "fc1", 4, "no conv layer named “fc1”" },
  };

  g_test_summary ("More filters than exist, zero filters and unknown or non-conv layers are "
                  "refused with a message naming the layer.");
  g_assert_true (ss_arch_infer_shapes (arch, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (ss_relevance_prune_check (arch, &cases[i].unit, &cases[i].target, 1,
                                                &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
      g_assert_nonnull (strstr (error->message, cases[i].message));
    }
}

/* The stage a resnet default unit belongs to, from its name: "conv1" and "layer1.…" are stage 0,
 * "layerS.…" stage S − 1. */
static const int stage_counts[] = { 8, 15, 30 };  /* --target 8-15-30 */

static int
stage_of_name (const char *unit)
{
  return g_str_has_prefix (unit, "layer") ? unit[5] - '1' : 0;
}

static void
test_target_stages (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 1, 28, 28, 10, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) units = NULL;
  int stages[12], targets[12], n;

  g_test_summary ("On resnet20 a 3-field --target gives every unit of stage s (its tied group "
                  "and its blocks' conv1s) count s; 12 fields are one per unit.");
  g_assert_true (ss_arch_infer_shapes (arch, NULL));
  units = ss_relevance_prune_default_units (arch);
  n = (int) g_strv_length (units);
  g_assert_cmpint (n, ==, 12);
  g_assert_cmpint (ss_relevance_prune_unit_stages (arch, (const char *const *) units, n, stages),
                   ==, 3);
  for (int u = 0; u < n; u++)
    g_assert_cmpint (stages[u], ==, stage_of_name (units[u]));

  g_assert_true (ss_relevance_prune_parse_target (arch, (const char *const *) units, n,
                                                  "8-15-30", targets, &error));
  g_assert_no_error (error);
  for (int u = 0; u < n; u++)
    {
      g_test_message ("%s: %d", units[u], targets[u]);
      g_assert_cmpint (targets[u], ==, stage_counts[stage_of_name (units[u])]);
    }
  /* Every tied group is in the stage form: the stem, and both projection shortcuts or conv2s
   * (whichever names the unit), each exactly once. */
  {
    int tied = 0;
    for (int u = 0; u < n; u++)
      tied += !g_str_has_suffix (units[u], ".conv1") || g_str_equal (units[u], "conv1");
    g_assert_cmpint (tied, ==, 3);
  }

  g_assert_true (ss_relevance_prune_parse_target (arch, (const char *const *) units, n,
                                                  "16-1-2-3-4-5-6-7-8-9-10-11", targets,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpint (targets[0], ==, 16);
  g_assert_cmpint (targets[11], ==, 11);

  {
    g_autoptr(GError) e = NULL;
    g_assert_false (ss_relevance_prune_parse_target (arch, (const char *const *) units, n,
                                                     "8-15", targets, &e));
    g_assert_error (e, SS_ERROR, SS_ERROR_ARGUMENT);
    g_test_message ("%s", e->message);
    g_assert_nonnull (strstr (e->message, "--target has 2 fields: give one filter count per "
                                          "pruned layer (12: conv1, layer1.0.conv1,"));
    g_assert_nonnull (strstr (e->message, "or one per residual stage (3: stage 1: conv1, "
                                          "layer1.0.conv1, layer1.1.conv1, layer1.2.conv1; "
                                          "stage 2: "));
  }
  {
    g_autoptr(GError) e = NULL;
    g_assert_false (ss_relevance_prune_parse_target (arch, (const char *const *) units, n,
                                                     "8-x-30", targets, &e));
    g_assert_nonnull (strstr (e->message, "--target field 2 (“x”, for stage 2)"));
  }

  /* As many units as stages: in network order the two forms agree; in another they would not. */
  {
    const char *const in_order[] = { "layer1.0.conv1", "layer2.1.conv1", "layer3.2.conv1" };
    const char *const shuffled[] = { "layer2.0.conv1", "layer1.0.conv1", "layer3.0.conv1" };
    g_autoptr(GError) e = NULL;

    g_assert_true (ss_relevance_prune_parse_target (arch, in_order, 3, "4-5-6", targets, &e));
    g_assert_no_error (e);
    g_assert_cmpint (targets[0], ==, 4);
    g_assert_cmpint (targets[2], ==, 6);
    g_assert_false (ss_relevance_prune_parse_target (arch, shuffled, 3, "4-5-6", targets, &e));
    g_assert_error (e, SS_ERROR, SS_ERROR_ARGUMENT);
    g_test_message ("%s", e->message);
    g_assert_nonnull (strstr (e->message, "is ambiguous"));
    g_assert_nonnull (strstr (e->message, "(layer2.0.conv1, layer1.0.conv1, layer3.0.conv1)"));
    g_assert_nonnull (strstr (e->message, "stage 1: layer1.0.conv1; stage 2: layer2.0.conv1"));
  }

  /* resnet56: 3 tied groups and 27 blocks' conv1s from three numbers. */
  {
    g_autoptr(SsArch) r56 = ss_arch_new_builtin ("resnet56", 3, 32, 32, 10, NULL);
    g_auto(GStrv) u56 = NULL;
    g_autofree int *t56 = NULL;
    int n56;

    g_assert_true (ss_arch_infer_shapes (r56, NULL));
    u56 = ss_relevance_prune_default_units (r56);
    n56 = (int) g_strv_length (u56);
    g_assert_cmpint (n56, ==, 30);
    t56 = g_new (int, n56);
    g_assert_true (ss_relevance_prune_parse_target (r56, (const char *const *) u56, n56,
                                                    "8-15-30", t56, &error));
    g_assert_no_error (error);
    for (int u = 0; u < n56; u++)
      g_assert_cmpint (t56[u], ==, stage_counts[stage_of_name (u56[u])]);
  }

  /* A plain network has no stages: one count per layer, as before. */
  {
    g_autoptr(SsArch) vgg = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, NULL);
    const char *const four[] = { "conv1", "conv2", "conv3", "conv4" };
    g_autoptr(GError) e = NULL;

    g_assert_true (ss_arch_infer_shapes (vgg, NULL));
    g_assert_cmpint (ss_relevance_prune_unit_stages (vgg, four, 4, stages), ==, 0);
    g_assert_cmpint (stages[3], ==, -1);
    g_assert_false (ss_relevance_prune_parse_target (vgg, four, 4, "8-8", targets, &e));
    g_assert_nonnull (strstr (e->message, "--target has 2 fields but 4 layers are pruned "
                                          "(conv1, conv2, conv3, conv4)"));
  }
}

/* ---------------------------------------------------------------------------------------------
 * supersign-cli prune-filters */

static void
test_cli_prune_errors (void)
{
  g_autofree char *data = ss_test_fmnist_spec ();
  const struct { const char *opt, *value, *opt2, *value2; int status; const char *message; }
  cases[] = {
    { "--target", "40-32-64-64", NULL, NULL, 1, "“conv1” has 32 filters: it cannot keep 40" },
    { "--target", "0-32-64-64", NULL, NULL, 1, "“conv1” must keep at least 1 filter, not 0" },
    { "--target", "16-16-32", NULL, NULL, 1,
      "--target has 3 fields but 4 layers are pruned (conv1, conv2, conv3, conv4)" },
    { "--target", "16-16-32-32-8", NULL, NULL, 1, "--target has 5 fields" },
    { "--target", "16-x-32-32", NULL, NULL, 1, "--target field 2 (“x”, for conv2)" },
    { "--layers", "conv1,conv9", "--target", "8-8", 1, "no conv layer named “conv9”" },
    { "--layers", "conv1,bn2", "--target", "8-8", 1, "no conv layer named “bn2”" },
    { "--fraction", "1", NULL, NULL, 1, "--fraction is the share" },
    { "--criterion", "hrel", "--target", "8-8-8-8", 1, "Unknown relevance criterion “hrel”" },
  };

  g_test_summary ("prune-filters refuses impossible targets, wrong field counts, unknown layers "
                  "and criteria with a clear message and status 1, before any work.");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      const int status = ss_test_run_cli (&out, &err, "prune-filters", "--data", data, "--subset",
                                          "300", "--no-history", cases[i].opt, cases[i].value,
                                          cases[i].opt2, cases[i].value2, NULL);
      g_test_message ("%s %s: %s", cases[i].opt, cases[i].value, err);
      g_assert_cmpint (status, ==, cases[i].status);
      g_assert_nonnull (strstr (err, cases[i].message));
    }
  {
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (ss_test_run_cli (&out, &err, "prune-filters", "--data", data, "--no-history",
                                      NULL), ==, 2);
    g_assert_nonnull (strstr (err, "give either --target"));
  }
}

static void
test_cli_prune_run (void)
{
  g_autofree char *data = ss_test_fmnist_spec ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("relevance-prune-XXXXXX");
  g_autofree char *model = g_build_filename (dir, "pruned.safetensors", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *rounds;

  g_test_summary ("prune-filters by spatial MI on 300 training images: two rounds with one "
                  "fine-tuning epoch reach 24-24-48-48, report params, MACs, accuracy and "
                  "relevance time, and save a model that loads with that shape.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "prune-filters", "--data", data, "--subset", "300",
                                    "--test-subset", "200", "--criterion", "ame-mi", "--target",
                                    "24-24-48-48", "--rounds", "2", "--finetune-epochs", "1",
                                    "--threads", "2", "--no-history", "--out", model, "--json",
                                    NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "criterion"), ==, "ame-mi");
  rounds = json_object_get_array_member (root, "rounds");
  g_assert_cmpuint (json_array_get_length (rounds), ==, 3);
  for (guint r = 0; r < 3; r++)
    {
      JsonObject *o = json_array_get_object_element (rounds, r);
      const char *want[] = { "32-32-64-64", "28-28-56-56", "24-24-48-48" };
      const double acc = json_object_get_double_member (o, "test_accuracy");
      g_assert_cmpstr (json_object_get_string_member (o, "configuration"), ==, want[r]);
      g_assert_cmpfloat (acc, >, 0.3);
      g_assert_cmpfloat (acc, <=, 1.0);
      if (r > 0)
        {
          g_assert_cmpfloat (json_object_get_double_member (o, "relevance_seconds"), >, 0.0);
          g_assert_cmpint (json_object_get_int_member (o, "macs"), <,
                           json_object_get_int_member (json_array_get_object_element (rounds,
                                                                                      r - 1),
                                                       "macs"));
        }
    }
  net = ss_model_load (model, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (net)), ==,
                   json_object_get_int_member (json_array_get_object_element (rounds, 2),
                                               "params"));
  g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (net), 0)->out, ==, 24);
  ss_test_rm_rf (dir);
}

static void
test_cli_prune_resnet_stages (void)
{
  g_autofree char *data = ss_test_fmnist_spec ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("relevance-prune-XXXXXX");
  g_autofree char *model = g_build_filename (dir, "resnet20.safetensors", NULL);
  g_autofree char *pruned_path = g_build_filename (dir, "pruned.safetensors", NULL);
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 1, 28, 28, 10, NULL);
  g_autoptr(SsNet) net = NULL, pruned = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) units = NULL;
  g_autoptr(GString) want = g_string_new (NULL);
  JsonArray *rounds;
  const SsArch *a;
  const struct { const char *layer; int out; } kept[] = {
    { "conv1", 8 }, { "layer1.0.conv1", 8 }, { "layer1.2.conv1", 8 }, { "layer1.2.conv2", 8 },
    { "layer2.0.conv1", 15 }, { "layer2.0.conv2", 15 }, { "layer2.2.conv2", 15 },
    { "layer3.1.conv1", 30 }, { "layer3.0.conv2", 30 }, { "layer3.2.conv2", 30 },
  };

  g_test_summary ("prune-filters --target 8-15-30 on resnet20 (300 training images, spatial MI, "
                  "one round) leaves every conv of stage s, conv1s, conv2s, stem and "
                  "shortcuts, with 8, 15 or 30 filters, and reports the per-unit configuration.");
  g_assert_true (ss_arch_infer_shapes (arch, NULL));
  net = ss_net_new (arch, 7);
  g_assert_true (ss_model_save (net, model, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ss_test_run_cli (&out, &err, "prune-filters", "--model", model, "--data", data,
                                    "--subset", "300", "--test-subset", "50", "--target",
                                    "8-15-30", "--finetune-epochs", "0", "--threads", "2",
                                    "--no-history", "--out", pruned_path, "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  rounds = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "rounds");
  g_assert_cmpuint (json_array_get_length (rounds), ==, 2);
  units = ss_relevance_prune_default_units (arch);
  for (int u = 0; units[u] != NULL; u++)
    g_string_append_printf (want, "%s%d", u ? "-" : "", stage_counts[stage_of_name (units[u])]);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rounds, 1),
                                                  "configuration"), ==, want->str);

  pruned = ss_model_load (pruned_path, NULL, &error);
  g_assert_no_error (error);
  a = ss_net_get_arch (pruned);
  for (gsize i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      const int node = ss_arch_find_node (a, kept[i].layer);
      g_assert_cmpint (node, >=, 0);
      g_assert_cmpint (ss_arch_get_node (a, node)->out, ==, kept[i].out);
    }
  /* Every conv of stages 2 and 3 that is not a conv1 is in the tied group, the projection
   * shortcut included. */
  for (int node = 0; node < ss_arch_get_n_nodes (a); node++)
    {
      const SsNode *nd = ss_arch_get_node (a, node);
      if (nd->op == SS_OP_CONV)
        g_assert_cmpint (nd->out, ==, stage_counts[stage_of_name (nd->name)]);
    }
  ss_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/relevance-prune/l1-rounds", test_prune_l1_rounds);
  g_test_add_func ("/relevance-prune/resnet-tied", test_prune_resnet_tied);
  g_test_add_func ("/relevance-prune/check", test_prune_check);
  g_test_add_func ("/relevance-prune/target-stages", test_target_stages);
  g_test_add_func ("/relevance-prune/cli/errors", test_cli_prune_errors);
  g_test_add_func ("/relevance-prune/cli/run", test_cli_prune_run);
  g_test_add_func ("/relevance-prune/cli/resnet-stages", test_cli_prune_resnet_stages);
  return g_test_run ();
}
