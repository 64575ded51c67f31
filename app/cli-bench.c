/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include "cli.h"
#include "ss-loss.h"
#include "ss-optim.h"

/* Training and inference throughput on synthetic inputs of the model's shape (the data's
 * values do not change the work), the GFLOP/s of each conv layer, and the process's peak
 * resident memory. bench/compare.py runs the same work in PyTorch and prints the ratios. */

/* A conv's backward in forwards' worth of work: dW, plus dX unless it reads the image (nothing
 * needs the image's gradient in training). */
static double
backward_work (const SsNode *node)
{
  return node->inputs[0] == SS_NODE_INPUT ? 1 : 2;
}

int
cli_bench (CliOptions *opts,
           int         argc,
           char      **argv)
{
  gboolean ame = FALSE, profile_phases = FALSE, observer = FALSE;
  int profile_repeats = 5, observer_batches = 50, repeats = 5;
  gboolean pruned = FALSE;
  gboolean relevance = FALSE;
  gboolean amc = FALSE;
  int amc_episodes = 10;
  gboolean onnx = FALSE;
  g_autofree char *onnx_batches = NULL, *python = NULL, *torch_script = NULL;
  const GOptionEntry entries[] = {
    { "batch", 'b', 0, G_OPTION_ARG_INT, &opts->batch, "Training batch (default 64)", "N" },
    { "infer-batch", 0, 0, G_OPTION_ARG_INT, &opts->infer_batch,
      "Inference batch (default 256)", "N" },
    { "iterations", 'i', 0, G_OPTION_ARG_INT, &opts->iterations,
      "Timed iterations of each (default 20; the median is reported)", "N" },
    { "ame", 0, 0, G_OPTION_ARG_NONE, &ame,
      "Instead: AME maps/s (28², 56², 224², B = 256, one thread; --iterations repeats) and the "
      "entropy profile's wall time", NULL },
    { "profile-repeats", 0, 0, G_OPTION_ARG_INT, &profile_repeats,
      "With --ame: timed profiles after one warm-up (default 5; 0 skips the profile)", "N" },
    { "profile-phases", 0, 0, G_OPTION_ARG_NONE, &profile_phases,
      "With --ame: also time the profile's phases one by one", NULL },
    { "pruned", 0, 0, G_OPTION_ARG_NONE, &pruned,
      "Instead: inference images/s of the model and of it with half of every prunable "
      "channel group's filters removed, with the MAC ratio", NULL },
    { "observer", 0, 0, G_OPTION_ARG_NONE, &observer,
      "Instead: a Fashion-MNIST training epoch vs the training observer's cost, and the epoch "
      "with the first k conv layers frozen", NULL },
    { "observer-batches", 0, 0, G_OPTION_ARG_INT, &observer_batches,
      "With --observer: training batches timed per configuration (default 50)", "N" },
    { "repeats", 0, 0, G_OPTION_ARG_INT, &repeats,
      "With --observer: rounds, medians reported (default 5)", "N" },
    { "relevance", 0, 0, G_OPTION_ARG_NONE, &relevance,
      "Instead: spatial MI vs Rényi MI relevance of a 64-filter layer of 16×16 maps over 100 "
      "and 500 samples, side by side (--repeats rounds, medians)", NULL },
    { "amc", 0, 0, G_OPTION_ARG_NONE, &amc,
      "Instead: AMC search episodes per minute with the accuracy and the entropy reward", NULL },
    { "amc-episodes", 0, 0, G_OPTION_ARG_INT, &amc_episodes,
      "With --amc: episodes timed per reward (default 10)", "N" },
    { "onnx", 0, 0, G_OPTION_ARG_NONE, &onnx,
      "Instead: torchvision's ResNet50 (224×224) exported by PyTorch to ONNX, imported, and "
      "timed beside PyTorch on the same batches and threads", NULL },
    { "onnx-batches", 0, 0, G_OPTION_ARG_STRING, &onnx_batches,
      "With --onnx: batch sizes (default 1,8)", "B,…" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &python,
      "With --onnx: Python with torch and torchvision (default /usr/bin/python3)", "PATH" },
    { "torch-script", 0, 0, G_OPTION_ARG_FILENAME, &torch_script,
      "With --onnx: PyTorch's side (default: bench/torch_resnet50.py in the sources)", "PATH" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsSgd) sgd = NULL;
  g_autofree float *x = NULL;        /* (B, C, H, W) */
  g_autofree float *probs = NULL;    /* (B, K) */
  g_autofree float *dlogits = NULL;  /* (B, K) */
  g_autofree SsLabel *y = NULL;      /* (B) */
  g_autofree double *times = NULL;
  g_autofree double *conv_fwd = NULL, *conv_bwd = NULL;
  const SsArch *arch;
  SsRng rng;
  int c, h, w, k, bmax, iters;
  double train_ips, infer_ips, train_rss;
  struct rusage usage;

  if (!cli_parse_options (opts, "bench", "measure speed", entries, &argc, &argv))
    return 2;
  if (opts->batch < 2 || opts->infer_batch < 1 || opts->iterations < 1 ||
      opts->batch > 65536 || opts->infer_batch > 65536 || opts->iterations > 100000)
    {
      fprintf (stderr, "supersign-cli bench: --batch ≥ 2, --infer-batch ≥ 1, --iterations ≥ 1\n");
      return 2;
    }
  if (observer)
    {
      if (observer_batches < 1 || observer_batches > 100000 || repeats < 1 || repeats > 1000)
        {
          fprintf (stderr, "supersign-cli bench: --observer-batches ≥ 1, --repeats from 1 to "
                   "1000\n");
          return 2;
        }
      return cli_bench_observer (opts, observer_batches, repeats);
    }
  if (ame)
    {
      if (profile_repeats < 0 || profile_repeats > 1000)
        {
          fprintf (stderr, "supersign-cli bench: --profile-repeats from 0 to 1000\n");
          return 2;
        }
      return cli_bench_ame (opts, profile_repeats, profile_phases);
    }
  if (amc)
    {
      if (amc_episodes < 1 || amc_episodes > 100000)
        {
          fprintf (stderr, "supersign-cli bench: --amc-episodes from 1 to 100000\n");
          return 2;
        }
      return cli_bench_amc (opts, amc_episodes);
    }
  if (onnx)
    return cli_bench_onnx (opts, onnx_batches, python, torch_script);
  if (pruned)
    return cli_bench_prune (opts);
  if (relevance)
    {
      if (repeats < 1 || repeats > 1000)
        {
          fprintf (stderr, "supersign-cli bench: --repeats from 1 to 1000\n");
          return 2;
        }
      return cli_bench_relevance (opts, repeats);
    }
  if ((net = cli_open_model (opts, NULL, NULL, &error)) == NULL)
    return cli_fail (error);
  arch = ss_net_get_arch (net);
  ss_arch_get_input (arch, &c, &h, &w);
  k = ss_arch_get_n_classes (arch);
  iters = opts->iterations;
  bmax = MAX (opts->batch, opts->infer_batch);

  x = g_new (float, (gsize) bmax * c * h * w);
  probs = g_new (float, (gsize) bmax * k);
  dlogits = g_new (float, (gsize) bmax * k);
  y = g_new (SsLabel, bmax);
  times = g_new (double, iters);
  conv_fwd = g_new0 (double, ss_arch_get_n_nodes (arch));
  conv_bwd = g_new0 (double, ss_arch_get_n_nodes (arch));
  ss_rng_seed (&rng, (guint64) opts->seed);
  for (gsize i = 0; i < (gsize) bmax * c * h * w; i++)
    x[i] = (float) ss_rng_normal (&rng);
  for (int i = 0; i < bmax; i++)
    y[i] = (SsLabel) ss_rng_below (&rng, (guint32) k);

  /* Training steps: forward, loss, backward, SGD with momentum and weight decay. */
  sgd = ss_sgd_new (net, 0.9, 5e-4, FALSE);
  for (int i = -3; i < iters; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      const float *logits;
      if (i == 0)
        ss_net_set_profiling (net, TRUE);
      ss_net_zero_grad (net);
      logits = ss_net_forward (net, x, opts->batch, SS_MODE_TRAIN, &rng);
      ss_softmax_xent_forward (probs, logits, y, opts->batch, k, NULL);
      ss_softmax_xent_backward (dlogits, probs, y, opts->batch, k, 1.f / (float) opts->batch);
      ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
      ss_sgd_step (sgd, 1e-3);
      if (i >= 0)
        times[i] = cli_seconds_since (t0);
    }
  train_ips = opts->batch / cli_median (times, iters);
  getrusage (RUSAGE_SELF, &usage);
  train_rss = usage.ru_maxrss / 1024.0;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      double f;
      ss_net_get_node_seconds (net, i, &f, &conv_bwd[i]);
    }

  /* Inference: evaluation-mode forward only. */
  for (int i = -2; i < iters; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (i == 0)
        ss_net_set_profiling (net, TRUE);
      ss_net_predict (net, x, opts->infer_batch);
      if (i >= 0)
        times[i] = cli_seconds_since (t0);
    }
  infer_ips = opts->infer_batch / cli_median (times, iters);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      double b;
      ss_net_get_node_seconds (net, i, &conv_fwd[i], &b);
    }
  ss_net_set_profiling (net, FALSE);
  getrusage (RUSAGE_SELF, &usage);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (arch));
      ss_json_add_int (b, "threads", ss_net_get_n_threads (net));
      ss_json_add_int (b, "train_batch", opts->batch);
      ss_json_add_int (b, "infer_batch", opts->infer_batch);
      ss_json_add_number (b, "train_images_per_second", train_ips);
      ss_json_add_number (b, "infer_images_per_second", infer_ips);
      ss_json_add_number (b, "peak_rss_mib", usage.ru_maxrss / 1024.0);
      ss_json_add_number (b, "train_peak_rss_mib", train_rss);
      json_builder_set_member_name (b, "conv_layers");
      json_builder_begin_array (b);
      for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
        {
          const SsNode *node = ss_arch_get_node (arch, i);
          double gflop = 2.0 * (double) ss_arch_node_macs (arch, i) * 1e-9;
          if (node->op != SS_OP_CONV)
            continue;
          json_builder_begin_object (b);
          ss_json_add_string (b, "name", node->name);
          ss_json_add_number (b, "forward_gflops", gflop * opts->infer_batch * iters / conv_fwd[i]);
          ss_json_add_number (b, "backward_gflops",
                              backward_work (node) * gflop * opts->batch * iters / conv_bwd[i]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }

  printf ("%s, %d threads, median of %d iterations\n", ss_arch_get_name (arch),
          ss_net_get_n_threads (net), iters);
  printf ("training  (batch %4d): %8.1f images/s\n", opts->batch, train_ips);
  printf ("inference (batch %4d): %8.1f images/s\n", opts->infer_batch, infer_ips);
  printf ("peak resident memory: %.1f MiB (%.1f MiB after training)\n\n",
          usage.ru_maxrss / 1024.0, train_rss);
  printf ("%-24s %14s %14s\n", "conv layer", "fwd GFLOP/s", "bwd GFLOP/s");
  printf ("(forward at the inference batch, backward at the training batch)\n");
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      double gflop = 2.0 * (double) ss_arch_node_macs (arch, i) * 1e-9;
      if (node->op == SS_OP_CONV)
        printf ("%-24s %14.1f %14.1f\n", node->name,
                gflop * opts->infer_batch * iters / conv_fwd[i],
                backward_work (node) * gflop * opts->batch * iters / conv_bwd[i]);
    }
  return 0;
}
