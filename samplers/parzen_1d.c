/* parzen_1d — the univariate estimator (one mixture per parameter, Optuna's default):
 * its sorted columns, bandwidths and normalisers, densities and draws (see parzen.h).
 *
 * Why sorted columns: a univariate kernel's bandwidth is the larger gap to its
 * neighbours, so building the mixture walks the entries in order of their centres,
 * and with the usual floor bandwidth (range / 100) a kernel's term at a candidate is
 * below 1e-17 of the density once they are ten bandwidths apart, so evaluation wants
 * the kernels near the candidate together. Each numeric parameter therefore keeps its
 * entries sorted by centre (ties by entry index, the order Optuna's stable sort gives),
 * with everything a prepare reads alongside: centre, entry index, grid index and the
 * cached normaliser. A prepare then streams these columns and gathers only each
 * entry's log weight (which the weight ramp changes every time), and a candidate
 * visits blocks from its own position outwards, skipping every block whose bound says
 * it cannot matter (s_log_pdf_at). At 20,000 random trials a candidate reads about a
 * fifth of the kernels. Where kernels crowd together, as in a converged study, every
 * block near a candidate counts; a block that shares one bandwidth is then summed from
 * a short series around its centre instead of kernel by kernel (s_series_1d).
 *
 * Appending is O(1): new entries wait in the trial-order columns (mu, gi) until the
 * next prepare merges them in, one memmove per column per merged run, so a bulk load
 * costs one sort rather than n insertions.
 *
 * A kernel's log Z (two erfc calls) is recomputed only when its bandwidth changed:
 * after the first ~100 trials, when the clip floor stops moving, that happens only
 * next to where an entry came or went. */
#include "samplers/parzen_priv.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Univariate: blocks bounded below e^-PZ_SKIP of the density are skipped. */
#define PZ_SKIP 40.0
/* A block's series serves points within PZ_TMAX sigmas of its centre. */
#define PZ_TMAX 10.0

/* ---------------------------------------------------------------------------------- */
/* Sorted columns                                                                     */

typedef struct { /* an entry waiting to be merged into the sorted columns */
    double mu;
    int32_t j;
} s_key_t;

static int s_key_cmp(const void *va, const void *vb)
{
    const s_key_t *a = va, *b = vb;
    return a->mu < b->mu ? -1 : a->mu > b->mu ? 1 : (a->j > b->j) - (a->j < b->j);
}

/* Move param p's sorted entries [from, from + count) up by `by` positions. */
static void s_shift(parzen_t *self, int p, long from, long count, long by)
{
    if (count == 0)
        return;
    size_t c = (size_t)count;
    memmove(self->smu[p] + from + by, self->smu[p] + from, sizeof(double) * c);
    memmove(self->sidx[p] + from + by, self->sidx[p] + from, sizeof(int32_t) * c);
    memmove(self->zsig[p] + from + by, self->zsig[p] + from, sizeof(double) * c);
    memmove(self->zlog[p] + from + by, self->zlog[p] + from, sizeof(double) * c);
    if (self->sgi[p])
        memmove(self->sgi[p] + from + by, self->sgi[p] + from, sizeof(int32_t) * c);
}

