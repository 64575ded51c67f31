/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Class names from a text file (ss-labels.h). */

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-labels.h"

GStrv
ss_labels_parse (const char  *text,
                 gsize        len,
                 const char  *name,
                 int          n_classes,
                 int         *n_names,
                 GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *p = text, *end = text + len;
  int line = 1;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (n_classes >= 0 && n_classes <= SS_MAX_CLASSES, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  for (; p < end; line++)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      const char *a = p, *b = eol != NULL ? eol : end;
      const char *bad;

      p = eol != NULL ? eol + 1 : end;
      /* A NUL would silently cut the name short; say so rather than guess. */
      if (memchr (a, '\0', (gsize) (b - a)) != NULL)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: line %d holds a NUL byte; a labels file is UTF-8 text, one class "
                       "name per line", name, line);
          return NULL;
        }
      if (!g_utf8_validate (a, b - a, &bad))
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s: line %d is not valid UTF-8 (byte %d of the line); save the file as "
                       "UTF-8", name, line, (int) (bad - a) + 1);
          return NULL;
        }
      while (a < b && (*a == ' ' || *a == '\t'))
        a++;
      while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
        b--;
      if (b > a)
        g_ptr_array_add (names, g_strndup (a, (gsize) (b - a)));
      /* Checked as the names come, so a huge file of short lines stops early. */
      if (names->len > SS_MAX_CLASSES)
        {
          g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                       "%s names more than %d classes (line %d), the most a model may have; "
                       "is it a labels file, one class name per line?", name, SS_MAX_CLASSES,
                       line);
          return NULL;
        }
    }

  if (names->len == 0)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s holds no class names (expected one name per line%s)", name,
                   n_classes > 0 ? "" : ", one line per class");
      return NULL;
    }
  if (n_classes > 0 && names->len != (guint) n_classes)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_SHAPE,
                   "%s names %u classes, but the model has %d: the file needs one name per "
                   "class, in class order (blank lines are skipped)", name, names->len,
                   n_classes);
      return NULL;
    }
  if (n_names != NULL)
    *n_names = (int) names->len;
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

GStrv
ss_labels_load (const char  *path,
                int          n_classes,
                int         *n_names,
                GError     **error)
{
  g_autofree char *display = NULL, *text = NULL;
  g_autoptr(GError) local = NULL;
  GStatBuf st;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  /* Refused before reading: a path to a big file (a model, say) given by mistake. */
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > SS_LABELS_MAX_BYTES)
    {
      g_set_error (error, SS_ERROR, SS_ERROR_FORMAT,
                   "%s is %" G_GINT64_FORMAT " bytes, too large for a labels file (at most %d); "
                   "is it the right file?", display, (gint64) st.st_size, SS_LABELS_MAX_BYTES);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      /* GLib's message names the file already. */
      g_set_error (error, SS_ERROR, SS_ERROR_IO, "Could not read the labels file: %s",
                   local->message);
      return NULL;
    }
  return ss_labels_parse (text, len, display, n_classes, n_names, error);
}
