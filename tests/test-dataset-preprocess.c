/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* torchvision's ImageNet preprocessing (core/ss-preprocess.h) against torchvision itself
 * (tests/reference/gen-preprocess.py), through the PNG-folder data set
 * (core/ss-dataset-png.h), labels files (core/ss-labels.h), and the CLI's png:DIR data.
 * Legend: C channels, H W the crop (the model's input), S the shorter side after resizing. */

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ss-dataset-png.h"
#include "ss-error.h"
#include "ss-labels.h"
#include "ss-png.h"
#include "ss-preprocess.h"
#include "ss-safetensors.h"
#include "ss-test-util.h"

typedef struct {
  char *name;
  int   resize;
  int   crop_h, crop_w;
  int   channels;
} Case;

static void
case_free (gpointer p)
{
  Case *c = p;
  g_free (c->name);
  g_free (c);
}

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "preprocess", name, NULL);
}

/* The cases gen-preprocess.py lists in reference.safetensors. Transfer full. */
static GPtrArray *
load_cases (SsSafetensors **ref_out)
{
  g_autofree char *path = fixture_path ("reference.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SsSafetensors) ref = ss_safetensors_load (path, &error);
  GPtrArray *cases = g_ptr_array_new_with_free_func (case_free);
  JsonArray *list;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, ss_safetensors_get_metadata (ref, "cases"),
                                             -1, &error));
  g_assert_no_error (error);
  list = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      Case *c = g_new0 (Case, 1);
      c->name = g_strdup (json_object_get_string_member (o, "name"));
      c->resize = (int) json_object_get_int_member (o, "resize");
      c->crop_h = (int) json_object_get_int_member (o, "crop_h");
      c->crop_w = (int) json_object_get_int_member (o, "crop_w");
      c->channels = (int) json_object_get_int_member (o, "channels");
      g_ptr_array_add (cases, c);
    }
  g_assert_cmpuint (cases->len, >=, 10);
  if (ref_out != NULL)
    *ref_out = g_steal_pointer (&ref);
  return cases;
}

static SsImage *
load_fixture_png (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr(GError) error = NULL;
  SsImage *image = ss_png_load (path, &error);

  g_assert_no_error (error);
  return image;
}

/* Fails naming the case, the first differing byte and the number of differences. */
static void
assert_bytes_equal (const guint8 *got,
                    const guint8 *want,
                    gsize         n,
                    const char   *label)
{
  gsize bad = 0, first = 0;

  for (gsize i = 0; i < n; i++)
    if (got[i] != want[i] && bad++ == 0)
      first = i;
  if (bad > 0)
    g_error ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes differ from torchvision's; "
             "the first at %" G_GSIZE_FORMAT ": %u, expected %u", label, bad, n, first,
             got[first], want[first]);
}

static void
test_resize_crop_direct (void)
{
  g_autoptr(GPtrArray) cases = load_cases (NULL);
  guint checked = 0;

  g_test_summary ("ss_image_resize_crop gives torchvision's Resize (S) + CenterCrop ((H, W)) "
                  "bytes exactly (tolerance 0) on every case whose channels need no "
                  "conversion: downscaling 1.5–6×, upscaling, ImageNet's 256/224, no-op resize, "
                  "zero padding, half-to-even margins");
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      g_autofree char *src_name = g_strconcat (c->name, ".png", NULL);
      g_autofree char *want_name = g_strconcat (c->name, "-expected.png", NULL);
      g_autoptr(SsImage) src = load_fixture_png (src_name);
      g_autoptr(SsImage) want = load_fixture_png (want_name);
      g_autoptr(SsImage) got = NULL;
      g_autoptr(GError) error = NULL;

      if (src->channels != c->channels)
        continue;
      got = ss_image_resize_crop (src, c->resize, c->crop_w, c->crop_h, &error);
      g_assert_no_error (error);
      g_assert_cmpint (got->width, ==, want->width);
      g_assert_cmpint (got->height, ==, want->height);
      g_assert_cmpint (got->channels, ==, want->channels);
      assert_bytes_equal (got->pixels, want->pixels,
                          (gsize) got->width * got->height * got->channels, c->name);
      checked++;
    }
  g_assert_cmpuint (checked, >=, 8);
}

