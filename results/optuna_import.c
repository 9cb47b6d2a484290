/* optuna_import — an Optuna 3.1 RDB study into hps (see optuna.h).
 *
 * The Optuna file is read whole, read-only, with sqlite3 directly (it is not hps's
 * store), into an optuna_study_t: the distributions by parameter name (one per
 * parameter: hps has one space per study), and the finished trials with their values,
 * params as Optuna's internal values (which are hps's: the number, or a choice's
 * index), times and intermediate values. Writing them into hps's store goes through
 * core/store*.c, in one transaction. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "results/optuna_priv.h"

typedef struct {
    int64_t id;               /* Optuna's trial_id */
    long number;
    trial_state_t state;      /* FAIL for one Optuna left unfinished */
    bool unfinished;          /* RUNNING or WAITING in the Optuna file */
    double value;             /* NaN = none */
    double start, complete;   /* epoch seconds; NaN = none */
    double *x;                /* per distribution, NaN = absent; owned */
    int n_inter;
    long *steps;              /* owned */
    double *inter;            /* owned */
} s_trial_t;

struct optuna_study_s {
    char *name;
    direction_t dir;
    int n_dist;
    optuna_dist_t *dist;      /* owned */
    int n_trials;
    s_trial_t *trials;        /* all of them, by number; owned */
    long skipped;             /* running or waiting ones (imported as FAIL) */
};

typedef struct {
    sqlite3 *db;
    const char *path;
    int64_t study_id;
    optuna_study_t *o;
    char *err;
} s_reader_t;

static int s_db_err(s_reader_t *r, const char *what)
{
    return set_err(r->err, "%s: %s: sqlite: %s", r->path, what, sqlite3_errmsg(r->db));
}

/* Prepare sql with ?1 bound to the study id; NULL with err. */
static sqlite3_stmt *s_query(s_reader_t *r, const char *sql, const char *what)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        s_db_err(r, what);
        sqlite3_finalize(st);
        return NULL;
    }
    sqlite3_bind_int64(st, 1, r->study_id);
    return st;
}

/* Finalize st after its loop ended with rc: 0 for SQLITE_DONE, else -1 with err. */
static int s_done(s_reader_t *r, sqlite3_stmt *st, int rc, const char *what)
{
    int ret = rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -1 : s_db_err(r, what);
    sqlite3_finalize(st);
    return ret;
}

/* "2026-12-01 04:42:07.920941" (a naive local time, as SQLAlchemy stores it) as epoch
 * seconds; NaN for NULL or another form. */
static double s_time(sqlite3_stmt *st, int i)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    struct tm tm = {0};
    const char *rest = text ? strptime(text, "%Y-%m-%d %H:%M:%S", &tm) : NULL;
    if (!rest)
        return NAN;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    double frac = *rest == '.' ? strtod(rest, NULL) : 0;
    return t == (time_t)-1 ? NAN : (double)t + frac;
}

/* The schema version, the study and its one direction. */
static int s_read_study(s_reader_t *r, const char *name)
{
    sqlite3_stmt *st = s_query(r, "SELECT schema_version, library_version FROM version_info",
                               "version_info");
    if (!st)
        return set_err(r->err, "%s: not an Optuna database (no version_info table)", r->path);
    int rc = sqlite3_step(st);
    long version = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (version != OPTUNA_SCHEMA_VERSION)
        return set_err(r->err, "%s: Optuna schema version %ld, not %d (Optuna %s): upgrade it "
                               "with `optuna storage upgrade` first", r->path, version,
                       OPTUNA_SCHEMA_VERSION, OPTUNA_LIBRARY_VERSION);
    st = s_query(r, "SELECT study_id FROM studies WHERE study_name = ?2", "studies");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    r->study_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (s_done(r, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "studies") != 0)
        return -1;
    if (r->study_id < 0)
        return set_err(r->err, "%s: no Optuna study named '%s'", r->path, name);
    st = s_query(r, "SELECT direction FROM study_directions WHERE study_id = ?1", "directions");
    if (!st)
        return -1;
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (n++ == 0)
            r->o->dir = strcmp((const char *)sqlite3_column_text(st, 0), "MAXIMIZE") == 0
                            ? DIR_MAXIMIZE : DIR_MINIMIZE;
    if (s_done(r, st, rc, "directions") != 0)
        return -1;
    return n == 1 ? 0 : set_err(r->err, "study '%s' has %d objectives: hps imports single-"
                                        "objective studies only", name, n);
}

