/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial aura matrix entropy (AME), spatial disorder entropy (SDE) and their null baseline,
 * exactly as SPEC §1; the decisions SPEC leaves open are listed in ss-entropy.h.
 *
 * Legend: H W map size, N = H·W cells, B bins, T hash-table slots (a power of two ≥ 2·N),
 * R SDE radius, (k, l) an offset (rows, columns).  Maps are float32 (H, W) row-major.
 *
 * Scratch layout (guint32 units, in this order):
 *   q     (N)      bin codes of the map
 *   cc    (N + 1)  count-of-counts: cc[c] = bins holding c items; all zero between uses
 *   marg  (B)      histogram of q for H0
 *   hist  (B²)     dense joint histogram, key a·B + b            (SS_AME_HIST_DENSE)
 *         (2·T)    or hash slots {key, count}, count 0 = empty   (SS_AME_HIST_HASH)
 * Every histogram holds at most N distinct keys and T ≥ 2N, so the load stays ≤ 1/2.
 *
 * Entropy of a histogram of n items, in nats: H = ln n − (1/n)·Σ_c cc[c]·c·ln c, the sum taken
 * over c = 2, 3, … in order.  It depends only on the multiset of counts, so a histogram and its
 * transpose, or the dense and the hashed storage, give the same bits. */

#include <math.h>
#include <string.h>

#include "ss-entropy-private.h"
#include "ss-error.h"

#define MIN_HASH_SLOTS 16u

typedef struct {
  int            h, w, bins;
  gboolean       mm;
  int            radius;
  SsAmeHistMode  mode;        /* DENSE or HASH, resolved */
  gsize          n;           /* cells */
  guint32        hash_mask;   /* T − 1 */
  int            hash_shift;  /* 32 − log2 T */
  guint32       *q;           /* (N) */
  guint32       *cc;          /* (N + 1) */
  guint32       *marg;        /* (B) */
  guint32       *hist;        /* (B²) or (2·T) */
} Work;

void
ss_ame_options_init (SsAmeOptions *opt)
{
  g_return_if_fail (opt != NULL);
  *opt = (SsAmeOptions) { .bins = SS_AME_BINS_DEFAULT, .miller_madow = FALSE, .radius = 0 };
}

static gboolean
options_valid (const SsAmeOptions *opt)
{
  return (opt->bins == SS_AME_BINS_AUTO || (opt->bins >= 2 && opt->bins <= SS_AME_BINS_MAX))
         && opt->radius >= 0;
}

gboolean
ss_ame_options_check (const SsAmeOptions *opt,
                      GError            **error)
{
  g_return_val_if_fail (opt != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (opt->bins != SS_AME_BINS_AUTO && (opt->bins < 2 || opt->bins > SS_AME_BINS_MAX))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Entropy bins must be 'auto' or between 2 and %d, not %d",
                   SS_AME_BINS_MAX, opt->bins);
      return FALSE;
    }
  if (opt->radius < 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "The SDE radius must be 0 (four-neighbour AME) or positive, not %d",
                   opt->radius);
      return FALSE;
    }
  return TRUE;
}

int
ss_ame_auto_bins (int h,
                  int w)
{
  g_return_val_if_fail (h > 0 && w > 0, 4);

  const guint64 cells = (guint64) h * (guint64) w;
  int b = 4;

  /* Largest power of two p with p² ≤ H·W, in integers so 32×32 gives exactly 32. */
  while (b < 256 && (guint64) (2 * b) * (guint64) (2 * b) <= cells)
    b *= 2;
  return b;
}

int
ss_ame_resolve_bins (const SsAmeOptions *opt,
                     int                 h,
                     int                 w)
{
  g_return_val_if_fail (opt != NULL, 0);
  return opt->bins == SS_AME_BINS_AUTO ? ss_ame_auto_bins (h, w) : opt->bins;
}

/* Fills wk's sizes (and pointers when scratch is given); returns the bytes needed, 0 if the
 * map or options are out of range. */
