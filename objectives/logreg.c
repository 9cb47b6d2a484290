/* logreg — L2-regularised logistic regression, binary and multinomial (softmax).
 *
 * Minimises scikit-learn's objective for solver='lbfgs':
 *     F(W, b) = sum_i loss_i + ||W||^2 / (2 C)        (the intercepts b unpenalised)
 * with loss_i the logistic loss for two classes (one weight vector, class 1 positive)
 * and the softmax cross-entropy otherwise (one weight vector per class). The solver is
 * L-BFGS (10 pairs) with a backtracking Armijo line search: F is strongly convex in W,
 * so every step's curvature pair is usable. It stops like scipy's L-BFGS-B as
 * scikit-learn drives it: max |gradient| <= tol, or a relative decrease of F below
 * 64 * machine epsilon, or max_iter iterations.
 *
 * X may be CSR (text) or dense (numeric); weights are stored feature-major
 * (w[j * kw + c]) so a CSR row touches contiguous memory for every class. */
#include <assert.h>
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objectives/artifact.h"
#include "objectives/fixture.h"
#include "objectives/model.h"

#define LBFGS_M 10
#define LBFGS_MAX_LS 50 /* line-search halvings before giving up */
#define TRON_CG_RTOL 0.1 /* inner CG stops at this residual relative to |g| */
#define TRON_ETA0 1e-4   /* a trust-region step is taken when it achieves this share */

typedef struct {
    int d, k, kw;  /* features, classes, weight columns (1 when k == 2) */
    double *theta; /* d * kw weights then kw intercepts; owned */
} s_logreg_t;

/* One evaluation context: data, labels and scratch for scores. */
typedef struct {
    const fmatrix_t *X;
    const double *y;
    int kw;
    double inv_c;  /* 1 / C; 0 = no penalty */
} s_problem_t;

/* Z = X W + b (n x kw). */
static void s_scores(const fmatrix_t *X, const double *theta, int kw, double *z)
{
    int n = X->n_rows, d = X->n_cols;
    const double *b = theta + (size_t)d * kw;
    for (int i = 0; i < n; i++)
        memcpy(z + (size_t)i * kw, b, (size_t)kw * sizeof *z);
    if (X->dense) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, kw, d, 1.0, X->dense, d,
                    theta, kw, 1.0, z, kw);
        return;
    }
    for (int i = 0; i < n; i++) {
        double *zi = z + (size_t)i * kw;
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1] && kw == 1; p++)
            zi[0] += X->values[p] * theta[X->indices[p]]; /* the binary case, unrolled */
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1] && kw > 1; p++) {
            const double *w = theta + (size_t)X->indices[p] * kw;
            double v = X->values[p];
            for (int c = 0; c < kw; c++)
                zi[c] += v * w[c];
        }
    }
}

/* Per-row losses from scores, replacing z by dLoss/dz. Returns sum of losses. */
static double s_loss_grad_z(const double *y, int n, int kw, double *z)
{
    double loss = 0;
    for (int i = 0; i < n; i++) {
        double *zi = z + (size_t)i * kw;
        int yi = (int)y[i];
        if (kw == 1) {
            double t = zi[0];
            /* log(1 + e^t) - y t, stably. */
            loss += (t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))) - (yi == 1 ? t : 0);
            double p = t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
            zi[0] = p - (yi == 1);
            continue;
        }
        double mx = zi[0], s = 0;
        for (int c = 1; c < kw; c++)
            mx = fmax(mx, zi[c]);
        for (int c = 0; c < kw; c++)
            s += exp(zi[c] - mx);
        loss += mx + log(s) - zi[yi];
        for (int c = 0; c < kw; c++)
            zi[c] = exp(zi[c] - mx) / s - (c == yi);
    }
    return loss;
}

/* g = X^T r + inv_c * W for the weights, column sums of r for the intercepts: the
 * chain rule through Z = X W + b, shared by the gradient and Hessian products. */
