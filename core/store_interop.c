/* store_interop — what an import from Optuna (in results/) writes into the study file
 * (see store.h): a finished trial whole, as it was elsewhere, and a batch given up. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/store_priv.h"

int store_trial_import(store_t *self, int64_t study_id, const store_trial_row_t *t,
                       int64_t *id_out, char *err)
{
    const store_trial_t *b = &t->trial;
    assert(b->state == TRIAL_COMPLETE || b->state == TRIAL_PRUNED || b->state == TRIAL_FAIL);
    sqlite3_stmt *st = store_prepare(self,
                                     "INSERT INTO trials(study_id, number, kind, state,"
                                     " attempt, worker, x, value, secs, error, created,"
                                     " started, finished, params) VALUES (?1, ?2, 'search',"
                                     " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, b->number);
    store_bind_state(st, 3, b->state);
    sqlite3_bind_int(st, 4, b->attempt > 0 ? b->attempt : 1);
    if (b->worker)
        sqlite3_bind_text(st, 5, b->worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, b->x, b->nx * (int)sizeof(double), SQLITE_TRANSIENT);
    store_bind_real(st, 7, b->value);
    store_bind_real(st, 8, t->secs);
    if (t->error && *t->error)
        sqlite3_bind_text(st, 9, t->error, -1, SQLITE_TRANSIENT);
    store_bind_real(st, 10, t->started);
    store_bind_real(st, 11, t->finished);
    char *params = store_params_json(self, study_id, b->x, b->nx); /* as plain SQL reads it */
    if (params)
        sqlite3_bind_text(st, 12, params, -1, free);
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) != 1)
        rc = -1;
    if (rc == 0)
        *id_out = sqlite3_last_insert_rowid(self->db);
    sqlite3_finalize(st);
    return store_end(self, rc, err);
}

void store_batch_abort(store_t *self)
{
    assert(self->in_batch);
    self->in_batch = false;
    char ignore[HPS_ERR_LEN];
    if (!sqlite3_get_autocommit(self->db))
        store_exec(self, "ROLLBACK", ignore);
}

/* ------------------------------------------------------------------ self-test */

static int s_test_collect(void *arg, const store_trial_row_t *t)
{
    store_trial_row_t *out = arg;
    out[t->trial.number] = *t;
    assert(t->trial.nx == 2 && t->trial.x[1] == 2.5 * (double)t->trial.number);
    assert(t->n_steps == 1 && t->steps[0] == 1 && t->step_values[0] == 0.5);
    out[t->trial.number].trial.x = NULL;
    out[t->trial.number].trial.worker = NULL;
    out[t->trial.number].error = NULL;
    out[t->trial.number].steps = NULL;
    out[t->trial.number].step_values = NULL;
    return 0;
}

void store_interop_test(bool verbose)
{
    (void)verbose;
    char path[] = "/tmp/hps-store-interop-XXXXXX", err[HPS_ERR_LEN];
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t study, id;
    const char *config = "{\"study\": \"a\", \"space\": {\"u\": {\"type\": \"float\", \"low\": "
                         "0, \"high\": 9}, \"v\": {\"type\": \"float\", \"low\": 0, \"high\": "
                         "9}}}";
    assert(store_study_insert(s, "a", config, &study, err) == 0);
    assert(store_batch_begin(s, err) == 0);
    for (long n = 0; n < 3; n++) {
        double x[2] = {1, 2.5 * (double)n};
        store_trial_row_t t = {
            .trial = {.number = n, .state = n == 2 ? TRIAL_FAIL : TRIAL_COMPLETE, .attempt = 1,
                      .value = n == 2 ? NAN : (double)n, .x = x, .nx = 2},
            .secs = 1.5, .error = n == 2 ? "boom" : NULL, .started = 100 + (double)n,
            .finished = 101 + (double)n};
        assert(store_trial_import(s, study, &t, &id, err) == 0);
        assert(store_intermediate(s, id, 1, 0.5, err) == 0);
    }
    assert(store_batch_commit(s, err) == 0);
    store_trial_row_t rows[3];
    store_trial_query_t q = {.state = -1, .steps = true};
    assert(store_trial_rows(s, study, &q, s_test_collect, rows, err) == 0);
    assert(rows[0].trial.state == TRIAL_COMPLETE && rows[1].trial.value == 1);
    assert(rows[2].trial.state == TRIAL_FAIL && isnan(rows[2].trial.value));
    assert(rows[2].started == 102 && rows[2].finished == 103 && rows[1].secs == 1.5);
    assert(!rows[0].trial.final && isnan(rows[0].test_score));
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials WHERE error = 'boom'") == 1);
    /* the params column, as for any other trial */
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trial_params WHERE name = 'v'"
                             " AND value = 5") == 1);
    /* an aborted batch leaves nothing */
    assert(store_batch_begin(s, err) == 0);
    double y[2] = {1, 0};
    store_trial_row_t more = {.trial = {.number = 7, .state = TRIAL_COMPLETE, .x = y, .nx = 2}};
    assert(store_trial_import(s, study, &more, &id, err) == 0);
    store_batch_abort(s);
    assert(!store_in_batch(s) && store_sql_long(s, "SELECT COUNT(*) FROM trials") == 3);
    /* a number taken twice is refused */
    store_trial_row_t dup = {.trial = {.number = 1, .state = TRIAL_COMPLETE, .x = y, .nx = 2}};
    assert(store_trial_import(s, study, &dup, &id, err) == -1);
    store_close(&s);
    store_unlink_files(path);
}
