/* store_admin — a study's lifecycle in the file (see store.h): resume or change a stored
 * study (store_plan), delete, rename and copy one. Each change is one transaction, so a
 * kill -9 at any instant leaves the study as it was or as it is meant to be. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/store_priv.h"
#include "core/study_diff.h"

/* ---- resume and compatible changes -------------------------------------------------- */

/* Bind ?1 to id and, when the statement has them, ?2 and ?3 to the states WAITING and
 * RUNNING (a trial not ended). */
static void s_bind_id(sqlite3_stmt *st, int64_t id)
{
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 3) {
        store_bind_state(st, 2, TRIAL_WAITING);
        store_bind_state(st, 3, TRIAL_RUNNING);
    }
}

/* Run sql (s_bind_id) inside the caller's change. */
static int s_exec_id(store_t *self, const char *sql, int64_t id, char *err)
{
    sqlite3_stmt *st = store_prepare(self, sql, err);
    if (!st)
        return -1;
    s_bind_id(st, id);
    int rc = store_step_done(self, st, err) < 0 ? -1 : 0;
    sqlite3_finalize(st);
    return rc;
}

/* The final refit trials of study ?1 that ended (not one a worker may still run). */
#define S_ENDED_FINAL                                                                     \
    "SELECT id FROM trials WHERE study_id = ?1 AND kind = 'final' AND state NOT IN (?2, ?3)"

/* Whether study id has a final refit still to run: 1 yes, 0 no, -1 with err. */
static int s_refit_pending(store_t *self, int64_t id, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT COUNT(*) FROM trials WHERE study_id = ?1"
                                           " AND kind = 'final' AND state IN (?2, ?3)", err);
    if (!st)
        return -1;
    s_bind_id(st, id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) > 0
                                            : store_db_err(self, err, "final refit");
    sqlite3_finalize(st);
    return rc;
}

/* The plan for a study that exists (s), given the diff of its config. */
static store_plan_kind_t s_kind(const store_study_t *s, const study_diff_t *d, const store_plan_t *p)
{
    if (!d->compatible)
        return STORE_PLAN_REFUSED;
    if (strcmp(s->state, "running") == 0)
        return d->n ? STORE_PLAN_CHANGE : STORE_PLAN_UNCHANGED;
    if (strcmp(s->state, "done") == 0 && (d->n == 0 || p->n_trials <= p->created))
        return STORE_PLAN_FINISHED;
    return STORE_PLAN_RESUME;
}

int store_plan(store_t *self, const char *config, store_plan_t *out, char *err)
{
    *out = (store_plan_t){.kind = STORE_PLAN_CREATE};
    direction_t dir;
    store_config_meta(config, &dir, &out->n_trials);
    char *name = study_json_get(config, "study");
    if (!name)
        set_err(err, "the config names no study");
    store_study_t s;
    int found = name ? store_study_get(self, name, &s, err) : -1;
    free(name);
    if (found != 0)
        return found < 0 ? -1 : 0;
    out->id = s.id;
    snprintf(out->state, sizeof out->state, "%s", s.state);
    long counts[TRIAL_NSTATES];
    study_diff_t d;
    int rc = store_trial_counts(self, s.id, counts, err);
    if (rc == 0)
        rc = study_diff(s.config, config, &d, err);
    if (rc == 0) {
        for (int i = 0; i < TRIAL_NSTATES; i++)
            out->created += counts[i];
        out->ended = counts[TRIAL_COMPLETE] + counts[TRIAL_PRUNED] + counts[TRIAL_FAIL];
        out->kind = s_kind(&s, &d, out);
        bool more = (out->kind == STORE_PLAN_CHANGE || out->kind == STORE_PLAN_RESUME) &&
                    out->n_trials > out->created;
        int busy = more ? s_refit_pending(self, s.id, err) : 0;
        if (busy)
            out->kind = STORE_PLAN_BUSY;
        rc = busy < 0 ? -1 : 0;
        strbuf_t sb;
        sb_init(&sb);
        study_diff_summary(&d, &sb);
        out->changes = d.n ? xstrdup(sb.buf) : NULL;
        sb_free(&sb);
        sb_init(&sb);
        study_diff_print(&d, true, &sb);
        out->refused = d.compatible ? NULL : xstrdup(sb.buf);
        sb_free(&sb);
        study_diff_free(&d);
    }
    store_study_clear(&s);
    return rc;
}

