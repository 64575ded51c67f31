/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-loss.h"
#include "ss-model-file.h"
#include "ss-optim.h"
#include "ss-prune.h"
#include "ss-test-util.h"

/* Filter surgery (ss-prune.c): dependency groups, exactness against a zeroed model, counts,
 * save/load, training, and the errors. Legend: N batch, K classes, (C, H, W) the input. */

#define N_BATCH 3

static SsArch *
builtin (const char *name)
{
  g_autoptr(GError) error = NULL;
  int c, h, w;
  SsArch *arch;

  g_assert_true (ss_arch_builtin_input (name, &c, &h, &w));
  arch = ss_arch_new_builtin (name, c, h, w, 10, &error);
  g_assert_no_error (error);
  return arch;
}

/* A network with PyTorch's initialisation and, so that batch norm is not the identity, random
 * γ ∈ [0.5, 1.5), β ∈ [−0.5, 0.5), running mean ∈ [−0.5, 0.5) and variance ∈ [0.5, 2). */
static SsNet *
random_net (const SsArch *arch,
            guint64       seed)
{
  SsNet *net = ss_net_new (arch, seed);

  for (int p = 0; p < ss_net_get_n_params (net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const SsNode *node = ss_arch_get_node (arch, info->node);
      float lo = -0.5f, hi = 0.5f;

      if (node->op != SS_OP_BATCHNORM)
        continue;
      if (g_str_has_suffix (info->name, ".weight"))
        lo = 0.5f, hi = 1.5f;
      else if (g_str_has_suffix (info->name, ".running_var"))
        lo = 0.5f, hi = 2.f;
      ss_test_fill_uniform (ss_net_get_param (net, p), info->len, lo, hi, seed * 1000 + p);
    }
  return net;
}

/* Evaluation-mode logits (N, K) for a seeded input batch. Transfer full. */
static float *
logits_of (SsNet *net)
{
  int c, h, w, k = ss_arch_get_n_classes (ss_net_get_arch (net));
  g_autofree float *x = NULL;

  ss_arch_get_input (ss_net_get_arch (net), &c, &h, &w);
  x = g_new (float, (gsize) N_BATCH * c * h * w);
  ss_test_fill_uniform (x, (gsize) N_BATCH * c * h * w, -2.f, 2.f, 77);
  return g_memdup2 (ss_net_predict (net, x, N_BATCH), sizeof (float) * N_BATCH * k);
}

static float
max_abs_diff (const float *a,
              const float *b,
              gsize        n)
{
  float worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabsf (a[i] - b[i]));
  return worst;
}

static float *
param (SsNet      *net,
       const char *layer,
       const char *suffix)
{
  g_autofree char *name = g_strconcat (layer, ".", suffix, NULL);
  int p = ss_net_find_param (net, name);
  return p >= 0 ? ss_net_get_param (net, p) : NULL;
}

/* Makes channel f of conv `node`'s output exactly zero after its batch norm and ReLU: the
 * filter and its bias zeroed, and in the batch norm reading it β = 0 and running_mean = 0, so
 * BN gives γ·(0 − 0)/σ + 0 = 0 whatever γ and the variance. */
static void
zero_filter (SsNet *net,
             int    node,
             int    f)
{
  const SsArch *arch = ss_net_get_arch (net);
  const SsNode *conv = ss_arch_get_node (arch, node);
  g_autofree char *wname = g_strconcat (conv->name, ".weight", NULL);
  const SsParamInfo *info = ss_net_get_param_info (net, ss_net_find_param (net, wname));
  gsize per_filter = info->len / (gsize) info->shape[0];
  float *b = param (net, conv->name, "bias");

  memset (param (net, conv->name, "weight") + f * per_filter, 0, per_filter * sizeof (float));
  if (b != NULL)
    b[f] = 0.f;
  for (int j = node + 1; j < ss_arch_get_n_nodes (arch); j++)
    {
      const SsNode *bn = ss_arch_get_node (arch, j);
      if (bn->op == SS_OP_BATCHNORM && bn->inputs[0] == node)
        {
          param (net, bn->name, "bias")[f] = 0.f;
          param (net, bn->name, "running_mean")[f] = 0.f;
        }
    }
}

