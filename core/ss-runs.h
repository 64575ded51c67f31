/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The run history: every job (training, freeze comparison, pruning, AMC) is one run in an
 * SQLite database, and every observation it makes (an epoch's end, every K batches, a pruning
 * step) is committed as it happens, with one point per layer (saliency AME, information-plane
 * coordinates, frozen flag). docs/run-history.md describes the tables, units and guarantees:
 * a process killed at any moment keeps every observation whose call returned TRUE.
 *
 * Threads: one SsRunDb is used by one thread at a time (it may move between threads, e.g. be
 * opened on the main thread and written by a training worker). Several SsRunDb, in the same
 * process or in others, may use one file at once: readers never wait, writers take turns. */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _SsRunDb SsRunDb;
typedef struct _SsRun SsRun;

/* Overrides the default path when set and not empty. */
#define SS_RUNS_DB_ENV "SUPERSIGN_RUNS_DB"

/* Kinds of run; ss_run_db_begin accepts these only. */
#define SS_RUN_KIND_TRAIN          "train"
#define SS_RUN_KIND_FREEZE_COMPARE "freeze-compare"
#define SS_RUN_KIND_PRUNE_LAYERS   "prune-layers"
#define SS_RUN_KIND_PRUNE_FILTERS  "prune-filters"
#define SS_RUN_KIND_AMC            "amc"

gboolean     ss_run_kind_is_known (const char *kind);

typedef enum {
  SS_RUN_RUNNING,      /* begun, not finished: also a run whose process was killed */
  SS_RUN_FINISHED,
  SS_RUN_INTERRUPTED,  /* stopped by the user; its results so far are valid */
  SS_RUN_FAILED,       /* with a message */
} SsRunStatus;

/* "running", "finished", "interrupted", "failed". */
const char  *ss_run_status_name   (SsRunStatus status);

/* What ss_run_db_begin records about a run. Strings are copied; NULL means not known. */
typedef struct {
  const char *kind;         /* an SS_RUN_KIND_*; required */
  const char *label;        /* a name for people, e.g. "vgg lr 0.05" */
  const char *config_json;  /* the job's settings as one JSON value (usually an object) */
  const char *model_in;     /* the model it started from: a built-in name or a file */
  const char *dataset;      /* the --data spec */
} SsRunInfo;

/* One layer at one observation. Non-finite numbers (NaN: not measured) are stored as absent
 * (NULL) and read back as NaN. */
typedef struct {
  const char *layer;        /* the node name, e.g. "conv3" or "layer2.0.conv1" */
  double      saliency_mean;  /* mean saliency AME over the samples, bits */
  double      saliency_sd;    /* their population standard deviation, bits */
  double      i_xt;           /* I(X;T), bits */
  double      i_ty;           /* I(T;Y), bits */
  gboolean    frozen;         /* the layer's weights were not being trained */
} SsRunLayerPoint;

/* One observation. As an argument it is borrowed; read back from an SsRun every pointer is
 * owned by the run. Non-finite numbers are absent, as above. */
typedef struct {
  int                    epoch;       /* 0-based; a pruning job's step */
  gint64                 batch;       /* batches done in this epoch so far */
  gboolean               epoch_end;   /* the epoch (or step) is complete: test figures are set */
  double                 seconds;     /* wall time since the epoch (or step) began */
  double                 lr;          /* learning rate of the last step */
  double                 train_loss;  /* mean cross-entropy over the epoch so far, nats */
  double                 train_acc;   /* fraction in [0, 1] */
  double                 test_loss;
  double                 test_acc;
  const char            *extra_json;  /* job-specific values as one JSON value, or NULL */
  const SsRunLayerPoint *layers;
  guint                  n_layers;
} SsRunObservation;

