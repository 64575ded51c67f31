/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A data set made from a folder of the user's own PNG images, converted to a model's input.
 *
 * Legend: N images, C channels, H W the model's input size; SH SW an image's own size.
 *
 * Layout. Every "*.png" (any case) directly in the folder is an unlabelled sample; one in a
 * subfolder (one level deep) whose name is a class — its number ("3") or its name compared on
 * letters and digits only, ignoring case ("trouser", "T-shirt_top" for "T-shirt/top"; a name
 * shared by several classes means the first) — is labelled with that class; a subfolder with another name gives unlabelled samples. Samples are
 * ordered by path (bytewise). Other files are ignored. At most max_images images are loaded,
 * and no more than fit in SS_DATASET_MAX_BYTES at the model's input size (a note in the report
 * says so).
 *
 * Conversion, per image read with ss_png_load (8-bit gray or RGB):
 *   1. channels: gray → RGB replicates the plane; RGB → gray is ITU-R 601 luma with PIL's
 *      fixed-point rounding, (19595·R + 38470·G + 7471·B + 32768) >> 16 (PIL's convert ("L"));
 *   2. size: when an axis shrinks by a factor f = ⌊S/D⌋ ≥ 2, the image is first reduced by
 *      averaging f-pixel blocks along it (the last S mod f pixels are dropped), so every output
 *      pixel sees its whole footprint; then ss_resize_bilinear (PyTorch's bilinear,
 *      align_corners=False) brings it to H × W; values are rounded to bytes;
 *   3. invert (option): v → 255 − v, for dark drawings on light paper shown to a model trained
 *      on light objects on black (MNIST, Fashion-MNIST).
 * With resize_shorter = S > 0, step 2 is torchvision's evaluation transform instead:
 * Resize (S) (shorter side to S, aspect kept, Pillow's antialiased bilinear) then CenterCrop
 * ((H, W)), byte for byte as torchvision on PIL images (core/ss-preprocess.h).  With the ImageNet
 * preset (ss_png_folder_options_use_imagenet) a folder of photos becomes what a torchvision
 * ImageNet model expects: Resize (256), CenterCrop (224), ToTensor, Normalize (ImageNet's mean
 * and std).
 * A file that cannot be read or decoded is skipped and its GError (naming the file) is listed
 * in the report; it never stops the others. */

#include <gio/gio.h>

#include "ss-dataset.h"

G_BEGIN_DECLS

/* Most images a folder may give (more are skipped with a note in the report). */
#define SS_PNG_FOLDER_MAX_IMAGES_DEFAULT 10000

typedef struct {
  int                 channels;      /* C: 1 or 3, the model's input */
  int                 height;        /* H ≥ 1 */
  int                 width;         /* W ≥ 1 */
  int                 n_classes;     /* 1..SS_MAX_CLASSES: the model's classes */
  /* (n_classes) class names (copied, so a temporary array will do), or NULL for "0", "1", … */
  const char * const *class_names;
  /* (C) normalisation the model expects (the data set it was trained on), or NULL for the
   * mean and standard deviation of these pixels */
  const float        *mean;
  const float        *std;
  gboolean            invert;
  gsize               max_images;    /* 0: SS_PNG_FOLDER_MAX_IMAGES_DEFAULT */
  /* 0: stretch each image to H × W (step 2); S in 1..SS_PREPROCESS_MAX_RESIZE: Resize (S) then
   * CenterCrop ((H, W)) as torchvision */
  int                 resize_shorter;
} SsPngFolderOptions;

/* What became of each file. */
typedef struct {
  GPtrArray *files;      /* (N) char *: the path of each sample, in sample order */
  guint8    *labelled;   /* (N) 1 when the sample's label came from its subfolder, else 0 (its
                          * label in the data set is then 0 and means nothing) */
  gsize      n_labelled;
  GPtrArray *problems;   /* GError *: one per file skipped, or a note that the cap was hit */
} SsPngFolderReport;

/* Options for an input of c × h × w and n_classes, class names "0".."K−1", the folder's own
 * normalisation, no inversion, the default cap. */
void       ss_png_folder_options_init (SsPngFolderOptions *opt, int c, int h, int w,
                                       int n_classes);

/* The ImageNet preset: resize_shorter = 256 / 224 of the input's shorter side (256 for 224,
 * ss_preprocess_imagenet_resize) and ImageNet's mean and std (a 1-channel input gets the mean
 * of the three means and of the three stds, 0.449 and 0.226).  Call after
 * ss_png_folder_options_init. */
void       ss_png_folder_options_use_imagenet (SsPngFolderOptions *opt);

/* Loads the folder dir as described above into a data set named "png" with opt's classes and
 * normalisation. report (nullable) receives what happened to each file (free with
 * ss_png_folder_report_free). Errors: SS_ERROR_IO when dir cannot be listed, SS_ERROR_FORMAT when
 * not one image could be read (the message says how many files failed and why the first did),
 * SS_ERROR_ARGUMENT for bad options, G_IO_ERROR_CANCELLED. Returns: (transfer full) a new data
 * set, free with ss_dataset_free; NULL with error set (report is then NULL). */
SsDataset *ss_dataset_load_png_folder (const char               *dir,
                                       const SsPngFolderOptions *opt,
                                       SsPngFolderReport       **report,
                                       GCancellable             *cancellable,
                                       GError                  **error);

void       ss_png_folder_report_free  (SsPngFolderReport *report);

/* dst (H, W) bytes: src (SH, SW) bytes reduced and resized as in step 2 above. Exposed for
 * tests. */
void       ss_png_folder_resize_plane (guint8 *dst, int dh, int dw, const guint8 *src, int sh,
                                       int sw);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsPngFolderReport, ss_png_folder_report_free)

G_END_DECLS
