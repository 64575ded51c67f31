/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Legend: a table is (SS_COLORMAP_SIZE, 3), entry-major, R G B per entry. */

#include <math.h>

#include "ss-colormap.h"
#include "ss-colormap-tables.h"
#include "ss-error.h"

struct _SsColormap {
  const char   *name;
  const guint8 (*rgb8)[3];   /* (SS_COLORMAP_SIZE, 3) */
  const float  (*rgbf)[3];   /* (SS_COLORMAP_SIZE, 3) */
};

static const SsColormap colormaps[] = {
  { "viridis", viridis_rgb8, viridis_rgbf },
  { "inferno", inferno_rgb8, inferno_rgbf },
};

static const char * const colormap_names[] = { "viridis", "inferno", NULL };

G_STATIC_ASSERT (G_N_ELEMENTS (colormaps) + 1 == G_N_ELEMENTS (colormap_names));
G_STATIC_ASSERT (G_N_ELEMENTS (viridis_rgb8) == SS_COLORMAP_SIZE);
G_STATIC_ASSERT (G_N_ELEMENTS (inferno_rgbf) == SS_COLORMAP_SIZE);

const SsColormap *
ss_colormap_lookup (const char  *name,
                    GError     **error)
{
  g_autofree char *known = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (colormaps); i++)
    if (g_ascii_strcasecmp (name, colormaps[i].name) == 0)
      return &colormaps[i];

  known = g_strjoinv (", ", (char **) colormap_names);
  g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "Unknown colormap “%s”; known colormaps: %s",
               name, known);
  return NULL;
}

const char * const *
ss_colormap_list_names (void)
{
  return colormap_names;
}

const char *
ss_colormap_get_name (const SsColormap *cmap)
{
  g_return_val_if_fail (cmap != NULL, NULL);
  return cmap->name;
}

/* matplotlib's Colormap.__call__ for floats: x · N truncated, N itself → N − 1, clipped; NaN is
 * the caller's to handle.  value · 256 is exact in double, so this matches float64 numpy. */
static int
entry_of (float value)
{
  double x = (double) value * SS_COLORMAP_SIZE;

  g_assert (!isnan (value));
  if (x < 0.0)
    return 0;
  if (x >= SS_COLORMAP_SIZE - 1)
    return SS_COLORMAP_SIZE - 1;
  return (int) x;
}

void
ss_colormap_map (const SsColormap *cmap,
                 float             value,
                 guint8            rgb[3])
{
  static const guint8 nan_rgb[3] = SS_COLORMAP_NAN_RGB;
  const guint8 *src;

  g_return_if_fail (cmap != NULL && rgb != NULL);

  src = isnan (value) ? nan_rgb : cmap->rgb8[entry_of (value)];
  rgb[0] = src[0];
  rgb[1] = src[1];
  rgb[2] = src[2];
}

void
ss_colormap_map_float (const SsColormap *cmap,
                       float             value,
                       float             rgb[3])
{
  static const guint8 nan_rgb[3] = SS_COLORMAP_NAN_RGB;

  g_return_if_fail (cmap != NULL && rgb != NULL);

  if (isnan (value))
    {
      for (int c = 0; c < 3; c++)
        rgb[c] = nan_rgb[c] / 255.0f;
      return;
    }
  for (int c = 0; c < 3; c++)
    rgb[c] = cmap->rgbf[entry_of (value)][c];
}

const guint8 *
ss_colormap_get_table (const SsColormap *cmap)
{
  g_return_val_if_fail (cmap != NULL, NULL);
  return &cmap->rgb8[0][0];
}

const float *
ss_colormap_get_table_float (const SsColormap *cmap)
{
  g_return_val_if_fail (cmap != NULL, NULL);
  return &cmap->rgbf[0][0];
}
