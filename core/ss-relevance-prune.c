/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The rank → prune → fine-tune loop of ss-relevance-prune.h over ss-relevance.c's scores and
 * ss-prune.c's surgery.  Legend: U units (channel groups being pruned), n₀ a unit's filters at
 * the start, P the convs producing a unit's channels. */

#include <math.h>

#include "ss-error.h"
#include "ss-prune.h"
#include "ss-relevance-prune.h"

void
ss_relevance_prune_config_init (SsRelevancePruneConfig *config)
{
  g_return_if_fail (config != NULL);

  *config = (SsRelevancePruneConfig) { .criterion = SS_RELEVANCE_SPATIAL_MI, .rounds = 1 };
  ss_relevance_options_init (&config->relevance);
  ss_train_config_init (&config->finetune);
  config->finetune.epochs = config->finetune.schedule.epochs = 1;
  config->finetune.schedule.lr = 0.01;
}

char *
ss_relevance_prune_format_kept (const int *kept,
                                int        n)
{
  GString *s = g_string_new (NULL);

  for (int u = 0; u < n; u++)
    g_string_append_printf (s, "%s%d", u ? "-" : "", kept[u]);
  return g_string_free (s, FALSE);
}

char **
ss_relevance_prune_default_units (const SsArch *arch)
{
  g_autoptr(GArray) groups = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_return_val_if_fail (arch != NULL, NULL);

  groups = ss_prune_groups (arch);
  for (guint i = 0; i < groups->len; i++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, i);
      if (g->prunable && g->n_producers > 0)
        g_ptr_array_add (names, g_strdup (ss_arch_get_node (arch, g->producers[0])->name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* The group of unit, or NULL with an error naming it. */
static const SsPruneGroup *
unit_group (const SsArch *arch,
            GArray       *groups,
            const char   *unit,
            int          *index,
            GError      **error)
{
  const int node = ss_arch_find_node (arch, unit);
  const SsPruneGroup *g;

  if (node < 0 || ss_arch_get_node (arch, node)->op != SS_OP_CONV)
    {
      g_auto(GStrv) names = ss_relevance_prune_default_units (arch);
      g_autofree char *list = g_strjoinv (", ", names);
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "%s has no conv layer named “%s” (its prunable layers: %s)",
                   ss_arch_get_name (arch), unit, list);
      return NULL;
    }
  *index = ss_prune_groups_find (groups, node);
  g = &g_array_index (groups, SsPruneGroup, *index);
  if (!g->prunable)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "“%s” cannot be pruned: %s", unit,
                   g->reason);
      return NULL;
    }
  return g;
}

gboolean
ss_relevance_prune_check (const SsArch      *arch,
                          const char *const *units,
                          const int         *targets,
                          int                n_units,
                          GError           **error)
{
  g_autoptr(GArray) groups = NULL;
  g_autofree int *owner = NULL;   /* per group: the unit naming it, or −1 */

  g_return_val_if_fail (arch != NULL, FALSE);
  g_return_val_if_fail (n_units == 0 || (units != NULL && targets != NULL), FALSE);

  if (n_units < 1)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "No layer to prune: name at least one conv layer");
      return FALSE;
    }
  groups = ss_prune_groups (arch);
  owner = g_new (int, MAX (groups->len, 1));
  for (guint i = 0; i < groups->len; i++)
    owner[i] = -1;
  for (int u = 0; u < n_units; u++)
    {
      int gi;
      const SsPruneGroup *g = unit_group (arch, groups, units[u], &gi, error);
      if (g == NULL)
        return FALSE;
      if (owner[gi] >= 0 && g_str_equal (units[owner[gi]], units[u]))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "“%s” is named twice", units[u]);
          return FALSE;
        }
      if (owner[gi] >= 0)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "“%s” and “%s” share their channels (a residual add ties them): name "
                       "only one of them", units[owner[gi]], units[u]);
          return FALSE;
        }
      owner[gi] = u;
      if (targets[u] < 1)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "“%s” must keep at least 1 filter, not %d (removing a whole layer is "
                       "prune-layers' job)", units[u], targets[u]);
          return FALSE;
        }
      if (targets[u] > g->n_channels)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "“%s” has %d filters: it cannot keep %d", units[u], g->n_channels,
                       targets[u]);
          return FALSE;
        }
    }
  return TRUE;
}

/* The stage key of group gi: its own index if a residual add ties it (two or more producers),
 * else the key shared by the groups its consumers write (a block's conv1, or a bottleneck's
 * conv1 and conv2, lead into the stage's tied group), else −1.  key (groups) memoises, −2 =
 * not yet known. */
