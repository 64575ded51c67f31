/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* An architecture: the input shape, the number of classes and a list of nodes in topological
 * order. Each node is one layer (conv, batch norm, ReLU, pooling, flatten, linear, dropout, add)
 * reading the output of earlier nodes; a residual basic block is a few such nodes joined by an
 * add, so every layer's output — block outputs included — is a node whose output and gradient the
 * saliency code can read. Node names are the PyTorch state_dict prefixes of their parameters
 * ("conv1", "layer1.0.downsample.0"), so model files load in PyTorch. */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SS_OP_CONV,
  SS_OP_BATCHNORM,
  SS_OP_RELU,
  SS_OP_MAXPOOL,
  SS_OP_AVGPOOL,
  SS_OP_GLOBAL_AVGPOOL,
  SS_OP_FLATTEN,
  SS_OP_LINEAR,
  SS_OP_DROPOUT,
  SS_OP_ADD,
} SsOp;

#define SS_NODE_INPUT    (-1)   /* index that stands for the network's input */
#define SS_NODE_PREVIOUS (-2)   /* for ss_arch_append: the node appended just before */

/* Public because builders, the JSON reader and the ONNX importer fill it field by field. */
typedef struct {
  char  *name;       /* unique; owned */
  char  *block;      /* residual block this node belongs to ("layer1.0"), or NULL; owned */
  SsOp   op;
  int    inputs[2];  /* node indices (< this node's) or SS_NODE_INPUT; inputs[1] only for add */
  int    out;        /* conv filters / linear outputs */
  int    kernel, stride, padding;   /* conv and pooling */
  int    groups, dilation;          /* conv; 0 is read as 1 (ss_arch_append stores 1) */
  gboolean bias;     /* conv and linear */
  float  p;          /* dropout probability */
  /* Filled by ss_arch_infer_shapes: */
  int    c, h, w;    /* output shape; h = w = 1 after flatten, linear, global pool */
} SsNode;

typedef struct _SsArch SsArch;

/* A new empty architecture for inputs of in_c×in_h×in_w and n_classes outputs. Transfer full. */
SsArch       *ss_arch_new            (const char *name, int in_c, int in_h, int in_w, int n_classes);
SsArch       *ss_arch_copy           (const SsArch *arch);
void          ss_arch_free           (SsArch *arch);

/* Built-in architectures: fmnist-vgg, lenet5, vgg11, vgg16, resnet20, resnet56, resnet110,
 * resnet50 (torchvision's, so its state_dict loads), for
 * inputs of in_c×in_h×in_w (the data set's shape). NULL and SS_ERROR_ARCH if the name is unknown
 * or the input is too small for it. Transfer full. */
SsArch       *ss_arch_new_builtin    (const char *name, int in_c, int in_h, int in_w, int n_classes,
                                      GError **error);
/* Names of the built-ins, NULL-terminated; static. */
const char *const *ss_arch_builtin_names (void);
/* The input shape a built-in was designed for (1×28×28 for fmnist-vgg and lenet5, 3×32×32 for
 * the CIFAR networks, 3×224×224 for resnet50). FALSE if unknown. */
gboolean      ss_arch_builtin_input  (const char *name, int *c, int *h, int *w);

/* Appends a copy of node and returns its index. Inputs given as SS_NODE_PREVIOUS read from the
 * node appended before (the network's input for the first). name may be NULL for
 * parameter-free layers: one is made up from the kind and a count ("relu3"). */
int           ss_arch_append         (SsArch *arch, const SsNode *node);

/* Computes every node's output shape, and checks inputs, names and sizes. */
gboolean      ss_arch_infer_shapes   (SsArch *arch, GError **error);

const char   *ss_arch_get_name       (const SsArch *arch);
int           ss_arch_get_n_nodes    (const SsArch *arch);
const SsNode *ss_arch_get_node       (const SsArch *arch, int i);
int           ss_arch_find_node      (const SsArch *arch, const char *name);  /* -1 if absent */
void          ss_arch_get_input      (const SsArch *arch, int *c, int *h, int *w);
int           ss_arch_get_n_classes  (const SsArch *arch);
const char   *ss_op_name             (SsOp op);   /* "conv", "batchnorm", … */

/* Parameters of one node (weights, biases, BN affine terms; not running statistics) and its
 * multiply–accumulates per sample (conv and linear only, SPEC §8). Shapes must be inferred. */
gint64        ss_arch_node_params    (const SsArch *arch, int i);
gint64        ss_arch_node_macs      (const SsArch *arch, int i);
gint64        ss_arch_total_params   (const SsArch *arch);
gint64        ss_arch_total_macs     (const SsArch *arch);

/* The JSON description (docs/architecture-json.md). to_json returns a new string (g_free). */
char         *ss_arch_to_json        (const SsArch *arch);
SsArch       *ss_arch_new_from_json  (const char *json, gssize length, GError **error);
SsArch       *ss_arch_new_from_json_file (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsArch, ss_arch_free)

G_END_DECLS
