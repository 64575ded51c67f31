/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-infoplane-view.h"
#include "ss-profile-view.h"

struct _SsInfoplaneView
{
  GtkWidget        parent_instance;

  /* Template widgets */
  GtkLabel        *subtitle;
  GtkStack        *stack;
  AdwStatusPage   *status;
  SsPlot          *plot;
  SsJobBar        *profile_bar;
  GtkToggleButton *trajectory_toggle;
  GtkToggleButton *random_toggle;

  /* Owned */
  SsSession       *session;
};

G_DEFINE_FINAL_TYPE (SsInfoplaneView, ss_infoplane_view, GTK_TYPE_WIDGET)

static char *
tooltip_func (SsPlot     *plot,
              const void *fig,
              double      x,
              double      y,
              double      width,
              double      height,
              gpointer    user_data)
{
  int layer, epoch;

  if (!ss_fig_infoplane_hit (fig, width, height, NULL, x, y, &layer, &epoch))
    return NULL;
  if (epoch < 0)
    {
      double ixt, ity;

      ss_fig_infoplane_get_reference (fig, layer, &ixt, &ity);
      return g_strdup_printf (_("<b>%s</b>, random weights\nI(X;T) = %.3f bits\n"
                                "I(T;Y) = %.3f bits"),
                              ss_fig_infoplane_get_layer_name (fig, layer), ixt, ity);
    }
  for (int p = 0; p < ss_fig_infoplane_get_n_points (fig, layer); p++)
    {
      int e;
      double ixt, ity;

      ss_fig_infoplane_get_point (fig, layer, p, &e, &ixt, &ity);
      if (e != epoch)
        continue;
      if (epoch > 0)
        return g_strdup_printf (_("<b>%s</b>, epoch %d\nI(X;T) = %.3f bits\nI(T;Y) = %.3f bits"),
                                ss_fig_infoplane_get_layer_name (fig, layer), epoch, ixt, ity);
      return g_strdup_printf (_("<b>%s</b>\nI(X;T) = %.3f bits\nI(T;Y) = %.3f bits"),
                              ss_fig_infoplane_get_layer_name (fig, layer), ixt, ity);
    }
  return NULL;
}

/* Layers whose I(X;T) and I(T;Y) are defined (maps larger than 1×1). */
static gboolean
layer_shown (const SsLayerProfile *lp)
{
  return lp->h * lp->w > 1 && isfinite (lp->i_xt) && isfinite (lp->i_ty);
}

/* The random-weights profile's point of each layer shown, as its reference point. */
static void
add_random_points (SsFigInfoplane         *fig,
                   const SsSessionProfile *random)
{
  for (int l = 0; l < ss_fig_infoplane_get_n_layers (fig); l++)
    for (guint i = 0; i < random->layers->len; i++)
      {
        const SsLayerProfile *lp = &g_array_index (random->layers, SsLayerProfile, i);
        if (g_strcmp0 (lp->name, ss_fig_infoplane_get_layer_name (fig, l)) == 0)
          ss_fig_infoplane_set_reference (fig, l, lp->i_xt, lp->i_ty);
      }
}

