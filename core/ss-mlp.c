/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: N batch, I input width, O output width, L layers, D_l layer l's input width.
 *
 * Activations: layer l writes its post-activation output to layers[l].act (N, D_{l+1}); ReLU's
 * derivative is read back from that output, so pre-activations are not kept. The backward
 * walks the layers with two scratch buffers, grad_out = ∂L/∂z_l (N, D_{l+1}) and
 * grad_in = ∂L/∂x_l (N, D_l), which ss-linear accumulates into and are cleared per layer. */

#include <math.h>
#include <string.h>

#include "ss-activation.h"
#include "ss-linear.h"
#include "ss-mlp-private.h"

/* Debian's libopenblas exports this; cblas.h declares it only in some builds. */
void openblas_set_num_threads (int num_threads);

/* The layout and the arenas, parameters zero. */
static SsMlp *
mlp_alloc (const int  *dims,
           int         n_layers,
           int         split,
           SsMlpOutput output,
           int         max_batch,
           gboolean    trainable)
{
  SsMlp *mlp;
  gsize n_acts = 0, widest = 0;

  /* The GEMMs are at most (max_batch × 300 × 300): threads would cost more than they save,
   * and a single thread keeps the rounding independent of the machine, as the net does. */
  openblas_set_num_threads (1);

  mlp = g_new0 (SsMlp, 1);
  mlp->n_layers = n_layers;
  mlp->split = split;
  mlp->output = output;
  mlp->max_batch = max_batch;
  mlp->layers = g_new0 (SsMlpLayer, n_layers);
  for (int l = 0; l < n_layers; l++)
    {
      SsMlpLayer *layer = &mlp->layers[l];
      layer->in = dims[l];
      layer->out = dims[l + 1];
      layer->w = mlp->n_params;
      layer->b = layer->w + (gsize) layer->out * layer->in;
      mlp->n_params = layer->b + layer->out;
      layer->b2 = SS_MLP_NO_OFFSET;
      if (l == 0 && split > 0)
        {
          layer->b2 = mlp->n_params;
          mlp->n_params += layer->out;
        }
      n_acts += (gsize) max_batch * layer->out;
      widest = MAX (widest, (gsize) MAX (layer->in, layer->out));
    }

  mlp->params = g_new0 (float, mlp->n_params);
  if (trainable)
    {
      mlp->grads = g_new0 (float, mlp->n_params);
      mlp->moments = g_new0 (float, 2 * mlp->n_params);
    }
  mlp->acts = g_new0 (float, n_acts + 2 * (gsize) max_batch * widest);
  mlp->grad_out = mlp->acts + n_acts;
  mlp->grad_in = mlp->grad_out + (gsize) max_batch * widest;
  n_acts = 0;
  for (int l = 0; l < n_layers; l++)
    {
      mlp->layers[l].act = mlp->acts + n_acts;
      n_acts += (gsize) max_batch * mlp->layers[l].out;
    }
  return mlp;
}

SsMlp *
ss_mlp_new (const int  *dims,
            int         n_layers,
            int         split,
            SsMlpOutput output,
            int         max_batch,
            gboolean    trainable,
            SsRng      *rng)
{
  SsMlp *mlp;

  g_return_val_if_fail (dims != NULL && n_layers >= 1 && max_batch >= 1 && rng != NULL, NULL);
  for (int l = 0; l <= n_layers; l++)
    g_return_val_if_fail (dims[l] >= 1, NULL);
  g_return_val_if_fail (split >= 0 && split < dims[0], NULL);

  mlp = mlp_alloc (dims, n_layers, split, output, max_batch, trainable);
  for (int l = 0; l < n_layers; l++)
    {
      const SsMlpLayer *layer = &mlp->layers[l];
      /* Columns [0, first) belong to the first Linear of a split layer, the rest to the second. */
      const int first = l == 0 ? layer->in - split : layer->in;
      const double bound1 = 1 / sqrt (first), bound2 = split > 0 ? 1 / sqrt (split) : 0;
      float *w = mlp->params + layer->w;

      for (int o = 0; o < layer->out; o++)
        for (int c = 0; c < layer->in; c++)
          w[(gsize) o * layer->in + c] =
            (float) ((2 * ss_rng_uniform (rng) - 1) * (c < first ? bound1 : bound2));
      for (int o = 0; o < layer->out; o++)
        mlp->params[layer->b + o] = (float) ((2 * ss_rng_uniform (rng) - 1) * bound1);
      if (layer->b2 != SS_MLP_NO_OFFSET)
        for (int o = 0; o < layer->out; o++)
          mlp->params[layer->b2 + o] = (float) ((2 * ss_rng_uniform (rng) - 1) * bound2);
    }
  return mlp;
}

