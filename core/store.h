/* store — the durable study file: SQLite in WAL mode, schema versioned with
 * PRAGMA user_version. Every state change is one transaction, committed before the
 * coordinator acknowledges anything, so a kill -9 at any instant leaves a consistent
 * file that `hps coordinator` resumes from.
 *
 * Tables: studies (the config, the one source of direction and n_trials), trials
 * (state by name, attempt, lease, worker, params as a blob of internal values and as
 * JSON decoded, results; the view trial_params lists them as rows), intermediate
 * (REPORTed values), tells (every TELL received, stale ones marked), workers (a name's
 * CURVE key), promotions. Trials are identified by their rowid across all
 * studies; `number` counts a study's search trials from 0 (the final refit is -1).
 *
 * Every SQL statement of hps is behind this header (core/store*.c); callers get typed
 * results and 0/-1 with err. */
#ifndef HPS_STORE_H
#define HPS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/space.h"
#include "core/trial.h"
#include "core/util.h"

/* 3: trial and tell states stored by name ('WAITING', 'COMPLETE', ...), direction and
 * n_trials only in a study's config. 4: workers.key (a worker name's CURVE key),
 * trials.params (the point as JSON) and the view trial_params, the index
 * trials_state_value. 5: the model registry, model_versions and model_stages
 * (store_models.c). Older files are migrated when opened. */
#define STORE_SCHEMA_VERSION 5

typedef struct store_s store_t;

/* Open (create = make the file and schema when missing). sync_full selects
 * PRAGMA synchronous=FULL (power-loss durable) over NORMAL (process-crash durable).
 * NULL with err on failure, including a file from a newer schema. */
store_t *store_open(const char *path, bool create, bool sync_full, char *err);
/* Open an existing study file for reading only: nothing is written (no journal mode
 * change, no -wal of ours), so an archived or read-only file can be inspected. A file
 * from an older hps is upgraded first (a write; an error says so when it cannot be).
 * NULL with err, also for a file that is not an hps database. */
store_t *store_open_read(const char *path, char *err);
void store_close(store_t **self_p);
/* Group commit: between these two calls every mutator below runs in a savepoint of one
 * enclosing transaction, so each state change stays atomic on its own while one
 * commit (one WAL append, one fsync under --sync full) makes a whole batch durable.
 * The caller must not acknowledge any change of the batch before the commit returns
 * 0; if it fails, everything since batch_begin is rolled back. It also fails (-1,
 * committed) when the file's -wal was deleted or replaced since the open: the commit
 * went to a file nobody will read after a crash, so nothing more may be acknowledged. */
int store_batch_begin(store_t *self, char *err);
int store_batch_commit(store_t *self, char *err);
/* Whether a batch is open. This function can't fail. */
bool store_in_batch(const store_t *self);

/* A read snapshot: every read between these two calls sees the same committed state
 * while a coordinator keeps writing (WAL). *own tells store_snapshot_end whether this
 * call opened the transaction (a caller inside a batch reads its own). */
int store_snapshot_begin(store_t *self, bool *own, char *err);
int store_snapshot_end(store_t *self, bool own, char *err);

/* ---- studies ---------------------------------------------------------------------- */

/* A study's config (canonical JSON) is the one source of its direction and n_trials:
 * the file keeps no copy of either. */
typedef struct {
    int64_t id;
    char *name;            /* owned */
    char *config;          /* canonical JSON; owned */
    direction_t direction; /* config's "direction" (minimize when absent: store_config_meta) */
    long n_trials;         /* config's "n_trials" (0 when absent) */
    char state[16];        /* running | done | stopped */
    double created, finished; /* epoch seconds; finished NaN while running */
    double test_score;     /* the final refit's; NaN = none */
    char *tier;            /* promotion tier; NULL before the final refit; owned */
} store_study_t;

/* The config text a study is stored with: json with "direction" stated (added at the
 * end of the top-level map, as "minimize" or "maximize" for dir, when json leaves it to
 * the objective), so that the stored config alone says how the study searched. The
 * same json gives the same text. Caller frees; NULL with err when json is not a map. */
char *store_study_config(const char *json, direction_t dir, char *err);
/* Direction and n_trials of a stored config, as store_study_t has them. This function
 * can't fail: an unreadable config gives minimize and 0. */
void store_config_meta(const char *json, direction_t *dir, long *n_trials);

void store_study_clear(store_study_t *s);
/* config: as store_study_config made it. */
int store_study_insert(store_t *self, const char *name, const char *config, int64_t *id_out,
                       char *err);
