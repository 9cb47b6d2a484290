/* gp_warp — the output warping of the GP sampler (see gp_warp.h).
 *
 * The values are shifted to v = y - min(y) + c, with c a twentieth of the distance from
 * the best value to the median one (so the best point stays within reach of the rest
 * instead of becoming a far outlier of log 0), then Box-Cox transformed,
 *   t = (v^lambda - 1) / lambda   (log v at lambda 0),
 * with lambda from a grid of -1 .. 1.5 in steps of 1/4 chosen by maximum likelihood:
 * the normal log likelihood of t (its variance profiled out) plus the Jacobian
 * (lambda - 1) sum log v. Ties go to the larger lambda (the milder warping). The map is
 * increasing, so the best point stays the best and a value's rank does not change. */
#include "samplers/gp_warp.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define W_SHIFT 0.05 /* c as a fraction of median - min */

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double s_boxcox(double v, double lambda)
{
    return fabs(lambda) < 1e-12 ? log(v) : (pow(v, lambda) - 1) / lambda;
}

/* The profile log likelihood of lambda on v[n] (all > 0). */
static double s_loglik(const double *v, int n, double lambda)
{
    double mean = 0, var = 0, jac = 0;
    for (int i = 0; i < n; i++)
        mean += s_boxcox(v[i], lambda) / n;
    for (int i = 0; i < n; i++) {
        double t = s_boxcox(v[i], lambda) - mean;
        var += t * t / n;
        jac += log(v[i]);
    }
    if (!(var > 0) || !isfinite(var))
        return -INFINITY;
    return -0.5 * n * log(var) + (lambda - 1) * jac;
}

void gp_warp_fit(gp_warp_t *w, const double *y, int n)
{
    assert(w && y && n >= 1);
    double *s = xmalloc((size_t)n * sizeof *s);
    memcpy(s, y, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, s_cmp);
    double lo = s[0], med = s[(n - 1) / 2], spread = s[n - 1] - lo;
    *w = (gp_warp_t){.min = lo, .shift = 1, .lambda = 1};
    if (!(spread > 0) || !isfinite(spread)) {
        free(s);
        return; /* all equal: nothing to learn, the identity up to a shift */
    }
    w->shift = W_SHIFT * (med - lo);
    if (!(w->shift > 1e-12 * spread))
        w->shift = 1e-3 * spread; /* half the values or more tie at the best */
    for (int i = 0; i < n; i++)
        s[i] = s[i] - lo + w->shift;
    double best = -INFINITY;
    for (double lambda = 1.5; lambda > -1.01; lambda -= 0.25) {
        double ll = s_loglik(s, n, lambda);
        if (ll > best + 1e-9) {
            best = ll;
            w->lambda = lambda;
        }
    }
    free(s);
}

double gp_warp(const gp_warp_t *w, double y)
{
    double v = y - w->min + w->shift;
    return s_boxcox(v > 1e-300 ? v : 1e-300, w->lambda);
}

double gp_warp_logderiv(const gp_warp_t *w, double y)
{
    double v = y - w->min + w->shift;
    return (w->lambda - 1) * log(v > 1e-300 ? v : 1e-300);
}

/* ---- self-test ---------------------------------------------------------------------- */

void gp_warp_test(bool verbose)
{
    (void)verbose;
    enum { N = 40 };
    double y[N], e[N];
    /* exp of evenly spread values: the log (lambda 0) makes them even again */
    for (int i = 0; i < N; i++) {
        e[i] = 3 + 0.25 * i;
        y[i] = exp(e[i]) + 7;
    }
    gp_warp_t w;
    gp_warp_fit(&w, y, N);
    assert(w.lambda <= 0.25 && w.lambda >= -0.25);
    /* evenly spread values are left (nearly) linear */
    gp_warp_fit(&w, e, N);
    assert(w.lambda >= 0.75);
    /* increasing whatever lambda, the best value maps to the lowest */
    for (double l = -1; l <= 1.5; l += 0.25) {
        gp_warp_t f = {.min = 1, .shift = 0.1, .lambda = l};
        assert(gp_warp(&f, 1) < gp_warp(&f, 1.5) && gp_warp(&f, 1.5) < gp_warp(&f, 100));
    }
    /* the log derivative agrees with a central difference */
    gp_warp_t f = {.min = 1, .shift = 0.3, .lambda = -0.5};
    double h = 1e-6, num = (gp_warp(&f, 2 + h) - gp_warp(&f, 2 - h)) / (2 * h);
    assert(fabs(log(num) - gp_warp_logderiv(&f, 2)) < 1e-6);
    /* a heavy tail (one huge value among small ones) is compressed: the gap from the
     * median to the maximum shrinks relative to the gap from the best to the median */
    for (int i = 0; i < N; i++)
        y[i] = i == 3 ? 1e6 : 1 + 0.1 * i;
    gp_warp_fit(&w, y, N);
    double lo = gp_warp(&w, 1), mid = gp_warp(&w, y[N / 2]), hi = gp_warp(&w, 1e6);
    assert((hi - mid) / (mid - lo) < 0.1 * (1e6 - y[N / 2]) / (y[N / 2] - 1));
    /* constant values: the identity up to a shift, no NaN */
    for (int i = 0; i < N; i++)
        y[i] = 2;
    gp_warp_fit(&w, y, N);
    assert(w.lambda == 1 && isfinite(gp_warp(&w, 2)) && isfinite(gp_warp(&w, 5)));
}
