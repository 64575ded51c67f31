/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Layers for test-layers.c and test-layers-reference.c: each kernel wrapped with random
 * tensors behind one forward/backward signature (see layers-check.h).
 *
 * Legend: N batch, C channels, H W input size, O filters/outputs, K kernel, S stride,
 * P padding, HW = H·W; everything float32 NCHW.
 */

#include <string.h>

#include "ss-activation.h"
#include "ss-batchnorm.h"
#include "ss-conv.h"
#include "ss-linear.h"
#include "ss-loss.h"
#include "ss-pool.h"
#include "ss-rng.h"
#include "ss-test-util.h"
#include "layers-check.h"

float *
layers_check_random_floats (gsize n, float lo, float hi, guint64 seed)
{
  float *x = g_new (float, MAX (n, 1));
  ss_test_fill_uniform (x, n, lo, hi, seed);
  return x;
}

void
layers_check_free (Layer *l)
{
  for (int k = 0; k < LAYER_MAX_T; k++)
    g_free (l->t[k]);
  for (int k = 0; k < 4; k++)
    g_free (l->aux[k]);
  g_free (l->out);
  g_free (l->ws);
  g_free (l->tmp);
  g_free (l->argmax);
  g_free (l->bytes);
  g_free (l->labels);
  g_free (l);
}

static void
add_tensor (Layer *l, const char *label, gsize len, float lo, float hi, guint64 seed)
{
  l->label[l->n_t] = label;
  l->len[l->n_t] = len;
  l->t[l->n_t] = layers_check_random_floats (len, lo, hi, seed);
  l->n_t++;
}

/* ---- forward/backward wrappers ------------------------------------------------------------- */

/* forward: l->out (out_len) from l->t[k] (len[k]).  backward: g[k] (len[k]) += the gradient of
 * Σ dout·out, for each g[k] that is not NULL; dout (out_len). */

static void
conv_fwd (Layer *l, int nt)
{
  ss_conv_forward (l->out, l->t[0], l->t[1], l->spec->flag ? l->t[2] : NULL, l->ws, &l->cd, nt);
}

static void
conv_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_conv_backward (g[0], g[1], l->spec->flag ? g[2] : NULL, dout, l->t[0], l->t[1], l->ws,
                    &l->cd, nt);
}

static void
bn_fwd (Layer *l, int nt)
{
  const LayerSpec *s = l->spec;
  if (s->flag)
    {
      /* Running statistics restart from the same values, so repeated forwards agree. */
      for (int ch = 0; ch < s->c; ch++)
        l->aux[2][ch] = 0.1f * ch, l->aux[3][ch] = 1.f + 0.5f * ch;
      ss_batchnorm_forward_train (l->out, l->aux[0], l->aux[1], l->aux[2], l->aux[3], l->t[0],
                                  l->t[1], l->t[2], s->n, s->c, s->h * s->w, 0.1f, 1e-5f, nt);
    }
  else
    ss_batchnorm_forward_eval (l->out, l->aux[0], l->aux[1], l->t[0], l->t[1], l->t[2],
                               l->aux[2], l->aux[3], s->n, s->c, s->h * s->w, 1e-5f, nt);
}

static void
bn_bwd (Layer *l, float **g, const float *dout, int nt)
{
  const LayerSpec *s = l->spec;
  ss_batchnorm_backward (g[0], g[1], g[2], dout, l->t[0], l->t[1], l->aux[0], l->aux[1],
                         s->flag, s->n, s->c, s->h * s->w, nt);
}

static void
maxpool_fwd (Layer *l, int nt)
{
  ss_maxpool_forward (l->out, l->argmax, l->t[0], &l->pd, nt);
}

static void
maxpool_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_maxpool_backward (g[0], dout, l->argmax, &l->pd, nt);
}

static void
avgpool_fwd (Layer *l, int nt)
{
  ss_avgpool_forward (l->out, l->t[0], &l->pd, nt);
}

static void
avgpool_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_avgpool_backward (g[0], dout, &l->pd, nt);
}

static void
gap_fwd (Layer *l, int nt)
{
  ss_gap_forward (l->out, l->t[0], l->spec->n, l->spec->c, l->spec->h * l->spec->w, nt);
}

static void
gap_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_gap_backward (g[0], dout, l->spec->n, l->spec->c, l->spec->h * l->spec->w, nt);
}

static void
linear_fwd (Layer *l, int nt)
{
  const LayerSpec *s = l->spec;
  ss_linear_forward (l->out, l->t[0], l->t[1], s->flag ? l->t[2] : NULL, s->n, s->c, s->o, nt);
}

static void
linear_bwd (Layer *l, float **g, const float *dout, int nt)
{
  const LayerSpec *s = l->spec;
  ss_linear_backward (g[0], g[1], s->flag ? g[2] : NULL, dout, l->t[0], l->t[1],
                      s->n, s->c, s->o, nt);
}

static void
relu_fwd (Layer *l, int nt)
{
  ss_relu_forward (l->out, l->t[0], l->len[0]);
  for (gsize j = 0; j < l->len[0]; j++)
    l->bytes[j] = l->t[0][j] > 0.f;
}

static void
relu_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_relu_backward (g[0], dout, l->out, l->len[0]);
}

static void
dropout_fwd (Layer *l, int nt)
{
  SsRng rng;
  ss_rng_seed (&rng, 99);  /* the same mask every time */
  ss_dropout_forward (l->out, l->aux[0], l->t[0], l->len[0], 0.3f, &rng);
}

static void
dropout_bwd (Layer *l, float **g, const float *dout, int nt)
{
  ss_dropout_backward (g[0], dout, l->aux[0], l->len[0]);
}

