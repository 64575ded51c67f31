/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The AMC environment's structure (core/ss-amc.h): every episode meets the MACs budget, the
 * state features, the errors; and the least-squares refit (core/ss-lsq.h) on synthetic data.
 * The data-driven parts (refit in the network, rewards, the search) are in test-amc-search.c.
 *
 * Legend: L steps, S state features, N rows, D features, O outputs, M kept features. */

#include <math.h>
#include <string.h>

#include "ss-amc.h"
#include "ss-error.h"
#include "ss-lsq.h"
#include "ss-rng.h"
#include "ss-test-util.h"

/* ---- the MACs budget ---------------------------------------------------------------------- */

typedef struct {
  const char *arch;
  int         c, h, w;
  int         steps;      /* prunable groups */
  double      least_r8;   /* share of MACs left at lbound 0.2 with channels rounded to 8 */
} BudgetCase;

static const BudgetCase budget_cases[] = {
  { "fmnist-vgg", 1, 28, 28, 4, 0.0689 },
  { "vgg11", 3, 32, 32, 8, 0.0500 },
  { "resnet20", 3, 32, 32, 12, 0.1343 },
};

static void
assert_state_in_range (const float *state)
{
  for (int f = 0; f < SS_AMC_STATE_DIM; f++)
    if (!(state[f] >= 0.0f && state[f] <= 1.0f))
      g_error ("state feature %d is %g, outside [0, 1]", f, state[f]);
}

/* One episode of actions (L, or all equal to *actions when constant); checks every state and
 * the MACs against the budget and against the pruned architecture's count. Returns the MACs. */
static gint64
run_episode (SsAmcEnv     *env,
             const double *actions,
             gboolean      constant)
{
  const int n = ss_amc_env_get_n_steps (env);
  const double keep = ss_amc_env_get_options (env)->keep_macs;
  const gint64 orig = ss_amc_env_get_original_macs (env);
  float state[SS_AMC_STATE_DIM], next[SS_AMC_STATE_DIM];
  g_autoptr(SsPrunePlan) plan = NULL;
  g_autoptr(SsArch) pruned = NULL;
  gint64 macs;

  ss_amc_env_reset (env, state);
  assert_state_in_range (state);
  g_assert_cmpint (ss_amc_env_get_macs (env), ==, orig);
  for (int t = 0; t < n; t++)
    {
      g_autoptr(GError) error = NULL;
      double ratio;
      g_assert_cmpint (ss_amc_env_get_step (env), ==, t);
      g_assert_true (ss_amc_env_step (env, actions[constant ? 0 : t], next, &ratio, &error));
      g_assert_no_error (error);
      assert_state_in_range (next);
      g_assert_cmpint (ss_amc_env_get_kept (env)[t], >=, ss_amc_env_get_step_min_kept (env, t));
      g_assert_cmpfloat (ratio, ==, (double) ss_amc_env_get_kept (env)[t]
                                    / ss_amc_env_get_step_channels (env, t));
      /* The next state's previous action is the ratio applied (AMC's strategy[-1]). */
      if (t + 1 < n)
        g_assert_cmpfloat (next[SS_AMC_STATE_DIM - 1], ==, (float) ratio);
    }
  macs = ss_amc_env_get_macs (env);
  g_assert_cmpfloat ((double) macs, <=, keep * (double) orig);
  plan = ss_amc_env_build_plan (env);
  pruned = ss_prune_plan_build_arch (plan);
  g_assert_cmpint (ss_arch_total_macs (pruned), ==, macs);
  for (int t = 0; t < n; t++)
    g_assert_cmpint (ss_prune_plan_get_n_kept (plan, ss_amc_env_get_step_layer (env, t)), ==,
                     ss_amc_env_get_kept (env)[t]);
  return macs;
}

