/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Dataset loaders: synthetic IDX (plain and gzipped) and CIFAR-10 files in a temporary directory,
 * every kind of malformed input, batches with normalisation and augmentation, and the real
 * Fashion-MNIST when it is installed. Legend: N samples, B batch, C channels, H W image size. */

#include <math.h>
#include <string.h>
#include <zlib.h>

#include <glib/gstdio.h>

#ifdef __linux__
#include <sys/resource.h>
#endif

#include "ss-dataset.h"
#include "ss-error.h"
#include "ss-rng.h"
#include "ss-test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif


/* ---- Fixture: a temporary directory and helpers to fill it ---------------------------------- */

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("ss-dataset-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
}

/* Writes data to dir/name, gzipped if gz. Returns: (transfer full) the path. */
static char *
write_file (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         len,
            gboolean      gz)
{
  char *path = g_build_filename (dir, name, NULL);

  if (gz)
    {
      gzFile f = gzopen (path, "wb9");
      g_assert_nonnull (f);
      if (len > 0)
        g_assert_cmpint (gzwrite (f, data, (unsigned) len), ==, (int) len);
      g_assert_cmpint (gzclose (f), ==, Z_OK);
    }
  else
    {
      g_autoptr (GError) error = NULL;
      g_file_set_contents (path, (const char *) data, (gssize) len, &error);
      g_assert_no_error (error);
    }
  return path;
}

static void
append_be32 (GByteArray *a,
             guint32     v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (a, b, 4);
}

/* An IDX image file declaring n images of rows × cols followed by len bytes of pixels. */
static GByteArray *
idx_images (guint32       magic,
            guint32       n,
            guint32       rows,
            guint32       cols,
            const guint8 *pixels,
            gsize         len)
{
  GByteArray *a = g_byte_array_new ();
  append_be32 (a, magic);
  append_be32 (a, n);
  append_be32 (a, rows);
  append_be32 (a, cols);
  if (len > 0)
    g_byte_array_append (a, pixels, (guint) len);
  return a;
}

/* An IDX label file declaring n labels followed by len label bytes. */
static GByteArray *
idx_labels (guint32       n,
            const guint8 *labels,
            gsize         len)
{
  GByteArray *a = g_byte_array_new ();
  append_be32 (a, 0x00000801);
  append_be32 (a, n);
  if (len > 0)
    g_byte_array_append (a, labels, (guint) len);
  return a;
}

/* Deterministic pixel bytes for tests. */
static void
fill_bytes (guint8 *p,
            gsize   n,
            guint64 seed)
{
  SsRng rng;
  ss_rng_seed (&rng, seed);
  for (gsize i = 0; i < n; i++)
    p[i] = (guint8) ss_rng_below (&rng, 256);
}

/* Writes a well-formed pair of IDX files with n images of rows × cols into dir under the
 * standard names for split ("train" or "t10k"). Returns the pixels and labels it wrote. */
static void
write_idx_pair (const char *dir,
                const char *split,
                guint32     n,
                guint32     rows,
                guint32     cols,
                gboolean    gz,
                guint8    **pixels_out,
                guint8    **labels_out)
{
  gsize bytes = (gsize) n * rows * cols;
  guint8 *pixels = g_malloc (bytes);
  guint8 *labels = g_malloc (n);
  g_autoptr (GByteArray) im = NULL;
  g_autoptr (GByteArray) lb = NULL;
  g_autofree char *im_name = g_strdup_printf ("%s-images-idx3-ubyte%s", split, gz ? ".gz" : "");
  g_autofree char *lb_name = g_strdup_printf ("%s-labels-idx1-ubyte%s", split, gz ? ".gz" : "");
  g_autofree char *p1 = NULL;
  g_autofree char *p2 = NULL;

  fill_bytes (pixels, bytes, n * 31 + rows);
  for (guint32 i = 0; i < n; i++)
    labels[i] = (guint8) ((i * 7 + 3) % 10);
  im = idx_images (0x00000803, n, rows, cols, pixels, bytes);
  lb = idx_labels (n, labels, n);
  p1 = write_file (dir, im_name, im->data, im->len, gz);
  p2 = write_file (dir, lb_name, lb->data, lb->len, gz);
  *pixels_out = pixels;
  *labels_out = labels;
}

