/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ss-entropy-view.h"
#include "ss-profile-view.h"

struct _SsEntropyView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkLabel       *subtitle;
  GtkStack       *stack;
  AdwStatusPage  *status;
  SsPlot         *plot;
  SsJobBar       *profile_bar;
  SsJobBar       *random_bar;

  /* Owned */
  SsSession      *session;
  SsSessionProfile *shown;          /* the profile the plot shows */
  SsSessionProfile *shown_random;
};

G_DEFINE_FINAL_TYPE (SsEntropyView, ss_entropy_view, GTK_TYPE_WIDGET)

static void
append_series_text (GString                *s,
                    const char             *label,
                    const SsSessionProfile *prof,
                    int                     layer)
{
  const SsLayerProfile *lp;

  if (prof == NULL || layer >= (int) prof->layers->len)
    return;
  lp = &g_array_index (prof->layers, SsLayerProfile, layer);
  if (lp->n_valid == 0)
    g_string_append_printf (s, "\n%s: %s", label, _("not applicable (1×1 map)"));
  else
    g_string_append_printf (s, "\n%s: AME %.3f ± %.3f, null %.3f", label, lp->saliency_mean,
                            lp->saliency_sd, lp->null_mean);
}

static char *
tooltip_func (SsPlot     *plot,
              const void *fig,
              double      x,
              double      y,
              double      width,
              double      height,
              gpointer    user_data)
{
  SsEntropyView *self = user_data;
  const SsLayerProfile *lp;
  GString *s;
  int layer;

  layer = ss_fig_bars_hit (fig, width, height, NULL, x, y, NULL);
  if (layer < 0 || self->shown == NULL || layer >= (int) self->shown->layers->len)
    return NULL;
  lp = &g_array_index (self->shown->layers, SsLayerProfile, layer);
  s = g_string_new (NULL);
  g_string_append_printf (s, "<b>%s</b>  %s, %d×%d×%d", lp->name, ss_saliency_kind_name (lp->kind),
                          lp->c, lp->h, lp->w);
  append_series_text (s, self->shown->model->random ? _("this model") : _("trained"),
                      self->shown, layer);
  append_series_text (s, _("random weights"), self->shown_random, layer);
  if (lp->n_valid > 0)
    {
      g_string_append_printf (s, "\n<small>B = %d bins, %d samples", lp->bins,
                              self->shown->n_samples);
      if (lp->bias_dominated)
        g_string_append (s, _("; fewer neighbour pairs than B²: the estimate is biased low"));
      g_string_append (s, "</small>");
    }
  return g_string_free (s, FALSE);
}

static void
add_series (SsFigBars              *fig,
            const char             *label,
            const SsSessionProfile *prof)
{
  int series = ss_fig_bars_add_series (fig, label);

  for (guint i = 0; i < prof->layers->len; i++)
    {
      const SsLayerProfile *lp = &g_array_index (prof->layers, SsLayerProfile, i);
      ss_fig_bars_set_value (fig, series, (int) i,
                             lp->n_valid > 0 ? lp->saliency_mean : NAN,
                             lp->n_valid > 0 ? lp->saliency_sd : NAN,
                             lp->n_valid > 0 ? lp->null_mean : NAN);
    }
}

static void
rebuild (SsEntropyView *self)
{
  SsSessionProfile *prof = ss_session_get_profile (self->session);
  SsSessionProfile *random = ss_session_get_random_profile (self->session);
  SsFigBars *fig;

  g_clear_pointer (&self->shown, ss_session_profile_unref);
  g_clear_pointer (&self->shown_random, ss_session_profile_unref);
  if (prof == NULL)
    {
      ss_plot_set_figure (self->plot, SS_FIG_BARS, NULL, NULL);
      ss_profile_view_show_empty (self->session, self->stack, self->status, self->subtitle,
                                  _("Grad-CAM maps of every saliency layer over the profile "
                                    "samples, and the spatial aura entropy of each map."));
      return;
    }

  self->shown = ss_session_profile_ref (prof);
  if (random != NULL && random->model == prof->model)
    self->shown_random = ss_session_profile_ref (random);

  fig = ss_fig_bars_new ();
  for (guint i = 0; i < prof->layers->len; i++)
    {
      const SsLayerProfile *lp = &g_array_index (prof->layers, SsLayerProfile, i);
      ss_fig_bars_add_layer (fig, lp->name, lp->kind == SS_SALIENCY_POOLING);
    }
  add_series (fig, prof->model->random ? _("this model (random weights)") : _("trained weights"),
              prof);
  if (self->shown_random != NULL)
    add_series (fig, _("random weights"), self->shown_random);
  ss_fig_bars_set_y_label (fig, _("saliency AME (mean ± sd; line: null)"));
  ss_plot_set_figure (self->plot, SS_FIG_BARS, fig, (GDestroyNotify) ss_fig_bars_free);
  gtk_stack_set_visible_child_name (self->stack, "plot");
  {
    g_autofree char *bins = prof->bins == 0 ? g_strdup (_("auto")) : g_strdup_printf ("%d", prof->bins);
    g_autofree char *text =
      g_strdup_printf (_("%s · %d samples · B = %s bins · line across a bar: null baseline "
                         "(cells permuted) · hatched: pooling"), prof->model->title,
                       prof->n_samples, bins);
    gtk_label_set_label (self->subtitle, text);
  }
}

void
ss_entropy_view_set_session (SsEntropyView *self,
                             SsSession     *session)
{
  g_return_if_fail (SS_IS_ENTROPY_VIEW (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  ss_profile_view_follow (session, self->profile_bar, G_CALLBACK (rebuild), self);
  ss_job_bar_set_job (self->random_bar, ss_session_get_random_job (session));
  g_signal_connect_object (self->random_bar, "retry",
                           G_CALLBACK (ss_session_recompute_profiles), session,
                           G_CONNECT_SWAPPED);
  rebuild (self);
}

SsPlot *
ss_entropy_view_get_plot (SsEntropyView *self)
{
  g_return_val_if_fail (SS_IS_ENTROPY_VIEW (self), NULL);
  return self->plot;
}

static void
ss_entropy_view_dispose (GObject *object)
{
  SsEntropyView *self = SS_ENTROPY_VIEW (object);

  g_clear_pointer (&self->shown, ss_session_profile_unref);
  g_clear_pointer (&self->shown_random, ss_session_profile_unref);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_ENTROPY_VIEW);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_entropy_view_parent_class)->dispose (object);
}

static void
ss_entropy_view_class_init (SsEntropyViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_entropy_view_dispose;

  g_type_ensure (SS_TYPE_PLOT);
  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-entropy-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, subtitle);
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, stack);
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, status);
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, plot);
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, profile_bar);
  gtk_widget_class_bind_template_child (widget_class, SsEntropyView, random_bar);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_entropy_view_init (SsEntropyView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ss_plot_set_tooltip_func (self->plot, tooltip_func, self);
  ss_plot_set_export_name (self->plot, "supersign-entropy-bars");
}
