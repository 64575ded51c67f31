/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* supersign-cli: the command-line face of the core library. Each subcommand lives in its own
 * file and shares the option handling and output helpers here. */

#include <json-glib/json-glib.h>

#include "ss-dataset.h"
#include "ss-json.h"
#include "ss-net.h"
#include "ss-observer.h"
#include "ss-observer-record.h"
#include "ss-relevance.h"
#include "ss-runs.h"
#include "ss-train.h"

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
  char    *db;             /* --db FILE: the run history (NULL: the default) */
  gboolean no_history;     /* --no-history: record nothing */
  char    *preprocess;     /* --preprocess none|resize[:S]|imagenet, for png:DIR data */
  char    *labels;         /* --labels FILE: class names for png:DIR data */
} CliOptions;

typedef int (*CliCommand) (CliOptions *opts, int argc, char **argv);

int  cli_info  (CliOptions *opts, int argc, char **argv);
/* cli-import.c: an ONNX model (core/ss-onnx.h) saved as a Supersign model file. */
int  cli_import (CliOptions *opts, int argc, char **argv);
int  cli_train (CliOptions *opts, int argc, char **argv);
int  cli_eval  (CliOptions *opts, int argc, char **argv);
int  cli_bench (CliOptions *opts, int argc, char **argv);
int  cli_saliency (CliOptions *opts, int argc, char **argv);
/* bench --ame (cli-bench-ame.c): AME throughput and the layer profile's time. */
int  cli_bench_ame (CliOptions *opts, int profile_repeats, gboolean phases);
/* bench --pruned (cli-bench-prune.c): a model's inference speed beside a filter-pruned copy. */
int  cli_bench_prune (CliOptions *opts);
/* bench --onnx (cli-bench-onnx.c): torchvision's ResNet50 through ONNX beside PyTorch;
 * batches ("1,8"), python and script may be NULL for the defaults. */
int  cli_bench_onnx (CliOptions *opts, const char *batches, const char *python,
                     const char *script);
int  cli_entropy (CliOptions *opts, int argc, char **argv);
/* bench --observer (cli-bench-observer.c): epoch time vs observer cost; frozen-prefix speed-up. */
int  cli_bench_observer (CliOptions *opts, int batches, int repeats);
int  cli_infoplane (CliOptions *opts, int argc, char **argv);
/* cli-figure.c: bars, infoplane, heatmaps and curves as PNG, SVG or PDF (docs/figures.md). */
int  cli_figure (CliOptions *opts, int argc, char **argv);
/* cli-prune-layers.c: greedy semiotic layer removal; cli-surgery.c: channel groups and
 * removing one conv layer. */
int  cli_prune_layers (CliOptions *opts, int argc, char **argv);
int  cli_surgery (CliOptions *opts, int argc, char **argv);
/* cli-amc.c: AMC's search with an accuracy or entropy reward (thesis §3.1), the best policy
 * applied, fine-tuned and saved. cli-bench-amc.c: its episodes per minute per reward. */
int  cli_amc (CliOptions *opts, int argc, char **argv);
int  cli_bench_amc (CliOptions *opts, int episodes);

/* cli-train.c: the training recipe's options (--epochs --batch --lr --schedule --momentum
 * --weight-decay --nesterov --augment --subset), shared by train and freeze-compare. */
/* The recipe's entries followed by more (nullable). Transfer full (g_free). */
GOptionEntry *cli_recipe_entries (CliOptions *opts, const GOptionEntry *more);
/* The training configuration those options describe; SS_ERROR_ARGUMENT naming a bad one. */
gboolean      cli_recipe_config  (const CliOptions *opts, SsTrainConfig *config, GError **error);
/* Replaces *ds by its first n samples (0: leaves it whole); prints a usage error naming option
 * and returns FALSE if n is out of range. */
gboolean      cli_take_subset    (const char *command, const char *option, int n, SsDataset **ds);

/* cli-freeze.c: the observer's and freezing rule's options, shared by train and
 * freeze-compare (--probe --observe-every --epsilon --window --earliest). */
typedef struct {
  SsObserverOptions observer;
  SsFreezeRule      rule;
} CliObserveOptions;

void          cli_observe_options_init (CliObserveOptions *o);
/* The options' entries followed by more (nullable). Transfer full (g_free). */
GOptionEntry *cli_observe_entries      (CliObserveOptions *o, const GOptionEntry *more);
/* An observer of net probing train, which also freezes by o->rule if freeze. Transfer full. */
SsObserver   *cli_observer_new         (const CliObserveOptions *o, const SsNet *net,
                                        const SsDataset *train, gboolean freeze, GError **error);
/* A subscriber printing an epoch's layer entropies, information plane and frozen layers on
 * stderr (mid-epoch observations: one short line). */
void          cli_print_observation    (SsObservation *observation, gpointer user_data);
int           cli_freeze_compare       (CliOptions *opts, int argc, char **argv);

/* cli-runs.c: the run history (runs list, show, export, delete) and recording into it. A
 * recording command calls cli_history_begin, cli_history_observe at each observation (also
 * from its worker thread, one thread at a time) and cli_history_finish. A history that cannot
 * be opened or written is reported on stderr once and the command goes on unrecorded. */
int           cli_runs            (CliOptions *opts, int argc, char **argv);
/* The history --db names, else $SUPERSIGN_RUNS_DB, else the default; readonly for commands
 * that only read it. Transfer full. */
