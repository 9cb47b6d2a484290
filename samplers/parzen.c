/* parzen — building the estimator: parameter transforms, Gaussian tail arithmetic,
 * entry columns, and parzen_prepare(), which turns a weight pattern into bandwidths
 * and normalisers (see parzen.h). Joint densities and sampling live in parzen_eval.c,
 * everything particular to the univariate mixture in parzen_1d.c.
 *
 * Why the joint normalisers are cached: a truncated kernel's log density carries log
 * Z, the mass of its Gaussian inside the domain, which needs two erfc calls. The bad
 * set of a large study has tens of thousands of kernels, and Scott's rule moves their common
 * bandwidth a little with every new trial, so recomputing Z each time would cost more
 * than the evaluation itself. Each entry keeps log Z and its derivative at the sigma
 * it was computed for, and its first two derivatives; a sigma within PZ_REFRESH_TOL
 * of that is served by the second-order Taylor expansion (the third-order remainder
 * is below 1e-9 in log Z), anything further is recomputed. At 20,000 trials Scott's
 * rule moves sigma by 4e-6 per trial, so a recompute comes every ~100 proposals. */
#include "samplers/parzen_priv.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PZ_REFRESH_TOL 5e-4 /* relative sigma drift served by the Taylor expansion */

/* ---------------------------------------------------------------------------------- */
/* Parameter transforms                                                               */

void parzen_dim_init(parzen_dim_t *dim, const param_t *p)
{
    assert(dim && p);
    memset(dim, 0, sizeof *dim);
    dim->kind = p->kind;
    dim->log = p->log;
    dim->plow = p->low;
    dim->phigh = p->high;
    if (p->kind == PARAM_CAT) {
        dim->n_grid = p->n_choices;
        dim->single = p->n_choices <= 1;
        return;
    }
    dim->single = !(p->high > p->low);
    double step = p->kind == PARAM_INT && p->step <= 0 ? 1 : p->step;
    if (p->log) {
        /* A log int is continuous on the log scale, widened to reach its end points. */
        double widen = p->kind == PARAM_INT ? 0.5 : 0;
        dim->low = log(p->low - widen);
        dim->high = log(p->high + widen);
    } else if (step > 0) {
        dim->q = step;
        dim->low = p->low - 0.5 * step;
        dim->high = p->high + 0.5 * step;
        dim->n_grid = (int)floor((p->high - p->low) / step + 0.5) + 1;
    } else {
        dim->low = p->low;
        dim->high = p->high;
    }
}

double parzen_to_u(const parzen_dim_t *dim, double x)
{
    return dim->kind != PARAM_CAT && dim->log ? log(x) : x;
}

static double s_clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

double parzen_from_u(const parzen_dim_t *dim, double u)
{
    if (dim->single)
        return dim->plow;
    if (dim->kind == PARAM_CAT)
        return s_clip(round(u), 0, dim->n_grid - 1);
    double x = dim->log ? exp(u) : u;
    if (dim->kind == PARAM_INT && dim->log)
        x = round(x);
    else if (dim->q > 0)
        x = dim->plow + round((x - dim->plow) / dim->q) * dim->q;
    return s_clip(x, dim->plow, dim->phigh);
}

/* ---------------------------------------------------------------------------------- */
/* Gaussian tails                                                                     */

double pz_ndtr(double a) { return 0.5 * erfc(-a * M_SQRT1_2); }

/* For a < -20 Phi(a) underflows soon after, so use the asymptotic series of the Mills
 * ratio, summed until it stops changing (it diverges eventually; at |a| > 20 the terms
 * shrink for far longer than double precision needs). */
double pz_log_ndtr(double a)
{
    if (a > 6)
        return -pz_ndtr(-a);
    if (a > -20)
        return log(pz_ndtr(a));
    double lhs = -0.5 * a * a - log(-a) - PZ_LOG_SQRT_2PI;
    double total = 1, last = 0, num = 1, den = 1, inv_a2 = 1 / (a * a);
    double sign = 1;
    for (int i = 1; fabs(last - total) > DBL_EPSILON && i < 200; i++) {
        last = total;
        sign = -sign;
        den *= inv_a2;
        num *= 2 * i - 1;
        total += sign * num * den;
    }
    return lhs + log(total);
}

/* log(exp(lp) - exp(lq)) for lp >= lq. */
static double s_log_diff(double lp, double lq) { return lp + log1p(-exp(lq - lp)); }

