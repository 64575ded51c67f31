/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The dataset object, spec parsing, batches with augmentation, and the zlib reader the IDX and
 * CIFAR loaders share. Legend: N samples, B batch size, C channels, H W image size. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "ss-dataset-private.h"
#include "ss-error.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Buffers for data whose length a header declares start this small and double as bytes arrive. */
#define INITIAL_CHUNK ((gsize) 1 << 20)
/* gzread takes an unsigned int length. */
#define MAX_GZREAD ((gsize) 1 << 30)

/* ---- Reader --------------------------------------------------------------------------------- */

gboolean
ss_gz_reader_open (SsGzReader  *r,
                   const char  *path,
                   GError     **error)
{
  GStatBuf st;
  int fd;

  g_return_val_if_fail (r != NULL && r->gz == NULL && r->display == NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  r->display = g_filename_display_name (path);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: cannot open: %s",
                   r->display, g_strerror (saved));
      g_clear_pointer (&r->display, g_free);
      return FALSE;
    }
  if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: is a directory, not a data file", r->display);
      g_close (fd, NULL);
      g_clear_pointer (&r->display, g_free);
      return FALSE;
    }
  r->gz = gzdopen (fd, "rb");
  if (r->gz == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: cannot open: out of memory for zlib",
                   r->display);
      g_close (fd, NULL);
      g_clear_pointer (&r->display, g_free);
      return FALSE;
    }
  gzbuffer (r->gz, 256 * 1024);
  return TRUE;
}

void
ss_gz_reader_close (SsGzReader *r)
{
  if (r == NULL)
    return;
  if (r->gz != NULL)
    gzclose_r (r->gz);   /* read errors were already reported by ss_gz_reader_read */
  r->gz = NULL;
  g_clear_pointer (&r->display, g_free);
}

/* Turns zlib's pending error into a GError naming the file. */
static gboolean
set_gz_error (SsGzReader  *r,
              GError     **error)
{
  int errnum = Z_OK;
  const char *msg = gzerror (r->gz, &errnum);
  const char *sep;

  /* zlib prefixes its message with the path it was given, "<fd:N>" for gzdopen: drop it. */
  if (msg != NULL && g_str_has_prefix (msg, "<fd:") && (sep = strstr (msg, ": ")) != NULL)
    msg = sep + 2;
  if (msg == NULL || *msg == '\0')
    msg = "unknown error";

  switch (errnum)
    {
    case Z_BUF_ERROR:
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: the gzip data ends early (%s); the file is truncated, perhaps an "
                   "incomplete download", r->display, msg);
      break;
    case Z_DATA_ERROR:
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: corrupt gzip data (%s); the file is damaged", r->display, msg);
      break;
    case Z_ERRNO:
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: read error: %s", r->display, msg);
      break;
    case Z_MEM_ERROR:
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: out of memory while decompressing",
                   r->display);
      break;
    default:
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "%s: cannot read (zlib error %d: %s)",
                   r->display, errnum, msg);
      break;
    }
  return FALSE;
}

gboolean
ss_gz_reader_read (SsGzReader  *r,
                   void        *buf,
                   gsize        len,
                   gsize       *got,
                   GError     **error)
{
  gsize total = 0;

  g_return_val_if_fail (r != NULL && r->gz != NULL, FALSE);
  g_return_val_if_fail (got != NULL, FALSE);

  *got = 0;
  while (total < len)
    {
      unsigned chunk = (unsigned) MIN (len - total, MAX_GZREAD);
      int k = gzread (r->gz, (guint8 *) buf + total, chunk);
      int errnum = Z_OK;

      if (k < 0)
        return set_gz_error (r, error);
      total += (gsize) k;
      /* gzread fills the whole request unless the data ends or an error stops it. */
      if ((unsigned) k < chunk)
        {
          gzerror (r->gz, &errnum);
          if (errnum != Z_OK)
            return set_gz_error (r, error);
          break;
        }
    }
  *got = total;
  return TRUE;
}

guint8 *
ss_gz_reader_read_exact (SsGzReader  *r,
                         gsize        len,
                         const char  *what,
                         GError     **error)
{
  gsize cap = MAX (MIN (len, INITIAL_CHUNK), 1);
  gsize have = 0;
  g_autofree guint8 *buf = g_malloc (cap);

  while (have < len)
    {
      gsize want, got;

      if (have == cap)
        {
          cap = MIN (len, cap * 2);
          buf = g_realloc (buf, cap);
        }
      want = cap - have;
      if (!ss_gz_reader_read (r, buf + have, want, &got, error))
        return NULL;
      have += got;
      if (got < want)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: truncated: the header promises %" G_GSIZE_FORMAT " bytes of %s, "
                       "but the file holds only %" G_GSIZE_FORMAT,
                       r->display, len, what, have);
          return NULL;
        }
    }
  return g_steal_pointer (&buf);
}

