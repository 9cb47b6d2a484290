/* report_board — the leaderboard (see report.h; the grid renderers are in report_grid.c).
 *
 * Ranking: a value means something only next to values of the same metric, so studies
 * are grouped by metric and direction first (accuracy 0.98 never sits unlabelled beside
 * RMSE 532), then ordered within the group. Each board entry carries its --sort key
 * signed so that ascending is the wanted order (a maximised best is negated), which
 * lets one comparator serve every key; NaN (no value yet) always sorts last. The rank
 * is always by best value, whatever the sort, so "rank 1" keeps one meaning.
 *
 * Cells: one row model (report_row_t) becomes one set of cells per study, a rounded,
 * human text and a raw, machine value for each field. A format is then only a choice
 * of fields plus a renderer: table and Markdown show the human fields ("0.912 ± 0.011",
 * "4m05s", "max"), CSV and JSON the machine ones (full precision, separate std,
 * seconds, "maximize"), so a script never has to parse "±". */
#include "core/report.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/report_priv.h"

/* ---- fields and formats ----------------------------------------------------------- */

enum {
    F_RANK, F_STUDY, F_METRIC, F_DIR, F_STATE, F_MODEL, F_STRATEGY, F_TRIALS, F_COMPLETE,
    F_PRUNED, F_FAIL, F_NTRIALS, F_BEST_TRIAL, F_BEST_PM, F_BEST, F_STD, F_TEST, F_TIER,
    F_STAGE, F_FORCED, F_CREATED, F_WALL, F_PARAMS, F_N
};

/* T_RAW: the raw value is JSON already (the parameters object). */
typedef enum { T_STR, T_NUM, T_BOOL, T_RAW } s_type_t;

static const struct {
    const char *key;   /* CSV header and JSON name */
    const char *title; /* table and Markdown header */
    s_type_t type;     /* of the raw value, for JSON */
    bool right;        /* right-aligned in tables */
} s_fields[F_N] = {
    [F_RANK] = {"rank", "rank", T_NUM, true},
    [F_STUDY] = {"study", "study", T_STR, false},
    [F_METRIC] = {"metric", "metric", T_STR, false},
    [F_DIR] = {"direction", "dir", T_STR, false},
    [F_STATE] = {"state", "state", T_STR, false},
    [F_MODEL] = {"model", "model", T_STR, false},
    [F_STRATEGY] = {"strategy", "strategy", T_STR, false},
    [F_TRIALS] = {"trials", "trials", T_STR, true},
    [F_COMPLETE] = {"complete", "complete", T_NUM, true},
    [F_PRUNED] = {"pruned", "pruned", T_NUM, true},
    [F_FAIL] = {"fail", "fail", T_NUM, true},
    [F_NTRIALS] = {"n_trials", "n_trials", T_NUM, true},
    [F_BEST_TRIAL] = {"best_trial", "best #", T_NUM, true},
    [F_BEST_PM] = {"best", "best ± std", T_STR, true},
    [F_BEST] = {"best", "best", T_NUM, true},
    [F_STD] = {"best_std", "std", T_NUM, true},
    [F_TEST] = {"test_score", "test", T_NUM, true},
    [F_TIER] = {"tier", "tier", T_STR, false},
    [F_STAGE] = {"stage", "stage", T_STR, false},
    [F_FORCED] = {"forced", "forced", T_BOOL, false},
    [F_CREATED] = {"created", "created", T_NUM, true},
    [F_WALL] = {"wall_secs", "wall", T_NUM, true},
    [F_PARAMS] = {"params", "params", T_RAW, false},
};

/* The parameters are too wide for a terminal table; Markdown wraps. */
static const int s_table[] = {F_RANK,     F_STUDY,   F_METRIC, F_DIR,  F_STATE,
                              F_MODEL,    F_STRATEGY, F_TRIALS, F_BEST_PM, F_TEST,
                              F_TIER,     F_STAGE,   F_WALL};
static const int s_md[] = {F_RANK,    F_STUDY,   F_METRIC, F_DIR,  F_STATE,
                           F_MODEL,   F_STRATEGY, F_TRIALS, F_BEST_PM, F_TEST,
                           F_TIER,    F_STAGE,   F_WALL,   F_PARAMS};
