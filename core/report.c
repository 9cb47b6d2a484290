/* report — the row model behind every report, and `hps status` (see report.h).
 *
 * Rows are read through the store (core/store_read.c) inside one store snapshot, so
 * counts, best trial and workers come from the same committed state while a coordinator
 * keeps committing. The study config is read with cfg_parse (JSON is YAML) rather than
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
        r->params = xcalloc((size_t)space->n, sizeof *r->params);
        for (int i = 0; i < space->n; i++) {
            const param_t *p = &space->params[i];
            if (isnan(x[i]))
                continue; /* an inactive conditional parameter: not in the best point */
            report_param_t *o = &r->params[r->n_params++];
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
        /* A command objective may name itself and say what its score is (command.c). */
        const char *declared = NULL;
        if (cfg_str(root, "objective.model", NULL, &declared, &errs) == 0 && declared)
            model = declared;
        if (cfg_str(root, "objective.metric", NULL, &declared, &errs) == 0 && declared)
            r->own_metric = xstrdup(declared);
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

/* A row of r from study s (taken over: s is cleared): counts, best trial and latest
 * promotion from the store, then the config metadata. 0 ok, -1 with err. */
static int s_row(store_t *st, report_row_t *r, store_study_t *s, char *err)
{
    memset(r, 0, sizeof *r);
    r->id = s->id;
    r->name = s->name;
    r->direction = s->direction;
    r->n_trials = s->n_trials;
    snprintf(r->state, sizeof r->state, "%s", s->state);
    r->created = s->created;
    r->finished = s->finished;
    r->test_score = s->test_score;
    r->tier = s->tier;
    r->best_std = NAN;
    s->name = s->tier = NULL;
    store_best_t best;
    store_promotion_t *promos = NULL;
    int n_promos = 0;
    int rc = store_trial_counts(st, r->id, r->counts, err);
    int found = rc == 0 ? store_best_trial(st, r->id, r->direction, &best, err) : -1;
    if (found == 0) {
        r->has_best = true;
        r->best_number = best.number;
        r->best_value = best.value;
        r->best_std = best.cv_std;
    }
    if (found >= 0) {
        s_config_meta(r, s->config, best.x, best.nx);
        store_best_clear(&best);
        rc = store_promotions(st, r->id, &promos, &n_promos, err);
    }
    if (rc == 0 && n_promos > 0) {
        r->stage = xstrdup(promos[n_promos - 1].stage);
        r->stage_forced = promos[n_promos - 1].forced;
    }
    store_promotions_free(&promos, n_promos);
    store_study_clear(s);
    return found < 0 ? -1 : rc;
}

static int s_name_cmp(const void *a, const void *b)
{
    return strcmp(((const store_study_t *)a)->name, ((const store_study_t *)b)->name);
}

/* The rows of one study (1 when there is none), or of all of them by name. */
static int s_load_rows(store_t *st, const char *study, report_data_t *d, char *err)
{
    store_study_t one, *list = &one;
    int n = 1;
    int rc = study ? store_study_get(st, study, &one, err) : store_studies(st, &list, &n, err);
    if (rc == 1)
        set_err(err, "unknown study '%s'", study);
    if (rc != 0)
        return rc;
    if (!study)
        qsort(list, (size_t)n, sizeof *list, s_name_cmp);
    d->rows = xcalloc((size_t)(n ? n : 1), sizeof *d->rows);
    for (int i = 0; i < n; i++)
        if (rc == 0 && (rc = s_row(st, &d->rows[d->n_rows], &list[i], err)) == 0)
            d->n_rows++;
    if (study)
        store_study_clear(&one);
    else
        store_studies_free(&list, n);
    return rc;
}

int report_data_load(store_t *st, const char *study, report_data_t *out, char *err)
{
    memset(out, 0, sizeof *out);
    bool own;
    if (store_snapshot_begin(st, &own, err) != 0)
        return -1;
    int rc = s_load_rows(st, study, out, err);
    if (rc == 0)
        rc = store_workers(st, REPORT_WORKERS_MAX, &out->workers, &out->n_workers,
                           &out->n_workers_total, err);
    char ignore[HPS_ERR_LEN];
    if (store_snapshot_end(st, own, rc == 0 ? err : ignore) != 0 && rc == 0)
        rc = -1;
    if (rc != 0)
        report_data_free(out);
    return rc;
}

