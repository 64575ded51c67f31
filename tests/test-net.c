/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Whole networks against PyTorch (tests/reference/gen-net.py), frozen layers, thread counts,
 * and the engine → PyTorch model-file round trip.
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

#include "ss-error.h"
#include "ss-loss.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-optim.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

#define FWD_ATOL  1e-4
#define FWD_RTOL  1e-4
#define GRAD_TOL  1e-4    /* × max|ref| absolute, and relative */
#define GRAD_FLOOR 1e-6   /* absolute, for gradients that are 0 in exact arithmetic */
#define SGD_ATOL  1e-6
#define SGD_RTOL  1e-6
#define LOSS_ATOL 1e-5

typedef struct {
  const char *name;      /* fixture: tests/data/net-NAME{,-state}.safetensors */
  gboolean    nesterov;  /* the fixture also has sgd-nesterov/ (one step with Nesterov) */
} NetCase;

static const NetCase net_cases[] = {
  { "tiny", TRUE },
  { "fmnist-vgg", FALSE },
  { "resnet20", FALSE },
};

typedef struct {
  const NetCase *nc;
  SsSafetensors *ref;
  char          *state_path;
  SsArch        *arch;
  SsNet         *net;
  int            n, k;
  gsize          in_len;     /* C·H·W */
  const float   *x;          /* (N, C, H, W), borrowed from ref */
  guint8        *labels;     /* (N) */
  guint8        *cam;        /* (N) */
  double         lr, momentum, weight_decay;
} Fixture;

/* ------------------------------------------------------------------------------------------ */
/* Fixture files                                                                              */

static const SsTensorView *
ref_get (SsSafetensors *ref,
         const char    *key)
{
  const SsTensorView *t = ss_safetensors_lookup (ref, key);
  if (t == NULL)
    g_error ("fixture lacks “%s”; regenerate with tests/reference/gen-net.py", key);
  return t;
}

static guint8 *
ref_labels (SsSafetensors *ref,
            const char    *key,
            int            n)
{
  const SsTensorView *t = ref_get (ref, key);
  guint8 *out = g_new (guint8, n);
  g_assert_cmpint (t->dtype, ==, SS_DTYPE_I64);
  g_assert_cmpuint (t->n_bytes, ==, n * sizeof (gint64));
  for (int i = 0; i < n; i++)
    out[i] = (guint8) ((const gint64 *) t->data)[i];
  return out;
}

static double
meta_double (SsSafetensors *ref,
             const char    *key)
{
  const char *v = ss_safetensors_get_metadata (ref, key);
  g_assert_nonnull (v);
  return g_ascii_strtod (v, NULL);
}

/* Compares got (len) with the reference key, or with the sample got[0], got[S], got[2S], …
 * when the fixture stores only that (a "KEY:stride" entry holds S). */
static void
check_ref (SsSafetensors *ref,
           const float   *got,
           gsize          len,
           const char    *key,
           double         atol,
           double         rtol)
{
  g_autofree char *stride_key = g_strconcat (key, ":stride", NULL);
  const SsTensorView *t = ref_get (ref, key);
  const SsTensorView *s = ss_safetensors_lookup (ref, stride_key);
  gsize stride = s != NULL ? (gsize) *(const gint64 *) s->data : 1;
  gsize n_ref = t->n_bytes / sizeof (float);
  g_autofree float *picked = NULL;

  g_assert_cmpint (t->dtype, ==, SS_DTYPE_F32);
  g_assert_nonnull (got);
  g_assert_cmpuint (n_ref, ==, (len + stride - 1) / stride);
  if (stride > 1)
    {
      picked = g_new (float, n_ref);
      for (gsize i = 0; i < n_ref; i++)
        picked[i] = got[i * stride];
      got = picked;
    }
  ss_assert_tensor_close (got, t->data, n_ref, atol, rtol, key);
}

/* Gradient comparison: the absolute tolerance scales with the reference's largest value. */
static void
check_grad (SsSafetensors *ref,
            const float   *got,
            gsize          len,
            const char    *key)
{
  const SsTensorView *t = ref_get (ref, key);
  const float *r = t->data;
  double scale = 0;

  for (gsize i = 0; i < t->n_bytes / sizeof (float); i++)
    scale = MAX (scale, fabs (r[i]));
  g_test_message ("%s: max|ref| %.3g", key, scale);
  check_ref (ref, got, len, key, GRAD_TOL * scale + GRAD_FLOOR, GRAD_TOL);
}

