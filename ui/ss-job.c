/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-job.h"

#ifdef __linux__
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Progress is delivered at most this often (µs): ~30 Hz. */
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 30)

struct _SsJob
{
  GObject       parent_instance;

  /* Owned */
  char         *title;
  char         *message;
  GCancellable *cancellable;   /* the current run's; NULL when not running */
  GWeakRef      target;        /* the current run's */

  SsJobState    state;
  double        fraction;
  gboolean      background;
};

/* One run: lives as the GTask's task data. */
struct _SsJobTask
{
  SsJobWorker    worker;
  gpointer       input;
  GDestroyNotify input_free;
  GDestroyNotify result_free;
  SsJobDone      done;
  GWeakRef       target;
  GCancellable  *cancellable;
  SsJob         *job;            /* borrowed: the GTask holds it as its source object */
  gint64         last_report;    /* worker thread only */
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_STATE,
  PROP_FRACTION,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (SsJobState, ss_job_state,
                    G_DEFINE_ENUM_VALUE (SS_JOB_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (SS_JOB_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (SS_JOB_DONE, "done"),
                    G_DEFINE_ENUM_VALUE (SS_JOB_CANCELLED, "cancelled"),
                    G_DEFINE_ENUM_VALUE (SS_JOB_FAILED, "failed"))

G_DEFINE_FINAL_TYPE (SsJob, ss_job, G_TYPE_OBJECT)

/* Workers started and not yet reported back to the main loop. While any is in flight the
 * application is held, so closing the last window lets cancelled workers wind down before the
 * process exits: exiting under a running worker tears down OpenBLAS beneath it. */
static guint n_in_flight;

static void
job_task_free (gpointer data)
{
  SsJobTask *t = data;

  if (t->input != NULL && t->input_free != NULL)
    t->input_free (t->input);
  g_weak_ref_clear (&t->target);
  g_clear_object (&t->cancellable);
  g_free (t);
}

static void
set_state (SsJob      *job,
           SsJobState  state,
           double      fraction,
           const char *message)
{
  g_object_freeze_notify (G_OBJECT (job));
  if (job->state != state)
    {
      job->state = state;
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_STATE]);
    }
  if (job->fraction != fraction)
    {
      job->fraction = fraction;
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_FRACTION]);
    }
  if (g_strcmp0 (job->message, message) != 0)
    {
      g_free (job->message);
      job->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_MESSAGE]);
    }
  g_object_thaw_notify (G_OBJECT (job));
}

typedef struct {
  SsJob        *job;
  GCancellable *cancellable;
  double        fraction;
  char         *text;
} Progress;

static void
progress_free (gpointer data)
{
  Progress *p = data;

  g_object_unref (p->job);
  g_object_unref (p->cancellable);
  g_free (p->text);
  g_free (p);
}

static gboolean
progress_idle (gpointer data)
{
  Progress *p = data;

  /* A report from a stale or cancelled run changes nothing. */
  if (p->job->cancellable == p->cancellable && p->job->state == SS_JOB_RUNNING)
    set_state (p->job, SS_JOB_RUNNING, p->fraction, p->text);
  return G_SOURCE_REMOVE;
}

void
ss_job_task_progress (SsJobTask  *task,
                      double      fraction,
                      const char *text)
{
  gint64 now = g_get_monotonic_time ();
  Progress *p;

  g_return_if_fail (task != NULL);

  if (fraction < 1 && now - task->last_report < PROGRESS_INTERVAL_US)
    return;
  task->last_report = now;
  p = g_new0 (Progress, 1);
  p->job = g_object_ref (task->job);
  p->cancellable = g_object_ref (task->cancellable);
  p->fraction = fraction;
  p->text = g_strdup (text);
  g_idle_add_full (G_PRIORITY_DEFAULT, progress_idle, p, progress_free);
}

typedef struct {
  SsJob         *job;
  GCancellable  *cancellable;
  SsJobPostFunc  func;
  gpointer       data;
  GDestroyNotify data_free;
} Post;

static void
post_free (gpointer p)
{
  Post *post = p;

  if (post->data_free != NULL)
    post->data_free (post->data);
  g_object_unref (post->job);
  g_object_unref (post->cancellable);
  g_free (post);
}

