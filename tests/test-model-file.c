/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Model files (core/ss-model-file.h): save → load round trips, bad files built here with the
 * safetensors writer (each must fail with the right GError, naming the file and the problem,
 * and leave a net it loads into unchanged), and atomic saving.
 *
 * Legend: a tensor's shape is listed outermost first (conv weight: O, C, K, K). */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

/* Small, but with every kind of tensor: conv with and without bias, BN (and its
 * num_batches_tracked), a projection shortcut with dotted names, linear. */
static const char tiny_json[] =
  "{\"name\": \"mf-tiny\", \"input\": [2, 6, 6], \"classes\": 3, \"layers\": ["
  " {\"type\": \"conv\", \"name\": \"conv\", \"out\": 4, \"kernel\": 3, \"padding\": 1},"
  " {\"type\": \"batchnorm\", \"name\": \"bn\"},"
  " {\"type\": \"relu\", \"name\": \"relu\"},"
  " {\"type\": \"residual\", \"name\": \"layer1.0\", \"out\": 8, \"stride\": 2},"
  " {\"type\": \"global-avgpool\", \"name\": \"gap\"},"
  " {\"type\": \"flatten\", \"name\": \"flatten\"},"
  " {\"type\": \"linear\", \"name\": \"fc\", \"out\": 3}]}";

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */

/* A net whose every tensor differs from a fresh one: random weights from seed, running
 * statistics moved by training forwards, distinct num_batches_tracked per BN. */
static SsNet *
trained_net (const SsArch *arch,
             guint64       seed)
{
  SsNet *net = ss_net_new (arch, seed);
  int c, h, w, n = 3;
  g_autofree float *x = NULL;

  ss_arch_get_input (arch, &c, &h, &w);
  x = g_new (float, n * c * h * w);
  ss_test_fill_uniform (x, (gsize) n * c * h * w, -1.f, 1.f, seed + 1);
  ss_net_set_n_threads (net, 1);
  ss_net_forward (net, x, n, SS_MODE_TRAIN, NULL);
  ss_net_forward (net, x, n, SS_MODE_TRAIN, NULL);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    if (ss_arch_get_node (arch, i)->op == SS_OP_BATCHNORM)
      ss_net_set_batches_tracked (net, i, 1000 + i);
  return net;
}

/* trained_net of tiny_json. Transfer full. */
static SsNet *
tiny_net (guint64 seed)
{
  g_autoptr(SsArch) arch = ss_test_arch_from_json (tiny_json);

  return trained_net (arch, seed);
}

/* All of a net's tensor values and counters, to check that a failed load changed nothing. */
static GByteArray *
net_snapshot (SsNet *net)
{
  GByteArray *b = g_byte_array_new ();
  const SsArch *arch = ss_net_get_arch (net);

  for (int p = 0; p < ss_net_get_n_params (net); p++)
    g_byte_array_append (b, (const guint8 *) ss_net_get_param (net, p),
                         (guint) (ss_net_get_param_info (net, p)->len * sizeof (float)));
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      gint64 count = ss_net_get_batches_tracked (net, i);
      g_byte_array_append (b, (const guint8 *) &count, sizeof count);
    }
  return b;
}

static void
assert_same_nets (SsNet *a,
                  SsNet *b)
{
  g_autofree char *json_a = ss_arch_to_json (ss_net_get_arch (a));
  g_autofree char *json_b = ss_arch_to_json (ss_net_get_arch (b));
  g_autoptr(GByteArray) sa = net_snapshot (a);
  g_autoptr(GByteArray) sb = net_snapshot (b);

  g_assert_cmpstr (json_a, ==, json_b);
  g_assert_cmpint (ss_net_get_n_params (a), ==, ss_net_get_n_params (b));
  for (int p = 0; p < ss_net_get_n_params (a); p++)
    g_assert_cmpstr (ss_net_get_param_info (a, p)->name, ==, ss_net_get_param_info (b, p)->name);
  g_assert_cmpmem (sa->data, sa->len, sb->data, sb->len);
}

/* Fails unless error is SS_ERROR code and its message has each of path, problem and what that
 * is not NULL. */
