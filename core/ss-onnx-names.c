/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-arch-resolve.h"
#include "ss-onnx-private.h"
#include "ss-onnx.h"

/* Layer names for imported graphs (docs/onnx.md). torch.onnx.export names a node
 * "/layer1/layer1.0/conv1/Conv" after the module scopes it ran in. A layer with parameters
 * takes the prefix of its weight's name ("layer1.0.conv1.weight" → "layer1.0.conv1"), the
 * state_dict prefix PyTorch uses; when BN was folded the weights are called "onnx::Conv_193"
 * and the scope path is used instead. Other layers take their scope path when they are alone
 * in a leaf scope ("relu", "features.2"), else the path plus their kind ("layer1.0.add",
 * "flatten"). A node whose name is not a torch scope keeps its own name. A scope holding a
 * residual Add (of two computed values) is a block: every layer inside it carries its name in
 * SsNode.block, so its last layer is the block's output for Grad-CAM. */

struct _SsOnnxNames {
  guint       n_nodes;
  char      **scopes;        /* (n_nodes) each node's module path, or NULL; owned */
  GHashTable *parents;       /* module paths that contain deeper ones (set, keys owned) */
  GHashTable *scope_layers;  /* module path (borrowed) → layers made in it */
  GPtrArray  *blocks;        /* module paths of residual blocks (borrowed from scopes) */
};

void
ss_onnx_names_free (SsOnnxNames *names)
{
  if (names == NULL)
    return;
  for (guint i = 0; i < names->n_nodes; i++)
    g_free (names->scopes[i]);
  g_free (names->scopes);
  g_hash_table_unref (names->parents);
  g_hash_table_unref (names->scope_layers);
  g_ptr_array_unref (names->blocks);
  g_free (names);
}

/* The module path of a torch 1.13 node name "/scope/…/scope/OpType". Each scope is a module's
 * name relative to the scope before it, extended by the numeric atoms of a Sequential index
 * ("features" then "features.0"; "layer1.0.downsample" then "downsample.0"), so the atoms that
 * repeat the end of the path so far are dropped (at least one atom is always new). "" for a
 * node at the top level ("/Flatten"); NULL if the name is not of that form. Transfer full. */
static char *
torch_module_path (const char *onnx_name)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) path = NULL;
  guint n;

  if (onnx_name[0] != '/')
    return NULL;
  parts = g_strsplit (onnx_name + 1, "/", -1);
  n = g_strv_length (parts);
  path = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i + 1 < n; i++)
    {
      g_auto(GStrv) atoms = g_strsplit (parts[i], ".", -1);
      guint na = g_strv_length (atoms), keep = 0;

      for (guint a = 0; a < na; a++)
        if (atoms[a][0] == '\0')
          return NULL;
      if (na == 0)
        return NULL;
      /* The longest overlap k < na between the path's last atoms and these first atoms. */
      for (guint k = MIN (na - 1, path->len); k > 0 && keep == 0; k--)
        {
          gboolean same = TRUE;
          for (guint a = 0; a < k && same; a++)
            same = g_str_equal (path->pdata[path->len - k + a], atoms[a]);
          if (same)
            keep = k;
        }
      for (guint a = keep; a < na; a++)
        g_ptr_array_add (path, g_strdup (atoms[a]));
    }
  g_ptr_array_add (path, NULL);
  return g_strjoinv (".", (char **) path->pdata);
}

/* Whether scope is `outer` or lies inside it. */
static gboolean
scope_within (const char *scope,
              const char *outer)
{
  gsize n = strlen (outer);
  return strncmp (scope, outer, n) == 0 && (scope[n] == '\0' || scope[n] == '.');
}

static gboolean
is_const_name (GHashTable *values,
               GHashTable *consts,
               const char *name)
{
  SsOnnxValue *v = g_hash_table_lookup (values, name);
  return (v != NULL && v->kind == SS_ONNX_VALUE_CONST) || g_hash_table_contains (consts, name);
}

/* Module paths of every node, which of them hold deeper ones, how many layers each makes, and
 * which are residual blocks. Constant-ness is followed through Constant and Identity nodes. */
