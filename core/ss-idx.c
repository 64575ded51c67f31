/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian header, magic
 * 0x00000803 and (count, rows, cols) for images, 0x00000801 and (count) for labels, then the
 * bytes. The files are untrusted: every field is checked and nothing is allocated beyond what
 * the file actually holds. Legend: N samples, H rows, W columns. */

#include <math.h>

#include "ss-dataset-private.h"
#include "ss-error.h"

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
#define IDX_MAX_SIDE     1024u
#define IDX_N_CLASSES    10

static const char * const fashion_classes[IDX_N_CLASSES] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static const char * const digit_classes[IDX_N_CLASSES] = {
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
};

/* Reads n big-endian 32-bit header fields; what names the header part for messages. */
static gboolean
read_be32 (SsGzReader  *r,
           guint32     *out,
           int          n,
           const char  *what,
           GError     **error)
{
  guint8 buf[16];
  gsize got;

  g_assert (n >= 1 && n <= 4);
  if (!ss_gz_reader_read (r, buf, 4 * (gsize) n, &got, error))
    return FALSE;
  if (got < 4 * (gsize) n)
    {
      if (got == 0 && g_str_equal (what, "magic number"))
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: the file is empty, not an IDX file",
                     r->display);
      else
        g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                     "%s: truncated: the file ends inside the IDX header's %s", r->display, what);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    out[i] = (guint32) buf[4 * i] << 24 | (guint32) buf[4 * i + 1] << 16
             | (guint32) buf[4 * i + 2] << 8 | (guint32) buf[4 * i + 3];
  return TRUE;
}

static gboolean
check_magic (SsGzReader  *r,
             gboolean     images,
             GError     **error)
{
  guint32 magic, want = images ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;
  const char *hint = "";

  if (!read_be32 (r, &magic, 1, "magic number", error))
    return FALSE;
  if (magic == want)
    return TRUE;
  if (magic == IDX_LABELS_MAGIC)
    hint = "; this looks like a label file";
  else if (magic == IDX_IMAGES_MAGIC)
    hint = "; this looks like an image file";
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)%s",
               r->display, images ? "image" : "label", magic, want, hint);
  return FALSE;
}

/* Opens an image file and checks its header: *n images of *rows × *cols. */
static gboolean
open_images (SsGzReader  *r,
             const char  *path,
             guint32     *n,
             guint32     *rows,
             guint32     *cols,
             GError     **error)
{
  guint32 dims[3];
  guint64 bytes;

  if (!ss_gz_reader_open (r, path, error) || !check_magic (r, TRUE, error)
      || !read_be32 (r, dims, 3, "dimensions", error))
    return FALSE;
  *n = dims[0];
  *rows = dims[1];
  *cols = dims[2];
  if (*n == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: the header declares no images",
                   r->display);
      return FALSE;
    }
  if (*rows < 1 || *rows > IDX_MAX_SIDE || *cols < 1 || *cols > IDX_MAX_SIDE)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: image size %ux%u is out of range (rows and columns must be 1 to %u)",
                   r->display, *rows, *cols, IDX_MAX_SIDE);
      return FALSE;
    }
  bytes = (guint64) *n * *rows * *cols;
  if (bytes > SS_DATASET_MAX_BYTES)
    {
      g_autofree char *size = g_format_size (bytes);
      g_autofree char *max = g_format_size (SS_DATASET_MAX_BYTES);
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: the header declares %u images of %ux%u (%s), more than the %s this "
                   "loader accepts; the header is probably corrupt",
                   r->display, *n, *rows, *cols, size, max);
      return FALSE;
    }
  return TRUE;
}

/* Opens a label file and checks its header: *n labels. */
static gboolean
open_labels (SsGzReader  *r,
             const char  *path,
             guint32     *n,
             GError     **error)
{
  if (!ss_gz_reader_open (r, path, error) || !check_magic (r, FALSE, error)
      || !read_be32 (r, n, 1, "dimensions", error))
    return FALSE;
  if (*n == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT, "%s: the header declares no labels",
                   r->display);
      return FALSE;
    }
  if (*n > SS_DATASET_MAX_BYTES)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: the header declares %u labels, more than this loader accepts; the header "
                   "is probably corrupt", r->display, *n);
      return FALSE;
    }
  return TRUE;
}

/* mean and std of pixels / 255 over all n bytes, through a histogram. */
static void
pixel_stats (const guint8 *pixels,
             gsize         n,
             float        *mean,
             float        *std)
{
  guint64 hist[256] = { 0 };
  double s = 0, s2 = 0, m, var;

  for (gsize i = 0; i < n; i++)
    hist[pixels[i]]++;
  for (int v = 0; v < 256; v++)
    {
      double x = v / 255.0;
      s += (double) hist[v] * x;
      s2 += (double) hist[v] * x * x;
    }
  m = s / (double) n;
  var = s2 / (double) n - m * m;
  *mean = (float) m;
  /* A constant image set has no spread; 1 keeps the normalisation finite. */
  *std = var > 1e-12 ? (float) sqrt (var) : 1.0f;
}

