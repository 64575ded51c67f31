/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The AMC environment on data (core/ss-amc.h): the least-squares refit inside the network, the
 * three rewards on the physically pruned network, and the search (reproducible, cancellable,
 * its best policy re-applied). On Fashion-MNIST with the shipped fmnist-vgg, and a tiny
 * network for the search. Structure and budget are in test-amc.c.
 *
 * Legend: N images, (C, H, W) a layer's output. */

#include <math.h>
#include <string.h>

#include "ss-amc.h"
#include "ss-entropy.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-test-util.h"
#include "ss-train.h"

static SsDataset *train_set;   /* Fashion-MNIST's training split, shared */
static SsDataset *test_set;

/* The first n images of ds. Transfer full. */
static SsDataset *
first (const SsDataset *ds,
       gsize            n)
{
  g_autofree guint32 *idx = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = (guint32) i;
  return ss_dataset_subset (ds, idx, n);
}

static SsNet *
shipped_model (void)
{
  g_autofree char *path = g_build_filename (SS_SOURCE_DATADIR, "fmnist-vgg.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  SsNet *net = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  return net;
}

/* An environment on net with data; reward entropy unless val is given. Transfer full. */
static SsAmcEnv *
data_env (SsNet           *net,
          SsAmcOptions    *opt,
          const SsDataset *calibration,
          const SsDataset *val)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsAmcEnv) env = ss_amc_env_new (net, opt, &error);

  g_assert_no_error (error);
  ss_amc_env_set_data (env, calibration, val, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&env);
}

/* Mean squared difference of node `layer`'s output between a and b on x (N, …). */
static double
layer_mse (SsNet       *a,
           SsNet       *b,
           const char  *layer,
           const float *x,
           int          n)
{
  const int ia = ss_arch_find_node (ss_net_get_arch (a), layer);
  const int ib = ss_arch_find_node (ss_net_get_arch (b), layer);
  const SsNode *node = ss_arch_get_node (ss_net_get_arch (a), ia);
  const gsize len = (gsize) n * node->c * node->h * node->w;
  g_autofree float *ya = NULL;
  const float *yb;
  double sum = 0;

  g_assert_cmpint (node->c, ==, ss_arch_get_node (ss_net_get_arch (b), ib)->c);
  ss_net_forward (a, x, n, SS_MODE_EVAL, NULL);
  ya = g_memdup2 (ss_net_get_output (a, ia), len * sizeof (float));
  ss_net_forward (b, x, n, SS_MODE_EVAL, NULL);
  yb = ss_net_get_output (b, ib);
  for (gsize i = 0; i < len; i++)
    sum += ((double) ya[i] - yb[i]) * ((double) ya[i] - yb[i]);
  return sum / len;
}

static void
test_refit (void)
{
  const int halve_conv1[4] = { 16, 32, 64, 64 }, cut_conv4[4] = { 32, 32, 64, 24 };
  g_autoptr(SsNet) net = shipped_model ();
  g_autoptr(SsDataset) calibration = first (train_set, 2000);
  g_autoptr(SsAmcEnv) with = NULL, without = NULL;
  g_autofree float *x = g_new (float, 200 * 784);
  g_autofree SsLabel *y = g_new (SsLabel, 200);
  g_autofree guint32 *idx = g_new (guint32, 200);
  g_autoptr(GError) error = NULL;
  SsAmcOptions opt;
  SsAmcMeasure m;
  const struct {
    const int  *kept;
    const char *next;
  } cases[] = { { halve_conv1, "conv2" }, { cut_conv4, "fc1" } };

  g_test_summary ("On the shipped fmnist-vgg, halving conv1 or cutting conv4 to 24 filters: "
                  "the least-squares refit of the next layer (conv2; fc1 through the flatten) "
                  "on 300 calibration images brings that layer's output on 200 test images "
                  "much closer to the original's than dropping the channels alone.");
  ss_amc_options_init (&opt);
  opt.keep_macs = 1.0;
  opt.reward = SS_AMC_REWARD_ENTROPY;
  opt.n_calibration = 300;
  opt.n_entropy = 4;
  with = data_env (net, &opt, calibration, NULL);
  opt.refit = FALSE;
  without = data_env (net, &opt, calibration, NULL);
  for (int i = 0; i < 200; i++)
    idx[i] = (guint32) i;
  ss_dataset_fill_batch (test_set, x, y, idx, 200, FALSE, NULL);

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(SsNet) refitted = ss_amc_env_apply (with, cases[c].kept, &m, NULL, &error);
      g_autoptr(SsNet) dropped = NULL;
      double e_refit, e_drop;

      g_assert_no_error (error);
      dropped = ss_amc_env_apply (without, cases[c].kept, &m, NULL, &error);
      g_assert_no_error (error);
      e_refit = layer_mse (net, refitted, cases[c].next, x, 200);
      e_drop = layer_mse (net, dropped, cases[c].next, x, 200);
      g_test_message ("%s output MSE: refit %.4g, channels dropped %.4g", cases[c].next,
                      e_refit, e_drop);
      g_assert_cmpfloat (e_refit, <, 0.1 * e_drop);
    }
}