static void
xent_fwd (Layer *l, int nt)
{
  l->loss = ss_softmax_xent_forward (l->aux[0], l->t[0], l->labels, l->spec->n, l->spec->c, NULL);
  l->out[0] = (float) l->loss;
}

static void
xent_bwd (Layer *l, float **g, const float *dout, int nt)
{
  const int n = l->spec->n, k = l->spec->c;
  /* The kernel overwrites; scale = dL/dloss / N for the mean. */
  ss_softmax_xent_backward (l->tmp, l->aux[0], l->labels, n, k, dout[0] / n);
  ss_accumulate (g[0], l->tmp, (gsize) n * k);
}

/* ---- construction -------------------------------------------------------------------------- */

Layer *
layers_check_new (const LayerSpec *s, guint64 seed)
{
  Layer *l = g_new0 (Layer, 1);
  const gsize nchw = (gsize) s->n * s->c * s->h * s->w;

  l->spec = s;
  l->eps = 1e-2f;
  switch (s->kind)
    {
    case LAYER_CONV:
      g_assert_true (ss_conv_dims_init_full (&l->cd, s->n, s->c, s->h, s->w, s->o, s->k, s->s,
                                             s->p, MAX (s->g, 1), MAX (s->dl, 1)));
      add_tensor (l, "din", nchw, -1.f, 1.f, seed);
      add_tensor (l, "dw", (gsize) s->o * (s->c / l->cd.g) * s->k * s->k, -1.f, 1.f, seed + 1);
      if (s->flag)
        add_tensor (l, "db", s->o, -1.f, 1.f, seed + 2);
      l->out_len = (gsize) s->n * s->o * l->cd.oh * l->cd.ow;
      l->ws = g_new0 (float, MAX (ss_conv_workspace_size (&l->cd, LAYER_MAX_THREADS), 1));
      l->forward = conv_fwd, l->backward = conv_bwd;
      break;
    case LAYER_BN:
      add_tensor (l, "din", nchw, -2.f, 3.f, seed);
      add_tensor (l, "dgamma", s->c, 0.5f, 1.5f, seed + 1);
      add_tensor (l, "dbeta", s->c, -0.5f, 0.5f, seed + 2);
      for (int k = 0; k < 4; k++)
        l->aux[k] = layers_check_random_floats (s->c, 0.2f, 1.f, seed + 3 + k);
      l->out_len = nchw;
      l->eps = 3e-3f;  /* BN is not linear: smaller step, truncation error O(ε²) */
      l->forward = bn_fwd, l->backward = bn_bwd;
      break;
    case LAYER_MAXPOOL:
    case LAYER_AVGPOOL:
      g_assert_true (ss_pool_dims_init (&l->pd, s->n, s->c, s->h, s->w, s->k, s->s, s->p));
      add_tensor (l, "din", nchw, -1.f, 1.f, seed);
      l->out_len = (gsize) s->n * s->c * l->pd.oh * l->pd.ow;
      l->argmax = g_new (gint32, l->out_len);
      if (s->kind == LAYER_MAXPOOL)
        {
          l->forward = maxpool_fwd, l->backward = maxpool_bwd;
          l->state = l->argmax, l->state_bytes = sizeof (gint32) * l->out_len;
        }
      else
        l->forward = avgpool_fwd, l->backward = avgpool_bwd;
      break;
    case LAYER_GAP:
      add_tensor (l, "din", nchw, -1.f, 1.f, seed);
      l->out_len = (gsize) s->n * s->c;
      l->forward = gap_fwd, l->backward = gap_bwd;
      break;
    case LAYER_LINEAR:
      add_tensor (l, "din", (gsize) s->n * s->c, -1.f, 1.f, seed);
      add_tensor (l, "dw", (gsize) s->o * s->c, -1.f, 1.f, seed + 1);
      if (s->flag)
        add_tensor (l, "db", s->o, -1.f, 1.f, seed + 2);
      l->out_len = (gsize) s->n * s->o;
      l->forward = linear_fwd, l->backward = linear_bwd;
      break;
    case LAYER_RELU:
    case LAYER_DROPOUT:
      add_tensor (l, "din", nchw, -1.f, 1.f, seed);
      l->out_len = nchw;
      l->aux[0] = g_new (float, nchw);
      l->bytes = g_new (guint8, nchw);
      if (s->kind == LAYER_RELU)
        {
          l->forward = relu_fwd, l->backward = relu_bwd;
          l->state = l->bytes, l->state_bytes = nchw;
        }
      else
        l->forward = dropout_fwd, l->backward = dropout_bwd;
      break;
    case LAYER_XENT:
      add_tensor (l, "dlogits", (gsize) s->n * s->c, -3.f, 3.f, seed);
      l->out_len = 1;
      l->aux[0] = g_new (float, (gsize) s->n * s->c);
      l->tmp = g_new (float, (gsize) s->n * s->c);
      l->labels = g_new (SsLabel, s->n);
      for (int i = 0; i < s->n; i++)
        l->labels[i] = (SsLabel) ((i * 7 + 3) % s->c);
      l->forward = xent_fwd, l->backward = xent_bwd;
      break;
    default:
      g_assert_not_reached ();
    }
  l->out = g_new (float, l->out_len);
  return l;
}

void
layers_check_add_table (const char *what, const LayerSpec *specs, gsize n,
                        GTestDataFunc func)
{
  for (gsize j = 0; j < n; j++)
    {
      const char *slash = strchr (specs[j].name, '/');
      g_autofree char *layer = g_strndup (specs[j].name, slash - specs[j].name);
      g_autofree char *path = g_strdup_printf ("/layers/%s/%s/%s", layer, what, slash + 1);
      g_test_add_data_func (path, &specs[j], func);
    }
}
