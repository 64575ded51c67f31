/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "ss-model-file.h"
#include "ss-test-util.h"

/* supersign-cli surgery, prune-layers and bench --pruned end to end: the built binary (SS_CLI)
 * run as a user would. */

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr(GError) error = NULL;
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_surgery (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("prune-cli-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "no-conv3.safetensors", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) loaded = NULL;
  const char *remove[] = { "surgery", "--model", "fmnist-vgg", "--remove-layer", "conv3",
                           "--out", path, "--json", NULL };
  const char *tied[] = { "surgery", "--model", "resnet20", "--remove-layer", "layer2.0.conv1",
                         NULL };
  const char *groups[] = { "surgery", "--model", "resnet20", NULL };
  JsonObject *root;

  g_test_summary ("surgery --remove-layer saves a smaller model that loads; an impossible "
                  "removal says why; without it, surgery lists the channel groups.");
  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, remove), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpint (json_object_get_int_member (root, "params_before"), ==, 468202);
  g_assert_cmpint (json_object_get_int_member (root, "params_after"), ==, 431146);
  g_assert_cmpint (json_object_get_int_member (root, "macs_after"), ==, 11466496);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (root, "reinitialised"), 0), ==, "conv4");
  loaded = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_find_node (ss_net_get_arch (loaded), "conv3"), ==, -1);

  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, tied), ==, 1);
  g_assert_nonnull (strstr (err, "layer2.0.add"));

  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, groups), ==, 0);
  g_assert_nonnull (strstr (out, "12 channel groups"));
  g_assert_nonnull (strstr (out, "written by: conv1 layer1.0.conv2 layer1.1.conv2 "
                                 "layer1.2.conv2\n"));
  ss_test_rm_rf (dir);
}

static void
test_prune_layers (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("prune-cli-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "final.safetensors", NULL);
  g_autofree char *spec = ss_test_fmnist_spec ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) loaded = NULL;
  const char *args[] = { "prune-layers", "--data", spec, "--epochs", "1", "--subset", "512",
                         "--test-subset", "300", "--samples", "8", "--tolerance", "100",
                         "--batch", "32", "--out", path, "--json", NULL };
  JsonObject *root, *final;
  JsonArray *steps;
  gint64 prev = G_MAXINT64;

  g_test_summary ("prune-layers trains, removes layers, prints each step's counts and saves "
                  "the final model, which loads with those counts.");
  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, args), ==, 0);
  root = parse_object (parser, out);
  g_assert_true (json_object_get_boolean_member (root, "completed"));
  g_assert_nonnull (json_object_get_string_member (root, "stop_reason"));
  steps = json_object_get_array_member (root, "steps");
  g_assert_cmpuint (json_array_get_length (steps), >=, 1);
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      g_assert_cmpint (json_object_get_int_member (s, "conv_layers"), ==, 4 - (int) i);
      g_assert_cmpint (json_object_get_int_member (s, "params"), <, prev);
      prev = json_object_get_int_member (s, "params");
    }
  final = json_object_get_object_member (root, "final");
  g_assert_cmpint (json_object_get_int_member (final, "params"), ==, prev);
  loaded = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (loaded)), ==, prev);
  ss_test_rm_rf (dir);
}

static void
test_bench_pruned (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *args[] = { "bench", "--pruned", "--model", "fmnist-vgg", "--iterations", "1",
                         "--infer-batch", "4", "--json", NULL };
  JsonObject *root;

  g_test_summary ("bench --pruned times fmnist-vgg beside its half-width copy: MAC ratio "
                  "18691840 / 4830720.");
  g_assert_cmpint (ss_test_run_cli_argv (&out, &err, args), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (root, "mac_ratio"),
                                  18691840.0 / 4830720.0, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (root, "speed_ratio"), >, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/prune-cli/surgery", test_surgery);
  g_test_add_func ("/prune-cli/prune-layers", test_prune_layers);
  g_test_add_func ("/prune-cli/bench-pruned", test_bench_pruned);
  return g_test_run ();
}
