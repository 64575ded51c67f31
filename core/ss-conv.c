/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* 2-D convolution by lowering + single-threaded cblas_sgemm, with groups and dilation.
 *
 * Legend: N batch, C input channels, H W input size, O filters, G groups, CG = C/G and OG = O/G
 * per group, K kernel side, S stride, P zero padding, D dilation, KE = (K - 1)·D + 1,
 * OH = (H + 2P - KE)/S + 1, OW likewise, HP = H + 2P, HW = H·W, OHW = OH·OW,
 * CKK = CG·K·K, Q = KE - 1 - P, SB samples per forward GEMM, T threads. All tensors are float32
 * NCHW, row-major, contiguous; weights are PyTorch's (O, CG, K, K), group g's filters and input
 * channels contiguous, so every group is an ordinary convolution on pointer offsets.
 *
 * Three ways to build the GEMMs, chosen from the dims alone (see Plan), and none for a depthwise
 * conv (one input channel per group), which ss-conv-depthwise.c computes directly:
 *  - pointwise (1x1, S 1, P 0): the input (CG, H·W) is the column matrix; no lowering.
 *  - row shifts (S 1, CG·K ≥ ROWS_MIN_K): a K-times (not K²) expanded matrix
 *    rows (CG·K, HP·OW) with rows[c·K + kx][y·OW + x] = padded input[c][y][x + kx·D], and for
 *    each kernel row ky one GEMM whose B is rows shifted down by ky·D image rows (pointer
 *    + ky·D·OW, ldb HP·OW). A third of the copying of im2col and a col buffer that stays in L2;
 *    about 20 % faster than im2col on fmnist-vgg's layers. The idea, lowering along one axis
 *    and running GEMMs on overlapping strided views, is MEC's (Cho & Brand, "MEC: Memory-
 *    efficient Convolution for Deep Neural Network", ICML 2017), lowered along x here.
 *  - im2col (anything else): the textbook (CKK, OHW) column matrix (ss-conv-lower.c).
 * din for S 1 (and P ≤ KE - 1) is itself a stride-1 dilated convolution: dout padded by Q with
 * the flipped, transposed kernel, so it reuses the forward paths and needs no col2im; other
 * strides use dcol = Wᵀ·dout and col2im.
 *
 * Small maps (OHW < BATCH_COLS) under large weights (OG·CKK ≥ BATCH_WEIGHTS, more than L2
 * holds) leave a GEMM too narrow to pay for streaming and packing its weights, so the forward
 * puts the columns of SB samples side by side, (CKK, SB·OHW), runs one GEMM into a scratch
 * (OG, SB·OHW) and scatters it back to NCHW (ResNet50's 14×14 and 7×7 stages). Small weights
 * stay per sample: there the extra im2col copies cost more than the packing they save.
 *
 * Threading. Forward with N ≥ T and every backward: the batch is cut into T' = min(T, N)
 * contiguous chunks [N·t/T', N·(t+1)/T'), one per OpenMP iteration (schedule(static)); chunk t
 * owns slice t of the workspace. Forward with N < T (inference of one image on several cores):
 * one sample at a time, its lowering split over input channels and its GEMM over blocks of
 * filters (or, with at least T groups, over groups). OpenBLAS stays single-threaded (the net
 * sets it so): two thread pools on the same cores would fight. Results are deterministic for a
 * given T; across T they agree to rounding (OpenBLAS's sums depend on the GEMM's shape). dW and
 * db are summed per chunk and then over chunks in chunk order.
 *
 * Workspace (floats, each block rounded up to 16):
 *   wr    (O·CKK)   the weights rearranged for the chosen path (ss_conv_rearrange_*)
 *   then per thread t:
 *     col   (col_floats)  lowering of one group (and the SB-sample scratch)
 *     dw_t  (O·CKK)       partial dW in the GEMM's layout per group: (OG, CKK), or
 *                         (K, OG, CG·K) for rows
 *     db_t  (O)           partial db
 */

#include <cblas.h>
#include <omp.h>
#include <string.h>

#include "ss-conv-private.h"

#define WS_ALIGN   16
#define ROWS_MIN_K 24   /* below this GEMM depth (e.g. the 1-channel first layer) im2col wins */
#define BATCH_COLS 512  /* forward GEMMs narrower than this take several samples at once ... */
#define BATCH_WEIGHTS (128 * 1024)  /* ... when a group's weights outgrow L2 (512 KiB) */
#define M_ALIGN    16   /* filter blocks start on OpenBLAS's sgemm row unroll */

typedef struct {
  int        nt;         /* forward threads */
  gboolean   split;      /* N < T: threads share each sample */
  int        sb;         /* samples per forward GEMM */
  gboolean   direct;     /* depthwise (CG 1, G > 1): ss-conv-depthwise.c, no GEMM */
  gboolean   pointwise;  /* 1x1, S 1, P 0 */
  gboolean   rows;       /* forward by row shifts (only when SB = 1) */
  gboolean   dw_rows;    /* dW by row shifts */
  gboolean   din_conv;   /* din as a stride-1 convolution of dout */
  gboolean   din_rows;   /* ... itself by row shifts */
  int        cg, og, ckk;
  SsConvGeom geom;       /* one group of one sample */
  SsConvGeom geom_t;     /* din as a convolution: dout (OG, OH, OW) padded by Q → (CG, H, W) */
} Plan;

static void
plan_init (Plan *pl, const SsConvDims *d, int n_threads)
{
  const int t = MAX (n_threads, 1), ohw = d->oh * d->ow;
  const int q = (d->k - 1) * d->dl - d->p;

  pl->cg = d->c / d->g;
  pl->og = d->o / d->g;
  pl->ckk = pl->cg * d->k * d->k;
  pl->geom = (SsConvGeom) { pl->cg, d->h, d->w, d->k, d->s, d->p, d->dl, d->oh, d->ow };
  pl->geom_t = (SsConvGeom) { pl->og, d->oh, d->ow, d->k, 1, q, d->dl, d->h, d->w };
  pl->nt = t;
  pl->split = d->n < t;
  pl->sb = pl->split || (gsize) pl->og * pl->ckk < BATCH_WEIGHTS ? 1
           : CLAMP (BATCH_COLS / MAX (ohw, 1), 1, d->n / t);
  pl->direct = pl->cg == 1 && d->g > 1;
  if (pl->direct)
    pl->sb = 1;
  pl->pointwise = !pl->direct && d->k == 1 && d->s == 1 && d->p == 0;
  pl->dw_rows = !pl->direct && !pl->pointwise && d->s == 1 && pl->cg * d->k >= ROWS_MIN_K;
  /* The row shifts copy K - 1 fewer planes per sample than im2col but rearrange the weights on
   * every call: worth it unless the weights outweigh the batch's maps (one image through 512
   * filters on 7×7 maps, where im2col's single GEMM is also the deeper one). */
  pl->rows = pl->dw_rows && pl->sb == 1 &&
             (gint64) pl->og * d->k <= (gint64) (d->k - 1) * ohw * d->n;
  pl->din_conv = !pl->direct && !pl->pointwise && d->s == 1 && q >= 0;
  pl->din_rows = pl->din_conv && pl->og * d->k >= ROWS_MIN_K;
}

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

/* The scratch of one forward GEMM over SB > 1 samples: col (CKK, SB·OHW), then the GEMM's
 * output (OG, SB·OHW). */
static gsize
batch_col_floats (const Plan *pl)
{
  return round_up ((gsize) pl->ckk * pl->sb * pl->geom.oh * pl->geom.ow);
}

static gsize
col_floats (const Plan *pl, const SsConvDims *d)
{
  const gsize k = d->k, ohw = (gsize) d->oh * d->ow, hw = (gsize) d->h * d->w;
  const gsize rows = (gsize) pl->cg * k * (d->h + 2 * d->p) * d->ow;
  gsize n = 0;

  if (pl->direct)
    return 0;
  /* forward */
  if (pl->sb > 1)
    n = batch_col_floats (pl) + (gsize) pl->og * pl->sb * ohw;
  else if (pl->rows)
    n = rows;
  else if (!pl->pointwise)
    n = pl->ckk * ohw;
  /* dW */
  if (pl->dw_rows)
    n = MAX (n, rows);
  else if (!pl->pointwise)
    n = MAX (n, pl->ckk * ohw);
  /* din */
  if (pl->din_rows)
    n = MAX (n, (gsize) pl->og * k * (d->oh + 2 * pl->geom_t.p) * d->w);
  else if (pl->din_conv)
    n = MAX (n, (gsize) pl->og * k * k * hw);
  else if (!pl->pointwise)
    n = MAX (n, pl->ckk * ohw);
  return n;
}

typedef struct {
  float *wr;   /* (O·CKK) */
  float *col;  /* (T, col_stride) */
  float *dw;   /* (T, dw_stride) */
  float *db;   /* (T, db_stride) */
  gsize  col_stride, dw_stride, db_stride;
} WsLayout;

static gsize
ws_layout (WsLayout *l, float *ws, const Plan *pl, const SsConvDims *d)
{
  const gsize nw = (gsize) d->o * pl->ckk;
  const gsize wr = round_up (nw), col = round_up (col_floats (pl, d));
  const gsize dw = round_up (nw), db = round_up ((gsize) d->o);

  if (l != NULL)
    {
      l->wr = ws;
      l->col = ws + wr;
      l->dw = l->col + col * pl->nt;
      l->db = l->dw + dw * pl->nt;
      l->col_stride = col;
      l->dw_stride = dw;
      l->db_stride = db;
    }
  return wr + (col + dw + db) * (gsize) pl->nt;
}

gboolean
ss_conv_dims_init_full (SsConvDims *d,
                        int         n,
                        int         c,
                        int         h,
                        int         w,
                        int         o,
                        int         k,
                        int         s,
                        int         p,
                        int         groups,
                        int         dilation)
{
  gint64 ke;

  g_return_val_if_fail (d != NULL, FALSE);

  *d = (SsConvDims) { .n = n, .c = c, .h = h, .w = w, .o = o, .k = k, .s = s, .p = p,
                      .g = groups, .dl = dilation };
  if (n < 1 || c < 1 || h < 1 || w < 1 || o < 1 || k < 1 || s < 1 || p < 0 || groups < 1 ||
      dilation < 1 || c % groups != 0 || o % groups != 0)
    return FALSE;
  ke = (gint64) (k - 1) * dilation + 1;
  if (h + 2 * (gint64) p < ke || w + 2 * (gint64) p < ke)
    return FALSE;
  d->oh = (int) ((h + 2 * (gint64) p - ke) / s + 1);
  d->ow = (int) ((w + 2 * (gint64) p - ke) / s + 1);
  return TRUE;
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
  return ss_conv_dims_init_full (d, n, c, h, w, o, k, s, p, 1, 1);
}

gsize
ss_conv_workspace_size (const SsConvDims *d,
                        int               n_threads)
{
  gsize size = 0;

  g_return_val_if_fail (d != NULL, 0);
  /* Any thread count up to n_threads: the layout (SB, split) depends on it. */
  for (int t = 1; t <= MAX (n_threads, 1); t++)
    {
      Plan pl;
      plan_init (&pl, d, t);
      size = MAX (size, ws_layout (NULL, NULL, &pl, d));
    }
  return size;
}

/* ---- forward ----------------------------------------------------------------------------- */

/* dst (n) = post (src (n) [+ b]); dst may be src. The flags are constants at every call, so
 * each combination compiles to its own branch-free, vectorised loop. The operations and their
 * order are ss_batchnorm_forward_eval's, ss_add_forward's and ss_relu_forward's. */
static inline __attribute__ ((always_inline)) void
finish_run (float       *dst,
            const float *src,
            const float *res,
            int          n,
            float        b,
            float        mean,
            float        scale,
            float        shift,
            gboolean     add_b,
            gboolean     bn,
            gboolean     add_res,
            gboolean     relu)
{
  /* dst, src (n); res (n) when add_res */
  for (int j = 0; j < n; j++)
    {
      float v = src[j];
      if (add_b)
        v = v + b;
      if (bn)
        v = (v - mean) * scale + shift;
      if (add_res)
        v = v + res[j];
      if (relu)
        v = v < 0.f ? 0.f : v;
      dst[j] = v;
    }
}

/* dst (OHW) = post (src (OHW) [+ bias[o]]) for output channel o; dst may be src. */
static void
finish_row (float            *dst,
            const float      *src,
            const float      *bias,
            const SsConvPost *post,
            const float      *res,
            int               o,
            int               ohw)
{
  /* dst, src (OHW); bias (O) or NULL; res (OHW) or NULL */
  const gboolean bn = post != NULL && post->mean != NULL;
  const gboolean relu = post != NULL && post->relu;
  const float b = bias != NULL ? bias[o] : 0.f;
  const float mean = bn ? post->mean[o] : 0.f, scale = bn ? post->scale[o] : 1.f;
  const float shift = bn ? post->shift[o] : 0.f;

#define FINISH_CASE(m) \
  case m: \
    finish_run (dst, src, res, ohw, b, mean, scale, shift, (m) & 1, (m) & 2, (m) & 4, (m) & 8); \
    break;
  switch ((bias != NULL) | bn << 1 | (res != NULL) << 2 | relu << 3)
    {
      FINISH_CASE (0) FINISH_CASE (1) FINISH_CASE (2) FINISH_CASE (3)
      FINISH_CASE (4) FINISH_CASE (5) FINISH_CASE (6) FINISH_CASE (7)
      FINISH_CASE (8) FINISH_CASE (9) FINISH_CASE (10) FINISH_CASE (11)
      FINISH_CASE (12) FINISH_CASE (13) FINISH_CASE (14) FINISH_CASE (15)
    default:
      g_assert_not_reached ();
    }
#undef FINISH_CASE
}

typedef struct {
  float            *out;   /* (N, O, OH, OW) */
  const float      *in;    /* (N, C, H, W) */
  const float      *w;     /* (O, CG, K, K) */
  const float      *wr;    /* (G, K, OG, CG·K) for rows */
  const float      *b;     /* (O) or NULL */
  const SsConvPost *post;  /* or NULL */
  const SsConvDims *d;
  Plan              pl;
} FwdArgs;

static inline gsize
in_offset (const FwdArgs *a, int i, int g)
{
  return ((gsize) i * a->d->c + (gsize) g * a->pl.cg) * a->d->h * a->d->w;
}

static inline gsize
out_offset (const FwdArgs *a, int i, int o)
{
  return ((gsize) i * a->d->o + o) * a->d->oh * a->d->ow;
}

/* Lowers input channels [c0, c1) of group g of sample i into their rows of col:
 * (CG·K, HP·OW) for row shifts, (CKK, OHW) for im2col, nothing for 1x1 or depthwise. */
static void
lower_channels (const FwdArgs *a, float *col, int i, int g, int c0, int c1)
{
  const Plan *pl = &a->pl;
  const int k = pl->geom.k, ohw = pl->geom.oh * pl->geom.ow;
  const float *im = a->in + in_offset (a, i, g) + (gsize) c0 * a->d->h * a->d->w;
  SsConvGeom geom = pl->geom;

  geom.ch = c1 - c0;
  if (pl->direct)
    return;
  if (pl->rows)
    ss_conv_shift_rows (col + (gsize) c0 * k * (geom.h + 2 * geom.p) * geom.ow, im, &geom);
  else if (!pl->pointwise)
    ss_conv_im2col (col + (gsize) c0 * k * k * ohw, ohw, im, &geom);
}

/* Filters [m0, m1) of group g of sample i from its lowering col (see lower_channels; the
 * input itself for 1x1 and depthwise), then bias and post: out rows (m1 - m0, OHW). */
static void
gemm_block (const FwdArgs *a, const float *col, int i, int g, int m0, int m1)
{
  const Plan *pl = &a->pl;
  const SsConvGeom *gm = &pl->geom;
  const int ohw = gm->oh * gm->ow, m = m1 - m0, o0 = g * pl->og + m0;
  float *out = a->out + out_offset (a, i, o0);                       /* (m, OHW) */
  const float *res = a->post != NULL && a->post->residual != NULL
                     ? a->post->residual + out_offset (a, i, o0) : NULL;  /* (m, OHW) */
  float beta = 0.f;

  if (m <= 0)
    return;
  if (pl->direct)
    {
      /* One input channel per group: each filter is its own plane (ss-conv-depthwise.c). */
      const float *in = a->in + in_offset (a, i, g);   /* (H, W) */
      for (int o = 0; o < m; o++)
        ss_conv_dw_forward_plane (out + (gsize) o * ohw, in,
                                  a->w + (gsize) (o0 + o) * pl->ckk,
                                  a->b != NULL ? a->b[o0 + o] : 0.f, gm);
    }
  else
    {
      /* OpenBLAS clears C itself for beta = 0, so starting from the bias costs no extra pass. */
      if (a->b != NULL)
        {
          for (int o = 0; o < m; o++)
            for (int j = 0; j < ohw; j++)
              out[(gsize) o * ohw + j] = a->b[o0 + o];
          beta = 1.f;
        }
      if (pl->rows)
        {
          const int depth = pl->cg * gm->k, hp = gm->h + 2 * gm->p;
          const float *wr = a->wr + ((gsize) g * pl->og * pl->ckk);  /* (K, OG, CG·K) */
          /* Row-shift GEMMs, one per kernel row ky: out (m, OHW) += wr[ky][m0:m1] (m, CG·K) ·
           * rows[:, ky·D·OW ...] (CG·K, OHW, ld HP·OW).  M = filters of the block, N = OH·OW,
           * K = CG·K. */
          for (int ky = 0; ky < gm->k; ky++)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, ohw, depth,
                         1.f, wr + ((gsize) ky * pl->og + m0) * depth, depth,
                         col + (gsize) ky * gm->dl * gm->ow, hp * gm->ow,
                         ky == 0 ? beta : 1.f, out, ohw);
        }
      else
        {
          /* Forward GEMM: out (m, OHW) = w[m0:m1] (m, CKK) · col (CKK, OHW) [+ bias].
           * M = filters of the block, N = OH·OW, K = CG·K·K (col is the input for 1x1). */
          const float *w = a->w + (gsize) o0 * pl->ckk;
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, ohw, pl->ckk,
                       1.f, w, pl->ckk, pl->pointwise ? a->in + in_offset (a, i, g) : col, ohw,
                       beta, out, ohw);
        }
    }
  if (a->post != NULL)
    for (int o = 0; o < m; o++)
      finish_row (out + (gsize) o * ohw, out + (gsize) o * ohw, NULL, a->post,
                  res != NULL ? res + (gsize) o * ohw : NULL, o0 + o, ohw);
}

