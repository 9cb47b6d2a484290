/* parzen — building the estimator: parameter transforms, Gaussian tail arithmetic,
 * entry columns, and parzen_prepare(), which turns a weight pattern into bandwidths
 * and normalisers (see parzen.h). Densities and sampling live in parzen_eval.c.
 *
 * Why normalisers are cached: a truncated kernel's log density carries log Z, the
 * mass of its Gaussian inside the domain, which needs two erfc calls. The bad set of
 * a large study has tens of thousands of kernels, and Scott's rule moves their common
 * bandwidth a little with every new trial, so recomputing Z each time would cost more
 * than the evaluation itself. Each entry keeps log Z and its derivative at the sigma
 * it was computed for; a sigma within PZ_REFRESH_TOL of that is served by the first
 * order correction (error below 1e-9 in log Z), anything further is recomputed. */
#include "samplers/parzen_priv.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PZ_REFRESH_TOL 2e-5 /* relative sigma drift served by the first-order correction */

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

double parzen_log_gauss_mass(double a, double b)
{
    if (b <= 0)
        return s_log_diff(pz_log_ndtr(b), pz_log_ndtr(a));
    if (a > 0)
        return s_log_diff(pz_log_ndtr(-a), pz_log_ndtr(-b));
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

/* log Z and d log Z / d sigma for a kernel at mu: Z = Phi(b) - Phi(a) with
 * a = (low - mu) / sigma, b = (high - mu) / sigma, so dZ/dsigma = (a phi(a) - b phi(b)) /
 * sigma. */
static void s_log_z(const parzen_dim_t *dim, double mu, double sigma, double *lz, float *der)
{
    double a = (dim->low - mu) / sigma, b = (dim->high - mu) / sigma;
    *lz = parzen_log_gauss_mass(a, b);
    double pa = a > -38 ? exp(-0.5 * a * a - PZ_LOG_SQRT_2PI) : 0;
    double pb = b < 38 ? exp(-0.5 * b * b - PZ_LOG_SQRT_2PI) : 0;
    *der = (float)((a * pa - b * pb) / (sigma * exp(*lz)));
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
    for (int p = 0; p < d; p++)
        self->d_model += !dims[p].single;
    size_t nd = (size_t)(d ? d : 1);
    self->mu = xcalloc(nd, sizeof *self->mu);
    self->gi = xcalloc(nd, sizeof *self->gi);
    self->zsig = xcalloc(nd, sizeof *self->zsig);
    self->zlog = xcalloc(nd, sizeof *self->zlog);
    self->zder = xcalloc(nd, sizeof *self->zder);
    self->sig = xcalloc(nd, sizeof *self->sig);
    self->ord = xcalloc(nd, sizeof *self->ord);
    self->lc = xcalloc(nd, sizeof *self->lc);
    self->cat_marg = xcalloc(nd, sizeof *self->cat_marg);
    self->s = xcalloc(nd, sizeof *self->s);
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
        free(self->mu[p]), free(self->gi[p]), free(self->zsig[p]), free(self->zlog[p]);
        free(self->zder[p]), free(self->sig[p]), free(self->ord[p]), free(self->lc[p]);
        free(self->cat_marg[p]);
    }
    free(self->mu), free(self->gi), free(self->zsig), free(self->zlog), free(self->zder);
    free(self->sig), free(self->ord), free(self->lc), free(self->cat_marg);
    free(self->w), free(self->logw), free(self->logc), free(self->cum);
    free(self->s), free(self->prior_lnorm), free(self->cat_hit), free(self->cat_miss);
    free(self->sv), free(self->sid), free(self->tab), free(self->dims);
    free(self);
    *self_p = NULL;
}

