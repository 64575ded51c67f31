/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Dataset loaders on bad input: every kind of malformed IDX (plain and gzipped) and CIFAR-10
 * file in a temporary directory, unknown specs, and misuse of the API. Good input is in
 * test-dataset.c. Legend: N samples, C channels, H W image size. */

#include <string.h>

#include <glib/gstdio.h>

#ifdef __linux__
#include <sys/resource.h>
#endif

#include "ss-dataset.h"
#include "ss-error.h"
#include "dataset-files.h"
#include "ss-test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ---- Bad input ------------------------------------------------------------------------------ */

/* Fails unless a loader refused: its result ds is NULL and *error is in SS_ERROR with code, with
 * a message that names `names` and, unless NULL, says problem. Clears *error. */
static void
assert_refused (SsDataset   *ds,
                GError     **error,
                int          code,
                const char  *names,
                const char  *problem)
{
  g_assert_null (ds);
  dataset_assert_error_names (*error, code, names);
  if (problem != NULL)
    dataset_assert_error_names (*error, code, problem);
  g_clear_error (error);
}

/* ss_dataset_load_idx (ip, lp) is refused so (the data set's name only matters after reading). */
static void
assert_idx_refused (const char *ip,
                    const char *lp,
                    int         code,
                    const char *names,
                    const char *problem)
{
  g_autoptr (GError) error = NULL;

  assert_refused (ss_dataset_load_idx (ip, lp, "mnist", &error), &error, code, names, problem);
}

/* Writes an image file with the given header and pixel bytes and a label file declaring n_labels
 * (holding that many zero labels, or 1024 if fewer) into dir, and fails unless loading them is
 * an SS_ERROR_FORMAT naming the image file and, unless NULL, saying problem. */
static void
assert_bad_idx (const char *dir,
                guint32     magic,
                guint32     n,
                guint32     rows,
                guint32     cols,
                gsize       pixel_bytes,
                guint32     n_labels,
                gboolean    gz,
                const char *problem)
{
  g_autofree guint8 *px = g_malloc0 (MAX (pixel_bytes, 1));
  gsize label_bytes = MIN (n_labels, 1024);
  g_autofree guint8 *lb = g_malloc0 (MAX (label_bytes, 1));
  g_autoptr (GByteArray) im = dataset_idx_images (magic, n, rows, cols, px, pixel_bytes);
  g_autoptr (GByteArray) la = dataset_idx_labels (n_labels, lb, label_bytes);
  g_autofree char *lp = dataset_write_file (dir, "labels", la->data, la->len, gz);
  g_autofree char *ip = dataset_write_file (dir, gz ? "images.gz" : "images", im->data, im->len,
                                            gz);

  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, problem);
}

static void
test_bad_missing_file (DatasetFixture *fx,
                       gconstpointer   data)
{
  g_autofree char *ip = g_build_filename (fx->dir, "no-such-images", NULL);
  g_autofree char *lp = g_build_filename (fx->dir, "no-such-labels", NULL);
  g_autofree char *spec = g_strdup_printf ("mnist:%s", fx->dir);
  g_autofree char *nowhere = g_strdup_printf ("fashion-mnist:%s/nowhere", fx->dir);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A missing file is an I/O error naming it, directly or through a spec.");
  assert_idx_refused (ip, lp, SS_ERROR_IO, ip, NULL);
  assert_refused (ss_dataset_load (spec, TRUE, &error), &error, SS_ERROR_IO,
                  "train-images-idx3-ubyte.gz", NULL);
  assert_refused (ss_dataset_load (nowhere, FALSE, &error), &error, SS_ERROR_IO, "nowhere", NULL);
}

/* A gzipped train pair of 20 28×28 images in dir, its paths in ip and lp, and the gzipped image
 * file's bytes in bytes (len). All transfer full. */
static void
write_gz_pair (const char *dir,
               char      **ip,
               char      **lp,
               char      **bytes,
               gsize      *len)
{
  g_autofree guint8 *px = NULL;
  g_autofree guint8 *lb = NULL;

  dataset_write_idx_pair (dir, "train", 20, 28, 28, TRUE, &px, &lb);
  *ip = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  *lp = g_build_filename (dir, "train-labels-idx1-ubyte.gz", NULL);
  *bytes = ss_test_read_file (*ip, len);
}