/* Samples [i0, i0 + nb) with nb > 1, group g: one GEMM over their columns side by side;
 * col (batch_col_floats + OG·nb·OHW) holds the lowering, then the GEMM's output. */
static void
gemm_batch (const FwdArgs *a, float *col, int i0, int nb, int g)
{
  const Plan *pl = &a->pl;
  const int ohw = pl->geom.oh * pl->geom.ow, ld = nb * ohw, o0 = g * pl->og;
  float *tmp = col + batch_col_floats (pl);   /* (OG, nb·OHW) */

  for (int s = 0; s < nb; s++)
    ss_conv_im2col (col + (gsize) s * ohw, ld, a->in + in_offset (a, i0 + s, g), &pl->geom);
  /* Batched forward GEMM: tmp (OG, nb·OHW) = w (OG, CKK) · col (CKK, nb·OHW).
   * M = O/G, N = nb·OH·OW, K = CG·K·K. */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, pl->og, ld, pl->ckk,
               1.f, a->w + (gsize) o0 * pl->ckk, pl->ckk, col, ld, 0.f, tmp, ld);
  for (int s = 0; s < nb; s++)
    for (int o = 0; o < pl->og; o++)
      {
        const float *res = a->post != NULL && a->post->residual != NULL
                           ? a->post->residual + out_offset (a, i0 + s, o0 + o) : NULL;
        finish_row (a->out + out_offset (a, i0 + s, o0 + o), tmp + (gsize) o * ld + s * ohw,
                    a->b, a->post, res, o0 + o, ohw);
      }
}