/* One-sided intervals (both ends in the same tail) subtract the two tail masses; while
 * those are far from underflow (within 20 sigmas) that is direct, one log instead of
 * three logs and an exp, and no less accurate. */
double parzen_log_gauss_mass(double a, double b)
{
    if (b <= 0)
        return a > -20 ? log(pz_ndtr(b) - pz_ndtr(a))
                       : s_log_diff(pz_log_ndtr(b), pz_log_ndtr(a));
    if (a > 0)
        return b < 20 ? log(pz_ndtr(-a) - pz_ndtr(-b))
                      : s_log_diff(pz_log_ndtr(-a), pz_log_ndtr(-b));
    /* Central: both tails are small, so subtract them from 1 (no cancellation). Past
     * 8.5 sigma a tail is below 1e-17 and cannot change the result. */
    double left = a > -8.5 ? pz_ndtr(a) : 0;
    double right = b < 8.5 ? pz_ndtr(-b) : 0;
    return log1p(-left - right);
}

double pz_cell_log_mass(const parzen_dim_t *dim, double u, double mu, double sigma)
{
    double lb = fmax(u - 0.5 * dim->q, dim->low), ub = fmin(u + 0.5 * dim->q, dim->high);
    return parzen_log_gauss_mass((lb - mu) / sigma, (ub - mu) / sigma);
}

/* On a grid, a stepped kernel's mass over a cell depends only on how many steps the
 * cell lies from the kernel's centre: m steps away it spans [(m - 1/2) h, (m + 1/2) h]
 * sigmas, h = q / sigma. So all kernels sharing one sigma need just these 2G - 1
 * values, out[m + G - 1] for |m| < G; and neighbouring cells share an edge, so one
 * log tail per edge, log Phi(-|edge|), feeds the same case analysis as
 * parzen_log_gauss_mass(). edge: scratch of 2G. */
void pz_cell_offsets(const parzen_dim_t *dim, double sigma, double *out, double *edge)
{
    assert(dim->q > 0 && dim->n_grid >= 1);
    int g_n = dim->n_grid;
    double h = dim->q / sigma;
    for (int i = 0; i < 2 * g_n; i++) /* edge i sits at (i - G + 1/2) h */
        edge[i] = pz_log_ndtr(-fabs((i - g_n + 0.5) * h));
    for (int m = 1 - g_n; m < g_n; m++) {
        double a = (m - 0.5) * h, b = (m + 0.5) * h;
        double ta = edge[m - 1 + g_n], tb = edge[m + g_n]; /* log Phi(-|a|), log Phi(-|b|) */
        double *o = &out[m + g_n - 1];
        if (b <= 0) /* log(Phi(b) - Phi(a)) */
            *o = s_log_diff(tb, ta);
        else if (a > 0) /* log(Phi(-a) - Phi(-b)) */
            *o = s_log_diff(ta, tb);
        else /* central: 1 minus both tails (past 8.5 sigma a tail cannot matter) */
            *o = log1p(-(a > -8.5 ? exp(ta) : 0) - (b < 8.5 ? exp(tb) : 0));
    }
}

/* Grid index of u, or -1 when u is not a grid point of param dim. */
int pz_grid_index(const parzen_dim_t *dim, double u)
{
    double k = round((u - dim->plow) / dim->q);
    if (!(k >= 0 && k < dim->n_grid))
        return -1;
    double back = dim->plow + k * dim->q;
    return fabs(back - u) <= 1e-9 * fmax(1.0, fabs(u)) ? (int)k : -1;
}

/* log Z for a kernel at mu, and its first two derivatives in sigma when d1 is not NULL:
 * Z = Phi(b) - Phi(a) with a = (low - mu) / sigma, b = (high - mu) / sigma, so
 *   Z'  = (a phi(a) - b phi(b)) / sigma,
 *   Z'' = (b phi(b) (2 - b^2) - a phi(a) (2 - a^2)) / sigma^2,
 *   (log Z)' = Z' / Z,  (log Z)'' = Z'' / Z - (Z' / Z)^2. */
