/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: N samples on the page, C H W the input, K classes, (h, w) a layer's map. */

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "ss-colormap.h"
#include "ss-gradcam.h"
#include "ss-heatmap.h"
#include "ss-heatmap-card.h"
#include "ss-heatmap-panel.h"
#include "ss-job-bar.h"

#define CACHE_SIZE 8
#define TILE 88           /* logical pixels of one tile's side */

enum {
  TARGET_PREDICTED,
  TARGET_TRUE,
  TARGET_CLASS0,          /* then one entry per class */
};

/* One page's maps of every layer (the worker's result). */
typedef struct {
  char           *key;
  guint           serial;     /* given on arrival, never reused: which page the cards show */
  SsSessionModel *model;
  SsSessionData  *data;
  SsGradcam      *gc;
  guint32         first;
  int             n, c, h, w, k;
  float          *inputs;     /* (N, C, H, W), denormalised to [0, 1] */
  SsLabel        *labels;     /* (N) */
  guint8         *labelled;   /* (N) */
  float          *probs;      /* (N, K) softmax of the logits */
} Maps;

struct _SsHeatmapPanel
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkLabel       *title;
  GtkLabel       *subtitle;
  GtkDropDown    *target_dropdown;
  GtkStringList  *target_list;
  GtkDropDown    *colormap_dropdown;
  GtkAdjustment  *opacity;
  GtkAdjustment  *first;
  GtkLabel       *count_label;
  GtkStack       *stack;
  AdwStatusPage  *status;
  GtkFlowBox     *flowbox;
  SsJobBar       *job_bar;

  /* Owned */
  SsSession      *session;
  SsJob          *job;
  GQueue          cache;        /* Maps *, most recent first */
  char           *wanted;       /* key of the page asked for */
  SsFigHeatmaps  *fig;

  /* Borrowed */
  Maps           *shown;        /* in cache */

  int             node;
  int             page_size;
  int             n_maps;

  /* What the grid's cards show (show_grid) */
  guint           cards_serial;   /* their page's Maps; 0: no cards */
  int             cards_layer;
  const SsColormap *cards_cmap;
  double          cards_opacity;
  guint           next_serial;
};

enum {
  PROP_0,
  PROP_COLORMAP,
  PROP_OPACITY,
  PROP_PAGE_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SsHeatmapPanel, ss_heatmap_panel, GTK_TYPE_WIDGET)

static void
maps_free (gpointer p)
{
  Maps *m = p;

  g_free (m->key);
  g_clear_pointer (&m->model, ss_session_model_unref);
  g_clear_pointer (&m->data, ss_session_data_unref);
  g_clear_pointer (&m->gc, ss_gradcam_free);
  g_free (m->inputs);
  g_free (m->labels);
  g_free (m->labelled);
  g_free (m->probs);
  g_free (m);
}

/* ---- Worker ------------------------------------------------------------------------------- */

typedef struct {
  char           *key;
  SsSessionModel *model;
  SsSessionData  *data;
  guint32         first;
  int             n;
  int             target;
} Request;

static void
request_free (gpointer p)
{
  Request *r = p;

  g_free (r->key);
  g_clear_pointer (&r->model, ss_session_model_unref);
  g_clear_pointer (&r->data, ss_session_data_unref);
  g_free (r);
}

