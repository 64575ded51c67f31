/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-gradcam.h"
#include "ss-layer-row.h"

struct _SsLayerRow
{
  GObject   parent_instance;

  /* Owned */
  char     *name;
  char     *kind;
  char     *shape;
  char     *params;
  char     *macs;
  char     *entropy;

  int       node;
  gboolean  saliency;
};

enum {
  PROP_0,
  PROP_ENTROPY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SsLayerRow, ss_layer_row, G_TYPE_OBJECT)

/* 18691840 → "18.7 M", 468202 → "468.2 k", 0 → "—" */
static char *
format_count (gint64 v)
{
  if (v == 0)
    return g_strdup ("—");
  if (v >= 1000000)
    return g_strdup_printf ("%.1f M", v / 1e6);
  if (v >= 1000)
    return g_strdup_printf ("%.1f k", v / 1e3);
  return g_strdup_printf ("%" G_GINT64_FORMAT, v);
}

SsLayerRow *
ss_layer_row_new (const SsArch *arch,
                  int           node)
{
  const SsNode *n = ss_arch_get_node (arch, node);
  SsLayerRow *self = g_object_new (SS_TYPE_LAYER_ROW, NULL);
  SsSaliencyKind kind = ss_gradcam_layer_kind (arch, node);

  self->node = node;
  self->name = g_strdup (n->name);
  self->saliency = kind != SS_SALIENCY_NONE;
  self->kind = kind == SS_SALIENCY_BLOCK ? g_strdup_printf ("%s (block)", ss_op_name (n->op))
                                         : g_strdup (ss_op_name (n->op));
  self->shape = g_strdup_printf ("%d × %d × %d", n->c, n->h, n->w);
  self->params = format_count (ss_arch_node_params (arch, node));
  self->macs = format_count (ss_arch_node_macs (arch, node));
  self->entropy = g_strdup ("");
  return self;
}

int
ss_layer_row_get_node (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), -1);
  return self->node;
}

const char *
ss_layer_row_get_name (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->name;
}

const char *
ss_layer_row_get_kind (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->kind;
}

const char *
ss_layer_row_get_shape (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->shape;
}

const char *
ss_layer_row_get_params (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->params;
}

const char *
ss_layer_row_get_macs (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->macs;
}

gboolean
ss_layer_row_get_saliency (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), FALSE);
  return self->saliency;
}

const char *
ss_layer_row_get_entropy (SsLayerRow *self)
{
  g_return_val_if_fail (SS_IS_LAYER_ROW (self), NULL);
  return self->entropy;
}

void
ss_layer_row_set_entropy (SsLayerRow *self,
                          const char *entropy)
{
  g_return_if_fail (SS_IS_LAYER_ROW (self));

  if (g_strcmp0 (self->entropy, entropy) == 0)
    return;
  g_free (self->entropy);
  self->entropy = g_strdup (entropy ? entropy : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTROPY]);
}

static void
ss_layer_row_finalize (GObject *object)
{
  SsLayerRow *self = SS_LAYER_ROW (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->shape, g_free);
  g_clear_pointer (&self->params, g_free);
  g_clear_pointer (&self->macs, g_free);
  g_clear_pointer (&self->entropy, g_free);
  G_OBJECT_CLASS (ss_layer_row_parent_class)->finalize (object);
}

static void
ss_layer_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_ENTROPY:
      g_value_set_string (value, SS_LAYER_ROW (object)->entropy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_layer_row_class_init (SsLayerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ss_layer_row_finalize;
  object_class->get_property = ss_layer_row_get_property;

  properties[PROP_ENTROPY] =
    g_param_spec_string ("entropy", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_layer_row_init (SsLayerRow *self)
{
}
