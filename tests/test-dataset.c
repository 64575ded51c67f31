/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Dataset loaders on good input: synthetic IDX (plain and gzipped) and CIFAR-10 files in a
 * temporary directory, subsets, batches with normalisation and augmentation, and the real
 * Fashion-MNIST when it is installed. Malformed input and misuse are in test-dataset-bad.c.
 * Legend: N samples, B batch, C channels, H W image size. */

#include <math.h>
#include <string.h>

#include "ss-dataset.h"
#include "ss-rng.h"
#include "ss-test-util.h"
#include "dataset-files.h"

/* ---- Loading good files --------------------------------------------------------------------- */

static void
check_idx_dataset (SsDataset    *ds,
                   guint32       n,
                   guint32       rows,
                   guint32       cols,
                   const guint8 *pixels,
                   const guint8 *labels,
                   float         mean,
                   float         std)
{
  gsize sample = (gsize) rows * cols;
  float m, s;
  g_autofree guint32 *idx = g_new (guint32, n);
  g_autofree float *x = g_new (float, n * sample);
  g_autofree float *want = g_new (float, n * sample);
  g_autofree SsLabel *y = g_new (SsLabel, n);

  g_assert_cmpuint (ss_dataset_get_size (ds), ==, n);
  g_assert_cmpint (ss_dataset_get_channels (ds), ==, 1);
  g_assert_cmpint (ss_dataset_get_height (ds), ==, (int) rows);
  g_assert_cmpint (ss_dataset_get_width (ds), ==, (int) cols);
  g_assert_cmpint (ss_dataset_get_n_classes (ds), ==, 10);
  /* The file's label bytes, widened to SsLabel. */
  for (guint32 i = 0; i < n; i++)
    g_assert_cmpuint (ss_dataset_get_labels (ds)[i], ==, labels[i]);
  for (guint32 i = 0; i < n; i++)
    g_assert_cmpmem (ss_dataset_get_pixels (ds, i), sample, pixels + i * sample, sample);
  ss_dataset_get_normalization (ds, &m, &s);
  g_assert_cmpfloat (m, ==, mean);
  g_assert_cmpfloat (s, ==, std);

  /* Batches in reverse order, without augmentation. */
  for (guint32 i = 0; i < n; i++)
    idx[i] = n - 1 - i;
  ss_dataset_fill_batch (ds, x, y, idx, (int) n, FALSE, NULL);
  for (guint32 i = 0; i < n; i++)
    {
      g_assert_cmpuint (y[i], ==, labels[idx[i]]);
      for (gsize k = 0; k < sample; k++)
        want[i * sample + k] = dataset_norm (pixels[idx[i] * sample + k], mean, std);
    }
  ss_assert_tensor_close (x, want, n * sample, 1e-6, 1e-6, "normalised batch");
}

static void
test_idx_plain (DatasetFixture *fx,
                gconstpointer   data)
{
  g_autofree guint8 *pixels = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree char *im = g_build_filename (fx->dir, "train-images-idx3-ubyte", NULL);
  g_autofree char *lb = g_build_filename (fx->dir, "train-labels-idx1-ubyte", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;

  g_test_summary ("A plain (not gzipped) IDX pair loads with the right sizes, pixels, labels, "
                  "class names and MNIST normalisation, and batches are (p/255 - mean)/std.");
  dataset_write_idx_pair (fx->dir, "train", 5, 3, 4, FALSE, &pixels, &labels);
  ds = ss_dataset_load_idx (im, lb, "mnist", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_dataset_get_name (ds), ==, "mnist");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 0), ==, "0");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 9), ==, "9");
  check_idx_dataset (ds, 5, 3, 4, pixels, labels, 0.1307f, 0.3081f);
}