static void
assert_error_names (const GError *error,
                    int           code,
                    const char   *needle)
{
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, SS_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("error message “%s” does not name “%s”",
                                              error->message, needle);
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
}

static float
norm (guint8 v,
      float  mean,
      float  std)
{
  return (float) (((double) v / 255.0 - mean) / std);
}

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
  g_autofree guint8 *y = g_malloc (n);

  g_assert_cmpuint (ss_dataset_get_size (ds), ==, n);
  g_assert_cmpint (ss_dataset_get_channels (ds), ==, 1);
  g_assert_cmpint (ss_dataset_get_height (ds), ==, (int) rows);
  g_assert_cmpint (ss_dataset_get_width (ds), ==, (int) cols);
  g_assert_cmpint (ss_dataset_get_n_classes (ds), ==, 10);
  g_assert_cmpmem (ss_dataset_get_labels (ds), n, labels, n);
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
        want[i * sample + k] = norm (pixels[idx[i] * sample + k], mean, std);
    }
  ss_assert_tensor_close (x, want, n * sample, 1e-6, 1e-6, "normalised batch");
}

static void
test_idx_plain (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree guint8 *pixels = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree char *im = g_build_filename (fx->dir, "train-images-idx3-ubyte", NULL);
  g_autofree char *lb = g_build_filename (fx->dir, "train-labels-idx1-ubyte", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;

  g_test_summary ("A plain (not gzipped) IDX pair loads with the right sizes, pixels, labels, "
                  "class names and MNIST normalisation, and batches are (p/255 - mean)/std.");
  write_idx_pair (fx->dir, "train", 5, 3, 4, FALSE, &pixels, &labels);
  ds = ss_dataset_load_idx (im, lb, "mnist", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_dataset_get_name (ds), ==, "mnist");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 0), ==, "0");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 9), ==, "9");
  check_idx_dataset (ds, 5, 3, 4, pixels, labels, 0.1307f, 0.3081f);
}

