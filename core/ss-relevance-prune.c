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
