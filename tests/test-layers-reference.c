/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Layer kernels against outside references: thread-count determinism and PyTorch fixtures
 * (tests/reference/gen-layers.py).  Finite-difference gradients and direct checks of forwards
 * are in test-layers.c; the Layer wrappers both use are in layers-check.c.
 *
 * Legend: N batch, C channels, H W input size, O filters/outputs, K kernel, S stride,
 * P padding, G groups, D dilation, HW = H·W; everything float32 NCHW.
 */

#include <cblas.h>
#include <string.h>

#include "ss-batchnorm.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"
#include "layers-check.h"

/* ---- thread-count determinism -------------------------------------------------------------- */

/* r (out_len); g0[k], g[k] (len[k]); out (out_len): forward, then backward from g0 into g. */
static void
run_once (Layer *l, const float *r, float *const *g0, float **g, float *out, int nt)
{
  l->forward (l, nt);
  memcpy (out, l->out, sizeof (float) * l->out_len);
  for (int k = 0; k < l->n_t; k++)
    memcpy (g[k], g0[k], sizeof (float) * l->len[k]);
  l->backward (l, g, r, nt);
}

static void
test_threads (gconstpointer data)
{
  const LayerSpec *s = data;
  g_autoptr (Layer) l = layers_check_new (s, 3000);
  g_autofree float *r = layers_check_random_floats (l->out_len, -1.f, 1.f, 4000);
  g_autofree float *out1 = g_new (float, l->out_len);
  g_autofree float *out = g_new (float, l->out_len);
  g_autofree float *again = g_new (float, l->out_len);
  float *g0[LAYER_MAX_T] = { NULL }, *g1[LAYER_MAX_T] = { NULL };
  float *g[LAYER_MAX_T] = { NULL }, *h[LAYER_MAX_T] = { NULL };

  g_test_summary ("n_threads = 1, 2, 3 give forwards (bit-identical except conv, within "
                  "1e-5: its GEMM shapes follow the thread count) and backwards within 1e-6; two runs with "
                  "the same n_threads are bit-identical.");
  for (int k = 0; k < l->n_t; k++)
    {
      g0[k] = layers_check_random_floats (l->len[k], -0.5f, 0.5f, 5000 + k);
      g1[k] = g_new (float, l->len[k]);
      g[k] = g_new (float, l->len[k]);
      h[k] = g_new (float, l->len[k]);
    }
  run_once (l, r, g0, g1, out1, 1);
  for (int nt = 1; nt <= LAYER_MAX_THREADS; nt++)
    {
      g_autofree char *what = NULL;
      run_once (l, r, g0, g, out, nt);
      run_once (l, r, g0, h, again, nt);
      what = g_strdup_printf ("%s out, %d threads vs 1", s->name, nt);
      /* Sums of up to C·K·K = 72 products in another order: a few ulps of Σ|terms| ≈ 20. */
      if (s->kind == LAYER_CONV)
        ss_assert_tensor_close (out, out1, l->out_len, 1e-5, 1e-5, what);
      else
        g_assert_cmpmem (out, sizeof (float) * l->out_len, out1, sizeof (float) * l->out_len);
      g_clear_pointer (&what, g_free);
      g_assert_cmpmem (again, sizeof (float) * l->out_len, out, sizeof (float) * l->out_len);
      for (int k = 0; k < l->n_t; k++)
        {
          g_assert_cmpmem (h[k], sizeof (float) * l->len[k], g[k], sizeof (float) * l->len[k]);
          what = g_strdup_printf ("%s %s, %d threads vs 1", s->name, l->label[k], nt);
          ss_assert_tensor_close (g[k], g1[k], l->len[k], 1e-6, 1e-6, what);
          g_clear_pointer (&what, g_free);
        }
    }
  for (int k = 0; k < l->n_t; k++)
    g_free (g0[k]), g_free (g1[k]), g_free (g[k]), g_free (h[k]);
}

/* ---- PyTorch fixtures ---------------------------------------------------------------------- */

