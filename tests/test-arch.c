/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ss-arch.h"
#include "ss-error.h"

typedef struct {
  const char *name;
  int c, h, w;
  gint64 params;
  gint64 macs;     /* -1: not stated by a source, only checked positive */
  int n_convs;
} BuiltinCase;

/* Parameter counts: SPEC §9 for fmnist-vgg and resnet20; the others counted by PyTorch
 * (sum of numel over parameters()) for the same modules, BN affine terms included. */
static const BuiltinCase builtin_cases[] = {
  { "fmnist-vgg", 1, 28, 28, 468202, 18691840, 4 },
  /* 6·25+6 + 16·6·25+16 + 400·120+120 + 120·84+84 + 84·10+10 */
  { "lenet5", 1, 28, 28, 61706, -1, 2 },
  { "resnet20", 3, 32, 32, 272474, -1, 21 },
  { "resnet56", 3, 32, 32, 855770, -1, 57 },
  { "resnet110", 3, 32, 32, 1730714, -1, 111 },
  { "vgg11", 3, 32, 32, 9231114, -1, 8 },
  { "vgg16", 3, 32, 32, 14728266, -1, 13 },
};

static void
test_builtin_counts (gconstpointer data)
{
  const BuiltinCase *bc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin (bc->name, bc->c, bc->h, bc->w, 10, &error);
  int n_convs = 0;

  g_test_summary ("Built-in architectures have the published parameter counts (and MACs where "
                  "SPEC gives them).");
  g_assert_no_error (error);
  g_assert_cmpint (ss_arch_total_params (arch), ==, bc->params);
  if (bc->macs >= 0)
    g_assert_cmpint (ss_arch_total_macs (arch), ==, bc->macs);
  else
    g_assert_cmpint (ss_arch_total_macs (arch), >, 0);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    n_convs += ss_arch_get_node (arch, i)->op == SS_OP_CONV;
  g_assert_cmpint (n_convs, ==, bc->n_convs);
}

static void
test_fmnist_vgg_layout (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("fmnist-vgg", 1, 28, 28, 10, NULL);
  const char *names[] = { "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "pool1", "conv3",
                          "bn3", "relu3", "conv4", "bn4", "relu4", "pool2", "flatten", "fc1",
                          "relu5", "fc2" };
  g_test_summary ("fmnist-vgg has SPEC §9's layers, names and shapes.");
  g_assert_cmpint (ss_arch_get_n_nodes (arch), ==, G_N_ELEMENTS (names));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (ss_arch_get_node (arch, (int) i)->name, ==, names[i]);
  g_assert_cmpint (ss_arch_get_node (arch, 6)->c, ==, 32);
  g_assert_cmpint (ss_arch_get_node (arch, 6)->h, ==, 14);
  g_assert_cmpint (ss_arch_get_node (arch, 13)->h, ==, 7);
  g_assert_cmpint (ss_arch_get_node (arch, 14)->c, ==, 3136);
  /* conv2: 32 filters × 28·28 positions × 32·3·3 */
  g_assert_cmpint (ss_arch_node_macs (arch, 3), ==, 32 * 784 * 288);
}

static void
test_resnet_shortcuts (void)
{
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet20", 3, 32, 32, 10, NULL);
  int ds = ss_arch_find_node (arch, "layer2.0.downsample.0");
  int add = ss_arch_find_node (arch, "layer2.0.add");
  int add1 = ss_arch_find_node (arch, "layer1.1.add");
  const SsNode *node;

  g_test_summary ("ResNet blocks: projection shortcut where the shape changes, identity else.");
  g_assert_cmpint (ds, >, 0);
  node = ss_arch_get_node (arch, ds);
  g_assert_cmpint (node->kernel, ==, 1);
  g_assert_cmpint (node->stride, ==, 2);
  g_assert_cmpstr (ss_arch_get_node (arch, node->inputs[0])->name, ==, "layer1.2.relu2");
  node = ss_arch_get_node (arch, add);
  g_assert_cmpstr (ss_arch_get_node (arch, node->inputs[0])->name, ==, "layer2.0.bn2");
  g_assert_cmpstr (ss_arch_get_node (arch, node->inputs[1])->name, ==, "layer2.0.downsample.1");
  node = ss_arch_get_node (arch, add1);
  g_assert_cmpstr (ss_arch_get_node (arch, node->inputs[1])->name, ==, "layer1.0.relu2");
  g_assert_cmpint (ss_arch_find_node (arch, "layer1.0.downsample.0"), ==, -1);
  g_assert_cmpint (ss_arch_get_node (arch, ss_arch_find_node (arch, "layer3.2.relu2"))->h, ==, 8);
}

static void
test_json_round_trip (gconstpointer data)
{
  const BuiltinCase *bc = data;
  g_autoptr(SsArch) arch = ss_arch_new_builtin (bc->name, bc->c, bc->h, bc->w, 10, NULL);
  g_autofree char *json = ss_arch_to_json (arch);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) back = ss_arch_new_from_json (json, -1, &error);
  g_autofree char *json2 = NULL;

  g_test_summary ("An architecture written as JSON reads back to the same nodes.");
  g_assert_no_error (error);
  json2 = ss_arch_to_json (back);
  g_assert_cmpstr (json, ==, json2);
  g_assert_cmpint (ss_arch_total_params (back), ==, bc->params);
}