void report_models(report_data_t *d, bool (*is_model)(const char *objective_type))
{
    for (int i = 0; i < d->n_rows; i++) {
        report_row_t *r = &d->rows[i];
        if (!r->model || !is_model || !is_model(r->model)) {
            free(r->metric); /* synthetic, command: their own value, or a declared one */
            r->metric = r->own_metric;
            r->own_metric = NULL;
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
        free(r->own_metric);
        free(r->tier);
        free(r->stage);
    }
    store_workers_free(&d->workers, d->n_workers);
    free(d->rows);
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

int report_no_study(store_t *st, const char *study, char *err)
{
    store_study_t *list;
    int n;
    if (store_studies(st, &list, &n, err) != 0)
        return -1;
    qsort(list, (size_t)n, sizeof *list, s_name_cmp);
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; i < n; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", list[i].name);
    set_err(err, "no study '%s' (%s%s)", study, n ? "studies: " : "the file has none",
            n ? sb.buf : "");
    sb_free(&sb);
    store_studies_free(&list, n);
    return 1;
}

/* report_data_load with the status error for an unknown study. */
static int s_status_load(store_t *st, const char *study, report_data_t *d, char *err)
{
    int rc = report_data_load(st, study, d, err);
    return rc == 1 && study ? report_no_study(st, study, err) : rc;
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
    sb_printf(out, "], \"workers_total\": %ld}\n", d.n_workers_total);
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

#define REPORT_WORKERS_RECENT_SECS 600 /* older silent workers are summarised in text */

static void s_status_workers(strbuf_t *out, const report_data_t *d, double now)
{
    static const char *const titles[] = {"WORKER", "HOST", "PID", "SLOTS", "STATE",
                                         "LAST SEEN"};
    static const bool right[] = {false, false, true, true, false, true};
    report_grid_t g;
    report_grid_init(&g, (int)ARRAY_SIZE(titles), titles, right);
    int hidden = 0;
    for (int i = 0; i < d->n_workers; i++) {
        const report_worker_t *w = &d->workers[i];
        /* Every `hps run` leaves its local workers behind as rows: the table keeps to the
         * ones alive or heard from lately. */
        if (strcmp(s_worker_state(w, now), "alive") != 0 &&
            now - w->last_seen > REPORT_WORKERS_RECENT_SECS) {
            hidden++;
            continue;
        }
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
    if (hidden)
        sb_printf(out, "(%d more worker%s not heard from for over %d minutes; --json lists "
                       "them)\n", hidden, hidden == 1 ? "" : "s", REPORT_WORKERS_RECENT_SECS / 60);
    long unlisted = d->n_workers_total - d->n_workers;
    if (unlisted > 0)
        sb_printf(out, "(%ld older worker%s not listed: a status shows the %d heard from "
                       "last)\n", unlisted, unlisted == 1 ? "" : "s", REPORT_WORKERS_MAX);
}

/* A study none of whose trials completed while some failed does not end silently:
 * one warning line per such study, with the latest error's first line. */
static void s_status_failed(strbuf_t *out, store_t *st, const report_data_t *d)
{
    for (int i = 0; i < d->n_rows; i++) {
        const report_row_t *r = &d->rows[i];
        long failed = r->counts[TRIAL_FAIL];
        if (r->counts[TRIAL_COMPLETE] > 0 || failed == 0)
            continue;
        char *last = NULL, err[HPS_ERR_LEN];
        if (store_last_error(st, r->id, &last, err) != 0)
            last = NULL;
        size_t n = last ? strcspn(last, "\n") : 0;
        sb_printf(out, "warning: '%s': all %ld trials failed%s; last error: %.*s%s\n", r->name,
                  failed, strcmp(r->state, "done") == 0 ? "" : " so far",
                  (int)(n > 200 ? 200 : n), last ? last : "(none recorded)",
                  n > 200 || (last && last[n]) ? " ..." : "");
        free(last);
    }
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
    s_status_failed(out, st, &d);
    sb_putc(out, '\n');
    if (d.n_workers == 0)
        sb_puts(out, "no workers seen\n");
    else
        s_status_workers(out, &d, now_secs());
    report_data_free(&d);
    return 0;
}