static int
group_stage (GArray *groups,
             int     gi,
             int    *key)
{
  const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, gi);
  int k = -1;

  if (key[gi] != -2)
    return key[gi];
  key[gi] = -1;  /* a cycle (none in a feed-forward network) ends here */
  if (g->n_producers >= 2)
    k = gi;
  else
    for (int c = 0; c < g->n_consumers; c++)
      {
        const int h = ss_prune_groups_find (groups, g->consumers[c]);
        const int kh = h >= 0 ? group_stage (groups, h, key) : -1;
        if (kh < 0 || (c > 0 && kh != k))
          {
            k = -1;
            break;
          }
        k = kh;
      }
  key[gi] = k;
  return k;
}

int
ss_relevance_prune_unit_stages (const SsArch      *arch,
                                const char *const *units,
                                int                n_units,
                                int               *stages)
{
  g_autoptr(GArray) groups = NULL;
  g_autofree int *key = NULL;
  g_autofree int *unit_key = NULL;
  int n_stages = 0;

  g_return_val_if_fail (arch != NULL && n_units >= 0, 0);
  g_return_val_if_fail (n_units == 0 || (units != NULL && stages != NULL), 0);

  groups = ss_prune_groups (arch);
  key = g_new (int, MAX (groups->len, 1));
  unit_key = g_new (int, MAX (n_units, 1));
  for (guint i = 0; i < groups->len; i++)
    key[i] = -2;
  for (int u = 0; u < n_units; u++)
    {
      const int node = ss_arch_find_node (arch, units[u]);
      const int gi = node >= 0 ? ss_prune_groups_find (groups, node) : -1;
      unit_key[u] = gi >= 0 ? group_stage (groups, gi, key) : -1;
      stages[u] = -1;
    }
  /* Stages numbered in network order: by their tied group's index, which follows its first
   * producer. */
  for (guint gi = 0; gi < groups->len; gi++)
    {
      gboolean used = FALSE;
      for (int u = 0; u < n_units; u++)
        if (unit_key[u] == (int) gi)
          {
            stages[u] = n_stages;
            used = TRUE;
          }
      n_stages += used;
    }
  return n_stages;
}

/* "stage 1: conv1, layer1.0.conv1, …; stage 2: …" for an error message. */
static char *
describe_stages (const char *const *units,
                 const int         *stages,
                 int                n_units,
                 int                n_stages)
{
  GString *s = g_string_new (NULL);

  for (int k = 0; k < n_stages; k++)
    {
      const char *sep = "";
      g_string_append_printf (s, "%sstage %d: ", k ? "; " : "", k + 1);
      for (int u = 0; u < n_units; u++)
        if (stages[u] == k)
          {
            g_string_append_printf (s, "%s%s", sep, units[u]);
            sep = ", ";
          }
    }
  return g_string_free (s, FALSE);
}

gboolean
ss_relevance_prune_parse_target (const SsArch      *arch,
                                 const char *const *units,
                                 int                n_units,
                                 const char        *text,
                                 int               *targets,
                                 GError           **error)
{
  g_auto(GStrv) fields = NULL;
  g_autofree int *stages = NULL;
  g_autofree int *values = NULL;
  g_autofree char *unit_list = NULL;
  int n, n_stages;
  gboolean by_stage, identical = TRUE;

  g_return_val_if_fail (arch != NULL && text != NULL && n_units >= 0, FALSE);
  g_return_val_if_fail (n_units == 0 || (units != NULL && targets != NULL), FALSE);

  fields = g_strsplit (text, "-", -1);
  n = (int) g_strv_length (fields);
  stages = g_new (int, MAX (n_units, 1));
  n_stages = ss_relevance_prune_unit_stages (arch, units, n_units, stages);
  /* The stage form needs every unit in a stage. */
  for (int u = 0; u < n_units; u++)
    {
      if (stages[u] < 0)
        n_stages = 0;
      identical &= stages[u] == u;
    }
  {
    GString *list = g_string_new (NULL);
    for (int u = 0; u < n_units; u++)
      g_string_append_printf (list, "%s%s", u ? ", " : "", units[u]);
    unit_list = g_string_free (list, FALSE);
  }
  by_stage = n_stages > 0 && n == n_stages;
  if (by_stage && n == n_units && !identical)
    {
      g_autofree char *list = describe_stages (units, stages, n_units, n_stages);
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "--target “%s” is ambiguous: %d fields are one filter count per pruned "
                   "layer (%s) and also one per residual stage (%s); list the layers in "
                   "network order, where both readings agree", text, n, unit_list, list);
      return FALSE;
    }
  if (n != n_units && !by_stage)
    {
      if (n_stages > 0)
        {
          g_autofree char *list = describe_stages (units, stages, n_units, n_stages);
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "--target has %d field%s: give one filter count per pruned layer (%d: "
                       "%s) or one per residual stage (%d: %s)", n, n == 1 ? "" : "s",
                       n_units, unit_list, n_stages, list);
        }
      else
        g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                     "--target has %d field%s but %d layer%s pruned (%s): give one filter count "
                     "per layer, e.g. --target %s", n, n == 1 ? "" : "s", n_units,
                     n_units == 1 ? " is" : "s are", unit_list, n_units == 1 ? "8" : "8-16-…");
      return FALSE;
    }
  values = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      gint64 v;
      if (!g_ascii_string_to_signed (fields[i], 10, 0, G_MAXINT, &v, NULL))
        {
          g_autofree char *what = by_stage && n != n_units
                                  ? g_strdup_printf ("stage %d", i + 1) : g_strdup (units[i]);
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "--target field %d (“%s”, for %s) is not a filter count", i + 1,
                       fields[i], what);
          return FALSE;
        }
      values[i] = (int) v;
    }
  for (int u = 0; u < n_units; u++)
    targets[u] = n == n_units ? values[u] : values[stages[u]];
  return TRUE;
}

