/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "ss-arch-private.h"
#include "ss-error.h"

/* The architecture description, as users write it and as model files store it
 * (docs/architecture-json.md):
 *   { "name": "…", "input": [C, H, W], "classes": K,
 *     "layers": [ { "type": "conv", "name": "conv1", "out": 32, "kernel": 3, "padding": 1 }, … ] }
 * A conv may also have "groups" and "dilation" (default 1), as nn.Conv2d.
 * Layers read from the layer before unless "inputs" names others ("input" is the image). A
 * "residual" layer is a whole basic block. Unknown fields are errors: a typo in "strides" should
 * not silently train another network. */

static const struct {
  const char *type;
  SsOp        op;
} layer_types[] = {
  { "conv", SS_OP_CONV },
  { "batchnorm", SS_OP_BATCHNORM },
  { "relu", SS_OP_RELU },
  { "maxpool", SS_OP_MAXPOOL },
  { "avgpool", SS_OP_AVGPOOL },
  { "global-avgpool", SS_OP_GLOBAL_AVGPOOL },
  { "flatten", SS_OP_FLATTEN },
  { "linear", SS_OP_LINEAR },
  { "dropout", SS_OP_DROPOUT },
  { "add", SS_OP_ADD },
};

#define RESIDUAL_TYPE "residual"

static const char *const allowed_fields[] = {
  "type", "name", "block", "inputs", "out", "kernel", "stride", "padding", "groups", "dilation",
  "bias", "p", NULL,
};

static gboolean
get_int (JsonObject *obj,
         const char *key,
         int         fallback,
         int         lo,
         int         hi,
         int        *out,
         const char *where,
         GError    **error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gint64 v;

  if (node == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “%s” must be a whole number", where, key);
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < lo || v > hi)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “%s” is %" G_GINT64_FORMAT
                   "; it must be between %d and %d", where, key, v, lo, hi);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

/* The node index for an input name, SS_NODE_INPUT for "input", or SS_NODE_PREVIOUS (never a
 * valid explicit input) when no earlier node has that name. */
static int
resolve_input (SsArch     *arch,
               const char *name)
{
  int index;
  if (g_str_equal (name, "input"))
    return SS_NODE_INPUT;
  index = ss_arch_find_node (arch, name);
  return index >= 0 ? index : SS_NODE_PREVIOUS;
}

