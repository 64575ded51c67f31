/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Layer names as a user types them: a node's own name ("layer1.0.conv1", "conv3"), or the
 * PyTorch module path of an imported model ("layer1.0", "features"), which stands for the
 * layer whose output is the module's output, as a PyTorch forward hook on that module sees it
 * (docs/onnx.md, "Names").
 *
 * Every command and view that takes layer names resolves them here, so that they all accept
 * the same names and fail with the same message. */

#include <glib.h>

#include "ss-arch.h"

G_BEGIN_DECLS

/* Whether the layer named layer_name lies in the PyTorch module at module_path: it is the
 * module itself ("relu"), a later call of it, which torch names with "_N" ("relu_1"), or
 * something inside either ("layer1.0.conv1", "layer1.0_1.conv1" for "layer1.0"). */
gboolean ss_module_path_contains (const char *module_path,
                                  const char *layer_name);

/* The index in names (n of them, in network order) of the layer name stands for: the layer
 * named exactly name, else the last layer inside the module name (ss_module_path_contains).
 * owner names the list at the start of messages ("resnet50", "run 12").
 * Errors: SS_ERROR_ARGUMENT when nothing matches: "owner: no layer or module named “name”",
 * suggesting up to five close layer or module names (by edit distance), or with none close
 * the first and last layer. Returns: the index, or -1 with error set. */
int      ss_layer_names_resolve  (const char *const *names,
                                  int                n,
                                  const char        *name,
                                  const char        *owner,
                                  GError           **error);

/* The names of arch's layers and the modules above them closest to name, as the errors above
 * suggest them: "“a”, “b” or “c”", for a caller's own message. Returns: (transfer full) the
 * phrase, or NULL when none is close. */
char    *ss_arch_suggest_layers  (const SsArch      *arch,
                                  const char        *name);

/* ss_layer_names_resolve over arch's nodes: the node index name stands for, or -1 with
 * error set. Exact node names work for every architecture; module paths for any whose names
 * are PyTorch paths (imported from ONNX, built-in ResNet50). */
int      ss_arch_resolve_layer   (const SsArch      *arch,
                                  const char        *name,
                                  GError           **error);

G_END_DECLS