double pz_log_z(const parzen_dim_t *dim, double mu, double sigma, double *d1, double *d2)
{
    double a = (dim->low - mu) / sigma, b = (dim->high - mu) / sigma;
    double lz = parzen_log_gauss_mass(a, b);
    if (!d1)
        return lz;
    double pa = a > -38 ? exp(-0.5 * a * a - PZ_LOG_SQRT_2PI) : 0;
    double pb = b < 38 ? exp(-0.5 * b * b - PZ_LOG_SQRT_2PI) : 0;
    double z = exp(lz);
    double g1 = (a * pa - b * pb) / (sigma * z);
    double g2 = (b * pb * (2 - b * b) - a * pa * (2 - a * a)) / (sigma * sigma * z);
    *d1 = g1;
    *d2 = g2 - g1 * g1;
    return lz;
}

/* ---------------------------------------------------------------------------------- */
/* Lifecycle and entries                                                              */

parzen_t *parzen_new(int d, const parzen_dim_t *dims, const parzen_opts_t *opts)
{
    assert(d >= 0 && (dims || d == 0) && opts && opts->prior_weight > 0);
    parzen_t *self = xcalloc(1, sizeof *self);
    self->d = d;
    self->dims = xmalloc(sizeof *dims * (size_t)(d ? d : 1));
    if (d)
        memcpy(self->dims, dims, sizeof *dims * (size_t)d);
    self->opts = *opts;
    int max_grid = 0;
    for (int p = 0; p < d; p++) {
        self->d_model += !dims[p].single;
        max_grid = dims[p].n_grid > max_grid ? dims[p].n_grid : max_grid;
    }
    self->edge = xmalloc(sizeof *self->edge * (size_t)(2 * max_grid + 1));
    size_t nd = (size_t)(d ? d : 1);
    self->mu = xcalloc(nd, sizeof *self->mu);
    self->gi = xcalloc(nd, sizeof *self->gi);
    self->smu = xcalloc(nd, sizeof *self->smu);
    self->sidx = xcalloc(nd, sizeof *self->sidx);
    self->zsig = xcalloc(nd, sizeof *self->zsig);
    self->zlog = xcalloc(nd, sizeof *self->zlog);
    self->ssig = xcalloc(nd, sizeof *self->ssig);
    self->slc = xcalloc(nd, sizeof *self->slc);
    self->sgi = xcalloc(nd, sizeof *self->sgi);
    self->span = xcalloc(nd, sizeof *self->span);
    self->smom = xcalloc(nd, sizeof *self->smom);
    self->cat_marg = xcalloc(nd, sizeof *self->cat_marg);
    self->s = xcalloc(nd, sizeof *self->s);
    self->minsig = xcalloc(nd, sizeof *self->minsig);
    self->prior_lnorm = xcalloc(nd, sizeof *self->prior_lnorm);
    self->cat_hit = xcalloc(nd, sizeof *self->cat_hit);
    self->cat_miss = xcalloc(nd, sizeof *self->cat_miss);
    for (int p = 0; p < d; p++)
        if (dims[p].kind == PARAM_CAT && !dims[p].single)
            self->cat_marg[p] = xcalloc((size_t)dims[p].n_grid, sizeof(double));
    return self;
}

void parzen_destroy(parzen_t **self_p)
{
    assert(self_p);
    parzen_t *self = *self_p;
    if (!self)
        return;
    for (int p = 0; p < self->d; p++) {
        free(self->mu[p]), free(self->gi[p]), free(self->smu[p]), free(self->sidx[p]);
        free(self->sgi[p]), free(self->zsig[p]), free(self->zlog[p]), free(self->ssig[p]);
        free(self->slc[p]), free(self->span[p]), free(self->smom[p]), free(self->cat_marg[p]);
    }
    free(self->mu), free(self->gi), free(self->smu), free(self->sidx), free(self->sgi);
    free(self->zsig), free(self->zlog), free(self->ssig), free(self->slc), free(self->span);
    free(self->smom);
    free(self->zphi), free(self->zsum), free(self->zc1), free(self->zc2);
    free(self->cat_marg);
    free(self->w), free(self->logw), free(self->logc), free(self->cum);
    free(self->s), free(self->minsig), free(self->prior_lnorm), free(self->cat_hit), free(self->cat_miss);
    free(self->sv), free(self->sid), free(self->tab), free(self->edge), free(self->dims);
    free(self);
    *self_p = NULL;
}

void parzen_clear(parzen_t *self)
{
    assert(self);
    self->n = 0;
    self->n_sorted = 0;
    self->n_act = 0;
}

long parzen_size(const parzen_t *self) { return self->n; }
long parzen_components(const parzen_t *self) { return self->n_act; }