typedef struct {
  const char *layer;
  int         filters[12];
  int         n;
} Removal;

typedef struct {
  const char *arch;
  Removal     removals[5];
  int         n_removals;
} EquivCase;

static const EquivCase equiv_cases[] = {
  { "fmnist-vgg", {
      { "conv1", { 0, 5, 31 }, 3 },
      { "conv2", { 2, 1 }, 2 },
      { "conv3", { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }, 11 },
      /* conv4 feeds fc1 through the flatten: blocks of 7·7 columns. */
      { "conv4", { 0, 63, 30 }, 3 } }, 4 },
  { "vgg11", {
      { "features.0", { 0, 1, 2, 3, 4, 5, 6, 7 }, 8 },
      { "features.8", { 100, 3 }, 2 },
      { "features.25", { 0, 511, 256 }, 3 } }, 3 },
  { "resnet20", {
      { "layer1.0.conv1", { 0, 3 }, 2 },
      { "layer2.1.conv1", { 5 }, 1 },
      /* Tied: stage 1's stem conv and every block's conv2. */
      { "layer1.1.conv2", { 2, 7 }, 2 },
      /* Tied: stage 2's projection shortcut and every conv2 of the stage. */
      { "layer2.0.downsample.0", { 0, 31 }, 2 },
      /* Tied: stage 3, read by fc through the global pool. */
      { "layer3.2.conv2", { 1 }, 1 } }, 5 },
};

static void
test_equivalence (gconstpointer data)
{
  const EquivCase *ec = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin (ec->arch);
  g_autoptr(SsNet) net = random_net (arch, 5);
  g_autoptr(SsPrunePlan) plan = ss_prune_plan_new (arch);
  g_autoptr(GArray) groups = ss_prune_groups (arch);
  g_autoptr(SsNet) pruned = NULL;
  g_autofree float *before = NULL, *zeroed = NULL, *got = NULL;
  gsize n_logits = (gsize) N_BATCH * 10;

  g_test_summary ("Physically pruned filters give the same logits as the full network with "
                  "those filters zeroed (filter, bias, BN β and running mean), in every layer "
                  "of the dependency group.");

  for (int r = 0; r < ec->n_removals; r++)
    {
      const Removal *rm = &ec->removals[r];
      ss_prune_plan_remove_filters (plan, rm->layer, rm->filters, rm->n, &error);
      g_assert_no_error (error);
    }
  pruned = ss_prune_plan_apply (plan, net, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (pruned)), <,
                   ss_arch_total_params (arch));

  before = logits_of (net);
  for (int r = 0; r < ec->n_removals; r++)
    {
      const Removal *rm = &ec->removals[r];
      int k = ss_prune_groups_find (groups, ss_arch_find_node (arch, rm->layer));
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      for (int p = 0; p < g->n_producers; p++)
        for (int i = 0; i < rm->n; i++)
          zero_filter (net, g->producers[p], rm->filters[i]);
    }
  zeroed = logits_of (net);
  got = logits_of (pruned);

  /* The check can fail: zeroing the filters does change the full network's output. */
  g_assert_cmpfloat (max_abs_diff (before, zeroed, n_logits), >, 1e-3);
  ss_assert_tensor_close (got, zeroed, n_logits, 1e-5, 1e-5, ec->arch);
}