static void
assert_error_names (const GError *error,
                    int           code,
                    const char   *path,
                    const char   *problem,
                    const char   *what)
{
  g_assert_error (error, SS_ERROR, code);
  g_test_message ("%s", error->message);
  if (path != NULL && strstr (error->message, path) == NULL)
    g_error ("message does not name the file “%s”: %s", path, error->message);
  if (problem != NULL && strstr (error->message, problem) == NULL)
    g_error ("message does not say “%s”: %s", problem, error->message);
  if (what != NULL && strstr (error->message, what) == NULL)
    g_error ("message does not name “%s”: %s", what, error->message);
}

/* ss_model_load (path) fails so (see assert_error_names), with and without a metadata table,
 * which stays unset. */
static void
assert_load_fails (const char *path,
                   int         code,
                   const char *problem,
                   const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;

  g_assert_null (ss_model_load (path, NULL, &error));
  assert_error_names (error, code, path, problem, what);
  g_clear_error (&error);
  g_assert_null (ss_model_load (path, &meta, &error));
  assert_error_names (error, code, path, problem, what);
  g_assert_null (meta);
}

/* The same for ss_model_open (spec) with input (C, H, W) and classes. */
static void
assert_open_fails (const char *spec,
                   int         c,
                   int         h,
                   int         w,
                   int         classes,
                   int         code,
                   const char *problem,
                   const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;

  g_assert_null (ss_model_open (spec, c, h, w, classes, 0, NULL, &error));
  assert_error_names (error, code, spec, problem, what);
  g_clear_error (&error);
  g_assert_null (ss_model_open (spec, c, h, w, classes, 0, &meta, &error));
  assert_error_names (error, code, spec, problem, what);
  g_assert_null (meta);
}

/* ss_model_load_weights (net, path) fails so. */
static void
assert_weights_fail (SsNet      *net,
                     const char *path,
                     int         code,
                     const char *problem,
                     const char *what)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ss_model_load_weights (net, path, &error));
  assert_error_names (error, code, path, problem, what);
}

/* ss_model_load (path) gives a net the same as want. */
static void
assert_loads_as (const char *path,
                 SsNet      *want)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) back = ss_model_load (path, NULL, &error);

  g_assert_no_error (error);
  assert_same_nets (want, back);
}

/* ss_model_save (net, path) fails with SS_ERROR_IO naming path and saying the old file is
 * unchanged. */
static void
assert_save_fails (SsNet      *net,
                   const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ss_model_save (net, path, NULL, &error));
  assert_error_names (error, SS_ERROR_IO, path, "unchanged", NULL);
}

