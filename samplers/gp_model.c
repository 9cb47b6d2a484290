/* gp_model — a Matérn-5/2 ARD Gaussian process (see gp_model.h).
 *
 * Hyperparameters theta = (log l_1 .. log l_d, log s_f^2, log(s_n^2 - floor)), on y
 * standardised to mean 0 and variance 1. The objective minimised is
 *   -(log p(y | theta) + log prior(theta)),
 *   log p(y | theta) = -y'a/2 - sum log L_ii - n/2 log 2 pi,  a = K^-1 y,  K = L L',
 * with its gradient 1/2 tr((a a' - K^-1) dK/dtheta_j). Priors (normal on the logs):
 * length scales around 0.5 (sd 0.5 in log: 95% between 0.19 and 1.33 of a parameter's
 * range), signal around 1 (sd 1.5), noise around 1e-3 (sd 3). The signal and noise
 * priors are weak, they only keep a fit on few points away from the degenerate ends.
 * The length scales' is not: with sd 1.5 the fit on a rugged landscape (BBOB's Schaffer
 * F7, f17-f18) jumped from refit to refit between a smooth mode and one with length
 * scales of 0.05-0.1 that threads the ripples, and expected improvement with it; sd 0.5
 * (chosen on the tuning seeds over 0.35, 0.75 and 1.5, docs/bench-bbob.md) keeps the smooth
 * mode and turned f17-d5 from 1.9x Optuna's TPE into level. A one-hot dimension (a
 * categorical's choice) keeps the weak prior, sd 1.5: its length scale says how much
 * the choices share, and held near 0.5 it cost the GP on mixed spaces. */
#include "samplers/gp_model.h"

#include <assert.h>
#include <cblas.h>
#include <lbfgs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* LAPACK's Cholesky factorisation and the inverse from it, from OpenBLAS. */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define S_NOISE_FLOOR 1e-6
#define S_LS_PRIOR_SD 0.5 /* sd of the log length scales' prior (the header comment) */
#define S_WEAK_SD 1.5     /* the signal's, and a one-hot dimension's length scale's */
#define S_SQRT5 2.23606797749978969641

struct gp_model_s {
    int n, d;
    double *x;            /* n x d */
    double ymean, ystd;
    double *theta;        /* d + 2 */
    double *ls;           /* d: exp of theta's first d */
    double *l;            /* n x n, column-major lower Cholesky factor of K */
    double *alpha;        /* n: K^-1 y (standardised) */
    double lml;
};

/* Scratch for one evaluation of the objective. */
typedef struct {
    const double *x, *y; /* y standardised */
    int n, d;
    const bool *cat;     /* NULL, or d flags: one-hot dimensions (gp_model_fit) */
    double *k, *kinv, *alpha; /* n x n, n x n, n */
    double lml;               /* of the last evaluation */
} s_fit_t;

static double s_matern(double r, double sf2)
{
    return sf2 * (1 + S_SQRT5 * r + 5.0 / 3.0 * r * r) * exp(-S_SQRT5 * r);
}

/* Scaled distance between rows i and j of x (n x d) under length scales ls. */
static double s_dist(const double *a, const double *b, const double *ls, int d)
{
    double r2 = 0;
    for (int k = 0; k < d; k++) {
        double t = (a[k] - b[k]) / ls[k];
        r2 += t * t;
    }
    return sqrt(r2);
}

/* K of theta into k (column-major, full), then its Cholesky factor in place (lower).
 * -1 when it is not positive definite. */
static int s_factor(const double *x, int n, int d, const double *theta, double *k)
{
    double ls[GP_MODEL_MAXDIM], sf2 = exp(theta[d]), sn2 = S_NOISE_FLOOR + exp(theta[d + 1]);
    for (int j = 0; j < d; j++)
        ls[j] = exp(theta[j]);
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double v = s_matern(s_dist(x + i * d, x + j * d, ls, d), sf2) + (i == j ? sn2 : 0);
            k[j * n + i] = k[i * n + j] = v;
        }
    int info = 0;
    dpotrf_("L", &n, k, &n, &info);
    return info == 0 ? 0 : -1;
}

