/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-csv.h"

void
ss_csv_append_number (GString *s,
                      double   v)
{
  /* %g drops trailing zeros, so the first of 15, 16, 17 significant digits that reads back
   * exactly is the shortest form (17 always does). */
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    return;
  for (gsize f = 0; f < G_N_ELEMENTS (formats); f++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[f], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

void
ss_csv_append_text (GString    *s,
                    const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *c = text; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}