/* In CSV, F_PARAMS becomes one params.NAME column per parameter name. */
static const int s_machine[] = {F_RANK,   F_STUDY,   F_METRIC,     F_DIR,   F_STATE,
                                F_MODEL,  F_STRATEGY, F_COMPLETE,  F_PRUNED, F_FAIL,
                                F_NTRIALS, F_BEST_TRIAL, F_BEST,   F_STD,   F_TEST,
                                F_TIER,   F_STAGE,   F_FORCED,     F_CREATED, F_WALL,
                                F_PARAMS};

typedef struct {
    const char *name;
    const int *fields;
    int nfields;
    bool machine;                                       /* raw values, keys as headers */
    void (*render)(const report_grid_t *g, strbuf_t *out); /* NULL = JSON */
} s_format_t;

static const s_format_t s_formats[] = {
    {"table", s_table, (int)ARRAY_SIZE(s_table), false, report_grid_table},
    {"md", s_md, (int)ARRAY_SIZE(s_md), false, report_grid_md},
    {"csv", s_machine, (int)ARRAY_SIZE(s_machine), true, report_grid_csv},
    {"json", s_machine, (int)ARRAY_SIZE(s_machine), true, NULL},
};

static const s_format_t *s_format(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(s_formats); i++)
        if (strcmp(s_formats[i].name, name) == 0)
            return &s_formats[i];
    return NULL;
}

bool report_format_valid(const char *format) { return s_format(format) != NULL; }

/* ---- sort keys -------------------------------------------------------------------- */

typedef enum { K_BEST, K_TEST, K_TRIALS, K_WALL, K_STUDY, K_CREATED } s_key_t;

static const struct {
    const char *name;
    s_key_t key;
} s_sorts[] = {{"best", K_BEST},   {"test", K_TEST}, {"trials", K_TRIALS}, {"wall", K_WALL},
               {"study", K_STUDY}, {"name", K_STUDY}, {"created", K_CREATED}};

const char report_sort_keys[] = "best, test, trials, wall, study, name, created";

static int s_sort(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(s_sorts); i++)
        if (strcmp(s_sorts[i].name, name) == 0)
            return (int)s_sorts[i].key;
    return -1;
}

bool report_sort_valid(const char *sort) { return s_sort(sort) >= 0; }

/* ---- the board: selection, order, rank -------------------------------------------- */

typedef struct {
    const report_row_t *row;
    const char *metric; /* the group's name: the row's metric, or "value" */
    double key;         /* the sort key, signed so that ascending is the order; NaN last */
    long rank;          /* 1-based within the group by best value; 0 = no best */
} s_entry_t;

/* Row r's value v signed so that smaller is better (direction_t is that sign). */
static double s_signed(const report_row_t *r, double v) { return v * (double)r->direction; }

static double s_key(const report_row_t *r, s_key_t k, double now)
{
    switch (k) {
    case K_BEST: return r->has_best ? s_signed(r, r->best_value) : NAN;
    case K_TEST: return s_signed(r, r->test_score);
    case K_TRIALS: return -(double)r->counts[TRIAL_COMPLETE];
    case K_WALL: return report_row_wall(r, now);
    case K_CREATED: return -r->created;
    case K_STUDY: break;
    }
    return 0; /* the name decides */
}

/* Groups: metric name, then maximising before minimising. */
static int s_group_cmp(const s_entry_t *a, const s_entry_t *b)
{
    int c = strcmp(a->metric, b->metric);
    return c ? c : (int)a->row->direction - (int)b->row->direction; /* -1 max, 1 min */
}

