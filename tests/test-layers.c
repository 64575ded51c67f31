/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Layer kernels checked against their own mathematics: finite-difference gradients and direct
 * checks of forwards.  PyTorch fixtures and thread-count determinism are in
 * test-layers-reference.c; the Layer wrappers both use are in layers-check.c.
 *
 * Legend: N batch, C channels, H W input size, O filters/outputs, K kernel, S stride,
 * P padding, G groups, D dilation, HW = H·W; everything float32 NCHW.
 *
 * Every layer is wrapped in a Layer: t[0] is the input, t[1..] the parameters, out the output.
 * The gradient check uses the scalar objective L = Σ r·out with fixed random r, evaluated in
 * double from the float forward, and compares the analytic backward with the central
 * difference (L(x + ε) - L(x - ε)) / (x₊ - x₋), where x₊ and x₋ are the float values actually
 * used. Points where ±ε changes a discrete state (ReLU mask, max-pool arg-max) are skipped.
 */

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ss-activation.h"
#include "ss-batchnorm.h"
#include "ss-conv.h"
#include "ss-loss.h"
#include "ss-pool.h"
#include "ss-rng.h"
#include "ss-test-util.h"
#include "layers-check.h"

#define MAX_CHECKED 300  /* finite differences per tensor */

/* ---- finite-difference gradient check ------------------------------------------------------ */

static double
objective (Layer *l, const float *r)
{
  double sum = 0;

  l->forward (l, 1);
  if (l->spec->kind == LAYER_XENT)
    return r[0] * l->loss;
  for (gsize j = 0; j < l->out_len; j++)
    sum += (double) r[j] * l->out[j];
  return sum;
}

/* The acceptance rule: every checked |ana - num| ≤ ATOL·max|num| + RTOL·|num|. Float forwards
 * with ε = 1e-2 leave differences below 2e-5 of the largest gradient (the layers are linear in
 * each input except BN, whose O(ε²) truncation error at ε = 3e-3 stays below 1e-4), so 2e-3
 * passes with a 20x margin; a gradient 10 % off overshoots it 25x at the largest entry, which
 * the test verifies for every tensor by feeding 1.1·ana through the same rule. */
#define FD_ATOL 2e-3
#define FD_RTOL 2e-3

/* ana, num, skip (n): analytic and numeric gradients, points not checked. */
static gboolean
fd_accept (const double *ana, const double *num, const gboolean *skip, gsize n, double scale,
           double factor, double *worst)
{
  gboolean ok = TRUE;

  *worst = 0;
  for (gsize j = 0; j < n; j++)
    {
      double err;
      if (skip[j])
        continue;
      err = fabs (factor * ana[j] - num[j]);
      *worst = MAX (*worst, err / scale);
      if (!(err <= FD_ATOL * scale + FD_RTOL * fabs (num[j])))
        ok = FALSE;
    }
  return ok;
}