/* Copies fixture name.png into dir. */
static void
copy_fixture (const char *dir,
              const char *name)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *src = fixture_path (file);
  g_autofree char *dst = g_build_filename (dir, file, NULL);
  g_autofree char *bytes = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (dst, bytes, (gssize) len, NULL));
}

static void
test_folder_cases (void)
{
  g_autoptr(GPtrArray) cases = load_cases (NULL);

  g_test_summary ("A PNG folder with resize_shorter = S gives torchvision's bytes exactly, "
                  "also where the channels are converted first (convert (\"RGB\") of a gray "
                  "image, convert (\"L\") of an RGB one)");
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      g_autofree char *dir = ss_test_make_tmp_dir ("ss-preprocess-XXXXXX");
      g_autofree char *want_name = g_strconcat (c->name, "-expected.png", NULL);
      g_autoptr(SsImage) want = load_fixture_png (want_name);
      g_autoptr(SsDataset) ds = NULL;
      g_autoptr(GError) error = NULL;
      SsPngFolderOptions opt;
      gsize plane = (gsize) c->crop_h * c->crop_w;
      g_autofree guint8 *planar = g_new (guint8, plane * c->channels);

      copy_fixture (dir, c->name);
      ss_png_folder_options_init (&opt, c->channels, c->crop_h, c->crop_w, 10);
      opt.resize_shorter = c->resize;
      ds = ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ss_dataset_get_size (ds), ==, 1);
      /* The expected PNG is interleaved (H, W, C); the data set is planar (C, H, W). */
      for (int ch = 0; ch < c->channels; ch++)
        for (gsize p = 0; p < plane; p++)
          planar[ch * plane + p] = want->pixels[p * c->channels + ch];
      assert_bytes_equal (ss_dataset_get_pixels (ds, 0), planar, plane * c->channels, c->name);
      ss_test_rm_rf (dir);
    }
}

static void
test_normalised (void)
{
  g_autoptr(SsSafetensors) ref = NULL;
  g_autoptr(GPtrArray) cases = load_cases (&ref);
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-preprocess-XXXXXX");
  const SsTensorView *t = ss_safetensors_lookup (ref, "rgb-down/normalised");
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  SsPngFolderOptions opt;
  float x[3 * 32 * 32];
  guint32 idx = 0;
  SsLabel y;

  g_test_summary ("ToTensor + Normalize with ImageNet's mean and std: the data set's batch "
                  "equals torchvision's float tensor to 1e-6 (both compute (v / 255 − mean) / "
                  "std in float32)");
  g_assert_nonnull (t);
  g_assert_cmpint (t->ndim, ==, 3);
  g_assert_cmpint (t->shape[0] * t->shape[1] * t->shape[2], ==, G_N_ELEMENTS (x));
  copy_fixture (dir, "rgb-down");
  ss_png_folder_options_init (&opt, 3, 32, 32, 10);
  opt.resize_shorter = 40;
  opt.mean = ss_imagenet_mean;
  opt.std = ss_imagenet_std;
  ds = ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  ss_dataset_fill_batch (ds, x, &y, &idx, 1, FALSE, NULL);
  ss_assert_tensor_close (x, t->data, G_N_ELEMENTS (x), 1e-6, 0, "rgb-down/normalised");
  ss_test_rm_rf (dir);
}

