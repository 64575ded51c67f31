/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-freeze.h"
#include "ss-loss.h"
#include "ss-test-util.h"
#include "ss-train.h"

/* Layer freezing (core/ss-freeze.c): the rule on synthetic entropy series, the freezing units
 * of the built-in networks, and what a frozen unit does in training — its weights and batch-norm
 * statistics stay bit for bit while the rest trains, and skipping the backward below it changes
 * no trainable gradient.
 * Legend: n epochs so far, W the window, B batch. */

/* The rule's verdict after each of the first len epochs of series. */
static void
decide_all (const SsFreezeRule *rule,
            const double       *series,
            int                 len,
            SsFreezeVerdict    *out)
{
  for (int n = 1; n <= len; n++)
    out[n - 1] = ss_freeze_rule_decide (rule, series, n);
}

/* The first epoch n after which the rule freezes, or 0. */
static int
first_freeze (const SsFreezeRule *rule,
              const double       *series,
              int                 len)
{
  for (int n = 1; n <= len; n++)
    if (ss_freeze_rule_decide (rule, series, n) == SS_FREEZE_YES)
      return n;
  return 0;
}

static void
test_rule_rising (void)
{
  SsFreezeRule rule;
  double s[20];

  g_test_summary ("An entropy that keeps rising, even by 1e-4 an epoch (variance 2e-8, far "
                  "below ε), never freezes: each full window's verdict is “rising”.");
  ss_freeze_rule_init (&rule);
  for (int i = 0; i < 20; i++)
    s[i] = 0.5 + 1e-4 * i;
  for (int n = 1; n <= 20; n++)
    g_assert_cmpint (ss_freeze_rule_decide (&rule, s, n), ==,
                     n < 5 ? SS_FREEZE_TOO_EARLY : SS_FREEZE_RISING);
  g_assert_cmpint (first_freeze (&rule, s, 20), ==, 0);
}

static void
test_rule_settling (void)
{
  /* Rises, then flattens at 0.7 from epoch 4 and drifts down from epoch 9. */
  const double s[] = { 0.2, 0.4, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6999, 0.6998 };
  const SsFreezeVerdict want[] = {
    SS_FREEZE_TOO_EARLY, SS_FREEZE_TOO_EARLY, SS_FREEZE_TOO_EARLY, SS_FREEZE_TOO_EARLY,
    SS_FREEZE_VARIES,    /* 0.2 … 0.7: variance 0.0344 */
    SS_FREEZE_VARIES,    /* 0.4 … 0.7: 0.0144 */
    SS_FREEZE_VARIES,    /* 0.6, 0.7 × 4: 0.0016 */
    SS_FREEZE_YES,       /* 0.7 × 5: variance 0, slope 0 */
    SS_FREEZE_YES,
    SS_FREEZE_YES,
  };
  SsFreezeVerdict got[G_N_ELEMENTS (s)];
  SsFreezeRule rule;

  g_test_summary ("An entropy that rises then settles freezes after the first epoch whose "
                  "last five values vary by less than ε = 5e-5 without rising: epoch 8 here.");
  ss_freeze_rule_init (&rule);
  decide_all (&rule, s, G_N_ELEMENTS (s), got);
  for (gsize i = 0; i < G_N_ELEMENTS (s); i++)
    g_assert_cmpint (got[i], ==, want[i]);
  g_assert_cmpint (first_freeze (&rule, s, G_N_ELEMENTS (s)), ==, 8);
}

static void
test_rule_noisy (void)
{
  SsFreezeRule rule;
  double s[30];

  g_test_summary ("A flat but noisy entropy, ±0.01 around 0.5 (variance about 1e-4 > ε), never "
                  "freezes; with ε = 2e-4 it freezes as soon as a window does not rise.");
  ss_freeze_rule_init (&rule);
  for (int i = 0; i < 30; i++)
    s[i] = 0.5 + (i % 2 ? 0.01 : -0.01);
  for (int n = 5; n <= 30; n++)
    g_assert_cmpint (ss_freeze_rule_decide (&rule, s, n), ==, SS_FREEZE_VARIES);
  rule.epsilon = 2e-4;
  /* Window −,+,−,+,− (n = 5) has slope 0; +,−,+,−,+ (n = 6) too: both freeze. */
  g_assert_cmpint (first_freeze (&rule, s, 30), ==, 5);
}

