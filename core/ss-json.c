/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ss-json.h"

/* ---- Writing ------------------------------------------------------------------------------ */

static void
add_double (JsonBuilder *b,
            double       v)
{
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ss_json_add_number (JsonBuilder *b,
                    const char  *name,
                    double       v)
{
  json_builder_set_member_name (b, name);
  add_double (b, v);
}

void
ss_json_add_int (JsonBuilder *b,
                 const char  *name,
                 gint64       v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
ss_json_add_bool (JsonBuilder *b,
                  const char  *name,
                  gboolean     v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

void
ss_json_add_string (JsonBuilder *b,
                    const char  *name,
                    const char  *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ss_json_add_ints (JsonBuilder *b,
                  const char  *name,
                  const int   *v,
                  int          n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

void
ss_json_add_doubles (JsonBuilder  *b,
                     const char   *name,
                     const double *v,
                     int           n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    add_double (b, v[i]);
  json_builder_end_array (b);
}

void
ss_json_add_json (JsonBuilder *b,
                  const char  *name,
                  const char  *text)
{
  g_autoptr(JsonNode) node = text ? json_from_string (text, NULL) : NULL;

  json_builder_set_member_name (b, name);
  if (node != NULL)
    json_builder_add_value (b, g_steal_pointer (&node));
  else if (text != NULL)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}

char *
ss_json_to_text (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* ---- Reading ------------------------------------------------------------------------------ */

JsonObject *
ss_json_parse_object (const char *text)
{
  g_autoptr(JsonNode) root = NULL;

  if (text == NULL || (root = json_from_string (text, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
member (JsonObject *o,
        const char *name)
{
  return o != NULL && json_object_has_member (o, name) ? json_object_get_member (o, name)
                                                       : NULL;
}

/* The member's value of type, or NULL. */
static JsonNode *
value_of_type (JsonObject *o,
               const char *name,
               GType       type)
{
  JsonNode *node = member (o, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type
         ? node : NULL;
}

double
ss_json_get_number (JsonObject *o,
                    const char *name)
{
  JsonNode *node;

  if ((node = value_of_type (o, name, G_TYPE_INT64)) != NULL)
    return (double) json_node_get_int (node);
  if ((node = value_of_type (o, name, G_TYPE_DOUBLE)) != NULL)
    return json_node_get_double (node);
  return NAN;
}

gint64
ss_json_get_int (JsonObject *o,
                 const char *name,
                 gint64      fallback)
{
  JsonNode *node = value_of_type (o, name, G_TYPE_INT64);

  return node != NULL ? json_node_get_int (node) : fallback;
}

const char *
ss_json_get_string (JsonObject *o,
                    const char *name)
{
  JsonNode *node = value_of_type (o, name, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

JsonArray *
ss_json_get_array (JsonObject *o,
                   const char *name)
{
  JsonNode *node = member (o, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}
