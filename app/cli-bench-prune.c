/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ss-prune.h"

/* bench --pruned: inference speed of a model and of the same model with half the filters of
 * every prunable channel group physically removed, beside their MAC ratio. Which filters go does
 * not change the work, so the upper half of each group goes. */

/* Median images/s of ss_net_predict on x (N, C, H, W) over iters timed runs after two warm-up
 * runs. */
static double
infer_speed (SsNet       *net,
             const float *x,
             int          n,
             int          iters)
{
  g_autofree double *times = g_new (double, iters);

  for (int i = -2; i < iters; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      ss_net_predict (net, x, n);
      if (i >= 0)
        times[i] = cli_seconds_since (t0);
    }
  return n / cli_median (times, iters);
}

int
cli_bench_prune (CliOptions *opts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = NULL, pruned = NULL;
  g_autoptr(SsPrunePlan) plan = NULL;
  g_autoptr(GArray) groups = NULL;
  g_autofree float *x = NULL;   /* (B, C, H, W) */
  const SsArch *arch, *small;
  SsNet *nets[2];
  double ips[2];
  int c, h, w;

  if ((net = cli_open_model (opts, NULL, NULL, &error)) == NULL)
    return cli_fail (error);
  arch = ss_net_get_arch (net);
  plan = ss_prune_plan_new (arch);
  groups = ss_prune_groups (arch);
  for (guint k = 0; k < groups->len; k++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      int n = g->n_channels / 2;
      g_autofree int *idx = g_new (int, MAX (n, 1));
      if (!g->prunable || n == 0)
        continue;
      for (int i = 0; i < n; i++)
        idx[i] = g->n_channels - n + i;
      if (!ss_prune_plan_remove_filters (plan, ss_arch_get_node (arch, g->producers[0])->name,
                                         idx, n, &error))
        return cli_fail (error);
    }
  if ((pruned = ss_prune_plan_apply (plan, net, &error)) == NULL)
    return cli_fail (error);
  small = ss_net_get_arch (pruned);

  ss_arch_get_input (arch, &c, &h, &w);
  x = g_new (float, (gsize) opts->infer_batch * c * h * w);
  {
    SsRng rng;
    ss_rng_seed (&rng, (guint64) opts->seed);
    for (gsize i = 0; i < (gsize) opts->infer_batch * c * h * w; i++)
      x[i] = (float) ss_rng_normal (&rng);
  }
  nets[0] = net;
  nets[1] = pruned;
  for (int m = 0; m < 2; m++)
    ips[m] = infer_speed (nets[m], x, opts->infer_batch, opts->iterations);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_int (b, "threads", ss_net_get_n_threads (net));
      ss_json_add_int (b, "infer_batch", opts->infer_batch);
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (int m = 0; m < 2; m++)
        {
          const SsArch *a = ss_net_get_arch (nets[m]);
          json_builder_begin_object (b);
          ss_json_add_string (b, "model", ss_arch_get_name (a));
          ss_json_add_int (b, "params", ss_arch_total_params (a));
          ss_json_add_int (b, "macs", ss_arch_total_macs (a));
          ss_json_add_number (b, "infer_images_per_second", ips[m]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      ss_json_add_number (b, "mac_ratio",
                          (double) ss_arch_total_macs (arch) / ss_arch_total_macs (small));
      ss_json_add_number (b, "speed_ratio", ips[1] / ips[0]);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }

  printf ("inference, batch %d, %d threads, median of %d runs; the pruned model has half the "
          "filters of every prunable channel group\n\n", opts->infer_batch,
          ss_net_get_n_threads (net), opts->iterations);
  printf ("%-24s %12s %14s %12s\n", "model", "params", "MACs", "images/s");
  for (int m = 0; m < 2; m++)
    {
      const SsArch *a = ss_net_get_arch (nets[m]);
      printf ("%-24s %12" G_GINT64_FORMAT " %14" G_GINT64_FORMAT " %12.1f\n",
              ss_arch_get_name (a), ss_arch_total_params (a), ss_arch_total_macs (a), ips[m]);
    }
  printf ("\nMAC ratio %.2f×, speed ratio %.2f×\n",
          (double) ss_arch_total_macs (arch) / ss_arch_total_macs (small), ips[1] / ips[0]);
  return 0;
}
