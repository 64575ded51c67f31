/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-arch-private.h"
#include "ss-error.h"
#include "ss-model-file-private.h"
#include "ss-onnx-private.h"
#include "ss-onnx.h"

/* ONNX graph → SsArch + weights. The nodes are converted in file order, which ONNX requires to
 * be topological: a node may only read values defined before it (the image input, an
 * initializer, or an earlier node's output), so a cycle or a dangling input shows up as a
 * read of an undefined value. Each supported operator (ss-onnx-ops.c) appends an architecture
 * node whose shape is inferred at once, so every later check (a flatten's size, a linear
 * layer's inputs, SAME padding) sees real shapes. Nodes that compute nothing (Identity,
 * Constant, the final Softmax) only alias values, and the shape computation of a flatten by
 * the run-time batch size is followed symbolically (ss-onnx-shape.c).
 *
 * Names and residual blocks come from the nodes' module scopes (ss-onnx-names.c). */

struct _SsOnnxImport {
  /* Borrowed */
  SsOnnxModel *model;
  const char  *folder;
  const char  *output;        /* the graph's output value */
  /* Owned */
  SsArch      *arch;          /* the layers so far (classes unknown until the end: 0) */
  GHashTable  *values;        /* value name (borrowed) → SsOnnxValue * */
  GHashTable  *readers;       /* value name (borrowed) → number of node inputs reading it */
  GHashTable  *first_reader;  /* value name (borrowed) → 1 + index of the first reader */
  gboolean    *fused;         /* (n_nodes) nodes already done by an earlier one */
  SsOnnxNames *names;         /* module scopes, blocks (ss-onnx-names.c) */
  GArray      *flat;          /* (layers) gboolean: output is (N, F) */
  GArray      *used;          /* (layers) gboolean: some node reads it */
  GArray      *params;        /* SsOnnxParam */
  guint        current;       /* the node being converted */
  guint64      budget;        /* parameter bytes still allowed (see ss_onnx_import_append) */
  int          in_c, in_h, in_w;
};

static void
param_clear (gpointer data)
{
  SsOnnxParam *p = data;
  g_free (p->name);
  g_free (p->owned);
}

static void
import_free (SsOnnxImport *im)
{
  ss_arch_free (im->arch);
  g_hash_table_unref (im->values);
  g_hash_table_unref (im->readers);
  g_hash_table_unref (im->first_reader);
  g_free (im->fused);
  ss_onnx_names_free (im->names);
  g_array_unref (im->flat);
  g_array_unref (im->used);
  g_clear_pointer (&im->params, g_array_unref);   /* NULL once handed over */
  g_free (im);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsOnnxImport, import_free)

/* ---------------------------------------------------------------------------------------- */
/* Values                                                                                   */

const char *
ss_onnx_node_label (const SsOnnxNode *node)
{
  if (node->name[0] != '\0')
    return node->name;
  if (node->outputs->len > 0 && ((const char *) node->outputs->pdata[0])[0] != '\0')
    return node->outputs->pdata[0];
  return node->op_type;
}

const char *
ss_onnx_node_input (const SsOnnxNode *node,
                    guint             k)
{
  return k < node->inputs->len ? node->inputs->pdata[k] : "";
}

void
ss_onnx_node_error (GError           **error,
                    int                code,
                    const SsOnnxNode  *node,
                    const char        *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, SS_ERROR, code, "node “%s” (%s): %s", ss_onnx_node_label (node),
               node->op_type, message);
}

const SsOnnxValue *
ss_onnx_import_peek (SsOnnxImport      *im,
                     const SsOnnxNode  *node,
                     guint              k,
                     GError           **error)
{
  const char *name = ss_onnx_node_input (node, k);
  SsOnnxValue *v;

  if (name[0] == '\0')
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node, "input %u is missing", k + 1);
      return NULL;
    }
  v = g_hash_table_lookup (im->values, name);
  if (v == NULL)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "reads “%s”, which no initializer, graph input or earlier node "
                          "defines (a dangling input, a cycle, or nodes out of topological "
                          "order)", name);
      return NULL;
    }
  return v;
}

const SsOnnxValue *
ss_onnx_import_input (SsOnnxImport      *im,
                      const SsOnnxNode  *node,
                      guint              k,
                      GError           **error)
{
  const SsOnnxValue *v = ss_onnx_import_peek (im, node, k, error);

  if (v != NULL && v->kind == SS_ONNX_VALUE_LAYER)
    g_array_index (im->used, gboolean, v->layer) = TRUE;
  return v;
}

