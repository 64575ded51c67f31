/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-mi.h"
#include "ss-profile.h"
#include "ss-resize.h"
#include "ss-train.h"

/* Legend: N samples, (C, H, W) the input, (c, h, w) a layer's output. */

#define CHUNK 16   /* samples per activation forward */

void
ss_profile_options_init (SsProfileOptions *opt)
{
  *opt = (SsProfileOptions) {
    .n_samples = 50,
    .seed = 1,
    .null_permutations = SS_AME_NULL_PERMUTATIONS_DEFAULT,
    .mi_bins = SS_MI_BINS_DEFAULT,
    .with_null = TRUE,
    .with_activation = TRUE,
  };
  ss_ame_options_init (&opt->ame);
}

const char *
ss_step_kind_name (SsStepKind step)
{
  return step == SS_STEP_TYPE_I ? "I" : step == SS_STEP_TYPE_II ? "II" : "";
}

/* Scratch big enough for AMEs of every layer's maps. Transfer full. */
static gpointer
ame_scratch (const SsArch       *arch,
             const SsAmeOptions *opt,
             gsize              *size)
{
  int c, h, w;
  ss_arch_get_input (arch, &c, &h, &w);
  *size = ss_ame_scratch_size (h, w, opt);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      *size = MAX (*size, ss_ame_scratch_size (node->h, node->w, opt));
    }
  return g_malloc (MAX (*size, 1));
}

/* Saliency AME statistics and null baseline of one layer over the N samples. */
static gboolean
saliency_stats (SsLayerProfile         *lp,
                const SsGradcam        *gc,
                int                     layer,
                const SsProfileOptions *opt,
                SsRng                  *rng,
                gpointer                scratch,
                gsize                   scratch_size,
                GError                **error)
{
  double sum = 0, sum2 = 0, null_sum = 0;
  int n = ss_gradcam_get_n_samples (gc);

  lp->n_valid = lp->n_constant = 0;
  for (int s = 0; s < n; s++)
    {
      SsAmeResult r;
      SsAmeNull nl;
      const float *map = ss_gradcam_get_map (gc, layer, s);
      if (!ss_ame_compute (&r, map, lp->h, lp->w, &opt->ame, scratch, scratch_size, error))
        return FALSE;
      lp->bins = r.bins;
      lp->bias_dominated = r.bias_dominated;
      if (r.status == SS_AME_NOT_APPLICABLE)
        continue;
      if (opt->with_null &&
          !ss_ame_null (&nl, map, lp->h, lp->w, &opt->ame, opt->null_permutations, rng, scratch,
                        scratch_size, error))
        return FALSE;
      lp->n_valid++;
      lp->n_constant += r.status == SS_AME_CONSTANT;
      sum += r.ame;
      sum2 += r.ame * r.ame;
      if (opt->with_null)
        null_sum += nl.mean;
    }
  lp->saliency_mean = lp->n_valid ? sum / lp->n_valid : NAN;
  lp->saliency_sd = lp->n_valid
    ? sqrt (MAX (0, sum2 / lp->n_valid - lp->saliency_mean * lp->saliency_mean)) : NAN;
  lp->null_mean = lp->n_valid && opt->with_null ? null_sum / lp->n_valid : NAN;
  return TRUE;
}

/* Mean per-channel activation AME of every profiled layer (activation_mean), from evaluation
 * forwards in chunks. */
static gboolean
activation_stats (GArray                 *profile,
                  SsNet                  *net,
                  const float            *x,
                  int                     n,
                  gsize                   in_len,
                  const SsProfileOptions *opt,
                  gpointer                scratch,
                  gsize                   scratch_size,
                  GCancellable           *cancellable,
                  GError                **error)
{
  g_autofree double *sums = g_new0 (double, profile->len);
  g_autofree int *counts = g_new0 (int, profile->len);

  for (int start = 0; start < n; start += CHUNK)
    {
      int b = MIN (CHUNK, n - start);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      ss_net_forward (net, x + (gsize) start * in_len, b, SS_MODE_EVAL, NULL);
      for (guint l = 0; l < profile->len; l++)
        {
          SsLayerProfile *lp = &g_array_index (profile, SsLayerProfile, l);
          const float *out = ss_net_get_output (net, lp->node);
          gsize len = (gsize) lp->c * lp->h * lp->w;
          for (int s = 0; s < b; s++)
            {
              SsAmeChannels r;
              if (!ss_ame_compute_channels (&r, NULL, out + s * len, lp->c, lp->h, lp->w,
                                            &opt->ame, scratch, scratch_size, error))
                return FALSE;
              if (r.status == SS_AME_NOT_APPLICABLE || r.n_counted == 0)
                continue;
              sums[l] += r.mean;
              counts[l]++;
            }
        }
    }
  for (guint l = 0; l < profile->len; l++)
    g_array_index (profile, SsLayerProfile, l).activation_mean =
      counts[l] ? sums[l] / counts[l] : NAN;
  return TRUE;
}

double
ss_profile_pooled_mi (const SsGradcam *gc,
                      int              a,
                      int              b,
                      SsMiHistogram   *hist)
{
  int ah, aw, bh, bw;
  g_autofree float *resized = NULL;

  ss_gradcam_get_layer_size (gc, a, &ah, &aw);
  ss_gradcam_get_layer_size (gc, b, &bh, &bw);
  resized = g_new (float, (gsize) bh * bw);
  ss_mi_histogram_clear (hist);
  for (int s = 0; s < ss_gradcam_get_n_samples (gc); s++)
    {
      ss_resize_bilinear (resized, bh, bw, ss_gradcam_get_map (gc, a, s), ah, aw);
      ss_mi_histogram_accumulate (hist, resized, ss_gradcam_get_map (gc, b, s),
                                  (gsize) bh * bw);
    }
  return ss_mi_bits (hist);
}