static void
test_groups_resnet20 (void)
{
  g_autoptr(SsArch) arch = builtin ("resnet20");
  g_autoptr(GArray) groups = ss_prune_groups (arch);
  const char *stage1[] = { "conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2" };
  const char *stage1_readers[] = { "layer1.0.conv1", "layer1.1.conv1", "layer1.2.conv1",
                                   "layer2.0.conv1", "layer2.0.downsample.0" };
  const SsPruneGroup *g;
  int k;

  g_test_summary ("resnet20: each block's conv1 is a group of its own; the identity shortcuts "
                  "tie the stem conv and every conv2 of stage 1, and the projection with the "
                  "conv2s of its stage.");
  /* 9 conv1 groups and one per stage. */
  g_assert_cmpint (groups->len, ==, 12);
  for (guint i = 0; i < groups->len; i++)
    g_assert_true (g_array_index (groups, SsPruneGroup, i).prunable);

  k = ss_prune_groups_find (groups, ss_arch_find_node (arch, "layer1.1.conv1"));
  g = &g_array_index (groups, SsPruneGroup, k);
  g_assert_cmpint (g->n_producers, ==, 1);
  g_assert_cmpint (g->n_consumers, ==, 1);
  g_assert_cmpint (g->consumers[0], ==, ss_arch_find_node (arch, "layer1.1.conv2"));

  k = ss_prune_groups_find (groups, ss_arch_find_node (arch, "layer1.2.conv2"));
  g_assert_cmpint (k, ==, 0);
  g = &g_array_index (groups, SsPruneGroup, k);
  g_assert_cmpint (g->n_channels, ==, 16);
  g_assert_cmpint (g->n_producers, ==, G_N_ELEMENTS (stage1));
  for (gsize i = 0; i < G_N_ELEMENTS (stage1); i++)
    g_assert_cmpint (g->producers[i], ==, ss_arch_find_node (arch, stage1[i]));
  g_assert_cmpint (g->n_consumers, ==, G_N_ELEMENTS (stage1_readers));
  for (gsize i = 0; i < G_N_ELEMENTS (stage1_readers); i++)
    g_assert_cmpint (g->consumers[i], ==, ss_arch_find_node (arch, stage1_readers[i]));

  k = ss_prune_groups_find (groups, ss_arch_find_node (arch, "layer2.0.downsample.0"));
  g = &g_array_index (groups, SsPruneGroup, k);
  g_assert_cmpint (g->n_producers, ==, 4);
  g_assert_cmpint (g->producers[0], ==, ss_arch_find_node (arch, "layer2.0.conv2"));
  g_assert_cmpint (g->producers[1], ==, ss_arch_find_node (arch, "layer2.0.downsample.0"));

  k = ss_prune_groups_find (groups, ss_arch_find_node (arch, "layer3.0.conv2"));
  g = &g_array_index (groups, SsPruneGroup, k);
  g_assert_cmpint (g->consumers[g->n_consumers - 1], ==, ss_arch_find_node (arch, "fc"));
  g_assert_cmpint (ss_prune_groups_find (groups, ss_arch_find_node (arch, "bn1")), ==, -1);
}

/* 1×8×8 input; 6048 MACs and 567 parameters, counted by hand in test_counts. */
static const char tiny_json[] =
  "{ \"name\": \"tiny\", \"input\": [1, 8, 8], \"classes\": 3, \"layers\": ["
  "  { \"type\": \"conv\", \"name\": \"a\", \"out\": 4, \"kernel\": 3, \"padding\": 1 },"
  "  { \"type\": \"batchnorm\", \"name\": \"bn_a\" }, { \"type\": \"relu\" },"
  "  { \"type\": \"maxpool\", \"kernel\": 2 },"
  "  { \"type\": \"conv\", \"name\": \"b\", \"out\": 6, \"kernel\": 3, \"padding\": 1,"
  "    \"bias\": false },"
  "  { \"type\": \"batchnorm\", \"name\": \"bn_b\" }, { \"type\": \"relu\" },"
  "  { \"type\": \"flatten\" }, { \"type\": \"linear\", \"name\": \"fc\", \"out\": 3 } ] }";

