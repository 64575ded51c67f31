/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Grad-CAM and vanilla saliency (core/ss-gradcam.h, SPEC §2): the hand-made checks.
 *
 * Legend: N samples, K classes, (C, H, W) the input, (C_L, h, w) a layer's output; float32 NCHW.
 *
 * A one-conv network whose CAM and input gradient are computed here from the weights by direct
 * loops in double; zero gradients give zero maps (no NaN); ties in the logits go to the lowest
 * class; a ReLU that is off everywhere gives zero maps; the saliency kinds of the layers; and
 * errors. The PyTorch reference checks are in test-gradcam.c.
 */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-gradcam.h"
#include "ss-net.h"
#include "ss-test-util.h"

/* ------------------------------------------------------------------------------------------ */
/* A one-conv network, by hand                                                                */

/* input 2×5×5 → conv(2→3, 3×3, pad 1, bias) → flatten → linear(75 → 4). */
#define HC 2
#define HH 5
#define HW 5
#define HF 3
#define HK 4

static SsNet *
one_conv_net (void)
{
  g_autoptr(SsArch) arch = ss_arch_new ("one-conv", HC, HH, HW, HK);
  g_autoptr(GError) error = NULL;
  SsNode conv = { .name = (char *) "conv", .op = SS_OP_CONV, .out = HF, .kernel = 3,
                  .stride = 1, .padding = 1, .bias = TRUE,
                  .inputs = { SS_NODE_PREVIOUS, SS_NODE_INPUT } };
  SsNode flatten = { .name = (char *) "flatten", .op = SS_OP_FLATTEN,
                     .inputs = { SS_NODE_PREVIOUS, SS_NODE_INPUT } };
  SsNode fc = { .name = (char *) "fc", .op = SS_OP_LINEAR, .out = HK, .bias = TRUE,
                .inputs = { SS_NODE_PREVIOUS, SS_NODE_INPUT } };
  SsNet *net;

  ss_arch_append (arch, &conv);
  ss_arch_append (arch, &flatten);
  ss_arch_append (arch, &fc);
  ss_arch_infer_shapes (arch, &error);
  g_assert_no_error (error);
  net = ss_net_new (arch, 3);
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    ss_test_fill_uniform (ss_net_get_param (net, p), ss_net_get_param_info (net, p)->len,
                          -0.5f, 0.5f, 100 + p);
  return net;
}

static float *
param (SsNet      *net,
       const char *name)
{
  int p = ss_net_find_param (net, name);
  g_assert_cmpint (p, >=, 0);
  return ss_net_get_param (net, p);
}

static void
normalise_d (double *v,
             int     len)
{
  double peak = 0;
  for (int i = 0; i < len; i++)
    peak = MAX (peak, v[i]);
  for (int i = 0; i < len; i++)
    v[i] = peak > 0 ? v[i] / peak : 0;
}

