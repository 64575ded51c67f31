/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "cli.h"
#include "ss-error.h"
#include "ss-onnx.h"
#include "ss-rng.h"

/* bench --onnx: torchvision's ResNet50 at 224×224 in Supersign and in PyTorch, in one run.
 * bench/torch_resnet50.py (Debian's /usr/bin/python3 with python3-torch) builds the network with
 * seeded random weights, exports it to ONNX in a temporary folder, times PyTorch's inference and
 * prints JSON; this file imports that same ONNX file with ss_onnx_load and times Supersign's
 * inference on the same batch sizes and threads the same way (two warm-up forwards, then the
 * median of --iterations), then prints both side by side. The machine is shared and noisy: each
 * side's median is what to quote, and the two sides run one after the other. */

/* The PyTorch script: next to the sources, as the benches are a development tool. */
#define TORCH_SCRIPT SS_SOURCE_DATADIR "/../bench/torch_resnet50.py"

/* Runs the script; returns its JSON document (transfer full), or NULL with error set. */
static JsonNode *
run_torch (const char  *python,
           const char  *script,
           const char  *out_dir,
           int          threads,
           const char  *batches,
           int          iterations,
           GError     **error)
{
  g_autofree char *threads_text = g_strdup_printf ("%d", threads);
  g_autofree char *iters_text = g_strdup_printf ("%d", iterations);
  const char *argv[] = { python, script, "--out-dir", out_dir, "--threads", threads_text,
                         "--batches", batches, "--iterations", iters_text, NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status;

  fprintf (stderr, "supersign-cli bench: %s %s (export, then PyTorch's timings)\n", python,
           script);
  /* PyTorch's own progress goes straight to our stderr; its stdout is the JSON. */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDERR, NULL, NULL,
                     &out, NULL, &status, error))
    {
      g_prefix_error (error, "cannot run %s (Debian's python3 with python3-torch): ", python);
      return NULL;
    }
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s failed: ", script);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, out, -1, error))
    {
      g_prefix_error (error, "%s printed no JSON: ", script);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

/* Deletes the temporary folder dir and the files the script wrote in it (only there: the path
 * the script prints is not trusted to be inside). */
static void
remove_tmp_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* The member key of o when it is an object, else NULL. Transfer none. */
static JsonObject *
object_member (JsonObject *o,
               const char *key)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, key) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Median images/s of ss_net_predict on n random images, over iters timed runs after two
 * warm-up runs; *seconds gets the median time. */
static double
infer_speed (SsNet  *net,
             int     n,
             int     iters,
             double *seconds)
{
  g_autofree float *x = NULL;   /* (N, C, H, W): the model's input, 3×224×224 for ResNet50 */
  g_autofree double *times = g_new (double, iters);
  SsRng rng;
  gsize len;
  int c, h, w;

  ss_arch_get_input (ss_net_get_arch (net), &c, &h, &w);
  len = (gsize) n * c * h * w;
  x = g_new (float, len);

  ss_rng_seed (&rng, 1);
  for (gsize i = 0; i < len; i++)
    x[i] = (float) ss_rng_normal (&rng);
  for (int i = -2; i < iters; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      ss_net_predict (net, x, n);
      if (i >= 0)
        times[i] = cli_seconds_since (t0);
    }
  *seconds = cli_median (times, iters);
  return n / *seconds;
}

/* The batch sizes in text ("1,8"), each 1..1024. Transfer full; NULL with error set. */
static GArray *
parse_batches (const char  *text,
               GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GArray) batches = g_array_new (FALSE, FALSE, sizeof (int));

  for (int i = 0; parts[i] != NULL; i++)
    {
      guint64 b;
      int v;
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 1024, &b, NULL))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "--onnx-batches must list batch sizes from 1 to 1024, e.g. 1,8 (not "
                       "“%s”)", text);
          return NULL;
        }
      v = (int) b;
      g_array_append_val (batches, v);
    }
  return g_steal_pointer (&batches);
}

