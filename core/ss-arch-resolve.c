/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Layer names and PyTorch module paths (ss-arch-resolve.h). */

#include <string.h>

#include "ss-arch-resolve.h"
#include "ss-error.h"

/* At most this many suggestions in a message: more is a list to read, not a hint. */
#define MAX_SUGGESTIONS 5

gboolean
ss_module_path_contains (const char *module_path,
                         const char *layer_name)
{
  gsize len;
  const char *rest;

  g_return_val_if_fail (module_path != NULL && layer_name != NULL, FALSE);

  len = strlen (module_path);
  if (len == 0 || strncmp (layer_name, module_path, len) != 0)
    return FALSE;
  rest = layer_name + len;
  /* torch names the second call of a module "relu_1", and its scope "relu_1" too. */
  if (rest[0] == '_' && g_ascii_isdigit (rest[1]))
    for (rest++; g_ascii_isdigit (*rest); rest++)
      ;
  return rest[0] == '\0' || rest[0] == '.';
}

/* Edit distance between a and b in bytes, two rows of the usual table. */
static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *prev = g_new (guint, lb + 1), *cur = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    prev[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint *swap;

      cur[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
          cur[j] = MIN (sub, MIN (prev[j], cur[j - 1]) + 1);
        }
      swap = prev, prev = cur, cur = swap;
    }
  return prev[lb];
}

typedef struct {
  const char *name;   /* borrowed from the candidate set */
  guint       distance;
  guint       order;  /* first appearance, so ties follow the network's order */
} Suggestion;

static int
suggestion_compare (gconstpointer pa,
                    gconstpointer pb)
{
  const Suggestion *a = pa, *b = pb;

  if (a->distance != b->distance)
    return a->distance < b->distance ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

/* Adds candidate to set and order (once). set owns the strings. */
static void
add_candidate (GHashTable *set,
               GPtrArray  *order,
               char       *candidate)
{
  if (g_hash_table_contains (set, candidate))
    {
      g_free (candidate);
      return;
    }
  g_hash_table_add (set, candidate);
  g_ptr_array_add (order, candidate);
}

/* "“a”, “b” or “c”": the names (and the module paths above them) closest to name, at most
 * MAX_SUGGESTIONS, or NULL when none is close. Transfer full. */
static char *
close_names (const char *const *names,
             int                n,
             const char        *name)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GArray) close = g_array_new (FALSE, FALSE, sizeof (Suggestion));
  const guint limit = MAX (2, (guint) strlen (name) / 3);
  GString *out;

  for (int i = 0; i < n; i++)
    {
      const char *dot, *under;

      /* The modules above the layer: "layer1", "layer1.0" for "layer1.0.conv1". */
      for (dot = strchr (names[i], '.'); dot != NULL; dot = strchr (dot + 1, '.'))
        add_candidate (set, order, g_strndup (names[i], (gsize) (dot - names[i])));
      add_candidate (set, order, g_strdup (names[i]));
      /* A second call's module: "layer1.0.relu" for "layer1.0.relu_1". */
      under = strrchr (names[i], '_');
      if (under != NULL && under > names[i] && strchr (under, '.') == NULL &&
          under[1] != '\0' && strspn (under + 1, "0123456789") == strlen (under + 1))
        add_candidate (set, order, g_strndup (names[i], (gsize) (under - names[i])));
    }
  for (guint i = 0; i < order->len; i++)
    {
      Suggestion s = { order->pdata[i], edit_distance (name, order->pdata[i]), i };
      if (s.distance <= limit)
        g_array_append_val (close, s);
    }
  if (close->len == 0)
    return NULL;
  g_array_sort (close, suggestion_compare);
  g_array_set_size (close, MIN (close->len, MAX_SUGGESTIONS));
  out = g_string_new (NULL);
  for (guint i = 0; i < close->len; i++)
    g_string_append_printf (out, "%s“%s”", i == 0 ? "" : i + 1 == close->len ? " or " : ", ",
                            g_array_index (close, Suggestion, i).name);
  return g_string_free (out, FALSE);
}

int
ss_layer_names_resolve (const char *const *names,
                        int                n,
                        const char        *name,
                        const char        *owner,
                        GError           **error)
{
  g_autofree char *close = NULL;

  g_return_val_if_fail (names != NULL || n == 0, -1);
  g_return_val_if_fail (n >= 0, -1);
  g_return_val_if_fail (name != NULL && owner != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  for (int i = 0; i < n; i++)
    if (g_str_equal (names[i], name))
      return i;
  /* The module's output is its last layer's: the last one inside it, in network order. */
  for (int i = n - 1; i >= 0; i--)
    if (ss_module_path_contains (name, names[i]))
      return i;

  if (*name == '\0')
    {
      g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                   "%s: an empty layer name (two commas in a row?); layers are named like “%s”",
                   owner, n > 0 ? names[0] : "conv1");
      return -1;
    }
  close = close_names (names, n, name);
  if (close != NULL)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "%s: no layer or module named “%s”; did you mean %s?", owner, name, close);
  else if (n > 0)
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT,
                 "%s: no layer or module named “%s” (the %d layers run from “%s” to “%s”; "
                 "“supersign-cli info” lists them)", owner, name, n, names[0], names[n - 1]);
  else
    g_set_error (error, SS_ERROR, SS_ERROR_ARGUMENT, "%s: no layers, so none named “%s”",
                 owner, name);
  return -1;
}

/* The node names of arch, borrowed from it. Transfer container. */
static const char **
node_names (const SsArch *arch)
{
  const int n = ss_arch_get_n_nodes (arch);
  const char **names = g_new (const char *, MAX (n, 1));

  for (int i = 0; i < n; i++)
    names[i] = ss_arch_get_node (arch, i)->name;
  return names;
}

char *
ss_arch_suggest_layers (const SsArch *arch,
                        const char   *name)
{
  g_autofree const char **names = NULL;

  g_return_val_if_fail (arch != NULL && name != NULL, NULL);

  names = node_names (arch);
  return close_names (names, ss_arch_get_n_nodes (arch), name);
}

int
ss_arch_resolve_layer (const SsArch  *arch,
                       const char    *name,
                       GError       **error)
{
  g_autofree const char **names = NULL;
  int node;

  g_return_val_if_fail (arch != NULL && name != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  /* The common case, an exact name, without building the list. */
  if ((node = ss_arch_find_node (arch, name)) >= 0)
    return node;
  names = node_names (arch);
  return ss_layer_names_resolve (names, ss_arch_get_n_nodes (arch), name,
                                 ss_arch_get_name (arch), error);
}