/* 0 found (out filled), 1 not found, -1 error. */
int store_study_get(store_t *self, const char *name, store_study_t *out, char *err);
/* All studies in id order; caller frees with store_studies_free. */
int store_studies(store_t *self, store_study_t **out, int *n, char *err);
void store_studies_free(store_study_t **list, int n);
int store_study_set_state(store_t *self, int64_t id, const char *state, char *err);
/* Record the outcome of the final refit on the study row. */
int store_study_set_final(store_t *self, int64_t id, int64_t best_trial, double test_score,
                          const char *tier, char *err);

/* ---- trials ----------------------------------------------------------------------- */

typedef struct {
    int64_t id;
    long number;      /* -1 for the final refit */
    bool final;
    trial_state_t state;
    int attempt;
    double value;     /* NaN when none */
    const double *x;  /* nx internal values; borrowed for the callback's duration */
    int nx;
    const char *worker;
} store_trial_t;

typedef int (*store_trial_fn)(void *arg, const store_trial_t *t);
/* Every trial of a study in number order (final last); stops early when cb returns
 * non-zero (returned). -1 with err on a DB error. */
int store_trials_each(store_t *self, int64_t study_id, store_trial_fn cb, void *arg, char *err);
typedef int (*store_inter_fn)(void *arg, int64_t trial_id, long number, long step, double value);
int store_intermediates_each(store_t *self, int64_t study_id, store_inter_fn cb, void *arg,
                             char *err);

/* A new trial, RUNNING attempt 1 leased to worker (or WAITING when worker is NULL). */
int store_trial_create(store_t *self, int64_t study_id, long number, bool final,
                       const double *x, int nx, const char *worker, int64_t *id_out, char *err);
/* WAITING -> RUNNING for the given attempt. */
int store_trial_lease(store_t *self, int64_t trial_id, int attempt, const char *worker,
                      char *err);
/* RUNNING -> WAITING as attempt new_attempt (a lost lease). */
int store_trial_requeue(store_t *self, int64_t trial_id, int new_attempt, char *err);
/* RUNNING -> WAITING as the same attempt: its worker was stopped on purpose (an
 * interrupted `hps run`), which is not a failure and uses up no retry. */
int store_trial_release(store_t *self, int64_t trial_id, int attempt, char *err);
/* Current state and attempt of a trial; 1 when there is no such trial. */
int store_trial_state(store_t *self, int64_t trial_id, trial_state_t *state, int *attempt,
                      char *err);
/* The worker the trial was last leased to (*worker, caller frees; NULL when none): 0,
 * 1 when there is no such trial, -1 with err. */
int store_trial_worker(store_t *self, int64_t trial_id, char **worker, char *err);

typedef struct {
    trial_state_t state;  /* COMPLETE, PRUNED or FAIL */
    double value, secs;
    double cv_mean, cv_std, val_score, test_score; /* NaN = none */
    const double *folds;
    int n_folds;
    const char *error;    /* NULL or "" = none */
} store_result_t;

/* Finish trial at attempt (must be RUNNING with that attempt) and log the TELL. */
int store_trial_finish(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                       char *err);
/* Log a TELL that arrived for a superseded attempt (ignored otherwise). */
/* How many TELLs were logged stale (for tests and diagnostics). 0 or -1 with err. */
int store_stale_tells(store_t *self, long *n, char *err);
/* The error text of the study's latest FAIL trial (*error, caller frees): 0 found, 1 none,
 * -1 with err. */
int store_last_error(store_t *self, int64_t study_id, char **error, char *err);
int store_tell_stale(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                     char *err);
/* Intermediate value; a repeat of (trial, step) keeps the first value. */
int store_intermediate(store_t *self, int64_t trial_id, long step, double value, char *err);
/* A worker said HELLO: its row (created or replaced), heard from now, under the
 * coordinator's lease_ms; clears left_at. */
int store_worker_seen(store_t *self, const char *name, const char *host, long pid, int slots,
                      long lease_ms, char *err);
/* Record that the worker was last heard from at `at` (epoch seconds; an older time
 * than the stored one is ignored). The coordinator keeps these in memory and calls
 * this at most every lease_ms / STORE_HEARD_FLUSH_DIV ms per worker, not per message,
 * so readers of the file see last_seen up to that much late. */
int store_worker_heard(store_t *self, const char *name, double at, char *err);
#define STORE_HEARD_FLUSH_DIV 4
/* The worker was told BYE (an embedded run ended): it left on purpose. */
int store_worker_left(store_t *self, const char *name, char *err);
/* The pid a worker of this name last said HELLO with, and the CURVE key the name is
 * bound to (*key, caller frees; NULL when none): 0 found, 1 no such row (*key NULL),
 * -1 with err. */