static void
check_gradients (Layer *l, guint64 seed)
{
  g_autofree float *r = layers_check_random_floats (l->out_len, -1.f, 1.f, seed);
  g_autofree guint8 *state0 = l->state_bytes > 0 ? g_malloc (l->state_bytes) : NULL;
  float *g0[LAYER_MAX_T] = { NULL }, *g[LAYER_MAX_T] = { NULL };

  l->forward (l, 1);
  if (state0 != NULL)
    memcpy (state0, l->state, l->state_bytes);
  for (int k = 0; k < l->n_t; k++)
    {
      /* Non-zero starting gradients check that backward accumulates. */
      g0[k] = layers_check_random_floats (l->len[k], -0.5f, 0.5f, seed + 10 + k);
      g[k] = g_memdup2 (g0[k], sizeof (float) * l->len[k]);
    }
  l->backward (l, g, r, 1);

  /* Any subset of gradient outputs may be NULL; each alone must come out bit-identical. */
  for (int k = 0; k < l->n_t && l->n_t > 1; k++)
    {
      float *only[LAYER_MAX_T] = { NULL };
      only[k] = g_memdup2 (g0[k], sizeof (float) * l->len[k]);
      l->backward (l, only, r, 1);
      g_assert_cmpmem (only[k], sizeof (float) * l->len[k], g[k], sizeof (float) * l->len[k]);
      g_free (only[k]);
    }

  for (int k = 0; k < l->n_t; k++)
    {
      const gsize n = l->len[k];
      const gsize stride = MAX (n / MAX_CHECKED, 1);
      g_autofree double *ana = g_new0 (double, n);
      g_autofree double *num = g_new0 (double, n);
      g_autofree gboolean *skip = g_new0 (gboolean, n);
      gsize n_checked = 0, n_skipped = 0;
      double scale = 0, worst, worst_wrong;

      for (gsize j = 0; j < n; j++)
        {
          float v = l->t[k][j], xp = v + l->eps, xm = v - l->eps;
          double lp, lm;
          gboolean kink = FALSE;

          ana[j] = (double) g[k][j] - g0[k][j];
          if (j % stride != 0)
            {
              skip[j] = TRUE;
              continue;
            }
          l->t[k][j] = xp;
          lp = objective (l, r);
          kink |= state0 != NULL && memcmp (state0, l->state, l->state_bytes) != 0;
          l->t[k][j] = xm;
          lm = objective (l, r);
          kink |= state0 != NULL && memcmp (state0, l->state, l->state_bytes) != 0;
          l->t[k][j] = v;
          if (kink)
            {
              skip[j] = TRUE;
              n_skipped++;
              continue;
            }
          num[j] = (lp - lm) / ((double) xp - (double) xm);
          scale = MAX (scale, fabs (num[j]));
          n_checked++;
        }
      g_assert_cmpuint (n_checked, >, n_skipped);
      g_assert_cmpfloat (scale, >, 1e-3);  /* a vanishing gradient would prove nothing */
      if (!fd_accept (ana, num, skip, n, scale, 1.0, &worst))
        {
          g_autofree char *msg =
            g_strdup_printf ("%s %s: analytic and finite-difference gradients differ by %.3g "
                             "of max |grad| %.3g", l->spec->name, l->label[k], worst, scale);
          g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
        }
      g_assert_false (fd_accept (ana, num, skip, n, scale, 1.1, &worst_wrong));
      g_test_message ("%s %s: %" G_GSIZE_FORMAT " checked, %" G_GSIZE_FORMAT " skipped at "
                      "kinks, worst error %.2g of max |grad| %.3g (1.1x gradient: %.2g)",
                      l->spec->name, l->label[k], n_checked, n_skipped, worst, scale, worst_wrong);
    }
  for (int k = 0; k < l->n_t; k++)
    g_free (g0[k]), g_free (g[k]);
}

static void
test_backward (gconstpointer data)
{
  const LayerSpec *s = data;
  g_autoptr (Layer) l = layers_check_new (s, 1000);

  g_test_summary ("Analytic gradients of the input and every parameter (accumulated into "
                  "non-zero buffers, each also computed alone) match central differences.");
  if (s->kind == LAYER_MAXPOOL)
    {
      /* Distinct values 0.05 apart, shuffled: no ties, so nothing near a kink. */
      SsRng rng;
      ss_rng_seed (&rng, 5);
      for (gsize j = 0; j < l->len[0]; j++)
        l->t[0][j] = 0.05f * ((float) j - 0.5f * (float) l->len[0]);
      for (gsize j = l->len[0]; j > 1; j--)
        {
          guint32 i = ss_rng_below (&rng, (guint32) j);
          float t = l->t[0][j - 1];
          l->t[0][j - 1] = l->t[0][i], l->t[0][i] = t;
        }
      /* One near-tie for the window maximum at (0, 0): both points must be skipped. */
      l->t[0][0] = 10.f, l->t[0][1] = 10.004f;
    }
  if (s->kind == LAYER_RELU)
    l->t[0][0] = 0.004f, l->t[0][1] = -0.002f;  /* within ε of the kink: skipped */
  check_gradients (l, 2000);
}

/* ---- direct checks of forwards ------------------------------------------------------------- */

