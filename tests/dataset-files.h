/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by test-dataset.c and test-dataset-bad.c: a fixture owning a temporary directory, writers
 * for synthetic IDX (plain or gzipped) and CIFAR-10 files in it, and checks on loader errors.
 * Legend: N samples, C channels, H W image size. */

#include <glib.h>

G_BEGIN_DECLS

/* Bytes in one CIFAR-10 record: a label byte, then (C, H, W) = (3, 32, 32) pixels. */
#define DATASET_CIFAR_REC 3073

/* A fresh temporary directory per test, removed with its contents by the teardown. */
typedef struct
{
  char *dir;
} DatasetFixture;

/* g_test_add setup: creates fx->dir. */
void dataset_fixture_setup (DatasetFixture *fx, gconstpointer data);

/* g_test_add teardown: removes fx->dir recursively and frees it. */
void dataset_fixture_teardown (DatasetFixture *fx, gconstpointer data);

/* Adds func (DatasetFixture *, gconstpointer) at the test path test_path. */
#define dataset_add(test_path, func) \
  g_test_add ((test_path), DatasetFixture, NULL, dataset_fixture_setup, (func), \
              dataset_fixture_teardown)

/* Writes data to dir/name, gzipped if gz. Returns: (transfer full) the path. */
char *dataset_write_file (const char *dir, const char *name, const guint8 *data, gsize len,
                          gboolean gz);

/* An IDX image file declaring n images of rows × cols followed by len bytes of pixels.
 * Returns: (transfer full). */
GByteArray *dataset_idx_images (guint32 magic, guint32 n, guint32 rows, guint32 cols,
                                const guint8 *pixels, gsize len);

/* An IDX label file declaring n labels followed by len label bytes. Returns: (transfer full). */
GByteArray *dataset_idx_labels (guint32 n, const guint8 *labels, gsize len);

/* Deterministic pixel bytes for tests: fills p (n) from seed. */
void dataset_fill_bytes (guint8 *p, gsize n, guint64 seed);

/* Writes a well-formed pair of IDX files with n images of rows × cols into dir under the
 * standard names for split ("train" or "t10k"). Returns the pixels (N, H, W) and labels (N) it
 * wrote in pixels_out and labels_out (transfer full). */
void dataset_write_idx_pair (const char *dir, const char *split, guint32 n, guint32 rows,
                             guint32 cols, gboolean gz, guint8 **pixels_out, guint8 **labels_out);

/* A CIFAR-10 file of n records whose labels are (first + k) % 10 and pixels are seeded.
 * Returns: (transfer full). */
GByteArray *dataset_cifar_records (int n, int first, guint64 seed);

/* data_batch_1..5.bin with 2 records each and test_batch.bin with 3, in dir. The records of
 * all train files, concatenated, are returned in train_out, and the test records in test_out
 * (both transfer full). */
void dataset_write_cifar (const char *dir, GByteArray **train_out, GByteArray **test_out);

/* Fails the running test unless error is set, in SS_ERROR with code, and its message contains
 * needle. */
void dataset_assert_error_names (const GError *error, int code, const char *needle);

/* The loader's normalisation of raw byte v: (v / 255 - mean) / std. */
float dataset_norm (guint8 v, float mean, float std);

G_END_DECLS