int store_worker_binding(store_t *self, const char *name, long *pid, char **key, char *err);
/* Bind the worker name to a CURVE key (Z85 text) when its row has none yet (after
 * store_worker_seen); a bound name keeps its key until its row is deleted
 * (store_workers_forget). */
int store_worker_bind_key(store_t *self, const char *name, const char *key, char *err);
int store_promotion(store_t *self, int64_t study_id, const char *stage, const char *tier,
                    bool forced, double test_score, char *err);

/* The scores of a trial (NaN for none): 0; 1 when there is no such trial (all NaN);
 * -1 with err on a DB error. */
typedef struct {
    double value, secs, cv_mean, cv_std, val_score, test_score;
} store_scores_t;
int store_trial_scores(store_t *self, int64_t trial_id, store_scores_t *out, char *err);

/* ---- what reports read ------------------------------------------------------------ */

/* Search trials (not the final refit) of a study by state. */
int store_trial_counts(store_t *self, int64_t study_id, long counts[TRIAL_NSTATES], char *err);

/* The best COMPLETE search trial with a value in direction dir, ties to the earliest
 * (as in Optuna): 0 found, 1 none, -1 error. Clear with store_best_clear. */
typedef struct {
    long number;
    double value, cv_std; /* cv_std NaN = none */
    double *x;            /* nx internal values; owned */
    int nx;
} store_best_t;
int store_best_trial(store_t *self, int64_t study_id, direction_t dir, store_best_t *out,
                     char *err);
void store_best_clear(store_best_t *b);

typedef struct {
    char *stage, *tier; /* owned; tier NULL = none */
    bool forced;
    double test_score;  /* NaN = none */
    double at;          /* epoch seconds */
} store_promotion_t;
/* A study's promotions, oldest first; caller frees with store_promotions_free. */
int store_promotions(store_t *self, int64_t study_id, store_promotion_t **out, int *n,
                     char *err);
void store_promotions_free(store_promotion_t **list, int n);

typedef struct {
    char *name, *host; /* owned */
    long pid;
    int slots;
    double last_seen;  /* epoch seconds: when the coordinator last heard from it */
    long lease_ms;     /* the coordinator's lease then; 0 = unknown (an older file) */
    double left_at;    /* epoch seconds it was told BYE; NaN = not */
} store_worker_t;
/* The limit workers heard from most recently (all when limit <= 0), by name, and in
 * *total how many rows there are; caller frees with store_workers_free. */
int store_workers(store_t *self, int limit, store_worker_t **out, int *n, long *total,
                  char *err);
/* Delete the rows of workers not heard from since before (epoch seconds): returns how
 * many, or -1 with err. */
int store_workers_forget(store_t *self, double before, char *err);
void store_workers_free(store_worker_t **list, int n);

/* ---- every trial, whole (core/store_trials_read.c) -------------------------------- */

/* One trial as `hps trials` and `hps export` show it: what store_trials_each gives and
 * the rest of its row. Strings, x and the steps are borrowed for the callback's
 * duration. */
typedef struct {
    store_trial_t trial;       /* number (-1 = the final refit), state, value, x, worker */
    double secs;               /* NaN = none */
    double cv_mean, cv_std, val_score, test_score; /* NaN = none */
    double started, finished;  /* epoch seconds; NaN = none */
    const char *error;         /* NULL = none */
    const long *steps;         /* n_steps intermediate values by step (only when asked) */
    const double *step_values;
    int n_steps;
} store_trial_row_t;

typedef struct {
    int state;         /* a trial_state_t, or -1 for every state */
    bool by_value;     /* best value first (by dir; none last), else by number */
    direction_t dir;
    long limit;        /* at most this many rows; <= 0 = all */
    bool steps;        /* fill each row's steps */
} store_trial_query_t;

typedef int (*store_trial_row_fn)(void *arg, const store_trial_row_t *t);
/* The trials of a study that q selects, in its order, the final refit last; stops
 * early when cb returns non-zero (returned). -1 with err on a DB error. Rows are
 * streamed: memory does not grow with the study. */
int store_trial_rows(store_t *self, int64_t study_id, const store_trial_query_t *q,
                     store_trial_row_fn cb, void *arg, char *err);

/* ---- study lifecycle (core/store_admin.c) ----------------------------------------- */