static void
test_rule_nan (void)
{
  SsFreezeRule rule;
  double s[12];

  g_test_summary ("A NaN anywhere in the window never freezes (verdict “undefined”), nor does "
                  "an infinity; once it leaves the window a flat series freezes.");
  ss_freeze_rule_init (&rule);
  for (int i = 0; i < 12; i++)
    s[i] = 0.4;
  s[3] = NAN;                   /* epoch 4: in the windows ending at 5, 6, 7 and 8 */
  for (int n = 5; n <= 8; n++)
    g_assert_cmpint (ss_freeze_rule_decide (&rule, s, n), ==, SS_FREEZE_UNDEFINED);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 9), ==, SS_FREEZE_YES);
  s[10] = INFINITY;
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 11), ==, SS_FREEZE_UNDEFINED);
  s[10] = NAN;
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 12), ==, SS_FREEZE_UNDEFINED);
}

static void
test_rule_earliest (void)
{
  SsFreezeRule rule;
  double s[10];

  g_test_summary ("Nothing freezes before max (earliest, window) epochs: a constant entropy "
                  "freezes after epoch 5 by default, 7 with --earliest 7, 3 with --earliest 1 "
                  "--window 3.");
  for (int i = 0; i < 10; i++)
    s[i] = 0.25;
  ss_freeze_rule_init (&rule);
  g_assert_cmpint (first_freeze (&rule, s, 10), ==, 5);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 4), ==, SS_FREEZE_TOO_EARLY);
  rule.earliest = 7;
  g_assert_cmpint (first_freeze (&rule, s, 10), ==, 7);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 6), ==, SS_FREEZE_TOO_EARLY);
  rule.earliest = 1;
  rule.window = 3;
  g_assert_cmpint (first_freeze (&rule, s, 10), ==, 3);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 2), ==, SS_FREEZE_TOO_EARLY);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, s, 0), ==, SS_FREEZE_TOO_EARLY);
}

static void
test_rule_boundaries (void)
{
  /* Exact binary fractions: mean 0.5625, deviations ±2^-4, variance 2^-8, slope exactly 0. */
  double flat[] = { 0.5, 0.625, 0.625, 0.5 };
  /* Two values 2^-7 apart: deviations ±2^-8, variance 2^-16; falling and rising. */
  const double fall[] = { 0.5 + 1.0 / 128, 0.5 }, rise[] = { 0.5, 0.5 + 1.0 / 128 };
  const double var4 = 1.0 / 256, var2 = 1.0 / 65536;
  SsFreezeRule rule = { .epsilon = var4, .window = 4, .earliest = 1 };

  g_test_summary ("The variance must be strictly below ε (equal does not freeze, the next "
                  "double up does), and a slope of exactly 0 is “not rising” while the "
                  "smallest rise is “rising”.");
  g_assert_cmpint (ss_freeze_rule_decide (&rule, flat, 4), ==, SS_FREEZE_VARIES);
  rule.epsilon = nextafter (var4, 1);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, flat, 4), ==, SS_FREEZE_YES);
  flat[3] = nextafter (0.5, 1);   /* the last value up by one ulp: the slope turns positive */
  g_assert_cmpint (ss_freeze_rule_decide (&rule, flat, 4), ==, SS_FREEZE_RISING);
  flat[3] = nextafter (0.5, 0);   /* down by one ulp: falling, but the variance is now above 2^-8 */
  g_assert_cmpint (ss_freeze_rule_decide (&rule, flat, 4), ==, SS_FREEZE_VARIES);
  rule.epsilon = 1;
  g_assert_cmpint (ss_freeze_rule_decide (&rule, flat, 4), ==, SS_FREEZE_YES);

  rule = (SsFreezeRule) { .epsilon = var2, .window = 2, .earliest = 1 };
  g_assert_cmpint (ss_freeze_rule_decide (&rule, fall, 2), ==, SS_FREEZE_VARIES);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, rise, 2), ==, SS_FREEZE_VARIES);
  rule.epsilon = nextafter (var2, 1);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, fall, 2), ==, SS_FREEZE_YES);
  g_assert_cmpint (ss_freeze_rule_decide (&rule, rise, 2), ==, SS_FREEZE_RISING);
}