void store_plan_clear(store_plan_t *p)
{
    free(p->changes);
    free(p->refused);
    *p = (store_plan_t){0};
}

int store_plan_apply(store_t *self, const store_plan_t *p, const char *config, char *err)
{
    assert(p->kind == STORE_PLAN_CHANGE || p->kind == STORE_PLAN_RESUME);
    sqlite3_stmt *st = store_prepare(self,
                                     "UPDATE studies SET config = ?2, state = 'running',"
                                     " finished = NULL WHERE id = ?1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->id);
    sqlite3_bind_text(st, 2, config, -1, SQLITE_TRANSIENT);
    int rc = store_begin(self, err);
    if (rc == 0 && store_step_done(self, st, err) < 0)
        rc = -1;
    sqlite3_finalize(st);
    if (rc == 0 && p->n_trials > p->created) { /* new search trials: a new refit after */
        static const char *const drop[] = {
            "DELETE FROM intermediate WHERE trial_id IN (" S_ENDED_FINAL ")",
            "DELETE FROM tells WHERE trial_id IN (" S_ENDED_FINAL ")",
            "DELETE FROM trials WHERE id IN (" S_ENDED_FINAL ")",
            "UPDATE studies SET best_trial = NULL, test_score = NULL, tier = NULL"
            " WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM trials WHERE study_id = ?1"
            " AND kind = 'final')"};
        for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(drop); i++)
            rc = s_exec_id(self, drop[i], p->id, err);
    }
    return store_end(self, rc, err);
}

void store_plan_describe(const store_plan_t *p, const char *name, strbuf_t *sb)
{
    long left = p->n_trials > p->ended ? p->n_trials - p->ended : 0;
    switch (p->kind) {
    case STORE_PLAN_CREATE:
        sb_printf(sb, "created study '%s': %ld trials to run", name, p->n_trials);
        break;
    case STORE_PLAN_UNCHANGED:
        sb_printf(sb, "study '%s' is already running with this config; nothing changed "
                      "(%ld of %ld trials left)", name, left, p->n_trials);
        break;
    case STORE_PLAN_CHANGE:
    case STORE_PLAN_RESUME:
        sb_printf(sb, "%s study '%s'%s%s: %ld of %ld trials left to run",
                  p->kind == STORE_PLAN_CHANGE ? "changed" : "resumed", name,
                  p->changes ? ", " : "", p->changes ? p->changes : "", left, p->n_trials);
        break;
    case STORE_PLAN_FINISHED:
        sb_printf(sb, "study '%s' is already done (%ld of %ld trials ended); nothing to run: "
                      "raise n_trials (n_trials=%ld) to run more", name, p->ended, p->n_trials,
                  p->n_trials + p->n_trials);
        break;
    case STORE_PLAN_BUSY:
        sb_printf(sb, "study '%s' is running its final refit; raise n_trials once it has "
                      "ended", name);
        break;
    case STORE_PLAN_REFUSED:
        sb_printf(sb, "study '%s' already exists with a different config:\n%s"
                      "(an existing study may only raise n_trials and change trial_timeout, "
                      "max_retries and max_consecutive_failures; choose another study name "
                      "for a new search)", name,
                  p->refused ? p->refused : "");
        break;
    }
}

const char *store_plan_name(store_plan_kind_t kind)
{
    static const char *const names[] = {"created",  "unchanged", "changed", "resumed",
                                         "finished", "busy",      "refused"};
    assert(kind >= 0 && kind < (int)ARRAY_SIZE(names));
    return names[kind];
}

/* ---- delete, rename ----------------------------------------------------------------- */

/* The id of study name: 0, 1 when there is none, -1 with err. */
static int s_study_id(store_t *self, const char *name, int64_t *id, char **config, char *err)
{
    store_study_t s;
    int rc = store_study_get(self, name, &s, err);
    if (rc == 0) {
        *id = s.id;
        if (config) {
            *config = s.config;
            s.config = NULL;
        }
        store_study_clear(&s);
    }
    return rc;
}

