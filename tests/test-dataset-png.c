/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* A data set from a folder of PNG images (core/ss-dataset-png.h): labels from class subfolders,
 * gray/RGB conversion, resizing, normalisation, and bad files listed instead of failing.
 * Legend: N images, C channels, H W the model's input size. */

#include <string.h>

#include <glib/gstdio.h>

#include "ss-dataset-png.h"
#include "ss-error.h"
#include "ss-png.h"
#include "ss-test-util.h"

static const char * const fashion[10] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static void
save_filled (const char *dir,
             const char *name,
             int         w,
             int         h,
             int         c,
             const guint8 *value)
{
  g_autoptr(SsImage) image = ss_image_new (w, h, c);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  ss_image_fill (image, value);
  g_assert_true (ss_png_save (image, path, &error));
  g_assert_no_error (error);
}

static void
write_file (const char *dir,
            const char *name,
            const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_folder_layout (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-folder-XXXXXX");
  g_autofree char *sub3 = g_build_filename (dir, "3", NULL);
  g_autofree char *subt = g_build_filename (dir, "T-shirt_top", NULL);
  g_autofree char *subx = g_build_filename (dir, "holiday", NULL);
  g_autoptr(SsPngFolderReport) report = NULL;
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  SsPngFolderOptions opt;
  const guint8 gray[1] = { 200 }, rgb[3] = { 255, 0, 0 };
  const float mean[1] = { 0.5f }, std[1] = { 0.25f };
  float x[28 * 28];
  SsLabel y;
  guint32 idx = 0;

  g_test_summary ("Files in the folder are unlabelled, subfolders named by class number or by "
                  "class name (letters and digits, any case) give labels; a corrupt PNG and a "
                  "non-PNG are listed or ignored, not fatal; samples come sorted by path");
  g_assert_cmpint (g_mkdir (sub3, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (subt, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (subx, 0755), ==, 0);
  save_filled (dir, "a.png", 56, 56, 1, gray);
  save_filled (dir, "b.PNG", 30, 20, 3, rgb);
  save_filled (sub3, "dress.png", 28, 28, 1, gray);
  save_filled (subt, "shirt.png", 100, 7, 1, gray);
  save_filled (subx, "beach.png", 5, 5, 3, rgb);
  write_file (dir, "broken.png", "\x89PNG\r\n\x1a\nnot really");
  write_file (dir, "notes.txt", "not an image");

  ss_png_folder_options_init (&opt, 1, 28, 28, 10);
  opt.class_names = fashion;
  opt.mean = mean;
  opt.std = std;
  ds = ss_dataset_load_png_folder (dir, &opt, &report, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ds);
  g_assert_cmpuint (ss_dataset_get_size (ds), ==, 5);
  g_assert_cmpint (ss_dataset_get_channels (ds), ==, 1);
  g_assert_cmpint (ss_dataset_get_height (ds), ==, 28);
  g_assert_cmpint (ss_dataset_get_n_classes (ds), ==, 10);
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 1), ==, "Trouser");
  g_assert_cmpstr (ss_dataset_get_name (ds), ==, "png");

  g_assert_cmpuint (report->files->len, ==, 5);
  /* Sorted by path: 3/, T-shirt_top/, a.png, b.PNG, holiday/ */
  g_assert_true (g_str_has_suffix (g_ptr_array_index (report->files, 0), "dress.png"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (report->files, 1), "shirt.png"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (report->files, 2), "a.png"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (report->files, 3), "b.PNG"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (report->files, 4), "beach.png"));
  g_assert_cmpuint (report->n_labelled, ==, 2);
  g_assert_cmpint (report->labelled[0], ==, 1);
  g_assert_cmpint (ss_dataset_get_labels (ds)[0], ==, 3);
  g_assert_cmpint (report->labelled[1], ==, 1);
  g_assert_cmpint (ss_dataset_get_labels (ds)[1], ==, 0);
  g_assert_cmpint (report->labelled[2], ==, 0);
  g_assert_cmpint (report->labelled[4], ==, 0);

  g_assert_cmpuint (report->problems->len, ==, 1);
  {
    GError *problem = g_ptr_array_index (report->problems, 0);
    g_assert_true (problem->domain == SS_ERROR);
    g_assert_nonnull (strstr (problem->message, "broken.png"));
  }

  /* A constant image stays constant through resizing; red becomes its PIL luma. */
  for (gsize i = 0; i < 28 * 28; i++)
    g_assert_cmpint (ss_dataset_get_pixels (ds, 2)[i], ==, 200);
  g_assert_cmpint (ss_dataset_get_pixels (ds, 3)[0], ==, (19595 * 255 + 32768) >> 16);
  /* The given normalisation is used. */
  ss_dataset_fill_batch (ds, x, &y, &idx, 1, FALSE, NULL);
  g_assert_cmpfloat_with_epsilon (x[0], (200 / 255.0 - 0.5) / 0.25, 1e-5);

  ss_test_rm_rf (dir);
}

static void
test_rgb_and_invert (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-folder-XXXXXX");
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  SsPngFolderOptions opt;
  const guint8 gray[1] = { 10 };

  g_test_summary ("Gray images are replicated into RGB inputs; invert gives 255 − v; without "
                  "a normalisation the folder's own statistics are used (std 1 when constant)");
  save_filled (dir, "x.png", 64, 64, 1, gray);
  ss_png_folder_options_init (&opt, 3, 32, 32, 10);
  opt.invert = TRUE;
  ds = ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_dataset_get_channels (ds), ==, 3);
  for (int ch = 0; ch < 3; ch++)
    g_assert_cmpint (ss_dataset_get_pixels (ds, 0)[ch * 32 * 32 + 5], ==, 245);
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 7), ==, "7");
  {
    float mean[3], std[3];
    ss_dataset_get_normalization (ds, mean, std);
    g_assert_cmpfloat_with_epsilon (mean[0], 245 / 255.0, 1e-5);
    g_assert_cmpfloat (std[0], ==, 1.0f);
  }
  ss_test_rm_rf (dir);
}