static void
test_budget (gconstpointer data)
{
  const BudgetCase *bc = data;
  const double targets[] = { 0.5, 0.2, 0.1 };
  const int rounds[] = { 1, 8 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin (bc->arch, bc->c, bc->h, bc->w, 10, &error);
  g_autoptr(SsNet) net = NULL;
  SsRng rng;

  g_test_summary ("Every episode keeps at most the target share of MACs (50, 20, 10 %), with "
                  "random actions, all 1.0 and all 0.0, with channels not rounded (the default) "
                  "and rounded to 8 (AMC's), where a target below what the lower bounds leave "
                  "is refused; the environment's count equals the pruned architecture's; every "
                  "state feature is in [0, 1]; all-0 actions keep each group at its lower "
                  "bound.");
  g_assert_no_error (error);
  net = ss_net_new (arch, 1);
  ss_rng_seed (&rng, 7);
  for (gsize r = 0; r < G_N_ELEMENTS (rounds); r++)
    for (gsize k = 0; k < G_N_ELEMENTS (targets); k++)
      {
        g_autoptr(SsAmcEnv) env = NULL;
        SsAmcOptions opt;
        double one = 1.0, zero = 0.0, actions[64];
        gint64 macs_one;

        ss_amc_options_init (&opt);
        opt.keep_macs = targets[k];
        opt.channel_round = rounds[r];
        env = ss_amc_env_new (net, &opt, &error);
        if (rounds[r] == 8 && targets[k] < bc->least_r8)
          {
            g_autofree char *share = g_strdup_printf ("%.2f%%", 100 * bc->least_r8);
            g_assert_null (env);
            g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
            g_assert_nonnull (strstr (error->message, "out of reach"));
            g_assert_nonnull (strstr (error->message, share));
            g_clear_error (&error);
            continue;
          }
        g_assert_no_error (error);
        g_assert_cmpint (ss_amc_env_get_n_steps (env), ==, bc->steps);
        g_assert_cmpint (ss_amc_env_get_original_macs (env), ==, ss_arch_total_macs (arch));

        macs_one = run_episode (env, &one, TRUE);
        /* Greedy from the first group on: something is kept beyond the lower bounds. */
        g_assert_cmpint (macs_one, >, 0);
        run_episode (env, &zero, TRUE);
        for (int t = 0; t < bc->steps; t++)
          g_assert_cmpint (ss_amc_env_get_kept (env)[t], ==,
                           ss_amc_env_get_step_min_kept (env, t));
        for (int e = 0; e < 12; e++)
          {
            /* Also outside [lbound, rbound]: the environment clips. */
            for (int t = 0; t < bc->steps; t++)
              actions[t] = -0.25 + 1.5 * ss_rng_uniform (&rng);
            run_episode (env, actions, FALSE);
          }
      }
}

static void
test_keep_all (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  g_autoptr(SsNet) net = ss_net_new (arch, 1);
  g_autoptr(SsAmcEnv) env = NULL;
  SsAmcOptions opt;
  double one = 1.0, half = 0.5;

  g_test_summary ("With the whole budget, action 1 keeps every channel and 0.5 keeps half of "
                  "each group (rounded to 8).");
  ss_amc_options_init (&opt);
  opt.keep_macs = 1.0;
  env = ss_amc_env_new (net, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_episode (env, &one, TRUE), ==, 18691840);
  run_episode (env, &half, TRUE);
  g_assert_cmpint (ss_amc_env_get_kept (env)[0], ==, 16);
  g_assert_cmpint (ss_amc_env_get_kept (env)[1], ==, 16);
  g_assert_cmpint (ss_amc_env_get_kept (env)[2], ==, 32);
  g_assert_cmpint (ss_amc_env_get_kept (env)[3], ==, 32);
  /* conv1 225,792·16/32, conv2 7,225,344/4, conv3 3,612,672/4, conv4 7,225,344/4, fc1
   * 401,408/2, fc2 1,280. */
  g_assert_cmpint (ss_amc_env_get_macs (env), ==, 112896 + 1806336 + 903168 + 1806336
                   + 200704 + 1280);
}

/* ---- state features ----------------------------------------------------------------------- */

static void
test_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  g_autoptr(SsNet) net = ss_net_new (arch, 1);
  g_autoptr(SsAmcEnv) env = ss_amc_env_new (net, NULL, &error);
  const double macs[4] = { 225792, 7225344, 3612672, 7225344 }, total = 18691840;
  const double mac_lo = 225792, mac_hi = 7225344;
  float s[SS_AMC_STATE_DIM], next[SS_AMC_STATE_DIM];
  double ratio;

  g_test_summary ("fmnist-vgg's states: index, out and in channels, input size, stride, kernel "
                  "and layer MACs min-max scaled over the four conv groups (stride and kernel, "
                  "equal everywhere, are 0); MACs reduced so far, MACs to come and the previous "
                  "ratio as AMC defines them.");
  g_assert_no_error (error);
  ss_amc_env_reset (env, s);
  for (int t = 0; t < 4; t++)
    {
      const float want[8] = {
        t / 3.0f,                              /* index 0…3 */
        t < 2 ? 0.0f : 1.0f,                   /* out 32, 32, 64, 64 */
        t == 0 ? 0.0f : t == 3 ? 1.0f : 31.0f / 63.0f,   /* in 1, 32, 32, 64 */
        t < 2 ? 1.0f : 0.0f,                   /* h 28, 28, 14, 14 */
        t < 2 ? 1.0f : 0.0f,                   /* w */
        0.0f, 0.0f,                            /* stride 1, kernel 3 */
        (float) ((macs[t] - mac_lo) / (mac_hi - mac_lo)),
      };
      double rest = 0;
      for (int u = t + 1; u < 4; u++)
        rest += macs[u];
      for (int f = 0; f < 8; f++)
        g_assert_cmpfloat_with_epsilon (s[f], want[f], 1e-6);
      g_assert_cmpfloat_with_epsilon (s[9], rest / total, 1e-6);
      g_assert_true (ss_amc_env_step (env, 0.5, next, &ratio, &error));
      g_assert_no_error (error);
      /* Reduced so far: the decided groups at their counts, the others whole. */
      if (t < 3)
        g_assert_cmpfloat_with_epsilon (next[8], 1.0 - ss_amc_env_get_macs (env) / total,
                                        1e-6);
      memcpy (s, next, sizeof s);
    }
  /* After the last step the state is the last one again. */
  g_assert_cmpfloat (s[0], ==, 1.0f);
}

