/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Entropy-driven layer freezing (thesis §2.2, Table 2.6; SPEC §4).
 *
 * The rule. s(1..n) is a layer's saliency entropy (the mean Grad-CAM AME of its conv output over
 * the fixed probe samples, ss-observer.h) after each of the n epochs completed so far. With
 * window W, threshold ε and earliest epoch E, the layer freezes after epoch n when all of
 *   1. n ≥ max (E, W)                                   (else SS_FREEZE_TOO_EARLY)
 *   2. s(n−W+1..n) are all finite                        (else SS_FREEZE_UNDEFINED)
 *   3. their population variance, (1/W)·Σ (s_i − s̄)², is strictly below ε
 *                                                        (else SS_FREEZE_VARIES)
 *   4. they are not rising: the least-squares slope of s_i against i over the window,
 *      Σ (i − ī)(s_i − s̄) / Σ (i − ī)², is ≤ 0          (else SS_FREEZE_RISING)
 * A flat window (slope exactly 0) counts as not rising. Both statistics are computed in double
 * precision with the mean taken first (two passes); the slope's sign comes from integer weights,
 * so when the values and their mean are short binary fractions the statistics are exact and the
 * boundary cases are decided exactly as written above.
 * Defaults: ε = 5e-5, W = 5, E = 5 (the thesis's "averaged over the last five epochs").
 *
 * What freezes. A freezing unit is a convolution whose output map is larger than 1×1 (its
 * saliency entropy is that conv's map, before batch norm: SS_SALIENCY_CONV) together with the
 * batch norm that reads its output, if any. Linear layers, and convs with 1×1 outputs, never
 * freeze: they have no spatial map and so no entropy. In a residual block each conv (the two of
 * the main path and a downsampling shortcut's 1×1 conv) is its own unit, judged on its own map;
 * the block output's entropy is not used, the identity shortcut has nothing to freeze, and the
 * gradient keeps flowing through a frozen unit to any trainable layer below it.
 *
 * What freezing does (ss_net_set_frozen on both nodes): the conv's weights and bias and the
 * BN's affine terms get no gradient and are skipped by the optimiser (so neither momentum nor
 * weight decay moves them); the BN normalises with its running statistics, also in training
 * mode, and no longer updates them or its batch count. The training backward stops below the
 * deepest unit that still trains. Freezing is permanent for the run. */

#include <glib.h>

#include "ss-arch.h"
#include "ss-net.h"

G_BEGIN_DECLS

typedef struct {
  double epsilon;    /* variance threshold ε, > 0; default 5e-5 */
  int    window;     /* W epochs, ≥ 2; default 5 */
  int    earliest;   /* E ≥ 1: no freezing after fewer epochs than this; default 5 */
} SsFreezeRule;

typedef enum {
  SS_FREEZE_TOO_EARLY,   /* fewer than max (E, W) epochs */
  SS_FREEZE_UNDEFINED,   /* a NaN or infinite entropy in the window */
  SS_FREEZE_VARIES,      /* variance ≥ ε */
  SS_FREEZE_RISING,      /* slope > 0 */
  SS_FREEZE_YES,
} SsFreezeVerdict;

void            ss_freeze_rule_init     (SsFreezeRule *rule);
/* SS_ERROR_ARGUMENT naming the option at fault (--epsilon, --window, --earliest). */
gboolean        ss_freeze_rule_validate (const SsFreezeRule *rule, GError **error);
/* The rule's verdict after epoch n on series (n): s(1..n). */
SsFreezeVerdict ss_freeze_rule_decide   (const SsFreezeRule *rule, const double *series, int n);
/* "too early", "undefined", "varies", "rising", "freeze". Static. */
const char     *ss_freeze_verdict_name  (SsFreezeVerdict verdict);

/* TRUE if node is a conv that can freeze (see above); bn receives the batch norm frozen with
 * it, or -1. Shapes must be inferred. */
gboolean        ss_freeze_unit_of       (const SsArch *arch, int node, int *bn);
/* Freezes node's unit in net (node must be freezable). */
void            ss_freeze_unit          (SsNet *net, int node);

/* The rule applied epoch after epoch to every unit of one network. */
typedef struct _SsFreezer SsFreezer;

/* arch is only read here. Transfer full. */
SsFreezer      *ss_freezer_new          (const SsArch *arch, const SsFreezeRule *rule);
void            ss_freezer_free         (SsFreezer *freezer);
/* Appends one epoch's entropies, saliency (n_nodes) indexed by node (only freezable conv
 * nodes are read), and freezes in net every unit the rule now says, unless it is frozen
 * already. verdicts (n_nodes, nullable) receives each freezable node's verdict
 * (SS_FREEZE_YES also for units frozen earlier), and SS_FREEZE_TOO_EARLY elsewhere.
 * Returns the number of units frozen by this call. */
int             ss_freezer_update       (SsFreezer *freezer, SsNet *net, const double *saliency,
                                         SsFreezeVerdict *verdicts);
/* Epochs appended so far. */
int             ss_freezer_get_n_epochs (const SsFreezer *freezer);
/* The number of epochs after which node's unit froze (n of the rule: 1-based), or 0. */
int             ss_freezer_get_frozen_after (const SsFreezer *freezer, int node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFreezer, ss_freezer_free)

G_END_DECLS
