/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The parts of the DDPG agent: the MLP's gradients against finite differences of a
 * double-precision forward, Adam against a hand-computed step, soft updates, one whole
 * update recomputed in double, the replay buffer and the truncated normal. The agent's
 * behaviour is in test-ddpg.c.
 *
 * Legend: N batch, I input width, O output width, S state width, B minibatch. */

#include <math.h>
#include <string.h>

#include "ss-ddpg-private.h"
#include "ss-mlp-private.h"
#include "ss-rng.h"
#include "ss-test-util.h"

/* ---- MLP gradients ------------------------------------------------------------------------- */

/* The MLP's forward recomputed in double from its float parameters, p (n_params) perturbed
 * by the caller. x (N, I) in, out (N, O). Returns a hash of the ReLU on/off pattern so that
 * a finite difference straddling a kink can be skipped. */
static guint64
ref_forward (const SsMlp  *mlp,
             const double *p,
             const double *x,
             int           n,
             double       *out)
{
  double h[2][64 * 16];    /* (N, D) ping-pong, ample for the shapes below */
  const double *in = x;
  guint64 hash = 1469598103934665603ull;

  for (int l = 0; l < mlp->n_layers; l++)
    {
      const SsMlpLayer *ly = &mlp->layers[l];
      double *y = l == mlp->n_layers - 1 ? out : h[l % 2];

      g_assert_cmpint (n * ly->out, <=, (int) G_N_ELEMENTS (h[0]));
      for (int r = 0; r < n; r++)
        for (int o = 0; o < ly->out; o++)
          {
            double z = p[ly->b + o] + (ly->b2 != SS_MLP_NO_OFFSET ? p[ly->b2 + o] : 0);
            for (int c = 0; c < ly->in; c++)
              z += p[ly->w + (gsize) o * ly->in + c] * in[r * ly->in + c];
            if (l < mlp->n_layers - 1)
              {
                hash = (hash ^ (z > 0)) * 1099511628211ull;
                z = MAX (z, 0);
              }
            else if (mlp->output == SS_MLP_OUTPUT_SIGMOID)
              z = 1 / (1 + exp (-z));
            y[r * ly->out + o] = z;
          }
      in = y;
    }
  return hash;
}

/* A scalar objective of double arrays its context points to; *hash identifies the ReLU
 * pattern the evaluation went through. */
typedef double (*Objective) (gconstpointer ctx, guint64 *hash);

/* L = Σ w·out(p, x) for fixed random weights w (N, O). */
typedef struct {
  const SsMlp  *mlp;
  const double *p;     /* (n_params) */
  const double *x;     /* (N, I) */
  const float  *w;     /* (N, O) */
  int           n;
} WeightedOut;

static double
weighted_out (gconstpointer ctx,
              guint64      *hash)
{
  const WeightedOut *c = ctx;
  double out[64];
  double sum = 0;
  const int o = c->mlp->layers[c->mlp->n_layers - 1].out;

  g_assert_cmpint (c->n * o, <=, (int) G_N_ELEMENTS (out));
  *hash = ref_forward (c->mlp, c->p, c->x, c->n, out);
  for (int k = 0; k < c->n * o; k++)
    sum += c->w[k] * out[k];
  return sum;
}

/* Float gradients come within about 2e-7 of the largest; the double central difference
 * with h = 1e-6 to about 1e-9. The rule is |ana − num| ≤ FD_TOL·(max|num| + |num|), met with
 * a wide margin, while a gradient 5 % off breaks it at its largest entry — checked below by
 * feeding 1.05·ana through the same rule. */
#define FD_TOL 1e-5
#define FD_H   1e-6

