/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Grad-CAM at every saliency layer and vanilla gradient saliency (SPEC §2); see ss-gradcam.h
 * for the definitions and the list of saliency layers.
 *
 * Legend: N samples, M samples of one chunk, K classes, (C, H, W) the network's input,
 * (C_L, h, w) a layer's output. Everything float32 NCHW; the per-map sums are in double, so
 * the maps carry only the network's own float32 rounding.
 *
 * How. Per chunk of M ≤ SS_GRADCAM_CHUNK samples: an evaluation forward keeps every node's
 * output A; a backward seeded with dlogits = one-hot(c_m) per sample — the gradient of
 * Σ_m y[m, c_m] — gives ∂y_{c_m}/∂A for every node and sample at once (in evaluation mode a
 * sample's logits depend on that sample only), and ∂y_c/∂x with SS_BACKWARD_INPUT_GRAD. No
 * parameter gradient is asked for, so the gradient arena is not written. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-gradcam.h"
#include "ss-resize.h"

typedef struct {
  int            node;
  SsSaliencyKind kind;
  int            c, h, w;    /* the node's output shape */
  gsize          offset;     /* of its maps in gc->maps */
} Layer;

struct _SsGradcam {
  /* Owned */
  Layer  *layers;      /* n_layers */
  char  **names;       /* n_layers node names */
  float  *maps;        /* per layer (N, h, w), one after the other */
  float  *vanilla;     /* (N, H, W) */
  float  *logits;      /* (N, K) */
  int    *classes;     /* (N) */
  int     n_layers;
  int     n, k;
  int     in_h, in_w;
};

/* ------------------------------------------------------------------------------------------ */
/* Saliency layers                                                                            */

/* TRUE if node is the last node of its residual block. */
static gboolean
is_block_output (const SsArch *arch,
                 int           node)
{
  const SsNode *nd = ss_arch_get_node (arch, node);
  int n_nodes = ss_arch_get_n_nodes (arch);

  if (nd->block == NULL)
    return FALSE;
  for (int i = node + 1; i < n_nodes; i++)
    {
      const SsNode *later = ss_arch_get_node (arch, i);
      if (later->block != NULL && strcmp (later->block, nd->block) == 0)
        return FALSE;
    }
  return TRUE;
}

SsSaliencyKind
ss_gradcam_layer_kind (const SsArch *arch,
                       int           node)
{
  g_return_val_if_fail (arch != NULL, SS_SALIENCY_NONE);
  g_return_val_if_fail (node >= 0 && node < ss_arch_get_n_nodes (arch), SS_SALIENCY_NONE);

  if (is_block_output (arch, node))
    return SS_SALIENCY_BLOCK;
  switch (ss_arch_get_node (arch, node)->op)
    {
    case SS_OP_CONV:
      return SS_SALIENCY_CONV;
    case SS_OP_RELU:
      return SS_SALIENCY_ACTIVATION;
    case SS_OP_MAXPOOL:
    case SS_OP_AVGPOOL:
    case SS_OP_GLOBAL_AVGPOOL:
      return SS_SALIENCY_POOLING;
    case SS_OP_BATCHNORM:
    case SS_OP_FLATTEN:
    case SS_OP_LINEAR:
    case SS_OP_DROPOUT:
    case SS_OP_ADD:
    default:
      return SS_SALIENCY_NONE;
    }
}

gboolean
ss_gradcam_is_saliency_layer (const SsArch *arch,
                              int           node)
{
  return ss_gradcam_layer_kind (arch, node) != SS_SALIENCY_NONE;
}

const char *
ss_saliency_kind_name (SsSaliencyKind kind)
{
  switch (kind)
    {
    case SS_SALIENCY_CONV:
      return "conv";
    case SS_SALIENCY_ACTIVATION:
      return "activation";
    case SS_SALIENCY_POOLING:
      return "pooling";
    case SS_SALIENCY_BLOCK:
      return "block";
    case SS_SALIENCY_NONE:
    default:
      return NULL;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Maps                                                                                       */

/* map = raw divided by its maximum, unless that is 0 (raw ≥ 0, so then all of it is 0). */
static void
normalise (float        *map,    /* (len) */
           const double *raw,    /* (len) */
           gsize         len)
{
  double peak = 0;

  for (gsize i = 0; i < len; i++)
    peak = MAX (peak, raw[i]);
  for (gsize i = 0; i < len; i++)
    map[i] = peak > 0 ? (float) (raw[i] / peak) : 0.f;
}

/* One sample's Grad-CAM: map (h, w) from a (C_L, h, w) and g (C_L, h, w). cam (h·w) is
 * scratch. */
static void
cam_one (float       *map,   /* (h, w) */
         const float *a,     /* (C_L, h, w) */
         const float *g,     /* (C_L, h, w) */
         int          c,
         gsize        hw,
         double      *cam)   /* (h, w) scratch */
{
  memset (cam, 0, sizeof (double) * hw);
  for (int k = 0; k < c; k++)
    {
      const float *ak = a + (gsize) k * hw;
      const float *gk = g + (gsize) k * hw;
      double alpha = 0;

      for (gsize i = 0; i < hw; i++)
        alpha += gk[i];
      alpha /= (double) hw;
      if (alpha == 0)
        continue;
      for (gsize i = 0; i < hw; i++)
        cam[i] += alpha * ak[i];
    }
  for (gsize i = 0; i < hw; i++)
    cam[i] = MAX (cam[i], 0.0);
  normalise (map, cam, hw);
}

/* One sample's vanilla saliency: map (H, W) = max over channels of |dx| (C, H, W). */
static void
vanilla_one (float       *map,       /* (H, W) */
             const float *dx,        /* (C, H, W) */
             int          c,
             gsize        hw,
             double      *scratch)   /* (H, W) */
{
  for (gsize i = 0; i < hw; i++)
    scratch[i] = 0;
  for (int k = 0; k < c; k++)
    for (gsize i = 0; i < hw; i++)
      scratch[i] = MAX (scratch[i], fabs ((double) dx[(gsize) k * hw + i]));
  normalise (map, scratch, hw);
}

static void
arg_max (int         *classes,   /* (M) */
         const float *logits,    /* (M, K) */
         int          m,
         int          k)
{
  for (int s = 0; s < m; s++)
    {
      const float *row = logits + (gsize) s * k;
      int best = 0;
      for (int j = 1; j < k; j++)
        if (row[j] > row[best])   /* strict: ties keep the lowest index */
          best = j;
      classes[s] = best;
    }
}

/* Forward and backward for samples [first, first + m) and their maps. FALSE with error set if
 * the logits are not finite. */
static gboolean
run_chunk (SsGradcam   *gc,
           SsNet       *net,
           const float *x,         /* (N, C, H, W) */
           int          first,
           int          m,
           const int   *targets,   /* (N) or NULL */
           float       *dlogits,   /* (M, K) scratch */
           double      *scratch,   /* (largest h·w) */
           GError     **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  int in_c, in_h, in_w;
  gsize in_len, in_hw;
  const float *logits;
  const float *dx;
  int k = gc->k;

  ss_arch_get_input (arch, &in_c, &in_h, &in_w);
  in_hw = (gsize) in_h * in_w;
  in_len = in_c * in_hw;

  logits = ss_net_forward (net, x + (gsize) first * in_len, m, SS_MODE_EVAL, NULL);
  for (gsize i = 0; i < (gsize) m * k; i++)
    if (!isfinite (logits[i]))
      {
        g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                     "Grad-CAM: the logits of sample %d are not finite (NaN or Inf); check "
                     "the input for NaN or Inf values", first + (int) (i / k));
        return FALSE;
      }
  memcpy (gc->logits + (gsize) first * k, logits, sizeof (float) * m * k);
  if (targets != NULL)
    memcpy (gc->classes + first, targets + first, sizeof (int) * m);
  else
    arg_max (gc->classes + first, logits, m, k);

  /* dlogits (M, K) = one-hot(c): backward gives ∂y_{c_m}/∂(everything) of each sample. */
  memset (dlogits, 0, sizeof (float) * m * k);
  for (int s = 0; s < m; s++)
    dlogits[(gsize) s * k + gc->classes[first + s]] = 1.f;
  ss_net_backward (net, dlogits, SS_BACKWARD_INPUT_GRAD | SS_BACKWARD_LAYER_GRADS);

  for (int l = 0; l < gc->n_layers; l++)
    {
      const Layer *ly = &gc->layers[l];
      const float *a = ss_net_get_output (net, ly->node);   /* (M, C_L, h, w) */
      const float *g = ss_net_get_grad (net, ly->node);     /* (M, C_L, h, w) */
      gsize hw = (gsize) ly->h * ly->w;
      gsize len = ly->c * hw;

      g_assert (a != NULL && g != NULL);
      for (int s = 0; s < m; s++)
        cam_one (gc->maps + ly->offset + (gsize) (first + s) * hw, a + s * len, g + s * len,
                 ly->c, hw, scratch);
    }

  dx = ss_net_get_input_grad (net);   /* (M, C, H, W) */
  g_assert (dx != NULL);
  for (int s = 0; s < m; s++)
    vanilla_one (gc->vanilla + (gsize) (first + s) * in_hw, dx + s * in_len, in_c, in_hw,
                 scratch);
  return TRUE;
}

SsGradcam *
ss_gradcam_compute (SsNet       *net,
                    const float *x,
                    int          n,
                    int          c,
                    int          h,
                    int          w,
                    const int   *targets,
                    GError     **error)
{
  g_autoptr (SsGradcam) gc = NULL;
  g_autofree float *dlogits = NULL;   /* (M, K) */
  g_autofree double *scratch = NULL;  /* (largest h·w) */
  const SsArch *arch;
  int in_c, in_h, in_w, n_nodes;
  gsize total = 0, largest;

  g_return_val_if_fail (net != NULL, NULL);
  g_return_val_if_fail (x != NULL || n <= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  arch = ss_net_get_arch (net);
  ss_arch_get_input (arch, &in_c, &in_h, &in_w);
  if (n <= 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Grad-CAM needs at least one sample, got %d", n);
      return NULL;
    }
  if (c != in_c || h != in_h || w != in_w)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                   "Grad-CAM: the input is %d×%d×%d but network “%s” takes %d×%d×%d; use "
                   "data of the shape the model was trained on", c, h, w,
                   ss_arch_get_name (arch), in_c, in_h, in_w);
      return NULL;
    }

  gc = g_new0 (SsGradcam, 1);
  gc->n = n;
  gc->k = ss_arch_get_n_classes (arch);
  gc->in_h = in_h;
  gc->in_w = in_w;
  if (targets != NULL)
    for (int s = 0; s < n; s++)
      if (targets[s] < 0 || targets[s] >= gc->k)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                       "Grad-CAM: target class %d of sample %d is out of range; network “%s” "
                       "has classes 0 to %d", targets[s], s, ss_arch_get_name (arch),
                       gc->k - 1);
          return NULL;
        }

  n_nodes = ss_arch_get_n_nodes (arch);
  gc->layers = g_new0 (Layer, n_nodes);
  gc->names = g_new0 (char *, n_nodes + 1);
  largest = (gsize) in_h * in_w;
  for (int i = 0; i < n_nodes; i++)
    {
      SsSaliencyKind kind = ss_gradcam_layer_kind (arch, i);
      const SsNode *node = ss_arch_get_node (arch, i);
      Layer *ly;

      if (kind == SS_SALIENCY_NONE)
        continue;
      ly = &gc->layers[gc->n_layers];
      ly->node = i;
      ly->kind = kind;
      ly->c = node->c;
      ly->h = node->h;
      ly->w = node->w;
      ly->offset = total;
      gc->names[gc->n_layers] = g_strdup (node->name);
      total += (gsize) n * node->h * node->w;
      largest = MAX (largest, (gsize) node->h * node->w);
      gc->n_layers++;
    }

  gc->maps = g_new0 (float, MAX (total, 1));
  gc->vanilla = g_new0 (float, (gsize) n * in_h * in_w);
  gc->logits = g_new0 (float, (gsize) n * gc->k);
  gc->classes = g_new0 (int, n);
  dlogits = g_new0 (float, (gsize) MIN (n, SS_GRADCAM_CHUNK) * gc->k);
  scratch = g_new0 (double, largest);

  for (int first = 0; first < n; first += SS_GRADCAM_CHUNK)
    if (!run_chunk (gc, net, x, first, MIN (SS_GRADCAM_CHUNK, n - first), targets, dlogits,
                    scratch, error))
      return NULL;

  return g_steal_pointer (&gc);
}