void parzen_clear(parzen_t *self)
{
    assert(self);
    self->n = 0;
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
    cap = cap < 2 * self->cap ? 2 * self->cap : cap < 16 ? 16 : cap;
    bool uni = !self->opts.multivariate;
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        if (dim->single)
            continue;
        if (dim->kind == PARAM_CAT || dim->q > 0)
            S_GROW(self->gi[p], cap);
        if (dim->kind == PARAM_CAT) {
            if (uni)
                S_GROW(self->lc[p], cap);
            continue;
        }
        S_GROW(self->mu[p], cap), S_GROW(self->zsig[p], cap), S_GROW(self->zlog[p], cap);
        S_GROW(self->zder[p], cap);
        if (uni)
            S_GROW(self->sig[p], cap), S_GROW(self->ord[p], cap), S_GROW(self->lc[p], cap);
    }
    S_GROW(self->w, cap), S_GROW(self->logw, cap), S_GROW(self->logc, cap);
    S_GROW(self->cum, cap + 1), S_GROW(self->sv, cap + 1), S_GROW(self->sid, cap + 1);
    self->cap = cap;
}

/* Insert entry j (the newest, so the largest index) into param p's sorted order:
 * after every entry with a smaller or equal value. */
static void s_ord_insert(parzen_t *self, int p, long j)
{
    const double *mu = self->mu[p];
    int32_t *ord = self->ord[p];
    long lo = 0, hi = j; /* ord[0..j) holds the older entries */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (mu[ord[mid]] <= mu[j])
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(ord + lo + 1, ord + lo, sizeof *ord * (size_t)(j - lo));
    ord[lo] = (int32_t)j;
}

/* A new entry, not yet a component: its index. */
static long s_new_entry(parzen_t *self)
{
    assert(self->n < INT32_MAX);
    s_reserve(self, self->n + 1);
    long k = self->n++;
    self->w[k] = 0;
    self->logw[k] = -INFINITY;
    return k;
}

/* Numeric param p of entry k sits at u (kernel coordinates). */
static void s_set_mu(parzen_t *self, int p, long k, double u)
{
    self->mu[p][k] = u;
    self->zsig[p][k] = NAN; /* no cached normaliser yet */
    if (!self->opts.multivariate) {
        self->sig[p][k] = 1; /* any finite value: inactive kernels are still swept */
        s_ord_insert(self, p, k);
    }
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
        s_set_mu(self, p, k, u);
    }
    return k;
}

