/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-freeze.h"

/* Legend: W the window, n epochs so far. See ss-freeze.h for the rule and the units. */

void
ss_freeze_rule_init (SsFreezeRule *rule)
{
  *rule = (SsFreezeRule) { .epsilon = 5e-5, .window = 5, .earliest = 5 };
}

gboolean
ss_freeze_rule_validate (const SsFreezeRule *rule,
                         GError            **error)
{
  const char *bad = NULL;

  g_return_val_if_fail (rule != NULL, FALSE);

  if (!(rule->epsilon > 0 && rule->epsilon < G_MAXFLOAT))
    bad = "--epsilon must be a positive number (the variance threshold; default 5e-5)";
  else if (rule->window < 2 || rule->window > 10000)
    bad = "--window must be between 2 and 10000 epochs (a slope needs two points)";
  else if (rule->earliest < 1 || rule->earliest > 100000)
    bad = "--earliest must be between 1 and 100000 epochs";
  if (bad != NULL)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT, bad);
      return FALSE;
    }
  return TRUE;
}

SsFreezeVerdict
ss_freeze_rule_decide (const SsFreezeRule *rule,
                       const double       *series,
                       int                 n)
{
  const double *s;
  int w;
  double mean = 0, var = 0, cov = 0;

  g_return_val_if_fail (rule != NULL && rule->window >= 2, SS_FREEZE_TOO_EARLY);
  g_return_val_if_fail (series != NULL || n == 0, SS_FREEZE_TOO_EARLY);

  w = rule->window;
  if (n < MAX (rule->earliest, w))
    return SS_FREEZE_TOO_EARLY;
  s = series + (n - w);
  for (int i = 0; i < w; i++)
    {
      if (!isfinite (s[i]))
        return SS_FREEZE_UNDEFINED;
      mean += s[i];
    }
  mean /= w;
  /* The slope's sign is that of Σ (i − ī)(s_i − s̄), its denominator being positive; with
   * 2(i − ī) = 2i − (W − 1) the weights are exact integers. */
  for (int i = 0; i < w; i++)
    {
      double d = s[i] - mean;
      var += d * d;
      cov += (double) (2 * i - (w - 1)) * d;
    }
  var /= w;
  if (!(var < rule->epsilon))
    return SS_FREEZE_VARIES;
  if (cov > 0)
    return SS_FREEZE_RISING;
  return SS_FREEZE_YES;
}

const char *
ss_freeze_verdict_name (SsFreezeVerdict verdict)
{
  switch (verdict)
    {
    case SS_FREEZE_TOO_EARLY:
      return "too early";
    case SS_FREEZE_UNDEFINED:
      return "undefined";
    case SS_FREEZE_VARIES:
      return "varies";
    case SS_FREEZE_RISING:
      return "rising";
    case SS_FREEZE_YES:
      return "freeze";
    default:
      return "?";
    }
}

gboolean
ss_freeze_unit_of (const SsArch *arch,
                   int           node,
                   int          *bn)
{
  const SsNode *nd;

  g_return_val_if_fail (arch != NULL, FALSE);
  g_return_val_if_fail (node >= 0 && node < ss_arch_get_n_nodes (arch), FALSE);

  if (bn != NULL)
    *bn = -1;
  nd = ss_arch_get_node (arch, node);
  if (nd->op != SS_OP_CONV || nd->h * nd->w <= 1)
    return FALSE;
  for (int i = node + 1; i < ss_arch_get_n_nodes (arch) && bn != NULL; i++)
    {
      const SsNode *later = ss_arch_get_node (arch, i);
      if (later->op == SS_OP_BATCHNORM && later->inputs[0] == node)
        {
          *bn = i;
          break;
        }
    }
  return TRUE;
}

void
ss_freeze_unit (SsNet *net,
                int    node)
{
  int bn;

  g_return_if_fail (net != NULL);
  g_return_if_fail (ss_freeze_unit_of (ss_net_get_arch (net), node, &bn));

  ss_net_set_frozen (net, node, TRUE);
  if (bn >= 0)
    ss_net_set_frozen (net, bn, TRUE);
}

struct _SsFreezer {
  SsFreezeRule rule;
  int          n_nodes;
  gboolean    *freezable;     /* (n_nodes) */
  GArray     **series;        /* (n_nodes) of double, one entry per epoch; NULL if not freezable */
  int         *frozen_after;  /* (n_nodes) epochs, 0 while training */
  int          n_epochs;
};

SsFreezer *
ss_freezer_new (const SsArch       *arch,
                const SsFreezeRule *rule)
{
  SsFreezer *f;

  g_return_val_if_fail (arch != NULL && rule != NULL, NULL);
  g_return_val_if_fail (ss_freeze_rule_validate (rule, NULL), NULL);

  f = g_new0 (SsFreezer, 1);
  f->rule = *rule;
  f->n_nodes = ss_arch_get_n_nodes (arch);
  f->freezable = g_new0 (gboolean, f->n_nodes);
  f->series = g_new0 (GArray *, f->n_nodes);
  f->frozen_after = g_new0 (int, f->n_nodes);
  for (int i = 0; i < f->n_nodes; i++)
    if ((f->freezable[i] = ss_freeze_unit_of (arch, i, NULL)))
      f->series[i] = g_array_new (FALSE, FALSE, sizeof (double));
  return f;
}

void
ss_freezer_free (SsFreezer *f)
{
  if (f == NULL)
    return;
  for (int i = 0; i < f->n_nodes; i++)
    if (f->series[i] != NULL)
      g_array_unref (f->series[i]);
  g_free (f->series);
  g_free (f->freezable);
  g_free (f->frozen_after);
  g_free (f);
}

int
ss_freezer_update (SsFreezer       *f,
                   SsNet           *net,
                   const double    *saliency,
                   SsFreezeVerdict *verdicts)
{
  int frozen = 0;

  g_return_val_if_fail (f != NULL && net != NULL && saliency != NULL, 0);
  g_return_val_if_fail (ss_arch_get_n_nodes (ss_net_get_arch (net)) == f->n_nodes, 0);

  f->n_epochs++;
  for (int i = 0; i < f->n_nodes; i++)
    {
      SsFreezeVerdict v = SS_FREEZE_TOO_EARLY;
      if (f->freezable[i])
        {
          g_array_append_val (f->series[i], saliency[i]);
          /* A frozen unit's entropy is still recorded: its map keeps moving with the layers
           * around it. */
          v = f->frozen_after[i] > 0
            ? SS_FREEZE_YES
            : ss_freeze_rule_decide (&f->rule, (const double *) f->series[i]->data,
                                     (int) f->series[i]->len);
          if (v == SS_FREEZE_YES && f->frozen_after[i] == 0)
            {
              ss_freeze_unit (net, i);
              f->frozen_after[i] = f->n_epochs;
              frozen++;
            }
        }
      if (verdicts != NULL)
        verdicts[i] = v;
    }
  return frozen;
}

int
ss_freezer_get_n_epochs (const SsFreezer *f)
{
  g_return_val_if_fail (f != NULL, 0);
  return f->n_epochs;
}

int
ss_freezer_get_frozen_after (const SsFreezer *f,
                             int              node)
{
  g_return_val_if_fail (f != NULL && node >= 0 && node < f->n_nodes, 0);
  return f->frozen_after[node];
}