static SsSafetensors *fixture;
static char *fixture_error;

static const float *
ref (const char *kase, const char *what, gsize n)
{
  g_autofree char *name = g_strdup_printf ("%s/%s", kase, what);
  const SsTensorView *v = ss_safetensors_lookup (fixture, name);

  if (v == NULL)
    g_test_message ("%s missing from layers.safetensors; rerun tests/reference/gen-layers.py",
                    name);
  g_assert_nonnull (v);
  g_assert_cmpint (v->dtype, ==, SS_DTYPE_F32);
  g_assert_cmpuint (v->n_bytes, ==, n * sizeof (float));
  return v->data;
}

/* Copies the fixture's tensors into the layer, runs it as the reference did with nt threads,
 * compares. */
static void
check_reference (const LayerSpec *s, int nt)
{
  g_autoptr (Layer) l = layers_check_new (s, 1);
  g_autofree char *kase = g_strdup_printf ("%s", s->name);
  g_autofree float *dout = NULL;
  const char *param_names[LAYER_MAX_T] = { "x", "w", "b", NULL };
  float *g[LAYER_MAX_T] = { NULL };
  const char *grad_names[LAYER_MAX_T] = { "dx", "dw", "db", NULL };
  /* Reductions of ≤ a few hundred float terms in a different order than PyTorch's, and BN's
   * division by a batch std of ~1: 1e-5 absolute and relative covers it with ~10x margin. */
  const double atol = 1e-5, rtol = 1e-5;

  if (s->kind == LAYER_BN)
    {
      param_names[1] = "gamma", param_names[2] = "beta";
      grad_names[1] = "dgamma", grad_names[2] = "dbeta";
      memcpy (l->aux[2], ref (kase, "running_mean", s->c), sizeof (float) * s->c);
      memcpy (l->aux[3], ref (kase, "running_var", s->c), sizeof (float) * s->c);
    }
  if (s->kind == LAYER_XENT)
    {
      const SsTensorView *v;
      g_autofree char *name = g_strdup_printf ("%s/labels", kase);
      v = ss_safetensors_lookup (fixture, name);
      g_assert_nonnull (v);
      g_assert_cmpint (v->dtype, ==, SS_DTYPE_I64);
      for (int i = 0; i < s->n; i++)
        l->labels[i] = (SsLabel) ((const gint64 *) v->data)[i];
    }
  for (int k = 0; k < l->n_t; k++)
    memcpy (l->t[k], ref (kase, param_names[k], l->len[k]), sizeof (float) * l->len[k]);

  if (s->kind == LAYER_BN && s->flag)
    {
      /* One train step from the fixture's running statistics. */
      const gsize c = s->c;
      ss_batchnorm_forward_train (l->out, l->aux[0], l->aux[1], l->aux[2], l->aux[3], l->t[0],
                                  l->t[1], l->t[2], s->n, s->c, s->h * s->w, 0.1f, 1e-5f, nt);
      ss_assert_tensor_close (l->aux[2], ref (kase, "running_mean_after", c), c, atol, rtol,
                              "running_mean");
      ss_assert_tensor_close (l->aux[3], ref (kase, "running_var_after", c), c, atol, rtol,
                              "running_var");
    }
  else
    l->forward (l, nt);
  if (s->kind == LAYER_XENT)
    {
      float loss = (float) l->loss;
      ss_assert_tensor_close (&loss, ref (kase, "loss", 1), 1, atol, rtol, "loss");
    }
  else
    ss_assert_tensor_close (l->out, ref (kase, "out", l->out_len), l->out_len, atol, rtol, "out");

  dout = g_memdup2 (ref (kase, "dout", l->out_len), sizeof (float) * l->out_len);
  for (int k = 0; k < l->n_t; k++)
    g[k] = g_new0 (float, l->len[k]);
  l->backward (l, g, dout, nt);
  for (int k = 0; k < l->n_t; k++)
    {
      ss_assert_tensor_close (g[k], ref (kase, grad_names[k], l->len[k]), l->len[k], atol, rtol,
                              grad_names[k]);
      g_free (g[k]);
    }
}