static void
test_one_conv (void)
{
  g_autoptr(SsNet) net = one_conv_net ();
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GError) error = NULL;
  const int n = 3;
  float x[3 * HC * HH * HW];
  const float *cw = param (net, "conv.weight");   /* (F, C, 3, 3) */
  const float *cb = param (net, "conv.bias");     /* (F) */
  const float *lw = param (net, "fc.weight");     /* (K, F·H·W) */
  const float *lb = param (net, "fc.bias");       /* (K) */
  int targets[3] = { 2, 0, 3 };

  g_test_summary ("A conv → flatten → linear net: A = conv(x), ∂y_c/∂A = the linear row of c, "
                  "so α_k is that row's mean over channel k's cells; the CAM and |∂y_c/∂x| "
                  "(max over channels) computed here by direct loops in double match.");
  ss_test_fill_uniform (x, G_N_ELEMENTS (x), -1.f, 1.f, 9);
  gc = ss_gradcam_compute (net, x, n, HC, HH, HW, targets, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_gradcam_get_n_layers (gc), ==, 1);
  g_assert_cmpstr (ss_gradcam_get_layer_name (gc, 0), ==, "conv");
  g_assert_cmpint (ss_gradcam_get_layer_kind (gc, 0), ==, SS_SALIENCY_CONV);

  for (int s = 0; s < n; s++)
    {
      const float *xs = x + s * HC * HH * HW;
      const float *row = lw + targets[s] * HF * HH * HW;
      double a[HF][HH][HW], cam[HH * HW] = { 0 }, dx[HC][HH][HW] = { { { 0 } } };
      double van[HH * HW], logit = lb[targets[s]];
      float camf[HH * HW], vanf[HH * HW];

      for (int f = 0; f < HF; f++)
        for (int i = 0; i < HH; i++)
          for (int j = 0; j < HW; j++)
            {
              double v = cb[f];
              for (int c = 0; c < HC; c++)
                for (int di = -1; di <= 1; di++)
                  for (int dj = -1; dj <= 1; dj++)
                    if (i + di >= 0 && i + di < HH && j + dj >= 0 && j + dj < HW)
                      v += cw[((f * HC + c) * 3 + di + 1) * 3 + dj + 1] *
                           xs[(c * HH + i + di) * HW + j + dj];
              a[f][i][j] = v;
              logit += row[(f * HH + i) * HW + j] * v;
            }
      g_assert_cmpfloat_with_epsilon (ss_gradcam_get_logits (gc)[s * HK + targets[s]], logit,
                                      1e-5);
      for (int f = 0; f < HF; f++)
        {
          double alpha = 0;
          for (int i = 0; i < HH * HW; i++)
            alpha += row[f * HH * HW + i];
          alpha /= HH * HW;
          for (int i = 0; i < HH; i++)
            for (int j = 0; j < HW; j++)
              cam[i * HW + j] += alpha * a[f][i][j];
        }
      for (int i = 0; i < HH * HW; i++)
        cam[i] = MAX (cam[i], 0);
      normalise_d (cam, HH * HW);

      /* ∂y_c/∂x[c][i+di][j+dj] += row[f][i][j] · w[f][c][di][dj] */
      for (int f = 0; f < HF; f++)
        for (int i = 0; i < HH; i++)
          for (int j = 0; j < HW; j++)
            for (int c = 0; c < HC; c++)
              for (int di = -1; di <= 1; di++)
                for (int dj = -1; dj <= 1; dj++)
                  if (i + di >= 0 && i + di < HH && j + dj >= 0 && j + dj < HW)
                    dx[c][i + di][j + dj] += row[(f * HH + i) * HW + j] *
                                             cw[((f * HC + c) * 3 + di + 1) * 3 + dj + 1];
      for (int i = 0; i < HH * HW; i++)
        van[i] = MAX (fabs (dx[0][i / HW][i % HW]), fabs (dx[1][i / HW][i % HW]));
      normalise_d (van, HH * HW);

      for (int i = 0; i < HH * HW; i++)
        {
          camf[i] = (float) cam[i];
          vanf[i] = (float) van[i];
        }
      ss_assert_tensor_close (ss_gradcam_get_map (gc, 0, s), camf, HH * HW, 1e-5, 0, "cam");
      ss_assert_tensor_close (ss_gradcam_get_vanilla (gc, s), vanf, HH * HW, 1e-5, 0,
                              "vanilla");
    }
}

static void
assert_all_zero (const float *v,
                 gsize        n)
{
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (v[i], ==, 0.f);
}

