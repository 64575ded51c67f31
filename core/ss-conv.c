/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* 2-D convolution by im2col + single-threaded cblas_sgemm, parallel over the batch.
 *
 * Legend: N batch, C input channels, H W input size, O filters, K kernel side, S stride,
 * P zero padding, OH = (H + 2P - K)/S + 1, OW likewise, CKK = C·K·K, OKK = O·K·K,
 * T = number of batch chunks. All tensors are float32 NCHW, row-major, contiguous;
 * weights are PyTorch's OIHW.
 *
 * Threading: the batch is cut into T = min(n_threads, N) contiguous, non-empty chunks
 * [N·t/T, N·(t+1)/T), one per OpenMP iteration (schedule(static)); chunk t owns slice t of the
 * workspace, which is sized for n_threads chunks. Every sample goes through
 * the same GEMM calls whatever T is, so the forward and din are bit-identical for any n_threads;
 * dW and db are summed per chunk and then over chunks in chunk order, so they are deterministic
 * for a given n_threads (and differ across n_threads only by rounding).
 *
 * Workspace layout (floats, each block rounded up to 16 floats):
 *   wt    (C, O, K, K)        flipped, transposed weights for the stride-1 din path
 *   then for each chunk t:
 *     col  (max(CKK·OH·OW, OKK·H·W))  im2col buffer
 *     dw_t (O, CKK)           partial dW of the chunk
 *     db_t (O)                partial db of the chunk
 */

#include <cblas.h>
#include <string.h>

#include "ss-conv.h"

#define WS_ALIGN 16

