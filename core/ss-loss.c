/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Softmax cross-entropy, as torch.nn.CrossEntropyLoss (mean reduction).
 *
 * Legend: N batch, K classes. logits and probs are float32 (N, K), row-major; labels (N).
 * Each row is shifted by its maximum and summed in double (log-sum-exp), so large logits
 * neither overflow nor lose the small terms.
 */

#include <math.h>

#include "ss-loss.h"

double
ss_softmax_xent_forward (float         *probs,
                         const float   *logits,
                         const SsLabel *labels,
                         int            n,
                         int            k,
                         int           *n_correct)
{
  /* probs (N, K); logits (N, K); labels (N) */
  double loss = 0;
  int correct = 0;

  g_return_val_if_fail (probs != NULL && logits != NULL && labels != NULL, NAN);
  g_return_val_if_fail (n > 0 && k > 0, NAN);

  for (int r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * k;
      float *q = probs + (gsize) r * k;
      int best = 0;
      double sum = 0, log_sum;

      g_return_val_if_fail (labels[r] < k, NAN);
      for (int j = 1; j < k; j++)
        if (z[j] > z[best])
          best = j;
      for (int j = 0; j < k; j++)
        sum += exp ((double) z[j] - z[best]);
      log_sum = log (sum);
      for (int j = 0; j < k; j++)
        q[j] = (float) exp ((double) z[j] - z[best] - log_sum);
      /* -log softmax(z)[label] = log Σ exp(z - max) - (z[label] - max) */
      loss += log_sum - ((double) z[labels[r]] - z[best]);
      correct += best == labels[r];
    }
  if (n_correct != NULL)
    *n_correct = correct;
  return loss / n;
}

void
ss_softmax_xent_backward (float         *dlogits,
                          const float   *probs,
                          const SsLabel *labels,
                          int            n,
                          int            k,
                          float          scale)
{
  /* dlogits (N, K); probs (N, K); labels (N) */
  g_return_if_fail (dlogits != NULL && probs != NULL && labels != NULL);
  g_return_if_fail (n > 0 && k > 0);

  for (int r = 0; r < n; r++)
    {
      const float *q = probs + (gsize) r * k;
      float *g = dlogits + (gsize) r * k;
      for (int j = 0; j < k; j++)
        g[j] = (q[j] - (j == labels[r] ? 1.f : 0.f)) * scale;
    }
}
