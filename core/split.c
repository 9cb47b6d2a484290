/* split — stratified holdout and k-fold (see split.h). */
#include "core/split.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void rowset_free(rowset_t *s)
{
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}

static int s_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Positions 0..n-1 of rows, grouped by class (class 0 first) and shuffled within each
 * class. Caller frees. */
static int *s_stratified_order(const double *y, int n, int n_classes, uint64_t seed)
{
    int *order = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    int groups = n_classes > 0 ? n_classes : 1;
    int *start = xcalloc((size_t)groups + 1, sizeof *start);
    for (int i = 0; i < n; i++) {
        int c = n_classes > 0 ? (int)y[i] : 0;
        assert(c >= 0 && c < groups);
        start[c + 1]++;
    }
    for (int c = 0; c < groups; c++)
        start[c + 1] += start[c];
    int *fill = xmalloc((size_t)groups * sizeof *fill);
    memcpy(fill, start, (size_t)groups * sizeof *fill);
    for (int i = 0; i < n; i++)
        order[fill[n_classes > 0 ? (int)y[i] : 0]++] = i;
    rng_t rng;
    rng_seed(&rng, seed);
    for (int c = 0; c < groups; c++) /* Fisher-Yates within each class */
        for (int i = start[c + 1] - 1; i > start[c]; i--) {
            int j = start[c] + (int)rng_below(&rng, (uint64_t)(i - start[c] + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    free(start);
    free(fill);
    return order;
}

/* Labels of rows as a dense array aligned with rows (NULL when unstratified). */
static double *s_row_labels(const int *rows, int n, const double *y, int n_classes)
{
    if (n_classes <= 0 || !y)
        return NULL;
    double *lab = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    for (int i = 0; i < n; i++)
        lab[i] = y[rows[i]];
    return lab;
}

void split_holdout(const int *rows, int n, const double *y, int n_classes, double frac,
                   uint64_t seed, rowset_t *keep, rowset_t *holdout)
{
    assert(rows && keep && holdout && frac > 0 && frac < 1 && n >= 0);
    double *lab = s_row_labels(rows, n, y, n_classes);
    int *order = s_stratified_order(lab, n, lab ? n_classes : 0, seed);
    rng_t rng;
    rng_seed(&rng, hash_mix64(seed ^ 0x686f6c646f7574ULL));
    double u = rng_uniform(&rng);
    keep->idx = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    holdout->idx = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    keep->n = holdout->n = 0;
    for (int j = 0; j < n; j++) {
        /* Systematic sampling: row j is held out when floor(j*f + u) steps. */
        bool out = floor((j + 1) * frac + u) > floor(j * frac + u);
        int r = rows[order[j]];
        if (out)
            holdout->idx[holdout->n++] = r;
        else
            keep->idx[keep->n++] = r;
    }
    qsort(keep->idx, (size_t)keep->n, sizeof(int), s_cmp_int);
    qsort(holdout->idx, (size_t)holdout->n, sizeof(int), s_cmp_int);
    free(order);
    free(lab);
}

void split_kfold(const int *rows, int n, const double *y, int n_classes, int k,
                 uint64_t seed, int *fold_of)
{
    assert(rows && fold_of && k >= 2 && k <= n);
    double *lab = s_row_labels(rows, n, y, n_classes);
    int *order = s_stratified_order(lab, n, lab ? n_classes : 0, seed);
    /* A seeded rotation, so fold 0 does not always get the first row of class 0. */
    rng_t rng;
    rng_seed(&rng, hash_mix64(seed ^ 0x6b666f6c64ULL));
    int shift = (int)rng_below(&rng, (uint64_t)k);
    for (int j = 0; j < n; j++)
        fold_of[order[j]] = (j + shift) % k;
    free(order);
    free(lab);
}

void split_fold_rows(const int *rows, int n, const int *fold_of, int f, rowset_t *keep,
                     rowset_t *holdout)
{
    keep->idx = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    holdout->idx = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    keep->n = holdout->n = 0;
    for (int i = 0; i < n; i++) {
        if (fold_of[i] == f)
            holdout->idx[holdout->n++] = rows[i];
        else
            keep->idx[keep->n++] = rows[i];
    }
    qsort(keep->idx, (size_t)keep->n, sizeof(int), s_cmp_int);
    qsort(holdout->idx, (size_t)holdout->n, sizeof(int), s_cmp_int);
}

/* Test helpers: the parts are disjoint, cover rows, and each class's count in the
 * holdout is within 1 of its proportional share. */
static void s_check_parts(const int *rows, int n, const double *y, int n_classes,
                          double frac, const rowset_t *a, const rowset_t *b)
{
    assert(a->n + b->n == n);
    char *seen = xcalloc(4 * (size_t)n + 1, 1);
    for (int i = 0; i < a->n; i++)
        seen[a->idx[i]]++;
    for (int i = 0; i < b->n; i++)
        seen[b->idx[i]]++;
    for (int i = 0; i < n; i++)
        assert(seen[rows[i]] == 1);
    free(seen);
    for (int c = 0; c < n_classes; c++) {
        int total = 0, in_b = 0;
        for (int i = 0; i < n; i++)
            total += y[rows[i]] == c;
        for (int i = 0; i < b->n; i++)
            in_b += y[b->idx[i]] == c;
        assert(fabs(in_b - frac * total) <= 1.0);
    }
}

void split_test(bool verbose)
{
    if (verbose)
        printf(" * split:\n");
    enum { N = 1003 };
    double y[4 * N];
    int rows[N];
    for (int i = 0; i < 4 * N; i++) /* imbalanced: classes 0,1,2 in 6:3:1 */
        y[i] = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;
    for (int i = 0; i < N; i++)
        rows[i] = 3 * i + 1; /* a sparse subset, as the train part of a dataset */
    rowset_t a, b, a2, b2;
    split_holdout(rows, N, y, 3, 0.2, 42, &a, &b);
    s_check_parts(rows, N, y, 3, 0.2, &a, &b);
    assert(fabs(b.n - 0.2 * N) <= 1.0);
    split_holdout(rows, N, y, 3, 0.2, 42, &a2, &b2); /* same seed, same split */
    assert(a2.n == a.n && memcmp(a.idx, a2.idx, (size_t)a.n * sizeof(int)) == 0);
    rowset_free(&a2);
    rowset_free(&b2);
    split_holdout(rows, N, y, 3, 0.2, 43, &a2, &b2); /* another seed, another split */
    assert(b2.n != b.n || memcmp(b.idx, b2.idx, (size_t)b.n * sizeof(int)) != 0);
    rowset_free(&a2);
    rowset_free(&b2);
    rowset_free(&a);
    rowset_free(&b);
    split_holdout(rows, N, NULL, 0, 0.3, 1, &a, &b); /* regression: plain shuffle */
    s_check_parts(rows, N, y, 0, 0.3, &a, &b);
    assert(fabs(b.n - 0.3 * N) <= 1.0);
    rowset_free(&a);
    rowset_free(&b);

    int fold_of[N], fold2[N];
    split_kfold(rows, N, y, 3, 5, 7, fold_of);
    split_kfold(rows, N, y, 3, 5, 7, fold2);
    assert(memcmp(fold_of, fold2, sizeof fold_of) == 0);
    for (int f = 0; f < 5; f++) {
        split_fold_rows(rows, N, fold_of, f, &a, &b);
        s_check_parts(rows, N, y, 3, 0.2, &a, &b);
        assert(b.n == N / 5 || b.n == N / 5 + 1);
        rowset_free(&a);
        rowset_free(&b);
    }
    split_kfold(rows, N, NULL, 0, 4, 7, fold_of);
    for (int f = 0; f < 4; f++) {
        int cnt = 0;
        for (int i = 0; i < N; i++)
            cnt += fold_of[i] == f;
        assert(cnt == N / 4 || cnt == N / 4 + 1);
    }
}