static void
test_conv_forward (gconstpointer data)
{
  const LayerSpec *s = data;
  g_autoptr (Layer) l = layers_check_new (s, 6000);
  g_autofree float *want = g_new (float, l->out_len);
  const SsConvDims *d = &l->cd;
  const int cg = d->c / d->g, og = d->o / d->g;

  g_test_summary ("The GEMM paths (im2col, row shifts, 1x1, several samples per GEMM, one "
                  "sample over several threads) equal the textbook seven-loop grouped, dilated "
                  "convolution computed in double, for 1 to 3 threads.");
  for (int i = 0; i < d->n; i++)
    for (int o = 0; o < d->o; o++)
      for (int oy = 0; oy < d->oh; oy++)
        for (int ox = 0; ox < d->ow; ox++)
          {
            double sum = s->flag ? l->t[2][o] : 0;
            for (int c = 0; c < cg; c++)
              for (int ky = 0; ky < d->k; ky++)
                for (int kx = 0; kx < d->k; kx++)
                  {
                    /* Filter o sees input channels (o / OG)·CG + c. */
                    int y = oy * d->s - d->p + ky * d->dl, x = ox * d->s - d->p + kx * d->dl;
                    int ci = o / og * cg + c;
                    if (y >= 0 && y < d->h && x >= 0 && x < d->w)
                      sum += (double) l->t[0][((i * d->c + ci) * d->h + y) * d->w + x]
                             * l->t[1][((o * cg + c) * d->k + ky) * d->k + kx];
                  }
            want[((i * d->o + o) * d->oh + oy) * d->ow + ox] = (float) sum;
          }
  for (int nt = 1; nt <= LAYER_MAX_THREADS; nt++)
    {
      g_autofree char *what = g_strdup_printf ("%s, %d threads", s->name, nt);
      /* float32 sums of CG·K·K products of values in [-1, 1): the rounding grows with them. */
      double tol = 1e-5 * MAX (1.0, cg * d->k * d->k / 64.0);
      l->forward (l, nt);
      ss_assert_tensor_close (l->out, want, l->out_len, tol, 1e-5, what);
    }
}

/* The post-ops of ss_conv_forward_post, as the separate layers compute them. */
static void
test_conv_post (gconstpointer data)
{
  const LayerSpec *s = data;
  g_autoptr (Layer) l = layers_check_new (s, 6100);
  const SsConvDims *d = &l->cd;
  const gsize hw = (gsize) d->oh * d->ow;
  g_autofree float *mean = layers_check_random_floats (d->o, -0.5f, 0.5f, 1);
  g_autofree float *var = layers_check_random_floats (d->o, 0.5f, 2.f, 2);
  g_autofree float *gamma = layers_check_random_floats (d->o, 0.5f, 1.5f, 3);
  g_autofree float *beta = layers_check_random_floats (d->o, -0.5f, 0.5f, 4);
  g_autofree float *res = layers_check_random_floats (l->out_len, -1.f, 1.f, 5);
  g_autofree float *scale = g_new (float, d->o), *invstd = g_new (float, d->o);
  g_autofree float *m2 = g_new (float, d->o);
  g_autofree float *want = g_new (float, l->out_len), *got = g_new (float, l->out_len);

  g_test_summary ("A conv with batch norm (eval), residual add and ReLU fused into its output "
                  "pass gives the separate layers' results bit for bit, on every path and "
                  "thread count.");
  for (int o = 0; o < d->o; o++)
    {
      /* As ss_batchnorm_forward_eval and the net's fused predict compute it. */
      float istd = (float) (1.0 / sqrt ((double) var[o] + (double) 1e-5f));
      scale[o] = istd * gamma[o];
    }
  for (int nt = 1; nt <= LAYER_MAX_THREADS; nt++)
    for (int mode = 0; mode < 8; mode++)
      {
        const gboolean bn = mode & 1, add = mode & 2, relu = mode & 4;
        SsConvPost post = { bn ? mean : NULL, scale, beta, add ? res : NULL, relu };
        g_autofree char *what = g_strdup_printf ("%s, %d threads, bn %d add %d relu %d",
                                                 s->name, nt, bn, add != 0, relu != 0);

        l->forward (l, nt);
        memcpy (want, l->out, sizeof (float) * l->out_len);
        if (bn)
          ss_batchnorm_forward_eval (want, m2, invstd, want, gamma, beta, mean, var, d->n, d->o,
                                     (int) hw, 1e-5f, nt);
        if (add)
          ss_add_forward (want, want, res, l->out_len);
        if (relu)
          ss_relu_forward (want, want, l->out_len);
        ss_conv_forward_post (got, l->t[0], l->t[1], s->flag ? l->t[2] : NULL, &post, l->ws, d,
                              nt);
        if (memcmp (got, want, sizeof (float) * l->out_len) != 0)
          ss_assert_tensor_close (got, want, l->out_len, 0, 0, what);
      }
}

