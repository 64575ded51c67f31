/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"

/* Long commands run their work on a worker thread so that the main thread stays free to catch
 * Ctrl-C: the first press cancels (the core jobs poll the cancellable between batches and leave
 * the model consistent), a second one ends the process at once. */

typedef struct {
  GThreadFunc   func;
  gpointer      data;
  GMainLoop    *loop;
  GCancellable *cancellable;
  const char   *stop_message;
  gboolean      interrupted;
} CliJob;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer user_data)
{
  CliJob *job = user_data;

  job->func (job->data);
  g_idle_add (quit_loop, job->loop);
  return NULL;
}

static gboolean
on_sigint (gpointer user_data)
{
  CliJob *job = user_data;

  if (job->interrupted)
    {
      signal (SIGINT, SIG_DFL);
      raise (SIGINT);
    }
  fprintf (stderr, "\nsupersign-cli: %s (Ctrl-C again to quit now)\n", job->stop_message);
  job->interrupted = TRUE;
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_CONTINUE;
}

gboolean
cli_run_in_worker (const char   *name,
                   GThreadFunc   func,
                   gpointer      data,
                   GCancellable *cancellable,
                   const char   *stop_message)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  CliJob job = { func, data, loop, cancellable, stop_message, FALSE };
  GThread *thread;
  guint source;

  source = g_unix_signal_add (SIGINT, on_sigint, &job);
  thread = g_thread_new (name, job_thread, &job);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (source);
  return job.interrupted;
}
