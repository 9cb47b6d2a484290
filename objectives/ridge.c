/* ridge — ridge regression (alpha > 0) and ordinary least squares (alpha = 0).
 *
 * Minimises scikit-learn's Ridge objective ||y - X w - b||^2 + alpha ||w||^2 with an
 * unpenalised intercept, by centring X and y on their training means.
 *   dense X:  the normal equations (Xc'Xc + alpha I) w = Xc'yc, formed with dsyrk and
 *             solved by LAPACK's Cholesky (dposv, from OpenBLAS; Debian ships no
 *             LAPACKE header, so the Fortran symbol is declared here). A singular
 *             system (OLS with collinear columns) is retried with a tiny ridge.
 *   CSR X:    conjugate gradients on the same system with the centring applied
 *             implicitly, so a wide TF-IDF matrix is never densified.
 * Regression only: classification needs probabilities, which logreg provides. */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objectives/artifact.h"
#include "objectives/fixture.h"
#include "objectives/model.h"

#define RIDGE_CG_TOL 1e-10   /* relative residual at which CG stops */
#define RIDGE_JITTER 1e-10   /* ridge added, relative to the mean diagonal, when singular */

/* LAPACK (gfortran ABI: the trailing hidden length of the character argument). */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info, size_t uplo_len);

typedef struct {
    int d;
    double *w; /* d weights; owned */
    double b;  /* intercept */
} s_ridge_t;

/* Column means of X. */
static void s_means(const fmatrix_t *X, double *mean)
{
    int n = X->n_rows, d = X->n_cols;
    memset(mean, 0, (size_t)d * sizeof *mean);
    for (int i = 0; i < n; i++) {
        if (X->dense) {
            cblas_daxpy(d, 1.0, X->dense + (size_t)i * d, 1, mean, 1);
            continue;
        }
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
            mean[X->indices[p]] += X->values[p];
    }
    cblas_dscal(d, 1.0 / n, mean, 1);
}

/* Dense normal equations; 0 ok, -1 with err. */
static int s_solve_dense(const fmatrix_t *X, const double *yc, const double *mean,
                         double alpha, double *w, char *err)
{
    int n = X->n_rows, d = X->n_cols, one = 1, info = 0;
    double *xc = xmalloc((size_t)n * d * sizeof *xc);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            xc[(size_t)i * d + j] = X->dense[(size_t)i * d + j] - mean[j];
    double *a = xmalloc((size_t)d * d * sizeof *a), *a0 = xmalloc((size_t)d * d * sizeof *a0);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0, xc, d, 0.0, a0, d);
    cblas_dgemv(CblasRowMajor, CblasTrans, n, d, 1.0, xc, d, yc, 1, 0.0, w, 1);
    double *rhs = xmalloc((size_t)d * sizeof *rhs);
    memcpy(rhs, w, (size_t)d * sizeof *rhs);
    double trace = 0;
    for (int j = 0; j < d; j++)
        trace += a0[(size_t)j * d + j];
    for (int attempt = 0; attempt < 2; attempt++) {
        /* Row-major upper is column-major lower. */
        double ridge = alpha + (attempt ? RIDGE_JITTER * fmax(trace / d, 1.0) : 0);
        memcpy(a, a0, (size_t)d * d * sizeof *a);
        memcpy(w, rhs, (size_t)d * sizeof *w);
        for (int j = 0; j < d; j++)
            a[(size_t)j * d + j] += ridge;
        dposv_("L", &d, &one, a, &d, w, &d, &info, 1);
        if (info <= 0)
            break;
    }
    free(xc);
    free(a);
    free(a0);
    free(rhs);
    if (info != 0)
        return set_err(err, "ridge: the normal equations are singular (dposv info %d)", info);
    return 0;
}

/* out = (Xc'Xc + alpha I) v for CSR X, with Xc = X - 1 mean'; tmp holds n values. */
static void s_normal_matvec(const fmatrix_t *X, const double *mean, double alpha,
                            const double *v, double *tmp, double *out)
{
    int n = X->n_rows, d = X->n_cols;
    double mv = cblas_ddot(d, mean, 1, v, 1), sum = 0;
    for (int i = 0; i < n; i++) {
        double s = -mv;
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
            s += X->values[p] * v[X->indices[p]];
        tmp[i] = s;
        sum += s;
    }
    for (int j = 0; j < d; j++)
        out[j] = alpha * v[j] - mean[j] * sum;
    for (int i = 0; i < n; i++)
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
            out[X->indices[p]] += X->values[p] * tmp[i];
}