/* One distribution per parameter name, in the order parameters first appear. */
static int s_read_dists(s_reader_t *r)
{
    sqlite3_stmt *st = s_query(r, "SELECT p.param_name, p.distribution_json FROM trial_params p"
                                  " JOIN trials t ON t.trial_id = p.trial_id"
                                  " WHERE t.study_id = ?1 GROUP BY p.param_name,"
                                  " p.distribution_json ORDER BY MIN(p.param_id)", "params");
    if (!st)
        return -1;
    int rc, ret = 0;
    optuna_study_t *o = r->o;
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *json = (const char *)sqlite3_column_text(st, 1);
        for (int i = 0; i < o->n_dist && ret == 0; i++)
            if (strcmp(o->dist[i].name, name) == 0)
                ret = set_err(r->err, "parameter '%s': its distribution changes between "
                                      "trials (%s, then %s); an hps study has one space",
                              name, o->dist[i].json, json);
        if (ret != 0)
            break;
        o->dist = xrealloc(o->dist, sizeof *o->dist * (size_t)(o->n_dist + 1));
        optuna_dist_t *d = &o->dist[o->n_dist++];
        memset(d, 0, sizeof *d);
        d->name = xstrdup(name);
        d->json = xstrdup(json);
        char err[HPS_ERR_LEN];
        if (optuna_dist_parse(json, d, err) != 0)
            ret = set_err(r->err, "parameter '%s': %s", name, err);
    }
    if (ret != 0) {
        sqlite3_finalize(st);
        return -1;
    }
    return s_done(r, st, rc, "params");
}

static int s_read_trials(s_reader_t *r)
{
    sqlite3_stmt *st = s_query(r, "SELECT trial_id, number, state, datetime_start,"
                                  " datetime_complete FROM trials WHERE study_id = ?1"
                                  " ORDER BY number", "trials");
    if (!st)
        return -1;
    optuna_study_t *o = r->o;
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int state = trial_state_parse((const char *)sqlite3_column_text(st, 2));
        bool unfinished = state != TRIAL_COMPLETE && state != TRIAL_PRUNED &&
                          state != TRIAL_FAIL;
        o->skipped += unfinished;
        if (o->n_trials == cap) {
            cap = cap ? 2 * cap : 64;
            o->trials = xrealloc(o->trials, sizeof *o->trials * (size_t)cap);
        }
        s_trial_t *t = &o->trials[o->n_trials++];
        *t = (s_trial_t){.id = sqlite3_column_int64(st, 0),
                         .number = (long)sqlite3_column_int64(st, 1),
                         .state = unfinished ? TRIAL_FAIL : (trial_state_t)state,
                         .unfinished = unfinished, .value = NAN,
                         .start = s_time(st, 3), .complete = s_time(st, 4)};
        t->x = xcalloc((size_t)(o->n_dist ? o->n_dist : 1), sizeof *t->x);
        for (int i = 0; i < o->n_dist; i++)
            t->x[i] = NAN;
    }
    if (s_done(r, st, rc, "trials") != 0)
        return -1;
    /* Optuna numbers a study's trials 0, 1, ... as it makes them; hps counts a study done
     * by numbers, so a gap (an edited file) would leave it waiting for good. */
    for (int i = 0; i < o->n_trials; i++)
        if (o->trials[i].number != i)
            return set_err(r->err, "%s: study '%s': trial numbers must run 0..%d without a "
                           "gap or repeat, as Optuna writes them (trial %d in order is numbered "
                           "%ld)", r->path, o->name, o->n_trials - 1, i, o->trials[i].number);
    return 0;
}