static SsArch *
fixture_arch (SsSafetensors *ref,
              int            k)
{
  const char *json = ss_safetensors_get_metadata (ref, SS_MODEL_META_ARCH);
  const char *builtin = ss_safetensors_get_metadata (ref, "supersign.builtin");
  const SsTensorView *x = ref_get (ref, "input");
  g_autoptr(GError) error = NULL;
  SsArch *arch;

  g_assert_cmpint (x->ndim, ==, 4);
  if (json != NULL)
    arch = ss_arch_new_from_json (json, -1, &error);
  else
    arch = ss_arch_new_builtin (builtin, (int) x->shape[1], (int) x->shape[2],
                                (int) x->shape[3], k, &error);
  g_assert_no_error (error);
  return arch;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *ref_name = NULL, *state_name = NULL, *ref_path = NULL;
  g_autoptr(GError) error = NULL;
  const SsTensorView *x, *logits;

  f->nc = data;
  ref_name = g_strdup_printf ("net-%s.safetensors", f->nc->name);
  state_name = g_strdup_printf ("net-%s-state.safetensors", f->nc->name);
  ref_path = ss_test_data_path (ref_name);
  f->state_path = ss_test_data_path (state_name);
  f->ref = ss_safetensors_load (ref_path, &error);
  g_assert_no_error (error);

  x = ref_get (f->ref, "input");
  logits = ref_get (f->ref, "eval/logits");
  f->n = (int) x->shape[0];
  f->k = (int) logits->shape[1];
  f->in_len = (gsize) (x->shape[1] * x->shape[2] * x->shape[3]);
  f->x = x->data;
  f->labels = ref_labels (f->ref, "labels", f->n);
  f->cam = ref_labels (f->ref, "cam_class", f->n);
  f->lr = meta_double (f->ref, "lr");
  f->momentum = meta_double (f->ref, "momentum");
  f->weight_decay = meta_double (f->ref, "weight_decay");

  f->arch = fixture_arch (f->ref, f->k);
  g_assert_cmpint (ss_arch_get_n_classes (f->arch), ==, f->k);
  f->net = ss_net_new (f->arch, 0);
  /* PyTorch → engine: the state_dict as sstio wrote it, num_batches_tracked included. */
  g_assert_true (ss_model_load_weights (f->net, f->state_path, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->net, ss_net_free);
  g_clear_pointer (&f->arch, ss_arch_free);
  g_clear_pointer (&f->ref, ss_safetensors_free);
  g_free (f->state_path);
  g_free (f->labels);
  g_free (f->cam);
}

/* ------------------------------------------------------------------------------------------ */
/* Passes                                                                                     */

/* One training forward, mean cross-entropy and backward (parameter and input gradients) from
 * zeroed gradients. Returns the loss. */
static double
train_pass (SsNet         *net,
            const Fixture *f)
{
  const float *logits = ss_net_forward (net, f->x, f->n, SS_MODE_TRAIN, NULL);
  g_autofree float *probs = g_new (float, f->n * f->k);
  g_autofree float *dlogits = g_new (float, f->n * f->k);
  double loss = ss_softmax_xent_forward (probs, logits, f->labels, f->n, f->k, NULL);

  ss_softmax_xent_backward (dlogits, probs, f->labels, f->n, f->k, 1.f / (float) f->n);
  ss_net_zero_grad (net);
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS | SS_BACKWARD_INPUT_GRAD);
  return loss;
}

/* Evaluation forward, then the gradient of Σ_n y[n, cam[n]] (Grad-CAM's ∂y_c/∂A) down to the
 * input. */
static void
cam_pass (SsNet         *net,
          const Fixture *f)
{
  g_autofree float *dlogits = g_new0 (float, f->n * f->k);

  ss_net_forward (net, f->x, f->n, SS_MODE_EVAL, NULL);
  for (int i = 0; i < f->n; i++)
    dlogits[i * f->k + f->cam[i]] = 1.f;
  ss_net_backward (net, dlogits, SS_BACKWARD_INPUT_GRAD);
}

