/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ss-error.h"
#include "ss-safetensors-private.h"

/* safetensors reader (the writer is ss-safetensors-writer.c).  Layout: u64 N (LE), N bytes of
 * JSON header, data section.
 *
 * Endianness: the format is little-endian and tensors are handed out in place, so Supersign
 * only builds on little-endian hosts (no byte swapping).
 *
 * Alignment: the whole file is read into an 8-byte aligned buffer.  When the data section and
 * every tensor's offset are multiples of 8 (what our writer and the reference writer produce
 * for 8-byte types) the views point into that buffer; otherwise every tensor is copied to an
 * 8-aligned slot of a second buffer and the file buffer is released.
 *
 * Limits: header at most 100 000 000 bytes (the reference implementation's limit), JSON nested
 * at most 8 deep, integers at most G_MAXINT64, at most 8 dimensions; all sizes are computed
 * with overflow checks, and no allocation exceeds the real file size plus 8 bytes per tensor. */

#define MAX_HEADER_BYTES  G_GUINT64_CONSTANT (100000000)
#define MAX_JSON_DEPTH    8

struct _SsSafetensors
{
  /* Owned */
  guint8       *buffer;    /* g_aligned_alloc; holds every tensor's bytes */
  SsTensorView *tensors;   /* (n_tensors), sorted by data offset */
  guint         n_tensors;
  char        **names;     /* (n_tensors) owned strings the views' names point at */
  GHashTable   *by_name;   /* borrowed name -> borrowed SsTensorView * */
  GHashTable   *metadata;  /* owned key -> owned value */
};

/* ---------------------------------------------------------------------------------------- */
/* Loading                                                                                  */

static void set_format_error (GError **error, const char *path, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

static void
set_format_error (GError    **error,
                  const char *path,
                  const char *fmt,
                  ...)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *detail = NULL;
  va_list ap;

  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
               "“%s” is not a valid safetensors file: %s", display, detail);
}

static void
set_io_error (GError    **error,
              const char *path,
              const char *what,
              int         saved_errno)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not %s “%s”: %s",
               what, display, g_strerror (saved_errno));
}

static void
aligned_free0 (gpointer p)
{
  if (p != NULL)
    g_aligned_free (p);
}

/* Reads the whole regular file at path into an SS_SAFETENSORS_ALIGN-aligned buffer of exactly its size (as
 * fstat reports it, so the allocation is bounded by the real file). */
static guint8 *
read_file (const char *path,
           gsize      *out_len,
           GError    **error)
{
  struct stat st;
  guint8 *buf;
  gsize len, done = 0;
  int fd, saved_errno;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      set_io_error (error, path, "open", errno);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_close (fd, NULL);
      set_io_error (error, path, "inspect", saved_errno);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_autofree char *display = g_filename_display_name (path);
      g_close (fd, NULL);
      g_set_error (error, SS_ERROR, SS_ERROR_IO,
                   "Could not read “%s”: it is not a regular file", display);
      return NULL;
    }
  if (st.st_size < 8)
    {
      g_close (fd, NULL);
      set_format_error (error, path,
                        "the file is %" G_GINT64_FORMAT " bytes long, shorter than the 8-byte "
                        "header length (is it a safetensors file?)", (gint64) st.st_size);
      return NULL;
    }

  len = (gsize) st.st_size;
  buf = g_aligned_alloc (len, 1, SS_SAFETENSORS_ALIGN);
  while (done < len)
    {
      gssize n = read (fd, buf + done, MIN (len - done, (gsize) 1 << 30));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          saved_errno = n < 0 ? errno : 0;
          g_aligned_free (buf);
          g_close (fd, NULL);
          if (saved_errno != 0)
            set_io_error (error, path, "read", saved_errno);
          else
            {
              g_autofree char *display = g_filename_display_name (path);
              g_set_error (error, SS_ERROR, SS_ERROR_IO,
                           "Could not read “%s”: the file shrank while it was being read",
                           display);
            }
          return NULL;
        }
      done += (gsize) n;
    }
  g_close (fd, NULL);
  *out_len = len;
  return buf;
}

