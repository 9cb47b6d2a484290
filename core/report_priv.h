/* report_priv — what the report files share: the per-study row model both status and
 * the leaderboard are built from, the worker rows, and a grid of text cells that the
 * table, CSV and Markdown renderers draw. Internal to core/report*.c. */
#ifndef HPS_REPORT_PRIV_H
#define HPS_REPORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/store.h"
#include "core/trial.h"
#include "core/util.h"

/* One parameter of a study's best trial. */
typedef struct {
    char *name;    /* owned */
    char *json;    /* JSON value: 0.0123, 3, "l2"; owned */
    char *text;    /* plain text, full precision: 0.0123, 3, l2; owned */
    bool is_float; /* a float parameter: value holds it, for rounding in human views */
    double value;
} report_param_t;

/* Everything any report shows about one study. */
typedef struct {
    int64_t id;
    char *name;                 /* owned */
    char *model;                /* objective.type; NULL = absent; owned */
    char *strategy;             /* strategy.type; NULL = absent; owned */
    char *metric;               /* what value scores (accuracy, rmse, ...); NULL = a
                                 * synthetic or command objective's own value (once
                                 * report_models ran); owned */
    char *own_metric;           /* objective.metric a command objective declared, which
                                 * report_models makes its metric; owned */
    char state[16];             /* running | done | stopped */
    direction_t direction;
    long n_trials;
    long counts[TRIAL_NSTATES]; /* search trials by state */
    bool has_best;              /* a COMPLETE search trial with a value exists */
    long best_number;
    double best_value;
    double best_std;            /* cv_std of the best trial; NaN = none */
    char *best_params;          /* JSON object; NULL = not renderable; owned */
    report_param_t *params;     /* the same decoded, config order; owned */
    int n_params;               /* 0 when best_params is NULL */
    double test_score;          /* final refit on the test split; NaN = none */
    char *tier;                 /* NULL until the final refit; owned */
    char *stage;                /* latest promotion; NULL = none; owned */
    bool stage_forced;
    double created, finished;   /* epoch seconds; finished NaN while running */
} report_row_t;

typedef store_worker_t report_worker_t; /* a worker row (core/store.h) */

/* Load the rows (one study, or all when study is NULL) and the workers in one read
 * snapshot. 0 ok, 1 unknown study, -1 DB error. Free with report_data_free. */
typedef struct {
    report_row_t *rows;
    int n_rows;
    report_worker_t *workers;   /* the REPORT_WORKERS_MAX heard from last, by name */
    int n_workers;
    long n_workers_total;       /* rows in the file: more than n_workers when capped */
} report_data_t;
#define REPORT_WORKERS_MAX 500  /* a status lists at most this many workers: bounded
                                   replies however many names a flood left behind */
int report_data_load(store_t *st, const char *study, report_data_t *out, char *err);
void report_data_free(report_data_t *d);
/* Settle model, metric and strategy of the rows: a model objective (is_model says which
 * objective types are, NULL = none) keeps its metric and gets the default strategy
 * "quick"; others keep only the metric their objective declared (objective.metric of
 * a command). Until then every row has the metric it would have as a model. */
void report_models(report_data_t *d, bool (*is_model)(const char *objective_type));

/* Wall time of a study: finished - created, or now - created while it runs. */
double report_row_wall(const report_row_t *r, double now);

/* A grid of text cells, row-major; cells are owned. */
typedef struct {
    int ncols;
    const char *const *titles; /* ncols header cells; borrowed */
    const bool *right;         /* ncols: right-align (numbers); borrowed */
    int n;                     /* cells appended so far */
    int cap;
    char **cells;
    int *breaks;               /* rows preceded by a blank line in a table, ascending */
    int n_breaks;
} report_grid_t;

void report_grid_init(report_grid_t *g, int ncols, const char *const *titles,
                      const bool *right);
/* Append the next cell; takes ownership of text (NULL renders as ""). */
void report_grid_put(report_grid_t *g, char *text);
/* A blank line before the next row appended, in the table renderer only (CSV and
 * Markdown would end or break there). */
void report_grid_break(report_grid_t *g);
void report_grid_free(report_grid_t *g);
/* Renderers; none can fail. */
void report_grid_table(const report_grid_t *g, strbuf_t *out);
void report_grid_csv(const report_grid_t *g, strbuf_t *out);
void report_grid_md(const report_grid_t *g, strbuf_t *out);

/* Human duration: "12.3s", "4m05s", "2h03m". Caller frees. */
char *report_duration(double secs);

#endif