static gsize
layout (Work               *wk,
        int                 h,
        int                 w,
        const SsAmeOptions *opt,
        SsAmeHistMode       mode,
        gpointer            scratch)
{
  if (h < 1 || w < 1 || !options_valid (opt))
    return 0;

  const guint64 n = (guint64) h * (guint64) w;
  if (n > SS_AME_MAX_CELLS)
    return 0;

  const int bins = ss_ame_resolve_bins (opt, h, w);
  const guint64 dense = (guint64) bins * (guint64) bins;
  guint64 slots = MIN_HASH_SLOTS;
  int log2_slots = 4;

  while (slots < 2 * n)
    {
      slots *= 2;
      log2_slots++;
    }
  if (mode == SS_AME_HIST_AUTO)
    mode = dense <= slots ? SS_AME_HIST_DENSE : SS_AME_HIST_HASH;

  const guint64 hist_units = mode == SS_AME_HIST_DENSE ? dense : 2 * slots;
  const guint64 units = n + (n + 1) + (guint64) bins + hist_units;

  *wk = (Work) {
    .h = h, .w = w, .bins = bins, .mm = opt->miller_madow, .radius = opt->radius,
    .mode = mode, .n = (gsize) n,
    .hash_mask = (guint32) (slots - 1), .hash_shift = 32 - log2_slots,
  };
  if (scratch != NULL)
    {
      wk->q = scratch;
      wk->cc = wk->q + n;
      wk->marg = wk->cc + n + 1;
      wk->hist = wk->marg + bins;
    }
  return (gsize) (units * sizeof (guint32));
}

gsize
ss_ame_scratch_size_mode (int                 h,
                          int                 w,
                          const SsAmeOptions *opt,
                          SsAmeHistMode       mode)
{
  Work wk;

  g_return_val_if_fail (opt != NULL, 0);
  return layout (&wk, h, w, opt, mode, NULL);
}

gsize
ss_ame_scratch_size (int                 h,
                     int                 w,
                     const SsAmeOptions *opt)
{
  return ss_ame_scratch_size_mode (h, w, opt, SS_AME_HIST_AUTO);
}

/* Entropy in nats of n items from their count-of-counts cc (n + 1): cc[c] bins hold c items,
 * for c ≤ cmax, and m bins are occupied. cc is zero again on return (cc[0] and cc[1] too, which
 * callers may leave dirty).  *occupied receives m. */
static double
entropy_from_cc (guint32 *cc,
                 guint32  cmax,
                 guint    m,
                 guint64  n,
                 gboolean miller_madow,
                 guint   *occupied)
{
  double sum = 0.0;
  double h;

  /* Summed over counts in increasing order, so the result depends only on the multiset of
   * counts: a histogram and its transpose, dense or hashed, give the same bits. */
  cc[0] = 0;
  cc[1] = 0;
  for (guint32 c = 2; c <= cmax; c++)
    if (cc[c] != 0)
      {
        sum += (double) cc[c] * ((double) c * log ((double) c));
        cc[c] = 0;
      }

  /* One occupied bin is exactly 0 (ln n − n·ln n/n may round away from it). */
  h = m <= 1 ? 0.0 : MAX (log ((double) n) - sum / (double) n, 0.0);
  if (miller_madow && n > 0)
    h += (double) (m - 1) / (2.0 * (double) n);
  if (occupied != NULL)
    *occupied = m;
  return h;
}

/* Entropy in nats of the n items counted in counts[0], counts[stride], … (n_slots slots).
 * cc (n + 1) must be zero on entry and is zero again on return.  *occupied receives m. */
static double
entropy_nats (const guint32 *counts,
              gsize          n_slots,
              gsize          stride,
              guint32       *cc,
              guint64        n,
              gboolean       miller_madow,
              guint         *occupied)
{
  guint32 cmax = 0;
  guint m = 0;

  for (gsize s = 0; s < n_slots; s++)
    {
      const guint32 c = counts[s * stride];
      if (c != 0)
        {
          cc[c]++;
          m++;
          cmax = MAX (cmax, c);
        }
    }
  return entropy_from_cc (cc, cmax, m, n, miller_madow, occupied);
}