static void
test_reference (gconstpointer data)
{
  g_test_summary ("Forward, input and parameter gradients (and BN running statistics) equal "
                  "PyTorch 1.13's on the committed fixture, with 1, 2 and 3 threads (each a "
                  "different GEMM plan for conv).");
  if (fixture == NULL)
    {
      g_test_fail_printf ("%s", fixture_error);
      return;
    }
  for (int nt = 1; nt <= LAYER_MAX_THREADS; nt++)
    check_reference (data, nt);
}

/* ---- tables -------------------------------------------------------------------------------- */

/* Larger shapes with batches that split unevenly over 2 and 3 threads. */
static const LayerSpec thread_specs[] = {
  { "conv/3x3-s1-p1",   LAYER_CONV,    7, 8, 12, 11, 16, 3, 1, 1, 1 },
  { "conv/3x3-s2-p1",   LAYER_CONV,    5, 6, 9, 10, 7, 3, 2, 1, 1 },
  { "conv/1x1-s1-p0",   LAYER_CONV,    5, 16, 6, 6, 8, 1, 1, 0, 0 },
  { "conv/batch-2",     LAYER_CONV,    2, 3, 6, 6, 4, 3, 1, 1, 1 },
  /* one sample over several threads: channels split for the lowering, filters for the GEMM */
  { "conv/3x3-s1-p1-n1", LAYER_CONV,   1, 8, 12, 11, 16, 3, 1, 1, 1 },
  { "conv/3x3-s2-p1-n1", LAYER_CONV,   1, 6, 9, 10, 100, 3, 2, 1, 1 },
  { "conv/1x1-s1-p0-n2", LAYER_CONV,   2, 16, 6, 6, 40, 1, 1, 0, 1 },
  /*                                    n  c  h   w  o  k  s  p  flag g  dl */
  { "conv/3x3-g4-n1",   LAYER_CONV,    1, 8, 7, 7, 8, 3, 1, 1, 1, 4, 1 },
  { "conv/3x3-g2-d2",   LAYER_CONV,    5, 8, 9, 8, 6, 3, 1, 2, 1, 2, 2 },
  { "conv/3x3-dw-n1",   LAYER_CONV,    1, 16, 7, 7, 16, 3, 1, 1, 1, 16, 1 },
  { "conv/3x3-s2-dw",   LAYER_CONV,    5, 8, 9, 9, 16, 3, 2, 1, 1, 8, 1 },
  /* wide weights over small maps: several samples per forward GEMM */
  { "conv/3x3-wide",    LAYER_CONV,    7, 128, 4, 4, 128, 3, 1, 1, 1 },
  { "batchnorm/train-2d", LAYER_BN,    5, 7, 6, 6, 0, 0, 0, 0, 1 },
  { "batchnorm/eval-2d",  LAYER_BN,    5, 7, 6, 6, 0, 0, 0, 0, 0 },
  { "maxpool/3x3-s2-p1", LAYER_MAXPOOL, 5, 3, 9, 8, 0, 3, 2, 1, 0 },
  { "avgpool/2x2-s2",   LAYER_AVGPOOL, 5, 3, 9, 8, 0, 2, 2, 0, 0 },
  { "gap/6x6",          LAYER_GAP,     5, 7, 6, 6, 0, 0, 0, 0, 0 },
  { "linear/bias",      LAYER_LINEAR,  37, 33, 1, 1, 40, 0, 0, 0, 1 },
};

