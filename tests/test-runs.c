/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The run history (core/ss-runs.h): round trips value for value, listing and deleting, CSV and
 * JSON exports against fixed text, schema migrations and other programs' databases. Damaged
 * files, killed writers, full disks and permissions: test-runs-damage.c. */

#include <math.h>

#include "runs-check.h"
#include "ss-error.h"
#include "ss-runs-private.h"
#include "ss-test-util.h"

/* ---------------------------------------------------------------------------------------- */
/* Round trips                                                                              */

static void
test_round_trip (RunsFixture   *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "new", "folder", "runs.sqlite", NULL);
  const SsRunInfo info = {
    .kind = SS_RUN_KIND_TRAIN, .label = "vgg “lr” 0.05", .config_json = "{\"epochs\": 3}",
    .model_in = "fmnist-vgg", .dataset = "fashion-mnist:/data",
  };
  g_auto(GStrv) names = runs_check_layer_names (5);
  SsRunLayerPoint points[5];
  g_autoptr(SsRunDb) db = NULL, ro = NULL;
  g_autoptr(SsRun) run = NULL, again = NULL;
  g_autoptr(GError) error = NULL;
  const SsRunRecord *r;
  sqlite3 *raw;
  gint64 id, before = g_get_real_time ();

  g_test_summary ("A run with observations and layer points reads back value for value, NaN "
                  "stored as NULL and read as NaN; the file is made with its folders, in WAL "
                  "mode, at schema 1.");
  db = runs_check_open (path);
  id = ss_run_db_begin (db, &info, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      SsRunObservation obs;
      runs_check_observation (i, 5, names, points, &obs);
      if (i == 3)
        obs.extra_json = "{\"params\": 1234, \"removed\": [\"conv3\"]}";
      g_assert_true (ss_run_db_add_observation (db, id, &obs, &error));
    }
  g_assert_true (ss_run_db_finish (db, id, SS_RUN_INTERRUPTED, "/m/out.safetensors", "Ctrl-C",
                                   &error));
  g_assert_no_error (error);

  for (int pass = 0; pass < 2; pass++)
    {
      /* The writer's connection, then a read-only one. */
      if (pass == 1)
        ro = ss_run_db_open_readonly (path, &error);
      g_assert_no_error (error);
      run = ss_run_db_load (pass == 0 ? db : ro, id, &error);
      g_assert_no_error (error);
      r = ss_run_get_record (run);
      g_assert_cmpint (r->id, ==, id);
      g_assert_cmpstr (r->kind, ==, "train");
      g_assert_cmpstr (r->label, ==, info.label);
      g_assert_cmpstr (r->config_json, ==, info.config_json);
      g_assert_cmpstr (r->model_in, ==, "fmnist-vgg");
      g_assert_cmpstr (r->model_out, ==, "/m/out.safetensors");
      g_assert_cmpstr (r->dataset, ==, "fashion-mnist:/data");
      g_assert_cmpint (r->status, ==, SS_RUN_INTERRUPTED);
      g_assert_cmpstr (r->message, ==, "Ctrl-C");
      g_assert_cmpint (r->started_us, >=, before);
      g_assert_cmpint (r->ended_us, >=, r->started_us);
      g_assert_cmpint (r->ended_us, <=, g_get_real_time ());
      g_assert_cmpuint (r->n_observations, ==, 4);
      g_assert_cmpuint (r->n_epochs, ==, 2);
      g_assert_cmpfloat (r->best_test_acc, ==, 0.5 + 0.01 * 3);
      g_assert_cmpuint (ss_run_get_n_observations (run), ==, 4);
      for (guint i = 0; i < 4; i++)
        runs_check_assert_observation (ss_run_get_observation (run, i), i, 5);
      g_assert_null (ss_run_get_observation (run, 0)->extra_json);
      g_assert_cmpstr (ss_run_get_observation (run, 3)->extra_json, ==,
                       "{\"params\": 1234, \"removed\": [\"conv3\"]}");
      g_clear_pointer (&run, ss_run_free);
    }

  raw = runs_check_raw_open (path);
  g_assert_cmpint (runs_check_raw_int (raw, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM pragma_journal_mode "
                                       "WHERE journal_mode = 'wal'"), ==, 1);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM observations "
                                       "WHERE test_loss IS NULL AND test_acc IS NULL"), ==, 2);
  /* Layers 0 and 3 of each observation have no I(X;T). */
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM layer_points "
                                       "WHERE i_xt IS NULL"), ==, 8);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM layer_points"), ==, 20);
  sqlite3_close (raw);

  /* An observation with no layers and every number absent. */
  id = runs_check_record (db, SS_RUN_KIND_AMC, 0, 0);
  {
    const SsRunObservation empty = { .epoch = 7, .batch = 0, .seconds = NAN, .lr = NAN,
                                     .train_loss = NAN, .train_acc = NAN, .test_loss = NAN,
                                     .test_acc = NAN };
    const SsRunObservation *o;
    g_assert_true (ss_run_db_add_observation (db, id, &empty, &error));
    again = ss_run_db_load (db, id, &error);
    g_assert_no_error (error);
    o = ss_run_get_observation (again, 0);
    g_assert_cmpint (o->epoch, ==, 7);
    g_assert_cmpuint (o->n_layers, ==, 0);
    g_assert_null (o->layers);
    g_assert_true (isnan (o->lr) && isnan (o->train_loss) && isnan (o->test_acc));
    g_assert_true (isnan (ss_run_get_record (again)->best_test_acc));
    g_assert_cmpint (ss_run_get_record (again)->status, ==, SS_RUN_RUNNING);
    g_assert_cmpint (ss_run_get_record (again)->ended_us, ==, 0);
  }
}

