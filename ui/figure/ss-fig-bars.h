/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The "supersign bars": one group of bars per saliency layer, its saliency AME mean with a
 * ± one standard deviation error bar, the layer's null baseline (SPEC §1) as a thick short
 * line across the bar, and pooling layers (type I superization) hatched.  A legend above the
 * plot names the series (when there are two or more), "pooling" and "null baseline".  Up to SS_FIG_BARS_MAX_SERIES series sit side by side within each
 * group (e.g. trained and random weights), with a legend.  Layer names label the x axis,
 * rotated 45° when they do not fit horizontally.
 *
 * The data is plain numbers: fill it from a profile (ss-profile.h), from the run history or
 * from a live training run.  SsFigBars copies everything it is given. */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-axes.h"
#include "ss-fig-style.h"

G_BEGIN_DECLS

#define SS_FIG_BARS_MAX_SERIES 4

typedef struct _SsFigBars SsFigBars;

/* Returns: (transfer full): an empty figure (y range [0, 1], y label "saliency AME"); free
 * with ss_fig_bars_free. */
SsFigBars *ss_fig_bars_new          (void);
void       ss_fig_bars_free         (SsFigBars *fig);

/* Adds a layer (an x category) named name; pooling marks it as a pooling step.  Every series
 * starts with no value (NaN) there.  Returns: its index, 0, 1, … */
int        ss_fig_bars_add_layer    (SsFigBars *fig, const char *name, gboolean pooling);
/* Adds a series labelled label (shown in the legend when there are two or more); at most
 * SS_FIG_BARS_MAX_SERIES.  Returns: its index, or -1 when full. */
int        ss_fig_bars_add_series   (SsFigBars *fig, const char *label);
/* Sets series's value at layer: the mean and population standard deviation of the saliency
 * AME and the mean null baseline.  NaN leaves that part out (a layer with no valid map: no bar,
 * drawn as "n/a"; sd NaN: no error bar; null NaN: no baseline). */
void       ss_fig_bars_set_value    (SsFigBars *fig, int series, int layer, double mean,
                                     double sd, double null_mean);
/* Optional texts, copied; NULL removes them.  The default y label is "saliency AME". */
void       ss_fig_bars_set_title    (SsFigBars *fig, const char *title);
void       ss_fig_bars_set_y_label  (SsFigBars *fig, const char *label);
/* The y range; NaN for either end takes it from the data (with nice ticks).  Default [0, 1],
 * the range of AME. */
void       ss_fig_bars_set_y_range  (SsFigBars *fig, double lo, double hi);

int        ss_fig_bars_get_n_layers (const SsFigBars *fig);
int        ss_fig_bars_get_n_series (const SsFigBars *fig);

/* Draws fig filling width × height user units of cr (see ss-fig-style.h for units); style may
 * be NULL for the "screen" preset.  The cairo state is restored afterwards. */
void       ss_fig_bars_draw         (const SsFigBars *fig, cairo_t *cr, double width,
                                     double height, const SsFigStyle *style);
/* The layer whose group (its bars and the gaps beside them, from the plot's top down to the
 * layer names under it) contains (x, y) in the same width × height layout, and in *series (may
 * be NULL) the series whose bar is under x (-1 in the gaps between groups).  Returns: the
 * layer, or -1 elsewhere. */
int        ss_fig_bars_hit          (const SsFigBars *fig, double width, double height,
                                     const SsFigStyle *style, double x, double y, int *series);

/* The plot area of the width × height layout, for placing overlays and for tests: x runs over
 * layers (layer i's group spans x in [i, i + 1)), y over the value axis. */
void       ss_fig_bars_get_frame    (const SsFigBars *fig, double width, double height,
                                     const SsFigStyle *style, SsFigFrame *frame);

/* CSV of the data, one row per (series, layer), header
 *   series,label,layer,name,pooling,mean,sd,null
 * (pooling 0/1; NaN as an empty field; numbers in the shortest form that reads back exactly),
 * written atomically (ss-fig-export.h). */
gboolean   ss_fig_bars_write_csv    (const SsFigBars *fig, const char *path, GError **error);
/* Appends the same CSV text to out. */
void       ss_fig_bars_csv          (const SsFigBars *fig, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFigBars, ss_fig_bars_free)

G_END_DECLS
