/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ss-freeze.h"
#include "ss-test-util.h"

/* supersign-cli freeze-compare end to end (app/cli-freeze.c) on a few hundred Fashion-MNIST
 * images: the table's structure in each format, and layers frozen exactly when the rule, applied
 * to the entropies the command reports, says so. */

/* Runs SS_CLI with freeze-compare's small recipe plus the NULL-terminated extra arguments;
 * returns the exit status, out and err as ss_test_run_cli_argv does. */
static int
run_freeze_compare (char      **out,
                    char      **err,
                    const char *const *extra)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *data = ss_test_fmnist_spec ();
  const char *const common[] = {
    "freeze-compare", "--threads", "2", "--batch", "32", "--test-subset", "300",
    "--earliest", "1", "--window", "2", "--epsilon", "1", "--probe", "20", "--data", data,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (common); i++)
    g_ptr_array_add (args, (gpointer) common[i]);
  for (gsize i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  g_ptr_array_add (args, NULL);
  return ss_test_run_cli_argv (out, err, (const char *const *) args->pdata);
}

/* The epoch-end observation of epoch e (1-based) in a run's observation list. */
static JsonObject *
epoch_end (JsonArray *observations,
           gint64     e)
{
  for (guint i = 0; i < json_array_get_length (observations); i++)
    {
      JsonObject *o = json_array_get_object_element (observations, i);
      if (json_object_get_boolean_member (o, "epoch_end") &&
          json_object_get_int_member (o, "epoch") == e)
        return o;
    }
  g_assert_not_reached ();
}

static void
test_freeze_compare_json (void)
{
  const char *const extra[] = { "--subset", "300", "--epochs", "2", "--json",
                                "--observe-every", "4", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  SsFreezeRule rule = { .epsilon = 1, .window = 2, .earliest = 1 };
  JsonObject *root, *totals, *obs;
  JsonArray *epochs, *freezing, *normal;
  double best_f = 0, best_n = 0, sum_f = 0, sum_n = 0;
  int n_frozen = 0;

  g_test_summary ("freeze-compare --json over 2 epochs of 300 images with ε = 1, window 2, "
                  "earliest 1: per epoch the best accuracy of each run is the running maximum "
                  "of its test accuracies, the totals are the sums of the epoch times, epoch 1 "
                  "is identical in both runs (nothing can freeze yet, and observing does not "
                  "perturb training), and after epoch 2 exactly the conv layers whose observed "
                  "entropy did not rise are frozen (with ε = 1 only the slope can stop them).");
  g_assert_cmpint (run_freeze_compare (&out, &err, extra), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "train_images"), ==, 300);
  g_assert_cmpint (json_object_get_int_member (root, "test_images"), ==, 300);
  g_assert_cmpint (json_object_get_int_member (root, "probe"), ==, 20);
  epochs = json_object_get_array_member (root, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, 2);
  obs = json_object_get_object_member (root, "observations");
  freezing = json_object_get_array_member (obs, "freezing");
  normal = json_object_get_array_member (obs, "normal");
  /* 300 images at batch 32: 10 batches; observed after batches 4 and 8, and at the end. */
  g_assert_cmpuint (json_array_get_length (freezing), ==, 6);
  g_assert_cmpuint (json_array_get_length (normal), ==, 6);

  for (guint e = 0; e < 2; e++)
    {
      JsonObject *row = json_array_get_object_element (epochs, e);
      JsonArray *frozen = json_object_get_array_member (row, "layers_frozen");
      JsonArray *lf = json_object_get_array_member (epoch_end (freezing, e + 1), "layers");
      double acc_f = json_object_get_double_member (row, "test_accuracy_freezing");
      double acc_n = json_object_get_double_member (row, "test_accuracy_normal");

      g_assert_cmpint (json_object_get_int_member (row, "epoch"), ==, e + 1);
      g_assert_cmpfloat (acc_f, >, 0.1);
      g_assert_cmpfloat (acc_f, <=, 1);
      best_f = MAX (best_f, acc_f);
      best_n = MAX (best_n, acc_n);
      sum_f += json_object_get_double_member (row, "seconds_freezing");
      sum_n += json_object_get_double_member (row, "seconds_normal");
      g_assert_cmpfloat (json_object_get_double_member (row, "best_accuracy_freezing"), ==, best_f);
      g_assert_cmpfloat (json_object_get_double_member (row, "best_accuracy_normal"), ==, best_n);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "total_seconds_freezing"),
                                      sum_f, 1e-9);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "total_seconds_normal"),
                                      sum_n, 1e-9);
      g_assert_cmpfloat (json_object_get_double_member (row, "observer_seconds_freezing"), >, 0);
      if (e == 0)
        {
          g_assert_cmpfloat (acc_f, ==, acc_n);
          g_assert_cmpuint (json_array_get_length (frozen), ==, 0);
          continue;
        }

      /* The rule on each conv layer's two epoch-end entropies decides the frozen list. */
      n_frozen = 0;
      for (guint l = 0; l < json_array_get_length (lf); l++)
        {
          JsonObject *layer = json_array_get_object_element (lf, l);
          JsonObject *before = json_array_get_object_element (
            json_object_get_array_member (epoch_end (freezing, 1), "layers"), l);
          const char *name = json_object_get_string_member (layer, "name");
          double s[2] = {
            json_object_get_double_member (before, "saliency_mean"),
            json_object_get_double_member (layer, "saliency_mean"),
          };
          gboolean want, listed = FALSE;

          if (!g_str_equal (json_object_get_string_member (layer, "kind"), "conv"))
            {
              g_assert_false (json_object_get_boolean_member (layer, "frozen"));
              continue;
            }
          want = ss_freeze_rule_decide (&rule, s, 2) == SS_FREEZE_YES;
          for (guint i = 0; i < json_array_get_length (frozen); i++)
            listed |= g_str_equal (json_array_get_string_element (frozen, i), name);
          g_test_message ("%s: %.4f → %.4f, %s", name, s[0], s[1], want ? "frozen" : "trains");
          g_assert_cmpint (listed, ==, want);
          g_assert_cmpint (json_object_get_boolean_member (layer, "frozen"), ==, want);
          g_assert_cmpstr (json_object_get_string_member (layer, "verdict"), ==,
                           want ? "freeze" : "rising");
          n_frozen += want;
        }
      g_assert_cmpuint (json_array_get_length (frozen), ==, (guint) n_frozen);
    }
  /* With this seed conv1's entropy falls clearly after epoch 1 (0.36 → 0.29): the freezing
   * path is exercised, not only the rule's "no". */
  g_assert_cmpint (n_frozen, >=, 1);
  totals = json_object_get_object_member (root, "totals");
  g_assert_cmpfloat (json_object_get_double_member (totals, "best_accuracy_freezing"), ==, best_f);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (totals, "seconds_normal"), sum_n,
                                  1e-9);
}

