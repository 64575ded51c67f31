/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-safetensors.c (reader) and ss-safetensors-writer.c. */

#include "ss-safetensors.h"

G_BEGIN_DECLS

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "safetensors I/O assumes a little-endian host (safetensors data is little-endian)"
#endif

/* Every tensor view's data pointer is a multiple of this; the header is padded to it. */
#define SS_SAFETENSORS_ALIGN 8

static inline const char *
ss_dtype_name (SsDtype dtype)
{
  return dtype == SS_DTYPE_I64 ? "I64" : "F32";
}

static inline gsize
ss_dtype_size (SsDtype dtype)
{
  return dtype == SS_DTYPE_I64 ? 8 : 4;
}

G_END_DECLS
