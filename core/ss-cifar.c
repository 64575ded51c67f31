/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* CIFAR-10's binary version (https://www.cs.toronto.edu/~kriz/cifar.html): records of one label
 * byte then a 32×32 red, a green and a blue plane, so the pixels are already (C, H, W). A file
 * may hold any positive whole number of records (the official ones hold 10000); it is read
 * through zlib, so a gzipped copy under the same name works too. Legend: N samples, C channels,
 * H W image size. */

#include <string.h>

#include "ss-dataset-private.h"
#include "ss-error.h"

#define CIFAR_C         3
#define CIFAR_SIDE      32
#define CIFAR_PIXELS    (CIFAR_C * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD    (1 + CIFAR_PIXELS)
#define CIFAR_N_CLASSES 10
#define CIFAR_SUBDIR    "cifar-10-batches-bin"

static const char * const cifar_classes[CIFAR_N_CLASSES] = {
  "airplane", "automobile", "bird", "cat", "deer",
  "dog", "frog", "horse", "ship", "truck",
};

static const float cifar_mean[CIFAR_C] = { 0.4914f, 0.4822f, 0.4465f };
static const float cifar_std[CIFAR_C] = { 0.2470f, 0.2435f, 0.2616f };

/* Appends the records of path to pixels (N, C, H, W) and labels (N) (an SsLabel GArray: the
 * file's label bytes widened). */
static gboolean
read_batch (const char  *path,
            GByteArray  *pixels,
            GArray      *labels,
            GError     **error)
{
  g_auto (SsGzReader) r = { 0 };
  guint8 rec[CIFAR_RECORD];
  gsize n = 0;

  if (!ss_gz_reader_open (&r, path, error))
    return FALSE;
  for (;;)
    {
      gsize got;

      if (!ss_gz_reader_read (&r, rec, CIFAR_RECORD, &got, error))
        return FALSE;
      if (got == 0)
        break;
      if (got < CIFAR_RECORD)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: %" G_GSIZE_FORMAT " bytes is not a whole number of %d-byte CIFAR-10 "
                       "records (a label byte and 32x32x3 pixels); the official files are "
                       "%d bytes", r.display, n * CIFAR_RECORD + got, CIFAR_RECORD,
                       10000 * CIFAR_RECORD);
          return FALSE;
        }
      if (rec[0] >= CIFAR_N_CLASSES)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: record %" G_GSIZE_FORMAT " has label %u, but CIFAR-10 labels are "
                       "0 to %d; is this CIFAR-100?",
                       r.display, n, rec[0], CIFAR_N_CLASSES - 1);
          return FALSE;
        }
      if (pixels->len + CIFAR_PIXELS > SS_DATASET_MAX_BYTES)
        {
          g_autofree char *max = g_format_size (SS_DATASET_MAX_BYTES);
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: the batches hold more than the %s of pixels this loader accepts; "
                       "this is not CIFAR-10", r.display, max);
          return FALSE;
        }
      {
        SsLabel label = rec[0];
        g_array_append_val (labels, label);
      }
      g_byte_array_append (pixels, rec + 1, CIFAR_PIXELS);
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: the file is empty, not a CIFAR-10 batch",
                   r.display);
      return FALSE;
    }
  return TRUE;
}

SsDataset *
ss_dataset_load_cifar10 (const char  *dir,
                         gboolean     train,
                         GError     **error)
{
  static const char * const train_files[] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
    "data_batch_5.bin", NULL,
  };
  static const char * const test_files[] = { "test_batch.bin", NULL };
  const char * const *files = train ? train_files : test_files;
  g_autoptr (GByteArray) pixels = g_byte_array_new ();
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (SsLabel));
  g_autofree char *first = NULL;
  g_autofree char *sub = NULL;
  gsize n;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (dir);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: no such directory; cannot load CIFAR-10",
                   display);
      return NULL;
    }
  /* Accept the directory the tarball unpacks into as well as its parent. */
  first = g_build_filename (dir, files[0], NULL);
  sub = g_build_filename (dir, CIFAR_SUBDIR, NULL);
  if (!g_file_test (first, G_FILE_TEST_EXISTS) && g_file_test (sub, G_FILE_TEST_IS_DIR))
    dir = sub;

  for (int f = 0; files[f] != NULL; f++)
    {
      g_autofree char *path = g_build_filename (dir, files[f], NULL);
      if (!read_batch (path, pixels, labels, error))
        return NULL;
    }

  /* GByteArray and GArray round their allocations up to a power of two: give the slack back. */
  n = labels->len;
  return ss_dataset_new_take ("cifar10", CIFAR_C, CIFAR_SIDE, CIFAR_SIDE, n,
                              g_realloc (g_byte_array_free (g_steal_pointer (&pixels), FALSE),
                                         n * CIFAR_PIXELS),
                              g_realloc_n (g_array_free (g_steal_pointer (&labels), FALSE), n,
                                           sizeof (SsLabel)),
                              CIFAR_N_CLASSES, cifar_classes, cifar_mean, cifar_std);
}
