/* store — SQLite persistence of studies and trials (see store.h).
 *
 * Hot statements (trial create/finish/lease) are prepared once and kept; each public
 * mutator runs in its own transaction (BEGIN IMMEDIATE .. COMMIT), so a crash between
 * any two calls leaves the file consistent. Readers in other processes (hps status,
 * hps leaderboard) never block the coordinator thanks to WAL. */
#include "core/store.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

enum {
    Q_TRIAL_INSERT,
    Q_TRIAL_LEASE,
    Q_TRIAL_REQUEUE,
    Q_TRIAL_RELEASE,
    Q_TRIAL_STATE,
    Q_TRIAL_FINISH,
    Q_TELL_INSERT,
    Q_INTER_INSERT,
    Q_INTER_DELETE,
    Q_WORKER_HEARD,
    Q_COUNT
};

static const char *const s_sql[Q_COUNT] = {
    [Q_TRIAL_INSERT] = "INSERT INTO trials(study_id, number, kind, state, attempt, worker, x,"
                       " created, started) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8)",
    [Q_TRIAL_LEASE] = "UPDATE trials SET state = 1, worker = ?3, started = ?4"
                      " WHERE id = ?1 AND attempt = ?2 AND state = 0",
    [Q_TRIAL_REQUEUE] = "UPDATE trials SET state = 0, attempt = ?2, worker = NULL"
                        " WHERE id = ?1 AND state = 1 AND attempt = ?2 - 1",
    [Q_TRIAL_RELEASE] = "UPDATE trials SET state = 0, worker = NULL"
                        " WHERE id = ?1 AND state = 1 AND attempt = ?2",
    [Q_TRIAL_STATE] = "SELECT state, attempt FROM trials WHERE id = ?1",
    [Q_TRIAL_FINISH] = "UPDATE trials SET state = ?3, value = ?4, secs = ?5, cv_mean = ?6,"
                       " cv_std = ?7, val_score = ?8, test_score = ?9, folds = ?10,"
                       " error = ?11, finished = ?12"
                       " WHERE id = ?1 AND attempt = ?2 AND state = 1",
    [Q_TELL_INSERT] = "INSERT OR IGNORE INTO tells(trial_id, attempt, state, value, stale, at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_INTER_INSERT] = "INSERT OR IGNORE INTO intermediate(trial_id, step, value)"
                       " VALUES (?1, ?2, ?3)",
    [Q_INTER_DELETE] = "DELETE FROM intermediate WHERE trial_id = ?1",
    [Q_WORKER_HEARD] = "UPDATE workers SET last_seen = ?2 WHERE name = ?1 AND last_seen < ?2",
};

static const char *const s_schema =
    "CREATE TABLE studies("
    " id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, config TEXT NOT NULL,"
    " direction INTEGER NOT NULL, n_trials INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'running', created REAL, finished REAL,"
    " best_trial INTEGER, test_score REAL, tier TEXT);"
    "CREATE TABLE trials("
    " id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id),"
    " number INTEGER NOT NULL, kind TEXT NOT NULL, state INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL, worker TEXT, x BLOB, value REAL, secs REAL,"
    " cv_mean REAL, cv_std REAL, val_score REAL, test_score REAL, folds TEXT, error TEXT,"
    " created REAL, started REAL, finished REAL, UNIQUE(study_id, kind, number));"
    "CREATE INDEX trials_state ON trials(study_id, kind, state);"
    "CREATE TABLE intermediate(trial_id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " value REAL, PRIMARY KEY(trial_id, step)) WITHOUT ROWID;"
    "CREATE TABLE tells(trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL,"
    " state INTEGER NOT NULL, value REAL, stale INTEGER NOT NULL, at REAL,"
    " PRIMARY KEY(trial_id, attempt)) WITHOUT ROWID;"
    "CREATE TABLE workers(name TEXT PRIMARY KEY, host TEXT, pid INTEGER, slots INTEGER,"
    " first_seen REAL, last_seen REAL, lease_ms INTEGER, left_at REAL);"
    "CREATE TABLE promotions(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL,"
    " stage TEXT NOT NULL, tier TEXT, forced INTEGER NOT NULL, test_score REAL, at REAL);";

