/* store_trials_read — every trial of a study, whole, for `hps trials` and `hps export`
 * (see store.h, store_trial_rows). Rows are streamed to a callback straight from the
 * statement: nothing is collected, so a study of a million trials costs one row of
 * memory. The filter, the order and the limit are SQL, so `--limit 10` reads 10 rows.
 * A trial's intermediate values come from a second statement per row (the primary key
 * (trial_id, step) makes it one index seek), only when asked for. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/store_priv.h"

/* ?1 study, ?2 state or NULL for any, ?3 direction (value * ?3 ascending is best
 * first), ?4 order by value (1) or by number (0), ?5 limit (-1 = none). The final refit
 * comes last in either order; trials without a value last among the others. */
static const char s_sql_rows[] =
    "SELECT id, number, kind, state, attempt, value, x, worker, secs, cv_mean, cv_std,"
    " val_score, test_score, error, started, finished FROM trials"
    " WHERE study_id = ?1 AND kind != 'warm' AND (?2 IS NULL OR state = ?2)"
    " ORDER BY kind = 'final',"
    "  CASE WHEN ?4 THEN value IS NULL END, CASE WHEN ?4 THEN value * ?3 END, number"
    " LIMIT ?5";
static const char s_sql_steps[] =
    "SELECT step, value FROM intermediate WHERE trial_id = ?1 ORDER BY step";

/* The growing step buffers of one listing. */
typedef struct {
    long *steps;
    double *values;
    int cap;
} s_steps_t;

/* Fill t's steps from the intermediate table. 0 or -1 with err. */
static int s_read_steps(store_t *self, sqlite3_stmt *q, s_steps_t *buf, store_trial_row_t *t,
                        char *err)
{
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, t->trial.id);
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == buf->cap) {
            buf->cap = buf->cap ? buf->cap * 2 : 16;
            buf->steps = xrealloc(buf->steps, sizeof *buf->steps * (size_t)buf->cap);
            buf->values = xrealloc(buf->values, sizeof *buf->values * (size_t)buf->cap);
        }
        buf->steps[n] = (long)sqlite3_column_int64(q, 0);
        buf->values[n++] = store_col_real(q, 1);
    }
    if (rc != SQLITE_DONE)
        return store_db_err(self, err, "intermediate values");
    t->steps = buf->steps;
    t->step_values = buf->values;
    t->n_steps = n;
    return 0;
}

/* The row under st as a store_trial_row_t (strings and x borrowed from st). 0, or -1
 * with err for a state this build does not know. */
static int s_row(sqlite3_stmt *st, store_trial_row_t *t, char *err)
{
    memset(t, 0, sizeof *t);
    store_trial_t *b = &t->trial;
    b->id = sqlite3_column_int64(st, 0);
    b->number = (long)sqlite3_column_int64(st, 1);
    b->final = strcmp((const char *)sqlite3_column_text(st, 2), "final") == 0;
    int state = store_col_state(st, 3);
    if (state < 0)
        return set_err(err, "trial %lld: unknown state '%s'", (long long)b->id,
                       (const char *)sqlite3_column_text(st, 3));
    b->state = (trial_state_t)state;
    b->attempt = sqlite3_column_int(st, 4);
    b->value = store_col_real(st, 5);
    b->x = sqlite3_column_blob(st, 6);
    b->nx = sqlite3_column_bytes(st, 6) / (int)sizeof(double);
    b->worker = (const char *)sqlite3_column_text(st, 7);
    t->secs = store_col_real(st, 8);
    t->cv_mean = store_col_real(st, 9);
    t->cv_std = store_col_real(st, 10);
    t->val_score = store_col_real(st, 11);
    t->test_score = store_col_real(st, 12);
    t->error = (const char *)sqlite3_column_text(st, 13);
    t->started = store_col_real(st, 14);
    t->finished = store_col_real(st, 15);
    return 0;
}

