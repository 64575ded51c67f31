/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* ONNX import (docs/onnx.md): a convolutional classifier exported by torch.onnx.export (or
 * built from the same operators) becomes a Supersign network with its weights. Supported:
 * Conv, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape as
 * a flatten, Gemm, MatMul (+ Add as its bias), Add of two tensors, Dropout, Identity, Constant,
 * and a final Softmax, which is dropped (Supersign works on logits). Opsets 11 to 17.
 *
 * Layers are named after the PyTorch modules they came from ("features.0", "layer1.0.conv1"),
 * so Grad-CAM layers can be named as in PyTorch and a saved model loads in PyTorch.
 *
 * The file is untrusted input: anything malformed, unsupported or inconsistent is a GError
 * (SS_ERROR_FORMAT for the bytes, SS_ERROR_ARCH for the graph, SS_ERROR_VALUE for NaN or
 * infinite weights, SS_ERROR_IO for files) naming the node or tensor, never a crash. */

#include <glib.h>

#include "ss-arch.h"
#include "ss-net.h"

G_BEGIN_DECLS

/* Imports the .onnx file at path; external data may sit next to it (plain file names in the
 * same folder only). The architecture is named after the file ("resnet50" for
 * resnet50.onnx). Returns: (transfer full), or NULL with error set (the message starts with
 * the path). */
SsNet *ss_onnx_load           (const char *path, GError **error);

/* Imports the size bytes at data (only read during the call). folder: where external data
 * files are, or NULL to refuse external data. name: the architecture's name, or NULL for the
 * graph's own name. Returns: (transfer full), or NULL with error set. */
SsNet *ss_onnx_load_from_data (const guint8 *data, gsize size, const char *folder,
                               const char *name, GError **error);

/* The node of an imported architecture whose output is the output of the PyTorch module at
 * module_path ("features.2", "layer1.0", "relu"): the last node named module_path or inside it
 * ("layer1.0.relu_1" for "layer1.0", a block's output; a module called twice, which torch names
 * "relu" then "relu_1", gives its last call). -1 if none. */
int    ss_onnx_module_node    (const SsArch *arch, const char *module_path);

G_END_DECLS
