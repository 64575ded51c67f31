/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The histogram kernels of the AME (ss-entropy.c): quantisation, and the entropy of a joint or
 * marginal histogram of the codes.  Scratch layout and legend in ss-entropy-private.h.
 *
 * Entropy of a histogram of n items, in nats: H = ln n − (1/n)·Σ_c cc[c]·c·ln c, the sum taken
 * over c = 2, 3, … in order.  It depends only on the multiset of counts, so a histogram and its
 * transpose, or the dense and the hashed storage, give the same bits.
 *
 * Where the time goes (supersign-cli bench --ame; perf at 224×224, B = 256, noise maps): the
 * counting loop of dense_scan16 about 70 %, its scan of the table 8 %, the quantisation 15 %.
 * A cell costs a few scattered increments of tables larger than the L1 cache, so the code
 * counts with as few of them as it can:
 * - a dense table about as large as its items is cleared by one memset, counted, and read back
 *   by a vectorised scan of every slot (which leaves it zero for the next histogram); its row
 *   sums are the histogram of the first codes, so H0 needs no count of its own; its counters
 *   are 16-bit when no count can pass 65535, halving what stays in the cache;
 * - a sparse dense table (small maps) is not counted at all but for the duplicated keys: one bit
 *   per key, in the L1 cache, finds the items whose key came before; each duplicated key is
 *   then kept once, so its count is read without a branch on repeats (ReLU-like maps at
 *   56×56: −20 %);
 * - the count-of-counts is never updated per increment (that chained every increment on cc[0]
 *   and cc[1] through memory), and is a table only for counts below CC_DIRECT: ReLU and
 *   saliency maps put tens of thousands of zeros in one bin, and clearing and reading cc up to
 *   that count made them up to twice as slow as noise (224×224 ReLU-like noise: 193 →
 *   159 µs, noise maps 144 µs);
 * - the scanned table is counted two rows at a time, from either half of the map, so the
 *   increments of a run of equal keys (flat regions) overlap with the other row's instead of
 *   each waiting on the one before (bilinear saliency-like maps −10 %, piecewise-constant ones
 *   −15 %; with the point above, saliency-like maps at 224×224 went 257 → 201 µs);
 * - the quantisation multiplies in float where that provably gives the double-precision
 *   division's code (ss-quantize-private.h, shared with spatial MI), and finds the min and max
 *   with independent lanes.
 * Tried without gain: side counters taking turns at key 0 (two zero codes), branch-free (a ?:
 * compiled to a branch, worse): 7 % slower on noise and no faster on ReLU-like maps, whose
 * slowness was the count-of-counts above, not a chain of increments. */

#include <math.h>
#include <string.h>

#include "ss-entropy-private.h"
#include "ss-quantize-private.h"

/* A dense histogram is read back by a scan of its whole table when that has at most this many
 * slots per item; otherwise only its duplicated keys are counted. */
#define SCAN_SLOTS_PER_PAIR 4u

/* Counts of at least this many items are not kept in the count-of-counts cc but listed after
 * its first CC_DIRECT slots, as they come (cc_add): there are at most N/CC_DIRECT of them, and
 * they fit in cc's N + 1 slots.  A ReLU map's zeros fill one bin (and its pair of zeros
 * another) with tens of thousands of items, and clearing and reading cc up to that count cost
 * more than counting the pairs of the map's other cells. */
#define CC_DIRECT 1024u

static int
compare_counts (const void *a,
                const void *b)
{
  const guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return (x > y) - (x < y);
}

/* Entropy in nats of n items from their count-of-counts: cc[c] bins hold c items, for
 * 2 ≤ c ≤ cmax, and n_big more bins hold the counts listed at cc + CC_DIRECT (each above
 * cmax, any order; sorted here); m bins are occupied.  *occupied receives m. */
static double
entropy_from_cc (guint32  *cc,
                 guint32   cmax,
                 gsize     n_big,
                 guint     m,
                 guint64   n,
                 gboolean  miller_madow,
                 guint    *occupied)
{
  guint32 *big = cc + CC_DIRECT;
  double sum = 0.0;
  double h;

  /* Summed over counts in increasing order, so the result depends only on the multiset of
   * counts: a histogram and its transpose, dense or hashed, give the same bits. */
  for (guint32 c = 2; c <= cmax; c++)
    if (cc[c] != 0)
      sum += (double) cc[c] * ((double) c * log ((double) c));
  if (n_big > 1)
    qsort (big, n_big, sizeof (guint32), compare_counts);
  for (gsize i = 0, j; i < n_big; i = j)
    {
      const guint32 c = big[i];
      for (j = i + 1; j < n_big && big[j] == c; j++)
        ;
      sum += (double) (j - i) * ((double) c * log ((double) c));  /* (j − i) = cc[c] */
    }

  /* One occupied bin is exactly 0 (ln n − n·ln n/n may round away from it). */
  h = m <= 1 ? 0.0 : MAX (log ((double) n) - sum / (double) n, 0.0);
  if (miller_madow && n > 0)
    h += (double) (m - 1) / (2.0 * (double) n);
  if (occupied != NULL)
    *occupied = m;
  return h;
}

