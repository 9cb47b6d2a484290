/* store_models — the model registry in the study file (see store.h): the versions
 * (model_versions, one per final refit that handed back an artifact) and their stage
 * moves (model_stages).
 *
 * A version is registered in the same transaction as the TELL of its final refit (the
 * coordinator's batch), after the study's test score and tier are set, so its lineage
 * is read from the file in one statement and a version never exists without its
 * scores. Stages: one version per name holds staging, one holds production; moving a
 * version into a held stage archives the holder first, as a move of its own. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store.h"
#include "core/store_priv.h"

/* The registered name of a study: `register:` or its name. ?1 trial id, ?2 sha, ?3 file,
 * ?4 size, ?5 hps version, ?6 now. The lineage is built by SQLite's JSON functions. */
static const char s_sql_register[] =
    "INSERT INTO model_versions(name, version, study_id, trial_id, sha256, file, size,"
    " cv_mean, cv_std, test_score, tier, data_sha, lineage, created)"
    " SELECT n.name, 1 + COALESCE((SELECT MAX(version) FROM model_versions AS m"
    "                              WHERE m.name = n.name), 0),"
    "  s.id, t.id, ?2, ?3, ?4, b.cv_mean, b.cv_std, s.test_score, s.tier,"
    "  json_extract(s.config, '$.data.sha256'),"
    "  json_object('name', n.name, 'study', s.name, 'trial', t.id,"
    "   'best_trial', b.number, 'params', json(COALESCE(t.params, '{}')),"
    "   'data_sha256', json_extract(s.config, '$.data.sha256'),"
    "   'config', json(s.config), 'hps_version', ?5,"
    "   'seed', json_extract(s.config, '$.seed'),"
    "   'sampler_seed', json_extract(s.config, '$.sampler.seed'),"
    "   'strategy', json_extract(s.config, '$.strategy.type'),"
    "   'cv_mean', b.cv_mean, 'cv_std', b.cv_std, 'value', b.value,"
    "   'test_score', s.test_score, 'tier', s.tier,"
    "   'artifact', json_object('sha256', ?2, 'file', ?3, 'size', ?4), 'created', ?6),"
    "  ?6"
    " FROM trials AS t JOIN studies AS s ON s.id = t.study_id"
    " JOIN (SELECT COALESCE(json_extract(config, '$.register'), name) AS name, id"
    "       FROM studies) AS n ON n.id = s.id"
    " LEFT JOIN trials AS b ON b.id = s.best_trial"
    " WHERE t.id = ?1 AND t.kind = 'final' AND t.state = 'COMPLETE'";

int store_model_register(store_t *self, int64_t trial_id, const char *sha, const char *file,
                         int64_t size, const char *hps_version, long *version_out, char *err)
{
    assert(self && sha && file && hps_version && version_out);
    int rc = store_begin(self, err);
    sqlite3_stmt *have = rc == 0 ? store_prepare(self, "SELECT version FROM model_versions"
                                                       " WHERE trial_id = ?1", err)
                                 : NULL;
    sqlite3_stmt *ins = have ? store_prepare(self, s_sql_register, err) : NULL;
    if (!ins)
        rc = -1;
    *version_out = 0;
    for (int pass = 0; rc == 0 && pass < 2 && *version_out == 0; pass++) {
        sqlite3_bind_int64(have, 1, trial_id);
        int step = sqlite3_step(have);
        if (step == SQLITE_ROW)
            *version_out = (long)sqlite3_column_int64(have, 0);
        else if (step != SQLITE_DONE)
            rc = store_db_err(self, err, "model version");
        sqlite3_reset(have);
        if (rc != 0 || *version_out || pass)
            break;
        sqlite3_bind_int64(ins, 1, trial_id);
        sqlite3_bind_text(ins, 2, sha, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 4, size);
        sqlite3_bind_text(ins, 5, hps_version, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(ins, 6, now_secs());
        int n = store_step_done(self, ins, err);
        if (n < 0)
            rc = -1;
        else if (n == 0) {
            set_err(err, "trial %lld is not a completed final refit in this file",
                    (long long)trial_id);
            rc = 1;
        }
    }
    if (rc == 0 && *version_out == 0)
        rc = set_err(err, "model version of trial %lld not found", (long long)trial_id);
    sqlite3_finalize(have);
    sqlite3_finalize(ins);
    return store_end(self, rc, err);
}

/* ---- reading ------------------------------------------------------------------------ */

static const char s_sql_models[] =
    "SELECT m.name, m.version,"
    " COALESCE(s.name, json_extract(m.lineage, '$.study') || ' (deleted)'), ABS(m.trial_id),"
    " m.sha256, m.file, m.size, m.stage,"
    " m.cv_mean, m.cv_std, m.test_score, m.tier, m.data_sha, m.lineage, m.created"
    " FROM model_versions AS m LEFT JOIN studies AS s ON s.id = m.study_id"
    " WHERE ?1 IS NULL OR m.name = ?1 ORDER BY m.name, m.version";

static void s_model_row(sqlite3_stmt *st, store_model_t *m)
{
    *m = (store_model_t){
        .name = store_col_text(st, 0), .version = (long)sqlite3_column_int64(st, 1),
        .study = store_col_text(st, 2), .trial_id = sqlite3_column_int64(st, 3),
        .sha256 = store_col_text(st, 4), .file = store_col_text(st, 5),
        .size = sqlite3_column_int64(st, 6), .stage = store_col_text(st, 7),
        .cv_mean = store_col_real(st, 8), .cv_std = store_col_real(st, 9),
        .test_score = store_col_real(st, 10), .tier = store_col_text(st, 11),
        .data_sha = store_col_text(st, 12), .lineage = store_col_text(st, 13),
        .created = store_col_real(st, 14)};
}

static void s_transition_row(sqlite3_stmt *st, store_transition_t *t)
{
    *t = (store_transition_t){
        .name = store_col_text(st, 0), .version = (long)sqlite3_column_int64(st, 1),
        .from_stage = store_col_text(st, 2), .to_stage = store_col_text(st, 3),
        .forced = sqlite3_column_int(st, 4) != 0, .who = store_col_text(st, 5),
        .at = store_col_real(st, 6)};
}

/* Run sql (?1 = name, may be NULL) and collect its rows of size `size` through row. */
static int s_collect(store_t *self, const char *sql, const char *name, size_t size,
                     void (*row)(sqlite3_stmt *, void *), void **out, int *n, char *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(self, sql, err);
    if (!st)
        return -1;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, size * (size_t)cap);
        }
        row(st, (char *)*out + size * (size_t)(*n)++);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_err(self, err, "model registry");
}