static void
rebuild (SsInfoplaneView *self)
{
  SsSessionProfile *prof = ss_session_get_profile (self->session);
  SsSessionProfile *random = ss_session_get_random_profile (self->session);
  GPtrArray *epochs = ss_session_get_epoch_profiles (self->session);
  gboolean trajectory;
  SsFigInfoplane *fig;
  SsSessionProfile *first;

  gtk_widget_set_sensitive (GTK_WIDGET (self->trajectory_toggle), epochs->len > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->random_toggle), random != NULL);
  if (!gtk_toggle_button_get_active (self->random_toggle))
    random = NULL;
  trajectory = epochs->len > 0 && gtk_toggle_button_get_active (self->trajectory_toggle);
  first = trajectory ? g_ptr_array_index (epochs, 0) : prof;
  if (first == NULL)
    {
      ss_plot_set_figure (self->plot, SS_FIG_INFOPLANE, NULL, NULL);
      ss_profile_view_show_empty (self->session, self->stack, self->status, self->subtitle,
                                  _("I(X;T) pairs each layer's Grad-CAM maps with the first "
                                    "layer's, I(T;Y) with the deepest layer larger than 1×1."));
      return;
    }

  fig = ss_fig_infoplane_new ();
  for (guint i = 0; i < first->layers->len; i++)
    {
      const SsLayerProfile *lp = &g_array_index (first->layers, SsLayerProfile, i);
      int layer;

      if (!layer_shown (lp))
        continue;
      layer = ss_fig_infoplane_add_layer (fig, lp->name);
      if (!trajectory)
        ss_fig_infoplane_add_point (fig, layer, 0, lp->i_xt, lp->i_ty);
      else
        for (guint e = 0; e < epochs->len; e++)
          {
            SsSessionProfile *ep = g_ptr_array_index (epochs, e);
            const SsLayerProfile *el = &g_array_index (ep->layers, SsLayerProfile, i);
            ss_fig_infoplane_add_point (fig, layer, ep->epoch, el->i_xt, el->i_ty);
          }
    }
  if (random != NULL)
    add_random_points (fig, random);
  ss_plot_set_figure (self->plot, SS_FIG_INFOPLANE, fig, (GDestroyNotify) ss_fig_infoplane_free);
  gtk_stack_set_visible_child_name (self->stack, "plot");
  {
    g_autofree char *text = trajectory
      ? g_strdup_printf (_("%s · one point per epoch of the last training run shown (%u epochs) "
                           "· %d samples · bits"), first->model->title, epochs->len,
                         first->n_samples)
      : g_strdup_printf (_("%s · one point per layer · %d samples · bits"),
                         first->model->title, first->n_samples);
    g_autofree char *with_random = g_strdup_printf (_("%s · faint: random weights"), text);
    gtk_label_set_label (self->subtitle, random != NULL ? with_random : text);
  }
}

static void
on_toggled (SsInfoplaneView *self)
{
  rebuild (self);
}

static void
on_epochs_changed (SsInfoplaneView *self)
{
  GPtrArray *epochs = ss_session_get_epoch_profiles (self->session);

  /* A new run's first epoch switches to its trajectory. */
  if (epochs->len == 1)
    gtk_toggle_button_set_active (self->trajectory_toggle, TRUE);
  rebuild (self);
}

void
ss_infoplane_view_set_session (SsInfoplaneView *self,
                               SsSession       *session)
{
  g_return_if_fail (SS_IS_INFOPLANE_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  ss_profile_view_follow (session, self->profile_bar, G_CALLBACK (rebuild), self);
  g_signal_connect_object (session, "notify::n-epoch-profiles", G_CALLBACK (on_epochs_changed),
                           self, G_CONNECT_SWAPPED);
  rebuild (self);
}

SsPlot *
ss_infoplane_view_get_plot (SsInfoplaneView *self)
{
  g_return_val_if_fail (SS_IS_INFOPLANE_VIEW (self), NULL);
  return self->plot;
}

static void
ss_infoplane_view_dispose (GObject *object)
{
  SsInfoplaneView *self = SS_INFOPLANE_VIEW (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_INFOPLANE_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_infoplane_view_parent_class)->dispose (object);
}

static void
ss_infoplane_view_class_init (SsInfoplaneViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_infoplane_view_dispose;

  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-infoplane-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, subtitle);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, stack);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, status);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, plot);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, profile_bar);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, trajectory_toggle);
  gtk_widget_class_bind_template_child (widget_class, SsInfoplaneView, random_toggle);
  gtk_widget_class_bind_template_callback (widget_class, on_toggled);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_infoplane_view_init (SsInfoplaneView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ss_plot_set_tooltip_func (self->plot, tooltip_func, NULL);
  ss_plot_set_export_name (self->plot, "supersign-infoplane");
}