/* ana, num (len); skip marks kink-straddling points. */
static gboolean
fd_accept (const double *ana,
           const double *num,
           const gboolean *skip,
           gsize         len,
           double        factor,
           double       *worst)
{
  double scale = 0;
  gboolean ok = TRUE;

  for (gsize k = 0; k < len; k++)
    if (!skip[k])
      scale = MAX (scale, fabs (num[k]));
  *worst = 0;
  for (gsize k = 0; k < len; k++)
    {
      double err;
      if (skip[k])
        continue;
      err = fabs (factor * ana[k] - num[k]);
      *worst = MAX (*worst, err / scale);
      if (!(err <= FD_TOL * (scale + fabs (num[k]))))
        ok = FALSE;
    }
  return ok;
}

/* Central differences of f with respect to each of v (len), an array f's context reads. */
static void
fd_gradient (Objective     f,
             gconstpointer ctx,
             double       *v,
             gsize         len,
             double       *num,
             gboolean     *skip)
{
  for (gsize k = 0; k < len; k++)
    {
      const double v0 = v[k];
      guint64 h_plus, h_minus;
      double l_plus, l_minus;

      v[k] = v0 + FD_H;
      l_plus = f (ctx, &h_plus);
      v[k] = v0 - FD_H;
      l_minus = f (ctx, &h_minus);
      v[k] = v0;
      num[k] = (l_plus - l_minus) / (2 * FD_H);
      skip[k] = h_plus != h_minus;
    }
}

static void
check_fd (const char   *label,
          const double *ana,
          const double *num,
          const gboolean *skip,
          gsize         len)
{
  double worst, worst_wrong;
  gsize n_skipped = 0;

  for (gsize k = 0; k < len; k++)
    n_skipped += skip[k];
  g_assert_cmpuint (n_skipped, <, len / 10 + 1);
  if (!fd_accept (ana, num, skip, len, 1.0, &worst))
    g_error ("%s: analytic gradient off by %.3g of the largest", label, worst);
  /* The rule must be able to fail. */
  g_assert_false (fd_accept (ana, num, skip, len, 1.05, &worst_wrong));
  g_test_message ("%s: %" G_GSIZE_FORMAT " checked, worst %.2g (5 %% error: %.2g)", label,
                  len - n_skipped, worst, worst_wrong);
}

typedef struct {
  const char *name;
  int         dims[4];
  int         split;
  SsMlpOutput output;
} MlpCase;

static const MlpCase mlp_cases[] = {
  { "actor", { 5, 9, 7, 1 }, 0, SS_MLP_OUTPUT_SIGMOID },
  { "critic", { 6, 9, 7, 1 }, 1, SS_MLP_OUTPUT_IDENTITY },
  { "critic-wide-split", { 6, 8, 5, 2 }, 3, SS_MLP_OUTPUT_IDENTITY },
};

static void
test_mlp_gradient (gconstpointer data)
{
  const MlpCase *mc = data;
  const int n = 4;
  SsRng rng;
  g_autoptr (SsMlp) mlp = NULL;
  g_autofree float *x = NULL, *w = NULL, *din = NULL;
  g_autofree double *p = NULL, *xd = NULL, *ana = NULL, *num = NULL, *out = NULL;
  g_autofree gboolean *skip = NULL;
  const float *y;
  float *params, *grads;
  gsize n_params, n_in, n_out;
  WeightedOut ctx;

  g_test_summary ("The MLP's backward (parameters and input) matches central differences of "
                  "a double-precision forward, and its float forward matches that forward.");

  ss_rng_seed (&rng, 11);
  mlp = ss_mlp_new (mc->dims, 3, mc->split, mc->output, n, TRUE, &rng);
  params = ss_mlp_get_params (mlp, &n_params);
  grads = ss_mlp_get_grads (mlp, NULL);
  n_in = (gsize) n * mc->dims[0];
  n_out = (gsize) n * mc->dims[3];
  x = g_new (float, n_in);
  w = g_new (float, n_out);
  din = g_new (float, n_in);
  ss_test_fill_uniform (x, n_in, -1.f, 1.f, 12);
  ss_test_fill_uniform (w, n_out, -1.f, 1.f, 13);

  /* Analytic: dL/dout = w. */
  y = ss_mlp_forward (mlp, x, n);
  ss_mlp_zero_grad (mlp);
  ss_mlp_backward (mlp, din, w, n, TRUE);

  p = g_new (double, n_params);
  xd = g_new (double, n_in);
  for (gsize k = 0; k < n_params; k++)
    p[k] = params[k];
  for (gsize k = 0; k < n_in; k++)
    xd[k] = x[k];

  out = g_new (double, n_out);
  ref_forward (mlp, p, xd, n, out);
  for (gsize k = 0; k < n_out; k++)
    g_assert_cmpfloat_with_epsilon (y[k], out[k], 1e-5 * (1 + fabs (out[k])));

  ana = g_new (double, MAX (n_params, n_in));
  num = g_new (double, MAX (n_params, n_in));
  skip = g_new (gboolean, MAX (n_params, n_in));

  ctx = (WeightedOut) { mlp, p, xd, w, n };
  for (gsize k = 0; k < n_params; k++)
    ana[k] = grads[k];
  fd_gradient (weighted_out, &ctx, p, n_params, num, skip);
  check_fd ("dθ", ana, num, skip, n_params);

  for (gsize k = 0; k < n_in; k++)
    ana[k] = din[k];
  fd_gradient (weighted_out, &ctx, xd, n_in, num, skip);
  check_fd ("din", ana, num, skip, n_in);
}

