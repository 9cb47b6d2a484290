/* store — SQLite persistence of studies and trials (see store.h): opening a file, its
 * schema and migrations, transactions, and the helpers the other store files share
 * (store_priv.h). Trial writes are in store_trials.c; studies, workers and promotions
 * in store_study.c; what reports read in store_read.c.
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

#include "core/config.h"
#include "core/log.h"
#include "core/store_priv.h"

/* The names of trial_state_t (core/trial.c), the only values a state column takes. */
#define S_STATE_COLUMN                                                                     \
    "state TEXT NOT NULL CHECK(state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED',"      \
    " 'FAIL'))"

/* extra: the columns later versions added at the end ("" in version 3). */
#define S_TRIALS_TABLE(name, extra)                                                        \
    "CREATE TABLE " name "("                                                               \
    " id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id),"           \
    " number INTEGER NOT NULL, kind TEXT NOT NULL, " S_STATE_COLUMN ","                    \
    " attempt INTEGER NOT NULL, worker TEXT, x BLOB, value REAL, secs REAL,"               \
    " cv_mean REAL, cv_std REAL, val_score REAL, test_score REAL, folds TEXT, error TEXT," \
    " created REAL, started REAL, finished REAL" extra ", UNIQUE(study_id, kind, number));"

#define S_TELLS_TABLE(name)                                                                \
    "CREATE TABLE " name "(trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL,"           \
    " " S_STATE_COLUMN ", value REAL, stale INTEGER NOT NULL, at REAL,"                    \
    " PRIMARY KEY(trial_id, attempt)) WITHOUT ROWID;"

/* Version 3's index; 4 adds the value and number, so that the best trial (the smallest
 * or largest value, the earliest number among ties) is two seeks (store_read.c). */
#define S_TRIALS_INDEX_V3 "CREATE INDEX trials_state ON trials(study_id, kind, state);"
#define S_TRIALS_INDEX                                                                     \
    "CREATE INDEX trials_state_value ON trials(study_id, kind, state, value, number);"

/* Every parameter of every trial as a row, decoded as the user sees it, for plain SQL:
 * trials.params is the JSON object of the trial's point (store_params.c). */
#define S_PARAMS_VIEW                                                                      \
    "CREATE VIEW trial_params(study, number, kind, name, value) AS"                        \
    " SELECT s.name, t.number, t.kind, p.key, p.value FROM trials AS t"                    \
    " JOIN studies AS s ON s.id = t.study_id JOIN json_each(t.params) AS p;"

/* Version 5: the model registry. A model version is the artifact of one final refit
 * (trial_id), registered under a name (`register:` or the study's) with a version
 * number per name, its blob (sha256, file name, size; in <db>.blobs/) and its lineage
 * as JSON; stage is where it is now ('none', 'staging', 'production', 'archived').
 * model_stages lists every move, who made it and when; a move past the rules is
 * forced. */
#define S_MODELS_TABLES                                                                    \
    "CREATE TABLE model_versions(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"              \
    " version INTEGER NOT NULL, study_id INTEGER NOT NULL, trial_id INTEGER UNIQUE NOT NULL," \
    " sha256 TEXT NOT NULL, file TEXT NOT NULL, size INTEGER NOT NULL,"                    \
    " stage TEXT NOT NULL DEFAULT 'none', cv_mean REAL, cv_std REAL, test_score REAL,"     \
    " tier TEXT, data_sha TEXT, lineage TEXT NOT NULL, created REAL,"                      \
    " UNIQUE(name, version));"                                                             \
    "CREATE TABLE model_stages(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"                \
    " version INTEGER NOT NULL, from_stage TEXT NOT NULL, to_stage TEXT NOT NULL,"         \
    " forced INTEGER NOT NULL, who TEXT, at REAL);"

/* The newest schema, whole. A study's direction and n_trials live in its config (the
 * one source; store_study_config). A worker's key is the CURVE key its name is bound
 * to (NULL on plain loopback). */
