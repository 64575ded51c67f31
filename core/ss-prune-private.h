/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by ss-prune.c and ss-prune-remove.c: the dependency analysis behind ss_prune_groups. */

#include "ss-prune.h"

G_BEGIN_DECLS

typedef struct {
  int     n_nodes;
  int    *group;    /* (n_nodes + 1) index into groups of the channels each node's output
                     * carries, -1 if no conv writes them; slot n_nodes is the network input */
  int    *block;    /* (n_nodes + 1) values per group channel along the output's channel axis */
  GArray *groups;   /* SsPruneGroup */
} SsDeps;

/* The groups of arch, whose shapes are inferred. Transfer full. */
SsDeps *ss_deps_new            (const SsArch *arch);
void    ss_deps_free           (SsDeps *deps);

/* arch's name with "-pruned" appended once. Transfer full. */
char   *ss_prune_derived_name  (const SsArch *arch);

G_END_DECLS
