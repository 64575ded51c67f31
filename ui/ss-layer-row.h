/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One node of a network as a row of the layers list: name, kind, output shape, parameters,
 * multiply–accumulates, and its saliency entropy once a profile is computed. */

#include <glib-object.h>

#include "ss-arch.h"

G_BEGIN_DECLS

#define SS_TYPE_LAYER_ROW (ss_layer_row_get_type ())
G_DECLARE_FINAL_TYPE (SsLayerRow, ss_layer_row, SS, LAYER_ROW, GObject)

SsLayerRow  *ss_layer_row_new          (const SsArch *arch, int node);
int          ss_layer_row_get_node     (SsLayerRow *self);
const char  *ss_layer_row_get_name     (SsLayerRow *self);
const char  *ss_layer_row_get_kind     (SsLayerRow *self);
const char  *ss_layer_row_get_shape    (SsLayerRow *self);
const char  *ss_layer_row_get_params   (SsLayerRow *self);
const char  *ss_layer_row_get_macs     (SsLayerRow *self);
gboolean     ss_layer_row_get_saliency (SsLayerRow *self);
/* "0.912 ± 0.031", "n/a" or "" (not computed / not a saliency layer). */
const char  *ss_layer_row_get_entropy  (SsLayerRow *self);
void         ss_layer_row_set_entropy  (SsLayerRow *self, const char *entropy);

G_END_DECLS
