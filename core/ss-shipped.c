/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-shipped.h"

const char *
ss_shipped_model_path (void)
{
  static const char *const candidates[] = {
    SS_SOURCE_DATADIR "/fmnist-vgg.safetensors",
    SS_PKGDATADIR "/fmnist-vgg.safetensors",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return candidates[i];
  return NULL;
}

const char *
ss_shipped_default_model (void)
{
  const char *path = ss_shipped_model_path ();

  return path != NULL ? path : "fmnist-vgg";
}