static void
test_mlp_backward_input_only (void)
{
  const int dims[] = { 4, 6, 5, 1 }, n = 3;
  SsRng rng;
  g_autoptr (SsMlp) mlp = NULL;
  float x[3 * 4], dout[3] = { 0.5f, -1.f, 2.f }, din_full[3 * 4], din_only[3 * 4];
  float *grads;
  gsize n_params;

  g_test_summary ("Backward without parameters leaves the gradient arena alone and gives the "
                  "same input gradient as the full backward.");

  ss_rng_seed (&rng, 3);
  mlp = ss_mlp_new (dims, 3, 1, SS_MLP_OUTPUT_IDENTITY, n, TRUE, &rng);
  ss_test_fill_uniform (x, G_N_ELEMENTS (x), -1.f, 1.f, 4);
  grads = ss_mlp_get_grads (mlp, &n_params);

  ss_mlp_forward (mlp, x, n);
  ss_mlp_zero_grad (mlp);
  ss_mlp_backward (mlp, din_full, dout, n, TRUE);
  for (gsize k = 0; k < n_params; k++)
    grads[k] = 7.f;
  ss_mlp_backward (mlp, din_only, dout, n, FALSE);
  for (gsize k = 0; k < n_params; k++)
    g_assert_cmpfloat (grads[k], ==, 7.f);
  g_assert_cmpmem (din_full, sizeof din_full, din_only, sizeof din_only);
  g_assert_cmpfloat (fabs (din_full[0]) + fabs (din_full[5]), >, 0);
}

static void
test_mlp_adam (void)
{
  const int dims[] = { 1, 1 };
  const float g1[2] = { 0.5f, -2.f }, g2[2] = { -1.f, 0.f };
  SsRng rng;
  g_autoptr (SsMlp) mlp = NULL;
  float *p, *g;
  gsize n;

  g_test_summary ("Two Adam steps on w and b of a 1→1 layer match torch.optim.Adam's update "
                  "worked by hand.");

  ss_rng_seed (&rng, 1);
  mlp = ss_mlp_new (dims, 1, 0, SS_MLP_OUTPUT_IDENTITY, 1, TRUE, &rng);
  p = ss_mlp_get_params (mlp, &n);
  g = ss_mlp_get_grads (mlp, NULL);
  g_assert_cmpuint (n, ==, 2);
  p[0] = p[1] = 1.f;

  /* Step 1: m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g²: θ −= 0.1·g/(|g| + 1e-8). */
  memcpy (g, g1, sizeof g1);
  ss_mlp_adam_step (mlp, 0.1, 0.9, 0.999, 1e-8);
  g_assert_cmpfloat_with_epsilon (p[0], 0.9, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[1], 1.1, 1e-6);

  /* Step 2, w: m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·0.00025 + 0.001 = 0.00124975,
   * m̂ = −0.055/0.19, v̂ = 0.00124975/0.001999: θ = 0.9 + 0.1·0.2894737/0.7906881 = 0.9366104.
   * b: m = −0.18, v = 0.003996, m̂ = −0.18/0.19, v̂ = 0.003996/0.001999:
   * θ = 1.1 + 0.1·0.9473684/1.4138584 = 1.1670058. */
  memcpy (g, g2, sizeof g2);
  ss_mlp_adam_step (mlp, 0.1, 0.9, 0.999, 1e-8);
  g_assert_cmpfloat_with_epsilon (p[0], 0.936610354, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[1], 1.167005824, 1e-6);
}