static int
node_of (const Fixture *f,
         const char    *name)
{
  int node = ss_arch_find_node (f->arch, name);
  if (node < 0)
    g_error ("the fixture names layer “%s”, which the engine's %s lacks", name, f->nc->name);
  return node;
}

static gsize
node_len (const Fixture *f,
          int            node)
{
  const SsNode *nd = ss_arch_get_node (f->arch, node);
  return (gsize) f->n * nd->c * nd->h * nd->w;
}

/* The BN running statistics, in state_dict order. */
static GArray *
running_stats (SsNet *net)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    if (!ss_net_get_param_info (net, p)->trainable)
      g_array_append_vals (a, ss_net_get_param (net, p),
                           (guint) ss_net_get_param_info (net, p)->len);
  return a;
}

/* Compares every "MODE/node-out/L" and "MODE/node-grad/L" of the fixture with node L. */
static int
check_nodes (const Fixture *f,
             const char    *mode)
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
          check_ref (f->ref, ss_net_get_output (f->net, node), node_len (f, node), key,
                     FWD_ATOL, FWD_RTOL);
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
test_load_weights (Fixture       *f,
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
test_train (Fixture       *f,
            gconstpointer  data)
{
  double loss;
  const SsTensorView *want_loss;
  int n_grads = 0;

  g_test_summary ("One TRAIN-mode forward and backward of the whole net agree with PyTorch: "
                  "logits, loss, dL/dinput, the gradient of every parameter, BN running "
                  "statistics and num_batches_tracked afterwards.");
  loss = train_pass (f->net, f);
  check_ref (f->ref, ss_net_get_output (f->net, ss_arch_get_n_nodes (f->arch) - 1),
             (gsize) f->n * f->k, "train/logits", FWD_ATOL, FWD_RTOL);
  want_loss = ref_get (f->ref, "train/loss");
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
          check_ref (f->ref, ss_net_get_param (f->net, p), info->len, key, FWD_ATOL, FWD_RTOL);
        }
    }
  g_assert_cmpint (n_grads, >, 0);

  for (int i = 0; i < ss_arch_get_n_nodes (f->arch); i++)
    if (ss_arch_get_node (f->arch, i)->op == SS_OP_BATCHNORM)
      {
        g_autofree char *key = g_strdup_printf ("train/state/%s.num_batches_tracked",
                                                ss_arch_get_node (f->arch, i)->name);
        g_assert_cmpint (ss_net_get_batches_tracked (f->net, i), ==,
                         *(const gint64 *) ref_get (f->ref, key)->data);
      }

  check_nodes (f, "train");
  /* fmnist-vgg stores only a sample of fc1.weight's gradient; PyTorch's full gradient is
   * Σ_n dout[n] ⊗ in[n] of its fc1 input and output gradient, which the fixture holds. */
  if (ss_safetensors_lookup (f->ref, "train/node-grad/fc1") != NULL)
    {
      const float *g = ref_get (f->ref, "train/node-grad/fc1")->data;    /* (N, O) */
      const float *x = ref_get (f->ref, "train/node-out/flatten")->data; /* (N, I) */
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
sgd_and_check (Fixture    *f,
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
        check_ref (f->ref, ss_net_get_param (f->net, p), info->len, key, SGD_ATOL, SGD_RTOL);
    }
}

