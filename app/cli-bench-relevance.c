/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-renyi.h"
#include "ss-rng.h"
#include "ss-spatial-mi.h"

/* supersign-cli bench --relevance: the time to score every filter of one conv layer — 64 filters
 * of 16×16 maps, 10 classes — by spatial MI (ss_spatial_mi_layer, B_mi = 32) and by
 * matrix-based Rényi MI (ss_renyi_mi_layer, α = 1.01, median-rule kernel width), over N = 100
 * and N = 500 samples, on --threads threads (default: all).  Each round runs both criteria on
 * the same maps one right after the other, so they meet the same machine state; after one
 * untimed warm-up round, the medians over the rounds and their ratio are reported.  The
 * network's forwards are left out: either criterion reads the same stored maps, and the
 * forwards cost the same for both.
 *
 * The maps look like a trained layer's after BN and ReLU: ReLU (g_f·blob_c + noise), where the
 * blob's position and width depend on the class c (spatial MI sees the width, being blind to
 * where a pattern sits; the Rényi kernel sees both) and the gain g_f on the filter. */

#define FILTERS  64
#define SIZE     16
#define CLASSES  10

static const int sample_counts[] = { 100, 500 };

/* maps (N, FILTERS, SIZE, SIZE) and labels (N), from a fixed seed. */
static void
fill_layer (float   *maps,
            SsLabel *labels,
            int      n)
{
  SsRng rng;

  ss_rng_seed (&rng, 2022);
  for (int s = 0; s < n; s++)
    {
      const int c = (int) ss_rng_below (&rng, CLASSES);
      const double cy = 3 + (c % 5) * 2.5, cx = 4 + (c / 5) * 8, width2 = 2.0 + 2.0 * (c % 5);
      labels[s] = (SsLabel) c;
      for (int f = 0; f < FILTERS; f++)
        {
          const double gain = (f % 8) / 4.0;
          float *m = maps + ((gsize) s * FILTERS + f) * SIZE * SIZE;
          for (int i = 0; i < SIZE; i++)
            for (int j = 0; j < SIZE; j++)
              {
                const double r2 = (i - cy) * (i - cy) + (j - cx) * (j - cx);
                const double v = gain * exp (-r2 / width2) + 0.5 * ss_rng_normal (&rng);
                m[i * SIZE + j] = (float) MAX (v, 0.0);
              }
        }
    }
}

int
cli_bench_relevance (CliOptions *opts,
                     int         repeats)
{
  const int threads = opts->threads > 0 ? opts->threads : (int) g_get_num_processors ();
  double spatial_med[G_N_ELEMENTS (sample_counts)], renyi_med[G_N_ELEMENTS (sample_counts)];
  double check[G_N_ELEMENTS (sample_counts)][2];

  for (gsize k = 0; k < G_N_ELEMENTS (sample_counts); k++)
    {
      const int n = sample_counts[k];
      g_autofree float *maps = g_new (float, (gsize) n * FILTERS * SIZE * SIZE);
      g_autofree SsLabel *labels = g_new (SsLabel, n);
      g_autofree double *t_spatial = g_new (double, repeats);
      g_autofree double *t_renyi = g_new (double, repeats);
      double spatial[FILTERS], renyi[FILTERS];
      g_autoptr(GError) error = NULL;

      fill_layer (maps, labels, n);
      for (int r = -1; r < repeats; r++)
        {
          gint64 t0 = g_get_monotonic_time ();
          if (!ss_spatial_mi_layer (spatial, maps, labels, n, FILTERS, SIZE, SIZE, CLASSES,
                                    SS_SPATIAL_MI_BINS_DEFAULT, threads, NULL, &error))
            return cli_fail (error);
          if (r >= 0)
            t_spatial[r] = cli_seconds_since (t0);
          t0 = g_get_monotonic_time ();
          if (!ss_renyi_mi_layer (renyi, NULL, maps, labels, n, FILTERS, SIZE, SIZE, CLASSES,
                                  SS_RENYI_ALPHA_DEFAULT, threads, NULL, &error))
            return cli_fail (error);
          if (r >= 0)
            t_renyi[r] = cli_seconds_since (t0);
          if (!opts->json)
            fprintf (stderr, "N = %d: round %d/%d\n", n, r + 1, repeats);
        }
      spatial_med[k] = cli_median (t_spatial, repeats);
      renyi_med[k] = cli_median (t_renyi, repeats);
      /* The scores of filter 63 (the strongest gain) and 0 (pure noise), so a run that
       * computed nothing cannot pass for a fast one. */
      check[k][0] = spatial[FILTERS - 1] - spatial[0];
      check[k][1] = renyi[FILTERS - 1] - renyi[0];
    }

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_int (b, "filters", FILTERS);
      ss_json_add_int (b, "map", SIZE);
      ss_json_add_int (b, "classes", CLASSES);
      ss_json_add_int (b, "threads", threads);
      ss_json_add_int (b, "repeats", repeats);
      json_builder_set_member_name (b, "results");
      json_builder_begin_array (b);
      for (gsize k = 0; k < G_N_ELEMENTS (sample_counts); k++)
        {
          json_builder_begin_object (b);
          ss_json_add_int (b, "samples", sample_counts[k]);
          ss_json_add_number (b, "spatial_mi_seconds", spatial_med[k]);
          ss_json_add_number (b, "renyi_mi_seconds", renyi_med[k]);
          ss_json_add_number (b, "ratio", renyi_med[k] / spatial_med[k]);
          ss_json_add_number (b, "spatial_mi_spread_bits", check[k][0]);
          ss_json_add_number (b, "renyi_mi_spread_bits", check[k][1]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }

  printf ("relevance of every filter of a %d-filter layer of %d×%d maps, %d classes, %d "
          "thread%s, median of %d rounds\n", FILTERS, SIZE, SIZE, CLASSES, threads,
          threads == 1 ? "" : "s", repeats);
  printf ("%5s %16s %16s %10s   %s\n", "N", "spatial MI (s)", "Rényi MI (s)", "ratio",
          "I(strong) − I(noise), spatial / Rényi (bits)");
  for (gsize k = 0; k < G_N_ELEMENTS (sample_counts); k++)
    printf ("%5d %16.4f %16.4f %9.1f×   %.3f / %.3f\n", sample_counts[k], spatial_med[k],
            renyi_med[k], renyi_med[k] / spatial_med[k], check[k][0], check[k][1]);
  printf ("(spatial MI: B_mi = %d; Rényi MI: α = %g, median-rule kernel width, LAPACK dsyevd)\n",
          SS_SPATIAL_MI_BINS_DEFAULT, SS_RENYI_ALPHA_DEFAULT);
  return 0;
}