/* A cheap pass over the header text before json-glib sees it: bounds the nesting depth (the
 * parser recurses), rejects integers that do not fit in gint64 (json-glib would wrap them),
 * raw control characters in strings, and anything json-glib accepts that JSON does not
 * (single quotes, identifiers).  Returns NULL when fine, else a description (transfer full). */
static char *
prescan_json (const char *s,
              gsize       n)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < n; i++)
    {
      guchar c = (guchar) s[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          else if (c < 0x20)
            return g_strdup_printf ("raw control character 0x%02x inside a string at byte %"
                                    G_GSIZE_FORMAT, c, i);
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '{':
        case '[':
          if (++depth > MAX_JSON_DEPTH)
            return g_strdup_printf ("JSON nested more than %d levels deep", MAX_JSON_DEPTH);
          break;
        case '}':
        case ']':
          depth--;
          break;
        case ' ': case '\t': case '\n': case '\r': case ',': case ':':
        case '-': case '+': case '.': case 'e': case 'E':
        case 't': case 'r': case 'u': case 'f': case 'a': case 'l': case 's': case 'n':
          break;
        default:
          if (g_ascii_isdigit (c))
            {
              gsize j = i;
              while (j < n && g_ascii_isdigit (s[j]))
                j++;
              if (j - i >= 19)
                {
                  char digits[21];
                  guint64 v;
                  if (j - i > 19)
                    return g_strdup_printf ("number %.20s… at byte %" G_GSIZE_FORMAT
                                            " is too large", s + i, i);
                  memcpy (digits, s + i, j - i);
                  digits[j - i] = '\0';
                  v = g_ascii_strtoull (digits, NULL, 10);
                  if (v > (guint64) G_MAXINT64)
                    return g_strdup_printf ("number %s at byte %" G_GSIZE_FORMAT
                                            " is too large", digits, i);
                }
              i = j - 1;
            }
          else if (c >= 0x20 && c < 0x7f)
            return g_strdup_printf ("unexpected character '%c' at byte %" G_GSIZE_FORMAT
                                    " of the JSON header", c, i);
          else
            return g_strdup_printf ("unexpected byte 0x%02x at byte %" G_GSIZE_FORMAT
                                    " of the JSON header", c, i);
        }
    }
  return NULL;
}

/* json-glib silently keeps the last of duplicate keys; this records the first duplicate. */
typedef struct
{
  GHashTable *sizes;     /* JsonObject * -> size after its last member */
  JsonObject *dup_object;
  char       *dup_name;  /* owned */
} DupCheck;

static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  DupCheck *dc = user_data;
  guint size = json_object_get_size (object);
  guint before = GPOINTER_TO_UINT (g_hash_table_lookup (dc->sizes, object));

  if (size == before && dc->dup_name == NULL)
    {
      dc->dup_object = object;
      dc->dup_name = g_strdup (member_name);
    }
  g_hash_table_insert (dc->sizes, object, GUINT_TO_POINTER (size));
}

/* An integer node >= 0, or -1. */
static gint64
node_get_uint (JsonNode *node)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  v = json_node_get_int (node);
  return v < 0 ? -1 : v;
}

typedef struct
{
  const char *name;      /* borrowed from the JSON tree */
  SsDtype     dtype;
  int         ndim;
  gint64      shape[SS_SAFETENSORS_MAX_DIMS];
  guint64     begin, end;
  guint       order;     /* position in the header */
} Entry;

