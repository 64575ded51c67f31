/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "ss-error.h"
#include "ss-optim.h"

struct _SsSgd {
  SsNet   *net;        /* borrowed */
  double   momentum;
  double   weight_decay;
  gboolean nesterov;
  float   *velocity;   /* same layout as the net's trainable arena */
  gboolean started;
};

SsSgd *
ss_sgd_new (SsNet   *net,
            double   momentum,
            double   weight_decay,
            gboolean nesterov)
{
  SsSgd *sgd;
  gsize len;

  g_return_val_if_fail (net != NULL, NULL);
  g_return_val_if_fail (momentum >= 0 && weight_decay >= 0, NULL);

  sgd = g_new0 (SsSgd, 1);
  sgd->net = net;
  sgd->momentum = momentum;
  sgd->weight_decay = weight_decay;
  sgd->nesterov = nesterov;
  ss_net_get_arena (net, &len);
  sgd->velocity = g_new0 (float, MAX (len, 1));
  return sgd;
}

void
ss_sgd_free (SsSgd *sgd)
{
  if (sgd == NULL)
    return;
  g_free (sgd->velocity);
  g_free (sgd);
}

void
ss_sgd_step (SsSgd *sgd,
             double lr)
{
  gsize arena_len;
  float *arena = ss_net_get_arena (sgd->net, &arena_len);
  const float mu = (float) sgd->momentum, wd = (float) sgd->weight_decay, flr = (float) lr;

  for (int p = 0; p < ss_net_get_n_params (sgd->net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (sgd->net, p);
      float *w, *dw, *v;

      if (!info->trainable || ss_net_get_frozen (sgd->net, info->node))
        continue;
      w = ss_net_get_param (sgd->net, p);
      dw = ss_net_get_param_grad (sgd->net, p);
      v = sgd->velocity + (w - arena);
      for (gsize k = 0; k < info->len; k++)
        {
          float g = dw[k] + wd * w[k];
          float step = g;
          if (mu != 0.f)
            {
              v[k] = sgd->started ? mu * v[k] + g : g;
              step = sgd->nesterov ? g + mu * v[k] : v[k];
            }
          w[k] -= flr * step;
        }
    }
  sgd->started = TRUE;
}

double
ss_schedule_lr (const SsSchedule *s,
                double            t)
{
  switch (s->kind)
    {
    case SS_SCHEDULE_STEP:
      {
        double lr = s->lr;
        for (int i = 0; i < s->n_milestones; i++)
          if (t >= s->milestones[i])
            lr *= s->gamma;
        return lr;
      }
    case SS_SCHEDULE_COSINE:
      if (s->epochs <= 0)
        return s->lr;
      return s->lr_min + (s->lr - s->lr_min) * (1 + cos (G_PI * MIN (t, s->epochs) /
                                                          s->epochs)) / 2;
    case SS_SCHEDULE_CONSTANT:
    default:
      return s->lr;
    }
}

gboolean
ss_schedule_parse (SsSchedule *s,
                   const char *text,
                   int         epochs,
                   GError    **error)
{
  g_return_val_if_fail (s != NULL && text != NULL, FALSE);

  s->epochs = epochs;
  s->gamma = 0.1;
  s->n_milestones = 0;
  s->lr_min = 0;
  if (g_str_equal (text, "constant"))
    s->kind = SS_SCHEDULE_CONSTANT;
  else if (g_str_equal (text, "cosine"))
    s->kind = SS_SCHEDULE_COSINE;
  else if (g_str_equal (text, "step"))
    {
      s->kind = SS_SCHEDULE_STEP;
      s->milestones[0] = epochs / 2;
      s->milestones[1] = epochs * 3 / 4;
      s->n_milestones = s->milestones[1] > s->milestones[0] ? 2 : 1;
    }
  else if (g_str_has_prefix (text, "step:"))
    {
      g_auto(GStrv) parts = g_strsplit (text + 5, "@", 2);
      g_auto(GStrv) marks = g_strsplit (parts[0], ",", -1);
      s->kind = SS_SCHEDULE_STEP;
      for (int i = 0; marks[i] != NULL; i++)
        {
          gint64 m;
          if (i >= SS_MAX_MILESTONES ||
              !g_ascii_string_to_signed (marks[i], 10, 1, G_MAXINT, &m, NULL) ||
              (i > 0 && m <= s->milestones[i - 1]))
            {
              g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "schedule “%s”: milestones must be up to %d increasing epoch numbers, "
                           "as in step:30,60@0.1", text, SS_MAX_MILESTONES);
              return FALSE;
            }
          s->milestones[i] = (int) m;
          s->n_milestones = i + 1;
        }
      if (parts[1] != NULL)
        {
          char *end = NULL;
          s->gamma = g_ascii_strtod (parts[1], &end);
          if (end == parts[1] || *end != '\0' || !(s->gamma > 0 && s->gamma <= 1))
            {
              g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                           "schedule “%s”: gamma must be a number in (0, 1]", text);
              return FALSE;
            }
        }
    }
  else
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "unknown schedule “%s”; use constant, cosine, step or step:M1,M2@GAMMA", text);
      return FALSE;
    }
  return TRUE;
}
