/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* A data set from a folder of PNG images (ss-dataset-png.h).
 * Legend: N images, C channels, H W the model's input size, SH SW an image's own size. */

#include <math.h>
#include <string.h>

#include "ss-dataset-private.h"
#include "ss-dataset-png.h"
#include "ss-error.h"
#include "ss-png.h"
#include "ss-preprocess.h"
#include "ss-resize.h"

void
ss_png_folder_options_init (SsPngFolderOptions *opt,
                            int                 c,
                            int                 h,
                            int                 w,
                            int                 n_classes)
{
  g_return_if_fail (opt != NULL);

  memset (opt, 0, sizeof *opt);
  opt->channels = c;
  opt->height = h;
  opt->width = w;
  opt->n_classes = n_classes;
}

void
ss_png_folder_options_use_imagenet (SsPngFolderOptions *opt)
{
  /* Gray models are rare; the channel means are the natural reading of "ImageNet's". */
  static const float gray_mean[1] = { (0.485f + 0.456f + 0.406f) / 3 };
  static const float gray_std[1] = { (0.229f + 0.224f + 0.225f) / 3 };

  g_return_if_fail (opt != NULL);

  opt->resize_shorter = ss_preprocess_imagenet_resize (MIN (opt->height, opt->width));
  opt->mean = opt->channels == 1 ? gray_mean : ss_imagenet_mean;
  opt->std = opt->channels == 1 ? gray_std : ss_imagenet_std;
}

void
ss_png_folder_report_free (SsPngFolderReport *report)
{
  if (report == NULL)
    return;
  g_clear_pointer (&report->files, g_ptr_array_unref);
  g_clear_pointer (&report->labelled, g_free);
  g_clear_pointer (&report->problems, g_ptr_array_unref);
  g_free (report);
}

/* SsDataset borrows its class names for ever: the same list of names always gives the same
 * array of strings, made once and kept, with its strings, for the life of the program in a
 * table that stays reachable. (Not GLib's interned strings: interning ImageNet's or 65536
 * names grows GLib's quark arrays, whose old copies GLib drops without freeing.) */
static const char * const *
intern_class_names (const char * const *names,
                    int                  k)
{
  static GMutex lock;
  static GHashTable *table;   /* key → (k + 1) owned strings, NULL-terminated */
  g_autoptr(GString) key = g_string_new (NULL);
  char **array;

  /* Each name with its length first, so that no two lists share a key whatever they hold. */
  for (int i = 0; i < k; i++)
    {
      g_autofree char *number = names == NULL ? g_strdup_printf ("%d", i) : NULL;
      const char *name = names != NULL ? names[i] : number;
      g_string_append_printf (key, "%" G_GSIZE_FORMAT ":%s", strlen (name), name);
    }
  g_mutex_lock (&lock);
  if (table == NULL)
    table = g_hash_table_new (g_str_hash, g_str_equal);
  array = g_hash_table_lookup (table, key->str);
  if (array == NULL)
    {
      array = g_new0 (char *, k + 1);
      for (int i = 0; i < k; i++)
        array[i] = names != NULL ? g_strdup (names[i]) : g_strdup_printf ("%d", i);
      g_hash_table_insert (table, g_strdup (key->str), array);
    }
  g_mutex_unlock (&lock);
  return (const char * const *) array;
}

/* A name reduced to its letters and digits, lower case: "T-shirt/top" → "tshirttop". */
static char *
name_key (const char *name)
{
  GString *s = g_string_new (NULL);

  for (const char *p = name; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (s, g_ascii_tolower (*p));
  return g_string_free (s, FALSE);
}

/* Class names by their name_key: owned key → class + 1.  A key shared by several classes
 * (ImageNet names two "crane") stands for the first, as a search in class order would.  Built
 * once per folder, so a folder of 1000 class subfolders against 1000 names costs 2000 keys,
 * not a million comparisons. Transfer full. */
static GHashTable *
class_keys_new (const char * const *names,
                int                 k)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < k; i++)
    {
      char *key = name_key (names[i]);
      if (*key == '\0' || g_hash_table_contains (table, key))
        g_free (key);
      else
        g_hash_table_insert (table, key, GINT_TO_POINTER (i + 1));
    }
  return table;
}