/* Whole samples [i0, i1) on one thread; col (col_floats) is its scratch. */
static void
forward_chunk (const FwdArgs *a, float *col, int i0, int i1)
{
  for (int i = i0; i < i1; i += a->pl.sb)
    {
      const int nb = MIN (a->pl.sb, i1 - i);
      for (int g = 0; g < a->d->g; g++)
        {
          if (nb > 1)
            {
              gemm_batch (a, col, i, nb, g);
              continue;
            }
          lower_channels (a, col, i, g, 0, a->pl.cg);
          gemm_block (a, col, i, g, 0, a->pl.og);
        }
    }
}

/* First filter of block b of n_blocks over m filters, on an M_ALIGN boundary when they are many. */
static inline int
block_begin (int m, int n_blocks, int b)
{
  int m0 = (int) ((gint64) m * b / n_blocks);
  if (m >= 2 * M_ALIGN * n_blocks && b < n_blocks)
    m0 = m0 / M_ALIGN * M_ALIGN;
  return m0;
}

/* Sample i on all nt threads (called inside the parallel region). col0 (col_floats): the
 * lowering they share; cols (T, col_stride): one scratch each when they take whole groups. */
static void
forward_shared (const FwdArgs *a, float *col0, float *cols, gsize col_stride, int i)
{
  const Plan *pl = &a->pl;
  const int nt = pl->nt;

  if (a->d->g >= nt && a->d->g > 1)
    {
      /* Enough groups to go round: each thread lowers and multiplies whole groups. */
      float *col = cols + col_stride * omp_get_thread_num ();
#pragma omp for schedule(static)
      for (int g = 0; g < a->d->g; g++)
        {
          lower_channels (a, col, i, g, 0, pl->cg);
          gemm_block (a, col, i, g, 0, pl->og);
        }
      return;
    }
  for (int g = 0; g < a->d->g; g++)
    {
      /* The implicit barriers: the lowering is complete before any GEMM reads it, and every GEMM
       * is done before the next group overwrites it. */
      if (!pl->pointwise)
        {
#pragma omp for schedule(static)
          for (int c = 0; c < pl->cg; c++)
            lower_channels (a, col0, i, g, c, c + 1);
        }
#pragma omp for schedule(static)
      for (int b = 0; b < nt; b++)
        gemm_block (a, col0, i, g, block_begin (pl->og, nt, b), block_begin (pl->og, nt, b + 1));
    }
}

