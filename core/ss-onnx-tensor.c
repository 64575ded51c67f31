/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss-error.h"
#include "ss-onnx-private.h"

/* TensorProto: parsing with every declared size checked against the values present, and the
 * values themselves (raw_data in place when aligned, float_data, int64_data, or external data
 * confined to the model's folder). */

G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);   /* raw_data is used in place */

#define MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 40)

void
ss_onnx_tensor_free (SsOnnxTensor *t)
{
  if (t == NULL)
    return;
  g_free (t->name);
  g_free (t->location);
  if (t->floats)
    g_array_unref (t->floats);
  if (t->int64s)
    g_array_unref (t->int64s);
  g_free (t);
}

static int
item_size (int data_type)
{
  switch (data_type)
    {
    case 2: case 3: case 9: return 1;           /* UINT8, INT8, BOOL */
    case 4: case 5: case 10: case 16: return 2;  /* UINT16, INT16, FLOAT16, BFLOAT16 */
    case 1: case 6: case 12: return 4;           /* FLOAT, INT32, UINT32 */
    case 7: case 11: case 13: case 14: return 8; /* INT64, DOUBLE, UINT64, COMPLEX64 */
    case 15: return 16;                          /* COMPLEX128 */
    default: return 0;                           /* STRING, or unknown */
    }
}

const char *
ss_onnx_type_name (int data_type)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  return data_type >= 0 && data_type < (int) G_N_ELEMENTS (names) ? names[data_type]
                                                                   : "an unknown type";
}

/* A location Supersign will open: one plain file name, so it cannot leave the model's folder
 * ("../x", "/etc/x", "sub/x", "C:x" are refused; symbolic links are refused when opening). */
static gboolean
plain_file_name (const char *s)
{
  return s[0] != '\0' && !g_str_equal (s, ".") && !g_str_equal (s, "..") &&
         strpbrk (s, "/\\:") == NULL;
}

/* What a tensor's external_data entries say (key, value pairs). */
typedef struct {
  SsOnnxTensor *t;
  gboolean      has_length;
  guint64       length;
} ExternalData;

/* TensorProto.external_data: one entry; data is the ExternalData. */
static gboolean
parse_external_entry (SsOnnxParse       *ps,
                      const SsPbReader  *r,
                      const SsPbField   *entry,
                      gpointer           data,
                      GError           **error)
{
  ExternalData *ext = data;
  g_autofree char *key = NULL, *value = NULL;
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_STRING, "external_data key", &key },
    { 2, SS_ONNX_FIELD_STRING, "external_data value", &value },
    { 0 }
  };

  if (!ss_onnx_parse_message (ps, r, entry, fields, NULL, error))
    return FALSE;
  if (key == NULL || value == NULL)
    return TRUE;
  if (g_str_equal (key, "location"))
    {
      g_free (ext->t->location);
      ext->t->location = g_steal_pointer (&value);
    }
  else if (g_str_equal (key, "offset") || g_str_equal (key, "length"))
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &v, NULL))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": external data %s “%s” is not a byte count",
                       entry->offset, key, value);
          return FALSE;
        }
      if (g_str_equal (key, "offset"))
        ext->t->ext_offset = v;
      else
        {
          ext->has_length = TRUE;
          ext->length = v;
        }
    }
  return TRUE;
}