static inline gsize
round_up (gsize x)
{
  return (x + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
}

static inline int
chunk_begin (int n, int n_chunks, int t)
{
  return (int) ((gint64) n * t / n_chunks);
}

/* 1x1, stride 1, no padding: the input already is the column matrix. */
static inline gboolean
is_pointwise (const SsConvDims *d)
{
  return d->k == 1 && d->s == 1 && d->p == 0;
}

/* Stride 1 with P ≤ K - 1: din is the convolution of dout, padded by K - 1 - P, with the
 * flipped and transposed weights, a GEMM of the forward's shape with no col2im. */
static inline gboolean
uses_transposed_din (const SsConvDims *d)
{
  return !is_pointwise (d) && d->s == 1 && d->p <= d->k - 1;
}

typedef struct {
  float *wt;  /* (C, O, K, K) or NULL */
  float *col; /* (T, col_stride) */
  float *dw;  /* (T, dw_stride), each (O, CKK) */
  float *db;  /* (T, db_stride), each (O) */
  gsize  col_stride, dw_stride, db_stride;
} WsLayout;

static gsize
col_floats (const SsConvDims *d)
{
  gsize ckk = (gsize) d->c * d->k * d->k;
  gsize n = 0;

  if (is_pointwise (d))
    return 0;
  n = ckk * d->oh * d->ow;
  if (uses_transposed_din (d))
    n = MAX (n, (gsize) d->o * d->k * d->k * d->h * d->w);
  return n;
}

static gsize
ws_layout (WsLayout *l, float *ws, const SsConvDims *d, int n_chunks)
{
  gsize wt = uses_transposed_din (d) ? round_up ((gsize) d->c * d->o * d->k * d->k) : 0;
  gsize col = round_up (col_floats (d));
  gsize dw = round_up ((gsize) d->o * d->c * d->k * d->k);
  gsize db = round_up ((gsize) d->o);

  if (l != NULL)
    {
      l->wt = wt > 0 ? ws : NULL;
      l->col = ws + wt;
      l->dw = l->col + col * n_chunks;
      l->db = l->dw + dw * n_chunks;
      l->col_stride = col;
      l->dw_stride = dw;
      l->db_stride = db;
    }
  return wt + (col + dw + db) * (gsize) n_chunks;
}

gboolean
ss_conv_dims_init (SsConvDims *d,
                   int         n,
                   int         c,
                   int         h,
                   int         w,
                   int         o,
                   int         k,
                   int         s,
                   int         p)
{
  g_return_val_if_fail (d != NULL, FALSE);

  *d = (SsConvDims) { .n = n, .c = c, .h = h, .w = w, .o = o, .k = k, .s = s, .p = p };
  if (n < 1 || c < 1 || h < 1 || w < 1 || o < 1 || k < 1 || s < 1 || p < 0)
    return FALSE;
  if (h + 2 * p < k || w + 2 * p < k)
    return FALSE;
  d->oh = (h + 2 * p - k) / s + 1;
  d->ow = (w + 2 * p - k) / s + 1;
  return TRUE;
}

gsize
ss_conv_workspace_size (const SsConvDims *d,
                        int               n_threads)
{
  g_return_val_if_fail (d != NULL, 0);
  return ws_layout (NULL, NULL, d, MAX (n_threads, 1));
}

/* col (CH·K·K, OH·OW) = patches of im (CH, H, W), zero outside. The row/column loop order is
 * that of Caffe's im2col_cpu (BSD-2-Clause, © BVLC), which darknet's im2col.c also adapts;
 * the stride-1 branch copies each row segment as one contiguous run with zeroed edges. */
static void
im2col (float       *col,
        const float *im,
        int ch, int h, int w, int k, int s, int p, int oh, int ow)
{
  for (int c = 0; c < ch; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          const float *plane = im + (gsize) c * h * w;
          float *dst = col + (((gsize) c * k + ky) * k + kx) * oh * ow;
          /* Output columns ox in [lo, hi) read inside the row: 0 ≤ ox·S - P + kx < W. */
          int x0 = kx - p;
          int lo = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
          int hi = x0 >= w ? 0 : MIN (ow, (w - 1 - x0) / s + 1);

          lo = MIN (lo, ow);
          hi = MAX (hi, lo);
          for (int oy = 0; oy < oh; oy++, dst += ow)
            {
              int iy = oy * s - p + ky;
              const float *src;

              if (iy < 0 || iy >= h)
                {
                  memset (dst, 0, sizeof (float) * ow);
                  continue;
                }
              src = plane + (gsize) iy * w + x0;
              for (int ox = 0; ox < lo; ox++)
                dst[ox] = 0.f;
              if (s == 1)
                memcpy (dst + lo, src + lo, sizeof (float) * (hi - lo));
              else
                for (int ox = lo; ox < hi; ox++)
                  dst[ox] = src[ox * s];
              for (int ox = hi; ox < ow; ox++)
                dst[ox] = 0.f;
            }
        }
}

/* im (CH, H, W) += col2im (col (CH·K·K, OH·OW)), the adjoint of im2col (Caffe's col2im_cpu). */
static void
col2im_add (float       *im,
            const float *col,
            int ch, int h, int w, int k, int s, int p, int oh, int ow)
{
  for (int c = 0; c < ch; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *plane = im + (gsize) c * h * w;
          const float *src = col + (((gsize) c * k + ky) * k + kx) * oh * ow;
          int x0 = kx - p;
          int lo = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
          int hi = x0 >= w ? 0 : MIN (ow, (w - 1 - x0) / s + 1);

          lo = MIN (lo, ow);
          hi = MAX (hi, lo);
          for (int oy = 0; oy < oh; oy++, src += ow)
            {
              int iy = oy * s - p + ky;
              float *dst;

              if (iy < 0 || iy >= h)
                continue;
              dst = plane + (gsize) iy * w + x0;
              if (s == 1)
                for (int ox = lo; ox < hi; ox++)
                  dst[ox] += src[ox];
              else
                for (int ox = lo; ox < hi; ox++)
                  dst[ox * s] += src[ox];
            }
        }
}

static void
conv_forward_sample (float            *out,
                     const float      *in,
                     const float      *w,
                     const float      *b,
                     float            *col,
                     const SsConvDims *d)
{
  /* out (O, OH·OW); in (C, H, W); w (O, CKK); b (O) or NULL; col (CKK, OH·OW) */
  const int ckk = d->c * d->k * d->k;
  const int ohw = d->oh * d->ow;
  const float *cols = in;
  float beta = 0.f;

  if (!is_pointwise (d))
    {
      im2col (col, in, d->c, d->h, d->w, d->k, d->s, d->p, d->oh, d->ow);
      cols = col;
    }
  /* OpenBLAS clears C itself for beta = 0, so starting from the bias costs no extra pass. */
  if (b != NULL)
    {
      for (int o = 0; o < d->o; o++)
        {
          float *row = out + (gsize) o * ohw;
          for (int j = 0; j < ohw; j++)
            row[j] = b[o];
        }
      beta = 1.f;
    }
  /* Forward GEMM: out (O, OH·OW) = w (O, CKK) · col (CKK, OH·OW) [+ out].
   * M = O, N = OH·OW, K = C·K·K. */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, d->o, ohw, ckk,
               1.f, w, ckk, cols, ohw, beta, out, ohw);
}