static void
test_mlp_soft_update (void)
{
  const int dims[] = { 3, 4, 2 };
  SsRng rng;
  g_autoptr (SsMlp) a = NULL, b = NULL, t = NULL;
  g_autofree float *t0 = NULL, *want = NULL;
  float *pa, *pb, *pt;
  gsize n;

  g_test_summary ("new_like copies; a soft update with τ gives (1 − τ)·target + τ·source; "
                  "τ = 0 keeps the target and τ = 1 copies the source.");

  ss_rng_seed (&rng, 5);
  a = ss_mlp_new (dims, 2, 0, SS_MLP_OUTPUT_IDENTITY, 1, TRUE, &rng);
  b = ss_mlp_new (dims, 2, 0, SS_MLP_OUTPUT_IDENTITY, 1, TRUE, &rng);
  t = ss_mlp_new_like (a);
  pa = ss_mlp_get_params (a, &n);
  pb = ss_mlp_get_params (b, NULL);
  pt = ss_mlp_get_params (t, NULL);
  g_assert_null (ss_mlp_get_grads (t, NULL));
  g_assert_cmpmem (pt, n * sizeof (float), pa, n * sizeof (float));
  g_assert_cmpint (memcmp (pa, pb, n * sizeof (float)), !=, 0);

  want = g_new (float, n);
  for (gsize k = 0; k < n; k++)
    want[k] = (float) (0.75 * pa[k] + 0.25 * pb[k]);
  ss_mlp_soft_update (t, b, 0.25);
  ss_assert_tensor_close (pt, want, n, 1e-7, 1e-6, "τ = 0.25");

  t0 = g_memdup2 (pt, n * sizeof (float));
  ss_mlp_soft_update (t, b, 0.0);
  g_assert_cmpmem (pt, n * sizeof (float), t0, n * sizeof (float));
  ss_mlp_soft_update (t, b, 1.0);
  g_assert_cmpmem (pt, n * sizeof (float), pb, n * sizeof (float));
}

/* ---- one agent update against a recomputation in double ----------------------------------- */

#define UP_S 3
#define UP_B 6
#define UP_X (UP_S + 1)

/* (1/B)·Σ (Q_θ(x_i) − y_i)² over θ = p. */
typedef struct {
  const SsMlp  *critic;
  const double *p;       /* (n_params) */
  const double *x;       /* (B, X) */
  const double *y;       /* (B) */
} CriticLoss;

static double
critic_loss (gconstpointer ctx,
             guint64      *hash)
{
  const CriticLoss *c = ctx;
  double q[UP_B], sum = 0;

  *hash = ref_forward (c->critic, c->p, c->x, UP_B, q);
  for (int i = 0; i < UP_B; i++)
    sum += (q[i] - c->y[i]) * (q[i] - c->y[i]);
  return sum / UP_B;
}

/* −(1/B)·Σ Q_θ([s_i | μ_φ(s_i)]) over φ = p, for a fixed critic θ. */
typedef struct {
  const SsMlp  *actor;
  const double *p;       /* (n_params of the actor) */
  const SsMlp  *critic;
  const double *theta;   /* (n_params of the critic) */
  const double *s;       /* (B, S) */
} ActorLoss;

