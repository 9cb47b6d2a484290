/* optuna_export — a study as an Optuna 3.1 RDB file (see optuna.h).
 *
 * The file is Optuna's, not hps's store, so it is written here with sqlite3 directly.
 * The tables, columns and enum spellings are those Optuna's SQLAlchemy models map
 * (optuna/storages/_rdb/models.py), with the version rows its storage checks on open:
 * version_info (schema 12, library 3.1.0) and alembic_version (v3.0.0.d, the head
 * revision of 3.1). Every table of the schema exists, empty or not, since Optuna creates
 * missing ones on open and a read-only file would refuse that. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "results/optuna_priv.h"
#include "results/pyfmt.h"
#include "results/xstudy.h"

static const char s_ddl[] =
    "CREATE TABLE studies(study_id INTEGER NOT NULL PRIMARY KEY,"
    " study_name VARCHAR(512) NOT NULL);"
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies(study_name);"
    "CREATE TABLE version_info(version_info_id INTEGER NOT NULL PRIMARY KEY"
    " CHECK (version_info_id = 1), schema_version INTEGER, library_version VARCHAR(256));"
    "CREATE TABLE study_directions(study_direction_id INTEGER NOT NULL PRIMARY KEY,"
    " direction VARCHAR(8) NOT NULL, study_id INTEGER NOT NULL REFERENCES studies(study_id),"
    " objective INTEGER NOT NULL, UNIQUE(study_id, objective));"
    "CREATE TABLE study_user_attributes(study_user_attribute_id INTEGER NOT NULL PRIMARY KEY,"
    " study_id INTEGER REFERENCES studies(study_id), \"key\" VARCHAR(512), value_json TEXT,"
    " UNIQUE(study_id, \"key\"));"
    "CREATE TABLE study_system_attributes(study_system_attribute_id INTEGER NOT NULL"
    " PRIMARY KEY, study_id INTEGER REFERENCES studies(study_id), \"key\" VARCHAR(512),"
    " value_json TEXT, UNIQUE(study_id, \"key\"));"
    "CREATE TABLE trials(trial_id INTEGER NOT NULL PRIMARY KEY, number INTEGER,"
    " study_id INTEGER REFERENCES studies(study_id), state VARCHAR(8) NOT NULL,"
    " datetime_start DATETIME, datetime_complete DATETIME);"
    "CREATE TABLE trial_user_attributes(trial_user_attribute_id INTEGER NOT NULL PRIMARY KEY,"
    " trial_id INTEGER REFERENCES trials(trial_id), \"key\" VARCHAR(512), value_json TEXT,"
    " UNIQUE(trial_id, \"key\"));"
    "CREATE TABLE trial_system_attributes(trial_system_attribute_id INTEGER NOT NULL"
    " PRIMARY KEY, trial_id INTEGER REFERENCES trials(trial_id), \"key\" VARCHAR(512),"
    " value_json TEXT, UNIQUE(trial_id, \"key\"));"
    "CREATE TABLE trial_params(param_id INTEGER NOT NULL PRIMARY KEY,"
    " trial_id INTEGER REFERENCES trials(trial_id), param_name VARCHAR(512),"
    " param_value FLOAT, distribution_json TEXT, UNIQUE(trial_id, param_name));"
    "CREATE TABLE trial_values(trial_value_id INTEGER NOT NULL PRIMARY KEY,"
    " trial_id INTEGER NOT NULL REFERENCES trials(trial_id), objective INTEGER NOT NULL,"
    " value FLOAT, value_type VARCHAR(7) NOT NULL, UNIQUE(trial_id, objective));"
    "CREATE TABLE trial_intermediate_values(trial_intermediate_value_id INTEGER NOT NULL"
    " PRIMARY KEY, trial_id INTEGER NOT NULL REFERENCES trials(trial_id),"
    " step INTEGER NOT NULL, intermediate_value FLOAT,"
    " intermediate_value_type VARCHAR(7) NOT NULL, UNIQUE(trial_id, step));"
    "CREATE TABLE trial_heartbeats(trial_heartbeat_id INTEGER NOT NULL PRIMARY KEY,"
    " trial_id INTEGER NOT NULL REFERENCES trials(trial_id), heartbeat DATETIME NOT NULL,"
    " UNIQUE(trial_id));"
    "CREATE TABLE alembic_version(version_num VARCHAR(32) NOT NULL,"
    " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));";

/* The statements of one export, in the order of s_sql. */
enum { Q_TRIAL, Q_PARAM, Q_VALUE, Q_INTER, Q_TATTR, Q_N };
static const char *const s_sql[Q_N] = {
    "INSERT INTO trials(trial_id, number, study_id, state, datetime_start,"
    " datetime_complete) VALUES (?1, ?2, 1, ?3, ?4, ?5)",
    "INSERT INTO trial_params(trial_id, param_name, param_value, distribution_json)"
    " VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO trial_values(trial_id, objective, value, value_type) VALUES (?1, 0, ?2, ?3)",
    "INSERT INTO trial_intermediate_values(trial_id, step, intermediate_value,"
    " intermediate_value_type) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO trial_user_attributes(trial_id, \"key\", value_json) VALUES (?1, ?2, ?3)",
};

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *q[Q_N];
    const xstudy_t *study;
    char **dist;  /* distribution_json per parameter of the space; owned */
    char *err;
} s_export_t;

