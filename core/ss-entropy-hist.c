/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The histogram kernels of the AME (ss-entropy.c): quantisation, and the entropy of a joint or
 * marginal histogram of the codes.  Scratch layout and legend in ss-entropy-private.h.
 *
 * Entropy of a histogram of n items, in nats: H = ln n − (1/n)·Σ_c cc[c]·c·ln c, the sum taken
 * over c = 2, 3, … in order.  It depends only on the multiset of counts, so a histogram and its
 * transpose, or the dense and the hashed storage, give the same bits.
 *
 * Where the time goes (supersign-cli bench --ame): a cell costs a few scattered increments of
 * tables larger than the L1 cache, so the code counts with as few of them as it can:
 * - a dense table about as large as its items is cleared by one memset, counted, and read back
 *   by a vectorised scan of every slot (which leaves it zero for the next histogram); its row
 *   sums are the histogram of the first codes, so H0 needs no count of its own; its counters
 *   are 16-bit when no count can pass 65535, halving what stays in the cache;
 * - a sparse dense table (small maps) is not counted at all but for the duplicated keys: one bit
 *   per key, in the L1 cache, finds the items whose key came before;
 * - the count-of-counts is never updated per increment (that chained every increment on cc[0]
 *   and cc[1] through memory);
 * - the quantisation multiplies in float where that provably gives the double-precision
 *   division's code, and finds the min and max with independent lanes. */

#include <math.h>
#include <string.h>

#include "ss-entropy-private.h"

/* The vectorised loops are also built for AVX2, picked when the library loads on a CPU that has
 * it: the same C with twice the lanes (and no FMA, so the same roundings), the default build
 * staying SSE2 on x86-64. */
#if defined (__x86_64__) && defined (__has_attribute)
#if __has_attribute (target_clones)
#define VECTOR_CLONES __attribute__ ((target_clones ("avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* A dense histogram is read back by a scan of its whole table when that has at most this many
 * slots per item; otherwise only its duplicated keys are counted. */
#define SCAN_SLOTS_PER_PAIR 4u
/* Cells quantised per block; a block holding a value near a bin edge is redone exactly. */
#define QUANT_BLOCK         32
/* Independent lanes of the min and max pass: four AVX2 vectors. */
#define MINMAX_LANES        32

/* Entropy in nats of n items from their count-of-counts cc (cmax + 1): cc[c] bins hold c
 * items, for 2 ≤ c ≤ cmax, and m bins are occupied.  *occupied receives m. */
static double
entropy_from_cc (const guint32 *cc,
                 guint32        cmax,
                 guint          m,
                 guint64        n,
                 gboolean       miller_madow,
                 guint         *occupied)
{
  double sum = 0.0;
  double h;

  /* Summed over counts in increasing order, so the result depends only on the multiset of
   * counts: a histogram and its transpose, dense or hashed, give the same bits. */
  for (guint32 c = 2; c <= cmax; c++)
    if (cc[c] != 0)
      sum += (double) cc[c] * ((double) c * log ((double) c));

  /* One occupied bin is exactly 0 (ln n − n·ln n/n may round away from it). */
  h = m <= 1 ? 0.0 : MAX (log ((double) n) - sum / (double) n, 0.0);
  if (miller_madow && n > 0)
    h += (double) (m - 1) / (2.0 * (double) n);
  if (occupied != NULL)
    *occupied = m;
  return h;
}

/* SPEC §1's code of one value: min (⌊(v − lo)/(hi − lo)·B⌋, B − 1) in double precision. */
static inline guint16
code_exact (float  v,
            double lo,
            double range,
            double bins,
            guint  top)
{
  /* x' ≥ 0, so the cast is the floor. */
  const guint bin = (guint) (((double) v - lo) / range * bins);
  return (guint16) MIN (bin, top);
}