/* x (B, X) = [s | a] for s (B, S), a (B). */
static void
join_double (double       *x,
             const double *s,
             const double *a)
{
  for (int i = 0; i < UP_B; i++)
    {
      memcpy (x + i * UP_X, s + i * UP_S, UP_S * sizeof (double));
      x[i * UP_X + UP_S] = a[i];
    }
}

static double
actor_loss (gconstpointer ctx,
            guint64      *hash)
{
  const ActorLoss *c = ctx;
  double mu[UP_B], x[UP_B * UP_X], q[UP_B], sum = 0;
  guint64 h;

  h = ref_forward (c->actor, c->p, c->s, UP_B, mu);
  join_double (x, c->s, mu);
  *hash = h * 1099511628211ull ^ ref_forward (c->critic, c->theta, x, UP_B, q);
  for (int i = 0; i < UP_B; i++)
    sum -= q[i];
  return sum / UP_B;
}

/* Returns: (transfer full) x (n) widened to double. */
static double *
to_double (const float *x,
           gsize        n)
{
  double *d = g_new (double, n);
  for (gsize k = 0; k < n; k++)
    d[k] = x[k];
  return d;
}

/* Adam's first step is −lr·g/(|g| + ε): checks p1 − p0 against the reference gradient g
 * (len) wherever g is clear of float rounding (|g| > 1e-3·max|g|) and of ReLU kinks. */
static void
check_first_adam_step (const char     *label,
                       const double   *p0,
                       const float    *p1,
                       const double   *g,
                       const gboolean *skip,
                       gsize           len,
                       double          lr)
{
  double scale = 0;
  gsize checked = 0;

  for (gsize k = 0; k < len; k++)
    if (!skip[k])
      scale = MAX (scale, fabs (g[k]));
  for (gsize k = 0; k < len; k++)
    {
      double want, got;
      if (skip[k] || fabs (g[k]) <= 1e-3 * scale)
        continue;
      want = -lr * g[k] / (fabs (g[k]) + 1e-8);
      got = p1[k] - p0[k];
      if (!(fabs (got - want) <= 0.02 * lr))
        g_error ("%s: parameter %" G_GSIZE_FORMAT " moved %.4g, want %.4g", label, k, got,
                 want);
      checked++;
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " steps checked", label,
                  checked, len);
  g_assert_cmpuint (checked, >, len / 2);
}

