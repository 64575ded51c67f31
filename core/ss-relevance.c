/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Filter relevance over a network: picks the layers and their maps, runs the samples through
 * the net, and hands each layer's maps to ss-spatial-mi.c or ss-renyi.c (or sums the weights for
 * L1).  Legend: N samples, (C, H, W) the input, (c, h, w) a scored node's output. */

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-quantize-private.h"
#include "ss-relevance-private.h"
#include "ss-relevance.h"
#include "ss-renyi.h"
#include "ss-spatial-mi.h"
#include "ss-train.h"

#define CHUNK 32   /* samples per evaluation forward */

void
ss_relevance_options_init (SsRelevanceOptions *opt)
{
  g_return_if_fail (opt != NULL);
  *opt = (SsRelevanceOptions) {
    .n_samples = SS_RELEVANCE_SAMPLES_DEFAULT,
    .seed = 1,
    .bins = SS_SPATIAL_MI_BINS_DEFAULT,
    .alpha = SS_RENYI_ALPHA_DEFAULT,
  };
}

static const char *const criterion_names[] = { "ame-mi", "renyi-mi", "l1" };

const char *
ss_relevance_criterion_name (SsRelevanceCriterion criterion)
{
  g_return_val_if_fail ((guint) criterion < G_N_ELEMENTS (criterion_names), NULL);
  return criterion_names[criterion];
}

gboolean
ss_relevance_criterion_parse (const char           *name,
                              SsRelevanceCriterion *criterion,
                              GError              **error)
{
  g_return_val_if_fail (name != NULL && criterion != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (criterion_names); i++)
    if (g_str_equal (name, criterion_names[i]))
      {
        *criterion = (SsRelevanceCriterion) i;
        return TRUE;
      }
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "Unknown relevance criterion “%s”: use ame-mi (spatial MI), renyi-mi (HRel's "
               "matrix-based Rényi MI) or l1 (weight magnitude)", name);
  return FALSE;
}

/* The node reading node i's output if it is the only reader and reads it as its sole input;
 * −1 otherwise. */
static int
sole_reader (const SsArch *arch,
             int           i)
{
  int reader = -1;

  for (int j = i + 1; j < ss_arch_get_n_nodes (arch); j++)
    {
      const SsNode *node = ss_arch_get_node (arch, j);
      const gboolean binary = node->op == SS_OP_ADD;
      if (node->inputs[0] != i && !(binary && node->inputs[1] == i))
        continue;
      if (reader >= 0 || binary)
        return -1;
      reader = j;
    }
  return reader;
}

int
ss_relevance_map_node (const SsArch *arch,
                       int           conv)
{
  int m = conv, next;

  g_return_val_if_fail (arch != NULL, -1);
  g_return_val_if_fail (conv >= 0 && conv < ss_arch_get_n_nodes (arch), -1);
  g_return_val_if_fail (ss_arch_get_node (arch, conv)->op == SS_OP_CONV, -1);

  next = sole_reader (arch, m);
  if (next >= 0 && ss_arch_get_node (arch, next)->op == SS_OP_BATCHNORM)
    {
      m = next;
      next = sole_reader (arch, m);
    }
  if (next >= 0 && ss_arch_get_node (arch, next)->op == SS_OP_RELU)
    m = next;
  return m;
}

gboolean
ss_relevance_scan_maps (const float *maps,
                        int          n,
                        int          c,
                        gsize        hw,
                        int          n_threads,
                        float       *lo,
                        float       *hi,
                        GError     **error)
{
  const gsize len = (gsize) n * (gsize) c * hw;
  const int nt = MAX (n_threads, 1);
  g_autofree float *part = g_new (float, 2 * (gsize) nt);   /* (nt, 2) min, max */
  g_autofree gboolean *bad = g_new (gboolean, nt);

#pragma omp parallel for schedule(static) num_threads(nt)
  for (int t = 0; t < nt; t++)
    {
      const gsize b = len * t / nt, e = len * (t + 1) / nt;
      bad[t] = ss_min_max (maps + b, e - b, &part[2 * t], &part[2 * t + 1]);
    }
  for (int t = 0; t < nt; t++)
    {
      /* Flagging instead of stopping at the first bad value keeps the scan vectorised; a
       * failure then looks for the first one, to name it. */
      for (gsize i = len * t / nt; bad[t] && i < len * (t + 1) / nt; i++)
        if (!isfinite (maps[i]))
          {
            g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                         "Activation maps hold %g (filter %d of sample %" G_GSIZE_FORMAT "): "
                         "relevance needs finite maps; check the model's weights",
                         (double) maps[i], (int) (i / hw % (gsize) c), i / hw / (gsize) c);
            return FALSE;
          }
      part[0] = MIN (part[0], part[2 * t]);
      part[1] = MAX (part[1], part[2 * t + 1]);
    }
  if (lo != NULL)
    *lo = part[0];
  if (hi != NULL)
    *hi = part[1];
  return TRUE;
}

