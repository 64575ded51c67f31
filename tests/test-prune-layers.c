/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-prune-layers.h"
#include "ss-test-util.h"

/* Greedy semiotic layer removal (ss-prune-layers.c): the candidate rule on synthetic entropies,
 * and the job on a small slice of Fashion-MNIST. Legend: N samples. */

typedef struct {
  const char *what;
  int         n;
  double      entropy[6];
  gint64      params[6];
  gboolean    allowed[6];
  gboolean    candidates[6];
  int         chosen;
} ChooseCase;

static const ChooseCase choose_cases[] = {
  { "equal-entropy-counts-tie-goes-deep", 5, { 0.9, 0.8, 0.85, 0.85, 0.7 },
    { 10, 20, 30, 30, 5 }, { FALSE, FALSE, TRUE, TRUE, TRUE },
    { FALSE, FALSE, TRUE, TRUE, FALSE }, 3 },
  { "largest-beats-deeper", 3, { 0.1, 0.2, 0.3 }, { 1, 50, 10 }, { FALSE, TRUE, TRUE },
    { FALSE, TRUE, TRUE }, 1 },
  /* Layer 1 rises but is in the stem; layer 2 falls. */
  { "stem-never", 3, { 0.5, 0.6, 0.4 }, { 1, 100, 1 }, { FALSE, FALSE, TRUE },
    { FALSE, FALSE, FALSE }, -1 },
  { "undefined-entropy", 4, { 0.5, NAN, 0.7, 0.8 }, { 1, 1, 1, 1 }, { TRUE, TRUE, TRUE, TRUE },
    { FALSE, FALSE, FALSE, TRUE }, 3 },
  /* The first layer has no layer before it. */
  { "first-never", 2, { 0.5, 0.1 }, { 100, 1 }, { TRUE, TRUE }, { FALSE, FALSE }, -1 },
  { "empty", 0, { 0 }, { 0 }, { 0 }, { 0 }, -1 },
};

static void
test_choose (gconstpointer data)
{
  const ChooseCase *cc = data;
  gboolean cand[6];

  g_test_summary ("Candidates are the allowed conv layers whose saliency entropy does not "
                  "decrease against the conv before; the largest goes, the deepest on ties.");
  memset (cand, 0xff, sizeof cand);
  g_assert_cmpint (ss_prune_layers_choose (cc->n, cc->entropy, cc->params, cc->allowed, cand),
                   ==, cc->chosen);
  for (int i = 0; i < cc->n; i++)
    g_assert_cmpint (cand[i], ==, cc->candidates[i]);
  g_assert_cmpint (ss_prune_layers_choose (cc->n, cc->entropy, cc->params, cc->allowed, NULL),
                   ==, cc->chosen);
}

static SsNet *
fmnist_vgg (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  g_assert_no_error (error);
  return ss_net_new (arch, 1);
}

static void
small_config (SsPruneLayersConfig *config)
{
  ss_prune_layers_config_init (config);
  config->epochs = 1;
  config->retrain_epochs = 1;
  config->train.batch_size = 32;
  config->train.schedule.lr = 0.02;
  config->profile.n_samples = 8;
}

/* Entropies that rise with depth, so every conv layer after the first pooling is a candidate and
 * the order of removals is fixed by size alone. */
static gboolean
rising_entropy (SsNet         *net,
                const int     *conv_nodes,
                int            n,
                double        *entropy,
                gpointer       user_data,
                GCancellable  *cancellable,
                GError       **error)
{
  for (int i = 0; i < n; i++)
    entropy[i] = conv_nodes[i];
  return TRUE;
}

typedef struct {
  int  epoch_ends;
  int  profiles;
  int  steps_seen;
  int  cancel_at_step;           /* cancel at this step's first training batch; 0: never */
  GCancellable *cancellable;
} Seen;

