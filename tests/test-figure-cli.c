/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-png.h"
#include "ss-runs.h"
#include "ss-test-util.h"

/* supersign-cli figure end to end (the built binary, SS_CLI): figures of the shipped model,
 * and of a run recorded in a run history made here. */

static char *
read_file (const char *path,
           gsize      *len)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

static void
test_cli_model (void)
{
  g_autofree char *data = ss_test_fmnist_spec ();
  g_autofree char *dir = ss_test_make_tmp_dir ("figure-cli-XXXXXX");
  g_autofree char *pdf = g_build_filename (dir, "bars.pdf", NULL);
  g_autofree char *png = g_build_filename (dir, "heatmaps.png", NULL);
  g_autofree char *csv = g_build_filename (dir, "heatmaps.csv", NULL);
  g_autofree char *err = NULL, *pdf_data = NULL, *csv_data = NULL;
  g_autoptr(SsImage) image = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_test_summary ("supersign-cli figure writes a PDF of the entropy bars and a PNG of the "
                  "heatmaps (with their CSV) from the shipped model on a few samples.");
  if (g_getenv ("SS_CLI") == NULL)
    {
      g_test_skip ("SS_CLI is not set");
      return;
    }
  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "bars", "--data", data, "--samples", "4",
                                    "--random-too", "--out", pdf, NULL), ==, 0);
  pdf_data = read_file (pdf, &len);
  g_assert_true (g_str_has_prefix (pdf_data, "%PDF-"));
  /* The default size, 85 × 60 mm. */
  g_assert_true (ss_test_contains_bytes (pdf_data, len,
                                         "/MediaBox [ 0 0 240.944882 170.07874 ]"));

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "heatmaps", "--data", data, "--samples",
                                    "2", "--layers", "conv1,pool1,pool2", "--colormap", "inferno",
                                    "--width-mm", "120", "--height-mm", "60", "--dpi", "150",
                                    "--out", png, "--csv", csv, NULL), ==, 0);
  image = ss_png_load (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, (int) round (120 / 25.4 * 150));
  g_assert_cmpint (image->height, ==, (int) round (60 / 25.4 * 150));
  csv_data = read_file (csv, &len);
  g_assert_true (g_str_has_prefix (csv_data, "sample,label,column,title,i,j,value\n"));
  g_assert_nonnull (strstr (csv_data, "\n1,"));          /* the second sample */
  g_assert_nonnull (strstr (csv_data, ",2,pool2,6,6,"));  /* pool2: 7 × 7, third column */
  g_assert_null (strstr (csv_data, ",pool2,7,"));

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "pie", "--out", png, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "pie"));
  ss_test_rm_rf (dir);
}

static void
test_cli_runs (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("figure-runs-XXXXXX");
  g_autofree char *db_path = g_build_filename (dir, "runs.sqlite", NULL);
  g_autofree char *svg = g_build_filename (dir, "curves.svg", NULL);
  g_autofree char *csv = g_build_filename (dir, "curves.csv", NULL);
  g_autofree char *ip_csv = g_build_filename (dir, "infoplane.csv", NULL);
  g_autofree char *run_id = NULL, *err = NULL, *got = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GError) error = NULL;
  SsRunInfo info = { SS_RUN_KIND_TRAIN, "figure test", NULL, "fmnist-vgg", NULL };
  gint64 run;
  gsize len;

  g_test_summary ("figure curves and infoplane --run read a recorded run: one point per "
                  "epoch end (epochs counted from 1), entropy per layer with the first frozen "
                  "epoch marked, loss, and I(X;T), I(T;Y) trajectories.");
  if (g_getenv ("SS_CLI") == NULL)
    {
      g_test_skip ("SS_CLI is not set");
      return;
    }
  db = ss_run_db_open (db_path, &error);
  g_assert_no_error (error);
  run = ss_run_db_begin (db, &info, &error);
  g_assert_no_error (error);
  for (int e = 0; e < 3; e++)
    {
      SsRunLayerPoint points[2] = {
        { "conv1", 0.5 + 0.125 * e, 0.01, 3.0, 0.25 * e, e >= 1 },
        { "pool1", 0.25, 0.02, NAN, 1.0, FALSE },
      };
      SsRunObservation mid = { e, 10, FALSE, 1.0, 0.1, 9.0, 0.1, NAN, NAN, NULL, points, 2 };
      SsRunObservation end = { e, 20, TRUE, 2.0, 0.1, 1.0 / (e + 1), 0.5, 2.0, 0.75, NULL,
                               points, 2 };
      g_assert_true (ss_run_db_add_observation (db, run, &mid, &error));
      g_assert_true (ss_run_db_add_observation (db, run, &end, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ss_run_db_finish (db, run, SS_RUN_FINISHED, NULL, NULL, &error));
  g_clear_pointer (&db, ss_run_db_free);
  run_id = g_strdup_printf ("%" G_GINT64_FORMAT, run);

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "curves", "--run", run_id, "--db",
                                    db_path, "--out", svg, "--csv", csv, NULL), ==, 0);
  got = read_file (csv, &len);
  g_assert_cmpstr (got, ==,
                   "series,label,x,y,smoothed,marked\n"
                   "0,conv1,1,0.5,0.5,0\n"
                   "0,conv1,2,0.625,0.625,1\n"
                   "0,conv1,3,0.75,0.75,1\n"
                   "1,pool1,1,0.25,0.25,0\n"
                   "1,pool1,2,0.25,0.25,0\n"
                   "1,pool1,3,0.25,0.25,0\n");
  g_clear_pointer (&got, g_free);

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "curves", "--run", run_id, "--db",
                                    db_path, "--what", "loss", "--out", svg, "--csv", csv, NULL),
                   ==, 0);
  got = read_file (csv, &len);
  g_assert_true (g_str_has_prefix (got, "series,label,x,y,smoothed,marked\n"
                                        "0,train,1,1,1,0\n0,train,2,0.5,0.5,0\n"));
  g_assert_nonnull (strstr (got, "1,test,3,2,2,0\n"));
  g_clear_pointer (&got, g_free);

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "infoplane", "--run", run_id, "--db",
                                    db_path, "--layers", "conv1", "--out", svg, "--csv", ip_csv,
                                    NULL), ==, 0);
  got = read_file (ip_csv, &len);
  g_assert_cmpstr (got, ==,
                   "layer,name,epoch,i_xt,i_ty\n"
                   "0,conv1,1,3,0\n"
                   "0,conv1,2,3,0.25\n"
                   "0,conv1,3,3,0.5\n");

  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "curves", "--run", "999", "--db", db_path,
                                    "--out", svg, NULL), ==, 1);
  g_assert_cmpint (ss_test_run_cli (NULL, &err, "figure", "curves", "--out", svg, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--run"));
  ss_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/figure-cli/model", test_cli_model);
  g_test_add_func ("/figure-cli/runs", test_cli_runs);

  return g_test_run ();
}
