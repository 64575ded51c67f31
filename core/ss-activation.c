/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Element-wise layers: ReLU, inverted dropout, residual add and accumulation.
 *
 * Legend: L = number of elements; every tensor is a flat float32 array of L values.
 * These loops are memory bound and run on the calling thread; the compiler vectorises them.
 */

#include "ss-activation.h"

void
ss_relu_forward (float       *out,
                 const float *in,
                 gsize        len)
{
  /* out (L); in (L); out == in allowed */
  g_return_if_fail (out != NULL && in != NULL);

  /* x > 0 ? x : 0 would turn NaN into 0; PyTorch propagates NaN, so test the negative side. */
  for (gsize j = 0; j < len; j++)
    out[j] = in[j] < 0.f ? 0.f : in[j];
}

void
ss_relu_backward (float       *din,
                  const float *dout,
                  const float *out,
                  gsize        len)
{
  /* din (L); dout (L); out (L), the forward's output */
  g_return_if_fail (din != NULL && dout != NULL && out != NULL);

  /* Loading dout unconditionally lets the compiler turn the select into vector blends; a
   * conditional load keeps the loop scalar and branchy (20× slower). */
  for (gsize j = 0; j < len; j++)
    {
      float g = dout[j];
      din[j] += out[j] > 0.f ? g : 0.f;
    }
}

void
ss_dropout_forward (float       *out,
                    float       *mask,
                    const float *in,
                    gsize        len,
                    float        p,
                    SsRng       *rng)
{
  /* out (L); mask (L); in (L) */
  float keep;

  g_return_if_fail (out != NULL && mask != NULL && in != NULL && rng != NULL);
  g_return_if_fail (p >= 0.f && p < 1.f);

  keep = 1.f / (1.f - p);
  for (gsize j = 0; j < len; j++)
    {
      mask[j] = ss_rng_uniform (rng) < p ? 0.f : keep;
      out[j] = in[j] * mask[j];
    }
}

void
ss_dropout_backward (float       *din,
                     const float *dout,
                     const float *mask,
                     gsize        len)
{
  /* din (L); dout (L); mask (L) */
  g_return_if_fail (din != NULL && dout != NULL && mask != NULL);

  for (gsize j = 0; j < len; j++)
    din[j] += dout[j] * mask[j];
}

void
ss_add_forward (float       *out,
                const float *a,
                const float *b,
                gsize        len)
{
  /* out (L); a (L); b (L) */
  g_return_if_fail (out != NULL && a != NULL && b != NULL);

  for (gsize j = 0; j < len; j++)
    out[j] = a[j] + b[j];
}

void
ss_accumulate (float       *y,
               const float *x,
               gsize        len)
{
  /* y (L); x (L) */
  g_return_if_fail (y != NULL && x != NULL);

  for (gsize j = 0; j < len; j++)
    y[j] += x[j];
}
