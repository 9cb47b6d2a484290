/* strategy — parse and validate the `strategy:` section (see strategy.h). */
#include "core/strategy.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "core/promote.h"

#define STRATEGY_MAX_FOLDS 64 /* matches OBJ_MAX_FOLDS, the result record's capacity */

static const char *const s_kinds[] = {"quick", "balanced", "rigorous"};
static const char *const s_keys[] = {"type", "folds", "metric", "test", "val_fraction",
                                     "seed", "max_fold_std", NULL};
static const char *const s_holdout_keys[] = {"column", "value", "fraction", NULL};

task_t strategy_task(const study_config_t *study)
{
    if (cfg_get(study->data, "target"))
        return TASK_REGRESSION;
    if (cfg_get(study->data, "label"))
        return TASK_CLASSIFICATION;
    return TASK_UNKNOWN;
}

int strategy_metric(const strategy_t *s, task_t task)
{
    if (s->metric >= 0)
        return s->metric;
    return task == TASK_REGRESSION ? METRIC_RMSE : METRIC_ACCURACY;
}

/* The split seed: strategy.seed, study seed, sampler.seed, 0. */
static void s_seed(const study_config_t *study, strategy_t *out, cfg_errs_t *errs)
{
    long seed = 0;
    const cfg_node_t *where = study->strategy;
    if (!cfg_get(where, "seed"))
        where = cfg_get(study->root, "seed") ? study->root : study->sampler;
    if (cfg_long(where, "seed", 0, &seed, errs) == 0 && seed < 0)
        cfg_error(errs, cfg_get(where, "seed"), "seed: must be >= 0");
    out->seed = (uint64_t)(seed < 0 ? 0 : seed);
}

static void s_test(const cfg_node_t *test, strategy_t *out, cfg_errs_t *errs)
{
    if (!test)
        return;
    if (test->type != CFG_MAP) {
        cfg_error(errs, test, "test: expected {column: NAME, value: V} or {fraction: F}");
        return;
    }
    cfg_check_keys(test, s_holdout_keys, errs);
    cfg_str(test, "column", NULL, &out->test_column, errs);
    cfg_str(test, "value", NULL, &out->test_value, errs);
    bool has_fraction = cfg_get(test, "fraction") != NULL;
    cfg_double(test, "fraction", out->test_fraction, &out->test_fraction, errs);
    if (has_fraction && out->test_column)
        cfg_error(errs, test, "test: give either column/value or fraction, not both");
    else if (!out->test_column != !out->test_value)
        cfg_error(errs, test, "test: column and value go together");
    if (has_fraction && !(out->test_fraction > 0 && out->test_fraction < 1))
        cfg_error(errs, cfg_get(test, "fraction"), "test.fraction: must be in (0, 1)");
}

/* type and metric. */
static void s_kind_metric(const cfg_node_t *st, task_t task, strategy_t *out, cfg_errs_t *errs)
{
    const char *type = "quick", *metric = NULL;
    if (cfg_str(st, "type", "quick", &type, errs) == 0) {
        size_t k = 0;
        while (k < ARRAY_SIZE(s_kinds) && strcmp(s_kinds[k], type) != 0)
            k++;
        if (k == ARRAY_SIZE(s_kinds))
            cfg_error(errs, cfg_get(st, "type"),
                      "strategy.type: expected quick, balanced or rigorous, got '%s'", type);
        else
            out->kind = (strategy_kind_t)k;
    }
    out->name = s_kinds[out->kind];
    if (cfg_str(st, "metric", NULL, &metric, errs) != 0 || !metric)
        return;
    out->metric = metric_lookup(metric);
    if (out->metric < 0) {
        cfg_error(errs, cfg_get(st, "metric"), "strategy.metric: unknown metric '%s' "
                  "(accuracy, f1, roc_auc, logloss, rmse, mae, r2)", metric);
        return;
    }
    bool cls = metric_is_classification((metric_t)out->metric);
    if ((task == TASK_CLASSIFICATION && !cls) || (task == TASK_REGRESSION && cls))
        cfg_error(errs, cfg_get(st, "metric"), "strategy.metric: %s is a %s metric, the "
                  "data has a %s column", metric, cls ? "classification" : "regression",
                  cls ? "target" : "label");
}