void
ss_conv_forward (float            *out,
                 const float      *in,
                 const float      *w,
                 const float      *b,
                 float            *ws,
                 const SsConvDims *d,
                 int               n_threads)
{
  WsLayout l;
  int nt;
  gsize in_stride, out_stride;

  g_return_if_fail (out != NULL && in != NULL && w != NULL && d != NULL);
  g_return_if_fail (ws != NULL || is_pointwise (d));

  nt = CLAMP (n_threads, 1, d->n);
  in_stride = (gsize) d->c * d->h * d->w;
  out_stride = (gsize) d->o * d->oh * d->ow;
  ws_layout (&l, ws, d, nt);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      float *col = l.col + l.col_stride * t;
      for (int i = chunk_begin (d->n, nt, t); i < chunk_begin (d->n, nt, t + 1); i++)
        conv_forward_sample (out + out_stride * i, in + in_stride * i, w, b, col, d);
    }
}

/* wt (C, O, K, K) = w (O, C, K, K) with both spatial axes flipped. */
static void
flip_transpose_weights (float *wt, const float *w, const SsConvDims *d)
{
  const int k = d->k, kk = k * k;

  for (int o = 0; o < d->o; o++)
    for (int c = 0; c < d->c; c++)
      {
        const float *src = w + ((gsize) o * d->c + c) * kk;
        float *dst = wt + ((gsize) c * d->o + o) * kk;
        for (int j = 0; j < kk; j++)
          dst[kk - 1 - j] = src[j];
      }
}

typedef struct {
  float       *din;  /* (N, C, H, W) or NULL */
  gboolean     want_dw, want_db;
  const float *dout; /* (N, O, OH, OW) */
  const float *in;   /* (N, C, H, W) */
  const float *w;    /* (O, C, K, K) */
  const float *wt;   /* (C, O, K, K) flipped, or NULL */
} BackwardArgs;