/* The class a subfolder name stands for, or -1. keys: from class_keys_new. */
static int
class_of_folder (const char *folder,
                 GHashTable *keys,
                 int         k)
{
  g_autofree char *key = name_key (folder);
  guint64 v;

  if (g_ascii_string_to_unsigned (folder, 10, 0, (guint64) k - 1, &v, NULL))
    return (int) v;
  if (*key == '\0')
    return -1;
  return GPOINTER_TO_INT (g_hash_table_lookup (keys, key)) - 1;
}

static gboolean
is_png_name (const char *name)
{
  gsize len = strlen (name);

  return len > 4 && g_ascii_strcasecmp (name + len - 4, ".png") == 0;
}

typedef struct {
  char *path;
  int   label;   /* -1: unlabelled */
} Entry;

static void
entry_clear (gpointer p)
{
  g_free (((Entry *) p)->path);
}

static int
entry_compare (gconstpointer a,
               gconstpointer b)
{
  return strcmp (((const Entry *) a)->path, ((const Entry *) b)->path);
}

/* Lists dir's PNGs and those of its subfolders into entries. */
static gboolean
scan_folder (const char          *dir,
             const char * const  *names,
             int                  k,
             GArray              *entries,
             GError             **error)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GHashTable) keys = NULL;
  const char *name;

  if ((d = g_dir_open (dir, 0, error)) == NULL)
    {
      g_autofree char *display = g_filename_display_name (dir);
      g_prefix_error (error, "%s: ", display);
      if (error != NULL && *error != NULL)
        {
          (*error)->domain = SS_ERROR;
          (*error)->code = SS_ERROR_IO;
        }
      return FALSE;
    }
  keys = class_keys_new (names, k);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GDir) sub = g_dir_open (path, 0, NULL);
          g_autofree char *utf8 = g_filename_display_name (name);
          int label = class_of_folder (utf8, keys, k);
          const char *inner;

          if (sub == NULL)
            continue;
          while ((inner = g_dir_read_name (sub)) != NULL)
            if (is_png_name (inner))
              {
                Entry e = { g_build_filename (path, inner, NULL), label };
                if (g_file_test (e.path, G_FILE_TEST_IS_DIR))
                  g_free (e.path);
                else
                  g_array_append_val (entries, e);
              }
        }
      else if (is_png_name (name))
        {
          Entry e = { g_steal_pointer (&path), -1 };
          g_array_append_val (entries, e);
        }
    }
  g_array_sort (entries, entry_compare);
  return TRUE;
}

/* Reduces src (sh, sw) by integer block averages so that neither axis shrinks more than 2× in
 * the bilinear step. Returns the new plane (rh, rw) as floats, transfer full. */
static float *
box_reduce (const guint8 *src,
            int           sh,
            int           sw,
            int           dh,
            int           dw,
            int          *rh,
            int          *rw)
{
  int fy = MAX (sh / dh, 1), fx = MAX (sw / dw, 1);
  float *out;

  if (fy < 2)
    fy = 1;
  if (fx < 2)
    fx = 1;
  *rh = sh / fy;
  *rw = sw / fx;
  out = g_new (float, (gsize) *rh * *rw);
  for (int y = 0; y < *rh; y++)
    for (int x = 0; x < *rw; x++)
      {
        guint32 sum = 0;
        for (int i = 0; i < fy; i++)
          for (int j = 0; j < fx; j++)
            sum += src[(gsize) (y * fy + i) * sw + (gsize) (x * fx + j)];
        out[(gsize) y * *rw + x] = (float) sum / (float) (fy * fx);
      }
  return out;
}

void
ss_png_folder_resize_plane (guint8       *dst,
                            int           dh,
                            int           dw,
                            const guint8 *src,
                            int           sh,
                            int           sw)
{
  g_autofree float *reduced = NULL, *out = NULL;
  int rh, rw;

  g_return_if_fail (dst != NULL && src != NULL);
  g_return_if_fail (dh >= 1 && dw >= 1 && sh >= 1 && sw >= 1);

  reduced = box_reduce (src, sh, sw, dh, dw, &rh, &rw);
  out = g_new (float, (gsize) dh * dw);
  ss_resize_bilinear (out, dh, dw, reduced, rh, rw);
  for (gsize i = 0; i < (gsize) dh * dw; i++)
    dst[i] = (guint8) CLAMP ((int) (out[i] + 0.5f), 0, 255);
}