static int s_entry_cmp(const void *pa, const void *pb)
{
    const s_entry_t *a = pa, *b = pb;
    int c = s_group_cmp(a, b);
    if (c)
        return c;
    if (isnan(a->key) != isnan(b->key))
        return isnan(a->key) ? 1 : -1;
    if (!isnan(a->key) && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return strcmp(a->row->name, b->row->name); /* names are unique: a total order */
}

/* A shell pattern, or the exact name (which may hold pattern characters). */
static bool s_match(const char *pattern, const char *name)
{
    return strcmp(pattern, name) == 0 || fnmatch(pattern, name, 0) == 0;
}

static bool s_selected(const char *name, const report_board_opts_t *o)
{
    for (int i = 0; i < o->n_studies; i++)
        if (s_match(o->studies[i], name))
            return true;
    return o->n_studies == 0;
}

/* Whether signed value a beats b by more than rounding: two studies that print the same
 * best (0.73625 and 0.7362500000000001 from a differently ordered mean) tie. */
static bool s_beats(double a, double b)
{
    return a < b - 1e-9 * fmax(fabs(a), fabs(b));
}

/* Competition ranking by best value within each group: equal values share a rank and
 * the next rank skips (1, 1, 3). Quadratic, for boards of hundreds of studies. */
static void s_rank(s_entry_t *e, int n)
{
    for (int i = 0; i < n; i++) {
        if (!e[i].row->has_best)
            continue;
        double mine = s_signed(e[i].row, e[i].row->best_value);
        e[i].rank = 1;
        for (int j = 0; j < n; j++)
            if (e[j].row->has_best && s_group_cmp(&e[i], &e[j]) == 0 &&
                s_beats(s_signed(e[j].row, e[j].row->best_value), mine))
                e[i].rank++;
    }
}

/* The entries of d that o selects, in board order (*n of them; caller frees). 0 ok;
 * -1 with err when a pattern matches no study. */
static int s_board(const report_data_t *d, const report_board_opts_t *o, s_key_t k,
                   double now, s_entry_t **out, int *n, char *err)
{
    for (int i = 0; i < o->n_studies; i++) {
        bool any = false;
        for (int j = 0; j < d->n_rows && !any; j++)
            any = s_match(o->studies[i], d->rows[j].name);
        if (!any)
            return set_err(err, "no study matches '%s'", o->studies[i]);
    }
    s_entry_t *e = xcalloc((size_t)d->n_rows + 1, sizeof *e);
    for (int i = 0; i < d->n_rows; i++) {
        const report_row_t *r = &d->rows[i];
        e[i] = (s_entry_t){.row = r, .metric = r->metric ? r->metric : "value",
                           .key = s_key(r, k, now)};
    }
    s_rank(e, d->n_rows); /* over every study: a rank does not depend on the view */
    *n = 0;
    for (int i = 0; i < d->n_rows; i++)
        if (s_selected(e[i].row->name, o))
            e[(*n)++] = e[i];
    qsort(e, (size_t)*n, sizeof *e, s_entry_cmp);
    *out = e;
    return 0;
}

/* ---- cells ------------------------------------------------------------------------ */

/* Set field f to an owned string: raw keeps it (NULL = none), text shows "-" for none. */
static void s_set(char **text, char **raw, int f, char *owned)
{
    raw[f] = owned;
    text[f] = xstrdup(owned ? owned : "-");
}

static void s_set_num(char **text, char **raw, int f, double v)
{
    raw[f] = NULL;
    if (!isnan(v)) {
        strbuf_t sb;
        sb_init(&sb);
        sb_json_num(&sb, v);
        raw[f] = sb_take(&sb);
    }
    text[f] = isnan(v) ? xstrdup("-") : xasprintf("%.5g", v);
}

/* Replace the human text of field f (the raw value stays). */
static void s_retext(char **text, int f, char *owned)
{
    free(text[f]);
    text[f] = owned;
}

/* "C=0.1235, penalty=l2": floats to 4 digits, the rest as they are. */
static char *s_params_text(const report_row_t *r)
{
    if (!r->n_params)
        return xstrdup("-");
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; i < r->n_params; i++) {
        const report_param_t *p = &r->params[i];
        sb_printf(&sb, "%s%s=", i ? ", " : "", p->name);
        if (p->is_float)
            sb_printf(&sb, "%.4g", p->value);
        else
            sb_puts(&sb, p->text);
    }
    return sb_take(&sb);
}

/* The fields that describe the study rather than its results. */
static void s_study_cells(const s_entry_t *e, char **text, char **raw)
{
    const report_row_t *r = e->row;
    bool max = r->direction == DIR_MAXIMIZE;
    s_set_num(text, raw, F_RANK, e->rank ? (double)e->rank : NAN);
    s_set(text, raw, F_STUDY, xstrdup(r->name));
    s_set(text, raw, F_METRIC, xstrdup(e->metric));
    s_set(text, raw, F_DIR, xstrdup(max ? "maximize" : "minimize"));
    s_retext(text, F_DIR, xstrdup(max ? "max" : "min"));
    s_set(text, raw, F_STATE, xstrdup(r->state));
    s_set(text, raw, F_MODEL, r->model ? xstrdup(r->model) : NULL);
    s_set(text, raw, F_STRATEGY, r->strategy ? xstrdup(r->strategy) : NULL);
    s_set(text, raw, F_TRIALS, xasprintf("%ld/%ld", r->counts[TRIAL_COMPLETE], r->n_trials));
    s_set_num(text, raw, F_COMPLETE, (double)r->counts[TRIAL_COMPLETE]);
    s_set_num(text, raw, F_PRUNED, (double)r->counts[TRIAL_PRUNED]);
    s_set_num(text, raw, F_FAIL, (double)r->counts[TRIAL_FAIL]);
    s_set_num(text, raw, F_NTRIALS, (double)r->n_trials);
    s_set_num(text, raw, F_CREATED, round(r->created * 1000) / 1000);
}

