/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* supersign-cli amc end to end: the built binary (SS_CLI) run as a user would, with bad
 * arguments and a short search that applies, fine-tunes, saves and records its run. */

#include <string.h>

#include <json-glib/json-glib.h>

#include "ss-model-file.h"
#include "ss-runs.h"
#include "ss-test-util.h"

static void
expect_failure (const char *const *args,
                int                status,
                const char        *needle)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, args), ==, status);
  if (strstr (err, needle) == NULL)
    g_error ("stderr “%s” does not say “%s”", err, needle);
}

static void
test_bad_arguments (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("amc-cli-XXXXXX");
  g_autofree char *flat = g_build_filename (dir, "flat.json", NULL);
  g_autoptr(GError) error = NULL;
  const char *zero[] = { "amc", "--keep-flops", "0", "--no-history", NULL };
  const char *over[] = { "amc", "--keep-flops", "1.5", "--no-history", NULL };
  const char *episodes[] = { "amc", "--episodes", "0", "--no-history", NULL };
  const char *reward[] = { "amc", "--reward", "loss", "--no-history", NULL };
  const char *nothing[] = { "amc", "--model", flat, "--no-history", NULL };
  const char *reach[] = { "amc", "--keep-flops", "0.01", "--no-history", NULL };

  g_test_summary ("amc refuses a MACs share outside (0, 1], zero episodes and an unknown reward "
                  "as usage errors (status 2), and a model with nothing to prune or a target "
                  "out of reach with status 1, saying why, before loading any data.");
  g_file_set_contents (flat, "{\"name\": \"flat\", \"input\": [1, 28, 28], \"classes\": 10, "
                       "\"layers\": [{\"type\": \"flatten\"}, {\"type\": \"linear\", "
                       "\"name\": \"fc\", \"out\": 10}]}", -1, &error);
  g_assert_no_error (error);
  expect_failure (zero, 2, "--keep-flops is the share of MACs kept");
  expect_failure (over, 2, "more than 0 and at most 1");
  expect_failure (episodes, 2, "--episodes must be at least 1");
  expect_failure (reward, 2, "--reward must be accuracy, entropy or entropy-max");
  expect_failure (nothing, 1, "nothing in flat can be pruned");
  expect_failure (reach, 1, "out of reach");
  ss_test_rm_rf (dir);
}

static void
test_run (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("amc-cli-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "pruned.safetensors", NULL);
  g_autofree char *db_path = g_build_filename (dir, "runs.sqlite", NULL);
  g_autofree char *spec = ss_test_fmnist_spec ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) loaded = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(SsRun) run = NULL;
  const char *args[] = { "amc", "--data", spec, "--reward", "entropy", "--keep-flops", "0.5",
                         "--episodes", "3", "--warmup", "1", "--finetune-epochs", "1",
                         "--subset", "1200", "--val-size", "200", "--calibration", "100",
                         "--entropy-samples", "10", "--test-subset", "300", "--out", path,
                         "--db", db_path, "--json", NULL };
  JsonObject *root;
  JsonArray *layers, *episodes;
  const SsRunRecord *rec;
  gint64 macs, macs_before;

  g_test_summary ("A 3-episode entropy search on the shipped model keeps at most half the "
                  "MACs, prints the kept channels and the accuracies, saves a model that loads "
                  "with those channels, and records one observation per episode and per "
                  "fine-tuning epoch in the run history.");
  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, args), ==, 0);
  g_assert_nonnull (strstr (err, "episode 3/3"));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  macs = json_object_get_int_member (root, "macs");
  macs_before = json_object_get_int_member (root, "macs_before");
  g_assert_cmpint (macs_before, ==, 18691840);
  g_assert_cmpint (2 * macs, <=, macs_before);
  g_assert_cmpstr (json_object_get_string_member (root, "reward"), ==, "entropy");
  g_assert_cmpfloat (json_object_get_double_member (root, "accuracy_original"), >, 0.85);
  g_assert_cmpfloat (json_object_get_double_member (root, "accuracy_finetuned"), >, 0.5);
  layers = json_object_get_array_member (root, "layers");
  episodes = json_object_get_array_member (root, "episodes");
  g_assert_cmpuint (json_array_get_length (layers), ==, 4);
  g_assert_cmpuint (json_array_get_length (episodes), ==, 3);

  loaded = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_macs (ss_net_get_arch (loaded)), ==, macs);
  for (guint t = 0; t < 4; t++)
    {
      JsonObject *l = json_array_get_object_element (layers, t);
      int node = ss_arch_find_node (ss_net_get_arch (loaded),
                                    json_object_get_string_member (l, "name"));
      g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (loaded), node)->out, ==,
                       json_object_get_int_member (l, "kept"));
    }

  db = ss_run_db_open_readonly (db_path, &error);
  g_assert_no_error (error);
  runs = ss_run_db_list (db, SS_RUN_KIND_AMC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = ss_run_db_load (db, ((SsRunRecord *) g_ptr_array_index (runs, 0))->id, &error);
  g_assert_no_error (error);
  rec = ss_run_get_record (run);
  g_assert_cmpint (rec->status, ==, SS_RUN_FINISHED);
  g_assert_cmpuint (ss_run_get_n_observations (run), ==, 3 + 1);
  g_assert_nonnull (strstr (ss_run_get_observation (run, 0)->extra_json, "\"macs_kept\""));
  g_assert_nonnull (strstr (ss_run_get_observation (run, 0)->extra_json, "\"preserve_ratios\""));
  g_assert_true (ss_run_get_observation (run, 3)->epoch_end);
  ss_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/amc/cli/bad-arguments", test_bad_arguments);
  g_test_add_func ("/amc/cli/run", test_run);
  return g_test_run ();
}
