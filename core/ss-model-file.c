/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-error.h"
#include "ss-model-file-private.h"
#include "ss-onnx.h"
#include "ss-safetensors.h"

#define FORMAT_VERSION "1"

gboolean
ss_model_save (SsNet      *net,
               const char *path,
               GHashTable *metadata,
               GError    **error)
{
  g_autoptr(SsSafetensorsWriter) w = NULL;
  g_autofree char *arch_json = NULL;
  const SsArch *arch;
  int last_bn = -1;

  g_return_val_if_fail (net != NULL && path != NULL, FALSE);

  w = ss_safetensors_writer_new ();
  arch = ss_net_get_arch (net);
  arch_json = ss_arch_to_json (arch);

  ss_safetensors_writer_add_metadata (w, SS_MODEL_META_FORMAT, FORMAT_VERSION);
  ss_safetensors_writer_add_metadata (w, SS_MODEL_META_ARCH, arch_json);
  if (metadata != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_str_equal (key, SS_MODEL_META_ARCH) && !g_str_equal (key, SS_MODEL_META_FORMAT))
          ss_safetensors_writer_add_metadata (w, key, value);
    }

  for (int p = 0; p < ss_net_get_n_params (net); p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const SsNode *node = ss_arch_get_node (arch, info->node);

      ss_safetensors_writer_add (w, info->name, SS_DTYPE_F32, info->shape, info->ndim,
                                 ss_net_get_param (net, p));
      /* PyTorch's BatchNorm state_dict ends with num_batches_tracked, an int64 scalar. */
      if (node->op == SS_OP_BATCHNORM && g_str_has_suffix (info->name, ".running_var") &&
          last_bn != info->node)
        {
          g_autofree char *name = g_strconcat (node->name, ".num_batches_tracked", NULL);
          gint64 count = ss_net_get_batches_tracked (net, info->node);
          ss_safetensors_writer_add (w, name, SS_DTYPE_I64, NULL, 0, &count);
          last_bn = info->node;
        }
    }
  return ss_safetensors_writer_save (w, path, error);
}

/* Every tensor of st in one array (shallow copies of its views). Transfer full (g_free). */
static SsTensorView *
all_tensors (const SsSafetensors *st)
{
  guint n = ss_safetensors_get_n_tensors (st);
  SsTensorView *views = g_new0 (SsTensorView, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    views[i] = *ss_safetensors_get (st, i);
  return views;
}

static gboolean
load_tensors (SsNet               *net,
              const SsSafetensors *st,
              const char          *path,
              GError             **error)
{
  g_autofree SsTensorView *views = all_tensors (st);
  return ss_model_load_tensors (net, views, ss_safetensors_get_n_tensors (st), path, error);
}

static gboolean
is_batches_tracked (const SsNet *net,
                    const char  *name,
                    int         *node)
{
  g_autofree char *prefix = NULL;
  const char *suffix = ".num_batches_tracked";

  if (!g_str_has_suffix (name, suffix))
    return FALSE;
  prefix = g_strndup (name, strlen (name) - strlen (suffix));
  *node = ss_arch_find_node (ss_net_get_arch (net), prefix);
  return *node >= 0 && ss_arch_get_node (ss_net_get_arch (net), *node)->op == SS_OP_BATCHNORM;
}

static gboolean
all_finite (const float *x,
            gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (x[i]))
      return FALSE;
  return TRUE;
}

static const SsTensorView *
find_tensor (const SsTensorView *tensors,
             guint               n_tensors,
             const char         *name)
{
  for (guint i = 0; i < n_tensors; i++)
    if (g_str_equal (tensors[i].name, name))
      return &tensors[i];
  return NULL;
}

/* Shared by model files and the ONNX importer (ss-model-file-private.h); path names the
 * source in messages. */