static void
test_list_delete (RunsFixture   *f,
                  gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(GPtrArray) all = NULL, train = NULL, amc = NULL, left = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRun) gone = NULL;
  gint64 a, b, c;
  sqlite3 *raw;

  g_test_summary ("Runs list in the order they began, filtered by kind; deleting one removes "
                  "its observations and points and nothing else; a missing id is an error.");
  a = runs_check_record (db, SS_RUN_KIND_TRAIN, 3, 2);
  b = runs_check_record (db, SS_RUN_KIND_PRUNE_LAYERS, 2, 4);
  c = runs_check_record (db, SS_RUN_KIND_TRAIN, 1, 3);
  g_assert_true (ss_run_db_finish (db, a, SS_RUN_FINISHED, NULL, NULL, &error));
  g_assert_true (ss_run_db_finish (db, b, SS_RUN_FAILED, NULL, "diverged", &error));

  all = ss_run_db_list (db, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpint (((SsRunRecord *) all->pdata[0])->id, ==, a);
  g_assert_cmpint (((SsRunRecord *) all->pdata[1])->id, ==, b);
  g_assert_cmpint (((SsRunRecord *) all->pdata[2])->id, ==, c);
  g_assert_cmpuint (((SsRunRecord *) all->pdata[0])->n_observations, ==, 3);
  g_assert_cmpuint (((SsRunRecord *) all->pdata[0])->n_epochs, ==, 1);
  g_assert_cmpfloat (((SsRunRecord *) all->pdata[0])->best_test_acc, ==, 0.51);
  g_assert_cmpint (((SsRunRecord *) all->pdata[1])->status, ==, SS_RUN_FAILED);
  g_assert_cmpstr (((SsRunRecord *) all->pdata[1])->message, ==, "diverged");
  g_assert_cmpint (((SsRunRecord *) all->pdata[2])->status, ==, SS_RUN_RUNNING);
  train = ss_run_db_list (db, SS_RUN_KIND_TRAIN, &error);
  g_assert_cmpuint (train->len, ==, 2);
  g_assert_cmpint (((SsRunRecord *) train->pdata[1])->id, ==, c);
  amc = ss_run_db_list (db, SS_RUN_KIND_AMC, &error);
  g_assert_cmpuint (amc->len, ==, 0);

  g_assert_true (ss_run_db_delete (db, b, &error));
  g_assert_no_error (error);
  left = ss_run_db_list (db, NULL, &error);
  g_assert_cmpuint (left->len, ==, 2);
  g_assert_false (ss_run_db_delete (db, b, &error));
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "no such run", NULL);
  g_clear_error (&error);
  gone = ss_run_db_load (db, b, &error);
  g_assert_null (gone);
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "no run", f->path, NULL);

  raw = runs_check_raw_open (f->path);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM observations"), ==, 4);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM layer_points"), ==,
                   3 * 2 + 1 * 3);
  sqlite3_close (raw);
}

