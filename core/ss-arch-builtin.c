/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-arch-private.h"
#include "ss-error.h"

/* The built-in architectures. Parameter names follow the PyTorch modules they mirror (SPEC §9):
 * fmnist-vgg's conv1..conv4/bn1..bn4/fc1/fc2; the CIFAR VGGs of kuangliu/pytorch-cifar
 * ("features.N", "classifier"); torchvision's ResNet naming for the CIFAR ResNets of He et al.
 * (2016, §4.2) with 1×1-projection shortcuts (option B) where the shape changes, and for
 * torchvision's ImageNet resnet50 itself, so its state_dict loads as it is. */

static int
append_simple (SsArch     *arch,
               SsOp        op,
               const char *name,
               const char *block,
               int         out,
               int         kernel,
               int         stride,
               int         padding,
               gboolean    bias)
{
  SsNode node = {
    .name = (char *) name, .block = (char *) block, .op = op,
    .inputs = { SS_NODE_PREVIOUS, SS_NODE_INPUT },
    .out = out, .kernel = kernel, .stride = stride, .padding = padding, .bias = bias,
  };
  return ss_arch_append (arch, &node);
}

int
ss_arch_append_layer (SsArch     *arch,
                      SsOp        op,
                      const char *name)
{
  return append_simple (arch, op, name, NULL, 0, 0, 0, 0, FALSE);
}

int
ss_arch_append_conv (SsArch     *arch,
                     const char *name,
                     int         out,
                     int         kernel,
                     int         stride,
                     int         padding,
                     gboolean    bias)
{
  return append_simple (arch, SS_OP_CONV, name, NULL, out, kernel, stride, padding, bias);
}

int
ss_arch_append_pool (SsArch     *arch,
                     SsOp        op,
                     const char *name,
                     int         kernel,
                     int         stride,
                     int         padding)
{
  return append_simple (arch, op, name, NULL, 0, kernel, stride, padding, FALSE);
}

int
ss_arch_append_linear (SsArch     *arch,
                       const char *name,
                       int         out,
                       gboolean    bias)
{
  return append_simple (arch, SS_OP_LINEAR, name, NULL, out, 0, 0, 0, bias);
}

/* One convolution of a residual block's main path. */
typedef struct {
  int out, kernel, stride, padding;
} ResidualConv;

/* A residual block in torchvision's naming: for each of convs (n_convs) "name.convK" and
 * "name.bnK", with "name.reluK" between them; a "name.downsample.0/1" 1×1 projection (stride)
 * when the shape changes; "name.add" and a last "name.reluN". Returns the last node. */
static int
append_residual_block (SsArch             *arch,
                       const char         *name,
                       int                 in_channels,
                       int                 stride,
                       const ResidualConv *convs,
                       int                 n_convs)
{
  const int out = convs[n_convs - 1].out;
  int block_in = ss_arch_get_n_nodes (arch) - 1;
  int main_out = block_in, shortcut = block_in;
  g_autofree char *n_add = g_strconcat (name, ".add", NULL);
  g_autofree char *n_relu = g_strdup_printf ("%s.relu%d", name, n_convs);

  for (int i = 0; i < n_convs; i++)
    {
      g_autofree char *n_conv = g_strdup_printf ("%s.conv%d", name, i + 1);
      g_autofree char *n_bn = g_strdup_printf ("%s.bn%d", name, i + 1);
      const ResidualConv *cv = &convs[i];
      append_simple (arch, SS_OP_CONV, n_conv, name, cv->out, cv->kernel, cv->stride,
                     cv->padding, FALSE);
      main_out = append_simple (arch, SS_OP_BATCHNORM, n_bn, name, 0, 0, 0, 0, FALSE);
      if (i < n_convs - 1)
        {
          g_autofree char *n_relu_i = g_strdup_printf ("%s.relu%d", name, i + 1);
          append_simple (arch, SS_OP_RELU, n_relu_i, name, 0, 0, 0, 0, FALSE);
        }
    }
  if (stride != 1 || in_channels != out)
    {
      g_autofree char *n_ds0 = g_strconcat (name, ".downsample.0", NULL);
      g_autofree char *n_ds1 = g_strconcat (name, ".downsample.1", NULL);
      SsNode ds = {
        .name = n_ds0, .block = (char *) name, .op = SS_OP_CONV,
        .inputs = { block_in, SS_NODE_INPUT }, .out = out, .kernel = 1, .stride = stride,
      };
      ss_arch_append (arch, &ds);
      shortcut = append_simple (arch, SS_OP_BATCHNORM, n_ds1, name, 0, 0, 0, 0, FALSE);
    }
  {
    SsNode add = {
      .name = n_add, .block = (char *) name, .op = SS_OP_ADD,
      .inputs = { main_out, shortcut },
    };
    ss_arch_append (arch, &add);
  }
  return append_simple (arch, SS_OP_RELU, n_relu, name, 0, 0, 0, 0, FALSE);
}

