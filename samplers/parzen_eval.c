/* parzen_eval — densities of and draws from a prepared joint (multivariate) estimator,
 * and the log-sum-exp arithmetic the univariate one (parzen_1d.c) shares (see parzen.h).
 *
 * Log-densities are log-sum-exps over every component. They run in blocks of
 * PZ_BLOCK entries: for one candidate, each parameter adds its kernel term to a
 * block of accumulators in a plain loop over a contiguous column (which the compiler
 * vectorises), then the block is folded into a running (max, sum) pair, so there is
 * one exp per candidate and component and no n-sized temporary.
 *
 * A stepped parameter's kernel is a difference of two normal CDFs. In the joint
 * mixture every observation kernel of a parameter shares one sigma, so its term
 * depends only on the observation's grid index: unless the grid is much larger than
 * the entry count, the term is tabulated per candidate (grid-size erfc calls instead
 * of 2n). */
#include "samplers/parzen_priv.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

long pz_pick(const parzen_t *self, rng_t *r)
{
    double t = rng_uniform(r) * self->cum[self->n];
    long lo = 0, hi = self->n; /* first index whose running sum exceeds t; n = prior */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (self->cum[mid] > t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Rejection from the untruncated normal. Kernels are centred inside their domain
 * with sigma <= its width, so at least a third of the draws land inside; the bounded
 * loop is a guard, not a path taken. */
double pz_trunc_normal(rng_t *r, double mu, double sigma, double lo, double hi)
{
    for (int i = 0; i < 1000; i++) {
        double x = mu + sigma * rng_normal(r);
        if (x >= lo && x <= hi)
            return x;
    }
    return mu < lo ? lo : mu > hi ? hi : mu;
}

/* A choice from a component's row: value on every choice plus 1 on its own. */
static int s_cat_draw(const parzen_t *self, int p, int own, rng_t *r)
{
    int c_n = self->dims[p].n_grid;
    double value = self->opts.prior_weight / (double)(self->n_act + 1);
    double t = rng_uniform(r) * (1 + c_n * value);
    if (t < 1)
        return own;
    int c = (int)((t - 1) / value);
    return c < c_n ? c : c_n - 1;
}

void parzen_sample(const parzen_t *self, rng_t *r, int m, double *xs)
{
    assert(self && r && xs && self->opts.multivariate);
    for (int c = 0; c < m; c++) {
        long j = pz_pick(self, r);
        bool prior = j == self->n;
        for (int p = 0; p < self->d; p++) {
            const parzen_dim_t *dim = &self->dims[p];
            double *x = &xs[(size_t)c * (size_t)self->d + (size_t)p];
            if (dim->single) {
                *x = dim->plow;
            } else if (dim->kind == PARAM_CAT) {
                *x = prior ? (double)rng_below(r, (uint64_t)dim->n_grid)
                           : s_cat_draw(self, p, self->gi[p][j], r);
            } else {
                double mu = prior ? 0.5 * (dim->low + dim->high) : self->mu[p][j];
                double sg = prior ? dim->high - dim->low : self->s[p];
                *x = parzen_from_u(dim, pz_trunc_normal(r, mu, sg, dim->low, dim->high));
            }
        }
    }
}

double pz_prior_term(const parzen_t *self, int p, double u)
{
    const parzen_dim_t *dim = &self->dims[p];
    if (dim->kind == PARAM_CAT)
        return -self->prior_lnorm[p];
    double mid = 0.5 * (dim->low + dim->high), range = dim->high - dim->low;
    if (dim->q > 0)
        return pz_cell_log_mass(dim, u, mid, range) - self->prior_lnorm[p];
    double z = (u - mid) / range;
    return -0.5 * z * z - self->prior_lnorm[p];
}

/* See pz_merge() in parzen_priv.h. The caller knows a bound without a pass over the
 * terms: kernel terms are <= 0, so a block's constants bound it. */
PZ_VECTOR static void s_merge(const double *restrict acc, double bound, double *ref,
                              double *sum)
{
    if (bound == -INFINITY)
        return;
    if (bound > *ref) {
        *sum *= exp(*ref - bound);
        *ref = bound;
    }
    double e[PZ_BLOCK], top = *ref;
    for (long j = 0; j < PZ_BLOCK; j++) { /* clamping in its own loop keeps both vectorised */
        double x = acc[j] - top;
        e[j] = x > -708.0 ? x : -708.0;
    }
    for (long j = 0; j < PZ_BLOCK; j++)
        e[j] = pz_exp_neg(e[j]);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (long j = 0; j < PZ_BLOCK; j += 4)
        s0 += e[j], s1 += e[j + 1], s2 += e[j + 2], s3 += e[j + 3];
    *sum += (s0 + s1) + (s2 + s3);
}

/* The clones stay behind a plain function: clang 14 names a target_clones function's
 * dispatcher "pz_merge.ifunc", so another file's call to pz_merge would not link (and
 * cloning a declaration instead makes gcc's callers name its local clones). */
void pz_merge(const double *restrict acc, double bound, double *ref, double *sum)
{
    s_merge(acc, bound, ref, sum);
}

void pz_merge_exact(const double *acc, long n, double *ref, double *sum)
{
    double bm = -INFINITY;
    for (long j = 0; j < n; j++)
        bm = acc[j] > bm ? acc[j] : bm;
    if (bm == -INFINITY)
        return;
    if (bm > *ref) {
        *sum *= exp(*ref - bm);
        *ref = bm;
    }
    for (long j = 0; j < n; j++)
        *sum += exp(acc[j] - *ref);
}

/* Largest of a block of constants: a bound on the block's log terms. */
static double s_block_max(const double *v)
{
    double m = -INFINITY;
    for (long j = 0; j < PZ_BLOCK; j++)
        m = v[j] > m ? v[j] : m;
    return m;
}


/* Offset tables of the stepped params (see the file comment and pz_cell_offsets()):
 * param p's starts at tab + off[p], off[p] < 0 when p is evaluated directly (a huge
 * grid, or a candidate off the grid); kc[c * d + p] is candidate c's grid index. */
static void s_tables(parzen_t *self, int m, const double *u, long *off, int *kc)
{
    size_t need = 0;
    long swept = (self->n + PZ_BLOCK - 1) / PZ_BLOCK * PZ_BLOCK; /* kernels a sweep touches */
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        bool tab = !dim->single && dim->kind != PARAM_CAT && dim->q > 0 &&
                   2L * dim->n_grid <= (long)m * swept;
        for (int c = 0; tab && c < m; c++) {
            kc[c * self->d + p] = pz_grid_index(dim, u[c * self->d + p]);
            tab = kc[c * self->d + p] >= 0;
        }
        off[p] = tab ? (long)need : -1;
        need += tab ? 2 * (size_t)dim->n_grid - 1 : 0;
    }
    if (need > self->tab_cap) {
        self->tab_cap = need;
        self->tab = xrealloc(self->tab, sizeof *self->tab * self->tab_cap);
    }
    for (int p = 0; p < self->d; p++)
        if (off[p] >= 0)
            pz_cell_offsets(&self->dims[p], self->s[p], self->tab + off[p], self->edge);
}

/* Joint log terms of entries j0 .. j0+jn-1 at one candidate uc, into acc. */
PZ_VECTOR static void s_block(const parzen_t *self, const double *uc, const int *kc,
                              const long *off, long j0, double *restrict acc)
{
    const long jn = PZ_BLOCK; /* a constant trip count lets the loops vectorise */
    memcpy(acc, self->logc + j0, sizeof *acc * (size_t)jn);
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = &self->dims[p];
        if (dim->single)
            continue;
        const double x = uc[p];
        if (dim->kind == PARAM_CAT) {
            const int32_t *restrict g = self->gi[p] + j0;
            const int xc = (int)x;
            const double hit = self->cat_hit[p], miss = self->cat_miss[p];
            for (long j = 0; j < jn; j++)
                acc[j] += g[j] == xc ? hit : miss;
        } else if (dim->q == 0) {
            const double *restrict mu = self->mu[p] + j0;
            const double is = 1 / self->s[p];
            for (long j = 0; j < jn; j++) {
                double z = (x - mu[j]) * is;
                acc[j] -= 0.5 * z * z;
            }
        } else if (off[p] >= 0) { /* t[-g]: the cell kc[p] - g steps from kernel g */
            const int32_t *restrict g = self->gi[p] + j0;
            const double *restrict t = self->tab + off[p] + dim->n_grid - 1 + kc[p];
            for (long j = 0; j < jn; j++)
                acc[j] += t[-g[j]];
        } else {
            const double *restrict mu = self->mu[p] + j0;
            for (long j = 0; j < jn; j++)
                acc[j] += pz_cell_log_mass(dim, x, mu[j], self->s[p]);
        }
    }
}