static void
test_update_reference (void)
{
  SsDdpgOptions o;
  g_autoptr (SsDdpg) agent = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree double *critic0 = NULL, *actor0 = NULL, *critic1 = NULL, *g = NULL;
  g_autofree float *want = NULL;
  g_autofree gboolean *skip = NULL;
  float s[UP_B * UP_S], s2[UP_B * UP_S], a[UP_B], r[UP_B];
  double sd[UP_B * UP_S], s2d[UP_B * UP_S], ad[UP_B], x[UP_B * UP_X], y[UP_B], mu2[UP_B],
         q2[UP_B], mean = 0;
  gsize nc, na;

  g_test_summary ("One update moves the critic, the actor and both targets as AMC's "
                  "update_policy, recomputed in double: the critic by Adam along the MSE "
                  "gradient to r − baseline + γ·(1 − terminal)·Q'(s', μ'(s')), the actor "
                  "along −∇ mean Q(s, μ(s)) through the updated critic, targets by τ.");

  ss_ddpg_options_init (&o);
  o.hidden1 = 8;
  o.hidden2 = 6;
  o.batch_size = o.replay_size = UP_B;   /* the minibatch is the whole buffer */
  o.discount = 0.9;
  o.tau = 0.25;
  agent = ss_ddpg_new (UP_S, &o, 17, NULL);
  ss_test_fill_uniform (s, G_N_ELEMENTS (s), 0.f, 1.f, 18);
  ss_test_fill_uniform (s2, G_N_ELEMENTS (s2), 0.f, 1.f, 19);
  ss_test_fill_uniform (a, UP_B, 0.f, 1.f, 20);
  ss_test_fill_uniform (r, UP_B, -1.f, 1.f, 21);
  for (int i = 0; i < UP_B; i++)
    ss_ddpg_observe (agent, s + i * UP_S, a[i], r[i], s2 + i * UP_S, i % 3 == 2);

  ss_mlp_get_params (agent->critic, &nc);
  ss_mlp_get_params (agent->actor, &na);
  critic0 = to_double (ss_mlp_get_params (agent->critic, NULL), nc);
  actor0 = to_double (ss_mlp_get_params (agent->actor, NULL), na);
  g_assert_true (ss_ddpg_update (agent, 1, &error));
  g_assert_no_error (error);

  /* The targets were still the initial networks when y was formed. */
  for (int i = 0; i < UP_B; i++)
    mean += r[i];
  mean /= UP_B;
  g_assert_cmpfloat_with_epsilon (ss_ddpg_get_reward_baseline (agent), mean, 1e-12);
  for (int k = 0; k < UP_B * UP_S; k++)
    {
      sd[k] = s[k];
      s2d[k] = s2[k];
    }
  ref_forward (agent->actor, actor0, s2d, UP_B, mu2);
  join_double (x, s2d, mu2);
  ref_forward (agent->critic, critic0, x, UP_B, q2);
  for (int i = 0; i < UP_B; i++)
    {
      y[i] = r[i] - mean + 0.9 * (i % 3 == 2 ? 0 : 1) * q2[i];
      ad[i] = a[i];
    }

  g = g_new (double, MAX (nc, na));
  skip = g_new (gboolean, MAX (nc, na));
  join_double (x, sd, ad);
  {
    const CriticLoss ctx = { agent->critic, critic0, x, y };
    fd_gradient (critic_loss, &ctx, critic0, nc, g, skip);
    check_first_adam_step ("critic", critic0, ss_mlp_get_params (agent->critic, NULL), g, skip,
                           nc, o.lr_critic);
  }

  critic1 = to_double (ss_mlp_get_params (agent->critic, NULL), nc);
  {
    const ActorLoss ctx = { agent->actor, actor0, agent->critic, critic1, sd };
    fd_gradient (actor_loss, &ctx, actor0, na, g, skip);
    check_first_adam_step ("actor", actor0, ss_mlp_get_params (agent->actor, NULL), g, skip,
                           na, o.lr_actor);
  }

  want = g_new (float, MAX (nc, na));
  for (gsize k = 0; k < nc; k++)
    want[k] = (float) (0.75 * critic0[k] + 0.25 * critic1[k]);
  ss_assert_tensor_close (ss_mlp_get_params (agent->critic_target, NULL), want, nc, 1e-7, 1e-6,
                          "critic target");
  for (gsize k = 0; k < na; k++)
    want[k] = (float) (0.75 * actor0[k] + 0.25 * ss_mlp_get_params (agent->actor, NULL)[k]);
  ss_assert_tensor_close (ss_mlp_get_params (agent->actor_target, NULL), want, na, 1e-7, 1e-6,
                          "actor target");
}

/* ---- replay buffer ------------------------------------------------------------------------- */

/* Transition i: state (i, −i), action i/10, reward i, next state (i + ½, 1), terminal when
 * i % 3 == 0. */
static void
push_numbered (SsDdpgReplay *replay,
               int           i)
{
  const float s[2] = { (float) i, (float) -i }, s2[2] = { i + 0.5f, 1.f };
  ss_ddpg_replay_push (replay, s, i / 10.f, (float) i, s2, i % 3 == 0);
}

