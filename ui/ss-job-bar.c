/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ss-job-bar.h"

struct _SsJobBar
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkRevealer    *revealer;
  GtkBox         *box;
  GtkImage       *icon;
  GtkLabel       *title_label;
  GtkLabel       *message_label;
  GtkProgressBar *progress;
  GtkButton      *retry_button;
  GtkButton      *cancel_button;
  GtkButton      *dismiss_button;

  /* Owned */
  SsJob          *job;
  char           *status_text;

  gulong          notify_id;
  guint           pulse_id;
  guint           reveal_id;
};

/* How long a job runs before its bar shows (ms). */
#define REVEAL_DELAY_MS 300

enum {
  PROP_0,
  PROP_JOB,
  N_PROPS
};

enum {
  RETRY,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SsJobBar, ss_job_bar, GTK_TYPE_WIDGET)

static gboolean
pulse_cb (gpointer data)
{
  gtk_progress_bar_pulse (SS_JOB_BAR (data)->progress);
  return G_SOURCE_CONTINUE;
}

static void
stop_pulse (SsJobBar *self)
{
  g_clear_handle_id (&self->pulse_id, g_source_remove);
}

static void sync_job (SsJobBar *self);

static gboolean
reveal_cb (gpointer data)
{
  SsJobBar *self = data;

  self->reveal_id = 0;
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
  sync_job (self);
  return G_SOURCE_REMOVE;
}

static void
set_label_text (GtkLabel   *label,
                const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
}

static void
sync_job (SsJobBar *self)
{
  SsJobState state = self->job ? ss_job_get_state (self->job) : SS_JOB_IDLE;
  const char *title = self->job ? ss_job_get_title (self->job) : NULL;
  const char *message = self->job ? ss_job_get_message (self->job) : NULL;
  double fraction = self->job ? ss_job_get_fraction (self->job) : 0;
  g_autofree char *status = NULL;
  const char *icon;

  /* A running job shows its bar only once it has run for a while: a quick one (a page of
   * heatmaps) would otherwise slide the bar in and out, laying out and redrawing the view
   * above it at every frame of both animations. An outcome to read shows at once. */
  if (state != SS_JOB_RUNNING)
    g_clear_handle_id (&self->reveal_id, g_source_remove);
  if (state == SS_JOB_RUNNING && !gtk_revealer_get_reveal_child (self->revealer))
    {
      if (self->reveal_id == 0)
        self->reveal_id = g_timeout_add (REVEAL_DELAY_MS, reveal_cb, self);
    }
  else
    gtk_revealer_set_reveal_child (self->revealer,
                                   state == SS_JOB_RUNNING || state == SS_JOB_CANCELLED ||
                                   state == SS_JOB_FAILED);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), state == SS_JOB_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), state == SS_JOB_RUNNING);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button),
                          state == SS_JOB_CANCELLED || state == SS_JOB_FAILED);
  gtk_widget_set_visible (GTK_WIDGET (self->dismiss_button),
                          state == SS_JOB_CANCELLED || state == SS_JOB_FAILED);
  gtk_widget_set_visible (GTK_WIDGET (self->icon),
                          state == SS_JOB_CANCELLED || state == SS_JOB_FAILED);
  /* The job notifies on every progress report (up to 30 times a second), and setting a
   * widget's contents queues a new layout even when nothing changed: set only what did. */
  icon = state == SS_JOB_FAILED ? "dialog-error-symbolic" : "process-stop-symbolic";
  if (g_strcmp0 (gtk_image_get_icon_name (self->icon), icon) != 0)
    gtk_image_set_from_icon_name (self->icon, icon);
  if (state == SS_JOB_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->box), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->box), "failed");

  switch (state)
    {
    case SS_JOB_RUNNING:
      status = g_strdup (message ? message : _("Working…"));
      break;
    case SS_JOB_CANCELLED:
      status = g_strdup (_("Cancelled"));
      break;
    case SS_JOB_FAILED:
      status = g_strdup_printf (_("Failed: %s"), message ? message : _("unknown error"));
      break;
    case SS_JOB_IDLE:
    case SS_JOB_DONE:
    default:
      status = g_strdup ("");
      break;
    }
  set_label_text (self->title_label, title ? title : "");
  /* A progress message changes with every report: on one line, so that the bar keeps its
   * height and the views above it are not laid out and redrawn each time. An error wraps. */
  if (gtk_label_get_wrap (self->message_label) != (state == SS_JOB_FAILED))
    {
      gtk_label_set_wrap (self->message_label, state == SS_JOB_FAILED);
      gtk_label_set_ellipsize (self->message_label, state == SS_JOB_FAILED ? PANGO_ELLIPSIZE_NONE
                                                                            : PANGO_ELLIPSIZE_END);
    }
  set_label_text (self->message_label, status);
  g_free (self->status_text);
  self->status_text = g_steal_pointer (&status);

  /* Pulsing animates every frame: only once the bar shows. */
  if (state == SS_JOB_RUNNING && fraction < 0)
    {
      if (self->pulse_id == 0 && gtk_revealer_get_reveal_child (self->revealer))
        self->pulse_id = g_timeout_add (100, pulse_cb, self);
    }
  else
    {
      stop_pulse (self);
      gtk_progress_bar_set_fraction (self->progress, CLAMP (fraction, 0, 1));
    }
}