/* alpha = K^-1 y from the factor l. */
static void s_solve(const double *l, int n, const double *y, double *alpha)
{
    memcpy(alpha, y, (size_t)n * sizeof *alpha);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, l, n, alpha, 1);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, n, l, n, alpha, 1);
}

static double s_log_prior(const double *theta, int d, const bool *cat, double *grad)
{
    double lp = 0;
    for (int j = 0; j < d + 2; j++) {
        double mu = j < d ? log(0.5) : j == d ? 0 : log(1e-3);
        double sd = j < d ? (cat && cat[j] ? S_WEAK_SD : S_LS_PRIOR_SD) : j == d ? S_WEAK_SD : 3;
        double z = (theta[j] - mu) / sd;
        lp -= 0.5 * z * z;
        grad[j] = -z / sd;
    }
    return lp;
}

/* The gradient's data term: 1/2 tr(W dK/dtheta_j) with W = a a' - K^-1 (in kinv). */
static void s_lml_grad(const s_fit_t *f, const double *theta, double *grad)
{
    int n = f->n, d = f->d;
    double ls[GP_MODEL_MAXDIM], sf2 = exp(theta[d]), sn2 = S_NOISE_FLOOR + exp(theta[d + 1]);
    for (int j = 0; j < d; j++)
        ls[j] = exp(theta[j]);
    for (int j = 0; j < d + 2; j++)
        grad[j] = 0;
    for (int b = 0; b < n; b++)
        for (int a = 0; a < n; a++) {
            double w = f->alpha[a] * f->alpha[b] - f->kinv[b * n + a];
            const double *xa = f->x + a * d, *xb = f->x + b * d;
            double r = s_dist(xa, xb, ls, d), e = exp(-S_SQRT5 * r);
            grad[d] += 0.5 * w * sf2 * (1 + S_SQRT5 * r + 5.0 / 3.0 * r * r) * e;
            if (a == b) {
                grad[d + 1] += 0.5 * w * (sn2 - S_NOISE_FLOOR);
                continue;
            }
            double g = 5.0 / 3.0 * sf2 * (1 + S_SQRT5 * r) * e * 0.5 * w;
            for (int j = 0; j < d; j++) {
                double t = (xa[j] - xb[j]) / ls[j];
                grad[j] += g * t * t;
            }
        }
}

/* liblbfgs's callback: the objective at theta and its gradient. */
static lbfgsfloatval_t s_objective(void *arg, const lbfgsfloatval_t *theta, lbfgsfloatval_t *g,
                                   const int dims, const lbfgsfloatval_t step)
{
    (void)step;
    s_fit_t *f = arg;
    int n = f->n, d = f->d;
    assert(dims == d + 2);
    for (int j = 0; j < dims; j++)
        if (!isfinite(theta[j]) || fabs(theta[j]) > 30) {
            for (int i = 0; i < dims; i++)
                g[i] = 0;
            return 1e30; /* far outside: let the line search step back */
        }
    if (s_factor(f->x, n, d, theta, f->k) != 0) {
        for (int i = 0; i < dims; i++)
            g[i] = 0;
        return 1e30;
    }
    s_solve(f->k, n, f->y, f->alpha);
    double quad = 0, logdet = 0;
    for (int i = 0; i < n; i++) {
        quad += f->y[i] * f->alpha[i];
        logdet += log(f->k[i * n + i]);
    }
    f->lml = -0.5 * quad - logdet - 0.5 * n * log(2 * 3.14159265358979323846);
    /* K^-1 = L^-T L^-1: the inverse of the factor, then its product with its transpose */
    memset(f->kinv, 0, (size_t)n * n * sizeof *f->kinv);
    for (int i = 0; i < n; i++)
        f->kinv[i * n + i] = 1;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, n, 1.0,
                f->k, n, f->kinv, n);
    double *linv = xmalloc((size_t)n * n * sizeof *linv);
    memcpy(linv, f->kinv, (size_t)n * n * sizeof *linv);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, n, n, n, 1.0, linv, n, linv, n, 0.0,
                f->kinv, n);
    free(linv);
    double prior_grad[GP_MODEL_MAXDIM + 2], grad[GP_MODEL_MAXDIM + 2];
    double lp = s_log_prior(theta, d, f->cat, prior_grad);
    s_lml_grad(f, theta, grad);
    for (int j = 0; j < dims; j++)
        g[j] = -(grad[j] + prior_grad[j]);
    return -(f->lml + lp);
}

