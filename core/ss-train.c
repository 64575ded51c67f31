/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-error.h"
#include "ss-loss.h"
#include "ss-train.h"

/* Legend: B batch, K classes, (C, H, W) one sample. */

void
ss_train_config_init (SsTrainConfig *config)
{
  *config = (SsTrainConfig) {
    .epochs = 3,
    .batch_size = 64,
    .schedule = { .kind = SS_SCHEDULE_COSINE, .lr = 0.05, .gamma = 0.1, .epochs = 3 },
    .momentum = 0.9,
    .weight_decay = 5e-4,
    .nesterov = FALSE,
    .augment = FALSE,
    .seed = 1,
    .eval_batch_size = 256,
  };
}

gboolean
ss_train_config_validate (const SsTrainConfig *c,
                          GError             **error)
{
  const char *bad = NULL;

  if (c->epochs < 1 || c->epochs > 100000)
    bad = "--epochs must be between 1 and 100000";
  else if (c->batch_size < 2 || c->batch_size > 65536)
    bad = "--batch must be between 2 and 65536 (batch norm needs two samples)";
  else if (c->eval_batch_size < 1 || c->eval_batch_size > 65536)
    bad = "the evaluation batch must be between 1 and 65536";
  else if (!(c->schedule.lr > 0 && c->schedule.lr < 100))
    bad = "--lr must be a positive number below 100";
  else if (!(c->momentum >= 0 && c->momentum < 1))
    bad = "--momentum must be in [0, 1)";
  else if (!(c->weight_decay >= 0 && c->weight_decay < 1))
    bad = "--weight-decay must be in [0, 1)";
  else if (c->nesterov && c->momentum == 0)
    bad = "Nesterov momentum needs --momentum above 0";
  if (bad != NULL)
    {
      g_set_error_literal (error, SS_ERROR, SS_ERROR_ARGUMENT, bad);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_check_data_fits (const SsNet     *net,
                    const SsDataset *ds,
                    GError         **error)
{
  const SsArch *arch = ss_net_get_arch (net);
  int c, h, w;

  ss_arch_get_input (arch, &c, &h, &w);
  if (ss_dataset_get_channels (ds) != c || ss_dataset_get_height (ds) != h ||
      ss_dataset_get_width (ds) != w)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                   "the model “%s” takes %d×%d×%d inputs, but %s has %d×%d×%d images",
                   ss_arch_get_name (arch), c, h, w, ss_dataset_get_name (ds),
                   ss_dataset_get_channels (ds), ss_dataset_get_height (ds),
                   ss_dataset_get_width (ds));
      return FALSE;
    }
  if (ss_dataset_get_n_classes (ds) != ss_arch_get_n_classes (arch))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE, "the model “%s” has %d classes, %s has %d",
                   ss_arch_get_name (arch), ss_arch_get_n_classes (arch),
                   ss_dataset_get_name (ds), ss_dataset_get_n_classes (ds));
      return FALSE;
    }
  return TRUE;
}

static gsize
sample_len (const SsDataset *ds)
{
  return (gsize) ss_dataset_get_channels (ds) * ss_dataset_get_height (ds) *
         ss_dataset_get_width (ds);
}

