/* store_params — a trial's parameters as plain SQL reads them (see store_priv.h):
 * trials.params holds the JSON object of the trial's point, decoded by the study's
 * space as the user sees it (a number for float and int, the choice for a
 * categorical; an inactive conditional parameter is absent), written with x on every
 * insert; the view trial_params (core/store.c) turns it into (study, number, kind,
 * name, value) rows with json_each.
 *
 * The space of a study is parsed from its stored config once per connection and kept
 * (a handful of studies; a new study row forgets what was kept under its id). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/space.h"
#include "core/store.h"
#include "core/store_priv.h"

struct store_space_s {
    int64_t study_id;
    space_t *space; /* NULL: the config gives none (params stay NULL) */
};

/* The space of study_id's config, NULL when it has none that parses. */
static space_t *s_load(store_t *self, int64_t study_id)
{
    char err[HPS_ERR_LEN];
    sqlite3_stmt *st = store_stmt(self, STORE_Q_STUDY_CONFIG,
                                  "SELECT config FROM studies WHERE id = ?1", err);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, study_id);
    space_t *space = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *json = (const char *)sqlite3_column_text(st, 0);
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        cfg_node_t *root = json ? cfg_parse(json, strlen(json), "<stored study>", &errs) : NULL;
        const cfg_node_t *map = root ? cfg_get(root, "space") : NULL;
        space = map ? space_from_cfg(map, &errs) : NULL;
        cfg_free(&root);
        cfg_errs_free(&errs);
    }
    sqlite3_reset(st);
    return space;
}

static const space_t *s_space(store_t *self, int64_t study_id)
{
    for (int i = 0; i < self->n_spaces; i++)
        if (self->spaces[i].study_id == study_id)
            return self->spaces[i].space;
    self->spaces = xrealloc(self->spaces, sizeof *self->spaces * (size_t)(self->n_spaces + 1));
    self->spaces[self->n_spaces] = (struct store_space_s){study_id, s_load(self, study_id)};
    return self->spaces[self->n_spaces++].space;
}

char *store_params_json(store_t *self, int64_t study_id, const double *x, int nx)
{
    const space_t *space = s_space(self, study_id);
    if (!space || !x || nx != space->n)
        return NULL;
    for (int k = 0; k < nx; k++) {
        int i = space_order(space, k);
        const param_t *p = &space->params[i];
        bool bad_choice = p->kind == PARAM_CAT && (x[i] < -0.5 || x[i] >= p->n_choices - 0.5);
        if (isnan(x[i]) && !space_active(space, x, i))
            continue; /* an inactive conditional parameter: absent from the object */
        if (!isfinite(x[i]) || bad_choice)
            return NULL; /* not a point of this space: no row to show */
    }
    strbuf_t sb;
    sb_init(&sb);
    space_point_json(&sb, space, x);
    return sb_take(&sb);
}

void store_params_forget(store_t *self, int64_t study_id)
{
    for (int i = 0; i < self->n_spaces; i++)
        if (self->spaces[i].study_id == study_id) {
            space_destroy(&self->spaces[i].space);
            self->spaces[i] = self->spaces[--self->n_spaces];
            return;
        }
}

void store_params_close(store_t *self)
{
    for (int i = 0; i < self->n_spaces; i++)
        space_destroy(&self->spaces[i].space);
    free(self->spaces);
    self->spaces = NULL;
    self->n_spaces = 0;
}

/* hps_params(study_id, x): trials.params for the migration's one UPDATE. */
static void s_sql_params(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    assert(argc == 2);
    store_t *self = sqlite3_user_data(ctx);
    int nx = sqlite3_value_bytes(argv[1]) / (int)sizeof(double);
    double *x = xmalloc(sizeof *x * (size_t)(nx > 0 ? nx : 1));
    if (nx > 0)
        memcpy(x, sqlite3_value_blob(argv[1]), sizeof *x * (size_t)nx);
    char *json = store_params_json(self, sqlite3_value_int64(argv[0]), x, nx);
    free(x);
    if (json)
        sqlite3_result_text(ctx, json, -1, free);
    else
        sqlite3_result_null(ctx);
}

