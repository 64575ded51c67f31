/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "ss-model-file.h"
#include "ss-test-util.h"

/* supersign-cli end to end: the built binary (SS_CLI) run as a user would. */

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
test_cli_info_json (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_test_summary ("info --json prints one JSON document with SPEC §9's counts for fmnist-vgg.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "info", "--model", "fmnist-vgg", "--json", NULL),
                   ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpint (json_object_get_int_member (root, "params"), ==, 468202);
  g_assert_cmpint (json_object_get_int_member (root, "macs"), ==, 18691840);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "layers")), ==, 18);
}

static void
test_cli_errors (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_test_summary ("Bad arguments give a clear message and a non-zero status, never a crash.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "info", "--model", "resnet21", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "unknown architecture “resnet21”"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "--data", "cifar10:/nonexistent", NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "train", "--epochs", "0", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--epochs"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "--model", "/nonexistent.safetensors",
                                    NULL), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.safetensors"));
}

static void
test_cli_train_eval (void)
{
  g_autofree char *out = NULL, *err = NULL, *data = ss_test_fmnist_spec ();
  g_autofree char *model = g_build_filename (g_get_tmp_dir (), "m.safetensors", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *epochs;
  double acc;

  g_test_summary ("train --out writes a model that eval reads back with the same accuracy.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "train", "--data", data, "--subset", "512",
                                    "--epochs", "2", "--batch", "32", "--lr", "0.01", "--threads",
                                    "2", "--out", model, "--json", NULL), ==, 0);
  root = parse_object (parser, out);
  g_assert_true (json_object_get_boolean_member (root, "completed"));
  epochs = json_object_get_array_member (root, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, 2);
  acc = json_object_get_double_member (json_array_get_object_element (epochs, 1),
                                       "test_accuracy");
  g_assert_cmpfloat (acc, >, 0.3);   /* chance is 0.1 */

  net = ss_model_load (model, &meta, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (g_hash_table_lookup (meta, SS_MODEL_META_TRAINING),
                            "\"interrupted\":false"));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "--model", model, "--data", data, "--json",
                                    NULL), ==, 0);
  root = parse_object (parser2, out);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (root, "accuracy"), acc, 1e-9);
}

static void
test_cli_sigint (void)
{
  g_autofree char *data = ss_test_fmnist_spec ();
  g_autofree char *model = g_build_filename (g_get_tmp_dir (), "int.safetensors", NULL);
  g_autofree char *err_path = g_build_filename (g_get_tmp_dir (), "stderr.txt", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("SS_CLI"), "train", "--data", data, "--epochs", "50",
                         "--subset", "2000", "--out", model, NULL };
  GPid pid;
  int err_fd, status;

  g_test_summary ("Ctrl-C during training stops after the batch, exits 130 and leaves a valid "
                  "checkpoint marked interrupted.");
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, NULL, NULL, &err_fd, &error);
  g_assert_no_error (error);
  /* Wait until it reports its first batches, so SIGINT lands mid-epoch. */
  {
    GString *text = g_string_new (NULL);
    char buf[256];
    gssize n;
    while (strstr (text->str, "  batch ") == NULL && (n = read (err_fd, buf, sizeof buf)) > 0)
      g_string_append_len (text, buf, n);
    g_assert_nonnull (strstr (text->str, "  batch "));
    kill (pid, SIGINT);
    while ((n = read (err_fd, buf, sizeof buf)) > 0)
      g_string_append_len (text, buf, n);
    err = g_string_free (text, FALSE);
  }
  close (err_fd);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_test_message ("%s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);
  g_assert_nonnull (strstr (err, "is saved in"));

  net = ss_model_load (model, &meta, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (g_hash_table_lookup (meta, SS_MODEL_META_TRAINING),
                            "\"interrupted\":true"));
}