static void
test_counts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_test_arch_from_json (tiny_json);
  g_autoptr(SsPrunePlan) plan = NULL;
  g_autoptr(SsArch) small = NULL;
  g_autoptr(SsArch) vgg = builtin ("fmnist-vgg");
  g_autoptr(SsPrunePlan) half = ss_prune_plan_new (vgg);
  g_autoptr(SsArch) vgg_half = NULL;
  const int drop_a[] = { 2 }, drop_b[] = { 0, 5 };
  const char *convs[] = { "conv1", "conv2", "conv3", "conv4" };

  g_test_summary ("Parameters (biases and BN affine terms included) and MACs (conv and linear) "
                  "of pruned networks match counts made by hand.");
  /* a: 4·1·9 + 4 = 40, bn_a 8, b: 6·4·9 = 216, bn_b 12, fc: 96·3 + 3 = 291. */
  g_assert_cmpint (ss_arch_total_params (arch), ==, 567);
  /* a: 4·8·8·1·9 = 2304, b: 6·4·4·4·9 = 3456, fc: 96·3 = 288. */
  g_assert_cmpint (ss_arch_total_macs (arch), ==, 6048);

  plan = ss_prune_plan_new (arch);
  g_assert_true (ss_prune_plan_remove_filters (plan, "a", drop_a, 1, &error));
  g_assert_true (ss_prune_plan_remove_filters (plan, "b", drop_b, 2, &error));
  g_assert_cmpint (ss_prune_plan_get_n_kept (plan, "a"), ==, 3);
  g_assert_cmpint (ss_prune_plan_get_n_kept (plan, "b"), ==, 4);
  g_assert_cmpint (ss_prune_plan_get_n_kept (plan, "fc"), ==, -1);
  small = ss_prune_plan_build_arch (plan);
  /* a: 3·9 + 3 = 30, bn_a 6, b: 4·3·9 = 108, bn_b 8, fc: 64·3 + 3 = 195. */
  g_assert_cmpint (ss_arch_total_params (small), ==, 347);
  /* a: 3·64·9 = 1728, b: 4·16·3·9 = 1728, fc: 64·3 = 192. */
  g_assert_cmpint (ss_arch_total_macs (small), ==, 3648);
  g_assert_cmpstr (ss_arch_get_name (small), ==, "tiny-pruned");

  /* fmnist-vgg with half of every conv's filters: 16, 16, 32, 32 and fc1 of 32·7·7 = 1568
   * inputs. Parameters 160 + 32 + 2320 + 32 + 4640 + 64 + 9248 + 64 + 200832 + 1290; MACs
   * 16·784·9 + 16·784·144 + 32·196·144 + 32·196·288 + 1568·128 + 1280. */
  for (gsize i = 0; i < G_N_ELEMENTS (convs); i++)
    {
      int n = ss_arch_get_node (vgg, ss_arch_find_node (vgg, convs[i]))->out / 2;
      g_autofree int *idx = g_new (int, n);
      for (int f = 0; f < n; f++)
        idx[f] = 2 * f + 1;
      g_assert_true (ss_prune_plan_remove_filters (half, convs[i], idx, n, &error));
    }
  vgg_half = ss_prune_plan_build_arch (half);
  g_assert_cmpint (ss_arch_total_params (vgg_half), ==, 218682);
  g_assert_cmpint (ss_arch_total_macs (vgg_half), ==, 4830720);
}

static void
test_save_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin ("fmnist-vgg");
  g_autoptr(SsNet) net = random_net (arch, 9);
  g_autoptr(SsNet) pruned = NULL, loaded = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("prune-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "pruned.safetensors", NULL);
  g_autofree char *json_a = NULL, *json_b = NULL;
  g_autofree float *a = NULL, *b = NULL;
  const int filters[] = { 3, 4, 60 };

  g_test_summary ("A pruned model saves and loads with its new architecture and gives the same "
                  "logits.");
  ss_net_set_batches_tracked (net, ss_arch_find_node (arch, "bn4"), 17);
  pruned = ss_prune_filters (net, "conv4", filters, G_N_ELEMENTS (filters), &error);
  g_assert_no_error (error);
  g_assert_true (ss_model_save (pruned, path, NULL, &error));
  loaded = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  json_a = ss_arch_to_json (ss_net_get_arch (pruned));
  json_b = ss_arch_to_json (ss_net_get_arch (loaded));
  g_assert_cmpstr (json_a, ==, json_b);
  g_assert_cmpint (ss_arch_get_node (ss_net_get_arch (loaded),
                                     ss_arch_find_node (ss_net_get_arch (loaded), "conv4"))->out,
                   ==, 61);
  g_assert_cmpint (ss_net_get_batches_tracked (loaded, ss_arch_find_node (arch, "bn4")), ==, 17);
  a = logits_of (pruned);
  b = logits_of (loaded);
  g_assert_cmpmem (a, sizeof (float) * N_BATCH * 10, b, sizeof (float) * N_BATCH * 10);
  ss_test_rm_rf (dir);
}