/* Conjugate gradients from w = 0. Can't fail (stops at the iteration bound). */
static void s_solve_cg(const fmatrix_t *X, const double *yc, const double *mean, double alpha,
                       double *w)
{
    int n = X->n_rows, d = X->n_cols;
    double *r = xcalloc((size_t)d, sizeof *r), *p = xmalloc((size_t)d * sizeof *p);
    double *q = xmalloc((size_t)d * sizeof *q), *tmp = xmalloc((size_t)n * sizeof *tmp);
    double ysum = 0;
    for (int i = 0; i < n; i++)
        ysum += yc[i];
    for (int i = 0; i < n; i++) /* r = Xc' yc */
        for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
            r[X->indices[k]] += X->values[k] * yc[i];
    cblas_daxpy(d, -ysum, mean, 1, r, 1);
    memset(w, 0, (size_t)d * sizeof *w);
    memcpy(p, r, (size_t)d * sizeof *p);
    double rr = cblas_ddot(d, r, 1, r, 1), stop = RIDGE_CG_TOL * RIDGE_CG_TOL * rr;
    for (int it = 0; it < 10 * d + 100 && rr > stop && rr > 0; it++) {
        s_normal_matvec(X, mean, alpha, p, tmp, q);
        double step = rr / cblas_ddot(d, p, 1, q, 1);
        cblas_daxpy(d, step, p, 1, w, 1);
        cblas_daxpy(d, -step, q, 1, r, 1);
        double rr2 = cblas_ddot(d, r, 1, r, 1);
        cblas_dscal(d, rr2 / rr, p, 1);
        cblas_daxpy(d, 1.0, r, 1, p, 1);
        rr = rr2;
    }
    free(r);
    free(p);
    free(q);
    free(tmp);
}

static void *s_fit(const fmatrix_t *X, const double *y, int n_classes, const hparams_t *hp,
                   uint64_t seed, char *err)
{
    (void)seed; /* closed form: nothing random */
    double alpha = hp_double(hp, "alpha", 1.0);
    if (n_classes != 0) {
        set_err(err, "ridge: regression only (use logreg for a label column)");
        return NULL;
    }
    if (!(alpha >= 0) || X->n_rows < 1) {
        set_err(err, "ridge: alpha must be >= 0 and the data non-empty");
        return NULL;
    }
    int n = X->n_rows, d = X->n_cols;
    double *mean = xmalloc((size_t)(d + 1) * sizeof *mean), *yc = xmalloc((size_t)n * sizeof *yc);
    s_means(X, mean);
    double ymean = 0;
    for (int i = 0; i < n; i++)
        ymean += y[i];
    ymean /= n;
    for (int i = 0; i < n; i++)
        yc[i] = y[i] - ymean;
    s_ridge_t *m = xcalloc(1, sizeof *m);
    m->d = d;
    m->w = xcalloc((size_t)d + 1, sizeof *m->w);
    int rc = 0;
    if (X->dense)
        rc = s_solve_dense(X, yc, mean, alpha, m->w, err);
    else
        s_solve_cg(X, yc, mean, alpha, m->w);
    m->b = ymean - cblas_ddot(d, mean, 1, m->w, 1);
    free(mean);
    free(yc);
    if (rc != 0) {
        free(m->w);
        free(m);
        return NULL;
    }
    return m;
}

static int s_predict(const void *model, const fmatrix_t *X, double *out, char *err)
{
    const s_ridge_t *m = model;
    if (X->n_cols != m->d)
        return set_err(err, "ridge: %d features, the model has %d", X->n_cols, m->d);
    for (int i = 0; i < X->n_rows; i++) {
        double s = m->b;
        if (X->dense)
            s += cblas_ddot(m->d, X->dense + (size_t)i * m->d, 1, m->w, 1);
        else
            for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
                s += X->values[p] * m->w[X->indices[p]];
        out[i] = s;
    }
    return 0;
}

static void s_destroy(void **model_p)
{
    assert(model_p);
    s_ridge_t *m = *model_p;
    if (m) {
        free(m->w);
        free(m);
    }
    *model_p = NULL;
}

static const char *const s_hparams[] = {"alpha", NULL};