static void
test_json_user_written (void)
{
  const char *json =
    "{ \"name\": \"tiny\", \"input\": [1, 28, 28], \"classes\": 10, \"layers\": ["
    "  { \"type\": \"conv\", \"name\": \"c1\", \"out\": 8, \"kernel\": 3, \"padding\": 1 },"
    "  { \"type\": \"batchnorm\", \"name\": \"b1\" },"
    "  { \"type\": \"relu\" },"
    "  { \"type\": \"residual\", \"name\": \"block\", \"out\": 16, \"stride\": 2 },"
    "  { \"type\": \"avgpool\", \"kernel\": 2 },"
    "  { \"type\": \"global-avgpool\" },"
    "  { \"type\": \"flatten\" },"
    "  { \"type\": \"dropout\", \"p\": 0.25 },"
    "  { \"type\": \"linear\", \"name\": \"fc\", \"out\": 10, \"bias\": false } ] }";
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (json, -1, &error);
  int pool;

  g_test_summary ("A hand-written description with a residual block and defaults parses.");
  g_assert_no_error (error);
  pool = ss_arch_find_node (arch, "avgpool1");
  g_assert_cmpint (pool, >, 0);
  g_assert_cmpint (ss_arch_get_node (arch, pool)->stride, ==, 2);  /* defaults to the kernel */
  g_assert_cmpint (ss_arch_get_node (arch, pool)->h, ==, 7);
  g_assert_cmpint (ss_arch_find_node (arch, "block.downsample.0"), >, 0);
  g_assert_cmpint (ss_arch_find_node (arch, "relu1"), >, 0);
  /* c1 80 + b1 16 + block: 16·8·9 + 32 + 16·16·9 + 32 + 16·8 + 32 = 3680 + fc 160 */
  g_assert_cmpint (ss_arch_total_params (arch), ==, 80 + 16 + 3680 + 160);
}

typedef struct {
  const char *json;
  const char *message_part;
} BadJson;

static const BadJson bad_json[] = {
  { "{", "not valid JSON" },
  { "[1]", "must be a JSON object" },
  { "{\"classes\": 10, \"layers\": []}", "input" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": []}", "layers" },
  { "{\"input\": [1, 28, 28], \"classes\": 1, \"layers\": [{\"type\":\"relu\"}]}", "classes" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": [{\"type\":\"lstm\"}]}",
    "unknown layer type “lstm”" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"conv\",\"out\":4,\"kernel\":3,\"strides\":2}]}", "unknown field “strides”" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"conv\",\"out\":4,\"kernel\":31}]}", "does not fit" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"conv\",\"out\":-4,\"kernel\":3}]}", "between" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"linear\",\"out\":10}]}", "flat input" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"flatten\"},{\"type\":\"linear\",\"out\":5}]}", "there are 10 classes" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"relu\",\"name\":\"a\"},{\"type\":\"relu\",\"name\":\"a\"}]}", "used twice" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"add\",\"inputs\":[\"input\",\"nowhere\"]}]}", "not an earlier layer" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"conv\",\"name\":\"c\",\"out\":2,\"kernel\":1},"
    "{\"type\":\"add\",\"inputs\":[\"input\",\"c\"]}]}", "adds a" },
  { "{\"input\": [1, 28, 28], \"classes\": 10, \"layers\": "
    "[{\"type\":\"dropout\",\"p\":1.5}]}", "[0, 1)" },
  { "{\"input\": [1, 99999999, 28], \"classes\": 10, \"layers\": [{\"type\":\"relu\"}]}",
    "between 1 and 16384" },
};

static void
test_json_bad (gconstpointer data)
{
  const BadJson *bad = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (bad->json, -1, &error);

  g_test_summary ("Invalid descriptions give SS_ERROR_ARCH with a message naming the problem.");
  g_assert_null (arch);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, bad->message_part));
}

static void
test_unknown_builtin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_builtin ("resnet21", 3, 32, 32, 10, &error);
  g_test_summary ("An unknown architecture name is an error that lists the known ones.");
  g_assert_null (arch);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_assert_nonnull (strstr (error->message, "resnet21"));
  g_assert_nonnull (strstr (error->message, "fmnist-vgg"));

  g_clear_error (&error);
  arch = ss_arch_new_builtin ("vgg16", 1, 16, 16, 10, &error);
  g_assert_null (arch);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_assert_nonnull (strstr (error->message, "does not fit"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_cases); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/arch/builtin/counts/%s", builtin_cases[i].name);
      g_autofree char *p2 = g_strdup_printf ("/arch/json/round-trip/%s", builtin_cases[i].name);
      g_test_add_data_func (p1, &builtin_cases[i], test_builtin_counts);
      g_test_add_data_func (p2, &builtin_cases[i], test_json_round_trip);
    }
  g_test_add_func ("/arch/builtin/fmnist-vgg-layout", test_fmnist_vgg_layout);
  g_test_add_func ("/arch/builtin/resnet-shortcuts", test_resnet_shortcuts);
  g_test_add_func ("/arch/builtin/unknown", test_unknown_builtin);
  g_test_add_func ("/arch/json/user-written", test_json_user_written);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_json); i++)
    {
      g_autofree char *path = g_strdup_printf ("/arch/json/bad/%" G_GSIZE_FORMAT, i);
      g_test_add_data_func (path, &bad_json[i], test_json_bad);
    }
  return g_test_run ();
}