static int
compare_entries (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const Entry *x = a, *y = b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gboolean
parse_entry (const char *path,
             const char *name,
             JsonNode   *node,
             guint64     data_len,
             Entry      *e,
             GError    **error)
{
  JsonObject *obj;
  JsonNode *dnode, *snode, *onode;
  JsonArray *shape, *offsets;
  const char *dtype;
  guint64 count = 1, need;

  memset (e, 0, sizeof *e);
  e->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_format_error (error, path, "the header entry for tensor '%s' is not a JSON object",
                        name);
      return FALSE;
    }
  obj = json_node_get_object (node);
  dnode = json_object_get_member (obj, "dtype");
  snode = json_object_get_member (obj, "shape");
  onode = json_object_get_member (obj, "data_offsets");
  if (dnode == NULL || snode == NULL || onode == NULL)
    {
      set_format_error (error, path, "tensor '%s' has no “%s” field", name,
                        dnode == NULL ? "dtype" : snode == NULL ? "shape" : "data_offsets");
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_VALUE (dnode) || json_node_get_value_type (dnode) != G_TYPE_STRING)
    {
      set_format_error (error, path, "the dtype of tensor '%s' is not a string", name);
      return FALSE;
    }
  dtype = json_node_get_string (dnode);
  if (g_str_equal (dtype, "F32"))
    e->dtype = SS_DTYPE_F32;
  else if (g_str_equal (dtype, "I64"))
    e->dtype = SS_DTYPE_I64;
  else
    {
      set_format_error (error, path, "unsupported dtype '%s' for tensor '%s'; "
                        "Supersign reads F32 and I64", dtype, name);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (snode))
    {
      set_format_error (error, path, "the shape of tensor '%s' is not a list", name);
      return FALSE;
    }
  shape = json_node_get_array (snode);
  if (json_array_get_length (shape) > SS_SAFETENSORS_MAX_DIMS)
    {
      set_format_error (error, path, "tensor '%s' has %u dimensions; at most %d are supported",
                        name, json_array_get_length (shape), SS_SAFETENSORS_MAX_DIMS);
      return FALSE;
    }
  e->ndim = (int) json_array_get_length (shape);
  for (int d = 0; d < e->ndim; d++)
    {
      gint64 v = node_get_uint (json_array_get_element (shape, d));
      if (v < 0)
        {
          set_format_error (error, path, "dimension %d of tensor '%s' is not a non-negative "
                            "integer", d, name);
          return FALSE;
        }
      e->shape[d] = v;
      if (!g_uint64_checked_mul (&count, count, (guint64) v))
        {
          set_format_error (error, path, "the shape of tensor '%s' has more elements than fit "
                            "in 64 bits", name);
          return FALSE;
        }
    }
  if (!g_uint64_checked_mul (&need, count, ss_dtype_size (e->dtype)))
    {
      set_format_error (error, path, "tensor '%s' needs more bytes than fit in 64 bits", name);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (onode)
      || json_array_get_length (offsets = json_node_get_array (onode)) != 2
      || node_get_uint (json_array_get_element (offsets, 0)) < 0
      || node_get_uint (json_array_get_element (offsets, 1)) < 0)
    {
      set_format_error (error, path, "data_offsets of tensor '%s' are not two non-negative "
                        "integers", name);
      return FALSE;
    }
  e->begin = (guint64) json_array_get_int_element (offsets, 0);
  e->end = (guint64) json_array_get_int_element (offsets, 1);
  if (e->begin > e->end)
    {
      set_format_error (error, path, "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                        "] of tensor '%s' begin after they end", e->begin, e->end, name);
      return FALSE;
    }
  if (e->end > data_len)
    {
      set_format_error (error, path, "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                        "] of tensor '%s' go past the end of the %" G_GUINT64_FORMAT
                        "-byte data section (truncated file?)", e->begin, e->end, name,
                        data_len);
      return FALSE;
    }
  if (e->end - e->begin != need)
    {
      set_format_error (error, path, "tensor '%s' is %s with %" G_GUINT64_FORMAT " element%s, "
                        "which take %" G_GUINT64_FORMAT " bytes, but its data_offsets span %"
                        G_GUINT64_FORMAT " bytes", name, dtype, count, count == 1 ? "" : "s",
                        need, e->end - e->begin);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_metadata (SsSafetensors *st,
                const char    *path,
                JsonNode      *node,
                GError       **error)
{
  JsonObject *obj;
  g_autoptr(GList) keys = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_format_error (error, path, "__metadata__ is not a JSON object");
      return FALSE;
    }
  obj = json_node_get_object (node);
  keys = json_object_get_members (obj);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (obj, l->data);
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        {
          set_format_error (error, path, "__metadata__ value for key '%s' is not a string",
                            (const char *) l->data);
          return FALSE;
        }
      g_hash_table_insert (st->metadata, g_strdup (l->data), g_strdup (json_node_get_string (v)));
    }
  return TRUE;
}

