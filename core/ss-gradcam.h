/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Grad-CAM saliency at every saliency layer of a network, and vanilla gradient saliency
 * (SPEC §2).
 *
 * Legend: N samples, K classes, (C, H, W) the network's input, (h, w) a layer's output size,
 * A (C_L, h, w) a layer's output for one sample. Maps are float32, row-major, contiguous.
 *
 * Definition. For sample n with class c (the given target, or the predicted class: the arg-max
 * logit, ties going to the lowest index), y_c its logit before softmax, the network in
 * evaluation mode (batch norm uses its running statistics, dropout is the identity):
 *   g = ∂y_c/∂A,  α_k = mean over (i, j) of g_k[i][j],  cam = ReLU (Σ_k α_k·A_k),
 * and the map is cam divided by its maximum, so it lies in [0, 1]; a map that is zero
 * everywhere (no positive evidence, or a zero gradient) stays zero. Maps are at the layer's own
 * resolution; ss_gradcam_upsample resizes one to the input size for display.
 *
 * Vanilla saliency (Simonyan, Vedaldi and Zisserman 2014): |∂y_c/∂x| per pixel, the maximum
 * over the input channels of the absolute gradient, normalised to [0, 1] the same way.
 *
 * Saliency layers. A node of the architecture is a saliency layer when it is
 *   - a convolution (SS_OP_CONV): its output, before any batch norm   SS_SALIENCY_CONV
 *   - a ReLU (SS_OP_RELU)                                             SS_SALIENCY_ACTIVATION
 *   - a pooling layer (SS_OP_MAXPOOL, SS_OP_AVGPOOL,
 *     SS_OP_GLOBAL_AVGPOOL)                                           SS_SALIENCY_POOLING
 *   - the output of a residual block: the last node carrying that
 *     node->block name (its final ReLU, "layer1.0.relu2", in the
 *     built-in ResNets), whatever its op                               SS_SALIENCY_BLOCK
 * Batch norm, dropout, flatten, linear and add nodes are not saliency layers (except an add or
 * other node that ends a block, as a block output). Layers after a flatten or a global pool
 * have 1×1 maps, which are 0 or 1 (the sign of Σ_k α_k·A_k): they carry no spatial
 * information but are listed, as SPEC §3 asks for "the deepest layer larger than 1×1".
 *
 * One forward and one backward per chunk of at most SS_GRADCAM_CHUNK samples compute every
 * layer's map for every sample (the backward is seeded with one-hot(c_n) per sample, and in
 * evaluation mode samples do not interact). The net's parameters, running statistics and
 * gradient arena are left untouched; its last-batch outputs and gradients are overwritten. */

#include <glib.h>

#include "ss-arch.h"
#include "ss-net.h"

G_BEGIN_DECLS

/* Samples per forward/backward pass, to bound the activation memory of large batches. */
#define SS_GRADCAM_CHUNK 16

typedef enum {
  SS_SALIENCY_NONE,         /* not a saliency layer */
  SS_SALIENCY_CONV,         /* a convolution's output, before batch norm */
  SS_SALIENCY_ACTIVATION,   /* a ReLU that does not end a residual block */
  SS_SALIENCY_POOLING,      /* max, average or global average pooling */
  SS_SALIENCY_BLOCK,        /* the output of a residual block (its last node) */
} SsSaliencyKind;

/* The kind of node `node` of arch (shapes need not be inferred). */
SsSaliencyKind  ss_gradcam_layer_kind        (const SsArch *arch, int node);
gboolean        ss_gradcam_is_saliency_layer (const SsArch *arch, int node);
/* "conv", "activation", "pooling", "block", or NULL for SS_SALIENCY_NONE. Static. */
const char     *ss_saliency_kind_name        (SsSaliencyKind kind);

typedef struct _SsGradcam SsGradcam;

/* Grad-CAM maps of every saliency layer and vanilla saliency maps for x (N, C, H, W), a
 * normalised input batch of n samples of c×h×w, which must be the network's input shape.
 * targets (N) holds each sample's class in [0, K), or is NULL for the predicted classes.
 * Runs net in evaluation mode (see above for what it leaves behind). Errors:
 * SS_ERROR_ARGUMENT if n ≤ 0, SS_ERROR_SHAPE if c×h×w is not the network's input shape,
 * SS_ERROR_VALUE if a target is out of range or the logits are not finite (NaN or Inf in the
 * input). Returns: (transfer full), or NULL with error set. */
SsGradcam     *ss_gradcam_compute            (SsNet *net, const float *x, int n, int c, int h,
                                              int w, const int *targets, GError **error);
void           ss_gradcam_free               (SsGradcam *gc);

int            ss_gradcam_get_n_samples      (const SsGradcam *gc);
int            ss_gradcam_get_n_classes      (const SsGradcam *gc);
/* The network's input size (H, W): the size of vanilla maps and upsampled ones. */
void           ss_gradcam_get_input_size     (const SsGradcam *gc, int *h, int *w);
/* Returns: (transfer none) the class used for each sample (N), predicted or given. */
const int     *ss_gradcam_get_classes        (const SsGradcam *gc);
/* Returns: (transfer none) the logits (N, K) of the evaluation forward. */
const float   *ss_gradcam_get_logits         (const SsGradcam *gc);

/* Layers are the saliency layers of the network in node order, indexed 0..n_layers-1. */
int            ss_gradcam_get_n_layers       (const SsGradcam *gc);
/* The node index of layer; the layer index of node, or -1 if node is not a saliency layer. */
int            ss_gradcam_get_layer_node     (const SsGradcam *gc, int layer);
int            ss_gradcam_find_layer         (const SsGradcam *gc, int node);
/* Returns: (transfer none) the node's name ("layer1.0.relu2"). */
const char    *ss_gradcam_get_layer_name     (const SsGradcam *gc, int layer);
SsSaliencyKind ss_gradcam_get_layer_kind     (const SsGradcam *gc, int layer);
/* The layer's map size (h, w): its output's spatial size. */
void           ss_gradcam_get_layer_size     (const SsGradcam *gc, int layer, int *h, int *w);
/* Returns: (transfer none) the layer's maps (N, h, w), each in [0, 1]. */
const float   *ss_gradcam_get_maps           (const SsGradcam *gc, int layer);
/* Returns: (transfer none) one sample's map (h, w). */
const float   *ss_gradcam_get_map            (const SsGradcam *gc, int layer, int sample);
/* Returns: (transfer none) the vanilla saliency maps (N, H, W), or one sample's (H, W). */
const float   *ss_gradcam_get_vanilla_maps   (const SsGradcam *gc);
const float   *ss_gradcam_get_vanilla        (const SsGradcam *gc, int sample);

/* dst (H, W), the input size: one sample's map of layer resized bilinearly for display
 * (half-pixel centres, as PyTorch's align_corners=False; ss_resize_bilinear), then clamped to
 * [0, 1] (float rounding of the weights can overshoot 1 by an ulp). Not renormalised, so the
 * peak may fall below 1. */
void           ss_gradcam_upsample           (const SsGradcam *gc, int layer, int sample,
                                              float *dst);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsGradcam, ss_gradcam_free)

G_END_DECLS
