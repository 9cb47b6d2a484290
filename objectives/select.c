/* select — chi2 feature selection (see select.h). */
#include "objectives/select.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One value of row r: calls fn for each stored (column, value) of the row. */
typedef void (*s_cell_fn)(void *arg, int col, double value);

static void s_row_cells(const fmatrix_t *X, int r, s_cell_fn fn, void *arg)
{
    if (X->dense) {
        for (int j = 0; j < X->n_cols; j++)
            fn(arg, j, X->dense[(size_t)r * X->n_cols + j]);
        return;
    }
    for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++)
        fn(arg, X->indices[p], X->values[p]);
}

/* Per-class column sums of the rows being scanned. */
typedef struct {
    double *obs;   /* n_classes x n_cols, the row's class's block */
    double *total; /* per column */
    bool *neg;     /* a negative value was seen */
} s_sums_t;

static void s_add(void *arg, int col, double value)
{
    s_sums_t *s = arg;
    s->obs[col] += value;
    s->total[col] += value;
    if (value < 0 || isnan(value)) /* NaN: a cell impute none left missing */
        s->neg[col] = true;
}

/* chi2 statistic per column into score[n_cols] (INFINITY: a column with negatives or
 * missing cells, which chi2 does not cover: always kept). */
static void s_chi2(const fmatrix_t *X, const double *y, int n_classes, double *score)
{
    int nc = X->n_cols;
    double *obs = xcalloc((size_t)n_classes * nc, sizeof *obs);
    double *total = xcalloc((size_t)nc, sizeof *total);
    double *share = xcalloc((size_t)n_classes, sizeof *share);
    bool *neg = xcalloc((size_t)nc, sizeof *neg);
    for (int r = 0; r < X->n_rows; r++) {
        int c = (int)y[r];
        assert(c >= 0 && c < n_classes);
        share[c] += 1.0 / X->n_rows;
        s_sums_t s = {obs + (size_t)c * nc, total, neg};
        s_row_cells(X, r, s_add, &s);
    }
    for (int j = 0; j < nc; j++) {
        double chi = 0;
        for (int c = 0; c < n_classes; c++) {
            double expected = share[c] * total[j], d = obs[(size_t)c * nc + j] - expected;
            if (expected > 0)
                chi += d * d / expected;
        }
        score[j] = neg[j] ? INFINITY : chi;
    }
    free(obs);
    free(total);
    free(share);
    free(neg);
}

typedef struct {
    double score;
    int32_t col;
} s_ranked_t;

/* qsort order: larger score first, then lower column. */
static int s_by_score(const void *a, const void *b)
{
    const s_ranked_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

static int s_ascending(const void *a, const void *b)
{
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    return (i > j) - (i < j);
}

/* map: input column -> its place among the kept ones, -1 when dropped. */
static void s_build_map(select_t *s)
{
    for (int j = 0; j < s->n_in; j++)
        s->map[j] = -1;
    for (int i = 0; i < s->n_keep; i++)
        s->map[s->cols[i]] = i;
}

select_t *select_fit(const fmatrix_t *X, const double *y, int n_classes, int k)
{
    assert(X && y && n_classes >= 2 && k >= 1);
    int nc = X->n_cols;
    select_t *s = xcalloc(1, sizeof *s);
    s->n_in = nc;
    s->n_keep = k < nc ? k : nc;
    s->cols = xmalloc((size_t)(nc + 1) * sizeof *s->cols);
    s->map = xmalloc((size_t)(nc + 1) * sizeof *s->map);
    for (int j = 0; j < nc; j++)
        s->cols[j] = j;
    if (s->n_keep < nc) {
        double *score = xmalloc((size_t)nc * sizeof *score);
        s_ranked_t *rank = xmalloc((size_t)nc * sizeof *rank);
        s_chi2(X, y, n_classes, score);
        for (int j = 0; j < nc; j++)
            rank[j] = (s_ranked_t){score[j], j};
        qsort(rank, (size_t)nc, sizeof *rank, s_by_score);
        for (int i = 0; i < s->n_keep; i++)
            s->cols[i] = rank[i].col;
        qsort(s->cols, (size_t)s->n_keep, sizeof *s->cols, s_ascending);
        free(rank);
        free(score);
    }
    s_build_map(s);
    return s;
}

select_t *select_from_cols(int n_in, const int32_t *cols, int n_keep, char *err)
{
    for (int i = 0; i < n_keep; i++)
        if (cols[i] < 0 || cols[i] >= n_in || (i > 0 && cols[i] <= cols[i - 1])) {
            set_err(err, "artifact: selected column %d of %d is not ascending within %d",
                    i, n_keep, n_in);
            return NULL;
        }
    select_t *s = xcalloc(1, sizeof *s);
    s->n_in = n_in;
    s->n_keep = n_keep;
    s->cols = xmalloc((size_t)(n_keep + 1) * sizeof *s->cols);
    memcpy(s->cols, cols, (size_t)n_keep * sizeof *cols);
    s->map = xmalloc((size_t)(n_in + 1) * sizeof *s->map);
    s_build_map(s);
    return s;
}

void select_apply(const select_t *s, const fmatrix_t *X, fmat_t *out)
{
    assert(s && X && out && X->n_cols == s->n_in);
    memset(out, 0, sizeof *out);
    int n = X->n_rows, k = s->n_keep;
    if (X->dense) {
        out->dense = xmalloc(((size_t)n * k + 1) * sizeof(double));
        for (int r = 0; r < n; r++)
            for (int i = 0; i < k; i++)
                out->dense[(size_t)r * k + i] = X->dense[(size_t)r * X->n_cols + s->cols[i]];
        out->m = (fmatrix_t){.n_rows = n, .n_cols = k, .dense = out->dense};
        return;
    }
    int64_t nnz = 0;
    for (int64_t p = 0; p < X->indptr[n]; p++)
        nnz += s->map[X->indices[p]] >= 0;
    out->indptr = xmalloc((size_t)(n + 1) * sizeof *out->indptr);
    out->indices = xmalloc((size_t)(nnz + 1) * sizeof *out->indices);
    out->values = xmalloc((size_t)(nnz + 1) * sizeof *out->values);
    int64_t q = 0;
    for (int r = 0; r < n; r++) {
        out->indptr[r] = q;
        /* Kept columns keep their order, so indices stay sorted within a row. */
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
            int32_t to = s->map[X->indices[p]];
            if (to >= 0) {
                out->indices[q] = to;
                out->values[q++] = X->values[p];
            }
        }
    }
    out->indptr[n] = q;
    out->m = (fmatrix_t){n, k, NULL, out->indptr, out->indices, out->values};
}