/* Checks the sorted entries cover [0, data_len) exactly, then points the views at the data,
 * copying into aligned slots when needed. */
static gboolean
place_tensors (SsSafetensors *st,
               const char    *path,
               Entry         *entries,
               guint          n,
               guint8        *file,
               gsize          data_start,
               guint64        data_len,
               GError       **error)
{
  guint64 pos = 0;
  gboolean aligned = data_start % SS_SAFETENSORS_ALIGN == 0;
  guint8 *base = file + data_start;

  for (guint i = 0; i < n; i++)
    {
      if (entries[i].begin < pos)
        {
          set_format_error (error, path, "tensor '%s' (bytes %" G_GUINT64_FORMAT "–%"
                            G_GUINT64_FORMAT ") overlaps tensor '%s'", entries[i].name,
                            entries[i].begin, entries[i].end, entries[i - 1].name);
          return FALSE;
        }
      if (entries[i].begin > pos)
        {
          set_format_error (error, path, "bytes %" G_GUINT64_FORMAT "–%" G_GUINT64_FORMAT
                            " of the data section belong to no tensor (a hole before '%s')",
                            pos, entries[i].begin, entries[i].name);
          return FALSE;
        }
      pos = entries[i].end;
      if (entries[i].begin % SS_SAFETENSORS_ALIGN != 0)
        aligned = FALSE;
    }
  if (pos != data_len)
    {
      set_format_error (error, path, "%" G_GUINT64_FORMAT " trailing bytes after the last "
                        "tensor in the data section", data_len - pos);
      return FALSE;
    }

  st->tensors = g_new0 (SsTensorView, MAX (n, 1));
  st->names = g_new0 (char *, n + 1);
  st->n_tensors = n;

  if (!aligned)
    {
      /* Repack: each tensor at a multiple of SS_SAFETENSORS_ALIGN.  Total <= data_len + SS_SAFETENSORS_ALIGN·n. */
      gsize total = 0, off = 0;
      for (guint i = 0; i < n; i++)
        total += ((gsize) (entries[i].end - entries[i].begin) + SS_SAFETENSORS_ALIGN - 1) / SS_SAFETENSORS_ALIGN * SS_SAFETENSORS_ALIGN;
      st->buffer = g_aligned_alloc (MAX (total, 1), 1, SS_SAFETENSORS_ALIGN);
      for (guint i = 0; i < n; i++)
        {
          gsize len = (gsize) (entries[i].end - entries[i].begin);
          memcpy (st->buffer + off, base + entries[i].begin, len);
          entries[i].begin = off;
          entries[i].end = off + len;
          off += (len + SS_SAFETENSORS_ALIGN - 1) / SS_SAFETENSORS_ALIGN * SS_SAFETENSORS_ALIGN;
        }
      base = st->buffer;
      g_aligned_free (file);
    }
  else
    st->buffer = file;

  for (guint i = 0; i < n; i++)
    {
      SsTensorView *v = &st->tensors[i];
      st->names[i] = g_strdup (entries[i].name);
      v->name = st->names[i];
      v->dtype = entries[i].dtype;
      v->ndim = entries[i].ndim;
      memcpy (v->shape, entries[i].shape, sizeof v->shape);
      v->data = base + entries[i].begin;
      v->n_bytes = (gsize) (entries[i].end - entries[i].begin);
      g_assert ((guintptr) v->data % SS_SAFETENSORS_ALIGN == 0);
      g_hash_table_insert (st->by_name, (gpointer) v->name, v);
    }
  return TRUE;
}