/* s_upgrade[v] takes a file from schema version v to v + 1 (s_schema is the newest
 * whole). Version 2: workers.lease_ms (the coordinator's lease, to tell a gone worker)
 * and workers.left_at (when it was told BYE). */
static const char *const s_upgrade[STORE_SCHEMA_VERSION] = {
    [1] = "ALTER TABLE workers ADD COLUMN lease_ms INTEGER;"
          "ALTER TABLE workers ADD COLUMN left_at REAL;",
};

struct store_s {
    sqlite3 *db;
    bool in_batch;            /* inside store_batch_begin .. store_batch_commit */
    sqlite3_stmt *q[Q_COUNT]; /* prepared lazily, finalized on close */
};

static int s_db_err(store_t *self, char *err, const char *what)
{
    return set_err(err, "sqlite: %s: %s", what, sqlite3_errmsg(self->db));
}

static int s_exec(store_t *self, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, "sqlite: %s", msg ? msg : sqlite3_errmsg(self->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* The cached statement for q, reset and unbound; NULL with err on failure. */
static sqlite3_stmt *s_stmt(store_t *self, int q, char *err)
{
    if (!self->q[q]) {
        if (sqlite3_prepare_v3(self->db, s_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &self->q[q],
                               NULL) != SQLITE_OK) {
            s_db_err(self, err, "prepare");
            return NULL;
        }
    }
    sqlite3_reset(self->q[q]);
    sqlite3_clear_bindings(self->q[q]);
    return self->q[q];
}

/* Step a write statement to completion; returns rows changed, or -1 with err. */
static int s_step_done(store_t *self, sqlite3_stmt *st, char *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return s_db_err(self, err, "step");
    return sqlite3_changes(self->db);
}

/* One state change: its own transaction, or inside a batch its own savepoint (a
 * nested transaction: all of it or nothing, whatever the other changes do). */
static int s_begin(store_t *self, char *err)
{
    /* SQLite rolls a whole transaction back on some errors (disk full, I/O); a
     * savepoint then would quietly start a transaction of its own. */
    if (self->in_batch && sqlite3_get_autocommit(self->db))
        return set_err(err, "sqlite: the batch transaction was rolled back");
    return s_exec(self, self->in_batch ? "SAVEPOINT change" : "BEGIN IMMEDIATE", err);
}

/* Commit when rc == 0, roll back otherwise; returns rc (or -1 if the commit fails). */
static int s_end(store_t *self, int rc, char *err)
{
    if (rc == 0)
        return s_exec(self, self->in_batch ? "RELEASE change" : "COMMIT", err);
    char ignore[HPS_ERR_LEN];
    s_exec(self, self->in_batch ? "ROLLBACK TO change; RELEASE change" : "ROLLBACK", ignore);
    return rc;
}

int store_batch_begin(store_t *self, char *err)
{
    assert(!self->in_batch);
    if (s_exec(self, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    self->in_batch = true;
    return 0;
}

int store_batch_commit(store_t *self, char *err)
{
    assert(self->in_batch);
    self->in_batch = false;
    if (s_exec(self, "COMMIT", err) == 0)
        return 0;
    char ignore[HPS_ERR_LEN];
    s_exec(self, "ROLLBACK", ignore);
    return -1;
}

bool store_in_batch(const store_t *self) { return self->in_batch; }

static int s_bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

static int s_migrate(store_t *self, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "user_version");
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return s_db_err(self, err, "user_version");
    if (version > STORE_SCHEMA_VERSION)
        return set_err(err, "database schema version %d is newer than this hps (%d)", version,
                       STORE_SCHEMA_VERSION);
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    if (s_begin(self, err) != 0)
        return -1;
    int rc = version == 0 ? s_exec(self, s_schema, err) : 0;
    for (int v = version; rc == 0 && v > 0 && v < STORE_SCHEMA_VERSION; v++)
        rc = s_exec(self, s_upgrade[v], err);
    if (rc == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
        rc = s_exec(self, sql, err);
    }
    return s_end(self, rc, err);
}

store_t *store_open(const char *path, bool create, bool sync_full, char *err)
{
    if (!create && access(path, F_OK) != 0) {
        set_err(err, "%s: no such study database", path);
        return NULL;
    }
    store_t *self = xcalloc(1, sizeof *self);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &self->db, flags, NULL) != SQLITE_OK) {
        set_err(err, "%s: %s", path, self->db ? sqlite3_errmsg(self->db) : "cannot open");
        store_close(&self);
        return NULL;
    }
    sqlite3_busy_timeout(self->db, 10000);
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;",
             sync_full ? "FULL" : "NORMAL");
    if (s_exec(self, pragmas, err) != 0 || s_migrate(self, err) != 0) {
        char tmp[HPS_ERR_LEN];
        snprintf(tmp, sizeof tmp, "%s: %s", path, err);
        snprintf(err, HPS_ERR_LEN, "%s", tmp);
        store_close(&self);
        return NULL;
    }
    return self;
}