void
ss_conv_forward_post (float            *out,
                      const float      *in,
                      const float      *w,
                      const float      *b,
                      const SsConvPost *post,
                      float            *ws,
                      const SsConvDims *d,
                      int               n_threads)
{
  FwdArgs a = { out, in, w, NULL, b, post, d };
  WsLayout l;
  int nt;

  g_return_if_fail (out != NULL && in != NULL && w != NULL && ws != NULL && d != NULL);
  g_return_if_fail (post == NULL || post->mean == NULL ||
                    (post->scale != NULL && post->shift != NULL));
  g_return_if_fail (post == NULL || post->residual != out);

  plan_init (&a.pl, d, n_threads);
  ws_layout (&l, ws, &a.pl, d);
  nt = a.pl.nt;
  if (a.pl.rows)
    for (int g = 0; g < d->g; g++)
      ss_conv_rearrange_rows (l.wr + (gsize) g * a.pl.og * a.pl.ckk,
                              w + (gsize) g * a.pl.og * a.pl.ckk, a.pl.og, a.pl.cg, d->k);
  a.wr = l.wr;

  if (a.pl.split)
    {
      for (int i = 0; i < d->n; i++)
        {
#pragma omp parallel num_threads(nt)
          forward_shared (&a, l.col, l.col, l.col_stride, i);
        }
      return;
    }
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    forward_chunk (&a, l.col + l.col_stride * t, chunk_begin (d->n, nt, t),
                   chunk_begin (d->n, nt, t + 1));
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
  ss_conv_forward_post (out, in, w, b, NULL, ws, d, n_threads);
}