static void
test_bad_truncated_gzip (DatasetFixture *fx,
                         gconstpointer   data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autofree char *bytes = NULL;
  gsize len;

  g_test_summary ("A gzip file cut short is a format error naming it.");
  write_gz_pair (fx->dir, &ip, &lp, &bytes, &len);
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) (len / 2), NULL));
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, "truncated");

  /* Only the 8-byte trailer missing: all the data is there but the stream is unfinished. */
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) (len - 8), NULL));
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, NULL);
}

static void
test_bad_corrupt_gzip (DatasetFixture *fx,
                       gconstpointer   data)
{
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autofree char *bytes = NULL;
  gsize len;

  g_test_summary ("Damaged gzip bytes, in the compressed data or the CRC, are a format error "
                  "naming the file.");
  write_gz_pair (fx->dir, &ip, &lp, &bytes, &len);

  bytes[len - 8] ^= 0x5a;   /* the CRC-32 of the trailer */
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) len, NULL));
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, "corrupt gzip");
  bytes[len - 8] ^= 0x5a;

  for (gsize k = len / 2; k < len / 2 + 16; k++)
    bytes[k] = (char) 0xff;
  g_assert_true (g_file_set_contents (ip, bytes, (gssize) len, NULL));
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, NULL);
}

static void
test_bad_magic (DatasetFixture *fx,
                gconstpointer   data)
{
  const guint8 px[4] = { 0 };
  g_autoptr (GByteArray) im = dataset_idx_images (0x00000803, 1, 2, 2, px, 4);
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;

  g_test_summary ("Wrong IDX magic numbers name the file, the magic found and the one expected.");
  assert_bad_idx (fx->dir, 0x00000801, 1, 2, 2, 4, 1, TRUE,
                  "magic 0x00000801, expected 0x00000803");
  assert_bad_idx (fx->dir, 0x00000c03, 1, 2, 2, 4, 1, FALSE, NULL);

  /* Images given as labels. */
  ip = dataset_write_file (fx->dir, "im2", im->data, im->len, FALSE);
  lp = dataset_write_file (fx->dir, "lb2", im->data, im->len, FALSE);
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, lp, "expected 0x00000801");

  /* An empty file. */
  g_clear_pointer (&ip, g_free);
  ip = dataset_write_file (fx->dir, "empty", NULL, 0, FALSE);
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, ip, NULL);
}

static void
test_bad_dims (DatasetFixture *fx,
               gconstpointer   data)
{
  g_test_summary ("0 rows, 5000 columns or 0 images are rejected from the header alone.");
  assert_bad_idx (fx->dir, 0x00000803, 1, 0, 28, 0, 1, FALSE, "0x28");
  assert_bad_idx (fx->dir, 0x00000803, 1, 28, 5000, 28 * 5000, 1, TRUE, "28x5000");
  assert_bad_idx (fx->dir, 0x00000803, 0, 28, 28, 0, 1, FALSE, NULL);
}

static void
test_bad_count_mismatch (DatasetFixture *fx,
                         gconstpointer   data)
{
  g_autofree char *lp = g_build_filename (fx->dir, "labels", NULL);

  g_test_summary ("Different image and label counts name both files.");
  assert_bad_idx (fx->dir, 0x00000803, 3, 2, 2, 12, 4, FALSE, lp);
}

static void
test_bad_label_range (DatasetFixture *fx,
                      gconstpointer   data)
{
  const guint8 px[8] = { 0 }, lb[2] = { 9, 10 };
  g_autoptr (GByteArray) im = dataset_idx_images (0x00000803, 2, 2, 2, px, 8);
  g_autoptr (GByteArray) la = dataset_idx_labels (2, lb, 2);
  g_autofree char *ip = dataset_write_file (fx->dir, "im", im->data, im->len, FALSE);
  g_autofree char *lp = dataset_write_file (fx->dir, "lb.gz", la->data, la->len, TRUE);

  g_test_summary ("A label of 10 is a format error naming the label file and the sample.");
  assert_idx_refused (ip, lp, SS_ERROR_FORMAT, lp, "label 10 of sample 1");
}