/* fx->path still holds old (old_len bytes), alone in fx->dir. */
static void
assert_file_kept (SsTestDir  *fx,
                  const char *old,
                  gsize       old_len)
{
  gsize now_len = 0;
  g_autofree char *now = ss_test_read_file (fx->path, &now_len);

  g_assert_cmpmem (now, now_len, old, old_len);
  g_assert_cmpuint (ss_test_count_entries (fx->dir), ==, 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Round trip                                                                               */

typedef struct {
  const char *name;
  const char *builtin;   /* NULL: tiny_json */
  int         c, h, w, classes;
} ArchSpec;

static const ArchSpec round_trip_specs[] = {
  { "tiny-json", NULL },
  { "lenet5", "lenet5", 1, 28, 28, 10 },
  { "fmnist-vgg", "fmnist-vgg", 1, 28, 28, 10 },
  { "resnet20", "resnet20", 3, 32, 32, 10 },
};

static void
test_round_trip (SsTestDir    *fx,
                 gconstpointer data)
{
  const ArchSpec *spec = data;
  const char *path = fx->path;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) net = NULL, back = NULL, opened = NULL;
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) meta_back = NULL, meta_opened = NULL;
  g_autoptr(SsSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  int c, h, w, n = 2, k;
  g_autofree float *x = NULL, *logits = NULL;

  g_test_summary ("ss_model_save then ss_model_load gives the same architecture, bit-identical "
                  "parameters, running statistics and num_batches_tracked, the dataset and "
                  "training metadata, and bit-identical logits; the file has the format "
                  "version and the architecture JSON, which caller metadata cannot override, "
                  "and a num_batches_tracked int64 scalar after each BN's running_var.");
  if (spec->builtin != NULL)
    arch = ss_arch_new_builtin (spec->builtin, spec->c, spec->h, spec->w, spec->classes, &error);
  else
    arch = ss_arch_new_from_json (tiny_json, -1, &error);
  g_assert_no_error (error);
  net = trained_net (arch, 11);

  g_hash_table_insert (meta, (char *) SS_MODEL_META_DATASET, (char *) "fashion-mnist “test” ✓");
  g_hash_table_insert (meta, (char *) SS_MODEL_META_TRAINING,
                       (char *) "{\"epochs\": 3, \"lr\": 0.1}");
  g_hash_table_insert (meta, (char *) SS_MODEL_META_ARCH, (char *) "{\"not\": \"this\"}");
  g_hash_table_insert (meta, (char *) SS_MODEL_META_FORMAT, (char *) "99");
  g_assert_true (ss_model_save (net, path, meta, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ss_test_count_entries (fx->dir), ==, 1);   /* no temporary left behind */

  back = ss_model_load (path, &meta_back, &error);
  g_assert_no_error (error);
  assert_same_nets (net, back);
  g_assert_cmpstr (ss_arch_get_name (ss_net_get_arch (back)), ==, ss_arch_get_name (arch));
  g_assert_cmpstr (g_hash_table_lookup (meta_back, SS_MODEL_META_DATASET), ==,
                   "fashion-mnist “test” ✓");
  g_assert_cmpstr (g_hash_table_lookup (meta_back, SS_MODEL_META_TRAINING), ==,
                   "{\"epochs\": 3, \"lr\": 0.1}");

  /* The same through --model's path. */
  opened = ss_model_open (path, 0, 0, 0, 0, 0, &meta_opened, &error);
  g_assert_no_error (error);
  assert_same_nets (net, opened);
  g_assert_cmpstr (g_hash_table_lookup (meta_opened, SS_MODEL_META_DATASET), ==,
                   "fashion-mnist “test” ✓");

  /* What is in the file. */
  st = ss_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ss_safetensors_get_metadata (st, SS_MODEL_META_FORMAT), ==, "1");
  json = ss_arch_to_json (arch);
  g_assert_cmpstr (ss_safetensors_get_metadata (st, SS_MODEL_META_ARCH), ==, json);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    if (ss_arch_get_node (arch, i)->op == SS_OP_BATCHNORM)
      {
        g_autofree char *key = g_strconcat (ss_arch_get_node (arch, i)->name,
                                            ".num_batches_tracked", NULL);
        const SsTensorView *t = ss_safetensors_lookup (st, key);
        g_assert_nonnull (t);
        g_assert_cmpint (t->dtype, ==, SS_DTYPE_I64);
        g_assert_cmpint (t->ndim, ==, 0);
        g_assert_cmpint (*(const gint64 *) t->data, ==, 1000 + i);
      }

  /* Same weights, same thread count: same logits, bit for bit. */
  ss_arch_get_input (arch, &c, &h, &w);
  k = ss_arch_get_n_classes (arch);
  x = g_new (float, n * c * h * w);
  ss_test_fill_uniform (x, (gsize) n * c * h * w, -1.f, 1.f, 5);
  ss_net_set_n_threads (back, 1);
  logits = g_memdup2 (ss_net_forward (net, x, n, SS_MODE_EVAL, NULL), sizeof (float) * n * k);
  g_assert_cmpmem (ss_net_forward (back, x, n, SS_MODE_EVAL, NULL), sizeof (float) * n * k,
                   logits, sizeof (float) * n * k);
}

static void
test_load_weights_round_trip (SsTestDir    *fx,
                              gconstpointer data)
{
  g_autoptr(SsNet) net = tiny_net (3);
  g_autoptr(SsNet) other = ss_net_new (ss_net_get_arch (net), 99);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A model file is also a state_dict: ss_model_load_weights into a fresh net "
                  "of the same architecture reproduces every tensor and counter.");
  g_assert_true (ss_model_save (net, fx->path, NULL, &error));
  g_assert_true (ss_model_load_weights (other, fx->path, &error));
  g_assert_no_error (error);
  assert_same_nets (net, other);
}

/* ---------------------------------------------------------------------------------------- */
/* Bad files                                                                                */

typedef enum {
  BAD_NONE,
  BAD_MISSING,      /* target left out */
  BAD_EXTRA,        /* a tensor the architecture lacks */
  BAD_SHAPE,        /* target with its first two dimensions swapped */
  BAD_DTYPE,        /* target stored as I64 */
  BAD_NAN,          /* target[1] = NaN */
  BAD_INF,          /* target[0] = -inf */
  BAD_NEG_VAR,      /* target (a running_var)[0] = -0.5 */
  BAD_BATCHES,      /* target (a num_batches_tracked) stored as F32 */
} Bad;