#define S_GROW(ptr, cap) ((ptr) = xrealloc((ptr), sizeof *(ptr) * (size_t)(cap)))

/* Room for cap entries in every column this configuration uses. */
static void s_reserve(parzen_t *self, long cap)
{
    if (cap <= self->cap)
        return;
    cap = cap < self->cap + self->cap / 2 ? self->cap + self->cap / 2 : cap;
    cap = (cap + PZ_BLOCK - 1) / PZ_BLOCK * PZ_BLOCK; /* evaluation sweeps whole blocks */
    bool uni = !self->opts.multivariate, numeric = false;
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        if (dim->single)
            continue;
        if (dim->kind == PARAM_CAT || dim->q > 0)
            S_GROW(self->gi[p], cap);
        if (dim->kind == PARAM_CAT)
            continue;
        S_GROW(self->mu[p], cap);
        numeric = true;
        if (!uni)
            continue;
        S_GROW(self->smu[p], cap), S_GROW(self->sidx[p], cap), S_GROW(self->zsig[p], cap);
        S_GROW(self->zlog[p], cap), S_GROW(self->ssig[p], cap), S_GROW(self->slc[p], cap);
        S_GROW(self->span[p], cap / PZ_BLOCK), S_GROW(self->smom[p], cap / PZ_BLOCK * PZ_NMOM);
        if (dim->q > 0)
            S_GROW(self->sgi[p], cap);
    }
    if (numeric && !uni) {
        S_GROW(self->zphi, cap), S_GROW(self->zsum, cap);
        S_GROW(self->zc1, cap), S_GROW(self->zc2, cap);
    }
    if (uni)
        S_GROW(self->sv, cap + 1), S_GROW(self->sid, cap + 1);
    S_GROW(self->w, cap), S_GROW(self->logw, cap), S_GROW(self->logc, cap);
    S_GROW(self->cum, cap + 1);
    self->cap = cap;
}

/* A new entry, not yet a component: its index. */
static long s_new_entry(parzen_t *self)
{
    assert(self->n < INT32_MAX);
    s_reserve(self, self->n + 1);
    long k = self->n++;
    self->w[k] = 0;
    self->logw[k] = -INFINITY;
    if (self->zphi)
        self->zphi[k] = NAN; /* no cached normaliser yet */
    return k;
}

long parzen_append(parzen_t *self, const double *x)
{
    assert(self && x);
    long k = s_new_entry(self);
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        if (dim->single)
            continue;
        double u = parzen_to_u(dim, x[p]);
        if (dim->kind == PARAM_CAT) {
            self->gi[p][k] = (int32_t)s_clip(round(u), 0, dim->n_grid - 1);
            continue;
        }
        if (dim->q > 0)
            self->gi[p][k] = (int32_t)s_clip(round((u - dim->plow) / dim->q), 0, dim->n_grid - 1);
        self->mu[p][k] = u; /* univariate: sorted in at the next prepare */
    }
    return k;
}

void parzen_entry(const parzen_t *self, long j, double *u)
{
    assert(self && u && j >= 0 && j < self->n);
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        u[p] = dim->single ? 0 : dim->kind == PARAM_CAT ? self->gi[p][j] : self->mu[p][j];
    }
}

const parzen_dim_t *parzen_dim(const parzen_t *self, int p)
{
    assert(self && p >= 0 && p < self->d);
    return &self->dims[p];
}

long parzen_append_from(parzen_t *self, const parzen_t *src, long j)
{
    assert(self && src && j >= 0 && j < src->n && self->d == src->d);
    long k = s_new_entry(self);
    for (int p = 0; p < self->d; p++) {
        if (self->gi[p])
            self->gi[p][k] = src->gi[p][j];
        if (self->mu[p])
            self->mu[p][k] = src->mu[p][j];
    }
    return k;
}

/* Keep the kept elements of a column, in order. T is the element type. */
#define S_FILTER(col, keep, n)                                                                 \
    do {                                                                                       \
        long k_ = 0;                                                                           \
        for (long j_ = 0; j_ < (n); j_++)                                                      \
            if ((keep)[j_])                                                                    \
                (col)[k_++] = (col)[j_];                                                       \
    } while (0)

