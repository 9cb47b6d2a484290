/* store_trials — the trials of a study in the file (see store.h): their life from
 * created to finished, the TELL log, intermediate values, and reading them back for a
 * resume. Every statement here runs once or more per trial, so each is prepared once
 * per connection (store_stmt). States are bound by name from the C enum. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store.h"
#include "core/store_priv.h"

static const char s_sql_trial_insert[] =
    "INSERT INTO trials(study_id, number, kind, state, attempt, worker, x, created, started,"
    " params) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9)";
/* ?5 RUNNING, ?6 WAITING */
static const char s_sql_trial_lease[] =
    "UPDATE trials SET state = ?5, worker = ?3, started = ?4"
    " WHERE id = ?1 AND attempt = ?2 AND state = ?6";
/* ?3 WAITING, ?4 RUNNING (s_to_waiting) */
static const char s_sql_trial_requeue[] =
    "UPDATE trials SET state = ?3, attempt = ?2, worker = NULL"
    " WHERE id = ?1 AND state = ?4 AND attempt = ?2 - 1";
static const char s_sql_trial_release[] =
    "UPDATE trials SET state = ?3, worker = NULL WHERE id = ?1 AND state = ?4 AND attempt = ?2";
static const char s_sql_trial_state[] = "SELECT state, attempt FROM trials WHERE id = ?1";
/* ?13 RUNNING */
static const char s_sql_trial_finish[] =
    "UPDATE trials SET state = ?3, value = ?4, secs = ?5, cv_mean = ?6, cv_std = ?7,"
    " val_score = ?8, test_score = ?9, folds = ?10, error = ?11, finished = ?12"
    " WHERE id = ?1 AND attempt = ?2 AND state = ?13";
static const char s_sql_trial_scores[] =
    "SELECT value, secs, cv_mean, cv_std, val_score, test_score FROM trials WHERE id = ?1";
static const char s_sql_tell_insert[] =
    "INSERT OR IGNORE INTO tells(trial_id, attempt, state, value, stale, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char s_sql_inter_insert[] =
    "INSERT OR IGNORE INTO intermediate(trial_id, step, value) VALUES (?1, ?2, ?3)";
static const char s_sql_inter_delete[] = "DELETE FROM intermediate WHERE trial_id = ?1";

/* ---- reading -------------------------------------------------------------------- */

int store_trials_each(store_t *self, int64_t study_id, store_trial_fn cb, void *arg, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "SELECT id, number, kind, state, attempt, value, x, worker"
                                     " FROM trials WHERE study_id = ?1 AND kind != 'warm'"
                                     " ORDER BY kind = 'final', number",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_t t = {0};
        t.id = sqlite3_column_int64(st, 0);
        t.number = (long)sqlite3_column_int64(st, 1);
        t.final = strcmp((const char *)sqlite3_column_text(st, 2), "final") == 0;
        int state = store_col_state(st, 3);
        if (state < 0) {
            ret = set_err(err, "trial %lld: unknown state '%s'", (long long)t.id,
                          (const char *)sqlite3_column_text(st, 3));
            break;
        }
        t.state = (trial_state_t)state;
        t.attempt = sqlite3_column_int(st, 4);
        t.value = store_col_real(st, 5);
        t.x = sqlite3_column_blob(st, 6);
        t.nx = sqlite3_column_bytes(st, 6) / (int)sizeof(double);
        t.worker = (const char *)sqlite3_column_text(st, 7);
        if ((ret = cb(arg, &t)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trials");
    sqlite3_finalize(st);
    return ret;
}

int store_intermediates_each(store_t *self, int64_t study_id, store_inter_fn cb, void *arg,
                             char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "SELECT i.trial_id, t.number, i.step, i.value"
                                     " FROM intermediate i JOIN trials t ON t.id = i.trial_id"
                                     " WHERE t.study_id = ?1 ORDER BY t.number, i.step",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = cb(arg, sqlite3_column_int64(st, 0), (long)sqlite3_column_int64(st, 1),
                 (long)sqlite3_column_int64(st, 2), sqlite3_column_double(st, 3));
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "intermediate");
    sqlite3_finalize(st);
    return ret;
}

int store_trial_create(store_t *self, int64_t study_id, long number, bool final,
                       const double *x, int nx, const char *worker, int64_t *id_out, char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TRIAL_INSERT, s_sql_trial_insert, err);
    if (!st)
        return -1;
    double now = now_secs();
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_text(st, 3, final ? "final" : "search", -1, SQLITE_STATIC);
    store_bind_state(st, 4, worker ? TRIAL_RUNNING : TRIAL_WAITING);
    if (worker)
        sqlite3_bind_text(st, 5, worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, x, nx * (int)sizeof(double), SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 7, now);
    if (worker)
        sqlite3_bind_double(st, 8, now);
    char *params = store_params_json(self, study_id, x, nx); /* x as plain SQL reads it */
    if (params)
        sqlite3_bind_text(st, 9, params, -1, free);
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) != 1)
        rc = -1;
    if (rc == 0)
        *id_out = sqlite3_last_insert_rowid(self->db);
    return store_end(self, rc, err);
}