static void
test_freeze_compare_text_csv (void)
{
  const char *const csv_args[] = { "--subset", "100", "--epochs", "1", "--csv", NULL };
  const char *const text_args[] = { "--subset", "100", "--epochs", "1", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL, fields = NULL;

  g_test_summary ("--csv prints a header and one 8-column row per epoch; the text table has "
                  "Table 2.6's columns and a totals line; stderr notes when the epochs are too "
                  "few for anything to freeze.");
  g_assert_cmpint (run_freeze_compare (&out, &err, csv_args), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "epoch,best_accuracy_freezing,best_accuracy_normal,"
                   "layers_frozen,seconds_freezing,seconds_normal,total_seconds_freezing,"
                   "total_seconds_normal");
  g_assert_true (g_str_has_prefix (lines[1], "1,"));
  fields = g_strsplit (lines[1], ",", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 8);
  g_assert_cmpstr (lines[2], ==, "");
  g_assert_nonnull (strstr (err, "nothing can freeze"));

  g_assert_cmpint (run_freeze_compare (&out, &err, text_args), ==, 0);
  g_assert_nonnull (strstr (out, "best acc freezing"));
  g_assert_nonnull (strstr (out, "layers frozen"));
  g_assert_nonnull (strstr (out, "\ntotal "));
  g_assert_nonnull (strstr (out, "conv4"));
}

static void
test_freeze_compare_errors (void)
{
  const char *const both[] = { "--json", "--csv", NULL };
  const char *const window[] = { "--window", "1", NULL };
  const char *const subset[] = { "--subset", "70000", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_test_summary ("--json with --csv, a one-epoch window and an oversized subset are usage "
                  "errors with a message naming the option, before any training.");
  g_assert_cmpint (run_freeze_compare (&out, &err, both), ==, 2);
  g_assert_nonnull (strstr (err, "--json"));
  g_assert_cmpint (run_freeze_compare (&out, &err, window), ==, 1);
  g_assert_nonnull (strstr (err, "--window"));
  g_assert_cmpint (run_freeze_compare (&out, &err, subset), ==, 2);
  g_assert_nonnull (strstr (err, "--subset"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/cli/freeze-compare/json", test_freeze_compare_json);
  g_test_add_func ("/cli/freeze-compare/text-csv", test_freeze_compare_text_csv);
  g_test_add_func ("/cli/freeze-compare/errors", test_freeze_compare_errors);
  return g_test_run ();
}