float *
ss_profile_draw_samples (const SsDataset        *ds,
                         const SsProfileOptions *opt,
                         SsRng                  *rng,
                         GError                **error)
{
  gsize size = ss_dataset_get_size (ds);
  gsize in_len = (gsize) ss_dataset_get_channels (ds) * ss_dataset_get_height (ds) *
                 ss_dataset_get_width (ds);
  g_autofree guint32 *order = NULL;
  g_autofree SsLabel *y = NULL;    /* (N) */
  float *x;                        /* (N, C, H, W) */

  g_return_val_if_fail (ds != NULL && opt != NULL && rng != NULL, NULL);

  if (opt->n_samples < 1 || (gsize) opt->n_samples > size)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "the profile needs 1 to %" G_GSIZE_FORMAT " samples (the size of %s), not %d",
                   size, ss_dataset_get_name (ds), opt->n_samples);
      return NULL;
    }
  /* N samples from a seeded shuffle, the same for every model compared. */
  ss_rng_seed (rng, opt->seed);
  order = g_new (guint32, size);
  for (gsize i = 0; i < size; i++)
    order[i] = (guint32) i;
  ss_rng_shuffle (rng, order, size);
  x = g_new (float, (gsize) opt->n_samples * in_len);
  y = g_new (SsLabel, opt->n_samples);
  ss_dataset_fill_batch (ds, x, y, order, opt->n_samples, FALSE, NULL);
  return x;
}

GArray *
ss_profile_compute (SsNet                  *net,
                    const SsDataset        *ds,
                    const SsProfileOptions *opt,
                    GCancellable           *cancellable,
                    GError                **error)
{
  g_autofree float *x = NULL;      /* (N, C, H, W) */
  SsRng rng;

  g_return_val_if_fail (net != NULL && ds != NULL && opt != NULL, NULL);

  if (!ss_check_data_fits (net, ds, error) ||
      (x = ss_profile_draw_samples (ds, opt, &rng, error)) == NULL)
    return NULL;
  return ss_profile_compute_samples (net, x, opt->n_samples, opt, &rng, cancellable, error);
}

GArray *
ss_profile_compute_samples (SsNet                  *net,
                            const float            *x,
                            int                     n,
                            const SsProfileOptions *opt,
                            SsRng                  *rng,
                            GCancellable           *cancellable,
                            GError                **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  g_autoptr(GArray) profile = g_array_new (FALSE, TRUE, sizeof (SsLayerProfile));
  g_autoptr(SsGradcam) gc = NULL;
  g_autoptr(SsMiHistogram) hist = NULL;
  g_autofree gpointer scratch = NULL;
  gsize scratch_size, in_len;
  int first = -1, last = -1, c, h, w;

  g_return_val_if_fail (net != NULL && x != NULL && n >= 1 && opt != NULL, NULL);
  g_return_val_if_fail (rng != NULL || !opt->with_null, NULL);

  if (!ss_ame_options_check (&opt->ame, error) ||
      (hist = ss_mi_histogram_new (opt->mi_bins, error)) == NULL)
    return NULL;
  ss_arch_get_input (arch, &c, &h, &w);
  in_len = (gsize) c * h * w;
  if ((gc = ss_gradcam_compute (net, x, n, c, h, w, NULL, error)) == NULL)
    return NULL;
  scratch = ame_scratch (arch, &opt->ame, &scratch_size);

  for (int l = 0; l < ss_gradcam_get_n_layers (gc); l++)
    {
      SsLayerProfile lp = { 0 };
      const SsNode *node;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      lp.node = ss_gradcam_get_layer_node (gc, l);
      node = ss_arch_get_node (arch, lp.node);
      lp.name = node->name;
      lp.kind = ss_gradcam_get_layer_kind (gc, l);
      lp.step = lp.kind == SS_SALIENCY_POOLING ? SS_STEP_TYPE_I
                : lp.kind == SS_SALIENCY_CONV ? SS_STEP_TYPE_II : SS_STEP_NONE;
      lp.c = node->c;
      lp.h = node->h;
      lp.w = node->w;
      lp.activation_mean = NAN;
      if (!saliency_stats (&lp, gc, l, opt, rng, scratch, scratch_size, error))
        return NULL;
      lp.delta = profile->len > 0
        ? lp.saliency_mean - g_array_index (profile, SsLayerProfile, profile->len - 1).saliency_mean
        : NAN;
      if (first < 0)
        first = l;
      if (lp.h * lp.w > 1)
        last = l;
      g_array_append_val (profile, lp);
    }
  if (opt->with_activation &&
      !activation_stats (profile, net, x, n, in_len, opt, scratch, scratch_size, cancellable,
                         error))
    return NULL;

  for (guint l = 0; l < profile->len; l++)
    {
      SsLayerProfile *lp = &g_array_index (profile, SsLayerProfile, l);
      lp->i_xt = first >= 0 ? ss_profile_pooled_mi (gc, (int) l, first, hist) : NAN;
      lp->i_ty = last >= 0 ? ss_profile_pooled_mi (gc, (int) l, last, hist) : NAN;
    }
  return g_steal_pointer (&profile);
}