void parzen_compact(parzen_t *self, const bool *keep)
{
    assert(self && keep);
    long n = self->n, kept = 0;
    int32_t *remap = xmalloc(sizeof *remap * (size_t)(n ? n : 1));
    for (long j = 0; j < n; j++)
        remap[j] = keep[j] ? (int32_t)kept++ : -1;
    if (!self->opts.multivariate)
        pz_compact_1d(self, remap);
    for (int p = 0; p < self->d; p++) {
        if (self->gi[p])
            S_FILTER(self->gi[p], keep, n);
        if (self->mu[p])
            S_FILTER(self->mu[p], keep, n);
    }
    S_FILTER(self->w, keep, n);
    S_FILTER(self->logw, keep, n);
    if (self->zphi) {
        S_FILTER(self->zphi, keep, n);
        S_FILTER(self->zsum, keep, n);
        S_FILTER(self->zc1, keep, n);
        S_FILTER(self->zc2, keep, n);
    }
    self->n = kept;
    free(remap);
}

size_t parzen_memory(const parzen_t *self)
{
    size_t per = 4 * sizeof(double), fixed = sizeof *self; /* w, logw, logc, cum */
    per += self->zphi ? 2 * sizeof(double) + 2 * sizeof(float) : 0;
    per += self->sv ? sizeof(double) + sizeof(int32_t) : 0;
    for (int p = 0; p < self->d; p++) {
        per += self->gi[p] ? sizeof(int32_t) : 0;
        per += self->mu[p] ? sizeof(double) : 0;
        /* smu sidx zsig zlog ssig slc, a block's span and series */
        if (self->smu[p])
            per += 5 * sizeof(double) + sizeof(int32_t) +
                   (sizeof(pz_span_t) + PZ_NMOM * sizeof(double)) / PZ_BLOCK;
        per += self->sgi[p] ? sizeof(int32_t) : 0;
        fixed += self->cat_marg[p] ? sizeof(double) * (size_t)self->dims[p].n_grid : 0;
        fixed += sizeof(parzen_dim_t) + 16 * sizeof(void *);
    }
    return fixed + per * (size_t)self->cap + sizeof(double) * self->tab_cap;
}

/* ---------------------------------------------------------------------------------- */
/* Bandwidths and normalisers                                                         */

/* Entry j's summed log Z at the current bandwidths, cached with its derivatives. */
static double s_joint_z(parzen_t *self, long j)
{
    double sum = 0, c1 = 0, c2 = 0;
    for (int p = 0; p < self->d; p++) {
        if (!self->mu[p])
            continue;
        double s = self->s[p], d1, d2;
        sum += pz_log_z(&self->dims[p], self->mu[p][j], s, &d1, &d2);
        c1 += s * d1; /* derivatives in the relative change of phi: s' = s */
        c2 += s * s * d2;
    }
    self->zphi[j] = self->phi;
    self->zsum[j] = sum;
    self->zc1[j] = (float)c1;
    self->zc2[j] = (float)c2;
    return sum;
}

/* Joint normalisers, folded into logc (see the file comment): every numeric param's
 * bandwidth is range * phi, so one Taylor expansion in phi serves the whole sum. */
static void s_normalisers_joint(parzen_t *self)
{
    double konst = 0; /* the terms that do not depend on the kernel's centre */
    for (int p = 0; p < self->d; p++)
        if (self->mu[p] && self->dims[p].q == 0)
            konst += PZ_LOG_SQRT_2PI + (self->opts.normalized ? log(self->s[p]) : 0);
    if (!self->zphi)
        return; /* no numeric params */
    for (long j = 0; j < self->n; j++) {
        if (self->w[j] == 0)
            continue;
        double lz, dl = self->phi / self->zphi[j] - 1; /* NaN when nothing is cached */
        if (dl == 0)
            lz = self->zsum[j];
        else if (fabs(dl) <= PZ_REFRESH_TOL)
            lz = self->zsum[j] + dl * ((double)self->zc1[j] + 0.5 * dl * (double)self->zc2[j]);
        else
            lz = s_joint_z(self, j);
        self->logc[j] -= lz + konst;
    }
}

/* Categorical param p: each component's row puts prior_weight / (n + 1) on every
 * choice and 1 more on its own, normalised; the prior's row is flat. */