static void
test_bad_trailing (DatasetFixture *fx,
                   gconstpointer   data)
{
  /* Two 2×2 images and two labels, with one byte too many or too few in one of the files. */
  static const struct {
    gsize       pixel_bytes, label_bytes;
    gboolean    gz;
    gboolean    names_labels;   /* the message names the label file, not the image file */
    const char *problem;
  } cases[] = {
    { 9, 2, FALSE, FALSE, "extra data" },
    { 8, 3, TRUE, TRUE, NULL },
    { 7, 2, FALSE, FALSE, "truncated" },
  };
  const guint8 px[9] = { 0 }, lb[3] = { 1, 2, 3 };

  g_test_summary ("Bytes after the declared images or labels are a format error; so are too "
                  "few.");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) im = dataset_idx_images (0x00000803, 2, 2, 2, px,
                                                      cases[i].pixel_bytes);
      g_autoptr (GByteArray) la = dataset_idx_labels (2, lb, cases[i].label_bytes);
      gboolean gz = cases[i].gz;
      g_autofree char *ip = dataset_write_file (fx->dir, gz ? "im.gz" : "im", im->data, im->len,
                                                gz);
      g_autofree char *lp = dataset_write_file (fx->dir, gz ? "lb.gz" : "lb", la->data, la->len,
                                                gz);
      assert_idx_refused (ip, lp, SS_ERROR_FORMAT, cases[i].names_labels ? lp : ip,
                          cases[i].problem);
    }
}

static void
test_bad_absurd_count (DatasetFixture *fx,
                       gconstpointer   data)
{
  gint64 start = g_get_monotonic_time ();

  g_test_summary ("A tiny file declaring 0x7fffffff images fails fast: above the size cap from "
                  "the header, below it from the missing bytes, without allocating the "
                  "declared size.");
  assert_bad_idx (fx->dir, 0x00000803, 0x7fffffff, 28, 28, 16, 0x7fffffff, FALSE, NULL);
  /* 0x3fffffff 1×1 images is just under the 1 GiB cap: the loader must find the bytes missing
   * rather than allocate a gigabyte first. */
  assert_bad_idx (fx->dir, 0x00000803, 0x3fffffff, 1, 1, 16, 0x3fffffff, TRUE, "truncated");
  g_test_message ("both took %.3f s", (g_get_monotonic_time () - start) / 1e6);
}

#if defined(__linux__) && defined(RLIMIT_AS) && !defined(UNDER_ASAN)
static void
test_bad_absurd_count_memory (DatasetFixture *fx,
                              gconstpointer   data)
{
  g_test_summary ("With the address space limited to 512 MiB more than now, a file declaring "
                  "a gigabyte of pixels still fails cleanly (g_malloc would abort).");
  if (g_test_subprocess ())
    {
      g_autofree char *status = NULL;
      struct rlimit rl;
      guint64 vm_kb = 0;
      const char *line;

      g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
      line = strstr (status, "VmSize:");
      g_assert_nonnull (line);
      vm_kb = g_ascii_strtoull (line + 7, NULL, 10);
      rl.rlim_cur = rl.rlim_max = (rlim_t) (vm_kb * 1024 + ((guint64) 512 << 20));
      g_assert_cmpint (setrlimit (RLIMIT_AS, &rl), ==, 0);
      assert_bad_idx (fx->dir, 0x00000803, 0x3fffffff, 1, 1, 16, 0x3fffffff, FALSE, "truncated");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}
#endif

static void
test_bad_cifar_size (DatasetFixture *fx,
                     gconstpointer   data)
{
  g_autoptr (GByteArray) recs = dataset_cifar_records (3, 0, 5);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A CIFAR-10 batch that is not a whole number of 3073-byte records, or is "
                  "empty, is a format error naming it.");
  g_byte_array_set_size (recs, 2 * DATASET_CIFAR_REC + 5);
  path = dataset_write_file (fx->dir, "test_batch.bin", recs->data, recs->len, FALSE);
  assert_refused (ss_dataset_load_cifar10 (fx->dir, FALSE, &error), &error, SS_ERROR_FORMAT,
                  path, "3073");

  g_free (path);
  path = dataset_write_file (fx->dir, "test_batch.bin", NULL, 0, FALSE);
  assert_refused (ss_dataset_load_cifar10 (fx->dir, FALSE, &error), &error, SS_ERROR_FORMAT,
                  path, NULL);
}