int
cli_bench_onnx (CliOptions *opts,
                const char *batches_text,
                const char *python,
                const char *script)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) batches = NULL;
  g_autoptr(JsonNode) torch = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autofree char *dir = NULL;
  g_autofree double *ours = NULL, *theirs = NULL;
  JsonObject *root, *torch_batches;
  const char *onnx_path;
  double import_seconds;
  struct rusage usage;
  int threads = opts->threads > 0 ? opts->threads : (int) g_get_num_processors ();
  gint64 t0;

  if ((batches = parse_batches (batches_text ? batches_text : "1,8", &error)) == NULL)
    return cli_fail (error);
  if ((dir = g_dir_make_tmp ("supersign-bench-onnx-XXXXXX", &error)) == NULL)
    return cli_fail (error);
  torch = run_torch (python ? python : "/usr/bin/python3", script ? script : TORCH_SCRIPT, dir,
                     threads, batches_text ? batches_text : "1,8", opts->iterations, &error);
  if (torch == NULL || !JSON_NODE_HOLDS_OBJECT (torch))
    {
      remove_tmp_dir (dir);
      if (error == NULL)
        g_set_error (&error, SS_ERROR, SS_ERROR_FORMAT, "the PyTorch script's JSON is not an "
                     "object");
      return cli_fail (error);
    }
  root = json_node_get_object (torch);
  onnx_path = json_object_get_string_member_with_default (root, "onnx", "");
  torch_batches = object_member (root, "batches");

  t0 = g_get_monotonic_time ();
  net = ss_onnx_load (onnx_path, &error);
  import_seconds = cli_seconds_since (t0);
  remove_tmp_dir (dir);
  if (net == NULL)
    return cli_fail (error);
  ss_net_set_n_threads (net, threads);

  ours = g_new (double, batches->len);
  theirs = g_new (double, batches->len);
  for (guint i = 0; i < batches->len; i++)
    {
      int b = g_array_index (batches, int, i);
      g_autofree char *key = g_strdup_printf ("%d", b);
      JsonObject *t = object_member (torch_batches, key);
      double seconds;

      ours[i] = infer_speed (net, b, opts->iterations, &seconds);
      theirs[i] = t ? json_object_get_double_member_with_default (t, "images_per_second", 0) : 0;
      fprintf (stderr, "supersign-cli bench: batch %d: %.1f images/s\n", b, ours[i]);
    }
  getrusage (RUSAGE_SELF, &usage);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) jb = json_builder_new ();
      json_builder_begin_object (jb);
      ss_json_add_string (jb, "model", "torchvision resnet50 (ONNX)");
      ss_json_add_int (jb, "threads", threads);
      ss_json_add_int (jb, "iterations", opts->iterations);
      ss_json_add_number (jb, "import_seconds", import_seconds);
      ss_json_add_number (jb, "peak_rss_mib", usage.ru_maxrss / 1024.0);
      ss_json_add_string (jb, "torch", json_object_get_string_member_with_default (root, "torch",
                                                                                  NULL));
      json_builder_set_member_name (jb, "batches");
      json_builder_begin_array (jb);
      for (guint i = 0; i < batches->len; i++)
        {
          json_builder_begin_object (jb);
          ss_json_add_int (jb, "batch", g_array_index (batches, int, i));
          ss_json_add_number (jb, "supersign_images_per_second", ours[i]);
          ss_json_add_number (jb, "torch_images_per_second", theirs[i]);
          ss_json_add_number (jb, "ratio", theirs[i] > 0 ? ours[i] / theirs[i] : NAN);
          json_builder_end_object (jb);
        }
      json_builder_end_array (jb);
      json_builder_end_object (jb);
      cli_print_json (jb);
      return 0;
    }

  printf ("torchvision resnet50, 3×224×224, %d thread%s, median of %d iterations "
          "(PyTorch %s)\n", threads, threads == 1 ? "" : "s", opts->iterations,
          json_object_get_string_member_with_default (root, "torch", "?"));
  printf ("ONNX import: %.2f s; Supersign's peak resident memory: %.1f MiB\n\n",
          import_seconds, usage.ru_maxrss / 1024.0);
  printf ("%6s %22s %20s %18s\n", "batch", "Supersign images/s", "PyTorch images/s",
          "Supersign/PyTorch");
  for (guint i = 0; i < batches->len; i++)
    if (theirs[i] > 0)
      printf ("%6d %22.2f %20.2f %17.2f×\n", g_array_index (batches, int, i), ours[i],
              theirs[i], ours[i] / theirs[i]);
    else   /* the script gave no time for this batch */
      printf ("%6d %22.2f %20s %18s\n", g_array_index (batches, int, i), ours[i], "–", "–");
  return 0;
}
