/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "ss-freeze.h"
#include "ss-observer.h"

/* bench --observer: what observing and freezing cost and save, on Fashion-MNIST.
 * - Epoch time: ss_train over the first B·batch training images (one epoch, no evaluation),
 *   scaled to a full epoch of 60,000 images (938 batches of 64): per-batch time × 938.
 * - Observer: one ss_observer_observe with a 50-sample probe (Grad-CAM, saliency AME, information
 *   plane; no null baseline or activation AME, the observer's defaults), and for reference with
 *   both switched on (the full layer profile).
 * - Freezing: the same epoch with the first k conv units frozen (k = 0 .. units − 1), so the
 *   backward stops above them; speed-up = time(k = 0) / time(k).
 * Every measurement is repeated R times, the configurations interleaved within each round so
 * that a change in the machine's load hits all of them alike; medians are reported. */

static void
record_seconds (const SsTrainProgress *p,
                gpointer               user_data)
{
  if (p->epoch_done)
    *(double *) user_data = p->epoch_seconds;
}

/* Seconds per training batch of a fresh copy of the model with its first k units frozen. */
static gboolean
time_batches (const CliOptions *opts,
              const SsDataset  *train,
              const int        *units,
              int               k,
              double           *per_batch,
              GError          **error)
{
  g_autoptr(SsNet) net = cli_open_model (opts, train, NULL, error);
  SsTrainConfig config;
  gsize n = ss_dataset_get_size (train), n_batches;
  double secs = NAN;

  if (net == NULL || !cli_recipe_config (opts, &config, error))
    return FALSE;
  config.epochs = 1;
  config.schedule.epochs = 1;
  for (int i = 0; i < k; i++)
    ss_freeze_unit (net, units[i]);
  if (!ss_train (net, train, NULL, &config, record_seconds, &secs, NULL, error))
    return FALSE;
  /* ss_train's count: a last batch of one sample is dropped. */
  n_batches = n / (gsize) config.batch_size + (n % (gsize) config.batch_size > 1);
  *per_batch = secs / (double) n_batches;
  return TRUE;
}