static void
layer_relevance_clear (gpointer data)
{
  SsLayerRelevance *lr = data;
  g_free (lr->name);
  g_free (lr->scores);
}

/* The layers to score, in node order, with their scores unfilled. */
static GArray *
choose_layers (const SsArch             *arch,
               SsRelevanceCriterion      criterion,
               const SsRelevanceOptions *opt,
               GError                  **error)
{
  const int n_nodes = ss_arch_get_n_nodes (arch);
  g_autofree gboolean *chosen = g_new0 (gboolean, n_nodes);
  g_autoptr(GArray) layers = g_array_new (FALSE, TRUE, sizeof (SsLayerRelevance));

  g_array_set_clear_func (layers, layer_relevance_clear);
  for (int i = 0; i < n_nodes; i++)
    chosen[i] = opt->layers == NULL && ss_arch_get_node (arch, i)->op == SS_OP_CONV;
  for (int l = 0; opt->layers != NULL && opt->layers[l] != NULL; l++)
    {
      const int i = ss_arch_find_node (arch, opt->layers[l]);
      if (i < 0 || ss_arch_get_node (arch, i)->op != SS_OP_CONV)
        {
          g_autoptr(GString) convs = g_string_new (NULL);
          for (int j = 0; j < n_nodes; j++)
            if (ss_arch_get_node (arch, j)->op == SS_OP_CONV)
              g_string_append_printf (convs, "%s%s", convs->len ? ", " : "",
                                      ss_arch_get_node (arch, j)->name);
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "%s has no conv layer named “%s” (its conv layers: %s)",
                       ss_arch_get_name (arch), opt->layers[l], convs->str);
          return NULL;
        }
      chosen[i] = TRUE;
    }
  for (int i = 0; i < n_nodes; i++)
    if (chosen[i])
      {
        const SsNode *node = ss_arch_get_node (arch, i);
        const int m = criterion == SS_RELEVANCE_L1 ? i : ss_relevance_map_node (arch, i);
        const SsNode *mn = ss_arch_get_node (arch, m);
        SsLayerRelevance lr = {
          .name = g_strdup (node->name), .node = i, .map_node = m, .n_filters = node->out,
          .h = mn->h, .w = mn->w, .scores = g_new0 (double, node->out),
        };
        g_array_append_val (layers, lr);
      }
  return g_steal_pointer (&layers);
}

static gboolean
check_options (const SsRelevanceOptions *opt,
               SsRelevanceCriterion      criterion,
               const SsDataset          *ds,
               GError                  **error)
{
  const gsize size = ds != NULL ? ss_dataset_get_size (ds) : 0;
  const int min_n = criterion == SS_RELEVANCE_RENYI_MI ? 2 : 1;

  if (criterion == SS_RELEVANCE_L1)
    return TRUE;
  if (opt->n_samples < min_n || (gsize) opt->n_samples > size)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "%s relevance needs %d to %" G_GSIZE_FORMAT " samples (the size of %s), "
                   "not %d", ss_relevance_criterion_name (criterion), min_n, size,
                   ss_dataset_get_name (ds), opt->n_samples);
      return FALSE;
    }
  /* Bins and α are the kernels' to check: a bad one fails at the first layer. */
  return TRUE;
}

