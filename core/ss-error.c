/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ss-error.h"

G_DEFINE_QUARK (ss-error-quark, ss_error)