/* What submitting a config to a file would do to the study of its name (store_plan):
 * resume a stopped or done study, take a compatible change (core/study_diff.h), or
 * refuse. "Trials left" counts COMPLETE, PRUNED and FAIL as done, as Optuna's n_trials
 * counts every finished trial: a failed trial is not retried by a resume. */
typedef enum {
    STORE_PLAN_CREATE,    /* no study of that name: a new one */
    STORE_PLAN_UNCHANGED, /* running with this config already: nothing to do */
    STORE_PLAN_CHANGE,    /* running; compatible changes to store */
    STORE_PLAN_RESUME,    /* stopped, or done with n_trials raised: runs again */
    STORE_PLAN_FINISHED,  /* done, and the config asks for no more trials */
    STORE_PLAN_BUSY,      /* more trials asked for while the final refit is still to run */
    STORE_PLAN_REFUSED    /* a difference an existing study does not accept */
} store_plan_kind_t;

typedef struct {
    store_plan_kind_t kind;
    int64_t id;          /* the stored study's (0 for CREATE) */
    char state[16];      /* its stored state ("" for CREATE) */
    long n_trials;       /* the new config's */
    long ended, created; /* its search trials COMPLETE + PRUNED + FAIL, and all of them */
    char *changes;       /* "n_trials 10 -> 20, ..." or NULL; owned */
    char *refused;       /* "  key: stored V, new V\n" per refused key, or NULL; owned */
} store_plan_t;

/* Plan config (canonical JSON with "study" and "n_trials") against the file: 0 with
 * *out filled, -1 with err. Clear with store_plan_clear. */
int store_plan(store_t *self, const char *config, store_plan_t *out, char *err);
void store_plan_clear(store_plan_t *p);
/* Carry out a CHANGE or RESUME plan in one transaction: the study keeps config, and is
 * running again. A done study continued loses its ended final refit (the trial, its
 * tells and values, the study's test score and tier), so a new refit follows the new
 * trials; its promotions stay as history. */
int store_plan_apply(store_t *self, const store_plan_t *p, const char *config, char *err);
/* What the plan does, one line for the user ("resumed study 'x': 6 of 10 trials left to
 * run"). Can't fail. */
void store_plan_describe(const store_plan_t *p, const char *name, strbuf_t *sb);
/* "created", "unchanged", "changed", "resumed", "finished", "busy" or "refused". */
const char *store_plan_name(store_plan_kind_t kind);

/* Remove a study and all of its rows (trials, intermediate values, tells, promotions)
 * in one transaction: 0, 1 when there is no such study, -1 with err. Its registered
 * model versions stay (study id 0, trial id negated; the lineage names both). */
int store_study_delete(store_t *self, const char *name, char *err);
/* Rename a study (its row and the "study" of its config): 0, 1 when there is no study
 * old, 2 when new exists, -1 with err. */
int store_study_rename(store_t *self, const char *old, const char *new_name, char *err);
/* Copy study name of the file src_path (not open elsewhere in this process; at the
 * current schema) into self as as_name: every trial, intermediate value, tell and
 * promotion, with states and times, in one transaction. Columns are those the two
 * files share (PRAGMA table_info). 0, 1 when src has no such study, 2 when self has
 * as_name, -1 with err. */
int store_study_copy(store_t *self, const char *src_path, const char *name, const char *as_name,
                     char *err);
/* How many studies' configs name the dataset sha (a blob still in use): 0 or -1. */
int store_blob_users(store_t *self, const char *sha, long *n, char *err);

/* ---- model registry (store_models.c) ---------------------------------------------- */

#define STORE_STAGE_NONE "none" /* registered, never promoted */

typedef struct {
    char *name;            /* registered name */
    long version;          /* 1, 2, ... per name */
    char *study;           /* the study's name now (NULL once the study is deleted) */
    int64_t trial_id;      /* the final refit that made it */
    char *sha256, *file;   /* the artifact blob and its file name */
    int64_t size;          /* bytes */
    char *stage;           /* none | staging | production | archived */
    double cv_mean, cv_std, test_score; /* NaN when absent */
    char *tier, *data_sha; /* NULL when absent */
    char *lineage;         /* JSON object */
    double created;        /* epoch seconds */
} store_model_t;

typedef struct {
    char *name;
    long version;
    char *from_stage, *to_stage;
    bool forced;           /* past the staging-first or tier rule, with --force */
    char *who;             /* user@host */
    double at;             /* epoch seconds */
} store_transition_t;

/* Register the artifact of final trial trial_id (its study's test score and tier
 * already set): a new version of the study's registered name (`register:` or the
 * study's name) with its lineage (hps_version included). A trial registered before
 * keeps its version (idempotent). *version_out: the version. 0; 1 when trial_id is not
 * a final refit (nothing registered); -1 with err. */