static const char *const s_schema =
    "CREATE TABLE studies("
    " id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, config TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'running', created REAL, finished REAL,"
    " best_trial INTEGER, test_score REAL, tier TEXT);"
        S_TRIALS_TABLE("trials", ", params TEXT") S_TRIALS_INDEX S_PARAMS_VIEW
    "CREATE TABLE intermediate(trial_id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " value REAL, PRIMARY KEY(trial_id, step)) WITHOUT ROWID;" S_TELLS_TABLE("tells")
    "CREATE TABLE workers(name TEXT PRIMARY KEY, host TEXT, pid INTEGER, slots INTEGER,"
    " first_seen REAL, last_seen REAL, lease_ms INTEGER, left_at REAL, key TEXT);"
    "CREATE TABLE promotions(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL,"
    " stage TEXT NOT NULL, tier TEXT, forced INTEGER NOT NULL, test_score REAL, at REAL);"
    S_MODELS_TABLES;

/* Schema 2 stored states as their enum numbers; 3 stores their names. */
#define S_STATE_NAME_OF_NUMBER                                                             \
    "CASE state WHEN 0 THEN 'WAITING' WHEN 1 THEN 'RUNNING' WHEN 2 THEN 'COMPLETE'"        \
    " WHEN 3 THEN 'PRUNED' WHEN 4 THEN 'FAIL' END"

/* Version 3, the tables: trial and tell states by name (SQLite changes a column's type
 * only by copying the table). */
static const char *const s_upgrade_states =
    S_TRIALS_TABLE("trials_v3", "")
    "INSERT INTO trials_v3 SELECT id, study_id, number, kind, " S_STATE_NAME_OF_NUMBER ","
    " attempt, worker, x, value, secs, cv_mean, cv_std, val_score, test_score, folds, error,"
    " created, started, finished FROM trials;"
    "DROP TABLE trials;"
    "ALTER TABLE trials_v3 RENAME TO trials;" S_TRIALS_INDEX_V3 S_TELLS_TABLE("tells_v3")
    "INSERT INTO tells_v3 SELECT trial_id, attempt, " S_STATE_NAME_OF_NUMBER ", value,"
    " stale, at FROM tells;"
    "DROP TABLE tells;"
    "ALTER TABLE tells_v3 RENAME TO tells;";

/* ---- shared helpers (store_priv.h) ------------------------------------------------ */

int store_db_err(store_t *self, char *err, const char *what)
{
    return set_err(err, "sqlite: %s: %s", what, sqlite3_errmsg(self->db));
}

int store_exec(store_t *self, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, "sqlite: %s", msg ? msg : sqlite3_errmsg(self->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

sqlite3_stmt *store_stmt(store_t *self, int q, const char *sql, char *err)
{
    assert(q >= 0 && q < STORE_Q_COUNT);
    if (!self->q[q]) {
        if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->q[q],
                               NULL) != SQLITE_OK) {
            store_db_err(self, err, "prepare");
            return NULL;
        }
    }
    assert(strcmp(sqlite3_sql(self->q[q]), sql) == 0); /* one text per slot */
    sqlite3_reset(self->q[q]);
    sqlite3_clear_bindings(self->q[q]);
    return self->q[q];
}

sqlite3_stmt *store_prepare(store_t *self, const char *sql, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_db_err(self, err, "prepare");
        return NULL;
    }
    return st;
}

int store_step_done(store_t *self, sqlite3_stmt *st, char *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_db_err(self, err, "step");
    return sqlite3_changes(self->db);
}

int store_write1(store_t *self, sqlite3_stmt *st, char *err)
{
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) < 0)
        rc = -1;
    sqlite3_finalize(st);
    return store_end(self, rc, err);
}

/* A nested transaction in a batch: all of the change or nothing, whatever the other
 * changes of the batch do. */
int store_begin(store_t *self, char *err)
{
    /* SQLite rolls a whole transaction back on some errors (disk full, I/O); a
     * savepoint then would quietly start a transaction of its own. */
    if (self->in_batch && sqlite3_get_autocommit(self->db))
        return set_err(err, "sqlite: the batch transaction was rolled back");
    return store_exec(self, self->in_batch ? "SAVEPOINT change" : "BEGIN IMMEDIATE", err);
}