/* PIL's convert ("L") of an RGB image: ITU-R 601 luma in PIL's fixed point. */
static guint8
luma (const guint8 *rgb)
{
  return (guint8) ((19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 32768u) >> 16);
}

/* dst (C, H, W) bytes from image by torchvision's Resize + CenterCrop: the channels are
 * converted first (as one would convert ("RGB") or convert ("L") the PIL image), then resized
 * and cropped, then made planar. */
static void
convert_image_crop (guint8                   *dst,
                    const SsImage            *image,
                    const SsPngFolderOptions *opt)
{
  g_autoptr(SsImage) converted = NULL, out = NULL;
  const SsImage *src = image;
  gsize plane = (gsize) opt->height * opt->width;

  if (image->channels == 1 && opt->channels == 3)
    src = converted = ss_image_to_rgb (image);
  else if (image->channels == 3 && opt->channels == 1)
    {
      gsize n = (gsize) image->width * image->height;
      src = converted = ss_image_new (image->width, image->height, 1);
      for (gsize i = 0; i < n; i++)
        converted->pixels[i] = luma (image->pixels + 3 * i);
    }
  /* check_options made sure resize_shorter is in range, so this cannot fail. */
  out = ss_image_resize_crop (src, opt->resize_shorter, opt->width, opt->height, NULL);
  g_assert (out != NULL);
  for (int ch = 0; ch < opt->channels; ch++)
    for (gsize i = 0; i < plane; i++)
      {
        guint8 v = out->pixels[i * opt->channels + ch];
        dst[ch * plane + i] = opt->invert ? 255 - v : v;
      }
}

/* dst (C, H, W) bytes from image, converted as the header says. */
static void
convert_image (guint8        *dst,
               const SsImage *image,
               const SsPngFolderOptions *opt)
{
  gsize n = (gsize) image->width * image->height;
  gsize plane = (gsize) opt->height * opt->width;
  g_autofree guint8 *src = g_new (guint8, n);

  for (int ch = 0; ch < opt->channels; ch++)
    {
      for (gsize i = 0; i < n; i++)
        {
          const guint8 *p = image->pixels + i * image->channels;
          if (image->channels == 1)
            src[i] = p[0];
          else if (opt->channels == 3)
            src[i] = p[ch];
          else
            src[i] = luma (p);
        }
      ss_png_folder_resize_plane (dst + ch * plane, opt->height, opt->width, src,
                                  image->height, image->width);
      if (opt->invert)
        for (gsize i = 0; i < plane; i++)
          dst[ch * plane + i] = 255 - dst[ch * plane + i];
    }
}

static gboolean
check_options (const SsPngFolderOptions *opt,
               GError                  **error)
{
  if ((opt->channels != 1 && opt->channels != 3) || opt->height < 1 || opt->width < 1 ||
      opt->height > 4096 || opt->width > 4096 || opt->n_classes < 1 ||
      opt->n_classes > SS_MAX_CLASSES)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "PNG folder: the model's input must be 1 or 3 channels of at most 4096×4096 "
                   "with 1 to %d classes (got %d×%d×%d, %d classes)", SS_MAX_CLASSES,
                   opt->channels, opt->height, opt->width, opt->n_classes);
      return FALSE;
    }
  if (opt->resize_shorter < 0 || opt->resize_shorter > SS_PREPROCESS_MAX_RESIZE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "PNG folder: the shorter side to resize to must be 1 to %d pixels (got %d)",
                   SS_PREPROCESS_MAX_RESIZE, opt->resize_shorter);
      return FALSE;
    }
  if (opt->std != NULL)
    for (int ch = 0; ch < opt->channels; ch++)
      if (!(opt->std[ch] > 0))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "PNG folder: standard deviations must be positive");
          return FALSE;
        }
  return TRUE;
}