static gpointer
maps_worker (SsJobTask    *task,
             gpointer      input,
             GCancellable *cancellable,
             GError      **error)
{
  Request *r = input;
  const SsDataset *ds = r->data->test;
  g_autoptr(SsNet) net = ss_session_model_clone_net (r->model);
  g_autofree guint32 *idx = g_new (guint32, r->n);
  g_autofree float *x = NULL;
  g_autofree int *targets = NULL;
  float mean[3], std[3];
  gsize len;
  Maps *m = g_new0 (Maps, 1);

  ss_job_task_progress (task, -1, _("Grad-CAM of every layer"));
  m->key = g_strdup (r->key);
  m->model = ss_session_model_ref (r->model);
  m->data = ss_session_data_ref (r->data);
  m->first = r->first;
  m->n = r->n;
  m->c = ss_dataset_get_channels (ds);
  m->h = ss_dataset_get_height (ds);
  m->w = ss_dataset_get_width (ds);
  m->k = ss_dataset_get_n_classes (ds);
  len = (gsize) m->c * m->h * m->w;
  for (int i = 0; i < r->n; i++)
    idx[i] = r->first + i;
  x = g_new (float, len * r->n);
  m->labels = g_new (SsLabel, r->n);
  m->labelled = g_new (guint8, r->n);
  ss_dataset_fill_batch (ds, x, m->labels, idx, r->n, FALSE, NULL);
  for (int i = 0; i < r->n; i++)
    m->labelled[i] = ss_session_data_is_labelled (r->data, idx[i]);

  if (r->target != TARGET_PREDICTED)
    {
      const float *logits = NULL;

      targets = g_new (int, r->n);
      for (int i = 0; i < r->n; i++)
        {
          if (r->target >= TARGET_CLASS0)
            targets[i] = r->target - TARGET_CLASS0;
          else if (m->labelled[i])
            targets[i] = m->labels[i];
          else
            {
              /* An unlabelled image has no true class: explain its prediction. */
              if (logits == NULL)
                logits = ss_net_predict (net, x, r->n);
              targets[i] = 0;
              for (int k = 1; k < m->k; k++)
                if (logits[(gsize) i * m->k + k] > logits[(gsize) i * m->k + targets[i]])
                  targets[i] = k;
            }
        }
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      (m->gc = ss_gradcam_compute (net, x, r->n, m->c, m->h, m->w, targets, error)) == NULL)
    {
      maps_free (m);
      return NULL;
    }

  ss_dataset_get_normalization (ds, mean, std);
  m->inputs = g_steal_pointer (&x);
  for (int i = 0; i < r->n; i++)
    for (int ch = 0; ch < m->c; ch++)
      for (gsize p = 0; p < (gsize) m->h * m->w; p++)
        {
          float *v = &m->inputs[i * len + ch * (gsize) m->h * m->w + p];
          *v = CLAMP (*v * std[ch] + mean[ch], 0.0f, 1.0f);
        }
  m->probs = g_new (float, (gsize) r->n * m->k);
  for (int i = 0; i < r->n; i++)
    {
      const float *l = ss_gradcam_get_logits (m->gc) + (gsize) i * m->k;
      float mx = l[0];
      double sum = 0;

      for (int k = 1; k < m->k; k++)
        mx = MAX (mx, l[k]);
      for (int k = 0; k < m->k; k++)
        sum += exp (l[k] - mx);
      for (int k = 0; k < m->k; k++)
        m->probs[(gsize) i * m->k + k] = (float) (exp (l[k] - mx) / sum);
    }
  return m;
}

/* ---- Cards -------------------------------------------------------------------------------- */

static SsImage *
card_input (Maps *m,
            int   i)
{
  gsize len = (gsize) m->c * m->h * m->w;
  return ss_heatmap_image_from_floats (m->inputs + i * len, m->c, m->h, m->w);
}

/* Sample i's map of layer over its input. Transfer full. */
static SsImage *
card_overlay (SsHeatmapPanel   *self,
              Maps             *m,
              int               i,
              int               layer,
              const SsColormap *cmap)
{
  g_autoptr(SsImage) input = card_input (m, i);
  g_autofree float *up = g_new (float, (gsize) m->h * m->w);

  ss_gradcam_upsample (m->gc, layer, i, up);
  return ss_heatmap_overlay (input, up, cmap, (float) gtk_adjustment_get_value (self->opacity));
}