static void
test_idx_spec (DatasetFixture *fx,
               gconstpointer   data)
{
  g_autofree guint8 *train_px = NULL;
  g_autofree guint8 *train_lb = NULL;
  g_autofree guint8 *test_px = NULL;
  g_autofree guint8 *test_lb = NULL;
  g_autofree char *spec = g_strdup_printf ("fashion-mnist:%s", fx->dir);
  g_autofree char *mspec = g_strdup_printf ("mnist:%s", fx->dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) train = NULL;
  g_autoptr (SsDataset) test = NULL;
  g_autoptr (SsDataset) digits = NULL;

  g_test_summary ("“fashion-mnist:DIR” and “mnist:DIR” find gzipped train files and "
                  "plain t10k files and give each dataset its class names and normalisation.");
  dataset_write_idx_pair (fx->dir, "train", 7, 28, 28, TRUE, &train_px, &train_lb);
  dataset_write_idx_pair (fx->dir, "t10k", 3, 28, 28, FALSE, &test_px, &test_lb);

  train = ss_dataset_load (spec, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_dataset_get_name (train), ==, "fashion-mnist");
  g_assert_cmpstr (ss_dataset_get_class_name (train, 0), ==, "T-shirt/top");
  g_assert_cmpstr (ss_dataset_get_class_name (train, 9), ==, "Ankle boot");
  check_idx_dataset (train, 7, 28, 28, train_px, train_lb, 0.2860f, 0.3530f);

  test = ss_dataset_load (spec, FALSE, &error);
  g_assert_no_error (error);
  check_idx_dataset (test, 3, 28, 28, test_px, test_lb, 0.2860f, 0.3530f);

  digits = ss_dataset_load (mspec, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_dataset_get_name (digits), ==, "mnist");
  g_assert_cmpstr (ss_dataset_get_class_name (digits, 3), ==, "3");
  check_idx_dataset (digits, 7, 28, 28, train_px, train_lb, 0.1307f, 0.3081f);
}

static void
test_idx_other_name (DatasetFixture *fx,
                     gconstpointer   data)
{
  /* Two 1×2 images: bytes 0, 255, 0, 255 have mean 1/2 and standard deviation 1/2. */
  const guint8 px[4] = { 0, 255, 0, 255 }, lb[2] = { 1, 2 };
  g_autoptr (GByteArray) im = dataset_idx_images (0x00000803, 2, 1, 2, px, 4);
  g_autoptr (GByteArray) la = dataset_idx_labels (2, lb, 2);
  g_autofree char *ip = dataset_write_file (fx->dir, "a", im->data, im->len, TRUE);
  g_autofree char *lp = dataset_write_file (fx->dir, "b", la->data, la->len, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;
  float m, s;

  g_test_summary ("Another name gets digit classes and the pixels' own mean and deviation.");
  ds = ss_dataset_load_idx (ip, lp, "kmnist", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_dataset_get_name (ds), ==, "kmnist");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 2), ==, "2");
  ss_dataset_get_normalization (ds, &m, &s);
  g_assert_cmpfloat_with_epsilon (m, 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (s, 0.5, 1e-6);
}

static const float cifar_mean[3] = { 0.4914f, 0.4822f, 0.4465f };
static const float cifar_std[3] = { 0.2470f, 0.2435f, 0.2616f };

