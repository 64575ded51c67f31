/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SS_ERROR (ss_error_quark ())

typedef enum {
  SS_ERROR_IO,           /* a file could not be opened, read or written */
  SS_ERROR_FORMAT,       /* a file's bytes do not follow its format */
  SS_ERROR_ARCH,         /* an architecture is unknown or inconsistent */
  SS_ERROR_SHAPE,        /* tensors or data disagree with the architecture */
  SS_ERROR_VALUE,        /* a value is out of its allowed range (NaN weights, bad label) */
  SS_ERROR_ARGUMENT,     /* a hyperparameter or option is invalid */
  SS_ERROR_DIVERGED,     /* training produced NaN or Inf */
} SsError;
/* Cancelled jobs report G_IO_ERROR_CANCELLED, as GIO's own. */

GQuark ss_error_quark (void);

G_END_DECLS