int store_end(store_t *self, int rc, char *err)
{
    if (rc == 0)
        return store_exec(self, self->in_batch ? "RELEASE change" : "COMMIT", err);
    char ignore[HPS_ERR_LEN];
    store_exec(self, self->in_batch ? "ROLLBACK TO change; RELEASE change" : "ROLLBACK",
               ignore);
    return rc;
}

int store_bind_real(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

int store_bind_state(sqlite3_stmt *st, int i, trial_state_t s)
{
    return sqlite3_bind_text(st, i, trial_state_name(s), -1, SQLITE_STATIC);
}

double store_col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

char *store_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

int store_col_state(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? trial_state_parse((const char *)t) : -1;
}

/* ---- transactions ----------------------------------------------------------------- */

int store_batch_begin(store_t *self, char *err)
{
    assert(!self->in_batch);
    if (store_exec(self, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    self->in_batch = true;
    return 0;
}

int store_batch_commit(store_t *self, char *err)
{
    assert(self->in_batch);
    self->in_batch = false;
    if (store_exec(self, "COMMIT", err) == 0)
        return store_wal_check(self, err); /* committed where it will be kept? */
    char ignore[HPS_ERR_LEN];
    store_exec(self, "ROLLBACK", ignore);
    return -1;
}

bool store_in_batch(const store_t *self) { return self->in_batch; }

int store_snapshot_begin(store_t *self, bool *own, char *err)
{
    /* A caller already inside a transaction (the coordinator's own connection) reads
     * its own snapshot. */
    *own = sqlite3_get_autocommit(self->db) != 0;
    return *own ? store_exec(self, "BEGIN", err) : 0;
}

int store_snapshot_end(store_t *self, bool own, char *err)
{
    return own ? store_exec(self, "COMMIT", err) : 0;
}

/* ---- the config, the one source of direction and n_trials -------------------------- */

char *store_study_config(const char *json, direction_t dir, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "<stored study>", &errs);
    char *out = NULL;
    if (root && root->type == CFG_MAP && !cfg_get(root, "direction") &&
        cfg_set_path(root, "direction", dir == DIR_MAXIMIZE ? "maximize" : "minimize",
                     &errs) == 0)
        out = cfg_to_json(root);
    else if (root && root->type == CFG_MAP && errs.n == 0)
        out = xstrdup(json); /* it states one already */
    else
        set_err(err, "study config: %s", errs.n ? errs.msgs[0] : "not a map");
    cfg_free(&root);
    cfg_errs_free(&errs);
    return out;
}

void store_config_meta(const char *json, direction_t *dir, long *n_trials)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "<stored study>", &errs);
    const char *d = NULL;
    if (!root || cfg_str(root, "direction", NULL, &d, &errs) != 0)
        d = NULL;
    *dir = d && strcmp(d, "maximize") == 0 ? DIR_MAXIMIZE : DIR_MINIMIZE;
    if (!root || cfg_long(root, "n_trials", 0, n_trials, &errs) != 0)
        *n_trials = 0;
    cfg_free(&root);
    cfg_errs_free(&errs);
}

/* ---- opening and migrations ------------------------------------------------------- */

/* Version 2: workers.lease_ms (the coordinator's lease, to tell a gone worker) and
 * workers.left_at (when it was told BYE). */
static int s_upgrade_2(store_t *self, char *err)
{
    return store_exec(self,
                      "ALTER TABLE workers ADD COLUMN lease_ms INTEGER;"
                      "ALTER TABLE workers ADD COLUMN left_at REAL;",
                      err);
}

/* Version 3, the studies: the direction column goes into the config where the config
 * left it to the objective (a config that does not parse stays as it is: its study
 * cannot resume anyway), then the direction and n_trials columns go. */
static int s_upgrade_3_studies(store_t *self, char *err)
{
    sqlite3_stmt *sel = store_prepare(self, "SELECT id, config, direction FROM studies", err);
    sqlite3_stmt *upd = sel ? store_prepare(self, "UPDATE studies SET config = ?2 WHERE id = ?1",
                                            err)
                            : NULL;
    int rc = SQLITE_DONE, ret = upd ? 0 : -1;
    while (ret == 0 && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        char ignore[HPS_ERR_LEN];
        direction_t dir = sqlite3_column_int(sel, 2) < 0 ? DIR_MAXIMIZE : DIR_MINIMIZE;
        char *json = store_study_config((const char *)sqlite3_column_text(sel, 1), dir, ignore);
        if (!json)
            continue;
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_text(upd, 2, json, -1, SQLITE_TRANSIENT);
        free(json);
        if (store_step_done(self, upd, err) < 0)
            ret = -1;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "studies");
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    if (ret == 0)
        ret = store_exec(self,
                         "ALTER TABLE studies DROP COLUMN direction;"
                         "ALTER TABLE studies DROP COLUMN n_trials;",
                         err);
    return ret;
}

