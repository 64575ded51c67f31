/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* safetensors files (https://github.com/huggingface/safetensors), the model format PyTorch
 * tooling reads:
 *
 *   8 bytes   little-endian u64 N
 *   N bytes   UTF-8 JSON object, space-padded to a multiple of 8:
 *             {"__metadata__": {"key": "value", ...},
 *              "name": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
 *   rest      the data section: each tensor contiguous, row-major, little-endian; offsets are
 *             relative to the section's start and the tensors cover it exactly.
 *
 * Supersign reads and writes F32 and I64 only.  The loader treats the file as untrusted: any
 * inconsistency is an SS_ERROR_FORMAT (or SS_ERROR_IO) GError naming the file. */

typedef enum {
  SS_DTYPE_F32,
  SS_DTYPE_I64,
} SsDtype;

#define SS_SAFETENSORS_MAX_DIMS 8

typedef struct {
  const char *name;
  SsDtype     dtype;
  int         ndim;          /* 0..8; 0 = scalar (PyTorch's num_batches_tracked) */
  gint64      shape[8];      /* shape[0..ndim); the rest are 0 */
  const void *data;          /* 8-byte aligned, little-endian, borrowed from the SsSafetensors */
  gsize       n_bytes;
} SsTensorView;

typedef struct _SsSafetensors SsSafetensors;

/* Reads and validates the whole file.  Returns: (transfer full), or NULL with error set. */
SsSafetensors      *ss_safetensors_load          (const char *path, GError **error);
void                ss_safetensors_free          (SsSafetensors *st);
guint               ss_safetensors_get_n_tensors (const SsSafetensors *st);
/* i-th tensor in the order of its data offset.  Returns: (transfer none), valid until free. */
const SsTensorView *ss_safetensors_get           (const SsSafetensors *st, guint i);
/* Returns: (transfer none) (nullable), NULL if absent. */
const SsTensorView *ss_safetensors_lookup        (const SsSafetensors *st, const char *name);
/* Returns: (transfer none) (nullable), NULL if absent. */
const char         *ss_safetensors_get_metadata  (const SsSafetensors *st, const char *key);

typedef struct _SsSafetensorsWriter SsSafetensorsWriter;

/* Returns: (transfer full). */
SsSafetensorsWriter *ss_safetensors_writer_new          (void);
void                 ss_safetensors_writer_free         (SsSafetensorsWriter *w);
/* Copies key and value; a later value for the same key replaces the earlier one. */
void                 ss_safetensors_writer_add_metadata (SsSafetensorsWriter *w, const char *key,
                                                         const char *value);
/* Copies the data; tensors are stored in the order added.  shape has ndim (0..8) entries, each
 * >= 0; data holds product(shape) items of dtype (it may be NULL when that product is 0).
 * Names must be unique and not "__metadata__". */
void                 ss_safetensors_writer_add          (SsSafetensorsWriter *w, const char *name,
                                                         SsDtype dtype, const gint64 *shape,
                                                         int ndim, const void *data);
/* Atomic: temp file in the same folder, fsync, rename; on error the old file is untouched.
 * The writer may be saved again or freed afterwards. */
gboolean             ss_safetensors_writer_save         (SsSafetensorsWriter *w, const char *path,
                                                         GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSafetensors, ss_safetensors_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSafetensorsWriter, ss_safetensors_writer_free)

G_END_DECLS