VECTOR_CLONES SsAmeStatus
ss_ame_quantize (guint16     *q,
                 const float *x,
                 gsize        n,
                 int          bins)
{
  float lo, hi;

  if (ss_min_max (x, n, &lo, &hi))
    return SS_AME_NONFINITE;
  if (lo == hi)
    return SS_AME_CONSTANT;

  const SsQuantizer qz = ss_quantizer_make (lo, hi, bins);

  ss_quantizer_codes (&qz, x, n, q);
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

/* Counts one bin of c ≥ 1 items into cc (*cmax < CC_DIRECT; cc[1] is never read) or the *n_big
 * listed after it. */
static inline void
cc_add (guint32 *cc,
        guint32 *cmax,
        gsize   *n_big,
        guint32  c)
{
  if (G_LIKELY (c < CC_DIRECT))
    {
      cc_reach (cc, cmax, c);
      cc[c]++;
    }
  else
    cc[CC_DIRECT + (*n_big)++] = c;
}

/* A table about as large as its items: count every item, list the few bins that reach 5 (their
 * counts are read at the end), and read how many reach 1 to 4 off a scan of every slot, which
 * also clears the table and, when row_sums, leaves the sums of its B rows (the histogram of the
 * pairs' first codes) in wk->marg.  Keeping cc[c] while counting would move a bin from
 * cc[c − 1] to cc[c] at every increment, a chain of dependent memory updates on cc[0] and
 * cc[1].  Keys are made as they are used: a buffer of them would only crowd the table out of
 * the cache.  The counting loop is a few instructions per item, so unrolling it (loop overhead)
 * is worth a tenth of its time.  It takes two rows at once, one from either half of the items
 * (a single run of whole rows is cut in two), so a run of equal keys in one row (a flat region)
 * does not chain every increment on the one before.
 *
 * The counters are 16-bit when no count can pass 65535 (dense_scan16), else 32-bit
 * (dense_scan32), from the one body below: 16-bit counters halve the bytes to clear, to keep in
 * the L2 cache while they are counted into, and to scan, at twice the lanes per vector.  A map
 * of 224×224 at B = 256 has 49,952 pairs: its 64K-slot table shrinks from 256 KiB to 128 KiB.
 * The scan sums a row in the counter type (with 16-bit counters a row has at most 362 slots and
 * its sum at most 65535 items) and clamps counts at 4, so the compares of either width fit. */

#define DEFINE_DENSE_SCAN(name, counter_t)                                                     \
VECTOR_CLONES static double                                                                    \
name (SsAmeWork   *wk,                                                                         \
      const Pairs *p,                                                                          \
      gboolean     row_sums)                                                                   \
{                                                                                              \
  counter_t *restrict table = (counter_t *) wk->hist;                                          \
  guint32 *restrict list = wk->keys, *restrict cc = wk->cc;                                    \
  const gsize width = (gsize) wk->bins, slots = width * width, n = p->rows * p->cols;          \
  const guint32 mul = p->mul;                                                                  \
  guint32 s1 = 0, s2 = 0, s3 = 0, s4 = 0;                                                      \
  gsize n_listed = 0, n_big = 0;                                                               \
  guint32 cmax = 4;                                                                            \
                                                                                               \
  g_assert (n <= (counter_t) -1);                                                              \
  if (wk->hist_zero_bytes < slots * sizeof (counter_t))                                        \
    memset (table, 0, slots * sizeof (counter_t));                                             \
  {                                                                                            \
    const gsize rows = p->rows == 1 ? 2 : p->rows, half = rows / 2;                            \
    const gsize cols = p->rows == 1 ? p->cols / 2 : p->cols;                                   \
    const gsize stride = p->rows == 1 ? cols : p->stride;                                      \
                                                                                               \
    for (gsize i = 0; i < half; i++)                                                           \
      {                                                                                        \
        const guint16 *ra = p->a + i * stride, *rb = p->b + i * stride;                        \
        const guint16 *sa = ra + half * stride, *sb = rb + half * stride;                      \
        _Pragma ("GCC unroll 4")                                                               \
        for (gsize j = 0; j < cols; j++)                                                       \
          {                                                                                    \
            const guint32 key = ra[j] * mul + rb[j], key2 = sa[j] * mul + sb[j];               \
            if (G_UNLIKELY (++table[key] == 5))                                                \
              list[n_listed++] = key;                                                          \
            if (G_UNLIKELY (++table[key2] == 5))                                               \
              list[n_listed++] = key2;                                                         \
          }                                                                                    \
      }                                                                                        \
    /* What is left: the last item of a single run of odd length, or the last of an odd      \
     * number of rows. */                                                                      \
    const gsize left_at = p->rows == 1 ? 2 * cols : 2 * half * stride;                         \
    const gsize left_n = p->rows == 1 ? p->cols - 2 * cols : p->rows % 2 * p->cols;            \
    for (gsize j = left_at; j < left_at + left_n; j++)                                         \
      {                                                                                        \
        const guint32 key = p->a[j] * mul + p->b[j];                                           \
        if (G_UNLIKELY (++table[key] == 5))                                                    \
          list[n_listed++] = key;                                                              \
      }                                                                                        \
  }                                                                                            \
  for (gsize i = 0; i < n_listed; i++)                                                         \
    cc_add (cc, &cmax, &n_big, table[list[i]]);                                                \
  for (gsize a = 0; a < width; a++)                                                            \
    {                                                                                          \
      counter_t *restrict row = table + a * width;                                             \
      counter_t r1 = 0, r2 = 0, r3 = 0, r4 = 0, sum = 0;                                       \
                                                                                               \
      for (gsize b = 0; b < width; b++)                                                        \
        {                                                                                      \
          const counter_t c = row[b], m = MIN (c, 4);                                          \
          r1 += m > 0;                                                                         \
          r2 += m > 1;                                                                         \
          r3 += m > 2;                                                                         \
          r4 += m > 3;                                                                         \
          sum += c;                                                                            \
          row[b] = 0;                                                                          \
        }                                                                                      \
      s1 += r1;                                                                                \
      s2 += r2;                                                                                \
      s3 += r3;                                                                                \
      s4 += r4;                                                                                \
      if (row_sums)                                                                            \
        wk->marg[a] = sum;                                                                     \
    }                                                                                          \
  wk->hist_zero_bytes = MAX (wk->hist_zero_bytes, slots * sizeof (counter_t));                 \
  cc[2] = s2 - s3;                                                                             \
  cc[3] = s3 - s4;                                                                             \
  cc[4] = s4 - (guint32) n_listed;                                                             \
  return entropy_from_cc (cc, cmax, n_big, s1, n, wk->mm, NULL);                               \
}

DEFINE_DENSE_SCAN (dense_scan16, guint16)
DEFINE_DENSE_SCAN (dense_scan32, guint32)

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
  gsize n_listed = 0, n_big = 0;
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
  /* The duplicates are counted, and the list keeps each duplicated key once, when its count
   * leaves 0 (in place: n_keys ≤ i); then every bin is read and zeroed once, without the branch
   * on a repeated key that ReLU maps, whose pairs of zeros are most of the list, mispredicted. */
  gsize n_keys = 0;
  for (gsize i = 0; i < n_listed; i++)
    {
      const guint32 key = list[i], c = table[key];
      table[key] = c + 1;
      list[n_keys] = key;
      n_keys += c == 0;
    }
  /* A bin holds 1 + its duplicates; every entry used here is zero again (a table known to be
   * zero stays so). */
  for (gsize i = 0; i < n_keys; i++)
    {
      cc_add (cc, &cmax, &n_big, table[list[i]] + 1);
      table[list[i]] = 0;
    }
  return entropy_from_cc (cc, cmax, n_big, (guint) (n - n_listed), n, wk->mm, NULL);
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
  gsize n_big = 0;
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
      if (c != 0)  /* (c ≤ 1 would mispredict more often: 1 is common, 0 is not) */
        {
          m++;
          cc_add (cc, &cmax, &n_big, c);
        }
    }
  return entropy_from_cc (cc, cmax, n_big, m, wk->n, wk->mm, occupied);
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
  /* cc is kept whole here (up to any cmax), with nothing listed. */
  return entropy_from_cc (cc, cmax, 0, m, (guint64) p->rows * p->cols, wk->mm, NULL);
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