/* Cases of tests/reference/gen-layers.py (keep the two in sync). */
static const LayerSpec ref_specs[] = {
  { "conv/3x3-s1-p1",   LAYER_CONV,    2, 3, 6, 5, 4, 3, 1, 1, 1 },
  { "conv/3x3-s2-p1",   LAYER_CONV,    2, 3, 7, 6, 4, 3, 2, 1, 0 },
  { "conv/1x1-s1-p0",   LAYER_CONV,    2, 4, 3, 5, 3, 1, 1, 0, 1 },
  { "conv/5x5-s2-p2",   LAYER_CONV,    2, 2, 8, 7, 3, 5, 2, 2, 1 },
  { "conv/3x3-s1-p1-c8", LAYER_CONV,   2, 8, 5, 6, 8, 3, 1, 1, 1 },
  { "batchnorm/train-2d", LAYER_BN,    4, 3, 3, 5, 0, 0, 0, 0, 1 },
  { "batchnorm/eval-2d",  LAYER_BN,    4, 3, 3, 5, 0, 0, 0, 0, 0 },
  { "batchnorm/train-1d", LAYER_BN,    6, 5, 1, 1, 0, 0, 0, 0, 1 },
  { "maxpool/2x2-s2",   LAYER_MAXPOOL, 2, 3, 7, 6, 0, 2, 2, 0, 0 },
  { "maxpool/3x3-s2-p1", LAYER_MAXPOOL, 2, 3, 7, 6, 0, 3, 2, 1, 0 },
  { "avgpool/2x2-s2",   LAYER_AVGPOOL, 2, 3, 7, 6, 0, 2, 2, 0, 0 },
  { "avgpool/3x3-s2-p1", LAYER_AVGPOOL, 2, 3, 7, 6, 0, 3, 2, 1, 0 },
  { "gap/5x4",          LAYER_GAP,     2, 3, 5, 4, 0, 0, 0, 0, 0 },
  { "linear/bias",      LAYER_LINEAR,  5, 7, 1, 1, 3, 0, 0, 0, 1 },
  { "relu/24",          LAYER_RELU,    2, 3, 4, 1, 0, 0, 0, 0, 0 },
  { "xent/6x10",        LAYER_XENT,    6, 10, 1, 1, 0, 0, 0, 0, 0 },
  /*                                      n  c   h  w  o  k  s  p  flag g  dl */
  { "conv/3x3-s1-p1-g2", LAYER_CONV,    2, 4, 5, 4, 6, 3, 1, 1, 1, 2, 1 },
  { "conv/3x3-s1-p1-dw", LAYER_CONV,    2, 4, 5, 4, 4, 3, 1, 1, 1, 4, 1 },
  { "conv/3x3-s2-p1-dw2", LAYER_CONV,   2, 3, 7, 6, 6, 3, 2, 1, 0, 3, 1 },
  { "conv/3x3-s1-p2-d2", LAYER_CONV,    2, 3, 6, 5, 4, 3, 1, 2, 1, 1, 2 },
  { "conv/3x3-s1-p2-d2-c8", LAYER_CONV, 1, 8, 4, 5, 8, 3, 1, 2, 1, 1, 2 },
  { "conv/3x3-s1-p1-g2-c16", LAYER_CONV, 1, 16, 5, 4, 8, 3, 1, 1, 1, 2, 1 },
  { "conv/3x3-s2-p2-g2-d2", LAYER_CONV, 1, 4, 9, 8, 6, 3, 2, 2, 1, 2, 2 },
  { "conv/3x3-s1-p0-d3", LAYER_CONV,    1, 2, 9, 8, 3, 3, 1, 0, 1, 1, 3 },
  { "conv/1x1-s1-p0-g4", LAYER_CONV,    2, 8, 3, 5, 4, 1, 1, 0, 1, 4, 1 },
};

int
main (int argc, char *argv[])
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  openblas_set_num_threads (1);  /* as the net does: parallelism is ours */

  path = ss_test_data_path ("layers.safetensors");
  fixture = ss_safetensors_load (path, &error);
  if (fixture == NULL)
    fixture_error = g_strdup (error->message);

  layers_check_add_table ("threads", thread_specs, G_N_ELEMENTS (thread_specs), test_threads);
  layers_check_add_table ("reference", ref_specs, G_N_ELEMENTS (ref_specs), test_reference);

  ret = g_test_run ();
  g_clear_pointer (&fixture, ss_safetensors_free);
  g_free (fixture_error);
  return ret;
}