/* Every field of one board entry, human text and raw value (NULL raw = none). */
static void s_row_cells(const s_entry_t *e, double now, char **text, char **raw)
{
    const report_row_t *r = e->row;
    s_study_cells(e, text, raw);
    double best = r->has_best ? r->best_value : NAN;
    double std = r->has_best ? r->best_std : NAN;
    s_set_num(text, raw, F_BEST_TRIAL, r->has_best ? (double)r->best_number : NAN);
    s_set_num(text, raw, F_BEST, best);
    s_set_num(text, raw, F_STD, std);
    s_set(text, raw, F_BEST_PM,
          isnan(best)  ? NULL
          : isnan(std) ? xasprintf("%.5g", best)
                       : xasprintf("%.5g ± %.2g", best, std));
    s_set_num(text, raw, F_TEST, r->test_score);
    s_set(text, raw, F_TIER, r->tier ? xstrdup(r->tier) : NULL);
    s_set(text, raw, F_STAGE, r->stage ? xstrdup(r->stage) : NULL);
    if (r->stage && r->stage_forced)
        s_retext(text, F_STAGE, xasprintf("%s (forced)", r->stage));
    s_set(text, raw, F_FORCED, xstrdup(r->stage && r->stage_forced ? "true" : "false"));
    double wall = report_row_wall(r, now);
    s_set_num(text, raw, F_WALL, round(wall * 1000) / 1000); /* ms: clocks say no more */
    s_retext(text, F_WALL, report_duration(wall));
    s_set(text, raw, F_PARAMS, r->best_params ? xstrdup(r->best_params) : NULL);
    s_retext(text, F_PARAMS, s_params_text(r));
}

static void s_cells_free(char **text, char **raw)
{
    for (int f = 0; f < F_N; f++) {
        free(text[f]);
        free(raw[f]);
    }
}

/* ---- renderers -------------------------------------------------------------------- */

static void s_json_value(strbuf_t *out, int f, const char *raw)
{
    if (!raw)
        sb_puts(out, "null");
    else if (s_fields[f].type == T_STR)
        sb_json_str(out, raw);
    else
        sb_puts(out, raw);
}

static void s_board_json(const s_format_t *fmt, const s_entry_t *e, int n, double now,
                         strbuf_t *out)
{
    sb_putc(out, '[');
    for (int i = 0; i < n; i++) {
        char *text[F_N], *raw[F_N];
        s_row_cells(&e[i], now, text, raw);
        sb_puts(out, i ? ",\n  {" : "\n  {");
        for (int c = 0; c < fmt->nfields; c++) {
            int f = fmt->fields[c];
            sb_printf(out, "%s\"%s\": ", c ? ", " : "", s_fields[f].key);
            s_json_value(out, f, raw[f]);
        }
        sb_putc(out, '}');
        s_cells_free(text, raw);
    }
    sb_puts(out, n ? "\n]\n" : "]\n");
}

/* The parameter names of the shown studies, in order of first appearance (borrowed). */
static const char **s_param_names(const s_entry_t *e, int n, int *count)
{
    const char **names = NULL;
    *count = 0;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < e[i].row->n_params; p++) {
            const char *name = e[i].row->params[p].name;
            int k = 0;
            while (k < *count && strcmp(names[k], name) != 0)
                k++;
            if (k == *count) {
                names = xrealloc(names, sizeof *names * (size_t)(*count + 1));
                names[(*count)++] = name;
            }
        }
    }
    return names;
}

/* The CSV cell of parameter name in row r: its plain text, NULL when r lacks it. */
static char *s_param_cell(const report_row_t *r, const char *name)
{
    for (int p = 0; p < r->n_params; p++)
        if (strcmp(r->params[p].name, name) == 0)
            return xstrdup(r->params[p].text);
    return NULL;
}

