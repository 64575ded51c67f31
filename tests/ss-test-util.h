/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fails the running test, naming label, the largest difference and the first index past
 * tolerance, when any |a - b| > atol + rtol·|b|. */
#define ss_assert_tensor_close(a, b, n, atol, rtol, label) \
  ss_test_check_close ((a), (b), (n), (atol), (rtol), (label), __FILE__, __LINE__)

void ss_test_check_close (const float *a, const float *b, gsize n, double atol, double rtol,
                          const char *label, const char *file, int line);

/* Fills x (n) with uniform values in [lo, hi) from a fixed seed. */
void ss_test_fill_uniform (float *x, gsize n, float lo, float hi, guint64 seed);

/* Removes path and everything under it (making read-only folders writable first). */
void  ss_test_rm_rf         (const char *path);
/* A new empty folder from a g_dir_make_tmp template; free with g_free. */
char *ss_test_make_tmp_dir  (const char *tmpl);
/* Number of entries in a folder. */
guint ss_test_count_entries (const char *dir_path);

/* Path of a committed fixture under tests/data; free with g_free. */
char *ss_test_data_path (const char *name);

/* Whether needle occurs in data (len bytes, which may hold NULs, as PDF streams do). */
gboolean ss_test_contains_bytes (const char *data, gsize len, const char *needle);

G_END_DECLS