static void s_backprop(const fmatrix_t *X, const double *r, const double *theta, int kw,
                       double inv_c, double *g)
{
    int n = X->n_rows, d = X->n_cols;
    size_t nw = (size_t)d * kw;
    for (size_t j = 0; j < nw; j++)
        g[j] = inv_c * theta[j];
    double *gb = g + nw;
    memset(gb, 0, (size_t)kw * sizeof *gb);
    if (X->dense)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, kw, n, 1.0, X->dense, d, r, kw,
                    1.0, g, kw);
    for (int i = 0; i < n; i++) {
        const double *ri = r + (size_t)i * kw;
        for (int c = 0; c < kw; c++)
            gb[c] += ri[c];
        if (X->dense)
            continue;
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1] && kw == 1; p++)
            g[X->indices[p]] += X->values[p] * ri[0];
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1] && kw > 1; p++) {
            double *gj = g + (size_t)X->indices[p] * kw;
            double v = X->values[p];
            for (int c = 0; c < kw; c++)
                gj[c] += v * ri[c];
        }
    }
}

/* F(theta) and its gradient g; z (n x kw) is left holding dLoss/dZ at theta. */
static double s_eval(const s_problem_t *pb, const double *theta, double *z, double *g)
{
    const fmatrix_t *X = pb->X;
    size_t nw = (size_t)X->n_cols * pb->kw;
    s_scores(X, theta, pb->kw, z);
    double f = s_loss_grad_z(pb->y, X->n_rows, pb->kw, z);
    s_backprop(X, z, theta, pb->kw, pb->inv_c, g);
    return f + 0.5 * pb->inv_c * cblas_ddot((int)nw, theta, 1, theta, 1);
}

/* out = H v, the Hessian of F at the point where s_eval left dz, times v. Per row the
 * loss Hessian in z is diag(p) - p p' (softmax) or p (1 - p) (logistic), with p
 * recovered from dz = p - onehot(y). u is n x kw scratch. */
static void s_hess_vec(const s_problem_t *pb, const double *dz, const double *v, double *u,
                       double *out)
{
    const fmatrix_t *X = pb->X;
    int kw = pb->kw;
    s_scores(X, v, kw, u);
    for (int i = 0; i < X->n_rows; i++) {
        const double *di = dz + (size_t)i * kw;
        double *ui = u + (size_t)i * kw;
        int yi = (int)pb->y[i];
        if (kw == 1) {
            double p = di[0] + (yi == 1);
            ui[0] *= p * (1 - p);
            continue;
        }
        double pu = 0;
        for (int c = 0; c < kw; c++)
            pu += (di[c] + (c == yi)) * ui[c];
        for (int c = 0; c < kw; c++)
            ui[c] = (di[c] + (c == yi)) * (ui[c] - pu);
    }
    s_backprop(X, u, v, kw, pb->inv_c, out);
}

static double s_max_abs(const double *v, int n)
{
    return n > 0 ? fabs(v[cblas_idamax(n, v, 1)]) : 0;
}

/* L-BFGS search direction dir = -H g by the two-loop recursion over the stored pairs
 * (s, y) in ring order, oldest first. */
static void s_direction(int n, const double *g, double *const *s, double *const *y,
                        const double *rho, int stored, int newest, double *alpha, double *dir)
{
    cblas_dcopy(n, g, 1, dir, 1);
    for (int m = 0; m < stored; m++) {
        int i = (newest - m + LBFGS_M) % LBFGS_M;
        alpha[i] = rho[i] * cblas_ddot(n, s[i], 1, dir, 1);
        cblas_daxpy(n, -alpha[i], y[i], 1, dir, 1);
    }
    if (stored > 0) { /* initial Hessian scaling s'y / y'y */
        double yy = cblas_ddot(n, y[newest], 1, y[newest], 1);
        cblas_dscal(n, 1.0 / (rho[newest] * yy), dir, 1);
    }
    for (int m = stored - 1; m >= 0; m--) {
        int i = (newest - m + LBFGS_M) % LBFGS_M;
        double beta = rho[i] * cblas_ddot(n, y[i], 1, dir, 1);
        cblas_daxpy(n, alpha[i] - beta, s[i], 1, dir, 1);
    }
    cblas_dscal(n, -1.0, dir, 1);
}

