/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Spatial aura matrix entropy (AME), spatial disorder entropy (SDE) and their null baseline,
 * exactly as SPEC §1; the decisions SPEC leaves open are listed in ss-entropy.h.  The histogram
 * kernels are in ss-entropy-hist.c; the scratch layout is in ss-entropy-private.h.
 *
 * Legend: H W map size, N = H·W cells, B bins, T hash-table slots (a power of two ≥ 2·N),
 * R SDE radius, (k, l) an offset (rows, columns).  Maps are float32 (H, W) row-major. */

#include <math.h>
#include <string.h>

#include "ss-entropy-private.h"
#include "ss-error.h"

#define MIN_HASH_SLOTS   16u
/* Dense joint histograms up to this many counters (B = 256) even when a hash table would be
 * smaller: a small map touches few of them, and a direct index beats probing. */
#define DENSE_MAX_SLOTS  65536u

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
layout (SsAmeWork          *wk,
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
    mode = dense <= MAX (slots, DENSE_MAX_SLOTS) ? SS_AME_HIST_DENSE : SS_AME_HIST_HASH;

  const gboolean is_dense = mode == SS_AME_HIST_DENSE;
  const guint64 key_units = is_dense ? n : 0, bit_units = is_dense ? (dense + 31) / 32 : 0;
  const guint64 hist_units = is_dense ? dense : 2 * slots;
  const guint64 units32 = (n + 1) + key_units + bit_units + (guint64) bins + hist_units;

  *wk = (SsAmeWork) {
    .h = h, .w = w, .bins = bins, .mm = opt->miller_madow, .radius = opt->radius,
    .mode = mode, .n = (gsize) n,
    .hash_mask = (guint32) (slots - 1), .hash_shift = 32 - log2_slots,
  };
  if (scratch != NULL)
    {
      wk->cc = scratch;
      wk->keys = wk->cc + n + 1;
      wk->bits = wk->keys + key_units;
      wk->marg = wk->bits + bit_units;
      wk->hist = wk->marg + bins;
      wk->q = (guint16 *) (wk->hist + hist_units);
    }
  return (gsize) (units32 * sizeof (guint32) + n * sizeof (guint16));
}