static void
check_cifar (SsDataset        *ds,
             const GByteArray *recs)
{
  gsize n = recs->len / DATASET_CIFAR_REC;
  float m[3], s[3];
  g_autofree guint32 *idx = g_new (guint32, n);
  g_autofree float *x = g_new (float, n * 3072);
  g_autofree float *want = g_new (float, n * 3072);
  g_autofree SsLabel *y = g_new (SsLabel, n);

  g_assert_cmpstr (ss_dataset_get_name (ds), ==, "cifar10");
  g_assert_cmpuint (ss_dataset_get_size (ds), ==, n);
  g_assert_cmpint (ss_dataset_get_channels (ds), ==, 3);
  g_assert_cmpint (ss_dataset_get_height (ds), ==, 32);
  g_assert_cmpint (ss_dataset_get_width (ds), ==, 32);
  g_assert_cmpint (ss_dataset_get_n_classes (ds), ==, 10);
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 0), ==, "airplane");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 9), ==, "truck");
  ss_dataset_get_normalization (ds, m, s);
  g_assert_cmpmem (m, sizeof m, cifar_mean, sizeof cifar_mean);
  g_assert_cmpmem (s, sizeof s, cifar_std, sizeof cifar_std);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpuint (ss_dataset_get_labels (ds)[i], ==, recs->data[i * DATASET_CIFAR_REC]);
      g_assert_cmpmem (ss_dataset_get_pixels (ds, i), 3072,
                       recs->data + i * DATASET_CIFAR_REC + 1, 3072);
      idx[i] = (guint32) i;
      for (int k = 0; k < 3072; k++)
        want[i * 3072 + k] = dataset_norm (recs->data[i * DATASET_CIFAR_REC + 1 + k],
                                           cifar_mean[k / 1024], cifar_std[k / 1024]);
    }
  ss_dataset_fill_batch (ds, x, y, idx, (int) n, FALSE, NULL);
  ss_assert_tensor_close (x, want, n * 3072, 1e-6, 1e-6, "normalised CIFAR batch");
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (y[i], ==, recs->data[i * DATASET_CIFAR_REC]);
}

/* Writes dataset_write_cifar's files into dir and loads the training split, returning the
 * training records written in train_recs. Transfer full (both). */
static SsDataset *
write_and_load_cifar (const char  *dir,
                      GByteArray **train_recs)
{
  g_autoptr (GByteArray) test_recs = NULL;
  g_autoptr (GError) error = NULL;
  SsDataset *ds;

  dataset_write_cifar (dir, train_recs, &test_recs);
  ds = ss_dataset_load_cifar10 (dir, TRUE, &error);
  g_assert_no_error (error);
  return ds;
}

static void
test_cifar_load (DatasetFixture *fx,
                 gconstpointer   data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (GByteArray) test_recs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) train = NULL;
  g_autoptr (SsDataset) test = NULL;
  g_autoptr (SsDataset) nested = NULL;
  g_autofree char *spec = g_strdup_printf ("cifar10:%s", fx->dir);
  g_autofree char *sub = NULL;
  g_autoptr (GByteArray) sub_train = NULL;
  g_autoptr (GByteArray) sub_test = NULL;
  g_autofree char *parent = NULL;

  g_test_summary ("CIFAR-10 batches load in file order with per-channel normalisation; the "
                  "tarball's cifar-10-batches-bin directory is found from its parent.");
  dataset_write_cifar (fx->dir, &train_recs, &test_recs);
  train = ss_dataset_load (spec, TRUE, &error);
  g_assert_no_error (error);
  check_cifar (train, train_recs);
  test = ss_dataset_load_cifar10 (fx->dir, FALSE, &error);
  g_assert_no_error (error);
  check_cifar (test, test_recs);

  /* The same files one level down, loaded through a directory without batches of its own. */
  parent = g_build_filename (fx->dir, "parent", NULL);
  sub = g_build_filename (parent, "cifar-10-batches-bin", NULL);
  dataset_write_cifar (sub, &sub_train, &sub_test);
  nested = ss_dataset_load_cifar10 (parent, TRUE, &error);
  g_assert_no_error (error);
  check_cifar (nested, sub_train);
}

static void
test_subset (DatasetFixture *fx,
             gconstpointer   data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (SsDataset) ds = write_and_load_cifar (fx->dir, &train_recs);
  g_autoptr (SsDataset) sub = NULL;
  const guint32 pick[4] = { 7, 0, 7, 9 };
  float m[3], s[3];

  g_test_summary ("A subset copies the chosen samples (repeats allowed) and keeps the name, "
                  "classes and normalisation; it outlives its source.");
  sub = ss_dataset_subset (ds, pick, 4);
  g_clear_pointer (&ds, ss_dataset_free);

  g_assert_cmpuint (ss_dataset_get_size (sub), ==, 4);
  g_assert_cmpstr (ss_dataset_get_name (sub), ==, "cifar10");
  g_assert_cmpstr (ss_dataset_get_class_name (sub, 3), ==, "cat");
  ss_dataset_get_normalization (sub, m, s);
  g_assert_cmpmem (m, sizeof m, cifar_mean, sizeof cifar_mean);
  g_assert_cmpmem (s, sizeof s, cifar_std, sizeof cifar_std);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpuint (ss_dataset_get_labels (sub)[i], ==,
                        train_recs->data[pick[i] * DATASET_CIFAR_REC]);
      g_assert_cmpmem (ss_dataset_get_pixels (sub, i), 3072,
                       train_recs->data + pick[i] * DATASET_CIFAR_REC + 1, 3072);
    }
}