gboolean
ss_evaluate (SsNet           *net,
             const SsDataset *ds,
             int              batch_size,
             double          *loss,
             double          *accuracy,
             GCancellable    *cancellable,
             GError         **error)
{
  gsize n = ss_dataset_get_size (ds);
  int k = ss_arch_get_n_classes (ss_net_get_arch (net));
  g_autofree float *x = NULL;     /* (B, C, H, W) */
  g_autofree float *probs = NULL; /* (B, K) */
  g_autofree SsLabel *y = NULL;   /* (B) */
  g_autofree guint32 *idx = NULL; /* (B) */
  double total_loss = 0;
  gsize correct = 0;

  g_return_val_if_fail (batch_size > 0, FALSE);
  if (!ss_check_data_fits (net, ds, error))
    return FALSE;

  x = g_new (float, (gsize) batch_size * sample_len (ds));
  probs = g_new (float, (gsize) batch_size * k);
  y = g_new (SsLabel, batch_size);
  idx = g_new (guint32, batch_size);
  for (gsize start = 0; start < n; start += (gsize) batch_size)
    {
      int b = (int) MIN ((gsize) batch_size, n - start);
      int n_correct;
      const float *logits;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (int i = 0; i < b; i++)
        idx[i] = (guint32) (start + (gsize) i);
      ss_dataset_fill_batch (ds, x, y, idx, b, FALSE, NULL);
      logits = ss_net_predict (net, x, b);
      total_loss += ss_softmax_xent_forward (probs, logits, y, b, k, &n_correct) * b;
      correct += (gsize) n_correct;
    }
  if (loss != NULL)
    *loss = total_loss / (double) n;
  if (accuracy != NULL)
    *accuracy = (double) correct / (double) n;
  return TRUE;
}

