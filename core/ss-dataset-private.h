/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-dataset.c (the object, batches), ss-idx.c (MNIST-style IDX files) and
 * ss-cifar.c (CIFAR-10 binary batches). Legend: N samples, C channels, H W image size. */

#include <zlib.h>

#include "ss-dataset.h"

G_BEGIN_DECLS

#define SS_DATASET_MAX_CHANNELS 3

struct _SsDataset
{
  /* Owned */
  char   *name;
  guint8 *pixels;                                /* (N, C, H, W) */
  SsLabel *labels;                               /* (N), each < n_classes */

  /* Borrowed */
  const char * const *class_names;               /* (n_classes), static strings */

  gsize n;
  int   c, h, w;
  int   n_classes;
  float mean[SS_DATASET_MAX_CHANNELS];           /* (C) */
  float std[SS_DATASET_MAX_CHANNELS];            /* (C) */
  float lut[SS_DATASET_MAX_CHANNELS][256];       /* (C, 256): (byte / 255 - mean) / std */
};

/* Builds a dataset around pixels (N, C, H, W) and labels (N), each < n_classes ≤
 * SS_MAX_CLASSES, taking ownership of both (g_malloc'd). class_names (n_classes) must be static; mean (C) and std (C) are copied.
 * Returns: (transfer full) the dataset, free with ss_dataset_free. */
SsDataset *ss_dataset_new_take (const char          *name,
                                int                  c,
                                int                  h,
                                int                  w,
                                gsize                n,
                                guint8              *pixels,
                                SsLabel             *labels,
                                int                  n_classes,
                                const char * const  *class_names,
                                const float         *mean,
                                const float         *std);

/* A file read through zlib, gzipped or plain, with errors that name it. Zero-initialise it
 * (g_auto (SsGzReader) r = { 0 }) so that closing is safe whether or not it opened. */
typedef struct
{
  gzFile  gz;
  char   *display;   /* owned: the file name as UTF-8, for messages */
} SsGzReader;

gboolean ss_gz_reader_open       (SsGzReader  *r,
                                  const char  *path,
                                  GError     **error);
void     ss_gz_reader_close      (SsGzReader  *r);
/* Reads up to len bytes into buf; *got < len only where the data ends. */
gboolean ss_gz_reader_read       (SsGzReader  *r,
                                  void        *buf,
                                  gsize        len,
                                  gsize       *got,
                                  GError     **error);
/* Reads exactly len bytes of what (e.g. "pixel data"), growing the buffer as the bytes arrive so
 * that a lying header cannot make it allocate more than the file holds.
 * Returns: (transfer full) the bytes, free with g_free; NULL with error if the data ends early. */
guint8  *ss_gz_reader_read_exact (SsGzReader  *r,
                                  gsize        len,
                                  const char  *what,
                                  GError     **error);
/* Fails unless the data has ended; after says what came last, e.g. "the 60000 labels". */
gboolean ss_gz_reader_expect_end (SsGzReader  *r,
                                  const char  *after,
                                  GError     **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SsGzReader, ss_gz_reader_close)

/* ss-idx.c: loads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from dir as dataset name.
 * Returns: (transfer full) a new dataset; NULL with error. */
SsDataset *ss_idx_load_dir (const char  *dir,
                            const char  *name,
                            gboolean     train,
                            GError     **error);

G_END_DECLS