/* Codes of x (N) into wk->q.  Returns the map's status (OK, CONSTANT or NONFINITE). */
static SsAmeStatus
quantize (Work        *wk,
          const float *x)
{
  float lo = INFINITY, hi = -INFINITY;

  for (gsize i = 0; i < wk->n; i++)
    {
      const float v = x[i];
      if (!isfinite (v))
        return SS_AME_NONFINITE;
      lo = MIN (lo, v);
      hi = MAX (hi, v);
    }
  if (lo == hi)
    return SS_AME_CONSTANT;

  const double dlo = lo, range = (double) hi - (double) lo, b = wk->bins;
  const guint32 top = (guint32) wk->bins - 1;
  for (gsize i = 0; i < wk->n; i++)
    {
      /* x' ≥ 0, so the cast is the floor. */
      const double xp = ((double) x[i] - dlo) / range;
      const guint32 bin = (guint32) (xp * b);
      wk->q[i] = MIN (bin, top);
    }
  return SS_AME_OK;
}

static double
h0_nats (Work  *wk,
         guint *occupied)
{
  memset (wk->marg, 0, (gsize) wk->bins * sizeof (guint32));
  for (gsize i = 0; i < wk->n; i++)
    wk->marg[wk->q[i]]++;
  return entropy_nats (wk->marg, (gsize) wk->bins, 1, wk->cc, wk->n, wk->mm, occupied);
}