int
cli_bench_observer (CliOptions *opts,
                    int         batches,
                    int         repeats)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsObserver) observer = NULL, full_observer = NULL;
  g_autofree int *units = NULL;
  g_autofree double *t_obs = g_new (double, repeats);
  g_autofree double *t_full = g_new (double, repeats);
  g_autofree double *t_batch = NULL;    /* (units, repeats): k frozen, round r */
  g_autofree double *med = NULL;        /* (units) */
  SsObserverOptions oopt;
  const SsArch *arch;
  gsize full_size;
  int n_units = 0, n_nodes;
  double epoch_batches, obs_med, full_med;

  if ((train = cli_load_data (opts, NULL, TRUE, &error)) == NULL)
    return cli_fail (error);
  full_size = ss_dataset_get_size (train);
  epoch_batches = ceil ((double) full_size / opts->batch);
  if (!cli_take_subset ("bench", "--observer-batches × --batch",
                        (int) MIN ((gsize) batches * (gsize) opts->batch, full_size), &train))
    return 2;
  if ((net = cli_open_model (opts, train, NULL, &error)) == NULL)
    return cli_fail (error);
  arch = ss_net_get_arch (net);
  n_nodes = ss_arch_get_n_nodes (arch);
  units = g_new (int, n_nodes);
  for (int i = 0; i < n_nodes; i++)
    if (ss_freeze_unit_of (arch, i, NULL))
      units[n_units++] = i;
  if (n_units == 0)
    {
      fprintf (stderr, "supersign-cli bench: %s has no conv layer that can freeze\n",
               ss_arch_get_name (arch));
      return 1;
    }
  t_batch = g_new (double, (gsize) n_units * repeats);
  med = g_new (double, n_units);

  /* The probe comes from the whole training set in real runs; the first images are as good. */
  ss_observer_options_init (&oopt);
  if ((observer = ss_observer_new (net, train, &oopt, &error)) == NULL)
    return cli_fail (error);
  oopt.profile.with_null = oopt.profile.with_activation = TRUE;
  if ((full_observer = ss_observer_new (net, train, &oopt, &error)) == NULL)
    return cli_fail (error);
  /* Warm-up: first-touch of the activation buffers. */
  ss_observation_unref (ss_observer_observe (observer, net, NULL, NULL));

  for (int r = 0; r < repeats; r++)
    {
      SsObservation *o;
      for (int k = 0; k < n_units; k++)
        if (!time_batches (opts, train, units, k, &t_batch[k * repeats + r], &error))
          return cli_fail (error);
      if ((o = ss_observer_observe (observer, net, NULL, &error)) == NULL)
        return cli_fail (error);
      t_obs[r] = ss_observation_get_seconds (o);
      ss_observation_unref (o);
      if ((o = ss_observer_observe (full_observer, net, NULL, &error)) == NULL)
        return cli_fail (error);
      t_full[r] = ss_observation_get_seconds (o);
      ss_observation_unref (o);
      fprintf (stderr, "round %d/%d done\n", r + 1, repeats);
    }
  for (int k = 0; k < n_units; k++)
    med[k] = cli_median (t_batch + k * repeats, repeats);
  obs_med = cli_median (t_obs, repeats);
  full_med = cli_median (t_full, repeats);

  if (opts->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ss_json_add_string (b, "model", ss_arch_get_name (arch));
      ss_json_add_int (b, "threads", ss_net_get_n_threads (net));
      ss_json_add_int (b, "batch", opts->batch);
      ss_json_add_int (b, "timed_batches", (gint64) (ss_dataset_get_size (train) / opts->batch));
      ss_json_add_int (b, "repeats", repeats);
      ss_json_add_number (b, "epoch_seconds", med[0] * epoch_batches);
      ss_json_add_number (b, "observer_seconds", obs_med);
      ss_json_add_number (b, "observer_percent", 100 * obs_med / (med[0] * epoch_batches));
      ss_json_add_number (b, "full_profile_seconds", full_med);
      json_builder_set_member_name (b, "frozen");
      json_builder_begin_array (b);
      for (int k = 0; k < n_units; k++)
        {
          json_builder_begin_object (b);
          ss_json_add_int (b, "k", k);
          ss_json_add_number (b, "epoch_seconds", med[k] * epoch_batches);
          ss_json_add_number (b, "speedup", med[0] / med[k]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      cli_print_json (b);
      return 0;
    }
  printf ("%s, %d threads, batch %d; medians of %d rounds; epoch = %.0f batches (%" G_GSIZE_FORMAT
          " images), extrapolated from %" G_GSIZE_FORMAT " timed batches\n",
          ss_arch_get_name (arch), ss_net_get_n_threads (net), opts->batch, repeats,
          epoch_batches, full_size, ss_dataset_get_size (train) / (gsize) opts->batch);
  printf ("training epoch:                       %8.1f s\n", med[0] * epoch_batches);
  printf ("observer, %d-sample probe:            %8.3f s  = %.2f %% of an epoch\n",
          oopt.profile.n_samples, obs_med, 100 * obs_med / (med[0] * epoch_batches));
  printf ("  with null baseline and activations: %8.3f s  = %.2f %%\n", full_med,
          100 * full_med / (med[0] * epoch_batches));
  printf ("\n%-28s %12s %10s\n", "first k conv units frozen", "epoch (s)", "speed-up");
  for (int k = 0; k < n_units; k++)
    {
      g_autofree char *label = k == 0 ? g_strdup ("none")
        : g_strdup_printf ("k = %d (up to %s)", k, ss_arch_get_node (arch, units[k - 1])->name);
      printf ("%-28s %12.1f %9.2f×\n", label, med[k] * epoch_batches, med[0] / med[k]);
    }
  return 0;
}