void
ss_gradcam_free (SsGradcam *gc)
{
  if (gc == NULL)
    return;
  if (gc->names != NULL)
    for (int i = 0; i < gc->n_layers; i++)
      g_free (gc->names[i]);
  g_free (gc->names);
  g_free (gc->layers);
  g_free (gc->maps);
  g_free (gc->vanilla);
  g_free (gc->logits);
  g_free (gc->classes);
  g_free (gc);
}

/* ------------------------------------------------------------------------------------------ */
/* Getters                                                                                    */

int
ss_gradcam_get_n_samples (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, 0);
  return gc->n;
}

int
ss_gradcam_get_n_classes (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, 0);
  return gc->k;
}

void
ss_gradcam_get_input_size (const SsGradcam *gc,
                           int             *h,
                           int             *w)
{
  g_return_if_fail (gc != NULL);
  if (h != NULL)
    *h = gc->in_h;
  if (w != NULL)
    *w = gc->in_w;
}

const int *
ss_gradcam_get_classes (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, NULL);
  return gc->classes;
}

const float *
ss_gradcam_get_logits (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, NULL);
  return gc->logits;
}

int
ss_gradcam_get_n_layers (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, 0);
  return gc->n_layers;
}

int
ss_gradcam_get_layer_node (const SsGradcam *gc,
                           int              layer)
{
  g_return_val_if_fail (gc != NULL, -1);
  g_return_val_if_fail (layer >= 0 && layer < gc->n_layers, -1);
  return gc->layers[layer].node;
}

