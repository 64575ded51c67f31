/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The layer entropy profile (thesis Tables 2.1–2.3) and the information plane (SPEC §3) of a
 * model over N samples of a data set: for every saliency layer (ss-gradcam.h), the mean and
 * standard deviation of its Grad-CAM maps' AME, their null baseline, the mean per-channel AME of
 * its activations, the change from the layer before (ΔH: what the thesis's interpretant
 * extracts, §2.1.2) and the kind of step, plus I(X;T) and I(T;Y) in bits. */

#include <gio/gio.h>

#include "ss-dataset.h"
#include "ss-entropy.h"
#include "ss-gradcam.h"
#include "ss-mi.h"
#include "ss-net.h"

G_BEGIN_DECLS

typedef struct {
  int      n_samples;          /* N (default 50), drawn with seed from the data set */
  guint64  seed;               /* default 1 */
  SsAmeOptions ame;            /* bins (default 256), Miller–Madow, radius */
  guint    null_permutations;  /* default 8 */
  int      mi_bins;            /* B_mi (default 32) */
  gboolean with_null;          /* compute null_mean (default TRUE; else NAN) */
  gboolean with_activation;    /* compute activation_mean (default TRUE; else NAN) */
} SsProfileOptions;

typedef enum {
  SS_STEP_NONE,      /* the first layer, or a ReLU / block output */
  SS_STEP_TYPE_I,    /* pooling: type I superization */
  SS_STEP_TYPE_II,   /* convolution: type II superization */
} SsStepKind;

typedef struct {
  int            node;
  const char    *name;         /* borrowed from the net's architecture */
  SsSaliencyKind kind;
  SsStepKind     step;
  int            c, h, w;      /* the layer's output shape */
  int            n_valid;      /* samples whose saliency AME is defined (maps larger than 1×1) */
  int            n_constant;   /* of those, maps that were constant (AME 0 by SPEC §1) */
  double         saliency_mean;   /* NAN when n_valid is 0 */
  double         saliency_sd;     /* population */
  double         null_mean;       /* mean over samples of the permutation baseline */
  double         activation_mean; /* mean over samples of the per-channel AME of the output */
  double         delta;           /* saliency_mean − the previous layer's; NAN for the first */
  gboolean       bias_dominated;  /* neighbour pairs < B² (SPEC §1's small-map note) */
  int            bins;            /* B used for this layer's maps */
  double         i_xt;            /* I(X;T), bits */
  double         i_ty;            /* I(T;Y), bits */
} SsLayerProfile;

void         ss_profile_options_init (SsProfileOptions *opt);
const char  *ss_step_kind_name       (SsStepKind step);   /* "", "I", "II" */

/* The profile of net over opt->n_samples samples of ds: an array of SsLayerProfile, one per
 * saliency layer in node order (transfer full: g_array_unref). Runs net in evaluation mode;
 * its weights are untouched. SS_ERROR_ARGUMENT for more samples than ds holds or bad options,
 * SS_ERROR_SHAPE if ds does not fit net.
 * I(X;T) pairs T with the first saliency layer, I(T;Y) with the deepest one larger than 1×1. */
GArray      *ss_profile_compute      (SsNet *net, const SsDataset *ds,
                                      const SsProfileOptions *opt, GCancellable *cancellable,
                                      GError **error);

/* The N = opt->n_samples samples ss_profile_compute draws from ds: the first N of a shuffle of
 * the whole set seeded with opt->seed, normalised, (N, C, H, W). rng receives the generator as
 * the draw leaves it, which ss_profile_compute goes on to use for the null baseline.
 * SS_ERROR_ARGUMENT for more samples than ds holds. Returns: (transfer full) g_free. */
float       *ss_profile_draw_samples (const SsDataset *ds, const SsProfileOptions *opt,
                                      SsRng *rng, GError **error);

/* The profile of net on given samples x (N, C, H, W) in the net's input shape, n ≥ 1; rng
 * feeds the null baseline (may be NULL unless opt->with_null). ss_profile_compute is
 * ss_profile_draw_samples then this. Transfer full, as ss_profile_compute. */
GArray      *ss_profile_compute_samples (SsNet *net, const float *x, int n,
                                         const SsProfileOptions *opt, SsRng *rng,
                                         GCancellable *cancellable, GError **error);

/* MI (bits) between layer a's Grad-CAM maps resized to layer b's grid and b's maps, pooled over
 * the samples in one joint histogram (SPEC §3); hist (B_mi bins) is cleared first. */
double       ss_profile_pooled_mi    (const SsGradcam *gc, int a, int b, SsMiHistogram *hist);

G_END_DECLS