static int s_db_err(s_export_t *x, const char *what)
{
    return set_err(x->err, "%s: sqlite: %s", what, sqlite3_errmsg(x->db));
}

/* Step statement q to completion and reset it. */
static int s_step(s_export_t *x, int q, const char *what)
{
    int rc = sqlite3_step(x->q[q]);
    sqlite3_reset(x->q[q]);
    sqlite3_clear_bindings(x->q[q]);
    return rc == SQLITE_DONE ? 0 : s_db_err(x, what);
}

/* Epoch seconds as SQLAlchemy stores a naive local DateTime in SQLite; NULL for NaN. */
static void s_bind_time(sqlite3_stmt *st, int i, double t)
{
    if (isnan(t))
        return;
    time_t secs = (time_t)floor(t);
    long us = lround((t - floor(t)) * 1e6);
    if (us >= 1000000) {
        secs++;
        us -= 1000000;
    }
    struct tm tm;
    char buf[64];
    if (!localtime_r(&secs, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        return;
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof buf - n, ".%06ld", us);
    sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* A value and its Optuna value type (infinities are stored as NULL and a type). */
static void s_bind_value(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    sqlite3_bind_text(st, i + 1, isnan(v) ? "NAN" : isinf(v) ? (v > 0 ? "INF_POS" : "INF_NEG")
                                                             : "FINITE", -1, SQLITE_STATIC);
}

static int s_user_attr(s_export_t *x, int64_t trial, const char *key, const char *json)
{
    sqlite3_bind_int64(x->q[Q_TATTR], 1, trial);
    sqlite3_bind_text(x->q[Q_TATTR], 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(x->q[Q_TATTR], 3, json, -1, SQLITE_TRANSIENT);
    return s_step(x, Q_TATTR, "trial attribute");
}

/* Worker, attempt and error of a trial as user attributes (JSON values). */
static int s_trial_attrs(s_export_t *x, const store_trial_row_t *t)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "%d", t->trial.attempt);
    int rc = s_user_attr(x, t->trial.id, "hps_attempt", sb.buf);
    if (rc == 0 && t->trial.worker) {
        sb.len = 0;
        pyfmt_json_str(&sb, t->trial.worker);
        rc = s_user_attr(x, t->trial.id, "hps_worker", sb.buf);
    }
    if (rc == 0 && t->error && *t->error) {
        sb.len = 0;
        pyfmt_json_str(&sb, t->error);
        rc = s_user_attr(x, t->trial.id, "hps_error", sb.buf);
    }
    sb_free(&sb);
    return rc;
}

static int s_params(s_export_t *x, const store_trial_row_t *t)
{
    const space_t *space = x->study->space;
    for (int i = 0; i < space->n; i++) {
        if (isnan(t->trial.x[i]))
            continue;
        sqlite3_stmt *st = x->q[Q_PARAM];
        sqlite3_bind_int64(st, 1, t->trial.id);
        sqlite3_bind_text(st, 2, space->params[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, t->trial.x[i]);
        sqlite3_bind_text(st, 4, x->dist[i], -1, SQLITE_STATIC);
        if (s_step(x, Q_PARAM, "trial param") != 0)
            return -1;
    }
    return 0;
}

static int s_steps(s_export_t *x, const store_trial_row_t *t)
{
    for (int k = 0; k < t->n_steps; k++) {
        sqlite3_bind_int64(x->q[Q_INTER], 1, t->trial.id);
        sqlite3_bind_int64(x->q[Q_INTER], 2, t->steps[k]);
        s_bind_value(x->q[Q_INTER], 3, t->step_values[k]);
        if (s_step(x, Q_INTER, "intermediate value") != 0)
            return -1;
    }
    return 0;
}

/* One search trial with its steps; the final refit is not exported as a trial.
 * Optuna's trial_id is hps's trial id. */
static int s_trial(void *arg, const store_trial_row_t *t)
{
    s_export_t *x = arg;
    if (t->trial.final)
        return 0;
    if (!xstudy_x_ok(x->study, t->trial.x, t->trial.nx))
        return set_err(x->err, "trial %ld: its %d parameter values do not fit the study's "
                               "space", t->trial.number, t->trial.nx);
    sqlite3_stmt *st = x->q[Q_TRIAL];
    sqlite3_bind_int64(st, 1, t->trial.id);
    sqlite3_bind_int64(st, 2, t->trial.number);
    sqlite3_bind_text(st, 3, trial_state_name(t->trial.state), -1, SQLITE_STATIC);
    s_bind_time(st, 4, isnan(t->started) ? t->finished : t->started);
    if (t->trial.state >= TRIAL_COMPLETE)
        s_bind_time(st, 5, isnan(t->finished) ? t->started : t->finished);
    if (s_step(x, Q_TRIAL, "trial") != 0 || s_params(x, t) != 0 || s_trial_attrs(x, t) != 0 ||
        s_steps(x, t) != 0)
        return -1;
    /* PRUNED keeps its last reported value, as Optuna's optimize() does; FAIL has none
     * (and NaN is no value type of Optuna's trial_values) */
    if (t->trial.state == TRIAL_FAIL || isnan(t->trial.value))
        return 0;
    sqlite3_bind_int64(x->q[Q_VALUE], 1, t->trial.id);
    s_bind_value(x->q[Q_VALUE], 2, t->trial.value);
    return s_step(x, Q_VALUE, "trial value");
}

/* The study row, its direction, the version rows, and the final test score. */
static int s_head(s_export_t *x)
{
    const xstudy_t *r = x->study;
    char *sql = sqlite3_mprintf(
        "INSERT INTO version_info VALUES (1, %d, '%s');"
        "INSERT INTO alembic_version VALUES ('%s');"
        "INSERT INTO studies VALUES (1, %Q);"
        "INSERT INTO study_directions VALUES (1, '%s', 1, 0);",
        OPTUNA_SCHEMA_VERSION, OPTUNA_LIBRARY_VERSION, OPTUNA_ALEMBIC_HEAD, r->row.name,
        r->row.direction == DIR_MAXIMIZE ? "MAXIMIZE" : "MINIMIZE");
    int rc = sqlite3_exec(x->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    if (rc == SQLITE_OK && !isnan(r->row.test_score)) {
        strbuf_t sb;
        sb_init(&sb);
        pyfmt_float(&sb, r->row.test_score);
        sql = sqlite3_mprintf("INSERT INTO study_user_attributes(study_id, \"key\","
                              " value_json) VALUES (1, 'hps_test_score', %Q)", sb.buf);
        rc = sqlite3_exec(x->db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        sb_free(&sb);
    }
    return rc == SQLITE_OK ? 0 : s_db_err(x, "study");
}

/* Write the whole study into the fresh file x->db: schema, head, trials with steps. */
static int s_write(s_export_t *x, store_t *st)
{
    if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(x->db, s_ddl, NULL, NULL, NULL) != SQLITE_OK)
        return s_db_err(x, "schema");
    for (int q = 0; q < Q_N; q++)
        if (sqlite3_prepare_v2(x->db, s_sql[q], -1, &x->q[q], NULL) != SQLITE_OK)
            return s_db_err(x, "prepare");
    if (s_head(x) != 0)
        return -1;
    int rc = xstudy_each(x->study, st, s_trial, x, x->err);
    if (rc == 0 && sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = s_db_err(x, "commit");
    return rc == 0 ? 0 : -1;
}

/* Finalize, close and free; -1 with err when the close fails (rc: the export's so far). */
static int s_export_free(s_export_t *x, int rc)
{
    for (int q = 0; q < Q_N; q++)
        sqlite3_finalize(x->q[q]);
    if (x->db && sqlite3_close(x->db) != SQLITE_OK && rc == 0)
        rc = s_db_err(x, "close");
    for (int i = 0; i < x->study->space->n; i++)
        free(x->dist[i]);
    free(x->dist);
    return rc;
}

/* The side files SQLite may have left beside a file being replaced: a stale -wal or
 * -journal would otherwise be applied to the new file when it is opened. */
static int s_unlink_sides(const char *path, char *err)
{
    static const char *const sides[] = {"-wal", "-shm", "-journal"};
    int rc = 0;
    for (int i = 0; i < (int)ARRAY_SIZE(sides) && rc == 0; i++) {
        char *side = xasprintf("%s%s", path, sides[i]);
        if (unlink(side) != 0 && errno != ENOENT)
            rc = set_err(err, "%s: %s", side, strerror(errno));
        free(side);
    }
    return rc;
}

int optuna_export(store_t *st, const char *study, const char *path, bool force, char *err)
{
    if (!force && access(path, F_OK) == 0)
        return set_err(err, "%s exists (--force replaces it)", path), 1;
    xstudy_t r;
    int rc = xstudy_open(st, study, &r, err);
    if (rc != 0)
        return rc;
    s_export_t x = {.study = &r, .err = err};
    x.dist = xcalloc((size_t)r.space->n, sizeof *x.dist);
    for (int i = 0; i < r.space->n; i++)
        x.dist[i] = optuna_dist_json(&r.space->params[i]);
    char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
    if (unlink(tmp) != 0 && errno != ENOENT)
        rc = set_err(err, "%s: %s", tmp, strerror(errno));
    else if (sqlite3_open_v2(tmp, &x.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
             SQLITE_OK)
        rc = s_db_err(&x, tmp);
    else
        rc = s_write(&x, st);
    rc = s_export_free(&x, rc);
    if (rc == 0 && force)
        rc = s_unlink_sides(path, err);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = set_err(err, "rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != 0 && unlink(tmp) != 0 && errno != ENOENT) {
        /* best effort: the error that stopped the export is the one to report */
    }
    free(tmp);
    xstudy_clear(&r);
    return rc;
}