/* ---- Augmentation --------------------------------------------------------------------------- */

/* The first seed whose stream starts with dy, dx, flip as ss_dataset_fill_batch draws them. */
static guint64
seed_for (int dy,
          int dx,
          int flip)
{
  for (guint64 seed = 0; seed < 1000000; seed++)
    {
      SsRng rng;
      ss_rng_seed (&rng, seed);
      if ((int) ss_rng_below (&rng, 9) == dy && (int) ss_rng_below (&rng, 9) == dx
          && (int) ss_rng_below (&rng, 2) == flip)
        return seed;
    }
  g_assert_not_reached ();
}

static void
test_augment_by_hand (DatasetFixture *fx,
                      gconstpointer   data)
{
  /* One 4×4 MNIST image with raw values 1..16 row by row:
   *    1  2  3  4
   *    5  6  7  8
   *    9 10 11 12
   *   13 14 15 16
   * Padded by 4 black pixels, the window at (dy, dx) shows image pixel (y + dy - 4, x + dx - 4). */
  static const struct {
    int dy, dx, flip;
    guint8 want[16];
  } cases[] = {
    /* No shift, no flip: the image itself. */
    { 4, 4, 0, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } },
    /* No shift, flipped: each row reversed. */
    { 4, 4, 1, { 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13 } },
    /* One row of padding on top, one column cut on the left, padding on the right. */
    { 3, 5, 0, { 0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0 } },
    /* The same window, then mirrored. */
    { 3, 5, 1, { 0, 0, 0, 0, 0, 4, 3, 2, 0, 8, 7, 6, 0, 12, 11, 10 } },
    /* Down one row, two columns of padding on the left. */
    { 5, 2, 0, { 0, 0, 5, 6, 0, 0, 9, 10, 0, 0, 13, 14, 0, 0, 0, 0 } },
    /* Corner windows see only padding. */
    { 0, 0, 0, { 0 } },
    { 8, 8, 1, { 0 } },
    /* Down three and right three: only pixel 16 is left, top-left, or top-right when flipped. */
    { 7, 7, 0, { 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
    { 7, 7, 1, { 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
  };
  guint8 px[16], lb[1] = { 4 };
  g_autoptr (GByteArray) im = NULL;
  g_autoptr (GByteArray) la = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;
  const guint32 idx[1] = { 0 };

  g_test_summary ("Random crop with 4-pixel black padding and horizontal flip match "
                  "hand-computed windows of a 4x4 image; padding normalises like raw 0.");
  for (int i = 0; i < 16; i++)
    px[i] = (guint8) (i + 1);
  im = dataset_idx_images (0x00000803, 1, 4, 4, px, 16);
  la = dataset_idx_labels (1, lb, 1);
  ip = dataset_write_file (fx->dir, "im", im->data, im->len, FALSE);
  lp = dataset_write_file (fx->dir, "lb", la->data, la->len, FALSE);
  ds = ss_dataset_load_idx (ip, lp, "mnist", &error);
  g_assert_no_error (error);

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      SsRng rng;
      float x[16], want[16];
      SsLabel y = 255;
      g_autofree char *label = g_strdup_printf ("dy %d dx %d flip %d", cases[c].dy, cases[c].dx,
                                                cases[c].flip);

      ss_rng_seed (&rng, seed_for (cases[c].dy, cases[c].dx, cases[c].flip));
      ss_dataset_fill_batch (ds, x, &y, idx, 1, TRUE, &rng);
      g_assert_cmpuint (y, ==, 4);
      for (int k = 0; k < 16; k++)
        want[k] = dataset_norm (cases[c].want[k], 0.1307f, 0.3081f);
      ss_assert_tensor_close (x, want, 16, 1e-6, 1e-6, label);
    }
  /* Black padding is (0 - mean) / std, not 0. */
  g_assert_cmpfloat_with_epsilon (dataset_norm (0, 0.1307f, 0.3081f), -0.1307 / 0.3081, 1e-6);
}

/* Reference augmentation: builds the padded image explicitly, crops, flips, normalises. */
static void
reference_augment (float        *dst,   /* (C, H, W) */
                   const guint8 *src,   /* (C, H, W) */
                   int c, int h, int w, int dy, int dx, int flip,
                   const float *mean, const float *std)
{
  int ph = h + 8, pw = w + 8;
  g_autofree guint8 *pad = g_malloc0 ((gsize) c * ph * pw);

  for (int ch = 0; ch < c; ch++)
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++)
        pad[(ch * ph + i + 4) * pw + j + 4] = src[(ch * h + i) * w + j];
  for (int ch = 0; ch < c; ch++)
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++)
        {
          int sj = flip ? w - 1 - j : j;
          dst[(ch * h + i) * w + j] = dataset_norm (pad[(ch * ph + i + dy) * pw + sj + dx],
                                                    mean[ch], std[ch]);
        }
}

