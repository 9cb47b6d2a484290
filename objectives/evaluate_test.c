/* evaluate_test — the model objectives end to end, through the objective registry:
 * configs in, results out, on the bundled data (skipped when data/ is not there). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objectives/features_priv.h"
#include "objectives/model_io.h"
#include "objectives/objective.h"

static const study_checks_t s_checks = {objective_check_study, NULL, NULL};

/* Load a study from YAML text via a temporary file; NULL with the errors printed
 * when want_error is NULL, else asserts an error containing want_error. */
static study_config_t *s_study(const char *yaml, const char *want_error)
{
    char path[] = "/tmp/hps-evaluate-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert(fd >= 0);
    size_t len = strlen(yaml);
    assert(write(fd, yaml, len) == (ssize_t)len && close(fd) == 0);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *s = study_config_load(path, 0, NULL, &s_checks, &errs);
    unlink(path);
    bool found = false;
    for (int i = 0; i < errs.n; i++)
        found = found || (want_error && strstr(errs.msgs[i], want_error));
    if (want_error ? !found : !s)
        cfg_errs_print(&errs, stderr);
    assert(want_error ? !s && found : s != NULL);
    cfg_errs_free(&errs);
    return s;
}

typedef struct {
    int calls;
    long steps[64];
    int prune_at; /* step at which to answer "prune"; -1 never */
} s_reports_t;

static int s_report(void *arg, long step, double value)
{
    s_reports_t *r = arg;
    assert(r->calls < 64 && !isnan(value));
    r->steps[r->calls++] = step;
    return step == r->prune_at;
}

static void s_run(const study_config_t *s, const double *x, bool final, const char *cache,
                  s_reports_t *rep, objective_result_t *res)
{
    const char *type = NULL;
    cfg_str(s->objective, "type", NULL, &type, NULL);
    objective_ctx_t ctx = {.study = s, .x = x, .seed = 99, .cache_dir = cache,
                           .final = final, .report = rep ? s_report : NULL,
                           .report_arg = rep};
    objective_find(type)->run(&ctx, res);
    if (res->state == TRIAL_FAIL)
        fprintf(stderr, "evaluate_test: %s\n", res->error);
}

static const char *s_reviews =
    "study: t\nn_trials: 1\nsampler: {type: random, seed: 5}\n"
    "data: {path: data/reviews.csv, label: label, text: [text]}\n"
    "objective: {type: logreg, min_df: 2}\n"
    "space: {C: {type: float, low: 0.1, high: 100, log: true}}\n";

static void s_test_reviews(bool verbose, const char *cache)
{
    char *yaml = xasprintf("%sstrategy: {type: rigorous, folds: 4, "
                           "test: {column: split, value: test}}\n", s_reviews);
    study_config_t *s = s_study(yaml, NULL);
    free(yaml);
    assert(s->direction == DIR_MAXIMIZE);
    double x[] = {10.0};
    objective_result_t res;
    s_reports_t rep = {.prune_at = -1};
    double t0 = now_secs();
    s_run(s, x, false, cache, &rep, &res);
    double secs = now_secs() - t0;
    assert(res.state == TRIAL_COMPLETE && res.n_folds == 4 && rep.calls == 4);
    double mean = 0;
    for (int f = 0; f < 4; f++) {
        assert(rep.steps[f] == f && res.fold_scores[f] > 0.75 && res.fold_scores[f] < 1);
        mean += res.fold_scores[f] / 4;
    }
    assert(fabs(mean - res.value) < 1e-12 && res.cv_mean == res.value && res.cv_std < 0.05);
    assert(isnan(res.test_score) && isnan(res.val_score));
    /* Again from the feature cache, with another trial seed: the same splits and value. */
    objective_result_t again;
    double t1 = now_secs();
    s_run(s, x, false, cache, NULL, &again);
    if (verbose)
        printf("  reviews rigorous 4-fold: cv %.4f ± %.4f, %.2f s (cached: %.2f s)\n",
               res.cv_mean, res.cv_std, secs, now_secs() - t1);
    assert(again.state == TRIAL_COMPLETE && again.value == res.value);
    /* A pruner that says stop after fold 1. */
    rep = (s_reports_t){.prune_at = 1};
    s_run(s, x, false, cache, &rep, &res);
    assert(res.state == TRIAL_PRUNED && res.n_folds == 2 && rep.calls == 2);
    assert(res.value == (res.fold_scores[0] + res.fold_scores[1]) / 2);
    /* The final refit scores the test rows once. */
    s_run(s, x, true, cache, NULL, &res);
    if (verbose)
        printf("  reviews final test accuracy: %.4f\n", res.test_score);
    assert(res.state == TRIAL_COMPLETE && res.test_score > 0.8 && res.value == res.test_score);
    study_config_destroy(&s);
}