gboolean
ss_onnx_import_activation (SsOnnxImport      *im,
                           const SsOnnxNode  *node,
                           guint              k,
                           int               *layer,
                           gboolean          *flat,
                           GError           **error)
{
  const SsOnnxValue *v = ss_onnx_import_input (im, node, k, error);

  if (v == NULL)
    return FALSE;
  if (v->kind == SS_ONNX_VALUE_CONST)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) is a constant tensor; Supersign needs it computed "
                          "from the image", k + 1, ss_onnx_node_input (node, k));
      return FALSE;
    }
  if (v->kind == SS_ONNX_VALUE_SHAPE || v->kind == SS_ONNX_VALUE_INTS)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) is computed from a tensor's shape; Supersign reads "
                          "shapes only as the batch size of a flatten (Shape, Gather of entry "
                          "0, Unsqueeze, Concat, Reshape)", k + 1, ss_onnx_node_input (node, k));
      return FALSE;
    }
  *layer = v->layer;
  *flat = v->flat;
  return TRUE;
}

gboolean
ss_onnx_import_const (SsOnnxImport        *im,
                      const SsOnnxNode    *node,
                      guint                k,
                      int                  data_type,
                      gboolean             optional,
                      const SsOnnxTensor **out,
                      GError             **error)
{
  const SsOnnxValue *v;

  *out = NULL;
  if (optional && ss_onnx_node_input (node, k)[0] == '\0')
    return TRUE;
  if ((v = ss_onnx_import_input (im, node, k, error)) == NULL)
    return FALSE;
  if (v->kind != SS_ONNX_VALUE_CONST)
    {
      ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                          "input %u (“%s”) must be a constant tensor (an initializer), but the "
                          "graph computes it", k + 1, ss_onnx_node_input (node, k));
      return FALSE;
    }
  if (v->tensor->data_type != data_type)
    {
      ss_onnx_node_error (error, SS_ERROR_FORMAT, node,
                          "input %u (“%s”) has data type %s; Supersign reads %s here", k + 1,
                          ss_onnx_node_input (node, k),
                          ss_onnx_type_name (v->tensor->data_type),
                          ss_onnx_type_name (data_type));
      return FALSE;
    }
  *out = v->tensor;
  return TRUE;
}

static gboolean
define_value (SsOnnxImport       *im,
              const char         *name,
              const SsOnnxValue  *value,
              GError            **error)
{
  if (g_hash_table_contains (im->values, name))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the value “%s” is defined twice; ONNX values are defined once", name);
      return FALSE;
    }
  g_hash_table_insert (im->values, (gpointer) name, g_memdup2 (value, sizeof *value));
  return TRUE;
}