SsSafetensors *
ss_safetensors_load (const char *path,
                     GError    **error)
{
  g_autoptr(SsSafetensors) st = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) json_error = NULL;
  g_autoptr(GList) members = NULL;
  g_autofree Entry *entries = NULL;
  g_autofree char *problem = NULL;
  DupCheck dc = { NULL, NULL, NULL };
  guint8 *file;
  gsize file_len = 0;
  guint64 header_len, data_len;
  const char *header;
  JsonNode *root;
  JsonObject *obj;
  guint n = 0, order = 0;
  gboolean ok;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = read_file (path, &file_len, error);
  if (file == NULL)
    return NULL;

  memcpy (&header_len, file, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len == 0 || header_len > MAX_HEADER_BYTES || header_len > file_len - 8)
    {
      if (header_len == 0)
        set_format_error (error, path, "the header length is 0");
      else if (header_len > MAX_HEADER_BYTES)
        set_format_error (error, path, "the header length %" G_GUINT64_FORMAT " exceeds the "
                          "limit of %" G_GUINT64_FORMAT " bytes (is it a safetensors file?)",
                          header_len, MAX_HEADER_BYTES);
      else
        set_format_error (error, path, "the header length %" G_GUINT64_FORMAT " is larger "
                          "than the %" G_GSIZE_FORMAT " bytes that follow it (truncated file?)",
                          header_len, file_len - 8);
      g_aligned_free (file);
      return NULL;
    }
  header = (const char *) file + 8;
  data_len = file_len - 8 - header_len;

  if (!g_utf8_validate_len (header, (gsize) header_len, NULL))
    {
      set_format_error (error, path, "the header is not valid UTF-8 text");
      g_aligned_free (file);
      return NULL;
    }
  if ((problem = prescan_json (header, (gsize) header_len)) != NULL)
    {
      set_format_error (error, path, "the header is not valid JSON: %s", problem);
      g_aligned_free (file);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  dc.sizes = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &dc);
  ok = json_parser_load_from_data (parser, header, (gssize) header_len, &json_error);
  g_hash_table_unref (dc.sizes);
  if (!ok)
    {
      set_format_error (error, path, "the header is not valid JSON: %s", json_error->message);
      g_free (dc.dup_name);
      g_aligned_free (file);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      set_format_error (error, path, "the header is not a JSON object");
      g_free (dc.dup_name);
      g_aligned_free (file);
      return NULL;
    }
  obj = json_node_get_object (root);
  if (dc.dup_name != NULL)
    {
      if (dc.dup_object == obj)
        set_format_error (error, path, "the name '%s' appears twice in the header", dc.dup_name);
      else
        set_format_error (error, path, "the key '%s' appears twice in one object of the header",
                          dc.dup_name);
      g_free (dc.dup_name);
      g_aligned_free (file);
      return NULL;
    }

  st = g_new0 (SsSafetensors, 1);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  members = json_object_get_members (obj);
  entries = g_new0 (Entry, MAX (json_object_get_size (obj), 1));
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);

      if (g_str_equal (name, "__metadata__"))
        ok = parse_metadata (st, path, node, error);
      else
        {
          ok = parse_entry (path, name, node, data_len, &entries[n], error);
          entries[n++].order = order++;
        }
      if (!ok)
        {
          g_aligned_free (file);
          return NULL;
        }
    }

  g_qsort_with_data (entries, (gint) n, sizeof (Entry), compare_entries, NULL);
  /* place_tensors takes file over on success (keeps or frees it). */
  if (!place_tensors (st, path, entries, n, file, (gsize) (8 + header_len), data_len, error))
    {
      g_aligned_free (file);
      return NULL;
    }
  return g_steal_pointer (&st);
}

void
ss_safetensors_free (SsSafetensors *st)
{
  if (st == NULL)
    return;
  aligned_free0 (st->buffer);
  if (st->names != NULL)
    for (guint i = 0; i < st->n_tensors; i++)
      g_free (st->names[i]);
  g_free (st->names);
  g_free (st->tensors);
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_free (st);
}

guint
ss_safetensors_get_n_tensors (const SsSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n_tensors;
}

const SsTensorView *
ss_safetensors_get (const SsSafetensors *st,
                    guint                i)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (i < st->n_tensors, NULL);
  return &st->tensors[i];
}

const SsTensorView *
ss_safetensors_lookup (const SsSafetensors *st,
                       const char          *name)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

const char *
ss_safetensors_get_metadata (const SsSafetensors *st,
                             const char          *key)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return g_hash_table_lookup (st->metadata, key);
}
