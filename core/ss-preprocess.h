/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* torchvision's ImageNet preprocessing of a PIL image, in C:
 *
 *   transforms.Resize (S)            shorter side to S, aspect kept, PIL bilinear (antialiased)
 *   transforms.CenterCrop ((H, W))   the centre H × W, zero-padded where the image is smaller
 *   ToTensor, Normalize (mean, std)  (not here: the data set does it, byte / 255 − mean) / std)
 *
 * Legend: W H C an image's width, height and channels (SsImage: interleaved (H, W, C) bytes);
 * S the shorter side after resizing; CW CH the crop's width and height.
 *
 * Sizes, as torchvision 0.14's Resize with an int: the shorter side becomes S and the longer L·S
 * / shorter, truncated (int (S * L / shorter) in Python); a square stays square.  The crop starts
 * at round ((side − crop) / 2) with Python's round (halves to even: 58.5 → 58), or, where the
 * crop is larger, the image is padded with (crop − side) // 2 zero pixels before it and the rest
 * after.
 *
 * Resampling is a port of Pillow's ImagingResample (libImaging/Resample.c, Pillow 9.4, the
 * version torchvision uses on Debian 12) for 8-bit images with the BILINEAR filter: a
 * separable triangle filter whose support grows with the reduction (support = max (in / out,
 * 1)), so every output pixel averages its whole footprint (that is the "antialias"); weights
 * computed in double at centres (i + 0.5)·in / out, normalised to sum 1, then made 22-bit
 * fixed point and rounded; the horizontal pass first (skipped when the width does not change),
 * its result rounded to bytes, then the vertical pass (skipped when the height does not change),
 * each output rounded and clamped to 0..255.  Only the output pixels inside the crop are
 * computed; each has exactly the value Pillow gives it in the full resized image.  Against
 * torchvision (tests/reference/gen-preprocess.py) the bytes are identical: tolerance 0. */

#include <glib.h>

#include "ss-image.h"

G_BEGIN_DECLS

/* ImageNet's per-channel mean and standard deviation (R, G, B), as torchvision's references. */
extern const float ss_imagenet_mean[3];
extern const float ss_imagenet_std[3];
/* The ImageNet evaluation transform: Resize (256), CenterCrop (224). */
#define SS_IMAGENET_RESIZE 256
#define SS_IMAGENET_CROP   224

/* The largest S accepted (above any side SsImage allows). */
#define SS_PREPROCESS_MAX_RESIZE 65536

/* torchvision's Resize (shorter) output size for a width × height image (see above). */
void      ss_preprocess_resized_size (int width, int height, int shorter, int *out_width,
                                      int *out_height);

/* The shorter side ImageNet's ratio (256 / 224) gives for a crop whose shorter side is
 * crop_shorter, rounded to the nearest (256 for 224). */
int       ss_preprocess_imagenet_resize (int crop_shorter);

/* Resize (shorter) then CenterCrop ((crop_height, crop_width)) of image, gray or RGB, as
 * described above; the result has image's channels.  crop sides must satisfy ss_image_size_ok.
 * Errors: SS_ERROR_ARGUMENT when shorter is outside 1..SS_PREPROCESS_MAX_RESIZE.
 * Returns: (transfer full): a crop_width × crop_height image, free with ss_image_free; NULL with
 * error set. */
SsImage  *ss_image_resize_crop       (const SsImage *image, int shorter, int crop_width,
                                      int crop_height, GError **error);

G_END_DECLS