static void
test_cli_saliency (void)
{
  g_autofree char *out = NULL, *err = NULL, *data = ss_test_fmnist_spec ();
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "sal", NULL);
  g_autofree char *csv = NULL, *csv_path = g_build_filename (dir, "grid.csv", NULL);
  g_autofree char *grid = g_build_filename (dir, "grid.png", NULL);
  g_autofree char *tile = g_build_filename (dir, "sample-3-pool1.png", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  JsonObject *root;

  g_test_summary ("saliency writes a PNG per sample and layer, a grid and a CSV naming its "
                  "tiles; unknown layers and bad options are clear errors.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "saliency", "--data", data, "--samples", "3,8",
                                    "--layers", "conv1,pool1,relu4", "--colormap", "inferno",
                                    "--out-dir", dir, "--json", NULL), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "classes")), ==,
                    2);
  /* 2 samples × (input, vanilla, 3 layers) tiles + grid + csv */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "files")), ==,
                    12);
  g_assert_true (g_file_test (grid, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (tile, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 2 * 5);
  g_assert_true (g_str_has_prefix (lines[5], "0,4,3,"));
  g_assert_nonnull (strstr (lines[5], ",relu4,activation,14,14"));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "saliency", "--data", data, "--layers", "fc9",
                                    "--out-dir", dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "“fc9” is not a saliency layer"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "saliency", "--data", data, "--samples", "10000",
                                    "--out-dir", dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--samples"));
}

static void
test_cli_entropy_infoplane (void)
{
  g_autofree char *out = NULL, *err = NULL, *data = ss_test_fmnist_spec ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  JsonArray *layers, *random;
  JsonObject *root;

  g_test_summary ("entropy prints a profile per saliency layer (AME and its null in [0, 1], "
                  "pooling marked type I, conv type II, random weights beside); infoplane "
                  "prints non-negative MI per layer.");
  g_assert_cmpint (ss_test_run_cli (&out, &err, "entropy", "--data", data, "--samples", "8",
                                    "--random", "--json", NULL), ==, 0);
  root = parse_object (parser, out);
  layers = json_object_get_array_member (root, "layers");
  random = json_object_get_array_member (root, "random_weights");
  g_assert_cmpuint (json_array_get_length (layers), ==, json_array_get_length (random));
  g_assert_cmpuint (json_array_get_length (layers), ==, 11);
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *kind = json_object_get_string_member (l, "kind");
      const char *step = json_object_get_string_member (l, "step");
      if (json_object_get_int_member (l, "valid_samples") == 0)
        continue;   /* a 1×1 map after flatten: no AME */
      g_assert_cmpfloat (json_object_get_double_member (l, "saliency_ame_mean"), >=, 0);
      g_assert_cmpfloat (json_object_get_double_member (l, "saliency_ame_mean"), <=, 1);
      g_assert_cmpfloat (json_object_get_double_member (l, "null_ame_mean"), >=, 0);
      g_assert_cmpfloat (json_object_get_double_member (l, "null_ame_mean"), <=, 1);
      g_assert_cmpstr (step, ==, g_str_equal (kind, "pooling") ? "I"
                                 : g_str_equal (kind, "conv") ? "II" : "");
    }

  g_assert_cmpint (ss_test_run_cli (&out, &err, "infoplane", "--data", data, "--samples", "8",
                                    "--json", NULL), ==, 0);
  root = parse_object (parser2, out);
  layers = json_object_get_array_member (root, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, 11);
  for (guint i = 0; i < json_array_get_length (layers) - 1; i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      g_assert_cmpfloat (json_object_get_double_member (l, "i_xt_bits"), >=, 0);
      g_assert_cmpfloat (json_object_get_double_member (l, "i_ty_bits"), >=, 0);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/cli/info/json", test_cli_info_json);
  g_test_add_func ("/cli/errors", test_cli_errors);
  g_test_add_func ("/cli/train-eval", test_cli_train_eval);
  g_test_add_func ("/cli/sigint", test_cli_sigint);
  g_test_add_func ("/cli/saliency", test_cli_saliency);
  g_test_add_func ("/cli/entropy-infoplane", test_cli_entropy_infoplane);
  return g_test_run ();
}