/* Pairs of offset (k, l) inside an H×W map. */
static gsize
offset_pairs (int h,
              int w,
              int k,
              int l)
{
  const int rows = h - ABS (k), cols = w - ABS (l);
  return rows > 0 && cols > 0 ? (gsize) rows * (gsize) cols : 0;
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

/* Entropy in nats of the joint histogram of (q[i][j], q[i+k][j+l]); the offset has pairs. */
static double
joint_nats (Work *wk,
            int   k,
            int   l)
{
  const int h = wk->h, w = wk->w;
  const guint32 bins = (guint32) wk->bins;
  const int i0 = MAX (0, -k), i1 = MIN (h, h - k);
  const int j0 = MAX (0, -l), j1 = MIN (w, w - l);
  const gsize n_pairs = (gsize) (i1 - i0) * (gsize) (j1 - j0);
  guint32 *restrict hist = wk->hist;

  g_assert (i0 < i1 && j0 < j1);
  /* The count-of-counts follows every increment (a count going c → c+1 moves one bin from
   * cc[c] to cc[c+1]), so no pass over all B² or 2T slots is needed afterwards; cc[0] wraps
   * harmlessly and is reset by entropy_from_cc. */
  guint32 *restrict cc = wk->cc;
  guint32 cmax = 0;
  guint m = 0;
  if (wk->mode == SS_AME_HIST_DENSE)
    {
      /* Zero just the cells these pairs use (the table may hold garbage or a previous map),
       * instead of all B² of them. */
      for (int i = i0; i < i1; i++)
        {
          const guint32 *ra = wk->q + (gsize) i * w;
          const guint32 *rb = wk->q + (gsize) (i + k) * w + l;
          for (int j = j0; j < j1; j++)
            hist[ra[j] * bins + rb[j]] = 0;
        }
      for (int i = i0; i < i1; i++)
        {
          const guint32 *ra = wk->q + (gsize) i * w;
          const guint32 *rb = wk->q + (gsize) (i + k) * w + l;
          for (int j = j0; j < j1; j++)
            {
              const guint32 c = ++hist[ra[j] * bins + rb[j]];
              cc[c - 1]--;
              cc[c]++;
              m += c == 1;
              cmax = MAX (cmax, c);
            }
        }
      return entropy_from_cc (cc, cmax, m, n_pairs, wk->mm, NULL);
    }

  const guint32 mask = wk->hash_mask;
  const int shift = wk->hash_shift;
  memset (hist, 0, 2 * ((gsize) mask + 1) * sizeof (guint32));
  for (int i = i0; i < i1; i++)
    {
      const guint32 *ra = wk->q + (gsize) i * w;
      const guint32 *rb = wk->q + (gsize) (i + k) * w + l;
      for (int j = j0; j < j1; j++)
        {
          const guint32 c = hash_add (hist, mask, shift, ra[j] * bins + rb[j]);
          cc[c - 1]--;
          cc[c]++;
          m += c == 1;
          cmax = MAX (cmax, c);
        }
    }
  return entropy_from_cc (cc, cmax, m, n_pairs, wk->mm, NULL);
}

static double
relative (double hj,
          double h0)
{
  if (h0 <= 0.0)
    return 0.0;
  return CLAMP ((hj - h0) / h0, 0.0, 1.0);
}

/* The four offsets of AME, in the order of SsAmeResult.h_joint. */
static const int four_offsets[4][2] = { { -1, 0 }, { 0, -1 }, { 1, 0 }, { 0, 1 } };

/* Index into SsAmeResult.h_joint of offset (k, l), or −1 when it is not one of the four. */
static int
four_index (int k,
            int l)
{
  for (int i = 0; i < 4; i++)
    if (four_offsets[i][0] == k && four_offsets[i][1] == l)
      return i;
  return -1;
}

/* AME (radius 0) or SDE of the codes in wk->q, given H0 in nats.  Visits the half-plane offsets
 * (k > 0, or k = 0 and l > 0) in order; for each, H_R(−k,−l) + H_R(k,l) is added to the total —
 * one histogram counted twice, or two when four_histograms.  When res is given, its four
 * nearest-offset entropies are filled in. */
static double
ame_from_codes (Work        *wk,
                double       h0,
                gboolean     four_histograms,
                SsAmeResult *res)
{
  const int rk = wk->radius == 0 ? 1 : MIN (wk->radius, wk->h - 1);
  const int rl = wk->radius == 0 ? 1 : MIN (wk->radius, wk->w - 1);
  double total = 0.0;
  guint n_offsets = 0;

  for (int k = 0; k <= rk; k++)
    for (int l = -rl; l <= rl; l++)
      {
        double hj[2], hr[2];

        if (k == 0 && l <= 0)
          continue;
        if (wk->radius == 0 && k != 0 && l != 0)
          continue;
        if (offset_pairs (wk->h, wk->w, k, l) == 0)
          continue;

        hj[1] = joint_nats (wk, k, l);
        hj[0] = four_histograms ? joint_nats (wk, -k, -l) : hj[1];
        hr[0] = relative (hj[0], h0);
        hr[1] = relative (hj[1], h0);
        total += hr[0] + hr[1];
        n_offsets += 2;

        if (res != NULL)
          for (int s = 0; s < 2; s++)
            {
              const int idx = four_index (s == 0 ? -k : k, s == 0 ? -l : l);
              if (idx >= 0)
                {
                  res->h_joint[idx] = hj[s] / G_LN2;
                  res->h_rel[idx] = hr[s];
                }
            }
      }
  g_assert (n_offsets > 0);
  return total / (double) n_offsets;
}

/* Fills the data-independent fields of res; returns the number of offsets averaged. */
static guint
describe (SsAmeResult *res,
          const Work  *wk)
{
  const int rk = wk->radius == 0 ? 1 : MIN (wk->radius, wk->h - 1);
  const int rl = wk->radius == 0 ? 1 : MIN (wk->radius, wk->w - 1);
  gsize min_pairs = G_MAXSIZE;
  guint n_offsets = 0;

  *res = (SsAmeResult) {
    .status = SS_AME_OK, .bins = wk->bins, .h = wk->h, .w = wk->w, .radius = wk->radius,
    .miller_madow = wk->mm, .n_cells = wk->n,
  };
  for (int i = 0; i < 4; i++)
    res->h_joint[i] = res->h_rel[i] = NAN;
  for (int k = 0; k <= rk; k++)
    for (int l = -rl; l <= rl; l++)
      {
        const gsize p = offset_pairs (wk->h, wk->w, k, l);
        if ((k == 0 && l <= 0) || (wk->radius == 0 && k != 0 && l != 0) || p == 0)
          continue;
        n_offsets += 2;
        min_pairs = MIN (min_pairs, p);
      }
  res->n_offsets = n_offsets;
  res->n_pairs = n_offsets > 0 ? min_pairs : 0;
  res->bias_dominated = (guint64) res->n_pairs < (guint64) wk->bins * (guint64) wk->bins;
  return n_offsets;
}

/* Checks options and size (GErrors); on success wk is laid out over scratch and *need holds the
 * scratch bytes required, for the caller's g_return_val_if_fail. */
static gboolean
prepare (Work               *wk,
         gsize              *need,
         int                 h,
         int                 w,
         const SsAmeOptions *opt,
         SsAmeHistMode       mode,
         gpointer            scratch,
         GError            **error)
{
  if (!ss_ame_options_check (opt, error))
    return FALSE;
  if (h < 1 || w < 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "A %d×%d map has no cells: the entropy needs at least one", h, w);
      return FALSE;
    }
  if ((guint64) h * (guint64) w > SS_AME_MAX_CELLS)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "A %d×%d map is too large for the entropy (at most %u cells)",
                   h, w, SS_AME_MAX_CELLS);
      return FALSE;
    }
  *need = layout (wk, h, w, opt, mode, scratch);
  g_assert (*need > 0);
  return TRUE;
}