static void
test_augment_cifar (DatasetFixture *fx,
                    gconstpointer   data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (SsDataset) ds = write_and_load_cifar (fx->dir, &train_recs);
  const int b = 64;
  g_autofree guint32 *idx = g_new (guint32, b);
  g_autofree float *x1 = g_new (float, b * 3072);
  g_autofree float *x2 = g_new (float, b * 3072);
  g_autofree float *want = g_new (float, b * 3072);
  g_autofree SsLabel *y = g_new (SsLabel, b);
  SsRng r1, r2, replay;
  int flips = 0;
  gboolean seen_dy[9] = { FALSE };

  g_test_summary ("CIFAR augmentation draws dy, dx, flip per sample in order, so it is "
                  "reproducible for a seed and matches a reference built on an explicitly padded "
                  "image, per channel; another seed gives another batch.");
  for (int i = 0; i < b; i++)
    idx[i] = (guint32) ((i * 3) % 10);

  ss_rng_seed (&r1, 2024);
  ss_rng_seed (&r2, 2024);
  ss_dataset_fill_batch (ds, x1, y, idx, b, TRUE, &r1);
  ss_dataset_fill_batch (ds, x2, y, idx, b, TRUE, &r2);
  g_assert_cmpmem (x1, b * 3072 * sizeof (float), x2, b * 3072 * sizeof (float));
  g_assert_cmpuint (ss_rng_next (&r1), ==, ss_rng_next (&r2));

  ss_rng_seed (&replay, 2024);
  for (int i = 0; i < b; i++)
    {
      int dy = (int) ss_rng_below (&replay, 9);
      int dx = (int) ss_rng_below (&replay, 9);
      int flip = (int) ss_rng_below (&replay, 2);
      reference_augment (want + i * 3072, ss_dataset_get_pixels (ds, idx[i]), 3, 32, 32,
                         dy, dx, flip, cifar_mean, cifar_std);
      g_assert_cmpuint (y[i], ==, ss_dataset_get_labels (ds)[idx[i]]);
      flips += flip;
      seen_dy[dy] = TRUE;
    }
  ss_assert_tensor_close (x1, want, b * 3072, 1e-6, 1e-6, "augmented CIFAR batch");
  /* The generator after the batch is where the replay left it: three draws per sample. */
  ss_rng_seed (&r1, 2024);
  ss_dataset_fill_batch (ds, x1, y, idx, b, TRUE, &r1);
  g_assert_cmpuint (ss_rng_next (&r1), ==, ss_rng_next (&replay));
  g_assert_cmpint (flips, >, 10);
  g_assert_cmpint (flips, <, 54);
  g_assert_true (seen_dy[0] || seen_dy[8]);

  ss_rng_seed (&r2, 2025);
  ss_dataset_fill_batch (ds, x2, y, idx, b, TRUE, &r2);
  g_assert_true (memcmp (x1, x2, b * 3072 * sizeof (float)) != 0);
}

