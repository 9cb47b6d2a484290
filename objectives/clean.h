/* clean — the `data:` section of a model study: columns by role, missing-value markers,
 * imputation and quantile winsorising (docs/data.md).
 *
 *   data:
 *     path: data/x.csv
 *     label: y                       # or target:
 *     text: [review]                 # TF-IDF columns
 *     numeric: [age]                 # declared numeric (a bad cell is an error)
 *     categorical: [zip]             # declared categorical (never typed numeric)
 *     missing: ["", "NA", "?"]       # markers of a missing cell (default: core/dataset.h)
 *     impute:                        # or `impute: median` for every column
 *       strategy: median             # every column: mean | median | most_frequent |
 *                                    #   constant | category (categorical columns only) |
 *                                    #   none (numeric columns; xgboost only)
 *       value: 0                     # with constant
 *       add_indicator: true          # a 0/1 "was missing" column per column with missing
 *       columns:                     # per column, over the above
 *         age: {strategy: constant, value: -1}
 *         zip: most_frequent
 *     clip: {low: 0.01, high: 0.99, columns: [income]}   # quantiles; default every
 *                                                        # numeric column
 *
 * Defaults: a numeric column's missing cells get the mean, a categorical column's their
 * own category. mean, median and none given for every column apply to the numeric ones
 * (the categorical ones keep their own category); most_frequent and constant apply to
 * both. none leaves a numeric column's missing cells missing (NaN) for a model that
 * takes them as they are (xgboost learns a default direction per split); the others
 * cannot, so with them none is a config error (clean_none_at).
 *
 * Everything is fitted on the fit rows of each fold by the feature transform
 * (objectives/features.c): the rules here only say what to fit. The options are a
 * self-contained copy: nothing borrows from the config after parsing. */
#ifndef HPS_CLEAN_H
#define HPS_CLEAN_H

#include <stdbool.h>

#include "core/dataset.h"
#include "core/study.h"

typedef enum {
    CLEAN_MEAN = 0,
    CLEAN_MEDIAN,
    CLEAN_MOST_FREQUENT,
    CLEAN_CONSTANT,
    CLEAN_CATEGORY, /* categorical: missing is a category of its own */
    CLEAN_NONE,     /* numeric: missing stays NaN (a model that takes NaN) */
} clean_strategy_t;

/* What to do with a column's missing cells. */
typedef struct {
    clean_strategy_t strategy;
    char *value;        /* CLEAN_CONSTANT: the value as written; owned */
    double num;         /* the same as a number, NaN when it is not one */
    bool add_indicator;
} clean_impute_t;

typedef struct {
    char *name;         /* column; owned */
    char *where;        /* "file:line:col: " of its key, for errors; owned */
    bool strategy_set;  /* its own strategy given (else the default's) */
    bool indicator_set; /* its own add_indicator given (else the default's) */
    clean_impute_t imp;
} clean_column_t;

typedef struct clean_opts_s {
    char **missing;     /* markers; owned; NULL = the loader's defaults */
    int n_missing;
    clean_impute_t all; /* impute's top level */
    bool all_set;       /* impute.strategy given */
    char *all_where;    /* location of impute.value / strategy; owned */
    clean_column_t *cols; /* impute.columns; owned */
    int n_cols;
    bool clip;          /* quantile winsorising */
    double q_low, q_high;
    clean_column_t *clip_cols; /* clip.columns (name and where only); NULL = every
                                  numeric column */
    int n_clip_cols;
} clean_opts_t;

/* The data section, with its lists gathered (names borrowed from the config). */
typedef struct {
    const char *path, *label, *target;
    const char **text, **numeric, **categorical; /* owned arrays */
    int n_text, n_numeric, n_categorical;
    clean_opts_t clean; /* owned */
} clean_data_t;

/* Parse study->data; 0, or -1 with errors located in the config. clean_data_free
 * always (also after an error). */
int clean_data_parse(const study_config_t *study, clean_data_t *d, cfg_errs_t *errs);
void clean_data_free(clean_data_t *d);
/* The node of the first impute rule with strategy none in a data section (the
 * strategy's value), or NULL: for the model's check that it takes missing cells. */
const cfg_node_t *clean_none_at(const cfg_node_t *data);
/* Loader options for d (borrowing from it). */
void clean_data_opts(const clean_data_t *d, dataset_opts_t *o);
/* Move d's cleaning options out (d keeps empty ones). */
void clean_opts_take(clean_data_t *d, clean_opts_t *out);
void clean_opts_free(clean_opts_t *o);

/* Check the options against the loaded data: every named column exists, strategies fit
 * the column's type (mean, median or none on a categorical column, category on a
 * numeric one, constant with a non-number for a numeric one are errors). 0, or -1 with err
 * "file:line:col: data.impute.columns.x: ...". */
int clean_opts_check(const clean_opts_t *o, const dataset_t *ds, char *err);

/* A column that is in the data but not a feature (the test split column, name): an
 * impute or clip rule for it is an error, located at the rule ("...: 'fold' is why, not
 * a feature"). 0, or -1 with err. */
int clean_opts_not_feature(const clean_opts_t *o, const char *name, const char *why,
                           char *err);
/* The rule for column name (numeric or not): its own, else the default for its type. */
clean_impute_t clean_rule(const clean_opts_t *o, const char *name, bool numeric);
/* Whether numeric column name is winsorised. */
bool clean_clips(const clean_opts_t *o, const char *name);

/* Fitting on the observed values of the fit rows (v[0..n), no NaN, sorted in place):
 * the q-quantile (linear between order statistics, as numpy's default), the mean, the
 * median and the most frequent value (the smallest of ties). 0 when n is 0. */
double clean_quantile(const double *sorted, int n, double q);
/* The fill value of a numeric column under rule r from its observed fit values
 * (sorted ascending, already clipped); NaN under none. */
double clean_fill(const clean_impute_t *r, const double *sorted, int n);

void clean_test(bool verbose);

#endif