/* Artifact map: d, w (d coefficients), b (the intercept). */
static int s_save(const void *model, msgpack_packer *pk, char *err)
{
    (void)err;
    const s_ridge_t *m = model;
    msgpack_pack_map(pk, 3);
    art_put_long(pk, "d", m->d);
    art_put_doubles(pk, "w", m->w, (size_t)m->d);
    art_put_double(pk, "b", m->b);
    return 0;
}

static void *s_load(const msgpack_object *map, int n_cols, int n_classes, char *err)
{
    long d = 0;
    if (art_get_long(map, "d", &d, err) != 0)
        return NULL;
    if (d != n_cols || n_classes != 0) {
        set_err(err, "artifact: ridge: %ld features for %d pipeline columns and %d classes",
                d, n_cols, n_classes);
        return NULL;
    }
    s_ridge_t *m = xcalloc(1, sizeof *m);
    m->d = (int)d;
    m->w = xmalloc(((size_t)d + 1) * sizeof *m->w);
    if (art_get_doubles(map, "w", m->w, (size_t)d, err) != 0 ||
        art_get_double(map, "b", &m->b, err) != 0) {
        void *p = m;
        s_destroy(&p);
        return NULL;
    }
    return m;
}

const model_ops_t ridge_model = {
    .name = "ridge",
    .classification = false,
    .regression = true,
    .sparse_ok = true,
    .hparams = s_hparams,
    .fit = s_fit,
    .predict = s_predict,
    .destroy = s_destroy,
    .save = s_save,
    .load = s_load,
};

static void s_check_fixture(const char *path, bool verbose)
{
    fixture_t fx;
    char err[HPS_ERR_LEN];
    if (fixture_load(path, &fx, err) != 0) {
        fprintf(stderr, "ridge_test: %s\n", err);
        assert(0 && "fixture missing: run from the repo root");
    }
    hparams_t *hp = hparams_new();
    char a[64];
    snprintf(a, sizeof a, "%.17g", fx.reg);
    hparams_set(hp, "alpha", a);
    fmatrix_t dense = {.n_rows = fx.n, .n_cols = fx.d, .dense = fx.X};
    fmat_t csr;
    fixture_csr(&fx, &csr);
    for (int layout = 0; layout < 2; layout++) {
        void *mp = ridge_model.fit(layout ? &csr.m : &dense, fx.y, 0, hp, 0, err);
        assert(mp);
        const s_ridge_t *m = mp;
        double worst = fabs(m->b - fx.coef[0]);
        for (int j = 0; j < fx.d; j++)
            worst = fmax(worst, fabs(m->w[j] - fx.coef[1 + j]));
        if (verbose)
            printf("  %s (%s): max |coef - sklearn| = %.2e\n", path,
                   layout ? "csr" : "dense", worst);
        assert(worst < 1e-6);
        double pred;
        fmatrix_t row = {.n_rows = 1, .n_cols = fx.d, .dense = fx.X};
        assert(ridge_model.predict(mp, &row, &pred, err) == 0);
        assert(fabs(pred - (fx.coef[0] + cblas_ddot(fx.d, fx.X, 1, fx.coef + 1, 1))) < 1e-6);
        ridge_model.destroy(&mp);
    }
    fmat_free(&csr);
    hparams_destroy(&hp);
    fixture_free(&fx);
}

void ridge_test(bool verbose)
{
    if (verbose)
        printf(" * ridge:\n");
    s_check_fixture("tests/fixtures/ridge.txt", verbose);
    s_check_fixture("tests/fixtures/ols.txt", verbose);
    /* Collinear columns under OLS: the retry with a tiny ridge still fits. */
    double X[] = {1, 2, 2, 4, 3, 6, 4, 8}, y[] = {1, 2, 3, 4}, pred[4];
    fmatrix_t m = {.n_rows = 4, .n_cols = 2, .dense = X};
    hparams_t *hp = hparams_new();
    hparams_set(hp, "alpha", "0");
    char err[HPS_ERR_LEN];
    void *r = ridge_model.fit(&m, y, 0, hp, 0, err);
    assert(r && ridge_model.predict(r, &m, pred, err) == 0);
    for (int i = 0; i < 4; i++)
        assert(fabs(pred[i] - y[i]) < 1e-6);
    ridge_model.destroy(&r);
    assert(ridge_model.fit(&m, y, 2, hp, 0, err) == NULL && strstr(err, "regression only"));
    hparams_destroy(&hp);
}