VECTOR_CLONES SsAmeStatus
ss_ame_quantize (guint16     *q,
                 const float *x,
                 gsize        n,
                 int          bins)
{
  float lo = INFINITY, hi = -INFINITY, mn[MINMAX_LANES], mx[MINMAX_LANES];
  guint32 nan = 0, bad[MINMAX_LANES] = { 0 };
  gsize done = 0;

  /* min and max are exact in any order (±0 compare equal, and either may come out).  Several
   * vectors of lanes, so each comparison does not wait for the one before it (with one vector
   * the pass ran at the comparisons' latency, not at the speed of memory). */
  for (int k = 0; k < MINMAX_LANES; k++)
    mn[k] = INFINITY, mx[k] = -INFINITY;
  for (; done + MINMAX_LANES <= n; done += MINMAX_LANES)
    for (int k = 0; k < MINMAX_LANES; k++)
      {
        const float v = x[done + k];
        bad[k] |= v != v;
        mn[k] = v < mn[k] ? v : mn[k];
        mx[k] = v > mx[k] ? v : mx[k];
      }
  for (int k = 0; k < MINMAX_LANES; k++)
    {
      nan |= bad[k];
      lo = mn[k] < lo ? mn[k] : lo;
      hi = mx[k] > hi ? mx[k] : hi;
    }
  for (; done < n; done++)
    {
      const float v = x[done];
      nan |= v != v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  done = 0;
  if (nan || isinf (lo) || isinf (hi))
    return SS_AME_NONFINITE;
  if (lo == hi)
    return SS_AME_CONSTANT;

  const double dlo = lo, range = (double) hi - (double) lo, b = bins;
  const guint top = (guint) bins - 1;
  const float flo = lo, scale = (float) (b / range);
  /* The float product v = (x − lo)·scale is within 3.01·2⁻²⁴·B of the double-precision x'·B
   * (four roundings of relative 2⁻²⁴ or 2⁻⁵³, |x'·B| ≤ B), so when v is farther than
   * 2⁻²¹·B from every integer the two have the same floor, below B: then |frac v − ½| stays
   * under far.  v = 0 is exact too: x − lo is 0 only for x = lo (gradual underflow), and a
   * product that underflows to 0 has x'·B far below 1, so both codes are 0.  That case is
   * every zero of a ReLU map, which would otherwise send most blocks down the exact path.  A
   * subnormal scale (a range near FLT_MAX at B ≤ 3) would break the bound: then every code is
   * exact. */
  const float far = 0.5f - (float) (b * 0x1p-21);
  if (isnormal (scale) && isfinite (hi - lo))  /* then 0 ≤ v ≤ B·(1 + 2⁻²²) */
    for (; done + QUANT_BLOCK <= n; done += QUANT_BLOCK)
      {
        const float *restrict xb = x + done;
        guint16 *restrict qb = q + done;
        gint32 near = 0;

        for (int i = 0; i < QUANT_BLOCK; i++)
          {
            const float v = (xb[i] - flo) * scale;
            const gint32 c = (gint32) v;
            near |= (fabsf (v - (float) c - 0.5f) > far) & (v != 0.0f);
            qb[i] = (guint16) c;
          }
        if (near)
          for (int i = 0; i < QUANT_BLOCK; i++)
            qb[i] = code_exact (xb[i], dlo, range, b, top);
      }
  for (gsize i = done; i < n; i++)
    q[i] = code_exact (x[i], dlo, range, b, top);
  return SS_AME_OK;
}

/* The items of a joint histogram: key a[i·stride + j]·mul + b[i·stride + j] for i < rows,
 * j < cols; for offset (k, l), b is a moved by (k, l) and mul = B. */
typedef struct {
  const guint16 *a, *b;
  gsize          rows, cols, stride;
  guint32        mul;
} Pairs;

/* The cells [i0, i1) × [j0, j1) that are the first of a pair of offset (k, l). */
static void
offset_rect (const SsAmeWork *wk,
             int              k,
             int              l,
             int             *i0,
             int             *i1,
             int             *j0,
             int             *j1)
{
  *i0 = MAX (0, -k);
  *i1 = MIN (wk->h, wk->h - k);
  *j0 = MAX (0, -l);
  *j1 = MIN (wk->w, wk->w - l);
}

static Pairs
offset_items (const SsAmeWork *wk,
              int              k,
              int              l)
{
  int i0, i1, j0, j1;

  offset_rect (wk, k, l, &i0, &i1, &j0, &j1);
  const gsize at = (gsize) i0 * wk->w + j0;
  Pairs p = {
    .a = wk->q + at, .b = wk->q + at + (gssize) k * wk->w + l,
    .rows = (gsize) (i1 - i0), .cols = (gsize) (j1 - j0), .stride = (gsize) wk->w,
    .mul = (guint32) wk->bins,
  };

  g_assert (i0 < i1 && j0 < j1);
  if (p.cols == p.stride)  /* whole rows: one run */
    {
      p.cols *= p.rows;
      p.rows = 1;
    }
  return p;
}

/* Makes cc[c] usable for a count c: cc[*cmax + 1 .. c] are zeroed as *cmax grows to c, so cc
 * never needs clearing as a whole. */
static inline void
cc_reach (guint32 *cc,
          guint32 *cmax,
          guint32  c)
{
  while (*cmax < c)
    cc[++*cmax] = 0;
}

/* A table about as large as its items: count every item, list the few bins that reach 5 (their
 * counts are read at the end), and read how many reach 1 to 4 off a scan of every slot, which
 * also clears the table and, when row_sums, leaves the sums of its B rows (the histogram of the
 * pairs' first codes) in wk->marg.  Keeping cc[c] while counting would move a bin from
 * cc[c − 1] to cc[c] at every increment, a chain of dependent memory updates on cc[0] and
 * cc[1].  Keys are made as they are used: a buffer of them would only crowd the table out of
 * the cache.  The counting loop is a few instructions per item, so unrolling it (loop overhead)
 * is worth a tenth of its time.
 *
 * This is written twice, for 32-bit counters and for 16-bit ones (below): with at most 65535
 * items no count can overflow 16 bits, and the table has half the bytes to clear, to keep in
 * the L2 cache while it is counted into, and to scan, at twice the lanes per vector.  A map of
 * 224×224 at B = 256 has 49,952 pairs: its 64K-slot table shrinks from 256 KiB to 128 KiB. */
VECTOR_CLONES static double
dense_scan32 (SsAmeWork   *wk,
              const Pairs *p,
              gboolean     row_sums)
{
  guint32 *restrict table = wk->hist, *restrict list = wk->keys, *restrict cc = wk->cc;
  const gsize width = (gsize) wk->bins, slots = width * width, n = p->rows * p->cols;
  const guint32 mul = p->mul;
  guint32 s1 = 0, s2 = 0, s3 = 0, s4 = 0;  /* 32 bits, as the table: the scan vectorises */
  gsize n_listed = 0;
  guint32 cmax = 4;

  if (wk->hist_zero_bytes < slots * sizeof (guint32))
    memset (table, 0, slots * sizeof (guint32));
  for (gsize i = 0; i < p->rows; i++)
    {
      const guint16 *ra = p->a + i * p->stride, *rb = p->b + i * p->stride;
#pragma GCC unroll 8
      for (gsize j = 0; j < p->cols; j++)
        {
          const guint32 key = ra[j] * mul + rb[j];
          if (G_UNLIKELY (++table[key] == 5))
            list[n_listed++] = key;
        }
    }
  for (gsize i = 0; i < n_listed; i++)
    {
      const guint32 c = table[list[i]];
      cc_reach (cc, &cmax, c);
      cc[c]++;
    }
  for (gsize a = 0; a < width; a++)
    {
      guint32 *restrict row = table + a * width;
      guint32 sum = 0;

      for (gsize b = 0; b < width; b++)
        {
          const gint32 c = (gint32) row[b];  /* counts < 2³¹: signed compares */
          s1 += c > 0;
          s2 += c > 1;
          s3 += c > 2;
          s4 += c > 3;
          sum += (guint32) c;
          row[b] = 0;
        }
      if (row_sums)
        wk->marg[a] = sum;
    }
  wk->hist_zero_bytes = MAX (wk->hist_zero_bytes, slots * sizeof (guint32));
  cc[2] = s2 - s3;
  cc[3] = s3 - s4;
  cc[4] = s4 - (guint32) n_listed;
  return entropy_from_cc (cc, cmax, s1, n, wk->mm, NULL);
}

/* dense_scan32 with 16-bit counters, for at most 65535 items. */
VECTOR_CLONES static double
dense_scan16 (SsAmeWork   *wk,
              const Pairs *p,
              gboolean     row_sums)
{
  guint16 *restrict table = (guint16 *) wk->hist;
  guint32 *restrict list = wk->keys, *restrict cc = wk->cc;
  const gsize width = (gsize) wk->bins, slots = width * width, n = p->rows * p->cols;
  const guint32 mul = p->mul;
  guint32 s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  gsize n_listed = 0;
  guint32 cmax = 4;

  g_assert (n <= G_MAXUINT16);
  if (wk->hist_zero_bytes < slots * sizeof (guint16))
    memset (table, 0, slots * sizeof (guint16));
  for (gsize i = 0; i < p->rows; i++)
    {
      const guint16 *ra = p->a + i * p->stride, *rb = p->b + i * p->stride;
#pragma GCC unroll 8
      for (gsize j = 0; j < p->cols; j++)
        {
          const guint32 key = ra[j] * mul + rb[j];
          if (G_UNLIKELY (++table[key] == 5))
            list[n_listed++] = key;
        }
    }
  for (gsize i = 0; i < n_listed; i++)
    {
      const guint32 c = table[list[i]];
      cc_reach (cc, &cmax, c);
      cc[c]++;
    }
  for (gsize a = 0; a < width; a++)
    {
      guint16 *restrict row = table + a * width;
      /* 16-bit lanes: a row has at most 362 slots and its sum at most 65535 items. */
      guint16 r1 = 0, r2 = 0, r3 = 0, r4 = 0, sum = 0;

      for (gsize b = 0; b < width; b++)
        {
          /* Counts reach 65535, past the signed compares; clamped at 4 they fit them. */
          const guint16 c = row[b], m = MIN (c, 4);
          r1 += m > 0;
          r2 += m > 1;
          r3 += m > 2;
          r4 += m > 3;
          sum += c;
          row[b] = 0;
        }
      s1 += r1;
      s2 += r2;
      s3 += r3;
      s4 += r4;
      if (row_sums)
        wk->marg[a] = sum;
    }
  wk->hist_zero_bytes = MAX (wk->hist_zero_bytes, slots * sizeof (guint16));
  cc[2] = s2 - s3;
  cc[3] = s3 - s4;
  cc[4] = s4 - (guint32) n_listed;
  return entropy_from_cc (cc, cmax, s1, n, wk->mm, NULL);
}

/* A sparse table: most items are alone in their bin.  One bit per key finds the items whose key
 * came before (duplicates), and only those are counted, in the 32-bit table: a bin holds 1 + its
 * duplicates.  When row_sums, wk->marg receives the histogram of the pairs' first codes. */
VECTOR_CLONES static double
dense_sparse (SsAmeWork   *wk,
              const Pairs *p,
              gboolean     row_sums)
{
  guint32 *restrict table = wk->hist, *restrict list = wk->keys, *restrict cc = wk->cc;
  guint32 *restrict bits = wk->bits;
  const gsize width = (gsize) wk->bins, slots = width * width, n = p->rows * p->cols;
  const gsize words = (slots + 31) / 32;
  const guint32 mul = p->mul;
  gsize n_listed = 0;
  guint32 cmax = 1;

  if (words <= SCAN_SLOTS_PER_PAIR * n)
    memset (bits, 0, words * sizeof (guint32));
  else
    for (gsize i = 0; i < p->rows; i++)
      {
        const guint16 *ra = p->a + i * p->stride, *rb = p->b + i * p->stride;
        for (gsize j = 0; j < p->cols; j++)
          bits[(ra[j] * mul + rb[j]) / 32] = 0;
      }
  if (row_sums)
    memset (wk->marg, 0, width * sizeof (guint32));
  for (gsize i = 0; i < p->rows; i++)
    {
      const guint16 *ra = p->a + i * p->stride, *rb = p->b + i * p->stride;
#pragma GCC unroll 8
      for (gsize j = 0; j < p->cols; j++)
        {
          const guint32 key = ra[j] * mul + rb[j], word = bits[key / 32];
          const guint32 bit = 1u << (key % 32);
          list[n_listed] = key;
          n_listed += (word & bit) != 0;
          bits[key / 32] = word | bit;
          if (row_sums)
            wk->marg[ra[j]]++;
        }
    }
  if (wk->hist_zero_bytes < slots * sizeof (guint32))
    for (gsize i = 0; i < n_listed; i++)
      table[list[i]] = 0;
  for (gsize i = 0; i < n_listed; i++)
    table[list[i]]++;
  /* The first visit of a duplicated key takes its count and zeroes it, so every entry used here
   * is zero again (a table known to be zero stays so). */
  for (gsize i = 0; i < n_listed; i++)
    {
      const guint32 c = table[list[i]] + 1;
      if (c > 1)
        {
          cc_reach (cc, &cmax, c);
          cc[c]++;
          table[list[i]] = 0;
        }
    }
  return entropy_from_cc (cc, cmax, (guint) (n - n_listed), n, wk->mm, NULL);
}

/* Entropy in nats of p's joint histogram, counted in wk->hist.  When row_sums, wk->marg
 * receives the sums of its B rows: the histogram of the pairs' first codes. */
static double
dense_entropy (SsAmeWork   *wk,
               const Pairs *p,
               gboolean     row_sums)
{
  const gsize slots = (gsize) wk->bins * (gsize) wk->bins, n = p->rows * p->cols;

  if (slots > SCAN_SLOTS_PER_PAIR * n)
    return dense_sparse (wk, p, row_sums);
  /* By the map's cells, not this histogram's items, so every histogram of the map (SDE's
   * offsets have fewer pairs) uses the same counters. */
  if (wk->n <= G_MAXUINT16)
    return dense_scan16 (wk, p, row_sums);
  return dense_scan32 (wk, p, row_sums);
}

double
ss_ame_h0_nats (SsAmeWork *wk,
                gboolean   from_rows,
                int        k,
                int        l,
                guint     *occupied)
{
  const gsize bins = (gsize) wk->bins, w = (gsize) wk->w;
  guint32 *restrict marg = wk->marg, *restrict cc = wk->cc;
  guint32 cmax = 1;
  guint m = 0;

  if (!from_rows)
    {
      memset (marg, 0, bins * sizeof (guint32));
      for (gsize i = 0; i < wk->n; i++)
        marg[wk->q[i]]++;
    }
  else
    {
      int i0, i1, j0, j1;

      offset_rect (wk, k, l, &i0, &i1, &j0, &j1);
      for (int i = 0; i < wk->h; i++)
        {
          const guint16 *row = wk->q + (gsize) i * w;
          const gboolean inside = i >= i0 && i < i1;
          for (int j = 0; j < (inside ? j0 : wk->w); j++)
            marg[row[j]]++;
          for (int j = inside ? j1 : wk->w; j < wk->w; j++)
            marg[row[j]]++;
        }
    }
  /* A table of B slots: read slot by slot. */
  for (gsize a = 0; a < bins; a++)
    {
      const guint32 c = marg[a];
      if (c != 0)
        {
          m++;
          cc_reach (cc, &cmax, c);
          cc[c]++;
        }
    }
  return entropy_from_cc (cc, cmax, m, wk->n, wk->mm, occupied);
}

/* Adds one to key's count; returns the new count. */
static inline guint32
hash_add (guint32 *table,
          guint32  mask,
          int      shift,
          guint32  key)
{
  /* A slot is empty while its count is 0, so every 32-bit key is usable (B up to 65536). */
  guint32 s = ((key + 1) * 0x9E3779B1u) >> shift;

  for (;;)
    {
      guint32 *e = table + 2 * (gsize) s;
      if (e[1] == 0)
        {
          e[0] = key;
          e[1] = 1;
          return 1;
        }
      if (e[0] == key)
        return ++e[1];
      s = (s + 1) & mask;
    }
}

/* Entropy in nats of p's histogram in a hash table (cleared here). */
static double
hash_entropy (SsAmeWork   *wk,
              const Pairs *p)
{
  const guint32 mask = wk->hash_mask;
  const int shift = wk->hash_shift;
  guint32 *restrict cc = wk->cc;
  guint32 cmax = 1;
  guint m = 0;

  /* The count-of-counts follows every increment (a count going c → c+1 moves one bin from
   * cc[c] to cc[c+1]), so no pass over all 2T slots is needed afterwards; cc[0] wraps
   * harmlessly. */
  memset (wk->hist, 0, 2 * ((gsize) mask + 1) * sizeof (guint32));
  cc[0] = cc[1] = 0;
  for (gsize i = 0; i < p->rows; i++)
    {
      const guint16 *ra = p->a + i * p->stride, *rb = p->b + i * p->stride;
      for (gsize j = 0; j < p->cols; j++)
        {
          const guint32 c = hash_add (wk->hist, mask, shift, ra[j] * p->mul + rb[j]);
          cc_reach (cc, &cmax, c);
          cc[c - 1]--;
          cc[c]++;
          m += c == 1;
        }
    }
  return entropy_from_cc (cc, cmax, m, (guint64) p->rows * p->cols, wk->mm, NULL);
}

double
ss_ame_joint_nats (SsAmeWork *wk,
                   int        k,
                   int        l,
                   gboolean  *row_sums)
{
  const Pairs p = offset_items (wk, k, l);

  if (wk->mode == SS_AME_HIST_HASH)
    {
      *row_sums = FALSE;
      return hash_entropy (wk, &p);
    }
  return dense_entropy (wk, &p, *row_sums);
}

