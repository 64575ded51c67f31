/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-observer.h"
#include "ss-test-util.h"

/* The training observer (core/ss-observer.c): its numbers are ss_profile_compute's on the same
 * samples, it leaves training bit for bit as it was, its observations reach subscribers and
 * outlive the network, and the freezing it drives follows the rule.
 * Legend: N probe samples, B batch. */

static SsNet *
new_fmnist_vgg (guint64 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  SsNet *net;

  g_assert_no_error (error);
  net = ss_net_new (arch, seed);
  ss_net_set_n_threads (net, 2);
  return net;
}

static void
small_recipe (SsTrainConfig *config,
              int            epochs)
{
  ss_train_config_init (config);
  config->epochs = epochs;
  config->schedule.epochs = epochs;
  config->batch_size = 32;
  config->seed = 3;
}

/* An empty list of observation references. Transfer full. */
static GPtrArray *
observation_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ss_observation_unref);
}

/* Subscriber: keeps a reference to every observation. */
static void
collect (SsObservation *o,
         gpointer       user_data)
{
  g_ptr_array_add (user_data, ss_observation_ref (o));
}

static void
test_observer_equals_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (SS_SOURCE_DATADIR, "fmnist-vgg.safetensors", NULL);
  g_autoptr(SsNet) net = ss_model_load (path, NULL, &error);
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 0);

  g_test_summary ("On the shipped model, the observer's per-layer saliency AME (mean, sd, valid "
                  "maps), I(X;T) and I(T;Y) equal ss_profile_compute's on the same 20 training "
                  "samples (same seed), exactly; with the null baseline and activation AME "
                  "switched on those match too, and two observations in a row are identical.");
  g_assert_no_error (error);
  ss_net_set_n_threads (net, 2);
  for (int with_extras = 0; with_extras <= 1; with_extras++)
    {
      SsObserverOptions opt;
      g_autoptr(SsObserver) obs = NULL;
      g_autoptr(SsObservation) o = NULL, again = NULL;
      g_autoptr(GArray) profile = NULL;

      ss_observer_options_init (&opt);
      g_assert_cmpint (opt.profile.n_samples, ==, 50);
      g_assert_false (opt.profile.with_null);
      opt.profile.n_samples = 20;
      opt.profile.seed = 3;
      opt.profile.with_null = with_extras;
      opt.profile.with_activation = with_extras;
      obs = ss_observer_new (net, train, &opt, &error);
      g_assert_no_error (error);
      o = ss_observer_observe (obs, net, NULL, &error);
      g_assert_no_error (error);
      again = ss_observer_observe (obs, net, NULL, &error);
      g_assert_no_error (error);
      profile = ss_profile_compute (net, train, &opt.profile, NULL, &error);
      g_assert_no_error (error);

      g_assert_cmpint (ss_observation_get_n_layers (o), ==, (int) profile->len);
      g_assert_cmpint (profile->len, ==, 11);   /* 4 conv, 5 ReLU, 2 pooling layers */
      g_assert_true (isnan (ss_observation_get_progress (o)->test_acc));
      g_assert_cmpfloat (ss_observation_get_seconds (o), >, 0);
      for (guint l = 0; l < profile->len; l++)
        {
          const SsLayerProfile *want = &g_array_index (profile, SsLayerProfile, l);
          const SsLayerProfile *got = ss_observation_get_layer (o, (int) l);
          const SsLayerProfile *got2 = ss_observation_get_layer (again, (int) l);

          g_assert_cmpstr (got->name, ==, want->name);
          g_assert_true (got->name != want->name);   /* the observation's own copy */
          g_assert_cmpint (got->node, ==, want->node);
          g_assert_cmpint (got->n_valid, ==, want->n_valid);
          if (want->n_valid == 0)
            {
              g_assert_true (isnan (got->saliency_mean));
              continue;
            }
          g_assert_cmpfloat (got->saliency_mean, ==, want->saliency_mean);
          g_assert_cmpfloat (got->saliency_sd, ==, want->saliency_sd);
          g_assert_cmpfloat (got->i_xt, ==, want->i_xt);
          g_assert_cmpfloat (got->i_ty, ==, want->i_ty);
          g_assert_cmpfloat (got2->saliency_mean, ==, got->saliency_mean);
          g_assert_cmpfloat (got->saliency_mean, >, 0.05);
          if (with_extras)
            {
              g_assert_cmpfloat (got->null_mean, ==, want->null_mean);
              g_assert_cmpfloat (got2->null_mean, ==, got->null_mean);
              g_assert_cmpfloat (got->activation_mean, ==, want->activation_mean);
            }
          else
            {
              g_assert_true (isnan (got->null_mean));
              g_assert_true (isnan (got->activation_mean));
            }
        }
    }
}