static void
conv_backward_chunk (const BackwardArgs *a,
                     float              *col,
                     float              *dw_t,
                     float              *db_t,
                     int                 n0,
                     int                 n1,
                     const SsConvDims   *d)
{
  /* col (see col_floats); dw_t (O, CKK); db_t (O) */
  const int ckk = d->c * d->k * d->k;
  const int okk = d->o * d->k * d->k;
  const int ohw = d->oh * d->ow;
  const int hw = d->h * d->w;

  for (int i = n0; i < n1; i++)
    {
      const float *dout = a->dout + (gsize) i * d->o * ohw; /* (O, OH·OW) */
      const float *in = a->in + (gsize) i * d->c * hw;      /* (C, H·W) */
      float *din = a->din != NULL ? a->din + (gsize) i * d->c * hw : NULL; /* (C, H·W) */
      const float beta = i == n0 ? 0.f : 1.f;

      if (a->want_dw)
        {
          const float *cols = in;
          if (!is_pointwise (d))
            {
              im2col (col, in, d->c, d->h, d->w, d->k, d->s, d->p, d->oh, d->ow);
              cols = col;
            }
          /* dW GEMM: dw_t (O, CKK) [+]= dout (O, OH·OW) · colᵀ (OH·OW, CKK).
           * M = O, N = C·K·K, K = OH·OW. */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, d->o, ckk, ohw,
                       1.f, dout, ohw, cols, ohw, beta, dw_t, ckk);
        }
      if (a->want_db)
        for (int o = 0; o < d->o; o++)
          {
            const float *row = dout + (gsize) o * ohw;
            double sum = 0;
#pragma omp simd reduction(+:sum)
            for (int j = 0; j < ohw; j++)
              sum += row[j];
            db_t[o] = i == n0 ? (float) sum : db_t[o] + (float) sum;
          }
      if (din == NULL)
        continue;
      if (is_pointwise (d))
        {
          /* dX GEMM (1x1): din (C, H·W) += wᵀ (C, O) · dout (O, H·W).
           * M = C, N = H·W, K = O. */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, d->c, hw, d->o,
                       1.f, a->w, d->c, dout, hw, 1.f, din, hw);
        }
      else if (uses_transposed_din (d))
        {
          im2col (col, dout, d->o, d->oh, d->ow, d->k, 1, d->k - 1 - d->p, d->h, d->w);
          /* dX GEMM (stride 1, no col2im): din (C, H·W) += wt (C, OKK) · col (OKK, H·W),
           * col = im2col of dout padded by K - 1 - P. M = C, N = H·W, K = O·K·K. */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, d->c, hw, okk,
                       1.f, a->wt, okk, col, hw, 1.f, din, hw);
        }
      else
        {
          /* dX GEMM: dcol (CKK, OH·OW) = wᵀ (CKK, O) · dout (O, OH·OW), then col2im into din.
           * M = C·K·K, N = OH·OW, K = O. */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ohw, d->o,
                       1.f, a->w, ckk, dout, ohw, 0.f, col, ohw);
          col2im_add (din, col, d->c, d->h, d->w, d->k, d->s, d->p, d->oh, d->ow);
        }
    }
}

void
ss_conv_backward (float            *din,
                  float            *dw,
                  float            *db,
                  const float      *dout,
                  const float      *in,
                  const float      *w,
                  float            *ws,
                  const SsConvDims *d,
                  int               n_threads)
{
  WsLayout l;
  BackwardArgs a;
  int nt;
  gsize n_dw;

  g_return_if_fail (dout != NULL && in != NULL && w != NULL && ws != NULL && d != NULL);

  if (din == NULL && dw == NULL && db == NULL)
    return;
  nt = CLAMP (n_threads, 1, d->n);  /* no chunk is empty */
  n_dw = (gsize) d->o * d->c * d->k * d->k;
  ws_layout (&l, ws, d, nt);
  if (din != NULL && l.wt != NULL)
    flip_transpose_weights (l.wt, w, d);
  a = (BackwardArgs) { din, dw != NULL, db != NULL, dout, in, w, l.wt };

#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int t = 0; t < nt; t++)
      conv_backward_chunk (&a, l.col + l.col_stride * t, l.dw + l.dw_stride * t,
                           l.db + l.db_stride * t,
                           chunk_begin (d->n, nt, t), chunk_begin (d->n, nt, t + 1), d);

    /* Fixed-order reduction of the chunk partials (the implicit barrier above orders it). */
    if (dw != NULL)
      {
#pragma omp for schedule(static)
        for (gsize j = 0; j < n_dw; j++)
          {
            float sum = dw[j];
            for (int t = 0; t < nt; t++)
              sum += l.dw[l.dw_stride * t + j];
            dw[j] = sum;
          }
      }
    if (db != NULL)
      {
#pragma omp for schedule(static)
        for (int o = 0; o < d->o; o++)
          {
            float sum = db[o];
            for (int t = 0; t < nt; t++)
              sum += l.db[l.db_stride * t + o];
            db[o] = sum;
          }
      }
  }
}