static void
test_bad_calls (RunsFixture   *f,
                gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  const SsRunInfo bad_kind = { .kind = "train-ish" };
  const SsRunInfo bad_config = { .kind = SS_RUN_KIND_TRAIN, .config_json = "{epochs: 3" };
  const SsRunObservation obs = { .epoch = 0, .extra_json = NULL };
  const SsRunObservation bad_extra = { .epoch = 0, .extra_json = "[1," };
  g_autoptr(GError) error = NULL;
  gint64 run;

  g_test_summary ("Unknown kinds, invalid JSON, observations for a missing or ended run and "
                  "ending a run twice are refused with a message; nothing is stored.");
  g_assert_cmpint (ss_run_db_begin (db, &bad_kind, &error), ==, 0);
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "train-ish", "prune-filters", NULL);
  g_clear_error (&error);
  g_assert_cmpint (ss_run_db_begin (db, &bad_config, &error), ==, 0);
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "configuration must be JSON", NULL);
  g_clear_error (&error);

  run = runs_check_record (db, SS_RUN_KIND_FREEZE_COMPARE, 1, 1);
  g_assert_false (ss_run_db_add_observation (db, run, &bad_extra, &error));
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "extra values must be JSON", NULL);
  g_clear_error (&error);
  g_assert_false (ss_run_db_add_observation (db, run + 100, &obs, &error));
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "no run", NULL);
  g_clear_error (&error);
  g_assert_true (ss_run_db_finish (db, run, SS_RUN_FINISHED, NULL, NULL, &error));
  g_assert_false (ss_run_db_finish (db, run, SS_RUN_FAILED, NULL, "again", &error));
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "already ended (finished)", NULL);
  g_clear_error (&error);
  g_assert_false (ss_run_db_add_observation (db, run, &obs, &error));
  runs_check_error_says (error, SS_ERROR_ARGUMENT, "already ended", NULL);
  g_clear_error (&error);

  {
    g_autoptr(GPtrArray) runs = ss_run_db_list (db, NULL, &error);
    g_autoptr(SsRun) r = ss_run_db_load (db, run, &error);
    g_assert_cmpuint (runs->len, ==, 1);
    g_assert_cmpuint (ss_run_get_n_observations (r), ==, 1);
    g_assert_cmpint (ss_run_get_record (r)->status, ==, SS_RUN_FINISHED);
  }

  if (g_test_undefined ())
    {
      g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
      g_assert_false (ss_run_db_finish (db, run, SS_RUN_RUNNING, NULL, NULL, &error));
      g_test_assert_expected_messages ();
    }
}

/* The writer runs on a worker thread, as training does, on a connection opened here. */
static gpointer
write_on_worker (gpointer data)
{
  return GINT_TO_POINTER ((int) runs_check_record (data, SS_RUN_KIND_TRAIN, 6, 3));
}

