/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* --data png:DIR — a folder of the user's own PNG images (core/ss-dataset-png.h) converted to
 * the input of the model the command opens — with --preprocess and --labels.
 *
 *   --preprocess none       (default) each image stretched to the input size (box-averaged, then
 *                           bilinear), normalised as the model's training data set when its file
 *                           names one, else by the folder's own mean and std;
 *   --preprocess resize[:S] torchvision's Resize (S) + CenterCrop (input size); S defaults to
 *                           the ImageNet ratio, 256 for a 224 input; normalised as for none;
 *   --preprocess imagenet   Resize (256) + CenterCrop (224) (the same ratio for other input
 *                           sizes) and ImageNet's mean and std: what torchvision's ImageNet
 *                           models, imported from ONNX, expect.
 *   --labels FILE           class names, one per line (core/ss-labels.h), as many as the model
 *                           has classes; class subfolders are matched against them.
 *
 * The same folder is the training and the test set. */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ss-dataset-png.h"
#include "ss-error.h"
#include "ss-labels.h"
#include "ss-preprocess.h"

/* The input and classes of the model this command opened last (cli_open_model notes it), so
 * that a folder is converted to it without opening the model twice. */
static struct {
  gboolean known;
  int      c, h, w, k;
} noted;

void
cli_note_model (const SsNet *net)
{
  const SsArch *arch = ss_net_get_arch (net);

  ss_arch_get_input (arch, &noted.c, &noted.h, &noted.w);
  noted.k = ss_arch_get_n_classes (arch);
  noted.known = TRUE;
}

/* Sets opt's resizing and normalisation from --preprocess. */
static gboolean
apply_preprocess (const char          *spec,
                  SsPngFolderOptions  *opt,
                  gboolean            *imagenet,
                  GError             **error)
{
  guint64 s;

  *imagenet = FALSE;
  if (spec == NULL || g_str_equal (spec, "none"))
    return TRUE;
  if (g_str_equal (spec, "imagenet"))
    {
      ss_png_folder_options_use_imagenet (opt);
      *imagenet = TRUE;
      return TRUE;
    }
  if (g_str_equal (spec, "resize"))
    {
      opt->resize_shorter = ss_preprocess_imagenet_resize (MIN (opt->height, opt->width));
      return TRUE;
    }
  if (g_str_has_prefix (spec, "resize:") &&
      g_ascii_string_to_unsigned (spec + 7, 10, 1, SS_PREPROCESS_MAX_RESIZE, &s, NULL))
    {
      opt->resize_shorter = (int) s;
      return TRUE;
    }
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "--preprocess must be none, resize, resize:S (S = 1..%d, the shorter side before "
               "the centre crop) or imagenet, not “%s”", SS_PREPROCESS_MAX_RESIZE, spec);
  return FALSE;
}

/* The model's training data set (named in its file), for its class names and normalisation;
 * NULL (with a note) when it cannot be read. Transfer full. */
static SsDataset *
load_reference (const char *model_dataset)
{
  g_autoptr(GError) error = NULL;
  SsDataset *ds;

  if (model_dataset == NULL || g_str_has_prefix (model_dataset, "png:"))
    return NULL;
  if ((ds = ss_dataset_load (model_dataset, FALSE, &error)) == NULL)
    fprintf (stderr, "supersign-cli: the model was trained on %s, which cannot be read (%s); "
             "the images are normalised by their own mean and std\n", model_dataset,
             error->message);
  return ds;
}

static void
print_report (const char              *dir,
              const SsDataset         *ds,
              const SsPngFolderReport *report)
{
  for (guint i = 0; i < report->problems->len; i++)
    fprintf (stderr, "supersign-cli: %s\n",
             ((const GError *) g_ptr_array_index (report->problems, i))->message);
  fprintf (stderr, "supersign-cli: %s: %" G_GSIZE_FORMAT " images, %" G_GSIZE_FORMAT
           " labelled by their class subfolder\n", dir, ss_dataset_get_size (ds),
           report->n_labelled);
}

SsDataset *
cli_load_png_folder (const CliOptions *opts,
                     const char       *dir,
                     const char       *model_dataset,
                     GError          **error)
{
  g_autoptr(SsPngFolderReport) report = NULL;
  g_autoptr(SsDataset) reference = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_auto(GStrv) labels = NULL;
  g_autofree char **ref_names = NULL;
  float mean[3], std[3];
  SsPngFolderOptions opt;
  gboolean imagenet;
  SsDataset *ds;

  if (*dir == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "--data png: needs a folder: png:DIR");
      return NULL;
    }
  if (!noted.known)
    {
      /* Data before model (eval, train of a built-in): the model decides the input, and its
       * file may name the data set it was trained on. */
      g_autoptr(SsNet) net = cli_open_model (opts, NULL, &metadata, error);
      if (net == NULL)
        return NULL;
      if (model_dataset == NULL)
        model_dataset = cli_model_dataset (metadata);
    }
  ss_png_folder_options_init (&opt, noted.c, noted.h, noted.w, noted.k);
  if (!apply_preprocess (opts->preprocess, &opt, &imagenet, error))
    return NULL;

  if (opts->labels != NULL)
    {
      if ((labels = ss_labels_load (opts->labels, noted.k, NULL, error)) == NULL)
        return NULL;
      opt.class_names = (const char * const *) labels;
    }
  if ((!imagenet || labels == NULL) && (reference = load_reference (model_dataset)) != NULL &&
      ss_dataset_get_n_classes (reference) == noted.k)
    {
      if (labels == NULL)
        {
          ref_names = g_new0 (char *, noted.k + 1);
          for (int i = 0; i < noted.k; i++)
            ref_names[i] = (char *) ss_dataset_get_class_name (reference, i);
          opt.class_names = (const char * const *) ref_names;
        }
      if (!imagenet && ss_dataset_get_channels (reference) == noted.c)
        {
          ss_dataset_get_normalization (reference, mean, std);
          opt.mean = mean;
          opt.std = std;
        }
    }

  ds = ss_dataset_load_png_folder (dir, &opt, &report, NULL, error);
  if (ds == NULL)
    return NULL;
  print_report (dir, ds, report);
  return ds;
}