void select_destroy(select_t **self_p)
{
    assert(self_p);
    select_t *s = *self_p;
    if (s) {
        free(s->cols);
        free(s->map);
        free(s);
    }
    *self_p = NULL;
}

/* ---------------------------------------------------------------- self-test */

/* Four rows, two classes, four columns: column 1 occurs only in class 1 rows, column 2
 * in every row alike (chi2 0), column 0 leans to class 0, column 3 holds a negative
 * value (always kept). Values computed by hand as scikit-learn's chi2 would. */
void select_test(bool verbose)
{
    double dense[] = {1, 0, 1, 0,   /* class 0 */
                      2, 0, 1, 0,   /* class 0 */
                      1, 3, 1, -1,  /* class 1 */
                      0, 1, 1, 0};  /* class 1 */
    double y[] = {0, 0, 1, 1}, score[4];
    fmatrix_t X = {4, 4, dense, NULL, NULL, NULL};
    s_chi2(&X, y, 2, score);
    /* column 0: totals 4, classes 3 and 1, expected 2 each: (1 + 1) / 2 = 1.
     * column 1: totals 4, classes 0 and 4: (4 + 4) / 2 = 4. column 2: 0. */
    assert(fabs(score[0] - 1.0) < 1e-12 && fabs(score[1] - 4.0) < 1e-12);
    assert(score[2] == 0 && isinf(score[3]));
    select_t *s = select_fit(&X, y, 2, 2);
    assert(s->n_keep == 2 && s->cols[0] == 1 && s->cols[1] == 3 && s->map[0] == -1);
    fmat_t d, c;
    select_apply(s, &X, &d);
    assert(d.m.n_cols == 2 && d.dense[2 * 2 + 0] == 3 && d.dense[2 * 2 + 1] == -1);
    /* The same from CSR. */
    int64_t indptr[] = {0, 2, 4, 8, 10};
    int32_t indices[] = {0, 2, 0, 2, 0, 1, 2, 3, 1, 2};
    double values[] = {1, 1, 2, 1, 1, 3, 1, -1, 1, 1};
    fmatrix_t csr = {4, 4, NULL, indptr, indices, values};
    select_t *s2 = select_fit(&csr, y, 2, 2);
    assert(s2->n_keep == 2 && s2->cols[0] == 1 && s2->cols[1] == 3);
    select_apply(s2, &csr, &c);
    assert(c.m.n_cols == 2 && c.indptr[4] == 3 && c.indptr[1] == 0 && c.indptr[2] == 0);
    assert(c.indices[0] == 0 && c.values[0] == 3 && c.indices[1] == 1 && c.values[1] == -1);
    /* k beyond the columns keeps all, in order. */
    select_t *all = select_fit(&X, y, 2, 10);
    assert(all->n_keep == 4 && all->cols[3] == 3 && all->map[2] == 2);
    select_destroy(&all);
    /* A missing cell (impute none) in column 2: kept like a negative one, not NaN. */
    dense[2] = NAN;
    s_chi2(&X, y, 2, score);
    assert(isinf(score[2]) && fabs(score[1] - 4.0) < 1e-12);
    dense[2] = 1;
    fmat_free(&d);
    fmat_free(&c);
    select_destroy(&s);
    select_destroy(&s2);
    select_destroy(&s);
    assert(s == NULL);
    if (verbose)
        printf(" * select: chi2 by hand, dense and CSR agree\n");
}
