/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-mi.h"
#include "ss-model-file.h"
#include "ss-profile.h"
#include "ss-test-util.h"

/* The layer profile and information plane (core/ss-profile.c) recomputed here from their parts
 * (Grad-CAM maps, AME, pooled MI) on the shipped model, and its errors.
 * Legend: N samples, (h, w) a layer's map. */

/* The same N samples the profile draws: a seeded shuffle of the whole set. */
static float *
profile_samples (const SsDataset *ds,
                 int              n,
                 guint64          seed)
{
  gsize size = ss_dataset_get_size (ds);
  g_autofree guint32 *order = g_new (guint32, size);
  g_autofree SsLabel *y = g_new (SsLabel, n);
  float *x = g_new (float, (gsize) n * 784);
  SsRng rng;

  ss_rng_seed (&rng, seed);
  for (gsize i = 0; i < size; i++)
    order[i] = (guint32) i;
  ss_rng_shuffle (&rng, order, size);
  ss_dataset_fill_batch (ds, x, y, order, n, FALSE, NULL);
  return x;
}

static void
test_profile_recomputed (void)
{
  g_autoptr(SsDataset) ds = ss_test_load_fmnist (FALSE, 0);
  g_autoptr(SsNet) net = ss_test_load_shipped ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) profile = NULL;
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(SsMiHistogram) hist = NULL;
  g_autofree float *x = NULL;
  g_autofree gpointer scratch = NULL;
  SsProfileOptions opt;
  gsize scratch_size;
  const int n = 12;

  g_test_summary ("Each layer's saliency AME mean and sd are those of its Grad-CAM maps, ΔH is "
                  "the difference from the layer before, pooling is step I and conv step II, "
                  "and I(X;T) of the first layer is the entropy of its quantised maps.");
  ss_profile_options_init (&opt);
  opt.n_samples = n;
  profile = ss_profile_compute (net, ds, &opt, NULL, &error);
  g_assert_no_error (error);

  x = profile_samples (ds, n, opt.seed);
  gc = ss_gradcam_compute (net, x, n, 1, 28, 28, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (profile->len, ==, (guint) ss_gradcam_get_n_layers (gc));
  scratch_size = ss_ame_scratch_size (28, 28, &opt.ame);
  scratch = g_malloc (scratch_size);

  for (guint l = 0; l < profile->len; l++)
    {
      const SsLayerProfile *lp = &g_array_index (profile, SsLayerProfile, l);
      double sum = 0, sum2 = 0;
      int valid = 0;

      g_assert_cmpint (lp->node, ==, ss_gradcam_get_layer_node (gc, (int) l));
      g_assert_cmpint (lp->step, ==, lp->kind == SS_SALIENCY_POOLING ? SS_STEP_TYPE_I
                                     : lp->kind == SS_SALIENCY_CONV ? SS_STEP_TYPE_II
                                     : SS_STEP_NONE);
      for (int s = 0; s < n; s++)
        {
          SsAmeResult r;
          g_assert_true (ss_ame_compute (&r, ss_gradcam_get_map (gc, (int) l, s), lp->h, lp->w,
                                         &opt.ame, scratch, scratch_size, NULL));
          if (r.status == SS_AME_NOT_APPLICABLE)
            continue;
          valid++;
          sum += r.ame;
          sum2 += r.ame * r.ame;
        }
      g_assert_cmpint (lp->n_valid, ==, valid);
      if (valid == 0)
        {
          g_assert_true (isnan (lp->saliency_mean));
          continue;
        }
      g_assert_cmpfloat_with_epsilon (lp->saliency_mean, sum / valid, 1e-12);
      g_assert_cmpfloat_with_epsilon (lp->saliency_sd,
                                      sqrt (MAX (0, sum2 / valid - (sum / valid) * (sum / valid))),
                                      1e-9);
      g_assert_cmpfloat (lp->null_mean, >=, 0);
      g_assert_cmpfloat (lp->null_mean, <=, 1);
      g_assert_cmpfloat (lp->activation_mean, >=, 0);
      g_assert_cmpfloat (lp->activation_mean, <=, 1);
      if (l > 0)
        g_assert_cmpfloat_with_epsilon (lp->delta, lp->saliency_mean -
                                        g_array_index (profile, SsLayerProfile, l - 1).saliency_mean,
                                        1e-12);
      else
        g_assert_true (isnan (lp->delta));
    }

  /* I(X;X) = H(X): the first layer paired with itself, pooled over the samples. */
  {
    const SsLayerProfile *first = &g_array_index (profile, SsLayerProfile, 0);
    double ha, hb, hab;
    hist = ss_mi_histogram_new (opt.mi_bins, &error);
    g_assert_no_error (error);
    for (int s = 0; s < n; s++)
      {
        const float *map = ss_gradcam_get_map (gc, 0, s);
        ss_mi_histogram_accumulate (hist, map, map, (gsize) first->h * first->w);
      }
    ss_mi_entropies (hist, &ha, &hb, &hab);
    g_assert_cmpfloat (ha, >, 0.5);
    g_assert_cmpfloat_with_epsilon (first->i_xt, ha, 1e-9);
  }
  /* MI is never negative and never above the entropy of the smaller side's alphabet. */
  for (guint l = 0; l < profile->len; l++)
    {
      const SsLayerProfile *lp = &g_array_index (profile, SsLayerProfile, l);
      g_assert_cmpfloat (lp->i_xt, >=, 0);
      g_assert_cmpfloat (lp->i_ty, >=, 0);
      g_assert_cmpfloat (lp->i_xt, <=, log2 (opt.mi_bins) + 1e-9);
    }
}

static void
test_profile_errors (void)
{
  g_autoptr(SsDataset) ds = ss_test_load_fmnist (FALSE, 0);
  g_autoptr(SsNet) net = ss_test_load_shipped ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 3, 32, 32, 10, NULL);
  g_autoptr(SsNet) other = ss_net_new (arch, 1);
  GArray *p;
  SsProfileOptions opt;

  g_test_summary ("More samples than the data set, bad bins, data that do not fit the model and "
                  "maps without cells are clear errors.");
  ss_profile_options_init (&opt);
  opt.n_samples = 10001;
  p = ss_profile_compute (net, ds, &opt, NULL, &error);
  g_assert_null (p);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "10001"));
  g_clear_error (&error);

  ss_profile_options_init (&opt);
  opt.ame.bins = 65537;
  g_assert_null (ss_profile_compute (net, ds, &opt, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  opt.ame.bins = 1;
  g_assert_null (ss_profile_compute (net, ds, &opt, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);

  ss_profile_options_init (&opt);
  opt.n_samples = 4;
  opt.ame.bins = 65536;   /* the largest allowed: works */
  p = ss_profile_compute (net, ds, &opt, NULL, &error);
  g_assert_no_error (error);
  g_array_unref (p);

  opt.ame.bins = 256;
  g_assert_null (ss_profile_compute (other, ds, &opt, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_SHAPE);
  g_clear_error (&error);

  /* A map without cells is an error, not a crash. */
  {
    SsAmeResult r;
    float cell = 0;
    guint8 scratch[64];
    g_assert_false (ss_ame_compute (&r, &cell, 0, 5, &opt.ame, scratch, sizeof scratch, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "no cells"));
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/profile/recomputed", test_profile_recomputed);
  g_test_add_func ("/profile/errors", test_profile_errors);
  return g_test_run ();
}
