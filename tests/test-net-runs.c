/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Whole networks run in other ways than test-net.c's PyTorch comparison: frozen layers,
 * thread counts, and the engine → PyTorch model-file round trip, whose committed files the
 * --write-engine-model maintainer mode writes.  The fixture is in net-fixture.c.
 *
 * Legend: N batch, K classes, (C, H, W) the input or a node's output shape; everything float32
 * NCHW.
 */

#include <string.h>

#include "ss-loss.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-optim.h"
#include "ss-rng.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"
#include "net-fixture.h"

/* ------------------------------------------------------------------------------------------ */
/* Frozen layers                                                                              */

/* Forward in mode, mean cross-entropy, backward of the parameter gradients only. */
static void
param_pass (SsNet            *net,
            const NetFixture *f,
            SsMode            mode)
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
test_frozen (NetFixture    *f,
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
run_net (const NetFixture *f,
         int               n_threads,
         Run              *r)
{
  g_autoptr(SsNet) net = ss_net_new (f->arch, 0);
  g_autoptr(GError) error = NULL;
  gsize len;
  int last = ss_arch_get_n_nodes (f->arch) - 1;

  g_assert_true (ss_model_load_weights (net, f->state_path, &error));
  ss_net_set_n_threads (net, n_threads);
  g_assert_cmpint (ss_net_get_n_threads (net), ==, n_threads);

  net_fixture_train_pass (net, f);
  r->v[0] = floats (ss_net_get_output (net, last), (gsize) f->n * f->k);
  {
    const float *grads = ss_net_get_grad_arena (net, &len);
    r->v[1] = floats (grads, len);
  }
  r->v[2] = floats (ss_net_get_input_grad (net), f->n * f->in_len);
  r->v[3] = net_fixture_running_stats (net);

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
test_threads (NetFixture    *f,
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
/* ENGINE_DATASET and the "generator" below keep the name the binary had when the committed files
 * were written (this mode was in test-net then), so rewriting them gives the same bytes. */
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

  g_test_summary ("The committed model that the engine wrote (test-net-runs --write-engine-model; "
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
  x = net_fixture_ref_get (rec, "input");
  n = (int) x->shape[0];
  k = ss_arch_get_n_classes (arch);
  net_fixture_check_ref (rec, ss_net_forward (net, x->data, n, SS_MODE_EVAL, NULL),
                         (gsize) n * k, "eval/logits", 1e-5, 1e-5);
  net_fixture_check_ref (rec, ss_net_forward (net, x->data, n, SS_MODE_TRAIN, NULL),
                         (gsize) n * k, "train/logits", 1e-5, 1e-5);
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
  g_autofree SsLabel *labels = NULL;
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
  labels = g_new (SsLabel, n_train);
  ss_rng_seed (&rng, 4242);
  for (int step = 0; step < ENGINE_STEPS; step++)
    {
      const float *logits;
      ss_test_fill_uniform (x, (gsize) n_train * c * h * wd, -2.f, 2.f, 100 + step);
      for (int i = 0; i < n_train; i++)
        labels[i] = (SsLabel) ss_rng_below (&rng, (guint32) k);
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

int
main (int   argc,
      char *argv[])
{
  /* Maintainer mode, see tests/reference/gen-net.py:
   *   test-net-runs --write-engine-model tests/data */
  if (argc == 3 && g_str_equal (argv[1], "--write-engine-model"))
    return write_engine_model (argv[2]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < net_fixture_n_cases; i++)
    {
      net_fixture_add_case ("frozen", &net_fixture_cases[i], test_frozen);
      net_fixture_add_case ("threads", &net_fixture_cases[i], test_threads);
    }
  g_test_add_func ("/net/interop/engine-model", test_engine_model);
  return g_test_run ();
}