gboolean
ss_model_load_tensors (SsNet              *net,
                       const SsTensorView *tensors,
                       guint               n_tensors,
                       const char         *path,
                       GError            **error)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GString) extra = g_string_new (NULL);
  int n_params = ss_net_get_n_params (net);

  /* Check everything before writing anything, so a bad file leaves the net as it was. */
  for (int p = 0; p < n_params; p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const SsTensorView *t = find_tensor (tensors, n_tensors, info->name);
      gboolean same = TRUE;

      if (t == NULL)
        {
          g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", info->name);
          continue;
        }
      if (t->dtype != SS_DTYPE_F32)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: tensor “%s” is not float32; Supersign models hold F32 weights",
                       path, info->name);
          return FALSE;
        }
      same = t->ndim == info->ndim;
      for (int d = 0; same && d < info->ndim; d++)
        same = t->shape[d] == info->shape[d];
      if (!same)
        {
          g_autoptr(GString) want = g_string_new (NULL), got = g_string_new (NULL);
          for (int d = 0; d < info->ndim; d++)
            g_string_append_printf (want, "%s%" G_GINT64_FORMAT, d ? "×" : "", info->shape[d]);
          for (int d = 0; d < t->ndim; d++)
            g_string_append_printf (got, "%s%" G_GINT64_FORMAT, d ? "×" : "", t->shape[d]);
          g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                       "%s: tensor “%s” has shape %s, but the architecture “%s” needs %s",
                       path, info->name, got->len ? got->str : "(scalar)",
                       ss_arch_get_name (ss_net_get_arch (net)), want->str);
          return FALSE;
        }
      if (!all_finite (t->data, info->len))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                       "%s: tensor “%s” holds NaN or infinite values", path, info->name);
          return FALSE;
        }
      if (g_str_has_suffix (info->name, ".running_var"))
        for (gsize k = 0; k < info->len; k++)
          if (((const float *) t->data)[k] < 0)
            {
              g_set_error (error, SS_ERROR, SS_ERROR_VALUE,
                           "%s: tensor “%s” holds a negative variance", path, info->name);
              return FALSE;
            }
    }
  if (missing->len > 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                   "%s: tensors missing for the architecture “%s”: %s", path,
                   ss_arch_get_name (ss_net_get_arch (net)), missing->str);
      return FALSE;
    }
  for (guint i = 0; i < n_tensors; i++)
    {
      const SsTensorView *t = &tensors[i];
      int node;
      if (ss_net_find_param (net, t->name) >= 0)
        continue;
      if (is_batches_tracked (net, t->name, &node))
        {
          if (t->dtype != SS_DTYPE_I64 || t->n_bytes != sizeof (gint64) ||
              *(const gint64 *) t->data < 0)
            {
              g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                           "%s: “%s” must be one non-negative int64", path, t->name);
              return FALSE;
            }
          continue;
        }
      g_string_append_printf (extra, "%s%s", extra->len ? ", " : "", t->name);
    }
  if (extra->len > 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                   "%s: tensors that the architecture “%s” does not have: %s", path,
                   ss_arch_get_name (ss_net_get_arch (net)), extra->str);
      return FALSE;
    }

  for (int p = 0; p < n_params; p++)
    {
      const SsParamInfo *info = ss_net_get_param_info (net, p);
      const SsTensorView *t = find_tensor (tensors, n_tensors, info->name);
      memcpy (ss_net_get_param (net, p), t->data, sizeof (float) * info->len);
    }
  for (guint i = 0; i < n_tensors; i++)
    {
      const SsTensorView *t = &tensors[i];
      int node;
      if (is_batches_tracked (net, t->name, &node))
        ss_net_set_batches_tracked (net, node, *(const gint64 *) t->data);
    }
  return TRUE;
}

gboolean
ss_model_load_weights (SsNet      *net,
                       const char *path,
                       GError    **error)
{
  g_autoptr(SsSafetensors) st = NULL;

  g_return_val_if_fail (net != NULL && path != NULL, FALSE);
  st = ss_safetensors_load (path, error);
  return st != NULL && load_tensors (net, st, path, error);
}

SsNet *
ss_model_load (const char  *path,
               GHashTable **metadata,
               GError     **error)
{
  g_autoptr(SsSafetensors) st = NULL;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *json, *format;

  g_return_val_if_fail (path != NULL, NULL);

  st = ss_safetensors_load (path, error);
  if (st == NULL)
    return NULL;
  json = ss_safetensors_get_metadata (st, SS_MODEL_META_ARCH);
  if (json == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: not a Supersign model (its metadata has no architecture); to read a "
                   "plain state_dict, name the architecture and pass the file as weights", path);
      return NULL;
    }
  format = ss_safetensors_get_metadata (st, SS_MODEL_META_FORMAT);
  if (format != NULL && !g_str_equal (format, FORMAT_VERSION))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: model format version %s; this Supersign reads version %s", path, format,
                   FORMAT_VERSION);
      return NULL;
    }
  arch = ss_arch_new_from_json (json, -1, &local_error);
  if (arch == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: %s", path, local_error->message);
      return NULL;
    }
  net = ss_net_new (arch, 0);
  if (!load_tensors (net, st, path, error))
    return NULL;
  if (metadata != NULL)
    {
      const char *keys[] = { SS_MODEL_META_DATASET, SS_MODEL_META_TRAINING };
      *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          const char *v = ss_safetensors_get_metadata (st, keys[k]);
          if (v != NULL)
            g_hash_table_insert (*metadata, g_strdup (keys[k]), g_strdup (v));
        }
    }
  return g_steal_pointer (&net);
}

SsNet *
ss_model_open (const char  *spec,
               int          in_c,
               int          in_h,
               int          in_w,
               int          n_classes,
               guint64      seed,
               GHashTable **metadata,
               GError     **error)
{
  g_autoptr(SsArch) arch = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  if (metadata != NULL)
    *metadata = NULL;
  if (g_str_has_suffix (spec, ".safetensors"))
    return ss_model_load (spec, metadata, error);
  if (g_str_has_suffix (spec, ".onnx"))
    {
      /* An imported network carries no Supersign metadata (data set, recipe). */
      SsNet *net = ss_onnx_load (spec, error);
      if (net != NULL && metadata != NULL)
        *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      return net;
    }
  if (g_str_has_suffix (spec, ".json"))
    arch = ss_arch_new_from_json_file (spec, error);
  else
    arch = ss_arch_new_builtin (spec, in_c, in_h, in_w, n_classes, error);
  if (arch == NULL)
    return NULL;
  if (metadata != NULL)
    *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return ss_net_new (arch, seed);
}
