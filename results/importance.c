/* importance — PED-ANOVA-style parameter importance (see importance.h).
 *
 * For speed on 100,000-trial studies a numeric parameter's values are first counted
 * into S_BINS fine bins of [0, 1]; the kernel estimate then sums over bins rather
 * than trials (S_GRID x S_BINS work per set, whatever the trial count). The bin width,
 * 1/256 of the range, is far below any bandwidth used. */
#include "results/importance.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define S_BINS 256 /* fine counting bins of a numeric parameter */
#define S_GRID 64  /* points the densities are compared at */

/* One set of trials (all, or top) for one parameter. */
typedef struct {
    double count[S_BINS]; /* numeric: values per fine bin; categorical: per choice */
    double n, sum, sumsq; /* for the bandwidth */
} s_set_t;

/* x of parameter p on [0, 1] (log10 for a log parameter); NaN stays NaN. */
static double s_unit(const param_t *p, double x)
{
    double lo = p->low, hi = p->high;
    if (p->log && x > 0 && lo > 0)
        x = log10(x), lo = log10(lo), hi = log10(hi);
    if (!(hi > lo))
        return isnan(x) ? NAN : 0.5;
    return fmin(fmax((x - lo) / (hi - lo), 0), 1);
}

static void s_add(s_set_t *s, const param_t *p, double x)
{
    if (isnan(x))
        return;
    if (p->kind == PARAM_CAT) {
        long k = lround(x);
        if (k >= 0 && k < p->n_choices && k < S_BINS)
            s->count[k]++, s->n++;
        return;
    }
    double u = s_unit(p, x);
    int b = (int)fmin(u * S_BINS, S_BINS - 1);
    s->count[b]++;
    s->n++, s->sum += u, s->sumsq += u * u;
}

/* The set's density on the grid (sums to 1): a Gaussian kernel with Scott's rule
 * bandwidth, 1.06 sd m^(-1/5), kept within [1/S_GRID, 0.5]. */
static void s_density(const s_set_t *s, double *d)
{
    double mean = s->sum / s->n;
    double sd = sqrt(fmax(s->sumsq / s->n - mean * mean, 0));
    double h = fmin(fmax(1.06 * sd * pow(s->n, -0.2), 1.0 / S_GRID), 0.5);
    double total = 0;
    for (int j = 0; j < S_GRID; j++) {
        double g = (j + 0.5) / S_GRID, v = 0;
        for (int b = 0; b < S_BINS; b++) {
            if (s->count[b] == 0)
                continue;
            double z = (g - (b + 0.5) / S_BINS) / h;
            v += s->count[b] * exp(-0.5 * z * z);
        }
        d[j] = v;
        total += v;
    }
    for (int j = 0; j < S_GRID; j++)
        d[j] = total > 0 ? d[j] / total : 1.0 / S_GRID;
}

/* Add-one smoothed choice frequencies of a categorical set. */
static int s_choices(const s_set_t *s, int k, double *d)
{
    for (int j = 0; j < k; j++)
        d[j] = (s->count[j] + 1) / (s->n + k);
    return k;
}

/* Pearson divergence of top from all: sum over points of (p_top - p_all)^2 / p_all. */
static double s_pearson(const double *top, const double *all, int n)
{
    double d = 0;
    for (int j = 0; j < n; j++)
        d += (top[j] - all[j]) * (top[j] - all[j]) / fmax(all[j], 1e-12);
    return d;
}

/* Divergence of parameter i: rows idx[0..n) are all trials, the first m the top. */
static double s_param_div(const space_t *space, int i, const double *x, const int *idx, int n,
                          int m)
{
    const param_t *p = &space->params[i];
    s_set_t *all = xcalloc(1, sizeof *all), *top = xcalloc(1, sizeof *top);
    for (int r = 0; r < n; r++) {
        double v = x[(size_t)idx[r] * (size_t)space->n + (size_t)i];
        s_add(all, p, v);
        if (r < m)
            s_add(top, p, v);
    }
    double div = 0, da[S_BINS], dt[S_BINS]; /* S_GRID <= S_BINS */
    if (top->n >= 2 && all->n > top->n) {
        int k = S_GRID;
        if (p->kind == PARAM_CAT) {
            k = s_choices(all, p->n_choices < S_BINS ? p->n_choices : S_BINS, da);
            s_choices(top, k, dt);
        } else {
            s_density(all, da);
            s_density(top, dt);
        }
        div = s_pearson(dt, da, k);
    }
    free(all);
    free(top);
    return div;
}

typedef struct {
    double key; /* value signed so that smaller is better */
    int row;
} s_rank_t;

static int s_rank_cmp(const void *pa, const void *pb)
{
    const s_rank_t *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->row - b->row; /* a total order: the same input gives the same top set */
}

