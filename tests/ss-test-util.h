/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ss-dataset.h"
#include "ss-net.h"

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

/* The --data spec of Fashion-MNIST: SS_FASHION_MNIST_DIR, or the configured default folder.
 * Transfer full (g_free). */
char *ss_test_fmnist_spec (void);
/* The first n images of Fashion-MNIST's training (train) or test split, all of it when n is 0.
 * Fails the test when the data set is missing. Transfer full. */
SsDataset *ss_test_load_fmnist (gboolean train, gsize n);
/* The shipped model (data/fmnist-vgg.safetensors), set to 2 threads. Transfer full. */
SsNet *ss_test_load_shipped (void);

/* Run the built supersign-cli (SS_CLI) with the arguments args (NULL-terminated), in envp (NULL:
 * this process's environment). Returns its exit status (128 + the signal when one killed it).
 * Its stdout and stderr are stored in out and err (transfer full, g_free), which must hold NULL
 * or an earlier result (freed first); out may be NULL to discard stdout, which is still piped so
 * that it never reaches the TAP stream. */
int ss_test_run_cli_envv (char *const *envp, char **out, char **err, const char *const *args);
/* The same in this process's environment. */
int ss_test_run_cli_argv (char **out, char **err, const char *const *args);
/* The same with the arguments listed, ending in NULL. */
int ss_test_run_cli      (char **out, char **err, const char *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
