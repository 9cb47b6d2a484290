/* model_bench2 — `hps-bench mlp-xgb`: how long the mlp and xgboost models take to train
 * on a bundled dataset, and how well they score, next to bench/models_peers.py
 * which prints the same line for scikit-learn's MLPClassifier and Python xgboost.
 *
 *   hps-bench mlp-xgb mlp data/digits.csv --repeat 5 hidden_size=100 epochs=200
 *   hps-bench mlp-xgb xgboost data/diamonds.csv --repeat 3 n_rounds=200
 *
 * Both sides prepare the data identically, so only the training differs: every fifth
 * row (index % 5 == 4) is the test set (the files are in source order, so this is a
 * near-stratified split that needs no shared RNG); string columns become the rank of
 * their value among the column's distinct values in byte order; for the mlp, features
 * are standardised with the training rows' mean and standard deviation. Run r uses
 * seed r. Timed is fit() alone (for xgboost that includes building the DMatrix, as
 * Python's timing includes xgb.DMatrix), in wall time and in the process's CPU time,
 * which on a shared machine swings less: waiting for a core is not counted, though
 * caches shared with others still are. Results go to stdout: this is a subcommand. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dataset.h"
#include "objectives/model.h"
#include "bench/model.h"

#define BENCH_MAX_RUNS 100

typedef struct {
    int n_rows, n_cols;
    double *x; /* row-major; owned */
    double *y; /* owned */
} bench_part_t;

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Column j of ds as numbers: numeric as is, strings as their rank among the column's
 * distinct values. -1 with err for text columns. */
static int s_column_values(const dataset_t *ds, int j, double *out, char *err)
{
    const dataset_col_t *c = &ds->cols[j];
    if (c->kind == COL_NUMERIC) {
        memcpy(out, c->num, (size_t)ds->n_rows * sizeof(double));
        return 0;
    }
    if (c->kind == COL_TEXT)
        return set_err(err, "%s: text column '%s' is not supported here", ds->path, c->name);
    char **sorted = xmalloc((size_t)ds->n_rows * sizeof(char *));
    memcpy(sorted, c->str, (size_t)ds->n_rows * sizeof(char *));
    qsort(sorted, (size_t)ds->n_rows, sizeof(char *), s_cmp_str);
    int n_distinct = 0;
    for (int i = 0; i < ds->n_rows; i++)
        if (i == 0 || strcmp(sorted[i], sorted[n_distinct - 1]) != 0)
            sorted[n_distinct++] = sorted[i];
    for (int i = 0; i < ds->n_rows; i++) {
        char **hit = bsearch(&c->str[i], sorted, (size_t)n_distinct, sizeof(char *), s_cmp_str);
        assert(hit);
        out[i] = (double)(hit - sorted);
    }
    free(sorted);
    return 0;
}

/* Split ds into the train (index % 5 != 4) and test parts, as dense matrices. */
static int s_prepare(const dataset_t *ds, bench_part_t *train, bench_part_t *test, char *err)
{
    int nc = ds->n_cols, n_test = ds->n_rows / 5; /* rows 4, 9, 14, ... */
    *train = (bench_part_t){ds->n_rows - n_test, nc, NULL, NULL};
    *test = (bench_part_t){n_test, nc, NULL, NULL};
    bench_part_t *parts[2] = {train, test};
    for (int p = 0; p < 2; p++) {
        parts[p]->x = xmalloc((size_t)parts[p]->n_rows * nc * sizeof(double));
        parts[p]->y = xmalloc((size_t)parts[p]->n_rows * sizeof(double));
    }
    double *col = xmalloc((size_t)ds->n_rows * sizeof(double));
    for (int j = 0; j < nc; j++) {
        if (s_column_values(ds, j, col, err) < 0) {
            free(col);
            return -1;
        }
        int fill[2] = {0, 0};
        for (int i = 0; i < ds->n_rows; i++) {
            int p = i % 5 == 4;
            parts[p]->x[(size_t)fill[p]++ * nc + j] = col[i];
        }
    }
    int fill[2] = {0, 0};
    for (int i = 0; i < ds->n_rows; i++)
        parts[i % 5 == 4]->y[fill[i % 5 == 4]++] = ds->y[i];
    assert(fill[0] == train->n_rows && fill[1] == test->n_rows);
    free(col);
    return 0;
}

/* StandardScaler: the training rows' mean and (population) deviation, 1 when zero. */
static void s_standardise(bench_part_t *train, bench_part_t *test)
{
    int nc = train->n_cols;
    for (int j = 0; j < nc; j++) {
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < train->n_rows; i++)
            mean += train->x[(size_t)i * nc + j] / train->n_rows;
        for (int i = 0; i < train->n_rows; i++) {
            double d = train->x[(size_t)i * nc + j] - mean;
            var += d * d / train->n_rows;
        }
        double sd = var > 0.0 ? sqrt(var) : 1.0;
        for (int i = 0; i < train->n_rows; i++)
            train->x[(size_t)i * nc + j] = (train->x[(size_t)i * nc + j] - mean) / sd;
        for (int i = 0; i < test->n_rows; i++)
            test->x[(size_t)i * nc + j] = (test->x[(size_t)i * nc + j] - mean) / sd;
    }
}

