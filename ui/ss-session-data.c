/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Opening a data set for the session (ss-session.h): a built-in test split or a folder of PNG
 * images, loaded on the data job's worker. A PNG folder is converted for the model open at the
 * time, keeping the current data's class names and normalization where they still apply. */

#include <string.h>

#include <glib/gi18n.h>

#include "ss-labels.h"
#include "ss-session-private.h"

typedef struct {
  char      *spec;
  gboolean   invert;
  /* The current model's input and the current data's classes, for PNG folders */
  int        c, h, w, k;
  GStrv      class_names;
  char      *labels;      /* a class-names file for class_names, read by the worker */
  gboolean   any_count;   /* no model: the labels file decides the class count */
  gboolean   have_norm;
  float      mean[3], std[3];
} OpenData;

static void
open_data_free (gpointer p)
{
  OpenData *in = p;

  g_free (in->spec);
  g_strfreev (in->class_names);
  g_free (in->labels);
  g_free (in);
}

static char *
data_title (const char *spec,
            SsDataset  *ds,
            SsPngFolderReport *report)
{
  const char *colon = strchr (spec, ':');
  g_autofree char *dir = colon ? g_path_get_basename (colon + 1) : NULL;

  if (report != NULL)
    return g_strdup_printf (_("PNG images in “%s”"), dir);
  if (g_str_has_prefix (spec, "fashion-mnist"))
    return g_strdup (_("Fashion-MNIST test set"));
  if (g_str_has_prefix (spec, "mnist"))
    return g_strdup (_("MNIST test set"));
  if (g_str_has_prefix (spec, "cifar10"))
    return g_strdup (_("CIFAR-10 test set"));
  return g_strdup (ss_dataset_get_name (ds));
}

static gpointer
open_data_worker (SsJobTask    *task,
                  gpointer      input,
                  GCancellable *cancellable,
                  GError      **error)
{
  OpenData *in = input;
  g_autoptr(SsPngFolderReport) report = NULL;
  SsSessionData *d;
  SsDataset *ds;

  ss_job_task_progress (task, -1, in->spec);
  if (g_str_has_prefix (in->spec, "png:"))
    {
      SsPngFolderOptions opt;
      int k = in->k;

      if (in->labels != NULL &&
          (in->class_names = ss_labels_load (in->labels, in->any_count ? 0 : in->k, &k,
                                             error)) == NULL)
        return NULL;
      ss_png_folder_options_init (&opt, in->c, in->h, in->w, k);
      opt.class_names = (const char * const *) in->class_names;
      opt.mean = in->have_norm ? in->mean : NULL;
      opt.std = in->have_norm ? in->std : NULL;
      opt.invert = in->invert;
      ds = ss_dataset_load_png_folder (in->spec + 4, &opt, &report, cancellable, error);
    }
  else
    ds = ss_dataset_load (in->spec, FALSE, error);
  if (ds == NULL)
    return NULL;
  d = g_atomic_rc_box_new0 (SsSessionData);
  d->test = ds;
  d->spec = g_strdup (in->spec);
  d->title = data_title (in->spec, ds, report);
  d->report = g_steal_pointer (&report);
  d->invert = in->invert;
  d->labels = g_strdup (in->labels);
  return d;
}

static void
open_data_done (GObject  *target,
                gpointer  result)
{
  ss_session_take_data (SS_SESSION (target), result);
}

void
ss_session_start_open_data (SsSession  *self,
                            const char *spec,
                            gboolean    invert,
                            const char *labels)
{
  SsSessionModel *model = ss_session_get_model (self);
  SsSessionData *data = ss_session_get_data (self);
  OpenData *in = g_new0 (OpenData, 1);

  in->spec = g_strdup (spec);
  in->invert = invert;
  in->labels = g_strdup (labels);
  in->any_count = model == NULL;
  in->c = 1, in->h = 28, in->w = 28, in->k = 10;
  if (model != NULL)
    {
      ss_arch_get_input (ss_net_get_arch (model->net), &in->c, &in->h, &in->w);
      in->k = ss_arch_get_n_classes (ss_net_get_arch (model->net));
    }
  if (data != NULL && ss_dataset_get_n_classes (data->test) == in->k)
    {
      /* The names carry over to the new data, unless a labels file names them. */
      if (labels == NULL)
        {
          in->class_names = g_new0 (char *, in->k + 1);
          for (int i = 0; i < in->k; i++)
            in->class_names[i] = g_strdup (ss_dataset_get_class_name (data->test, i));
        }
      if (ss_dataset_get_channels (data->test) == in->c)
        {
          ss_dataset_get_normalization (data->test, in->mean, in->std);
          in->have_norm = TRUE;
        }
    }
  ss_job_start (ss_session_get_data_job (self), open_data_worker, in, open_data_free,
                (GDestroyNotify) ss_session_data_unref, open_data_done, G_OBJECT (self));
}

void
ss_session_open_data (SsSession  *self,
                      const char *spec,
                      gboolean    invert)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (spec != NULL);

  ss_session_start_open_data (self, spec, invert, NULL);
}

void
ss_session_open_png_labels (SsSession  *self,
                            const char *spec,
                            gboolean    invert,
                            const char *labels)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (spec != NULL && g_str_has_prefix (spec, "png:"));
  g_return_if_fail (labels != NULL);

  ss_session_start_open_data (self, spec, invert, labels);
}
