/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The network fixture of test-net.c and test-net-runs.c: a case of tests/reference/gen-net.py
 * loaded from net-NAME.safetensors, its net built and given net-NAME-state.safetensors (a
 * PyTorch state_dict written by sstio) through ss_model_load_weights.
 *
 * Legend: N batch, K classes, (C, H, W) the input or a node's output shape; everything float32
 * NCHW.
 */

#include "ss-loss.h"
#include "ss-model-file.h"
#include "ss-test-util.h"
#include "net-fixture.h"

const NetCase net_fixture_cases[] = {
  { "tiny", TRUE },
  { "fmnist-vgg", FALSE },
  { "resnet20", FALSE },
};

const gsize net_fixture_n_cases = G_N_ELEMENTS (net_fixture_cases);

/* ------------------------------------------------------------------------------------------ */
/* Fixture files                                                                              */

const SsTensorView *
net_fixture_ref_get (SsSafetensors *ref,
                     const char    *key)
{
  const SsTensorView *t = ss_safetensors_lookup (ref, key);
  if (t == NULL)
    g_error ("fixture lacks “%s”; regenerate with tests/reference/gen-net.py", key);
  return t;
}

static SsLabel *
ref_labels (SsSafetensors *ref,
            const char    *key,
            int            n)
{
  const SsTensorView *t = net_fixture_ref_get (ref, key);
  SsLabel *out = g_new (SsLabel, n);
  g_assert_cmpint (t->dtype, ==, SS_DTYPE_I64);
  g_assert_cmpuint (t->n_bytes, ==, n * sizeof (gint64));
  for (int i = 0; i < n; i++)
    out[i] = (SsLabel) ((const gint64 *) t->data)[i];
  return out;
}

static double
meta_double (SsSafetensors *ref,
             const char    *key)
{
  const char *v = ss_safetensors_get_metadata (ref, key);
  g_assert_nonnull (v);
  return g_ascii_strtod (v, NULL);
}

/* Compares got (len) with the reference key, or with the sample got[0], got[S], got[2S], …
 * when the fixture stores only that (a "KEY:stride" entry holds S). */
void
net_fixture_check_ref (SsSafetensors *ref,
                       const float   *got,
                       gsize          len,
                       const char    *key,
                       double         atol,
                       double         rtol)
{
  g_autofree char *stride_key = g_strconcat (key, ":stride", NULL);
  const SsTensorView *t = net_fixture_ref_get (ref, key);
  const SsTensorView *s = ss_safetensors_lookup (ref, stride_key);
  gsize stride = s != NULL ? (gsize) *(const gint64 *) s->data : 1;
  gsize n_ref = t->n_bytes / sizeof (float);
  g_autofree float *picked = NULL;

  g_assert_cmpint (t->dtype, ==, SS_DTYPE_F32);
  g_assert_nonnull (got);
  g_assert_cmpuint (n_ref, ==, (len + stride - 1) / stride);
  if (stride > 1)
    {
      picked = g_new (float, n_ref);
      for (gsize i = 0; i < n_ref; i++)
        picked[i] = got[i * stride];
      got = picked;
    }
  ss_assert_tensor_close (got, t->data, n_ref, atol, rtol, key);
}

static SsArch *
fixture_arch (SsSafetensors *ref,
              int            k)
{
  const char *json = ss_safetensors_get_metadata (ref, SS_MODEL_META_ARCH);
  const char *builtin = ss_safetensors_get_metadata (ref, "supersign.builtin");
  const SsTensorView *x = net_fixture_ref_get (ref, "input");
  g_autoptr(GError) error = NULL;
  SsArch *arch;

  g_assert_cmpint (x->ndim, ==, 4);
  if (json != NULL)
    arch = ss_arch_new_from_json (json, -1, &error);
  else
    arch = ss_arch_new_builtin (builtin, (int) x->shape[1], (int) x->shape[2],
                                (int) x->shape[3], k, &error);
  g_assert_no_error (error);
  return arch;
}

void
net_fixture_set_up (NetFixture    *f,
                    gconstpointer  data)
{
  g_autofree char *ref_name = NULL, *state_name = NULL, *ref_path = NULL;
  g_autoptr(GError) error = NULL;
  const SsTensorView *x, *logits;

  f->nc = data;
  ref_name = g_strdup_printf ("net-%s.safetensors", f->nc->name);
  state_name = g_strdup_printf ("net-%s-state.safetensors", f->nc->name);
  ref_path = ss_test_data_path (ref_name);
  f->state_path = ss_test_data_path (state_name);
  f->ref = ss_safetensors_load (ref_path, &error);
  g_assert_no_error (error);

  x = net_fixture_ref_get (f->ref, "input");
  logits = net_fixture_ref_get (f->ref, "eval/logits");
  f->n = (int) x->shape[0];
  f->k = (int) logits->shape[1];
  f->in_len = (gsize) (x->shape[1] * x->shape[2] * x->shape[3]);
  f->x = x->data;
  f->labels = ref_labels (f->ref, "labels", f->n);
  f->cam = ref_labels (f->ref, "cam_class", f->n);
  f->lr = meta_double (f->ref, "lr");
  f->momentum = meta_double (f->ref, "momentum");
  f->weight_decay = meta_double (f->ref, "weight_decay");

  f->arch = fixture_arch (f->ref, f->k);
  g_assert_cmpint (ss_arch_get_n_classes (f->arch), ==, f->k);
  f->net = ss_net_new (f->arch, 0);
  /* PyTorch → engine: the state_dict as sstio wrote it, num_batches_tracked included. */
  g_assert_true (ss_model_load_weights (f->net, f->state_path, &error));
  g_assert_no_error (error);
}

void
net_fixture_tear_down (NetFixture    *f,
                       gconstpointer  data)
{
  g_clear_pointer (&f->net, ss_net_free);
  g_clear_pointer (&f->arch, ss_arch_free);
  g_clear_pointer (&f->ref, ss_safetensors_free);
  g_free (f->state_path);
  g_free (f->labels);
  g_free (f->cam);
}

/* ------------------------------------------------------------------------------------------ */
/* Passes                                                                                     */

/* One training forward, mean cross-entropy and backward (parameter and input gradients) from
 * zeroed gradients. Returns the loss. */
double
net_fixture_train_pass (SsNet            *net,
                        const NetFixture *f)
{
  const float *logits = ss_net_forward (net, f->x, f->n, SS_MODE_TRAIN, NULL);
  g_autofree float *probs = g_new (float, f->n * f->k);
  g_autofree float *dlogits = g_new (float, f->n * f->k);
  double loss = ss_softmax_xent_forward (probs, logits, f->labels, f->n, f->k, NULL);

  ss_softmax_xent_backward (dlogits, probs, f->labels, f->n, f->k, 1.f / (float) f->n);
  ss_net_zero_grad (net);
  ss_net_backward (net, dlogits, SS_BACKWARD_PARAM_GRADS | SS_BACKWARD_INPUT_GRAD);
  return loss;
}

/* The BN running statistics, in state_dict order. */
GArray *
net_fixture_running_stats (SsNet *net)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    if (!ss_net_get_param_info (net, p)->trainable)
      g_array_append_vals (a, ss_net_get_param (net, p),
                           (guint) ss_net_get_param_info (net, p)->len);
  return a;
}

/* ------------------------------------------------------------------------------------------ */

void
net_fixture_add_case (const char    *what,
                      const NetCase *nc,
                      void         (*func) (NetFixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/net/%s/%s", what, nc->name);
  g_test_add (path, NetFixture, nc, net_fixture_set_up, func, net_fixture_tear_down);
}

