/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Model files: one .safetensors file per model, tensors named and laid out as the PyTorch
 * state_dict of the same network (conv OIHW, linear out×in, BN weight/bias/running_mean/
 * running_var/num_batches_tracked), the architecture as JSON in __metadata__["supersign.arch"]
 * (docs/model-file.md). */

#include <glib.h>

#include "ss-net.h"

G_BEGIN_DECLS

#define SS_MODEL_META_ARCH     "supersign.arch"
#define SS_MODEL_META_FORMAT   "supersign.format"
#define SS_MODEL_META_DATASET  "supersign.dataset"
#define SS_MODEL_META_TRAINING "supersign.training"

/* Writes net atomically (temp file, fsync, rename): on failure the old file is untouched.
 * metadata (string → string, may be NULL) adds entries such as SS_MODEL_META_DATASET. */
gboolean ss_model_save         (SsNet *net, const char *path, GHashTable *metadata,
                                GError **error);

/* Reads a model file written by ss_model_save. If metadata is not NULL it receives a new table
 * (free with g_hash_table_unref) of the file's supersign.* entries. Transfer full. */
SsNet   *ss_model_load         (const char *path, GHashTable **metadata, GError **error);

/* Loads a state_dict file (e.g. a PyTorch model saved as safetensors) into net: every tensor of
 * net must be there with its shape and finite values, nothing else may be (num_batches_tracked
 * is read when present). On error net is unchanged. */
gboolean ss_model_load_weights (SsNet *net, const char *path, GError **error);

/* --model: a built-in name (fresh weights from seed, for inputs of in_c×in_h×in_w and
 * n_classes), an architecture .json file (likewise), a .safetensors model file, or an .onnx
 * file imported with its weights (ss-onnx.h). Transfer full. */
SsNet   *ss_model_open         (const char *spec, int in_c, int in_h, int in_w, int n_classes,
                                guint64 seed, GHashTable **metadata, GError **error);

G_END_DECLS