/* Checks that the tensor's declared dims and data type agree with the values it carries. */
static gboolean
check_tensor (SsOnnxTensor  *t,
              gsize          offset,
              gint64         location_kind,
              gboolean       has_length,
              guint64        length,
              GError       **error)
{
  const char *name = t->name[0] ? t->name : "(unnamed)";
  int size = item_size (t->data_type);
  int sources = t->has_raw + (t->floats != NULL) + (t->int64s != NULL) +
                (t->other_field != NULL);
  gint64 n = 1;

  for (int d = 0; d < t->ndim; d++)
    {
      if (t->dims[d] < 0)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": tensor “%s” has a negative dimension "
                       "(%" G_GINT64_FORMAT ")", offset, name, t->dims[d]);
          return FALSE;
        }
      if (t->dims[d] > 0 && n > MAX_ELEMENTS / t->dims[d])
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": tensor “%s” declares more than 2^40 values",
                       offset, name);
          return FALSE;
        }
      n *= t->dims[d];
    }
  t->n_elements = n;

  if (location_kind != 0 && location_kind != 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": tensor “%s” has data_location %" G_GINT64_FORMAT
                   ", which ONNX does not define", offset, name, location_kind);
      return FALSE;
    }
  if (location_kind == 1)
    {
      if (t->location == NULL || sources > 0)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "byte %" G_GSIZE_FORMAT ": tensor “%s” is marked as external but %s",
                       offset, name, t->location == NULL ? "names no file"
                                                         : "also holds values in the model");
          return FALSE;
        }
      if (!plain_file_name (t->location))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "tensor “%s” keeps its values in “%s”, outside the model's folder; "
                       "Supersign reads external data only from a plain file name next to "
                       "the model", name, t->location);
          return FALSE;
        }
      if (size > 0 && has_length && length != (guint64) n * (guint64) size)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "tensor “%s” declares %" G_GINT64_FORMAT " values of %s (%" G_GUINT64_FORMAT
                       " bytes) but its external data is %" G_GUINT64_FORMAT " bytes long", name,
                       n, ss_onnx_type_name (t->data_type), (guint64) n * (guint64) size, length);
          return FALSE;
        }
      return TRUE;
    }
  g_clear_pointer (&t->location, g_free);   /* a location without data_location is unused */

  if (sources > 1)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": tensor “%s” stores its values in more than one "
                   "field", offset, name);
      return FALSE;
    }
  if (sources == 0 && n > 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": tensor “%s” declares %" G_GINT64_FORMAT
                   " values but holds none", offset, name, n);
      return FALSE;
    }
  if (t->has_raw && size > 0 && t->n_elements * size != (gint64) t->raw_len)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": tensor “%s” declares %" G_GINT64_FORMAT
                   " values of %s (%" G_GINT64_FORMAT " bytes) but its raw_data holds %"
                   G_GSIZE_FORMAT " bytes", offset, name, n, ss_onnx_type_name (t->data_type),
                   n * size, t->raw_len);
      return FALSE;
    }
  if ((t->floats != NULL && (t->data_type != SS_ONNX_FLOAT || t->floats->len != (guint64) n)) ||
      (t->int64s != NULL && (t->data_type != SS_ONNX_INT64 || t->int64s->len != (guint64) n)))
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "byte %" G_GSIZE_FORMAT ": tensor “%s” declares %" G_GINT64_FORMAT
                   " values of %s but holds %u %s", offset, name, n,
                   ss_onnx_type_name (t->data_type),
                   t->floats ? t->floats->len : t->int64s->len,
                   t->floats ? "float_data values" : "int64_data values");
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_onnx_parse_tensor (SsOnnxParse       *ps,
                      const SsPbReader  *r,
                      const SsPbField   *msg,
                      SsOnnxTensor     **out,
                      GError           **error)
{
  g_autoptr(GArray) dims = g_array_new (FALSE, FALSE, sizeof (gint64));
  SsOnnxTensor *t = g_new0 (SsOnnxTensor, 1);
  gint64 data_type = 0, location_kind = 0;
  ExternalData ext = { t, FALSE, 0 };
  SsPbField raw = { 0 };
  const SsOnnxField fields[] = {
    { 1, SS_ONNX_FIELD_INT64S, "TensorProto.dims", &dims, .max = SS_ONNX_MAX_DIMS },
    { 2, SS_ONNX_FIELD_VARINT, "TensorProto.data_type", &data_type },
    { 3, SS_ONNX_FIELD_REFUSED, "a tensor is split into segments, which Supersign does not "
                                "read" },
    { 4, SS_ONNX_FIELD_FLOATS, "TensorProto.float_data", &t->floats, .max = G_MAXINT32 },
    { 5, SS_ONNX_FIELD_PRESENT, "int32_data", &t->other_field },
    { 6, SS_ONNX_FIELD_PRESENT, "string_data", &t->other_field },
    { 7, SS_ONNX_FIELD_INT64S, "TensorProto.int64_data", &t->int64s, .max = G_MAXINT32 },
    { 8, SS_ONNX_FIELD_STRING, "TensorProto.name", &t->name },
    { 9, SS_ONNX_FIELD_BYTES, "TensorProto.raw_data", &raw },
    { 10, SS_ONNX_FIELD_PRESENT, "double_data", &t->other_field },
    { 11, SS_ONNX_FIELD_PRESENT, "uint64_data", &t->other_field },
    { 13, SS_ONNX_FIELD_OBJECT, "TensorProto.external_data", &ext, parse_external_entry },
    { 14, SS_ONNX_FIELD_VARINT, "TensorProto.data_location", &location_kind },
    { 0 }
  };

  *out = t;   /* the caller frees it, also on failure */
  if (!ss_pb_expect (r, msg, SS_PB_LEN, "a tensor", error) ||
      !ss_onnx_parse_count (ps, msg, error) ||
      !ss_onnx_parse_message (ps, r, msg, fields, NULL, error))
    return FALSE;
  if (t->name == NULL)
    t->name = g_strdup ("");
  t->has_raw = raw.wire == SS_PB_LEN;   /* raw_data was read */
  t->raw = raw.data;
  t->raw_len = raw.len;
  t->data_type = (int) CLAMP (data_type, -1, G_MAXINT);
  t->ndim = (int) dims->len;
  if (dims->len > 0)
    memcpy (t->dims, dims->data, dims->len * sizeof (gint64));
  return check_tensor (t, msg->offset, location_kind, ext.has_length, ext.length, error);
}