static void s_model_cb(sqlite3_stmt *st, void *m) { s_model_row(st, m); }
static void s_transition_cb(sqlite3_stmt *st, void *t) { s_transition_row(st, t); }

int store_models(store_t *self, const char *name, store_model_t **out, int *n, char *err)
{
    int rc = s_collect(self, s_sql_models, name, sizeof **out, s_model_cb, (void **)out, n, err);
    if (rc != 0)
        store_models_free(out, *n);
    return rc;
}

void store_model_clear(store_model_t *m)
{
    free(m->name);
    free(m->study);
    free(m->sha256);
    free(m->file);
    free(m->stage);
    free(m->tier);
    free(m->data_sha);
    free(m->lineage);
    memset(m, 0, sizeof *m);
}

void store_models_free(store_model_t **list, int n)
{
    for (int i = 0; *list && i < n; i++)
        store_model_clear(&(*list)[i]);
    free(*list);
    *list = NULL;
}

int store_model_history(store_t *self, const char *name, store_transition_t **out, int *n,
                        char *err)
{
    int rc = s_collect(self,
                       "SELECT name, version, from_stage, to_stage, forced, who, at"
                       " FROM model_stages WHERE name = ?1 ORDER BY id",
                       name, sizeof **out, s_transition_cb, (void **)out, n, err);
    if (rc != 0)
        store_transitions_free(out, *n);
    return rc;
}

void store_transitions_free(store_transition_t **list, int n)
{
    for (int i = 0; *list && i < n; i++) {
        free((*list)[i].name);
        free((*list)[i].from_stage);
        free((*list)[i].to_stage);
        free((*list)[i].who);
    }
    free(*list);
    *list = NULL;
}

int store_study_model_count(store_t *self, int64_t study_id, long *n, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT COUNT(*) FROM model_versions"
                                           " WHERE study_id = ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(self, err, "model versions");
}

int store_model_was_in(store_t *self, const char *name, long version, const char *stage,
                       char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT 1 FROM model_stages WHERE name = ?1 AND"
                                           " version = ?2 AND to_stage = ?3", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, stage, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_db_err(self, err, "stages");
}

/* ---- moves -------------------------------------------------------------------------- */

/* One move of version to stage, recorded (from its current stage) and mirrored into
 * promotions for the leaderboard. 0, 1 when there is no such version, -1 with err. */
static int s_move1(store_t *self, const char *name, long version, const char *stage,
                   bool forced, const char *who, char *err)
{
    /* Each statement, and whether it must touch a row (no row: no such version). */
    static const struct {
        const char *sql;
        bool needs_row;
    } steps[] = {
        {"INSERT INTO model_stages(name, version, from_stage, to_stage, forced, who, at)"
         " SELECT name, version, stage, ?3, ?4, ?5, ?6 FROM model_versions"
         " WHERE name = ?1 AND version = ?2",
         true},
        {"INSERT INTO promotions(study_id, stage, tier, forced, test_score, at)"
         " SELECT study_id, ?3, tier, ?4, test_score, ?6 FROM model_versions"
         " WHERE name = ?1 AND version = ?2 AND study_id > 0", /* its study may be deleted */
         false},
        {"UPDATE model_versions SET stage = ?3 WHERE name = ?1 AND version = ?2", true},
    };
    double now = now_secs();
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        sqlite3_stmt *st = store_prepare(self, steps[i].sql, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, version);
        sqlite3_bind_text(st, 3, stage, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, forced);
        sqlite3_bind_text(st, 5, who, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 6, now);
        int n = store_step_done(self, st, err);
        sqlite3_finalize(st);
        if (n < 0)
            return -1;
        if (n == 0 && steps[i].needs_row)
            return 1;
    }
    return 0;
}