/* The imported trial of Optuna trial_id, or NULL (a trial not imported). Trials are in
 * number order, and Optuna gives ids in creation order too, but not necessarily the
 * same one, so this is a plain search over a sorted copy when there are many. */
static s_trial_t *s_find(const optuna_study_t *o, int64_t id, int *hint)
{
    for (int k = 0; k < o->n_trials; k++) {
        int i = (*hint + k) % o->n_trials;
        if (o->trials[i].id == id) {
            *hint = i;
            return &o->trials[i];
        }
    }
    return NULL;
}

static int s_dist_index(const optuna_study_t *o, const char *name)
{
    for (int i = 0; i < o->n_dist; i++)
        if (strcmp(o->dist[i].name, name) == 0)
            return i;
    return -1;
}

/* Param values, objective values and intermediate values onto the trials. */
static int s_read_values(s_reader_t *r)
{
    static const char *const sql[] = {
        "SELECT p.trial_id, p.param_value, p.param_name FROM trial_params p JOIN trials t"
        " ON t.trial_id = p.trial_id WHERE t.study_id = ?1",
        "SELECT v.trial_id, v.value, v.value_type FROM trial_values v JOIN trials t"
        " ON t.trial_id = v.trial_id WHERE t.study_id = ?1 AND v.objective = 0",
        "SELECT i.trial_id, i.intermediate_value, i.intermediate_value_type, i.step"
        " FROM trial_intermediate_values i JOIN trials t ON t.trial_id = i.trial_id"
        " WHERE t.study_id = ?1 ORDER BY i.trial_id, i.step"};
    int hint = 0;
    for (int q = 0; q < 3; q++) {
        sqlite3_stmt *st = s_query(r, sql[q], "values");
        if (!st)
            return -1;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            s_trial_t *t = s_find(r->o, sqlite3_column_int64(st, 0), &hint);
            if (!t)
                continue;
            const char *type = (const char *)sqlite3_column_text(st, 2);
            double v = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(st, 1);
            if (q > 0 && type && strcmp(type, "INF_POS") == 0)
                v = INFINITY;
            else if (q > 0 && type && strcmp(type, "INF_NEG") == 0)
                v = -INFINITY;
            int j = q == 0 && type ? s_dist_index(r->o, type) : -1;
            if (q == 0 && j >= 0)
                t->x[j] = v; /* type: the param's name here */
            else if (q == 1)
                t->value = v;
            else {
                t->steps = xrealloc(t->steps, sizeof *t->steps * (size_t)(t->n_inter + 1));
                t->inter = xrealloc(t->inter, sizeof *t->inter * (size_t)(t->n_inter + 1));
                t->steps[t->n_inter] = (long)sqlite3_column_int64(st, 3);
                t->inter[t->n_inter++] = v;
            }
        }
        if (s_done(r, st, rc, "values") != 0)
            return -1;
    }
    return 0;
}

optuna_study_t *optuna_read(const char *path, const char *name, char *err)
{
    if (access(path, R_OK) != 0) {
        set_err(err, "%s: cannot read it", path);
        return NULL;
    }
    optuna_study_t *o = xcalloc(1, sizeof *o);
    o->name = xstrdup(name);
    s_reader_t r = {.path = path, .o = o, .err = err};
    int rc = sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK ? 0
                                                                             : s_db_err(&r, "open");
    if (rc == 0)
        rc = s_read_study(&r, name);
    if (rc == 0)
        rc = s_read_dists(&r);
    if (rc == 0)
        rc = s_read_trials(&r);
    if (rc == 0)
        rc = s_read_values(&r);
    if (sqlite3_close(r.db) != SQLITE_OK && rc == 0)
        rc = s_db_err(&r, "close");
    if (rc != 0)
        optuna_study_destroy(&o);
    return o;
}