static void
test_worker_thread (RunsFixture   *f,
                    gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(SsRunDb) reader = NULL;
  g_autoptr(SsRun) run = NULL;
  g_autoptr(GError) error = NULL;
  GThread *worker;
  gint64 id;

  g_test_summary ("A connection opened on one thread records from a worker; a second "
                  "connection reads what it committed.");
  worker = g_thread_new ("runs-writer", write_on_worker, db);
  id = GPOINTER_TO_INT (g_thread_join (worker));
  reader = ss_run_db_open_readonly (f->path, &error);
  g_assert_no_error (error);
  run = ss_run_db_load (reader, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_run_get_n_observations (run), ==, 6);
  runs_check_assert_observation (ss_run_get_observation (run, 5), 5, 3);
}

static void
test_default_path (void)
{
  g_autofree char *xdg = g_build_filename (g_get_user_data_dir (), "supersign", "runs.sqlite",
                                           NULL);
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-runs-env-XXXXXX");
  g_autofree char *env_path = g_build_filename (dir, "mine.sqlite", NULL);
  g_autofree char *got = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Without a path the history is $XDG_DATA_HOME/supersign/runs.sqlite, made "
                  "on first use; SUPERSIGN_RUNS_DB overrides it.");
  g_unsetenv (SS_RUNS_DB_ENV);
  got = ss_run_db_default_path ();
  g_assert_cmpstr (got, ==, xdg);
  db = ss_run_db_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_run_db_get_path (db), ==, xdg);
  g_assert_true (g_file_test (xdg, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&db, ss_run_db_free);
  g_clear_pointer (&got, g_free);

  g_setenv (SS_RUNS_DB_ENV, env_path, TRUE);
  got = ss_run_db_default_path ();
  g_assert_cmpstr (got, ==, env_path);
  db = ss_run_db_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (env_path, G_FILE_TEST_IS_REGULAR));
  g_unsetenv (SS_RUNS_DB_ENV);
  g_clear_pointer (&db, ss_run_db_free);
  ss_test_rm_rf (dir);
}

/* ---------------------------------------------------------------------------------------- */
/* Export                                                                                   */

/* A finished two-observation run at fixed times: every kind of value, absent ones, text that
 * CSV must quote, one observation without layers. */
static gint64
export_run (SsRunDb    *db,
            const char *path)
{
  const SsRunInfo info = {
    .kind = SS_RUN_KIND_PRUNE_FILTERS, .label = "a \"quoted\", label",
    .config_json = "{\"target\": \"8-15-30\", \"steps\": 2}", .model_in = "resnet20",
    .dataset = "cifar10:/d",
  };
  const SsRunLayerPoint points[] = {
    { "conv1", 0.1, 0.25, NAN, 1.5, TRUE },
    { "layer1.0.conv1", 3, 0, 2.25, NAN, FALSE },
  };
  const SsRunObservation obs[] = {
    { .epoch = 0, .batch = 10, .seconds = 0.1, .lr = 0.1, .train_loss = 2.5, .train_acc = 0.25,
      .test_loss = NAN, .test_acc = NAN, .layers = points, .n_layers = 2 },
    { .epoch = 0, .batch = 20, .epoch_end = TRUE, .seconds = 1e-3, .lr = NAN,
      .train_loss = 1.0 / 3, .train_acc = 0.5, .test_loss = 0.75, .test_acc = 0.875,
      .extra_json = "{\"params\": 1000, \"macs\": 2e6}" },
  };
  g_autoptr(GError) error = NULL;
  gint64 id = ss_run_db_begin (db, &info, &error);
  sqlite3 *raw;

  for (gsize i = 0; i < G_N_ELEMENTS (obs); i++)
    g_assert_true (ss_run_db_add_observation (db, id, &obs[i], &error));
  g_assert_true (ss_run_db_finish (db, id, SS_RUN_FINISHED, "/out/m.safetensors", NULL, &error));
  g_assert_no_error (error);
  raw = runs_check_raw_open (path);
  runs_check_raw_exec (raw, "UPDATE runs SET started_us = 1700000000250000, "
                            "ended_us = 1700000100000000");
  sqlite3_close (raw);
  return id;
}