static GtkWidget *
make_card (Maps *m,
           int   i)
{
  const SsDataset *ds = m->data->test;
  g_autoptr(SsImage) input = card_input (m, i);
  const float *probs = m->probs + (gsize) i * m->k;
  int pred = 0;
  g_autofree char *head = NULL, *pred_text = NULL, *tip = NULL;

  for (int k = 1; k < m->k; k++)
    if (probs[k] > probs[pred])
      pred = k;
  if (m->labelled[i])
    head = g_strdup_printf ("#%u · %s", m->first + i, ss_dataset_get_class_name (ds, m->labels[i]));
  else if (m->data->report != NULL)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (m->data->report->files,
                                                                      m->first + i));
      head = g_strdup_printf ("#%u · %s", m->first + i, base);
    }
  else
    head = g_strdup_printf ("#%u", m->first + i);
  pred_text = g_strdup_printf (_("predicted %s (%.0f %%)"), ss_dataset_get_class_name (ds, pred),
                               100.0 * probs[pred]);
  tip = g_strdup_printf (_("Grad-CAM explains class “%s”"),
                         ss_dataset_get_class_name (ds, ss_gradcam_get_classes (m->gc)[i]));
  return ss_heatmap_card_new (input, TILE, head, pred_text,
                              !m->labelled[i] ? SS_HEATMAP_CARD_UNLABELLED
                              : pred == m->labels[i] ? SS_HEATMAP_CARD_RIGHT
                                                     : SS_HEATMAP_CARD_WRONG, tip);
}

/* ---- Showing ------------------------------------------------------------------------------ */

static const SsColormap *
current_colormap (SsHeatmapPanel *self)
{
  guint i = gtk_drop_down_get_selected (self->colormap_dropdown);
  return ss_colormap_lookup (i == 1 ? "inferno" : "viridis", NULL);
}

static void
show_status (SsHeatmapPanel *self,
             const char     *title,
             const char     *description)
{
  adw_status_page_set_title (self->status, title);
  adw_status_page_set_description (self->status, description);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
set_text (GtkLabel   *label,
          const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
}

static void
clear_cards (SsHeatmapPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->flowbox))) != NULL)
    gtk_flow_box_remove (self->flowbox, child);
  g_clear_pointer (&self->fig, ss_fig_heatmaps_free);
  self->n_maps = 0;
  self->cards_serial = 0;
}

/* The grid of page m with layer's maps. The cards are made once per page: another layer,
 * colormap or opacity replaces their maps only, and the same ones change nothing (this runs on
 * every state change of the job too). A new page of cards costs style and layout for a hundred
 * widgets; new maps, a redraw of the tiles. */
static void
show_grid (SsHeatmapPanel *self,
           Maps           *m,
           int             layer)
{
  const SsColormap *cmap = current_colormap (self);
  double opacity = gtk_adjustment_get_value (self->opacity);
  GtkWidget *child;
  int i = 0;

  if (self->cards_serial == m->serial && self->cards_layer == layer &&
      self->cards_cmap == cmap && self->cards_opacity == opacity)
    return;
  if (self->cards_serial != m->serial)
    {
      clear_cards (self);
      for (int k = 0; k < m->n; k++)
        gtk_flow_box_append (self->flowbox, make_card (m, k));
      self->cards_serial = m->serial;
    }
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->flowbox)); child != NULL;
       child = gtk_widget_get_next_sibling (child), i++)
    {
      g_autoptr(SsImage) overlay = card_overlay (self, m, i, layer, cmap);
      ss_heatmap_card_set_map (gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child)), overlay);
    }
  self->n_maps = m->n;
  self->cards_layer = layer;
  self->cards_cmap = cmap;
  self->cards_opacity = opacity;

  g_clear_pointer (&self->fig, ss_fig_heatmaps_free);
  self->fig = ss_fig_heatmaps_new (m->c, m->h, m->w);
  ss_fig_heatmaps_set_colormap (self->fig, ss_colormap_get_name (cmap), NULL);
  ss_fig_heatmaps_set_alpha (self->fig, opacity);
  ss_fig_heatmaps_add_column (self->fig, ss_gradcam_get_layer_name (m->gc, layer));
  for (i = 0; i < m->n; i++)
    {
      int h, w, row;
      g_autofree char *label = m->labelled[i]
        ? g_strdup_printf ("#%u %s", m->first + i,
                           ss_dataset_get_class_name (m->data->test, m->labels[i]))
        : g_strdup_printf ("#%u", m->first + i);

      row = ss_fig_heatmaps_add_sample (self->fig, m->inputs + (gsize) i * m->c * m->h * m->w,
                                        label);
      ss_gradcam_get_layer_size (m->gc, layer, &h, &w);
      ss_fig_heatmaps_set_map (self->fig, row, 0, ss_gradcam_get_map (m->gc, layer, i), h, w);
    }
  gtk_stack_set_visible_child_name (self->stack, "grid");
}