int strategy_parse(const study_config_t *study, task_t task, strategy_t *out,
                   cfg_errs_t *errs)
{
    assert(study && out && errs);
    int before = errs->n;
    const cfg_node_t *st = study->strategy;
    *out = (strategy_t){.kind = STRATEGY_QUICK, .folds = 5, .metric = -1,
                        .test_fraction = 0.2, .val_fraction = 0.2,
                        .max_fold_std = PROMOTE_MAX_FOLD_STD};
    cfg_check_keys(st, s_keys, errs);
    s_kind_metric(st, task, out, errs);
    long folds = 5;
    if (cfg_long(st, "folds", 5, &folds, errs) == 0 &&
        (folds < 2 || folds > STRATEGY_MAX_FOLDS))
        cfg_error(errs, cfg_get(st, "folds"), "strategy.folds: must be between 2 and %d",
                  STRATEGY_MAX_FOLDS);
    else
        out->folds = (int)folds;
    if (cfg_double(st, "val_fraction", 0.2, &out->val_fraction, errs) == 0 &&
        !(out->val_fraction > 0 && out->val_fraction < 1))
        cfg_error(errs, cfg_get(st, "val_fraction"), "strategy.val_fraction: must be in (0, 1)");
    if (cfg_double(st, "max_fold_std", PROMOTE_MAX_FOLD_STD, &out->max_fold_std, errs) == 0 &&
        !(out->max_fold_std >= 0))
        cfg_error(errs, cfg_get(st, "max_fold_std"), "strategy.max_fold_std: must be >= 0");
    s_test(cfg_get(st, "test"), out, errs);
    s_seed(study, out, errs);
    return errs->n > before ? -1 : 0;
}

/* Parse yaml as a study tree and its strategy; returns the number of errors. The
 * strings of out borrow from the tree, kept until the next call. */
static int s_try(const char *yaml, strategy_t *out, cfg_errs_t *errs)
{
    static cfg_node_t *root;
    cfg_free(&root);
    cfg_errs_init(errs);
    if (!yaml)
        return 0;
    root = cfg_parse(yaml, strlen(yaml), "s.yaml", errs);
    assert(root);
    study_config_t s = {.root = root};
    s.strategy = cfg_get(root, "strategy");
    s.sampler = cfg_get(root, "sampler");
    s.data = cfg_get(root, "data");
    strategy_parse(&s, strategy_task(&s), out, errs);
    return errs->n;
}

static bool s_has(const cfg_errs_t *e, const char *want)
{
    for (int i = 0; i < e->n; i++)
        if (strstr(e->msgs[i], want))
            return true;
    fprintf(stderr, "strategy_test: no error '%s' among %d\n", want, e->n);
    for (int i = 0; i < e->n; i++)
        fprintf(stderr, "  %s\n", e->msgs[i]);
    return false;
}

void strategy_test(bool verbose)
{
    if (verbose)
        printf(" * strategy:\n");
    strategy_t s;
    cfg_errs_t e;
    assert(s_try("data: {label: y}\n", &s, &e) == 0);
    assert(s.kind == STRATEGY_QUICK && s.folds == 5 && s.metric == -1 && !s.test_column);
    assert(s.test_fraction == 0.2 && s.seed == 0 && !strcmp(s.name, "quick"));
    assert(strategy_metric(&s, TASK_CLASSIFICATION) == METRIC_ACCURACY);
    assert(strategy_metric(&s, TASK_REGRESSION) == METRIC_RMSE);
    cfg_errs_free(&e);
    assert(s_try("sampler: {seed: 7}\nseed: 3\nstrategy: {type: rigorous, folds: 10, "
                 "metric: f1, test: {column: split, value: test}, seed: 11}\n",
                 &s, &e) == 0);
    assert(s.kind == STRATEGY_RIGOROUS && s.folds == 10 && s.metric == METRIC_F1);
    assert(!strcmp(s.test_column, "split") && !strcmp(s.test_value, "test") && s.seed == 11);
    cfg_errs_free(&e);
    assert(s_try("sampler: {seed: 7}\nseed: 3\n", &s, &e) == 0 && s.seed == 3);
    cfg_errs_free(&e);
    assert(s_try("sampler: {seed: 7}\n", &s, &e) == 0 && s.seed == 7);
    cfg_errs_free(&e);
    assert(s_try("strategy: {type: balanced, test: {fraction: 0.3}, val_fraction: 0.1}\n",
                 &s, &e) == 0);
    assert(s.kind == STRATEGY_BALANCED && s.test_fraction == 0.3 && s.val_fraction == 0.1);
    cfg_errs_free(&e);
    assert(s_try("data: {label: y}\nstrategy:\n  type: fast\n  folds: 1\n  metric: rmse\n"
                 "  val_fraction: 1.5\n  test: {fraction: 2, column: s, value: t}\n"
                 "  fold: 3\n", &s, &e) == 7);
    assert(s_has(&e, "s.yaml:3:9: strategy.type: expected quick, balanced or rigorous"));
    assert(s_has(&e, "s.yaml:4:10: strategy.folds: must be between 2"));
    assert(s_has(&e, "strategy.metric: rmse is a regression metric"));
    assert(s_has(&e, "strategy.val_fraction: must be in (0, 1)"));
    assert(s_has(&e, "test: give either column/value or fraction"));
    assert(s_has(&e, "s.yaml:8:3: unknown key 'fold'"));
    cfg_errs_free(&e);
    assert(s_try("data: {target: y}\nstrategy: {metric: acc, test: {column: s}}\n", &s, &e) == 2);
    assert(s_has(&e, "unknown metric 'acc'") && s_has(&e, "column and value go together"));
    cfg_errs_free(&e);
    s_try(NULL, &s, &e);
}