static void
test_rule_validate (void)
{
  static const struct {
    SsFreezeRule rule;
    const char  *option;
  } bad[] = {
    { { 0, 5, 5 }, "--epsilon" },
    { { -1e-5, 5, 5 }, "--epsilon" },
    { { NAN, 5, 5 }, "--epsilon" },
    { { INFINITY, 5, 5 }, "--epsilon" },
    { { 5e-5, 1, 5 }, "--window" },
    { { 5e-5, 5, 0 }, "--earliest" },
  };
  SsFreezeRule rule;

  g_test_summary ("A bad rule is an SS_ERROR_ARGUMENT naming the option; the defaults are "
                  "ε = 5e-5, a 5-epoch window, earliest epoch 5.");
  ss_freeze_rule_init (&rule);
  g_assert_cmpfloat (rule.epsilon, ==, 5e-5);
  g_assert_cmpint (rule.window, ==, 5);
  g_assert_cmpint (rule.earliest, ==, 5);
  g_assert_true (ss_freeze_rule_validate (&rule, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (ss_freeze_rule_validate (&bad[i].rule, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad[i].option));
    }
  g_assert_cmpstr (ss_freeze_verdict_name (SS_FREEZE_RISING), ==, "rising");
}

static SsNet *
new_net (const char *name,
         int         c,
         int         hw,
         guint64     seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin (name, c, hw, hw, 10, &error);
  SsNet *net;

  g_assert_no_error (error);
  net = ss_net_new (arch, seed);
  ss_net_set_n_threads (net, 2);
  return net;
}

static void
test_units (void)
{
  g_autoptr(SsNet) vgg = new_net ("fmnist-vgg", 1, 28, 1);
  g_autoptr(SsNet) resnet = new_net ("resnet20", 3, 32, 1);
  const SsArch *arch = ss_net_get_arch (vgg);
  int n_units = 0, bn;

  g_test_summary ("The freezing units are the convs with maps larger than 1×1, each with the "
                  "batch norm that reads it: conv1..conv4 with bn1..bn4 in fmnist-vgg, all 21 "
                  "convs (downsampling shortcuts included) in resnet20; linear layers never.");
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      if (!ss_freeze_unit_of (arch, i, &bn))
        {
          g_assert_cmpint (bn, ==, -1);
          g_assert_true (node->op != SS_OP_CONV);
          continue;
        }
      g_autofree char *want = g_strdup_printf ("conv%d", ++n_units);
      g_assert_cmpstr (node->name, ==, want);
      g_assert_cmpint (bn, >, i);
      g_assert_cmpint (ss_arch_get_node (arch, bn)->op, ==, SS_OP_BATCHNORM);
      g_assert_cmpint (ss_arch_get_node (arch, bn)->inputs[0], ==, i);
    }
  g_assert_cmpint (n_units, ==, 4);
  g_assert_false (ss_freeze_unit_of (arch, ss_arch_find_node (arch, "fc1"), NULL));

  arch = ss_net_get_arch (resnet);
  n_units = 0;
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    if (ss_freeze_unit_of (arch, i, &bn))
      {
        n_units++;
        g_assert_cmpint (ss_arch_get_node (arch, bn)->inputs[0], ==, i);
      }
  g_assert_cmpint (n_units, ==, 21);
  g_assert_true (ss_freeze_unit_of (arch, ss_arch_find_node (arch, "layer3.0.downsample.0"),
                                    NULL));
}

