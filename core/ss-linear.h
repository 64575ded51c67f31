/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Fully connected layer, as torch.nn.Linear: out = in · Wᵀ + b.
 * Legend: N batch, I inputs, O outputs; W is (O, I) as in a PyTorch state_dict. */

#include <glib.h>

G_BEGIN_DECLS

/* out (N, O); in (N, I); w (O, I); b (O) or NULL. Overwrites out. */
void ss_linear_forward  (float *out, const float *in, const float *w, const float *b,
                         int n, int i, int o, int n_threads);
/* Accumulates (+=) din (N, I), dw (O, I), db (O), each may be NULL, from dout (N, O). */
void ss_linear_backward (float *din, float *dw, float *db, const float *dout, const float *in,
                         const float *w, int n, int i, int o, int n_threads);

G_END_DECLS