int store_study_delete(store_t *self, const char *name, char *err)
{
    static const char *const sql[] = {
        "DELETE FROM intermediate WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)",
        "DELETE FROM tells WHERE trial_id IN (SELECT id FROM trials WHERE study_id = ?1)",
        "DELETE FROM trials WHERE study_id = ?1", "DELETE FROM promotions WHERE study_id = ?1",
        /* Registered versions outlive their study: their lineage keeps its name and
         * trial; the ids are retired (0, and the trial's negated), since SQLite may
         * hand a deleted study's or trial's id to the next one. */
        "UPDATE model_versions SET study_id = 0, trial_id = -trial_id WHERE study_id = ?1",
        "DELETE FROM studies WHERE id = ?1"};
    int64_t id;
    int found = s_study_id(self, name, &id, NULL, err);
    if (found != 0)
        return found;
    int rc = store_begin(self, err);
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(sql); i++)
        rc = s_exec_id(self, sql[i], id, err);
    return store_end(self, rc, err);
}

int store_study_rename(store_t *self, const char *old, const char *new_name, char *err)
{
    int64_t id, other;
    char *config = NULL;
    int found = s_study_id(self, old, &id, &config, err);
    int taken = found == 0 ? s_study_id(self, new_name, &other, NULL, err) : 0;
    char *json = found == 0 && taken == 1 ? study_json_rename(config, new_name, err) : NULL;
    free(config);
    if (found != 0 || taken != 1 || !json) {
        free(json);
        return found != 0 ? found : taken == 0 ? 2 : -1;
    }
    sqlite3_stmt *st = store_prepare(self, "UPDATE studies SET name = ?2, config = ?3"
                                           " WHERE id = ?1", err);
    int rc = st ? 0 : -1;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, new_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, json, -1, SQLITE_TRANSIENT);
        rc = store_write1(self, st, err);
    }
    free(json);
    return rc;
}

int store_blob_users(store_t *self, const char *sha, long *n, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT COUNT(*) FROM studies"
                                           " WHERE instr(config, ?1) > 0", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : store_db_err(self, err, "blob users");
    if (rc == 0)
        *n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* ---- copy ------------------------------------------------------------------------------ */

/* The columns of table that both main and the attached src have, but those in skip
 * (NULL-terminated), as ", \"a\", \"b\"" (targets) or ", s.\"a\", s.\"b\"" (alias s): so
 * a file with a column this build does not know (a newer schema) copies it too, and
 * one without a column leaves it at its default. Caller frees; NULL with err. */
static char *s_columns(store_t *self, const char *table, const char *alias,
                       const char *const *skip, bool targets, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "SELECT m.name FROM pragma_table_info(?1, 'main') m"
                                     " JOIN pragma_table_info(?1, 'src') s ON s.name = m.name"
                                     " ORDER BY m.cid",
                                     err);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    strbuf_t sb;
    sb_init(&sb);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        bool skipped = false;
        for (int i = 0; skip[i]; i++)
            skipped = skipped || strcmp(col, skip[i]) == 0;
        if (skipped)
            continue;
        sb_printf(&sb, ", %s%s\"", targets ? "" : alias, targets ? "" : ".");
        for (const char *p = col; *p; p++)
            sb_printf(&sb, "%s", *p == '"' ? "\"\"" : (char[]){*p, 0});
        sb_putc(&sb, '"');
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sb_free(&sb);
        set_err(err, "sqlite: columns of %s: %s", table, sqlite3_errmsg(self->db));
        return NULL;
    }
    return sb.buf;
}

typedef struct {
    const char *table;
    const char *const *skip; /* columns not copied as they are */
    const char *head, *head_src; /* columns set otherwise, and their values */
    const char *from;        /* FROM ... WHERE of the source rows, alias s */
} copy_step_t;

/* Matching a trial of the source (ot) to its copy in study ?2 (nt). */
#define S_SAME_TRIAL                                                                      \
    " JOIN src.trials ot ON ot.id = s.trial_id JOIN main.trials nt ON nt.study_id = ?2"    \
    " AND nt.kind = ot.kind AND nt.number = ot.number WHERE ot.study_id = ?1"