/* One cached UPDATE expected to change exactly one row, in its own transaction. */
static int s_update1(store_t *self, sqlite3_stmt *st, const char *what, char *err)
{
    int rc = store_begin(self, err);
    if (rc == 0) {
        int changed = store_step_done(self, st, err);
        if (changed == 0)
            rc = set_err(err, "%s: trial is not in the expected state", what);
        else if (changed < 0)
            rc = -1;
    }
    return store_end(self, rc, err);
}

int store_trial_lease(store_t *self, int64_t trial_id, int attempt, const char *worker,
                      char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TRIAL_LEASE, s_sql_trial_lease, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_text(st, 3, worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, now_secs());
    store_bind_state(st, 5, TRIAL_RUNNING);
    store_bind_state(st, 6, TRIAL_WAITING);
    return s_update1(self, st, "lease", err);
}

/* RUNNING -> WAITING through statement q of text sql (bound: ?1 trial, ?2 attempt, ?3
 * WAITING, ?4 RUNNING), and the trial's intermediate values go: the next run reports
 * its steps anew. */
static int s_to_waiting(store_t *self, int q, const char *sql, int64_t trial_id, int attempt,
                        char *err)
{
    sqlite3_stmt *st = store_stmt(self, q, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    store_bind_state(st, 3, TRIAL_WAITING);
    store_bind_state(st, 4, TRIAL_RUNNING);
    int rc = store_begin(self, err);
    if (rc == 0) {
        int changed = store_step_done(self, st, err);
        rc = changed == 1 ? 0 : changed == 0 ? set_err(err, "requeue: trial is not running") : -1;
    }
    st = rc == 0 ? store_stmt(self, STORE_Q_INTER_DELETE, s_sql_inter_delete, err) : NULL;
    if (rc == 0 && !st)
        rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, trial_id);
        if (store_step_done(self, st, err) < 0)
            rc = -1;
    }
    return store_end(self, rc, err);
}

int store_trial_requeue(store_t *self, int64_t trial_id, int new_attempt, char *err)
{
    return s_to_waiting(self, STORE_Q_TRIAL_REQUEUE, s_sql_trial_requeue, trial_id, new_attempt,
                        err);
}

int store_trial_release(store_t *self, int64_t trial_id, int attempt, char *err)
{
    return s_to_waiting(self, STORE_Q_TRIAL_RELEASE, s_sql_trial_release, trial_id, attempt, err);
}