/* ---- errors -------------------------------------------------------------------------------- */

static SsNet *
net_from_json (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  return ss_net_new (arch, 1);
}

static void
assert_env_fails (SsNet              *net,
                  const SsAmcOptions *opt,
                  const char         *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsAmcEnv) env = ss_amc_env_new (net, opt, &error);
  g_assert_null (env);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, &error);
  g_autoptr(SsNet) net = ss_net_new (arch, 1);
  g_autoptr(SsNet) linear = net_from_json (
    "{\"name\": \"flat\", \"input\": [1, 28, 28], \"classes\": 10, \"layers\": ["
    "{\"type\": \"flatten\"}, {\"type\": \"linear\", \"name\": \"fc\", \"out\": 10}]}");
  g_autoptr(SsNet) logits = net_from_json (
    "{\"name\": \"conv-logits\", \"input\": [1, 28, 28], \"classes\": 10, \"layers\": ["
    "{\"type\": \"conv\", \"name\": \"conv1\", \"out\": 10, \"kernel\": 28}, "
    "{\"type\": \"flatten\"}]}");
  g_autoptr(SsAmcEnv) env = NULL;
  SsAmcOptions opt;

  g_test_summary ("Bad options, a network with nothing to prune and an unreachable target "
                  "fail with SS_ERROR_ARGUMENT and say why.");
  ss_amc_options_init (&opt);
  opt.keep_macs = 0;
  assert_env_fails (net, &opt, "more than 0 and at most 1");
  opt.keep_macs = 1.5;
  assert_env_fails (net, &opt, "more than 0 and at most 1");
  opt.keep_macs = NAN;
  assert_env_fails (net, &opt, "more than 0 and at most 1");
  ss_amc_options_init (&opt);
  opt.lbound = 0.6;
  opt.rbound = 0.5;
  assert_env_fails (net, &opt, "rbound");
  ss_amc_options_init (&opt);
  opt.channel_round = 0;
  assert_env_fails (net, &opt, "channel_round");

  assert_env_fails (linear, NULL, "no conv layer");
  assert_env_fails (logits, NULL, "conv1: its channels are the network's outputs");

  /* At the lower bound 0.2 fmnist-vgg keeps round (0.2·C) = 6, 6, 13, 13 channels: MACs
   * 42,336 + 254,016 + 137,592 + 298,116 + 81,536 (fc1) + 1,280 (fc2) = 814,876 of 18,691,840. */
  ss_amc_options_init (&opt);
  opt.keep_macs = 0.04;
  assert_env_fails (net, &opt, "still has 4.36% of its MACs");
  opt.lbound = 0.05;
  env = ss_amc_env_new (net, &opt, &error);
  g_assert_no_error (error);

  g_assert_false (ss_amc_search (env, NULL, 0, 1, NULL, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "at least one episode"));
}

