/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Filter relevance for pruning (SPEC §5, thesis §3.2): a score for every filter of every conv
 * layer, by one of three criteria —
 *   spatial MI ("ame-mi"): I_f between the filter's maps and the labels from pooled spatial
 *                 co-occurrence entropies (ss-spatial-mi.h), the thesis's method;
 *   Rényi MI ("renyi-mi"): matrix-based Rényi α-entropy MI (ss-renyi.h), HRel's;
 *   L1 ("l1"):    Σ |w| over the filter's weights (bias excluded), Li et al. 2017.
 * Higher scores mean more relevant: pruning removes the lowest.
 *
 * Legend: N samples, C filters of a layer, (c, h, w) a node's output shape.
 *
 * Which map stands for a filter: the conv's output after its batch norm and ReLU when they
 * follow it directly (each the only reader of the one before), as HRel scores the output of
 * its Sequential (conv, BN, ReLU) blocks; a conv whose batch norm feeds a residual add (a
 * ResNet block's conv2 and its projection shortcut) is scored at the batch norm's output,
 * since the ReLU after the add mixes in the shortcut and its map is no longer the filter's
 * alone.  ss_relevance_map_node says which node that is.
 *
 * The samples: N drawn from ds by a seeded shuffle (the same draw as ss_profile_compute), run
 * through the net in evaluation mode (BN with running statistics) in chunks; the scored outputs
 * of as many layers as fit SS_RELEVANCE_GROUP_BYTES are kept at once, so a deep net takes a few
 * more forward passes rather than N copies of every layer. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-net.h"

G_BEGIN_DECLS

#define SS_RELEVANCE_SAMPLES_DEFAULT 100
#define SS_RELEVANCE_GROUP_BYTES     ((gsize) 256 << 20)

typedef enum {
  SS_RELEVANCE_SPATIAL_MI,
  SS_RELEVANCE_RENYI_MI,
  SS_RELEVANCE_L1,
} SsRelevanceCriterion;

typedef struct {
  int                 n_samples;  /* N, default 100; ignored by L1 */
  guint64             seed;       /* of the sample draw, default 1 */
  int                 bins;       /* spatial MI's B_mi, default 32 */
  double              alpha;      /* Rényi order, default 1.01 */
  /* Names of the conv layers to score (borrowed, NULL-terminated); NULL scores every conv. */
  const char *const  *layers;
} SsRelevanceOptions;

typedef struct {
  char   *name;       /* the conv node's name; owned by the array */
  int     node;       /* the conv node */
  int     map_node;   /* the node whose output was scored; the conv itself for L1 */
  int     n_filters;  /* C */
  int     h, w;       /* the scored maps' size */
  double *scores;     /* (C) bits for the MIs, weight units for L1; owned by the array */
  double  seconds;    /* wall time of this layer's scores, the network's forwards excluded */
} SsLayerRelevance;

/* Called on the calling thread after each layer is scored: done of total layers. */
typedef void (*SsRelevanceProgressFunc) (int         done,
                                         int         total,
                                         const char *layer,
                                         gpointer    user_data);

void        ss_relevance_options_init     (SsRelevanceOptions *opt);

/* "ame-mi", "renyi-mi", "l1". */
const char *ss_relevance_criterion_name   (SsRelevanceCriterion criterion);
/* SS_ERROR_ARGUMENT naming the three for anything else. */
gboolean    ss_relevance_criterion_parse  (const char           *name,
                                           SsRelevanceCriterion *criterion,
                                           GError              **error);

/* The node whose output stands for conv node conv's filters (see above). */
int         ss_relevance_map_node         (const SsArch *arch,
                                           int           conv);

/* Scores every filter of the chosen conv layers of net over opt->n_samples samples of ds (ds may
 * be NULL for L1).  Returns: (transfer full) an array of SsLayerRelevance in node order, its
 * clear function frees name and scores (g_array_unref).  net runs in evaluation mode with its
 * own thread count; its weights are untouched.
 * Errors: SS_ERROR_ARGUMENT for N < 1 (< 2 for Rényi) or more than ds holds, bad bins or α, a
 * layer name that is not a conv of net; SS_ERROR_SHAPE if ds does not fit net or spatial MI
 * meets 1×1 maps; SS_ERROR_VALUE for NaN or ±Inf activations or weights;
 * G_IO_ERROR_CANCELLED. */
GArray     *ss_relevance_compute          (SsNet                     *net,
                                           const SsDataset           *ds,
                                           SsRelevanceCriterion       criterion,
                                           const SsRelevanceOptions  *opt,
                                           SsRelevanceProgressFunc    progress,
                                           gpointer                   user_data,
                                           GCancellable              *cancellable,
                                           GError                   **error);

/* Filter indices of lr in increasing score (ties: lower index first), so the first k are the k
 * to prune.  Returns: (transfer full) (n_filters) g_free. */
int        *ss_relevance_rank             (const SsLayerRelevance *lr);

G_END_DECLS
