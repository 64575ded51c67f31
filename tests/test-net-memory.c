/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-loss.h"
#include "ss-net.h"
#include "ss-test-util.h"

/* The net's memory plan (core/ss-net-run.c): prediction and training gradients share buffers by
 * liveness, and must give exactly what the keep-everything paths give.
 * Legend: N batch, K classes. */

/* Exercises what the planner must get right: a flatten of the input, a branch nobody reads, an
 * add of a node to itself, a residual block with a projection. */
static const char *awkward_json =
  "{ \"name\": \"awkward\", \"input\": [2, 8, 8], \"classes\": 4, \"layers\": ["
  "  { \"type\": \"conv\", \"name\": \"c1\", \"out\": 6, \"kernel\": 3, \"padding\": 1 },"
  "  { \"type\": \"batchnorm\", \"name\": \"b1\" },"
  "  { \"type\": \"relu\", \"name\": \"r1\" },"
  "  { \"type\": \"conv\", \"name\": \"dead\", \"out\": 3, \"kernel\": 1 },"
  "  { \"type\": \"add\", \"name\": \"twice\", \"inputs\": [\"r1\", \"r1\"] },"
  "  { \"type\": \"residual\", \"name\": \"block\", \"out\": 8, \"stride\": 2 },"
  "  { \"type\": \"flatten\", \"name\": \"flat_in\", \"inputs\": [\"input\"] },"
  "  { \"type\": \"linear\", \"name\": \"side\", \"out\": 4 },"
  "  { \"type\": \"global-avgpool\", \"name\": \"gap\", \"inputs\": [\"block.relu2\"] },"
  "  { \"type\": \"flatten\", \"name\": \"flat\" },"
  "  { \"type\": \"dropout\", \"name\": \"drop\", \"p\": 0.5 },"
  "  { \"type\": \"linear\", \"name\": \"fc\", \"out\": 4 },"
  "  { \"type\": \"add\", \"name\": \"out\", \"inputs\": [\"fc\", \"side\"] } ] }";

typedef struct {
  const char *name;   /* a built-in, or NULL for awkward_json */
  int c, h, w;
} MemCase;

static const MemCase mem_cases[] = {
  { "fmnist-vgg", 1, 28, 28 },
  { "resnet20", 3, 16, 16 },
  { NULL, 2, 8, 8 },
};

static SsNet *
new_net (const MemCase *mc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = mc->name
    ? ss_arch_new_builtin (mc->name, mc->c, mc->h, mc->w, 10, &error)
    : ss_arch_new_from_json (awkward_json, -1, &error);
  g_assert_no_error (error);
  return ss_net_new (arch, 11);
}

static float *
random_input (const MemCase *mc,
              int            n)
{
  gsize len = (gsize) n * mc->c * mc->h * mc->w;
  float *x = g_new (float, len);
  ss_test_fill_uniform (x, len, -2.f, 2.f, 5);
  return x;
}

static void
test_predict (gconstpointer data)
{
  const MemCase *mc = data;
  g_autoptr(SsNet) a = new_net (mc);
  g_autoptr(SsNet) b = new_net (mc);
  const int n = 48;
  g_autofree float *x = random_input (mc, n);
  int k = ss_arch_get_n_classes (ss_net_get_arch (a));
  g_autofree float *kept = NULL;
  const float *pred;

  g_test_summary ("ss_net_predict gives the evaluation-mode logits bit for bit, in far less "
                  "memory, and leaves the last forward's outputs alone.");
  ss_net_set_n_threads (a, 2);
  ss_net_set_n_threads (b, 2);
  kept = g_memdup2 (ss_net_forward (a, x, n, SS_MODE_EVAL, NULL), sizeof (float) * n * k);
  pred = ss_net_predict (b, x, n);
  g_assert_cmpmem (pred, sizeof (float) * n * k, kept, sizeof (float) * n * k);
  g_test_message ("memory: forward %" G_GSIZE_FORMAT " bytes, predict %" G_GSIZE_FORMAT,
                  ss_net_get_memory_size (a), ss_net_get_memory_size (b));
  if (mc->name != NULL)
    g_assert_cmpuint (2 * ss_net_get_memory_size (b), <, ss_net_get_memory_size (a));

  /* predict on the first net must not disturb what its forward kept. */
  ss_net_predict (a, x, n / 2);
  g_assert_cmpmem (ss_net_get_output (a, ss_arch_get_n_nodes (ss_net_get_arch (a)) - 1),
                   sizeof (float) * n * k, kept, sizeof (float) * n * k);
}

static void
test_lean_backward (gconstpointer data)
{
  const MemCase *mc = data;
  g_autoptr(SsNet) net = new_net (mc);
  const int n = 6;
  g_autofree float *x = random_input (mc, n);
  int k = ss_arch_get_n_classes (ss_net_get_arch (net));
  g_autofree float *probs = g_new (float, n * k);
  g_autofree float *dlogits = g_new (float, n * k);
  g_autofree SsLabel *y = g_new (SsLabel, n);
  g_autofree float *kept = NULL;
  const float *logits;
  const float *grads;
  gsize len;
  SsRng rng;

  g_test_summary ("A training backward with shared gradient buffers gives bit-identical weight "
                  "gradients to one that keeps every layer's gradient.");
  for (int i = 0; i < n; i++)
    y[i] = (SsLabel) (i % k);
  ss_rng_seed (&rng, 3);
  logits = ss_net_forward (net, x, n, SS_MODE_TRAIN, &rng);
  ss_softmax_xent_forward (probs, logits, y, n, k, NULL);
  ss_softmax_xent_backward (dlogits, probs, y, n, k, 1.f / n);

  ss_net_zero_grad (net);
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS | SS_BACKWARD_LAYER_GRADS);
  g_assert_nonnull (ss_net_get_grad (net, 0));
  grads = ss_net_get_grad_arena (net, &len);
  kept = g_memdup2 (grads, len * sizeof (float));

  /* Dirty the shared buffers first: the plan must zero before each first write. */
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
  ss_net_zero_grad (net);
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
  g_assert_null (ss_net_get_grad (net, 0));
  g_assert_cmpmem (grads, len * sizeof (float), kept, len * sizeof (float));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (mem_cases); i++)
    {
      const char *name = mem_cases[i].name ? mem_cases[i].name : "awkward";
      g_autofree char *p1 = g_strdup_printf ("/net-memory/predict/%s", name);
      g_autofree char *p2 = g_strdup_printf ("/net-memory/lean-backward/%s", name);
      g_test_add_data_func (p1, &mem_cases[i], test_predict);
      g_test_add_data_func (p2, &mem_cases[i], test_lean_backward);
    }
  return g_test_run ();
}
