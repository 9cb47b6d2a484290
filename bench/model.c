/* model_bench — `hps-bench model`: how long logreg takes to train on the reviews TF-IDF
 * features and how well it scores, next to bench/models.py, which prints the
 * same line for scikit-learn (TfidfVectorizer + LogisticRegression).
 *
 *   hps-bench model [--data data/reviews.csv] [--repeat 5] [--json] [C=1 max_iter=100 ...]
 *
 * The split is the file's own `split` column (train / test). Each side builds its own
 * TF-IDF (unigrams + bigrams, sublinear tf, smooth idf, L2 rows; hps hashes the terms,
 * scikit-learn keeps a vocabulary), fitted on the training rows. Timed separately:
 * the feature step once, and the model fit `repeat` times (median reported); the test
 * accuracy shows both sides fit an equally good model. Output goes to stdout: this is
 * a subcommand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"
#include "core/metrics.h"
#include "core/split.h"
#include "objectives/features.h"
#include "objectives/model.h"
#include "bench/model.h"

#define BENCH_MAX_REPEAT 100

typedef struct {
    const char *data;
    int repeat;
    bool json;
    hparams_t *hp; /* owned */
} s_args_t;

static int s_usage(void)
{
    fprintf(stderr, "usage: hps-bench model [--data FILE.csv] [--repeat N] [--json] "
                    "[NAME=VALUE ...]\n  logreg on the TF-IDF of the `text` column, "
                    "train/test from the `split` column\n");
    return 2;
}

static int s_parse(int argc, char **argv, s_args_t *a)
{
    *a = (s_args_t){.data = "data/reviews.csv", .repeat = 5, .hp = hparams_new()};
    for (int i = 1; i < argc; i++) {
        long v;
        const char *eq = strchr(argv[i], '=');
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            a->data = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc &&
                   parse_long(argv[i + 1], &v) == 0 && v >= 1 && v <= BENCH_MAX_REPEAT) {
            a->repeat = (int)v;
            i++;
        } else if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
        } else if (eq && eq != argv[i] && argv[i][0] != '-') {
            char *name = xstrndup(argv[i], (size_t)(eq - argv[i]));
            hparams_set(a->hp, name, eq + 1);
            free(name);
        } else {
            return -1;
        }
    }
    return 0;
}

/* Train and test rows from the `split` column. -1 with err. */
static int s_split(const dataset_t *ds, rowset_t *train, rowset_t *test, char *err)
{
    int c = dataset_col_index(ds, "split");
    if (c < 0 || ds->cols[c].kind != COL_STRING)
        return set_err(err, "%s: needs a `split` column of train/test", ds->path);
    train->idx = xmalloc((size_t)ds->n_rows * sizeof(int));
    test->idx = xmalloc((size_t)ds->n_rows * sizeof(int));
    train->n = test->n = 0;
    for (int i = 0; i < ds->n_rows; i++) {
        rowset_t *into = strcmp(ds->cols[c].str[i], "test") == 0 ? test : train;
        into->idx[into->n++] = i;
    }
    return 0;
}

/* Fit `repeat` times (median seconds into *secs), then the test accuracy. */
static int s_time_fit(const s_args_t *a, const dataset_t *ds, const fmat_t *xtr,
                      const fmat_t *xte, const double *ytr, const double *yte, double *secs,
                      double *acc, char *err)
{
    const model_ops_t *lr = model_find("logreg");
    double times[BENCH_MAX_REPEAT];
    void *m = NULL;
    for (int r = 0; r < a->repeat; r++) {
        if (m)
            lr->destroy(&m);
        double t0 = now_secs();
        m = lr->fit(&xtr->m, ytr, ds->n_classes, a->hp, (uint64_t)r, err);
        times[r] = now_secs() - t0;
        if (!m)
            return -1;
    }
    qsort(times, (size_t)a->repeat, sizeof *times, cmp_double);
    *secs = times[a->repeat / 2];
    double *p = xmalloc((size_t)xte->m.n_rows * ds->n_classes * sizeof *p);
    int rc = lr->predict(m, &xte->m, p, err);
    if (rc == 0)
        *acc = metric_eval(METRIC_ACCURACY, yte, p, xte->m.n_rows, ds->n_classes);
    free(p);
    lr->destroy(&m);
    return rc;
}

static double *s_gather(const double *y, const rowset_t *rows)
{
    double *out = xmalloc((size_t)(rows->n + 1) * sizeof *out);
    for (int i = 0; i < rows->n; i++)
        out[i] = y[rows->idx[i]];
    return out;
}

/* Load, featurise, time; prints one result line. */
static int s_bench(const s_args_t *a, char *err)
{
    text_opts_t to;
    text_opts_default(&to);
    to.hash_bits = (int)hp_long(a->hp, "hash_bits", to.hash_bits);
    if (to.hash_bits < 10 || to.hash_bits > 24)
        return set_err(err, "hash_bits: must be between 10 and 24");
    const char *text[] = {"text"};
    dataset_opts_t o = {.text = text, .n_text = 1};
    dataset_t *ds = dataset_load(a->data, &o, err);
    if (!ds)
        return -1;
    rowset_t train = {0}, test = {0};
    int rc = s_split(ds, &train, &test, err);
    to.min_df = (int)hp_long(a->hp, "min_df", to.min_df);
    double t0 = now_secs(), fit_secs = 0, acc = 0;
    textcounts_t *tc = rc == 0 ? textcounts_get(ds, &to, NULL) : NULL;
    fmat_t xtr = {0}, xte = {0};
    if (tc) {
        const char *excl = "split";
        features_t *f = features_fit(ds, tc, &to, NULL, train.idx, train.n, &excl, 1);
        features_transform(f, train.idx, train.n, &xtr);
        features_transform(f, test.idx, test.n, &xte);
        features_destroy(&f);
    }
    double feat_secs = now_secs() - t0;
    double *ytr = s_gather(ds->y, &train), *yte = s_gather(ds->y, &test);
    if (rc == 0)
        rc = s_time_fit(a, ds, &xtr, &xte, ytr, yte, &fit_secs, &acc, err);
    if (rc == 0 && a->json)
        printf("{\"impl\": \"hps\", \"features_s\": %.4f, \"fit_s\": %.4f, \"accuracy\": %.4f, "
               "\"n_features\": %d, \"nnz\": %lld, \"repeat\": %d}\n", feat_secs, fit_secs, acc,
               xtr.m.n_cols, (long long)xtr.indptr[train.n], a->repeat);
    else if (rc == 0)
        printf("hps      features %.3f s  fit %.3f s (median of %d)  test accuracy %.4f  "
               "(%d features)\n", feat_secs, fit_secs, a->repeat, acc, xtr.m.n_cols);
    free(ytr);
    free(yte);
    fmat_free(&xtr);
    fmat_free(&xte);
    textcounts_destroy(&tc);
    rowset_free(&train);
    rowset_free(&test);
    dataset_destroy(&ds);
    return rc;
}

int model_bench_main(int argc, char **argv)
{
    s_args_t a;
    if (s_parse(argc, argv, &a) != 0) {
        hparams_destroy(&a.hp);
        return s_usage();
    }
    char err[HPS_ERR_LEN];
    int rc = s_bench(&a, err);
    hparams_destroy(&a.hp);
    if (rc != 0) {
        fprintf(stderr, "hps-bench model: %s\n", err);
        return 1;
    }
    return 0;
}