/* The observation part of candidate c's joint log-sum-exp, with exact block maxima:
 * the slow path for sums a loose bound left tiny. */
static void s_obs_exact(const parzen_t *self, const double *uc, const int *kc,
                        const long *off, double *mx, double *sm)
{
    double acc[PZ_BLOCK];
    *mx = -INFINITY, *sm = 0;
    for (long j0 = 0; j0 < self->n; j0 += PZ_BLOCK) {
        s_block(self, uc, kc, off, j0, acc);
        pz_merge_exact(acc, PZ_BLOCK, mx, sm);
    }
}

void parzen_log_pdf(parzen_t *self, int m, const double *xs, double *out)
{
    assert(self && xs && out && m >= 0 && self->opts.multivariate);
    int d = self->d;
    double *u = xmalloc(sizeof *u * (size_t)(m * d + 2 * m + 1));
    double *mx = u + m * d, *sm = mx + m;
    long *off = xmalloc(sizeof *off * (size_t)(d + 1));
    int *kc = xmalloc(sizeof *kc * (size_t)(m * d + 1));
    for (int i = 0; i < m * d; i++)
        u[i] = parzen_to_u(&self->dims[i % d], xs[i]);
    for (int c = 0; c < m; c++)
        mx[c] = -INFINITY, sm[c] = 0;
    s_tables(self, m, u, off, kc);
    double acc[PZ_BLOCK];
    for (long j0 = 0; j0 < self->n; j0 += PZ_BLOCK) { /* padded to whole blocks */
        double bound = s_block_max(self->logc + j0);
        for (int c = 0; c < m; c++) {
            s_block(self, u + (size_t)c * (size_t)d, kc + (size_t)c * (size_t)d, off, j0, acc);
            pz_merge(acc, bound, &mx[c], &sm[c]);
        }
    }
    for (int c = 0; c < m; c++) {
        const double *uc = u + (size_t)c * (size_t)d;
        if (sm[c] < PZ_TINY)
            s_obs_exact(self, uc, kc + (size_t)c * (size_t)d, off, &mx[c], &sm[c]);
        double lp = self->logw_prior;
        for (int p = 0; p < d; p++)
            if (!self->dims[p].single)
                lp += pz_prior_term(self, p, uc[p]);
        pz_merge_exact(&lp, 1, &mx[c], &sm[c]);
        out[c] = mx[c] + log(sm[c]);
    }
    free(kc);
    free(off);
    free(u);
}

