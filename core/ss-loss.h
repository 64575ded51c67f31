/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Softmax cross-entropy over K classes, mean over the batch, as torch.nn.CrossEntropyLoss.
 * Legend: N batch, K classes. */

#include <glib.h>

#include "ss-labels.h"

G_BEGIN_DECLS

/* probs (N, K) = softmax(logits) (log-sum-exp stabilised); returns the mean loss in nats and
 * counts in *n_correct (may be NULL) the samples whose arg-max logit is the label
 * (ties → lowest index, as torch.argmax). labels (N) in [0, K). */
double ss_softmax_xent_forward  (float *probs, const float *logits, const SsLabel *labels,
                                 int n, int k, int *n_correct);
/* dlogits (N, K) = (probs - onehot(labels)) · scale; overwrites. scale is 1/N for the mean loss. */
void   ss_softmax_xent_backward (float *dlogits, const float *probs, const SsLabel *labels,
                                 int n, int k, float scale);

G_END_DECLS