SsRunDb      *cli_open_runs_db    (const CliOptions *opts, gboolean readonly, GError **error);
typedef struct _CliHistory CliHistory;
/* Begins a run described by info (model_in, if a file, is made absolute). NULL under
 * --no-history or when the history cannot be opened (warned). Transfer full: end it with
 * cli_history_finish. */
CliHistory   *cli_history_begin   (const CliOptions *opts, const SsRunInfo *info);
/* Commits obs; after a failure, warns once and records nothing more. h may be NULL. */
void          cli_history_observe (CliHistory *h, const SsRunObservation *obs);
/* An SsObservationFunc (history is a CliHistory, may be NULL): commits the observation with
 * its layers' entropies, information-plane points and frozen flags. */
void          cli_history_observe_layers (SsObservation *obs, gpointer history);
/* Ends the run (model_out is made absolute), says its id on stderr, and frees h (may be
 * NULL). */
void          cli_history_finish  (CliHistory *h, SsRunStatus status, const char *model_out,
                                   const char *message);

/* cli-job.c: runs func (data) on a worker thread while the calling thread waits in a main loop;
 * Ctrl-C prints "supersign-cli: stop_message" and cancels cancellable, a second Ctrl-C ends the
 * process. Returns TRUE if Ctrl-C was pressed. */
gboolean      cli_run_in_worker  (const char *name, GThreadFunc func, gpointer data,
                                  GCancellable *cancellable, const char *stop_message);

/* A new entry list: a's entries then b's (each nullable). Transfer full (g_free). */
GOptionEntry *cli_entries_concat (const GOptionEntry *a, const GOptionEntry *b);

/* cli-relevance.c: filter relevance (relevance) and its options (--criterion --samples
 * --mi-bins --alpha), shared with prune-filters (cli-prune-filters.c). */
typedef struct {
  char   *criterion;   /* ame-mi, renyi-mi or l1; NULL: ame-mi */
  int     samples;
  int     bins;
  double  alpha;
} CliRelevanceArgs;

void          cli_relevance_args_init  (CliRelevanceArgs *a);
void          cli_relevance_args_clear (CliRelevanceArgs *a);
/* The options' entries followed by more (nullable). Transfer full (g_free). */
GOptionEntry *cli_relevance_entries    (CliRelevanceArgs *a, const GOptionEntry *more);
/* The criterion and options the arguments describe (seed 1, every conv layer). */
gboolean      cli_relevance_args_apply (const CliRelevanceArgs *a,
                                        SsRelevanceCriterion *criterion,
                                        SsRelevanceOptions *opt, GError **error);
int           cli_relevance            (CliOptions *opts, int argc, char **argv);
int           cli_prune_filters        (CliOptions *opts, int argc, char **argv);
/* bench --relevance (cli-bench-relevance.c): spatial MI against Rényi MI, side by side, the
 * medians of repeats rounds. */
int           cli_bench_relevance      (CliOptions *opts, int repeats);

/* Parses the options common to every subcommand plus extra (may be NULL) from argv; prints the
 * error and returns FALSE on bad usage. */
gboolean   cli_parse_options (CliOptions *opts, const char *command, const char *summary,
                              const GOptionEntry *extra, int *argc, char ***argv);
/* The data set spec: --data, else the model file's, else "fashion-mnist". Transfer none. */
const char *cli_data_spec    (const CliOptions *opts, const char *model_dataset);
/* The data set named by cli_data_spec. Transfer full. */
SsDataset *cli_load_data     (const CliOptions *opts, const char *model_dataset, gboolean train,
                              GError **error);
/* cli-data-png.c: png:DIR data (the folder converted to the model's input as --preprocess
 * says, named by --labels). cli_open_model notes each model it opens, and the folder is made
 * for the last one (opened first if none was). Transfer full. */
SsDataset *cli_load_png_folder (const CliOptions *opts, const char *dir,
                                const char *model_dataset, GError **error);
void       cli_note_model      (const SsNet *net);
/* Opens --model for inputs shaped like ds (may be NULL: the architecture's own input), applies
 * --weights and --threads. metadata receives the model file's entries. Transfer full. */
SsNet     *cli_open_model    (const CliOptions *opts, const SsDataset *ds, GHashTable **metadata,
                              GError **error);
/* The layers list names, comma-separated (spaces around each ignored): node names or PyTorch
 * module paths, each resolved by ss_arch_resolve_layer (core/ss-arch-resolve.h). A name that
 * matches nothing is an error: "option: “name” is not what, nor a module path; did you mean
 * …?" (what: "a layer of this model"). With convs_only, for options that take conv layers, a
 * name that does not give a conv is kept as written instead, for the caller's conv check to
 * refuse with its list of the conv layers (no error then).
 * Returns: (transfer full) the node names in list order, NULL-terminated; NULL with error. */
char     **cli_resolve_layers (const SsArch *arch, const char *list, const char *option,
                               const char *what, gboolean convs_only, GError **error);
/* ss_check_data_fits, for commands that read data for a model. */
gboolean   cli_check_fits    (const SsNet *net, const SsDataset *ds, GError **error);
/* The dataset a model file says it was trained on, or NULL. */
const char *cli_model_dataset (GHashTable *metadata);
/* Prints builder's document on stdout. */
void       cli_print_json    (JsonBuilder *builder);
/* Prints "supersign-cli: message" on stderr; returns the exit status 1. */
int        cli_fail          (const GError *error);
/* Seconds since t0, a g_get_monotonic_time () reading. */
double     cli_seconds_since (gint64 t0);
/* The median of the n > 0 values v, which it sorts in place (the benches' timed repeats). */
double     cli_median        (double *v, int n);

G_END_DECLS