long parzen_append_from(parzen_t *self, const parzen_t *src, long j)
{
    assert(self && src && j >= 0 && j < src->n && self->d == src->d);
    long k = s_new_entry(self);
    for (int p = 0; p < self->d; p++) {
        if (self->gi[p])
            self->gi[p][k] = src->gi[p][j];
        if (self->mu[p])
            s_set_mu(self, p, k, src->mu[p][j]);
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
    for (int p = 0; p < self->d; p++) {
        if (self->gi[p])
            S_FILTER(self->gi[p], keep, n);
        if (!self->mu[p])
            continue;
        S_FILTER(self->mu[p], keep, n);
        S_FILTER(self->zsig[p], keep, n);
        S_FILTER(self->zlog[p], keep, n);
        S_FILTER(self->zder[p], keep, n);
        if (self->sig[p])
            S_FILTER(self->sig[p], keep, n);
        if (self->ord[p]) {
            long k = 0;
            for (long i = 0; i < n; i++)
                if (remap[self->ord[p][i]] >= 0)
                    self->ord[p][k++] = remap[self->ord[p][i]];
            assert(k == kept);
        }
    }
    S_FILTER(self->w, keep, n);
    S_FILTER(self->logw, keep, n);
    self->n = kept;
    free(remap);
}

size_t parzen_memory(const parzen_t *self)
{
    /* w, logw, logc, cum, sv: doubles; sid: int32 */
    size_t per = 5 * sizeof(double) + sizeof(int32_t), fixed = sizeof *self;
    for (int p = 0; p < self->d; p++) {
        per += self->gi[p] ? sizeof(int32_t) : 0;
        per += self->mu[p] ? 3 * sizeof(double) + sizeof(float) : 0;
        per += self->sig[p] ? sizeof(double) + sizeof(int32_t) : 0;
        per += self->lc[p] ? sizeof(double) : 0;
        fixed += self->cat_marg[p] ? sizeof(double) * (size_t)self->dims[p].n_grid : 0;
        fixed += sizeof(parzen_dim_t) + 14 * sizeof(void *);
    }
    return fixed + per * (size_t)self->cap + sizeof(double) * self->tab_cap;
}

/* ---------------------------------------------------------------------------------- */
/* Bandwidths and normalisers                                                         */

/* Univariate bandwidths of param p: each kernel's sigma is the larger gap to its
 * neighbours among the components and the prior's mid-range point, with the range
 * ends as outer neighbours only when opts.endpoints (Optuna's rule). */
static void s_bandwidths_1d(parzen_t *self, int p, double minsig, double maxsig)
{
    const parzen_dim_t *dim = &self->dims[p];
    const double *mu = self->mu[p];
    const int32_t *ord = self->ord[p];
    double mid = 0.5 * (dim->low + dim->high);
    double *sv = self->sv;
    int32_t *sid = self->sid;
    long k = 0;
    bool prior_done = false;
    for (long i = 0; i < self->n; i++) {
        int32_t j = ord[i];
        if (self->w[j] == 0)
            continue;
        if (!prior_done && mu[j] > mid) { /* the prior sorts after equal observations */
            sv[k] = mid, sid[k++] = -1;
            prior_done = true;
        }
        sv[k] = mu[j], sid[k++] = j;
    }
    if (!prior_done)
        sv[k] = mid, sid[k++] = -1;
    assert(k == self->n_act + 1);
    for (long i = 0; i < k; i++) {
        if (sid[i] < 0)
            continue; /* the prior's sigma is the whole range */
        double left = i > 0 ? sv[i - 1] : dim->low, right = i < k - 1 ? sv[i + 1] : dim->high;
        double sg = fmax(sv[i] - left, right - sv[i]);
        if (!self->opts.endpoints && k >= 2) {
            if (i == 0)
                sg = sv[1] - sv[0];
            else if (i == k - 1)
                sg = sv[k - 1] - sv[k - 2];
        }
        self->sig[p][sid[i]] = s_clip(sg, minsig, maxsig);
    }
}

/* Log normalisers of param p's kernels from the cache (see the file comment), folded
 * into logc (multivariate) or lc[p] (univariate). */
static void s_normalisers(parzen_t *self, int p)
{
    const parzen_dim_t *dim = &self->dims[p];
    bool multi = self->opts.multivariate, cont = dim->q == 0;
    const double *mu = self->mu[p], *w = self->w;
    double *zsig = self->zsig[p], *zlog = self->zlog[p];
    float *zder = self->zder[p];
    bool scaled = cont && self->opts.normalized;
    double log_s = (multi && scaled ? log(self->s[p]) : 0) + (cont ? PZ_LOG_SQRT_2PI : 0);
    for (long j = 0; j < self->n; j++) {
        if (w[j] == 0) {
            if (!multi)
                self->lc[p][j] = -INFINITY;
            continue;
        }
        double sg = multi ? self->s[p] : self->sig[p][j], lz;
        if (zsig[j] == sg)
            lz = zlog[j];
        else if (multi && fabs(sg - zsig[j]) <= PZ_REFRESH_TOL * zsig[j])
            lz = zlog[j] + (sg - zsig[j]) * (double)zder[j];
        else {
            s_log_z(dim, mu[j], sg, &zlog[j], &zder[j]);
            zsig[j] = sg;
            lz = zlog[j];
        }
        if (multi)
            self->logc[j] -= lz + log_s;
        else
            self->lc[p][j] = self->logw[j] - lz - log_s - (scaled ? log(sg) : 0);
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
    if (self->opts.multivariate) {
        double n_obs = self->n_act > 0 ? (double)self->n_act : 1;
        double s = 0.2 * pow(n_obs, -1.0 / (self->d_model + 4)) * range;
        self->s[p] = s_clip(s, minsig, range);
    } else {
        s_bandwidths_1d(self, p, minsig, range);
    }
    s_normalisers(self, p);
    /* The prior kernel: mid-range, sigma = range, so it spans [-1/2, 1/2] sigmas. */
    double lz = parzen_log_gauss_mass(-0.5, 0.5);
    if (dim->q == 0)
        lz += PZ_LOG_SQRT_2PI + (self->opts.normalized ? log(range) : 0);
    self->prior_lnorm[p] = lz;
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
    for (int p = 0; p < self->d; p++)
        s_prepare_param(self, p);
}
