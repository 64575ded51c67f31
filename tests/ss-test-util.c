/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <sys/wait.h>

#include <glib/gstdio.h>

#include "ss-model-file.h"
#include "ss-rng.h"
#include "ss-test-util.h"

void
ss_test_check_close (const float *a,
                     const float *b,
                     gsize        n,
                     double       atol,
                     double       rtol,
                     const char  *label,
                     const char  *file,
                     int          line)
{
  double worst = 0;
  gssize first_bad = -1;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      if (!(d <= atol + rtol * fabs ((double) b[i])))  /* NaN fails too */
        {
          if (first_bad < 0)
            first_bad = (gssize) i;
          if (!(d <= worst))
            worst = d;
        }
      else if (d > worst)
        worst = d;
    }
  if (first_bad >= 0)
    {
      g_autofree char *msg =
        g_strdup_printf ("%s: max |diff| %.3g, first bad index %" G_GSSIZE_FORMAT
                         " (got %.8g, want %.8g; atol %.1g rtol %.1g)",
                         label, worst, first_bad, a[first_bad], b[first_bad], atol, rtol);
      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, msg);
    }
  g_test_message ("%s: max |diff| %.3g over %" G_GSIZE_FORMAT " values", label, worst, n);
}

void
ss_test_fill_uniform (float  *x,
                      gsize   n,
                      float   lo,
                      float   hi,
                      guint64 seed)
{
  SsRng rng;
  ss_rng_seed (&rng, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * (float) ss_rng_uniform (&rng);
}

char *
ss_test_data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

void
ss_test_rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      /* Before the children: a read-only folder's entries cannot be unlinked. */
      g_chmod (path, 0700);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          ss_test_rm_rf (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

char *
ss_test_make_tmp_dir (const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return dir;
}

void
ss_test_dir_init (SsTestDir  *fx,
                  const char *file)
{
  fx->dir = ss_test_make_tmp_dir ("ss-test-XXXXXX");
  fx->path = g_build_filename (fx->dir, file, NULL);
}

void
ss_test_dir_set_up (SsTestDir    *fx,
                    gconstpointer data)
{
  ss_test_dir_init (fx, "model.safetensors");
}

void
ss_test_dir_tear_down (SsTestDir    *fx,
                       gconstpointer data)
{
  ss_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

char *
ss_test_read_file (const char *path,
                   gsize      *len)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, len, NULL));
  return contents;
}

SsArch *
ss_test_arch_from_json (const char *json)
{
  g_autoptr(GError) error = NULL;
  SsArch *arch = ss_arch_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  return arch;
}

guint
ss_test_count_entries (const char *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

gboolean
ss_test_contains_bytes (const char *data,
                        gsize       len,
                        const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

char *
ss_test_fmnist_spec (void)
{
  const char *dir = g_getenv ("SS_FASHION_MNIST_DIR");

  return g_strconcat ("fashion-mnist:", dir ? dir : SS_DEFAULT_FASHION_MNIST_DIR, NULL);
}

SsDataset *
ss_test_load_fmnist (gboolean train,
                     gsize    n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *spec = ss_test_fmnist_spec ();
  g_autoptr(SsDataset) full = ss_dataset_load (spec, train, &error);
  g_autofree guint32 *idx = NULL;

  /* Not a skip: the quick start installs the data set, and a skipped test passes silently. */
  g_assert_no_error (error);
  if (n == 0)
    return g_steal_pointer (&full);
  idx = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = (guint32) i;
  return ss_dataset_subset (full, idx, n);
}

SsNet *
ss_test_load_shipped (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (SS_SOURCE_DATADIR, "fmnist-vgg.safetensors", NULL);
  SsNet *net = ss_model_load (path, NULL, &error);

  g_assert_no_error (error);
  ss_net_set_n_threads (net, 2);
  return net;
}

int
ss_test_run_cli_envv (char *const       *envp,
                      char             **out,
                      char             **err,
                      const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dropped = NULL;
  int status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("SS_CLI"));
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  g_ptr_array_add (argv, NULL);
  if (out != NULL)
    g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);
  g_spawn_sync (NULL, (char **) argv->pdata, (char **) envp, G_SPAWN_DEFAULT, NULL, NULL,
                out != NULL ? out : &dropped, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

int
ss_test_run_cli_argv (char             **out,
                      char             **err,
                      const char *const *args)
{
  return ss_test_run_cli_envv (NULL, out, err, args);
}

int
ss_test_run_cli (char      **out,
                 char      **err,
                 const char *first,
                 ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return ss_test_run_cli_argv (out, err, (const char *const *) args->pdata);
}