static void
test_reward_accuracy (void)
{
  const int kept[4] = { 24, 16, 40, 32 };
  g_autoptr(SsNet) net = shipped_model ();
  g_autoptr(SsDataset) calibration = first (train_set, 1000);
  g_autoptr(SsDataset) val = first (test_set, 500);
  g_autoptr(SsAmcEnv) env = NULL;
  g_autoptr(SsNet) pruned = NULL;
  g_autoptr(GError) error = NULL;
  SsAmcOptions opt;
  SsAmcMeasure m;
  double loss, acc;

  g_test_summary ("The accuracy reward is the pruned network's top-1 accuracy on the held-out "
                  "images as a fraction (AMC's 0.01 × percent), measured on the physically "
                  "pruned network, whose MACs and parameters are reported.");
  ss_amc_options_init (&opt);
  opt.n_calibration = 200;
  env = data_env (net, &opt, calibration, val);
  pruned = ss_amc_env_apply (env, kept, &m, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_evaluate (pruned, val, 100, &loss, &acc, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("accuracy after the refit: %.4f", m.accuracy);
  g_assert_cmpfloat (m.reward, ==, m.accuracy);
  g_assert_cmpfloat_with_epsilon (m.accuracy, acc, 1e-12);
  g_assert_cmpfloat (m.accuracy, >, 0.5);
  g_assert_true (isnan (m.ame));
  g_assert_cmpint (m.macs, ==, ss_arch_total_macs (ss_net_get_arch (pruned)));
  g_assert_cmpint (m.params, ==, ss_arch_total_params (ss_net_get_arch (pruned)));
  g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (pruned), 0)->out, ==, 24);
}

/* The thesis's measurement written out: the mean over conv layers of the mean over images of
 * ss_ame_compute_channels of the layer's output. */