SsDataset *
ss_dataset_load_png_folder (const char               *dir,
                            const SsPngFolderOptions *opt,
                            SsPngFolderReport       **report,
                            GCancellable             *cancellable,
                            GError                  **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_autoptr(SsPngFolderReport) rep = g_new0 (SsPngFolderReport, 1);
  const char * const *names;
  g_autofree guint8 *pixels = NULL;
  g_autofree SsLabel *labels = NULL;
  gsize cap, n = 0, sample_len;
  float mean[SS_DATASET_MAX_CHANNELS], std[SS_DATASET_MAX_CHANNELS];

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (opt != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_options (opt, error))
    return NULL;
  names = intern_class_names (opt->class_names, opt->n_classes);
  g_array_set_clear_func (entries, entry_clear);
  if (!scan_folder (dir, names, opt->n_classes, entries, error))
    return NULL;

  cap = opt->max_images > 0 ? opt->max_images : SS_PNG_FOLDER_MAX_IMAGES_DEFAULT;
  sample_len = (gsize) opt->channels * opt->height * opt->width;
  /* 10,000 ImageNet-sized inputs would be 1.5 GB of bytes: stay within what a data set may
   * hold. */
  cap = MIN (cap, MAX (SS_DATASET_MAX_BYTES / sample_len, 1));
  rep->files = g_ptr_array_new_with_free_func (g_free);
  rep->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  pixels = g_new (guint8, MIN (entries->len, cap) * sample_len + 1);
  labels = g_new (SsLabel, MIN (entries->len, cap) + 1);
  rep->labelled = g_new0 (guint8, MIN (entries->len, cap) + 1);

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);
      g_autoptr(SsImage) image = NULL;
      GError *local = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (n == cap)
        {
          g_ptr_array_add (rep->problems,
                           g_error_new (SS_ERROR, SS_ERROR_ARGUMENT,
                                        "Only the first %" G_GSIZE_FORMAT " of %u images were "
                                        "loaded", cap, entries->len));
          break;
        }
      if ((image = ss_png_load (e->path, &local)) == NULL)
        {
          g_ptr_array_add (rep->problems, local);
          continue;
        }
      if (opt->resize_shorter > 0)
        convert_image_crop (pixels + n * sample_len, image, opt);
      else
        convert_image (pixels + n * sample_len, image, opt);
      labels[n] = e->label >= 0 ? (SsLabel) e->label : 0;
      rep->labelled[n] = e->label >= 0;
      rep->n_labelled += e->label >= 0;
      g_ptr_array_add (rep->files, g_strdup (e->path));
      n++;
    }

  if (n == 0)
    {
      g_autofree char *display = g_filename_display_name (dir);
      if (rep->problems->len == 0)
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                     "%s holds no PNG images (*.png, directly or in class subfolders)", display);
      else
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                     "None of the %u PNG files in %s could be read; the first: %s",
                     rep->problems->len, display,
                     ((GError *) g_ptr_array_index (rep->problems, 0))->message);
      return NULL;
    }

  if (opt->mean != NULL && opt->std != NULL)
    for (int ch = 0; ch < opt->channels; ch++)
      {
        mean[ch] = opt->mean[ch];
        std[ch] = opt->std[ch];
      }
  else
    {
      gsize plane = (gsize) opt->height * opt->width;
      for (int ch = 0; ch < opt->channels; ch++)
        {
          double s = 0, s2 = 0, m, var;
          for (gsize k = 0; k < n; k++)
            for (gsize p = 0; p < plane; p++)
              {
                double v = pixels[k * sample_len + ch * plane + p] / 255.0;
                s += v;
                s2 += v * v;
              }
          m = s / (double) (n * plane);
          var = s2 / (double) (n * plane) - m * m;
          mean[ch] = (float) m;
          std[ch] = var > 1e-12 ? (float) sqrt (var) : 1.0f;
        }
    }

  if (report != NULL)
    *report = g_steal_pointer (&rep);
  return ss_dataset_new_take ("png", opt->channels, opt->height, opt->width, n,
                              g_steal_pointer (&pixels), g_steal_pointer (&labels),
                              opt->n_classes, names, mean, std);
}