void store_close(store_t **self_p)
{
    assert(self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(self->q[i]);
    if (sqlite3_close(self->db) != SQLITE_OK)
        log_warn("sqlite close: %s", sqlite3_errmsg(self->db));
    free(self);
    *self_p = NULL;
}

sqlite3 *store_db(store_t *self) { return self->db; }

/* ---- studies ---------------------------------------------------------------------- */

void store_study_clear(store_study_t *s)
{
    free(s->name);
    free(s->config);
    memset(s, 0, sizeof *s);
}

int store_study_insert(store_t *self, const char *name, const char *config, direction_t dir,
                       long n_trials, int64_t *id_out, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO studies(name, config, direction, n_trials, created)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, (int)dir);
    sqlite3_bind_int64(st, 4, n_trials);
    sqlite3_bind_double(st, 5, now_secs());
    int rc = s_begin(self, err);
    if (rc == 0 && s_step_done(self, st, err) < 0)
        rc = -1;
    if (rc == 0)
        *id_out = sqlite3_last_insert_rowid(self->db);
    sqlite3_finalize(st);
    return s_end(self, rc, err);
}

static const char *const s_study_cols =
    "SELECT id, name, config, direction, n_trials, state, created, finished FROM studies";

static void s_study_row(sqlite3_stmt *st, store_study_t *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->name = xstrdup((const char *)sqlite3_column_text(st, 1));
    out->config = xstrdup((const char *)sqlite3_column_text(st, 2));
    out->direction = sqlite3_column_int(st, 3) < 0 ? DIR_MAXIMIZE : DIR_MINIMIZE;
    out->n_trials = (long)sqlite3_column_int64(st, 4);
    snprintf(out->state, sizeof out->state, "%s", (const char *)sqlite3_column_text(st, 5));
    out->created = sqlite3_column_double(st, 6);
    out->finished = sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 7);
}

int store_study_get(store_t *self, const char *name, store_study_t *out, char *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, "%s WHERE name = ?1", s_study_cols);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int ret = 1;
    if (rc == SQLITE_ROW) {
        s_study_row(st, out);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = s_db_err(self, err, "study");
    sqlite3_finalize(st);
    return ret;
}

int store_studies(store_t *self, store_study_t **out, int *n, char *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, "%s ORDER BY id", s_study_cols);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    int cap = 8, rc;
    *n = 0;
    *out = xcalloc((size_t)cap, sizeof **out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap *= 2;
            *out = xrealloc(*out, sizeof **out * (size_t)cap);
        }
        s_study_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_studies_free(out, *n);
        return s_db_err(self, err, "studies");
    }
    return 0;
}

void store_studies_free(store_study_t **list, int n)
{
    if (!*list)
        return;
    for (int i = 0; i < n; i++)
        store_study_clear(&(*list)[i]);
    free(*list);
    *list = NULL;
}