static void
test_sgd (Fixture       *f,
          gconstpointer  data)
{
  gsize len;
  float *arena;
  g_autofree float *before = NULL;

  g_test_summary ("One SGD step (momentum 0.9, weight decay 5e-4, fresh momentum) on the "
                  "gradients of a TRAIN pass gives PyTorch's parameters, with and (where the "
                  "fixture has it) without Nesterov momentum.");
  train_pass (f->net, f);
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
test_eval (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GArray) stats_before = running_stats (f->net);
  g_autoptr(GArray) stats_after = NULL;

  g_test_summary ("EVAL mode agrees with PyTorch: logits, the outputs of chosen layers, and the "
                  "gradient of one logit y_c per sample with respect to those outputs and to "
                  "the input (what Grad-CAM reads). Running statistics do not move.");
  cam_pass (f->net, f);
  check_ref (f->ref, ss_net_get_output (f->net, ss_arch_get_n_nodes (f->arch) - 1),
             (gsize) f->n * f->k, "eval/logits", FWD_ATOL, FWD_RTOL);
  check_grad (f->ref, ss_net_get_input_grad (f->net), f->n * f->in_len, "eval/input_grad");
  g_assert_cmpint (check_nodes (f, "eval"), >=, 3);

  stats_after = running_stats (f->net);
  g_assert_cmpmem (stats_before->data, stats_before->len * sizeof (float), stats_after->data,
                   stats_after->len * sizeof (float));
  for (int i = 0; i < ss_arch_get_n_nodes (f->arch); i++)
    if (ss_arch_get_node (f->arch, i)->op == SS_OP_BATCHNORM)
      g_assert_cmpint (ss_net_get_batches_tracked (f->net, i), ==, 5);
}

/* ------------------------------------------------------------------------------------------ */
/* Frozen layers                                                                              */

/* Forward in mode, mean cross-entropy, backward of the parameter gradients only. */
static void
param_pass (SsNet         *net,
            const Fixture *f,
            SsMode         mode)
{
  const float *logits = ss_net_forward (net, f->x, f->n, mode, NULL);
  g_autofree float *probs = g_new (float, f->n * f->k);
  g_autofree float *dlogits = g_new (float, f->n * f->k);

  ss_softmax_xent_forward (probs, logits, f->labels, f->n, f->k, NULL);
  ss_softmax_xent_backward (dlogits, probs, f->labels, f->n, f->k, 1.f / (float) f->n);
  ss_net_zero_grad (net);
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
}

static void
test_frozen (Fixture       *f,
             gconstpointer  data)
{
  int n_nodes = ss_arch_get_n_nodes (f->arch);

  g_test_summary ("With the lower half of the net frozen, a parameter backward gives the "
                  "trainable layers exactly the gradients of a full backward, leaves the "
                  "frozen layers' gradients zero, and SGD leaves their parameters alone. In "
                  "TRAIN mode only conv and linear layers are frozen (a frozen BN would switch "
                  "to running statistics and change the forward); in EVAL mode every layer.");
  for (int m = 0; m < 2; m++)
    {
      SsMode mode = m == 0 ? SS_MODE_TRAIN : SS_MODE_EVAL;
      gsize len;
      float *grads = ss_net_get_grad_arena (f->net, &len);
      float *arena;
      g_autofree float *full = NULL;
      g_autofree float *before = NULL;
      g_autoptr(SsSgd) sgd = NULL;
      int n_frozen = 0, n_trainable = 0, n_moved = 0;

      param_pass (f->net, f, mode);
      full = g_memdup2 (grads, len * sizeof (float));

      for (int i = 0; i < n_nodes / 2; i++)
        {
          SsOp op = ss_arch_get_node (f->arch, i)->op;
          if (mode == SS_MODE_EVAL || op == SS_OP_CONV || op == SS_OP_LINEAR)
            ss_net_set_frozen (f->net, i, TRUE);
        }
      g_assert_true (ss_net_get_frozen (f->net, 0));
      param_pass (f->net, f, mode);
      /* The backward stopped above the frozen first layer. */
      g_assert_null (ss_net_get_grad (f->net, 0));

      for (int p = 0; p < ss_net_get_n_params (f->net); p++)
        {
          const SsParamInfo *info = ss_net_get_param_info (f->net, p);
          const float *g = ss_net_get_param_grad (f->net, p);
          gsize off = (gsize) (g - grads);
          if (!info->trainable)
            continue;
          if (ss_net_get_frozen (f->net, info->node))
            {
              for (gsize k = 0; k < info->len; k++)
                if (g[k] != 0.f)
                  g_error ("%s: frozen, yet its gradient [%" G_GSIZE_FORMAT "] is %g",
                           info->name, k, g[k]);
              n_frozen++;
            }
          else
            {
              if (memcmp (g, full + off, info->len * sizeof (float)) != 0)
                ss_assert_tensor_close (g, full + off, info->len, 0, 0, info->name);
              n_trainable++;
            }
        }
      g_assert_cmpint (n_frozen, >, 0);
      g_assert_cmpint (n_trainable, >, 0);

      /* SGD moves only what is not frozen. */
      arena = ss_net_get_arena (f->net, &len);
      before = g_memdup2 (arena, len * sizeof (float));
      sgd = ss_sgd_new (f->net, f->momentum, f->weight_decay, FALSE);
      ss_sgd_step (sgd, f->lr);
      for (int p = 0; p < ss_net_get_n_params (f->net); p++)
        {
          const SsParamInfo *info = ss_net_get_param_info (f->net, p);
          const float *w = ss_net_get_param (f->net, p);
          gsize off = (gsize) (w - arena);
          if (!info->trainable)
            continue;
          if (ss_net_get_frozen (f->net, info->node))
            g_assert_cmpmem (w, info->len * sizeof (float), before + off,
                             info->len * sizeof (float));
          else
            n_moved += memcmp (w, before + off, info->len * sizeof (float)) != 0;
        }
      g_assert_cmpint (n_moved, ==, n_trainable);
      memcpy (arena, before, len * sizeof (float));

      for (int i = 0; i < n_nodes; i++)
        ss_net_set_frozen (f->net, i, FALSE);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Thread counts                                                                              */

typedef struct {
  GArray *v[6];   /* logits, grads, input grad, running stats, eval logits, eval input grad */
} Run;

static const char *const run_labels[6] = {
  "train logits", "parameter gradients", "input gradient", "running statistics",
  "eval logits", "eval input gradient",
};

static GArray *
floats (const float *x,
        gsize        n)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (float), (guint) n);
  g_array_append_vals (a, x, (guint) n);
  return a;
}