static const char *const s_skip_study[] = {"id", "name", "config", NULL};
static const char *const s_skip_rows[] = {"id", "study_id", NULL};
static const char *const s_skip_trial[] = {"trial_id", NULL};

/* In order: ?1 the source study's id, ?2 the copy's, ?3 its name, ?4 its config. */
static const copy_step_t s_copy_steps[] = {
    {"trials", s_skip_rows, "study_id", "?2", "FROM src.trials s WHERE s.study_id = ?1 ORDER BY s.id"},
    {"intermediate", s_skip_trial, "trial_id", "nt.id", "FROM src.intermediate s" S_SAME_TRIAL},
    {"tells", s_skip_trial, "trial_id", "nt.id", "FROM src.tells s" S_SAME_TRIAL},
    {"promotions", s_skip_rows, "study_id", "?2",
     "FROM src.promotions s WHERE s.study_id = ?1 ORDER BY s.id"},
};

/* Bind what the statement uses of (old, new, name, config). */
static void s_bind_copy(sqlite3_stmt *st, int64_t old, int64_t new_id, const char *name,
                        const char *config)
{
    int n = sqlite3_bind_parameter_count(st);
    sqlite3_bind_int64(st, 1, old);
    if (n >= 2)
        sqlite3_bind_int64(st, 2, new_id);
    if (n >= 3)
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    if (n >= 4)
        sqlite3_bind_text(st, 4, config, -1, SQLITE_TRANSIENT);
}

static int s_copy_step(store_t *self, const copy_step_t *c, int64_t old, int64_t new_id,
                       const char *name, const char *config, char *err)
{
    char *targets = s_columns(self, c->table, NULL, c->skip, true, err);
    char *values = targets ? s_columns(self, c->table, "s", c->skip, false, err) : NULL;
    int rc = -1;
    if (values) {
        char *sql = xasprintf("INSERT INTO main.%s(%s%s) SELECT %s%s %s", c->table, c->head,
                              targets, c->head_src, values, c->from);
        sqlite3_stmt *st = store_prepare(self, sql, err);
        free(sql);
        if (st) {
            s_bind_copy(st, old, new_id, name, config);
            rc = store_step_done(self, st, err) < 0 ? -1 : 0;
            sqlite3_finalize(st);
        }
    }
    free(targets);
    free(values);
    return rc;
}

/* The study row, then its rows table by table, then its best trial by the copy's id. */
static int s_copy_all(store_t *self, int64_t old, const char *name, const char *config,
                      char *err)
{
    static const copy_step_t study = {"studies", s_skip_study, "name, config", "?3, ?4",
                                      "FROM src.studies s WHERE s.id = ?1"};
    int rc = s_copy_step(self, &study, old, 0, name, config, err);
    int64_t new_id = sqlite3_last_insert_rowid(self->db);
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(s_copy_steps); i++)
        rc = s_copy_step(self, &s_copy_steps[i], old, new_id, name, config, err);
    sqlite3_stmt *st = rc == 0 ? store_prepare(self,
        "UPDATE main.studies SET best_trial = (SELECT nt.id FROM src.trials ot"
        " JOIN main.trials nt ON nt.study_id = ?2 AND nt.kind = ot.kind"
        " AND nt.number = ot.number WHERE ot.id = (SELECT best_trial FROM src.studies"
        " WHERE id = ?1)) WHERE id = ?2", err) : NULL;
    if (st) {
        s_bind_copy(st, old, new_id, name, config);
        rc = store_step_done(self, st, err) < 0 ? -1 : 0;
        sqlite3_finalize(st);
    } else
        rc = -1;
    return rc;
}

/* The source study's id and config, by name, in the attached file: 0, 1 none, -1. */
static int s_src_study(store_t *self, const char *name, int64_t *id, char **config, char *err)
{
    sqlite3_stmt *st = store_prepare(self, "SELECT id, config FROM src.studies WHERE name = ?1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *id = sqlite3_column_int64(st, 0);
        *config = store_col_text(st, 1);
        sqlite3_finalize(st);
        return 0;
    case SQLITE_DONE:
        sqlite3_finalize(st);
        return 1;
    default:
        sqlite3_finalize(st);
        return store_db_err(self, err, "source study");
    }
}