/* Run a one-off write statement with bound args in its own transaction. */
static int s_write1(store_t *self, sqlite3_stmt *st, char *err)
{
    int rc = s_begin(self, err);
    if (rc == 0 && s_step_done(self, st, err) < 0)
        rc = -1;
    sqlite3_finalize(st);
    return s_end(self, rc, err);
}

int store_study_set_state(store_t *self, int64_t id, const char *state, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "UPDATE studies SET state = ?2, finished = CASE WHEN ?2 = 'running'"
                           " THEN NULL ELSE ?3 END WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, now_secs());
    return s_write1(self, st, err);
}

int store_study_set_final(store_t *self, int64_t id, int64_t best_trial, double test_score,
                          const char *tier, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "UPDATE studies SET best_trial = ?2, test_score = ?3, tier = ?4"
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, best_trial);
    s_bind_real_or_null(st, 3, test_score);
    sqlite3_bind_text(st, 4, tier, -1, SQLITE_TRANSIENT);
    return s_write1(self, st, err);
}

/* ---- trials ----------------------------------------------------------------------- */

int store_trials_each(store_t *self, int64_t study_id, store_trial_fn cb, void *arg, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT id, number, kind, state, attempt, value, x, worker FROM trials"
                           " WHERE study_id = ?1 ORDER BY kind = 'final', number",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_t t = {0};
        t.id = sqlite3_column_int64(st, 0);
        t.number = (long)sqlite3_column_int64(st, 1);
        t.final = strcmp((const char *)sqlite3_column_text(st, 2), "final") == 0;
        t.state = (trial_state_t)sqlite3_column_int(st, 3);
        t.attempt = sqlite3_column_int(st, 4);
        t.value = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
        t.x = sqlite3_column_blob(st, 6);
        t.nx = sqlite3_column_bytes(st, 6) / (int)sizeof(double);
        t.worker = (const char *)sqlite3_column_text(st, 7);
        if ((ret = cb(arg, &t)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = s_db_err(self, err, "trials");
    sqlite3_finalize(st);
    return ret;
}

int store_intermediates_each(store_t *self, int64_t study_id, store_inter_fn cb, void *arg,
                             char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT i.trial_id, t.number, i.step, i.value FROM intermediate i"
                           " JOIN trials t ON t.id = i.trial_id WHERE t.study_id = ?1"
                           " ORDER BY t.number, i.step",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = cb(arg, sqlite3_column_int64(st, 0), (long)sqlite3_column_int64(st, 1),
                 (long)sqlite3_column_int64(st, 2), sqlite3_column_double(st, 3));
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = s_db_err(self, err, "intermediate");
    sqlite3_finalize(st);
    return ret;
}

int store_trial_create(store_t *self, int64_t study_id, long number, bool final,
                       const double *x, int nx, const char *worker, int64_t *id_out, char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_TRIAL_INSERT, err);
    if (!st)
        return -1;
    double now = now_secs();
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_text(st, 3, final ? "final" : "search", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, worker ? TRIAL_RUNNING : TRIAL_WAITING);
    if (worker)
        sqlite3_bind_text(st, 5, worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, x, nx * (int)sizeof(double), SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 7, now);
    if (worker)
        sqlite3_bind_double(st, 8, now);
    int rc = s_begin(self, err);
    if (rc == 0 && s_step_done(self, st, err) != 1)
        rc = -1;
    if (rc == 0)
        *id_out = sqlite3_last_insert_rowid(self->db);
    return s_end(self, rc, err);
}

/* One cached UPDATE expected to change exactly one row, in its own transaction. */
static int s_update1(store_t *self, sqlite3_stmt *st, const char *what, char *err)
{
    int rc = s_begin(self, err);
    if (rc == 0) {
        int changed = s_step_done(self, st, err);
        if (changed == 0)
            rc = set_err(err, "%s: trial is not in the expected state", what);
        else if (changed < 0)
            rc = -1;
    }
    return s_end(self, rc, err);
}

int store_trial_lease(store_t *self, int64_t trial_id, int attempt, const char *worker,
                      char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_TRIAL_LEASE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_text(st, 3, worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, now_secs());
    return s_update1(self, st, "lease", err);
}

/* RUNNING -> WAITING through statement q (bound: ?1 trial, ?2 attempt), and the
 * trial's intermediate values go: the next run reports its steps anew. */
static int s_to_waiting(store_t *self, int q, int64_t trial_id, int attempt, char *err)
{
    sqlite3_stmt *st = s_stmt(self, q, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    int rc = s_begin(self, err);
    if (rc == 0) {
        int changed = s_step_done(self, st, err);
        rc = changed == 1 ? 0 : changed == 0 ? set_err(err, "requeue: trial is not running") : -1;
    }
    st = rc == 0 ? s_stmt(self, Q_INTER_DELETE, err) : NULL;
    if (rc == 0 && !st)
        rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, trial_id);
        if (s_step_done(self, st, err) < 0)
            rc = -1;
    }
    return s_end(self, rc, err);
}

