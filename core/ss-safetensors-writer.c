/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-safetensors-private.h"

/* safetensors writer: the header is written compactly, "__metadata__" first, then the tensors
 * in the order added with increasing data_offsets, and padded with spaces to a multiple of 8,
 * byte for byte what tests/reference/sstio.py (and the reference serde writer) produce. */

typedef struct
{
  char   *name;            /* owned */
  SsDtype dtype;
  int     ndim;
  gint64  shape[SS_SAFETENSORS_MAX_DIMS];
  guint8 *data;            /* owned, n_bytes (NULL when 0) */
  gsize   n_bytes;
} WriterEntry;

struct _SsSafetensorsWriter
{
  /* Owned */
  GPtrArray  *entries;       /* WriterEntry *, in the order added */
  GHashTable *names;         /* borrowed entry names, for uniqueness */
  GPtrArray  *meta_keys;     /* owned keys, in the order first added */
  GHashTable *meta;          /* borrowed key -> owned value */
};

static void
writer_entry_free (gpointer p)
{
  WriterEntry *e = p;

  g_free (e->name);
  g_free (e->data);
  g_free (e);
}

SsSafetensorsWriter *
ss_safetensors_writer_new (void)
{
  SsSafetensorsWriter *w = g_new0 (SsSafetensorsWriter, 1);

  w->entries = g_ptr_array_new_with_free_func (writer_entry_free);
  w->names = g_hash_table_new (g_str_hash, g_str_equal);
  w->meta_keys = g_ptr_array_new_with_free_func (g_free);
  w->meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return w;
}

void
ss_safetensors_writer_free (SsSafetensorsWriter *w)
{
  if (w == NULL)
    return;
  g_clear_pointer (&w->names, g_hash_table_unref);
  g_clear_pointer (&w->entries, g_ptr_array_unref);
  g_clear_pointer (&w->meta, g_hash_table_unref);
  g_clear_pointer (&w->meta_keys, g_ptr_array_unref);
  g_free (w);
}

void
ss_safetensors_writer_add_metadata (SsSafetensorsWriter *w,
                                    const char          *key,
                                    const char          *value)
{
  char *owned_key;

  g_return_if_fail (w != NULL);
  g_return_if_fail (key != NULL && g_utf8_validate (key, -1, NULL));
  g_return_if_fail (value != NULL && g_utf8_validate (value, -1, NULL));

  if (g_hash_table_contains (w->meta, key))
    {
      /* Keeps the stored key (no key destroy function) and frees the old value. */
      g_hash_table_insert (w->meta, (gpointer) key, g_strdup (value));
      return;
    }
  owned_key = g_strdup (key);
  g_ptr_array_add (w->meta_keys, owned_key);
  g_hash_table_insert (w->meta, owned_key, g_strdup (value));
}

void
ss_safetensors_writer_add (SsSafetensorsWriter *w,
                           const char          *name,
                           SsDtype              dtype,
                           const gint64        *shape,
                           int                  ndim,
                           const void          *data)
{
  WriterEntry *e;
  gsize n_bytes = ss_dtype_size (dtype);

  g_return_if_fail (w != NULL);
  g_return_if_fail (name != NULL && g_utf8_validate (name, -1, NULL));
  g_return_if_fail (!g_str_equal (name, "__metadata__"));
  g_return_if_fail (!g_hash_table_contains (w->names, name));
  g_return_if_fail (dtype == SS_DTYPE_F32 || dtype == SS_DTYPE_I64);
  g_return_if_fail (ndim >= 0 && ndim <= SS_SAFETENSORS_MAX_DIMS);
  g_return_if_fail (ndim == 0 || shape != NULL);
  for (int d = 0; d < ndim; d++)
    {
      gboolean fits;
      g_return_if_fail (shape[d] >= 0);
      fits = g_size_checked_mul (&n_bytes, n_bytes, (gsize) shape[d]);
      g_return_if_fail (fits);
    }
  g_return_if_fail (n_bytes == 0 || data != NULL);

  e = g_new0 (WriterEntry, 1);
  e->name = g_strdup (name);
  e->dtype = dtype;
  e->ndim = ndim;
  for (int d = 0; d < ndim; d++)
    e->shape[d] = shape[d];
  e->n_bytes = n_bytes;
  e->data = n_bytes > 0 ? g_memdup2 (data, n_bytes) : NULL;
  g_ptr_array_add (w->entries, e);
  g_hash_table_add (w->names, e->name);
}

/* Appends s as a JSON string, escaped the way Python's json.dumps(ensure_ascii=False) and
 * serde_json do: UTF-8 kept, only '"', '\\' and control characters escaped. */
static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

gboolean
ss_safetensors_writer_save (SsSafetensorsWriter *w,
                            const char          *path,
                            GError             **error)
{
  g_autoptr(GString) header = g_string_new ("{");
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buf = NULL;
  guint64 offset = 0, header_len_le;
  gsize total, pos;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (w->meta_keys->len > 0)
    {
      g_string_append (header, "\"__metadata__\":{");
      for (guint i = 0; i < w->meta_keys->len; i++)
        {
          const char *key = g_ptr_array_index (w->meta_keys, i);
          if (i > 0)
            g_string_append_c (header, ',');
          append_json_string (header, key);
          g_string_append_c (header, ':');
          append_json_string (header, g_hash_table_lookup (w->meta, key));
        }
      g_string_append_c (header, '}');
    }
  for (guint i = 0; i < w->entries->len; i++)
    {
      const WriterEntry *e = g_ptr_array_index (w->entries, i);
      if (header->len > 1)
        g_string_append_c (header, ',');
      append_json_string (header, e->name);
      g_string_append_printf (header, ":{\"dtype\":\"%s\",\"shape\":[", ss_dtype_name (e->dtype));
      for (int d = 0; d < e->ndim; d++)
        g_string_append_printf (header, "%s%" G_GINT64_FORMAT, d > 0 ? "," : "", e->shape[d]);
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%"
                              G_GUINT64_FORMAT "]}", offset, offset + e->n_bytes);
      offset += e->n_bytes;
    }
  g_string_append_c (header, '}');
  while (header->len % SS_SAFETENSORS_ALIGN != 0)
    g_string_append_c (header, ' ');

  total = 8 + header->len + (gsize) offset;
  buf = g_malloc (total);
  header_len_le = GUINT64_TO_LE ((guint64) header->len);
  memcpy (buf, &header_len_le, 8);
  memcpy (buf + 8, header->str, header->len);
  pos = 8 + header->len;
  for (guint i = 0; i < w->entries->len; i++)
    {
      const WriterEntry *e = g_ptr_array_index (w->entries, i);
      if (e->n_bytes > 0)
        memcpy (buf + pos, e->data, e->n_bytes);
      pos += e->n_bytes;
    }

  if (!g_file_set_contents_full (path, (const char *) buf, (gssize) total,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666, &local_error))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not save “%s”: %s (the previous file, "
                   "if any, is unchanged)", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}