static double
reference_ame (SsNet           *net,
               const SsDataset *ds)
{
  const SsArch *arch = ss_net_get_arch (net);
  const int n = (int) ss_dataset_get_size (ds);
  g_autofree float *x = g_new (float, (gsize) n * 784);
  g_autofree SsLabel *y = g_new (SsLabel, n);
  g_autofree guint32 *idx = g_new (guint32, n);
  SsAmeOptions opt;
  double total = 0;
  int layers = 0;

  for (int i = 0; i < n; i++)
    idx[i] = (guint32) i;
  ss_dataset_fill_batch (ds, x, y, idx, n, FALSE, NULL);
  ss_net_forward (net, x, n, SS_MODE_EVAL, NULL);
  ss_ame_options_init (&opt);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      g_autofree gpointer scratch = NULL;
      gsize size;
      double sum = 0;

      if (node->op != SS_OP_CONV)
        continue;
      size = ss_ame_scratch_size (node->h, node->w, &opt);
      scratch = g_malloc (size);
      for (int s = 0; s < n; s++)
        {
          g_autoptr(GError) error = NULL;
          SsAmeChannels res;
          const gsize map = (gsize) node->c * node->h * node->w;
          g_assert_true (ss_ame_compute_channels (&res, NULL, ss_net_get_output (net, i) + s * map,
                                                  node->c, node->h, node->w, &opt, scratch,
                                                  size, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (res.n_nonfinite, ==, 0);
          sum += res.mean;
        }
      total += sum / n;
      layers++;
    }
  return total / layers;
}

static void
test_reward_entropy (void)
{
  const int kept[4] = { 20, 24, 48, 40 };
  g_autoptr(SsNet) net = shipped_model ();
  g_autoptr(SsDataset) calibration = first (train_set, 16);
  g_autoptr(SsAmcEnv) min_env = NULL, max_env = NULL;
  g_autoptr(SsNet) pruned = NULL;
  g_autoptr(GError) error = NULL;
  SsAmcOptions opt;
  SsAmcMeasure lo, hi;
  double ref;

  g_test_summary ("The entropy reward is 1 − the mean AME of the pruned network's conv outputs "
                  "(B = 256) over the calibration samples, as ss_ame_compute_channels gives "
                  "per sample and layer; entropy-max rewards the mean AME itself.");
  ss_amc_options_init (&opt);
  opt.keep_macs = 0.8;
  opt.reward = SS_AMC_REWARD_ENTROPY;
  opt.n_calibration = 16;
  opt.n_entropy = 16;
  min_env = data_env (net, &opt, calibration, NULL);
  opt.reward = SS_AMC_REWARD_ENTROPY_MAX;
  max_env = data_env (net, &opt, calibration, NULL);
  pruned = ss_amc_env_apply (min_env, kept, &lo, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&pruned, ss_net_free);
  pruned = ss_amc_env_apply (max_env, kept, &hi, NULL, &error);
  g_assert_no_error (error);
  ref = reference_ame (pruned, calibration);
  g_test_message ("mean conv AME %.6f (reference %.6f)", lo.ame, ref);
  g_assert_cmpfloat_with_epsilon (lo.ame, ref, 1e-9);
  g_assert_cmpfloat (lo.ame, ==, hi.ame);
  g_assert_cmpfloat (lo.reward, ==, 1.0 - lo.ame);
  g_assert_cmpfloat (hi.reward, ==, hi.ame);
  g_assert_true (isnan (lo.accuracy));
  g_assert_cmpfloat (lo.ame, >, 0.05);
  g_assert_cmpfloat (lo.ame, <, 0.95);
}

/* ---- the search ---------------------------------------------------------------------------- */

static const char tiny_json[] =
  "{\"name\": \"tiny\", \"input\": [1, 28, 28], \"classes\": 10, \"layers\": ["
  "{\"type\": \"conv\", \"name\": \"conv1\", \"out\": 8, \"kernel\": 3, \"padding\": 1},"
  "{\"type\": \"batchnorm\", \"name\": \"bn1\"}, {\"type\": \"relu\"},"
  "{\"type\": \"maxpool\", \"kernel\": 2},"
  "{\"type\": \"conv\", \"name\": \"conv2\", \"out\": 16, \"kernel\": 3, \"padding\": 1},"
  "{\"type\": \"relu\"}, {\"type\": \"maxpool\", \"kernel\": 2}, {\"type\": \"flatten\"},"
  "{\"type\": \"linear\", \"name\": \"fc\", \"out\": 10}]}";

typedef struct {
  GArray       *rewards;    /* double per episode */
  GArray       *kept;       /* int, L per episode */
  gint64        budget;
  GCancellable *cancel_after;   /* cancelled once stop episodes are done */
  int           stop;
} Trace;

static void
record (const SsAmcEpisode *e,
        gpointer            user_data)
{
  Trace *tr = user_data;

  g_assert_cmpint (e->measure.macs, <=, tr->budget);
  g_assert_cmpfloat (e->best_reward, >=, e->measure.reward);
  g_array_append_val (tr->rewards, e->measure.reward);
  g_array_append_vals (tr->kept, e->kept, e->n_steps);
  if (tr->cancel_after != NULL && e->episode + 1 == tr->stop)
    g_cancellable_cancel (tr->cancel_after);
}

/* n_episodes of a search with seed on a fresh environment; the trace's arrays are filled. */
static SsAmcEnv *
search (SsNet           *net,
        const SsDataset *calibration,
        guint64          seed,
        int              n_episodes,
        Trace           *tr,
        GError         **error)
{
  g_autoptr(SsAmcEnv) env = NULL;
  SsAmcOptions opt;
  SsDdpgOptions agent;

  ss_amc_options_init (&opt);
  opt.reward = SS_AMC_REWARD_ENTROPY;
  opt.n_calibration = 64;
  opt.n_entropy = 8;
  env = data_env (net, &opt, calibration, NULL);
  ss_ddpg_options_init (&agent);
  agent.replay_size = 100 * ss_amc_env_get_n_steps (env);
  agent.n_warmup = 2;
  tr->rewards = g_array_new (FALSE, FALSE, sizeof (double));
  tr->kept = g_array_new (FALSE, FALSE, sizeof (int));
  tr->budget = (gint64) (0.5 * ss_amc_env_get_original_macs (env));
  ss_amc_search (env, &agent, n_episodes, seed, record, tr, tr->cancel_after, error);
  return g_steal_pointer (&env);
}

static void
trace_clear (Trace *tr)
{
  g_array_unref (tr->rewards);
  g_array_unref (tr->kept);
}

static void
test_search (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (tiny_json, -1, &error);
  g_autoptr(SsNet) net = ss_net_new (arch, 3);
  g_autoptr(SsDataset) calibration = first (train_set, 200);
  g_autoptr(SsAmcEnv) a = NULL, b = NULL, c = NULL;
  g_autoptr(SsNet) pruned = NULL;
  Trace ta = { 0 }, tb = { 0 }, tc = { 0 };
  int best[2], best_episode;
  double best_reward;
  SsAmcMeasure m;

  g_test_summary ("A search of 6 episodes (3 warm-up) with the entropy reward gives the same "
                  "rewards and channel counts for the same seed and other counts for another; "
                  "every episode meets the budget; the best policy, applied again, gets its "
                  "reward again bit for bit.");
  g_assert_no_error (error);
  a = search (net, calibration, 5, 6, &ta, &error);
  g_assert_no_error (error);
  b = search (net, calibration, 5, 6, &tb, &error);
  g_assert_no_error (error);
  c = search (net, calibration, 6, 6, &tc, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ta.rewards->len, ==, 6);
  g_assert_cmpmem (ta.rewards->data, 6 * sizeof (double), tb.rewards->data, 6 * sizeof (double));
  g_assert_cmpmem (ta.kept->data, 12 * sizeof (int), tb.kept->data, 12 * sizeof (int));
  g_assert_true (memcmp (ta.kept->data, tc.kept->data, 12 * sizeof (int)) != 0);

  g_assert_true (ss_amc_env_get_best (a, best, &best_reward, &best_episode));
  for (int e = 0; e < 6; e++)
    g_assert_cmpfloat (g_array_index (ta.rewards, double, e), <=, best_reward);
  g_assert_cmpfloat (g_array_index (ta.rewards, double, best_episode), ==, best_reward);
  pruned = ss_amc_env_apply (a, best, &m, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (m.reward, ==, best_reward);
  g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (pruned), 0)->out, ==, best[0]);
  trace_clear (&ta);
  trace_clear (&tb);
  trace_clear (&tc);
}

