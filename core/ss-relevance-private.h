/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the relevance kernels (ss-spatial-mi.c, ss-renyi.c); defined in ss-relevance.c. */

#include <glib.h>

G_BEGIN_DECLS

/* Checks that maps (N, C, hw) are finite and, when lo and hi are not NULL, finds their minimum
 * and maximum, on n_threads threads.  SS_ERROR_VALUE naming the first sample and filter holding
 * a NaN or ±Inf. */
gboolean ss_relevance_scan_maps (const float *maps,
                                 int          n,
                                 int          c,
                                 gsize        hw,
                                 int          n_threads,
                                 float       *lo,
                                 float       *hi,
                                 GError     **error);

G_END_DECLS