static void
run_clear (Run *r)
{
  for (guint i = 0; i < G_N_ELEMENTS (r->v); i++)
    g_clear_pointer (&r->v[i], g_array_unref);
}

/* A fresh net with the fixture's weights, n_threads workers: a TRAIN pass and a Grad-CAM
 * pass. */
static void
run_net (const Fixture *f,
         int            n_threads,
         Run           *r)
{
  g_autoptr(SsNet) net = ss_net_new (f->arch, 0);
  g_autoptr(GError) error = NULL;
  gsize len;
  int last = ss_arch_get_n_nodes (f->arch) - 1;

  g_assert_true (ss_model_load_weights (net, f->state_path, &error));
  ss_net_set_n_threads (net, n_threads);
  g_assert_cmpint (ss_net_get_n_threads (net), ==, n_threads);

  train_pass (net, f);
  r->v[0] = floats (ss_net_get_output (net, last), (gsize) f->n * f->k);
  {
    const float *grads = ss_net_get_grad_arena (net, &len);
    r->v[1] = floats (grads, len);
  }
  r->v[2] = floats (ss_net_get_input_grad (net), f->n * f->in_len);
  r->v[3] = running_stats (net);

  ss_net_forward (net, f->x, f->n, SS_MODE_EVAL, NULL);
  {
    g_autofree float *dlogits = g_new0 (float, f->n * f->k);
    for (int i = 0; i < f->n; i++)
      dlogits[i * f->k + f->cam[i]] = 1.f;
    r->v[4] = floats (ss_net_get_output (net, last), (gsize) f->n * f->k);
    ss_net_backward (net, dlogits, SS_BACKWARD_INPUT_GRAD);
  }
  r->v[5] = floats (ss_net_get_input_grad (net), f->n * f->in_len);
}