/* ---------------------------------------------------------------------------------------- */
/* Tensor values                                                                            */

/* t's n_bytes of external data, read from folder/location after checking that the file is a
 * plain file holding them (so nothing is allocated for bytes that are not there). Transfer
 * full (g_free). */
static guint8 *
read_external (const SsOnnxTensor  *t,
               const char          *folder,
               guint64              n_bytes,
               GError             **error)
{
  g_autofree char *path = NULL;
  g_autofree guint8 *dst = NULL;
  struct stat sb;
  int fd;
  guint64 done = 0;

  if (folder == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "tensor “%s” keeps its values in the external file “%s”, which is read only "
                   "when the model is opened from its file", t->name, t->location);
      return NULL;
    }
  path = g_build_filename (folder, t->location, NULL);
  /* O_NOFOLLOW: a symbolic link in the folder could point anywhere. */
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, SS_ERROR, SS_ERROR_IO,
                   "tensor “%s”: cannot open its external data file “%s”: %s", t->name,
                   t->location, saved == ELOOP ? "it is a symbolic link, and Supersign reads "
                   "only plain files in the model's folder" : g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &sb) != 0 || !S_ISREG (sb.st_mode) || (guint64) sb.st_size < t->ext_offset ||
      (guint64) sb.st_size - t->ext_offset < n_bytes)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "tensor “%s”: its external data file “%s” %s (the tensor needs bytes %"
                   G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")", t->name, t->location,
                   S_ISREG (sb.st_mode) ? "is too short" : "is not a regular file",
                   t->ext_offset, t->ext_offset + n_bytes);
      close (fd);
      return NULL;
    }
  dst = g_try_malloc (MAX (n_bytes, 1));
  if (dst == NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "tensor “%s”: not enough memory for %"
                   G_GUINT64_FORMAT " bytes", t->name, n_bytes);
      close (fd);
      return NULL;
    }
  while (done < n_bytes)
    {
      gssize got = pread (fd, dst + done, (gsize) MIN (n_bytes - done, G_MAXSSIZE),
                          (off_t) (t->ext_offset + done));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        {
          int saved = errno;
          g_set_error (error, SS_ERROR, SS_ERROR_IO,
                       "tensor “%s”: cannot read its external data file “%s”: %s", t->name,
                       t->location, got == 0 ? "it ended early" : g_strerror (saved));
          close (fd);
          return NULL;
        }
      done += (guint64) got;
    }
  close (fd);
  return g_steal_pointer (&dst);
}

static gboolean
check_storage (const SsOnnxTensor  *t,
               int                  data_type,
               const char          *what,
               GError             **error)
{
  if (t->data_type != data_type)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "tensor “%s” has data type %s; Supersign reads %s", t->name,
                   ss_onnx_type_name (t->data_type), what);
      return FALSE;
    }
  if (t->other_field != NULL)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "tensor “%s” keeps its values in %s, which does not match its type %s",
                   t->name, t->other_field, ss_onnx_type_name (t->data_type));
      return FALSE;
    }
  return TRUE;
}

const float *
ss_onnx_tensor_floats (const SsOnnxTensor  *t,
                       const char          *folder,
                       float              **owned,
                       GError             **error)
{
  static const float empty[1] = { 0.f };
  gsize n_bytes;

  *owned = NULL;
  if (!check_storage (t, SS_ONNX_FLOAT, "float32 weights", error))
    return NULL;
  if (t->n_elements == 0)
    return empty;
  if (t->floats != NULL)
    return (const float *) (gpointer) t->floats->data;
  n_bytes = (gsize) t->n_elements * sizeof (float);
  if (t->has_raw && (guintptr) t->raw % G_ALIGNOF (float) == 0)
    return (const float *) (gconstpointer) t->raw;
  if (t->has_raw)
    *owned = g_memdup2 (t->raw, n_bytes);   /* n_bytes = raw_len, checked when parsed */
  else
    *owned = (float *) (gpointer) read_external (t, folder, n_bytes, error);
  return *owned;
}

gint64 *
ss_onnx_tensor_int64s (const SsOnnxTensor  *t,
                       const char          *folder,
                       GError             **error)
{
  gsize n_bytes = (gsize) t->n_elements * sizeof (gint64);
  gint64 *v;

  if (!check_storage (t, SS_ONNX_INT64, "int64 shapes", error))
    return NULL;
  if (t->location != NULL)
    return (gint64 *) (gpointer) read_external (t, folder, n_bytes, error);
  v = g_new0 (gint64, MAX (t->n_elements, 1));
  if (t->int64s != NULL)
    memcpy (v, t->int64s->data, n_bytes);
  else if (t->has_raw)
    memcpy (v, t->raw, n_bytes);
  return v;
}