int store_trial_rows(store_t *self, int64_t study_id, const store_trial_query_t *q,
                     store_trial_row_fn cb, void *arg, char *err)
{
    assert(self && q && cb);
    sqlite3_stmt *st = store_prepare(self, s_sql_rows, err);
    sqlite3_stmt *sq = st && q->steps ? store_prepare(self, s_sql_steps, err) : NULL;
    if (!st || (q->steps && !sq)) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_int64(st, 1, study_id);
    if (q->state >= 0)
        store_bind_state(st, 2, (trial_state_t)q->state);
    sqlite3_bind_int(st, 3, (int)q->dir);
    sqlite3_bind_int(st, 4, q->by_value ? 1 : 0);
    sqlite3_bind_int64(st, 5, q->limit > 0 ? q->limit : -1);
    s_steps_t buf = {0};
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_row_t t;
        if ((ret = s_row(st, &t, err)) != 0 || (sq && (ret = s_read_steps(self, sq, &buf, &t,
                                                                         err)) != 0))
            break;
        if ((ret = cb(arg, &t)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trials");
    free(buf.steps);
    free(buf.values);
    sqlite3_finalize(sq);
    sqlite3_finalize(st);
    return ret;
}

/* ---- tests ------------------------------------------------------------------------ */

typedef struct {
    long numbers[8];
    int n, steps;
} s_seen_t;

static int s_collect(void *arg, const store_trial_row_t *t)
{
    s_seen_t *s = arg;
    assert(s->n < 8);
    s->numbers[s->n++] = t->trial.final ? 1000 : t->trial.number;
    s->steps += t->n_steps;
    if (t->trial.state == TRIAL_FAIL)
        assert(t->error && strcmp(t->error, "boom") == 0);
    return 0;
}

static void s_expect(store_t *s, int64_t sid, store_trial_query_t q, const long *want, int n,
                     int steps)
{
    char err[HPS_ERR_LEN];
    s_seen_t seen = {0};
    assert(store_trial_rows(s, sid, &q, s_collect, &seen, err) == 0);
    assert(seen.n == n && seen.steps == steps);
    for (int i = 0; i < n; i++)
        assert(seen.numbers[i] == want[i]);
}

void store_trials_read_test(bool verbose)
{
    (void)verbose;
    char path[] = "/tmp/hps-store-rows-XXXXXX", err[HPS_ERR_LEN];
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t sid, tid[4];
    assert(store_study_insert(s, "r", "{\"direction\":\"minimize\"}", &sid, err) == 0);
    double x = 0.5, values[3] = {3.0, 1.0, 2.0};
    for (int i = 0; i < 4; i++)
        assert(store_trial_create(s, sid, i, false, &x, 1, "w", &tid[i], err) == 0);
    for (int i = 0; i < 3; i++) {
        store_result_t r = {.state = TRIAL_COMPLETE, .value = values[i], .secs = 0.1,
                            .cv_mean = NAN, .cv_std = NAN, .val_score = NAN,
                            .test_score = NAN};
        assert(store_trial_finish(s, tid[i], 1, &r, err) == 0);
    }
    store_result_t f = {.state = TRIAL_FAIL, .value = NAN, .secs = NAN, .cv_mean = NAN,
                        .cv_std = NAN, .val_score = NAN, .test_score = NAN, .error = "boom"};
    assert(store_trial_finish(s, tid[3], 1, &f, err) == 0);
    assert(store_intermediate(s, tid[1], 0, 5.0, err) == 0);
    assert(store_intermediate(s, tid[1], 1, 4.0, err) == 0);
    assert(store_trial_create(s, sid, -1, true, &x, 1, "w", &tid[0], err) == 0);
    store_trial_query_t q = {.state = -1, .dir = DIR_MINIMIZE};
    s_expect(s, sid, q, (const long[]){0, 1, 2, 3, 1000}, 5, 0);
    q.by_value = true; /* best first, no value last, the refit at the end */
    s_expect(s, sid, q, (const long[]){1, 2, 0, 3, 1000}, 5, 0);
    q.dir = DIR_MAXIMIZE;
    q.limit = 2;
    q.steps = true;
    s_expect(s, sid, q, (const long[]){0, 2}, 2, 0);
    q = (store_trial_query_t){.state = TRIAL_COMPLETE, .dir = DIR_MINIMIZE, .steps = true};
    s_expect(s, sid, q, (const long[]){0, 1, 2}, 3, 2);
    q.state = TRIAL_FAIL;
    s_expect(s, sid, q, (const long[]){3}, 1, 0);
    store_close(&s);
    store_unlink_files(path);
}