/* Σ |w| of each filter of the conv layer lr. */
static gboolean
score_l1 (SsLayerRelevance *lr,
          SsNet            *net,
          GError          **error)
{
  g_autofree char *key = g_strconcat (lr->name, ".weight", NULL);
  const int p = ss_net_find_param (net, key);
  const float *wt;   /* (O, I, k, k) */
  gsize per;

  g_assert (p >= 0);
  wt = ss_net_get_param (net, p);
  per = ss_net_get_param_info (net, p)->len / (gsize) lr->n_filters;
  for (int f = 0; f < lr->n_filters; f++)
    {
      double sum = 0.0;
      for (gsize i = 0; i < per; i++)
        sum += fabs ((double) wt[(gsize) f * per + i]);
      if (!isfinite (sum))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                       "%s: filter %d has non-finite weights", key, f);
          return FALSE;
        }
      lr->scores[f] = sum;
    }
  return TRUE;
}

/* The scores of one layer from its maps (N, c, h, w). */
static gboolean
score_maps (SsLayerRelevance         *lr,
            const float              *maps,
            const SsLabel            *y,
            int                       n,
            int                       n_classes,
            SsRelevanceCriterion      criterion,
            const SsRelevanceOptions *opt,
            int                       n_threads,
            GCancellable             *cancellable,
            GError                  **error)
{
  gboolean ok;

  if (criterion == SS_RELEVANCE_SPATIAL_MI)
    ok = ss_spatial_mi_layer (lr->scores, maps, y, n, lr->n_filters, lr->h, lr->w, n_classes,
                              opt->bins, n_threads, cancellable, error);
  else
    ok = ss_renyi_mi_layer (lr->scores, NULL, maps, y, n, lr->n_filters, lr->h, lr->w,
                            n_classes, opt->alpha, n_threads, cancellable, error);
  /* Errors about the maps name the layer; those about the options stand alone. */
  if (!ok && error != NULL &&
      (g_error_matches (*error, SS_ERROR, SS_ERROR_VALUE) ||
       g_error_matches (*error, SS_ERROR, SS_ERROR_SHAPE)))
    g_prefix_error (error, "%s: ", lr->name);
  return ok;
}

/* Scores layers [first, last) of the array from one series of forwards over x (N, C, H, W). */
static gboolean
score_group (GArray                   *layers,
             guint                     first,
             guint                     last,
             SsNet                    *net,
             const float              *x,
             const SsLabel            *y,
             int                       n,
             int                       n_classes,
             SsRelevanceCriterion      criterion,
             const SsRelevanceOptions *opt,
             SsRelevanceProgressFunc   progress,
             gpointer                  user_data,
             GCancellable             *cancellable,
             GError                  **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func (g_free);  /* each (N, c, h, w) */
  int in_c, in_h, in_w;
  gsize in_len;

  ss_arch_get_input (arch, &in_c, &in_h, &in_w);
  in_len = (gsize) in_c * in_h * in_w;
  for (guint l = first; l < last; l++)
    {
      const SsLayerRelevance *lr = &g_array_index (layers, SsLayerRelevance, l);
      g_ptr_array_add (maps, g_new (float, (gsize) n * lr->n_filters * lr->h * lr->w));
    }
  for (int s0 = 0; s0 < n; s0 += CHUNK)
    {
      const int b = MIN (CHUNK, n - s0);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      ss_net_forward (net, x + (gsize) s0 * in_len, b, SS_MODE_EVAL, NULL);
      for (guint l = first; l < last; l++)
        {
          const SsLayerRelevance *lr = &g_array_index (layers, SsLayerRelevance, l);
          const gsize per = (gsize) lr->n_filters * lr->h * lr->w;
          memcpy ((float *) maps->pdata[l - first] + (gsize) s0 * per,
                  ss_net_get_output (net, lr->map_node), (gsize) b * per * sizeof (float));
        }
    }
  for (guint l = first; l < last; l++)
    {
      SsLayerRelevance *lr = &g_array_index (layers, SsLayerRelevance, l);
      const gint64 t0 = g_get_monotonic_time ();
      if (!score_maps (lr, maps->pdata[l - first], y, n, n_classes, criterion, opt,
                       ss_net_get_n_threads (net), cancellable, error))
        return FALSE;
      lr->seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      g_clear_pointer (&maps->pdata[l - first], g_free);
      if (progress != NULL)
        progress ((int) l + 1, (int) layers->len, lr->name, user_data);
    }
  return TRUE;
}

