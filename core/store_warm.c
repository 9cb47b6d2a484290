/* store_warm — a warm start's observations and enqueued points in the file (see
 * store.h).
 *
 * A warm start copies the source trials it uses into the new study, as trials of kind
 * 'warm' numbered -n .. -1 (below every search trial, in the source's number order):
 * the study's sampler is then a function of its own file, so a restart replays the
 * same observations even after the source study changed or was deleted, and a warm
 * start from another file needs that file only once. Every reader of a study's trials
 * asks for kind 'search' or 'final', so the warm rows are not its trials. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/points.h"
#include "core/store.h"
#include "core/store_priv.h"

static const char s_sql_insert[] =
    "INSERT INTO trials(study_id, number, kind, state, attempt, x, value, created, finished,"
    " params) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9)";

/* One trial row of kind (warm: ended at value; search: WAITING). */
static int s_insert(store_t *self, sqlite3_stmt *st, int64_t study_id, long number, bool warm,
                    const store_obs_t *o, const double *x, int nx, char *err)
{
    double now = now_secs();
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_text(st, 3, warm ? "warm" : "search", -1, SQLITE_STATIC);
    store_bind_state(st, 4, warm ? o->state : TRIAL_WAITING);
    sqlite3_bind_blob(st, 5, x, nx * (int)sizeof(double), SQLITE_TRANSIENT);
    if (warm)
        store_bind_real(st, 6, o->value);
    sqlite3_bind_double(st, 7, now);
    if (warm)
        sqlite3_bind_double(st, 8, now);
    char *params = store_params_json(self, study_id, x, nx);
    if (params)
        sqlite3_bind_text(st, 9, params, -1, free);
    return store_step_done(self, st, err) == 1 ? 0 : -1;
}

/* ---- the source ------------------------------------------------------------------- */

typedef struct {
    const int *map;
    int nx, src_nx;
    store_obs_t *obs;
    int n;
    char *err;
} s_collect_t;

static int s_collect(void *arg, const store_trial_t *t)
{
    s_collect_t *c = arg;
    if (t->final || (t->state != TRIAL_COMPLETE && t->state != TRIAL_PRUNED))
        return 0;
    if (t->nx != c->src_nx || isnan(t->value))
        return 0; /* nothing a sampler could learn from */
    c->obs = xrealloc(c->obs, sizeof *c->obs * (size_t)(c->n + 1));
    store_obs_t *o = &c->obs[c->n++];
    o->state = t->state;
    o->value = t->value;
    o->x = xmalloc(sizeof *o->x * (size_t)c->nx);
    for (int i = 0; i < c->nx; i++)
        o->x[i] = t->x[c->map[i]];
    return 0;
}