/* Minimise F from theta (in place). Returns iterations used. */
static int s_lbfgs(const s_problem_t *pb, double *theta, int n, int max_iter, double tol)
{
    double *z = xmalloc(((size_t)pb->X->n_rows * pb->kw + 1) * sizeof *z);
    double *buf = xmalloc((size_t)n * (2 * LBFGS_M + 4) * sizeof(double));
    double *g = buf, *dir = g + n, *th2 = dir + n, *g2 = th2 + n;
    double *s[LBFGS_M], *y[LBFGS_M], rho[LBFGS_M], alpha[LBFGS_M];
    for (int i = 0; i < LBFGS_M; i++) {
        s[i] = g2 + n + (size_t)(2 * i) * n;
        y[i] = s[i] + n;
    }
    double f = s_eval(pb, theta, z, g);
    int stored = 0, newest = LBFGS_M - 1, it = 0;
    while (it < max_iter && s_max_abs(g, n) > tol) {
        it++;
        s_direction(n, g, s, y, rho, stored, newest, alpha, dir);
        double slope = cblas_ddot(n, g, 1, dir, 1);
        if (slope >= 0) { /* not a descent direction (round-off): restart from -g */
            stored = 0;
            cblas_dcopy(n, g, 1, dir, 1);
            cblas_dscal(n, -1.0, dir, 1);
            slope = -cblas_ddot(n, g, 1, g, 1);
        }
        double step = stored == 0 ? fmin(1.0, 1.0 / cblas_dnrm2(n, g, 1)) : 1.0, f2 = f;
        int ls = 0;
        for (; ls < LBFGS_MAX_LS; ls++, step *= 0.5) {
            cblas_dcopy(n, theta, 1, th2, 1);
            cblas_daxpy(n, step, dir, 1, th2, 1);
            f2 = s_eval(pb, th2, z, g2);
            if (f2 <= f + 1e-4 * step * slope)
                break;
        }
        if (ls == LBFGS_MAX_LS)
            break; /* no progress possible at this precision */
        newest = (newest + 1) % LBFGS_M;
        for (int j = 0; j < n; j++) {
            s[newest][j] = th2[j] - theta[j];
            y[newest][j] = g2[j] - g[j];
        }
        double sy = cblas_ddot(n, s[newest], 1, y[newest], 1);
        if (sy > DBL_EPSILON * cblas_ddot(n, y[newest], 1, y[newest], 1)) {
            rho[newest] = 1.0 / sy;
            stored = stored < LBFGS_M ? stored + 1 : LBFGS_M;
        } else {
            newest = (newest + LBFGS_M - 1) % LBFGS_M; /* drop a useless pair */
        }
        bool flat = (f - f2) <= 64 * DBL_EPSILON * fmax(fmax(fabs(f), fabs(f2)), 1.0);
        cblas_dcopy(n, th2, 1, theta, 1);
        cblas_dcopy(n, g2, 1, g, 1);
        f = f2;
        if (flat)
            break;
    }
    free(buf);
    free(z);
    return it;
}

/* Steihaug's truncated CG for H s = -g inside ||s|| <= radius, to relative residual
 * TRON_CG_RTOL. Leaves r = -g - H s; returns ||s||. buf holds 2 n + n_rows * kw + 1. */