GArray *
ss_relevance_compute (SsNet                     *net,
                      const SsDataset           *ds,
                      SsRelevanceCriterion       criterion,
                      const SsRelevanceOptions  *opt,
                      SsRelevanceProgressFunc    progress,
                      gpointer                   user_data,
                      GCancellable              *cancellable,
                      GError                   **error)
{
  const SsArch *arch;
  g_autoptr(GArray) layers = NULL;
  g_autofree guint32 *order = NULL;
  g_autofree float *x = NULL;     /* (N, C, H, W) */
  g_autofree SsLabel *y = NULL;   /* (N) */
  gsize size, in_len;
  int n, c, h, w;
  guint first = 0;
  SsRng rng;

  g_return_val_if_fail (net != NULL && opt != NULL, NULL);
  g_return_val_if_fail (ds != NULL || criterion == SS_RELEVANCE_L1, NULL);
  g_return_val_if_fail ((guint) criterion < G_N_ELEMENTS (criterion_names), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  arch = ss_net_get_arch (net);
  if (!check_options (opt, criterion, ds, error) ||
      (layers = choose_layers (arch, criterion, opt, error)) == NULL)
    return NULL;

  if (criterion == SS_RELEVANCE_L1)
    {
      for (guint l = 0; l < layers->len; l++)
        {
          SsLayerRelevance *lr = &g_array_index (layers, SsLayerRelevance, l);
          const gint64 t0 = g_get_monotonic_time ();
          if (!score_l1 (lr, net, error))
            return NULL;
          lr->seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
          if (progress != NULL)
            progress ((int) l + 1, (int) layers->len, lr->name, user_data);
        }
      return g_steal_pointer (&layers);
    }

  if (!ss_check_data_fits (net, ds, error))
    return NULL;
  /* N samples from a seeded shuffle, the same draw as the entropy profile's. */
  n = opt->n_samples;
  size = ss_dataset_get_size (ds);
  ss_rng_seed (&rng, opt->seed);
  order = g_new (guint32, size);
  for (gsize i = 0; i < size; i++)
    order[i] = (guint32) i;
  ss_rng_shuffle (&rng, order, size);
  ss_arch_get_input (arch, &c, &h, &w);
  in_len = (gsize) c * h * w;
  x = g_new (float, (gsize) n * in_len);
  y = g_new (SsLabel, n);
  ss_dataset_fill_batch (ds, x, y, order, n, FALSE, NULL);

  /* Groups of consecutive layers whose maps fit the budget together (at least one each). */
  while (first < layers->len)
    {
      guint last = first;
      gsize bytes = 0;
      while (last < layers->len)
        {
          const SsLayerRelevance *lr = &g_array_index (layers, SsLayerRelevance, last);
          const gsize more = (gsize) n * lr->n_filters * lr->h * lr->w * sizeof (float);
          if (last > first && bytes + more > SS_RELEVANCE_GROUP_BYTES)
            break;
          bytes += more;
          last++;
        }
      if (!score_group (layers, first, last, net, x, y, n, ss_dataset_get_n_classes (ds),
                        criterion, opt, progress, user_data, cancellable, error))
        return NULL;
      first = last;
    }
  return g_steal_pointer (&layers);
}

static gint
compare_rank (gconstpointer a,
              gconstpointer b,
              gpointer      scores)
{
  const int i = *(const int *) a, j = *(const int *) b;
  const double x = ((const double *) scores)[i], y = ((const double *) scores)[j];
  return x < y ? -1 : x > y ? 1 : (i > j) - (i < j);
}

int *
ss_relevance_rank (const SsLayerRelevance *lr)
{
  int *idx;

  g_return_val_if_fail (lr != NULL && lr->n_filters > 0, NULL);

  idx = g_new (int, lr->n_filters);
  for (int f = 0; f < lr->n_filters; f++)
    idx[f] = f;
  g_qsort_with_data (idx, lr->n_filters, sizeof (int), compare_rank, lr->scores);
  return idx;
}