gboolean
ss_onnx_import_define (SsOnnxImport       *im,
                       const SsOnnxNode   *node,
                       guint               k,
                       const SsOnnxValue  *value,
                       GError            **error)
{
  const char *name = k < node->outputs->len ? node->outputs->pdata[k] : "";

  if (name[0] == '\0')
    return TRUE;
  if (!define_value (im, name, value, error))
    {
      g_prefix_error (error, "node “%s” (%s): ", ss_onnx_node_label (node), node->op_type);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_onnx_import_only_first_output (SsOnnxImport      *im,
                                  const SsOnnxNode  *node,
                                  GError           **error)
{
  for (guint k = 1; k < node->outputs->len; k++)
    {
      const char *name = node->outputs->pdata[k];
      if (name[0] != '\0' && (g_hash_table_contains (im->readers, name) ||
                              ss_onnx_import_is_output (im, name)))
        {
          ss_onnx_node_error (error, SS_ERROR_ARCH, node,
                              "its output %u (“%s”) is used, but Supersign computes only the "
                              "first output of this operator (export in evaluation mode)",
                              k + 1, name);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ss_onnx_import_is_output (SsOnnxImport *im,
                          const char   *name)
{
  return g_str_equal (name, im->output);
}

const SsOnnxNode *
ss_onnx_import_sole_reader (SsOnnxImport *im,
                            const char   *name,
                            guint        *index)
{
  if (GPOINTER_TO_INT (g_hash_table_lookup (im->readers, name)) != 1 ||
      ss_onnx_import_is_output (im, name))
    return NULL;
  *index = (guint) GPOINTER_TO_INT (g_hash_table_lookup (im->first_reader, name)) - 1;
  return im->model->nodes->pdata[*index];
}

void
ss_onnx_import_fuse (SsOnnxImport *im,
                     guint         index)
{
  g_return_if_fail (index < im->model->nodes->len);
  im->fused[index] = TRUE;
}

void
ss_onnx_import_shape (SsOnnxImport *im,
                      int           layer,
                      int          *c,
                      int          *h,
                      int          *w)
{
  if (layer == SS_NODE_INPUT)
    {
      *c = im->in_c; *h = im->in_h; *w = im->in_w;
      return;
    }
  {
    const SsNode *node = ss_arch_get_node (im->arch, layer);
    *c = node->c; *h = node->h; *w = node->w;
  }
}

const char *
ss_onnx_import_folder (SsOnnxImport *im)
{
  return im->folder;
}

int
ss_onnx_import_append (SsOnnxImport      *im,
                       const SsOnnxNode  *onnx,
                       SsNode            *node,
                       const char        *weight_name,
                       const char        *bias_name,
                       SsOnnxParam       *params,
                       int                n_params,
                       GError           **error)
{
  g_autofree char *name = ss_onnx_names_choose (im->names, im->current, onnx, node->op,
                                                weight_name, bias_name, im->arch);
  SsOnnxValue value = { SS_ONNX_VALUE_LAYER };
  gboolean flat = FALSE, used = FALSE;
  int index;

  node->name = name;
  node->block = (char *) ss_onnx_names_block (im->names, im->current);
  index = ss_arch_append (im->arch, node);   /* copies name and block */
  node->name = node->block = NULL;

  /* Parameters may not add up to much more than the bytes they come from: a weight shared by
   * many nodes would otherwise turn a small file into any amount of memory. */
  for (int p = 0; p < n_params; p++)
    {
      guint64 bytes = sizeof (float);
      for (int d = 0; d < params[p].ndim; d++)
        bytes *= (guint64) params[p].shape[d];
      im->budget += 2 * (guint64) params[p].external;
      params[p].name = g_strconcat (name, ".", params[p].suffix, NULL);
      g_array_append_val (im->params, params[p]);
      if (bytes > im->budget)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "node “%s” (%s): the weights read so far add up to more than twice the "
                       "model's size (tensors shared by many nodes?); Supersign stops there",
                       ss_onnx_node_label (onnx), onnx->op_type);
          return -1;
        }
      im->budget -= bytes;
    }
  if (!ss_arch_infer_node (im->arch, index, error))
    {
      g_prefix_error (error, "node “%s” (%s): ", ss_onnx_node_label (onnx), onnx->op_type);
      return -1;
    }
  switch (node->op)
    {
    case SS_OP_FLATTEN:
    case SS_OP_LINEAR:
      flat = TRUE;
      break;
    case SS_OP_CONV:
    case SS_OP_MAXPOOL:
    case SS_OP_AVGPOOL:
    case SS_OP_GLOBAL_AVGPOOL:
      flat = FALSE;
      break;
    default:
      flat = node->inputs[0] != SS_NODE_INPUT &&
             g_array_index (im->flat, gboolean, node->inputs[0]);
      break;
    }
  g_array_append_val (im->flat, flat);
  g_array_append_val (im->used, used);
  value.layer = index;
  value.flat = flat;
  return ss_onnx_import_define (im, onnx, 0, &value, error) ? index : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* The graph                                                                                */

/* The one graph input that is not an initializer: float32, N×C×H×W with C, H, W fixed. */
static gboolean
find_image (SsOnnxImport  *im,
            GError       **error)
{
  const SsOnnxValueInfo *image = NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  guint n = 0;
  SsOnnxValue value = { SS_ONNX_VALUE_IMAGE, SS_NODE_INPUT, FALSE, NULL };

  for (guint i = 0; i < im->model->inputs->len; i++)
    {
      const SsOnnxValueInfo *v = im->model->inputs->pdata[i];
      if (g_hash_table_contains (im->values, v->name))
        continue;   /* IR < 4 lists initializers among the inputs */
      g_string_append_printf (names, "%s“%s”", n ? ", " : "", v->name);
      image = v;
      n++;
    }
  if (n != 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the graph has %u inputs%s%s; Supersign needs exactly one, the image batch",
                   n, n ? " " : "", names->str);
      return FALSE;
    }
  if (image->elem_type != SS_ONNX_FLOAT || image->ndim != 4 || image->dims[1] < 1 ||
      image->dims[2] < 1 || image->dims[3] < 1 || image->dims[1] > 65536 ||
      image->dims[2] > 16384 || image->dims[3] > 16384)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the graph input “%s” must be a float32 image batch N×C×H×W with C, H and W "
                   "fixed (at most 65536 channels and 16384 pixels a side); export with a "
                   "fixed image size", image->name);
      return FALSE;
    }
  im->in_c = (int) image->dims[1];
  im->in_h = (int) image->dims[2];
  im->in_w = (int) image->dims[3];
  return define_value (im, image->name, &value, error);
}

/* Checks the model's opset, binds initializers and the image, counts readers. */
static gboolean
prepare (SsOnnxImport  *im,
         GError       **error)
{
  SsOnnxModel *m = im->model;

  if (m->opset == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "the model does not name its ONNX operator set (no opset_import for the "
                   "default domain)");
      return FALSE;
    }
  if (m->opset < 11 || m->opset > 17)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "the model uses ONNX operator set %" G_GINT64_FORMAT "; Supersign reads "
                   "opsets 11 to 17 (export with torch.onnx.export(…, opset_version=13))",
                   MAX (m->opset, 0));
      return FALSE;
    }
  for (guint i = 0; i < m->initializers->len; i++)
    {
      SsOnnxTensor *t = m->initializers->pdata[i];
      SsOnnxValue value = { SS_ONNX_VALUE_CONST, 0, FALSE, t };
      if (t->name[0] == '\0')
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "an initializer has no name");
          return FALSE;
        }
      if (!define_value (im, t->name, &value, error))
        return FALSE;
    }
  if (!find_image (im, error))
    return FALSE;
  if (m->outputs->len != 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the graph has %u outputs; Supersign needs exactly one, the logits",
                   m->outputs->len);
      return FALSE;
    }
  im->output = ((SsOnnxValueInfo *) m->outputs->pdata[0])->name;
  for (guint i = 0; i < m->nodes->len; i++)
    {
      SsOnnxNode *node = m->nodes->pdata[i];
      for (guint k = 0; k < node->inputs->len; k++)
        {
          const char *in = node->inputs->pdata[k];
          int count = GPOINTER_TO_INT (g_hash_table_lookup (im->readers, in));
          if (in[0] == '\0')
            continue;
          g_hash_table_insert (im->readers, (gpointer) in, GINT_TO_POINTER (count + 1));
          if (count == 0)
            g_hash_table_insert (im->first_reader, (gpointer) in, GINT_TO_POINTER (i + 1));
        }
      /* A Constant's tensor is unnamed in the file; messages call it by its output. */
      if (g_str_equal (node->op_type, "Constant") && node->outputs->len > 0)
        for (guint a = 0; a < node->attrs->len; a++)
          {
            SsOnnxAttr *attr = node->attrs->pdata[a];
            if (attr->t != NULL && attr->t->name[0] == '\0')
              {
                g_free (attr->t->name);
                attr->t->name = g_strdup (node->outputs->pdata[0]);
              }
          }
    }
  im->names = ss_onnx_names_new (m, im->values);
  return TRUE;
}