gboolean
ss_gz_reader_expect_end (SsGzReader  *r,
                         const char  *after,
                         GError     **error)
{
  guint8 byte;
  gsize got;

  /* Reading past the end also makes zlib check the gzip trailer's CRC and length. */
  if (!ss_gz_reader_read (r, &byte, 1, &got, error))
    return FALSE;
  if (got != 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s: unexpected extra data after %s the header declares", r->display, after);
      return FALSE;
    }
  return TRUE;
}

/* ---- Object --------------------------------------------------------------------------------- */

SsDataset *
ss_dataset_new_take (const char         *name,
                     int                 c,
                     int                 h,
                     int                 w,
                     gsize               n,
                     guint8             *pixels,
                     SsLabel            *labels,
                     int                 n_classes,
                     const char * const *class_names,
                     const float        *mean,
                     const float        *std)
{
  SsDataset *ds;

  g_assert (c >= 1 && c <= SS_DATASET_MAX_CHANNELS);
  g_assert (h >= 1 && w >= 1 && n >= 1 && n_classes >= 1 && n_classes <= SS_MAX_CLASSES);
  g_assert (pixels != NULL && labels != NULL && class_names != NULL);

  ds = g_new0 (SsDataset, 1);
  ds->name = g_strdup (name);
  ds->pixels = pixels;
  ds->labels = labels;
  ds->class_names = class_names;
  ds->n = n;
  ds->c = c;
  ds->h = h;
  ds->w = w;
  ds->n_classes = n_classes;
  for (int ch = 0; ch < c; ch++)
    {
      g_assert (std[ch] > 0);
      ds->mean[ch] = mean[ch];
      ds->std[ch] = std[ch];
      for (int v = 0; v < 256; v++)
        ds->lut[ch][v] = ((float) v / 255.0f - mean[ch]) / std[ch];
    }
  return ds;
}

void
ss_dataset_free (SsDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->name);
  g_free (ds->pixels);
  g_free (ds->labels);
  g_free (ds);
}

SsDataset *
ss_dataset_load (const char  *spec,
                 gboolean     train,
                 GError     **error)
{
  const char *colon;
  const char *dir = NULL;
  g_autofree char *kind = NULL;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  colon = strchr (spec, ':');
  if (colon != NULL)
    {
      kind = g_strndup (spec, (gsize) (colon - spec));
      dir = colon + 1;
    }
  else
    kind = g_strdup (spec);

  if (dir != NULL && *dir == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "Dataset “%s” names an empty directory; write %sDIR", spec, spec);
      return NULL;
    }

  if (g_str_equal (kind, "fashion-mnist"))
    return ss_idx_load_dir (dir != NULL ? dir : SS_DEFAULT_FASHION_MNIST_DIR, kind, train, error);

  if (g_str_equal (kind, "mnist") || g_str_equal (kind, "cifar10"))
    {
      if (dir == NULL)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                       "Dataset “%s” needs a directory: write %s:DIR", spec, kind);
          return NULL;
        }
      if (g_str_equal (kind, "mnist"))
        return ss_idx_load_dir (dir, kind, train, error);
      return ss_dataset_load_cifar10 (dir, train, error);
    }

  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
               "Unknown dataset “%s”: expected fashion-mnist, fashion-mnist:DIR, mnist:DIR "
               "or cifar10:DIR", spec);
  return NULL;
}

/* ---- Accessors ------------------------------------------------------------------------------ */

const char *
ss_dataset_get_name (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, NULL);
  return ds->name;
}

gsize
ss_dataset_get_size (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->n;
}

int
ss_dataset_get_channels (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->c;
}

int
ss_dataset_get_height (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->h;
}

int
ss_dataset_get_width (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->w;
}

int
ss_dataset_get_n_classes (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->n_classes;
}

const char *
ss_dataset_get_class_name (const SsDataset *ds,
                           int              k)
{
  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (k >= 0 && k < ds->n_classes, NULL);
  return ds->class_names[k];
}

const SsLabel *
ss_dataset_get_labels (const SsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, NULL);
  return ds->labels;
}