static void
rebuild_cards (SsHeatmapPanel *self)
{
  SsSessionModel *model = self->session ? ss_session_get_model (self->session) : NULL;
  Maps *m = self->shown;
  int layer = -1;

  if (model == NULL || self->node < 0)
    {
      clear_cards (self);
      set_text (self->title, _("Grad-CAM"));
      set_text (self->subtitle, "");
      show_status (self, _("Select a Layer"),
                   _("Pick a convolution, activation or pooling layer in the list to see its "
                     "Grad-CAM heatmaps over the samples."));
      return;
    }
  set_text (self->title, ss_arch_get_node (ss_net_get_arch (model->net), self->node)->name);
  if (!ss_gradcam_is_saliency_layer (ss_net_get_arch (model->net), self->node))
    {
      clear_cards (self);
      set_text (self->subtitle, _("not a saliency layer"));
      show_status (self, _("No Saliency Map"),
                   _("Grad-CAM is computed for convolutions (before batch norm), activations, "
                     "pooling layers and residual block outputs."));
      return;
    }
  if (m == NULL || m->model != model)
    {
      const char *message = NULL;

      clear_cards (self);
      if (!ss_session_get_fits (self->session, &message))
        show_status (self, _("Model and Data Do Not Fit"), message);
      else if (ss_job_is_running (self->job))
        show_status (self, _("Computing Heatmaps…"), NULL);
      set_text (self->subtitle, "");
      return;
    }

  layer = ss_gradcam_find_layer (m->gc, self->node);
  {
    int h, w;
    g_autofree char *text = NULL;

    ss_gradcam_get_layer_size (m->gc, layer, &h, &w);
    text = g_strdup_printf (_("%s · map %d × %d · samples %u–%u"),
                            ss_saliency_kind_name (ss_gradcam_get_layer_kind (m->gc, layer)), h, w,
                            m->first, m->first + m->n - 1);
    set_text (self->subtitle, text);
  }
  show_grid (self, m, layer);
}

static Maps *
cache_lookup (SsHeatmapPanel *self,
              const char     *key)
{
  for (GList *l = self->cache.head; l != NULL; l = l->next)
    if (g_str_equal (((Maps *) l->data)->key, key))
      return l->data;
  return NULL;
}

static void
maps_done (GObject  *target,
           gpointer  result)
{
  SsHeatmapPanel *self = SS_HEATMAP_PANEL (target);
  Maps *m = result;

  m->serial = ++self->next_serial;
  g_queue_push_head (&self->cache, m);
  while (self->cache.length > CACHE_SIZE)
    {
      Maps *old = g_queue_pop_tail (&self->cache);
      if (old == self->shown)
        self->shown = NULL;
      maps_free (old);
    }
  if (g_strcmp0 (m->key, self->wanted) == 0)
    {
      self->shown = m;
      rebuild_cards (self);
    }
}