static gboolean
parse_layer (SsArch     *arch,
             JsonNode   *layer_node,
             guint       index,
             GError    **error)
{
  g_autofree char *where = NULL;
  JsonObject *obj;
  const char *type, *name = NULL;
  SsNode node = { .inputs = { SS_NODE_PREVIOUS, SS_NODE_INPUT } };
  gboolean found = FALSE;
  int bias = 1;
  int first = ss_arch_get_n_nodes (arch);

  where = g_strdup_printf ("layer %u", index + 1);
  if (!JSON_NODE_HOLDS_OBJECT (layer_node))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s is not a JSON object", where);
      return FALSE;
    }
  obj = json_node_get_object (layer_node);
  type = json_object_get_string_member_with_default (obj, "type", NULL);
  if (type == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s has no “type”", where);
      return FALSE;
    }
  if (json_object_has_member (obj, "name"))
    {
      name = json_object_get_string_member_with_default (obj, "name", NULL);
      if (name == NULL || name[0] == '\0' || strlen (name) > 200)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “name” must be a non-empty string",
                       where);
          return FALSE;
        }
      g_free (where);
      where = g_strdup_printf ("layer %u (“%s”)", index + 1, name);
    }

  {
    g_autoptr(GList) members = json_object_get_members (obj);
    for (GList *l = members; l != NULL; l = l->next)
      if (!g_strv_contains (allowed_fields, l->data))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "%s: unknown field “%s”", where, (const char *) l->data);
          return FALSE;
        }
  }

  /* Only a conv has groups and dilation; silently dropping them elsewhere would build another
   * network than the one described. */
  if ((json_object_has_member (obj, "groups") || json_object_has_member (obj, "dilation")) &&
      !g_str_equal (type, "conv"))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: only conv layers have “groups” and “dilation”", where);
      return FALSE;
    }

  if (g_str_equal (type, RESIDUAL_TYPE))
    {
      int out, stride;
      const SsNode *prev;
      if (name == NULL)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: a residual block needs a “name”",
                       where);
          return FALSE;
        }
      if (first == 0)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "%s: a residual block cannot be the first layer", where);
          return FALSE;
        }
      if (!get_int (obj, "out", 0, 1, 65536, &out, where, error) ||
          !get_int (obj, "stride", 1, 1, 64, &stride, where, error))
        return FALSE;
      prev = ss_arch_get_node (arch, first - 1);
      ss_arch_append_basic_block (arch, name, prev->c, out, stride);
      for (int i = first; i < ss_arch_get_n_nodes (arch); i++)
        if (!ss_arch_infer_node (arch, i, error))
          return FALSE;
      return TRUE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (layer_types); i++)
    if (g_str_equal (type, layer_types[i].type))
      {
        node.op = layer_types[i].op;
        found = TRUE;
      }
  if (!found)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "%s: unknown layer type “%s”; Supersign knows conv, batchnorm, relu, maxpool, "
                   "avgpool, global-avgpool, flatten, linear, dropout, add and residual",
                   where, type);
      return FALSE;
    }

  switch (node.op)
    {
    case SS_OP_CONV:
      if (!get_int (obj, "out", 0, 1, 65536, &node.out, where, error) ||
          !get_int (obj, "kernel", 0, 1, 64, &node.kernel, where, error) ||
          !get_int (obj, "stride", 1, 1, 64, &node.stride, where, error) ||
          !get_int (obj, "padding", 0, 0, 64, &node.padding, where, error) ||
          !get_int (obj, "groups", 1, 1, 65536, &node.groups, where, error) ||
          !get_int (obj, "dilation", 1, 1, 4096, &node.dilation, where, error))
        return FALSE;
      break;
    case SS_OP_MAXPOOL:
    case SS_OP_AVGPOOL:
      if (!get_int (obj, "kernel", 0, 1, 64, &node.kernel, where, error) ||
          !get_int (obj, "stride", node.kernel, 1, 64, &node.stride, where, error) ||
          !get_int (obj, "padding", 0, 0, 32, &node.padding, where, error))
        return FALSE;
      break;
    case SS_OP_LINEAR:
      if (!get_int (obj, "out", 0, 1, 1 << 20, &node.out, where, error))
        return FALSE;
      break;
    case SS_OP_DROPOUT:
      {
        JsonNode *p = json_object_get_member (obj, "p");
        node.p = 0.5f;
        if (p != NULL)
          {
            if (!JSON_NODE_HOLDS_VALUE (p) || (json_node_get_value_type (p) != G_TYPE_DOUBLE &&
                                               json_node_get_value_type (p) != G_TYPE_INT64))
              {
                g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “p” must be a number", where);
                return FALSE;
              }
            node.p = (float) json_node_get_double (p);
          }
      }
      break;
    default:
      break;
    }
  if (node.op == SS_OP_CONV || node.op == SS_OP_LINEAR)
    {
      JsonNode *b = json_object_get_member (obj, "bias");
      if (b != NULL && (!JSON_NODE_HOLDS_VALUE (b) ||
                        json_node_get_value_type (b) != G_TYPE_BOOLEAN))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “bias” must be true or false", where);
          return FALSE;
        }
      bias = b == NULL || json_node_get_boolean (b);
    }
  node.bias = bias;

  if (json_object_has_member (obj, "inputs"))
    {
      JsonNode *in = json_object_get_member (obj, "inputs");
      JsonArray *arr = JSON_NODE_HOLDS_ARRAY (in) ? json_node_get_array (in) : NULL;
      guint want = node.op == SS_OP_ADD ? 2 : 1;
      if (arr == NULL || json_array_get_length (arr) != want)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: “inputs” must list %u layer name%s",
                       where, want, want == 1 ? "" : "s");
          return FALSE;
        }
      for (guint k = 0; k < want; k++)
        {
          const char *in_name = json_array_get_string_element (arr, k);
          int in_index = in_name ? resolve_input (arch, in_name) : SS_NODE_PREVIOUS;
          if (in_index < SS_NODE_INPUT)
            {
              g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                           "%s: input “%s” is not an earlier layer", where,
                           in_name ? in_name : "(not a string)");
              return FALSE;
            }
          node.inputs[k] = in_index;
        }
    }
  else if (node.op == SS_OP_ADD)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: an add layer needs two “inputs”", where);
      return FALSE;
    }
  if (json_object_has_member (obj, "block"))
    node.block = (char *) json_object_get_string_member_with_default (obj, "block", NULL);

  node.name = (char *) name;
  if (name != NULL && ss_arch_find_node (arch, name) >= 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "%s: the name is used twice", where);
      return FALSE;
    }
  ss_arch_append (arch, &node);
  return ss_arch_infer_node (arch, first, error);
}