static void
test_trains (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin ("fmnist-vgg");
  g_autoptr(SsNet) net = random_net (arch, 3);
  g_autoptr(SsNet) pruned = NULL;
  g_autoptr(SsSgd) sgd = NULL;
  const int filters[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  enum { N = 16, K = 10 };
  g_autofree float *x = g_new (float, N * 28 * 28);
  float probs[N * K], dlogits[N * K];
  SsLabel labels[N];
  double first = 0, last = 0;

  g_test_summary ("A pruned network trains: a few SGD steps on one batch lower its loss.");
  pruned = ss_prune_filters (net, "conv2", filters, G_N_ELEMENTS (filters), &error);
  g_assert_no_error (error);
  ss_test_fill_uniform (x, N * 28 * 28, -1.f, 1.f, 4);
  for (int i = 0; i < N; i++)
    labels[i] = (SsLabel) (i % K);
  sgd = ss_sgd_new (pruned, 0.9, 0, FALSE);
  for (int step = 0; step < 8; step++)
    {
      const float *logits = ss_net_forward (pruned, x, N, SS_MODE_TRAIN, NULL);
      double loss = ss_softmax_xent_forward (probs, logits, labels, N, K, NULL);
      if (step == 0)
        first = loss;
      last = loss;
      ss_softmax_xent_backward (dlogits, probs, labels, N, K, 1.f / N);
      ss_net_zero_grad (pruned);
      ss_net_backward (pruned, dlogits, SS_BACKWARD_PARAM_GRADS);
      ss_sgd_step (sgd, 0.02);
    }
  g_test_message ("loss %.4f → %.4f", first, last);
  g_assert_cmpfloat (last, <, 0.7 * first);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin ("fmnist-vgg");
  g_autoptr(SsArch) resnet = builtin ("resnet20");
  g_autoptr(SsPrunePlan) plan = ss_prune_plan_new (arch);
  g_autoptr(SsPrunePlan) rplan = ss_prune_plan_new (resnet);
  g_autoptr(SsNet) net = random_net (resnet, 1);
  g_autoptr(SsArch) conv_out = NULL;
  g_autoptr(SsPrunePlan) cplan = NULL;
  int all[64];
  const int dup[] = { 1, 1 }, bad[] = { 32 }, neg[] = { -1 }, one[] = { 3 };
  static const char conv_out_json[] =
    "{ \"input\": [1, 8, 8], \"classes\": 3, \"layers\": ["
    "  { \"type\": \"conv\", \"name\": \"a\", \"out\": 4, \"kernel\": 3 }, { \"type\": \"relu\" },"
    "  { \"type\": \"conv\", \"name\": \"b\", \"out\": 3, \"kernel\": 3 },"
    "  { \"type\": \"global-avgpool\" }, { \"type\": \"flatten\" } ] }";

  g_test_summary ("Impossible requests fail with a clear SS_ERROR_ARGUMENT and leave the plan "
                  "as it was.");
  for (int i = 0; i < 64; i++)
    all[i] = i;

#define EXPECT_FAIL(call, needle) \
  G_STMT_START { \
    g_assert_false (call); \
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT); \
    g_test_message ("%s", error->message); \
    g_assert_nonnull (strstr (error->message, needle)); \
    g_clear_error (&error); \
  } G_STMT_END

  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv9", one, 1, &error), "no conv layer");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "bn1", one, 1, &error), "no conv layer");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", all, 33, &error), "has 32");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", all, 32, &error), "has 32");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", bad, 1, &error), "no filter 32");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", neg, 1, &error), "no filter -1");
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", dup, 2, &error), "named twice");
  /* Adding up to every filter over two calls fails as well, leaving the first call's. */
  g_assert_true (ss_prune_plan_remove_filters (plan, "conv1", all, 31, &error));
  EXPECT_FAIL (ss_prune_plan_remove_filters (plan, "conv1", all + 31, 1, &error),
               "all 32 filters");
  g_assert_cmpint (ss_prune_plan_get_n_kept (plan, "conv1"), ==, 1);
  g_assert_cmpint (ss_prune_plan_get_n_kept (plan, "conv2"), ==, 32);

  /* A tied resnet layer prunes its whole group: all 16-channel stage-1 convs lose one. */
  g_assert_true (ss_prune_plan_remove_filters (rplan, "layer1.2.conv2", one, 1, &error));
  g_assert_cmpint (ss_prune_plan_get_n_kept (rplan, "conv1"), ==, 15);
  g_assert_cmpint (ss_prune_plan_get_n_kept (rplan, "layer1.0.conv2"), ==, 15);
  g_assert_cmpint (ss_prune_plan_get_n_kept (rplan, "layer1.0.conv1"), ==, 16);
  EXPECT_FAIL (ss_prune_plan_remove_filters (rplan, "layer1.0.conv2", all, 16, &error),
               "has 16");

  /* A conv whose channels are the network's outputs. */
  conv_out = ss_test_arch_from_json (conv_out_json);
  cplan = ss_prune_plan_new (conv_out);
  EXPECT_FAIL (ss_prune_plan_remove_filters (cplan, "b", one, 1, &error), "outputs");
  g_assert_true (ss_prune_plan_remove_filters (cplan, "a", one, 1, &error));