static void
test_imagenet_preset (void)
{
  SsPngFolderOptions opt;
  float mean[3], std[3];
  int w, h;

  g_test_summary ("The ImageNet preset: Resize (256) for a 224 crop (the same ratio for other "
                  "sizes), ImageNet's mean and std; torchvision's output sizes (truncated long "
                  "side)");
  ss_png_folder_options_init (&opt, 3, 224, 224, 1000);
  ss_png_folder_options_use_imagenet (&opt);
  g_assert_cmpint (opt.resize_shorter, ==, 256);
  memcpy (mean, opt.mean, sizeof mean);
  memcpy (std, opt.std, sizeof std);
  g_assert_cmpfloat (mean[0], ==, 0.485f);
  g_assert_cmpfloat (mean[2], ==, 0.406f);
  g_assert_cmpfloat (std[1], ==, 0.224f);
  ss_png_folder_options_init (&opt, 3, 112, 128, 10);
  ss_png_folder_options_use_imagenet (&opt);
  g_assert_cmpint (opt.resize_shorter, ==, 128);   /* 112 · 256 / 224 */
  ss_png_folder_options_init (&opt, 1, 28, 28, 10);
  ss_png_folder_options_use_imagenet (&opt);
  g_assert_cmpint (opt.resize_shorter, ==, 32);
  g_assert_cmpfloat_with_epsilon (opt.mean[0], 0.449f, 1e-6);

  ss_preprocess_resized_size (300, 257, 256, &w, &h);   /* int (256 · 300 / 257) = 298 */
  g_assert_cmpint (w, ==, 298);
  g_assert_cmpint (h, ==, 256);
  ss_preprocess_resized_size (31, 200, 16, &w, &h);     /* 103.2 → 103 */
  g_assert_cmpint (w, ==, 16);
  g_assert_cmpint (h, ==, 103);
  ss_preprocess_resized_size (50, 50, 7, &w, &h);
  g_assert_cmpint (w, ==, 7);
  g_assert_cmpint (h, ==, 7);
}

static void
test_extremes (void)
{
  g_autoptr(SsImage) line = ss_image_new (SS_IMAGE_MAX_SIDE, 1, 3);
  g_autoptr(SsImage) dot = ss_image_new (1, 1, 1);
  g_autoptr(SsImage) out = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 white[3] = { 255, 255, 255 };

  g_test_summary ("A 16384×1 line resized to 256 on its shorter side (4 million columns wide) "
                  "computes only the crop; a 1×1 image grows to a flat crop; S out of range is "
                  "an argument error");
  ss_image_fill (line, white);
  out = ss_image_resize_crop (line, 256, 224, 224, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) 224 * 224 * 3; i++)
    g_assert_cmpuint (out->pixels[i], ==, 255);
  g_clear_pointer (&out, ss_image_free);

  dot->pixels[0] = 77;
  out = ss_image_resize_crop (dot, 9, 5, 5, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 25; i++)
    g_assert_cmpuint (out->pixels[i], ==, 77);
  g_clear_pointer (&out, ss_image_free);

  out = ss_image_resize_crop (dot, 0, 5, 5, &error);
  g_assert_null (out);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_clear_error (&error);
  out = ss_image_resize_crop (dot, SS_PREPROCESS_MAX_RESIZE + 1, 5, 5, &error);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
}

/* --- labels files ------------------------------------------------------------------------- */

static char *
write_labels (const char *dir,
              const char *name,
              const char *text,
              gssize      len)
{
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, len, NULL));
  return path;
}

static void
test_labels_ok (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-labels-XXXXXX");
  static const char *const texts[] = {
    "tench\ngoldfish\ngreat white shark",                       /* no final newline */
    "tench\ngoldfish\ngreat white shark\n",
    "tench\r\ngoldfish\r\ngreat white shark\r\n\r\n",            /* CRLF, blank at the end */
    "\xef\xbb\xbftench\n\n  goldfish\t\n\n\ngreat white shark\n\n", /* BOM, blanks, spaces */
  };

  g_test_summary ("A labels file: one name per line; a final newline or none, CRLF, a UTF-8 "
                  "BOM, blank lines and surrounding spaces change nothing");
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *path = write_labels (dir, "labels.txt", texts[i], -1);
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) names = NULL;
      int n = 0;

      names = ss_labels_load (path, 3, &n, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 3);
      g_assert_cmpuint (g_strv_length (names), ==, 3);
      g_assert_cmpstr (names[0], ==, "tench");
      g_assert_cmpstr (names[1], ==, "goldfish");
      g_assert_cmpstr (names[2], ==, "great white shark");
      g_strfreev (g_steal_pointer (&names));
      names = ss_labels_load (path, 0, &n, &error);   /* any count */
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 3);
    }
  {
    g_autofree char *path = write_labels (dir, "utf8.txt", "Schäferhund\n日本語\n", -1);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = ss_labels_load (path, 2, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (names[0], ==, "Schäferhund");
    g_assert_cmpstr (names[1], ==, "日本語");
  }
  ss_test_rm_rf (dir);
}

