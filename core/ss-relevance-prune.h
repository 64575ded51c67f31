/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Iterative filter pruning by relevance (SPEC §5, thesis §3.2, the HRel workflow): each round
 *   1. scores the filters of the pruned layers (ss_relevance_compute, one criterion);
 *   2. removes from each layer the filters with the lowest scores, down to this round's count
 *      (ss_prune.h's surgery: the conv's filters, its batch norm's channels, the consumers'
 *      input channels);
 *   3. fine-tunes the smaller network (ss_train) and measures its test accuracy.
 * Round r of R brings a unit from its original n₀ filters to n₀ − ⌊(n₀ − target)·r/R⌋, so the
 * last round reaches the target exactly.
 *
 * A unit is one prunable channel group (ss_prune_groups), named by one of its conv layers.  In
 * a plain network that is one conv layer; in a ResNet stage the stem or projection conv and every
 * block's conv2 are tied by the identity shortcuts into one unit, whose channel k scores the
 * mean over its convs of their filter k's scores.  The relevance samples are the same in every
 * round (opt->seed); fine-tuning round r draws from config->finetune.seed + r.
 *
 * Runs on the calling thread (use a worker in a UI); progress comes through a callback on that
 * thread; cancellation is polled between batches and between phases. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-net.h"
#include "ss-relevance.h"
#include "ss-train.h"

G_BEGIN_DECLS

typedef struct {
  SsRelevanceCriterion criterion;
  SsRelevanceOptions   relevance;  /* N, seed, bins, α; its layers are ignored (the units') */
  int                  rounds;     /* ≥ 1, default 1 */
  SsTrainConfig        finetune;   /* per round; epochs 0 skips fine-tuning */
} SsRelevancePruneConfig;

/* Defaults: spatial MI with ss_relevance_options_init, 1 round, ss_train_config_init's recipe
 * with 1 epoch at learning rate 0.01 (the thesis fine-tunes at a tenth of the training rate). */
void     ss_relevance_prune_config_init (SsRelevancePruneConfig *config);

/* One line of the report. */
typedef struct {
  int      round;              /* 0: the network as given */
  int      n_units;
  int     *kept;               /* (n_units) filters of each unit after the round */
  gint64   params;             /* SPEC §8, BN affine terms and biases included */
  gint64   macs;               /* conv and linear multiply–accumulates per image */
  double   accuracy;           /* test accuracy in [0, 1] after fine-tuning; NAN without test */
  double   loss;
  double   relevance_seconds;  /* the criterion's time this round, network forwards excluded */
  double   relevance_wall;     /* ss_relevance_compute's wall time, forwards included */
  double   finetune_seconds;
} SsRelevancePruneRound;

typedef enum {
  SS_RELEVANCE_PRUNE_SCORING,     /* before a round's relevance */
  SS_RELEVANCE_PRUNE_FINETUNING,  /* train is set: ss_train's per-batch and epoch-end report */
  SS_RELEVANCE_PRUNE_ROUND_DONE,  /* result is set */
} SsRelevancePrunePhase;

typedef struct {
  SsRelevancePrunePhase        phase;
  int                          round;    /* 0 … rounds */
  int                          rounds;
  const SsTrainProgress       *train;    /* FINETUNING only */
  const SsRelevancePruneRound *result;   /* ROUND_DONE only; valid during the call */
} SsRelevancePruneProgress;

typedef void (*SsRelevancePruneProgressFunc) (const SsRelevancePruneProgress *progress,
                                              gpointer                        user_data);

/* The first conv of every prunable group of arch (shapes inferred), in group order: the units
 * pruned when none are named.  Returns: (transfer full) NULL-terminated, g_strfreev. */
char   **ss_relevance_prune_default_units (const SsArch *arch);

/* The filters kept per unit as the run history and model metadata write a configuration:
 * "24-24-48-48" for the n counts kept.  Returns: (transfer full) g_free. */
char    *ss_relevance_prune_format_kept   (const int *kept, int n);

/* The residual stage of each unit, numbered from 0 in network order among the units' stages,
 * into stages (n_units); −1 for a unit in no stage.  A stage is a group a residual add ties
 * (two or more producers: in resnet20 the stem with layer1's conv2s, and each later stage's
 * projection shortcut with its conv2s), together with every group whose consumers all lead into
 * it (each block's conv1).  Plain networks have none.  Returns the number of stages. */
int      ss_relevance_prune_unit_stages   (const SsArch        *arch,
                                           const char *const   *units,
                                           int                  n_units,
                                           int                 *stages);

/* targets (n_units) from a --target text "N-N-…", in either of two forms told apart by the
 * number of fields: one filter count per unit, in units' order ("16-8-8-8-32-…" for resnet20's
 * twelve default units), or one per residual stage, in network order, which every unit of that
 * stage keeps ("8-15-30": the stage's tied group and each of its blocks' conv1).  The stage
 * form needs every unit to be in a stage (ss_relevance_prune_unit_stages).
 * SS_ERROR_ARGUMENT when the number of fields fits neither form (the message lists both), when
 * it fits both and they would differ (as many units as stages, in another order), or when a
 * field is not a number; the counts' range is ss_relevance_prune_check's. */
gboolean ss_relevance_prune_parse_target  (const SsArch        *arch,
                                           const char *const   *units,
                                           int                  n_units,
                                           const char          *text,
                                           int                 *targets,
                                           GError             **error);

/* Checks that units (n_units conv names) name distinct prunable groups of arch and that each
 * target is between 1 and the group's filters.  SS_ERROR_ARGUMENT naming the unit and why. */
gboolean ss_relevance_prune_check         (const SsArch        *arch,
                                           const char *const   *units,
                                           const int           *targets,
                                           int                  n_units,
                                           GError             **error);

/* Prunes net down to targets (n_units filter counts, one per unit) in config->rounds rounds.
 * net is only read.  test may be NULL (no accuracy); train is needed for fine-tuning and for
 * the MI criteria's samples.
 * Returns: (transfer full) the final network, or NULL with SS_ERROR_ARGUMENT (bad units,
 * targets or config), the errors of ss_relevance_compute, ss_prune_plan_apply and ss_train, or
 * G_IO_ERROR_CANCELLED. */
SsNet   *ss_relevance_prune_run           (SsNet                         *net,
                                           const SsDataset               *train,
                                           const SsDataset               *test,
                                           const SsRelevancePruneConfig  *config,
                                           const char *const             *units,
                                           const int                     *targets,
                                           int                            n_units,
                                           SsRelevancePruneProgressFunc   progress,
                                           gpointer                       user_data,
                                           GCancellable                  *cancellable,
                                           GError                       **error);

G_END_DECLS
