/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Where the files Supersign ships are found: the trained fmnist-vgg model that the app and the
 * CLI open by default. A program run from a build tree reads the source tree's data/ (config.h
 * SS_SOURCE_DATADIR), an installed one SS_PKGDATADIR. */

#include <glib.h>

G_BEGIN_DECLS

/* The model spec the model commands open when none is given: the shipped trained fmnist-vgg
 * (data/fmnist-vgg.safetensors, from the source tree if it is there, else the installed copy),
 * else the built-in name "fmnist-vgg" (fresh weights). Returns: (transfer none) a static string. */
const char *ss_shipped_default_model  (void);

/* The shipped model's path, or NULL when neither copy exists. Returns: (transfer none) static. */
const char *ss_shipped_model_path     (void);

G_END_DECLS
