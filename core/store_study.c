/* store_study — studies, workers and promotions in the file (see store.h). A study
 * row keeps its config as the one source of its direction and n_trials; the fields
 * of store_study_t are read from it here (store_config_meta), so resume, status, the
 * leaderboard and promote all see the same values. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/store_priv.h"

static const char s_sql_worker_heard[] =
    "UPDATE workers SET last_seen = ?2 WHERE name = ?1 AND last_seen < ?2";

/* ---- studies ---------------------------------------------------------------------- */

void store_study_clear(store_study_t *s)
{
    free(s->name);
    free(s->config);
    free(s->tier);
    memset(s, 0, sizeof *s);
}

int store_study_insert_row(store_t *self, const char *name, const char *config,
                           int64_t *id_out, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "INSERT INTO studies(name, config, created)"
                                     " VALUES (?1, ?2, ?3)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, now_secs());
    int rc = store_step_done(self, st, err) < 0 ? -1 : 0;
    if (rc == 0) {
        *id_out = sqlite3_last_insert_rowid(self->db);
        store_params_forget(self, *id_out); /* the id of a deleted study, reused */
    }
    sqlite3_finalize(st);
    return rc;
}

int store_study_insert(store_t *self, const char *name, const char *config, int64_t *id_out,
                       char *err)
{
    int rc = store_begin(self, err);
    if (rc == 0)
        rc = store_study_insert_row(self, name, config, id_out, err);
    return store_end(self, rc, err);
}

#define S_STUDY_COLS \
    "SELECT id, name, config, state, created, finished, test_score, tier FROM studies"

static void s_study_row(sqlite3_stmt *st, store_study_t *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->name = store_col_text(st, 1);
    out->config = store_col_text(st, 2);
    store_config_meta(out->config, &out->direction, &out->n_trials);
    snprintf(out->state, sizeof out->state, "%s", (const char *)sqlite3_column_text(st, 3));
    out->created = store_col_real(st, 4);
    out->finished = store_col_real(st, 5);
    out->test_score = store_col_real(st, 6);
    out->tier = store_col_text(st, 7);
}

int store_study_get(store_t *self, const char *name, store_study_t *out, char *err)
{
    sqlite3_stmt *st = store_prepare(self, S_STUDY_COLS " WHERE name = ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int ret = 1;
    if (rc == SQLITE_ROW) {
        s_study_row(st, out);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "study");
    sqlite3_finalize(st);
    return ret;
}

int store_studies(store_t *self, store_study_t **out, int *n, char *err)
{
    sqlite3_stmt *st = store_prepare(self, S_STUDY_COLS " ORDER BY id", err);
    if (!st)
        return -1;
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
        return store_db_err(self, err, "studies");
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

int store_study_set_state(store_t *self, int64_t id, const char *state, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "UPDATE studies SET state = ?2, finished = CASE WHEN"
                                     " ?2 = 'running' THEN NULL ELSE ?3 END WHERE id = ?1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, now_secs());
    return store_write1(self, st, err);
}

int store_study_set_final(store_t *self, int64_t id, int64_t best_trial, double test_score,
                          const char *tier, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "UPDATE studies SET best_trial = ?2, test_score = ?3,"
                                     " tier = ?4 WHERE id = ?1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, best_trial);
    store_bind_real(st, 3, test_score);
    sqlite3_bind_text(st, 4, tier, -1, SQLITE_TRANSIENT);
    return store_write1(self, st, err);
}

/* ---- workers and promotions ------------------------------------------------------- */

int store_worker_seen(store_t *self, const char *name, const char *host, long pid, int slots,
                      long lease_ms, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "INSERT INTO workers(name, host, pid, slots, first_seen,"
                                     " last_seen, lease_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"
                                     " ON CONFLICT(name) DO UPDATE SET host = ?2, pid = ?3,"
                                     " slots = ?4, last_seen = ?5, lease_ms = ?6, left_at = NULL",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, pid);
    sqlite3_bind_int(st, 4, slots);
    sqlite3_bind_double(st, 5, now_secs());
    sqlite3_bind_int64(st, 6, lease_ms);
    return store_write1(self, st, err);
}

int store_worker_heard(store_t *self, const char *name, double at, char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_WORKER_HEARD, s_sql_worker_heard, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, at);
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) < 0)
        rc = -1;
    return store_end(self, rc, err);
}

int store_worker_left(store_t *self, const char *name, char *err)
{
    sqlite3_stmt *st =
        store_prepare(self, "UPDATE workers SET left_at = ?2 WHERE name = ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, now_secs());
    return store_write1(self, st, err);
}

int store_workers_forget(store_t *self, double before, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "DELETE FROM workers WHERE last_seen < ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_double(st, 1, before);
    if (store_write1(self, st, err) != 0)
        return -1;
    return sqlite3_changes(self->db);
}

int store_worker_binding(store_t *self, const char *name, long *pid, char **key, char *err)
{
    *key = NULL;
    sqlite3_stmt *st = store_prepare(self, "SELECT pid, key FROM workers WHERE name = ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        *pid = (long)sqlite3_column_int64(st, 0);
        *key = store_col_text(st, 1);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "worker");
    sqlite3_finalize(st);
    return ret;
}

int store_worker_bind_key(store_t *self, const char *name, const char *key, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "UPDATE workers SET key = ?2 WHERE name = ?1 AND key IS NULL",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    return store_write1(self, st, err);
}

int store_promotion(store_t *self, int64_t study_id, const char *stage, const char *tier,
                    bool forced, double test_score, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "INSERT INTO promotions(study_id, stage, tier, forced,"
                                     " test_score, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_text(st, 2, stage, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, tier, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, forced);
    store_bind_real(st, 5, test_score);
    sqlite3_bind_double(st, 6, now_secs());
    return store_write1(self, st, err);
}