int store_trial_state(store_t *self, int64_t trial_id, trial_state_t *state, int *attempt,
                      char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TRIAL_STATE, s_sql_trial_state, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    int rc = sqlite3_step(st), ret = 1;
    int s = rc == SQLITE_ROW ? store_col_state(st, 0) : 0;
    if (rc == SQLITE_ROW && s < 0)
        ret = set_err(err, "trial %lld: unknown state", (long long)trial_id);
    else if (rc == SQLITE_ROW) {
        *state = (trial_state_t)s;
        *attempt = sqlite3_column_int(st, 1);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trial state");
    sqlite3_reset(st);
    return ret;
}

int store_trial_worker(store_t *self, int64_t trial_id, char **worker, char *err)
{
    *worker = NULL;
    sqlite3_stmt *st = store_prepare(self, "SELECT worker FROM trials WHERE id = ?1", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        *worker = store_col_text(st, 0);
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trial worker");
    sqlite3_finalize(st);
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

/* Insert the TELL log row. */
static int s_tell_log(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                      bool stale, char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TELL_INSERT, s_sql_tell_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    store_bind_state(st, 3, r->state);
    store_bind_real(st, 4, r->value);
    sqlite3_bind_int(st, 5, stale);
    sqlite3_bind_double(st, 6, now_secs());
    return store_step_done(self, st, err) < 0 ? -1 : 0;
}

int store_trial_finish(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                       char *err)
{
    assert(r->state == TRIAL_COMPLETE || r->state == TRIAL_PRUNED || r->state == TRIAL_FAIL);
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TRIAL_FINISH, s_sql_trial_finish, err);
    if (!st)
        return -1;
    char *folds = s_folds_json(r);
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int(st, 2, attempt);
    store_bind_state(st, 3, r->state);
    store_bind_real(st, 4, r->value);
    store_bind_real(st, 5, r->secs);
    store_bind_real(st, 6, r->cv_mean);
    store_bind_real(st, 7, r->cv_std);
    store_bind_real(st, 8, r->val_score);
    store_bind_real(st, 9, r->test_score);
    if (folds)
        sqlite3_bind_text(st, 10, folds, -1, SQLITE_TRANSIENT);
    if (r->error && *r->error)
        sqlite3_bind_text(st, 11, r->error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 12, now_secs());
    store_bind_state(st, 13, TRIAL_RUNNING);
    free(folds);
    int rc = store_begin(self, err);
    if (rc == 0) {
        int changed = store_step_done(self, st, err);
        if (changed == 0)
            rc = set_err(err, "finish: trial %lld attempt %d is not running",
                         (long long)trial_id, attempt);
        else if (changed < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = s_tell_log(self, trial_id, attempt, r, false, err);
    return store_end(self, rc, err);
}

int store_tell_stale(store_t *self, int64_t trial_id, int attempt, const store_result_t *r,
                     char *err)
{
    int rc = store_begin(self, err);
    if (rc == 0)
        rc = s_tell_log(self, trial_id, attempt, r, true, err);
    return store_end(self, rc, err);
}

int store_intermediate(store_t *self, int64_t trial_id, long step, double value, char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_INTER_INSERT, s_sql_inter_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int64(st, 2, step);
    store_bind_real(st, 3, value);
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) < 0)
        rc = -1;
    return store_end(self, rc, err);
}

int store_trial_scores(store_t *self, int64_t trial_id, store_scores_t *out, char *err)
{
    sqlite3_stmt *st = store_stmt(self, STORE_Q_TRIAL_SCORES, s_sql_trial_scores, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, trial_id);
    int rc = sqlite3_step(st), ret = 1;
    *out = (store_scores_t){NAN, NAN, NAN, NAN, NAN, NAN};
    if (rc == SQLITE_ROW) {
        *out = (store_scores_t){store_col_real(st, 0), store_col_real(st, 1),
                                store_col_real(st, 2), store_col_real(st, 3),
                                store_col_real(st, 4), store_col_real(st, 5)};
        ret = 0;
    } else if (rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trial scores");
    sqlite3_reset(st);
    return ret;
}

/* ---- self-test -------------------------------------------------------------------- */

static int s_count_cb(void *arg, const store_trial_t *t)
{
    int *counts = arg;
    counts[t->state]++;
    assert(t->nx == 2 && t->x[1] == 2.5);
    return 0;
}

/* Every final state finishes a trial, by name in the file; scores come back. */
static void s_test_final_states(store_t *s, int64_t sid)
{
    char err[HPS_ERR_LEN];
    double x[2] = {0, 2.5};
    static const trial_state_t finals[] = {TRIAL_COMPLETE, TRIAL_PRUNED, TRIAL_FAIL};
    for (int i = 0; i < 3; i++) {
        int64_t id;
        assert(store_trial_create(s, sid, 10 + i, false, x, 2, "w", &id, err) == 0);
        store_result_t r = {.state = finals[i], .value = i, .secs = 2, .cv_mean = 0.5,
                            .cv_std = NAN, .val_score = NAN, .test_score = 0.25};
        assert(store_trial_finish(s, id, 1, &r, err) == 0);
        store_scores_t sc;
        assert(store_trial_scores(s, id, &sc, err) == 0);
        assert(sc.value == i && sc.secs == 2 && sc.cv_mean == 0.5 && isnan(sc.cv_std));
        assert(isnan(sc.val_score) && sc.test_score == 0.25);
    }
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials WHERE number >= 10 AND"
                         " state IN ('COMPLETE', 'PRUNED', 'FAIL')") == 3);
    store_scores_t sc;
    assert(store_trial_scores(s, 999, &sc, err) == 1 && isnan(sc.value));
}

void store_trials_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-store-XXXXXX";
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t sid, t1, t2;
    assert(store_study_insert(s, "a", "{\"direction\": \"maximize\"}", &sid, err) == 0);
    assert(store_study_insert(s, "a", "{}", &sid, err) == -1);
    double x[2] = {1, 2.5};
    assert(store_trial_create(s, sid, 0, false, x, 2, "w1", &t1, err) == 0);
    assert(store_trial_create(s, sid, 1, false, x, 2, "w1", &t2, err) == 0);
    assert(store_trial_create(s, sid, 1, false, x, 2, "w1", &t2, err) == -1); /* dup number */
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") == 2);
    store_result_t r = {.state = TRIAL_COMPLETE, .value = 0.5, .secs = 1, .cv_mean = NAN,
                        .cv_std = NAN, .val_score = NAN, .test_score = NAN};
    assert(store_trial_finish(s, t1, 1, &r, err) == 0);
    assert(store_trial_finish(s, t1, 1, &r, err) == -1); /* not running any more */
    assert(store_intermediate(s, t2, 1, 0.9, err) == 0);
    assert(store_trial_requeue(s, t2, 2, err) == 0);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM intermediate") == 0); /* attempt 1's went */
    assert(store_trial_finish(s, t2, 1, &r, err) == -1); /* superseded attempt */
    assert(store_tell_stale(s, t2, 1, &r, err) == 0);
    assert(store_sql_long(s, "SELECT stale FROM tells WHERE state = 'COMPLETE' AND trial_id = 2")
           == 1);
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
    assert(store_trial_state(s, 999, &state, &attempt, err) == 1);
    char *holder;
    assert(store_trial_worker(s, t2, &holder, err) == 0 && strcmp(holder, "w2") == 0);
    free(holder);
    assert(store_trial_worker(s, 999, &holder, err) == 1 && !holder);
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
    s_test_final_states(s, sid);
    store_close(&s);
    store_unlink_files(path);
}