/* ---------------------------------------------------------------------------------- */

/* Total probability of param 0 of a one-parameter estimator: a trapezoid rule over
 * the kernel domain for continuous params, a sum over the grid or choices otherwise. */
static double s_total(parzen_t *pz, const param_t *prm)
{
    const parzen_dim_t *dim = &pz->dims[0];
    double lp, x, total = 0;
    if (dim->kind == PARAM_CAT || dim->q > 0) {
        for (int g = 0; g < dim->n_grid; g++) {
            x = dim->kind == PARAM_CAT ? g : prm->low + g * dim->q;
            if (pz->opts.multivariate)
                parzen_log_pdf(pz, 1, &x, &lp);
            else
                parzen_log_pdf_1d(pz, 0, 1, &x, &lp);
            total += exp(lp);
        }
        return total;
    }
    enum { K = 20000 };
    double h = (dim->high - dim->low) / K;
    for (int k = 0; k <= K; k++) {
        x = parzen_from_u(dim, dim->low + k * h);
        if (pz->opts.multivariate)
            parzen_log_pdf(pz, 1, &x, &lp);
        else
            parzen_log_pdf_1d(pz, 0, 1, &x, &lp);
        total += (k == 0 || k == K ? 0.5 : 1) * exp(lp) * h;
    }
    return total;
}

void parzen_test(bool verbose)
{
    /* Gaussian masses, against values from the error function */
    assert(fabs(parzen_log_gauss_mass(-1, 1) - log(0.682689492137086)) < 1e-14);
    assert(fabs(parzen_log_gauss_mass(-40, -39) - parzen_log_gauss_mass(39, 40)) < 1e-12);
    assert(fabs(parzen_log_gauss_mass(-INFINITY, 0) - log(0.5)) < 1e-15);
    double far = parzen_log_gauss_mass(-40, -39); /* ~ log phi(39) / 39, no underflow */
    assert(isfinite(far) && far < -760 && far > -766);
    /* Every kind of kernel is a probability: normalised kernels integrate to 1. */
    param_t prms[] = {
        {.name = "f", .kind = PARAM_FLOAT, .low = -2, .high = 3},
        {.name = "l", .kind = PARAM_FLOAT, .low = 1e-3, .high = 10, .log = true},
        {.name = "i", .kind = PARAM_INT, .low = 1, .high = 9, .step = 2},
        {.name = "c", .kind = PARAM_CAT, .low = 0, .high = 3, .n_choices = 4},
    };
    rng_t r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < ARRAY_SIZE(prms); i++)
        for (int multi = 0; multi < 2; multi++) {
            parzen_dim_t dim;
            parzen_dim_init(&dim, &prms[i]);
            parzen_opts_t o = {.prior_weight = 1, .magic_clip = true, .multivariate = multi,
                               .normalized = true};
            parzen_t *pz = parzen_new(1, &dim, &o);
            double w[12], x[64];
            for (int j = 0; j < 12; j++) {
                double u = dim.low + rng_uniform(&r) * (dim.high - dim.low);
                double v = parzen_from_u(&dim, u);
                assert(parzen_append(pz, &v) == j);
                w[j] = j % 4 ? 1 : 0; /* some entries left out */
            }
            parzen_prepare(pz, w);
            assert(parzen_components(pz) == 9);
            double total = s_total(pz, &prms[i]);
            if (verbose)
                printf("parzen: %s %s total %.6f\n", prms[i].name, multi ? "joint" : "1-d", total);
            assert(fabs(total - 1) < 1e-4);
            if (multi)
                parzen_sample(pz, &r, 64, x);
            else
                parzen_sample_1d(pz, 0, &r, 64, x);
            for (int c = 0; c < 64; c++)
                assert(x[c] >= prms[i].low && x[c] <= prms[i].high);
            bool keep[12];
            for (int j = 0; j < 12; j++)
                keep[j] = j % 2;
            parzen_compact(pz, keep);
            assert(parzen_size(pz) == 6 && parzen_memory(pz) > 0);
            parzen_destroy(&pz);
            assert(pz == NULL);
        }
}