static void
test_zero_gradient (void)
{
  g_autoptr(SsNet) net = one_conv_net ();
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GError) error = NULL;
  float x[2 * HC * HH * HW];
  float *lw = param (net, "fc.weight");
  float *lb = param (net, "fc.bias");

  g_test_summary ("A class whose logit does not depend on anything (zero weights) gives "
                  "all-zero maps, Grad-CAM and vanilla, not NaN; tied logits pick the lowest "
                  "class.");
  ss_test_fill_uniform (x, G_N_ELEMENTS (x), -1.f, 1.f, 11);
  /* Classes 1 and 2 tie for the top logit, with zero weights: arg-max picks 1. */
  memset (lw + 1 * HF * HH * HW, 0, 2 * HF * HH * HW * sizeof (float));
  memset (lw, 0, HF * HH * HW * sizeof (float));
  lb[0] = -1.f;
  lb[1] = lb[2] = 5.f;
  lb[3] = -1.f;
  memset (lw + 3 * HF * HH * HW, 0, HF * HH * HW * sizeof (float));
  gc = ss_gradcam_compute (net, x, 2, HC, HH, HW, NULL, &error);
  g_assert_no_error (error);
  for (int s = 0; s < 2; s++)
    g_assert_cmpint (ss_gradcam_get_classes (gc)[s], ==, 1);
  assert_all_zero (ss_gradcam_get_maps (gc, 0), 2 * HH * HW);
  assert_all_zero (ss_gradcam_get_vanilla_maps (gc), 2 * HH * HW);
}

static void
test_relu_dead (void)
{
  g_autoptr(SsArch) arch = ss_arch_new ("dead", 1, 6, 6, 2);
  g_autoptr(SsNet) net = NULL;
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(GError) error = NULL;
  SsNode nodes[] = {
    { .name = (char *) "conv", .op = SS_OP_CONV, .out = 2, .kernel = 3, .padding = 1,
      .stride = 1, .bias = TRUE },
    { .name = (char *) "relu", .op = SS_OP_RELU },
    { .name = (char *) "pool", .op = SS_OP_MAXPOOL, .kernel = 2, .stride = 2 },
    { .name = (char *) "flatten", .op = SS_OP_FLATTEN },
    { .name = (char *) "fc", .op = SS_OP_LINEAR, .out = 2, .bias = TRUE },
  };
  float x[6 * 6];
  float *cb;

  g_test_summary ("A ReLU that is off everywhere blocks the gradient: every map (conv, ReLU, "
                  "pool) and the vanilla map are all zero.");
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      nodes[i].inputs[0] = SS_NODE_PREVIOUS;
      ss_arch_append (arch, &nodes[i]);
    }
  ss_arch_infer_shapes (arch, &error);
  g_assert_no_error (error);
  net = ss_net_new (arch, 4);
  cb = param (net, "conv.bias");
  cb[0] = cb[1] = -100.f;   /* far below any |w·x| with |x| < 1 */
  ss_test_fill_uniform (x, G_N_ELEMENTS (x), -1.f, 1.f, 12);
  gc = ss_gradcam_compute (net, x, 1, 1, 6, 6, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_gradcam_get_n_layers (gc), ==, 3);
  for (int l = 0; l < 3; l++)
    {
      int h, w;
      ss_gradcam_get_layer_size (gc, l, &h, &w);
      g_assert_cmpint (h, ==, l < 2 ? 6 : 3);
      assert_all_zero (ss_gradcam_get_maps (gc, l), (gsize) h * w);
    }
  assert_all_zero (ss_gradcam_get_vanilla_maps (gc), 36);
}