static void
on_job_notify (SsJobBar *self)
{
  sync_job (self);
}

static void
on_cancel_clicked (SsJobBar *self)
{
  if (self->job != NULL)
    ss_job_cancel (self->job);
}

static void
on_dismiss_clicked (SsJobBar *self)
{
  if (self->job != NULL)
    ss_job_reset (self->job);
}

static void
on_retry_clicked (SsJobBar *self)
{
  g_signal_emit (self, signals[RETRY], 0);
}

void
ss_job_bar_set_job (SsJobBar *self,
                    SsJob    *job)
{
  g_return_if_fail (SS_IS_JOB_BAR (self));
  g_return_if_fail (job == NULL || SS_IS_JOB (job));

  if (self->job == job)
    return;
  if (self->job != NULL)
    g_clear_signal_handler (&self->notify_id, self->job);
  g_set_object (&self->job, job);
  if (job != NULL)
    self->notify_id = g_signal_connect_object (job, "notify", G_CALLBACK (on_job_notify), self,
                                               G_CONNECT_SWAPPED);
  sync_job (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

SsJob *
ss_job_bar_get_job (SsJobBar *self)
{
  g_return_val_if_fail (SS_IS_JOB_BAR (self), NULL);
  return self->job;
}

const char *
ss_job_bar_get_status_text (SsJobBar *self)
{
  g_return_val_if_fail (SS_IS_JOB_BAR (self), NULL);
  return self->status_text;
}

GtkWidget *
ss_job_bar_new (SsJob *job)
{
  return g_object_new (SS_TYPE_JOB_BAR, "job", job, NULL);
}

static void
ss_job_bar_dispose (GObject *object)
{
  SsJobBar *self = SS_JOB_BAR (object);

  stop_pulse (self);
  g_clear_handle_id (&self->reveal_id, g_source_remove);
  if (self->job != NULL)
    g_clear_signal_handler (&self->notify_id, self->job);
  g_clear_object (&self->job);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_JOB_BAR);
  /* The template's root child is not bound to a field: unparent it here. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ss_job_bar_parent_class)->dispose (object);
}

static void
ss_job_bar_finalize (GObject *object)
{
  g_clear_pointer (&SS_JOB_BAR (object)->status_text, g_free);
  G_OBJECT_CLASS (ss_job_bar_parent_class)->finalize (object);
}

static void
ss_job_bar_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_JOB:
      g_value_set_object (value, SS_JOB_BAR (object)->job);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_job_bar_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_JOB:
      ss_job_bar_set_job (SS_JOB_BAR (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_job_bar_class_init (SsJobBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_job_bar_dispose;
  object_class->finalize = ss_job_bar_finalize;
  object_class->get_property = ss_job_bar_get_property;
  object_class->set_property = ss_job_bar_set_property;

  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, SS_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Retry pressed after a cancel or failure: the owner starts the job again. */
  signals[RETRY] = g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/ss-job-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, revealer);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, box);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, icon);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, title_label);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, message_label);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, progress);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, retry_button);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, SsJobBar, dismiss_button);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_dismiss_clicked);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ss_job_bar_init (SsJobBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sync_job (self);
}