int store_model_register(store_t *self, int64_t trial_id, const char *sha, const char *file,
                         int64_t size, const char *hps_version, long *version_out, char *err);
/* The versions of name (NULL: every name), by name then version. 0 or -1 with err. */
int store_models(store_t *self, const char *name, store_model_t **out, int *n, char *err);
void store_models_free(store_model_t **list, int n);
void store_model_clear(store_model_t *m); /* frees m's strings, zeroes it */
/* The transitions of name in order. 0 or -1 with err. */
int store_model_history(store_t *self, const char *name, store_transition_t **out, int *n,
                        char *err);
void store_transitions_free(store_transition_t **list, int n);
/* How many model versions were registered from study study_id: 0, -1 with err. */
int store_study_model_count(store_t *self, int64_t study_id, long *n, char *err);
/* Whether version of name was ever moved to stage: 1 yes, 0 no, -1 with err. */
int store_model_was_in(store_t *self, const char *name, long version, const char *stage,
                       char *err);
/* Move version of name to stage, in one transaction: the version that held the stage
 * before (staging or production) goes to archived first, recorded as its own
 * transition; the move is recorded with forced and who, and as a promotion of its
 * study (the leaderboard's stage). The rules are the caller's (cli/models.c). */
int store_model_move(store_t *self, const char *name, long version, const char *stage,
                     bool forced, const char *who, char *err);
void store_models_test(bool verbose);

void store_admin_test(bool verbose);

/* ---- imports (core/store_interop.c) ---------------------------------------------- */

/* A finished search trial (COMPLETE, PRUNED or FAIL) written whole, as an import brings
 * it: number, state, attempt (0 = 1), value, x, worker, secs, error, started (also as
 * created) and finished (its steps are the caller's to add: store_intermediate). *id_out
 * its id; -1 with err (a number already taken, say). */
int store_trial_import(store_t *self, int64_t study_id, const store_trial_row_t *t,
                       int64_t *id_out, char *err);
/* End a batch (store_batch_begin) by rolling all of it back. This function can't fail:
 * the transaction is gone either way. */
void store_batch_abort(store_t *self);

/* ---- warm start and enqueued points (core/store_warm.c) ---------------------------- */

/* One observation a warm start feeds the sampler: a source trial's end. */
typedef struct {
    trial_state_t state; /* COMPLETE or PRUNED */
    double value;
    double *x;           /* the target space's nx values; owned */
} store_obs_t;
/* The COMPLETE and PRUNED search trials of study `name` in src, in number order, with x
 * mapped into target (same parameters and distributions: points_space_map) and the
 * same direction dir: 0 (*obs, *n; free with store_obs_free), 1 when that is bad input
 * (err: no such study, another direction, the first differing parameter), -1 with err. */
int store_warm_source(store_t *src, const char *name, const space_t *target, direction_t dir,
                      store_obs_t **obs, int *n, char *err);
void store_obs_free(store_obs_t **obs, int n);
/* A new study (store_study_insert) and its warm-start observations, in one transaction.
 * They are stored as trials of kind 'warm' numbered -n .. -1 (in the view trial_params;
 * no count, listing or best of the study reads them). */
int store_study_insert_warm(store_t *self, const char *name, const char *config,
                            const store_obs_t *obs, int n, int64_t *id_out, char *err);
/* The warm-start observations of a study in number order (-n .. -1); stops early when
 * cb returns non-zero (returned). -1 with err. */
int store_warm_each(store_t *self, int64_t study_id, store_trial_fn cb, void *arg, char *err);
/* Enqueue n points (xs: n rows of nx values) as WAITING search trials numbered after
 * the study's last one (*first: the first number; ids[n] their trial ids when not NULL), in one transaction. */
int store_enqueue(store_t *self, int64_t study_id, const double *xs, int nx, int n, long *first,
                  int64_t *ids, char *err);
/* The points (core/points.h) to enqueue into study `name`, encoded: 0 with *xs (points
 * rows of *nx values; caller frees) and *study_id; 1 on bad input, err saying why (no
 * such study, a point that does not fit the space, or more trials than n_trials: the
 * enqueued ones count toward it, as in Optuna); -1 with err. */
struct points_s;
int store_enqueue_check(store_t *self, const char *name, const struct points_s *pts, double **xs,
                        int *nx, int64_t *study_id, char *err);
void store_warm_test(bool verbose);

void store_test(bool verbose);
void store_interop_test(bool verbose);

#endif