/* Quantizes and computes one map into res with a prepared wk. */
static void
compute_one (SsAmeResult *res,
             Work        *wk,
             const float *x,
             gboolean     four_histograms)
{
  if (describe (res, wk) == 0)
    {
      res->status = SS_AME_NOT_APPLICABLE;
      res->ame = res->h0 = NAN;
      return;
    }

  res->status = quantize (wk, x);
  if (res->status == SS_AME_NONFINITE)
    {
      res->ame = 0.0;
      res->h0 = NAN;
      return;
    }
  if (res->status == SS_AME_CONSTANT)
    {
      res->ame = res->h0 = 0.0;
      res->h0_occupied = 1;
      for (int i = 0; i < 4; i++)
        if (offset_pairs (wk->h, wk->w, four_offsets[i][0], four_offsets[i][1]) > 0)
          res->h_joint[i] = res->h_rel[i] = 0.0;
      return;
    }

  memset (wk->cc, 0, (wk->n + 1) * sizeof (guint32));
  const double h0 = h0_nats (wk, &res->h0_occupied);
  res->h0 = h0 / G_LN2;
  res->ame = ame_from_codes (wk, h0, four_histograms, res);
}

gboolean
ss_ame_compute_mode (SsAmeResult        *res,
                     const float        *x,
                     int                 h,
                     int                 w,
                     const SsAmeOptions *opt,
                     gboolean            four_histograms,
                     SsAmeHistMode       mode,
                     gpointer            scratch,
                     gsize               scratch_size,
                     GError            **error)
{
  Work wk;
  gsize need;

  g_return_val_if_fail (res != NULL && x != NULL && opt != NULL && scratch != NULL, FALSE);

  if (!prepare (&wk, &need, h, w, opt, mode, scratch, error))
    return FALSE;
  g_return_val_if_fail (scratch_size >= need, FALSE);
  compute_one (res, &wk, x, four_histograms);
  return TRUE;
}

gboolean
ss_ame_compute (SsAmeResult        *res,
                const float        *x,
                int                 h,
                int                 w,
                const SsAmeOptions *opt,
                gpointer            scratch,
                gsize               scratch_size,
                GError            **error)
{
  return ss_ame_compute_mode (res, x, h, w, opt, FALSE, SS_AME_HIST_AUTO, scratch, scratch_size,
                              error);
}