int store_model_move(store_t *self, const char *name, long version, const char *stage,
                     bool forced, const char *who, char *err)
{
    assert(self && name && stage && who);
    int rc = store_begin(self, err);
    bool held = strcmp(stage, "staging") == 0 || strcmp(stage, "production") == 0;
    sqlite3_stmt *st = rc == 0 && held ? store_prepare(self, "SELECT version FROM model_versions"
                                                             " WHERE name = ?1 AND stage = ?2 AND"
                                                             " version != ?3", err)
                                       : NULL;
    if (held && !st)
        rc = -1;
    long holder = 0;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, stage, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, version);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            holder = (long)sqlite3_column_int64(st, 0);
        else if (step != SQLITE_DONE)
            rc = store_db_err(self, err, "stage holder");
        sqlite3_finalize(st);
    }
    if (rc == 0 && holder)
        rc = s_move1(self, name, holder, "archived", false, who, err);
    if (rc == 0 && (rc = s_move1(self, name, version, stage, forced, who, err)) == 1)
        rc = set_err(err, "no version %ld of model '%s'", version, name);
    return store_end(self, rc, err);
}

/* ---- self-test ---------------------------------------------------------------------- */

static const char s_test_rows[] =
    "INSERT INTO studies(id, name, config, best_trial, test_score, tier) VALUES"
    " (1, 's', '{\"study\": \"s\", \"seed\": 3, \"data\": {\"sha256\": \"ab\"}}', 1, 0.8,"
    "  'standard'),"
    " (2, 't', '{\"study\": \"t\", \"register\": \"s\"}', NULL, NULL, 'none');"
    "INSERT INTO trials(id, study_id, number, kind, state, attempt, value, cv_mean, cv_std,"
    " params) VALUES (1, 1, 0, 'search', 'COMPLETE', 1, 0.7, 0.7, 0.01, '{\"C\": 1}'),"
    " (2, 1, -1, 'final', 'COMPLETE', 1, 0.8, NULL, NULL, '{\"C\": 1}'),"
    " (3, 2, -1, 'final', 'COMPLETE', 1, 0.5, NULL, NULL, NULL),"
    " (4, 1, -2, 'final', 'FAIL', 1, NULL, NULL, NULL, NULL);";

void store_models_test(bool verbose)
{
    char path[] = "/tmp/hps_models_XXXXXX", err[HPS_ERR_LEN];
    store_test_path(path);
    store_t *st = store_open(path, true, false, err);
    assert(st);
    assert(store_exec(st, s_test_rows, err) == 0);
    long v;
    assert(store_model_register(st, 1, "aa", "m.bin", 3, "0.1", &v, err) == 1);
    assert(store_model_register(st, 4, "cc", "m.bin", 3, "0.1", &v, err) == 1); /* FAIL */
    assert(store_model_register(st, 2, "aa", "m.bin", 3, "0.1", &v, err) == 0 && v == 1);
    assert(store_model_register(st, 2, "aa", "m.bin", 3, "0.1", &v, err) == 0 && v == 1);
    assert(store_model_register(st, 3, "bb", "x.pkl", 4, "0.1", &v, err) == 0 && v == 2);
    store_model_t *m;
    int n;
    assert(store_models(st, "s", &m, &n, err) == 0 && n == 2);
    assert(strcmp(m[0].stage, "none") == 0 && m[0].test_score == 0.8 && m[0].cv_std == 0.01);
    assert(strcmp(m[0].data_sha, "ab") == 0 && strcmp(m[1].study, "t") == 0);
    assert(strstr(m[0].lineage, "\"seed\":3") && strstr(m[0].lineage, "\"params\":{\"C\":1}"));
    if (verbose)
        printf("%s\n", m[0].lineage);
    store_models_free(&m, n);
    assert(store_model_move(st, "s", 1, "staging", false, "u@h", err) == 0);
    assert(store_model_was_in(st, "s", 1, "staging", err) == 1);
    assert(store_model_was_in(st, "s", 2, "staging", err) == 0);
    assert(store_model_move(st, "s", 1, "production", false, "u@h", err) == 0);
    assert(store_model_move(st, "s", 2, "production", true, "u@h", err) == 0);
    assert(store_model_move(st, "s", 9, "staging", false, "u@h", err) == -1 && strstr(err, "9"));
    store_transition_t *t;
    assert(store_model_history(st, "s", &t, &n, err) == 0 && n == 4);
    assert(t[2].version == 1 && strcmp(t[2].from_stage, "production") == 0 &&
           strcmp(t[2].to_stage, "archived") == 0 && !t[2].forced);
    assert(t[3].version == 2 && t[3].forced && strcmp(t[3].who, "u@h") == 0);
    store_transitions_free(&t, n);
    assert(store_sql_long(st, "SELECT COUNT(*) FROM promotions") == 4);
    store_close(&st);
    store_unlink_files(path);
}
