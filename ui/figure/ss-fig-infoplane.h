/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The information plane of saliency maps (SPEC §3): I(X;T) on x against I(T;Y) on y, both in
 * bits, one colour (ss_fig_palette_color) and marker (ss_fig_palette_marker) per layer, one
 * point per epoch joined in the order added as a trajectory.  Earlier epochs are small
 * markers; the last point (the latest epoch) is drawn full size with an outline, so a layer
 * with a single point (one profile) is just that emphasised point.  A legend at the right
 * names the layers.  Both axes start at 0.
 *
 * SsFigInfoplane copies everything it is given. */

#include <cairo.h>
#include <glib.h>

#include "ss-fig-axes.h"
#include "ss-fig-style.h"

G_BEGIN_DECLS

typedef struct _SsFigInfoplane SsFigInfoplane;

/* Returns: (transfer full): an empty figure; free with ss_fig_infoplane_free. */
SsFigInfoplane *ss_fig_infoplane_new          (void);
void            ss_fig_infoplane_free         (SsFigInfoplane *fig);

/* Adds a layer named name.  Returns: its index, 0, 1, … */
int             ss_fig_infoplane_add_layer    (SsFigInfoplane *fig, const char *name);
/* Appends the point of epoch `epoch` to layer's trajectory.  Points are drawn in the order
 * added; NaN coordinates are kept (the CSV shows them) but not drawn, and break the line. */
void            ss_fig_infoplane_add_point    (SsFigInfoplane *fig, int layer, int epoch,
                                               double i_xt, double i_ty);
void            ss_fig_infoplane_set_title    (SsFigInfoplane *fig, const char *title);
/* A reference point for layer, e.g. the same layer with random weights: drawn as a faint marker
 * of the layer's colour and shape with an outline, not joined to the trajectory.  The hit test
 * reports it as epoch -1, the CSV as a row of epoch -1.  NaN coordinates remove it. */
void            ss_fig_infoplane_set_reference (SsFigInfoplane *fig, int layer, double i_xt,
                                                double i_ty);
/* Whether layer has a reference point, and its coordinates (pointers may be NULL). */
gboolean        ss_fig_infoplane_get_reference (const SsFigInfoplane *fig, int layer,
                                                double *i_xt, double *i_ty);

int             ss_fig_infoplane_get_n_layers (const SsFigInfoplane *fig);
int             ss_fig_infoplane_get_n_points (const SsFigInfoplane *fig, int layer);
/* Point `point` (0 .. n_points − 1) of layer; any out pointer may be NULL. */
void            ss_fig_infoplane_get_point    (const SsFigInfoplane *fig, int layer, int point,
                                               int *epoch, double *i_xt, double *i_ty);
/* Returns: (transfer none): the layer's name. */
const char     *ss_fig_infoplane_get_layer_name (const SsFigInfoplane *fig, int layer);

/* Draws fig filling width × height user units of cr; style NULL = "screen". */
void            ss_fig_infoplane_draw         (const SsFigInfoplane *fig, cairo_t *cr,
                                               double width, double height,
                                               const SsFigStyle *style);
/* The drawn point nearest to (x, y), if it lies within max (1.5 × marker size, 6) user units:
 * its layer and epoch (either pointer may be NULL).  Later points win ties, as they are drawn
 * on top.  Returns: whether a point was hit. */
gboolean        ss_fig_infoplane_hit          (const SsFigInfoplane *fig, double width,
                                               double height, const SsFigStyle *style, double x,
                                               double y, int *layer, int *epoch);

/* The plot area of the width × height layout (data ↔ user units, ss_fig_frame_x/_y): where
 * the point (i_xt, i_ty) is drawn. */
void            ss_fig_infoplane_get_frame    (const SsFigInfoplane *fig, double width,
                                               double height, const SsFigStyle *style,
                                               SsFigFrame *frame);

/* CSV, one row per point in layer then epoch order (a layer's reference point after its
 * trajectory, as epoch -1), header
 *   layer,name,epoch,i_xt,i_ty
 * written atomically. */
gboolean        ss_fig_infoplane_write_csv    (const SsFigInfoplane *fig, const char *path,
                                               GError **error);
void            ss_fig_infoplane_csv          (const SsFigInfoplane *fig, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFigInfoplane, ss_fig_infoplane_free)

G_END_DECLS