/* ---- The real thing ------------------------------------------------------------------------- */

static void
test_real_fashion_mnist (void)
{
  const char *dir = g_getenv ("SS_FASHION_MNIST_DIR");
  g_autofree char *spec = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) train = NULL;
  g_autoptr (SsDataset) test = NULL;
  guint counts[10] = { 0 };
  guint64 hist[256] = { 0 };
  double s = 0, s2 = 0, m, sd;
  gsize total;

  g_test_summary ("Debian's Fashion-MNIST: 60000 training and 10000 test images of 28x28, "
                  "6000 of each class in training, pixel mean 0.2860 and deviation 0.3530.");
  if (dir == NULL || *dir == '\0')
    dir = SS_DEFAULT_FASHION_MNIST_DIR;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *msg = g_strdup_printf ("%s is missing (install dataset-fashion-mnist)",
                                              dir);
      g_test_skip (msg);
      return;
    }
  spec = g_str_equal (dir, SS_DEFAULT_FASHION_MNIST_DIR)
         ? g_strdup ("fashion-mnist") : g_strdup_printf ("fashion-mnist:%s", dir);

  train = ss_dataset_load (spec, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_dataset_get_size (train), ==, 60000);
  g_assert_cmpint (ss_dataset_get_channels (train), ==, 1);
  g_assert_cmpint (ss_dataset_get_height (train), ==, 28);
  g_assert_cmpint (ss_dataset_get_width (train), ==, 28);
  for (gsize i = 0; i < 60000; i++)
    counts[ss_dataset_get_labels (train)[i]]++;
  for (int k = 0; k < 10; k++)
    g_assert_cmpuint (counts[k], ==, 6000);

  /* The published normalisation is these pixels' own statistics. */
  total = (gsize) 60000 * 784;
  for (gsize i = 0; i < 60000; i++)
    {
      const guint8 *p = ss_dataset_get_pixels (train, i);
      for (int k = 0; k < 784; k++)
        hist[p[k]]++;
    }
  for (int v = 0; v < 256; v++)
    {
      s += (double) hist[v] * v / 255.0;
      s2 += (double) hist[v] * (v / 255.0) * (v / 255.0);
    }
  m = s / total;
  sd = sqrt (s2 / total - m * m);
  g_test_message ("train pixel mean %.4f std %.4f", m, sd);
  g_assert_cmpfloat_with_epsilon (m, 0.2860, 5e-4);
  g_assert_cmpfloat_with_epsilon (sd, 0.3530, 5e-4);

  test = ss_dataset_load (spec, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_dataset_get_size (test), ==, 10000);
  memset (counts, 0, sizeof counts);
  for (gsize i = 0; i < 10000; i++)
    counts[ss_dataset_get_labels (test)[i]]++;
  for (int k = 0; k < 10; k++)
    g_assert_cmpuint (counts[k], ==, 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  dataset_add ("/dataset/idx/plain", test_idx_plain);
  dataset_add ("/dataset/idx/spec-gzip-and-plain", test_idx_spec);
  dataset_add ("/dataset/idx/other-name", test_idx_other_name);
  dataset_add ("/dataset/cifar/load", test_cifar_load);
  dataset_add ("/dataset/subset", test_subset);
  dataset_add ("/dataset/augment/by-hand", test_augment_by_hand);
  dataset_add ("/dataset/augment/cifar-reference", test_augment_cifar);
  g_test_add_func ("/dataset/real/fashion-mnist", test_real_fashion_mnist);

  return g_test_run ();
}