static void
test_conv_dims (void)
{
  SsConvDims d;

  g_test_summary ("Grouped and dilated dims: the effective kernel (K - 1)·D + 1 sets the output "
                  "size; groups that do not divide C and O, groups or dilation below 1, and "
                  "kernels wider than the padded input are refused.");
  g_assert_true (ss_conv_dims_init_full (&d, 1, 4, 9, 8, 6, 3, 2, 2, 2, 2));
  g_assert_cmpint (d.oh, ==, 5);   /* (9 + 4 - 5)/2 + 1 */
  g_assert_cmpint (d.ow, ==, 4);   /* (8 + 4 - 5)/2 + 1 */
  g_assert_true (ss_conv_dims_init_full (&d, 1, 2, 7, 7, 2, 3, 1, 0, 1, 3));
  g_assert_cmpint (d.oh, ==, 1);
  g_assert_false (ss_conv_dims_init_full (&d, 1, 2, 6, 7, 2, 3, 1, 0, 1, 3));
  g_assert_false (ss_conv_dims_init_full (&d, 1, 6, 5, 5, 4, 3, 1, 1, 3, 1));  /* 4 % 3 */
  g_assert_false (ss_conv_dims_init_full (&d, 1, 5, 5, 5, 6, 3, 1, 1, 3, 1));  /* 5 % 3 */
  g_assert_false (ss_conv_dims_init_full (&d, 1, 4, 5, 5, 4, 3, 1, 1, 0, 1));
  g_assert_false (ss_conv_dims_init_full (&d, 1, 4, 5, 5, 4, 3, 1, 1, 1, 0));
  g_assert_true (ss_conv_dims_init (&d, 1, 4, 5, 5, 4, 3, 1, 1));
  g_assert_cmpint (d.g, ==, 1);
  g_assert_cmpint (d.dl, ==, 1);
}

/* Wide layers (a group's weights over 128 Ki floats), whose forward puts several small maps in
 * one GEMM (ss-conv.c's BATCH_WEIGHTS): too big for finite differences.
 *            name            kind           n  c    h  w  o    k  s  p  flag g  dl */
static const LayerSpec wide_specs[] = {
  { "conv/3x3-s1-p1-wide", LAYER_CONV, 5, 128, 4, 4, 128, 3, 1, 1, 1 },
  { "conv/3x3-s1-p1-g2-wide", LAYER_CONV, 3, 256, 3, 3, 256, 3, 1, 1, 0, 2, 1 },
  { "conv/3x3-s2-p2-d2-wide", LAYER_CONV, 4, 128, 7, 6, 128, 3, 2, 2, 1, 1, 2 },
  { "conv/1x1-s1-p0-wide", LAYER_CONV, 4, 512, 3, 3, 256, 1, 1, 0, 1 },
  { "conv/1x1-s2-p0-wide", LAYER_CONV, 4, 512, 5, 5, 256, 1, 2, 0, 0 },
};

static void
test_maxpool_ties (void)
{
  SsPoolDims d;
  float in[2 * 16], out[2 * 4];
  gint32 argmax[2 * 4];

  g_test_summary ("Max-pool padding never wins, even over -inf, and ties go to the first "
                  "element in row-major window order.");
  g_assert_true (ss_pool_dims_init (&d, 1, 2, 4, 4, 3, 2, 1));
  g_assert_cmpint (d.oh, ==, 2);
  for (int j = 0; j < 16; j++)
    in[j] = -1.f, in[16 + j] = -INFINITY;
  in[5] = in[6] = 2.f;  /* a tie inside windows (0,0), (0,1), (1,0), (1,1) */
  ss_maxpool_forward (out, argmax, in, &d, 1);
  for (int j = 0; j < 4; j++)
    {
      g_assert_cmpfloat (out[j], ==, 2.f);
      g_assert_cmpint (argmax[j], ==, 5);
      g_assert_cmpfloat (out[4 + j], ==, -INFINITY);
    }
  /* All -inf: the first real pixel of each window (padding rows/columns skipped). */
  g_assert_cmpint (argmax[4], ==, 0);
  g_assert_cmpint (argmax[5], ==, 1);
  g_assert_cmpint (argmax[6], ==, 4);
  g_assert_cmpint (argmax[7], ==, 5);
}