static void
test_idx_spec (Fixture       *fx,
               gconstpointer  data)
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
  write_idx_pair (fx->dir, "train", 7, 28, 28, TRUE, &train_px, &train_lb);
  write_idx_pair (fx->dir, "t10k", 3, 28, 28, FALSE, &test_px, &test_lb);

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
test_idx_other_name (Fixture       *fx,
                     gconstpointer  data)
{
  /* Two 1×2 images: bytes 0, 255, 0, 255 have mean 1/2 and standard deviation 1/2. */
  const guint8 px[4] = { 0, 255, 0, 255 }, lb[2] = { 1, 2 };
  g_autoptr (GByteArray) im = idx_images (0x00000803, 2, 1, 2, px, 4);
  g_autoptr (GByteArray) la = idx_labels (2, lb, 2);
  g_autofree char *ip = write_file (fx->dir, "a", im->data, im->len, TRUE);
  g_autofree char *lp = write_file (fx->dir, "b", la->data, la->len, FALSE);
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

#define REC 3073

/* A CIFAR-10 file of n records whose labels are (first + k) % 10 and pixels are seeded. */
static GByteArray *
cifar_records (int     n,
               int     first,
               guint64 seed)
{
  GByteArray *a = g_byte_array_sized_new (n * REC);
  g_byte_array_set_size (a, n * REC);
  fill_bytes (a->data, a->len, seed);
  for (int k = 0; k < n; k++)
    a->data[k * REC] = (guint8) ((first + k) % 10);
  return a;
}

/* data_batch_1..5.bin with 2 records each and test_batch.bin with 3, in dir. The records of
 * all train files, concatenated, are returned in train_out (transfer full). */
static void
write_cifar (const char  *dir,
             GByteArray **train_out,
             GByteArray **test_out)
{
  GByteArray *all = g_byte_array_new ();
  g_autofree char *tp = NULL;

  g_mkdir_with_parents (dir, 0700);
  for (int f = 1; f <= 5; f++)
    {
      g_autoptr (GByteArray) a = cifar_records (2, f * 2, f);
      g_autofree char *name = g_strdup_printf ("data_batch_%d.bin", f);
      g_autofree char *path = write_file (dir, name, a->data, a->len, FALSE);
      g_byte_array_append (all, a->data, a->len);
    }
  *test_out = cifar_records (3, 0, 99);
  tp = write_file (dir, "test_batch.bin", (*test_out)->data, (*test_out)->len, FALSE);
  *train_out = all;
}

static const float cifar_mean[3] = { 0.4914f, 0.4822f, 0.4465f };
static const float cifar_std[3] = { 0.2470f, 0.2435f, 0.2616f };

static void
check_cifar (SsDataset        *ds,
             const GByteArray *recs)
{
  gsize n = recs->len / REC;
  float m[3], s[3];
  g_autofree guint32 *idx = g_new (guint32, n);
  g_autofree float *x = g_new (float, n * 3072);
  g_autofree float *want = g_new (float, n * 3072);
  g_autofree guint8 *y = g_malloc (n);

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
      g_assert_cmpuint (ss_dataset_get_labels (ds)[i], ==, recs->data[i * REC]);
      g_assert_cmpmem (ss_dataset_get_pixels (ds, i), 3072, recs->data + i * REC + 1, 3072);
      idx[i] = (guint32) i;
      for (int k = 0; k < 3072; k++)
        want[i * 3072 + k] = norm (recs->data[i * REC + 1 + k], cifar_mean[k / 1024],
                                   cifar_std[k / 1024]);
    }
  ss_dataset_fill_batch (ds, x, y, idx, (int) n, FALSE, NULL);
  ss_assert_tensor_close (x, want, n * 3072, 1e-6, 1e-6, "normalised CIFAR batch");
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (y[i], ==, recs->data[i * REC]);
}

static void
test_cifar_load (Fixture       *fx,
                 gconstpointer  data)
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
  write_cifar (fx->dir, &train_recs, &test_recs);
  train = ss_dataset_load (spec, TRUE, &error);
  g_assert_no_error (error);
  check_cifar (train, train_recs);
  test = ss_dataset_load_cifar10 (fx->dir, FALSE, &error);
  g_assert_no_error (error);
  check_cifar (test, test_recs);

  /* The same files one level down, loaded through a directory without batches of its own. */
  parent = g_build_filename (fx->dir, "parent", NULL);
  sub = g_build_filename (parent, "cifar-10-batches-bin", NULL);
  write_cifar (sub, &sub_train, &sub_test);
  nested = ss_dataset_load_cifar10 (parent, TRUE, &error);
  g_assert_no_error (error);
  check_cifar (nested, sub_train);
}

