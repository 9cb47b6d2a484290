/* report — the row model behind every report, and `hps status` (see report.h).
 *
 * Rows are read with plain SELECTs through store_db() inside one BEGIN .. COMMIT, so
 * counts, best trial and workers come from the same snapshot while a coordinator keeps
 * committing. The study config is read with cfg_parse (JSON is YAML) rather than
 * study_config_from_json: a report needs only objective.type, strategy.type/metric,
 * data.label/target and the space, and must keep working for a DB moved away from its
 * data files, which full validation would reject. */
#include "core/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/report_priv.h"
#include "core/space.h"

/* ---- reading the rows ------------------------------------------------------------- */

static int s_db_err(sqlite3 *db, char *err, const char *what)
{
    return set_err(err, "sqlite: %s: %s", what, sqlite3_errmsg(db));
}

static int s_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return s_db_err(db, err, "prepare");
    return 0;
}

/* Column i as an owned string; NULL for SQL NULL. */
static char *s_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

/* Column i as a double; NaN for SQL NULL (how the store writes "none"). */
static double s_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* The per-study statements, prepared once per report and reset per study. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *counts, *best, *stage;
} s_queries_t;

static void s_queries_free(s_queries_t *q)
{
    sqlite3_finalize(q->counts);
    sqlite3_finalize(q->best);
    sqlite3_finalize(q->stage);
}

static int s_queries_prepare(s_queries_t *q, char *err)
{
    if (s_prepare(q->db,
                  "SELECT state, COUNT(*) FROM trials WHERE study_id = ?1"
                  " AND kind = 'search' GROUP BY state",
                  &q->counts, err) != 0)
        return -1;
    /* Multiplying by the direction (1 minimise, -1 maximise) makes "best" the
     * smallest; ties go to the earliest trial, as in Optuna. */
    if (s_prepare(q->db,
                  "SELECT number, value, cv_std, x FROM trials WHERE study_id = ?1"
                  " AND kind = 'search' AND state = 2 AND value IS NOT NULL"
                  " ORDER BY value * ?2, number LIMIT 1",
                  &q->best, err) != 0)
        return -1;
    return s_prepare(q->db,
                     "SELECT stage, forced FROM promotions WHERE study_id = ?1"
                     " ORDER BY id DESC LIMIT 1",
                     &q->stage, err);
}

/* The metric a model objective scores with, as objectives/evaluate.c decides it:
 * strategy.metric, else accuracy for `label:` data and rmse for `target:` data. With
 * neither, the task is known only once the data is read; the stored direction is what
 * the search followed (accuracy maximises, rmse minimises), so it decides. Whether the
 * objective is a model at all is for the caller to say (report_models). */
static const char *s_metric(const cfg_node_t *root, direction_t dir, cfg_errs_t *errs)
{
    const char *metric = NULL;
    if (cfg_str(root, "strategy.metric", NULL, &metric, errs) == 0 && metric)
        return metric;
    if (cfg_get(root, "data.target"))
        return "rmse";
    if (cfg_get(root, "data.label"))
        return "accuracy";
    return dir == DIR_MAXIMIZE ? "accuracy" : "rmse";
}

/* The best point x (nx values) rendered with the study's space, whole and decoded per
 * parameter; nothing when the space does not parse or has another size. */
static void s_best_params(report_row_t *r, const cfg_node_t *root, const double *x, int nx,
                          cfg_errs_t *errs)
{
    space_t *space = space_from_cfg(cfg_get(root, "space"), errs);
    if (space && space->n == nx) {
        strbuf_t sb;
        sb_init(&sb);
        space_point_json(&sb, space, x);
        r->best_params = sb_take(&sb);
        r->n_params = space->n;
        r->params = xcalloc((size_t)space->n, sizeof *r->params);
        for (int i = 0; i < space->n; i++) {
            const param_t *p = &space->params[i];
            report_param_t *o = &r->params[i];
            sb_init(&sb);
            space_value_json(&sb, p, x[i]);
            o->json = sb_take(&sb);
            o->name = xstrdup(p->name);
            o->text = p->kind == PARAM_CAT ? xstrdup(p->choices[lround(x[i])])
                                           : xstrdup(o->json);
            o->is_float = p->kind == PARAM_FLOAT;
            o->value = x[i];
        }
    }
    space_destroy(&space);
}

