/* report_board — the leaderboard (the grid renderers are in report_grid.c).
 *
 * One row model (report_row_t) becomes one set of cells per study: a rounded, human
 * text and a raw, machine value for each field. A format is then only a choice of
 * fields plus a renderer: table and Markdown show the human fields ("0.912 ± 0.011",
 * "4m05s"), CSV and JSON the machine ones (full precision, separate std, seconds), so
 * a script never has to parse "±". */
#include "core/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/report_priv.h"

/* ---- leaderboard fields ----------------------------------------------------------- */

enum {
    F_STUDY, F_MODEL, F_STRATEGY, F_STATE, F_TRIALS, F_COMPLETE, F_NTRIALS, F_BEST_PM,
    F_BEST, F_STD, F_TEST, F_TIER, F_STAGE, F_FORCED, F_WALL, F_N
};

typedef enum { T_STR, T_NUM, T_BOOL } s_type_t;

static const struct {
    const char *key;   /* CSV header and JSON name */
    const char *title; /* table and Markdown header */
    s_type_t type;     /* of the raw value, for JSON */
    bool right;        /* right-aligned in tables */
} s_fields[F_N] = {
    [F_STUDY] = {"study", "study", T_STR, false},
    [F_MODEL] = {"model", "model", T_STR, false},
    [F_STRATEGY] = {"strategy", "strategy", T_STR, false},
    [F_STATE] = {"state", "state", T_STR, false},
    [F_TRIALS] = {"trials", "trials", T_STR, true},
    [F_COMPLETE] = {"complete", "complete", T_NUM, true},
    [F_NTRIALS] = {"n_trials", "n_trials", T_NUM, true},
    [F_BEST_PM] = {"best", "best ± std", T_STR, true},
    [F_BEST] = {"best", "best", T_NUM, true},
    [F_STD] = {"best_std", "std", T_NUM, true},
    [F_TEST] = {"test_score", "test", T_NUM, true},
    [F_TIER] = {"tier", "tier", T_STR, false},
    [F_STAGE] = {"stage", "stage", T_STR, false},
    [F_FORCED] = {"forced", "forced", T_BOOL, false},
    [F_WALL] = {"wall_secs", "wall", T_NUM, true},
};

static const int s_human[] = {F_STUDY, F_MODEL, F_STRATEGY, F_TRIALS, F_BEST_PM,
                              F_TEST,  F_TIER,  F_STAGE,    F_WALL};
static const int s_machine[] = {F_STUDY, F_MODEL, F_STRATEGY, F_STATE, F_COMPLETE,
                                F_NTRIALS, F_BEST, F_STD, F_TEST, F_TIER, F_STAGE,
                                F_FORCED, F_WALL};

typedef struct {
    const char *name;
    const int *fields;
    int nfields;
    bool machine;                                       /* raw values, keys as headers */
    void (*render)(const report_grid_t *g, strbuf_t *out); /* NULL = JSON */
} s_format_t;

