/* store_read — what `hps status` and `hps leaderboard` read (see store.h): trial counts,
 * the best trial, promotions and workers. Read between store_snapshot_begin and
 * _end, they come from one committed state. The per-study statements are prepared once
 * per connection: a leaderboard runs them once per study. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/store_priv.h"

static const char s_sql_counts[] =
    "SELECT state, COUNT(*) FROM trials WHERE study_id = ?1 AND kind = 'search'"
    " GROUP BY state";
/* The best value is the smallest (minimise) or largest (maximise): MIN/MAX on the
 * index trials_state_value is a seek, as is the lookup of the trials that have it; ties
 * go to the earliest trial, as in Optuna. ?2 COMPLETE. */
#define S_SQL_BEST(agg)                                                                    \
    "SELECT number, value, cv_std, x FROM trials WHERE study_id = ?1 AND kind = 'search'"  \
    " AND state = ?2 AND value = (SELECT " agg "(value) FROM trials WHERE study_id = ?1"    \
    " AND kind = 'search' AND state = ?2) ORDER BY number LIMIT 1"
static const char s_sql_best_min[] = S_SQL_BEST("MIN");
static const char s_sql_best_max[] = S_SQL_BEST("MAX");
static const char s_sql_promotions[] =
    "SELECT stage, tier, forced, test_score, at FROM promotions WHERE study_id = ?1"
    " ORDER BY id";

int store_trial_counts(store_t *self, int64_t study_id, long counts[TRIAL_NSTATES], char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_COUNTS, s_sql_counts, err);
    if (!st)
        return -1;
    memset(counts, 0, sizeof(long) * TRIAL_NSTATES);
    sqlite3_bind_int64(st, 1, study_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int state = store_col_state(st, 0);
        if (state >= 0)
            counts[state] = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_db_err(self, err, "trial counts");
}

int store_best_trial(store_t *self, int64_t study_id, direction_t dir, store_best_t *out,
                     char *err)
{
    memset(out, 0, sizeof *out);
    bool max = dir == DIR_MAXIMIZE;
    sqlite3_stmt *st = store_stmt(self, max ? STORE_Q_BEST_MAX : STORE_Q_BEST,
                                  max ? s_sql_best_max : s_sql_best_min, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    store_bind_state(st, 2, TRIAL_COMPLETE);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        out->number = (long)sqlite3_column_int64(st, 0);
        out->value = sqlite3_column_double(st, 1);
        out->cv_std = store_col_real(st, 2);
        out->nx = sqlite3_column_bytes(st, 3) / (int)sizeof(double);
        if (out->nx > 0) {
            out->x = xcalloc((size_t)out->nx, sizeof *out->x);
            memcpy(out->x, sqlite3_column_blob(st, 3), sizeof *out->x * (size_t)out->nx);
        }
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "best trial");
    sqlite3_reset(st);
    return ret;
}

void store_best_clear(store_best_t *b)
{
    free(b->x);
    memset(b, 0, sizeof *b);
}

int store_promotions(store_t *self, int64_t study_id, store_promotion_t **out, int *n,
                     char *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(self, STORE_Q_PROMOTIONS, s_sql_promotions, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = xrealloc(*out, sizeof **out * (size_t)cap);
        }
        (*out)[(*n)++] = (store_promotion_t){
            .stage = store_col_text(st, 0),
            .tier = store_col_text(st, 1),
            .forced = sqlite3_column_int(st, 2) != 0,
            .test_score = store_col_real(st, 3),
            .at = store_col_real(st, 4),
        };
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    store_promotions_free(out, *n);
    return store_db_err(self, err, "promotions");
}

void store_promotions_free(store_promotion_t **list, int n)
{
    for (int i = 0; *list && i < n; i++) {
        free((*list)[i].stage);
        free((*list)[i].tier);
    }
    free(*list);
    *list = NULL;
}

static int s_worker_name_cmp(const void *a, const void *b)
{
    const store_worker_t *x = a, *y = b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int s_count_workers(store_t *self, long *total, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT COUNT(*) FROM workers", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *total = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(self, err, "workers");
}

int store_workers(store_t *self, int limit, store_worker_t **out, int *n, long *total,
                  char *err)
{
    *out = NULL;
    *n = 0;
    if (s_count_workers(self, total, err) != 0)
        return -1;
    sqlite3_stmt *st = store_prepare(self,
                                     "SELECT name, host, pid, slots, last_seen, lease_ms,"
                                     " left_at FROM workers ORDER BY last_seen DESC LIMIT ?1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, sizeof **out * (size_t)cap);
        }
        (*out)[(*n)++] = (store_worker_t){
            .name = store_col_text(st, 0),
            .host = store_col_text(st, 1),
            .pid = (long)sqlite3_column_int64(st, 2),
            .slots = sqlite3_column_int(st, 3),
            .last_seen = store_col_real(st, 4),
            .lease_ms = (long)sqlite3_column_int64(st, 5),
            .left_at = store_col_real(st, 6),
        };
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        if (*n > 1)
            qsort(*out, (size_t)*n, sizeof **out, s_worker_name_cmp);
        return 0;
    }
    store_workers_free(out, *n);
    return store_db_err(self, err, "workers");
}

void store_workers_free(store_worker_t **list, int n)
{
    for (int i = 0; *list && i < n; i++) {
        free((*list)[i].name);
        free((*list)[i].host);
    }
    free(*list);
    *list = NULL;
}

int store_stale_tells(store_t *self, long *n, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT COUNT(*) FROM tells WHERE stale", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(self, err, "stale tells");
}

int store_last_error(store_t *self, int64_t study_id, char **error, char *err)
{
    *error = NULL;
    sqlite3_stmt *st = store_prepare(self, "SELECT error FROM trials WHERE study_id = ?1 AND"
                                           " state = ?2 AND error IS NOT NULL ORDER BY"
                                           " finished DESC, id DESC LIMIT 1", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    store_bind_state(st, 2, TRIAL_FAIL);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *error = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_db_err(self, err, "last error");
    return rc == SQLITE_ROW ? 0 : 1;
}