static const char expected_csv[] =
  "observation,epoch,batch,epoch_end,seconds,lr,train_loss,train_acc,test_loss,test_acc,extra,"
  "layer,saliency_mean,saliency_sd,i_xt,i_ty,frozen\n"
  "0,0,10,false,0.1,0.1,2.5,0.25,,,,conv1,0.1,0.25,,1.5,true\n"
  "0,0,10,false,0.1,0.1,2.5,0.25,,,,layer1.0.conv1,3,0,2.25,,false\n"
  "1,0,20,true,0.001,,0.3333333333333333,0.5,0.75,0.875,"
  "\"{\"\"params\"\": 1000, \"\"macs\"\": 2e6}\",,,,,,\n";

static const char expected_json[] =
  "{\n"
  "  \"id\" : 1,\n"
  "  \"kind\" : \"prune-filters\",\n"
  "  \"label\" : \"a \\\"quoted\\\", label\",\n"
  "  \"status\" : \"finished\",\n"
  "  \"message\" : null,\n"
  "  \"started\" : \"2023-11-14T22:13:20.250000Z\",\n"
  "  \"ended\" : \"2023-11-14T22:15:00Z\",\n"
  "  \"model_in\" : \"resnet20\",\n"
  "  \"model_out\" : \"/out/m.safetensors\",\n"
  "  \"dataset\" : \"cifar10:/d\",\n"
  "  \"config\" : {\n"
  "    \"target\" : \"8-15-30\",\n"
  "    \"steps\" : 2\n"
  "  },\n"
  "  \"observations\" : [\n"
  "    {\n"
  "      \"epoch\" : 0,\n"
  "      \"batch\" : 10,\n"
  "      \"epoch_end\" : false,\n"
  "      \"seconds\" : 0.10000000000000001,\n"
  "      \"lr\" : 0.10000000000000001,\n"
  "      \"train_loss\" : 2.5,\n"
  "      \"train_acc\" : 0.25,\n"
  "      \"test_loss\" : null,\n"
  "      \"test_acc\" : null,\n"
  "      \"extra\" : null,\n"
  "      \"layers\" : [\n"
  "        {\n"
  "          \"layer\" : \"conv1\",\n"
  "          \"saliency_mean\" : 0.10000000000000001,\n"
  "          \"saliency_sd\" : 0.25,\n"
  "          \"i_xt\" : null,\n"
  "          \"i_ty\" : 1.5,\n"
  "          \"frozen\" : true\n"
  "        },\n"
  "        {\n"
  "          \"layer\" : \"layer1.0.conv1\",\n"
  "          \"saliency_mean\" : 3.0,\n"
  "          \"saliency_sd\" : 0.0,\n"
  "          \"i_xt\" : 2.25,\n"
  "          \"i_ty\" : null,\n"
  "          \"frozen\" : false\n"
  "        }\n"
  "      ]\n"
  "    },\n"
  "    {\n"
  "      \"epoch\" : 0,\n"
  "      \"batch\" : 20,\n"
  "      \"epoch_end\" : true,\n"
  "      \"seconds\" : 0.001,\n"
  "      \"lr\" : null,\n"
  "      \"train_loss\" : 0.33333333333333331,\n"
  "      \"train_acc\" : 0.5,\n"
  "      \"test_loss\" : 0.75,\n"
  "      \"test_acc\" : 0.875,\n"
  "      \"extra\" : {\n"
  "        \"params\" : 1000,\n"
  "        \"macs\" : 2000000.0\n"
  "      },\n"
  "      \"layers\" : []\n"
  "    }\n"
  "  ]\n"
  "}\n";