static void
test_resize_plane (void)
{
  guint8 src[4 * 8], dst[2 * 2];

  g_test_summary ("Shrinking by 4 along x first averages 4-pixel blocks, then resizes: a "
                  "column pattern of 0/255 pairs becomes its mean, not an aliased sample");
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 8; x++)
      src[y * 8 + x] = (x % 2) ? 255 : 0;
  ss_png_folder_resize_plane (dst, 2, 2, src, 4, 8);
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (dst[i], ==, 128);
}

static void
test_errors (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-folder-XXXXXX");
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SsPngFolderOptions opt;
  const guint8 gray[1] = { 1 };
  GError *error = NULL;

  g_test_summary ("A missing folder is SS_ERROR_IO, an empty one or one of only broken PNGs is "
                  "SS_ERROR_FORMAT naming the first failure, bad options SS_ERROR_ARGUMENT, and "
                  "a cancelled load G_IO_ERROR_CANCELLED");
  ss_png_folder_options_init (&opt, 1, 28, 28, 10);
  g_assert_null (ss_dataset_load_png_folder (missing, &opt, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_IO);
  g_clear_error (&error);

  g_assert_null (ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "no PNG"));
  g_clear_error (&error);

  write_file (dir, "z.png", "");
  g_assert_null (ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "z.png"));
  g_clear_error (&error);

  save_filled (dir, "ok.png", 4, 4, 1, gray);
  g_cancellable_cancel (cancellable);
  g_assert_null (ss_dataset_load_png_folder (dir, &opt, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  opt.channels = 2;
  g_assert_null (ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  ss_test_rm_rf (dir);
}

static void
test_cap (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-png-folder-XXXXXX");
  g_autoptr(SsPngFolderReport) report = NULL;
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  SsPngFolderOptions opt;
  const guint8 gray[1] = { 9 };

  g_test_summary ("Past max_images the rest are skipped with one note");
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("%d.png", i);
      save_filled (dir, name, 3, 3, 1, gray);
    }
  ss_png_folder_options_init (&opt, 1, 6, 6, 2);
  opt.max_images = 3;
  ds = ss_dataset_load_png_folder (dir, &opt, &report, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_dataset_get_size (ds), ==, 3);
  g_assert_cmpuint (report->problems->len, ==, 1);
  ss_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/dataset-png/folder-layout", test_folder_layout);
  g_test_add_func ("/dataset-png/rgb-and-invert", test_rgb_and_invert);
  g_test_add_func ("/dataset-png/resize-plane", test_resize_plane);
  g_test_add_func ("/dataset-png/errors", test_errors);
  g_test_add_func ("/dataset-png/cap", test_cap);
  return g_test_run ();
}
