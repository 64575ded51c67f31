/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Element-wise layers: ReLU, dropout, residual add. Legend: L = number of elements. */

#include <glib.h>

#include "ss-rng.h"

G_BEGIN_DECLS

/* out (L) = max(in, 0); may run in place (out == in). */
void ss_relu_forward  (float *out, const float *in, gsize len);
/* din (L) += dout where out > 0 (out is the forward's output, so in-place forwards still work). */
void ss_relu_backward (float *din, const float *dout, const float *out, gsize len);

/* Inverted dropout as torch.nn.Dropout in training: each element is zeroed with probability p,
 * the rest scaled by 1/(1-p). mask (L) receives the factor (0 or 1/(1-p)) for the backward.
 * Draws from rng in element order, so it is reproducible. 0 ≤ p < 1. */
void ss_dropout_forward  (float *out, float *mask, const float *in, gsize len, float p, SsRng *rng);
/* din (L) += dout · mask */
void ss_dropout_backward (float *din, const float *dout, const float *mask, gsize len);

/* out (L) = a + b.  Backward is din += dout for both inputs, done by the caller with ss_axpy. */
void ss_add_forward (float *out, const float *a, const float *b, gsize len);
/* y (L) += x */
void ss_accumulate  (float *y, const float *x, gsize len);

G_END_DECLS