static const s_format_t s_formats[] = {
    {"table", s_human, (int)ARRAY_SIZE(s_human), false, report_grid_table},
    {"md", s_human, (int)ARRAY_SIZE(s_human), false, report_grid_md},
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

/* Every field of one study, human text and raw value (NULL raw = none). */
static void s_row_cells(const report_row_t *r, double now, char **text, char **raw)
{
    s_set(text, raw, F_STUDY, xstrdup(r->name));
    s_set(text, raw, F_MODEL, r->model ? xstrdup(r->model) : NULL);
    s_set(text, raw, F_STRATEGY, r->strategy ? xstrdup(r->strategy) : NULL);
    s_set(text, raw, F_STATE, xstrdup(r->state));
    s_set(text, raw, F_TRIALS,
          xasprintf("%ld/%ld", r->counts[TRIAL_COMPLETE], r->n_trials));
    s_set_num(text, raw, F_COMPLETE, (double)r->counts[TRIAL_COMPLETE]);
    s_set_num(text, raw, F_NTRIALS, (double)r->n_trials);
    double best = r->has_best ? r->best_value : NAN;
    double std = r->has_best ? r->best_std : NAN;
    s_set_num(text, raw, F_BEST, best);
    s_set_num(text, raw, F_STD, std);
    s_set(text, raw, F_BEST_PM,
          isnan(best)  ? NULL
          : isnan(std) ? xasprintf("%.5g", best)
                       : xasprintf("%.5g ± %.2g", best, std));
    s_set_num(text, raw, F_TEST, r->test_score);
    s_set(text, raw, F_TIER, r->tier ? xstrdup(r->tier) : NULL);
    s_set(text, raw, F_STAGE, r->stage ? xstrdup(r->stage) : NULL);
    if (r->stage && r->stage_forced) {
        free(text[F_STAGE]);
        text[F_STAGE] = xasprintf("%s (forced)", r->stage);
    }
    s_set(text, raw, F_FORCED, xstrdup(r->stage && r->stage_forced ? "true" : "false"));
    double wall = report_row_wall(r, now);
    s_set_num(text, raw, F_WALL, round(wall * 1000) / 1000); /* ms: clocks say no more */
    free(text[F_WALL]);
    text[F_WALL] = report_duration(wall);
}

static void s_cells_free(char **text, char **raw)
{
    for (int f = 0; f < F_N; f++) {
        free(text[f]);
        free(raw[f]);
    }
}

static void s_json_value(strbuf_t *out, int f, const char *raw)
{
    if (!raw)
        sb_puts(out, "null");
    else if (s_fields[f].type == T_STR)
        sb_json_str(out, raw);
    else
        sb_puts(out, raw);
}

static void s_board_json(const s_format_t *fmt, const report_data_t *d, double now,
                         strbuf_t *out)
{
    sb_putc(out, '[');
    for (int i = 0; i < d->n_rows; i++) {
        char *text[F_N], *raw[F_N];
        s_row_cells(&d->rows[i], now, text, raw);
        sb_puts(out, i ? ",\n  {" : "\n  {");
        for (int c = 0; c < fmt->nfields; c++) {
            int f = fmt->fields[c];
            sb_printf(out, "%s\"%s\": ", c ? ", " : "", s_fields[f].key);
            s_json_value(out, f, raw[f]);
        }
        sb_putc(out, '}');
        s_cells_free(text, raw);
    }
    sb_puts(out, d->n_rows ? "\n]\n" : "]\n");
}

static void s_board_grid(const s_format_t *fmt, const report_data_t *d, double now,
                         strbuf_t *out)
{
    const char *titles[F_N];
    bool right[F_N];
    for (int c = 0; c < fmt->nfields; c++) {
        int f = fmt->fields[c];
        titles[c] = fmt->machine ? s_fields[f].key : s_fields[f].title;
        right[c] = !fmt->machine && s_fields[f].right;
    }
    report_grid_t g;
    report_grid_init(&g, fmt->nfields, titles, right);
    for (int i = 0; i < d->n_rows; i++) {
        char *text[F_N], *raw[F_N];
        s_row_cells(&d->rows[i], now, text, raw);
        for (int c = 0; c < fmt->nfields; c++) {
            char **cell = fmt->machine ? &raw[fmt->fields[c]] : &text[fmt->fields[c]];
            report_grid_put(&g, *cell); /* the grid takes it over */
            *cell = NULL;
        }
        s_cells_free(text, raw);
    }
    fmt->render(&g, out);
    report_grid_free(&g);
}

int report_leaderboard(store_t *st, const char *format, strbuf_t *out, char *err)
{
    const s_format_t *fmt = s_format(format);
    if (!fmt) {
        set_err(err, "unknown format '%s' (table, csv, json or md)", format ? format : "");
        return 1;
    }
    report_data_t d;
    int rc = report_data_load(st, NULL, &d, err);
    if (rc != 0)
        return rc;
    if (fmt->render)
        s_board_grid(fmt, &d, now_secs(), out);
    else
        s_board_json(fmt, &d, now_secs(), out);
    report_data_free(&d);
    return 0;
}