SsOnnxNames *
ss_onnx_names_new (const SsOnnxModel *model,
                   GHashTable        *values)
{
  g_autoptr(GHashTable) consts = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *nodes = model->nodes;
  SsOnnxNames *names = g_new0 (SsOnnxNames, 1);

  names->n_nodes = nodes->len;
  names->scopes = g_new0 (char *, MAX (nodes->len, 1));
  names->parents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  names->scope_layers = g_hash_table_new (g_str_hash, g_str_equal);
  names->blocks = g_ptr_array_new ();

  for (guint i = 0; i < nodes->len; i++)
    {
      SsOnnxNode *node = nodes->pdata[i];
      const char *scope;
      gboolean has_const = FALSE, all_const = TRUE;

      for (guint k = 0; k < node->inputs->len; k++)
        {
          const char *in = node->inputs->pdata[k];
          if (in[0] == '\0')
            continue;
          if (is_const_name (values, consts, in))
            has_const = TRUE;
          else
            all_const = FALSE;
        }
      if (node->outputs->len > 0 &&
          (g_str_equal (node->op_type, "Constant") ||
           (g_str_equal (node->op_type, "Identity") && has_const && all_const)))
        g_hash_table_add (consts, node->outputs->pdata[0]);

      names->scopes[i] = torch_module_path (node->name);
      if ((scope = names->scopes[i]) == NULL || scope[0] == '\0')
        continue;
      for (const char *dot = strchr (scope, '.'); dot != NULL; dot = strchr (dot + 1, '.'))
        g_hash_table_add (names->parents, g_strndup (scope, (gsize) (dot - scope)));
      if (ss_onnx_op_makes_layer (node->op_type, has_const))
        g_hash_table_insert (names->scope_layers, (gpointer) scope,
                             GINT_TO_POINTER (GPOINTER_TO_INT (
                               g_hash_table_lookup (names->scope_layers, scope)) + 1));
    }
  for (guint i = 0; i < nodes->len; i++)
    {
      SsOnnxNode *node = nodes->pdata[i];
      const char *scope = names->scopes[i];
      if (g_str_equal (node->op_type, "Add") && node->inputs->len == 2 && scope != NULL &&
          g_hash_table_contains (names->parents, scope) &&
          !is_const_name (values, consts, node->inputs->pdata[0]) &&
          !is_const_name (values, consts, node->inputs->pdata[1]))
        g_ptr_array_add (names->blocks, (gpointer) scope);
    }
  return names;
}

/* "features.0.weight" → "features.0"; NULL unless name ends in .suffix after a real prefix
 * (constant-folded weights are called "onnx::Conv_193"). Transfer full. */
static char *
param_prefix (const char *name,
              const char *suffix)
{
  gsize n, s = strlen (suffix);

  if (name == NULL || g_str_has_prefix (name, "onnx::"))
    return NULL;
  n = strlen (name);
  if (n <= s + 1 || name[n - s - 1] != '.' || strcmp (name + n - s, suffix) != 0)
    return NULL;
  return g_strndup (name, n - s - 1);
}

char *
ss_onnx_names_choose (SsOnnxNames      *names,
                      guint             index,
                      const SsOnnxNode *onnx,
                      SsOp              op,
                      const char       *weight_name,
                      const char       *bias_name,
                      const SsArch     *arch)
{
  const char *scope = names->scopes[index];
  char *base = param_prefix (weight_name, "weight");

  if (base == NULL)
    base = param_prefix (bias_name, "bias");
  if (base == NULL && scope == NULL)
    base = g_strdup (onnx->name[0] != '\0' ? onnx->name : ss_op_name (op));
  if (base == NULL && scope[0] == '\0')
    base = g_strdup (ss_op_name (op));
  if (base == NULL)
    base = !g_hash_table_contains (names->parents, scope) &&
           GPOINTER_TO_INT (g_hash_table_lookup (names->scope_layers, scope)) == 1
           ? g_strdup (scope) : g_strdup_printf ("%s.%s", scope, ss_op_name (op));
  if (ss_arch_find_node (arch, base) < 0)
    return base;
  for (int k = 2;; k++)
    {
      char *name = g_strdup_printf ("%s_%d", base, k);
      if (ss_arch_find_node (arch, name) < 0)
        {
          g_free (base);
          return name;
        }
      g_free (name);
    }
}

const char *
ss_onnx_names_block (SsOnnxNames *names,
                     guint        index)
{
  const char *scope = names->scopes[index], *best = NULL;

  if (scope == NULL)
    return NULL;
  for (guint b = 0; b < names->blocks->len; b++)
    {
      const char *block = names->blocks->pdata[b];
      if (scope_within (scope, block) && (best == NULL || strlen (block) > strlen (best)))
        best = block;
    }
  return best;
}

int
ss_onnx_module_node (const SsArch *arch,
                     const char   *module_path)
{
  g_return_val_if_fail (arch != NULL && module_path != NULL, -1);
  /* The rule is shared with every place that takes layer names (ss-arch-resolve.h). */
  for (int i = ss_arch_get_n_nodes (arch) - 1; i >= 0; i--)
    if (ss_module_path_contains (module_path, ss_arch_get_node (arch, i)->name))
      return i;
  return -1;
}