/* Minimise from start (d + 2 values, replaced by the end point): the objective reached. */
static double s_minimise(s_fit_t *f, double *start)
{
    int dims = f->d + 2;
    lbfgsfloatval_t *t = lbfgs_malloc(dims), fx = 0;
    assert(t);
    for (int j = 0; j < dims; j++)
        t[j] = start[j];
    lbfgs_parameter_t p;
    lbfgs_parameter_init(&p);
    p.max_iterations = 60;
    p.epsilon = 1e-4;
    p.linesearch = LBFGS_LINESEARCH_BACKTRACKING_ARMIJO;
    int rc = lbfgs(dims, t, &fx, s_objective, NULL, f, &p);
    if (rc < 0 && rc != LBFGSERR_MAXIMUMITERATION && rc != LBFGSERR_ROUNDING_ERROR &&
        rc != LBFGSERR_MAXIMUMLINESEARCH && rc != LBFGSERR_MINIMUMSTEP)
        fx = 1e30; /* a failure that leaves no usable point */
    for (int j = 0; j < dims; j++)
        start[j] = t[j];
    lbfgs_free(t);
    return fx;
}

gp_model_t *gp_model_fit(const double *x, const double *y, int n, int d, const bool *cat,
                         const double *theta, char *err)
{
    assert(x && y && n >= 1 && d >= 1 && d <= GP_MODEL_MAXDIM);
    /* Matrices of a few hundred rows: OpenBLAS's threads cost more than they bring (and
     * the coordinator, which samples, is one thread by design). */
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
    gp_model_t *m = xcalloc(1, sizeof *m);
    m->n = n;
    m->d = d;
    m->x = xmalloc((size_t)n * d * sizeof *m->x);
    memcpy(m->x, x, (size_t)n * d * sizeof *m->x);
    double mean = 0, var = 0, *ys = xmalloc((size_t)n * sizeof *ys);
    for (int i = 0; i < n; i++)
        mean += y[i] / n;
    for (int i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean) / n;
    m->ymean = mean;
    m->ystd = var > 1e-24 ? sqrt(var) : 1;
    for (int i = 0; i < n; i++)
        ys[i] = (y[i] - mean) / m->ystd;
    s_fit_t f = {.x = m->x, .y = ys, .n = n, .d = d, .cat = cat};
    f.k = xmalloc((size_t)n * n * sizeof *f.k);
    f.kinv = xmalloc((size_t)n * n * sizeof *f.kinv);
    f.alpha = xmalloc((size_t)n * sizeof *f.alpha);
    /* Two fixed starts (smooth, and rougher with more noise); the better end wins. */
    double starts[2][GP_MODEL_MAXDIM + 2], best = theta ? 0 : INFINITY;
    m->theta = xmalloc((size_t)(d + 2) * sizeof *m->theta);
    if (theta)
        memcpy(m->theta, theta, (size_t)(d + 2) * sizeof *m->theta);
    for (int s = 0; !theta && s < 2; s++) {
        for (int j = 0; j < d; j++)
            starts[s][j] = log(s == 0 ? 0.5 : 0.15);
        starts[s][d] = 0;
        starts[s][d + 1] = log(s == 0 ? 1e-4 : 1e-2);
        double v = s_minimise(&f, starts[s]);
        if (v < best) {
            best = v;
            memcpy(m->theta, starts[s], (size_t)(d + 2) * sizeof *m->theta);
        }
    }
    m->l = f.k;
    m->alpha = f.alpha;
    free(f.kinv);
    int rc = best < 1e29 ? s_factor(m->x, n, d, m->theta, m->l) : -1;
    if (rc == 0) {
        s_solve(m->l, n, ys, m->alpha);
        double quad = 0, logdet = 0;
        for (int i = 0; i < n; i++) {
            quad += ys[i] * m->alpha[i];
            logdet += log(m->l[i * n + i]);
        }
        m->lml = -0.5 * quad - logdet - 0.5 * n * log(2 * 3.14159265358979323846);
    }
    free(ys);
    m->ls = xmalloc((size_t)d * sizeof *m->ls);
    for (int j = 0; j < d; j++)
        m->ls[j] = exp(m->theta[j]);
    if (rc != 0) {
        set_err(err, "gp: the kernel matrix of %d points is singular at every fit", n);
        gp_model_destroy(&m);
    }
    return m;
}