int
ss_arch_append_basic_block (SsArch     *arch,
                            const char *name,
                            int         in_channels,
                            int         out,
                            int         stride)
{
  const ResidualConv convs[] = {
    { out, 3, stride, 1 },
    { out, 3, 1, 1 },
  };

  return append_residual_block (arch, name, in_channels, stride, convs, G_N_ELEMENTS (convs));
}

int
ss_arch_append_bottleneck (SsArch     *arch,
                           const char *name,
                           int         in_channels,
                           int         width,
                           int         stride)
{
  /* ResNet v1.5: the stride sits on the 3×3 conv2, not on conv1 as in He et al. (2016); the
   * last conv widens by torchvision's Bottleneck.expansion, 4. */
  const ResidualConv convs[] = {
    { width, 1, 1, 0 },
    { width, 3, stride, 1 },
    { 4 * width, 1, 1, 0 },
  };

  return append_residual_block (arch, name, in_channels, stride, convs, G_N_ELEMENTS (convs));
}

static SsArch *
build_fmnist_vgg (int c, int h, int w, int n_classes)
{
  SsArch *arch = ss_arch_new ("fmnist-vgg", c, h, w, n_classes);
  const int widths[4] = { 32, 32, 64, 64 };

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *conv = g_strdup_printf ("conv%d", i + 1);
      g_autofree char *bn = g_strdup_printf ("bn%d", i + 1);
      g_autofree char *relu = g_strdup_printf ("relu%d", i + 1);
      ss_arch_append_conv (arch, conv, widths[i], 3, 1, 1, TRUE);
      ss_arch_append_layer (arch, SS_OP_BATCHNORM, bn);
      ss_arch_append_layer (arch, SS_OP_RELU, relu);
      if (i % 2 == 1)
        ss_arch_append_pool (arch, SS_OP_MAXPOOL, i == 1 ? "pool1" : "pool2", 2, 2, 0);
    }
  ss_arch_append_layer (arch, SS_OP_FLATTEN, "flatten");
  ss_arch_append_linear (arch, "fc1", 128, TRUE);
  ss_arch_append_layer (arch, SS_OP_RELU, "relu5");
  ss_arch_append_linear (arch, "fc2", n_classes, TRUE);
  return arch;
}

/* LeNet-5 in its common modern form (ReLU and max pooling instead of scaled tanh and
 * subsampling); the first convolution pads by 2 on 28×28 inputs so both MNIST-like and CIFAR
 * inputs reach the 16×5×5 feature map of the original. */