static void
test_replay_wrap (void)
{
  g_autoptr (SsDdpgReplay) replay = ss_ddpg_replay_new (8, 2);
  float s[8 * 2], s2[8 * 2], a[8], r[8], nd[8];
  gboolean seen[10] = { FALSE };
  SsRng rng;

  g_test_summary ("Ten pushes into a ring of eight keep transitions 2 … 9 intact, and a "
                  "batch of eight draws each of them once.");

  for (int i = 0; i < 10; i++)
    push_numbered (replay, i);
  g_assert_cmpint (ss_ddpg_replay_get_count (replay), ==, 8);

  ss_rng_seed (&rng, 1);
  ss_ddpg_replay_sample (replay, &rng, 8, s, a, r, s2, nd);
  for (int k = 0; k < 8; k++)
    {
      const int i = (int) r[k];
      g_assert_cmpfloat (r[k], ==, (float) i);
      g_assert_cmpint (i, >=, 2);
      g_assert_cmpint (i, <=, 9);
      g_assert_false (seen[i]);
      seen[i] = TRUE;
      g_assert_cmpfloat (s[2 * k], ==, (float) i);
      g_assert_cmpfloat (s[2 * k + 1], ==, (float) -i);
      g_assert_cmpfloat (s2[2 * k], ==, i + 0.5f);
      g_assert_cmpfloat (s2[2 * k + 1], ==, 1.f);
      g_assert_cmpfloat (a[k], ==, i / 10.f);
      g_assert_cmpfloat (nd[k], ==, i % 3 == 0 ? 0.f : 1.f);
    }
}

static void
test_replay_uniform (void)
{
  enum { DRAWS = 20000 };
  g_autoptr (SsDdpgReplay) full = ss_ddpg_replay_new (10, 2);
  g_autoptr (SsDdpgReplay) sparse = ss_ddpg_replay_new (10, 2);
  float s[5 * 2], s2[5 * 2], a[5], r[5], nd[5], r_again[5];
  guint counts[10] = { 0 }, counts_sparse[3] = { 0 };
  gboolean repeated = FALSE;
  SsRng rng, rng2;

  g_test_summary ("Batches are uniform over the stored transitions: distinct within a batch "
                  "when the buffer holds enough, with replacement when it does not; the "
                  "same seed draws the same batches.");

  for (int i = 0; i < 15; i++)
    push_numbered (full, i);      /* holds 5 … 14 */
  for (int i = 0; i < 3; i++)
    push_numbered (sparse, i);

  ss_rng_seed (&rng, 2);
  for (int d = 0; d < DRAWS; d++)
    {
      ss_ddpg_replay_sample (full, &rng, 4, s, a, r, s2, nd);
      for (int k = 0; k < 4; k++)
        {
          g_assert_cmpfloat (r[k], >=, 5);
          counts[(int) r[k] - 5]++;
          for (int j = 0; j < k; j++)
            g_assert_cmpfloat (r[j], !=, r[k]);
        }
    }
  /* Each of 10 is drawn with p = 0.4 per batch: mean 8000, sd √(20000·0.4·0.6) ≈ 69. */
  for (int i = 0; i < 10; i++)
    g_assert_cmpuint (ABS ((int) counts[i] - 8000), <, 5 * 69);

  for (int d = 0; d < DRAWS; d++)
    {
      ss_ddpg_replay_sample (sparse, &rng, 5, s, a, r, s2, nd);
      for (int k = 0; k < 5; k++)
        {
          counts_sparse[(int) r[k]]++;
          for (int j = 0; j < k; j++)
            repeated |= r[j] == r[k];
        }
    }
  g_assert_true (repeated);
  /* 100000 draws over 3: mean 33333, sd ≈ 149. */
  for (int i = 0; i < 3; i++)
    g_assert_cmpuint (ABS ((int) counts_sparse[i] - 33333), <, 5 * 149);

  /* Fresh buffers with the same pushes and seed draw the same batch. */
  {
    g_autoptr (SsDdpgReplay) twin1 = ss_ddpg_replay_new (10, 2);
    g_autoptr (SsDdpgReplay) twin2 = ss_ddpg_replay_new (10, 2);

    for (int i = 0; i < 15; i++)
      {
        push_numbered (twin1, i);
        push_numbered (twin2, i);
      }
    ss_rng_seed (&rng, 9);
    ss_rng_seed (&rng2, 9);
    ss_ddpg_replay_sample (twin1, &rng, 5, s, a, r, s2, nd);
    ss_ddpg_replay_sample (twin2, &rng2, 5, s, a, r_again, s2, nd);
    g_assert_cmpmem (r, sizeof r, r_again, sizeof r_again);
  }
}