static double s_steihaug(const s_problem_t *pb, const double *dz, const double *g, int n,
                         double radius, double *s, double *r, double *buf)
{
    double *d = buf, *hd = d + n, *u = hd + n;
    memset(s, 0, (size_t)n * sizeof *s);
    cblas_dcopy(n, g, 1, r, 1);
    cblas_dscal(n, -1.0, r, 1);
    cblas_dcopy(n, r, 1, d, 1);
    double rr = cblas_ddot(n, r, 1, r, 1), stop = TRON_CG_RTOL * sqrt(rr);
    for (int it = 0; it < n && sqrt(rr) > stop; it++) {
        s_hess_vec(pb, dz, d, u, hd);
        double alpha = rr / cblas_ddot(n, d, 1, hd, 1);
        cblas_daxpy(n, alpha, d, 1, s, 1);
        if (cblas_dnrm2(n, s, 1) > radius) {
            /* Back to the boundary: the tau >= 0 with ||s_old + tau d|| = radius. */
            cblas_daxpy(n, -alpha, d, 1, s, 1);
            double sd = cblas_ddot(n, s, 1, d, 1), dd = cblas_ddot(n, d, 1, d, 1);
            double ss = cblas_ddot(n, s, 1, s, 1), rad2 = radius * radius;
            double tau = (sqrt(sd * sd + dd * (rad2 - ss)) - sd) / dd;
            cblas_daxpy(n, tau, d, 1, s, 1);
            cblas_daxpy(n, -tau, hd, 1, r, 1);
            break;
        }
        cblas_daxpy(n, -alpha, hd, 1, r, 1);
        double rr2 = cblas_ddot(n, r, 1, r, 1);
        cblas_dscal(n, rr2 / rr, d, 1);
        cblas_daxpy(n, 1.0, r, 1, d, 1);
        rr = rr2;
    }
    return cblas_dnrm2(n, s, 1);
}

/* Trust-region Newton: Newton steps from truncated CG, the radius adapted by how well
 * the quadratic model predicted the actual decrease. Each Hessian product is two
 * passes over X, so it needs far fewer passes than L-BFGS on ill-conditioned text
 * problems (large C). Same stopping rule as s_lbfgs. Returns iterations used. */
static int s_tron(const s_problem_t *pb, double *theta, int n, int max_iter, double tol)
{
    size_t zn = (size_t)pb->X->n_rows * pb->kw + 1;
    double *buf = xmalloc(((size_t)n * 7 + 3 * zn) * sizeof(double));
    double *g = buf, *g2 = g + n, *s = g2 + n, *r = s + n, *th2 = r + n, *cg = th2 + n;
    double *dz = cg + 2 * (size_t)n + zn, *dz2 = dz + zn; /* cg: s_steihaug's scratch */
    double f = s_eval(pb, theta, dz, g);
    double radius = cblas_dnrm2(n, g, 1);
    int it = 0;
    while (it < max_iter && s_max_abs(g, n) > tol) {
        it++;
        double snorm = s_steihaug(pb, dz, g, n, radius, s, r, cg);
        /* Model decrease -(g's + s'Hs/2) = -(g's - r's)/2 since Hs = -g - r. */
        double pred = -0.5 * (cblas_ddot(n, g, 1, s, 1) - cblas_ddot(n, r, 1, s, 1));
        cblas_dcopy(n, theta, 1, th2, 1);
        cblas_daxpy(n, 1.0, s, 1, th2, 1);
        double f2 = s_eval(pb, th2, dz2, g2), rho = pred > 0 ? (f - f2) / pred : -1;
        if (rho < 0.25)
            radius = 0.25 * snorm;
        else if (rho > 0.75 && snorm >= 0.99 * radius)
            radius *= 2;
        if (rho > TRON_ETA0) {
            double *t = dz; /* accept: swap in the trial point's state */
            dz = dz2;
            dz2 = t;
            cblas_dcopy(n, th2, 1, theta, 1);
            cblas_dcopy(n, g2, 1, g, 1);
            f = f2;
        }
        if (pred <= 64 * DBL_EPSILON * fmax(fabs(f), 1.0) || radius < 1e-12 * snorm)
            break; /* no decrease left at this precision */
    }
    free(buf);
    return it;
}

/* Validate the hyperparameters; -1 with err. */
static int s_check(int n_classes, double C, double tol, long max_iter, const char *penalty,
                   const char *solver, char *err)
{
    if (strcmp(solver, "newton") != 0 && strcmp(solver, "lbfgs") != 0)
        return set_err(err, "logreg: solver must be newton or lbfgs, got '%s'", solver);
    if (n_classes < 2)
        return set_err(err, "logreg: needs at least 2 classes, got %d", n_classes);
    if (!(C > 0) || !(tol > 0) || max_iter < 1)
        return set_err(err, "logreg: C and tol must be > 0 and max_iter >= 1");
    if (strcmp(penalty, "l2") != 0 && strcmp(penalty, "none") != 0)
        return set_err(err, "logreg: penalty must be l2 or none, got '%s'", penalty);
    return 0;
}