static void
test_subset (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (GByteArray) test_recs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;
  g_autoptr (SsDataset) sub = NULL;
  const guint32 pick[4] = { 7, 0, 7, 9 };
  float m[3], s[3];

  g_test_summary ("A subset copies the chosen samples (repeats allowed) and keeps the name, "
                  "classes and normalisation; it outlives its source.");
  write_cifar (fx->dir, &train_recs, &test_recs);
  ds = ss_dataset_load_cifar10 (fx->dir, TRUE, &error);
  g_assert_no_error (error);
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
      g_assert_cmpuint (ss_dataset_get_labels (sub)[i], ==, train_recs->data[pick[i] * REC]);
      g_assert_cmpmem (ss_dataset_get_pixels (sub, i), 3072,
                       train_recs->data + pick[i] * REC + 1, 3072);
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
test_augment_by_hand (Fixture       *fx,
                      gconstpointer  data)
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
  im = idx_images (0x00000803, 1, 4, 4, px, 16);
  la = idx_labels (1, lb, 1);
  ip = write_file (fx->dir, "im", im->data, im->len, FALSE);
  lp = write_file (fx->dir, "lb", la->data, la->len, FALSE);
  ds = ss_dataset_load_idx (ip, lp, "mnist", &error);
  g_assert_no_error (error);

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      SsRng rng;
      float x[16], want[16];
      guint8 y = 255;
      g_autofree char *label = g_strdup_printf ("dy %d dx %d flip %d", cases[c].dy, cases[c].dx,
                                                cases[c].flip);

      ss_rng_seed (&rng, seed_for (cases[c].dy, cases[c].dx, cases[c].flip));
      ss_dataset_fill_batch (ds, x, &y, idx, 1, TRUE, &rng);
      g_assert_cmpuint (y, ==, 4);
      for (int k = 0; k < 16; k++)
        want[k] = norm (cases[c].want[k], 0.1307f, 0.3081f);
      ss_assert_tensor_close (x, want, 16, 1e-6, 1e-6, label);
    }
  /* Black padding is (0 - mean) / std, not 0. */
  g_assert_cmpfloat_with_epsilon (norm (0, 0.1307f, 0.3081f), -0.1307 / 0.3081, 1e-6);
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
          dst[(ch * h + i) * w + j] = norm (pad[(ch * ph + i + dy) * pw + sj + dx],
                                            mean[ch], std[ch]);
        }
}

static void
test_augment_cifar (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (GByteArray) test_recs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;
  const int b = 64;
  g_autofree guint32 *idx = g_new (guint32, b);
  g_autofree float *x1 = g_new (float, b * 3072);
  g_autofree float *x2 = g_new (float, b * 3072);
  g_autofree float *want = g_new (float, b * 3072);
  g_autofree guint8 *y = g_malloc (b);
  SsRng r1, r2, replay;
  int flips = 0;
  gboolean seen_dy[9] = { FALSE };

  g_test_summary ("CIFAR augmentation draws dy, dx, flip per sample in order, so it is "
                  "reproducible for a seed and matches a reference built on an explicitly padded "
                  "image, per channel; another seed gives another batch.");
  write_cifar (fx->dir, &train_recs, &test_recs);
  ds = ss_dataset_load_cifar10 (fx->dir, TRUE, &error);
  g_assert_no_error (error);
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

/* ---- Bad input ------------------------------------------------------------------------------ */

/* Writes an image file with the given header and pixel bytes and a label file declaring n_labels
 * (holding that many zero labels, or 1024 if fewer), then returns the loader's error
 * (transfer full). */
static GError *
load_bad_idx (const char *dir,
              guint32     magic,
              guint32     n,
              guint32     rows,
              guint32     cols,
              gsize       pixel_bytes,
              guint32     n_labels,
              gboolean    gz,
              char      **images_path)
{
  g_autofree guint8 *px = g_malloc0 (MAX (pixel_bytes, 1));
  gsize label_bytes = MIN (n_labels, 1024);
  g_autofree guint8 *lb = g_malloc0 (MAX (label_bytes, 1));
  g_autoptr (GByteArray) im = idx_images (magic, n, rows, cols, px, pixel_bytes);
  g_autoptr (GByteArray) la = idx_labels (n_labels, lb, label_bytes);
  g_autofree char *lp = write_file (dir, "labels", la->data, la->len, gz);
  GError *error = NULL;
  SsDataset *ds;

  *images_path = write_file (dir, gz ? "images.gz" : "images", im->data, im->len, gz);
  ds = ss_dataset_load_idx (*images_path, lp, "fashion-mnist", &error);
  g_assert_null (ds);
  return error;
}

static void
test_bad_missing_file (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *ip = g_build_filename (fx->dir, "no-such-images", NULL);
  g_autofree char *lp = g_build_filename (fx->dir, "no-such-labels", NULL);
  g_autofree char *spec = g_strdup_printf ("mnist:%s", fx->dir);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A missing file is an I/O error naming it, directly or through a spec.");
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_IO, ip);
  g_clear_error (&error);

  g_assert_null (ss_dataset_load (spec, TRUE, &error));
  assert_error_names (error, SS_ERROR_IO, "train-images-idx3-ubyte.gz");
  g_clear_error (&error);

  g_free (spec);
  spec = g_strdup_printf ("fashion-mnist:%s/nowhere", fx->dir);
  g_assert_null (ss_dataset_load (spec, FALSE, &error));
  assert_error_names (error, SS_ERROR_IO, "nowhere");
}