/* ---- truncated normal ---------------------------------------------------------------------- */

typedef struct {
  double mu, sigma, lo, hi;
} TruncCase;

static double
phi (double z)
{
  return isinf (z) ? 0 : exp (-z * z / 2) / sqrt (2 * G_PI);
}

static double
big_phi (double z)
{
  return 0.5 * erfc (-z / sqrt (2));
}

static void
test_truncated_normal (void)
{
  /* Cases for each of the sampler's branches: wide interval round the mean (normal
   * rejection), narrow one (uniform), far tail (exponential), narrow tail on the left
   * (mirrored uniform), AMC's late exploration (tiny σ). */
  static const TruncCase cases[] = {
    { 0.5, 0.1, 0, 1 },
    { 0.5, 0.5, 0, 1 },
    { -1.0, 0.3, 0, 1 },
    { 1.5, 1.0, 0, 0.2 },
    { 0.3, 1e-4, 0, 1 },
  };
  const int n = 100000;
  SsRng rng;

  g_test_summary ("Truncated-normal draws stay in bounds and have the analytic mean and "
                  "variance in every branch of the sampler; σ = 0 gives the clamped mean.");

  ss_rng_seed (&rng, 21);
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const TruncCase *tc = &cases[c];
      const double a = (tc->lo - tc->mu) / tc->sigma, b = (tc->hi - tc->mu) / tc->sigma;
      const double z = big_phi (b) - big_phi (a);
      const double m = (phi (a) - phi (b)) / z;
      const double mean = tc->mu + tc->sigma * m;
      const double var = tc->sigma * tc->sigma * (1 + (a * phi (a) - b * phi (b)) / z - m * m);
      double s1 = 0, s2 = 0;

      for (int i = 0; i < n; i++)
        {
          const double x = ss_ddpg_truncated_normal (&rng, tc->mu, tc->sigma, tc->lo, tc->hi);
          g_assert_cmpfloat (x, >=, tc->lo);
          g_assert_cmpfloat (x, <=, tc->hi);
          s1 += x;
          s2 += (x - mean) * (x - mean);
        }
      g_test_message ("case %" G_GSIZE_FORMAT ": mean %.6f (want %.6f), var %.6g (want %.6g)",
                      c, s1 / n, mean, s2 / n, var);
      /* 5 standard errors; the variance's uses a 4th moment bounded by 3σ⁴. */
      g_assert_cmpfloat (fabs (s1 / n - mean), <, 5 * sqrt (var / n));
      g_assert_cmpfloat (fabs (s2 / n - var), <, 5 * sqrt (3 * var * var / n));
    }
  g_assert_cmpfloat (ss_ddpg_truncated_normal (&rng, 0.4, 0, 0, 1), ==, 0.4);
  g_assert_cmpfloat (ss_ddpg_truncated_normal (&rng, 1.4, 0, 0, 1), ==, 1.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (mlp_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ddpg/mlp/gradient/%s", mlp_cases[i].name);
      g_test_add_data_func (path, &mlp_cases[i], test_mlp_gradient);
    }
  g_test_add_func ("/ddpg/mlp/backward-input-only", test_mlp_backward_input_only);
  g_test_add_func ("/ddpg/mlp/adam", test_mlp_adam);
  g_test_add_func ("/ddpg/mlp/soft-update", test_mlp_soft_update);
  g_test_add_func ("/ddpg/update/reference", test_update_reference);
  g_test_add_func ("/ddpg/replay/wrap", test_replay_wrap);
  g_test_add_func ("/ddpg/replay/uniform", test_replay_uniform);
  g_test_add_func ("/ddpg/truncated-normal", test_truncated_normal);
  return g_test_run ();
}