/* A run as stored. Strings are owned by the record (or by the SsRun it came from). */
typedef struct {
  gint64      id;
  char       *kind;
  char       *label;          /* never NULL: "" when none was given */
  gint64      started_us;     /* µs since 1970-01-01 UTC (g_get_real_time) */
  gint64      ended_us;       /* 0 while running */
  SsRunStatus status;
  char       *message;        /* why it failed or stopped, or NULL */
  char       *config_json;
  char       *model_in;
  char       *model_out;      /* the model file it produced, or NULL */
  char       *dataset;
  guint       n_observations;
  guint       n_epochs;       /* observations with epoch_end set */
  double      best_test_acc;  /* the highest test_acc observed, NaN if none */
} SsRunRecord;

void         ss_run_record_free   (SsRunRecord *record);

/* Adds the record's identity to the object b is building, as the JSON export and the command
 * line's list write it: id, kind, label, status, message, and the started and ended times in
 * ISO 8601 UTC ("2024-05-01T12:00:03.25Z"; null when not ended). */
void         ss_run_record_add_json (JsonBuilder *b, const SsRunRecord *record);

/* The path used when none is given: $SUPERSIGN_RUNS_DB if set, else
 * $XDG_DATA_HOME/supersign/runs.sqlite. Transfer full. */
char        *ss_run_db_default_path (void);

/* Opens path (NULL: the default path) for recording, creating its folders and the file if
 * needed and upgrading an older schema. Fails, leaving the file as it was, if it is damaged,
 * not a run history, from a newer Supersign, or not writable. Transfer full. */
SsRunDb     *ss_run_db_open          (const char *path, GError **error);
/* Opens an existing history for reading only (a read-only file or folder is fine); every
 * writing call then fails. Transfer full. */
SsRunDb     *ss_run_db_open_readonly (const char *path, GError **error);
void         ss_run_db_free          (SsRunDb *db);
/* Transfer none. */
const char  *ss_run_db_get_path      (const SsRunDb *db);

/* Records a new run as running, started now. Returns its id (> 0), or 0 with error. */
gint64       ss_run_db_begin           (SsRunDb *db, const SsRunInfo *info, GError **error);
/* Commits obs and its layer points to run in one transaction: when TRUE returns, the
 * observation survives the process being killed. On error nothing of obs is stored and the
 * runs recorded before are intact. */
gboolean     ss_run_db_add_observation (SsRunDb *db, gint64 run, const SsRunObservation *obs,
                                        GError **error);
/* Ends a running run with status (not SS_RUN_RUNNING), the model file it produced and a
 * message (both may be NULL). */
gboolean     ss_run_db_finish          (SsRunDb *db, gint64 run, SsRunStatus status,
                                        const char *model_out, const char *message,
                                        GError **error);

/* The runs in the order they began, those of kind only unless kind is NULL: SsRunRecord
 * elements. Transfer full (g_ptr_array_unref frees the records). */
GPtrArray   *ss_run_db_list            (SsRunDb *db, const char *kind, GError **error);
/* One run with all its observations and layer points. Transfer full. */
SsRun       *ss_run_db_load            (SsRunDb *db, gint64 run, GError **error);
/* Removes a run with its observations and layer points. */
gboolean     ss_run_db_delete          (SsRunDb *db, gint64 run, GError **error);

/* Transfer none: owned by run. */
const SsRunRecord      *ss_run_get_record          (const SsRun *run);
guint                   ss_run_get_n_observations  (const SsRun *run);
const SsRunObservation *ss_run_get_observation     (const SsRun *run, guint i);
void                    ss_run_free                (SsRun *run);

typedef enum {
  SS_RUN_FORMAT_CSV,   /* one row per observation × layer, with a header row */
  SS_RUN_FORMAT_JSON,  /* the record with its observations, each with its layers */
} SsRunFormat;

/* Writes run to out in format. Numbers are written so that they read back to the same double;
 * absent values are empty (CSV) or null (JSON). */
gboolean     ss_run_write  (const SsRun *run, SsRunFormat format, GOutputStream *out,
                            GCancellable *cancellable, GError **error);
/* Writes run to the file path atomically (temporary file, fsync, rename): on failure a file
 * already at path is unchanged. */
gboolean     ss_run_export (const SsRun *run, SsRunFormat format, const char *path,
                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsRunDb, ss_run_db_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsRun, ss_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsRunRecord, ss_run_record_free)

G_END_DECLS