const guint8 *
ss_dataset_get_pixels (const SsDataset *ds,
                       gsize            i)
{
  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (i < ds->n, NULL);
  return ds->pixels + i * (gsize) ds->c * ds->h * ds->w;
}

void
ss_dataset_get_normalization (const SsDataset *ds,
                              float           *mean,
                              float           *std)
{
  g_return_if_fail (ds != NULL);
  for (int ch = 0; ch < ds->c; ch++)
    {
      if (mean != NULL)
        mean[ch] = ds->mean[ch];
      if (std != NULL)
        std[ch] = ds->std[ch];
    }
}

SsDataset *
ss_dataset_subset (const SsDataset *ds,
                   const guint32   *idx,
                   gsize            n)
{
  gsize sample;
  g_autofree guint8 *pixels = NULL;
  g_autofree SsLabel *labels = NULL;

  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (idx != NULL, NULL);
  g_return_val_if_fail (n >= 1, NULL);
  for (gsize i = 0; i < n; i++)
    g_return_val_if_fail (idx[i] < ds->n, NULL);

  sample = (gsize) ds->c * ds->h * ds->w;
  pixels = g_malloc_n (n, sample);
  labels = g_new (SsLabel, n);
  for (gsize i = 0; i < n; i++)
    {
      memcpy (pixels + i * sample, ds->pixels + idx[i] * sample, sample);
      labels[i] = ds->labels[idx[i]];
    }
  return ss_dataset_new_take (ds->name, ds->c, ds->h, ds->w, n,
                              g_steal_pointer (&pixels), g_steal_pointer (&labels),
                              ds->n_classes, ds->class_names, ds->mean, ds->std);
}

/* ---- Batches -------------------------------------------------------------------------------- */

/* Zero padding on each side for the random crop, as in torchvision's RandomCrop (32, padding=4). */
#define CROP_PAD 4

/* dst (C, H, W) = the H×W window at (dy, dx) of src (C, H, W) padded by CROP_PAD black pixels,
 * mirrored left-right if flip, normalised through lut. */
static void
crop_flip_normalise (const SsDataset *ds,
                     float           *dst,
                     const guint8    *src,
                     int              dy,
                     int              dx,
                     gboolean         flip)
{
  int h = ds->h, w = ds->w;
  int sy = dy - CROP_PAD, sx = dx - CROP_PAD;   /* source offset of the window */

  for (int ch = 0; ch < ds->c; ch++)
    {
      const float *lut = ds->lut[ch];
      const float pad = lut[0];
      const guint8 *plane = src + (gsize) ch * h * w;
      float *out = dst + (gsize) ch * h * w;

      for (int yy = 0; yy < h; yy++)
        {
          int ry = yy + sy;
          float *row = out + (gsize) yy * w;

          for (int xx = 0; xx < w; xx++)
            {
              int rx = xx + sx;
              int ox = flip ? w - 1 - xx : xx;
              gboolean inside = ry >= 0 && ry < h && rx >= 0 && rx < w;

              row[ox] = inside ? lut[plane[(gsize) ry * w + rx]] : pad;
            }
        }
    }
}

void
ss_dataset_fill_batch (const SsDataset *ds,
                       float           *x,
                       SsLabel         *y,
                       const guint32   *idx,
                       int              b,
                       gboolean         augment,
                       SsRng           *rng)
{
  gsize plane, sample;

  g_return_if_fail (ds != NULL);
  g_return_if_fail (x != NULL && y != NULL && idx != NULL);
  g_return_if_fail (b >= 0);
  g_return_if_fail (!augment || rng != NULL);
  for (int i = 0; i < b; i++)
    g_return_if_fail (idx[i] < ds->n);

  plane = (gsize) ds->h * ds->w;
  sample = ds->c * plane;
  for (int i = 0; i < b; i++)
    {
      const guint8 *src = ds->pixels + idx[i] * sample;
      float *dst = x + (gsize) i * sample;   /* (C, H, W) */

      y[i] = ds->labels[idx[i]];
      if (augment)
        {
          int dy = (int) ss_rng_below (rng, 2 * CROP_PAD + 1);
          int dx = (int) ss_rng_below (rng, 2 * CROP_PAD + 1);
          gboolean flip = ss_rng_below (rng, 2) == 1;

          crop_flip_normalise (ds, dst, src, dy, dx, flip);
        }
      else
        {
          for (int ch = 0; ch < ds->c; ch++)
            {
              const float *lut = ds->lut[ch];
              for (gsize k = ch * plane; k < (ch + 1) * plane; k++)
                dst[k] = lut[src[k]];
            }
        }
    }
}