static void
test_dropout_mask (void)
{
  const gsize n = 20000;
  const float p = 0.25f;
  g_autofree float *in = layers_check_random_floats (n, -1.f, 1.f, 7);
  g_autofree float *out = g_new (float, n), *mask = g_new (float, n);
  SsRng rng, check;
  gsize dropped = 0;

  g_test_summary ("Dropout draws from the RNG in element order (u < p drops) and scales the "
                  "kept values by 1/(1-p).");
  ss_rng_seed (&rng, 11);
  ss_rng_seed (&check, 11);
  ss_dropout_forward (out, mask, in, n, p, &rng);
  for (gsize j = 0; j < n; j++)
    {
      gboolean drop = ss_rng_uniform (&check) < p;
      g_assert_cmpfloat (mask[j], ==, drop ? 0.f : 1.f / (1.f - p));
      g_assert_cmpfloat (out[j], ==, in[j] * mask[j]);
      dropped += drop;
    }
  g_assert_cmpuint (rng.s[0], ==, check.s[0]);
  /* 5 standard deviations of the binomial. */
  g_assert_cmpfloat (fabs ((double) dropped / n - p), <, 5 * sqrt (p * (1 - p) / n));
}

static void
test_xent_stable (void)
{
  const float logits[2 * 3] = { 1000.f, 1001.f, 1001.f, -1000.f, -1000.f, -1003.f };
  const SsLabel labels[2] = { 2, 0 };
  float probs[6];
  int correct = -1;
  double loss, want;

  g_test_summary ("Softmax cross-entropy stays finite for huge logits; argmax ties go to the "
                  "lowest index.");
  loss = ss_softmax_xent_forward (probs, logits, labels, 2, 3, &correct);
  want = (log (exp (-1.0) + 2) - 0 + log (2 + exp (-3.0)) - 0) / 2;
  g_assert_cmpfloat_with_epsilon (loss, want, 1e-12);
  g_assert_cmpint (correct, ==, 1);  /* row 0 ties 1/2 → 1 (wrong); row 1 ties 0/1 → 0 */
  for (int j = 0; j < 6; j++)
    g_assert_true (isfinite (probs[j]));
  g_assert_cmpfloat_with_epsilon (probs[1], 1 / (exp (-1.0) + 2), 1e-7);
}

/* ---- tables -------------------------------------------------------------------------------- */

/* Tiny shapes for the gradient check; names are the test paths' last components.
 *            name            kind           n  c  h  w  o  k  s  p  flag */