/* Version 3: trial states by name, a study's direction and n_trials only in its
 * config. */
static int s_upgrade_3(store_t *self, char *err)
{
    if (store_exec(self, s_upgrade_states, err) != 0)
        return -1;
    return s_upgrade_3_studies(self, err);
}

/* Version 4: workers.key (a name's CURVE key, kept across restarts), trials.params
 * (the point as JSON, filled for every stored trial) and the trial_params view on it,
 * the index that makes the best trial a seek. */
static int s_upgrade_4(store_t *self, char *err)
{
    if (store_exec(self,
                   "ALTER TABLE workers ADD COLUMN key TEXT;"
                   "ALTER TABLE trials ADD COLUMN params TEXT;"
                   "DROP INDEX trials_state;" S_TRIALS_INDEX S_PARAMS_VIEW,
                   err) != 0)
        return -1;
    return store_params_fill(self, err);
}

/* Version 5: the model registry's tables (empty: earlier files hold no artifacts). */
static int s_upgrade_5(store_t *self, char *err)
{
    return store_exec(self, S_MODELS_TABLES, err);
}

/* s_upgrade[v] takes a file from schema version v - 1 to v (s_schema is the newest
 * whole). */
static int (*const s_upgrade[STORE_SCHEMA_VERSION + 1])(store_t *, char *) = {
    [2] = s_upgrade_2,
    [3] = s_upgrade_3,
    [4] = s_upgrade_4,
    [5] = s_upgrade_5,
};

/* The file's schema version: 0 for a file hps never wrote, -1 with err. A file with
 * user_version 0 that holds tables is someone else's SQLite database: never ours to
 * add tables to, so it is refused here too. */
static int s_version(store_t *self, bool create, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT (SELECT user_version FROM pragma_user_version),"
                                           " (SELECT COUNT(*) FROM sqlite_master)", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    int tables = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : 0;
    sqlite3_finalize(st);
    if (version < 0)
        return store_db_err(self, err, "user_version");
    if (version == 0 && tables > 0)
        return set_err(err, "not an hps study database (a SQLite file with tables of its own)");
    if (version == 0 && !create)
        return set_err(err, "not an hps study database (an empty file)");
    if (version > STORE_SCHEMA_VERSION)
        return set_err(err, "database schema version %d is newer than this hps (%d)", version,
                       STORE_SCHEMA_VERSION);
    return version;
}

static int s_migrate(store_t *self, bool create, char *err)
{
    int version = s_version(self, create, err);
    if (version < 0)
        return -1;
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    /* One transaction: an old file is either migrated whole or left as it was. */
    if (store_begin(self, err) != 0)
        return -1;
    int rc = version == 0 ? store_exec(self, s_schema, err) : 0;
    for (int v = version + 1; rc == 0 && version > 0 && v <= STORE_SCHEMA_VERSION; v++)
        rc = s_upgrade[v](self, err);
    if (rc == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
        rc = store_exec(self, sql, err);
    }
    return store_end(self, rc, err);
}

/* The tables and columns of the newest schema, and the state CHECKs, are all there. */
static int s_check(store_t *self, char *err)
{
    return store_schema_check(self, s_schema, S_STATE_COLUMN, err);
}

/* "path: err" in err, the store closed: NULL. */
static store_t *s_fail(store_t **self_p, const char *path, char *err)
{
    char tmp[HPS_ERR_LEN];
    snprintf(tmp, sizeof tmp, "%s: %s", path, err);
    snprintf(err, HPS_ERR_LEN, "%s", tmp);
    store_close(self_p);
    return NULL;
}