static void
test_search_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (tiny_json, -1, &error);
  g_autoptr(SsNet) net = ss_net_new (arch, 3);
  g_autoptr(SsDataset) calibration = first (train_set, 100);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SsAmcEnv) env = NULL;
  Trace tr = { .cancel_after = cancellable, .stop = 2 };
  int best[2], best_episode;

  g_test_summary ("Cancelled after its second episode, a search stops with "
                  "G_IO_ERROR_CANCELLED and keeps the best of the two episodes done.");
  g_assert_no_error (error);
  env = search (net, calibration, 1, 50, &tr, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (tr.rewards->len, ==, 2);
  g_assert_true (ss_amc_env_get_best (env, best, NULL, &best_episode));
  g_assert_cmpint (best_episode, <, 2);
  trace_clear (&tr);
}

static void
test_data_errors (void)
{
  g_autoptr(SsNet) net = shipped_model ();
  g_autoptr(SsDataset) calibration = first (train_set, 10);
  g_autoptr(SsAmcEnv) env = ss_amc_env_new (net, NULL, NULL);
  g_autoptr(SsDataset) rest = NULL, val = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The accuracy reward without a held-out split, and a split as large as the "
                  "set, are refused; a valid split is disjoint and covers the set.");
  g_assert_false (ss_amc_env_set_data (env, calibration, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ss_amc_split_dataset (calibration, 10, 1, &rest, &val, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (ss_amc_split_dataset (calibration, 3, 1, &rest, &val, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ss_dataset_get_size (rest), ==, 7);
  g_assert_cmpuint (ss_dataset_get_size (val), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *spec = ss_test_fmnist_spec ();
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  train_set = ss_dataset_load (spec, TRUE, &error);
  g_assert_no_error (error);
  test_set = ss_dataset_load (spec, FALSE, &error);
  g_assert_no_error (error);
  g_test_add_func ("/amc/refit/fmnist-vgg", test_refit);
  g_test_add_func ("/amc/reward/accuracy", test_reward_accuracy);
  g_test_add_func ("/amc/reward/entropy", test_reward_entropy);
  g_test_add_func ("/amc/search/reproducible", test_search);
  g_test_add_func ("/amc/search/cancel", test_search_cancel);
  g_test_add_func ("/amc/data/errors", test_data_errors);
  status = g_test_run ();
  ss_dataset_free (train_set);
  ss_dataset_free (test_set);
  return status;
}
