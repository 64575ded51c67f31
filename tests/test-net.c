/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Whole networks against PyTorch (tests/reference/gen-net.py): loading the weights, a TRAIN
 * pass, one SGD step and an EVAL pass.  Frozen layers, thread counts and the engine → PyTorch
 * model-file round trip are in test-net-runs.c; the fixture both use is in net-fixture.c.
 *
 * Legend: N batch, K classes, (C, H, W) the input or a node's output shape; everything float32
 * NCHW.
 *
 * Each case loads net-NAME-state.safetensors — a PyTorch state_dict written by sstio, with
 * num_batches_tracked — through ss_model_load_weights (PyTorch → engine interop), and compares
 * the engine with the references in net-NAME.safetensors (see gen-net.py for the keys).
 *
 * Tolerances.  The references are float64 computations rounded to float32, so a difference is
 * the engine's own float32 rounding, which grows with depth and with the length of the sums
 * (3136 terms in fmnist-vgg's fc1, 576 per conv output, N·H·W per BN channel).
 *   - Forward values (logits, layer outputs, running statistics) are O(1) (at most ~9 here):
 *     1e-4 absolute plus 1e-4 relative.  Measured: at most 1.4e-5 (resnet20's last block); a
 *     BN epsilon of 1e-4 instead of 1e-5 already moves the logits by 4e-4.
 *   - Gradients are small and their scale differs from tensor to tensor, so the absolute bound
 *     follows each tensor's scale: 1e-4·max|ref| + 1e-6, plus 1e-4 relative.  Measured
 *     against its scale that is a bit looser than the forward bound (1e-4 on values up to ~9):
 *     the backward sums the forward's rounding once more, and train-mode BN's backward
 *     subtracts two means of products, which cancels digits.  Measured: at most
 *     3e-6·max|ref|.  The 1e-6 floor is for gradients that are 0 in exact arithmetic (the bias
 *     of a conv followed by train-mode BN), where the engine leaves ~4e-8 of rounding; the
 *     smallest real gradient scale here is 7e-3.  Checked by breaking the engine on purpose:
 *     dropping either correction term of BN's train backward, using batch statistics in the
 *     eval backward, a residual add that skips its shortcut's gradient, or a ReLU mask of
 *     out >= 0 each fails by 10× the bound or more.  gen-net.py keeps every ReLU input and
 *     max-pool lead at least 2e-5 from a kink (above the forward's rounding), so no mask can
 *     flip between PyTorch and the engine.
 *   - After one SGD step the difference is lr times the gradient's: 1e-6 + 1e-6·|w| (measured
 *     1.6e-7), which ignoring weight decay (lr·wd·|w| = 5e-5·|w|) or Nesterov's extra
 *     lr·μ·v exceeds.
 */

#include <math.h>
#include <string.h>

#include "ss-loss.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-optim.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"
#include "net-fixture.h"

#define FWD_ATOL  1e-4
#define FWD_RTOL  1e-4
#define GRAD_TOL  1e-4    /* × max|ref| absolute, and relative */
#define GRAD_FLOOR 1e-6   /* absolute, for gradients that are 0 in exact arithmetic */
#define SGD_ATOL  1e-6
#define SGD_RTOL  1e-6
#define LOSS_ATOL 1e-5

/* ------------------------------------------------------------------------------------------ */
/* Comparisons and passes                                                                     */

/* Gradient comparison: the absolute tolerance scales with the reference's largest value. */
static void
check_grad (SsSafetensors *ref,
            const float   *got,
            gsize          len,
            const char    *key)
{
  const SsTensorView *t = net_fixture_ref_get (ref, key);
  const float *r = t->data;
  double scale = 0;

  for (gsize i = 0; i < t->n_bytes / sizeof (float); i++)
    scale = MAX (scale, fabs (r[i]));
  g_test_message ("%s: max|ref| %.3g", key, scale);
  net_fixture_check_ref (ref, got, len, key, GRAD_TOL * scale + GRAD_FLOOR, GRAD_TOL);
}

/* Evaluation forward, then the gradient of Σ_n y[n, cam[n]] (Grad-CAM's ∂y_c/∂A) down to the
 * input. */
static void
cam_pass (SsNet            *net,
          const NetFixture *f)
{
  g_autofree float *dlogits = g_new0 (float, f->n * f->k);

  ss_net_forward (net, f->x, f->n, SS_MODE_EVAL, NULL);
  for (int i = 0; i < f->n; i++)
    dlogits[i * f->k + f->cam[i]] = 1.f;
  ss_net_backward (net, dlogits, SS_BACKWARD_INPUT_GRAD);
}

static int
node_of (const NetFixture *f,
         const char       *name)
{
  int node = ss_arch_find_node (f->arch, name);
  if (node < 0)
    g_error ("the fixture names layer “%s”, which the engine's %s lacks", name, f->nc->name);
  return node;
}

static gsize
node_len (const NetFixture *f,
          int               node)
{
  const SsNode *nd = ss_arch_get_node (f->arch, node);
  return (gsize) f->n * nd->c * nd->h * nd->w;
}

/* Compares every "MODE/node-out/L" and "MODE/node-grad/L" of the fixture with node L. */
static int
check_nodes (const NetFixture *f,
             const char       *mode)
{
  g_autofree char *out_prefix = g_strdup_printf ("%s/node-out/", mode);
  g_autofree char *grad_prefix = g_strdup_printf ("%s/node-grad/", mode);
  int checked = 0;

  for (guint i = 0; i < ss_safetensors_get_n_tensors (f->ref); i++)
    {
      const char *key = ss_safetensors_get (f->ref, i)->name;
      if (g_str_has_prefix (key, out_prefix))
        {
          int node = node_of (f, key + strlen (out_prefix));
          net_fixture_check_ref (f->ref, ss_net_get_output (f->net, node), node_len (f, node),
                                 key, FWD_ATOL, FWD_RTOL);
          checked++;
        }
      else if (g_str_has_prefix (key, grad_prefix))
        {
          int node = node_of (f, key + strlen (grad_prefix));
          check_grad (f->ref, ss_net_get_grad (f->net, node), node_len (f, node), key);
        }
    }
  return checked;
}

/* ------------------------------------------------------------------------------------------ */
/* Reference tests                                                                            */

static void
test_load_weights (NetFixture    *f,
                   gconstpointer  data)
{
  g_autoptr(SsSafetensors) state = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A PyTorch state_dict saved by sstio (float32 tensors, int64 "
                  "num_batches_tracked) loads through ss_model_load_weights bit for bit, every "
                  "tensor of the engine is in the file and nothing else is.");
  state = ss_safetensors_load (f->state_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ss_safetensors_get_n_tensors (state); i++)
    {
      const SsTensorView *t = ss_safetensors_get (state, i);
      int p = ss_net_find_param (f->net, t->name);
      if (g_str_has_suffix (t->name, ".num_batches_tracked"))
        {
          g_autofree char *node = g_strndup (t->name, strlen (t->name) - 20);
          g_assert_cmpint (p, ==, -1);
          g_assert_cmpint (ss_net_get_batches_tracked (f->net, node_of (f, node)), ==,
                           *(const gint64 *) t->data);
          continue;
        }
      g_assert_cmpint (p, >=, 0);
      g_assert_cmpuint (ss_net_get_param_info (f->net, p)->len * sizeof (float), ==,
                        t->n_bytes);
      g_assert_cmpmem (ss_net_get_param (f->net, p), t->n_bytes, t->data, t->n_bytes);
    }
}

static void
test_train (NetFixture    *f,
            gconstpointer  data)
{
  double loss;
  const SsTensorView *want_loss;
  int n_grads = 0;

  g_test_summary ("One TRAIN-mode forward and backward of the whole net agree with PyTorch: "
                  "logits, loss, dL/dinput, the gradient of every parameter, BN running "
                  "statistics and num_batches_tracked afterwards.");
  loss = net_fixture_train_pass (f->net, f);
  net_fixture_check_ref (f->ref, ss_net_get_output (f->net, ss_arch_get_n_nodes (f->arch) - 1),
                         (gsize) f->n * f->k, "train/logits", FWD_ATOL, FWD_RTOL);
  want_loss = net_fixture_ref_get (f->ref, "train/loss");
  g_assert_cmpfloat_with_epsilon (loss, *(const float *) want_loss->data, LOSS_ATOL);
  check_grad (f->ref, ss_net_get_input_grad (f->net), f->n * f->in_len, "train/input_grad");

  for (int p = 0; p < ss_net_get_n_params (f->net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (f->net, p);
      g_autofree char *key = NULL;
      if (info->trainable)
        {
          key = g_strconcat ("train/param-grad/", info->name, NULL);
          check_grad (f->ref, ss_net_get_param_grad (f->net, p), info->len, key);
          n_grads++;
        }
      else
        {
          key = g_strconcat ("train/state/", info->name, NULL);
          net_fixture_check_ref (f->ref, ss_net_get_param (f->net, p), info->len, key,
                                 FWD_ATOL, FWD_RTOL);
        }
    }
  g_assert_cmpint (n_grads, >, 0);

  for (int i = 0; i < ss_arch_get_n_nodes (f->arch); i++)
    if (ss_arch_get_node (f->arch, i)->op == SS_OP_BATCHNORM)
      {
        g_autofree char *key = g_strdup_printf ("train/state/%s.num_batches_tracked",
                                                ss_arch_get_node (f->arch, i)->name);
        g_assert_cmpint (ss_net_get_batches_tracked (f->net, i), ==,
                         *(const gint64 *) net_fixture_ref_get (f->ref, key)->data);
      }

  check_nodes (f, "train");
  /* fmnist-vgg stores only a sample of fc1.weight's gradient; PyTorch's full gradient is
   * Σ_n dout[n] ⊗ in[n] of its fc1 input and output gradient, which the fixture holds. */
  if (ss_safetensors_lookup (f->ref, "train/node-grad/fc1") != NULL)
    {
      const float *g = net_fixture_ref_get (f->ref, "train/node-grad/fc1")->data;    /* (N, O) */
      const float *x = net_fixture_ref_get (f->ref, "train/node-out/flatten")->data; /* (N, I) */
      int p = ss_net_find_param (f->net, "fc1.weight");
      const SsParamInfo *info = ss_net_get_param_info (f->net, p);
      int o_n = (int) info->shape[0], i_n = (int) info->shape[1];
      g_autofree float *want = g_new (float, info->len);
      double scale = 0;

      for (int o = 0; o < o_n; o++)
        for (int i = 0; i < i_n; i++)
          {
            double s = 0;
            for (int n = 0; n < f->n; n++)
              s += (double) g[n * o_n + o] * x[n * i_n + i];
            want[o * i_n + i] = (float) s;
            scale = MAX (scale, fabs (s));
          }
      ss_assert_tensor_close (ss_net_get_param_grad (f->net, p), want, info->len,
                              GRAD_TOL * scale + GRAD_FLOOR, GRAD_TOL,
                              "fc1.weight gradient (full)");
    }
}

static void
sgd_and_check (NetFixture *f,
               gboolean    nesterov,
               const char *prefix)
{
  g_autoptr(SsSgd) sgd = ss_sgd_new (f->net, f->momentum, f->weight_decay, nesterov);

  ss_sgd_step (sgd, f->lr);
  for (int p = 0; p < ss_net_get_n_params (f->net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (f->net, p);
      g_autofree char *key = g_strconcat (prefix, info->name, NULL);
      if (info->trainable)
        net_fixture_check_ref (f->ref, ss_net_get_param (f->net, p), info->len, key,
                               SGD_ATOL, SGD_RTOL);
    }
}

static void
test_sgd (NetFixture    *f,
          gconstpointer  data)
{
  gsize len;
  float *arena;
  g_autofree float *before = NULL;

  g_test_summary ("One SGD step (momentum 0.9, weight decay 5e-4, fresh momentum) on the "
                  "gradients of a TRAIN pass gives PyTorch's parameters, with and (where the "
                  "fixture has it) without Nesterov momentum.");
  net_fixture_train_pass (f->net, f);
  arena = ss_net_get_arena (f->net, &len);
  before = g_memdup2 (arena, len * sizeof (float));
  sgd_and_check (f, FALSE, "sgd/");
  if (f->nc->nesterov)
    {
      /* Same gradients, same starting point, a fresh optimiser. */
      memcpy (arena, before, len * sizeof (float));
      sgd_and_check (f, TRUE, "sgd-nesterov/");
    }
}

static void
test_eval (NetFixture    *f,
           gconstpointer  data)
{
  g_autoptr(GArray) stats_before = net_fixture_running_stats (f->net);
  g_autoptr(GArray) stats_after = NULL;

  g_test_summary ("EVAL mode agrees with PyTorch: logits, the outputs of chosen layers, and the "
                  "gradient of one logit y_c per sample with respect to those outputs and to "
                  "the input (what Grad-CAM reads). Running statistics do not move.");
  cam_pass (f->net, f);
  net_fixture_check_ref (f->ref, ss_net_get_output (f->net, ss_arch_get_n_nodes (f->arch) - 1),
                         (gsize) f->n * f->k, "eval/logits", FWD_ATOL, FWD_RTOL);
  check_grad (f->ref, ss_net_get_input_grad (f->net), f->n * f->in_len, "eval/input_grad");
  g_assert_cmpint (check_nodes (f, "eval"), >=, 3);

  stats_after = net_fixture_running_stats (f->net);
  g_assert_cmpmem (stats_before->data, stats_before->len * sizeof (float), stats_after->data,
                   stats_after->len * sizeof (float));
  for (int i = 0; i < ss_arch_get_n_nodes (f->arch); i++)
    if (ss_arch_get_node (f->arch, i)->op == SS_OP_BATCHNORM)
      g_assert_cmpint (ss_net_get_batches_tracked (f->net, i), ==, 5);
}

/* ------------------------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < net_fixture_n_cases; i++)
    {
      net_fixture_add_case ("reference/load-weights", &net_fixture_cases[i], test_load_weights);
      net_fixture_add_case ("reference/train", &net_fixture_cases[i], test_train);
      net_fixture_add_case ("reference/sgd", &net_fixture_cases[i], test_sgd);
      net_fixture_add_case ("reference/eval", &net_fixture_cases[i], test_eval);
    }
  return g_test_run ();
}
