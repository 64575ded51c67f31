/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Class labels: the type that holds a sample's class everywhere (data sets, batches, loss,
 * relevance), and a model's class names from a text file, e.g. ImageNet's 1000 names for an
 * imported torchvision model.
 *
 * Labels are 16-bit: a byte (the IDX and CIFAR files' own label type) stops at 256 classes,
 * and the pretrained models analysed here (AlexNet, VGG16, ResNet50) have ImageNet's 1000.
 * 16 bits cover every classifier head the architecture accepts (SS_MAX_CLASSES) while keeping
 * a batch's labels two bytes a sample: they are copied per batch, never stored on disk (model
 * files and the run history hold no labels; the IDX and CIFAR files are widened as read).
 *
 * Format: UTF-8 text, one class name per line, in class order (line k names class k).  Lines
 * may end in "\n" or "\r\n"; a UTF-8 byte-order mark at the start is skipped; spaces and tabs
 * around a name are dropped; blank lines (empty or only spaces and tabs) are skipped wherever
 * they are, so a trailing newline, or several, changes nothing.  Names need not be unique
 * (ImageNet names two classes "crane"). */

#include <glib.h>

G_BEGIN_DECLS

/* A sample's class, 0 ≤ label < n_classes ≤ SS_MAX_CLASSES. */
typedef guint16 SsLabel;

/* Most classes a model, a data set or a labels file may have: every SsLabel value is a class.
 * (ss-arch.c's limit on a classifier's outputs is the same number.) */
#define SS_MAX_CLASSES (G_MAXUINT16 + 1)

/* Largest labels file read (names of 100,000 classes fit many times over). */
#define SS_LABELS_MAX_BYTES (16 * 1024 * 1024)

/* Reads the class names in path.  n_classes > 0 is the number the model has: a file with
 * another count is an error naming both counts; n_classes = 0 accepts any count from 1 to
 * SS_MAX_CLASSES.
 * Errors (every message names the file): SS_ERROR_IO when the file cannot be read;
 * SS_ERROR_FORMAT when it holds no names or more than SS_MAX_CLASSES, is larger than
 * SS_LABELS_MAX_BYTES, holds a NUL byte or is not UTF-8 (the message gives the line); SS_ERROR_SHAPE when the count is wrong.
 * n_names (nullable) receives the count.
 * Returns: (transfer full): a NULL-terminated array of the names, free with g_strfreev; NULL
 * with error set. */
GStrv ss_labels_load (const char *path, int n_classes, int *n_names, GError **error);

/* The same for text held in memory (len bytes); name is used in messages in place of the file
 * name. */
GStrv ss_labels_parse (const char *text, gsize len, const char *name, int n_classes,
                       int *n_names, GError **error);

G_END_DECLS