/* ---- backward ---------------------------------------------------------------------------- */

/* out (M, OHW) = beta·out + the stride-1 convolution of im by row shifts, with kernel weights
 * wr in row-shift order (K, M, CH·K); col (CH·K, HP·OW); geometry g (S 1). */
static void
rows_gemms (float            *out,
            float             beta,
            const float      *im,
            const float      *wr,
            float            *col,
            int               m,
            const SsConvGeom *g)
{
  const int hp = g->h + 2 * g->p, ohw = g->oh * g->ow, depth = g->ch * g->k;

  ss_conv_shift_rows (col, im, g);
  /* Row-shift GEMMs, one per kernel row ky: out (M, OHW) += wr[ky] (M, CH·K) ·
   * rows[:, ky·D·OW ...] (CH·K, OHW, ld HP·OW).  Here (din) M = CG, N = H·W, K = OG·K. */
  for (int ky = 0; ky < g->k; ky++)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, ohw, depth,
                 1.f, wr + (gsize) ky * m * depth, depth, col + (gsize) ky * g->dl * g->ow,
                 hp * g->ow, ky == 0 ? beta : 1.f, out, ohw);
}

typedef struct {
  float       *din;  /* (N, C, H, W) or NULL */
  gboolean     want_dw, want_db;
  const float *dout; /* (N, O, OH, OW) */
  const float *in;   /* (N, C, H, W) */
  const float *w;    /* (O, CG, K, K) */
  const float *wt;   /* (G, …) flipped weights per group (see ss_conv_rearrange_flipped) */
  Plan         pl;
} BackwardArgs;