static void *s_fit(const fmatrix_t *X, const double *y, int n_classes, const hparams_t *hp,
                   uint64_t seed, char *err)
{
    (void)seed; /* deterministic: a convex problem from a zero start */
    assert(X && y);
    double C = hp_double(hp, "C", 1.0), tol = hp_double(hp, "tol", 1e-4);
    long max_iter = hp_long(hp, "max_iter", 100);
    const char *penalty = hp_str(hp, "penalty", "l2"), *solver = hp_str(hp, "solver", "newton");
    if (s_check(n_classes, C, tol, max_iter, penalty, solver, err) != 0)
        return NULL;
    s_logreg_t *m = xcalloc(1, sizeof *m);
    m->d = X->n_cols;
    m->k = n_classes;
    m->kw = n_classes == 2 ? 1 : n_classes;
    int n = m->d * m->kw + m->kw;
    m->theta = xcalloc((size_t)n, sizeof(double));
    s_problem_t pb = {.X = X, .y = y, .kw = m->kw,
                      .inv_c = strcmp(penalty, "none") == 0 ? 0.0 : 1.0 / C};
    if (strcmp(solver, "lbfgs") == 0)
        s_lbfgs(&pb, m->theta, n, (int)max_iter, tol);
    else
        s_tron(&pb, m->theta, n, (int)max_iter, tol);
    return m;
}

static int s_predict(const void *model, const fmatrix_t *X, double *out, char *err)
{
    const s_logreg_t *m = model;
    if (X->n_cols != m->d)
        return set_err(err, "logreg: %d features, the model has %d", X->n_cols, m->d);
    double *z = xmalloc(((size_t)X->n_rows * m->kw + 1) * sizeof(double));
    s_scores(X, m->theta, m->kw, z);
    for (int i = 0; i < X->n_rows; i++) {
        double *o = out + (size_t)i * m->k, *zi = z + (size_t)i * m->kw;
        if (m->kw == 1) {
            double t = zi[0];
            o[1] = t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
            o[0] = 1 - o[1];
            continue;
        }
        double mx = zi[0], s = 0;
        for (int c = 1; c < m->k; c++)
            mx = fmax(mx, zi[c]);
        for (int c = 0; c < m->k; c++)
            s += (o[c] = exp(zi[c] - mx));
        for (int c = 0; c < m->k; c++)
            o[c] /= s;
    }
    free(z);
    return 0;
}

static void s_destroy(void **model_p)
{
    assert(model_p);
    s_logreg_t *m = *model_p;
    if (m) {
        free(m->theta);
        free(m);
    }
    *model_p = NULL;
}

/* Weight of feature j in weight column c; j = -1: the intercept. For the tests. */
static double s_coef(const void *model, int c, int j)
{
    const s_logreg_t *m = model;
    assert(c >= 0 && c < m->kw && j >= -1 && j < m->d);
    return j < 0 ? m->theta[(size_t)m->d * m->kw + c] : m->theta[(size_t)j * m->kw + c];
}

static const char *const s_hparams[] = {"C", "max_iter", "tol", "penalty", "solver", NULL};

/* Artifact map: d, k, theta (d * kw weights then kw intercepts, kw = 1 when k == 2). */
static int s_save(const void *model, msgpack_packer *pk, char *err)
{
    (void)err;
    const s_logreg_t *m = model;
    msgpack_pack_map(pk, 3);
    art_put_long(pk, "d", m->d);
    art_put_long(pk, "k", m->k);
    art_put_doubles(pk, "theta", m->theta, (size_t)m->d * m->kw + m->kw);
    return 0;
}

