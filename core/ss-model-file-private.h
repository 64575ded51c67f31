/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The weight-loading path of model files, shared with importers (ss-onnx.c) so that every
 * source of weights goes through the same checks. */

#include "ss-model-file.h"
#include "ss-safetensors.h"

G_BEGIN_DECLS

/* Copies n_tensors named tensors into net after checking all of them: every parameter of net
 * present, F32, with its shape, finite, variances non-negative; nothing else but BN
 * num_batches_tracked (one non-negative I64). On error net is unchanged and the message starts
 * with path (a file, or any label of the source). */
gboolean ss_model_load_tensors (SsNet *net, const SsTensorView *tensors, guint n_tensors,
                                const char *path, GError **error);

G_END_DECLS