void optuna_study_destroy(optuna_study_t **self_p)
{
    optuna_study_t *o = *self_p;
    if (!o)
        return;
    for (int i = 0; i < o->n_dist; i++)
        optuna_dist_clear(&o->dist[i]);
    for (int i = 0; i < o->n_trials; i++) {
        free(o->trials[i].x);
        free(o->trials[i].steps);
        free(o->trials[i].inter);
    }
    free(o->dist);
    free(o->trials);
    free(o->name);
    free(o);
    *self_p = NULL;
}

void optuna_counts(const optuna_study_t *self, long *finished, long *skipped)
{
    *finished = self->n_trials;
    *skipped = self->skipped;
}

char *optuna_config_text(const optuna_study_t *self, const char *name)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "# imported from the Optuna study '%s'\nstudy: %s\n", self->name, name);
    sb_printf(&sb, "direction: %s\n", self->dir == DIR_MAXIMIZE ? "maximize" : "minimize");
    long finished, skipped;
    optuna_counts(self, &finished, &skipped);
    sb_printf(&sb, "n_trials: %ld    # the imported trials; raise it to continue\n",
              finished);
    sb_puts(&sb, "sampler: {type: tpe}\n"
                 "# objective: {type: command, run: [python3, train.py]}   # required: "
                 "how hps evaluates a trial\nspace:\n");
    for (int i = 0; i < self->n_dist; i++)
        optuna_dist_yaml(&sb, &self->dist[i]);
    return sb_take(&sb);
}

/* Why a trial is imported as FAIL when Optuna did not finish it, and which parameters
 * a FAIL trial lacks (it failed, or stopped, before suggesting them): "imported from
 * Optuna: RUNNING there, never finished; no value for a, b (recorded at their low
 * end)", or NULL when neither applies. hps keeps every parameter of every trial, and
 * numbers without gaps, so such a trial comes with the missing values at the low end of
 * their range (space_snap), which no sampler reads: a failure is no observation.
 * Caller frees. */