/* Runs the hook, if any, and adds its wall time to p->hook_seconds. */
static gboolean
run_hook (const SsTrainHooks *hooks,
          SsNet              *net,
          SsTrainProgress    *p,
          GError            **error)
{
  gint64 start;
  gboolean ok;

  if (hooks == NULL || hooks->hook == NULL)
    return TRUE;
  start = g_get_monotonic_time ();
  ok = hooks->hook (net, p, hooks->hook_data, error);
  p->hook_seconds += (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  return ok;
}

gboolean
ss_train (SsNet               *net,
          const SsDataset     *train,
          const SsDataset     *test,
          const SsTrainConfig *config,
          SsTrainProgressFunc  progress,
          gpointer             user_data,
          GCancellable        *cancellable,
          GError             **error)
{
  SsTrainHooks hooks = { .progress = progress, .progress_data = user_data };
  return ss_train_with_hooks (net, train, test, config, &hooks, cancellable, error);
}

gboolean
ss_train_with_hooks (SsNet               *net,
                     const SsDataset     *train,
                     const SsDataset     *test,
                     const SsTrainConfig *config,
                     const SsTrainHooks  *hooks,
                     GCancellable        *cancellable,
                     GError             **error)
{
  gsize n = ss_dataset_get_size (train);
  int k = ss_arch_get_n_classes (ss_net_get_arch (net));
  int bs = config->batch_size;
  int every = hooks != NULL && hooks->hook != NULL ? hooks->hook_every : 0;
  SsTrainProgressFunc progress = hooks != NULL ? hooks->progress : NULL;
  gpointer user_data = hooks != NULL ? hooks->progress_data : NULL;
  g_autoptr(SsSgd) sgd = NULL;
  g_autofree float *x = NULL;        /* (B, C, H, W) */
  g_autofree float *probs = NULL;    /* (B, K) */
  g_autofree float *dlogits = NULL;  /* (B, K) */
  g_autofree SsLabel *y = NULL;      /* (B) */
  g_autofree guint32 *order = NULL;  /* (n) */
  SsRng shuffle_rng, augment_rng, dropout_rng, root;
  gint64 run_start = g_get_monotonic_time ();
  gsize n_batches;

  g_return_val_if_fail (net != NULL && train != NULL && config != NULL, FALSE);
  g_return_val_if_fail (every >= 0, FALSE);

  if (!ss_train_config_validate (config, error) || !ss_check_data_fits (net, train, error) ||
      (test != NULL && !ss_check_data_fits (net, test, error)))
    return FALSE;
  if (n < 2)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s has too few samples to train on",
                   ss_dataset_get_name (train));
      return FALSE;
    }

  /* Independent streams, so changing the augmentation does not change the shuffling. */
  ss_rng_seed (&root, config->seed);
  ss_rng_split (&shuffle_rng, &root);
  ss_rng_split (&augment_rng, &root);
  ss_rng_split (&dropout_rng, &root);

  sgd = ss_sgd_new (net, config->momentum, config->weight_decay, config->nesterov);
  x = g_new (float, (gsize) bs * sample_len (train));
  probs = g_new (float, (gsize) bs * k);
  dlogits = g_new (float, (gsize) bs * k);
  y = g_new (SsLabel, bs);
  order = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    order[i] = (guint32) i;
  /* A last batch of one sample would have no batch statistics: it is dropped, as PyTorch users
   * do with drop_last in that case. */
  n_batches = n / (gsize) bs + (n % (gsize) bs > 1);

  for (int epoch = 0; epoch < config->epochs; epoch++)
    {
      SsTrainProgress p = {
        .epoch = epoch, .epochs = config->epochs, .n_batches = n_batches,
        .test_loss = NAN, .test_acc = NAN,
      };
      gint64 epoch_start = g_get_monotonic_time ();
      double loss_sum = 0;
      gsize correct = 0, seen = 0;

      ss_rng_shuffle (&shuffle_rng, order, n);
      for (gsize b = 0; b < n_batches; b++)
        {
          int nb = (int) MIN ((gsize) bs, n - b * (gsize) bs);
          const float *logits;
          double loss;
          int n_correct;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          p.lr = ss_schedule_lr (&config->schedule, epoch + (double) b / (double) n_batches);
          ss_dataset_fill_batch (train, x, y, order + b * (gsize) bs, nb, config->augment,
                                 &augment_rng);
          ss_net_zero_grad (net);
          logits = ss_net_forward (net, x, nb, SS_MODE_TRAIN, &dropout_rng);
          loss = ss_softmax_xent_forward (probs, logits, y, nb, k, &n_correct);
          if (!isfinite (loss))
            {
              g_set_error (error, SS_ERROR, SS_ERROR_DIVERGED,
                           "training diverged at epoch %d, batch %" G_GSIZE_FORMAT ": the loss "
                           "is %s; try a lower learning rate (now %g)", epoch + 1, b + 1,
                           isnan (loss) ? "NaN" : "infinite", p.lr);
              return FALSE;
            }
          ss_softmax_xent_backward (dlogits, probs, y, nb, k, 1.f / (float) nb);
          ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS);
          ss_sgd_step (sgd, p.lr);

          loss_sum += loss * nb;
          correct += (gsize) n_correct;
          seen += (gsize) nb;
          p.batch = b + 1;
          p.train_loss = loss_sum / (double) seen;
          p.train_acc = (double) correct / (double) seen;
          p.epoch_seconds = (double) (g_get_monotonic_time () - epoch_start) / G_USEC_PER_SEC
                            - p.hook_seconds;
          if (progress != NULL)
            {
              double run_secs = (double) (g_get_monotonic_time () - run_start) / G_USEC_PER_SEC;
              double done = epoch + (double) (b + 1) / (double) n_batches;
              p.images_per_s = p.epoch_seconds > 0 ? (double) seen / p.epoch_seconds : 0;
              p.eta_seconds = run_secs / done * (config->epochs - done);
              progress (&p, user_data);
            }
          if (every > 0 && (b + 1) % (gsize) every == 0 && b + 1 < n_batches &&
              !run_hook (hooks, net, &p, error))
            return FALSE;
        }
      p.epoch_seconds = (double) (g_get_monotonic_time () - epoch_start) / G_USEC_PER_SEC
                        - p.hook_seconds;
      p.images_per_s = p.epoch_seconds > 0 ? (double) seen / p.epoch_seconds : 0;
      p.train_loss = loss_sum / (double) seen;
      p.train_acc = (double) correct / (double) seen;
      p.batch = n_batches;
      if (test != NULL &&
          !ss_evaluate (net, test, config->eval_batch_size, &p.test_loss, &p.test_acc,
                        cancellable, error))
        return FALSE;
      p.epoch_done = TRUE;
      if (!run_hook (hooks, net, &p, error))
        return FALSE;
      if (progress != NULL)
        {
          double run_secs = (double) (g_get_monotonic_time () - run_start) / G_USEC_PER_SEC;
          p.eta_seconds = run_secs / (epoch + 1) * (config->epochs - epoch - 1);
          progress (&p, user_data);
        }
    }
  return TRUE;
}