static void s_prepare_cat(parzen_t *self, int p)
{
    const parzen_dim_t *dim = &self->dims[p];
    int c_n = dim->n_grid;
    double value = self->opts.prior_weight / (double)(self->n_act + 1);
    double den = 1 + c_n * value;
    self->cat_hit[p] = log((value + 1) / den);
    self->cat_miss[p] = log(value / den);
    self->prior_lnorm[p] = log((double)c_n); /* the prior row's density is 1 / C */
    if (self->opts.multivariate)
        return;
    double *marg = self->cat_marg[p], wsum = 0;
    for (int c = 0; c < c_n; c++)
        marg[c] = 0;
    for (long j = 0; j < self->n; j++) {
        marg[self->gi[p][j]] += self->w[j];
        wsum += self->w[j];
    }
    for (int c = 0; c < c_n; c++)
        marg[c] = log((value * wsum + marg[c]) / den + self->w_prior / c_n);
}

/* Multivariate bandwidths: Scott's rule, the same fraction phi of every range. */
static void s_bandwidths_joint(parzen_t *self)
{
    double n_obs = self->n_act > 0 ? (double)self->n_act : 1;
    double phi = 0.2 * pow(n_obs, -1.0 / (self->d_model + 4));
    double floor_phi = self->opts.magic_clip ? 1 / fmin(100.0, (double)self->n_act + 2) : 0;
    self->phi = s_clip(phi, floor_phi, 1);
    for (int p = 0; p < self->d; p++) {
        if (!self->mu[p])
            continue;
        double range = self->dims[p].high - self->dims[p].low;
        self->s[p] = s_clip(phi * range, self->minsig[p], range);
        if (self->s[p] == PZ_EPS) /* the absolute floor binds: phi is not common */
            self->phi = NAN;
    }
}

static void s_prepare_param(parzen_t *self, int p)
{
    const parzen_dim_t *dim = &self->dims[p];
    if (dim->single)
        return;
    if (dim->kind == PARAM_CAT) {
        s_prepare_cat(self, p);
        return;
    }
    double range = dim->high - dim->low;
    /* len(mus) in Optuna counts the prior too */
    double minsig = self->opts.magic_clip ? range / fmin(100.0, (double)self->n_act + 2) : PZ_EPS;
    self->minsig[p] = minsig;
    if (!self->opts.multivariate)
        pz_prepare_1d(self, p, minsig, range);
    /* The prior kernel: mid-range, sigma = range, so it spans [-1/2, 1/2] sigmas. */
    double lz = parzen_log_gauss_mass(-0.5, 0.5);
    if (dim->q == 0)
        lz += PZ_LOG_SQRT_2PI + (self->opts.normalized ? log(range) : 0);
    self->prior_lnorm[p] = lz;
}

/* Entries past n up to the end of the last block: no weight and finite kernel inputs,
 * so the joint evaluation can sweep whole blocks without a remainder loop. */
static void s_pad(parzen_t *self)
{
    long end = (self->n + PZ_BLOCK - 1) / PZ_BLOCK * PZ_BLOCK;
    assert(end <= self->cap);
    for (long j = self->n; j < end; j++) {
        self->logc[j] = -INFINITY;
        for (int p = 0; p < self->d; p++) {
            if (self->gi[p])
                self->gi[p][j] = 0;
            if (self->mu[p])
                self->mu[p][j] = 0;
        }
    }
}

void parzen_prepare(parzen_t *self, const double *w)
{
    assert(self && (w || self->n == 0));
    s_reserve(self, self->n + 1); /* cum and the sort scratch hold the prior too */
    double total = self->opts.prior_weight;
    long n_act = 0;
    for (long j = 0; j < self->n; j++) {
        assert(w[j] >= 0 && isfinite(w[j]));
        total += w[j];
        n_act += w[j] > 0;
    }
    self->n_act = n_act;
    self->n_blk = (self->n + PZ_BLOCK - 1) / PZ_BLOCK; /* univariate: every entry is swept */
    double run = 0;
    for (long j = 0; j < self->n; j++) {
        self->w[j] = w[j] / total;
        self->logw[j] = w[j] > 0 ? log(self->w[j]) : -INFINITY;
        run += self->w[j];
        self->cum[j] = run;
    }
    self->w_prior = self->opts.prior_weight / total;
    self->logw_prior = log(self->w_prior);
    self->cum[self->n] = run + self->w_prior;
    if (self->opts.multivariate)
        memcpy(self->logc, self->logw, sizeof *self->logc * (size_t)self->n);
    else
        pz_flush_1d(self);
    for (int p = 0; p < self->d; p++)
        s_prepare_param(self, p);
    if (self->opts.multivariate) {
        s_bandwidths_joint(self);
        s_normalisers_joint(self);
    }
    s_pad(self);
}