void gp_model_destroy(gp_model_t **self_p)
{
    gp_model_t *m = *self_p;
    if (!m)
        return;
    free(m->x);
    free(m->theta);
    free(m->ls);
    free(m->l);
    free(m->alpha);
    free(m);
    *self_p = NULL;
}

void gp_model_predict(const gp_model_t *self, const double *x, int m, double *mu, double *sd)
{
    int n = self->n, d = self->d;
    double ls[GP_MODEL_MAXDIM], sf2 = exp(self->theta[d]);
    for (int j = 0; j < d; j++)
        ls[j] = exp(self->theta[j]);
    double *ks = xmalloc((size_t)n * m * sizeof *ks); /* n x m, column-major */
    for (int c = 0; c < m; c++)
        for (int i = 0; i < n; i++)
            ks[c * n + i] = s_matern(s_dist(x + c * d, self->x + i * d, ls, d), sf2);
    for (int c = 0; c < m; c++)
        mu[c] = cblas_ddot(n, ks + c * n, 1, self->alpha, 1);
    if (!sd) { /* the means alone: no solve */
        for (int c = 0; c < m; c++)
            mu[c] = mu[c] * self->ystd + self->ymean;
        free(ks);
        return;
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, m, 1.0,
                self->l, n, ks, n);
    for (int c = 0; c < m; c++) {
        double v = sf2 - cblas_ddot(n, ks + c * n, 1, ks + c * n, 1);
        sd[c] = sqrt(v > 1e-12 ? v : 1e-12) * self->ystd;
        mu[c] = mu[c] * self->ystd + self->ymean;
    }
    free(ks);
}

const double *gp_model_lengthscales(const gp_model_t *self) { return self->ls; }
const double *gp_model_theta(const gp_model_t *self) { return self->theta; }
double gp_model_signal(const gp_model_t *self) { return exp(self->theta[self->d]); }
double gp_model_noise(const gp_model_t *self)
{
    return S_NOISE_FLOOR + exp(self->theta[self->d + 1]);
}
double gp_model_lml(const gp_model_t *self) { return self->lml; }

/* Leave-one-out in closed form (Rasmussen & Williams, 5.4.2): with a = K^-1 y, the
 * prediction of y_i from the others is N(y_i - a_i / [K^-1]_ii, 1 / [K^-1]_ii). */
double gp_model_loo(const gp_model_t *self)
{
    int n = self->n, info = 0;
    double *kinv = xmalloc((size_t)n * n * sizeof *kinv), sum = 0;
    memcpy(kinv, self->l, (size_t)n * n * sizeof *kinv);
    dpotri_("L", &n, kinv, &n, &info);
    for (int i = 0; i < n && info == 0; i++) {
        double q = kinv[(size_t)i * n + i], r = self->alpha[i] / q;
        sum += 0.5 * log(q / (2 * 3.14159265358979323846)) - 0.5 * q * r * r;
    }
    free(kinv);
    return info == 0 ? sum - n * log(self->ystd) : -INFINITY;
}
double gp_model_ystd(const gp_model_t *self) { return self->ystd; }