static void
test_freezer_update (void)
{
  g_autoptr(SsNet) net = new_net ("fmnist-vgg", 1, 28, 1);
  const SsArch *arch = ss_net_get_arch (net);
  int n_nodes = ss_arch_get_n_nodes (arch);
  int conv1 = ss_arch_find_node (arch, "conv1"), conv2 = ss_arch_find_node (arch, "conv2");
  int conv3 = ss_arch_find_node (arch, "conv3"), conv4 = ss_arch_find_node (arch, "conv4");
  int fc1 = ss_arch_find_node (arch, "fc1");
  g_autofree double *s = g_new (double, n_nodes);
  g_autofree SsFreezeVerdict *v = g_new (SsFreezeVerdict, n_nodes);
  SsFreezeRule rule = { .epsilon = 1e-4, .window = 3, .earliest = 4 };
  g_autoptr(SsFreezer) f = ss_freezer_new (arch, &rule);

  g_test_summary ("The freezer appends each epoch's conv entropies and freezes a unit (conv and "
                  "its batch norm) the first epoch the rule says so, once: a constant conv1 "
                  "after epoch 4 (earliest), a conv3 that settles at epoch 5 after epoch 7, never "
                  "a rising conv2 nor a conv4 whose entropy is NaN.");
  for (int epoch = 1; epoch <= 8; epoch++)
    {
      int frozen;
      for (int i = 0; i < n_nodes; i++)
        s[i] = 0.9;   /* ignored: not conv nodes */
      s[conv1] = 0.3;
      s[conv2] = 0.1 * epoch;
      s[conv3] = epoch < 5 ? 0.1 * epoch : 0.5;
      s[conv4] = NAN;
      frozen = ss_freezer_update (f, net, s, v);
      g_assert_cmpint (frozen, ==, (epoch == 4) + (epoch == 7));
      g_assert_cmpint (v[conv1], ==, epoch < 4 ? SS_FREEZE_TOO_EARLY : SS_FREEZE_YES);
      g_assert_cmpint (v[conv2], ==, epoch < 4 ? SS_FREEZE_TOO_EARLY : SS_FREEZE_VARIES);
      g_assert_cmpint (v[conv4], ==, epoch < 4 ? SS_FREEZE_TOO_EARLY : SS_FREEZE_UNDEFINED);
      g_assert_cmpint (v[fc1], ==, SS_FREEZE_TOO_EARLY);
      g_assert_cmpint (ss_net_get_frozen (net, conv3), ==, epoch >= 7);
      g_assert_cmpint (ss_net_get_frozen (net, conv3 + 1), ==, epoch >= 7);   /* bn3 */
    }
  g_assert_cmpint (ss_freezer_get_n_epochs (f), ==, 8);
  g_assert_cmpint (ss_freezer_get_frozen_after (f, conv1), ==, 4);
  g_assert_cmpint (ss_freezer_get_frozen_after (f, conv2), ==, 0);
  g_assert_cmpint (ss_freezer_get_frozen_after (f, conv3), ==, 7);
  g_assert_cmpint (ss_freezer_get_frozen_after (f, conv4), ==, 0);
  for (int i = 0; i < n_nodes; i++)
    {
      const char *name = ss_arch_get_node (arch, i)->name;
      gboolean want = g_str_equal (name, "conv1") || g_str_equal (name, "bn1") ||
                      g_str_equal (name, "conv3") || g_str_equal (name, "bn3");
      g_assert_cmpint (ss_net_get_frozen (net, i), ==, want);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Frozen units in training                                                                   */

/* Every tensor of the state_dict (trainable or not), concatenated. Transfer full. */
static GArray *
snapshot (SsNet *net)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    g_array_append_vals (all, ss_net_get_param (net, p), ss_net_get_param_info (net, p)->len);
  return all;
}

/* TRUE if tensor p of net equals its values in an earlier snapshot. */
static gboolean
param_unchanged (SsNet        *net,
                 const GArray *snap,
                 int           p)
{
  gsize offset = 0;
  for (int q = 0; q < p; q++)
    offset += ss_net_get_param_info (net, q)->len;
  return memcmp (ss_net_get_param (net, p), &g_array_index (snap, float, offset),
                 ss_net_get_param_info (net, p)->len * sizeof (float)) == 0;
}

typedef struct {
  GArray *snap;        /* the state after epoch 1 */
  gint64  tracked;     /* bn2's batch count then */
} FreezeAfterFirst;

static gboolean
freeze_conv2_after_first (SsNet                 *net,
                          const SsTrainProgress *p,
                          gpointer               user_data,
                          GError               **error)
{
  FreezeAfterFirst *ff = user_data;
  const SsArch *arch = ss_net_get_arch (net);

  g_assert_true (p->epoch_done);
  if (p->epoch == 0)
    {
      ff->snap = snapshot (net);
      ff->tracked = ss_net_get_batches_tracked (net, ss_arch_find_node (arch, "bn2"));
      ss_freeze_unit (net, ss_arch_find_node (arch, "conv2"));
    }
  return TRUE;
}

static void
test_frozen_unit_stays (void)
{
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsNet) net = new_net ("fmnist-vgg", 1, 28, 5);
  const SsArch *arch = ss_net_get_arch (net);
  FreezeAfterFirst ff = { 0 };
  SsTrainHooks hooks = { .hook = freeze_conv2_after_first, .hook_data = &ff };
  g_autoptr(GError) error = NULL;
  SsTrainConfig config;
  int n_unchanged = 0;

  g_test_summary ("conv2 and bn2 frozen by an epoch-end hook after one epoch of training (so "
                  "its momentum is non-zero and weight decay would shrink it) keep their "
                  "weights, biases, running statistics and batch count bit for bit through two "
                  "more epochs, while every other layer, below and above, keeps training.");
  ss_train_config_init (&config);
  config.epochs = 3;
  config.schedule.epochs = 3;
  config.batch_size = 32;
  g_assert_true (ss_train_with_hooks (net, train, NULL, &config, &hooks, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (ff.snap);

  for (int p = 0; p < ss_net_get_n_params (net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const char *node = ss_arch_get_node (arch, info->node)->name;
      gboolean frozen = g_str_equal (node, "conv2") || g_str_equal (node, "bn2");
      g_test_message ("%s: %s", info->name,
                      param_unchanged (net, ff.snap, p) ? "unchanged" : "changed");
      g_assert_cmpint (param_unchanged (net, ff.snap, p), ==, frozen);
      n_unchanged += frozen;
    }
  g_assert_cmpint (n_unchanged, ==, 6);   /* weight, bias; weight, bias, mean, var */
  g_assert_cmpint (ss_net_get_batches_tracked (net, ss_arch_find_node (arch, "bn2")), ==,
                   ff.tracked);
  g_assert_cmpint (ss_net_get_batches_tracked (net, ss_arch_find_node (arch, "bn1")), ==,
                   3 * 8);
  g_array_unref (ff.snap);
}

/* Gradient arena (transfer full) after a training forward and backward of x (B, C, H, W) with
 * these flags. visited: whether the backward ran node 0 (conv1), by its profiled time. */
static float *
train_gradients (SsNet          *net,
                 const float    *x,
                 const SsLabel  *y,
                 int             b,
                 SsBackwardFlags flags,
                 gboolean       *visited)
{
  g_autofree float *probs = g_new (float, (gsize) b * 10);     /* (B, K) */
  g_autofree float *dlogits = g_new (float, (gsize) b * 10);   /* (B, K) */
  gsize len;
  const float *logits, *grads;
  double fwd, bwd;

  ss_net_zero_grad (net);
  ss_net_set_profiling (net, TRUE);
  logits = ss_net_forward (net, x, b, SS_MODE_TRAIN, NULL);
  ss_softmax_xent_forward (probs, logits, y, b, 10, NULL);
  ss_softmax_xent_backward (dlogits, probs, y, b, 10, 1.f / (float) b);
  ss_net_backward (net, dlogits, flags);
  ss_net_get_node_seconds (net, 0, &fwd, &bwd);
  *visited = bwd > 0;
  ss_net_set_profiling (net, FALSE);
  grads = ss_net_get_grad_arena (net, &len);
  return g_memdup2 (grads, len * sizeof (float));
}

static void
test_backward_skip (void)
{
  static const char *const convs[] = { "conv1", "conv2", "conv3" };
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 32);
  g_autofree float *x = g_new (float, 32 * 784);   /* (B, 1, 28, 28) */
  g_autofree SsLabel *y = g_new (SsLabel, 32);
  g_autofree guint32 *idx = g_new (guint32, 32);

  g_test_summary ("With the first k conv units of fmnist-vgg frozen (k = 1..3), the training "
                  "backward that stops below the deepest trainable layer gives bit-identical "
                  "gradients to a full backward (every layer's gradient kept, down to the "
                  "input): the same kernels run on the same values in the same order above the "
                  "stop, and frozen layers get no weight gradient either way.");
  for (int i = 0; i < 32; i++)
    idx[i] = (guint32) i;
  ss_dataset_fill_batch (train, x, y, idx, 32, FALSE, NULL);
  for (int k = 1; k <= 3; k++)
    {
      g_autoptr(SsNet) skip = new_net ("fmnist-vgg", 1, 28, 9);
      g_autoptr(SsNet) full = new_net ("fmnist-vgg", 1, 28, 9);
      g_autofree float *gs = NULL, *gf = NULL;
      const SsArch *arch = ss_net_get_arch (skip);
      gboolean visited_skip, visited_full;
      gsize len;
      double frozen_norm = 0, trainable_norm = 0;

      for (int i = 0; i < k; i++)
        {
          ss_freeze_unit (skip, ss_arch_find_node (arch, convs[i]));
          ss_freeze_unit (full, ss_arch_find_node (arch, convs[i]));
        }
      gs = train_gradients (skip, x, y, 32, SS_BACKWARD_PARAM_GRADS, &visited_skip);
      gf = train_gradients (full, x, y, 32, SS_BACKWARD_PARAM_GRADS | SS_BACKWARD_LAYER_GRADS |
                            SS_BACKWARD_INPUT_GRAD, &visited_full);
      g_assert_false (visited_skip);   /* the skip really stopped above conv1 */
      g_assert_true (visited_full);
      ss_net_get_grad_arena (skip, &len);
      g_assert_cmpmem (gs, len * sizeof (float), gf, len * sizeof (float));
      for (int p = 0; p < ss_net_get_n_params (skip); p++)
        {
          const SsParamInfo *info = ss_net_get_param_info (skip, p);
          const float *g = ss_net_get_param_grad (skip, p);
          if (!info->trainable)
            continue;
          for (gsize j = 0; j < info->len; j++)
            {
              if (ss_net_get_frozen (skip, info->node))
                frozen_norm += fabs (g[j]);
              else
                trainable_norm += fabs (g[j]);
            }
        }
      g_assert_cmpfloat (frozen_norm, ==, 0);
      g_assert_cmpfloat (trainable_norm, >, 0);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/freeze/rule/rising", test_rule_rising);
  g_test_add_func ("/freeze/rule/settling", test_rule_settling);
  g_test_add_func ("/freeze/rule/noisy", test_rule_noisy);
  g_test_add_func ("/freeze/rule/nan", test_rule_nan);
  g_test_add_func ("/freeze/rule/earliest", test_rule_earliest);
  g_test_add_func ("/freeze/rule/boundaries", test_rule_boundaries);
  g_test_add_func ("/freeze/rule/validate", test_rule_validate);
  g_test_add_func ("/freeze/units", test_units);
  g_test_add_func ("/freeze/freezer", test_freezer_update);
  g_test_add_func ("/freeze/train/frozen-unit-stays", test_frozen_unit_stays);
  g_test_add_func ("/freeze/train/backward-skip", test_backward_skip);
  return g_test_run ();
}
