/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Grouped and dilated convolutions above the kernel (which test-layers*.c check against PyTorch
 * and finite differences): shape inference, counts, the JSON keys, model files, the fused
 * prediction, and pruning's refusal to split tied channels.
 * Legend: N batch, K classes. */

#include <string.h>

#include "ss-arch.h"
#include "ss-error.h"
#include "ss-model-file.h"
#include "ss-net.h"
#include "ss-prune.h"
#include "ss-test-util.h"

/* A depthwise-separable stack: stem, a dilated depthwise conv, a pointwise conv, a strided
 * 3-group conv, then a plain conv that only a linear layer reads. */
static const char *grouped_json =
  "{ \"name\": \"grouped\", \"input\": [3, 16, 16], \"classes\": 4, \"layers\": ["
  "  { \"type\": \"conv\", \"name\": \"stem\", \"out\": 8, \"kernel\": 3, \"padding\": 1 },"
  "  { \"type\": \"batchnorm\", \"name\": \"bn0\" }, { \"type\": \"relu\" },"
  "  { \"type\": \"conv\", \"name\": \"dw\", \"out\": 8, \"kernel\": 3, \"padding\": 2,"
  "    \"dilation\": 2, \"groups\": 8, \"bias\": false },"
  "  { \"type\": \"batchnorm\", \"name\": \"bn1\" }, { \"type\": \"relu\" },"
  "  { \"type\": \"conv\", \"name\": \"pw\", \"out\": 12, \"kernel\": 1 },"
  "  { \"type\": \"batchnorm\", \"name\": \"bn2\" }, { \"type\": \"relu\" },"
  "  { \"type\": \"conv\", \"name\": \"g3\", \"out\": 12, \"kernel\": 3, \"stride\": 2,"
  "    \"padding\": 1, \"groups\": 3 },"
  "  { \"type\": \"relu\" },"
  "  { \"type\": \"conv\", \"name\": \"free\", \"out\": 6, \"kernel\": 3, \"padding\": 1 },"
  "  { \"type\": \"relu\" },"
  "  { \"type\": \"global-avgpool\" }, { \"type\": \"flatten\" },"
  "  { \"type\": \"linear\", \"name\": \"fc\", \"out\": 4 } ] }";

static SsArch *
grouped_arch (void)
{
  g_autoptr(GError) error = NULL;
  SsArch *arch = ss_arch_new_from_json (grouped_json, -1, &error);
  g_assert_no_error (error);
  return arch;
}

static const SsNode *
node_named (const SsArch *arch,
            const char   *name)
{
  int i = ss_arch_find_node (arch, name);
  g_assert_cmpint (i, >=, 0);
  return ss_arch_get_node (arch, i);
}

