/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Image classification datasets held in memory as raw bytes: Fashion-MNIST and MNIST (IDX files,
 * gzipped or plain) and CIFAR-10 (binary batches). Batches come out as normalised floats.
 * Legend: N samples, B batch size, C channels, H W image size. Pixels are (N, C, H, W) bytes. */

#include <glib.h>

#include "ss-labels.h"
#include "ss-rng.h"

G_BEGIN_DECLS

typedef struct _SsDataset SsDataset;

/* The largest pixel block a loader accepts (1 GiB); anything bigger is refused as implausible. */
#define SS_DATASET_MAX_BYTES ((gsize) 1 << 30)

/* Loads one split of a dataset named by spec:
 *   "fashion-mnist"        the IDX files in SS_DEFAULT_FASHION_MNIST_DIR (config.h)
 *   "fashion-mnist:DIR"    the IDX files in DIR
 *   "mnist:DIR"            the IDX files in DIR
 *   "cifar10:DIR"          data_batch_1..5.bin / test_batch.bin in DIR (or in
 *                          DIR/cifar-10-batches-bin, the tarball's layout)
 * IDX files are {train,t10k}-{images-idx3,labels-idx1}-ubyte, with or without ".gz".
 * train: TRUE for the training split, FALSE for the test split.
 * Returns: (transfer full) a new dataset, free with ss_dataset_free; NULL with error set
 * (SS_ERROR_ARGUMENT for a spec that names no known dataset, SS_ERROR_IO or SS_ERROR_FORMAT for
 * files that cannot be read or are malformed). */
SsDataset  *ss_dataset_load              (const char  *spec,
                                          gboolean     train,
                                          GError     **error);

/* Loads an IDX image file (magic 0x00000803) and its IDX label file (magic 0x00000801), each
 * gzipped or plain. name selects class names and normalisation: "fashion-mnist" and "mnist" use
 * their published constants; any other name gets classes "0".."9" and the mean and standard
 * deviation of these pixels. Labels (bytes in the file) must be 0..9.
 * Returns: (transfer full) a new dataset, free with ss_dataset_free; NULL with error set. */
SsDataset  *ss_dataset_load_idx          (const char  *images_path,
                                          const char  *labels_path,
                                          const char  *name,
                                          GError     **error);

/* Loads CIFAR-10's binary version from dir: data_batch_1.bin .. data_batch_5.bin when train,
 * test_batch.bin otherwise. Each file must hold a positive whole number of 3073-byte records
 * (a label 0..9 then 32×32 red, green and blue planes); the official files hold 10000 each.
 * Returns: (transfer full) a new dataset, free with ss_dataset_free; NULL with error set. */
SsDataset  *ss_dataset_load_cifar10      (const char  *dir,
                                          gboolean     train,
                                          GError     **error);

void        ss_dataset_free              (SsDataset   *ds);

/* "fashion-mnist", "mnist", "cifar10" (or the name given to ss_dataset_load_idx).
 * Returns: (transfer none) owned by ds. */
const char *ss_dataset_get_name          (const SsDataset *ds);
gsize       ss_dataset_get_size          (const SsDataset *ds);
int         ss_dataset_get_channels      (const SsDataset *ds);
int         ss_dataset_get_height        (const SsDataset *ds);
int         ss_dataset_get_width         (const SsDataset *ds);
int         ss_dataset_get_n_classes     (const SsDataset *ds);
/* Returns: (transfer none) a static string, for 0 <= k < n_classes. */
const char *ss_dataset_get_class_name    (const SsDataset *ds,
                                          int              k);
/* Returns: (transfer none) labels (N), each < n_classes, owned by ds. */
const SsLabel *ss_dataset_get_labels     (const SsDataset *ds);
/* Returns: (transfer none) the raw bytes (C, H, W) of sample i < N, owned by ds. */
const guint8 *ss_dataset_get_pixels      (const SsDataset *ds,
                                          gsize            i);
/* Copies the per-channel normalisation into mean (C) and std (C). */
void        ss_dataset_get_normalization (const SsDataset *ds,
                                          float           *mean,
                                          float           *std);

/* A dataset holding copies of samples idx[0..n), n >= 1, each idx[i] < N; same name, classes
 * and normalisation. Returns: (transfer full) free with ss_dataset_free. */
SsDataset  *ss_dataset_subset            (const SsDataset *ds,
                                          const guint32   *idx,
                                          gsize            n);

/* x (B, C, H, W) = (pixels / 255 - mean) / std for samples idx[0..b); y (B) their labels.
 * augment: for each sample in order, draw dy = ss_rng_below (rng, 9), dx = ss_rng_below (rng, 9),
 * flip = ss_rng_below (rng, 2); take the H×W window at row dy, column dx of the image padded
 * with 4 black (raw 0) pixels on each side, then mirror it left-right if flip. Padding is
 * normalised like any pixel, as torchvision's RandomCrop (padding=4), RandomHorizontalFlip and
 * Normalize. rng may be NULL when augment is FALSE. */
void        ss_dataset_fill_batch        (const SsDataset *ds,
                                          float           *x,
                                          SsLabel         *y,
                                          const guint32   *idx,
                                          int              b,
                                          gboolean         augment,
                                          SsRng           *rng);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsDataset, ss_dataset_free)

G_END_DECLS