/* run written in format to memory. Transfer full. */
static char *
write_to_string (const SsRun *run,
                 SsRunFormat  format)
{
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_run_write (run, format, mem, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (mem, "", 1, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (mem, NULL, &error));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
test_export (RunsFixture   *f,
             gconstpointer  data)
{
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autofree char *csv = NULL, *json = NULL, *file = NULL;
  g_autofree char *csv_path = g_build_filename (f->dir, "run.csv", NULL);
  g_autofree char *bad_path = g_build_filename (f->dir, "missing", "run.json", NULL);
  g_autoptr(SsRun) run = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("CSV (one row per observation × layer, quoted where needed, absent values "
                  "empty, shortest round-tripping numbers) and JSON (nested, absent values "
                  "null, stored JSON embedded) match fixed text; a file export replaces the "
                  "file whole or fails naming it.");
  run = ss_run_db_load (db, export_run (db, f->path), &error);
  g_assert_no_error (error);
  csv = write_to_string (run, SS_RUN_FORMAT_CSV);
  g_assert_cmpstr (csv, ==, expected_csv);
  json = write_to_string (run, SS_RUN_FORMAT_JSON);
  g_assert_cmpstr (json, ==, expected_json);

  g_assert_true (g_file_set_contents (csv_path, "old", -1, NULL));
  g_assert_true (ss_run_export (run, SS_RUN_FORMAT_CSV, csv_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &file, NULL, NULL));
  g_assert_cmpstr (file, ==, expected_csv);
  g_assert_false (ss_run_export (run, SS_RUN_FORMAT_JSON, bad_path, &error));
  runs_check_error_says (error, SS_ERROR_IO, "run.json", "unchanged", NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Schema                                                                                   */

static void
test_schema_migrate (RunsFixture   *f,
                     gconstpointer  data)
{
  guint n;
  const char *const *real = ss_run_db_migrations (&n);
  const char *const steps[] = {
    real[0], "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';"
             "UPDATE runs SET note = 'was schema 1';",
  };
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(SsRun) run = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *raw;
  gint64 id;

  g_test_summary ("A file of the schema-1 layout opened by a Supersign that knows schema 2 is "
                  "upgraded in place by the next step, its runs kept; the schema-1 Supersign "
                  "then refuses it as newer.");
  g_assert_cmpuint (n, ==, 1);
  db = runs_check_open (f->path);
  id = runs_check_record (db, SS_RUN_KIND_TRAIN, 3, 2);
  g_clear_pointer (&db, ss_run_db_free);

  db = ss_run_db_open_with_migrations (f->path, steps, G_N_ELEMENTS (steps), &error);
  g_assert_no_error (error);
  run = ss_run_db_load (db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_run_get_n_observations (run), ==, 3);
  runs_check_assert_observation (ss_run_get_observation (run, 2), 2, 2);
  g_clear_pointer (&db, ss_run_db_free);
  raw = runs_check_raw_open (f->path);
  g_assert_cmpint (runs_check_raw_int (raw, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM runs "
                                       "WHERE note = 'was schema 1'"), ==, 1);
  sqlite3_close (raw);

  db = ss_run_db_open (f->path, &error);
  g_assert_null (db);
  runs_check_error_says (error, SS_ERROR_FORMAT, "newer Supersign (run-history schema 2, this "
                         "one knows 1)", NULL);
}

static void
test_schema_failed_step (RunsFixture   *f,
                         gconstpointer  data)
{
  guint n;
  const char *const *real = ss_run_db_migrations (&n);
  const char *const steps[] = {
    real[0], "CREATE TABLE notes (x); INSERT INTO no_such_table VALUES (1);",
  };
  g_autofree char *fresh = g_build_filename (f->dir, "fresh.sqlite", NULL);
  g_autoptr(SsRunDb) db = runs_check_open (f->path);
  g_autoptr(GError) error = NULL;
  sqlite3 *raw;

  g_test_summary ("A failing upgrade step rolls the whole upgrade back: a schema-1 file stays "
                  "at schema 1 with its runs, a new file stays empty, and the error names the "
                  "step.");
  runs_check_record (db, SS_RUN_KIND_TRAIN, 2, 2);
  g_clear_pointer (&db, ss_run_db_free);
  db = ss_run_db_open_with_migrations (f->path, steps, G_N_ELEMENTS (steps), &error);
  g_assert_null (db);
  runs_check_error_says (error, SS_ERROR_IO, "from 1 to 2", "no_such_table",
                         "stays at schema 1", NULL);
  g_clear_error (&error);
  raw = runs_check_raw_open (f->path);
  g_assert_cmpint (runs_check_raw_int (raw, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM sqlite_schema "
                                       "WHERE name = 'notes'"), ==, 0);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM observations"), ==, 2);
  sqlite3_close (raw);

  /* From 0: steps 0 → 1 and 1 → 2 in one transaction. */
  db = ss_run_db_open_with_migrations (fresh, steps, G_N_ELEMENTS (steps), &error);
  g_assert_null (db);
  runs_check_error_says (error, SS_ERROR_IO, "stays at schema 0", NULL);
  raw = runs_check_raw_open (fresh);
  g_assert_cmpint (runs_check_raw_int (raw, "PRAGMA user_version"), ==, 0);
  g_assert_cmpint (runs_check_raw_int (raw, "SELECT count(*) FROM sqlite_schema"), ==, 0);
  sqlite3_close (raw);
  db = runs_check_open (fresh);
  g_assert_nonnull (db);
}

static void
test_schema_foreign (RunsFixture   *f,
                     gconstpointer  data)
{
  g_autofree char *empty = g_build_filename (f->dir, "empty.sqlite", NULL);
  g_autoptr(GBytes) before = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *raw;

  g_test_summary ("An empty file becomes a history; another program's SQLite database (with "
                  "tables, or with its own application id) is refused and left as it was.");
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  db = runs_check_open (empty);
  g_clear_pointer (&db, ss_run_db_free);

  raw = runs_check_raw_open (f->path);
  runs_check_raw_exec (raw, "CREATE TABLE notes (x); INSERT INTO notes VALUES ('mine')");
  sqlite3_close (raw);
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        {
          raw = runs_check_raw_open (f->path);
          runs_check_raw_exec (raw, "DROP TABLE notes; PRAGMA application_id = 1234");
          sqlite3_close (raw);
        }
      before = runs_check_file_bytes (f->path);
      db = ss_run_db_open (f->path, &error);
      g_assert_null (db);
      runs_check_error_says (error, SS_ERROR_FORMAT, "another program", "untouched", NULL);
      g_clear_error (&error);
      runs_check_assert_file_is (f->path, before);
      g_clear_pointer (&before, g_bytes_unref);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/runs/round-trip", RunsFixture, NULL, runs_fixture_set_up, test_round_trip,
              runs_fixture_tear_down);
  g_test_add ("/runs/list-delete", RunsFixture, NULL, runs_fixture_set_up, test_list_delete,
              runs_fixture_tear_down);
  g_test_add ("/runs/bad-calls", RunsFixture, NULL, runs_fixture_set_up, test_bad_calls,
              runs_fixture_tear_down);
  g_test_add ("/runs/worker-thread", RunsFixture, NULL, runs_fixture_set_up, test_worker_thread,
              runs_fixture_tear_down);
  g_test_add_func ("/runs/default-path", test_default_path);
  g_test_add ("/runs/export", RunsFixture, NULL, runs_fixture_set_up, test_export,
              runs_fixture_tear_down);
  g_test_add ("/runs/schema/migrate", RunsFixture, NULL, runs_fixture_set_up,
              test_schema_migrate, runs_fixture_tear_down);
  g_test_add ("/runs/schema/failed-step", RunsFixture, NULL, runs_fixture_set_up,
              test_schema_failed_step, runs_fixture_tear_down);
  g_test_add ("/runs/schema/foreign", RunsFixture, NULL, runs_fixture_set_up,
              test_schema_foreign, runs_fixture_tear_down);
  return g_test_run ();
}
