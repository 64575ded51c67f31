/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The built-in resnet50 against torchvision's: counts, state_dict layout, and logits on weights
 * both sides compute from a hash of their position (tests/reference/gen-resnet50.py), loaded
 * through ss_model_load_weights from a file with torchvision's keys in torchvision's order.
 *
 * Legend: N batch, K classes; images (N, 3, H, W). */

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ss-arch.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

#define FIXTURE "resnet50-hash.safetensors"
#define INPUT_T 1000000

/* torchvision.models.resnet50(): sum of numel over parameters() at 1000 classes. */
#define TORCHVISION_PARAMS G_GINT64_CONSTANT (25557032)
/* Σ O·OH·OW·(C/G)·K·K over its 53 convs plus 2048·1000 for fc, on 3×224×224 (SPEC §8; counted
 * by gen-resnet50.py with forward hooks; 4.09 G as usually quoted). */
#define TORCHVISION_MACS   G_GINT64_CONSTANT (4089184256)

/* gen-resnet50.py's hash_uniform: u in [-0.5, 0.5), every integer step exact in gint64. */
static double
hash_uniform (gint64 t,
              gint64 j)
{
  gint64 x = (j * 1103515245 + t * 7919 + 12345) & 0x7FFFFFFF;
  x ^= x >> 13;
  x = (x * 1664525 + 1013904223) & 0x7FFFFFFF;
  x ^= x >> 17;
  return (double) x / 2147483648.0 - 0.5;
}

/* v (n): tensor t of the state_dict as gen-resnet50.py's fill() makes it. */
static void
fill (float        *v,
      const char   *name,
      const gint64 *shape,
      int           ndim,
      gint64        t,
      gsize         n)
{
  for (gsize j = 0; j < n; j++)
    {
      double u = hash_uniform (t, (gint64) j), x;
      if (g_str_has_prefix (name, "fc."))
        x = g_str_has_suffix (name, "weight") ? u * (2 * sqrt (3.0 / (double) shape[1]))
                                              : 0.2 * u;
      else if (ndim == 4)
        x = u * (2 * sqrt (6.0 / (double) (shape[1] * shape[2] * shape[3])));
      else if (g_str_has_suffix (name, "running_var"))
        x = 1 + u;
      else if (g_str_has_suffix (name, "running_mean") || g_str_has_suffix (name, "bias"))
        x = 0.4 * u;
      else
        x = 0.5 + 0.2 * u;
      v[j] = (float) x;
    }
}

typedef struct {
  SsSafetensors *st;
  JsonParser    *parser;
  JsonArray     *keys;    /* [[name, [shape…]], …] in torchvision's order; borrowed */
  int            k, h, w, n;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = ss_test_data_path (FIXTURE);
  g_autoptr(GError) error = NULL;

  f->st = ss_safetensors_load (path, &error);
  g_assert_no_error (error);
  f->parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (f->parser,
                                             ss_safetensors_get_metadata (f->st, "keys"), -1,
                                             &error));
  g_assert_no_error (error);
  f->keys = json_node_get_array (json_parser_get_root (f->parser));
  f->k = atoi (ss_safetensors_get_metadata (f->st, "classes"));
  f->h = atoi (ss_safetensors_get_metadata (f->st, "height"));
  f->w = atoi (ss_safetensors_get_metadata (f->st, "width"));
  f->n = atoi (ss_safetensors_get_metadata (f->st, "batch"));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->parser);
  g_clear_pointer (&f->st, ss_safetensors_free);
}

/* Key i of the fixture: its name, and its shape into shape (ndim returned). */
static const char *
key_at (const Fixture *f,
        guint          i,
        gint64        *shape,
        int           *ndim)
{
  JsonArray *entry = json_array_get_array_element (f->keys, i);
  JsonArray *dims = json_array_get_array_element (entry, 1);

  *ndim = (int) json_array_get_length (dims);
  g_assert_cmpint (*ndim, <=, 4);
  for (int d = 0; d < *ndim; d++)
    shape[d] = json_array_get_int_element (dims, d);
  return json_array_get_string_element (entry, 0);
}

static void
test_counts (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet50", 3, 224, 224, 1000, &error);
  int c, h, w, n_convs = 0;

  g_test_summary ("resnet50 at 3×224×224 with 1000 classes has torchvision's 25,557,032 "
                  "parameters and 4,089,184,256 multiply-accumulates (O·OH·OW·C·K·K per conv, "
                  "out·in for fc), the figures gen-resnet50.py counts on torchvision's model.");
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_params (arch), ==, TORCHVISION_PARAMS);
  g_assert_cmpint (ss_arch_total_macs (arch), ==, TORCHVISION_MACS);
  g_assert_cmpint (TORCHVISION_PARAMS, ==,
                   g_ascii_strtoll (ss_safetensors_get_metadata (f->st, "params_224_1000"),
                                    NULL, 10));
  g_assert_cmpint (TORCHVISION_MACS, ==,
                   g_ascii_strtoll (ss_safetensors_get_metadata (f->st, "macs_224_1000"),
                                    NULL, 10));
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    n_convs += ss_arch_get_node (arch, i)->op == SS_OP_CONV;
  g_assert_cmpint (n_convs, ==, 53);
  g_assert_true (ss_arch_builtin_input ("resnet50", &c, &h, &w));
  g_assert_cmpint (c, ==, 3);
  g_assert_cmpint (h, ==, 224);
  /* The ResNet v1.5 stride on conv2, the block's nodes named as the basic block's. */
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer2.0.conv1"))->stride,
                   ==, 1);
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer2.0.conv2"))->stride,
                   ==, 2);
  g_assert_cmpstr (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer4.2.add"))->block,
                   ==, "layer4.2");
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer4.2.relu3"))->h, ==,
                   7);
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, "maxpool"))->h, ==, 56);
}