/* Column layout of a grid format: fmt's fields, with F_PARAMS in CSV spread over one
 * column per name. titles[] entries from index nfixed on are owned. */
typedef struct {
    int nfixed;         /* fmt fields shown as themselves */
    bool spread;        /* F_PARAMS (last field) spread over names */
    const char **names; /* nnames parameter names; borrowed strings, owned array */
    int nnames;
    const char **titles;
    bool *right;
} s_layout_t;

static void s_layout(const s_format_t *fmt, const s_entry_t *e, int n, s_layout_t *l)
{
    *l = (s_layout_t){.spread = fmt->machine && fmt->fields[fmt->nfields - 1] == F_PARAMS};
    l->nfixed = fmt->nfields - l->spread;
    if (l->spread)
        l->names = s_param_names(e, n, &l->nnames);
    int ncols = l->nfixed + l->nnames;
    l->titles = xcalloc((size_t)ncols, sizeof *l->titles);
    l->right = xcalloc((size_t)ncols, sizeof *l->right);
    for (int c = 0; c < l->nfixed; c++) {
        int f = fmt->fields[c];
        l->titles[c] = fmt->machine ? s_fields[f].key : s_fields[f].title;
        l->right[c] = !fmt->machine && s_fields[f].right;
    }
    for (int k = 0; k < l->nnames; k++)
        l->titles[l->nfixed + k] = xasprintf("params.%s", l->names[k]);
}

static void s_layout_free(s_layout_t *l)
{
    for (int k = 0; k < l->nnames; k++)
        free((char *)l->titles[l->nfixed + k]);
    free(l->titles);
    free(l->right);
    free(l->names);
}

static void s_board_grid(const s_format_t *fmt, const s_entry_t *e, int n, double now,
                         strbuf_t *out)
{
    s_layout_t l;
    s_layout(fmt, e, n, &l);
    report_grid_t g;
    report_grid_init(&g, l.nfixed + l.nnames, l.titles, l.right);
    for (int i = 0; i < n; i++) {
        if (i && s_group_cmp(&e[i - 1], &e[i]) != 0)
            report_grid_break(&g);
        char *text[F_N], *raw[F_N];
        s_row_cells(&e[i], now, text, raw);
        for (int c = 0; c < l.nfixed; c++) {
            char **cell = fmt->machine ? &raw[fmt->fields[c]] : &text[fmt->fields[c]];
            report_grid_put(&g, *cell); /* the grid takes it over */
            *cell = NULL;
        }
        for (int k = 0; k < l.nnames; k++)
            report_grid_put(&g, s_param_cell(e[i].row, l.names[k]));
        s_cells_free(text, raw);
    }
    fmt->render(&g, out);
    report_grid_free(&g);
    s_layout_free(&l);
}

/* ---- entry points ----------------------------------------------------------------- */

int report_board(store_t *st, const report_board_opts_t *opts, strbuf_t *out, char *err)
{
    const char *format = opts->format ? opts->format : "table";
    const char *sort = opts->sort ? opts->sort : "best";
    const s_format_t *fmt = s_format(format);
    if (!fmt) {
        set_err(err, "unknown format '%s' (table, csv, json or md)", format);
        return 1;
    }
    if (s_sort(sort) < 0) {
        set_err(err, "unknown sort key '%s' (%s)", sort, report_sort_keys);
        return 1;
    }
    report_data_t d;
    int rc = report_data_load(st, NULL, &d, err);
    if (rc != 0)
        return rc;
    report_models(&d, opts->is_model);
    double now = now_secs();
    s_entry_t *e = NULL;
    int n = 0;
    rc = s_board(&d, opts, (s_key_t)s_sort(sort), now, &e, &n, err);
    if (rc == 0 && n == 0 && strcmp(format, "table") == 0)
        sb_puts(out, "no studies\n"); /* as hps status says; csv/json/md keep their shape */
    else if (rc == 0 && fmt->render)
        s_board_grid(fmt, e, n, now, out);
    else if (rc == 0)
        s_board_json(fmt, e, n, now, out);
    free(e);
    report_data_free(&d);
    return rc;
}

int report_leaderboard(store_t *st, const char *format,
                       bool (*is_model)(const char *objective_type), strbuf_t *out, char *err)
{
    report_board_opts_t o = {.format = format, .is_model = is_model};
    return report_board(st, &o, out, err);
}