double gp_model_min_mean(const gp_model_t *self, int n)
{
    assert(self && n >= 1 && n <= self->n);
    double *mu = xmalloc((size_t)n * sizeof *mu), best = INFINITY;
    gp_model_predict(self, self->x, n, mu, NULL);
    for (int i = 0; i < n; i++)
        best = fmin(best, mu[i]);
    free(mu);
    return best;
}

/* ---- self-test ---------------------------------------------------------------------- */

static double s_unit(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) / 9007199254740992.0;
}

/* The analytic gradient agrees with central differences. */
static void s_test_gradient(void)
{
    enum { N = 9, D = 3 };
    double x[N * D], y[N];
    uint64_t st = 3;
    for (int i = 0; i < N * D; i++)
        x[i] = s_unit(&st);
    for (int i = 0; i < N; i++)
        y[i] = sin(4 * x[i * D]) + x[i * D + 1] * x[i * D + 1] + 0.1 * s_unit(&st);
    double k[N * N], kinv[N * N], alpha[N], g[D + 2], g2[D + 2];
    bool cat[D] = {false, true, false}; /* both kinds of length-scale prior */
    s_fit_t f = {.x = x, .y = y, .n = N, .d = D, .cat = cat, .k = k, .kinv = kinv,
                 .alpha = alpha};
    double theta[D + 2] = {log(0.3), log(0.7), log(2.0), 0.2, log(0.05)};
    s_objective(&f, theta, g, D + 2, 0);
    for (int j = 0; j < D + 2; j++) {
        double h = 1e-5, t = theta[j];
        theta[j] = t + h;
        double up = s_objective(&f, theta, g2, D + 2, 0);
        theta[j] = t - h;
        double down = s_objective(&f, theta, g2, D + 2, 0);
        theta[j] = t;
        double num = (up - down) / (2 * h);
        assert(fabs(num - g[j]) < 1e-5 * (1 + fabs(num)));
    }
}

/* A smooth function of x0 only, 2-D, 20 points: the fit interpolates it, is sure at the
 * data and unsure far away, and finds x1 irrelevant (a much longer length scale). */
static void s_test_fit(void)
{
    enum { N = 20, D = 2 };
    double x[N * D], y[N];
    uint64_t st = 11;
    for (int i = 0; i < N; i++) {
        x[i * D] = s_unit(&st);
        x[i * D + 1] = s_unit(&st);
        y[i] = 3 + 2 * sin(5 * x[i * D]);
    }
    char err[HPS_ERR_LEN];
    gp_model_t *m = gp_model_fit(x, y, N, D, NULL, NULL, err);
    assert(m);
    assert(gp_model_lengthscales(m)[1] > 5 * gp_model_lengthscales(m)[0]);
    double probe[2 * D] = {0.5, 0.3, 0.21, 0.9}, mu[2], sd[2];
    gp_model_predict(m, probe, 2, mu, sd);
    for (int c = 0; c < 2; c++)
        assert(fabs(mu[c] - (3 + 2 * sin(5 * probe[c * D]))) < 0.05);
    double at[D] = {x[0], x[1]}, far[D] = {3.0, 3.0}, mu1, sd1, mu2, sd2;
    gp_model_predict(m, at, 1, &mu1, &sd1);
    gp_model_predict(m, far, 1, &mu2, &sd2);
    assert(fabs(mu1 - y[0]) < 1e-2 && sd1 < 0.05 && sd2 > 20 * sd1);
    double lo = y[0]; /* without noise the incumbent is the best value */
    for (int i = 1; i < N; i++)
        lo = fmin(lo, y[i]);
    assert(fabs(gp_model_min_mean(m, N) - lo) < 1e-2);
    /* x1 marked one-hot: its length scale's prior is the weaker one, so the data push it
     * further out; x0's is unchanged in kind. */
    bool cat[D] = {false, true};
    gp_model_t *c = gp_model_fit(x, y, N, D, cat, NULL, err);
    assert(c && gp_model_lengthscales(c)[1] > 1.5 * gp_model_lengthscales(m)[1]);
    assert(gp_model_lengthscales(c)[1] > 5 * gp_model_lengthscales(c)[0]);
    gp_model_destroy(&c);
    gp_model_destroy(&m);
    assert(m == NULL);
}

