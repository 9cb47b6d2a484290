/* store_priv — what the store files share (core/store.c: open, schema, migrations,
 * transactions; core/store_trials.c: trial writes; core/store_read.c: studies, workers,
 * promotions and the read side of reports). Internal to core/store*.c: nothing else
 * sees the connection, so every SQL statement of hps lives in these files.
 *
 * Trial states are stored by name ('WAITING', 'RUNNING', ...; trial_state_name) and
 * always bound from the C enum, never spelled in SQL text, so a typo cannot compile. */
#ifndef HPS_STORE_PRIV_H
#define HPS_STORE_PRIV_H

#include <sqlite3.h>
#include <sys/types.h>

#include "core/store.h"

/* Slots of the statement cache: statements run per trial or per study of a report
 * are prepared once per connection (store_stmt), the rest per call. */
enum {
    STORE_Q_TRIAL_INSERT,
    STORE_Q_TRIAL_LEASE,
    STORE_Q_TRIAL_REQUEUE,
    STORE_Q_TRIAL_RELEASE,
    STORE_Q_TRIAL_STATE,
    STORE_Q_TRIAL_FINISH,
    STORE_Q_TRIAL_SCORES,
    STORE_Q_TELL_INSERT,
    STORE_Q_INTER_INSERT,
    STORE_Q_INTER_DELETE,
    STORE_Q_WORKER_HEARD,
    STORE_Q_COUNTS,
    STORE_Q_BEST,
    STORE_Q_BEST_MAX,
    STORE_Q_STUDY_CONFIG,
    STORE_Q_PROMOTIONS,
    STORE_Q_COUNT
};

struct store_s {
    sqlite3 *db;
    char *wal_path;            /* path-wal of a writable file, watched (store_check.c) */
    bool wal_seen;             /* wal_dev/wal_ino are the WAL's */
    dev_t wal_dev;
    ino_t wal_ino;
    bool in_batch;                  /* inside store_batch_begin .. store_batch_commit */
    struct store_space_s *spaces;   /* the studies' spaces, by id (store_params.c) */
    int n_spaces;
    sqlite3_stmt *q[STORE_Q_COUNT]; /* prepared lazily, finalized on close */
};

/* -1 with "sqlite: what: <sqlite's message>" in err. */
int store_db_err(store_t *self, char *err, const char *what);
/* Run SQL text without results; 0 or -1 with err. */
int store_exec(store_t *self, const char *sql, char *err);
/* The cached statement of slot q (sql is its text; the same for every call of a
 * slot), reset and unbound; NULL with err on failure. Borrowed. */
sqlite3_stmt *store_stmt(store_t *self, int q, const char *sql, char *err);
/* A one-off statement; finalize it. NULL with err on failure. */
sqlite3_stmt *store_prepare(store_t *self, const char *sql, char *err);
/* Step a write statement to completion and reset it; rows changed, or -1 with err. */
int store_step_done(store_t *self, sqlite3_stmt *st, char *err);
/* Run a one-off write statement with bound args in its own change, finalize it. */
int store_write1(store_t *self, sqlite3_stmt *st, char *err);
/* One state change: its own transaction, or inside a batch its own savepoint. */
int store_begin(store_t *self, char *err);
/* Commit when rc == 0, roll back otherwise; returns rc (or -1 if the commit fails). */
int store_end(store_t *self, int rc, char *err);

/* 0 when the file holds every table and column of schema (SQL text of the newest
 * schema), every index and view of it by name, and every table whose CREATE has the
 * text must (a CHECK) keeps it; -1 with
 * "not a complete hps study database: table 'x' ..." in err (core/store_schema.c). */
int store_schema_check(store_t *self, const char *schema, const char *must, char *err);

/* Watch path's WAL from now on (a writable open in WAL mode). */
void store_wal_watch(store_t *self, const char *path);
/* 0 when the watched WAL is still the file it was (stat: same device and inode); -1
 * with err when it was deleted or replaced (store_batch_commit checks after each
 * commit: replies wait for it). */
int store_wal_check(store_t *self, char *err);

/* The trial's point x (nx internal values) of study study_id as the JSON object
 * trials.params holds ({"name": value, ...}, decoded by the study's space), or NULL
 * when the study's config gives no space of nx parameters. Caller frees. The space is
 * read once per study and connection. */
char *store_params_json(store_t *self, int64_t study_id, const double *x, int nx);
/* Forget the space kept for study_id (a new study row may reuse a deleted one's id). */
void store_params_forget(store_t *self, int64_t study_id);
/* Free every kept space (store_close). */
void store_params_close(store_t *self);
/* Fill trials.params of every trial that has a point (the migration to version 4). */
int store_params_fill(store_t *self, char *err);

/* A study file opened for writing: the file, its -wal and -shm are made the owner's
 * only (0600) when they are ours and group or others may read them (files made before
 * hps created them private); logged once per file changed when tell. This function can't fail:
 * a file it cannot change is logged and left. */
void store_tighten_modes(const char *path, bool tell);

/* Bind v, or NULL when v is NaN (how the store writes "none"). */
int store_bind_real(sqlite3_stmt *st, int i, double v);
/* Bind a trial state by its name. */
int store_bind_state(sqlite3_stmt *st, int i, trial_state_t s);
/* Column i as a double, NaN for NULL; as an owned string, NULL for NULL; as a trial
 * state (-1 for a name this build does not know). */
double store_col_real(sqlite3_stmt *st, int i);
char *store_col_text(sqlite3_stmt *st, int i);
int store_col_state(sqlite3_stmt *st, int i);

/* For self-tests: one integer from SQL on the store's connection (-1 for no row);
 * remove a study file and its WAL side files. */
long store_sql_long(store_t *s, const char *sql);
void store_unlink_files(const char *path);
/* Turn a mkstemp template ("/tmp/x-XXXXXX") into a fresh path where nothing exists yet. */
void store_test_path(char *path);
/* A study stored as the scheduler stores it (its config, stating its direction); its id.
 * Asserts success. */
int64_t store_test_study(store_t *s, const char *name, const char *config, direction_t dir);

/* The row of a new study, inside the caller's transaction (store_study_insert without
 * its own; store_study.c). */
int store_study_insert_row(store_t *self, const char *name, const char *config,
                           int64_t *id_out, char *err);

#endif
