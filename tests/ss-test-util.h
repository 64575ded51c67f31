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

/* A g_test_add fixture: a new empty temporary folder per test, and a file name in it (not
 * created); the teardown removes the folder and everything in it. */
typedef struct {
  char *dir;
  char *path;   /* dir/model.safetensors */
} SsTestDir;

/* Makes fx's folder and names file in it (fx->path); ss_test_dir_tear_down undoes it. */
void ss_test_dir_init      (SsTestDir *fx, const char *file);
void ss_test_dir_set_up    (SsTestDir *fx, gconstpointer data);
void ss_test_dir_tear_down (SsTestDir *fx, gconstpointer data);

/* Adds func (SsTestDir *, gconstpointer data) at the test path test_path. */
#define ss_test_add_in_dir(test_path, data, func) \
  g_test_add ((test_path), SsTestDir, (data), ss_test_dir_set_up, (func), ss_test_dir_tear_down)

/* The contents of path, *len bytes (NUL-terminated beyond them); fails the test when it cannot
 * be read. Transfer full (g_free). */
char *ss_test_read_file (const char *path, gsize *len);

/* The architecture described by json; fails the test when it does not parse. Transfer full. */
SsArch *ss_test_arch_from_json (const char *json);

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