/* The connection alone, with SQLite's open flags. NULL with err. */
static store_t *s_connect(const char *path, int flags, char *err)
{
    if (!(flags & (SQLITE_OPEN_CREATE | SQLITE_OPEN_URI)) && access(path, F_OK) != 0) {
        set_err(err, "%s: no such study database", path);
        return NULL;
    }
    store_t *self = xcalloc(1, sizeof *self);
    if (sqlite3_open_v2(path, &self->db, flags, NULL) != SQLITE_OK) {
        set_err(err, "%s: %s", path, self->db ? sqlite3_errmsg(self->db) : "cannot open");
        store_close(&self);
        return NULL;
    }
    sqlite3_busy_timeout(self->db, 10000);
    return self;
}

store_t *store_open(const char *path, bool create, bool sync_full, char *err)
{
    store_t *self = s_connect(path, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0),
                              err);
    if (!self)
        return NULL;
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;",
             sync_full ? "FULL" : "NORMAL");
    /* The version is checked before the journal mode is touched: a file that is not ours
     * is left exactly as it was. */
    int version = s_version(self, create, err);
    if (version < 0)
        return s_fail(&self, path, err);
    store_tighten_modes(path, version > 0); /* a new file: nothing to tell */
    if (store_exec(self, pragmas, err) != 0 || s_migrate(self, create, err) != 0 ||
        s_check(self, err) != 0)
        return s_fail(&self, path, err);
    store_wal_watch(self, path);
    return self;
}

/* path as an SQLite URI that says the file cannot change (caller frees). */
static char *s_immutable_uri(const char *path)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_puts(&sb, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sb_printf(&sb, "%%%02x", (unsigned char)*p);
        else
            sb_printf(&sb, "%c", *p);
    }
    sb_puts(&sb, "?immutable=1");
    return sb_take(&sb);
}

store_t *store_open_read(const char *path, char *err)
{
    store_t *self = s_connect(path, SQLITE_OPEN_READONLY, err);
    if (!self)
        return NULL;
    int version = s_version(self, false, err);
    int code = version < 0 ? sqlite3_errcode(self->db) : SQLITE_OK;
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) {
        /* A WAL file copied without its -shm into a folder we cannot write (an archive,
         * a read-only mount): nobody can be writing it, so it is read as immutable. */
        store_close(&self);
        char *uri = s_immutable_uri(path);
        self = s_connect(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, err);
        free(uri);
        if (!self)
            return NULL;
        version = s_version(self, false, err);
    }
    if (version == STORE_SCHEMA_VERSION && s_check(self, err) != 0)
        return s_fail(&self, path, err);
    if (version == STORE_SCHEMA_VERSION)
        return self;
    if (version < 0)
        return s_fail(&self, path, err);
    /* Written by an older hps: the in-place upgrade is a write, done once. */
    store_close(&self);
    self = store_open(path, false, false, err);
    if (!self)
        snprintf(err + strlen(err), HPS_ERR_LEN - strlen(err),
                 " (schema %d, written by an older hps: open it once with write access to "
                 "upgrade it)", version);
    return self;
}

void store_close(store_t **self_p)
{
    assert(self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < STORE_Q_COUNT; i++)
        sqlite3_finalize(self->q[i]);
    store_params_close(self);
    if (sqlite3_close(self->db) != SQLITE_OK)
        log_warn("sqlite close: %s", sqlite3_errmsg(self->db));
    free(self->wal_path);
    free(self);
    *self_p = NULL;
}

/* ---- self-test -------------------------------------------------------------------- */

void store_test_path(char *path)
{
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    unlink(path);
}