static void s_test_other_data(bool verbose)
{
    study_config_t *s = s_study(
        "study: t\nn_trials: 1\nsampler: {type: random}\n"
        "data: {path: data/wine.csv, label: label}\nobjective: {type: logreg, max_iter: 500}\n"
        "space: {C: {type: float, low: 0.1, high: 10}}\n"
        "strategy: {type: balanced, metric: f1, test: {fraction: 0.25}, seed: 3}\n", NULL);
    double x[] = {1.0};
    objective_result_t res;
    s_run(s, x, false, NULL, NULL, &res);
    assert(res.state == TRIAL_COMPLETE && res.val_score == res.value && res.value > 0.85);
    if (verbose)
        printf("  wine balanced macro-f1: %.4f\n", res.value);
    study_config_destroy(&s);
    s = s_study("study: t\nn_trials: 1\nsampler: {type: random}\n"
                "data: {path: data/diamonds.csv, target: target}\nobjective: {type: ridge}\n"
                "space: {alpha: {type: float, low: 0.001, high: 10, log: true}}\n"
                "strategy: {type: quick, metric: r2}\n", NULL);
    assert(s->direction == DIR_MAXIMIZE);
    x[0] = 1.0;
    s_run(s, x, false, NULL, NULL, &res);
    if (verbose)
        printf("  diamonds quick ridge r2 (one-hot cut/color/clarity): %.4f\n", res.value);
    assert(res.state == TRIAL_COMPLETE && res.value > 0.85);
    study_config_destroy(&s);
}

static void s_test_errors(void)
{
    const char *base = "study: t\nn_trials: 1\nsampler: {type: random}\n";
    char *y = xasprintf("%sdata: {path: data/x.csv, label: y}\nobjective: {type: logreg, "
                        "Cee: 1}\nspace: {alpha: {type: float, low: 1, high: 2}}\n"
                        "strategy: {metric: rmse}\n", base);
    s_study(y, ":5:27: unknown key 'Cee'");
    s_study(y, "6:9: space.alpha: logreg takes no parameter 'alpha' (parameters: C, hash_bits");
    s_study(y, "strategy.metric: rmse is a regression metric");
    free(y);
    y = xasprintf("%sdata: {path: data/x.csv, label: y}\nobjective: {type: logreg}\n"
                  "space: {CC: {type: float, low: 1, high: 2}}\n", base);
    s_study(y, "space.CC: logreg takes no parameter 'CC' (did you mean 'C'? parameters: C, ");
    free(y);
    y = xasprintf("%sdata: {target: y}\nobjective: {type: logreg, hash_bits: 40}\n"
                  "space: {C: {type: float, low: 1, high: 2}}\n", base);
    s_study(y, "data: missing required key 'path'");
    s_study(y, "objective: logreg does not do regression");
    s_study(y, "hash_bits: must be between 10 and 24");
    free(y);
    /* A bad CSV fails the trial with file:line. */
    char path[] = "/tmp/hps-evaluate-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    const char *csv = "a,label\n1,0\n2,1,3\n";
    assert(fd >= 0 && write(fd, csv, strlen(csv)) == (ssize_t)strlen(csv) && close(fd) == 0);
    y = xasprintf("%sdata: {path: %s}\nobjective: {type: logreg}\n"
                  "space: {C: {type: float, low: 1, high: 2}}\n", base, path);
    study_config_t *s = s_study(y, NULL);
    double x[] = {1.0};
    objective_result_t res;
    objective_ctx_t ctx = {.study = s, .x = x};
    objective_find("logreg")->run(&ctx, &res);
    char *want = xasprintf("%s:3: expected 2 fields, got 3", path);
    assert(res.state == TRIAL_FAIL && strstr(res.error, want) && isnan(res.value));
    free(want);
    study_config_destroy(&s);
    free(y);
    unlink(path);
}

