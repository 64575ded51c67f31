/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-observer-record.h"
#include "ss-runs.h"

/* supersign-cli runs: the run history (docs/run-history.md) read and pruned by hand, and the
 * helpers with which recording commands write to it. */

struct _CliHistory {
  SsRunDb *db;
  gint64   run;
  gboolean stopped;   /* a write failed: said once, nothing more is recorded */
};

SsRunDb *
cli_open_runs_db (const CliOptions *opts,
                  gboolean          readonly,
                  GError          **error)
{
  return readonly ? ss_run_db_open_readonly (opts->db, error) : ss_run_db_open (opts->db, error);
}

/* A path as recorded: absolute if it names a file, so that it means the same from any folder.
 * Transfer full. */
static char *
recorded_path (const char *path)
{
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return g_strdup (path);
  return g_canonicalize_filename (path, NULL);
}

CliHistory *
cli_history_begin (const CliOptions *opts,
                   const SsRunInfo  *info)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autofree char *model_in = NULL;
  SsRunInfo copy = *info;
  CliHistory *h;
  gint64 run = 0;

  if (opts->no_history)
    return NULL;
  copy.model_in = model_in = recorded_path (info->model_in);
  db = cli_open_runs_db (opts, FALSE, &error);
  if (db != NULL)
    run = ss_run_db_begin (db, &copy, &error);
  if (run == 0)
    {
      fprintf (stderr, "supersign-cli: this run is not recorded in the history: %s "
               "(--no-history skips it)\n", error->message);
      return NULL;
    }
  h = g_new0 (CliHistory, 1);
  h->db = g_steal_pointer (&db);
  h->run = run;
  return h;
}

void
cli_history_observe (CliHistory             *h,
                     const SsRunObservation *obs)
{
  g_autoptr(GError) error = NULL;

  if (h == NULL || h->stopped)
    return;
  if (!ss_run_db_add_observation (h->db, h->run, obs, &error))
    {
      fprintf (stderr, "supersign-cli: recording of run %" G_GINT64_FORMAT " stopped: %s\n",
               h->run, error->message);
      h->stopped = TRUE;
    }
}

void
cli_history_observe_layers (SsObservation *obs,
                            gpointer       history)
{
  SsRunObservation row;
  g_autofree SsRunLayerPoint *points = ss_observation_to_run_row (obs, &row);

  cli_history_observe (history, &row);
}

void
cli_history_finish (CliHistory  *h,
                    SsRunStatus  status,
                    const char  *model_out,
                    const char  *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  if (h == NULL)
    return;
  out = recorded_path (model_out);
  /* Even after a failed observation: the run's end is worth recording if the disk has room
   * again. */
  if (ss_run_db_finish (h->db, h->run, status, out, message, &error))
    fprintf (stderr, "supersign-cli: recorded as run %" G_GINT64_FORMAT " (supersign-cli runs "
             "show %" G_GINT64_FORMAT ")\n", h->run, h->run);
  else
    fprintf (stderr, "supersign-cli: %s\n", error->message);
  ss_run_db_free (h->db);
  g_free (h);
}

/* ---------------------------------------------------------------------------------------- */
/* runs list                                                                                */

/* Local time for tables. Transfer full. */
static char *
local_time (gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);
  return g_date_time_format (t, "%Y-%m-%d %H:%M:%S");
}

static void
print_list_json (GPtrArray *runs)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < runs->len; i++)
    {
      const SsRunRecord *r = g_ptr_array_index (runs, i);

      json_builder_begin_object (b);
      ss_run_record_add_json (b, r);
      ss_json_add_int (b, "observations", r->n_observations);
      ss_json_add_int (b, "epochs", r->n_epochs);
      ss_json_add_number (b, "best_test_acc", r->best_test_acc);
      ss_json_add_string (b, "model_in", r->model_in);
      ss_json_add_string (b, "model_out", r->model_out);
      ss_json_add_string (b, "dataset", r->dataset);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  cli_print_json (b);
}