int store_warm_source(store_t *src, const char *name, const space_t *target, direction_t dir,
                      store_obs_t **obs, int *n, char *err)
{
    *obs = NULL, *n = 0;
    store_study_t s;
    int found = store_study_get(src, name, &s, err);
    if (found != 0)
        return found < 0 ? -1 : (set_err(err, "warm_start: no study '%s' here", name), 1);
    int rc = 1;
    space_t *space = points_config_space(s.config, err);
    int *map = xcalloc((size_t)target->n + 1, sizeof *map);
    if (space && points_space_map(target, space, map, err) == 0) {
        if (s.direction != dir)
            set_err(err, "the source study '%s' has the other direction", name);
        else
            rc = 0;
    }
    if (rc == 0) {
        s_collect_t c = {map, target->n, space->n, NULL, 0, err};
        rc = store_trials_each(src, s.id, s_collect, &c, err) != 0 ? -1 : 0;
        *obs = c.obs, *n = c.n;
        if (rc != 0)
            store_obs_free(obs, c.n);
    }
    if (rc == 1) {
        char why[HPS_ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        set_err(err, "warm_start: %s", why);
    }
    free(map);
    space_destroy(&space);
    store_study_clear(&s);
    return rc;
}

void store_obs_free(store_obs_t **obs, int n)
{
    for (int i = 0; *obs && i < n; i++)
        free((*obs)[i].x);
    free(*obs);
    *obs = NULL;
}

/* ---- writing ---------------------------------------------------------------------- */

int store_study_insert_warm(store_t *self, const char *name, const char *config,
                            const store_obs_t *obs, int n, int64_t *id_out, char *err)
{
    sqlite3_stmt *st = store_prepare(self, s_sql_insert, err);
    if (!st)
        return -1;
    space_t *space = points_config_space(config, err);
    int rc = space ? store_begin(self, err) : -1;
    if (rc == 0)
        rc = store_study_insert_row(self, name, config, id_out, err);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = s_insert(self, st, *id_out, i - n, true, &obs[i], obs[i].x, space->n, err);
    sqlite3_finalize(st);
    if (!space)
        return -1;
    space_destroy(&space);
    return store_end(self, rc, err);
}

int store_enqueue(store_t *self, int64_t study_id, const double *xs, int nx, int n, long *first,
                  int64_t *ids, char *err)
{
    sqlite3_stmt *st = store_prepare(self, s_sql_insert, err);
    sqlite3_stmt *q = st ? store_prepare(self, "SELECT COALESCE(MAX(number) + 1, 0) FROM trials"
                                               " WHERE study_id = ?1 AND kind = 'search'", err)
                         : NULL;
    int rc = q ? store_begin(self, err) : -1;
    if (rc == 0) {
        sqlite3_bind_int64(q, 1, study_id);
        if (sqlite3_step(q) == SQLITE_ROW)
            *first = (long)sqlite3_column_int64(q, 0);
        else
            rc = store_db_err(self, err, "enqueue");
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = s_insert(self, st, study_id, *first + i, false, NULL, xs + (size_t)i * (size_t)nx,
                      nx, err);
        if (rc == 0 && ids)
            ids[i] = sqlite3_last_insert_rowid(self->db);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(st);
    return q ? store_end(self, rc, err) : -1;
}

int store_enqueue_check(store_t *self, const char *name, const struct points_s *pts, double **xs,
                        int *nx, int64_t *study_id, char *err)
{
    *xs = NULL;
    store_study_t s;
    int rc = store_study_get(self, name, &s, err);
    if (rc != 0)
        return rc < 0 ? -1 : (set_err(err, "no study '%s'", name), 1);
    *study_id = s.id;
    long counts[TRIAL_NSTATES], have = 0;
    space_t *space = points_config_space(s.config, err);
    rc = !space ? -1 : store_trial_counts(self, s.id, counts, err);
    for (int i = 0; rc == 0 && i < TRIAL_NSTATES; i++)
        have += counts[i];
    if (rc == 0 && have + pts->n > s.n_trials) {
        rc = 1;
        set_err(err, "study '%s' has %ld of its n_trials=%ld trials: %d more would make "
                     "%ld (raise n_trials first: hps resume %s n_trials=%ld)", name, have,
                     s.n_trials, pts->n, have + pts->n, name, have + pts->n);
    }
    if (rc == 0) {
        *nx = space->n;
        *xs = xmalloc(sizeof **xs * (size_t)(space->n ? space->n : 1) * (size_t)pts->n);
        for (int i = 0; rc == 0 && i < pts->n; i++)
            if (points_encode(space, &pts->items[i], *xs + (size_t)i * (size_t)space->n, err))
                rc = 1;
    }
    if (rc != 0)
        free(*xs), *xs = NULL;
    space_destroy(&space);
    store_study_clear(&s);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

int store_warm_each(store_t *self, int64_t study_id, store_trial_fn cb, void *arg, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT id, number, state, value, x FROM trials"
                                           " WHERE study_id = ?1 AND kind = 'warm'"
                                           " ORDER BY number", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_t t = {.id = sqlite3_column_int64(st, 0), .attempt = 1};
        t.number = (long)sqlite3_column_int64(st, 1);
        int state = store_col_state(st, 2);
        if (state != TRIAL_COMPLETE && state != TRIAL_PRUNED) {
            ret = set_err(err, "warm trial %ld: state %s", t.number,
                          (const char *)sqlite3_column_text(st, 2));
            break;
        }
        t.state = (trial_state_t)state;
        t.value = store_col_real(st, 3);
        t.x = sqlite3_column_blob(st, 4);
        t.nx = sqlite3_column_bytes(st, 4) / (int)sizeof(double);
        ret = cb(arg, &t);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "warm trials");
    sqlite3_finalize(st);
    return ret;
}

/* ---- tests ------------------------------------------------------------------------ */

static int s_test_count(void *arg, const store_trial_t *t)
{
    long *n = arg;
    assert(t->number == *n - 3 && !t->final);
    (*n)++;
    return 0;
}

void store_warm_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-warm-XXXXXX";
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    const char *src = "{\"study\": \"src\", \"n_trials\": 9, \"direction\": \"minimize\","
                      " \"space\": {\"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
                      " \"k\": {\"type\": \"categorical\", \"choices\": [\"a\", \"b\"]}}}";
    int64_t sid, tid, did;
    assert(store_study_insert(s, "src", src, &sid, err) == 0);
    double xs[4][2] = {{0.1, 0}, {0.2, 1}, {0.3, 0}, {0.4, 1}};
    store_result_t ok = {.state = TRIAL_COMPLETE, .value = 1, .cv_mean = NAN, .cv_std = NAN,
                         .val_score = NAN, .test_score = NAN};
    for (int i = 0; i < 4; i++) {
        assert(store_trial_create(s, sid, i, false, xs[i], 2, "w", &tid, err) == 0);
        ok.value = i, ok.state = i == 2 ? TRIAL_FAIL : i == 3 ? TRIAL_PRUNED : TRIAL_COMPLETE;
        assert(store_trial_finish(s, tid, 1, &ok, err) == 0);
    }
    /* The target lists the parameters the other way round. */
    const char *dst = "{\"study\": \"dst\", \"n_trials\": 9, \"direction\": \"minimize\","
                      " \"space\": {\"k\": {\"type\": \"categorical\", \"choices\": [\"a\", \"b\"]},"
                      " \"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}}";
    space_t *target = points_config_space(dst, err);
    store_obs_t *obs;
    int n;
    assert(store_warm_source(s, "nope", target, DIR_MINIMIZE, &obs, &n, err) == 1);
    assert(store_warm_source(s, "src", target, DIR_MAXIMIZE, &obs, &n, err) == 1);
    assert(strstr(err, "other direction"));
    assert(store_warm_source(s, "src", target, DIR_MINIMIZE, &obs, &n, err) == 0 && n == 3);
    assert(obs[2].x[0] == 1 && obs[2].x[1] == 0.4 && obs[2].state == TRIAL_PRUNED);
    assert(store_study_insert_warm(s, "dst", dst, obs, n, &did, err) == 0);
    store_obs_free(&obs, n);
    long seen = 0;
    assert(store_warm_each(s, did, s_test_count, &seen, err) == 0 && seen == 3);
    long counts[TRIAL_NSTATES];
    assert(store_trial_counts(s, did, counts, err) == 0 && counts[TRIAL_COMPLETE] == 0);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trial_params WHERE kind = 'warm'") == 6);
    /* Enqueued points follow the last search trial; none are visible as warm. */
    long first;
    assert(store_enqueue(s, sid, &xs[0][0], 2, 2, &first, NULL, err) == 0 && first == 4);
    assert(store_enqueue(s, did, &xs[0][0], 2, 1, &first, NULL, err) == 0 && first == 0);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials WHERE state = 'WAITING'") == 3);
    /* src has 6 of its 9 trials now: 3 more fit, 4 do not; a bad point is named */
    double *ex;
    int nx;
    int64_t eid;
    const char *three = "[{\"x\": 0.5, \"k\": \"b\"}, {\"x\": 0, \"k\": \"a\"}, {\"x\": 1, \"k\": \"a\"}]";
    const char *four = "[{\"x\": 0.5, \"k\": \"b\"}, {\"x\": 0, \"k\": \"a\"}, {\"x\": 1, \"k\": \"a\"},"
                       " {\"x\": 1, \"k\": \"a\"}]";
    points_t *pts = points_parse_json(three, "p.json", err);
    assert(store_enqueue_check(s, "nope", pts, &ex, &nx, &eid, err) == 1 && strstr(err, "nope"));
    assert(store_enqueue_check(s, "src", pts, &ex, &nx, &eid, err) == 0 && nx == 2 && eid == sid);
    assert(ex[0] == 0.5 && ex[1] == 1 && ex[2] == 0 && ex[3] == 0);
    free(ex);
    points_destroy(&pts);
    pts = points_parse_json(four, "p.json", err);
    assert(store_enqueue_check(s, "src", pts, &ex, &nx, &eid, err) == 1 && !ex);
    assert(strstr(err, "has 6 of its n_trials=9 trials"));
    points_destroy(&pts);
    pts = points_parse_json("{\"x\": 2, \"k\": \"a\"}", "p.json", err);
    assert(store_enqueue_check(s, "src", pts, &ex, &nx, &eid, err) == 1);
    assert(strstr(err, "p.json:1:1: param 'x': 2 out of range"));
    points_destroy(&pts);
    space_destroy(&target);
    store_close(&s);
    unlink(path);
}