int store_study_copy(store_t *self, const char *src_path, const char *name, const char *as_name,
                     char *err)
{
    assert(!self->in_batch);
    sqlite3_stmt *st = store_prepare(self, "ATTACH DATABASE ?1 AS src", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, src_path, -1, SQLITE_TRANSIENT);
    int rc = store_step_done(self, st, err) < 0 ? -1 : 0;
    sqlite3_finalize(st);
    if (rc != 0)
        return -1;
    int64_t old = 0, other = 0;
    char *config = NULL, *json = NULL;
    rc = s_src_study(self, name, &old, &config, err);
    if (rc == 0) {
        int taken = s_study_id(self, as_name, &other, NULL, err);
        rc = taken == 0 ? 2 : taken < 0 ? -1 : 0;
    }
    if (rc == 0 && !(json = study_json_rename(config, as_name, err)))
        rc = -1;
    if (rc == 0 && (rc = store_begin(self, err)) == 0)
        rc = store_end(self, s_copy_all(self, old, as_name, json, err), err);
    free(config);
    free(json);
    char ignore[HPS_ERR_LEN];
    if (store_exec(self, "DETACH DATABASE src", rc == 0 ? err : ignore) != 0 && rc == 0)
        rc = -1;
    return rc;
}

/* ---- self-test ------------------------------------------------------------------------ */

/* A study of n_trials with `done` COMPLETE trials, one with an intermediate value. */
static int64_t s_test_study(store_t *s, const char *name, int n_trials, int done)
{
    char err[HPS_ERR_LEN], *json = xasprintf("{\"study\": \"%s\", \"n_trials\": %d, \"data\": "
                                             "{\"sha256\": \"ab12\"}, \"direction\": \"minimize\"}",
                                             name, n_trials);
    int64_t id, t;
    assert(store_study_insert(s, name, json, &id, err) == 0);
    free(json);
    double x = 0.5;
    for (int i = 0; i < done; i++) {
        assert(store_trial_create(s, id, i, false, &x, 1, "w", &t, err) == 0);
        assert(store_intermediate(s, t, 1, i, err) == 0);
        store_result_t r = {.state = TRIAL_COMPLETE, .value = i, .secs = 1, .cv_mean = NAN,
                            .cv_std = NAN, .val_score = NAN, .test_score = NAN};
        assert(store_trial_finish(s, t, 1, &r, err) == 0);
    }
    return id;
}

static void s_test_plan(store_t *s, const char *config, store_plan_kind_t want, long ended)
{
    char err[HPS_ERR_LEN];
    store_plan_t p;
    assert(store_plan(s, config, &p, err) == 0);
    assert(p.kind == want && p.ended == ended);
    if (want == STORE_PLAN_CHANGE || want == STORE_PLAN_RESUME)
        assert(store_plan_apply(s, &p, config, err) == 0);
    store_plan_clear(&p);
}

/* A done study with an ended final refit continued with more trials loses the refit
 * (a new one follows the new best); while a refit is still to run, more trials wait. */
static void s_test_refit(store_t *s)
{
    char err[HPS_ERR_LEN];
    int64_t f = s_test_study(s, "f", 2, 2), g = s_test_study(s, "g", 2, 2), t;
    double x = 0.5;
    assert(store_trial_create(s, f, -1, true, &x, 1, "w", &t, err) == 0);
    store_result_t r = {.state = TRIAL_COMPLETE, .value = 1, .secs = 1, .cv_mean = NAN,
                        .cv_std = NAN, .val_score = NAN, .test_score = 0.9};
    assert(store_trial_finish(s, t, 1, &r, err) == 0);
    assert(store_study_set_final(s, f, t, 0.9, "gold", err) == 0);
    assert(store_study_set_state(s, f, "done", err) == 0);
    assert(store_trial_create(s, g, -1, true, &x, 1, NULL, &t, err) == 0); /* WAITING */
    const char *f3 = "{\"study\": \"f\", \"n_trials\": 3, \"data\": {\"sha256\": \"ab12\"},"
                     " \"direction\": \"minimize\"}";
    const char *g3 = "{\"study\": \"g\", \"n_trials\": 3, \"data\": {\"sha256\": \"ab12\"},"
                     " \"direction\": \"minimize\"}";
    s_test_plan(s, f3, STORE_PLAN_RESUME, 2);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id"
                             " WHERE s.name = 'f' AND t.kind = 'final'") == 0);
    assert(store_sql_long(s, "SELECT test_score IS NULL AND tier IS NULL FROM studies"
                             " WHERE name = 'f'") == 1);
    s_test_plan(s, g3, STORE_PLAN_BUSY, 2);
    assert(store_study_delete(s, "f", err) == 0 && store_study_delete(s, "g", err) == 0);
}

