/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* libFuzzer target for the PNG reader (core/ss-png.h, ss_png_decode) and, on what it decodes,
 * torchvision-style Resize + CenterCrop (core/ss-preprocess.h), the path every user image takes.
 * Built only with -Dfuzzing=true (tests/fuzz/meson.build); quickstart.sh test runs it for a fixed
 * time on a copy of tests/fuzz/corpus-png.  A crash, a sanitizer report, a leak or a broken
 * promise below (abort) is a finding.
 * Legend: W H C a decoded image's width, height, channels. */

#include <stdint.h>
#include <stdlib.h>

#include "ss-png.h"
#include "ss-preprocess.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImage) image = ss_png_decode (data, size, "fuzz.png", &error);
  g_autoptr(SsImage) crop = NULL;
  guint sum = 0;

  /* The promise: an image or an error, never both nor neither. */
  if ((image == NULL) == (error == NULL))
    abort ();
  if (image == NULL)
    return 0;
  if (!ss_image_size_ok ((guint64) image->width, (guint64) image->height) ||
      (image->channels != 1 && image->channels != 3))
    abort ();
  /* Reads every byte: a pixel buffer shorter than W·H·C shows under AddressSanitizer. */
  for (gsize i = 0; i < (gsize) image->width * image->height * image->channels; i++)
    sum += image->pixels[i];
  (void) sum;

  /* The shorter side from the data's last byte: downscaling and upscaling both get fuzzed. */
  crop = ss_image_resize_crop (image, 1 + data[size - 1] % 48, 13, 11, &error);
  if (crop == NULL || crop->width != 13 || crop->height != 11 ||
      crop->channels != image->channels)
    abort ();
  return 0;
}
