/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by test-net.c and test-net-runs.c: the networks of tests/reference/gen-net.py, a
 * fixture holding one of them with the PyTorch weights loaded, and reference look-ups.
 *
 * Legend: N batch, K classes, (C, H, W) the input or a node's output shape; everything float32
 * NCHW. */

#include <glib.h>

#include "ss-labels.h"
#include "ss-net.h"
#include "ss-safetensors.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;      /* fixture: tests/data/net-NAME{,-state}.safetensors */
  gboolean    nesterov;  /* the fixture also has sgd-nesterov/ (one step with Nesterov) */
} NetCase;

/* The networks of gen-net.py, net_fixture_n_cases of them. */
extern const NetCase net_fixture_cases[];
extern const gsize   net_fixture_n_cases;

typedef struct {
  const NetCase *nc;
  SsSafetensors *ref;
  char          *state_path;
  SsArch        *arch;
  SsNet         *net;
  int            n, k;
  gsize          in_len;     /* C·H·W */
  const float   *x;          /* (N, C, H, W), borrowed from ref */
  SsLabel       *labels;     /* (N) */
  SsLabel       *cam;        /* (N) */
  double         lr, momentum, weight_decay;
} NetFixture;

/* The tensor key of ref (transfer none); a missing key is fatal, naming gen-net.py. */
const SsTensorView *net_fixture_ref_get (SsSafetensors *ref, const char *key);

/* Compares got (len) with the reference key, or with the sample got[0], got[S], got[2S], …
 * when the fixture stores only that (a "KEY:stride" entry holds S). */
void net_fixture_check_ref (SsSafetensors *ref, const float *got, gsize len, const char *key,
                            double atol, double rtol);

/* g_test_add setup: loads the case data (a NetCase) and its net with the PyTorch weights. */
void net_fixture_set_up (NetFixture *f, gconstpointer data);

/* g_test_add teardown: frees what net_fixture_set_up made. */
void net_fixture_tear_down (NetFixture *f, gconstpointer data);

/* One training forward, mean cross-entropy and backward (parameter and input gradients) from
 * zeroed gradients. Returns the loss. */
double net_fixture_train_pass (SsNet *net, const NetFixture *f);

/* The BN running statistics, in state_dict order. Returns: (transfer full). */
GArray *net_fixture_running_stats (SsNet *net);

/* Adds func at /net/what/NAME for the case nc, with a NetFixture. */
void net_fixture_add_case (const char *what, const NetCase *nc,
                           void (*func) (NetFixture *, gconstpointer));

G_END_DECLS