static void
test_bad_cifar_label (DatasetFixture *fx,
                      gconstpointer   data)
{
  g_autoptr (GByteArray) recs = dataset_cifar_records (3, 0, 5);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A CIFAR-10 label of 10 is a format error naming the file and record.");
  recs->data[2 * DATASET_CIFAR_REC] = 10;
  path = dataset_write_file (fx->dir, "test_batch.bin", recs->data, recs->len, FALSE);
  assert_refused (ss_dataset_load_cifar10 (fx->dir, FALSE, &error), &error, SS_ERROR_FORMAT,
                  path, "record 2 has label 10");
}

static void
test_bad_cifar_missing (DatasetFixture *fx,
                        gconstpointer   data)
{
  g_autoptr (GByteArray) train_recs = NULL;
  g_autoptr (GByteArray) test_recs = NULL;
  g_autofree char *gone = g_build_filename (fx->dir, "data_batch_3.bin", NULL);
  g_autofree char *nodir = g_build_filename (fx->dir, "nowhere", NULL);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A missing CIFAR-10 batch, or directory, is an I/O error naming it.");
  dataset_write_cifar (fx->dir, &train_recs, &test_recs);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  assert_refused (ss_dataset_load_cifar10 (fx->dir, TRUE, &error), &error, SS_ERROR_IO, gone,
                  NULL);
  assert_refused (ss_dataset_load_cifar10 (nodir, TRUE, &error), &error, SS_ERROR_IO, nodir,
                  NULL);
}

static void
test_bad_spec (void)
{
  static const char *specs[] = { "foo:bar", "foo", "mnist", "cifar10", "mnist:", "" };
  g_autoptr (GError) error = NULL;

  g_test_summary ("A spec that names no dataset, or lacks a required directory, is an argument "
                  "error quoting it.");
  for (gsize i = 0; i < G_N_ELEMENTS (specs); i++)
    assert_refused (ss_dataset_load (specs[i], TRUE, &error), &error, SS_ERROR_ARGUMENT, specs[i],
                    NULL);
}

static void
test_misuse (DatasetFixture *fx,
             gconstpointer   data)
{
  g_autofree guint8 *px = NULL;
  g_autofree guint8 *lb = NULL;
  g_autofree char *spec = g_strdup_printf ("mnist:%s", fx->dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (SsDataset) ds = NULL;

  g_test_summary ("Out-of-range indices are programming errors caught by g_return_if_fail.");
  dataset_write_idx_pair (fx->dir, "t10k", 2, 2, 2, FALSE, &px, &lb);
  ds = ss_dataset_load (spec, FALSE, &error);
  g_assert_no_error (error);
  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (ss_dataset_get_class_name (ds, 10));
  g_test_assert_expected_messages ();
  g_test_expect_message ("core", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (ss_dataset_get_pixels (ds, 2));
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  dataset_add ("/dataset/bad/missing-file", test_bad_missing_file);
  dataset_add ("/dataset/bad/truncated-gzip", test_bad_truncated_gzip);
  dataset_add ("/dataset/bad/corrupt-gzip", test_bad_corrupt_gzip);
  dataset_add ("/dataset/bad/magic", test_bad_magic);
  dataset_add ("/dataset/bad/dims", test_bad_dims);
  dataset_add ("/dataset/bad/count-mismatch", test_bad_count_mismatch);
  dataset_add ("/dataset/bad/label-range", test_bad_label_range);
  dataset_add ("/dataset/bad/trailing-data", test_bad_trailing);
  dataset_add ("/dataset/bad/absurd-count", test_bad_absurd_count);
#if defined(__linux__) && defined(RLIMIT_AS) && !defined(UNDER_ASAN)
  dataset_add ("/dataset/bad/absurd-count-memory", test_bad_absurd_count_memory);
#endif
  dataset_add ("/dataset/bad/cifar-size", test_bad_cifar_size);
  dataset_add ("/dataset/bad/cifar-label", test_bad_cifar_label);
  dataset_add ("/dataset/bad/cifar-missing-batch", test_bad_cifar_missing);
  dataset_add ("/dataset/misuse", test_misuse);
  g_test_add_func ("/dataset/bad/unknown-spec", test_bad_spec);

  return g_test_run ();
}