/* First of param p's sorted entries [0, end) with a centre above v. */
static long s_upper(const parzen_t *self, int p, long end, double v)
{
    const double *smu = self->smu[p];
    long lo = 0, hi = end;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (smu[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Merge param p's sorted keys into its columns, from the top down: every entry moves
 * once, and an older entry stays before a newer one of equal value. */
static void s_merge_keys(parzen_t *self, int p, const s_key_t *key, long t)
{
    long end = self->n_sorted; /* [0, end) has not moved yet */
    for (long k = t - 1; k >= 0; k--) {
        long at = s_upper(self, p, end, key[k].mu);
        s_shift(self, p, at, end - at, k + 1);
        long pos = at + k;
        self->smu[p][pos] = key[k].mu;
        self->sidx[p][pos] = key[k].j;
        self->zsig[p][pos] = NAN; /* no cached normaliser yet */
        if (self->sgi[p])
            self->sgi[p][pos] = self->gi[p][key[k].j];
        end = at;
    }
}

void pz_flush_1d(parzen_t *self)
{
    long ns = self->n_sorted, t = self->n - ns;
    if (t == 0)
        return;
    s_key_t *key = xmalloc(sizeof *key * (size_t)t);
    for (int p = 0; p < self->d; p++) {
        if (!self->smu[p])
            continue;
        for (long k = 0; k < t; k++) /* the waiting entries are ns .. n-1 */
            key[k] = (s_key_t){self->mu[p][ns + k], (int32_t)(ns + k)};
        qsort(key, (size_t)t, sizeof *key, s_key_cmp);
        s_merge_keys(self, p, key, t);
    }
    free(key);
    self->n_sorted = self->n;
}

void pz_compact_1d(parzen_t *self, const int32_t *remap)
{
    long kept = 0; /* the sorted entries are 0 .. n_sorted-1 */
    for (long j = 0; j < self->n_sorted; j++)
        kept += remap[j] >= 0;
    for (int p = 0; p < self->d; p++) {
        if (!self->smu[p])
            continue;
        double *smu = self->smu[p], *zsig = self->zsig[p], *zlog = self->zlog[p];
        int32_t *idx = self->sidx[p], *sgi = self->sgi[p];
        long k = 0;
        for (long i = 0; i < self->n_sorted; i++) {
            if (remap[idx[i]] < 0)
                continue;
            smu[k] = smu[i], zsig[k] = zsig[i], zlog[k] = zlog[i];
            idx[k] = remap[idx[i]];
            if (sgi)
                sgi[k] = sgi[i];
            k++;
        }
        assert(k == kept);
    }
    self->n_sorted = kept;
}

/* ---------------------------------------------------------------------------------- */
/* Bandwidths, normalisers, spans                                                     */

/* Param p's components in order, with the prior's mid-range point among them (after
 * equal observations), into sv (values) and sid (column positions, -1 for the prior).
 * Every position gets its log weight in slc (-inf when not a component) and the clip
 * floor in ssig (a finite placeholder for non-components). Returns the count. */
static long s_gather_1d(parzen_t *self, int p, double minsig)
{
    const parzen_dim_t *dim = &self->dims[p];
    const double *restrict smu = self->smu[p], *restrict logw = self->logw;
    const int32_t *restrict idx = self->sidx[p];
    double *restrict slc = self->slc[p], *restrict ssig = self->ssig[p];
    double *restrict sv = self->sv;
    int32_t *restrict sid = self->sid;
    double mid = 0.5 * (dim->low + dim->high);
    long k = 0, n = self->n_sorted;
    bool prior_done = false;
    for (long i = 0; i < n; i++) /* the one random access of a prepare */
        slc[i] = logw[idx[i]];
    for (long i = 0; i < n; i++)
        ssig[i] = minsig;
    for (long i = 0; i < n; i++) {
        if (slc[i] == -INFINITY)
            continue;
        if (!prior_done && smu[i] > mid) {
            sv[k] = mid, sid[k++] = -1;
            prior_done = true;
        }
        sv[k] = smu[i], sid[k++] = (int32_t)i;
    }
    if (!prior_done)
        sv[k] = mid, sid[k++] = -1;
    assert(k == self->n_act + 1);
    return k;
}

/* Each component's sigma is the larger gap to its neighbours among the components and
 * the prior's point, with the range ends as outer neighbours only when opts.endpoints
 * (Optuna's rule); slc becomes log weight - log normaliser. */
static void s_kernels_1d(parzen_t *self, int p, long k, double minsig, double maxsig)
{
    const parzen_dim_t *dim = &self->dims[p];
    const double *sv = self->sv;
    const int32_t *sid = self->sid;
    bool cont = dim->q == 0, scaled = cont && self->opts.normalized;
    double konst = cont ? PZ_LOG_SQRT_2PI : 0;
    double *zsig = self->zsig[p], *zlog = self->zlog[p], *ssig = self->ssig[p];
    double *slc = self->slc[p];
    for (long q = 0; q < k; q++) {
        if (sid[q] < 0)
            continue; /* the prior's sigma is the whole range */
        double left = q > 0 ? sv[q - 1] : dim->low, right = q < k - 1 ? sv[q + 1] : dim->high;
        double gl = sv[q] - left, gr = right - sv[q];
        double sg = gl > gr ? gl : gr;
        if (!self->opts.endpoints && k >= 2) {
            if (q == 0)
                sg = sv[1] - sv[0];
            else if (q == k - 1)
                sg = sv[k - 1] - sv[k - 2];
        }
        sg = sg < minsig ? minsig : sg > maxsig ? maxsig : sg;
        long i = sid[q];
        if (zsig[i] != sg) {
            zlog[i] = pz_log_z(dim, sv[q], sg, NULL, NULL);
            zsig[i] = sg;
        }
        ssig[i] = sg;
        slc[i] = slc[i] - zlog[i] - konst - (scaled ? log(sg) : 0);
    }
}

/* Terms of the series x^k / k! (k = 0, 1, ...) to keep so that the rest, times e^2x,
 * is below 1e-18; PZ_NMOM + 1 when that takes more than PZ_NMOM. */
static int s_terms(double x)
{
    double rest = 1, grow = exp(2 * x);
    int n = 1;
    for (; n <= PZ_NMOM; n++) {
        rest *= x / n; /* x^n / n!, the first term left out */
        if (rest * grow <= 1e-18)
            break;
    }
    return n;
}

/* Block b of param p as a series, when its kernels share one sigma (the floor) and
 * lie close together. With t = (u - c) / sigma and e_j = (mu_j - c) / sigma, kernel j
 * contributes exp(lc_j - (t - e_j)^2 / 2) = exp(lc - t^2 / 2) a_j exp(t e_j), where
 * a_j = exp(lc_j - lc - e_j^2 / 2) and lc is the block's largest lc; so the block sums
 * to exp(lc - t^2 / 2) sum_k M_k t^k with M_k = sum_j a_j e_j^k / k!. With |e_j| <= r
 * (the half-width in sigmas) and |t| <= PZ_TMAX, keeping the first nk = s_terms(x),
 * x = PZ_TMAX r, terms errs by less than 1e-18 of the sum: a clustered block then
 * costs ~nk multiply-adds per point instead of 64 exponentials. Stepped kernels are
 * not Gaussian in u: only a block on a single grid point (r = 0, nk = 1) qualifies. */
PZ_VECTOR static void s_series_1d(parzen_t *self, int p, long b, double minsig)
{
    pz_span_t *sp = &self->span[p][b];
    double r = (sp->hi - sp->lo) / (2 * sp->sig);
    sp->c = 0.5 * (sp->lo + sp->hi);
    sp->nk = 0;
    bool stepped = self->dims[p].q > 0;
    if (sp->sig != minsig || sp->lc == -INFINITY || (stepped && r > 0) || PZ_TMAX * r > 1)
        return; /* past x = 1, PZ_NMOM terms are not enough */
    int nk = s_terms(PZ_TMAX * r);
    if (nk > PZ_NMOM)
        return;
    const double *mu = self->smu[p] + b * PZ_BLOCK, *lc = self->slc[p] + b * PZ_BLOCK;
    double *m = self->smom[p] + b * PZ_NMOM, e[PZ_BLOCK], a[PZ_BLOCK];
    for (long j = 0; j < PZ_BLOCK; j++) {
        e[j] = (mu[j] - sp->c) / sp->sig;
        double x = lc[j] - sp->lc - 0.5 * e[j] * e[j];
        a[j] = x > -708.0 ? x : -708.0; /* non-components: e^-708, nothing */
    }
    for (long j = 0; j < PZ_BLOCK; j++)
        a[j] = pz_exp_neg(a[j]);
    for (int k = 0; k < nk; k++) { /* four running sums, which vectorise */
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, inv = 1.0 / (k + 1);
        for (long j = 0; j < PZ_BLOCK; j += 4)
            s0 += a[j], s1 += a[j + 1], s2 += a[j + 2], s3 += a[j + 3];
        m[k] = (s0 + s1) + (s2 + s3);
        for (long j = 0; j < PZ_BLOCK; j++)
            a[j] *= e[j] * inv;
    }
    sp->nk = nk;
}

/* Pad param p's columns to whole blocks (copies of the last entry, not components) and
 * bound each block: its centres' range, its largest sigma (non-components have the
 * floor, below every component's) and its largest lc; and its series if it has one. */
static void s_spans_1d(parzen_t *self, int p, double minsig)
{
    double *smu = self->smu[p], *ssig = self->ssig[p], *slc = self->slc[p];
    int32_t *sgi = self->sgi[p];
    long n = self->n_sorted, end = self->n_blk * PZ_BLOCK;
    assert(end <= self->cap && (n > 0 || end == 0));
    for (long i = n; i < end; i++) {
        smu[i] = smu[n - 1], ssig[i] = minsig, slc[i] = -INFINITY;
        if (sgi)
            sgi[i] = sgi[n - 1];
    }
    for (long b = 0; b < self->n_blk; b++) {
        const double *sg = ssig + b * PZ_BLOCK, *lc = slc + b * PZ_BLOCK;
        double s0 = 0, s1 = 0, l0 = -INFINITY, l1 = -INFINITY; /* two chains each */
        for (long j = 0; j < PZ_BLOCK; j += 2) {
            s0 = sg[j] > s0 ? sg[j] : s0, s1 = sg[j + 1] > s1 ? sg[j + 1] : s1;
            l0 = lc[j] > l0 ? lc[j] : l0, l1 = lc[j + 1] > l1 ? lc[j + 1] : l1;
        }
        pz_span_t *sp = &self->span[p][b];
        sp->lo = smu[b * PZ_BLOCK], sp->hi = smu[b * PZ_BLOCK + PZ_BLOCK - 1];
        sp->sig = s0 > s1 ? s0 : s1, sp->lc = l0 > l1 ? l0 : l1;
        s_series_1d(self, p, b, minsig);
    }
}

void pz_prepare_1d(parzen_t *self, int p, double minsig, double maxsig)
{
    assert(self->smu[p] && self->n_sorted == self->n);
    long k = s_gather_1d(self, p, minsig);
    s_kernels_1d(self, p, k, minsig, maxsig);
    s_spans_1d(self, p, minsig);
}

/* ---------------------------------------------------------------------------------- */
/* Densities                                                                          */

/* Param p's log terms of column entries j0 .. j0+PZ_BLOCK-1 at u, into acc. A stepped
 * param's kernels mostly sit at the clip floor (many observations share each grid
 * point, so neighbour gaps are 0): when tab is given, tab[-g] is the term of such a
 * kernel at grid index g. Any other stepped kernel costs two erfc calls and more, so
 * one whose bound (see s_span_bound()) is below lim is left out (-inf), as a block
 * would be. */
PZ_VECTOR static void s_block_1d(const parzen_t *self, int p, double u, const double *tab,
                                 long j0, double lim, double *restrict acc)
{
    const parzen_dim_t *dim = &self->dims[p];
    const double *restrict mu = self->smu[p] + j0, *restrict sg = self->ssig[p] + j0;
    const double *restrict lc = self->slc[p] + j0;
    if (dim->q == 0) {
        for (long j = 0; j < PZ_BLOCK; j++) {
            double z = (u - mu[j]) / sg[j];
            acc[j] = lc[j] - 0.5 * z * z;
        }
        return;
    }
    const int32_t *restrict g = self->sgi[p] + j0;
    const double floor_sig = self->minsig[p], half_q = 0.5 * dim->q;
    for (long j = 0; j < PZ_BLOCK; j++) {
        if (tab && sg[j] == floor_sig) {
            acc[j] = lc[j] + tab[-g[j]];
            continue;
        }
        double t = fabs(u - mu[j]) - half_q, z = t / sg[j];
        if (t > 0 && lc[j] - 0.5 * z * z < lim)
            acc[j] = -INFINITY;
        else
            acc[j] = lc[j] + pz_cell_log_mass(dim, u, mu[j], sg[j]);
    }
}

/* Stepped param p: the offset table of floor-bandwidth kernels (built on the first
 * candidate), positioned for u; NULL when u is off the grid or the grid is large. */
static const double *s_table_1d(parzen_t *self, int p, double u, bool *built)
{
    const parzen_dim_t *dim = &self->dims[p];
    int k = dim->q > 0 && dim->n_grid <= 2 * self->n ? pz_grid_index(dim, u) : -1;
    if (k < 0)
        return NULL;
    if (!*built) {
        if ((size_t)(2 * dim->n_grid) > self->tab_cap) {
            self->tab_cap = 2 * (size_t)dim->n_grid;
            self->tab = xrealloc(self->tab, sizeof *self->tab * self->tab_cap);
        }
        pz_cell_offsets(dim, self->minsig[p], self->tab, self->edge);
        *built = true;
    }
    return self->tab + dim->n_grid - 1 + k;
}

/* A bound on the log terms of a block at u: its largest lc less the Gaussian fall-off
 * from its nearest centre at its widest sigma. A stepped kernel's term is the log mass
 * of the cell [u - q/2, u + q/2], at most log Phi(-t / sigma) <= -t^2 / (2 sigma^2)
 * with t the distance to the cell. */
static double s_span_bound(const pz_span_t *sp, double u, double half_q)
{
    double t = (u < sp->lo ? sp->lo - u : u > sp->hi ? u - sp->hi : 0) - half_q;
    if (!(t > 0))
        return sp->lc;
    double z = t / sp->sig;
    return sp->lc - 0.5 * z * z;
}

/* The block holding u's place among the centres (the first whose largest centre is
 * >= u, else the last); 0 when there are none. */
static long s_span_find(const pz_span_t *span, long nb, double u)
{
    long lo = 0, hi = nb > 0 ? nb - 1 : 0;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (span[mid].hi >= u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Block b of param p at u from its series (see s_series_1d()), folded into the running
 * (ref, sum) of a log-sum-exp. tab as for s_block_1d(). */
static void s_series_at(const parzen_t *self, int p, long b, double u, const double *tab,
                        double *ref, double *sum)
{
    const parzen_dim_t *dim = &self->dims[p];
    const pz_span_t *sp = &self->span[p][b];
    const double *m = self->smom[p] + b * PZ_NMOM;
    double t = (u - sp->c) / sp->sig, s = m[sp->nk - 1], lt = sp->lc;
    for (int k = sp->nk - 2; k >= 0; k--)
        s = s * t + m[k];
    if (dim->q == 0)
        lt -= 0.5 * t * t;
    else /* one grid point: every kernel has the same cell mass at u */
        lt += tab ? tab[-self->sgi[p][b * PZ_BLOCK]] : pz_cell_log_mass(dim, u, sp->c, sp->sig);
    if (lt > *ref) {
        *sum = *sum * exp(*ref - lt) + s;
        *ref = lt;
    } else {
        *sum += s * exp(lt - *ref);
    }
}

/* Param p's log-density at u into *out: the prior's term, then the blocks from u's
 * outwards, alternating sides so the large terms come first. A block (or a stepped
 * kernel) bounded below S e^-PZ_SKIP / (kernels), S the sum so far, is skipped, so all
 * skipped terms together are below e^-PZ_SKIP (4e-18) of the density, beneath double
 * precision. Blocks with a series near u are summed from it. exact: every block,
 * kernel by kernel with exact maxima (the slow path for sums a loose bound left tiny).
 * Returns false when the sum came out tiny. */
static bool s_log_pdf_at(const parzen_t *self, int p, double u, const double *tab, bool exact,
                         double *out)
{
    const pz_span_t *span = self->span[p];
    const long nb = self->n_blk;
    const double half_q = 0.5 * self->dims[p].q;
    const double cut = PZ_SKIP + log((double)(nb * PZ_BLOCK + 1));
    double mx = self->logw_prior + pz_prior_term(self, p, u), sm = 1, acc[PZ_BLOCK];
    double lim = mx - cut; /* blocks bounded below this are skipped */
    long b0 = s_span_find(span, nb, u), left = b0 - 1, right = b0;
    for (bool go_left = false; left >= 0 || right < nb; go_left = !go_left) {
        long b = right >= nb || (go_left && left >= 0) ? left-- : right++;
        if (exact) {
            s_block_1d(self, p, u, tab, b * PZ_BLOCK, -INFINITY, acc);
            pz_merge_exact(acc, PZ_BLOCK, &mx, &sm);
            continue;
        }
        double bound = s_span_bound(&span[b], u, half_q);
        if (bound < lim)
            continue;
        if (span[b].nk > 0 && fabs(u - span[b].c) <= PZ_TMAX * span[b].sig) {
            s_series_at(self, p, b, u, tab, &mx, &sm);
        } else {
            s_block_1d(self, p, u, tab, b * PZ_BLOCK, lim, acc);
            pz_merge(acc, bound, &mx, &sm);
        }
        lim = mx + ilogb(sm) * M_LN2 - cut; /* ilogb(sm) <= log2(sm): a safe lower bound */
    }
    *out = mx + log(sm);
    return sm >= PZ_TINY;
}

void parzen_log_pdf_1d(parzen_t *self, int p, int m, const double *x, double *out)
{
    assert(self && x && out && p >= 0 && p < self->d && !self->opts.multivariate);
    const parzen_dim_t *dim = &self->dims[p];
    bool built = false;
    for (int c = 0; c < m; c++) {
        int e = 0; /* candidates often repeat (stepped params): an earlier equal one */
        while (e < c && x[e] != x[c])
            e++;
        if (dim->single) {
            out[c] = 0;
        } else if (dim->kind == PARAM_CAT) {
            out[c] = self->cat_marg[p][(int)x[c]];
        } else if (e < c) {
            out[c] = out[e];
        } else {
            double u = parzen_to_u(dim, x[c]);
            const double *tab = s_table_1d(self, p, u, &built);
            if (!s_log_pdf_at(self, p, u, tab, false, &out[c]))
                s_log_pdf_at(self, p, u, tab, true, &out[c]);
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Draws                                                                              */

/* Position of entry j in param p's sorted columns: by (centre, index). */
static long s_position(const parzen_t *self, int p, long j)
{
    const double *smu = self->smu[p], v = self->mu[p][j];
    const int32_t *idx = self->sidx[p];
    long lo = 0, hi = self->n_sorted;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (smu[mid] < v || (smu[mid] == v && idx[mid] < j))
            lo = mid + 1;
        else
            hi = mid;
    }
    assert(lo < self->n_sorted && idx[lo] == j);
    return lo;
}

void parzen_sample_1d(const parzen_t *self, int p, rng_t *r, int m, double *x)
{
    assert(self && r && x && p >= 0 && p < self->d && !self->opts.multivariate);
    const parzen_dim_t *dim = &self->dims[p];
    for (int c = 0; c < m; c++) {
        if (dim->single) {
            x[c] = dim->plow;
        } else if (dim->kind == PARAM_CAT) { /* straight from the marginal of the choices */
            double t = rng_uniform(r), run = 0;
            int k = 0;
            for (; k < dim->n_grid - 1; k++) {
                run += exp(self->cat_marg[p][k]);
                if (t < run)
                    break;
            }
            x[c] = k;
        } else {
            long j = pz_pick(self, r);
            double mu = 0.5 * (dim->low + dim->high), sg = dim->high - dim->low; /* prior */
            if (j < self->n) {
                long i = s_position(self, p, j);
                mu = self->smu[p][i];
                sg = self->ssig[p][i];
            }
            x[c] = parzen_from_u(dim, pz_trunc_normal(r, mu, sg, dim->low, dim->high));
        }
    }
}