static void
test_labels_bad (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-labels-XXXXXX");
  g_autofree char *missing = g_build_filename (dir, "missing.txt", NULL);
  g_autofree char *big = g_build_filename (dir, "big.bin", NULL);
  static const struct {
    const char *text;
    gssize      len;
    int         code;
    const char *needle;
  } cases[] = {
    { "a\nb\n", -1, SS_ERROR_SHAPE, "names 2 classes, but the model has 3" },
    { "a\nb\nc\nd\n", -1, SS_ERROR_SHAPE, "names 4 classes, but the model has 3" },
    { "", 0, SS_ERROR_FORMAT, "holds no class names" },
    { "\n \n\t\r\n", -1, SS_ERROR_FORMAT, "holds no class names" },
    { "cat\ndog\nbad\xff\xfe name\n", -1, SS_ERROR_FORMAT, "line 3 is not valid UTF-8" },
    { "latin1 caf\xe9\nb\nc\n", -1, SS_ERROR_FORMAT, "line 1 is not valid UTF-8" },
    { "a\nb\0c\nd\n", 8, SS_ERROR_FORMAT, "line 2 holds a NUL byte" },
  };
  g_autoptr(GError) error = NULL;
  GStrv names;
  int fd;

  g_test_summary ("Labels-file errors are clear GErrors naming the file: wrong count (both "
                  "counts given), empty or blank, not UTF-8 (line given), NUL bytes, missing, "
                  "too large");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_labels (dir, "labels.txt", cases[i].text, cases[i].len);
      g_autoptr(GError) local = NULL;

      names = ss_labels_load (path, 3, NULL, &local);
      g_assert_null (names);
      g_assert_error (local, SS_ERROR, cases[i].code);
      g_assert_nonnull (strstr (local->message, cases[i].needle));
      g_assert_nonnull (strstr (local->message, "labels.txt"));
    }

  names = ss_labels_load (missing, 3, NULL, &error);
  g_assert_null (names);
  g_assert_error (error, SS_ERROR, SS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "missing.txt"));
  g_clear_error (&error);

  /* A sparse file: large without writing 16 MiB. */
  fd = g_open (big, O_CREAT | O_WRONLY, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, SS_LABELS_MAX_BYTES + 1), ==, 0);
  close (fd);
  names = ss_labels_load (big, 3, NULL, &error);
  g_assert_null (names);
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "too large"));
  ss_test_rm_rf (dir);
}

