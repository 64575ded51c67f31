/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-mi.h"
#include "ss-model-file.h"
#include "ss-relevance.h"
#include "ss-renyi.h"
#include "ss-rng.h"
#include "ss-safetensors.h"
#include "ss-spatial-mi.h"
#include "ss-test-util.h"

/* Filter relevance (SPEC §5): spatial MI (core/ss-spatial-mi.c) by hand and against the pooled
 * histograms of core/ss-mi.c, matrix-based Rényi MI (core/ss-renyi.c) against numpy
 * (tests/reference/gen-renyi.py), L1, and ss_relevance_compute over a network.
 * Legend: N samples, C filters, (H, W) a map, K classes, B bins. */

/* ---------------------------------------------------------------------------------------------
 * Spatial MI */

static void
test_spatial_hand (void)
{
  /* One layer of 2 filters, N = 4 maps of 2×2, labels 0 0 1 1, B = 3; the layer's range is
   * [0, 1], so 0 → bin 0, 0.2 → ⌊0.6⌋ = 0, 0.5 → ⌊1.5⌋ = 1, 1 → min (3, 2) = 2.
   *
   * Filter 0, codes 0 0/2 2 (twice, class 0) and 0 2/0 2 (twice, class 1).  Vertical pairs
   * (top, bottom): class 0 {(0,2)×4}, H = 0; class 1 {(0,0)×2, (2,2)×2}, H = ln 2; all
   * {(0,2)×4, (0,0)×2, (2,2)×2}, H = 1.5 ln 2.  Horizontal pairs are the same with the classes
   * swapped.  I = 1.5 ln 2 − (½·½ ln 2 + ½·½ ln 2)·2/2 … = 1.5 ln 2 − 0.5 ln 2 = ln 2: 1 bit.
   *
   * Filter 1, codes: class 0 [0 0/0 0], [1 0/0 0]; class 1 [1 1/1 0], [0 1/0 1].
   *   vertical:   class 0 {(0,0)×3, (1,0)}           H = 2 ln 2 − ¾ ln 3
   *               class 1 {(1,1)×2, (1,0), (0,0)}    H = 1.5 ln 2
   *               all {(0,0)×4, (1,0)×2, (1,1)×2}   H = 1.5 ln 2
   *               I_v = 1.5 ln 2 − ½(2 ln 2 − ¾ ln 3) − ½·1.5 ln 2 = −¼ ln 2 + ⅜ ln 3
   *   horizontal: class 0 {(0,0)×3, (1,0)}           H = 2 ln 2 − ¾ ln 3
   *               class 1 {(1,1), (1,0), (0,1)×2}    H = 1.5 ln 2
   *               all {(0,0)×3, (1,0)×2, (1,1), (0,1)×2}  H = 2.5 ln 2 − ⅜ ln 3
   *               I_h = ¾ ln 2
   *   I = (I_v + I_h)/2 = ¼ ln 2 + 3/16 ln 3 nats = 0.25 + 0.1875·log₂ 3 bits.
   * With each filter's own range instead of the layer's, 0.2 would fall in bin 1 and filter 1
   * would score differently. */
  const float maps[4 * 2 * 4] = {
    0, 0, 1, 1,   0.2f, 0, 0, 0,
    0, 0, 1, 1,   0.5f, 0.2f, 0, 0,
    0, 1, 0, 1,   0.5f, 0.5f, 0.5f, 0.2f,
    0, 1, 0, 1,   0.2f, 0.5f, 0.2f, 0.5f,
  };
  const SsLabel labels[4] = { 0, 0, 1, 1 };
  double scores[2];
  g_autoptr(GError) error = NULL;

  g_test_summary ("Spatial MI of a 2-class, 4-map, 2×2, B = 3 layer equals the hand result "
                  "to 1e-12, with one quantization range for the whole layer.");
  g_assert_true (ss_spatial_mi_layer (scores, maps, labels, 4, 2, 2, 2, 2, 3, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (scores[0], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (scores[1], 0.25 + 0.1875 * log2 (3.0), 1e-12);
}

/* Pooled joint entropy H(S; k, l) in bits of the maps (N, C, H, W) of filter f and class cls
 * (−1: every sample) for the vertical (dir 0) or horizontal (dir 1) offset, through
 * ss-mi.c's histogram.  xq (N, C, H, W) holds the layer's values already mapped to [0, 1]. */
static double
pooled_entropy (SsMiHistogram *hist,
                const float   *xq,
                const SsLabel *labels,
                int            n,
                int            c,
                int            h,
                int            w,
                int            f,
                int            cls,
                int            dir)
{
  double h_ab;

  ss_mi_histogram_clear (hist);
  for (int s = 0; s < n; s++)
    {
      const float *m = xq + ((gsize) s * c + f) * h * w;
      if (cls >= 0 && labels[s] != cls)
        continue;
      if (dir == 0)
        ss_mi_histogram_accumulate (hist, m, m + w, (gsize) (h - 1) * w);
      else
        for (int i = 0; i < h; i++)
          ss_mi_histogram_accumulate (hist, m + i * w, m + i * w + 1, (gsize) w - 1);
    }
  if (ss_mi_histogram_get_n (hist) == 0)
    return 0.0;
  ss_mi_entropies (hist, NULL, NULL, &h_ab);
  return h_ab;
}

/* I_f of every filter recomputed from ss-mi.c's pooled histograms.  maps hold integers
 * 0 … bins − 1 with both ends present, so x' = v/(B − 1) and ⌊x'·B⌋ = v exactly in float and
 * double alike. */
static void
spatial_by_mi_histograms (double        *want,
                          const float   *maps,
                          const SsLabel *labels,
                          int            n,
                          int            c,
                          int            h,
                          int            w,
                          int            k,
                          int            bins)
{
  const gsize len = (gsize) n * c * h * w;
  g_autofree float *xq = g_new (float, len);
  g_autoptr(SsMiHistogram) hist = ss_mi_histogram_new (bins, NULL);

  for (gsize i = 0; i < len; i++)
    xq[i] = maps[i] / (float) (bins - 1);
  for (int f = 0; f < c; f++)
    {
      double sum = 0.0;
      int n_dirs = 0;
      for (int dir = 0; dir < 2; dir++)
        {
          double cond = 0.0;
          if ((dir == 0 && h < 2) || (dir == 1 && w < 2))
            continue;
          for (int cls = 0; cls < k; cls++)
            {
              int n_c = 0;
              for (int s = 0; s < n; s++)
                n_c += labels[s] == cls;
              cond += (double) n_c / n
                      * pooled_entropy (hist, xq, labels, n, c, h, w, f, cls, dir);
            }
          sum += pooled_entropy (hist, xq, labels, n, c, h, w, f, -1, dir) - cond;
          n_dirs++;
        }
      want[f] = sum / n_dirs;
    }
}

typedef struct {
  int n, c, h, w, k, bins;
} SpatialCase;

static const SpatialCase spatial_cases[] = {
  { 50, 6, 7, 9, 4, 32 },    /* class 3 never drawn */
  { 30, 3, 1, 12, 3, 8 },    /* a single row: horizontal offsets only */
  { 30, 3, 12, 1, 2, 8 },    /* a single column: vertical offsets only */
  { 80, 5, 16, 16, 10, 32 },
  { 20, 2, 5, 5, 2, 256 },
};

static void
test_spatial_cross_check (gconstpointer data)
{
  const SpatialCase *sc = data;
  const gsize len = (gsize) sc->n * sc->c * sc->h * sc->w;
  g_autofree float *maps = g_new (float, len);
  g_autofree SsLabel *labels = g_new (SsLabel, sc->n);
  g_autofree double *got = g_new (double, sc->c);
  g_autofree double *got3 = g_new (double, sc->c);
  g_autofree double *want = g_new (double, sc->c);
  g_autoptr(GError) error = NULL;
  SsRng rng;

  g_test_summary ("Spatial MI equals I_f recomputed from ss-mi.c's pooled histograms to "
                  "1e-12, is ≥ 0, and is the same on 1 and 3 threads.");
  ss_rng_seed (&rng, (guint64) sc->n * 7919 + (guint64) sc->bins);
  for (gsize i = 0; i < len; i++)
    maps[i] = (float) ss_rng_below (&rng, (guint32) sc->bins);
  maps[0] = 0;
  maps[len - 1] = (float) (sc->bins - 1);
  for (int s = 0; s < sc->n; s++)
    labels[s] = (SsLabel) ss_rng_below (&rng, (guint32) (sc->k == 4 ? 3 : sc->k));

  g_assert_true (ss_spatial_mi_layer (got, maps, labels, sc->n, sc->c, sc->h, sc->w, sc->k,
                                      sc->bins, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ss_spatial_mi_layer (got3, maps, labels, sc->n, sc->c, sc->h, sc->w, sc->k,
                                      sc->bins, 3, NULL, &error));
  g_assert_no_error (error);
  spatial_by_mi_histograms (want, maps, labels, sc->n, sc->c, sc->h, sc->w, sc->k, sc->bins);
  for (int f = 0; f < sc->c; f++)
    {
      g_assert_cmpfloat (got[f], >=, 0.0);
      g_assert_cmpfloat_with_epsilon (got[f], MAX (want[f], 0.0), 1e-12);
      g_assert_cmpmem (&got[f], sizeof (double), &got3[f], sizeof (double));
    }
}

/* Maps (N, 3, S, S) of three filters: 0 a bright blob whose width and row depend on the class,
 * plus a little noise; 1 uniform noise; 2 one constant.  The width is what spatial MI sees: its
 * co-occurrence histograms pool every position of a map, so they do not change when a pattern
 * only moves (a class coded by position alone is invisible to it, short of the borders); the
 * Rényi kernel compares maps cell by cell and sees both. */
static void
fill_ranking_maps (float   *maps,
                   SsLabel *labels,
                   int      n,
                   int      s,
                   int      k)
{
  SsRng rng;

  ss_rng_seed (&rng, 4242);
  for (int i = 0; i < n; i++)
    {
      float *m = maps + (gsize) i * 3 * s * s;
      const int cls = i % k;
      const double cy = 2.5 + cls * (s - 5.0) / (k - 1), cx = s / 2.0;
      const double width2 = 2.0 * pow (4.0, cls);   /* 2σ² = 2, 8, 32, … */
      labels[i] = (SsLabel) cls;
      for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
          {
            const double r2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            m[y * s + x] = (float) (exp (-r2 / width2) + 0.05 * ss_rng_uniform (&rng));
            m[s * s + y * s + x] = (float) ss_rng_uniform (&rng);
            m[2 * s * s + y * s + x] = 0.5f;
          }
    }
}

static void
test_spatial_ranking (void)
{
  const int n = 60, s = 12, k = 3;
  g_autofree float *maps = g_new (float, (gsize) n * 3 * s * s);
  SsLabel labels[60];
  double scores[3];
  g_autoptr(GError) error = NULL;

  g_test_summary ("Spatial MI ranks a filter whose blob's width encodes the class far above "
                  "a filter of noise, and gives a constant filter exactly 0.");
  fill_ranking_maps (maps, labels, n, s, k);
  g_assert_true (ss_spatial_mi_layer (scores, maps, labels, n, 3, s, s, k,
                                      SS_SPATIAL_MI_BINS_DEFAULT, 2, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("blob %.4f, noise %.4f, constant %.4f bits", scores[0], scores[1], scores[2]);
  g_assert_cmpfloat (scores[0], >, 3.0 * scores[1]);
  g_assert_cmpfloat (scores[1], >, 0.0);   /* the plug-in bias: noise is not exactly 0 */
  g_assert_cmpfloat (scores[2], ==, 0.0);
}

static void
test_spatial_errors (void)
{
  float maps[2 * 1 * 3 * 3] = { 0 };
  const SsLabel labels[2] = { 0, 1 }, bad_labels[2] = { 0, 5 };
  double scores[1];

  g_test_summary ("NaN or Inf maps, 1×1 maps, bad bins and labels are clear errors.");
  {
    g_autoptr(GError) error = NULL;
    maps[13] = NAN;
    g_assert_false (ss_spatial_mi_layer (scores, maps, labels, 2, 1, 3, 3, 2, 32, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_VALUE);
    g_assert_nonnull (strstr (error->message, "filter 0 of sample 1"));
    maps[13] = 0;
  }
  {
    g_autoptr(GError) error = NULL;
    maps[3] = INFINITY;
    g_assert_false (ss_spatial_mi_layer (scores, maps, labels, 2, 1, 3, 3, 2, 32, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_VALUE);
    maps[3] = 0;
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_spatial_mi_layer (scores, maps, labels, 2, 1, 1, 1, 2, 32, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "1×1"));
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_spatial_mi_layer (scores, maps, labels, 2, 1, 3, 3, 2, 257, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_spatial_mi_layer (scores, maps, bad_labels, 2, 1, 3, 3, 2, 32, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "label 5"));
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_spatial_mi_layer (scores, maps, labels, 0, 1, 3, 3, 2, 32, 1, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  }
}

/* ---------------------------------------------------------------------------------------------
 * Rényi MI */

/* Keep in sync with ALPHAS in tests/reference/gen-renyi.py. */
static const char *const renyi_alphas[] = { "1.01", "2" };

static void
test_renyi_reference (void)
{
  g_autofree char *path = ss_test_data_path ("renyi.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSafetensors) ref = ss_safetensors_load (path, &error);
  const SsTensorView *maps, *labels_v, *sigma_v;
  int n, c, h, w;
  g_autofree SsLabel *labels = NULL;
  g_autofree double *got = NULL, *sigmas = NULL;

  g_test_summary ("Rényi MI (α = 1.01 and 2) and the median-rule σ equal numpy's literal "
                  "float64 computation (full Hadamard product, eigvalsh) within 1e-4 relative.");
  g_assert_no_error (error);
  maps = ss_safetensors_lookup (ref, "maps");
  labels_v = ss_safetensors_lookup (ref, "labels");
  sigma_v = ss_safetensors_lookup (ref, "sigma");
  g_assert_nonnull (maps);
  g_assert_nonnull (labels_v);
  g_assert_nonnull (sigma_v);
  n = (int) maps->shape[0];
  c = (int) maps->shape[1];
  h = (int) maps->shape[2];
  w = (int) maps->shape[3];
  labels = g_new (SsLabel, n);
  for (int s = 0; s < n; s++)
    labels[s] = (SsLabel) ((const gint64 *) labels_v->data)[s];
  got = g_new (double, c);
  sigmas = g_new (double, c);

  for (gsize a = 0; a < G_N_ELEMENTS (renyi_alphas); a++)
    {
      g_autofree char *key = g_strconcat ("mi/", renyi_alphas[a], NULL);
      const SsTensorView *want = ss_safetensors_lookup (ref, key);
      const double alpha = g_ascii_strtod (renyi_alphas[a], NULL);

      g_assert_nonnull (want);
      g_assert_true (ss_renyi_mi_layer (got, sigmas, maps->data, labels, n, c, h, w, 3, alpha,
                                        2, NULL, &error));
      g_assert_no_error (error);
      for (int f = 0; f < c; f++)
        {
          const double wv = ((const float *) want->data)[f];
          const double ws = ((const float *) sigma_v->data)[f];
          g_test_message ("α %s filter %d: I %.7f (numpy %.7f, difference %.1e), σ %.6f "
                          "(numpy %.6f)", renyi_alphas[a], f, got[f], wv, got[f] - wv,
                          sigmas[f], ws);
          /* The Gram matrix is float32 (relative error ~1e-7·d on D_ij, less after centring)
           * and the fixture stores float32 (6e-8): 1e-4 relative leaves two orders of margin;
           * 1e-6 absolute covers the filter whose I is exactly 0. */
          g_assert_cmpfloat (fabs (got[f] - wv), <=, 1e-6 + 1e-4 * fabs (wv));
          g_assert_cmpfloat (fabs (sigmas[f] - ws), <=, 1e-5 * ws);
        }
    }
}

static void
test_renyi_entropy (void)
{
  const double diag[9] = { 0.5, 0, 0, 0, 0.25, 0, 0, 0, 0.25 };
  double m[9], ones[4] = { 0.5, 0.5, 0.5, 0.5 };

  g_test_summary ("S_α of diag(½, ¼, ¼) is −log₂(3/8) at α = 2 and 1.5 bits at α = 1; a rank-one "
                  "matrix has entropy 0.");
  memcpy (m, diag, sizeof m);
  g_assert_cmpfloat_with_epsilon (ss_renyi_entropy (m, 3, 2.0), -log2 (0.375), 1e-12);
  memcpy (m, diag, sizeof m);
  g_assert_cmpfloat_with_epsilon (ss_renyi_entropy (m, 3, 1.0), 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_renyi_entropy (ones, 2, 1.01), 0.0, 1e-12);
}

static void
test_renyi_ranking (void)
{
  const int n = 60, s = 12, k = 3;
  g_autofree float *maps = g_new (float, (gsize) n * 3 * s * s);
  SsLabel labels[60];
  double scores[3], sigmas[3];
  g_autoptr(GError) error = NULL;

  g_test_summary ("Rényi MI ranks the class-encoding blob above noise; the constant filter "
                  "gets 0 with σ = 0.");
  fill_ranking_maps (maps, labels, n, s, k);
  g_assert_true (ss_renyi_mi_layer (scores, sigmas, maps, labels, n, 3, s, s, k,
                                    SS_RENYI_ALPHA_DEFAULT, 2, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("blob %.4f, noise %.4f, constant %.4f bits", scores[0], scores[1], scores[2]);
  /* Rényi MI of noise is far from 0 at N = 60 (every pairwise distance is near the median,
   * so K is close to a constant plus a multiple of the identity); the blob is still clear of
   * it by more than half of the 1.58 bits the labels hold. */
  g_assert_cmpfloat (scores[0], >, scores[1] + 0.5);
  g_assert_cmpfloat (scores[2], ==, 0.0);
  g_assert_cmpfloat (sigmas[2], ==, 0.0);
  g_assert_cmpfloat (sigmas[0], >, 0.0);
}

static void
test_renyi_errors (void)
{
  float maps[3 * 2 * 2] = { 0 };
  const SsLabel labels[3] = { 0, 1, 1 };
  double scores[1];

  g_test_summary ("Rényi MI refuses NaN maps, fewer than 2 samples and a bad α.");
  {
    g_autoptr(GError) error = NULL;
    maps[5] = NAN;
    g_assert_false (ss_renyi_mi_layer (scores, NULL, maps, labels, 3, 1, 2, 2, 2, 1.01, 1, NULL,
                                       &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_VALUE);
    g_assert_nonnull (strstr (error->message, "sample 1"));
    maps[5] = 0;
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_renyi_mi_layer (scores, NULL, maps, labels, 1, 1, 2, 2, 2, 1.01, 1, NULL,
                                       &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (ss_renyi_mi_layer (scores, NULL, maps, labels, 3, 1, 2, 2, 2, 0.0, 1, NULL,
                                       &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "α"));
  }
}

/* ---------------------------------------------------------------------------------------------
 * Over a network */

static SsDataset *
load_test_set (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *spec = ss_test_fmnist_spec ();
  g_autoptr(SsDataset) all = ss_dataset_load (spec, FALSE, &error);
  guint32 idx[200];

  g_assert_no_error (error);
  for (guint32 i = 0; i < G_N_ELEMENTS (idx); i++)
    idx[i] = i * 37;
  return ss_dataset_subset (all, idx, G_N_ELEMENTS (idx));
}

static void
test_map_node (void)
{
  g_autoptr(SsArch) vgg = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, NULL);
  g_autoptr(SsArch) res = ss_arch_new_builtin ("resnet20", 3, 32, 32, 10, NULL);
  const struct { const SsArch *arch; const char *conv, *map; } cases[] = {
    { vgg, "conv1", "relu1" },
    { vgg, "conv4", "relu4" },
    { res, "conv1", "relu" },
    { res, "layer1.0.conv1", "layer1.0.relu1" },
    { res, "layer1.0.conv2", "layer1.0.bn2" },
    { res, "layer2.0.downsample.0", "layer2.0.downsample.1" },
  };

  g_test_summary ("A filter is scored after its BN and ReLU, or at its BN when that feeds a "
                  "residual add.");
  g_assert_nonnull (vgg);
  g_assert_nonnull (res);
  g_assert_true (ss_arch_infer_shapes (vgg, NULL));
  g_assert_true (ss_arch_infer_shapes (res, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const int conv = ss_arch_find_node (cases[i].arch, cases[i].conv);
      const int m = ss_relevance_map_node (cases[i].arch, conv);
      g_assert_cmpint (conv, >=, 0);
      g_assert_cmpstr (ss_arch_get_node (cases[i].arch, m)->name, ==, cases[i].map);
    }
}

static void
test_l1_hand (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, NULL);
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GArray) rel = NULL;
  g_autoptr(GError) error = NULL;
  const char *const layers[] = { "conv1", NULL };
  g_autofree int *rank = NULL;
  SsRelevanceOptions opt;
  SsLayerRelevance *lr;
  float *wt;

  g_test_summary ("L1 relevance is the hand sum of |w| over a filter's 3×3 weights, bias left "
                  "out, and the rank lists filters by increasing score.");
  g_assert_true (ss_arch_infer_shapes (arch, NULL));
  net = ss_net_new (arch, 1);
  /* conv1.weight (32, 1, 3, 3): filter f holds ±(f + 1)/100 with alternating signs, so its L1
   * is 9·(f + 1)/100 except filter 5, made the smallest. */
  wt = ss_net_get_param (net, ss_net_find_param (net, "conv1.weight"));
  for (int f = 0; f < 32; f++)
    for (int i = 0; i < 9; i++)
      wt[f * 9 + i] = (i % 2 ? -1.0f : 1.0f) * (float) (f + 1) / 100.0f;
  for (int i = 0; i < 9; i++)
    wt[5 * 9 + i] = i == 4 ? -0.001f : 0.0f;
  ss_net_get_param (net, ss_net_find_param (net, "conv1.bias"))[0] = 100.0f;
  ss_relevance_options_init (&opt);
  opt.layers = layers;
  rel = ss_relevance_compute (net, NULL, SS_RELEVANCE_L1, &opt, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rel->len, ==, 1);
  lr = &g_array_index (rel, SsLayerRelevance, 0);
  g_assert_cmpstr (lr->name, ==, "conv1");
  g_assert_cmpint (lr->n_filters, ==, 32);
  for (int f = 0; f < 32; f++)
    {
      const double want = f == 5 ? 0.001 : 9.0 * (float) (f + 1) / 100.0f;
      g_assert_cmpfloat_with_epsilon (lr->scores[f], want, 1e-6);
    }
  rank = ss_relevance_rank (lr);
  g_assert_cmpint (rank[0], ==, 5);
  g_assert_cmpint (rank[1], ==, 0);
  g_assert_cmpint (rank[31], ==, 31);
}

static void
count_progress (int         done,
                int         total,
                const char *layer,
                gpointer    user_data)
{
  int *calls = user_data;
  g_assert_cmpint (done, ==, *calls + 1);
  g_assert_cmpint (total, ==, 4);
  g_assert_nonnull (layer);
  (*calls)++;
}

static void
test_compute_shipped (void)
{
  g_autoptr(SsDataset) ds = load_test_set ();
  g_autoptr(SsNet) net = ss_test_load_shipped ();
  g_autoptr(GArray) rel = NULL, renyi = NULL;
  g_autoptr(GError) error = NULL;
  const char *const conv3[] = { "conv3", NULL };
  const int widths[4] = { 32, 32, 64, 64 };
  SsRelevanceOptions opt;
  int calls = 0, positive = 0;

  g_test_summary ("Both MIs over the shipped fmnist-vgg: every conv, finite scores ≥ 0, "
                  "progress per layer, and the trained filters are not all alike.");
  ss_relevance_options_init (&opt);
  opt.n_samples = 100;
  rel = ss_relevance_compute (net, ds, SS_RELEVANCE_SPATIAL_MI, &opt, count_progress, &calls,
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (calls, ==, 4);
  g_assert_cmpuint (rel->len, ==, 4);
  for (guint l = 0; l < rel->len; l++)
    {
      const SsLayerRelevance *lr = &g_array_index (rel, SsLayerRelevance, l);
      double lo = INFINITY, hi = -INFINITY;
      g_assert_cmpint (lr->n_filters, ==, widths[l]);
      g_assert_cmpint (lr->h, ==, l < 2 ? 28 : 14);
      g_assert_cmpfloat (lr->seconds, >=, 0.0);
      for (int f = 0; f < lr->n_filters; f++)
        {
          g_assert_true (isfinite (lr->scores[f]));
          g_assert_cmpfloat (lr->scores[f], >=, 0.0);
          lo = MIN (lo, lr->scores[f]);
          hi = MAX (hi, lr->scores[f]);
          positive += lr->scores[f] > 0.0;
        }
      g_test_message ("%s: spatial MI from %.4f to %.4f bits in %.3f s", lr->name, lo, hi,
                      lr->seconds);
      g_assert_cmpfloat (hi, >, lo);
    }
  g_assert_cmpint (positive, >, 150);

  opt.layers = conv3;
  opt.n_samples = 60;
  renyi = ss_relevance_compute (net, ds, SS_RELEVANCE_RENYI_MI, &opt, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (renyi->len, ==, 1);
  for (int f = 0; f < 64; f++)
    {
      const double v = g_array_index (renyi, SsLayerRelevance, 0).scores[f];
      g_assert_true (isfinite (v));
      g_assert_cmpfloat (v, >=, -1e-9);
    }
}

static void
test_compute_errors (void)
{
  g_autoptr(SsDataset) ds = load_test_set ();
  g_autoptr(SsNet) net = ss_test_load_shipped ();
  const char *const unknown[] = { "conv9", NULL };
  const char *const not_conv[] = { "bn1", NULL };
  SsRelevanceOptions opt;

  g_test_summary ("More samples than the data, zero samples, unknown or non-conv layers, bad "
                  "criteria and NaN weights are clear errors.");
  ss_relevance_options_init (&opt);
  {
    g_autoptr(GError) error = NULL;
    opt.n_samples = 201;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_SPATIAL_MI, &opt, NULL, NULL,
                                         NULL, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "not 201"));
  }
  {
    g_autoptr(GError) error = NULL;
    opt.n_samples = 0;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_RENYI_MI, &opt, NULL, NULL,
                                         NULL, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "not 0"));
  }
  opt.n_samples = 10;
  {
    g_autoptr(GError) error = NULL;
    opt.layers = unknown;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_SPATIAL_MI, &opt, NULL, NULL,
                                         NULL, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "“conv9”"));
    g_assert_nonnull (strstr (error->message, "conv1, conv2, conv3, conv4"));
  }
  {
    g_autoptr(GError) error = NULL;
    opt.layers = not_conv;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_L1, &opt, NULL, NULL, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "“bn1”"));
  }
  opt.layers = NULL;
  {
    g_autoptr(GError) error = NULL;
    SsRelevanceCriterion crit;
    g_assert_false (ss_relevance_criterion_parse ("hrel", &crit, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    g_assert_true (ss_relevance_criterion_parse ("renyi-mi", &crit, NULL));
    g_assert_cmpint (crit, ==, SS_RELEVANCE_RENYI_MI);
  }
  {
    g_autoptr(GError) error = NULL;
    opt.bins = 1;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_SPATIAL_MI, &opt, NULL, NULL,
                                         NULL, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
    opt.bins = SS_SPATIAL_MI_BINS_DEFAULT;
  }
  {
    g_autoptr(GError) error = NULL;
    ss_net_get_param (net, ss_net_find_param (net, "conv2.weight"))[7] = NAN;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_L1, &opt, NULL, NULL, NULL,
                                         &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_VALUE);
    g_assert_nonnull (strstr (error->message, "conv2.weight"));
  }
  {
    /* A NaN batch-norm statistic makes channel 0 NaN after bn1, and ReLU propagates NaN as
     * PyTorch does, so conv1's scored maps (relu1) hold it. */
    g_autoptr(GError) error = NULL;
    ss_net_get_param (net, ss_net_find_param (net, "bn1.running_var"))[0] = NAN;
    g_assert_null (ss_relevance_compute (net, ds, SS_RELEVANCE_SPATIAL_MI, &opt, NULL, NULL,
                                         NULL, &error));
    g_assert_error (error, SS_ERROR, SS_ERROR_VALUE);
    g_assert_true (g_str_has_prefix (error->message, "conv1: "));
    g_assert_nonnull (strstr (error->message, "finite maps"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/relevance/spatial-mi/hand", test_spatial_hand);
  for (gsize i = 0; i < G_N_ELEMENTS (spatial_cases); i++)
    {
      const SpatialCase *sc = &spatial_cases[i];
      g_autofree char *path = g_strdup_printf ("/relevance/spatial-mi/cross-check/%dx%dx%dx%d-K%d-B%d",
                                               sc->n, sc->c, sc->h, sc->w, sc->k, sc->bins);
      g_test_add_data_func (path, sc, test_spatial_cross_check);
    }
  g_test_add_func ("/relevance/spatial-mi/ranking", test_spatial_ranking);
  g_test_add_func ("/relevance/spatial-mi/errors", test_spatial_errors);
  g_test_add_func ("/relevance/renyi/reference", test_renyi_reference);
  g_test_add_func ("/relevance/renyi/entropy", test_renyi_entropy);
  g_test_add_func ("/relevance/renyi/ranking", test_renyi_ranking);
  g_test_add_func ("/relevance/renyi/errors", test_renyi_errors);
  g_test_add_func ("/relevance/map-node", test_map_node);
  g_test_add_func ("/relevance/l1/hand", test_l1_hand);
  g_test_add_func ("/relevance/compute/shipped", test_compute_shipped);
  g_test_add_func ("/relevance/compute/errors", test_compute_errors);
  return g_test_run ();
}