/* Progress callback: keeps the epoch-end figures. */
static void
keep_epoch_ends (const SsTrainProgress *p,
                 gpointer               user_data)
{
  if (p->epoch_done)
    g_array_append_val ((GArray *) user_data, *p);
}

/* Every tensor of the state_dict and every batch count, concatenated. Transfer full. */
static GByteArray *
training_state (SsNet *net)
{
  GByteArray *all = g_byte_array_new ();
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    g_byte_array_append (all, (const guint8 *) ss_net_get_param (net, p),
                         (guint) (ss_net_get_param_info (net, p)->len * sizeof (float)));
  for (int i = 0; i < ss_arch_get_n_nodes (ss_net_get_arch (net)); i++)
    {
      gint64 count = ss_net_get_batches_tracked (net, i);
      g_byte_array_append (all, (const guint8 *) &count, sizeof count);
    }
  return all;
}

static void
test_observer_does_not_perturb (void)
{
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 200);
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 100);
  g_autoptr(SsNet) plain = new_fmnist_vgg (11);
  g_autoptr(SsNet) observed = new_fmnist_vgg (11);
  g_autoptr(GPtrArray) seen = observation_list ();
  g_autoptr(GArray) ends = g_array_new (FALSE, FALSE, sizeof (SsTrainProgress));
  g_autoptr(SsObserver) obs = NULL;
  g_autoptr(GByteArray) a = NULL, b = NULL;
  g_autoptr(GError) error = NULL;
  SsObserverOptions opt;
  SsTrainConfig config;
  SsTrainHooks hooks = { .progress = keep_epoch_ends };

  g_test_summary ("Training fmnist-vgg for 2 epochs on 200 images with an observer every 3 "
                  "batches and at epoch ends (null baseline on) gives weights, running "
                  "statistics and batch counts bit-identical to training without it; the "
                  "subscriber sees 2 mid-epoch and 1 epoch-end observation per epoch, the "
                  "latter with the loop's test figures.");
  small_recipe (&config, 2);
  g_assert_true (ss_train (plain, train, test, &config, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  ss_observer_options_init (&opt);
  opt.profile.n_samples = 20;
  opt.profile.with_null = TRUE;
  opt.every_batches = 3;
  obs = ss_observer_new (observed, train, &opt, &error);
  g_assert_no_error (error);
  ss_observer_subscribe (obs, collect, seen, NULL);
  hooks.progress_data = ends;
  ss_observer_attach (obs, &hooks);
  g_assert_true (hooks.hook != NULL && hooks.hook_every == 3);
  g_assert_true (ss_train_with_hooks (observed, train, test, &config, &hooks, NULL, &error));
  g_assert_no_error (error);

  a = training_state (plain);
  b = training_state (observed);
  g_assert_cmpmem (a->data, a->len, b->data, b->len);

  /* 200 images at batch 32: 7 batches, observed after 3, 6 and at the end. */
  g_assert_cmpuint (seen->len, ==, 6);
  g_assert_cmpuint (ends->len, ==, 2);
  for (guint i = 0; i < seen->len; i++)
    {
      const SsTrainProgress *p = ss_observation_get_progress (seen->pdata[i]);
      gboolean end = i % 3 == 2;
      g_assert_cmpint (p->epoch, ==, (int) i / 3);
      g_assert_cmpint (p->epoch_done, ==, end);
      g_assert_cmpuint (p->batch, ==, end ? 7 : 3 * (i % 3 + 1));
      g_assert_cmpint (isnan (p->test_acc), ==, !end);
      if (end)
        {
          const SsTrainProgress *e = &g_array_index (ends, SsTrainProgress, i / 3);
          g_assert_cmpfloat (p->train_loss, ==, e->train_loss);
          g_assert_cmpfloat (p->test_acc, ==, e->test_acc);
          /* The loop's hook time covers the observations, subscribers included. */
          g_assert_cmpfloat (e->hook_seconds, >=, ss_observation_get_seconds (seen->pdata[i]));
        }
    }
}

typedef struct {
  int calls;
  int destroyed;
} Counter;

static void
count_call (SsObservation *o,
            gpointer       user_data)
{
  ((Counter *) user_data)->calls++;
}

static void
count_destroy (gpointer user_data)
{
  ((Counter *) user_data)->destroyed++;
}

static void
test_observation_outlives_net (void)
{
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 100);
  g_autoptr(GPtrArray) seen = observation_list ();
  g_autoptr(GError) error = NULL;
  SsNet *net = new_fmnist_vgg (2);
  SsObserver *obs;
  SsObserverOptions opt;
  SsTrainConfig config;
  SsTrainHooks hooks = { 0 };
  Counter removed = { 0 }, kept = { 0 };
  guint id;

  g_test_summary ("Observations held by a subscriber stay readable, names included, after the "
                  "observer and the network are freed; an unsubscribed callback gets nothing "
                  "more, and each subscriber's destroy notify runs once.");
  ss_observer_options_init (&opt);
  opt.profile.n_samples = 8;
  obs = ss_observer_new (net, train, &opt, &error);
  g_assert_no_error (error);
  id = ss_observer_subscribe (obs, count_call, &removed, count_destroy);
  ss_observer_subscribe (obs, collect, seen, NULL);
  ss_observer_subscribe (obs, count_call, &kept, count_destroy);
  ss_observer_unsubscribe (obs, id);
  g_assert_cmpint (removed.destroyed, ==, 1);
  ss_observer_attach (obs, &hooks);
  small_recipe (&config, 2);
  g_assert_true (ss_train_with_hooks (net, train, NULL, &config, &hooks, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kept.destroyed, ==, 0);
  ss_observer_free (obs);
  ss_net_free (net);
  g_assert_cmpint (removed.calls, ==, 0);
  g_assert_cmpint (kept.calls, ==, 2);
  g_assert_cmpint (kept.destroyed, ==, 1);

  g_assert_cmpuint (seen->len, ==, 2);
  for (guint i = 0; i < seen->len; i++)
    {
      SsObservation *o = seen->pdata[i];
      g_assert_cmpint (ss_observation_get_progress (o)->epoch, ==, (int) i);
      g_assert_cmpstr (ss_observation_get_layer (o, 0)->name, ==, "conv1");
      g_assert_cmpstr (ss_observation_get_layer (o, ss_observation_get_n_layers (o) - 1)->name,
                       ==, "relu5");
      g_assert_cmpint (ss_observation_get_n_frozen (o), ==, 0);
    }
}

static void
test_observer_freezes_by_rule (void)
{
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsNet) net = new_fmnist_vgg (5);
  g_autoptr(GPtrArray) seen = observation_list ();
  g_autoptr(SsObserver) obs = NULL;
  g_autoptr(GError) error = NULL;
  SsFreezeRule rule = { .epsilon = 1, .window = 2, .earliest = 1 };
  SsObserverOptions opt;
  SsTrainConfig config;
  SsTrainHooks hooks = { 0 };
  const int epochs = 4;
  int n_layers, n_frozen = 0;

  g_test_summary ("With a rule of ε = 1, a 2-epoch window and earliest epoch 1 over 4 epochs, "
                  "each conv layer freezes exactly after the first epoch at which the rule, "
                  "applied to its observed entropies, says so, the verdicts in the observations "
                  "are the rule's, and the net's frozen flags and n_frozen agree.");
  ss_observer_options_init (&opt);
  opt.profile.n_samples = 16;
  obs = ss_observer_new (net, train, &opt, &error);
  g_assert_no_error (error);
  g_assert_true (ss_observer_set_freeze_rule (obs, &rule, &error));
  ss_observer_subscribe (obs, collect, seen, NULL);
  ss_observer_attach (obs, &hooks);
  small_recipe (&config, epochs);
  g_assert_true (ss_train_with_hooks (net, train, NULL, &config, &hooks, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, ==, epochs);

  n_layers = ss_observation_get_n_layers (seen->pdata[0]);
  for (int l = 0; l < n_layers; l++)
    {
      const SsLayerProfile *lp = ss_observation_get_layer (seen->pdata[0], l);
      double series[4];
      int want_after = 0;

      for (int e = 0; e < epochs; e++)
        {
          const SsLayerFreeze *f = ss_observation_get_freeze (seen->pdata[e], l);
          SsFreezeVerdict v;
          series[e] = ss_observation_get_layer (seen->pdata[e], l)->saliency_mean;
          v = ss_freeze_rule_decide (&rule, series, e + 1);
          g_assert_cmpint (f->freezable, ==, lp->kind == SS_SALIENCY_CONV);
          if (!f->freezable)
            {
              g_assert_false (f->frozen);
              g_assert_cmpint (f->verdict, ==, SS_FREEZE_TOO_EARLY);
              continue;
            }
          if (want_after == 0 && v == SS_FREEZE_YES)
            want_after = e + 1;
          g_assert_cmpint (f->verdict, ==, want_after ? SS_FREEZE_YES : v);
          g_assert_cmpint (f->frozen_after, ==, want_after);
          g_assert_cmpint (f->frozen, ==, want_after > 0);
        }
      if (lp->kind == SS_SALIENCY_CONV)
        {
          g_test_message ("%s: %.4f %.4f %.4f %.4f, frozen after epoch %d", lp->name,
                          series[0], series[1], series[2], series[3], want_after);
          g_assert_cmpint (ss_net_get_frozen (net, lp->node), ==, want_after > 0);
          g_assert_cmpint (ss_net_get_frozen (net, lp->node + 1), ==, want_after > 0);
          n_frozen += want_after > 0;
        }
    }
  g_assert_cmpint (ss_observation_get_n_frozen (seen->pdata[epochs - 1]), ==, n_frozen);
}

static void
test_observer_errors (void)
{
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 10);
  g_autoptr(SsNet) net = new_fmnist_vgg (1);
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 3, 32, 32, 10, NULL);
  g_autoptr(SsNet) other = ss_net_new (arch, 1);
  g_autoptr(SsObserver) obs = NULL;
  g_autoptr(GError) error = NULL;
  SsObserverOptions opt;
  SsFreezeRule rule;

  g_test_summary ("A probe larger than the data set, a negative --observe-every, data that do "
                  "not fit the network and a bad freezing rule are clear errors.");
  ss_observer_options_init (&opt);
  g_assert_null (ss_observer_new (net, train, &opt, &error));   /* 50 > 10 samples */
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "50"));
  g_clear_error (&error);

  opt.profile.n_samples = 5;
  opt.every_batches = -1;
  g_assert_null (ss_observer_new (net, train, &opt, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "--observe-every"));
  g_clear_error (&error);

  opt.every_batches = 0;
  g_assert_null (ss_observer_new (other, train, &opt, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_SHAPE);
  g_clear_error (&error);

  obs = ss_observer_new (net, train, &opt, &error);
  g_assert_no_error (error);
  ss_freeze_rule_init (&rule);
  rule.window = 1;
  g_assert_false (ss_observer_set_freeze_rule (obs, &rule, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "--window"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/observer/equals-profile", test_observer_equals_profile);
  g_test_add_func ("/observer/does-not-perturb", test_observer_does_not_perturb);
  g_test_add_func ("/observer/outlives-net", test_observation_outlives_net);
  g_test_add_func ("/observer/freezes-by-rule", test_observer_freezes_by_rule);
  g_test_add_func ("/observer/errors", test_observer_errors);
  return g_test_run ();
}