static void
test_bad_truncated_gzip (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autofree guint8 *px = NULL;
  g_autofree guint8 *lb = NULL;
  g_autofree char *bytes = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A gzip file cut short is a format error naming it.");
  write_idx_pair (fx->dir, "train", 20, 28, 28, TRUE, &px, &lb);
  ip = g_build_filename (fx->dir, "train-images-idx3-ubyte.gz", NULL);
  lp = g_build_filename (fx->dir, "train-labels-idx1-ubyte.gz", NULL);
  g_assert_true (g_file_get_contents (ip, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) (len / 2), NULL));
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "truncated");
  g_clear_error (&error);

  /* Only the 8-byte trailer missing: all the data is there but the stream is unfinished. */
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) (len - 8), NULL));
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, ip);
}

static void
test_bad_corrupt_gzip (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autofree guint8 *px = NULL;
  g_autofree guint8 *lb = NULL;
  g_autofree char *bytes = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Damaged gzip bytes, in the compressed data or the CRC, are a format error "
                  "naming the file.");
  write_idx_pair (fx->dir, "train", 20, 28, 28, TRUE, &px, &lb);
  ip = g_build_filename (fx->dir, "train-images-idx3-ubyte.gz", NULL);
  lp = g_build_filename (fx->dir, "train-labels-idx1-ubyte.gz", NULL);
  g_assert_true (g_file_get_contents (ip, &bytes, &len, NULL));

  bytes[len - 8] ^= 0x5a;   /* the CRC-32 of the trailer */
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) len, NULL));
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "corrupt gzip");
  g_clear_error (&error);
  bytes[len - 8] ^= 0x5a;

  for (gsize k = len / 2; k < len / 2 + 16; k++)
    bytes[k] = (char) 0xff;
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) len, NULL));
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, ip);
}