typedef struct {
  SsRelevancePruneProgressFunc func;
  gpointer                     user_data;
  int                          round, rounds;
} Reporter;

static void
report (const Reporter              *rep,
        SsRelevancePrunePhase        phase,
        const SsTrainProgress       *train,
        const SsRelevancePruneRound *result)
{
  const SsRelevancePruneProgress p = {
    .phase = phase, .round = rep->round, .rounds = rep->rounds, .train = train, .result = result,
  };
  if (rep->func != NULL)
    rep->func (&p, rep->user_data);
}

static void
forward_train_progress (const SsTrainProgress *train,
                        gpointer               user_data)
{
  report (user_data, SS_RELEVANCE_PRUNE_FINETUNING, train, NULL);
}

/* Fills the counts and accuracy of res for net. */
static gboolean
measure (SsRelevancePruneRound *res,
         SsNet                 *net,
         const SsDataset       *test,
         int                    batch,
         GCancellable          *cancellable,
         GError               **error)
{
  const SsArch *arch = ss_net_get_arch (net);

  res->params = ss_arch_total_params (arch);
  res->macs = ss_arch_total_macs (arch);
  res->accuracy = res->loss = NAN;
  return test == NULL ||
         ss_evaluate (net, test, batch, &res->loss, &res->accuracy, cancellable, error);
}

/* Scores every producer of the units' groups on net and plans, for unit u, the removal of its
 * channels with the lowest mean score down to kept[u].  Returns: (transfer full) the plan. */
static SsPrunePlan *
plan_round (SsNet                        *net,
            const SsDataset              *train,
            const SsRelevancePruneConfig *config,
            const char *const            *units,
            const int                    *kept,
            int                           n_units,
            SsRelevancePruneRound        *res,
            GCancellable                 *cancellable,
            GError                      **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  g_autoptr(GArray) groups = ss_prune_groups (arch);
  g_autoptr(GPtrArray) layers = g_ptr_array_new ();
  g_autoptr(GArray) rel = NULL;
  g_autoptr(SsPrunePlan) plan = ss_prune_plan_new (arch);
  g_autofree int *rel_of_node = g_new (int, ss_arch_get_n_nodes (arch));
  SsRelevanceOptions opt = config->relevance;
  const gint64 t0 = g_get_monotonic_time ();

  for (int u = 0; u < n_units; u++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup,
        ss_prune_groups_find (groups, ss_arch_find_node (arch, units[u])));
      for (int p = 0; p < g->n_producers; p++)
        g_ptr_array_add (layers, ss_arch_get_node (arch, g->producers[p])->name);
    }
  g_ptr_array_add (layers, NULL);
  opt.layers = (const char *const *) layers->pdata;
  rel = ss_relevance_compute (net, train, config->criterion, &opt, NULL, NULL, cancellable,
                              error);
  if (rel == NULL)
    return NULL;
  res->relevance_wall = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  for (guint l = 0; l < rel->len; l++)
    {
      const SsLayerRelevance *lr = &g_array_index (rel, SsLayerRelevance, l);
      res->relevance_seconds += lr->seconds;
      rel_of_node[lr->node] = (int) l;
    }

  for (int u = 0; u < n_units; u++)
    {
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup,
        ss_prune_groups_find (groups, ss_arch_find_node (arch, units[u])));
      const int remove = g->n_channels - kept[u];
      g_autofree double *mean = g_new0 (double, g->n_channels);   /* (C) */
      g_autofree int *order = NULL;
      SsLayerRelevance channels = { .n_filters = g->n_channels, .scores = mean };

      if (remove <= 0)
        continue;
      for (int p = 0; p < g->n_producers; p++)
        {
          const SsLayerRelevance *lr = &g_array_index (rel, SsLayerRelevance,
                                                       rel_of_node[g->producers[p]]);
          for (int k = 0; k < g->n_channels; k++)
            mean[k] += lr->scores[k] / g->n_producers;
        }
      order = ss_relevance_rank (&channels);
      if (!ss_prune_plan_remove_filters (plan, units[u], order, remove, error))
        return NULL;
    }
  return g_steal_pointer (&plan);
}