static void
test_labels_folders (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-labels-XXXXXX");
  g_autofree char *labels = write_labels (dir, "labels.txt",
                                          "tench\ngoldfish\ngreat white shark\n", -1);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  const char *subs[] = { "great_white_shark", "Goldfish", "2", "unknown" };
  const int want[] = { 2, 1, 2, -1 };
  g_autoptr(SsPngFolderReport) report = NULL;
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  SsPngFolderOptions opt;

  g_test_summary ("With a labels file, class subfolders match its names (letters and digits, "
                  "any case) or numbers, and the data set carries the names");
  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *sub = g_build_filename (images, subs[i], NULL);
      g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
      copy_fixture (sub, "rgb-up");
    }
  names = ss_labels_load (labels, 3, NULL, &error);
  g_assert_no_error (error);
  ss_png_folder_options_init (&opt, 3, 16, 16, 3);
  opt.class_names = (const char * const *) names;
  opt.resize_shorter = 18;
  ds = ss_dataset_load_png_folder (images, &opt, &report, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_dataset_get_size (ds), ==, 4);
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 2), ==, "great white shark");
  /* Samples are sorted by path: 2/, Goldfish/, great_white_shark/, unknown/. */
  for (gsize i = 0; i < 4; i++)
    {
      /* By the file's folder name, not anywhere in its path: the temporary folder's random
       * name may hold "2". */
      g_autofree char *folder = g_path_get_dirname (g_ptr_array_index (report->files, i));
      g_autofree char *sub = g_path_get_basename (folder);
      gsize matched = 0;

      for (gsize s = 0; s < G_N_ELEMENTS (subs); s++)
        if (g_str_equal (sub, subs[s]))
          {
            matched++;
            g_assert_cmpint (report->labelled[i], ==, want[s] >= 0);
            if (want[s] >= 0)
              g_assert_cmpint (ss_dataset_get_labels (ds)[i], ==, want[s]);
          }
      g_assert_cmpuint (matched, ==, 1);
    }
  g_assert_cmpuint (report->n_labelled, ==, 3);
  ss_test_rm_rf (dir);
}

/* --- the CLI's png:DIR data --------------------------------------------------------------- */

static char *
onnx_fixture (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "onnx", name, NULL);
}

static void
test_cli_png_folder (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-cli-png-XXXXXX");
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *tench = g_build_filename (images, "tench", NULL);
  g_autofree char *three = g_build_filename (images, "3", NULL);
  g_autofree char *labels = write_labels (dir, "labels.txt",
                                          "tench\ngoldfish\nshark\nhen\nostrich\nfinch\nrobin\n"
                                          "jay\nmagpie\nowl\n", -1);
  g_autofree char *short_labels = write_labels (dir, "short.txt", "a\nb\n", -1);
  g_autofree char *model = onnx_fixture ("alexnet-small.onnx");
  g_autofree char *spec = g_strconcat ("png:", images, NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;

  g_test_summary ("supersign-cli eval on a torchvision model imported from ONNX with a folder "
                  "of PNGs: --preprocess imagenet --labels FILE labels the class subfolders; a "
                  "labels file of the wrong length, an unknown --preprocess and --labels with "
                  "a built-in data set are clear errors");
  g_assert_cmpint (g_mkdir (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (tench, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (three, 0755), ==, 0);
  copy_fixture (tench, "gray-imagenet");
  copy_fixture (three, "rgb-far-down");
  copy_fixture (images, "rgb-down");

  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "-m", model, "--data", spec,
                                    "--preprocess", "imagenet", "--labels", labels, "--json",
                                    "--threads", "2", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "3 images, 2 labelled"));
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (o, "images"), ==, 3);
  g_assert_true (isfinite (json_object_get_double_member (o, "loss")));

  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "-m", model, "--data", spec,
                                    "--labels", short_labels, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "names 2 classes, but the model has 10"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "-m", model, "--data", spec,
                                    "--preprocess", "squash", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--preprocess must be"));
  g_assert_cmpint (ss_test_run_cli (&out, &err, "eval", "--labels", labels, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "apply to a folder of images"));
  ss_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/preprocess/torchvision/resize-crop", test_resize_crop_direct);
  g_test_add_func ("/preprocess/torchvision/folder", test_folder_cases);
  g_test_add_func ("/preprocess/torchvision/normalised", test_normalised);
  g_test_add_func ("/preprocess/imagenet-preset", test_imagenet_preset);
  g_test_add_func ("/preprocess/extremes", test_extremes);
  g_test_add_func ("/labels/ok", test_labels_ok);
  g_test_add_func ("/labels/bad", test_labels_bad);
  g_test_add_func ("/labels/folders", test_labels_folders);
  g_test_add_func ("/cli/png-folder", test_cli_png_folder);
  return g_test_run ();
}