/* Writes net's state_dict as PyTorch names it, with one defect, and with the architecture
 * metadata unless arch_json is NULL. */
static void
write_state (SsNet      *net,
             const char *path,
             Bad         bad,
             const char *target,
             const char *arch_json)
{
  g_autoptr(SsSafetensorsWriter) w = ss_safetensors_writer_new ();
  g_autoptr(GError) error = NULL;
  const SsArch *arch = ss_net_get_arch (net);

  if (arch_json != NULL)
    {
      ss_safetensors_writer_add_metadata (w, SS_MODEL_META_FORMAT, "1");
      ss_safetensors_writer_add_metadata (w, SS_MODEL_META_ARCH, arch_json);
    }
  for (int p = 0; p < ss_net_get_n_params (net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const SsNode *node = ss_arch_get_node (arch, info->node);
      g_autofree float *v = g_memdup2 (ss_net_get_param (net, p), info->len * sizeof (float));
      gint64 shape[4];
      gboolean is_target = g_strcmp0 (info->name, target) == 0;

      memcpy (shape, info->shape, sizeof shape);
      if (is_target)
        switch (bad)
          {
          case BAD_MISSING:
            continue;
          case BAD_SHAPE:
            g_assert_cmpint (info->ndim, >=, 2);
            g_assert_cmpint (shape[0], !=, shape[1]);
            shape[0] = info->shape[1];
            shape[1] = info->shape[0];
            break;
          case BAD_DTYPE:
            {
              g_autofree gint64 *iv = g_new (gint64, info->len);
              for (gsize k = 0; k < info->len; k++)
                iv[k] = (gint64) lrintf (v[k] * 100);
              ss_safetensors_writer_add (w, info->name, SS_DTYPE_I64, shape, info->ndim, iv);
            }
            continue;
          case BAD_NAN:
            v[1] = NAN;
            break;
          case BAD_INF:
            v[0] = -INFINITY;
            break;
          case BAD_NEG_VAR:
            v[0] = -0.5f;
            break;
          default:
            break;
          }
      ss_safetensors_writer_add (w, info->name, SS_DTYPE_F32, shape, info->ndim, v);
      if (node->op == SS_OP_BATCHNORM && g_str_has_suffix (info->name, ".running_var"))
        {
          g_autofree char *name = g_strconcat (node->name, ".num_batches_tracked", NULL);
          gint64 count = ss_net_get_batches_tracked (net, info->node);
          float fcount = (float) count;
          if (bad == BAD_BATCHES && g_str_equal (name, target))
            ss_safetensors_writer_add (w, name, SS_DTYPE_F32, NULL, 0, &fcount);
          else
            ss_safetensors_writer_add (w, name, SS_DTYPE_I64, NULL, 0, &count);
        }
    }
  if (bad == BAD_EXTRA)
    {
      const gint64 shape[1] = { 3 };
      const float extra[3] = { 1, 2, 3 };
      ss_safetensors_writer_add (w, target, SS_DTYPE_F32, shape, 1, extra);
    }
  g_assert_true (ss_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
}

typedef struct {
  const char *name;
  Bad         bad;
  const char *target;
  int         code;      /* in SS_ERROR */
  const char *problem;   /* a phrase the message must contain */
} BadCase;

static const BadCase bad_cases[] = {
  { "missing-tensor", BAD_MISSING, "layer1.0.bn2.running_mean", SS_ERROR_SHAPE, "missing" },
  { "missing-weight", BAD_MISSING, "fc.weight", SS_ERROR_SHAPE, "missing" },
  { "extra-tensor", BAD_EXTRA, "fc.scale", SS_ERROR_SHAPE, "does not have" },
  { "shape", BAD_SHAPE, "layer1.0.conv1.weight", SS_ERROR_SHAPE, "has shape 4×8×3×3" },
  { "shape-linear", BAD_SHAPE, "fc.weight", SS_ERROR_SHAPE, "needs 3×8" },
  { "dtype-i64", BAD_DTYPE, "conv.weight", SS_ERROR_FORMAT, "not float32" },
  { "nan", BAD_NAN, "layer1.0.downsample.0.weight", SS_ERROR_VALUE, "NaN" },
  { "inf", BAD_INF, "bn.bias", SS_ERROR_VALUE, "infinite" },
  { "negative-var", BAD_NEG_VAR, "layer1.0.bn1.running_var", SS_ERROR_VALUE, "negative" },
  { "batches-tracked-f32", BAD_BATCHES, "bn.num_batches_tracked", SS_ERROR_FORMAT, "int64" },
};

static void
test_bad_file (SsTestDir    *fx,
               gconstpointer data)
{
  const BadCase *bc = data;
  g_autoptr(SsNet) net = tiny_net (21);
  g_autoptr(SsNet) target = tiny_net (77);
  g_autoptr(GByteArray) before = net_snapshot (target);
  g_autoptr(GByteArray) after = NULL;
  g_autofree char *json = ss_arch_to_json (ss_net_get_arch (net));

  g_test_summary ("A model file with one defect (see bad_cases[]) fails to load with "
                  "ss_model_load and with ss_model_load_weights, with the right SS_ERROR code "
                  "and a message naming the file, the tensor and the problem; "
                  "ss_model_load_weights leaves the net as it was.");
  write_state (net, fx->path, bc->bad, bc->target, json);
  assert_load_fails (fx->path, bc->code, bc->problem, bc->target);
  assert_weights_fail (target, fx->path, bc->code, bc->problem, bc->target);
  after = net_snapshot (target);
  g_assert_cmpmem (before->data, before->len, after->data, after->len);

  /* Control: the same file without the defect loads. */
  write_state (net, fx->path, BAD_NONE, NULL, json);
  assert_loads_as (fx->path, net);
}

static void
test_no_arch (SsTestDir    *fx,
              gconstpointer data)
{
  const char *path = fx->path;
  g_autoptr(SsNet) net = tiny_net (5);
  g_autoptr(SsNet) other = ss_net_new (ss_net_get_arch (net), 6);
  g_autoptr(GError) error = NULL;

  g_test_summary ("A plain state_dict (no supersign.arch metadata) given to ss_model_load is "
                  "SS_ERROR_FORMAT naming the file and the missing architecture; the same file "
                  "loads as weights into a net of that architecture.");
  write_state (net, path, BAD_NONE, NULL, NULL);
  assert_load_fails (path, SS_ERROR_FORMAT, "no architecture", NULL);
  assert_open_fails (path, 2, 6, 6, 3, SS_ERROR_FORMAT, "no architecture", NULL);

  g_assert_true (ss_model_load_weights (other, path, &error));
  g_assert_no_error (error);
  assert_same_nets (net, other);
}

typedef struct {
  const char *name;
  const char *arch_json;   /* the supersign.arch metadata */
  const char *format;      /* supersign.format, or NULL */
  int         code;
  const char *problem;
} BadMetaCase;

static const BadMetaCase bad_meta_cases[] = {
  { "truncated-json", "{\"name\": \"mf-tiny\", \"input\": [2, 6", NULL, SS_ERROR_ARCH,
    "not valid JSON" },
  { "not-an-object", "[1, 2, 3]", NULL, SS_ERROR_ARCH, "JSON object" },
  { "unknown-layer", "{\"name\": \"x\", \"input\": [2, 6, 6], \"classes\": 3, \"layers\": "
    "[{\"type\": \"convolution\", \"name\": \"conv\"}]}", NULL, SS_ERROR_ARCH, "convolution" },
  { "other-arch", "{\"name\": \"x\", \"input\": [2, 6, 6], \"classes\": 3, \"layers\": "
    "[{\"type\": \"flatten\", \"name\": \"flatten\"}, {\"type\": \"linear\", \"name\": \"fc\", "
    "\"out\": 3}]}", NULL, SS_ERROR_SHAPE, "fc.weight" },
  { "format-version", NULL, "2", SS_ERROR_FORMAT, "version 2" },
};

static void
test_bad_meta (SsTestDir    *fx,
               gconstpointer data)
{
  const BadMetaCase *bc = data;
  g_autoptr(SsNet) net = tiny_net (8);
  g_autoptr(SsSafetensors) st = NULL;
  g_autoptr(SsSafetensorsWriter) w = ss_safetensors_writer_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *good = NULL;
  g_autofree char *json = ss_arch_to_json (ss_net_get_arch (net));

  g_test_summary ("A model file whose metadata is wrong (corrupt or inconsistent "
                  "architecture JSON, unknown format version) is refused by ss_model_load "
                  "with a message naming the file and the problem.");
  /* A good file, then the same tensors with the metadata replaced. */
  good = g_build_filename (fx->dir, "good.safetensors", NULL);
  g_assert_true (ss_model_save (net, good, NULL, &error));
  st = ss_safetensors_load (good, &error);
  g_assert_no_error (error);
  ss_safetensors_writer_add_metadata (w, SS_MODEL_META_FORMAT, bc->format ? bc->format : "1");
  ss_safetensors_writer_add_metadata (w, SS_MODEL_META_ARCH, bc->arch_json ? bc->arch_json : json);
  for (guint i = 0; i < ss_safetensors_get_n_tensors (st); i++)
    {
      const SsTensorView *t = ss_safetensors_get (st, i);
      ss_safetensors_writer_add (w, t->name, t->dtype, t->shape, t->ndim, t->data);
    }
  g_assert_true (ss_safetensors_writer_save (w, fx->path, &error));
  assert_load_fails (fx->path, bc->code, bc->problem, NULL);
}

static void
test_open_errors (SsTestDir    *fx,
                  gconstpointer data)
{
  g_autofree char *missing = g_build_filename (fx->dir, "nowhere", "model.safetensors", NULL);
  g_autofree char *missing_json = g_build_filename (fx->dir, "arch.json", NULL);
  g_autoptr(SsArch) arch = ss_test_arch_from_json (tiny_json);
  g_autoptr(SsNet) fresh = ss_net_new (arch, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(SsNet) net = NULL;

  g_test_summary ("ss_model_open and ss_model_load: an unknown built-in name is SS_ERROR_ARCH "
                  "naming it and the known ones; a missing .safetensors or .json file is "
                  "SS_ERROR_IO naming the file; a known built-in gives a fresh net.");
  assert_open_fails ("resnet21", 3, 32, 32, 10, SS_ERROR_ARCH, "unknown architecture",
                     "resnet20");
  assert_load_fails (missing, SS_ERROR_IO, g_strerror (ENOENT), NULL);
  assert_open_fails (missing, 3, 32, 32, 10, SS_ERROR_IO, g_strerror (ENOENT), NULL);
  assert_open_fails (missing_json, 3, 32, 32, 10, SS_ERROR_IO, NULL, NULL);
  assert_weights_fail (fresh, missing, SS_ERROR_IO, g_strerror (ENOENT), NULL);

  net = ss_model_open ("lenet5", 1, 28, 28, 10, 0, &meta, &error);
  g_assert_no_error (error);
  g_assert_nonnull (net);
  g_assert_nonnull (meta);
}

static void
test_truncated (SsTestDir    *fx,
                gconstpointer data)
{
  g_autofree char *cut = g_build_filename (fx->dir, "cut.safetensors", NULL);
  g_autoptr(SsNet) net = tiny_net (9);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint64 header_len;

  g_test_summary ("A model file cut short — inside the 8-byte length, inside the header, "
                  "inside the data, one byte short — is SS_ERROR_FORMAT naming the file, from "
                  "ss_model_load and ss_model_load_weights alike.");
  g_assert_true (ss_model_save (net, fx->path, NULL, &error));
  contents = ss_test_read_file (fx->path, &len);
  memcpy (&header_len, contents, 8);
  header_len = GUINT64_FROM_LE (header_len);
  g_assert_cmpuint (len, >, 8 + header_len + 16);
  {
    const gsize cuts[] = { 0, 5, 8 + header_len / 2, 8 + header_len + 10, len - 1 };
    for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autoptr(SsNet) other = ss_net_new (ss_net_get_arch (net), 0);
        g_assert_true (g_file_set_contents (cut, contents, (gssize) cuts[i], NULL));
        g_test_message ("cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, cuts[i], len);
        assert_load_fails (cut, SS_ERROR_FORMAT, NULL, NULL);
        assert_weights_fail (other, cut, SS_ERROR_FORMAT, NULL, NULL);
      }
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Atomic save                                                                              */

static void
test_save_not_a_directory (SsTestDir    *fx,
                           gconstpointer data)
{
  g_autofree char *file = g_build_filename (fx->dir, "a-file", NULL);
  g_autofree char *path = g_build_filename (file, "model.safetensors", NULL);
  g_autoptr(SsNet) net = tiny_net (1);

  g_test_summary ("Saving below a regular file (a location nobody, root included, can write) "
                  "fails with SS_ERROR_IO naming the path, and creates nothing.");
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  assert_save_fails (net, path);
  g_assert_cmpuint (ss_test_count_entries (fx->dir), ==, 1);
}

static void
test_save_read_only (SsTestDir    *fx,
                     gconstpointer data)
{
  g_autoptr(SsNet) old_net = tiny_net (1);
  g_autoptr(SsNet) new_net = tiny_net (2);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_bytes = NULL;
  gsize old_len = 0;

  g_test_summary ("Saving into a read-only folder that holds an older model fails with "
                  "SS_ERROR_IO naming the path, and leaves the old file byte for byte "
                  "unchanged with no temporary file beside it.");
  g_assert_true (ss_model_save (old_net, fx->path, NULL, &error));
  old_bytes = ss_test_read_file (fx->path, &old_len);
  g_assert_cmpint (g_chmod (fx->dir, 0500), ==, 0);
  if (access (fx->dir, W_OK) == 0)
    {
      g_test_skip ("running as root, a read-only folder is writable; "
                   "/model-file/save/disk-full covers the unchanged old file");
      return;
    }
  assert_save_fails (new_net, fx->path);
  assert_file_kept (fx, old_bytes, old_len);
  assert_loads_as (fx->path, old_net);
}

static void
test_save_disk_full (SsTestDir    *fx,
                     gconstpointer data)
{
  g_autoptr(SsNet) old_net = tiny_net (1);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_bytes = NULL;
  gsize old_len = 0;

  g_test_summary ("When writing the new file fails part way (a file-size limit stands in for a "
                  "full disk, and works as root too), ss_model_save reports SS_ERROR_IO naming "
                  "the path, the existing model is byte for byte unchanged and no temporary "
                  "file is left behind.");
  g_assert_true (ss_model_save (old_net, fx->path, NULL, &error));
  old_bytes = ss_test_read_file (fx->path, &old_len);

  {
    /* A bigger net, so that its file exceeds the limit. */
    g_autoptr(SsArch) big = ss_arch_new_builtin ("lenet5", 1, 28, 28, 10, NULL);
    g_autoptr(SsNet) new_net = ss_net_new (big, 2);
    struct rlimit saved, lim;
    void (*saved_handler) (int);
    gboolean ok;

    g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    lim = saved;
    lim.rlim_cur = 4096;
    saved_handler = signal (SIGXFSZ, SIG_IGN);   /* write() then fails with EFBIG */
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
    ok = ss_model_save (new_net, fx->path, NULL, &error);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    signal (SIGXFSZ, saved_handler);
    g_assert_false (ok);
    assert_error_names (error, SS_ERROR_IO, fx->path, "unchanged", NULL);
  }
  assert_file_kept (fx, old_bytes, old_len);
}

static void
test_save_replaces (SsTestDir    *fx,
                    gconstpointer data)
{
  g_autoptr(SsNet) a = tiny_net (1);
  g_autoptr(SsNet) b = tiny_net (2);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Saving over an existing model replaces it completely and leaves only the "
                  "one file.");
  g_assert_true (ss_model_save (a, fx->path, NULL, &error));
  g_assert_true (ss_model_save (b, fx->path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ss_test_count_entries (fx->dir), ==, 1);
  assert_loads_as (fx->path, b);
}

/* ---------------------------------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_specs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model-file/round-trip/%s",
                                               round_trip_specs[i].name);
      ss_test_add_in_dir (path, &round_trip_specs[i], test_round_trip);
    }
  ss_test_add_in_dir ("/model-file/round-trip/load-weights", NULL, test_load_weights_round_trip);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model-file/bad/%s", bad_cases[i].name);
      ss_test_add_in_dir (path, &bad_cases[i], test_bad_file);
    }
  ss_test_add_in_dir ("/model-file/bad/no-arch", NULL, test_no_arch);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_meta_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model-file/bad-metadata/%s",
                                               bad_meta_cases[i].name);
      ss_test_add_in_dir (path, &bad_meta_cases[i], test_bad_meta);
    }
  ss_test_add_in_dir ("/model-file/bad/truncated", NULL, test_truncated);
  ss_test_add_in_dir ("/model-file/open/errors", NULL, test_open_errors);
  ss_test_add_in_dir ("/model-file/save/not-a-directory", NULL, test_save_not_a_directory);
  ss_test_add_in_dir ("/model-file/save/read-only", NULL, test_save_read_only);
  ss_test_add_in_dir ("/model-file/save/disk-full", NULL, test_save_disk_full);
  ss_test_add_in_dir ("/model-file/save/replaces", NULL, test_save_replaces);
  return g_test_run ();
}