void store_unlink_files(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Schema 1 as hps wrote it (schema 2 added workers.lease_ms and left_at), with a row of
 * each kind: study a leaves its direction to the objective (the column says maximise),
 * b states it; trials in every state as numbers. */
static const char s_v1_file[] =
    "CREATE TABLE studies(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " config TEXT NOT NULL, direction INTEGER NOT NULL, n_trials INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'running', created REAL, finished REAL,"
    " best_trial INTEGER, test_score REAL, tier TEXT);"
    "CREATE TABLE trials(id INTEGER PRIMARY KEY,"
    " study_id INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,"
    " kind TEXT NOT NULL, state INTEGER NOT NULL, attempt INTEGER NOT NULL, worker TEXT,"
    " x BLOB, value REAL, secs REAL, cv_mean REAL, cv_std REAL, val_score REAL,"
    " test_score REAL, folds TEXT, error TEXT, created REAL, started REAL, finished REAL,"
    " UNIQUE(study_id, kind, number));"
    "CREATE INDEX trials_state ON trials(study_id, kind, state);"
    "CREATE TABLE intermediate(trial_id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " value REAL, PRIMARY KEY(trial_id, step)) WITHOUT ROWID;"
    "CREATE TABLE tells(trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL,"
    " state INTEGER NOT NULL, value REAL, stale INTEGER NOT NULL, at REAL,"
    " PRIMARY KEY(trial_id, attempt)) WITHOUT ROWID;"
    "CREATE TABLE workers(name TEXT PRIMARY KEY, host TEXT, pid INTEGER, slots INTEGER,"
    " first_seen REAL, last_seen REAL);"
    "CREATE TABLE promotions(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL,"
    " stage TEXT NOT NULL, tier TEXT, forced INTEGER NOT NULL, test_score REAL, at REAL);"
    "INSERT INTO studies(id, name, config, direction, n_trials, created) VALUES"
    " (1, 'a', '{\"study\":\"a\",\"n_trials\":7}', -1, 7, 1),"
    " (2, 'b', '{\"study\":\"b\",\"direction\":\"minimize\",\"n_trials\":3}', 1, 3, 2);"
    "INSERT INTO trials(id, study_id, number, kind, state, attempt, x, value) VALUES"
    " (1, 1, 0, 'search', 0, 1, NULL, NULL), (2, 1, 1, 'search', 1, 2, NULL, NULL),"
    " (3, 1, 2, 'search', 2, 1, NULL, 0.5), (4, 1, 3, 'search', 3, 1, NULL, 0.1),"
    " (5, 1, 4, 'search', 4, 1, NULL, NULL), (6, 2, 0, 'search', 2, 1, NULL, 0.25);"
    "INSERT INTO tells VALUES (3, 1, 2, 0.5, 0, 1), (2, 1, 4, NULL, 1, 1);"
    "INSERT INTO intermediate VALUES (2, 1, 0.7);"
    "INSERT INTO workers VALUES ('old', 'h', 1, 2, 5, 6);"
    "PRAGMA user_version = 1;";

long store_sql_long(store_t *s, const char *sql)
{
    char err[HPS_ERR_LEN];
    sqlite3_stmt *q = store_prepare(s, sql, err);
    assert(q);
    long v = sqlite3_step(q) == SQLITE_ROW ? (long)sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return v;
}

static void s_write_file(const char *path, const char *sql)
{
    sqlite3 *db;
    int rc = sqlite3_open(path, &db);
    assert(rc == SQLITE_OK);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    assert(rc == SQLITE_OK);
    sqlite3_close(db);
}

/* The upgraded studies: direction and n_trials now only in their configs. */
static void s_check_upgraded_studies(store_t *s)
{
    char err[HPS_ERR_LEN];
    store_study_t st;
    assert(store_study_get(s, "a", &st, err) == 0);
    assert(strcmp(st.config, "{\"study\": \"a\", \"n_trials\": 7,"
                             " \"direction\": \"maximize\"}") == 0);
    assert(st.direction == DIR_MAXIMIZE && st.n_trials == 7 && isnan(st.finished));
    store_study_clear(&st);
    assert(store_study_get(s, "b", &st, err) == 0);
    assert(strcmp(st.config, "{\"study\":\"b\",\"direction\":\"minimize\",\"n_trials\":3}") == 0);
    assert(st.direction == DIR_MINIMIZE && st.n_trials == 3);
    store_study_clear(&st);
    assert(!store_prepare(s, "SELECT direction FROM studies", err) && strstr(err, "direction"));
    assert(!store_prepare(s, "SELECT n_trials FROM studies", err));
}

/* A schema-1 file opens, upgraded in place in one step to the newest, keeping its rows:
 * states by name, direction into the config; a second open upgrades nothing. */