static void
on_progress (const SsPruneLayersProgress *p,
             gpointer                     user_data)
{
  Seen *seen = user_data;
  switch (p->phase)
    {
    case SS_PRUNE_LAYERS_TRAINING:
      g_assert_nonnull (p->train);
      seen->epoch_ends += p->train->epoch_done;
      if (seen->cancel_at_step > 0 && p->step == seen->cancel_at_step)
        g_cancellable_cancel (seen->cancellable);
      break;
    case SS_PRUNE_LAYERS_PROFILING:
      seen->profiles++;
      break;
    case SS_PRUNE_LAYERS_STEP_DONE:
      g_assert_nonnull (p->result);
      g_assert_cmpint (p->result->index, ==, seen->steps_seen);
      seen->steps_seen++;
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Checks the rules every report follows and returns the number of steps. */
static int
check_steps (SsPruneLayersJob *job,
             double            tolerance,
             const Seen       *seen)
{
  int n = ss_prune_layers_job_get_n_steps (job);
  const SsPruneLayersStep *s0, *last_kept;

  g_assert_cmpint (n, >=, 1);
  g_assert_cmpint (seen->steps_seen, ==, n);
  g_assert_nonnull (ss_prune_layers_job_get_stop_reason (job));
  g_test_message ("stopped: %s", ss_prune_layers_job_get_stop_reason (job));
  s0 = ss_prune_layers_job_get_step (job, 0);
  g_assert_cmpint (s0->conv_layers, ==, 4);
  g_assert_cmpint (s0->params, ==, 468202);
  g_assert_cmpint (s0->macs, ==, 18691840);
  g_assert_true (s0->accepted);
  g_assert_null (s0->removed);
  g_assert_cmpfloat (s0->accuracy, >, 0.3);
  last_kept = s0;
  for (int i = 1; i < n; i++)
    {
      const SsPruneLayersStep *s = ss_prune_layers_job_get_step (job, i);
      const SsPruneLayersStep *prev = ss_prune_layers_job_get_step (job, i - 1);
      g_test_message ("step %d: removed %s (H %.4f ≥ %.4f), %d convs, %" G_GINT64_FORMAT
                      " params, %" G_GINT64_FORMAT " MACs, accuracy %.2f %% (original %.2f %%)%s",
                      i, s->removed, s->entropy, s->previous_entropy, s->conv_layers, s->params,
                      s->macs, 100 * s->accuracy, 100 * s0->accuracy,
                      s->accepted ? "" : " rejected");
      g_assert_true (prev->accepted);
      /* Never the stem before pool1 in fmnist-vgg. */
      g_assert_true (g_strcmp0 (s->removed, "conv3") == 0 ||
                     g_strcmp0 (s->removed, "conv4") == 0);
      g_assert_true (g_strv_contains ((const char *const *) s->candidates, s->removed));
      g_assert_cmpfloat (s->entropy, >=, s->previous_entropy);
      g_assert_cmpint (s->conv_layers, ==, prev->conv_layers - 1);
      g_assert_cmpint (s->params, <, prev->params);
      g_assert_cmpint (s->macs, <, prev->macs);
      g_assert_cmpint (s->accepted, ==, s->accuracy >= s0->accuracy - tolerance / 100);
      if (s->accepted)
        last_kept = s;
      else
        g_assert_cmpint (i, ==, n - 1);
    }
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (ss_prune_layers_job_get_model (job))),
                   ==, last_kept->params);
  /* One measurement per choice. */
  g_assert_cmpint (seen->profiles, >=, n - 1);
  return n;
}

static void
test_job_removes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 200);
  g_autoptr(SsPruneLayersJob) job = NULL;
  SsPruneLayersConfig config;
  Seen seen = { 0 };
  const SsPruneLayersStep *s1, *s2;

  g_test_summary ("The job removes the largest candidate first, reports each step with fewer "
                  "conv layers, parameters and MACs, and stops when no candidate is left.");
  small_config (&config);
  config.tolerance = 100;
  job = ss_prune_layers_job_new (fmnist_vgg (), train, test, &config);
  ss_prune_layers_job_set_entropy_func (job, rising_entropy, NULL);
  g_assert_true (ss_prune_layers_job_run (job, on_progress, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (check_steps (job, config.tolerance, &seen), ==, 3);
  /* Initial training plus one retraining per removal. */
  g_assert_cmpint (seen.epoch_ends, ==, 3);

  /* By size: conv4 (64·64·9 + 64) before conv3 (64·32·9 + 64); conv1 and conv2 are the stem.
   * Without both: conv1 320, bn1 64, conv2 9248, bn2 64, fc1 1568·128 + 128, fc2 1290. */
  s1 = ss_prune_layers_job_get_step (job, 1);
  g_assert_cmpstr (s1->removed, ==, "conv4");
  g_assert_cmpint (s1->params, ==, 431146);
  g_assert_cmpstr (s1->candidates[0], ==, "conv3");
  g_assert_cmpstr (s1->candidates[1], ==, "conv4");
  g_assert_null (s1->candidates[2]);
  s2 = ss_prune_layers_job_get_step (job, 2);
  g_assert_cmpstr (s2->removed, ==, "conv3");
  g_assert_cmpint (s2->params, ==, 211818);
  g_assert_cmpint (s2->macs, ==, 32 * 784 * 9 + 32 * 784 * 288 + 1568 * 128 + 1280);
  g_assert_cmpstr (s2->reinitialised[0], ==, "fc1");
  g_assert_null (s2->reinitialised[1]);
  g_assert_nonnull (strstr (ss_prune_layers_job_get_stop_reason (job), "no conv layer"));
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (ss_prune_layers_job_get_model (job))),
                   ==, 211818);
}