static gboolean
post_idle (gpointer p)
{
  Post *post = p;
  g_autoptr(GObject) target = NULL;

  if (post->job->cancellable == post->cancellable &&
      (target = g_weak_ref_get (&post->job->target)) != NULL)
    post->func (target, post->data);
  return G_SOURCE_REMOVE;
}

void
ss_job_task_post (SsJobTask      *task,
                  SsJobPostFunc   func,
                  gpointer        data,
                  GDestroyNotify  data_free)
{
  Post *post;

  g_return_if_fail (task != NULL);
  g_return_if_fail (func != NULL);

  post = g_new0 (Post, 1);
  post->job = g_object_ref (task->job);
  post->cancellable = g_object_ref (task->cancellable);
  post->func = func;
  post->data = data;
  post->data_free = data_free;
  g_idle_add_full (G_PRIORITY_DEFAULT, post_idle, post, post_free);
}

static void
job_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  SsJobTask *t = task_data;
  GError *error = NULL;
  gpointer result;

  result = t->worker (t, t->input, cancellable, &error);
  if (t->input_free != NULL)
    g_clear_pointer (&t->input, t->input_free);
  if (result != NULL)
    g_task_return_pointer (task, result, t->result_free);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "The job gave no result");
}

static void
job_finished (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  SsJob *job = SS_JOB (source);
  SsJobTask *t = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) target = NULL;
  GApplication *app = g_application_get_default ();
  gpointer result;

  n_in_flight--;
  if (app != NULL)
    g_application_release (app);
  result = g_task_propagate_pointer (G_TASK (res), &error);
  if (t->cancellable != job->cancellable)
    {
      /* Stale: cancelled, or replaced by a newer run. */
      if (result != NULL && t->result_free != NULL)
        t->result_free (result);
      return;
    }
  g_clear_object (&job->cancellable);
  if (result == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (job, SS_JOB_CANCELLED, 0, NULL);
      else
        set_state (job, SS_JOB_FAILED, 0, error->message);
      return;
    }
  set_state (job, SS_JOB_DONE, 1, NULL);
  target = g_weak_ref_get (&t->target);
  if (target != NULL && t->done != NULL)
    t->done (target, result);
  else if (t->result_free != NULL)
    t->result_free (result);
}

/* A background job's thread: below the main thread's and the other workers' priority, so that
 * the window and a quick job (a page of heatmaps) get a core as soon as they have work while a
 * training run keeps every core busy. Its OpenMP team, started from this thread, inherits the
 * nice value. A thread of its own, since on Linux an unprivileged thread cannot raise its
 * priority again: a lowered pool thread would slow whatever ran on it next. */
#define BACKGROUND_NICE 10

static gpointer
background_thread (gpointer data)
{
  g_autoptr(GTask) task = data;

#ifdef __linux__
  {
    id_t tid = (id_t) syscall (SYS_gettid);
    int nice;

    errno = 0;
    nice = getpriority (PRIO_PROCESS, tid);
    if (errno == 0 && setpriority (PRIO_PROCESS, tid, MIN (nice + BACKGROUND_NICE, 19)) != 0)
      g_debug ("could not lower a background job's priority: %s", g_strerror (errno));
  }
#endif
  job_thread (task, g_task_get_source_object (task), g_task_get_task_data (task),
              g_task_get_cancellable (task));
  return NULL;
}

void
ss_job_start (SsJob          *job,
              SsJobWorker     worker,
              gpointer        input,
              GDestroyNotify  input_free,
              GDestroyNotify  result_free,
              SsJobDone       done,
              GObject        *target)
{
  g_autoptr(GTask) task = NULL;
  GApplication *app = g_application_get_default ();
  SsJobTask *t;

  g_return_if_fail (SS_IS_JOB (job));
  g_return_if_fail (worker != NULL);

  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  job->cancellable = g_cancellable_new ();

  t = g_new0 (SsJobTask, 1);
  t->worker = worker;
  t->input = input;
  t->input_free = input_free;
  t->result_free = result_free;
  t->done = done;
  g_weak_ref_init (&t->target, target);
  t->cancellable = g_object_ref (job->cancellable);
  t->job = job;
  g_weak_ref_set (&job->target, target);

  task = g_task_new (job, job->cancellable, job_finished, NULL);
  g_task_set_source_tag (task, ss_job_start);
  g_task_set_name (task, job->title);
  g_task_set_task_data (task, t, job_task_free);
  set_state (job, SS_JOB_RUNNING, -1, NULL);
  n_in_flight++;
  if (app != NULL)
    g_application_hold (app);
  if (job->background)
    {
      GThread *thread = g_thread_try_new ("ss-background", background_thread,
                                          g_object_ref (task), NULL);
      if (thread != NULL)
        {
          g_thread_unref (thread);
          return;
        }
      g_object_unref (task);   /* the thread's reference; the pool runs it instead */
    }
  g_task_run_in_thread (task, job_thread);
}