static void
test_bad_magic (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  GError *error;

  g_test_summary ("Wrong IDX magic numbers name the file, the magic found and the one expected.");
  error = load_bad_idx (fx->dir, 0x00000801, 1, 2, 2, 4, 1, TRUE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "magic 0x00000801, expected 0x00000803");
  g_clear_error (&error);
  g_clear_pointer (&ip, g_free);

  error = load_bad_idx (fx->dir, 0x00000c03, 1, 2, 2, 4, 1, FALSE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  g_clear_error (&error);

  /* Images given as labels. */
  {
    const guint8 px[4] = { 0 };
    g_autoptr (GByteArray) im = idx_images (0x00000803, 1, 2, 2, px, 4);
    g_autoptr (SsDataset) ds = NULL;
    g_clear_pointer (&ip, g_free);
    ip = write_file (fx->dir, "im2", im->data, im->len, FALSE);
    lp = write_file (fx->dir, "lb2", im->data, im->len, FALSE);
    ds = ss_dataset_load_idx (ip, lp, "mnist", &error);
    g_assert_null (ds);
    assert_error_names (error, SS_ERROR_FORMAT, lp);
    assert_error_names (error, SS_ERROR_FORMAT, "expected 0x00000801");
    g_clear_error (&error);
  }

  /* An empty file. */
  g_clear_pointer (&ip, g_free);
  ip = write_file (fx->dir, "empty", NULL, 0, FALSE);
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  g_clear_error (&error);
}

static void
test_bad_dims (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *ip = NULL;
  GError *error;

  g_test_summary ("0 rows, 5000 columns or 0 images are rejected from the header alone.");
  error = load_bad_idx (fx->dir, 0x00000803, 1, 0, 28, 0, 1, FALSE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "0x28");
  g_clear_error (&error);
  g_clear_pointer (&ip, g_free);

  error = load_bad_idx (fx->dir, 0x00000803, 1, 28, 5000, 28 * 5000, 1, TRUE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "28x5000");
  g_clear_error (&error);
  g_clear_pointer (&ip, g_free);

  error = load_bad_idx (fx->dir, 0x00000803, 0, 28, 28, 0, 1, FALSE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  g_clear_error (&error);
}

static void
test_bad_count_mismatch (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = g_build_filename (fx->dir, "labels", NULL);
  GError *error;

  g_test_summary ("Different image and label counts name both files.");
  error = load_bad_idx (fx->dir, 0x00000803, 3, 2, 2, 12, 4, FALSE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, lp);
  g_clear_error (&error);
}

static void
test_bad_label_range (Fixture       *fx,
                      gconstpointer  data)
{
  const guint8 px[8] = { 0 }, lb[2] = { 9, 10 };
  g_autoptr (GByteArray) im = idx_images (0x00000803, 2, 2, 2, px, 8);
  g_autoptr (GByteArray) la = idx_labels (2, lb, 2);
  g_autofree char *ip = write_file (fx->dir, "im", im->data, im->len, FALSE);
  g_autofree char *lp = write_file (fx->dir, "lb.gz", la->data, la->len, TRUE);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A label of 10 is a format error naming the label file and the sample.");
  g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
  assert_error_names (error, SS_ERROR_FORMAT, lp);
  assert_error_names (error, SS_ERROR_FORMAT, "label 10 of sample 1");
}

static void
test_bad_trailing (Fixture       *fx,
                   gconstpointer  data)
{
  const guint8 px[9] = { 0 }, lb[3] = { 1, 2, 3 };
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Bytes after the declared images or labels are a format error; so are too "
                  "few.");
  {
    g_autoptr (GByteArray) im = idx_images (0x00000803, 2, 2, 2, px, 9);
    g_autoptr (GByteArray) la = idx_labels (2, lb, 2);
    ip = write_file (fx->dir, "im", im->data, im->len, FALSE);
    lp = write_file (fx->dir, "lb", la->data, la->len, FALSE);
    g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
    assert_error_names (error, SS_ERROR_FORMAT, ip);
    assert_error_names (error, SS_ERROR_FORMAT, "extra data");
    g_clear_error (&error);
    g_free (ip);
    g_free (lp);
  }
  {
    g_autoptr (GByteArray) im = idx_images (0x00000803, 2, 2, 2, px, 8);
    g_autoptr (GByteArray) la = idx_labels (2, lb, 3);
    ip = write_file (fx->dir, "im.gz", im->data, im->len, TRUE);
    lp = write_file (fx->dir, "lb.gz", la->data, la->len, TRUE);
    g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
    assert_error_names (error, SS_ERROR_FORMAT, lp);
    g_clear_error (&error);
    g_free (ip);
    g_free (lp);
  }
  {
    g_autoptr (GByteArray) im = idx_images (0x00000803, 2, 2, 2, px, 7);
    g_autoptr (GByteArray) la = idx_labels (2, lb, 2);
    ip = write_file (fx->dir, "im", im->data, im->len, FALSE);
    lp = write_file (fx->dir, "lb", la->data, la->len, FALSE);
    g_assert_null (ss_dataset_load_idx (ip, lp, "mnist", &error));
    assert_error_names (error, SS_ERROR_FORMAT, ip);
    assert_error_names (error, SS_ERROR_FORMAT, "truncated");
  }
}

static void
test_bad_absurd_count (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *ip = NULL;
  GError *error;
  gint64 start = g_get_monotonic_time ();

  g_test_summary ("A tiny file declaring 0x7fffffff images fails fast: above the size cap from "
                  "the header, below it from the missing bytes, without allocating the "
                  "declared size.");
  error = load_bad_idx (fx->dir, 0x00000803, 0x7fffffff, 28, 28, 16, 0x7fffffff, FALSE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  g_clear_error (&error);
  g_clear_pointer (&ip, g_free);

  /* 0x3fffffff 1×1 images is just under the 1 GiB cap: the loader must find the bytes missing
   * rather than allocate a gigabyte first. */
  error = load_bad_idx (fx->dir, 0x00000803, 0x3fffffff, 1, 1, 16, 0x3fffffff, TRUE, &ip);
  assert_error_names (error, SS_ERROR_FORMAT, ip);
  assert_error_names (error, SS_ERROR_FORMAT, "truncated");
  g_clear_error (&error);
  g_test_message ("both took %.3f s", (g_get_monotonic_time () - start) / 1e6);
}

#if defined(__linux__) && defined(RLIMIT_AS) && !defined(UNDER_ASAN)
static void
test_bad_absurd_count_memory (Fixture       *fx,
                              gconstpointer  data)
{
  g_test_summary ("With the address space limited to 512 MiB more than now, a file declaring "
                  "a gigabyte of pixels still fails cleanly (g_malloc would abort).");
  if (g_test_subprocess ())
    {
      g_autofree char *ip = NULL;
      g_autofree char *status = NULL;
      GError *error;
      struct rlimit rl;
      guint64 vm_kb = 0;
      const char *line;

      g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
      line = strstr (status, "VmSize:");
      g_assert_nonnull (line);
      vm_kb = g_ascii_strtoull (line + 7, NULL, 10);
      rl.rlim_cur = rl.rlim_max = (rlim_t) (vm_kb * 1024 + ((guint64) 512 << 20));
      g_assert_cmpint (setrlimit (RLIMIT_AS, &rl), ==, 0);
      error = load_bad_idx (fx->dir, 0x00000803, 0x3fffffff, 1, 1, 16, 0x3fffffff, FALSE, &ip);
      assert_error_names (error, SS_ERROR_FORMAT, "truncated");
      g_clear_error (&error);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}
#endif

static void
test_bad_cifar_size (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr (GByteArray) recs = cifar_records (3, 0, 5);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A CIFAR-10 batch that is not a whole number of 3073-byte records, or is "
                  "empty, is a format error naming it.");
  g_byte_array_set_size (recs, 2 * REC + 5);
  path = write_file (fx->dir, "test_batch.bin", recs->data, recs->len, FALSE);
  g_assert_null (ss_dataset_load_cifar10 (fx->dir, FALSE, &error));
  assert_error_names (error, SS_ERROR_FORMAT, path);
  assert_error_names (error, SS_ERROR_FORMAT, "3073");
  g_clear_error (&error);

  g_free (path);
  path = write_file (fx->dir, "test_batch.bin", NULL, 0, FALSE);
  g_assert_null (ss_dataset_load_cifar10 (fx->dir, FALSE, &error));
  assert_error_names (error, SS_ERROR_FORMAT, path);
}

static void
test_bad_cifar_label (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr (GByteArray) recs = cifar_records (3, 0, 5);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A CIFAR-10 label of 10 is a format error naming the file and record.");
  recs->data[2 * REC] = 10;
  path = write_file (fx->dir, "test_batch.bin", recs->data, recs->len, FALSE);
  g_assert_null (ss_dataset_load_cifar10 (fx->dir, FALSE, &error));
  assert_error_names (error, SS_ERROR_FORMAT, path);
  assert_error_names (error, SS_ERROR_FORMAT, "record 2 has label 10");
}

static void
test_bad_cifar_missing (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (GByteArray) test_recs = NULL;
  g_autofree char *gone = g_build_filename (fx->dir, "data_batch_3.bin", NULL);
  g_autofree char *nodir = g_build_filename (fx->dir, "nowhere", NULL);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A missing CIFAR-10 batch, or directory, is an I/O error naming it.");
  write_cifar (fx->dir, &train_recs, &test_recs);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  g_assert_null (ss_dataset_load_cifar10 (fx->dir, TRUE, &error));
  assert_error_names (error, SS_ERROR_IO, gone);
  g_clear_error (&error);

  g_assert_null (ss_dataset_load_cifar10 (nodir, TRUE, &error));
  assert_error_names (error, SS_ERROR_IO, nodir);
}

static void
test_bad_spec (void)
{
  static const char *specs[] = { "foo:bar", "foo", "mnist", "cifar10", "mnist:", "" };
  g_test_summary ("A spec that names no dataset, or lacks a required directory, is an argument "
                  "error quoting it.");
  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (ss_dataset_load (specs[i], TRUE, &error));
      assert_error_names (error, SS_ERROR_ARGUMENT, specs[i]);
    }
}

static void
test_misuse (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree guint8 *px = NULL;
  g_autofree guint8 *lb = NULL;
  g_autofree char *spec = g_strdup_printf ("mnist:%s", fx->dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;

  g_test_summary ("Out-of-range indices are programming errors caught by g_return_if_fail.");
  write_idx_pair (fx->dir, "t10k", 2, 2, 2, FALSE, &px, &lb);
  ds = ss_dataset_load (spec, FALSE, &error);
  g_assert_no_error (error);
  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (ss_dataset_get_class_name (ds, 10));
  g_test_assert_expected_messages ();
  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (ss_dataset_get_pixels (ds, 2));
  g_test_assert_expected_messages ();
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

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dataset/idx/plain", test_idx_plain);
  ADD ("/dataset/idx/spec-gzip-and-plain", test_idx_spec);
  ADD ("/dataset/idx/other-name", test_idx_other_name);
  ADD ("/dataset/cifar/load", test_cifar_load);
  ADD ("/dataset/subset", test_subset);
  ADD ("/dataset/augment/by-hand", test_augment_by_hand);
  ADD ("/dataset/augment/cifar-reference", test_augment_cifar);
  ADD ("/dataset/bad/missing-file", test_bad_missing_file);
  ADD ("/dataset/bad/truncated-gzip", test_bad_truncated_gzip);
  ADD ("/dataset/bad/corrupt-gzip", test_bad_corrupt_gzip);
  ADD ("/dataset/bad/magic", test_bad_magic);
  ADD ("/dataset/bad/dims", test_bad_dims);
  ADD ("/dataset/bad/count-mismatch", test_bad_count_mismatch);
  ADD ("/dataset/bad/label-range", test_bad_label_range);
  ADD ("/dataset/bad/trailing-data", test_bad_trailing);
  ADD ("/dataset/bad/absurd-count", test_bad_absurd_count);
#if defined(__linux__) && defined(RLIMIT_AS) && !defined(UNDER_ASAN)
  ADD ("/dataset/bad/absurd-count-memory", test_bad_absurd_count_memory);
#endif
  ADD ("/dataset/bad/cifar-size", test_bad_cifar_size);
  ADD ("/dataset/bad/cifar-label", test_bad_cifar_label);
  ADD ("/dataset/bad/cifar-missing-batch", test_bad_cifar_missing);
  ADD ("/dataset/misuse", test_misuse);
#undef ADD
  g_test_add_func ("/dataset/bad/unknown-spec", test_bad_spec);
  g_test_add_func ("/dataset/real/fashion-mnist", test_real_fashion_mnist);

  return g_test_run ();
}