int
ss_gradcam_find_layer (const SsGradcam *gc,
                       int              node)
{
  g_return_val_if_fail (gc != NULL, -1);
  for (int l = 0; l < gc->n_layers; l++)
    if (gc->layers[l].node == node)
      return l;
  return -1;
}

const char *
ss_gradcam_get_layer_name (const SsGradcam *gc,
                           int              layer)
{
  g_return_val_if_fail (gc != NULL, NULL);
  g_return_val_if_fail (layer >= 0 && layer < gc->n_layers, NULL);
  return gc->names[layer];
}

SsSaliencyKind
ss_gradcam_get_layer_kind (const SsGradcam *gc,
                           int              layer)
{
  g_return_val_if_fail (gc != NULL, SS_SALIENCY_NONE);
  g_return_val_if_fail (layer >= 0 && layer < gc->n_layers, SS_SALIENCY_NONE);
  return gc->layers[layer].kind;
}

void
ss_gradcam_get_layer_size (const SsGradcam *gc,
                           int              layer,
                           int             *h,
                           int             *w)
{
  g_return_if_fail (gc != NULL);
  g_return_if_fail (layer >= 0 && layer < gc->n_layers);
  if (h != NULL)
    *h = gc->layers[layer].h;
  if (w != NULL)
    *w = gc->layers[layer].w;
}