SsArch *
ss_arch_new_from_json (const char *json,
                       gssize      length,
                       GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SsArch) arch = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonArray *input, *layers;
  int classes;
  int shape[3];

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, length, &local_error))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "the architecture is not valid JSON: %s",
                   local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "the architecture must be a JSON object");
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  input = json_object_has_member (root, "input") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "input"))
          ? json_object_get_array_member (root, "input") : NULL;
  if (input == NULL || json_array_get_length (input) != 3)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                   "the architecture needs “input”: [channels, height, width]");
      return NULL;
    }
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *v = json_array_get_element (input, i);
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64 ||
          json_node_get_int (v) < 1 || json_node_get_int (v) > 16384)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARCH,
                       "“input” must hold three whole numbers between 1 and 16384");
          return NULL;
        }
      shape[i] = (int) json_node_get_int (v);
    }
  if (!get_int (root, "classes", 0, 2, 65536, &classes, "the architecture", error))
    return NULL;
  layers = json_object_has_member (root, "layers") &&
           JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "layers"))
           ? json_object_get_array_member (root, "layers") : NULL;
  if (layers == NULL || json_array_get_length (layers) == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "the architecture needs a list of “layers”");
      return NULL;
    }
  if (json_array_get_length (layers) > 100000)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARCH, "the architecture has too many layers");
      return NULL;
    }

  arch = ss_arch_new (json_object_get_string_member_with_default (root, "name", "custom"),
                      shape[0], shape[1], shape[2], classes);
  for (guint i = 0; i < json_array_get_length (layers); i++)
    if (!parse_layer (arch, json_array_get_element (layers, i), i, error))
      return NULL;
  if (!ss_arch_infer_shapes (arch, error))
    return NULL;
  return g_steal_pointer (&arch);
}

SsArch *
ss_arch_new_from_json_file (const char *path,
                            GError    **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;
  SsArch *arch;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  arch = ss_arch_new_from_json (contents, (gssize) length, &local_error);
  if (arch == NULL)
    g_set_error (error, SS_ERROR, local_error->code, "%s: %s", path, local_error->message);
  return arch;
}

char *
ss_arch_to_json (const SsArch *arch)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  int c, h, w;

  ss_arch_get_input (arch, &c, &h, &w);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, ss_arch_get_name (arch));
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, c);
  json_builder_add_int_value (b, h);
  json_builder_add_int_value (b, w);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "classes");
  json_builder_add_int_value (b, ss_arch_get_n_classes (arch));
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      gboolean windowed = node->op == SS_OP_CONV || node->op == SS_OP_MAXPOOL ||
                          node->op == SS_OP_AVGPOOL;
      int n_inputs = node->op == SS_OP_ADD ? 2 : 1;

      json_builder_begin_object (b);
      for (gsize t = 0; t < G_N_ELEMENTS (layer_types); t++)
        if (layer_types[t].op == node->op)
          {
            json_builder_set_member_name (b, "type");
            json_builder_add_string_value (b, layer_types[t].type);
          }
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, node->name);
      if (node->block != NULL)
        {
          json_builder_set_member_name (b, "block");
          json_builder_add_string_value (b, node->block);
        }
      if (node->op == SS_OP_ADD || node->inputs[0] != i - 1)
        {
          json_builder_set_member_name (b, "inputs");
          json_builder_begin_array (b);
          for (int k = 0; k < n_inputs; k++)
            json_builder_add_string_value (b, node->inputs[k] == SS_NODE_INPUT ? "input"
                                           : ss_arch_get_node (arch, node->inputs[k])->name);
          json_builder_end_array (b);
        }
      if (node->op == SS_OP_CONV || node->op == SS_OP_LINEAR)
        {
          json_builder_set_member_name (b, "out");
          json_builder_add_int_value (b, node->out);
        }
      if (windowed)
        {
          json_builder_set_member_name (b, "kernel");
          json_builder_add_int_value (b, node->kernel);
          json_builder_set_member_name (b, "stride");
          json_builder_add_int_value (b, node->stride);
          json_builder_set_member_name (b, "padding");
          json_builder_add_int_value (b, node->padding);
        }
      /* Written only when not 1, so descriptions (and model files) of ordinary convs read as
       * they always did. */
      if (node->op == SS_OP_CONV && node->groups > 1)
        {
          json_builder_set_member_name (b, "groups");
          json_builder_add_int_value (b, node->groups);
        }
      if (node->op == SS_OP_CONV && node->dilation > 1)
        {
          json_builder_set_member_name (b, "dilation");
          json_builder_add_int_value (b, node->dilation);
        }
      if (node->op == SS_OP_CONV || node->op == SS_OP_LINEAR)
        {
          json_builder_set_member_name (b, "bias");
          json_builder_add_boolean_value (b, node->bias);
        }
      if (node->op == SS_OP_DROPOUT)
        {
          json_builder_set_member_name (b, "p");
          json_builder_add_double_value (b, node->p);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}