static SsArch *
build_lenet5 (int c, int h, int w, int n_classes)
{
  SsArch *arch = ss_arch_new ("lenet5", c, h, w, n_classes);
  ss_arch_append_conv (arch, "conv1", 6, 5, 1, h < 32 ? 2 : 0, TRUE);
  ss_arch_append_layer (arch, SS_OP_RELU, "relu1");
  ss_arch_append_pool (arch, SS_OP_MAXPOOL, "pool1", 2, 2, 0);
  ss_arch_append_conv (arch, "conv2", 16, 5, 1, 0, TRUE);
  ss_arch_append_layer (arch, SS_OP_RELU, "relu2");
  ss_arch_append_pool (arch, SS_OP_MAXPOOL, "pool2", 2, 2, 0);
  ss_arch_append_layer (arch, SS_OP_FLATTEN, "flatten");
  ss_arch_append_linear (arch, "fc1", 120, TRUE);
  ss_arch_append_layer (arch, SS_OP_RELU, "relu3");
  ss_arch_append_linear (arch, "fc2", 84, TRUE);
  ss_arch_append_layer (arch, SS_OP_RELU, "relu4");
  ss_arch_append_linear (arch, "fc3", n_classes, TRUE);
  return arch;
}

/* kuangliu/pytorch-cifar's VGG: 3×3 conv + BN + ReLU per entry, 0 = 2×2 max pool, then one
 * linear layer on the 512 features. Module indices match its nn.Sequential. */
static SsArch *
build_vgg (const char *name, const int *cfg, int c, int h, int w, int n_classes)
{
  SsArch *arch = ss_arch_new (name, c, h, w, n_classes);
  int index = 0;

  for (const int *v = cfg; *v >= 0; v++)
    {
      g_autofree char *n0 = g_strdup_printf ("features.%d", index);
      g_autofree char *n1 = g_strdup_printf ("features.%d", index + 1);
      g_autofree char *n2 = g_strdup_printf ("features.%d", index + 2);
      if (*v == 0)
        {
          ss_arch_append_pool (arch, SS_OP_MAXPOOL, n0, 2, 2, 0);
          index += 1;
          continue;
        }
      ss_arch_append_conv (arch, n0, *v, 3, 1, 1, TRUE);
      ss_arch_append_layer (arch, SS_OP_BATCHNORM, n1);
      ss_arch_append_layer (arch, SS_OP_RELU, n2);
      index += 3;
    }
  ss_arch_append_layer (arch, SS_OP_FLATTEN, "flatten");
  ss_arch_append_linear (arch, "classifier", n_classes, TRUE);
  return arch;
}

static SsArch *
build_cifar_resnet (const char *name, int blocks, int c, int h, int w, int n_classes)
{
  SsArch *arch = ss_arch_new (name, c, h, w, n_classes);
  const int widths[3] = { 16, 32, 64 };
  int in_channels = 16;

  ss_arch_append_conv (arch, "conv1", 16, 3, 1, 1, FALSE);
  ss_arch_append_layer (arch, SS_OP_BATCHNORM, "bn1");
  ss_arch_append_layer (arch, SS_OP_RELU, "relu");
  for (int stage = 0; stage < 3; stage++)
    for (int b = 0; b < blocks; b++)
      {
        g_autofree char *block = g_strdup_printf ("layer%d.%d", stage + 1, b);
        int stride = (stage > 0 && b == 0) ? 2 : 1;
        ss_arch_append_basic_block (arch, block, in_channels, widths[stage], stride);
        in_channels = widths[stage];
      }
  ss_arch_append_layer (arch, SS_OP_GLOBAL_AVGPOOL, "avgpool");
  ss_arch_append_layer (arch, SS_OP_FLATTEN, "flatten");
  ss_arch_append_linear (arch, "fc", n_classes, TRUE);
  return arch;
}

/* torchvision.models.resnet50: 7×7/2 stem, 3×3/2 max pool, Bottleneck stages of 3, 4, 6 and 3
 * blocks (widths 64…512, outputs 4× that), global average pool and fc. */