/* A small two-class CSV at path: x predicts the label except every seventh row. */
static void s_write_csv(const char *path, int rows)
{
    FILE *f = fopen(path, "w");
    assert(f);
    fprintf(f, "x,z,label\n");
    for (int i = 0; i < rows; i++) {
        double x = (double)((i * 37) % rows) / rows;
        fprintf(f, "%.4f,%d,%d\n", x, (i * 13) % 5, (x > 0.5) ^ (i % 7 == 0));
    }
    assert(fclose(f) == 0);
}

static study_config_t *s_cache_study(const char *csv, const char *strategy)
{
    char *y = xasprintf("study: t\nn_trials: 1\nsampler: {type: random}\n"
                        "data: {path: %s, label: label}\nobjective: {type: logreg}\n"
                        "space: {C: {type: float, low: 0.1, high: 10}}\nstrategy: %s\n",
                        csv, strategy);
    study_config_t *s = s_study(y, NULL);
    free(y);
    return s;
}

/* Run s and check the cache afterwards: held studies and loads so far. */
static double s_cached_run(const study_config_t *s, int held, long loads)
{
    double x[] = {1.0};
    objective_result_t res;
    s_run(s, x, false, NULL, NULL, &res);
    assert(res.state == TRIAL_COMPLETE);
    int h;
    long l;
    evaluate_cache_stats(&h, &l);
    assert(h == held && l == loads);
    return res.value;
}

/* Trials of a study reuse its data, splits and folds; the cache holds two studies, the
 * least recently used goes, and a file rewritten in place is read again. */
static void s_test_cache(void)
{
    char csv[] = "/tmp/hps-evaluate-cache-XXXXXX.csv";
    int fd = mkstemps(csv, 4);
    assert(fd >= 0 && close(fd) == 0);
    s_write_csv(csv, 90);
    const char *rigorous = "{type: rigorous, folds: 3, test: {column: z, value: '3'}}";
    study_config_t *a = s_cache_study(csv, rigorous);
    study_config_t *b = s_cache_study(csv, "{type: quick}");
    study_config_t *c = s_cache_study(csv, "{type: balanced, seed: 4}");
    evaluate_cache_clear();
    int held;
    long l0;
    evaluate_cache_stats(&held, &l0);
    assert(held == 0);
    double va = s_cached_run(a, 1, l0 + 1);
    assert(s_cached_run(a, 1, l0 + 1) == va); /* the same study: no new load */
    s_cached_run(b, 2, l0 + 2);
    double vc = s_cached_run(c, 2, l0 + 3); /* a goes: least recently used */
    assert(s_cached_run(a, 2, l0 + 4) == va);
    assert(s_cached_run(c, 2, l0 + 4) == vc); /* c stayed */
    /* The cache outlives the config it was made from: the same study parsed anew. */
    study_config_destroy(&a);
    a = s_cache_study(csv, rigorous);
    assert(s_cached_run(a, 2, l0 + 4) == va);
    evaluate_cache_clear();
    assert(s_cached_run(a, 1, l0 + 5) == va); /* fresh data, the same value */
    s_write_csv(csv, 120);
    s_cached_run(a, 2, l0 + 6); /* another file behind the same path: loaded again */
    evaluate_cache_clear();
    study_config_destroy(&a);
    study_config_destroy(&b);
    study_config_destroy(&c);
    unlink(csv);
}

