/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Fixture and synthetic dataset files for test-dataset.c and test-dataset-bad.c: a temporary
 * directory, IDX (plain or gzipped) and CIFAR-10 writers, and loader error checks.
 * Legend: N samples, C channels, H W image size. */

#include <string.h>
#include <zlib.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-rng.h"
#include "dataset-files.h"
#include "ss-test-util.h"

/* ---- Fixture: a temporary directory --------------------------------------------------------- */

void
dataset_fixture_setup (DatasetFixture *fx,
                       gconstpointer   data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("ss-dataset-XXXXXX", &error);
  g_assert_no_error (error);
}

void
dataset_fixture_teardown (DatasetFixture *fx,
                          gconstpointer   data)
{
  ss_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

/* ---- Helpers to fill it --------------------------------------------------------------------- */

/* Writes data to dir/name, gzipped if gz. Returns: (transfer full) the path. */
char *
dataset_write_file (const char   *dir,
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
GByteArray *
dataset_idx_images (guint32       magic,
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
GByteArray *
dataset_idx_labels (guint32       n,
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
void
dataset_fill_bytes (guint8 *p,
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
void
dataset_write_idx_pair (const char *dir,
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

  dataset_fill_bytes (pixels, bytes, n * 31 + rows);
  for (guint32 i = 0; i < n; i++)
    labels[i] = (guint8) ((i * 7 + 3) % 10);
  im = dataset_idx_images (0x00000803, n, rows, cols, pixels, bytes);
  lb = dataset_idx_labels (n, labels, n);
  p1 = dataset_write_file (dir, im_name, im->data, im->len, gz);
  p2 = dataset_write_file (dir, lb_name, lb->data, lb->len, gz);
  *pixels_out = pixels;
  *labels_out = labels;
}

/* A CIFAR-10 file of n records whose labels are (first + k) % 10 and pixels are seeded. */
GByteArray *
dataset_cifar_records (int     n,
                       int     first,
                       guint64 seed)
{
  GByteArray *a = g_byte_array_sized_new (n * DATASET_CIFAR_REC);
  g_byte_array_set_size (a, n * DATASET_CIFAR_REC);
  dataset_fill_bytes (a->data, a->len, seed);
  for (int k = 0; k < n; k++)
    a->data[k * DATASET_CIFAR_REC] = (guint8) ((first + k) % 10);
  return a;
}

/* data_batch_1..5.bin with 2 records each and test_batch.bin with 3, in dir. The records of
 * all train files, concatenated, are returned in train_out (transfer full). */
void
dataset_write_cifar (const char  *dir,
                     GByteArray **train_out,
                     GByteArray **test_out)
{
  GByteArray *all = g_byte_array_new ();
  g_autofree char *tp = NULL;

  g_mkdir_with_parents (dir, 0700);
  for (int f = 1; f <= 5; f++)
    {
      g_autoptr (GByteArray) a = dataset_cifar_records (2, f * 2, f);
      g_autofree char *name = g_strdup_printf ("data_batch_%d.bin", f);
      g_autofree char *path = dataset_write_file (dir, name, a->data, a->len, FALSE);
      g_byte_array_append (all, a->data, a->len);
    }
  *test_out = dataset_cifar_records (3, 0, 99);
  tp = dataset_write_file (dir, "test_batch.bin", (*test_out)->data, (*test_out)->len, FALSE);
  *train_out = all;
}

/* ---- Checks --------------------------------------------------------------------------------- */

/* Fails the running test unless error is in SS_ERROR with code and its message names needle. */
void
dataset_assert_error_names (const GError *error,
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

/* The loader's normalisation of a raw byte: (v / 255 - mean) / std. */
float
dataset_norm (guint8 v,
              float  mean,
              float  std)
{
  return (float) (((double) v / 255.0 - mean) / std);
}