/* Model, strategy and metric names, and the best point rendered with the study's
 * space. */
static void s_config_meta(report_row_t *r, const char *config, const double *x, int nx)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(config, strlen(config), r->name, &errs);
    const char *model = NULL, *strategy = NULL, *metric = NULL;
    if (root) {
        /* A failed read leaves none: a report never fails on an odd config. */
        if (cfg_str(root, "objective.type", NULL, &model, &errs) != 0)
            model = NULL;
        if (cfg_str(root, "strategy.type", NULL, &strategy, &errs) != 0)
            strategy = NULL;
        metric = s_metric(root, r->direction, &errs);
    }
    r->model = model ? xstrdup(model) : NULL;
    r->strategy = strategy ? xstrdup(strategy) : NULL;
    r->metric = metric ? xstrdup(metric) : NULL;
    if (root && r->has_best && x)
        s_best_params(r, root, x, nx, &errs);
    cfg_free(&root);
    cfg_errs_free(&errs);
}

/* Fill counts, best and stage of r (id, name, direction already set), then the config
 * metadata. 0 ok, -1 with err. */
static int s_row_details(s_queries_t *q, report_row_t *r, const char *config, char *err)
{
    int rc;
    sqlite3_reset(q->counts);
    sqlite3_bind_int64(q->counts, 1, r->id);
    while ((rc = sqlite3_step(q->counts)) == SQLITE_ROW) {
        int state = sqlite3_column_int(q->counts, 0);
        if (state >= 0 && state < TRIAL_NSTATES)
            r->counts[state] = (long)sqlite3_column_int64(q->counts, 1);
    }
    if (rc != SQLITE_DONE)
        return s_db_err(q->db, err, "trial counts");

    sqlite3_reset(q->best);
    sqlite3_bind_int64(q->best, 1, r->id);
    sqlite3_bind_int(q->best, 2, (int)r->direction);
    rc = sqlite3_step(q->best);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_db_err(q->db, err, "best trial");
    r->has_best = rc == SQLITE_ROW;
    const double *x = NULL;
    int nx = 0;
    if (r->has_best) {
        r->best_number = (long)sqlite3_column_int64(q->best, 0);
        r->best_value = sqlite3_column_double(q->best, 1);
        r->best_std = s_real(q->best, 2);
        x = sqlite3_column_blob(q->best, 3);
        nx = sqlite3_column_bytes(q->best, 3) / (int)sizeof(double);
    }
    s_config_meta(r, config, x, nx); /* before the reset: x points into the statement */

    sqlite3_reset(q->stage);
    sqlite3_bind_int64(q->stage, 1, r->id);
    rc = sqlite3_step(q->stage);
    if (rc == SQLITE_ROW) {
        r->stage = s_text(q->stage, 0);
        r->stage_forced = sqlite3_column_int(q->stage, 1) != 0;
    } else if (rc != SQLITE_DONE)
        return s_db_err(q->db, err, "promotions");
    return 0;
}