#undef EXPECT_FAIL

  /* A plan applies only to its own architecture. */
  g_assert_null (ss_prune_plan_apply (plan, net, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
}

/* The node names of arch in order, space-separated. Transfer full. */
static char *
node_names (const SsArch *arch)
{
  g_autoptr(GString) s = g_string_new (NULL);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ss_arch_get_node (arch, i)->name);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
assert_same_param (SsNet      *a,
                   SsNet      *b,
                   const char *name)
{
  int pa = ss_net_find_param (a, name), pb = ss_net_find_param (b, name);
  gsize len;

  g_assert_cmpint (pa, >=, 0);
  g_assert_cmpint (pb, >=, 0);
  len = ss_net_get_param_info (a, pa)->len;
  g_assert_cmpuint (len, ==, ss_net_get_param_info (b, pb)->len);
  g_assert_cmpmem (ss_net_get_param (a, pa), len * sizeof (float), ss_net_get_param (b, pb),
                   len * sizeof (float));
}

typedef struct {
  const char *arch;
  const char *layer;
  const char *nodes;          /* expected node names after removal */
  const char *reinitialised;  /* space-separated */
  gint64      params;         /* expected total */
  const char *kept;           /* a tensor that must be copied unchanged */
} RemoveCase;

static const RemoveCase remove_cases[] = {
  /* conv4 is 64→64: nothing downstream changes shape. 468202 − (64·64·9 + 64) − 128. */
  { "fmnist-vgg", "conv4",
    "conv1 bn1 relu1 conv2 bn2 relu2 pool1 conv3 bn3 relu3 pool2 flatten fc1 relu5 fc2", "",
    431146, "fc1.weight" },
  /* conv3 is 32→64: conv4 now reads 32 channels. 468202 − 18496 − 128 − 18432. */
  { "fmnist-vgg", "conv3",
    "conv1 bn1 relu1 conv2 bn2 relu2 pool1 conv4 bn4 relu4 pool2 flatten fc1 relu5 fc2", "conv4",
    431146, "bn4.running_var" },
  { "fmnist-vgg", "conv1",
    "conv2 bn2 relu2 pool1 conv3 bn3 relu3 conv4 bn4 relu4 pool2 flatten fc1 relu5 fc2", "conv2",
    468202 - 320 - 64 - 32 * 32 * 9 + 32 * 9, "conv3.weight" },
  /* No batch norm: conv2 and relu2 go; the flattened map grows from 16·5·5 to 6·7·7. */
  { "lenet5", "conv2",
    "conv1 relu1 pool1 pool2 flatten fc1 relu3 fc2 relu4 fc3", "fc1",
    61706 - 2416 - 400 * 120 + 294 * 120, "fc2.weight" },
  /* A stride-1 block's conv1: conv2 reads the block input, of the same width. */
  { "resnet20", "layer1.0.conv1", NULL, "", 272474 - 16 * 16 * 9 - 32, "layer1.0.conv2.weight" },
};

static void
test_remove_layer (gconstpointer data)
{
  const RemoveCase *rc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin (rc->arch);
  g_autoptr(SsNet) net = random_net (arch, 2);
  g_autoptr(SsNet) out = NULL, fresh = NULL;
  g_auto(GStrv) reinit = NULL;
  g_autofree char *names = NULL, *reinit_text = NULL;
  g_autofree float *logits = NULL;
  const SsArch *new_arch;

  g_test_summary ("Removing a conv layer removes its batch norm and ReLU, rewires its readers, "
                  "copies every tensor that still fits and re-initialises the layers that "
                  "do not.");
  out = ss_prune_remove_layer (net, rc->layer, 42, &reinit, &error);
  g_assert_no_error (error);
  new_arch = ss_net_get_arch (out);
  names = node_names (new_arch);
  if (rc->nodes != NULL)
    g_assert_cmpstr (names, ==, rc->nodes);
  g_assert_cmpint (ss_arch_find_node (new_arch, rc->layer), ==, -1);
  reinit_text = g_strjoinv (" ", reinit);
  g_assert_cmpstr (reinit_text, ==, rc->reinitialised);
  g_assert_cmpint (ss_arch_total_params (new_arch), ==, rc->params);
  assert_same_param (out, net, rc->kept);

  /* Re-initialised layers are what a fresh network of the new shape from the seed holds. */
  fresh = ss_net_new (new_arch, 42);
  for (char **r = reinit; *r != NULL; r++)
    {
      g_autofree char *w = g_strconcat (*r, ".weight", NULL);
      assert_same_param (out, fresh, w);
    }
  logits = logits_of (out);
  for (int i = 0; i < N_BATCH * 10; i++)
    g_assert_true (isfinite (logits[i]));
}

static void
test_remove_layer_resnet (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = builtin ("resnet20");
  g_autoptr(SsArch) out = NULL;
  const SsNode *conv2;

  g_test_summary ("In a ResNet, removing a block's conv1 rewires conv2 to the block input; "
                  "removals that break a residual add fail with SS_ERROR_ARCH.");
  out = ss_prune_arch_remove_layer (arch, "layer1.0.conv1", &error);
  g_assert_no_error (error);
  conv2 = ss_arch_get_node (out, ss_arch_find_node (out, "layer1.0.conv2"));
  g_assert_cmpstr (ss_arch_get_node (out, conv2->inputs[0])->name, ==, "relu");
  g_assert_cmpint (ss_arch_find_node (out, "layer1.0.bn1"), ==, -1);
  g_assert_cmpint (ss_arch_find_node (out, "layer1.0.relu1"), ==, -1);
  g_clear_pointer (&out, ss_arch_free);

  /* conv2 and bn2 go; the add then sums the block's ReLU and its shortcut. */
  out = ss_prune_arch_remove_layer (arch, "layer1.1.conv2", &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_find_node (out, "layer1.1.bn2"), ==, -1);
  g_assert_cmpint (ss_arch_find_node (out, "layer1.1.relu1"), >=, 0);
  g_clear_pointer (&out, ss_arch_free);

  /* A stride-2 conv1: conv2's 32×32 output no longer matches the 16×16 shortcut. */
  g_assert_null (ss_prune_arch_remove_layer (arch, "layer2.0.conv1", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* The stem: layer1.0's add would sum the 3-channel image and 16 channels. */
  g_assert_null (ss_prune_arch_remove_layer (arch, "conv1", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_clear_error (&error);
  g_assert_null (ss_prune_arch_remove_layer (arch, "fc", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (ss_prune_arch_remove_layer (arch, "layer9.0.conv1", &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (equiv_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/prune/filters/zeroed-equal/%s",
                                               equiv_cases[i].arch);
      g_test_add_data_func (path, &equiv_cases[i], test_equivalence);
    }
  g_test_add_func ("/prune/groups/resnet20", test_groups_resnet20);
  g_test_add_func ("/prune/filters/counts", test_counts);
  g_test_add_func ("/prune/filters/save-load", test_save_load);
  g_test_add_func ("/prune/filters/trains", test_trains);
  g_test_add_func ("/prune/filters/errors", test_errors);
  for (gsize i = 0; i < G_N_ELEMENTS (remove_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/prune/layer/%s/%s", remove_cases[i].arch,
                                               remove_cases[i].layer);
      g_test_add_data_func (path, &remove_cases[i], test_remove_layer);
    }
  g_test_add_func ("/prune/layer/resnet20-rules", test_remove_layer_resnet);
  return g_test_run ();
}