static int
run_list (CliOptions *opts,
          const char *kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *path = opts->db ? g_strdup (opts->db) : ss_run_db_default_path ();

  /* Nothing recorded yet is an empty list, not an error. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    runs = g_ptr_array_new ();
  else if ((db = cli_open_runs_db (opts, TRUE, &error)) == NULL ||
           (runs = ss_run_db_list (db, kind, &error)) == NULL)
    return cli_fail (error);
  if (opts->json)
    {
      print_list_json (runs);
      return 0;
    }
  if (runs->len == 0)
    {
      g_autofree char *display = g_filename_display_name (path);
      printf ("No runs recorded%s%s in %s.\n", kind ? " of kind " : "", kind ? kind : "",
              display);
      return 0;
    }
  printf ("%5s  %-14s %-20s %-19s  %-11s %6s %9s  %s\n", "id", "kind", "label", "started",
          "status", "epochs", "best test", "model out");
  for (guint i = 0; i < runs->len; i++)
    {
      const SsRunRecord *r = g_ptr_array_index (runs, i);
      g_autofree char *started = local_time (r->started_us);
      g_autofree char *best = isnan (r->best_test_acc)
                              ? g_strdup ("") : g_strdup_printf ("%.2f%%", 100 * r->best_test_acc);

      printf ("%5" G_GINT64_FORMAT "  %-14s %-20s %-19s  %-11s %6u %9s  %s\n", r->id, r->kind,
              r->label, started, ss_run_status_name (r->status), r->n_epochs, best,
              r->model_out ? r->model_out : "");
    }
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* runs show, export, delete                                                                */

/* v with precision decimals (as a percentage of 1 if percent), or blanks when absent; width
 * columns either way. Transfer full. */
static char *
cell (double   v,
      int      width,
      int      precision,
      gboolean percent)
{
  if (isnan (v))
    return g_strdup_printf ("%*s", width, "");
  if (percent)
    return g_strdup_printf ("%*.*f%%", width - 1, precision, 100 * v);
  return g_strdup_printf ("%*.*f", width, precision, v);
}

static void
print_run (const SsRun *run)
{
  const SsRunRecord *r = ss_run_get_record (run);
  g_autofree char *started = local_time (r->started_us);
  g_autofree char *ended = r->ended_us ? local_time (r->ended_us) : g_strdup ("—");
  guint n = ss_run_get_n_observations (run);

  printf ("Run %" G_GINT64_FORMAT ": %s%s%s%s\n", r->id, r->kind, *r->label ? " “" : "",
          r->label, *r->label ? "”" : "");
  printf ("  status     %s%s%s\n", ss_run_status_name (r->status), r->message ? ": " : "",
          r->message ? r->message : "");
  printf ("  started    %s\n  ended      %s", started, ended);
  if (r->ended_us)
    printf (" (%.0f s)", (r->ended_us - r->started_us) / (double) G_USEC_PER_SEC);
  printf ("\n  model in   %s\n  model out  %s\n  data       %s\n",
          r->model_in ? r->model_in : "—", r->model_out ? r->model_out : "—",
          r->dataset ? r->dataset : "—");
  if (r->config_json != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (r->config_json, NULL);
      g_autofree char *pretty = node ? json_to_string (node, TRUE) : g_strdup (r->config_json);
      printf ("  config     %s\n", pretty);
    }
  printf ("\n%5s %10s %9s %10s %9s %10s %8s\n", "epoch", "train loss", "train acc", "test loss",
          "test acc", "lr", "seconds");
  for (guint i = 0; i < n; i++)
    {
      const SsRunObservation *o = ss_run_get_observation (run, i);
      g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL, *c5 = NULL, *c6 = NULL;

      if (!o->epoch_end)
        continue;
      c1 = cell (o->train_loss, 10, 4, FALSE);
      c2 = cell (o->train_acc, 9, 2, TRUE);
      c3 = cell (o->test_loss, 10, 4, FALSE);
      c4 = cell (o->test_acc, 9, 2, TRUE);
      c5 = isnan (o->lr) ? g_strdup_printf ("%10s", "") : g_strdup_printf ("%10.4g", o->lr);
      c6 = cell (o->seconds, 8, 1, FALSE);
      printf ("%5d %s %s %s %s %s %s\n", o->epoch + 1, c1, c2, c3, c4, c5, c6);
    }
  printf ("\n%u observations (%u at an epoch's end), %u layers each at the last\n", n,
          r->n_epochs, n ? ss_run_get_observation (run, n - 1)->n_layers : 0);
}

static int
run_export (SsRun      *run,
            SsRunFormat format,
            const char *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) mem = NULL;
  GMemoryOutputStream *m;

  if (out != NULL)
    return ss_run_export (run, format, out, &error) ? 0 : cli_fail (error);
  mem = g_memory_output_stream_new_resizable ();
  m = G_MEMORY_OUTPUT_STREAM (mem);
  if (!ss_run_write (run, format, mem, NULL, &error))
    return cli_fail (error);
  fwrite (g_memory_output_stream_get_data (m), 1, g_memory_output_stream_get_data_size (m),
          stdout);
  return fflush (stdout) == 0 ? 0 : 1;
}