int importance_ped(const space_t *space, const double *x, const double *y, int n, direction_t dir,
                   double *out)
{
    assert(space && out && (n == 0 || (x && y)));
    memset(out, 0, sizeof *out * (size_t)space->n);
    s_rank_t *rk = xcalloc((size_t)n + 1, sizeof *rk);
    int used = 0;
    for (int r = 0; r < n; r++)
        if (isfinite(y[r]))
            rk[used++] = (s_rank_t){.key = y[r] * (double)dir, .row = r};
    if (used < IMPORTANCE_MIN_TRIALS) {
        free(rk);
        return -1;
    }
    qsort(rk, (size_t)used, sizeof *rk, s_rank_cmp);
    int *idx = xcalloc((size_t)used, sizeof *idx);
    for (int r = 0; r < used; r++)
        idx[r] = rk[r].row;
    int m = (int)ceil(IMPORTANCE_TOP_QUANTILE * used);
    if (m < IMPORTANCE_TOP_MIN)
        m = IMPORTANCE_TOP_MIN;
    double total = 0;
    for (int i = 0; i < space->n; i++)
        total += out[i] = s_param_div(space, i, x, idx, used, m);
    for (int i = 0; i < space->n && total > 0; i++)
        out[i] /= total;
    free(idx);
    free(rk);
    return used;
}

/* ---- self-test -------------------------------------------------------------------- */

/* A space of four parameters: a float, a log float, an int and a categorical. */
static space_t *s_test_space(void)
{
    static const char *const names[] = {"x", "lr", "n", "kind"};
    space_t *s = xcalloc(1, sizeof *s);
    s->n = 4;
    s->params = xcalloc(4, sizeof *s->params);
    for (int i = 0; i < 4; i++)
        s->params[i] = (param_t){.name = xstrdup(names[i]), .low = 0, .high = 1};
    s->params[1].low = 1e-5, s->params[1].log = true;
    s->params[2] =
        (param_t){.name = s->params[2].name, .kind = PARAM_INT, .low = 1, .high = 10, .step = 1};
    s->params[3] = (param_t){.name = s->params[3].name,
                             .kind = PARAM_CAT,
                             .low = 0,
                             .high = 2,
                             .n_choices = 3};
    return s;
}

/* n random points of the test space; y from the one parameter that matters. */
static void s_test_study(rng_t *r, int n, int which, double *x, double *y)
{
    for (int t = 0; t < n; t++) {
        double *p = &x[t * 4];
        p[0] = rng_uniform(r);
        p[1] = pow(10, -5 + 5 * rng_uniform(r));
        p[2] = 1 + (double)rng_below(r, 10);
        p[3] = (double)rng_below(r, 3);
        double noise = 0.01 * rng_normal(r);
        y[t] = which == 0   ? (p[0] - 0.3) * (p[0] - 0.3) + noise
               : which == 1 ? fabs(log10(p[1]) + 3) + noise
               : which == 3 ? (p[3] == 1 ? 0 : 1) + noise
                            : noise;
    }
}

void importance_test(bool verbose)
{
    space_t *space = s_test_space();
    int n = 400;
    double *x = xcalloc((size_t)n * 4, sizeof *x), *y = xcalloc((size_t)n, sizeof *y);
    double imp[4];
    rng_t r;
    rng_seed(&r, 7);
    const int matters[] = {0, 1, 3}; /* a float, a log float, a categorical */
    for (size_t c = 0; c < ARRAY_SIZE(matters); c++) {
        s_test_study(&r, n, matters[c], x, y);
        assert(importance_ped(space, x, y, n, DIR_MINIMIZE, imp) == n);
        if (verbose)
            printf("importance (param %d matters): %.3f %.3f %.3f %.3f\n", matters[c], imp[0],
                   imp[1], imp[2], imp[3]);
        assert(imp[matters[c]] > 0.8);
        assert(fabs(imp[0] + imp[1] + imp[2] + imp[3] - 1) < 1e-9);
    }
    /* maximising the negated value finds the same parameter */
    s_test_study(&r, n, 0, x, y);
    for (int t = 0; t < n; t++)
        y[t] = -y[t];
    importance_ped(space, x, y, n, DIR_MAXIMIZE, imp);
    assert(imp[0] > 0.8);
    /* pure noise: no parameter stands out */
    s_test_study(&r, n, -1, x, y);
    importance_ped(space, x, y, n, DIR_MINIMIZE, imp);
    for (int i = 0; i < 4; i++)
        assert(imp[i] < 0.6);
    /* too few trials, or values missing */
    assert(importance_ped(space, x, y, IMPORTANCE_MIN_TRIALS - 1, DIR_MINIMIZE, imp) == -1);
    assert(imp[0] == 0 && imp[3] == 0);
    for (int t = 0; t < n; t++)
        y[t] = t % 2 ? NAN : y[t];
    assert(importance_ped(space, x, y, n, DIR_MINIMIZE, imp) == n / 2);
    free(x);
    free(y);
    space_destroy(&space);
}
