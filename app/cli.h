/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* supersign-cli: the command-line face of the core library. Each subcommand lives in its own
 * file and shares the option handling and output helpers here. */

#include <json-glib/json-glib.h>

#include "ss-dataset.h"
#include "ss-net.h"

G_BEGIN_DECLS

typedef struct {
  char    *model;          /* --model NAME|FILE */
  char    *weights;        /* --weights FILE: a state_dict for the named architecture */
  char    *data;           /* --data SPEC */
  int      epochs;
  int      batch;
  double   lr;
  char    *schedule;
  gint64   seed;
  int      threads;
  char    *out;
  gboolean json;
  int      subset;         /* train on the first N training images (0 = all) */
  gboolean augment;
  double   momentum;
  double   weight_decay;
  gboolean nesterov;
  int      iterations;     /* bench */
  int      infer_batch;    /* bench */
} CliOptions;

typedef int (*CliCommand) (CliOptions *opts, int argc, char **argv);

int  cli_info  (CliOptions *opts, int argc, char **argv);
int  cli_train (CliOptions *opts, int argc, char **argv);
int  cli_eval  (CliOptions *opts, int argc, char **argv);
int  cli_bench (CliOptions *opts, int argc, char **argv);
int  cli_saliency (CliOptions *opts, int argc, char **argv);
/* bench --ame (cli-bench-ame.c): AME throughput and the layer profile's time. */
int  cli_bench_ame (CliOptions *opts, int profile_repeats, gboolean phases);
int  cli_entropy (CliOptions *opts, int argc, char **argv);
int  cli_infoplane (CliOptions *opts, int argc, char **argv);

/* Parses the options common to every subcommand plus extra (may be NULL) from argv; prints the
 * error and returns FALSE on bad usage. */
gboolean   cli_parse_options (CliOptions *opts, const char *command, const char *summary,
                              const GOptionEntry *extra, int *argc, char ***argv);
/* The data set spec: --data, else the model file's, else "fashion-mnist". Transfer none. */
const char *cli_data_spec    (const CliOptions *opts, const char *model_dataset);
/* The data set named by cli_data_spec. Transfer full. */
SsDataset *cli_load_data     (const CliOptions *opts, const char *model_dataset, gboolean train,
                              GError **error);
/* Opens --model for inputs shaped like ds (may be NULL: the architecture's own input), applies
 * --weights and --threads. metadata receives the model file's entries. Transfer full. */
SsNet     *cli_open_model    (const CliOptions *opts, const SsDataset *ds, GHashTable **metadata,
                              GError **error);
/* ss_check_data_fits, for commands that read data for a model. */
gboolean   cli_check_fits    (const SsNet *net, const SsDataset *ds, GError **error);
/* The dataset a model file says it was trained on, or NULL. */
const char *cli_model_dataset (GHashTable *metadata);
/* Adds member key = v to the object being built; a NaN or infinite v (no test set, a 1×1 map)
 * becomes null, since JSON has no such numbers. */
void       cli_json_add_number (JsonBuilder *b, const char *key, double v);
/* Prints builder's document on stdout. */
void       cli_print_json    (JsonBuilder *builder);
/* Prints "supersign-cli: message" on stderr; returns the exit status 1. */
int        cli_fail          (const GError *error);

G_END_DECLS