static void
test_threads (Fixture       *f,
              gconstpointer  data)
{
  Run a = { 0 }, b = { 0 }, one = { 0 }, two = { 0 };

  g_test_summary ("Two runs with the same number of threads are bit-identical (logits, "
                  "gradients, running statistics, Grad-CAM gradients); 1 and 2 threads agree "
                  "to 1e-5.");
  run_net (f, 3, &a);
  run_net (f, 3, &b);
  for (guint i = 0; i < G_N_ELEMENTS (a.v); i++)
    {
      g_assert_cmpuint (a.v[i]->len, >, 0);
      if (memcmp (a.v[i]->data, b.v[i]->data, a.v[i]->len * sizeof (float)) != 0)
        ss_assert_tensor_close ((float *) a.v[i]->data, (float *) b.v[i]->data, a.v[i]->len,
                                0, 0, run_labels[i]);
      g_assert_cmpmem (a.v[i]->data, a.v[i]->len * sizeof (float), b.v[i]->data,
                       b.v[i]->len * sizeof (float));
    }
  run_net (f, 1, &one);
  run_net (f, 2, &two);
  for (guint i = 0; i < G_N_ELEMENTS (a.v); i++)
    {
      g_assert_cmpuint (one.v[i]->len, ==, two.v[i]->len);
      ss_assert_tensor_close ((float *) two.v[i]->data, (float *) one.v[i]->data, one.v[i]->len,
                              1e-5, 1e-5, run_labels[i]);
    }
  run_clear (&a);
  run_clear (&b);
  run_clear (&one);
  run_clear (&two);
}

/* ------------------------------------------------------------------------------------------ */
/* The engine-made model file (engine → PyTorch; gen-net.py checks the PyTorch side)          */

#define ENGINE_MODEL   "engine-tiny.safetensors"
#define ENGINE_LOGITS  "engine-tiny-logits.safetensors"
#define ENGINE_DATASET "random (test-net --write-engine-model)"
#define ENGINE_STEPS   3

static void
test_engine_model (void)
{
  g_autofree char *path = ss_test_data_path (ENGINE_MODEL);
  g_autofree char *io_path = ss_test_data_path (ENGINE_LOGITS);
  g_autofree char *tiny_path = ss_test_data_path ("net-tiny.safetensors");
  g_autoptr(SsSafetensors) rec = NULL, tiny = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsArch) tiny_arch = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json_a = NULL, *json_b = NULL;
  const SsTensorView *x;
  const SsArch *arch;
  int n, k;

  g_test_summary ("The committed model that the engine wrote (test-net --write-engine-model; "
                  "gen-net.py loads it into PyTorch with load_state_dict(strict=True) and "
                  "checks these logits) loads with ss_model_load and still gives the recorded "
                  "EVAL and TRAIN logits; its architecture and metadata are kept.");
  net = ss_model_load (path, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (meta, SS_MODEL_META_DATASET), ==, ENGINE_DATASET);

  tiny = ss_safetensors_load (tiny_path, &error);
  g_assert_no_error (error);
  tiny_arch = ss_arch_new_from_json (ss_safetensors_get_metadata (tiny, SS_MODEL_META_ARCH), -1,
                                     &error);
  g_assert_no_error (error);
  arch = ss_net_get_arch (net);
  json_a = ss_arch_to_json (arch);
  json_b = ss_arch_to_json (tiny_arch);
  g_assert_cmpstr (json_a, ==, json_b);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    if (ss_arch_get_node (arch, i)->op == SS_OP_BATCHNORM)
      g_assert_cmpint (ss_net_get_batches_tracked (net, i), ==, ENGINE_STEPS);

  rec = ss_safetensors_load (io_path, &error);
  g_assert_no_error (error);
  x = ref_get (rec, "input");
  n = (int) x->shape[0];
  k = ss_arch_get_n_classes (arch);
  check_ref (rec, ss_net_forward (net, x->data, n, SS_MODE_EVAL, NULL), (gsize) n * k,
             "eval/logits", 1e-5, 1e-5);
  check_ref (rec, ss_net_forward (net, x->data, n, SS_MODE_TRAIN, NULL), (gsize) n * k,
             "train/logits", 1e-5, 1e-5);
}

/* Writes ENGINE_MODEL and ENGINE_LOGITS into dir: the tiny net trained by the engine for a few
 * SGD steps on seeded random data, and its logits for a seeded batch. Deterministic. */