SsMlp *
ss_mlp_new_like (const SsMlp *src)
{
  g_autofree int *dims = NULL;
  SsMlp *mlp;

  g_return_val_if_fail (src != NULL, NULL);

  dims = g_new (int, src->n_layers + 1);
  for (int l = 0; l < src->n_layers; l++)
    dims[l] = src->layers[l].in;
  dims[src->n_layers] = src->layers[src->n_layers - 1].out;
  mlp = mlp_alloc (dims, src->n_layers, src->split, src->output, src->max_batch, FALSE);
  memcpy (mlp->params, src->params, src->n_params * sizeof (float));
  return mlp;
}

void
ss_mlp_free (SsMlp *mlp)
{
  if (mlp == NULL)
    return;
  g_free (mlp->layers);
  g_free (mlp->params);
  g_free (mlp->grads);
  g_free (mlp->moments);
  g_free (mlp->acts);
  g_free (mlp);
}

/* ---- forward and backward ------------------------------------------------------------------ */

const float *
ss_mlp_forward (SsMlp       *mlp,
                const float *in,
                int          n)
{
  const float *x = in;   /* (N, D_l) */

  g_return_val_if_fail (mlp != NULL && in != NULL, NULL);
  g_return_val_if_fail (n >= 1 && n <= mlp->max_batch, NULL);

  for (int l = 0; l < mlp->n_layers; l++)
    {
      const SsMlpLayer *layer = &mlp->layers[l];
      float *y = layer->act;   /* (N, D_{l+1}) */
      const gsize len = (gsize) n * layer->out;

      ss_linear_forward (y, x, mlp->params + layer->w, mlp->params + layer->b,
                         n, layer->in, layer->out, 1);
      if (layer->b2 != SS_MLP_NO_OFFSET)
        for (int r = 0; r < n; r++)
          ss_accumulate (y + (gsize) r * layer->out, mlp->params + layer->b2, layer->out);
      if (l < mlp->n_layers - 1)
        ss_relu_forward (y, y, len);
      else if (mlp->output == SS_MLP_OUTPUT_SIGMOID)
        for (gsize k = 0; k < len; k++)
          y[k] = 1.f / (1.f + expf (-y[k]));
      x = y;
    }
  mlp->in = in;
  mlp->n = n;
  return mlp->layers[mlp->n_layers - 1].act;
}