static void s_test_upgrade(const char *path)
{
    char err[HPS_ERR_LEN];
    s_write_file(path, s_v1_file);
    store_t *s = store_open(path, false, false, err);
    assert(s);
    assert(store_sql_long(s, "PRAGMA user_version") == STORE_SCHEMA_VERSION);
    long counts[TRIAL_NSTATES];
    assert(store_trial_counts(s, 1, counts, err) == 0);
    for (int i = 0; i < TRIAL_NSTATES; i++)
        assert(counts[i] == 1);
    assert(store_sql_long(s, "SELECT attempt FROM trials WHERE state = 'RUNNING'") == 2);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM tells WHERE state = 'COMPLETE' AND stale = 0"
                         " AND value = 0.5") == 1);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM tells WHERE state = 'FAIL' AND stale") == 1);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM intermediate") == 1);
    s_check_upgraded_studies(s);
    /* the workers' schema-2 columns */
    assert(store_sql_long(s, "SELECT lease_ms IS NULL AND left_at IS NULL FROM workers") == 1);
    assert(store_worker_heard(s, "old", 7, err) == 0);
    assert(store_worker_heard(s, "old", 6.5, err) == 0); /* older: ignored */
    assert(store_sql_long(s, "SELECT last_seen FROM workers") == 7);
    assert(store_worker_left(s, "old", err) == 0);
    assert(store_worker_seen(s, "old", "h2", 3, 2, 1000, err) == 0);
    assert(store_sql_long(s, "SELECT lease_ms + (left_at IS NULL) + first_seen FROM workers") ==
           1006);
    /* the tables take names only */
    assert(store_exec(s, "UPDATE trials SET state = 2", err) == -1 && strstr(err, "CHECK"));
    store_close(&s);
    s = store_open(path, false, false, err); /* upgraded once: no second ALTER */
    assert(s);
    s_check_upgraded_studies(s);
    store_close(&s);
    store_unlink_files(path);
}

/* A file that cannot be upgraded (a state no hps wrote) is left as it was. */
static void s_test_upgrade_fails(const char *path)
{
    char err[HPS_ERR_LEN];
    s_write_file(path, s_v1_file);
    s_write_file(path, "UPDATE trials SET state = 9 WHERE id = 1");
    assert(!store_open(path, false, false, err) && strstr(err, "NOT NULL"));
    sqlite3 *db;
    sqlite3_stmt *q;
    assert(sqlite3_open(path, &db) == SQLITE_OK);
    assert(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM trials WHERE state = 2),"
                              " (SELECT direction FROM studies WHERE id = 1)",
                              -1, &q, NULL) == SQLITE_OK);
    assert(sqlite3_step(q) == SQLITE_ROW);
    assert(sqlite3_column_int(q, 0) == 2 && sqlite3_column_int(q, 1) == -1);
    sqlite3_finalize(q);
    sqlite3_close(db);
    store_unlink_files(path);
}

void store_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-store-XXXXXX";
    store_test_path(path);
    assert(!store_open(path, false, false, err) && strstr(err, "no such"));
    store_t *s = store_open(path, true, false, err);
    assert(s);
    store_close(&s);
    s_write_file(path, "PRAGMA user_version = 99");
    assert(!store_open(path, false, false, err) && strstr(err, "newer than this hps"));
    store_unlink_files(path);

    /* the config states the direction, once */
    char *json = store_study_config("{\"study\": \"x\", \"n_trials\": 4}", DIR_MAXIMIZE, err);
    assert(json && strcmp(json, "{\"study\": \"x\", \"n_trials\": 4,"
                              " \"direction\": \"maximize\"}") == 0);
    char *again = store_study_config(json, DIR_MINIMIZE, err);
    assert(again && strcmp(again, json) == 0);
    direction_t dir;
    long n;
    store_config_meta(json, &dir, &n);
    assert(dir == DIR_MAXIMIZE && n == 4);
    store_config_meta("{", &dir, &n);
    assert(dir == DIR_MINIMIZE && n == 0);
    assert(!store_study_config("[1]", DIR_MINIMIZE, err) && strstr(err, "not a map"));
    free(json);
    free(again);

    s_test_upgrade(path);
    s_test_upgrade_fails(path);
}