static void
test_shapes (void)
{
  g_autoptr(SsArch) arch = grouped_arch ();
  g_autoptr(SsArch) again = NULL;
  g_autoptr(SsArch) plain = ss_arch_new_builtin ("resnet20", 3, 32, 32, 10, NULL);
  g_autofree char *json = ss_arch_to_json (arch);
  g_autofree char *json2 = NULL, *plain_json = ss_arch_to_json (plain);
  g_autoptr(GError) error = NULL;

  g_test_summary ("groups and dilation are read from JSON, shape the outputs (a dilated kernel "
                  "spans (K - 1)·D + 1), count (O, C/G, K, K) weights and O·OH·OW·(C/G)·K·K "
                  "MACs, and are written back only when not 1.");
  g_assert_cmpint (node_named (arch, "dw")->groups, ==, 8);
  g_assert_cmpint (node_named (arch, "dw")->dilation, ==, 2);
  g_assert_cmpint (node_named (arch, "stem")->groups, ==, 1);
  g_assert_cmpint (node_named (arch, "stem")->dilation, ==, 1);
  g_assert_cmpint (node_named (arch, "dw")->h, ==, 16);   /* 16 + 4 - 5 + 1 */
  g_assert_cmpint (node_named (arch, "g3")->h, ==, 8);
  g_assert_cmpint (ss_arch_node_params (arch, ss_arch_find_node (arch, "dw")), ==, 8 * 1 * 9);
  g_assert_cmpint (ss_arch_node_params (arch, ss_arch_find_node (arch, "g3")), ==,
                   12 * 4 * 9 + 12);
  g_assert_cmpint (ss_arch_node_macs (arch, ss_arch_find_node (arch, "dw")), ==, 8 * 256 * 9);
  g_assert_cmpint (ss_arch_node_macs (arch, ss_arch_find_node (arch, "g3")), ==,
                   12 * 64 * 4 * 9);
  /* 224 + 16 + 72 + 16 + 108 + 24 + 444 + 654 + 28 */
  g_assert_cmpint (ss_arch_total_params (arch), ==, 1586);
  /* 55296 + 18432 + 24576 + 27648 + 41472 + 24 */
  g_assert_cmpint (ss_arch_total_macs (arch), ==, 167448);

  g_assert_nonnull (strstr (json, "\"groups\":8"));
  g_assert_nonnull (strstr (json, "\"dilation\":2"));
  g_assert_null (strstr (plain_json, "groups"));
  g_assert_null (strstr (plain_json, "dilation"));
  again = ss_arch_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  json2 = ss_arch_to_json (again);
  g_assert_cmpstr (json2, ==, json);
}

typedef struct {
  const char *layer;   /* the JSON of one layer after a 6-channel stem */
  const char *message; /* a fragment the error must contain */
} BadCase;

static const BadCase bad_cases[] = {
  { "{ \"type\": \"conv\", \"name\": \"c\", \"out\": 8, \"kernel\": 3, \"groups\": 4 }",
    "6 input channels and 8 filters into 4 groups" },
  { "{ \"type\": \"conv\", \"name\": \"c\", \"out\": 4, \"kernel\": 3, \"groups\": 3 }",
    "multiples of the number of groups" },
  { "{ \"type\": \"conv\", \"name\": \"c\", \"out\": 6, \"kernel\": 3, \"groups\": 0 }",
    "“groups” is 0" },
  { "{ \"type\": \"conv\", \"name\": \"c\", \"out\": 6, \"kernel\": 3, \"dilation\": 0 }",
    "“dilation” is 0" },
  { "{ \"type\": \"conv\", \"name\": \"c\", \"out\": 6, \"kernel\": 3, \"dilation\": 5 }",
    "spans 11×11" },
  { "{ \"type\": \"maxpool\", \"kernel\": 2, \"dilation\": 2 }",
    "only conv layers have “groups” and “dilation”" },
  { "{ \"type\": \"residual\", \"name\": \"r\", \"out\": 6, \"groups\": 2 }",
    "only conv layers" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *bc = data;
  g_autofree char *json = g_strdup_printf (
    "{ \"input\": [1, 8, 8], \"classes\": 2, \"layers\": ["
    "  { \"type\": \"conv\", \"name\": \"stem\", \"out\": 6, \"kernel\": 1 }, %s,"
    "  { \"type\": \"global-avgpool\" }, { \"type\": \"flatten\" },"
    "  { \"type\": \"linear\", \"name\": \"fc\", \"out\": 2 } ] }", bc->layer);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsArch) arch = ss_arch_new_from_json (json, -1, &error);

  g_test_summary ("Groups that do not divide the channels or filters, groups or dilation below "
                  "1, a dilated kernel wider than the padded input, and groups or dilation on "
                  "another layer type are SS_ERROR_ARCH with a message saying so.");
  g_assert_null (arch);
  g_assert_error (error, SS_ERROR, SS_ERROR_ARCH);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, bc->message));
}