/* ---- least squares -------------------------------------------------------------------------- */

/* x (N, D) = z (N, R) · b (R, D) + noise·U(−1, 1), all from seed. */
static void
low_rank_rows (double *x,
               int     n,
               int     d,
               int     r,
               double  noise,
               guint64 seed)
{
  g_autofree double *b = g_new (double, (gsize) r * d);
  SsRng rng;

  ss_rng_seed (&rng, seed);
  for (int i = 0; i < r * d; i++)
    b[i] = ss_rng_normal (&rng);
  for (int i = 0; i < n; i++)
    {
      double z[16];
      g_assert (r <= 16);
      for (int k = 0; k < r; k++)
        z[k] = ss_rng_normal (&rng);
      for (int j = 0; j < d; j++)
        {
          double v = noise * (2 * ss_rng_uniform (&rng) - 1);
          for (int k = 0; k < r; k++)
            v += z[k] * b[k * d + j];
          x[(gsize) i * d + j] = v;
        }
    }
}

/* Mean over rows of ‖x_kept·vᵀ − x·wᵀ‖². */
static double
output_error (const double *x,
              int           n,
              int           d,
              const float  *w,
              int           o,
              const int    *kept,
              int           m,
              const float  *v)
{
  double sum = 0;

  for (int i = 0; i < n; i++)
    for (int k = 0; k < o; k++)
      {
        double y = 0, yhat = 0;
        for (int j = 0; j < d; j++)
          y += x[(gsize) i * d + j] * w[k * d + j];
        for (int j = 0; j < m; j++)
          yhat += x[(gsize) i * d + kept[j]] * v[k * m + j];
        sum += (y - yhat) * (y - yhat);
      }
  return sum / n;
}

static void
test_lsq_low_rank (void)
{
  enum { N = 2000, D = 32, R = 8, O = 6, M = 16 };
  g_autofree double *x = g_new (double, N * D);
  g_autoptr(SsLsq) lsq = ss_lsq_new (D);
  g_autoptr(GError) error = NULL;
  g_autofree double *work = g_new (double, ss_lsq_work_size (M, O));
  float w[O * D], refit[O * M], dropped[O * M];
  int kept[M];
  double err_refit, err_drop;

  g_test_summary ("On inputs of rank 8 (plus 1 % noise) in 32 features, keeping 16 features "
                  "and refitting the weights by least squares loses little of the output; "
                  "keeping the old weights of those features loses much more.");
  low_rank_rows (x, N, D, R, 0.01, 3);
  ss_test_fill_uniform (w, O * D, -1, 1, 5);
  /* Added in two chunks: G accumulates. */
  ss_lsq_add_rows (lsq, x, N / 2);
  ss_lsq_add_rows (lsq, x + (gsize) (N / 2) * D, N - N / 2);
  g_assert_cmpint (ss_lsq_get_n_rows (lsq), ==, N);
  ss_lsq_set_weights (lsq, w, O);
  for (int j = 0; j < M; j++)
    kept[j] = 2 * j + 1;   /* every other feature */
  for (int k = 0; k < O; k++)
    for (int j = 0; j < M; j++)
      dropped[k * M + j] = w[k * D + kept[j]];
  g_assert_true (ss_lsq_solve (lsq, kept, M, 1e-9, refit, work, &error));
  g_assert_no_error (error);
  err_refit = output_error (x, N, D, w, O, kept, M, refit);
  err_drop = output_error (x, N, D, w, O, kept, M, dropped);
  g_test_message ("mean squared output error: refit %.3g, no refit %.3g", err_refit, err_drop);
  g_assert_cmpfloat (err_refit, <, 1e-3 * err_drop);
  g_assert_cmpfloat (err_refit, <, 1e-2);
}