int store_params_fill(store_t *self, char *err)
{
    /* Every space first: the function then runs no query of its own. */
    sqlite3_stmt *st = store_prepare(self, "SELECT id FROM studies", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        s_space(self, sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_db_err(self, err, "studies");
    if (sqlite3_create_function(self->db, "hps_params", 2, SQLITE_UTF8, self, s_sql_params,
                                NULL, NULL) != SQLITE_OK)
        return store_db_err(self, err, "hps_params");
    rc = store_exec(self, "UPDATE trials SET params = hps_params(study_id, x)"
                          " WHERE x IS NOT NULL", err);
    if (sqlite3_create_function(self->db, "hps_params", 2, SQLITE_UTF8, NULL, NULL, NULL,
                                NULL) != SQLITE_OK && rc == 0)
        rc = store_db_err(self, err, "hps_params");
    return rc;
}

/* ---- self-test -------------------------------------------------------------------- */

/* One text from SQL on the store's connection ("" for no row or NULL); caller frees. */
static char *s_sql_text(store_t *s, const char *sql)
{
    char err[HPS_ERR_LEN];
    sqlite3_stmt *q = store_prepare(s, sql, err);
    assert(q);
    char *t = sqlite3_step(q) == SQLITE_ROW ? store_col_text(q, 0) : NULL;
    sqlite3_finalize(q);
    return t ? t : xstrdup("");
}

/* The trial_params rows of a study as "number:name=value(type);..." */
static void s_expect_rows(store_t *s, const char *want)
{
    char *got = s_sql_text(s, "SELECT group_concat(number || ':' || name || '=' || value"
                              " || '(' || typeof(value) || ')', ';') FROM trial_params");
    if (strcmp(got, want) != 0)
        fprintf(stderr, "trial_params: %s\n   expected: %s\n", got, want);
    assert(strcmp(got, want) == 0);
    free(got);
}

/* The cached best-trial statement of slot q is two index seeks: the plan names the
 * index, and running it stepped no row of a full scan. */
static void s_expect_seek(store_t *s, int q)
{
    assert(s->q[q]);
    assert(sqlite3_stmt_status(s->q[q], SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) == 0);
    char err[HPS_ERR_LEN], *sql = xasprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s->q[q]));
    sqlite3_stmt *st = store_prepare(s, sql, err);
    assert(st);
    sqlite3_bind_int64(st, 1, 1);
    store_bind_state(st, 2, TRIAL_COMPLETE);
    int seeks = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        assert(!strstr(detail, "SCAN") && !strstr(detail, "TEMP B-TREE"));
        seeks += strstr(detail, "SEARCH trials USING COVERING INDEX trials_state_value") ||
                 strstr(detail, "SEARCH trials USING INDEX trials_state_value");
    }
    assert(seeks == 2);
    sqlite3_finalize(st);
    free(sql);
}

/* Best trials both ways, ties to the earliest number, found by seeks. */
static void s_test_best(store_t *s, int64_t sid)
{
    char err[HPS_ERR_LEN];
    double x[3] = {0.5, 2, 0};
    static const double values[] = {3, 1, 7, 1, 7, 5};
    for (int i = 0; i < 6; i++) {
        int64_t id;
        assert(store_trial_create(s, sid, 10 + i, false, x, 3, "w", &id, err) == 0);
        store_result_t r = {.state = TRIAL_COMPLETE, .value = values[i], .cv_mean = NAN,
                            .cv_std = NAN, .val_score = NAN, .test_score = NAN};
        assert(store_trial_finish(s, id, 1, &r, err) == 0);
    }
    store_best_t b;
    assert(store_best_trial(s, sid, DIR_MINIMIZE, &b, err) == 0);
    assert(b.number == 11 && b.value == 1 && b.nx == 3 && b.x[0] == 0.5);
    store_best_clear(&b);
    assert(store_best_trial(s, sid, DIR_MAXIMIZE, &b, err) == 0);
    assert(b.number == 12 && b.value == 7);
    store_best_clear(&b);
    s_expect_seek(s, STORE_Q_BEST);
    s_expect_seek(s, STORE_Q_BEST_MAX);
    assert(store_best_trial(s, sid + 1, DIR_MINIMIZE, &b, err) == 1); /* no such study */
}

void store_params_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-params-XXXXXX";
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t sid, other, id;
    static const char config[] =
        "{\"study\": \"p\", \"space\": {"
        "\"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 1, \"log\": true},"
        " \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 9},"
        " \"c\": {\"type\": \"categorical\", \"choices\": [\"a\", 3, \"b\"]}}}";
    assert(store_study_insert(s, "p", config, &sid, err) == 0);
    assert(store_study_insert(s, "nospace", "{\"study\": \"nospace\"}", &other, err) == 0);
    double x[3] = {0.0125, 4, 2}, y[3] = {0.5, 9, 1};
    assert(store_trial_create(s, sid, 0, false, x, 3, "w", &id, err) == 0);
    assert(store_trial_create(s, sid, -1, true, y, 3, NULL, &id, err) == 0);
    s_expect_rows(s, "0:lr=0.0125(real);0:n=4(integer);0:c=b(text);"
                     "-1:lr=0.5(real);-1:n=9(integer);-1:c=3(integer)");
    char *study = s_sql_text(s, "SELECT study || '/' || kind FROM trial_params WHERE number = -1");
    assert(strcmp(study, "p/final") == 0);
    free(study);
    /* no space, a point of another size, a choice out of range: no rows, x kept */
    double bad[3] = {0.5, 2, 3};
    assert(store_trial_create(s, other, 0, false, x, 3, "w", &id, err) == 0);
    assert(store_trial_create(s, sid, 1, false, x, 2, "w", &id, err) == 0);
    assert(store_trial_create(s, sid, 2, false, bad, 3, "w", &id, err) == 0);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials WHERE params IS NULL AND x IS NOT NULL")
           == 3);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trial_params") == 6);
    /* the migration's fill gives what the insert gave */
    assert(store_exec(s, "UPDATE trials SET params = NULL", err) == 0);
    assert(store_params_fill(s, err) == 0);
    s_expect_rows(s, "0:lr=0.0125(real);0:n=4(integer);0:c=b(text);"
                     "-1:lr=0.5(real);-1:n=9(integer);-1:c=3(integer)");
    s_test_best(s, sid);
    store_close(&s);
    /* a file without the view or the index is not whole */
    s = store_open(path, false, false, err);
    assert(s && store_exec(s, "DROP VIEW trial_params", err) == 0);
    store_close(&s);
    assert(!store_open(path, false, false, err) && strstr(err, "view 'trial_params' is missing"));
    store_unlink_files(path);
}