/* The graph's output must be the last layer, (K, 1, 1) or flat, and every other layer must be
 * read by a later one. */
static gboolean
check_output (SsOnnxImport  *im,
              GError       **error)
{
  const SsOnnxValue *v = g_hash_table_lookup (im->values, im->output);
  int n = ss_arch_get_n_nodes (im->arch);
  const SsNode *last;

  if (v == NULL || v->kind != SS_ONNX_VALUE_LAYER)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the graph's output “%s” is %s", im->output,
                   v == NULL ? "not computed by any node"
                             : "not computed from the image by a supported layer");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    if (i != v->layer && !g_array_index (im->used, gboolean, i))
      {
        g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                     "the layer “%s” computes a value that nothing uses; Supersign needs every "
                     "layer on the way to the single output", ss_arch_get_node (im->arch, i)->name);
        return FALSE;
      }
  last = ss_arch_get_node (im->arch, v->layer);
  if (v->layer != n - 1 || last->h != 1 || last->w != 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the graph's output “%s” (layer “%s”, %d×%d×%d) is not a vector of class "
                   "scores", im->output, last->name, last->c, last->h, last->w);
      return FALSE;
    }
  return TRUE;
}

/* The architecture and its parameters from model. Transfer full (the params array too). */
static SsArch *
import_model (SsOnnxModel  *model,
              gsize         size,
              const char   *folder,
              const char   *name,
              GArray      **params,
              GError      **error)
{
  g_autoptr(SsOnnxImport) im = g_new0 (SsOnnxImport, 1);
  g_autoptr(SsArch) arch = NULL;
  guint n = model->nodes->len;
  int n_layers;

  im->model = model;
  im->folder = folder;
  im->budget = 2 * (guint64) size + (1 << 20);
  im->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  im->readers = g_hash_table_new (g_str_hash, g_str_equal);
  im->first_reader = g_hash_table_new (g_str_hash, g_str_equal);
  im->fused = g_new0 (gboolean, MAX (n, 1));
  im->flat = g_array_new (FALSE, FALSE, sizeof (gboolean));
  im->used = g_array_new (FALSE, FALSE, sizeof (gboolean));
  im->params = g_array_new (FALSE, TRUE, sizeof (SsOnnxParam));
  g_array_set_clear_func (im->params, param_clear);

  if (!prepare (im, error))
    return NULL;
  im->arch = ss_arch_new (name, im->in_c, im->in_h, im->in_w, 0);
  for (guint i = 0; i < n; i++)
    {
      if (im->fused[i])
        continue;
      im->current = i;
      if (!ss_onnx_convert_node (im, model->nodes->pdata[i], i, error))
        return NULL;
    }
  if (!check_output (im, error))
    return NULL;

  /* The same nodes in an architecture that knows its number of classes. */
  n_layers = ss_arch_get_n_nodes (im->arch);
  arch = ss_arch_new (name, im->in_c, im->in_h, im->in_w,
                      ss_arch_get_node (im->arch, n_layers - 1)->c);
  for (int i = 0; i < n_layers; i++)
    ss_arch_append (arch, ss_arch_get_node (im->arch, i));
  if (!ss_arch_infer_shapes (arch, error))
    return NULL;
  *params = g_steal_pointer (&im->params);
  return g_steal_pointer (&arch);
}