/* Asks for the current page's maps: from the cache, or computed on a worker. */
static void
request_maps (SsHeatmapPanel *self)
{
  SsSessionModel *model;
  SsSessionData *data;
  Request *r;
  Maps *hit;
  gsize size;

  if (self->session == NULL)
    return;
  model = ss_session_get_model (self->session);
  data = ss_session_get_data (self->session);
  if (model == NULL || data == NULL || !ss_session_get_fits (self->session, NULL))
    {
      self->shown = NULL;
      rebuild_cards (self);
      return;
    }
  size = ss_dataset_get_size (data->test);
  r = g_new0 (Request, 1);
  r->first = (guint32) MIN ((gsize) gtk_adjustment_get_value (self->first), size - 1);
  r->n = (int) MIN ((gsize) self->page_size, size - r->first);
  r->target = (int) gtk_drop_down_get_selected (self->target_dropdown);
  if (r->target == (int) GTK_INVALID_LIST_POSITION)
    r->target = TARGET_PREDICTED;
  r->key = g_strdup_printf ("%p/%p/%u/%d/%d", (void *) model, (void *) data, r->first, r->n,
                            r->target);
  g_free (self->wanted);
  self->wanted = g_strdup (r->key);
  if ((hit = cache_lookup (self, r->key)) != NULL)
    {
      request_free (r);
      ss_job_reset (self->job);
      self->shown = hit;
      rebuild_cards (self);
      return;
    }
  r->model = ss_session_model_ref (model);
  r->data = ss_session_data_ref (data);
  ss_job_start (self->job, maps_worker, r, request_free, maps_free, maps_done, G_OBJECT (self));
  rebuild_cards (self);
}

static void
on_data_changed (SsHeatmapPanel *self)
{
  SsSessionData *data = ss_session_get_data (self->session);
  gsize size = data ? ss_dataset_get_size (data->test) : 0;
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autofree char *count = g_strdup_printf (_("of %lu"), (unsigned long) size);
  guint selected = gtk_drop_down_get_selected (self->target_dropdown);

  g_ptr_array_add (items, (gpointer) _("Predicted class"));
  g_ptr_array_add (items, (gpointer) _("True class"));
  for (int k = 0; data != NULL && k < ss_dataset_get_n_classes (data->test); k++)
    g_ptr_array_add (items, (gpointer) ss_dataset_get_class_name (data->test, k));
  g_ptr_array_add (items, NULL);
  gtk_string_list_splice (self->target_list, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->target_list)),
                          (const char * const *) items->pdata);
  if (selected < items->len - 1)
    gtk_drop_down_set_selected (self->target_dropdown, selected);
  gtk_label_set_label (self->count_label, count);
  gtk_adjustment_set_upper (self->first, size > 0 ? (double) (size - 1) : 0);
  request_maps (self);
}

static void
on_prev_clicked (SsHeatmapPanel *self)
{
  gtk_adjustment_set_value (self->first,
                            MAX (0, gtk_adjustment_get_value (self->first) - self->page_size));
}

static void
on_next_clicked (SsHeatmapPanel *self)
{
  gtk_adjustment_set_value (self->first, gtk_adjustment_get_value (self->first) + self->page_size);
}

static void
on_retry (SsHeatmapPanel *self)
{
  request_maps (self);
}

/* ---- API ---------------------------------------------------------------------------------- */