/* One group of one sample: accumulate dW into dw_g (beta 0 for the chunk's first sample) and
 * din into din_g. */
static void
backward_group (const BackwardArgs *a,
                float              *col,
                float              *dw_g,
                float               beta,
                const float        *dout_g,
                const float        *in_g,
                float              *din_g,
                const float        *w_g,
                const float        *wt_g)
{
  /* col (col_floats); dw_g (OG, CKK) or (K, OG, CG·K) for rows; dout_g (OG, OHW);
   * in_g, din_g (CG, HW); w_g (OG, CG, K, K); wt_g (CG, OG, K, K) or (K, CG, OG·K) */
  const Plan *pl = &a->pl;
  const SsConvGeom *g = &pl->geom;
  const int k = g->k, ckk = pl->ckk, og = pl->og, cg = pl->cg;
  const int ohw = g->oh * g->ow, hw = g->h * g->w;

  if (pl->direct)
    {
      /* Depthwise: each filter against the group's one input plane. */
      if (a->want_dw && beta == 0.f)
        memset (dw_g, 0, sizeof (float) * og * ckk);
      for (int o = 0; o < og && (a->want_dw || din_g != NULL); o++)
        ss_conv_dw_backward_plane (din_g, a->want_dw ? dw_g + (gsize) o * ckk : NULL,
                                   dout_g + (gsize) o * ohw, in_g, w_g + (gsize) o * ckk, g);
      return;
    }
  if (a->want_dw && pl->dw_rows)
    {
      const int hp = g->h + 2 * g->p, depth = cg * k;
      ss_conv_shift_rows (col, in_g, g);
      /* dW row-shift GEMMs: dw_g[ky] (OG, CG·K) [+]= dout (OG, OHW) · rows[:, ky·D·OW ...]ᵀ
       * (OHW, CG·K, ld HP·OW).  M = OG, N = CG·K, K = OH·OW. */
      for (int ky = 0; ky < k; ky++)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, og, depth, ohw,
                     1.f, dout_g, ohw, col + (gsize) ky * g->dl * g->ow, hp * g->ow,
                     beta, dw_g + (gsize) ky * og * depth, depth);
    }
  else if (a->want_dw)
    {
      if (!pl->pointwise)
        ss_conv_im2col (col, ohw, in_g, g);
      /* dW GEMM: dw_g (OG, CKK) [+]= dout (OG, OHW) · colᵀ (OHW, CKK).
       * M = OG, N = CG·K·K, K = OH·OW. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, og, ckk, ohw,
                   1.f, dout_g, ohw, pl->pointwise ? in_g : col, ohw, beta, dw_g, ckk);
    }
  if (din_g == NULL)
    return;
  if (pl->pointwise)
    {
      /* dX GEMM (1x1): din (CG, HW) += wᵀ (CG, OG) · dout (OG, HW).  M = CG, N = H·W, K = OG. */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, cg, hw, og,
                   1.f, w_g, cg, dout_g, hw, 1.f, din_g, hw);
    }
  else if (pl->din_rows)
    {
      /* dX as a stride-1 convolution of dout padded by Q (row-shift GEMMs with M = CG,
       * N = H·W, K = OG·K), accumulated straight into din: no col2im. */
      rows_gemms (din_g, 1.f, dout_g, wt_g, col, cg, &pl->geom_t);
    }
  else if (pl->din_conv)
    {
      const int okk = og * k * k;
      ss_conv_im2col (col, hw, dout_g, &pl->geom_t);
      /* dX GEMM (S 1, no col2im): din (CG, HW) += wt (CG, OG·K·K) · col (OG·K·K, HW), col the
       * im2col of dout padded by Q.  M = CG, N = H·W, K = OG·K·K. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, cg, hw, okk,
                   1.f, wt_g, okk, col, hw, 1.f, din_g, hw);
    }
  else
    {
      /* dX GEMM: dcol (CKK, OHW) = wᵀ (CKK, OG) · dout (OG, OHW), then col2im into din.
       * M = CG·K·K, N = OH·OW, K = OG. */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ohw, og,
                   1.f, w_g, ckk, dout_g, ohw, 0.f, col, ohw);
      ss_conv_col2im_add (din_g, col, g);
    }
}

