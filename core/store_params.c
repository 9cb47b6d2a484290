/* store_params — a trial's parameters as plain SQL reads them (see store_priv.h):
 * trials.params holds the JSON object of the trial's point, decoded by the study's
 * space as the user sees it (a number for float and int, the choice for a
 * categorical), written with x on every insert; the view trial_params (core/store.c)
 * turns it into (study, number, kind, name, value) rows with json_each.
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
    for (int i = 0; i < nx; i++) {
        const param_t *p = &space->params[i];
        if (!isfinite(x[i]) || (p->kind == PARAM_CAT && (x[i] < -0.5 || x[i] >= p->n_choices - 0.5)))
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