void
ss_mlp_backward (SsMlp       *mlp,
                 float       *din,
                 const float *dout,
                 int          n,
                 gboolean     with_params)
{
  /* din (N, I); dout (N, O) */
  const SsMlpLayer *last;
  gsize len;

  g_return_if_fail (mlp != NULL && dout != NULL && mlp->in != NULL);
  g_return_if_fail (n == mlp->n);
  g_return_if_fail (din != NULL || with_params);
  g_return_if_fail (!with_params || mlp->grads != NULL);

  last = &mlp->layers[mlp->n_layers - 1];
  len = (gsize) n * last->out;
  if (mlp->output == SS_MLP_OUTPUT_SIGMOID)
    for (gsize k = 0; k < len; k++)
      mlp->grad_out[k] = dout[k] * last->act[k] * (1.f - last->act[k]);
  else
    memcpy (mlp->grad_out, dout, len * sizeof (float));

  for (int l = mlp->n_layers - 1; l >= 0; l--)
    {
      const SsMlpLayer *layer = &mlp->layers[l];
      const float *x = l > 0 ? mlp->layers[l - 1].act : mlp->in;   /* (N, D_l) */
      float *dx = l > 0 ? mlp->grad_in : din;                      /* (N, D_l) */
      float *dw = with_params ? mlp->grads + layer->w : NULL;      /* (D_{l+1}, D_l) */
      float *db = with_params ? mlp->grads + layer->b : NULL;      /* (D_{l+1}) */

      if (dx == NULL && !with_params)
        break;
      if (dx != NULL)
        memset (dx, 0, (gsize) n * layer->in * sizeof (float));
      ss_linear_backward (dx, dw, db, mlp->grad_out, x, mlp->params + layer->w,
                          n, layer->in, layer->out, 1);
      /* Both biases of a split layer add to the same pre-activation: same gradient. */
      if (with_params && layer->b2 != SS_MLP_NO_OFFSET)
        ss_linear_backward (NULL, NULL, mlp->grads + layer->b2, mlp->grad_out, x,
                            mlp->params + layer->w, n, layer->in, layer->out, 1);
      if (l > 0)
        {
          const gsize in_len = (gsize) n * layer->in;
          memset (mlp->grad_out, 0, in_len * sizeof (float));
          ss_relu_backward (mlp->grad_out, mlp->grad_in, x, in_len);
        }
    }
}

void
ss_mlp_zero_grad (SsMlp *mlp)
{
  g_return_if_fail (mlp != NULL && mlp->grads != NULL);
  memset (mlp->grads, 0, mlp->n_params * sizeof (float));
}

/* ---- optimisation -------------------------------------------------------------------------- */

void
ss_mlp_adam_step (SsMlp *mlp,
                  double lr,
                  double beta1,
                  double beta2,
                  double eps)
{
  float *m, *v;          /* (n_params) each */
  double t;
  float step, bc2_sqrt;
  /* 1 − β in double, as torch does: (1 − 0.999f) would be 1.3e-5 off. */
  const float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1);
  const float c2 = (float) (1 - beta2), e = (float) eps;

  g_return_if_fail (mlp != NULL && mlp->grads != NULL);

  m = mlp->moments;
  v = mlp->moments + mlp->n_params;
  t = (double) ++mlp->adam_t;
  /* As torch.optim.Adam: the bias corrections fold into the step size and the denominator. */
  step = (float) (lr / (1 - pow (beta1, t)));
  bc2_sqrt = (float) sqrt (1 - pow (beta2, t));
  for (gsize k = 0; k < mlp->n_params; k++)
    {
      const float g = mlp->grads[k];
      m[k] = b1 * m[k] + c1 * g;
      v[k] = b2 * v[k] + c2 * g * g;
      mlp->params[k] -= step * m[k] / (sqrtf (v[k]) / bc2_sqrt + e);
    }
}

void
ss_mlp_soft_update (SsMlp       *target,
                    const SsMlp *src,
                    double       tau)
{
  const float t = (float) tau;

  g_return_if_fail (target != NULL && src != NULL);
  g_return_if_fail (target->n_params == src->n_params);

  for (gsize k = 0; k < target->n_params; k++)
    target->params[k] = target->params[k] * (1.f - t) + src->params[k] * t;
}

/* ---- accessors ----------------------------------------------------------------------------- */

float *
ss_mlp_get_params (SsMlp *mlp,
                   gsize *len)
{
  g_return_val_if_fail (mlp != NULL, NULL);
  if (len != NULL)
    *len = mlp->n_params;
  return mlp->params;
}

float *
ss_mlp_get_grads (SsMlp *mlp,
                  gsize *len)
{
  g_return_val_if_fail (mlp != NULL, NULL);
  if (len != NULL)
    *len = mlp->grads != NULL ? mlp->n_params : 0;
  return mlp->grads;
}