void
ss_heatmap_panel_set_session (SsHeatmapPanel *self,
                              SsSession      *session)
{
  g_return_if_fail (SS_IS_HEATMAP_PANEL (self));
  g_return_if_fail (SS_IS_SESSION (session));

  g_set_object (&self->session, session);
  ss_session_add_job (session, self->job);
  g_signal_connect_object (session, "notify::data", G_CALLBACK (on_data_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::model", G_CALLBACK (request_maps), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::fits", G_CALLBACK (request_maps), self,
                           G_CONNECT_SWAPPED);
  on_data_changed (self);
}

void
ss_heatmap_panel_set_node (SsHeatmapPanel *self,
                           int             node)
{
  g_return_if_fail (SS_IS_HEATMAP_PANEL (self));

  self->node = node;
  rebuild_cards (self);
}

int
ss_heatmap_panel_get_node (SsHeatmapPanel *self)
{
  g_return_val_if_fail (SS_IS_HEATMAP_PANEL (self), -1);
  return self->node;
}

int
ss_heatmap_panel_get_n_maps (SsHeatmapPanel *self)
{
  g_return_val_if_fail (SS_IS_HEATMAP_PANEL (self), 0);
  return self->n_maps;
}

SsJob *
ss_heatmap_panel_get_job (SsHeatmapPanel *self)
{
  g_return_val_if_fail (SS_IS_HEATMAP_PANEL (self), NULL);
  return self->job;
}

const SsFigHeatmaps *
ss_heatmap_panel_get_figure (SsHeatmapPanel *self)
{
  g_return_val_if_fail (SS_IS_HEATMAP_PANEL (self), NULL);
  return self->fig;
}

void
ss_heatmap_panel_set_first (SsHeatmapPanel *self,
                            guint           first)
{
  g_return_if_fail (SS_IS_HEATMAP_PANEL (self));
  gtk_adjustment_set_value (self->first, first);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
ss_heatmap_panel_dispose (GObject *object)
{
  SsHeatmapPanel *self = SS_HEATMAP_PANEL (object);

  if (self->job != NULL)
    ss_job_reset (self->job);
  g_clear_object (&self->job);
  g_clear_object (&self->session);
  self->shown = NULL;
  g_queue_clear_full (&self->cache, maps_free);
  g_clear_pointer (&self->fig, ss_fig_heatmaps_free);
  g_clear_pointer (&self->wanted, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_HEATMAP_PANEL);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_heatmap_panel_parent_class)->dispose (object);
}

static void
ss_heatmap_panel_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SsHeatmapPanel *self = SS_HEATMAP_PANEL (object);

  switch (prop_id)
    {
    case PROP_COLORMAP:
      g_value_set_string (value, gtk_drop_down_get_selected (self->colormap_dropdown) == 1
                                 ? "inferno" : "viridis");
      break;
    case PROP_OPACITY:
      g_value_set_double (value, gtk_adjustment_get_value (self->opacity));
      break;
    case PROP_PAGE_SIZE:
      g_value_set_int (value, self->page_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_heatmap_panel_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SsHeatmapPanel *self = SS_HEATMAP_PANEL (object);

  switch (prop_id)
    {
    case PROP_COLORMAP:
      gtk_drop_down_set_selected (self->colormap_dropdown,
                                  g_strcmp0 (g_value_get_string (value), "inferno") == 0);
      break;
    case PROP_OPACITY:
      gtk_adjustment_set_value (self->opacity, g_value_get_double (value));
      break;
    case PROP_PAGE_SIZE:
      if (self->page_size != g_value_get_int (value))
        {
          self->page_size = g_value_get_int (value);
          gtk_adjustment_set_page_increment (self->first, self->page_size);
          g_object_notify_by_pspec (object, pspec);
          request_maps (self);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_colormap_changed (SsHeatmapPanel *self)
{
  rebuild_cards (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
}

static void
on_opacity_changed (SsHeatmapPanel *self)
{
  rebuild_cards (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPACITY]);
}

static void
ss_heatmap_panel_class_init (SsHeatmapPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_heatmap_panel_dispose;
  object_class->get_property = ss_heatmap_panel_get_property;
  object_class->set_property = ss_heatmap_panel_set_property;

  properties[PROP_COLORMAP] =
    g_param_spec_string ("colormap", NULL, NULL, "viridis",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPACITY] =
    g_param_spec_double ("opacity", NULL, NULL, 0, 1, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_SIZE] =
    g_param_spec_int ("page-size", NULL, NULL, 1, 256, 12,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SS_TYPE_JOB_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               APP_RESOURCE_PATH "/ss-heatmap-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, title);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, subtitle);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, target_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, target_list);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, opacity);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, first);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, count_label);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, status);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, flowbox);
  gtk_widget_class_bind_template_child (widget_class, SsHeatmapPanel, job_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_prev_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_next_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_retry);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_heatmap_panel_init (SsHeatmapPanel *self)
{
  self->node = -1;
  self->page_size = 12;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->job = ss_job_new (_("Grad-CAM heatmaps"));
  ss_job_bar_set_job (self->job_bar, self->job);
  g_signal_connect_object (self->job, "notify::state", G_CALLBACK (rebuild_cards), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected",
                            G_CALLBACK (on_colormap_changed), self);
  g_signal_connect_swapped (self->opacity, "value-changed", G_CALLBACK (on_opacity_changed), self);
  g_signal_connect_swapped (self->first, "value-changed", G_CALLBACK (request_maps), self);
  g_signal_connect_swapped (self->target_dropdown, "notify::selected",
                            G_CALLBACK (request_maps), self);
}
