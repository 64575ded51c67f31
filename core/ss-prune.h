/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Structural pruning: surgery that makes a smaller network, not a mask. The result is a new
 * SsArch (its JSON has the new channel counts) and a new SsNet with the surviving parameters
 * copied, so a pruned model saves, loads, trains and runs like any other, and faster.
 *
 * Dependency groups. The output channels of a convolution flow through batch norm, ReLU,
 * pooling, dropout and flatten unchanged in number; a residual add ties the channels of its two
 * inputs into one set. A group is such a set of channels: its producers are the conv layers that
 * write it (one for a plain conv; in a ResNet stage, the stem or projection conv and every
 * block's conv2, all tied by the identity shortcuts), its consumers the conv and linear layers
 * that read it. Removing channel k of a group removes, in every producer, filter k with its
 * bias; in every batch norm on the way, γ_k, β_k, running_mean_k and running_var_k; in every
 * consumer, input channel k (a conv's weight slice [:, k], a linear layer's block of h·w input
 * columns k·h·w … (k+1)·h·w − 1 after a flatten of a C×h×w map). In resnet20 each block's conv1
 * is a group of its own (freely prunable); conv2, the stem conv and the projection shortcuts are
 * tied: pruning one of them prunes the same channels of its whole group. A group is not
 * prunable when the network input or a linear layer writes it, when it reaches the logits, or
 * when a grouped or depthwise conv (groups > 1) writes or reads it: such a conv ties each
 * channel to the rest of its group, so its input and output channels stay whole.
 *
 * Whole-layer removal (SPEC §6). Removing conv layer L removes L, the batch norm that reads
 * only L, and the ReLU that reads only that batch norm; whatever read the last of them reads L's
 * input instead. Every parameter tensor whose shape is unchanged keeps its values; a layer whose
 * parameters no longer fit (the next conv when L changed the channel count, a linear layer when
 * the flattened size changed, a batch norm whose channels changed) is re-initialised as a fresh
 * layer (ss_net_new's PyTorch initialisation, drawn from the given seed). Removals that leave no
 * valid network (a residual add whose inputs no longer agree) fail with SS_ERROR_ARCH.
 *
 * Counting (SPEC §8): ss_arch_total_params and ss_arch_total_macs of the result. */

#include <glib.h>

#include "ss-arch.h"
#include "ss-net.h"

G_BEGIN_DECLS

typedef struct {
  int         n_channels;   /* channels of the group now */
  gboolean    prunable;
  const char *reason;       /* why not prunable (static, English); NULL when prunable */
  int         n_producers;
  int        *producers;    /* (n_producers) conv node indices, node order; owned by the array */
  int         n_consumers;
  int        *consumers;    /* (n_consumers) conv and linear node indices; owned by the array */
} SsPruneGroup;

/* The dependency groups of arch (shapes inferred), one per set of tied conv outputs, ordered by
 * their first producer; groups no conv writes (the input, linear outputs) are not listed.
 * Returns: (transfer full) an array of SsPruneGroup; g_array_unref frees the members too. */
GArray       *ss_prune_groups             (const SsArch *arch);
/* The index in groups of the group conv node `node` writes, or -1 if node is not a conv. */
int           ss_prune_groups_find        (const GArray *groups, int node);

/* A plan: the channels to remove from each group of one architecture. */
typedef struct _SsPrunePlan SsPrunePlan;

/* A plan that removes nothing yet, for arch (copied; shapes inferred). Transfer full. */
SsPrunePlan  *ss_prune_plan_new           (const SsArch *arch);
void          ss_prune_plan_free          (SsPrunePlan *plan);
/* Marks filters (n_filters indices into conv layer `layer`'s output channels) for removal; if
 * the layer is tied, the same channels of its whole group. Repeated calls add up; a filter
 * already marked may be named again. SS_ERROR_ARGUMENT, with the plan unchanged, when the layer
 * is unknown or not a conv, its group is not prunable (the message says why), an index is out
 * of range or repeated within this call, or the plan would then remove every filter (remove the
 * layer instead). */
gboolean      ss_prune_plan_remove_filters (SsPrunePlan *plan, const char *layer,
                                            const int *filters, int n_filters, GError **error);
/* Output channels conv layer `layer` keeps under the plan; -1 if it is not a conv layer. */
int           ss_prune_plan_get_n_kept    (const SsPrunePlan *plan, const char *layer);
/* The pruned architecture, shapes inferred (for counting before any surgery).
 * Returns: (transfer full). */
SsArch       *ss_prune_plan_build_arch    (const SsPrunePlan *plan);
/* The pruned network: net's parameters, running statistics and num_batches_tracked with the
 * planned channels taken out; n_threads carried over. net is only read. SS_ERROR_ARCH if net's
 * architecture is not the plan's. Returns: (transfer full) or NULL. */
SsNet        *ss_prune_plan_apply         (const SsPrunePlan *plan, SsNet *net, GError **error);

/* Shorthand for a plan on net's architecture with one ss_prune_plan_remove_filters call,
 * applied. Returns: (transfer full) or NULL. */
SsNet        *ss_prune_filters            (SsNet *net, const char *layer, const int *filters,
                                           int n_filters, GError **error);

/* arch without conv layer `layer` (and its batch norm and ReLU, see above), shapes inferred.
 * SS_ERROR_ARGUMENT if layer is unknown or not a conv, SS_ERROR_ARCH if the rest does not fit
 * together. Returns: (transfer full) or NULL. */
SsArch       *ss_prune_arch_remove_layer  (const SsArch *arch, const char *layer,
                                           GError **error);
/* net without conv layer `layer`: unchanged tensors copied, the others re-initialised from
 * seed. reinitialised, if not NULL, receives the names of the re-initialised layers
 * (transfer full, NULL-terminated, possibly empty; g_strfreev). net is only read.
 * Returns: (transfer full) or NULL. */
SsNet        *ss_prune_remove_layer       (SsNet *net, const char *layer, guint64 seed,
                                           char ***reinitialised, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsPrunePlan, ss_prune_plan_free)

G_END_DECLS