gboolean
ss_ame_null (SsAmeNull          *res,
             const float        *x,
             int                 h,
             int                 w,
             const SsAmeOptions *opt,
             guint               n_permutations,
             SsRng              *rng,
             gpointer            scratch,
             gsize               scratch_size,
             GError            **error)
{
  Work wk;
  gsize need;
  SsAmeResult desc;
  double sum = 0.0, sum2 = 0.0;

  g_return_val_if_fail (res != NULL && x != NULL && opt != NULL && scratch != NULL, FALSE);
  g_return_val_if_fail (rng != NULL, FALSE);

  if (n_permutations == 0)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "The entropy null needs at least one permutation (default 8)");
      return FALSE;
    }
  if (!prepare (&wk, &need, h, w, opt, SS_AME_HIST_AUTO, scratch, error))
    return FALSE;
  g_return_val_if_fail (scratch_size >= need, FALSE);

  *res = (SsAmeNull) { .status = SS_AME_OK, .n_permutations = n_permutations,
                       .bins = wk.bins };
  if (describe (&desc, &wk) == 0)
    {
      res->status = SS_AME_NOT_APPLICABLE;
      res->mean = res->sd = NAN;
      return TRUE;
    }
  res->status = quantize (&wk, x);
  if (res->status != SS_AME_OK)
    return TRUE;  /* constant or non-finite: 0, the generator untouched */

  memset (wk.cc, 0, (wk.n + 1) * sizeof (guint32));
  const double h0 = h0_nats (&wk, NULL);  /* a permutation keeps the histogram */
  for (guint p = 0; p < n_permutations; p++)
    {
      ss_rng_shuffle (rng, wk.q, wk.n);
      const double a = ame_from_codes (&wk, h0, FALSE, NULL);
      sum += a;
      sum2 += a * a;
    }
  res->mean = sum / n_permutations;
  res->sd = sqrt (MAX (sum2 / n_permutations - res->mean * res->mean, 0.0));
  return TRUE;
}

gboolean
ss_ame_compute_channels (SsAmeChannels      *res,
                         double             *per_channel,
                         const float        *x,
                         int                 c,
                         int                 h,
                         int                 w,
                         const SsAmeOptions *opt,
                         gpointer            scratch,
                         gsize               scratch_size,
                         GError            **error)
{
  Work wk;
  gsize need;
  double sum = 0.0;

  g_return_val_if_fail (res != NULL && x != NULL && opt != NULL && scratch != NULL, FALSE);
  if (c < 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "A map with %d channels has no cells", c);
      return FALSE;
    }

  if (!prepare (&wk, &need, h, w, opt, SS_AME_HIST_AUTO, scratch, error))
    return FALSE;
  g_return_val_if_fail (scratch_size >= need, FALSE);

  *res = (SsAmeChannels) { .n_channels = (guint) c, .bins = wk.bins };
  for (int ch = 0; ch < c; ch++)
    {
      SsAmeResult one;

      compute_one (&one, &wk, x + (gsize) ch * wk.n, FALSE);
      res->n_pairs = one.n_pairs;
      res->bias_dominated = one.bias_dominated;
      if (per_channel != NULL)
        per_channel[ch] = one.ame;
      switch (one.status)
        {
        case SS_AME_NOT_APPLICABLE:
          break;
        case SS_AME_NONFINITE:
          res->n_nonfinite++;
          break;
        case SS_AME_CONSTANT:
          res->n_constant++;
          res->n_counted++;
          break;
        case SS_AME_OK:
          res->n_counted++;
          sum += one.ame;
          break;
        default:
          g_assert_not_reached ();
        }
    }

  if (wk.n == 1)
    {
      res->status = SS_AME_NOT_APPLICABLE;
      res->mean = NAN;
    }
  else if (res->n_counted == 0)
    res->status = SS_AME_NONFINITE;
  else
    {
      res->status = res->n_constant == res->n_counted ? SS_AME_CONSTANT : SS_AME_OK;
      res->mean = sum / res->n_counted;
    }
  return TRUE;
}

const char *
ss_ame_status_to_string (SsAmeStatus status)
{
  switch (status)
    {
    case SS_AME_OK:
      return "ok";
    case SS_AME_CONSTANT:
      return "constant";
    case SS_AME_NONFINITE:
      return "non-finite";
    case SS_AME_NOT_APPLICABLE:
      return "not applicable";
    default:
      return "unknown";
    }
}