const float *
ss_gradcam_get_maps (const SsGradcam *gc,
                     int              layer)
{
  g_return_val_if_fail (gc != NULL, NULL);
  g_return_val_if_fail (layer >= 0 && layer < gc->n_layers, NULL);
  return gc->maps + gc->layers[layer].offset;
}

const float *
ss_gradcam_get_map (const SsGradcam *gc,
                    int              layer,
                    int              sample)
{
  const Layer *ly;

  g_return_val_if_fail (gc != NULL, NULL);
  g_return_val_if_fail (layer >= 0 && layer < gc->n_layers, NULL);
  g_return_val_if_fail (sample >= 0 && sample < gc->n, NULL);
  ly = &gc->layers[layer];
  return gc->maps + ly->offset + (gsize) sample * ly->h * ly->w;
}

const float *
ss_gradcam_get_vanilla_maps (const SsGradcam *gc)
{
  g_return_val_if_fail (gc != NULL, NULL);
  return gc->vanilla;
}

const float *
ss_gradcam_get_vanilla (const SsGradcam *gc,
                        int              sample)
{
  g_return_val_if_fail (gc != NULL, NULL);
  g_return_val_if_fail (sample >= 0 && sample < gc->n, NULL);
  return gc->vanilla + (gsize) sample * gc->in_h * gc->in_w;
}

void
ss_gradcam_upsample (const SsGradcam *gc,
                     int              layer,
                     int              sample,
                     float           *dst)
{
  const Layer *ly;

  g_return_if_fail (gc != NULL);
  g_return_if_fail (layer >= 0 && layer < gc->n_layers);
  g_return_if_fail (sample >= 0 && sample < gc->n);
  g_return_if_fail (dst != NULL);
  ly = &gc->layers[layer];
  ss_resize_bilinear (dst, gc->in_h, gc->in_w, ss_gradcam_get_map (gc, layer, sample),
                      ly->h, ly->w);
  /* The interpolation weights are rounded in float: (1 − λ)·1 + λ·1 can be 1 + 1 ulp. */
  for (gsize i = 0; i < (gsize) gc->in_h * gc->in_w; i++)
    dst[i] = CLAMP (dst[i], 0.f, 1.f);
}