static SsArch *
build_resnet50 (int c, int h, int w, int n_classes)
{
  SsArch *arch = ss_arch_new ("resnet50", c, h, w, n_classes);
  static const int blocks[4] = { 3, 4, 6, 3 };
  int in_channels = 64;

  ss_arch_append_conv (arch, "conv1", 64, 7, 2, 3, FALSE);
  ss_arch_append_layer (arch, SS_OP_BATCHNORM, "bn1");
  ss_arch_append_layer (arch, SS_OP_RELU, "relu");
  ss_arch_append_pool (arch, SS_OP_MAXPOOL, "maxpool", 3, 2, 1);
  for (int stage = 0; stage < 4; stage++)
    for (int b = 0; b < blocks[stage]; b++)
      {
        g_autofree char *block = g_strdup_printf ("layer%d.%d", stage + 1, b);
        int width = 64 << stage;
        ss_arch_append_bottleneck (arch, block, in_channels, width,
                                   (stage > 0 && b == 0) ? 2 : 1);
        in_channels = 4 * width;
      }
  ss_arch_append_layer (arch, SS_OP_GLOBAL_AVGPOOL, "avgpool");
  ss_arch_append_layer (arch, SS_OP_FLATTEN, "flatten");
  ss_arch_append_linear (arch, "fc", n_classes, TRUE);
  return arch;
}

static const int vgg11_cfg[] = { 64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0, -1 };
static const int vgg16_cfg[] = { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0,
                                 512, 512, 512, 0, -1 };

static const struct {
  const char *name;
  int c, h, w;
} builtins[] = {
  { "fmnist-vgg", 1, 28, 28 },
  { "lenet5", 1, 28, 28 },
  { "vgg11", 3, 32, 32 },
  { "vgg16", 3, 32, 32 },
  { "resnet20", 3, 32, 32 },
  { "resnet56", 3, 32, 32 },
  { "resnet110", 3, 32, 32 },
  { "resnet50", 3, 224, 224 },
};

const char *const *
ss_arch_builtin_names (void)
{
  static const char *names[G_N_ELEMENTS (builtins) + 1];
  for (gsize i = 0; i < G_N_ELEMENTS (builtins); i++)
    names[i] = builtins[i].name;
  return names;
}

gboolean
ss_arch_builtin_input (const char *name,
                       int        *c,
                       int        *h,
                       int        *w)
{
  for (gsize i = 0; i < G_N_ELEMENTS (builtins); i++)
    if (g_strcmp0 (builtins[i].name, name) == 0)
      {
        *c = builtins[i].c; *h = builtins[i].h; *w = builtins[i].w;
        return TRUE;
      }
  return FALSE;
}

SsArch *
ss_arch_new_builtin (const char *name,
                     int         c,
                     int         h,
                     int         w,
                     int         n_classes,
                     GError    **error)
{
  g_autoptr(SsArch) arch = NULL;
  g_autofree char *known = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (g_str_equal (name, "fmnist-vgg"))
    arch = build_fmnist_vgg (c, h, w, n_classes);
  else if (g_str_equal (name, "lenet5"))
    arch = build_lenet5 (c, h, w, n_classes);
  else if (g_str_equal (name, "vgg11"))
    arch = build_vgg (name, vgg11_cfg, c, h, w, n_classes);
  else if (g_str_equal (name, "vgg16"))
    arch = build_vgg (name, vgg16_cfg, c, h, w, n_classes);
  else if (g_str_equal (name, "resnet20"))
    arch = build_cifar_resnet (name, 3, c, h, w, n_classes);
  else if (g_str_equal (name, "resnet56"))
    arch = build_cifar_resnet (name, 9, c, h, w, n_classes);
  else if (g_str_equal (name, "resnet110"))
    arch = build_cifar_resnet (name, 18, c, h, w, n_classes);
  else if (g_str_equal (name, "resnet50"))
    arch = build_resnet50 (c, h, w, n_classes);
  else
    {
      known = g_strjoinv (", ", (char **) ss_arch_builtin_names ());
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "unknown architecture “%s”; the built-in ones are %s, or give a .json "
                   "description or a .safetensors model file", name, known);
      return NULL;
    }
  if (!ss_arch_infer_shapes (arch, error))
    return NULL;
  return g_steal_pointer (&arch);
}