static char *s_fail_note(const s_trial_t *t, const study_config_t *cfg, double *x,
                         const char *optuna_state)
{
    if (t->state != TRIAL_FAIL)
        return NULL;
    strbuf_t sb;
    sb_init(&sb);
    if (t->unfinished)
        sb_printf(&sb, "imported from Optuna: %s there, never finished", optuna_state);
    int missing = 0;
    for (int i = 0; i < cfg->space->n; i++)
        if (isnan(x[i]))
            sb_printf(&sb, "%s%s", missing++ ? ", " : sb.len ? "; no value for "
                                                              : "imported from Optuna: no "
                                                                "value for ",
                      cfg->space->params[i].name);
    if (missing)
        sb_puts(&sb, " (recorded at their low end)");
    space_snap(cfg->space, x);
    if (sb.len == 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

/* -1 with err when x (a trial's point, in the order of cfg's space) is no point of it:
 * a parameter missing (a conditional one: a FAIL trial's are filled in before) or out
 * of its range. */
static int s_point_problem(const s_trial_t *t, const study_config_t *cfg, const double *x,
                           char *err)
{
    for (int i = 0; i < cfg->space->n; i++) {
        const param_t *p = &cfg->space->params[i];
        if (isnan(x[i]))
            return set_err(err, "Optuna trial %ld has no value for '%s' (a conditional "
                                "parameter): hps needs every parameter in every trial",
                           t->number, p->name);
        if (!space_valid(p, x[i]))
            return set_err(err, "Optuna trial %ld: %s = %.17g is outside its distribution",
                           t->number, p->name, x[i]);
    }
    return 0;
}

/* One trial into study: x in the order of cfg's space, then its intermediate values. */
static int s_import_trial(const optuna_study_t *self, const s_trial_t *t,
                          const study_config_t *cfg, store_t *st, int64_t study, char *err)
{
    double *x = xcalloc((size_t)cfg->space->n, sizeof *x);
    for (int i = 0; i < cfg->space->n; i++)
        x[i] = t->x[s_dist_index(self, cfg->space->params[i].name)];
    char *missing = s_fail_note(t, cfg, x, t->unfinished ? "RUNNING or WAITING" : "FAIL");
    int rc = s_point_problem(t, cfg, x, err);
    store_trial_row_t row = {
        .trial = {.number = t->number, .state = t->state, .attempt = 1, .x = x,
                  .value = t->state == TRIAL_FAIL ? NAN : t->value, .nx = cfg->space->n},
        .started = t->start, .finished = t->complete, .secs = t->complete - t->start,
        .error = missing};
    int64_t id;
    if (rc == 0)
        rc = store_trial_import(st, study, &row, &id, err);
    for (int k = 0; rc == 0 && k < t->n_inter; k++)
        rc = store_intermediate(st, id, t->steps[k], t->inter[k], err);
    free(missing);
    free(x);
    return rc;
}

int optuna_check_space(const optuna_study_t *self, const study_config_t *cfg,
                       cfg_errs_t *errs)
{
    int before = errs->n;
    const cfg_node_t *space = cfg_get(cfg->root, "space");
    if (cfg->direction != self->dir)
        cfg_error(errs, cfg_get(cfg->root, "direction"), "direction: %s in the config, %s in "
                  "the Optuna study", cfg->direction == DIR_MAXIMIZE ? "maximize" : "minimize",
                  self->dir == DIR_MAXIMIZE ? "maximize" : "minimize");
    for (int i = 0; i < cfg->space->n; i++) {
        const param_t *p = &cfg->space->params[i];
        int j = s_dist_index(self, p->name);
        const cfg_node_t *at = space ? cfg_get(space, p->name) : NULL;
        if (j < 0)
            cfg_error(errs, at, "space.%s: the Optuna study has no such parameter", p->name);
        else
            optuna_dist_compare(&self->dist[j], p, at, errs);
    }
    for (int j = 0; j < self->n_dist; j++)
        if (space_index(cfg->space, self->dist[j].name) < 0)
            cfg_error(errs, space, "space: the Optuna study's parameter '%s' is missing",
                      self->dist[j].name);
    /* and every trial is a point of it (the first that is not), before anything is
     * written */
    double *x = xcalloc((size_t)cfg->space->n + 1, sizeof *x);
    char err[HPS_ERR_LEN];
    for (int k = 0; errs->n == before && k < self->n_trials; k++) {
        const s_trial_t *t = &self->trials[k];
        for (int i = 0; i < cfg->space->n; i++)
            x[i] = t->x[s_dist_index(self, cfg->space->params[i].name)];
        free(s_fail_note(t, cfg, x, ""));
        if (s_point_problem(t, cfg, x, err) != 0)
            cfg_error(errs, NULL, "%s", err);
    }
    free(x);
    return errs->n > before ? -1 : 0;
}

int optuna_import(const optuna_study_t *self, const study_config_t *cfg, store_t *st,
                  char *err)
{
    store_study_t old;
    int found = store_study_get(st, cfg->name, &old, err);
    if (found == 0) {
        store_study_clear(&old);
        return set_err(err, "study '%s' exists already (--as NAME imports under another "
                            "name)", cfg->name), 1;
    }
    if (found < 0)
        return -1;
    char *json = store_study_config(cfg->json, cfg->direction, err);
    if (!json || store_batch_begin(st, err) != 0) {
        free(json);
        return -1;
    }
    int64_t study;
    int rc = store_study_insert(st, cfg->name, json, &study, err);
    for (int i = 0; rc == 0 && i < self->n_trials; i++)
        rc = s_import_trial(self, &self->trials[i], cfg, st, study, err);
    long finished, skipped;
    optuna_counts(self, &finished, &skipped);
    if (rc == 0 && finished >= cfg->n_trials)
        rc = store_study_set_state(st, study, "done", err);
    free(json);
    if (rc != 0) {
        store_batch_abort(st);
        return rc;
    }
    return store_batch_commit(st, err);
}