static void *s_load(const msgpack_object *map, int n_cols, int n_classes, char *err)
{
    long d = 0, k = 0;
    if (art_get_long(map, "d", &d, err) != 0 || art_get_long(map, "k", &k, err) != 0)
        return NULL;
    if (d != n_cols || k != n_classes || k < 2) {
        set_err(err, "artifact: logreg: %ld features and %ld classes, the pipeline has %d "
                "and %d", d, k, n_cols, n_classes);
        return NULL;
    }
    s_logreg_t *m = xcalloc(1, sizeof *m);
    *m = (s_logreg_t){.d = (int)d, .k = (int)k, .kw = k == 2 ? 1 : (int)k};
    size_t n = (size_t)m->d * m->kw + m->kw;
    m->theta = xmalloc(n * sizeof *m->theta);
    if (art_get_doubles(map, "theta", m->theta, n, err) != 0) {
        void *p = m;
        s_destroy(&p);
        return NULL;
    }
    return m;
}

const model_ops_t logreg_model = {
    .name = "logreg",
    .classification = true,
    .regression = false,
    .sparse_ok = true,
    .hparams = s_hparams,
    .fit = s_fit,
    .predict = s_predict,
    .destroy = s_destroy,
    .save = s_save,
    .load = s_load,
};

/* Fit the fixture in both layouts and compare with scikit-learn's coefficients. */
static void s_check_fixture(const char *path, const char *solver, bool verbose)
{
    fixture_t fx;
    char err[HPS_ERR_LEN];
    if (fixture_load(path, &fx, err) != 0) {
        fprintf(stderr, "logreg_test: %s\n", err);
        assert(0 && "fixture missing: run from the repo root");
    }
    hparams_t *hp = hparams_new();
    char c[64];
    snprintf(c, sizeof c, "%.17g", fx.reg);
    hparams_set(hp, "C", c);
    hparams_set(hp, "tol", "1e-10");
    hparams_set(hp, "max_iter", "10000");
    hparams_set(hp, "solver", solver);
    fmatrix_t dense = {.n_rows = fx.n, .n_cols = fx.d, .dense = fx.X};
    fmat_t csr;
    fixture_csr(&fx, &csr);
    for (int layout = 0; layout < 2; layout++) {
        void *m = logreg_model.fit(layout ? &csr.m : &dense, fx.y, fx.n_classes, hp, 0, err);
        assert(m);
        double worst = 0;
        for (int v = 0; v < fx.n_vec; v++)
            for (int j = -1; j < fx.d; j++)
                worst = fmax(worst, fabs(s_coef(m, v, j) -
                                         fx.coef[(size_t)v * (fx.d + 1) + 1 + j]));
        if (verbose)
            printf("  %s (%s, %s): max |coef - sklearn| = %.2e\n", path, solver,
                   layout ? "csr" : "dense", worst);
        assert(worst < 1e-4);
        double *p = xmalloc((size_t)fx.n * fx.n_classes * sizeof(double));
        assert(logreg_model.predict(m, &dense, p, err) == 0);
        for (int i = 0; i < fx.n; i++) {
            double s = 0;
            for (int k = 0; k < fx.n_classes; k++)
                s += p[(size_t)i * fx.n_classes + k];
            assert(fabs(s - 1) < 1e-12);
        }
        free(p);
        logreg_model.destroy(&m);
        assert(m == NULL);
    }
    fmat_free(&csr);
    hparams_destroy(&hp);
    fixture_free(&fx);
}

void logreg_test(bool verbose)
{
    if (verbose)
        printf(" * logreg:\n");
    for (int solver = 0; solver < 2; solver++) {
        const char *name = solver ? "lbfgs" : "newton";
        s_check_fixture("tests/fixtures/logreg_binary.txt", name, verbose);
        s_check_fixture("tests/fixtures/logreg_multi.txt", name, verbose);
    }
    char err[HPS_ERR_LEN];
    hparams_t *hp = hparams_new();
    hparams_set(hp, "C", "-1");
    double x = 1, y = 0;
    fmatrix_t X = {.n_rows = 1, .n_cols = 1, .dense = &x};
    assert(logreg_model.fit(&X, &y, 2, hp, 0, err) == NULL && strstr(err, "C and tol"));
    hparams_destroy(&hp);
}