SsDataset *
ss_dataset_load_idx (const char  *images_path,
                     const char  *labels_path,
                     const char  *name,
                     GError     **error)
{
  g_auto (SsGzReader) ri = { 0 };
  g_auto (SsGzReader) rl = { 0 };
  g_autofree guint8 *pixels = NULL;
  g_autofree guint8 *label_bytes = NULL;
  g_autofree SsLabel *labels = NULL;
  g_autofree char *after_images = NULL;
  g_autofree char *after_labels = NULL;
  guint32 n, n_labels, rows, cols;
  gsize bytes;
  const char * const *classes;
  float mean, std;

  g_return_val_if_fail (images_path != NULL, NULL);
  g_return_val_if_fail (labels_path != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Both headers first, so a mismatch is reported before megabytes are decompressed. */
  if (!open_images (&ri, images_path, &n, &rows, &cols, error)
      || !open_labels (&rl, labels_path, &n_labels, error))
    return NULL;
  if (n != n_labels)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s holds %u images but %s holds %u labels; the files do not belong together",
                   ri.display, n, rl.display, n_labels);
      return NULL;
    }

  bytes = (gsize) n * rows * cols;
  after_images = g_strdup_printf ("the %u images", n);
  pixels = ss_gz_reader_read_exact (&ri, bytes, "pixel data", error);
  if (pixels == NULL || !ss_gz_reader_expect_end (&ri, after_images, error))
    return NULL;

  after_labels = g_strdup_printf ("the %u labels", n);
  label_bytes = ss_gz_reader_read_exact (&rl, n, "labels", error);
  if (label_bytes == NULL || !ss_gz_reader_expect_end (&rl, after_labels, error))
    return NULL;
  /* The file's labels are bytes; the data set's are SsLabel (wide enough for ImageNet). */
  labels = g_new (SsLabel, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      if (label_bytes[i] >= IDX_N_CLASSES)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: label %u of sample %" G_GSIZE_FORMAT " is out of range (must be 0 "
                       "to %d)", rl.display, label_bytes[i], i, IDX_N_CLASSES - 1);
          return NULL;
        }
      labels[i] = label_bytes[i];
    }

  if (g_str_equal (name, "fashion-mnist"))
    {
      classes = fashion_classes;
      mean = 0.2860f;
      std = 0.3530f;
    }
  else if (g_str_equal (name, "mnist"))
    {
      classes = digit_classes;
      mean = 0.1307f;
      std = 0.3081f;
    }
  else
    {
      classes = digit_classes;
      pixel_stats (pixels, bytes, &mean, &std);
    }

  return ss_dataset_new_take (name, 1, (int) rows, (int) cols, n,
                              g_steal_pointer (&pixels), g_steal_pointer (&labels),
                              IDX_N_CLASSES, classes, &mean, &std);
}

/* dir/base.gz if it exists, else dir/base if it exists, else NULL with an error naming both.
 * Returns: (transfer full) the path, free with g_free. */
static char *
find_idx_file (const char  *dir,
               const char  *base,
               const char  *name,
               GError     **error)
{
  g_autofree char *plain = g_build_filename (dir, base, NULL);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
  g_autofree char *display = NULL;

  if (g_file_test (gz, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&gz);
  if (g_file_test (plain, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&plain);

  display = g_filename_display_name (gz);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *dir_display = g_filename_display_name (dir);
      g_set_error (error, SS_ERROR, SS_ERROR_IO,
                   "%s: no such directory, so %s cannot be loaded%s", dir_display, display,
                   g_str_equal (name, "fashion-mnist")
                   ? " (Debian and Ubuntu ship it in the dataset-fashion-mnist package)" : "");
    }
  else
    g_set_error (error, SS_ERROR, SS_ERROR_IO,
                 "%s: no such file (nor without .gz); is the %s dataset complete?",
                 display, name);
  return NULL;
}

SsDataset *
ss_idx_load_dir (const char  *dir,
                 const char  *name,
                 gboolean     train,
                 GError     **error)
{
  const char *split = train ? "train" : "t10k";
  g_autofree char *images_base = g_strdup_printf ("%s-images-idx3-ubyte", split);
  g_autofree char *labels_base = g_strdup_printf ("%s-labels-idx1-ubyte", split);
  g_autofree char *images = NULL;
  g_autofree char *labels = NULL;

  images = find_idx_file (dir, images_base, name, error);
  if (images == NULL)
    return NULL;
  labels = find_idx_file (dir, labels_base, name, error);
  if (labels == NULL)
    return NULL;
  return ss_dataset_load_idx (images, labels, name, error);
}