gsize
ss_ame_scratch_size_mode (int                 h,
                          int                 w,
                          const SsAmeOptions *opt,
                          SsAmeHistMode       mode)
{
  SsAmeWork wk;

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

/* Largest |k| and |l| of the offsets visited. */
static int
max_row_offset (const SsAmeWork *wk)
{
  return wk->radius == 0 ? 1 : MIN (wk->radius, wk->h - 1);
}

static int
max_col_offset (const SsAmeWork *wk)
{
  return wk->radius == 0 ? 1 : MIN (wk->radius, wk->w - 1);
}

/* Pairs of the half-plane offset (k, l) (k > 0, or k = 0 and l > 0) if the AME or SDE averages
 * it, else 0. */
static gsize
used_pairs (const SsAmeWork *wk,
            int              k,
            int              l)
{
  if ((k == 0 && l <= 0) || (wk->radius == 0 && k != 0 && l != 0))
    return 0;
  return offset_pairs (wk->h, wk->w, k, l);
}

/* AME (radius 0) or SDE of the codes in wk->q.  *h0 is H0 in nats, or NAN to have it found
 * here, with its occupied bins in *h0_occupied: from the row sums of the first joint histogram
 * when that is read by a scan (they count every code but those of one row or column of the map),
 * else by counting.  Visits the half-plane offsets (k > 0, or k = 0 and l > 0) in order; for
 * each, H_R(−k,−l) + H_R(k,l) is added to the total — one histogram counted twice, or two when
 * four_histograms.  When res is given, its four nearest-offset entropies are filled in. */
static double
ame_from_codes (SsAmeWork   *wk,
                double      *h0,
                guint       *h0_occupied,
                gboolean     four_histograms,
                SsAmeResult *res)
{
  const int rk = max_row_offset (wk), rl = max_col_offset (wk);
  double total = 0.0;
  guint n_offsets = 0;

  for (int k = 0; k <= rk; k++)
    for (int l = -rl; l <= rl; l++)
      {
        double hj[2], hr[2];
        gboolean rows = isnan (*h0), no_rows = FALSE;

        if (used_pairs (wk, k, l) == 0)
          continue;

        hj[1] = ss_ame_joint_nats (wk, k, l, &rows);
        if (isnan (*h0))
          *h0 = ss_ame_h0_nats (wk, rows, k, l, h0_occupied);
        hj[0] = four_histograms ? ss_ame_joint_nats (wk, -k, -l, &no_rows) : hj[1];
        hr[0] = relative (hj[0], *h0);
        hr[1] = relative (hj[1], *h0);
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
describe (SsAmeResult     *res,
          const SsAmeWork *wk)
{
  const int rk = max_row_offset (wk), rl = max_col_offset (wk);
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
        const gsize p = used_pairs (wk, k, l);
        if (p == 0)
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
prepare (SsAmeWork          *wk,
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
             SsAmeWork   *wk,
             const float *x,
             gboolean     four_histograms)
{
  if (describe (res, wk) == 0)
    {
      res->status = SS_AME_NOT_APPLICABLE;
      res->ame = res->h0 = NAN;
      return;
    }

  res->status = ss_ame_quantize (wk->q, x, wk->n, wk->bins);
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

  double h0 = NAN;

  res->ame = ame_from_codes (wk, &h0, &res->h0_occupied, four_histograms, res);
  res->h0 = h0 / G_LN2;
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
  SsAmeWork wk;
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

/* Scratch bytes of one thread of ss_ame_compute_batch: a whole number of cache lines, so the
 * threads' slices neither share a line nor misalign. */
static gsize
batch_slice (gsize need)
{
  return (need + 63) / 64 * 64;
}

gsize
ss_ame_batch_scratch_size (int                 h,
                           int                 w,
                           const SsAmeOptions *opt,
                           int                 n_threads)
{
  return batch_slice (ss_ame_scratch_size (h, w, opt)) * (gsize) MAX (n_threads, 1);
}

gboolean
ss_ame_compute_batch (SsAmeResult        *res,
                      const float        *x,
                      int                 n_maps,
                      int                 h,
                      int                 w,
                      const SsAmeOptions *opt,
                      int                 n_threads,
                      gpointer            scratch,
                      gsize               scratch_size,
                      GError            **error)
{
  SsAmeWork wk;
  gsize need;

  g_return_val_if_fail (res != NULL && x != NULL && opt != NULL && scratch != NULL, FALSE);
  g_return_val_if_fail (n_maps >= 0, FALSE);

  if (!prepare (&wk, &need, h, w, opt, SS_AME_HIST_AUTO, NULL, error))
    return FALSE;

  const gsize slice = batch_slice (need);
  const int nt = CLAMP (n_threads, 1, MAX (n_maps, 1));
  int next = 0;

  g_return_val_if_fail (scratch_size >= slice * (gsize) MAX (n_threads, 1), FALSE);
  /* One iteration per thread, on its own slice of scratch; the maps are taken one at a time
   * from a shared counter, so a thread the system schedules late does fewer of them rather than
   * holding the others up. */
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      SsAmeWork tw;
      int i;

      layout (&tw, h, w, opt, SS_AME_HIST_AUTO, (guint8 *) scratch + slice * (gsize) t);
      while ((i = g_atomic_int_add (&next, 1)) < n_maps)
        compute_one (res + i, &tw, x + (gsize) i * tw.n, FALSE);
    }
  return TRUE;
}

/* ss_rng_shuffle's Fisher–Yates on the 16-bit codes, drawing the same numbers. */
static void
shuffle_codes (SsRng   *rng,
               guint16 *q,
               gsize    n)
{
  for (gsize i = n; i > 1; i--)
    {
      const guint32 j = ss_rng_below (rng, (guint32) i);
      const guint16 t = q[i - 1];
      q[i - 1] = q[j];
      q[j] = t;
    }
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
  SsAmeWork wk;
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
  res->status = ss_ame_quantize (wk.q, x, wk.n, wk.bins);
  if (res->status != SS_AME_OK)
    return TRUE;  /* constant or non-finite: 0, the generator untouched */

  double h0 = ss_ame_h0_nats (&wk, FALSE, 0, 0, NULL);  /* a permutation keeps the histogram */
  for (guint p = 0; p < n_permutations; p++)
    {
      shuffle_codes (rng, wk.q, wk.n);
      const double a = ame_from_codes (&wk, &h0, NULL, FALSE, NULL);
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
  SsAmeWork wk;
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