void store_admin_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-admin-XXXXXX", path2[] = "/tmp/hps-admin2-XXXXXX";
    store_test_path(path);
    store_test_path(path2);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    int64_t id = s_test_study(s, "a", 4, 4);
    const char *same = "{\"study\": \"a\", \"n_trials\": 4, \"data\": {\"sha256\": \"ab12\"},"
                       " \"direction\": \"minimize\"}";
    const char *more = "{\"study\": \"a\", \"n_trials\": 6, \"data\": {\"sha256\": \"ab12\"},"
                       " \"direction\": \"minimize\"}";
    const char *other = "{\"study\": \"a\", \"n_trials\": 6, \"data\": {\"sha256\": \"cd34\"},"
                        " \"direction\": \"minimize\"}";
    s_test_plan(s, "{\"study\": \"new\", \"n_trials\": 3}", STORE_PLAN_CREATE, 0);
    s_test_plan(s, same, STORE_PLAN_UNCHANGED, 4);
    s_test_plan(s, other, STORE_PLAN_REFUSED, 4);
    assert(store_study_set_state(s, id, "done", err) == 0);
    s_test_plan(s, same, STORE_PLAN_FINISHED, 4);
    s_test_plan(s, more, STORE_PLAN_RESUME, 4); /* applied: running, n_trials 6 */
    store_study_t st;
    assert(store_study_get(s, "a", &st, err) == 0 && st.n_trials == 6);
    assert(strcmp(st.state, "running") == 0);
    store_study_clear(&st);
    s_test_refit(s);
    /* rename: the config follows; taken and missing names are refused */
    s_test_study(s, "b", 2, 1);
    assert(store_study_rename(s, "a", "b", err) == 2 && store_study_rename(s, "zz", "c", err) == 1);
    assert(store_study_rename(s, "a", "c", err) == 0);
    assert(store_study_get(s, "c", &st, err) == 0 && strstr(st.config, "\"study\": \"c\""));
    store_study_clear(&st);
    /* copy to a new file: every row, the ids remapped */
    store_t *d = store_open(path2, true, false, err);
    assert(d && store_study_copy(d, path, "c", "c2", err) == 0);
    assert(store_study_copy(d, path, "c", "c2", err) == 2);
    assert(store_study_copy(d, path, "nope", "x", err) == 1);
    assert(store_sql_long(d, "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id"
                             " WHERE s.name = 'c2' AND t.state = 'COMPLETE'") == 4);
    assert(store_sql_long(d, "SELECT COUNT(*) FROM intermediate i JOIN trials t"
                             " ON t.id = i.trial_id") == 4);
    assert(store_sql_long(d, "SELECT COUNT(*) FROM tells") == 4);
    assert(store_sql_long(d, "SELECT instr(config, '\"study\": \"c2\"') > 0 FROM studies") == 1);
    store_close(&d);
    /* delete: the study's rows go, the other study stays; the blob is still named by b */
    long users;
    assert(store_study_delete(s, "c", err) == 0 && store_study_delete(s, "c", err) == 1);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM trials") == 1);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM intermediate") == 1);
    assert(store_blob_users(s, "ab12", &users, err) == 0 && users == 1);
    assert(store_study_delete(s, "b", err) == 0);
    assert(store_blob_users(s, "ab12", &users, err) == 0 && users == 0);
    assert(store_sql_long(s, "SELECT COUNT(*) FROM tells") == 0);
    store_close(&s);
    store_unlink_files(path);
    store_unlink_files(path2);
}