/* The final refit's imputation comes from the training part alone: the saved fill of a
 * numeric column is the mean of its observed training values, not of every row's. */
static void s_test_clean_refit(bool verbose)
{
    const char *csv = "tests/fixtures/diabetes_missing.csv";
    char *y = xasprintf("study: t\nn_trials: 1\nsampler: {type: random}\n"
                        "data: {path: %s, target: target, missing: ['', NA, '?']}\n"
                        "objective: {type: ridge}\n"
                        "space: {alpha: {type: float, low: 0.1, high: 10}}\n"
                        "strategy: {type: quick, test: {fraction: 0.3}, seed: 5}\n", csv);
    study_config_t *s = s_study(y, NULL);
    free(y);
    char dir[] = "/tmp/hps-evaluate-art-XXXXXX";
    assert(mkdtemp(dir));
    double x[] = {1.0};
    objective_ctx_t ctx = {.study = s, .x = x, .seed = 1, .final = true, .artifact_dir = dir};
    objective_result_t res;
    objective_find("ridge")->run(&ctx, &res);
    assert(res.state == TRIAL_COMPLETE);
    char err[HPS_ERR_LEN], *art = xasprintf("%s/%s", dir, MODEL_ARTIFACT_NAME);
    model_artifact_t *a = model_artifact_load(art, err);
    assert(a);
    int *test = NULL, n_test = 0;
    assert(evaluate_test_rows(s, csv, &test, &n_test, err) == 0);
    const char *marks[] = {"", "NA", "?"};
    dataset_t *ds = dataset_load(csv, &(dataset_opts_t){.target = "target", .missing = marks,
                                                        .n_missing = 3}, err);
    assert(ds && n_test > 0);
    bool *is_test = xcalloc((size_t)ds->n_rows, sizeof *is_test);
    for (int i = 0; i < n_test; i++)
        is_test[test[i]] = true;
    const features_t *f = a->pipeline;
    for (int j = 0; j < f->n_num; j++) {
        const dataset_col_t *col = &ds->cols[dataset_col_index(ds, f->num_names[j])];
        double train = 0, all = 0;
        int n_train = 0, n_all = 0;
        for (int r = 0; r < ds->n_rows; r++) {
            if (isnan(col->num[r]))
                continue;
            all += col->num[r];
            n_all++;
            if (!is_test[r]) {
                train += col->num[r];
                n_train++;
            }
        }
        train /= n_train;
        all /= n_all;
        if (verbose)
            printf("  %s: fill %.6f, training mean %.6f, all rows %.6f\n", col->name,
                   f->fill[j], train, all);
        assert(fabs(f->fill[j] - train) <= 1e-9 * fabs(train));
        assert(fabs(all - train) > 1e-6 * fabs(train)); /* the test can tell them apart */
    }
    free(is_test);
    free(test);
    dataset_destroy(&ds);
    model_artifact_destroy(&a);
    unlink(art);
    free(art);
    rmdir(dir);
    evaluate_cache_clear();
    study_config_destroy(&s);
}

void evaluate_test(bool verbose)
{
    if (verbose)
        printf(" * evaluate:\n");
    s_test_errors();
    s_test_cache();
    if (access("data/reviews.csv", R_OK) != 0) {
        if (verbose)
            printf("  data/ not found: skipping the bundled-data runs\n");
        return;
    }
    char cache[] = "/tmp/hps-evaluate-cache-XXXXXX";
    assert(mkdtemp(cache));
    s_test_reviews(verbose, cache);
    s_test_other_data(verbose);
    if (access("tests/fixtures/diabetes_missing.csv", R_OK) == 0)
        s_test_clean_refit(verbose);
    char *cmd = xasprintf("rm -rf %s", cache);
    assert(system(cmd) == 0);
    free(cmd);
}