static int
run_one (CliOptions *opts,
         const char *action,
         gint64      id,
         gboolean    csv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRunDb) db = NULL;
  g_autoptr(SsRun) run = NULL;
  gboolean delete = g_str_equal (action, "delete");

  db = cli_open_runs_db (opts, !delete, &error);
  if (db == NULL)
    return cli_fail (error);
  if (delete)
    {
      if (!ss_run_db_delete (db, id, &error))
        return cli_fail (error);
      printf ("Deleted run %" G_GINT64_FORMAT ".\n", id);
      return 0;
    }
  run = ss_run_db_load (db, id, &error);
  if (run == NULL)
    return cli_fail (error);
  if (g_str_equal (action, "export") || opts->json)
    return run_export (run, csv ? SS_RUN_FORMAT_CSV : SS_RUN_FORMAT_JSON, opts->out);
  print_run (run);
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The command                                                                              */

static const struct {
  const char *name;
  gboolean    needs_id;
  const char *summary;
} actions[] = {
  { "list", FALSE, "the recorded runs (the default)" },
  { "show", TRUE, "one run's settings and epochs" },
  { "export", TRUE, "one run as CSV (one row per observation and layer) or JSON" },
  { "delete", TRUE, "remove a run with everything recorded for it" },
};

/* Prints the message and the usage on stderr; returns FALSE. */
static gboolean
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static gboolean
usage_error (const char *format,
             ...)
{
  va_list ap;

  fprintf (stderr, "supersign-cli runs: ");
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fprintf (stderr, "\nUsage: supersign-cli runs [list|show ID|export ID|delete ID] [OPTION…]\n");
  return FALSE;
}

/* Checks the options against the action; prints the usage error. */
static gboolean
check_usage (const CliOptions *opts,
             const char       *action,
             const char       *kind,
             gboolean          csv)
{
  gboolean export = g_str_equal (action, "export");

  if (kind != NULL && !g_str_equal (action, "list"))
    return usage_error ("--kind applies to “runs list”");
  if (kind != NULL && !ss_run_kind_is_known (kind))
    return usage_error ("unknown kind “%s” (train, freeze-compare, prune-layers, "
                        "prune-filters, amc)", kind);
  if ((csv || opts->out) && !export)
    return usage_error ("--csv and --out apply to “runs export”");
  if (export && csv == opts->json)
    return usage_error ("“runs export” needs one of --csv or --json");
  if (opts->json && g_str_equal (action, "delete"))
    return usage_error ("--json does not apply to “runs delete”");
  return TRUE;
}

int
cli_runs (CliOptions *opts,
          int         argc,
          char      **argv)
{
  g_autofree char *kind = NULL;
  gboolean csv = FALSE;
  const GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind,
      "list: only runs of this kind (train, freeze-compare, prune-layers, prune-filters, amc)",
      "KIND" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "export: as CSV (--json: as JSON)", NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opts->out,
      "export: write FILE (replaced atomically) instead of standard output", "FILE" },
    { NULL }
  };
  g_autofree char **args = g_new0 (char *, argc + 1);
  g_autofree char *command = NULL;
  const char *action = "list";
  gsize a = 0;
  gint64 id = 0;
  int skip = 1, n_args;

  /* The action and the run id come first, before the options: the option parser would take
   * any other word for a mistake. */
  if (argc > 1 && argv[1][0] != '-')
    {
      action = argv[1];
      skip = 2;
    }
  while (a < G_N_ELEMENTS (actions) && !g_str_equal (action, actions[a].name))
    a++;
  if (a == G_N_ELEMENTS (actions))
    {
      usage_error ("unknown action “%s” (list, show, export, delete)", action);
      return 2;
    }
  if (actions[a].needs_id)
    {
      if (argc <= skip || !g_ascii_string_to_signed (argv[skip], 10, 1, G_MAXINT64, &id, NULL))
        {
          usage_error ("“runs %s” needs a run id (a number from “supersign-cli runs”)", action);
          return 2;
        }
      skip++;
    }

  args[0] = argv[0];
  n_args = 1;
  for (int i = skip; i < argc; i++)
    args[n_args++] = argv[i];
  command = g_strdup_printf ("runs %s%s", action, actions[a].needs_id ? " ID" : "");
  if (!cli_parse_options (opts, command, actions[a].summary, entries, &n_args, &args) ||
      !check_usage (opts, action, kind, csv))
    return 2;
  if (a == 0)
    return run_list (opts, kind);
  return run_one (opts, action, id, csv);
}
