/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* libFuzzer target for the ONNX importer (core/ss-onnx.h, ss_onnx_load_from_data without a
 * folder, so external data is refused): the protobuf reader, the graph conversion and the
 * weights' checks. An imported network small enough to run (at most 2^18 activations per
 * sample) also runs one forward pass on a zero image, so that odd but accepted shapes reach
 * the kernels. Built only with -Dfuzzing=true (tests/fuzz/meson.build); quickstart.sh test runs
 * it for a fixed time on a copy of tests/fuzz/corpus-onnx (small models from tests/data/onnx).
 * A crash, a sanitizer report, a leak or a broken promise below (abort) is a finding. */

#include <stdint.h>
#include <stdlib.h>

#include "ss-onnx.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsNet) net = ss_onnx_load_from_data (data, size, NULL, NULL, &error);
  g_autofree float *x = NULL;
  const SsArch *arch;
  gsize activations = 0;
  int c, h, w;

  /* The promise: a network or an error with a message, never both nor neither. */
  if ((net == NULL) == (error == NULL) || (error != NULL && error->message[0] == '\0'))
    abort ();
  if (net == NULL)
    return 0;
  arch = ss_net_get_arch (net);
  ss_arch_get_input (arch, &c, &h, &w);
  for (int i = 0; i < ss_arch_get_n_nodes (arch); i++)
    {
      const SsNode *node = ss_arch_get_node (arch, i);
      activations += (gsize) node->c * node->h * node->w;
    }
  if (activations + (gsize) c * h * w > (1 << 18))
    return 0;
  ss_net_set_n_threads (net, 1);
  x = g_new0 (float, (gsize) c * h * w);
  if (ss_net_predict (net, x, 1) == NULL)
    abort ();
  return 0;
}
