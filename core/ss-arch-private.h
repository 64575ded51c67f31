/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Builders shared by the built-in architectures and the JSON reader. Each appends reading from
 * the node appended last and returns the new node's index (for a block: its output ReLU). */

#include "ss-arch.h"

G_BEGIN_DECLS

/* Computes node i's output shape from the shapes of the nodes before it. */
gboolean ss_arch_infer_node (SsArch *arch, int i, GError **error);

int ss_arch_append_layer       (SsArch *arch, SsOp op, const char *name);
int ss_arch_append_conv        (SsArch *arch, const char *name, int out, int kernel, int stride,
                                int padding, gboolean bias);
int ss_arch_append_pool        (SsArch *arch, SsOp op, const char *name, int kernel, int stride,
                                int padding);
int ss_arch_append_linear      (SsArch *arch, const char *name, int out, gboolean bias);
/* A residual basic block "name" (He et al. 2016): conv3×3(stride)-BN-ReLU-conv3×3-BN, plus a
 * 1×1-conv + BN projection shortcut when the stride or the width changes, add, ReLU. */
int ss_arch_append_basic_block (SsArch *arch, const char *name, int in_channels, int out,
                                int stride);
/* A torchvision Bottleneck "name" (ResNet v1.5): conv1×1(width)-BN-ReLU-conv3×3(width,
 * stride)-BN-ReLU-conv1×1(4·width)-BN, plus a 1×1-conv(stride) + BN projection when the stride
 * or the width changes, add, ReLU. Nodes .conv1 … .bn3, .downsample.0/1, .add, .relu1-3. */
int ss_arch_append_bottleneck  (SsArch *arch, const char *name, int in_channels, int width,
                                int stride);

G_END_DECLS