static SsNet *
load_data (const guint8  *data,
           gsize          size,
           const char    *folder,
           const char    *name,
           const char    *label,
           GError       **error)
{
  g_autoptr(SsOnnxModel) model = NULL;
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(SsNet) net = NULL;
  g_autoptr(GArray) params = NULL;
  g_autofree SsTensorView *views = NULL;

  model = ss_onnx_model_parse (data, size, error);
  if (model == NULL)
    {
      g_prefix_error (error, "%s: not a readable ONNX model: ", label);
      return NULL;
    }
  if (name == NULL)
    name = model->graph_name != NULL && model->graph_name[0] != '\0' ? model->graph_name
                                                                      : "onnx";
  arch = import_model (model, size, folder, name, &params, error);
  if (arch == NULL)
    {
      g_prefix_error (error, "%s: ", label);
      return NULL;
    }

  /* The weights go through the model files' loader: shapes against the architecture, finite
   * values, non-negative variances. */
  views = g_new0 (SsTensorView, MAX (params->len, 1));
  for (guint p = 0; p < params->len; p++)
    {
      const SsOnnxParam *param = &g_array_index (params, SsOnnxParam, p);
      gsize len = 1;
      views[p].name = param->name;
      views[p].dtype = SS_DTYPE_F32;
      views[p].ndim = param->ndim;
      for (int d = 0; d < param->ndim; d++)
        {
          views[p].shape[d] = param->shape[d];
          len *= (gsize) param->shape[d];
        }
      views[p].data = param->data;
      views[p].n_bytes = len * sizeof (float);
    }
  net = ss_net_new (arch, 0);
  if (!ss_model_load_tensors (net, views, params->len, label, error))
    return NULL;
  return g_steal_pointer (&net);
}

SsNet *
ss_onnx_load_from_data (const guint8  *data,
                        gsize          size,
                        const char    *folder,
                        const char    *name,
                        GError       **error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  return load_data (data, size, folder, name, "ONNX model", error);
}

SsNet *
ss_onnx_load (const char  *path,
              GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display = NULL, *folder = NULL, *base = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);

  display = g_filename_display_name (path);
  /* Mapped, not read: a large model's raw weights are used in place when aligned. */
  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: %s", display, local_error->message);
      return NULL;
    }
  data = (const guint8 *) g_mapped_file_get_contents (file);
  size = g_mapped_file_get_length (file);
  folder = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".onnx") && strlen (base) > 5)
    base[strlen (base) - 5] = '\0';
  return load_data (size > 0 ? data : (const guint8 *) "", size, folder, base, display, error);
}
