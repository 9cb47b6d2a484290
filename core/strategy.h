/* strategy — the evaluation strategy of a study (its `strategy:` section), validated.
 *
 *   quick     a validation holdout carved from the training part (val_fraction);
 *             promotion tier "limited"
 *   balanced  train / validation / test: the same holdout mechanics, tier "standard"
 *   rigorous  stratified k-fold CV on the training part, the value is the mean fold
 *             score and each fold is REPORTed (so pruners can stop a trial early);
 *             tier "high-confidence" when the folds agree with each other and with
 *             the test score (core/promote.h)
 *
 * In every strategy the independent test split (`test: {column, value}` or
 * `test: {fraction}`) is carved first and touched only by the final refit.
 *
 * Split seed: `strategy.seed`, else the study's top-level `seed`, else `sampler.seed`,
 * else 0. It is a property of the study, never of a trial, so every trial of a study
 * is scored on the same rows and their values are comparable.
 *
 * Defaults (no `strategy:` section): quick, metric accuracy (classification) or rmse
 * (regression), test fraction 0.2, val_fraction 0.2, folds 5, max_fold_std 0.02. */
#ifndef HPS_STRATEGY_H
#define HPS_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/study.h"

typedef enum { STRATEGY_QUICK = 0, STRATEGY_BALANCED, STRATEGY_RIGOROUS } strategy_kind_t;

typedef enum { TASK_UNKNOWN = 0, TASK_CLASSIFICATION, TASK_REGRESSION } task_t;

typedef struct {
    strategy_kind_t kind;
    const char *name;          /* "quick", "balanced", "rigorous"; static */
    int folds;                 /* rigorous: k */
    int metric;                /* metric_t; -1 = the task's default, decided at run time */
    const char *test_column;   /* test rows are those where column == value; borrowed */
    const char *test_value;    /* borrowed from the config tree */
    double test_fraction;      /* used when test_column is NULL */
    double val_fraction;       /* quick and balanced */
    uint64_t seed;             /* split seed (see above) */
    double max_fold_std;       /* promotion bound for rigorous */
} strategy_t;

/* The task a study's data section declares: a `target:` key means regression, a
 * `label:` key classification, neither: unknown until the data is read. */
task_t strategy_task(const study_config_t *study);

/* Parse and validate study->strategy (NULL = defaults) for task. Appends every problem
 * to errs (file:line:col); 0 ok, -1 on errors. Strings borrow from the study. */
int strategy_parse(const study_config_t *study, task_t task, strategy_t *out,
                   cfg_errs_t *errs);

/* The metric to use for task: s->metric, else accuracy or rmse. */
int strategy_metric(const strategy_t *s, task_t task);

void strategy_test(bool verbose);

#endif