SsNet *
ss_relevance_prune_run (SsNet                         *net,
                        const SsDataset               *train,
                        const SsDataset               *test,
                        const SsRelevancePruneConfig  *config,
                        const char *const             *units,
                        const int                     *targets,
                        int                            n_units,
                        SsRelevancePruneProgressFunc   progress,
                        gpointer                       user_data,
                        GCancellable                  *cancellable,
                        GError                       **error)
{
  g_autoptr(SsNet) owned = NULL;   /* the current network once it is no longer net */
  g_autoptr(GArray) groups = NULL;
  g_autofree int *orig = NULL;     /* (U) n₀ */
  g_autofree int *kept = NULL;     /* (U) */
  SsNet *cur = net;
  Reporter rep = { .func = progress, .user_data = user_data, .rounds = config->rounds };
  SsRelevancePruneRound res;

  g_return_val_if_fail (net != NULL && config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (config->rounds < 1 || config->rounds > 10000 || config->finetune.epochs < 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Pruning needs 1 to 10000 rounds (not %d) and 0 or more fine-tuning epochs "
                   "(not %d)", config->rounds, config->finetune.epochs);
      return NULL;
    }
  if (config->finetune.epochs > 0 && !ss_train_config_validate (&config->finetune, error))
    return NULL;
  if (train == NULL && (config->finetune.epochs > 0 || config->criterion != SS_RELEVANCE_L1))
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "Pruning with fine-tuning or an MI criterion needs training data");
      return NULL;
    }
  if (!ss_relevance_prune_check (ss_net_get_arch (net), units, targets, n_units, error))
    return NULL;

  groups = ss_prune_groups (ss_net_get_arch (net));
  orig = g_new (int, n_units);
  kept = g_new (int, n_units);
  for (int u = 0; u < n_units; u++)
    orig[u] = kept[u] = g_array_index (groups, SsPruneGroup,
      ss_prune_groups_find (groups, ss_arch_find_node (ss_net_get_arch (net), units[u])))
      .n_channels;

  res = (SsRelevancePruneRound) { .n_units = n_units, .kept = kept };
  if (!measure (&res, cur, test, config->finetune.eval_batch_size, cancellable, error))
    return NULL;
  report (&rep, SS_RELEVANCE_PRUNE_ROUND_DONE, NULL, &res);

  for (int r = 1; r <= config->rounds; r++)
    {
      g_autoptr(SsPrunePlan) plan = NULL;
      SsNet *next;
      gint64 t0;

      rep.round = r;
      report (&rep, SS_RELEVANCE_PRUNE_SCORING, NULL, NULL);
      res = (SsRelevancePruneRound) { .round = r, .n_units = n_units, .kept = kept };
      for (int u = 0; u < n_units; u++)
        kept[u] = orig[u] - (int) ((gint64) (orig[u] - targets[u]) * r / config->rounds);
      plan = plan_round (cur, train, config, units, kept, n_units, &res, cancellable, error);
      if (plan == NULL || (next = ss_prune_plan_apply (plan, cur, error)) == NULL)
        return NULL;
      g_clear_pointer (&owned, ss_net_free);
      cur = owned = next;

      t0 = g_get_monotonic_time ();
      if (config->finetune.epochs > 0)
        {
          SsTrainConfig tc = config->finetune;
          tc.seed += (guint64) r;
          if (!ss_train (cur, train, NULL, &tc, forward_train_progress, &rep, cancellable,
                         error))
            return NULL;
        }
      res.finetune_seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      if (!measure (&res, cur, test, config->finetune.eval_batch_size, cancellable, error))
        return NULL;
      report (&rep, SS_RELEVANCE_PRUNE_ROUND_DONE, NULL, &res);
    }
  /* rounds ≥ 1, so owned holds the last round's network, never net itself. */
  return g_steal_pointer (&owned);
}