static int
write_engine_model (const char *dir)
{
  g_autofree char *tiny_path = g_build_filename (dir, "net-tiny.safetensors", NULL);
  g_autofree char *model_path = g_build_filename (dir, ENGINE_MODEL, NULL);
  g_autofree char *io_path = g_build_filename (dir, ENGINE_LOGITS, NULL);
  g_autoptr(SsSafetensors) tiny = NULL;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsSgd) sgd = NULL;
  g_autoptr(SsSafetensorsWriter) w = ss_safetensors_writer_new ();
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autofree float *x = NULL, *probs = NULL, *dlogits = NULL, *eval = NULL;
  g_autofree guint8 *labels = NULL;
  const int n_train = 8, n_rec = 4;
  int c, h, wd, k;
  gint64 shape[4];
  SsRng rng;

  tiny = ss_safetensors_load (tiny_path, &error);
  g_assert_no_error (error);
  arch = ss_arch_new_from_json (ss_safetensors_get_metadata (tiny, SS_MODEL_META_ARCH), -1,
                                &error);
  g_assert_no_error (error);
  ss_arch_get_input (arch, &c, &h, &wd);
  k = ss_arch_get_n_classes (arch);
  net = ss_net_new (arch, 7);
  ss_net_set_n_threads (net, 1);
  sgd = ss_sgd_new (net, 0.9, 5e-4, FALSE);

  x = g_new (float, n_train * c * h * wd);
  probs = g_new (float, n_train * k);
  dlogits = g_new (float, n_train * k);
  labels = g_new (guint8, n_train);
  ss_rng_seed (&rng, 4242);
  for (int step = 0; step < ENGINE_STEPS; step++)
    {
      const float *logits;
      ss_test_fill_uniform (x, (gsize) n_train * c * h * wd, -2.f, 2.f, 100 + step);
      for (int i = 0; i < n_train; i++)
        labels[i] = (guint8) ss_rng_below (&rng, (guint32) k);
      logits = ss_net_forward (net, x, n_train, SS_MODE_TRAIN, NULL);
      ss_softmax_xent_forward (probs, logits, labels, n_train, k, NULL);
      ss_softmax_xent_backward (dlogits, probs, labels, n_train, k, 1.f / n_train);
      ss_net_zero_grad (net);
      ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
      ss_sgd_step (sgd, 0.05);
    }
  g_hash_table_insert (meta, (char *) SS_MODEL_META_DATASET, (char *) ENGINE_DATASET);
  if (!ss_model_save (net, model_path, meta, &error))
    g_error ("%s", error->message);

  ss_test_fill_uniform (x, (gsize) n_rec * c * h * wd, -2.f, 2.f, 999);
  shape[0] = n_rec; shape[1] = c; shape[2] = h; shape[3] = wd;
  ss_safetensors_writer_add (w, "input", SS_DTYPE_F32, shape, 4, x);
  shape[1] = k;
  eval = g_memdup2 (ss_net_forward (net, x, n_rec, SS_MODE_EVAL, NULL),
                    sizeof (float) * n_rec * k);
  ss_safetensors_writer_add (w, "eval/logits", SS_DTYPE_F32, shape, 2, eval);
  ss_safetensors_writer_add (w, "train/logits", SS_DTYPE_F32, shape, 2,
                             ss_net_forward (net, x, n_rec, SS_MODE_TRAIN, NULL));
  ss_safetensors_writer_add_metadata (w, "generator", "tests/test-net --write-engine-model");
  if (!ss_safetensors_writer_save (w, io_path, &error))
    g_error ("%s", error->message);
  g_print ("wrote %s and %s\n", model_path, io_path);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */

static void
add_case (const char    *what,
          const NetCase *nc,
          void         (*func) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/net/%s/%s", what, nc->name);
  g_test_add (path, Fixture, nc, fixture_set_up, func, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  /* Maintainer mode, see tests/reference/gen-net.py: test-net --write-engine-model tests/data */
  if (argc == 3 && g_str_equal (argv[1], "--write-engine-model"))
    return write_engine_model (argv[2]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (net_cases); i++)
    {
      add_case ("reference/load-weights", &net_cases[i], test_load_weights);
      add_case ("reference/train", &net_cases[i], test_train);
      add_case ("reference/sgd", &net_cases[i], test_sgd);
      add_case ("reference/eval", &net_cases[i], test_eval);
      add_case ("frozen", &net_cases[i], test_frozen);
      add_case ("threads", &net_cases[i], test_threads);
    }
  g_test_add_func ("/net/interop/engine-model", test_engine_model);
  return g_test_run ();
}