/* Accuracy (classification) or RMSE (regression) of predictions on part. */
static double s_score(const double *pred, const bench_part_t *part, int n_classes)
{
    double sum = 0.0;
    for (int i = 0; i < part->n_rows; i++) {
        if (n_classes == 0) {
            sum += (pred[i] - part->y[i]) * (pred[i] - part->y[i]);
            continue;
        }
        const double *p = pred + (size_t)i * n_classes;
        int best = 0;
        for (int k = 1; k < n_classes; k++)
            best = p[k] > p[best] ? k : best;
        sum += best == (int)part->y[i];
    }
    return n_classes ? sum / part->n_rows : sqrt(sum / part->n_rows);
}

/* CPU seconds used by this process so far (all threads). */
static double s_cpu_secs(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return NAN;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double s_median(const double *v, int n)
{
    double s[BENCH_MAX_RUNS];
    memcpy(s, v, (size_t)n * sizeof(double));
    return median_sort(s, (size_t)n);
}

/* Fit and score `repeat` times (seed = run index); prints one result line. */
static int s_run(const model_ops_t *ops, const char *path, const dataset_t *ds,
                 const hparams_t *hp, int repeat, char *err)
{
    bench_part_t train, test;
    int rc = s_prepare(ds, &train, &test, err);
    if (rc == 0 && strcmp(ops->name, "mlp") == 0)
        s_standardise(&train, &test);
    int width = ds->n_classes ? ds->n_classes : 1;
    double *pred = xmalloc((size_t)test.n_rows * width * sizeof(double));
    double secs[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS], score[BENCH_MAX_RUNS], mean = 0.0;
    fmatrix_t Xtr = {train.n_rows, train.n_cols, train.x, NULL, NULL, NULL};
    fmatrix_t Xte = {test.n_rows, test.n_cols, test.x, NULL, NULL, NULL};
    for (int r = 0; rc == 0 && r < repeat; r++) {
        int64_t t0 = now_ms();
        double c0 = s_cpu_secs();
        void *m = ops->fit(&Xtr, train.y, ds->n_classes, hp, (uint64_t)r, err);
        cpu[r] = s_cpu_secs() - c0;
        secs[r] = (double)(now_ms() - t0) / 1000.0;
        rc = m ? ops->predict(m, &Xte, pred, err) : -1;
        ops->destroy(&m);
        score[r] = rc == 0 ? s_score(pred, &test, ds->n_classes) : NAN;
        mean += score[r] / repeat;
    }
    if (rc == 0) {
        printf("c %s %s: fit secs median %.3f [", ops->name, path, s_median(secs, repeat));
        for (int r = 0; r < repeat; r++)
            printf(r ? " %.3f" : "%.3f", secs[r]);
        printf("], cpu secs median %.3f, test %s mean %.4f, train %d test %d\n",
               s_median(cpu, repeat), ds->n_classes ? "accuracy" : "rmse", mean, train.n_rows,
               test.n_rows);
    }
    free(pred);
    free(train.x);
    free(train.y);
    free(test.x);
    free(test.y);
    return rc;
}

int model_bench2_main(int argc, char **argv)
{
    char err[HPS_ERR_LEN] = "";
    long repeat = 3;
    const model_ops_t *ops = argc > 2 ? model_find(argv[1]) : NULL;
    if (!ops) {
        fprintf(stderr, "usage: hps-bench mlp-xgb mlp|xgboost DATA.csv [--repeat N] "
                        "[name=value ...]\n");
        return 2;
    }
    hparams_t *hp = hparams_new();
    for (int i = 3; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            if (parse_long(argv[++i], &repeat) == 0 && repeat >= 1 && repeat <= BENCH_MAX_RUNS)
                continue;
            fprintf(stderr, "hps-bench mlp-xgb: --repeat wants 1..%d\n", BENCH_MAX_RUNS);
        } else if (eq && eq > argv[i]) {
            char *name = xstrndup(argv[i], (size_t)(eq - argv[i]));
            hparams_set(hp, name, eq + 1);
            free(name);
            continue;
        } else {
            fprintf(stderr, "hps-bench mlp-xgb: bad argument '%s' (want name=value)\n", argv[i]);
        }
        hparams_destroy(&hp);
        return 2;
    }
    int rc = 2;
    dataset_t *ds = dataset_load(argv[2], &(dataset_opts_t){0}, err);
    if (ds)
        rc = s_run(ops, argv[2], ds, hp, (int)repeat, err) < 0 ? 1 : 0;
    if (rc)
        fprintf(stderr, "hps-bench mlp-xgb: %s\n", err);
    hparams_destroy(&hp);
    dataset_destroy(&ds);
    return rc;
}