static void
test_lsq_exact (void)
{
  enum { N = 500, K = 6, D = 13, O = 4, M = K + 1 };
  g_autofree double *x = g_new (double, N * D);
  g_autoptr(SsLsq) lsq = ss_lsq_new (D);
  g_autoptr(GError) error = NULL;
  g_autofree double *work = g_new (double, ss_lsq_work_size (M, O));
  float w[O * D], a[6 * K], refit[O * M];
  const int kept[M] = { 0, 2, 4, 6, 8, 10, 12 };   /* the free features and the constant */
  SsRng rng;

  g_test_summary ("When the removed features are linear combinations of the kept ones "
                  "(x_r = x_k·Aᵀ) and the last feature is the constant 1 of a bias, the refit "
                  "recovers the exact weights W_k + W_r·A and the bias.");
  ss_rng_seed (&rng, 11);
  ss_test_fill_uniform (a, 6 * K, -1, 1, 12);
  for (int i = 0; i < N; i++)
    {
      double *row = x + (gsize) i * D;
      for (int j = 0; j < K; j++)
        row[2 * j] = ss_rng_normal (&rng);
      /* Removed feature r (odd index 2r + 1) = Σ_j a[r, j] · kept feature j. */
      for (int r = 0; r < 6; r++)
        {
          double v = 0;
          for (int j = 0; j < K; j++)
            v += a[r * K + j] * row[2 * j];
          row[2 * r + 1] = v;
        }
      row[12] = 1.0;
    }
  ss_test_fill_uniform (w, O * D, -1, 1, 13);
  ss_lsq_add_rows (lsq, x, N);
  ss_lsq_set_weights (lsq, w, O);
  g_assert_true (ss_lsq_solve (lsq, kept, M, 1e-12, refit, work, &error));
  g_assert_no_error (error);
  for (int k = 0; k < O; k++)
    {
      for (int j = 0; j < K; j++)
        {
          double want = w[k * D + 2 * j];
          for (int r = 0; r < 6; r++)
            want += w[k * D + 2 * r + 1] * a[r * K + j];
          g_assert_cmpfloat_with_epsilon (refit[k * M + j], want, 1e-4);
        }
      g_assert_cmpfloat_with_epsilon (refit[k * M + K], w[k * D + 12], 1e-4);
    }
}

static void
test_lsq_singular (void)
{
  enum { N = 50, D = 4, O = 2 };
  double x[N * D];
  g_autoptr(SsLsq) lsq = ss_lsq_new (D);
  g_autoptr(GError) error = NULL;
  double work[16];
  const float w[O * D] = { 1, 2, 3, 4, -1, 0, 1, 0 };
  const int kept[2] = { 0, 3 };
  float refit[O * 2];

  g_test_summary ("A kept feature that is always 0 (a dead channel, padding) gets weight 0 "
                  "thanks to the ridge instead of failing; the other is fitted.");
  for (int i = 0; i < N; i++)
    {
      x[i * D + 0] = 0;
      x[i * D + 1] = 0;
      x[i * D + 2] = 0;
      x[i * D + 3] = i % 7 - 3;
    }
  ss_lsq_add_rows (lsq, x, N);
  ss_lsq_set_weights (lsq, w, O);
  g_assert_cmpuint (ss_lsq_work_size (2, O), <=, G_N_ELEMENTS (work));
  g_assert_true (ss_lsq_solve (lsq, kept, 2, 0.0, refit, work, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (refit[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (refit[1], 4.0, 1e-5);
  g_assert_cmpfloat (refit[2], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (refit[3], 0.0, 1e-5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (budget_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/amc/budget/%s", budget_cases[i].arch);
      g_test_add_data_func (path, &budget_cases[i], test_budget);
    }
  g_test_add_func ("/amc/budget/keep-all", test_keep_all);
  g_test_add_func ("/amc/state/fmnist-vgg", test_state);
  g_test_add_func ("/amc/errors", test_errors);
  g_test_add_func ("/amc/lsq/low-rank", test_lsq_low_rank);
  g_test_add_func ("/amc/lsq/exact", test_lsq_exact);
  g_test_add_func ("/amc/lsq/singular", test_lsq_singular);
  return g_test_run ();
}