guint
ss_job_get_n_in_flight (void)
{
  return n_in_flight;
}

void
ss_job_cancel (SsJob *job)
{
  g_return_if_fail (SS_IS_JOB (job));

  if (job->cancellable == NULL)
    return;
  g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  set_state (job, SS_JOB_CANCELLED, 0, NULL);
}

void
ss_job_reset (SsJob *job)
{
  g_return_if_fail (SS_IS_JOB (job));

  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  set_state (job, SS_JOB_IDLE, 0, NULL);
}

void
ss_job_fail (SsJob        *job,
             const GError *error)
{
  g_return_if_fail (SS_IS_JOB (job));
  g_return_if_fail (error != NULL);

  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  set_state (job, SS_JOB_FAILED, 0, error->message);
}

SsJobState
ss_job_get_state (SsJob *job)
{
  g_return_val_if_fail (SS_IS_JOB (job), SS_JOB_IDLE);
  return job->state;
}

double
ss_job_get_fraction (SsJob *job)
{
  g_return_val_if_fail (SS_IS_JOB (job), 0);
  return job->fraction;
}

const char *
ss_job_get_title (SsJob *job)
{
  g_return_val_if_fail (SS_IS_JOB (job), NULL);
  return job->title;
}

void
ss_job_set_title (SsJob      *job,
                  const char *title)
{
  g_return_if_fail (SS_IS_JOB (job));

  if (g_strcmp0 (job->title, title) == 0)
    return;
  g_free (job->title);
  job->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_TITLE]);
}

const char *
ss_job_get_message (SsJob *job)
{
  g_return_val_if_fail (SS_IS_JOB (job), NULL);
  return job->message;
}

gboolean
ss_job_is_running (SsJob *job)
{
  g_return_val_if_fail (SS_IS_JOB (job), FALSE);
  return job->state == SS_JOB_RUNNING;
}

void
ss_job_set_background (SsJob    *job,
                       gboolean  background)
{
  g_return_if_fail (SS_IS_JOB (job));
  job->background = background;
}

SsJob *
ss_job_new (const char *title)
{
  return g_object_new (SS_TYPE_JOB, "title", title, NULL);
}

static void
ss_job_dispose (GObject *object)
{
  SsJob *job = SS_JOB (object);

  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  G_OBJECT_CLASS (ss_job_parent_class)->dispose (object);
}

static void
ss_job_finalize (GObject *object)
{
  SsJob *job = SS_JOB (object);

  g_weak_ref_clear (&job->target);
  g_clear_pointer (&job->title, g_free);
  g_clear_pointer (&job->message, g_free);
  G_OBJECT_CLASS (ss_job_parent_class)->finalize (object);
}

static void
ss_job_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  SsJob *job = SS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, job->title);
      break;
    case PROP_STATE:
      g_value_set_enum (value, job->state);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, job->fraction);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, job->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_job_set_property (GObject      *object,
                     guint         prop_id,
                     const GValue *value,
                     GParamSpec   *pspec)
{
  SsJob *job = SS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      ss_job_set_title (job, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_job_class_init (SsJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_job_dispose;
  object_class->finalize = ss_job_finalize;
  object_class->get_property = ss_job_get_property;
  object_class->set_property = ss_job_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, SS_TYPE_JOB_STATE, SS_JOB_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, -1, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_job_init (SsJob *job)
{
  g_weak_ref_init (&job->target, NULL);
}
