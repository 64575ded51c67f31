/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* The PNG fuzzer's seed corpus (tests/fuzz/corpus-png, written by
 * tests/reference/gen-fuzz-corpus-png.py) replayed in the ordinary test suite, with the same
 * checks as tests/fuzz/fuzz-png.c, so every build (and the sanitizer build) runs what the
 * fuzzer starts from, and the inputs it found stay fixed: regress-*.png must fail cleanly and
 * cheaply.
 * Legend: W H C a decoded image's width, height, channels. */

#include <string.h>
#include <sys/resource.h>

#include "ss-error.h"
#include "ss-png.h"
#include "ss-preprocess.h"
#include "ss-test-util.h"

/* Decodes every file of the corpus as fuzz-png.c does. Returns how many there were. */
static guint
replay_corpus (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus-png", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0, images = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree guint8 *data = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SsImage) image = NULL, crop = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (path, (char **) &data, &len, NULL));
      image = ss_png_decode (data, len, name, &error);
      /* An image or an error, never both nor neither. */
      g_assert_true ((image == NULL) != (error == NULL));
      n++;
      if (g_str_has_prefix (name, "regress-"))
        {
          g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
          g_assert_nonnull (strstr (error->message, "truncated"));
          continue;
        }
      g_assert_no_error (error);
      g_assert_true (ss_image_size_ok ((guint64) image->width, (guint64) image->height));
      g_assert_true (image->channels == 1 || image->channels == 3);
      crop = ss_image_resize_crop (image, 1 + data[len - 1] % 48, 13, 11, &error);
      g_assert_no_error (error);
      g_assert_cmpint (crop->channels, ==, image->channels);
      images++;
    }
  g_assert_cmpuint (images, >=, 20);
  return n;
}

static void
test_corpus (void)
{
  g_test_summary ("Every seed of the PNG fuzzer decodes (or, for the regress-* inputs the "
                  "fuzzer found, fails with a clear truncation error) and resizes; a "
                  "subprocess checks that the whole corpus raises the peak memory by less than "
                  "64 MiB (a lying chunk length once cost 1.6 GB, a lying image size 768 MiB)");
  replay_corpus ();
  if (g_strrstr (g_getenv ("LD_PRELOAD") != NULL ? g_getenv ("LD_PRELOAD") : "", "vgpreload"))
    {
      g_test_message ("running under valgrind: the memory subprocess is skipped");
      return;
    }
  g_test_trap_subprocess ("/png-corpus/replay/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_corpus_subprocess (void)
{
  struct rusage before, after;

  g_test_summary ("Child of /png-corpus/replay: the corpus's cost in peak resident memory");
  if (!g_test_subprocess ())
    return;
  g_assert_cmpint (getrusage (RUSAGE_SELF, &before), ==, 0);
  replay_corpus ();
  g_assert_cmpint (getrusage (RUSAGE_SELF, &after), ==, 0);
  g_assert_cmpint (after.ru_maxrss - before.ru_maxrss, <, 64 * 1024);   /* KiB */
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/png-corpus/replay", test_corpus);
  g_test_add_func ("/png-corpus/replay/subprocess", test_corpus_subprocess);
  return g_test_run ();
}