/* Noisy observations: the noise variance found is near the truth (0.2^2 on a signal of
 * variance ~0.5), and the mean is not pulled through every point. */
static void s_test_noise(void)
{
    enum { N = 60 };
    double x[N], y[N];
    uint64_t st = 5;
    for (int i = 0; i < N; i++) {
        x[i] = (double)i / (N - 1);
        double u1 = s_unit(&st), u2 = s_unit(&st);
        double gauss = sqrt(-2 * log(u1 + 1e-300)) * cos(2 * 3.14159265358979323846 * u2);
        y[i] = sin(6 * x[i]) + 0.2 * gauss;
    }
    char err[HPS_ERR_LEN];
    gp_model_t *m = gp_model_fit(x, y, N, 1, NULL, NULL, err);
    assert(m);
    double noise = gp_model_noise(m) * m->ystd * m->ystd;
    assert(noise > 0.04 / 3 && noise < 0.04 * 3);
    double mu, sd, p = 0.5;
    gp_model_predict(m, &p, 1, &mu, &sd);
    assert(fabs(mu - sin(3.0)) < 0.15);
    /* the incumbent: near the true minimum -1 and above the luckiest draw, which the
     * noise put lower; only the first n points count */
    double lo = y[0];
    for (int i = 1; i < N; i++)
        lo = fmin(lo, y[i]);
    double inc = gp_model_min_mean(m, N);
    assert(fabs(inc + 1) < 0.15 && inc > lo + 0.05);
    gp_model_predict(m, x, 1, &mu, &sd);
    assert(gp_model_min_mean(m, 1) == mu);
    gp_model_destroy(&m);
}

/* The closed-form leave-one-out agrees with refitting the kernel (same theta) on the
 * other n - 1 points and predicting the one left out, noise included. */
static void s_test_loo(void)
{
    enum { N = 12, D = 2 };
    double x[N * D], y[N];
    uint64_t st = 11;
    for (int i = 0; i < N; i++) {
        x[i * D] = s_unit(&st), x[i * D + 1] = s_unit(&st);
        y[i] = sin(5 * x[i * D]) + x[i * D + 1] * x[i * D + 1] + 0.1 * s_unit(&st);
    }
    char err[HPS_ERR_LEN];
    gp_model_t *m = gp_model_fit(x, y, N, D, NULL, NULL, err);
    assert(m);
    const double *th = m->theta;
    double ls[D] = {exp(th[0]), exp(th[1])}, sf2 = exp(th[D]), sn2 = gp_model_noise(m);
    double want = 0, xo[(N - 1) * D], yo[N - 1], k[(N - 1) * (N - 1)], a[N - 1], ks[N - 1];
    for (int i = 0; i < N; i++) {
        for (int j = 0, o = 0; j < N; j++)
            if (j != i) {
                memcpy(xo + o * D, x + j * D, sizeof *x * D);
                yo[o++] = (y[j] - m->ymean) / m->ystd;
            }
        assert(s_factor(xo, N - 1, D, th, k) == 0);
        s_solve(k, N - 1, yo, a);
        for (int j = 0; j < N - 1; j++)
            ks[j] = s_matern(s_dist(x + i * D, xo + j * D, ls, D), sf2);
        double mu = cblas_ddot(N - 1, ks, 1, a, 1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, N - 1, k, N - 1, ks, 1);
        double var = sf2 + sn2 - cblas_ddot(N - 1, ks, 1, ks, 1);
        double z = (y[i] - m->ymean) / m->ystd - mu;
        want += -0.5 * log(2 * 3.14159265358979323846 * var) - 0.5 * z * z / var - log(m->ystd);
    }
    double got = gp_model_loo(m);
    assert(fabs(got - want) < 1e-6 * (1 + fabs(want)));
    gp_model_destroy(&m);
}

void gp_model_test(bool verbose)
{
    if (verbose)
        printf(" * gp_model:\n");
    s_test_gradient();
    s_test_fit();
    s_test_noise();
    s_test_loo();
}
