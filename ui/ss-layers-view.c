/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-layer-row.h"
#include "ss-layers-view.h"

struct _SsLayersView
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkLabel           *summary;
  GtkColumnView      *column_view;
  SsHeatmapPanel     *panel;

  /* Owned */
  SsSession          *session;
  GListStore         *rows;
  GtkSingleSelection *selection;
};

G_DEFINE_FINAL_TYPE (SsLayersView, ss_layers_view, GTK_TYPE_WIDGET)

typedef const char *(*RowText) (SsLayerRow *row);

static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gboolean numeric = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "numeric"));

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_label (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  RowText text = user_data;
  SsLayerRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);

  gtk_label_set_label (GTK_LABEL (label), text (row));
  if (text == ss_layer_row_get_name && ss_layer_row_get_saliency (row))
    gtk_widget_add_css_class (label, "saliency");
  else
    gtk_widget_remove_css_class (label, "saliency");
}

static void
bind_entropy (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  SsLayerRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  GBinding *binding = g_object_bind_property (row, "entropy", label, "label", G_BINDING_SYNC_CREATE);

  g_object_set_data (G_OBJECT (item), "binding", binding);
}

static void
unbind_entropy (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GBinding *binding = g_object_get_data (G_OBJECT (item), "binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (item), "binding", NULL);
}

static void
add_column (SsLayersView *self,
            const char   *title,
            RowText       text,
            gboolean      numeric,
            gboolean      expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_object_set_data (G_OBJECT (factory), "numeric", GINT_TO_POINTER (numeric));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_label), NULL);
  if (text != NULL)
    g_signal_connect (factory, "bind", G_CALLBACK (bind_label), text);
  else
    {
      g_signal_connect (factory, "bind", G_CALLBACK (bind_entropy), NULL);
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_entropy), NULL);
    }
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
}

static void
update_entropy (SsLayersView *self)
{
  SsSessionProfile *prof = self->session ? ss_session_get_profile (self->session) : NULL;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr(SsLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      g_autofree char *text = NULL;

      if (prof != NULL && prof->model == ss_session_get_model (self->session))
        for (guint l = 0; l < prof->layers->len; l++)
          {
            const SsLayerProfile *lp = &g_array_index (prof->layers, SsLayerProfile, l);
            if (lp->node != ss_layer_row_get_node (row))
              continue;
            text = lp->n_valid > 0 ? g_strdup_printf ("%.3f ± %.3f", lp->saliency_mean,
                                                      lp->saliency_sd)
                                   : g_strdup (_("n/a"));
          }
      ss_layer_row_set_entropy (row, text);
    }
}

static void
on_model_changed (SsLayersView *self)
{
  SsSessionModel *model = ss_session_get_model (self->session);
  const SsArch *arch;
  int selected = ss_heatmap_panel_get_node (self->panel);
  g_autofree char *text = NULL;
  int c, h, w;

  g_list_store_remove_all (self->rows);
  if (model == NULL)
    return;
  arch = ss_net_get_arch (model->net);
  for (int node = 0; node < ss_arch_get_n_nodes (arch); node++)
    {
      g_autoptr(SsLayerRow) row = ss_layer_row_new (arch, node);
      g_list_store_append (self->rows, row);
    }
  ss_arch_get_input (arch, &c, &h, &w);
  text = g_strdup_printf (_("%s (%s) · input %d × %d × %d · %.1f k parameters · %.1f M MACs"),
                          model->title, model->origin, c, h, w,
                          ss_arch_total_params (arch) / 1e3, ss_arch_total_macs (arch) / 1e6);
  gtk_label_set_label (self->summary, text);
  update_entropy (self);
  if (selected >= 0 && selected < ss_arch_get_n_nodes (arch))
    ss_layers_view_select_node (self, selected);
  else
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      ss_heatmap_panel_set_node (self->panel, -1);
    }
}

static void
on_selection_changed (SsLayersView *self)
{
  SsLayerRow *row = gtk_single_selection_get_selected_item (self->selection);

  ss_heatmap_panel_set_node (self->panel, row ? ss_layer_row_get_node (row) : -1);
}

void
ss_layers_view_set_session (SsLayersView *self,
                            SsSession    *session)
{
  g_return_if_fail (SS_IS_LAYERS_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  g_signal_connect_object (session, "notify::model", G_CALLBACK (on_model_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::profile", G_CALLBACK (update_entropy), self,
                           G_CONNECT_SWAPPED);
  ss_heatmap_panel_set_session (self->panel, session);
  on_model_changed (self);
}

guint
ss_layers_view_get_n_rows (SsLayersView *self)
{
  g_return_val_if_fail (SS_IS_LAYERS_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

void
ss_layers_view_select_node (SsLayersView *self,
                            int           node)
{
  g_return_if_fail (SS_IS_LAYERS_VIEW (self));

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr(SsLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      if (ss_layer_row_get_node (row) == node)
        {
          gtk_single_selection_set_selected (self->selection, i);
          ss_heatmap_panel_set_node (self->panel, node);
          return;
        }
    }
}

SsHeatmapPanel *
ss_layers_view_get_panel (SsLayersView *self)
{
  g_return_val_if_fail (SS_IS_LAYERS_VIEW (self), NULL);
  return self->panel;
}

static void
ss_layers_view_dispose (GObject *object)
{
  SsLayersView *self = SS_LAYERS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_LAYERS_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ss_layers_view_parent_class)->dispose (object);
}

static void
ss_layers_view_class_init (SsLayersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_layers_view_dispose;

  g_type_ensure (SS_TYPE_HEATMAP_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-layers-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsLayersView, summary);
  gtk_widget_class_bind_template_child (widget_class, SsLayersView, column_view);
  gtk_widget_class_bind_template_child (widget_class, SsLayersView, panel);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_layers_view_init (SsLayersView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_list_store_new (SS_TYPE_LAYER_ROW);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "notify::selected",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);

  add_column (self, _("Layer"), ss_layer_row_get_name, FALSE, TRUE);
  add_column (self, _("Type"), ss_layer_row_get_kind, FALSE, FALSE);
  add_column (self, _("Output"), ss_layer_row_get_shape, TRUE, FALSE);
  add_column (self, _("Params"), ss_layer_row_get_params, TRUE, FALSE);
  add_column (self, _("MACs"), ss_layer_row_get_macs, TRUE, FALSE);
  add_column (self, _("Saliency AME"), NULL, TRUE, FALSE);
}