static const LayerSpec grad_specs[] = {
  { "conv/3x3-s1-p1",   LAYER_CONV,    2, 3, 5, 6, 4, 3, 1, 1, 1 },
  { "conv/3x3-s2-p1",   LAYER_CONV,    2, 3, 7, 6, 4, 3, 2, 1, 1 },
  { "conv/3x3-s1-p0",   LAYER_CONV,    2, 2, 5, 7, 3, 3, 1, 0, 0 },
  { "conv/3x3-s2-p0",   LAYER_CONV,    3, 2, 7, 5, 3, 3, 2, 0, 1 },
  { "conv/3x3-s1-p2",   LAYER_CONV,    1, 2, 4, 5, 3, 3, 1, 2, 1 },
  { "conv/1x1-s1-p0",   LAYER_CONV,    2, 3, 4, 5, 2, 1, 1, 0, 1 },
  { "conv/1x1-s2-p0",   LAYER_CONV,    2, 3, 5, 4, 4, 1, 2, 0, 0 },
  { "conv/1x1-s1-p1",   LAYER_CONV,    2, 2, 3, 4, 3, 1, 1, 1, 1 },
  { "conv/5x5-s2-p2",   LAYER_CONV,    2, 2, 8, 7, 3, 5, 2, 2, 1 },
  /* C·K ≥ 24 (and O·K ≥ 24 for din): the row-shift paths of ss-conv.c */
  { "conv/3x3-s1-p1-c8", LAYER_CONV,   2, 8, 5, 4, 9, 3, 1, 1, 1 },
  { "conv/3x3-s1-p0-c8", LAYER_CONV,   2, 8, 6, 5, 3, 3, 1, 0, 0 },
  { "conv/3x3-s1-p2-c8", LAYER_CONV,   1, 8, 3, 4, 8, 3, 1, 2, 1 },
  { "conv/5x5-s1-p2-c5", LAYER_CONV,   2, 5, 3, 2, 5, 5, 1, 2, 1 },
  /*                                     n  c  h  w  o  k  s  p  flag g  dl */
  { "conv/3x3-s1-p1-g2", LAYER_CONV,   2, 4, 5, 4, 6, 3, 1, 1, 1, 2, 1 },
  { "conv/3x3-s1-p1-dw", LAYER_CONV,   2, 3, 5, 5, 3, 3, 1, 1, 1, 3, 1 },
  { "conv/3x3-s2-p2-g2-d2", LAYER_CONV, 1, 4, 9, 8, 6, 3, 2, 2, 1, 2, 2 },
  { "conv/3x3-s1-p2-d2-c8", LAYER_CONV, 1, 8, 5, 6, 8, 3, 1, 2, 1, 1, 2 },
  { "conv/3x3-s1-p1-g2-c16", LAYER_CONV, 1, 16, 4, 4, 16, 3, 1, 1, 0, 2, 1 },
  { "conv/1x1-s1-p0-g2", LAYER_CONV,   2, 4, 3, 4, 6, 1, 1, 0, 1, 2, 1 },
  /* depthwise (one input channel per group): ss-conv-depthwise.c's direct kernels */
  { "conv/3x3-s2-p2-dw-d2", LAYER_CONV, 2, 3, 8, 7, 6, 3, 2, 2, 1, 3, 2 },
  { "conv/1x1-s1-p0-dw", LAYER_CONV,   2, 3, 3, 4, 3, 1, 1, 0, 0, 3, 1 },
  { "batchnorm/train-2d", LAYER_BN,    3, 3, 2, 4, 0, 0, 0, 0, 1 },
  { "batchnorm/eval-2d",  LAYER_BN,    3, 3, 2, 4, 0, 0, 0, 0, 0 },
  { "batchnorm/train-1d", LAYER_BN,    6, 4, 1, 1, 0, 0, 0, 0, 1 },
  { "maxpool/2x2-s2",   LAYER_MAXPOOL, 2, 2, 6, 5, 0, 2, 2, 0, 0 },
  { "maxpool/3x3-s2-p1", LAYER_MAXPOOL, 2, 2, 7, 6, 0, 3, 2, 1, 0 },
  { "avgpool/2x2-s2",   LAYER_AVGPOOL, 2, 2, 6, 5, 0, 2, 2, 0, 0 },
  { "avgpool/3x3-s2-p1", LAYER_AVGPOOL, 2, 2, 7, 6, 0, 3, 2, 1, 0 },
  { "gap/4x3",          LAYER_GAP,     2, 3, 4, 3, 0, 0, 0, 0, 0 },
  { "linear/bias",      LAYER_LINEAR,  3, 5, 1, 1, 4, 0, 0, 0, 1 },
  { "linear/no-bias",   LAYER_LINEAR,  2, 3, 1, 1, 5, 0, 0, 0, 0 },
  { "relu/60",          LAYER_RELU,    3, 4, 5, 1, 0, 0, 0, 0, 0 },
  { "dropout/60",       LAYER_DROPOUT, 3, 4, 5, 1, 0, 0, 0, 0, 0 },
  { "xent/4x5",         LAYER_XENT,    4, 5, 1, 1, 0, 0, 0, 0, 0 },
};

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  openblas_set_num_threads (1);  /* as the net does: parallelism is ours */

  layers_check_add_table ("backward", grad_specs, G_N_ELEMENTS (grad_specs), test_backward);
  for (gsize j = 0; j < G_N_ELEMENTS (grad_specs); j++)
    if (grad_specs[j].kind == LAYER_CONV)
      layers_check_add_table ("forward", &grad_specs[j], 1, test_conv_forward);
  for (gsize j = 0; j < G_N_ELEMENTS (grad_specs); j++)
    if (grad_specs[j].kind == LAYER_CONV)
      layers_check_add_table ("post", &grad_specs[j], 1, test_conv_post);
  layers_check_add_table ("forward", wide_specs, G_N_ELEMENTS (wide_specs), test_conv_forward);
  layers_check_add_table ("post", wide_specs, G_N_ELEMENTS (wide_specs), test_conv_post);
  g_test_add_func ("/layers/conv/dims", test_conv_dims);
  g_test_add_func ("/layers/maxpool/ties-padding", test_maxpool_ties);
  g_test_add_func ("/layers/dropout/mask", test_dropout_mask);
  g_test_add_func ("/layers/xent/stable", test_xent_stable);

  return g_test_run ();
}