static void
test_job_rejects (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 200);
  g_autoptr(SsPruneLayersJob) job = NULL;
  g_autoptr(SsNet) net = fmnist_vgg ();
  SsPruneLayersConfig config;
  Seen seen = { 0 };
  const SsPruneLayersStep *s1;

  g_test_summary ("A removal whose accuracy falls more than the tolerance below the original "
                  "is reported as rejected, ends the loop, and leaves the original model.");
  small_config (&config);
  g_assert_true (ss_train (net, train, NULL, &config.train, NULL, NULL, NULL, &error));
  /* Start from the trained net, and retrain so little that conv4's removal shows: a trained
   * fc1 reading conv3's features where conv4's were loses far more than half a point. */
  config.epochs = 0;
  config.train.schedule.lr = 1e-7;
  config.tolerance = 0.5;
  job = ss_prune_layers_job_new (g_steal_pointer (&net), train, test, &config);
  ss_prune_layers_job_set_entropy_func (job, rising_entropy, NULL);
  g_assert_true (ss_prune_layers_job_run (job, on_progress, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (check_steps (job, config.tolerance, &seen), ==, 2);
  s1 = ss_prune_layers_job_get_step (job, 1);
  g_assert_false (s1->accepted);
  g_assert_cmpstr (s1->removed, ==, "conv4");
  g_assert_nonnull (strstr (ss_prune_layers_job_get_stop_reason (job), "below the original"));
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (ss_prune_layers_job_get_model (job))),
                   ==, 468202);
  /* No initial training; one retraining. */
  g_assert_cmpint (seen.epoch_ends, ==, 1);
}

static void
test_job_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 200);
  g_autoptr(SsPruneLayersJob) job = NULL;
  SsPruneLayersConfig config;
  Seen seen = { 0 };
  const char *reason;

  g_test_summary ("With the saliency entropy measured for real, the job runs its first choice "
                  "and removes only a layer whose entropy did not fall.");
  small_config (&config);
  config.tolerance = 100;
  config.max_removals = 1;
  job = ss_prune_layers_job_new (fmnist_vgg (), train, test, &config);
  g_assert_true (ss_prune_layers_job_run (job, on_progress, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seen.profiles, ==, 1);
  reason = ss_prune_layers_job_get_stop_reason (job);
  g_test_message ("stopped: %s", reason);
  if (ss_prune_layers_job_get_n_steps (job) == 2)
    {
      const SsPruneLayersStep *s = ss_prune_layers_job_get_step (job, 1);
      g_assert_true (isfinite (s->entropy) && isfinite (s->previous_entropy));
      g_assert_cmpfloat (s->entropy, >=, s->previous_entropy);
      g_assert_nonnull (strstr (reason, "limit of 1"));
    }
  else
    {
      g_assert_cmpint (ss_prune_layers_job_get_n_steps (job), ==, 1);
      g_assert_nonnull (strstr (reason, "no conv layer"));
    }
}

static void
test_job_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsDataset) train = ss_test_load_fmnist (TRUE, 256);
  g_autoptr(SsDataset) test = ss_test_load_fmnist (FALSE, 100);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SsPruneLayersJob) job = NULL;
  SsPruneLayersConfig config;
  Seen seen = { .cancel_at_step = 1, .cancellable = cancellable };

  g_test_summary ("Cancelled during a retraining, the job keeps the steps done and the last "
                  "accepted model, not the half-trained one.");
  small_config (&config);
  config.tolerance = 100;
  job = ss_prune_layers_job_new (fmnist_vgg (), train, test, &config);
  ss_prune_layers_job_set_entropy_func (job, rising_entropy, NULL);
  g_assert_false (ss_prune_layers_job_run (job, on_progress, &seen, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (ss_prune_layers_job_get_n_steps (job), ==, 1);
  g_assert_cmpint (ss_arch_total_params (ss_net_get_arch (ss_prune_layers_job_get_model (job))),
                   ==, 468202);
}

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  SsPruneLayersConfig config;

  g_test_summary ("Bad settings are rejected with a message naming them.");
  ss_prune_layers_config_init (&config);
  g_assert_cmpint (config.retrain_epochs, ==, 1);
  g_assert_cmpfloat (config.tolerance, ==, 1.0);
  g_assert_true (ss_prune_layers_config_validate (&config, &error));
  config.tolerance = -1;
  g_assert_false (ss_prune_layers_config_validate (&config, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "tolerance"));
  g_clear_error (&error);
  config.tolerance = 1;
  config.retrain_epochs = 0;
  g_assert_false (ss_prune_layers_config_validate (&config, &error));
  g_assert_nonnull (strstr (error->message, "retraining"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (choose_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/prune-layers/choose/%s", choose_cases[i].what);
      g_test_add_data_func (path, &choose_cases[i], test_choose);
    }
  g_test_add_func ("/prune-layers/config", test_config);
  g_test_add_func ("/prune-layers/job/removes", test_job_removes);
  g_test_add_func ("/prune-layers/job/rejects", test_job_rejects);
  g_test_add_func ("/prune-layers/job/cancel", test_job_cancel);
  g_test_add_func ("/prune-layers/job/measured-entropy", test_job_profile);
  return g_test_run ();
}