static void
test_net (void)
{
  g_autoptr(SsArch) arch = grouped_arch ();
  g_autoptr(SsNet) net = ss_net_new (arch, 3);
  g_autoptr(SsNet) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_make_tmp_dir ("groups-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "grouped.safetensors", NULL);
  g_autofree char *json = NULL, *json_back = NULL;
  const int n = 3, k = 4;
  g_autofree float *x = g_new (float, n * 3 * 16 * 16);
  int p = ss_net_find_param (net, "dw.weight");

  g_test_summary ("A grouped conv's weight is (O, C/G, K, K); model files keep groups and "
                  "dilation; prediction (fused, one image over two threads) equals the "
                  "evaluation forward bit for bit.");
  g_assert_cmpint (p, >=, 0);
  g_assert_cmpint (ss_net_get_param_info (net, p)->shape[1], ==, 1);
  g_assert_cmpint (ss_net_get_param_info (net, ss_net_find_param (net, "g3.weight"))->shape[1],
                   ==, 4);
  ss_test_fill_uniform (x, n * 3 * 16 * 16, -1.f, 1.f, 9);

  g_assert_true (ss_model_save (net, path, NULL, &error));
  g_assert_no_error (error);
  back = ss_model_load (path, NULL, &error);
  g_assert_no_error (error);
  json = ss_arch_to_json (ss_net_get_arch (net));
  json_back = ss_arch_to_json (ss_net_get_arch (back));
  g_assert_cmpstr (json_back, ==, json);

  for (int nt = 1; nt <= 2; nt++)
    for (int batch = 1; batch <= n; batch += n - 1)
      {
        g_autofree float *eval = NULL;
        ss_net_set_n_threads (net, nt);
        ss_net_set_n_threads (back, nt);
        eval = g_memdup2 (ss_net_forward (net, x, batch, SS_MODE_EVAL, NULL),
                          sizeof (float) * batch * k);
        g_assert_cmpmem (ss_net_predict (net, x, batch), sizeof (float) * batch * k, eval,
                         sizeof (float) * batch * k);
        g_assert_cmpmem (ss_net_predict (back, x, batch), sizeof (float) * batch * k, eval,
                         sizeof (float) * batch * k);
      }
  ss_test_rm_rf (dir);
}

static void
test_prune (void)
{
  g_autoptr(SsArch) arch = grouped_arch ();
  g_autoptr(GArray) groups = ss_prune_groups (arch);
  g_autoptr(SsNet) net = ss_net_new (arch, 1);
  g_autoptr(SsNet) pruned = NULL;
  g_autoptr(GError) error = NULL;
  const char *tied[] = { "stem", "dw", "pw", "g3" };
  const int filters[] = { 0 };

  g_test_summary ("Channels a grouped or depthwise conv reads or writes are tied in groups: "
                  "pruning them is refused with the reason; other layers still prune.");
  for (gsize i = 0; i < G_N_ELEMENTS (tied); i++)
    {
      int k = ss_prune_groups_find (groups, ss_arch_find_node (arch, tied[i]));
      const SsPruneGroup *g = &g_array_index (groups, SsPruneGroup, k);
      g_assert_false (g->prunable);
      g_assert_nonnull (strstr (g->reason, "grouped or depthwise"));
      g_assert_null (ss_prune_filters (net, tied[i], filters, 1, &error));
      g_assert_error (error, SS_ERROR, SS_ERROR_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "grouped or depthwise"));
      g_clear_error (&error);
    }
  pruned = ss_prune_filters (net, "free", filters, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (node_named (ss_net_get_arch (pruned), "free")->out, ==, 5);
  g_assert_cmpint (node_named (ss_net_get_arch (pruned), "dw")->groups, ==, 8);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/arch-groups/shapes", test_shapes);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/arch-groups/bad/%" G_GSIZE_FORMAT, i);
      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }
  g_test_add_func ("/arch-groups/net", test_net);
  g_test_add_func ("/arch-groups/prune", test_prune);
  return g_test_run ();
}