static void
conv_backward_chunk (const BackwardArgs *a,
                     float              *col,
                     float              *dw_t,
                     float              *db_t,
                     int                 n0,
                     int                 n1,
                     const SsConvDims   *d)
{
  /* col (col_floats); dw_t (O·CKK), per group (OG, CKK) or (K, OG, CG·K); db_t (O) */
  const Plan *pl = &a->pl;
  const int ohw = d->oh * d->ow, hw = d->h * d->w;
  const gsize wg = (gsize) pl->og * pl->ckk;   /* weights per group */

  for (int i = n0; i < n1; i++)
    {
      const float *dout = a->dout + (gsize) i * d->o * ohw; /* (O, OHW) */
      const float *in = a->in + (gsize) i * d->c * hw;      /* (C, HW) */
      float *din = a->din != NULL ? a->din + (gsize) i * d->c * hw : NULL; /* (C, HW) */

      for (int g = 0; g < d->g; g++)
        backward_group (a, col, dw_t + g * wg, i == n0 ? 0.f : 1.f,
                        dout + (gsize) g * pl->og * ohw, in + (gsize) g * pl->cg * hw,
                        din != NULL ? din + (gsize) g * pl->cg * hw : NULL, a->w + g * wg,
                        a->wt != NULL ? a->wt + g * wg : NULL);
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

  g_return_if_fail (dout != NULL && in != NULL && w != NULL && ws != NULL && d != NULL);

  if (din == NULL && dw == NULL && db == NULL)
    return;
  a = (BackwardArgs) { din, dw != NULL, db != NULL, dout, in, w, NULL };
  plan_init (&a.pl, d, n_threads);
  ws_layout (&l, ws, &a.pl, d);
  nt = CLAMP (n_threads, 1, d->n);  /* no chunk is empty */
  if (din != NULL && a.pl.din_conv)
    {
      for (int g = 0; g < d->g; g++)
        ss_conv_rearrange_flipped (l.wr + (gsize) g * a.pl.og * a.pl.ckk,
                                   w + (gsize) g * a.pl.og * a.pl.ckk, a.pl.din_rows,
                                   a.pl.og, a.pl.cg, d->k);
      a.wt = l.wr;
    }

#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int t = 0; t < nt; t++)
      conv_backward_chunk (&a, l.col + l.col_stride * t, l.dw + l.dw_stride * t,
                           l.db + l.db_stride * t,
                           chunk_begin (d->n, nt, t), chunk_begin (d->n, nt, t + 1), d);

    /* Fixed-order reduction of the chunk partials (after the loop's implicit barrier). */
    if (dw != NULL)
      {
        const int cg = a.pl.cg, og = a.pl.og, k = d->k, kk = k * k, ckk = a.pl.ckk;
#pragma omp for schedule(static)
        for (int o = 0; o < d->o; o++)
          for (int j = 0; j < ckk; j++)
            {
              /* j = (c, ky, kx) of dw[o]; the partial's layout depends on the path. */
              const int ci = j / kk, ky = j % kk / k, kx = j % k, g = o / og, ol = o % og;
              const gsize src = a.pl.dw_rows
                ? (gsize) g * og * ckk + (((gsize) ky * og + ol) * cg + ci) * k + kx
                : (gsize) o * ckk + j;
              float sum = dw[(gsize) o * ckk + j];
              for (int t = 0; t < nt; t++)
                sum += l.dw[l.dw_stride * t + src];
              dw[(gsize) o * ckk + j] = sum;
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
