/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Labels wider than a byte (SsLabel, core/ss-labels.h), for ImageNet's 1000 classes: a PNG
 * folder whose class subfolders are named by a 1000-line labels file gives labels ≥ 256
 * (class 999's folder gives 999); the caps are SS_MAX_CLASSES; the loss, spatial MI and Rényi
 * MI of labels ≥ 256 are those of the same classes numbered small; and supersign-cli eval,
 * saliency, entropy and relevance run end to end on a 1000-class ONNX model whose prediction
 * is always class 999, so its accuracy shows which labels were read.
 *
 * Legend: N samples, K classes, C H W an input or a layer's maps. */

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "onnx-writer.h"
#include "ss-dataset-png.h"
#include "ss-error.h"
#include "ss-labels.h"
#include "ss-loss.h"
#include "ss-png.h"
#include "ss-renyi.h"
#include "ss-spatial-mi.h"
#include "ss-test-util.h"

#define K     1000
#define SIDE  32
#define CONVS 4

/* The class names of the labels file: "Species 0" … "Species 999", with two classes named
 * "crane" (600 and 700), as ImageNet names two. Transfer full. */
static GStrv
class_names (void)
{
  GStrv names = g_new0 (char *, K + 1);

  for (int k = 0; k < K; k++)
    names[k] = k == 600 || k == 700 ? g_strdup ("crane") : g_strdup_printf ("Species %d", k);
  return names;
}

/* Writes the labels file into dir. Transfer full: its path. */
static char *
write_labels (const char *dir)
{
  g_auto(GStrv) names = class_names ();
  g_autofree char *text = g_strjoinv ("\n", names);
  char *path = g_build_filename (dir, "labels.txt", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* One gray PNG of SIDE × SIDE in dir/sub (made if needed). */
static void
save_image (const char *dir,
            const char *sub,
            guint8      value)
{
  g_autofree char *folder = g_build_filename (dir, sub, NULL);
  g_autofree char *path = g_build_filename (folder, "a.png", NULL);
  g_autoptr(SsImage) image = ss_image_new (SIDE, SIDE, 3);
  g_autoptr(GError) error = NULL;
  const guint8 rgb[3] = { value, (guint8) (255 - value), 128 };

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  ss_image_fill (image, rgb);
  g_assert_true (ss_png_save (image, path, &error));
  g_assert_no_error (error);
}

/* The folder of the tests, samples in path order: "0" (class 0), "300" (300), "Species 999"
 * (999, by name), "crane" (600, the first of two), "species_512" (512, letters and digits
 * only). */
static const int folder_labels[] = { 0, 300, 999, 600, 512 };

static void
write_folder (const char *dir)
{
  save_image (dir, "0", 10);
  save_image (dir, "300", 60);
  save_image (dir, "Species 999", 110);
  save_image (dir, "crane", 160);
  save_image (dir, "species_512", 210);
}

static void
test_png_folder_1000 (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-wide-XXXXXX");
  g_autofree char *labels_path = write_labels (dir);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autoptr(SsPngFolderReport) report = NULL;
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  SsPngFolderOptions opt;
  int n_names = 0;

  g_test_summary ("A folder of class subfolders named by number, by a 1000-line labels file's "
                  "names (ignoring case and punctuation) and by a name two classes share "
                  "gives labels up to 999 (the first class of a shared name)");
  write_folder (images);
  names = ss_labels_load (labels_path, K, &n_names, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n_names, ==, K);

  ss_png_folder_options_init (&opt, 3, SIDE, SIDE, K);
  opt.class_names = (const char * const *) names;
  ss_png_folder_options_use_imagenet (&opt);
  ds = ss_dataset_load_png_folder (images, &opt, &report, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_dataset_get_n_classes (ds), ==, K);
  g_assert_cmpuint (ss_dataset_get_size (ds), ==, G_N_ELEMENTS (folder_labels));
  g_assert_cmpuint (report->n_labelled, ==, G_N_ELEMENTS (folder_labels));
  for (gsize i = 0; i < G_N_ELEMENTS (folder_labels); i++)
    g_assert_cmpint (ss_dataset_get_labels (ds)[i], ==, folder_labels[i]);
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 999), ==, "Species 999");
  g_assert_cmpstr (ss_dataset_get_class_name (ds, 700), ==, "crane");

  /* A subset and a batch carry the wide labels through. */
  {
    const guint32 idx[2] = { 2, 4 };
    g_autoptr(SsDataset) sub = ss_dataset_subset (ds, idx, 2);
    float x[2 * 3 * SIDE * SIDE];
    SsLabel y[2];

    g_assert_cmpint (ss_dataset_get_labels (sub)[0], ==, 999);
    ss_dataset_fill_batch (ds, x, y, idx, 2, FALSE, NULL);
    g_assert_cmpint (y[0], ==, 999);
    g_assert_cmpint (y[1], ==, 512);
  }
  ss_test_rm_rf (dir);
}

static void
test_caps (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-wide-XXXXXX");
  g_autoptr(GString) many = g_string_new (NULL);
  g_autoptr(SsDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  SsPngFolderOptions opt;
  int n = 0;

  g_test_summary ("Labels files and PNG folders take up to SS_MAX_CLASSES (65536) classes, "
                  "every value of a 16-bit label, and refuse more with a clear message");
  g_assert_cmpint (SS_MAX_CLASSES, ==, 65536);
  g_assert_cmpuint (sizeof (SsLabel), ==, 2);
  for (int k = 0; k < SS_MAX_CLASSES; k++)
    g_string_append_printf (many, "c%d\n", k);
  names = ss_labels_parse (many->str, many->len, "many.txt", 0, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, SS_MAX_CLASSES);
  g_string_append (many, "one too many\n");
  g_assert_null (ss_labels_parse (many->str, many->len, "many.txt", 0, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "more than 65536 classes"));
  g_clear_error (&error);

  save_image (dir, "65535", 1);
  ss_png_folder_options_init (&opt, 3, 8, 8, SS_MAX_CLASSES);
  ds = ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ss_dataset_get_labels (ds)[0], ==, 65535);
  opt.n_classes = SS_MAX_CLASSES + 1;
  g_assert_null (ss_dataset_load_png_folder (dir, &opt, NULL, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "1 to 65536 classes"));
  ss_test_rm_rf (dir);
}

static void
test_loss_high_labels (void)
{
  float logits[2 * K], probs[2 * K], dlogits[2 * K];
  const SsLabel labels[2] = { 999, 300 };
  double want = 0, loss;
  int correct = -1;

  g_test_summary ("Cross-entropy and its gradient at labels ≥ 256 index the right logits");
  ss_test_fill_uniform (logits, 2 * K, -2.f, 2.f, 7);
  logits[999] = 9.f;   /* sample 0's arg-max is its label */
  for (int r = 0; r < 2; r++)
    {
      double sum = 0;
      for (int j = 0; j < K; j++)
        sum += exp ((double) logits[r * K + j]);
      want += log (sum) - logits[r * K + labels[r]];
    }
  loss = ss_softmax_xent_forward (probs, logits, labels, 2, K, &correct);
  g_assert_cmpfloat_with_epsilon (loss, want / 2, 1e-9);
  g_assert_cmpint (correct, ==, 1);
  ss_softmax_xent_backward (dlogits, probs, labels, 2, K, 1.f);
  g_assert_cmpfloat_with_epsilon (dlogits[999], probs[999] - 1.f, 1e-7);
  g_assert_cmpfloat_with_epsilon (dlogits[K + 300], probs[K + 300] - 1.f, 1e-7);
  g_assert_cmpfloat_with_epsilon (dlogits[K + 999], probs[K + 999], 1e-7);
}

static void
test_mi_relabelled (void)
{
  enum { N = 40, C = 3, H = 6, W = 5 };
  g_autofree float *maps = g_new (float, (gsize) N * C * H * W);
  SsLabel small[N], wide[N];
  double a[C], b[C], ra[C], rb[C];
  g_autoptr(GError) error = NULL;

  g_test_summary ("Spatial MI and Rényi MI of classes numbered 3, 300 and 999 out of 1000 "
                  "equal those of the same classes numbered 0, 1, 2 out of 3, bit for bit: "
                  "labels ≥ 256 count, and empty classes add nothing");
  ss_test_fill_uniform (maps, (gsize) N * C * H * W, 0.f, 1.f, 11);
  for (int s = 0; s < N; s++)
    {
      static const SsLabel relabel[3] = { 3, 300, 999 };
      small[s] = (SsLabel) (s % 3);
      wide[s] = relabel[s % 3];
      /* Class 2 brighter in filter 0, so the scores are not all alike. */
      if (s % 3 == 2)
        for (int i = 0; i < H * W; i++)
          maps[((gsize) s * C) * H * W + i] += 0.5f;
    }
  g_assert_true (ss_spatial_mi_layer (a, maps, small, N, C, H, W, 3, 8, 1, NULL, &error));
  g_assert_true (ss_spatial_mi_layer (b, maps, wide, N, C, H, W, K, 8, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_cmpfloat (a[0], >, 0.0);
  g_assert_true (ss_renyi_mi_layer (ra, NULL, maps, small, N, C, H, W, 3, 1.01, 1, NULL,
                                    &error));
  g_assert_true (ss_renyi_mi_layer (rb, NULL, maps, wide, N, C, H, W, K, 1.01, 1, NULL,
                                    &error));
  g_assert_no_error (error);
  for (int f = 0; f < C; f++)
    g_assert_cmpfloat_with_epsilon (ra[f], rb[f], 1e-12);

  wide[0] = K;
  g_assert_false (ss_spatial_mi_layer (b, maps, wide, N, C, H, W, K, 8, 1, NULL, &error));
  g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "label 1000"));
}

/* ---- The CLI on a 1000-class model ---------------------------------------------------------- */

/* conv1 (CONVS 3×3 filters, padding 1) → relu → gap → flatten → fc (K outputs). The fc's bias
 * is 8 for class 999 and 0 for the others, and its weights are small, so every image is
 * predicted 999. Returns the file's bytes. */
static GBytes *
wide_model (void)
{
  static const gint64 in_dims[4] = { -1, 3, SIDE, SIDE }, out_dims[2] = { -1, K };
  static const gint64 w_dims[4] = { CONVS, 3, 3, 3 }, b_dims[1] = { CONVS };
  static const gint64 fc_dims[2] = { K, CONVS }, fcb_dims[1] = { K };
  static const gint64 pads[4] = { 1, 1, 1, 1 };
  GByteArray *m = g_byte_array_new (), *g = g_byte_array_new (), *opset = g_byte_array_new ();
  float w[CONVS * 27], b[CONVS], fc_w[K * CONVS], fc_b[K];

  ss_test_fill_uniform (w, G_N_ELEMENTS (w), -0.2f, 0.2f, 3);
  ss_test_fill_uniform (b, G_N_ELEMENTS (b), 0.f, 0.1f, 4);
  ss_test_fill_uniform (fc_w, G_N_ELEMENTS (fc_w), -0.05f, 0.05f, 5);
  for (int k = 0; k < K; k++)
    fc_b[k] = k == 999 ? 8.f : 0.f;
  pbw_msg (g, 1, pbw_node ("Conv", "conv", "x,conv1.weight,conv1.bias", "c",
                           pbw_attr_ints ("pads", pads, 4), NULL));
  pbw_msg (g, 1, pbw_node ("Relu", "relu", "c", "r", NULL));
  pbw_msg (g, 1, pbw_node ("GlobalAveragePool", "gap", "r", "p", NULL));
  pbw_msg (g, 1, pbw_node ("Flatten", "flatten", "p", "f", NULL));
  pbw_msg (g, 1, pbw_node ("Gemm", "fc", "f,fc.weight,fc.bias", "y",
                           pbw_attr_int ("transB", 1), NULL));
  pbw_str (g, 2, "wide");
  pbw_msg (g, 5, pbw_tensor_f32 ("conv1.weight", w_dims, 4, w));
  pbw_msg (g, 5, pbw_tensor_f32 ("conv1.bias", b_dims, 1, b));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.weight", fc_dims, 2, fc_w));
  pbw_msg (g, 5, pbw_tensor_f32 ("fc.bias", fcb_dims, 1, fc_b));
  pbw_msg (g, 11, pbw_value_info ("x", in_dims, 4));
  pbw_msg (g, 12, pbw_value_info ("y", out_dims, 2));
  pbw_int (m, 1, 8);
  pbw_str (m, 2, "test-labels-wide");
  pbw_msg (m, 7, g);
  pbw_str (opset, 1, "");
  pbw_int (opset, 2, 13);
  pbw_msg (m, 8, opset);
  return g_byte_array_free_to_bytes (m);
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_cli_1000 (void)
{
  g_autofree char *dir = ss_test_make_tmp_dir ("ss-wide-cli-XXXXXX");
  g_autofree char *labels = write_labels (dir);
  g_autofree char *model = g_build_filename (dir, "wide.onnx", NULL);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *data = g_strconcat ("png:", images, NULL);
  g_autofree char *maps = g_build_filename (dir, "maps", NULL);
  g_autofree char *csv_path = g_build_filename (maps, "grid.csv", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL;
  g_autoptr(GBytes) bytes = wide_model ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  JsonObject *root;
  const char *common[] = { "--model", model, "--data", data, "--preprocess", "imagenet",
                           "--labels", labels, "--no-history", "--json" };

  g_test_summary ("supersign-cli eval, saliency (with --target true), entropy and relevance "
                  "run on a 1000-class ONNX model and a PNG folder named by a 1000-line labels "
                  "file; eval's accuracy is 1/5, the share of images labelled 999, the class "
                  "the model always predicts");
  g_assert_true (g_file_set_contents (model, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), NULL));
  write_folder (images);

#define RUN(...) \
  ({ const char *args_[] = { __VA_ARGS__, common[0], common[1], common[2], common[3], \
                             common[4], common[5], common[6], common[7], common[8], common[9], \
                             NULL }; \
     ss_test_run_cli_argv (&out, &err, args_); })

  g_assert_cmpint (RUN ("eval"), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpint (json_object_get_int_member (root, "images"), ==, 5);
  g_assert_cmpfloat (json_object_get_double_member (root, "accuracy"), ==, 0.2);

  g_assert_cmpint (RUN ("saliency", "--samples", "0,2,4", "--target", "true", "--layers",
                        "conv1,relu", "--out-dir", maps), ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (g_strstrip (csv), "\n", -1);
  /* Header, then 3 samples × (input, vanilla, 2 layers); the label column is the third. */
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 * 4);
  g_assert_true (g_str_has_prefix (lines[5], "1,0,2,999,999,"));
  g_assert_true (g_str_has_prefix (lines[9], "2,0,4,512,512,"));

  g_assert_cmpint (RUN ("entropy", "--samples", "5"), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "layers")), >=,
                    2);

  g_assert_cmpint (RUN ("relevance", "--samples", "5", "--layers", "conv1"), ==, 0);
  root = parse_object (parser, out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "layers")), ==,
                    1);
#undef RUN
  ss_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/labels-wide/png-folder-1000", test_png_folder_1000);
  g_test_add_func ("/labels-wide/caps", test_caps);
  g_test_add_func ("/labels-wide/loss", test_loss_high_labels);
  g_test_add_func ("/labels-wide/mi-relabelled", test_mi_relabelled);
  g_test_add_func ("/labels-wide/cli-1000", test_cli_1000);
  return g_test_run ();
}