static int s_load_rows(sqlite3 *db, const char *study, report_data_t *d, char *err)
{
    sqlite3_stmt *st = NULL;
    s_queries_t q = {.db = db};
    int rc = SQLITE_DONE, ret = s_prepare(db,
                            "SELECT id, name, config, direction, n_trials, state, created,"
                            " finished, test_score, tier FROM studies"
                            " WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                            &st, err);
    if (ret == 0)
        ret = s_queries_prepare(&q, err);
    if (ret != 0)
        goto done;
    if (study)
        sqlite3_bind_text(st, 1, study, -1, SQLITE_TRANSIENT);
    int cap = 0;
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (d->n_rows == cap) {
            cap = cap ? cap * 2 : 8;
            d->rows = xrealloc(d->rows, sizeof *d->rows * (size_t)cap);
        }
        report_row_t *r = &d->rows[d->n_rows++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->name = s_text(st, 1);
        r->direction = sqlite3_column_int(st, 3) < 0 ? DIR_MAXIMIZE : DIR_MINIMIZE;
        r->n_trials = (long)sqlite3_column_int64(st, 4);
        snprintf(r->state, sizeof r->state, "%s", (const char *)sqlite3_column_text(st, 5));
        r->created = s_real(st, 6);
        r->finished = s_real(st, 7);
        r->test_score = s_real(st, 8);
        r->tier = s_text(st, 9);
        r->best_std = NAN;
        ret = s_row_details(&q, r, (const char *)sqlite3_column_text(st, 2), err);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = s_db_err(db, err, "studies");
    if (ret == 0 && study && d->n_rows == 0) {
        set_err(err, "unknown study '%s'", study);
        ret = 1;
    }
done:
    s_queries_free(&q);
    sqlite3_finalize(st);
    return ret;
}

static int s_load_workers(sqlite3 *db, report_data_t *d, char *err)
{
    sqlite3_stmt *st;
    if (s_prepare(db,
                  "SELECT name, host, pid, slots, last_seen, lease_ms, left_at FROM workers"
                  " ORDER BY name",
                  &st, err) != 0)
        return -1;
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (d->n_workers == cap) {
            cap = cap ? cap * 2 : 8;
            d->workers = xrealloc(d->workers, sizeof *d->workers * (size_t)cap);
        }
        report_worker_t *w = &d->workers[d->n_workers++];
        w->name = s_text(st, 0);
        w->host = s_text(st, 1);
        w->pid = (long)sqlite3_column_int64(st, 2);
        w->slots = sqlite3_column_int(st, 3);
        w->last_seen = s_real(st, 4);
        w->lease_ms = (long)sqlite3_column_int64(st, 5);
        w->left_at = s_real(st, 6);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : s_db_err(db, err, "workers");
}

int report_data_load(store_t *st, const char *study, report_data_t *out, char *err)
{
    sqlite3 *db = store_db(st);
    memset(out, 0, sizeof *out);
    /* A read transaction pins one WAL snapshot for all the queries below; a caller
     * already inside a transaction (the coordinator's own connection) has one. */
    bool own = sqlite3_get_autocommit(db) != 0;
    if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return s_db_err(db, err, "begin");
    int rc = s_load_rows(db, study, out, err);
    if (rc == 0)
        rc = s_load_workers(db, out, err);
    if (own && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK && rc == 0)
        rc = s_db_err(db, err, "commit");
    if (rc != 0)
        report_data_free(out);
    return rc;
}

void report_models(report_data_t *d, bool (*is_model)(const char *objective_type))
{
    for (int i = 0; i < d->n_rows; i++) {
        report_row_t *r = &d->rows[i];
        if (!r->model || !is_model || !is_model(r->model)) {
            free(r->metric); /* synthetic, command: their own value */
            r->metric = NULL;
        } else if (!r->strategy) {
            r->strategy = xstrdup("quick"); /* a model's default strategy (strategy.h) */
        }
    }
}

void report_data_free(report_data_t *d)
{
    for (int i = 0; i < d->n_rows; i++) {
        report_row_t *r = &d->rows[i];
        free(r->name);
        free(r->model);
        free(r->strategy);
        free(r->best_params);
        for (int j = 0; j < r->n_params; j++) {
            free(r->params[j].name);
            free(r->params[j].json);
            free(r->params[j].text);
        }
        free(r->params);
        free(r->metric);
        free(r->tier);
        free(r->stage);
    }
    for (int i = 0; i < d->n_workers; i++) {
        free(d->workers[i].name);
        free(d->workers[i].host);
    }
    free(d->rows);
    free(d->workers);
    memset(d, 0, sizeof *d);
}

double report_row_wall(const report_row_t *r, double now)
{
    if (isnan(r->created))
        return NAN;
    return (isnan(r->finished) ? now : r->finished) - r->created;
}

char *report_duration(double secs)
{
    if (isnan(secs))
        return xstrdup("-");
    if (secs < 0)
        secs = 0; /* clock steps between hosts */
    if (secs < 60)
        return xasprintf("%.1fs", secs);
    long s = lround(secs);
    if (s < 3600)
        return xasprintf("%ldm%02lds", s / 60, s % 60);
    return xasprintf("%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

/* ---- status ----------------------------------------------------------------------- */

/* The coordinator's default --lease-ms, for worker rows of files older than schema 2. */
#define S_DEFAULT_LEASE_MS 10000

/* The order of DESIGN's "trials" object, which scripts read. */
static const trial_state_t s_status_order[TRIAL_NSTATES] = {
    TRIAL_COMPLETE, TRIAL_RUNNING, TRIAL_WAITING, TRIAL_FAIL, TRIAL_PRUNED};

static void s_study_json(strbuf_t *out, const report_row_t *r)
{
    sb_puts(out, "{\"study\": ");
    sb_json_str(out, r->name);
    sb_puts(out, ", \"state\": ");
    sb_json_str(out, r->state);
    sb_printf(out, ", \"n_trials\": %ld, \"trials\": {", r->n_trials);
    for (int i = 0; i < TRIAL_NSTATES; i++)
        sb_printf(out, "%s\"%s\": %ld", i ? ", " : "", trial_state_name(s_status_order[i]),
                  r->counts[s_status_order[i]]);
    sb_puts(out, "}, \"best\": ");
    if (r->has_best) {
        sb_printf(out, "{\"trial\": %ld, \"value\": ", r->best_number);
        sb_json_num(out, r->best_value);
        sb_puts(out, ", \"params\": ");
        sb_puts(out, r->best_params ? r->best_params : "null");
        sb_putc(out, '}');
    } else
        sb_puts(out, "null");
    sb_putc(out, '}');
}

/* alive, gone or left. Gone: not heard from for longer than its lease plus the period
 * at which the coordinator writes last_seen to the file (store.h), so a busy worker
 * read from the file is never gone by mistake; its trials are being (or have been)
 * re-queued. Left: told BYE when an embedded run ended. */
static const char *s_worker_state(const report_worker_t *w, double now)
{
    if (!isnan(w->left_at))
        return "left";
    double lease = (double)(w->lease_ms > 0 ? w->lease_ms : S_DEFAULT_LEASE_MS) / 1e3;
    return now - w->last_seen > lease + lease / STORE_HEARD_FLUSH_DIV ? "gone" : "alive";
}

static void s_worker_json(strbuf_t *out, const report_worker_t *w, double now)
{
    sb_puts(out, "{\"name\": ");
    sb_json_str(out, w->name ? w->name : "");
    sb_puts(out, ", \"host\": ");
    sb_json_str(out, w->host ? w->host : "");
    sb_printf(out, ", \"pid\": %ld, \"slots\": %d, \"last_seen\": ", w->pid, w->slots);
    sb_json_num(out, w->last_seen);
    sb_printf(out, ", \"state\": \"%s\"}", s_worker_state(w, now));
}

/* The names of every study, for the error on an unknown one: "no study 'x' (studies:
 * a, b)". Returns 1 (bad input), or -1 when even the names cannot be read. */
static int s_no_study(store_t *st, const char *study, char *err)
{
    sqlite3_stmt *q;
    if (s_prepare(store_db(st), "SELECT name FROM studies ORDER BY name", &q, err) != 0)
        return -1;
    strbuf_t sb;
    sb_init(&sb);
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        sb_printf(&sb, "%s%s", n++ ? ", " : "", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        rc = s_db_err(store_db(st), err, "studies");
    else {
        set_err(err, "no study '%s' (%s%s)", study, n ? "studies: " : "the file has none",
                n ? sb.buf : "");
        rc = 1;
    }
    sb_free(&sb);
    return rc;
}

/* report_data_load with the status error for an unknown study. */
static int s_status_load(store_t *st, const char *study, report_data_t *d, char *err)
{
    int rc = report_data_load(st, study, d, err);
    return rc == 1 && study ? s_no_study(st, study, err) : rc;
}

int report_status_json(store_t *st, const char *study, strbuf_t *out, char *err)
{
    report_data_t d;
    int rc = s_status_load(st, study, &d, err);
    if (rc != 0)
        return rc;
    double now = now_secs();
    sb_puts(out, "{\"studies\": [");
    for (int i = 0; i < d.n_rows; i++) {
        sb_puts(out, i ? ", " : "");
        s_study_json(out, &d.rows[i]);
    }
    sb_puts(out, "], \"workers\": [");
    for (int i = 0; i < d.n_workers; i++) {
        sb_puts(out, i ? ", " : "");
        s_worker_json(out, &d.workers[i], now);
    }
    sb_puts(out, "]}\n");
    report_data_free(&d);
    return 0;
}

static char *s_num_text(double v)
{
    return isnan(v) ? xstrdup("-") : xasprintf("%.5g", v);
}

/* DONE counts finished trials, COMPLETE + PRUNED + FAIL, against n_trials: what the
 * scheduler counts towards the budget and `hps run`'s progress line shows. */
static void s_status_studies(strbuf_t *out, const report_data_t *d)
{
    static const char *const titles[] = {"STUDY",   "STATE",   "DONE",   "COMPLETE",
                                         "PRUNED",  "FAIL",    "RUNNING", "WAITING",
                                         "BEST #",  "VALUE",   "PARAMS"};
    static const trial_state_t counted[] = {TRIAL_COMPLETE, TRIAL_PRUNED, TRIAL_FAIL,
                                            TRIAL_RUNNING, TRIAL_WAITING};
    static const bool right[] = {false, false, true, true, true, true,
                                 true,  true,  true, true, false};
    report_grid_t g;
    report_grid_init(&g, (int)ARRAY_SIZE(titles), titles, right);
    for (int i = 0; i < d->n_rows; i++) {
        const report_row_t *r = &d->rows[i];
        long finished = r->counts[TRIAL_COMPLETE] + r->counts[TRIAL_PRUNED] +
                        r->counts[TRIAL_FAIL];
        report_grid_put(&g, xstrdup(r->name));
        report_grid_put(&g, xstrdup(r->state));
        report_grid_put(&g, xasprintf("%ld/%ld", finished, r->n_trials));
        for (size_t k = 0; k < ARRAY_SIZE(counted); k++)
            report_grid_put(&g, xasprintf("%ld", r->counts[counted[k]]));
        report_grid_put(&g, r->has_best ? xasprintf("%ld", r->best_number) : xstrdup("-"));
        report_grid_put(&g, s_num_text(r->has_best ? r->best_value : NAN));
        report_grid_put(&g, xstrdup(r->has_best && r->best_params ? r->best_params : "-"));
    }
    report_grid_table(&g, out);
    report_grid_free(&g);
}

static void s_status_workers(strbuf_t *out, const report_data_t *d, double now)
{
    static const char *const titles[] = {"WORKER", "HOST", "PID", "SLOTS", "STATE",
                                         "LAST SEEN"};
    static const bool right[] = {false, false, true, true, false, true};
    report_grid_t g;
    report_grid_init(&g, (int)ARRAY_SIZE(titles), titles, right);
    for (int i = 0; i < d->n_workers; i++) {
        const report_worker_t *w = &d->workers[i];
        report_grid_put(&g, xstrdup(w->name ? w->name : "-"));
        report_grid_put(&g, xstrdup(w->host ? w->host : "-"));
        report_grid_put(&g, xasprintf("%ld", w->pid));
        report_grid_put(&g, xasprintf("%d", w->slots));
        report_grid_put(&g, xstrdup(s_worker_state(w, now)));
        char *ago = report_duration(now - w->last_seen);
        report_grid_put(&g, xasprintf("%s ago", ago));
        free(ago);
    }
    report_grid_table(&g, out);
    report_grid_free(&g);
}

int report_status_text(store_t *st, const char *study, strbuf_t *out, char *err)
{
    report_data_t d;
    int rc = s_status_load(st, study, &d, err);
    if (rc != 0)
        return rc;
    if (d.n_rows == 0)
        sb_puts(out, "no studies\n");
    else
        s_status_studies(out, &d);
    sb_putc(out, '\n');
    if (d.n_workers == 0)
        sb_puts(out, "no workers seen\n");
    else
        s_status_workers(out, &d, now_secs());
    report_data_free(&d);
    return 0;
}