static void
test_block_kinds (void)
{
  g_autoptr(SsArch) arch = ss_arch_new ("blocks", 2, 4, 4, 2);
  g_autoptr(GError) error = NULL;
  SsNode nodes[] = {
    { .name = (char *) "stem", .op = SS_OP_CONV, .out = 2, .kernel = 3, .padding = 1,
      .stride = 1 },
    { .name = (char *) "b.conv", .block = (char *) "b", .op = SS_OP_CONV, .out = 2,
      .kernel = 3, .padding = 1, .stride = 1 },
    { .name = (char *) "b.bn", .block = (char *) "b", .op = SS_OP_BATCHNORM },
    { .name = (char *) "b.add", .block = (char *) "b", .op = SS_OP_ADD },
    { .name = (char *) "drop", .op = SS_OP_DROPOUT, .p = 0.5f },
    { .name = (char *) "avg", .op = SS_OP_AVGPOOL, .kernel = 2, .stride = 2 },
    { .name = (char *) "gap", .op = SS_OP_GLOBAL_AVGPOOL },
    { .name = (char *) "flatten", .op = SS_OP_FLATTEN },
    { .name = (char *) "fc", .op = SS_OP_LINEAR, .out = 2 },
  };
  const SsSaliencyKind want[] = {
    SS_SALIENCY_CONV, SS_SALIENCY_CONV, SS_SALIENCY_NONE, SS_SALIENCY_BLOCK, SS_SALIENCY_NONE,
    SS_SALIENCY_POOLING, SS_SALIENCY_POOLING, SS_SALIENCY_NONE, SS_SALIENCY_NONE,
  };

  g_test_summary ("Kinds: a block's last node is its output whatever its op (here an add), "
                  "batch norm, dropout, flatten and linear are skipped, average and global "
                  "pools are pooling; the kind names.");
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      nodes[i].inputs[0] = SS_NODE_PREVIOUS;
      if (nodes[i].op == SS_OP_ADD)
        nodes[i].inputs[1] = 0;
      ss_arch_append (arch, &nodes[i]);
    }
  ss_arch_infer_shapes (arch, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_assert_cmpint (ss_gradcam_layer_kind (arch, i), ==, want[i]);
      g_assert_cmpint (ss_gradcam_is_saliency_layer (arch, i), ==, want[i] != SS_SALIENCY_NONE);
    }
  g_assert_cmpstr (ss_saliency_kind_name (SS_SALIENCY_CONV), ==, "conv");
  g_assert_cmpstr (ss_saliency_kind_name (SS_SALIENCY_ACTIVATION), ==, "activation");
  g_assert_cmpstr (ss_saliency_kind_name (SS_SALIENCY_POOLING), ==, "pooling");
  g_assert_cmpstr (ss_saliency_kind_name (SS_SALIENCY_BLOCK), ==, "block");
  g_assert_null (ss_saliency_kind_name (SS_SALIENCY_NONE));
}

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */

/* ss_gradcam_compute fails with SS_ERROR code, naming the problem. */
static void
expect_error (SsNet       *net,
              const float *x,   /* (N, C, H, W) */
              int          n,
              int          c,
              int          h,
              const int   *targets,
              int          code)
{
  g_autoptr(GError) error = NULL;
  SsGradcam *gc = ss_gradcam_compute (net, x, n, c, h, HW, targets, &error);

  g_assert_null (gc);
  g_assert_error (error, SS_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
test_errors (void)
{
  g_autoptr(SsNet) net = one_conv_net ();
  g_autoptr(GError) error = NULL;
  float x[2 * HC * HH * HW];
  int bad_high[2] = { 0, HK };
  int bad_low[2] = { -1, 0 };
  SsGradcam *gc;

  g_test_summary ("Run-time errors are GErrors: no samples (ARGUMENT), an input of another "
                  "shape (SHAPE), a target out of range or NaN input (VALUE); a NULL net is a "
                  "programming error (critical).");
  ss_test_fill_uniform (x, G_N_ELEMENTS (x), -1.f, 1.f, 13);
  expect_error (net, x, 0, HC, HH, NULL, SS_ERROR_ARGUMENT);
  expect_error (net, x, -3, HC, HH, NULL, SS_ERROR_ARGUMENT);
  expect_error (net, x, 1, HC, HH + 1, NULL, SS_ERROR_SHAPE);
  expect_error (net, x, 1, 1, HH, NULL, SS_ERROR_SHAPE);
  expect_error (net, x, 2, HC, HH, bad_high, SS_ERROR_VALUE);
  expect_error (net, x, 2, HC, HH, bad_low, SS_ERROR_VALUE);
  x[HC * HH * HW + 7] = NAN;
  expect_error (net, x, 2, HC, HH, NULL, SS_ERROR_VALUE);

  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
  gc = ss_gradcam_compute (NULL, x, 1, HC, HH, HW, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (gc);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------------------------ */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/gradcam/hand/one-conv", test_one_conv);
  g_test_add_func ("/gradcam/hand/zero-gradient", test_zero_gradient);
  g_test_add_func ("/gradcam/hand/relu-dead", test_relu_dead);
  g_test_add_func ("/gradcam/kinds", test_block_kinds);
  g_test_add_func ("/gradcam/errors", test_errors);

  return g_test_run ();
}
