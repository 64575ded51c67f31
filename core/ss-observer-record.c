/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-observer-record.h"

void
ss_train_progress_to_run_row (const SsTrainProgress *p,
                              const char            *extra_json,
                              SsRunObservation      *row)
{
  g_return_if_fail (p != NULL && row != NULL);

  *row = (SsRunObservation) {
    .epoch = p->epoch,
    .batch = (gint64) p->batch,
    .epoch_end = p->epoch_done,
    .seconds = p->epoch_seconds,
    .lr = p->lr,
    .train_loss = p->train_loss,
    .train_acc = p->train_acc,
    .test_loss = p->test_loss,   /* NAN mid-epoch */
    .test_acc = p->test_acc,
    .extra_json = extra_json,
  };
}

SsRunLayerPoint *
ss_observation_to_run_row (const SsObservation *obs,
                           SsRunObservation    *row)
{
  const SsTrainProgress *p = ss_observation_get_progress (obs);
  const int n = ss_observation_get_n_layers (obs);
  SsRunLayerPoint *points = g_new0 (SsRunLayerPoint, MAX (n, 1));

  g_return_val_if_fail (row != NULL, NULL);

  for (int i = 0; i < n; i++)
    {
      const SsLayerProfile *lp = ss_observation_get_layer (obs, i);
      points[i].layer = lp->name;
      points[i].saliency_mean = lp->saliency_mean;
      points[i].saliency_sd = lp->saliency_sd;
      points[i].i_xt = lp->i_xt;
      points[i].i_ty = lp->i_ty;
      points[i].frozen = ss_observation_get_freeze (obs, i)->frozen;
    }
  ss_train_progress_to_run_row (p, NULL, row);
  row->layers = points;
  row->n_layers = (guint) n;
  return points;
}