static void
test_layout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet50", 3, f->h, f->w, f->k, &error);
  g_autoptr(SsNet) net = NULL;
  int p = 0;

  g_test_summary ("The net's parameters are torchvision's state_dict entries, name for name, "
                  "shape for shape, in the same order (num_batches_tracked aside).");
  g_assert_no_error (error);
  net = ss_net_new (arch, 1);
  for (guint i = 0; i < json_array_get_length (f->keys); i++)
    {
      gint64 shape[4];
      int ndim;
      const char *name = key_at (f, i, shape, &ndim);
      const SsParamInfo *info;

      if (g_str_has_suffix (name, ".num_batches_tracked"))
        continue;
      g_assert_cmpint (p, <, ss_net_get_n_params (net));
      info = ss_net_get_param_info (net, p++);
      g_assert_cmpstr (info->name, ==, name);
      g_assert_cmpint (info->ndim, ==, ndim);
      for (int d = 0; d < ndim; d++)
        g_assert_cmpint (info->shape[d], ==, shape[d]);
    }
  g_assert_cmpint (p, ==, ss_net_get_n_params (net));
}

static void
test_logits (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet50", 3, f->h, f->w, f->k, &error);
  g_autoptr(SsSafetensorsWriter) writer = ss_safetensors_writer_new ();
  g_autoptr(SsNet) net = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("resnet50-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "resnet50.safetensors", NULL);
  g_autofree float *x = g_new (float, (gsize) f->n * 3 * f->h * f->w);
  const SsTensorView *want = ss_safetensors_lookup (f->st, "logits");
  const gsize n_logits = (gsize) f->n * f->k;
  gint64 t = 0;

  g_test_summary ("A state_dict file with torchvision's keys, order and shapes loads with "
                  "ss_model_load_weights, and the logits (prediction and evaluation forward, 1 "
                  "and 2 threads) equal torchvision's to 1e-4 of their range.");
  g_assert_no_error (error);
  g_assert_nonnull (want);
  g_assert_cmpuint (want->n_bytes, ==, n_logits * sizeof (float));

  for (guint i = 0; i < json_array_get_length (f->keys); i++)
    {
      gint64 shape[4];
      int ndim;
      const char *name = key_at (f, i, shape, &ndim);
      gsize len = 1;

      for (int d = 0; d < ndim; d++)
        len *= (gsize) shape[d];
      if (g_str_has_suffix (name, ".num_batches_tracked"))
        {
          const gint64 zero = 0;
          ss_safetensors_writer_add (writer, name, SS_DTYPE_I64, shape, ndim, &zero);
          continue;
        }
      {
        g_autofree float *v = g_new (float, len);
        fill (v, name, shape, ndim, t++, len);
        ss_safetensors_writer_add (writer, name, SS_DTYPE_F32, shape, ndim, v);
      }
    }
  g_assert_true (ss_safetensors_writer_save (writer, path, &error));
  g_assert_no_error (error);
  g_clear_pointer (&writer, ss_safetensors_writer_free);

  net = ss_net_new (arch, 1);
  g_assert_true (ss_model_load_weights (net, path, &error));
  g_assert_no_error (error);
  ss_test_rm_rf (dir);

  for (int i = 0; i < f->n; i++)
    for (gsize j = 0; j < (gsize) 3 * f->h * f->w; j++)
      x[(gsize) i * 3 * f->h * f->w + j] = (float) (2 * hash_uniform (INPUT_T + i, (gint64) j));

  for (int nt = 1; nt <= 2; nt++)
    {
      g_autofree char *what = g_strdup_printf ("logits, %d threads", nt);
      g_autofree float *eval = NULL;
      const float *pred;
      double range = 0;

      ss_net_set_n_threads (net, nt);
      eval = g_memdup2 (ss_net_forward (net, x, f->n, SS_MODE_EVAL, NULL),
                        sizeof (float) * n_logits);
      pred = ss_net_predict (net, x, f->n);
      g_assert_cmpmem (pred, sizeof (float) * n_logits, eval, sizeof (float) * n_logits);
      for (gsize j = 0; j < n_logits; j++)
        range = MAX (range, fabs (((const float *) want->data)[j]));
      /* 53 layers of float32 sums in another order than PyTorch's: 1.5e-7 on logits of ~0.5
       * when written, so 1e-4 of the range leaves room for other BLAS builds. */
      ss_assert_tensor_close (pred, want->data, n_logits, 1e-4 * range, 1e-4, what);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/resnet50/counts", Fixture, NULL, fixture_set_up, test_counts,
              fixture_tear_down);
  g_test_add ("/resnet50/layout", Fixture, NULL, fixture_set_up, test_layout,
              fixture_tear_down);
  g_test_add ("/resnet50/logits", Fixture, NULL, fixture_set_up, test_logits,
              fixture_tear_down);
  return g_test_run ();
}
