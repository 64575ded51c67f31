/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* SPEC §1's quantisation of values into B bins over their range [lo, hi], shared by the AME
 * (ss-entropy-hist.c, one range per map) and spatial MI (ss-spatial-mi.c, one range per layer,
 * found by ss-relevance.c), so both give the codes of the double-precision definition by the
 * same float shortcut.  For those files only: the functions are inline, to be built into their
 * callers' AVX2 clones (VECTOR_CLONES). */

#include <math.h>

#include <glib.h>

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

/* Cells quantised per block; a block holding a value near a bin edge is redone exactly. */
#define SS_QUANT_BLOCK     32
/* Independent lanes of the min and max pass: four AVX2 vectors. */
#define SS_MINMAX_LANES    32

/* Min and max of x (n) into *lo and *hi; returns whether a value may be NaN or ±Inf (a NaN was
 * seen, or the min or the max is ±Inf, as it also is for n = 0).  min and max are exact in any
 * order (±0 compare equal, and either may come out).  Several vectors of lanes of elementwise
 * a < b ? a : b (exactly minps, which a min reduction honouring NaN would not vectorise to), so
 * each comparison does not wait for the one before it and the pass runs at the speed of memory;
 * NaN is flagged, not counted (counting with fabsf kept the loop scalar). */
static inline gboolean
ss_min_max (const float *x,
            gsize        n,
            float       *lo,
            float       *hi)
{
  float mn[SS_MINMAX_LANES], mx[SS_MINMAX_LANES];
  guint32 bad[SS_MINMAX_LANES] = { 0 };
  gsize done = 0;

  for (int k = 0; k < SS_MINMAX_LANES; k++)
    mn[k] = INFINITY, mx[k] = -INFINITY;
  for (; done + SS_MINMAX_LANES <= n; done += SS_MINMAX_LANES)
    for (int k = 0; k < SS_MINMAX_LANES; k++)
      {
        const float v = x[done + k];
        bad[k] |= v != v;
        mn[k] = v < mn[k] ? v : mn[k];
        mx[k] = v > mx[k] ? v : mx[k];
      }
  for (; done < n; done++)
    {
      const float v = x[done];
      bad[0] |= v != v;
      mn[0] = v < mn[0] ? v : mn[0];
      mx[0] = v > mx[0] ? v : mx[0];
    }
  for (int k = 1; k < SS_MINMAX_LANES; k++)
    {
      bad[0] |= bad[k];
      mn[0] = mn[k] < mn[0] ? mn[k] : mn[0];
      mx[0] = mx[k] > mx[0] ? mx[k] : mx[0];
    }
  *lo = mn[0];
  *hi = mx[0];
  return bad[0] != 0 || isinf (mn[0]) || isinf (mx[0]);
}

/* A range and bin count, with the float shortcut's constants. */
typedef struct {
  double   lo, range, bins;  /* range = hi − lo in double */
  guint    top;              /* B − 1 */
  float    flo, scale, far;
  gboolean fast;             /* the float shortcut may be used */
} SsQuantizer;

/* For finite lo < hi and 2 ≤ bins ≤ 65536. */
static inline SsQuantizer
ss_quantizer_make (float lo,
                   float hi,
                   int   bins)
{
  const double range = (double) hi - (double) lo, b = bins;

  /* The float product v = (x − lo)·scale is within 3.01·2⁻²⁴·B of the double-precision x'·B
   * (four roundings of relative 2⁻²⁴ or 2⁻⁵³, |x'·B| ≤ B), so when v is farther than
   * 2⁻²¹·B from every integer the two have the same floor, below B: then |frac v − ½| stays
   * under far.  v = 0 is exact too: x − lo is 0 only for x = lo (gradual underflow), and a
   * product that underflows to 0 has x'·B far below 1, so both codes are 0.  That case is
   * every zero of a ReLU map, which would otherwise send most blocks down the exact path.  A
   * subnormal scale (a range near FLT_MAX at B ≤ 3) or an infinite float range (then v may
   * pass B·(1 + 2⁻²²)) would break the bound: then every code is exact. */
  const float scale = (float) (b / range);

  return (SsQuantizer) {
    .lo = lo, .range = range, .bins = b, .top = (guint) bins - 1,
    .flo = lo, .scale = scale, .far = 0.5f - (float) (b * 0x1p-21),
    .fast = isnormal (scale) && isfinite (hi - lo),
  };
}

/* SPEC §1's code of one value: min (⌊(v − lo)/(hi − lo)·B⌋, B − 1) in double precision. */
static inline guint16
ss_quantizer_code_exact (const SsQuantizer *qz,
                         float              v)
{
  /* x' ≥ 0, so the cast is the floor. */
  const guint bin = (guint) (((double) v - qz->lo) / qz->range * qz->bins);
  return (guint16) MIN (bin, qz->top);
}

/* The codes q (n) of x (n), every value within the range. */
static inline void
ss_quantizer_codes (const SsQuantizer *qz,
                    const float       *x,
                    gsize              n,
                    guint16           *q)
{
  /* Locals, so the stores of codes cannot alias them and the loop vectorises. */
  const float flo = qz->flo, scale = qz->scale, far = qz->far;
  gsize done = 0;

  if (qz->fast)
    for (; done + SS_QUANT_BLOCK <= n; done += SS_QUANT_BLOCK)
      {
        const float *restrict xb = x + done;
        guint16 *restrict qb = q + done;
        gint32 near = 0;

        for (int i = 0; i < SS_QUANT_BLOCK; i++)
          {
            const float v = (xb[i] - flo) * scale;
            const gint32 c = (gint32) v;
            near |= (fabsf (v - (float) c - 0.5f) > far) & (v != 0.0f);
            qb[i] = (guint16) c;
          }
        if (near)
          for (int i = 0; i < SS_QUANT_BLOCK; i++)
            qb[i] = ss_quantizer_code_exact (qz, xb[i]);
      }
  for (gsize i = done; i < n; i++)
    q[i] = ss_quantizer_code_exact (qz, x[i]);
}