int store_trial_requeue(store_t *self, int64_t trial_id, int new_attempt, char *err)
{
    return s_to_waiting(self, Q_TRIAL_REQUEUE, trial_id, new_attempt, err);
}

int store_trial_release(store_t *self, int64_t trial_id, int attempt, char *err)
{
    return s_to_waiting(self, Q_TRIAL_RELEASE, trial_id, attempt, err);
}

int store_trial_state(store_t *self, int64_t trial_id, trial_state_t *state, int *attempt,
                      char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_TRIAL_STATE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        *state = (trial_state_t)sqlite3_column_int(st, 0);
        *attempt = sqlite3_column_int(st, 1);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = s_db_err(self, err, "trial state");
    sqlite3_reset(st);
    return ret;
}

static char *s_folds_json(const store_result_t *r)
{
    if (r->n_folds <= 0)
        return NULL;
    strbuf_t sb;
    sb_init(&sb);
    sb_putc(&sb, '[');
    for (int i = 0; i < r->n_folds; i++) {
        if (i)
            sb_putc(&sb, ',');
        sb_json_num(&sb, r->folds[i]);
    }
    sb_putc(&sb, ']');
    return sb_take(&sb);
}

/* Insert the TELL log row; st is the cached Q_TELL_INSERT. */
static int s_tell_log(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                      bool stale, char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_TELL_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_int(st, 3, (int)r->state);
    s_bind_real_or_null(st, 4, r->value);
    sqlite3_bind_int(st, 5, stale);
    sqlite3_bind_double(st, 6, now_secs());
    return s_step_done(self, st, err) < 0 ? -1 : 0;
}

int store_trial_finish(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                       char *err)
{
    assert(r->state == TRIAL_COMPLETE || r->state == TRIAL_PRUNED || r->state == TRIAL_FAIL);
    sqlite3_stmt *st = s_stmt(self, Q_TRIAL_FINISH, err);
    if (!st)
        return -1;
    char *folds = s_folds_json(r);
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_int(st, 3, (int)r->state);
    s_bind_real_or_null(st, 4, r->value);
    s_bind_real_or_null(st, 5, r->secs);
    s_bind_real_or_null(st, 6, r->cv_mean);
    s_bind_real_or_null(st, 7, r->cv_std);
    s_bind_real_or_null(st, 8, r->val_score);
    s_bind_real_or_null(st, 9, r->test_score);
    if (folds)
        sqlite3_bind_text(st, 10, folds, -1, SQLITE_TRANSIENT);
    if (r->error && *r->error)
        sqlite3_bind_text(st, 11, r->error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 12, now_secs());
    free(folds);
    int rc = s_begin(self, err);
    if (rc == 0) {
        int changed = s_step_done(self, st, err);
        if (changed == 0)
            rc = set_err(err, "finish: trial %lld attempt %d is not running",
                         (long long)trial_id, attempt);
        else if (changed < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = s_tell_log(self, trial_id, attempt, r, false, err);
    return s_end(self, rc, err);
}

int store_tell_stale(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                     char *err)
{
    int rc = s_begin(self, err);
    if (rc == 0)
        rc = s_tell_log(self, trial_id, attempt, r, true, err);
    return s_end(self, rc, err);
}

int store_intermediate(store_t *self, int64_t trial_id, long step, double value, char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_INTER_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int64(st, 2, step);
    s_bind_real_or_null(st, 3, value);
    int rc = s_begin(self, err);
    if (rc == 0 && s_step_done(self, st, err) < 0)
        rc = -1;
    return s_end(self, rc, err);
}

int store_worker_seen(store_t *self, const char *name, const char *host, long pid, int slots,
                      long lease_ms, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO workers(name, host, pid, slots, first_seen, last_seen,"
                           " lease_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"
                           " ON CONFLICT(name) DO UPDATE SET host = ?2, pid = ?3, slots = ?4,"
                           " last_seen = ?5, lease_ms = ?6, left_at = NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, pid);
    sqlite3_bind_int(st, 4, slots);
    sqlite3_bind_double(st, 5, now_secs());
    sqlite3_bind_int64(st, 6, lease_ms);
    return s_write1(self, st, err);
}

int store_worker_heard(store_t *self, const char *name, double at, char *err)
{
    sqlite3_stmt *st = s_stmt(self, Q_WORKER_HEARD, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, at);
    int rc = s_begin(self, err);
    if (rc == 0 && s_step_done(self, st, err) < 0)
        rc = -1;
    return s_end(self, rc, err);
}

int store_worker_left(store_t *self, const char *name, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db, "UPDATE workers SET left_at = ?2 WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, now_secs());
    return s_write1(self, st, err);
}

int store_worker_pid(store_t *self, const char *name, long *pid, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db, "SELECT pid FROM workers WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        *pid = (long)sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = s_db_err(self, err, "worker");
    sqlite3_finalize(st);
    return ret;
}

int store_promotion(store_t *self, int64_t study_id, const char *stage, const char *tier,
                    bool forced, double test_score, char *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO promotions(study_id, stage, tier, forced, test_score, at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return s_db_err(self, err, "prepare");
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_text(st, 2, stage, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, tier, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, forced);
    s_bind_real_or_null(st, 5, test_score);
    sqlite3_bind_double(st, 6, now_secs());
    return s_write1(self, st, err);
}

/* ---- self-test -------------------------------------------------------------------- */

static int s_count_cb(void *arg, const store_trial_t *t)
{
    int *counts = arg;
    counts[t->state]++;
    assert(t->nx == 2 && t->x[1] == 2.5);
    return 0;
}

/* Remove a test DB and its WAL side files. */
static void s_unlink_db(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* A version-1 file (workers without lease_ms, left_at) opens, upgraded in place, and
 * keeps its rows. */
static void s_test_upgrade(const char *path)
{
    char err[HPS_ERR_LEN];
    sqlite3 *db;
    assert(sqlite3_open(path, &db) == SQLITE_OK);
    assert(sqlite3_exec(db,
                        "CREATE TABLE workers(name TEXT PRIMARY KEY, host TEXT, pid INTEGER,"
                        " slots INTEGER, first_seen REAL, last_seen REAL);"
                        "INSERT INTO workers VALUES ('old', 'h', 1, 2, 5, 6);"
                        "PRAGMA user_version = 1;",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    store_t *s = store_open(path, false, false, err);
    assert(s);
    sqlite3_stmt *q;
    assert(sqlite3_prepare_v2(s->db, "SELECT last_seen, lease_ms IS NULL, left_at IS NULL"
                              " FROM workers", -1, &q, NULL) == SQLITE_OK);
    assert(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_double(q, 0) == 6);
    assert(sqlite3_column_int(q, 1) == 1 && sqlite3_column_int(q, 2) == 1);
    sqlite3_finalize(q);
    assert(store_worker_heard(s, "old", 7, err) == 0);
    assert(store_worker_heard(s, "old", 6.5, err) == 0); /* older: ignored */
    assert(store_worker_left(s, "old", err) == 0);
    assert(store_worker_seen(s, "old", "h2", 3, 2, 1000, err) == 0);
    assert(sqlite3_prepare_v2(s->db, "SELECT lease_ms, left_at IS NULL, first_seen FROM workers",
                              -1, &q, NULL) == SQLITE_OK);
    assert(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1000);
    assert(sqlite3_column_int(q, 1) == 1 && sqlite3_column_double(q, 2) == 5);
    sqlite3_finalize(q);
    store_close(&s);
    s = store_open(path, false, false, err); /* upgraded once: no second ALTER */
    assert(s);
    store_close(&s);
    s_unlink_db(path);
}

void store_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-store-XXXXXX";
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    unlink(path);
    assert(!store_open(path, false, false, err) && strstr(err, "no such"));
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t sid, t1, t2;
    assert(store_study_insert(s, "a", "{}", DIR_MAXIMIZE, 10, &sid, err) == 0);
    assert(store_study_insert(s, "a", "{}", DIR_MAXIMIZE, 10, &sid, err) == -1);
    double x[2] = {1, 2.5};
    assert(store_trial_create(s, sid, 0, false, x, 2, "w1", &t1, err) == 0);
    assert(store_trial_create(s, sid, 1, false, x, 2, "w1", &t2, err) == 0);
    assert(store_trial_create(s, sid, 1, false, x, 2, "w1", &t2, err) == -1); /* dup number */
    store_result_t r = {.state = TRIAL_COMPLETE, .value = 0.5, .secs = 1, .cv_mean = NAN,
                        .cv_std = NAN, .val_score = NAN, .test_score = NAN};
    assert(store_trial_finish(s, t1, 1, &r, err) == 0);
    assert(store_trial_finish(s, t1, 1, &r, err) == -1); /* not running any more */
    assert(store_intermediate(s, t2, 1, 0.9, err) == 0);
    assert(store_trial_requeue(s, t2, 2, err) == 0);
    sqlite3_stmt *q;
    assert(sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM intermediate", -1, &q, NULL) == 0);
    assert(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0); /* attempt 1's */
    sqlite3_finalize(q);
    assert(store_trial_finish(s, t2, 1, &r, err) == -1); /* superseded attempt */
    assert(store_tell_stale(s, t2, 1, &r, err) == 0);
    assert(store_trial_lease(s, t2, 2, "w2", err) == 0);
    trial_state_t state;
    int attempt;
    /* released (its worker was stopped): WAITING again as the same attempt */
    assert(store_trial_release(s, t2, 1, err) == -1); /* not the running attempt */
    assert(store_trial_release(s, t2, 2, err) == 0);
    assert(store_trial_state(s, t2, &state, &attempt, err) == 0);
    assert(state == TRIAL_WAITING && attempt == 2);
    assert(store_trial_release(s, t2, 2, err) == -1); /* not running any more */
    assert(store_trial_lease(s, t2, 2, "w2", err) == 0);
    assert(store_trial_state(s, t2, &state, &attempt, err) == 0);
    assert(state == TRIAL_RUNNING && attempt == 2);
    assert(store_intermediate(s, t2, 1, 0.3, err) == 0);
    store_close(&s);
    /* reopen: everything is still there */
    s = store_open(path, false, true, err);
    assert(s);
    store_study_t st;
    assert(store_study_get(s, "a", &st, err) == 0 && st.direction == DIR_MAXIMIZE);
    assert(store_study_get(s, "b", &st, err) == 1);
    int counts[TRIAL_NSTATES] = {0};
    assert(store_trials_each(s, sid, s_count_cb, counts, err) == 0);
    assert(counts[TRIAL_COMPLETE] == 1 && counts[TRIAL_RUNNING] == 1);
    store_study_clear(&st);
    store_close(&s);
    s_unlink_db(path);
    s_test_upgrade(path);
}
