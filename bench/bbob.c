/* bbob — the 24 noiseless BBOB functions (see bbob.h).
 *
 * Notation of RR-6829: T_osz (oscillation), T_asy^beta (asymmetry), Lambda^alpha (the
 * diagonal alpha^(i / (2 (d - 1)))), f_pen (the squared excess over |x_i| = 5). The two
 * random rotations of an instance come from the seeds s and s + 1e6, where s is
 * fn + 10000 * instance (f4 uses f3's, f18 f17's); here `ra` is the one from s and `rb`
 * the one from s + 1e6, and `m` is rb Lambda ra where a function needs that product. */
#include "bench/bbob.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bbob_priv.h"
#include "core/util.h"

#define S_TWO_PI (2.0 * 3.14159265358979323846)

static const char *const s_names[BBOB_NFUNCS] = {
    "sphere", "ellipsoid", "rastrigin", "bueche_rastrigin", "linear_slope",
    "attractive_sector", "step_ellipsoid", "rosenbrock", "rosenbrock_rotated",
    "ellipsoid_rotated", "discus", "bent_cigar", "sharp_ridge", "different_powers",
    "rastrigin_rotated", "weierstrass", "schaffers_f7", "schaffers_f7_ill",
    "griewank_rosenbrock", "schwefel", "gallagher_101", "gallagher_21", "katsuura",
    "lunacek_bi_rastrigin"};

const char *bbob_name(int fn) { return fn >= 1 && fn <= BBOB_NFUNCS ? s_names[fn - 1] : NULL; }
bool bbob_separable(int fn) { return fn >= 1 && fn <= 5; }

/* ---- the instance generator of BBOB 2009 -------------------------------------------- */

/* One step of the Park–Miller minimal standard generator (Schrage's method). */
static long s_park_miller(long v)
{
    long hi = v / 127773;
    v = 16807 * (v - hi * 127773) - 2836 * hi;
    return v < 0 ? v + 2147483647 : v;
}

/* n uniforms in (0, 1) from seed: Park–Miller behind a 32-entry shuffle table, the table
 * filled after 8 warm-up steps. */
static void s_unif(double *r, int n, long seed)
{
    long v = labs(seed) < 1 ? 1 : labs(seed), table[32];
    for (int i = 39; i >= 0; i--) {
        v = s_park_miller(v);
        if (i < 32)
            table[i] = v;
    }
    long out = table[0];
    for (int i = 0; i < n; i++) {
        v = s_park_miller(v);
        int slot = (int)(out / 67108865);
        out = table[slot];
        table[slot] = v;
        r[i] = (double)out / 2.147483647e9;
        if (r[i] == 0)
            r[i] = 1e-99;
    }
}

/* n standard normals by Box–Muller on 2n uniforms (the first n give the radius). */
static void s_gauss(double *g, int n, long seed)
{
    double *u = xmalloc((size_t)(2 * n) * sizeof *u);
    s_unif(u, 2 * n, seed);
    for (int i = 0; i < n; i++) {
        g[i] = sqrt(-2 * log(u[i])) * cos(S_TWO_PI * u[n + i]);
        if (g[i] == 0)
            g[i] = 1e-99;
    }
    free(u);
}

/* A random orthogonal d x d matrix (row-major): normals filled column by column, then
 * Gram–Schmidt over the columns in order. */
static double *s_rotation(int d, long seed)
{
    double *g = xmalloc((size_t)(d * d) * sizeof *g), *b = xmalloc((size_t)(d * d) * sizeof *b);
    s_gauss(g, d * d, seed);
    for (int col = 0; col < d; col++)
        for (int row = 0; row < d; row++)
            b[row * d + col] = g[col * d + row];
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < i; j++) {
            double dot = 0;
            for (int k = 0; k < d; k++)
                dot += b[k * d + i] * b[k * d + j];
            for (int k = 0; k < d; k++)
                b[k * d + i] -= dot * b[k * d + j];
        }
        double norm = 0;
        for (int k = 0; k < d; k++)
            norm += b[k * d + i] * b[k * d + i];
        for (int k = 0; k < d; k++)
            b[k * d + i] /= sqrt(norm);
    }
    free(g);
    return b;
}

/* x_opt uniform on a 1e-4 grid of [-4, 4) (never exactly 0). */
static void s_xopt(double *x, int d, long seed)
{
    s_unif(x, d, seed);
    for (int i = 0; i < d; i++) {
        x[i] = 8 * floor(1e4 * x[i]) / 1e4 - 4;
        if (x[i] == 0)
            x[i] = -1e-5;
    }
}

/* f_opt: a ratio of two normals, times 100, rounded to 0.01, within [-1000, 1000]. */
static double s_fopt(int fn, int instance)
{
    long seed = (fn == 4 ? 3 : fn == 18 ? 17 : fn) + 10000L * instance;
    double a, b;
    s_gauss(&a, 1, seed);
    s_gauss(&b, 1, seed + 1);
    double v = floor(100.0 * 100.0 * a / b + 0.5) / 100.0;
    return v < -1000 ? -1000 : v > 1000 ? 1000 : v;
}

/* ---- transformations ---------------------------------------------------------------- */

static double s_frac(int i, int d) { return (double)i / (double)(d - 1); }

/* Lambda^alpha's i-th diagonal entry: sqrt(alpha)^(i / (d - 1)). */
static double s_lambda(double alpha, int i, int d) { return pow(sqrt(alpha), s_frac(i, d)); }

/* T_osz of one value: smooth, monotone, oscillating around the identity. */
static double s_tosz(double v)
{
    if (v == 0)
        return 0;
    double h = log(fabs(v)) / 0.1;
    double c1 = v > 0 ? 1.0 : 0.55, c2 = v > 0 ? 0.79 : 0.31;
    double r = pow(exp(h + 0.49 * (sin(c1 * h) + sin(c2 * h))), 0.1);
    return v > 0 ? r : -r;
}

static void s_tosz_all(double *z, int d)
{
    for (int i = 0; i < d; i++)
        z[i] = s_tosz(z[i]);
}

/* T_asy^beta: positive entries raised to 1 + beta i/(d-1) sqrt(z_i). */
static void s_tasy(double *z, int d, double beta)
{
    for (int i = 0; i < d; i++)
        if (z[i] > 0)
            z[i] = pow(z[i], 1 + beta * s_frac(i, d) * sqrt(z[i]));
}

/* y = a x for a d x d matrix a; y and x distinct. */
static void s_mul(const double *a, const double *x, double *y, int d)
{
    for (int i = 0; i < d; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += a[i * d + j] * x[j];
        y[i] = s;
    }
}

/* y = a (x - x_opt). */
static void s_shift_mul(const bbob_t *b, const double *a, const double *x, double *y)
{
    double t[BBOB_MAXDIM] = {0};
    for (int i = 0; i < b->d; i++)
        t[i] = x[i] - b->xopt[i];
    s_mul(a, t, y, b->d);
}

static double s_pen(const double *x, int d, double bound)
{
    double p = 0;
    for (int i = 0; i < d; i++) {
        double e = fabs(x[i]) - bound;
        if (e > 0)
            p += e * e;
    }
    return p;
}

static double s_sumsq(const double *z, int from, int d)
{
    double s = 0;
    for (int i = from; i < d; i++)
        s += z[i] * z[i];
    return s;
}

static double s_rastrigin(const double *z, int d)
{
    double c = 0;
    for (int i = 0; i < d; i++)
        c += cos(S_TWO_PI * z[i]);
    return 10 * ((double)d - c) + s_sumsq(z, 0, d);
}

/* sum alpha^(i/(d-1)) z_i^2 */
static double s_ellipsoid(const double *z, int d, double alpha)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += pow(alpha, s_frac(i, d)) * z[i] * z[i];
    return s;
}

/* Rosenbrock's sum over consecutive pairs of z. */
static double s_rosenbrock(const double *z, int d)
{
    double a = 0, b = 0;
    for (int i = 0; i < d - 1; i++) {
        double u = z[i] * z[i] - z[i + 1], v = z[i] - 1;
        a += u * u;
        b += v * v;
    }
    return 100 * a + b;
}


/* ---- the functions: z from x, then the value without f_opt ------------------------- */

typedef double (*s_fn_t)(const bbob_t *b, const double *x);

static double s_f1(const bbob_t *b, const double *x)
{
    double s = 0;
    for (int i = 0; i < b->d; i++)
        s += (x[i] - b->xopt[i]) * (x[i] - b->xopt[i]);
    return s;
}

static double s_f2(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    for (int i = 0; i < b->d; i++)
        z[i] = s_tosz(x[i] - b->xopt[i]);
    return s_ellipsoid(z, b->d, 1e6);
}

static double s_f3(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    for (int i = 0; i < b->d; i++)
        z[i] = s_tosz(x[i] - b->xopt[i]);
    s_tasy(z, b->d, 0.2);
    for (int i = 0; i < b->d; i++)
        z[i] *= s_lambda(10, i, b->d);
    return s_rastrigin(z, b->d);
}

/* Büche-Rastrigin: odd coordinates (1-based) that are positive get a factor 10 more. */
static double s_f4(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    for (int i = 0; i < b->d; i++) {
        z[i] = s_tosz(x[i] - b->xopt[i]);
        if (i % 2 == 0 && z[i] > 0)
            z[i] *= 10;
        z[i] *= s_lambda(10, i, b->d);
    }
    return s_rastrigin(z, b->d) + 100 * s_pen(x, b->d, 5);
}

/* Linear slope: x_opt is a corner; past it along a coordinate nothing more is gained. */
static double s_f5(const bbob_t *b, const double *x)
{
    double f = 0;
    for (int i = 0; i < b->d; i++) {
        double s = s_lambda(100, i, b->d), z = x[i];
        if (z * b->xopt[i] > 25)
            z = b->xopt[i];
        f += 5 * s - (b->xopt[i] > 0 ? s : -s) * z;
    }
    return f;
}

static double s_f6(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, s = 0;
    s_shift_mul(b, b->m, x, z);
    for (int i = 0; i < b->d; i++) {
        double v = z[i] * b->xopt[i] > 0 ? 100 * z[i] : z[i];
        s += v * v;
    }
    return pow(s_tosz(s), 0.9);
}

/* Step ellipsoid: the rounding happens between the two rotations. */
static double s_f7(const bbob_t *b, const double *x)
{
    double zh[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0};
    s_shift_mul(b, b->ra, x, zh);
    for (int i = 0; i < b->d; i++)
        zh[i] *= s_lambda(10, i, b->d);
    double first = zh[0];
    for (int i = 0; i < b->d; i++)
        zh[i] = fabs(zh[i]) > 0.5 ? round(zh[i]) : round(10 * zh[i]) / 10;
    s_mul(b->rb, zh, z, b->d);
    double e = s_ellipsoid(z, b->d, 100);
    return 0.1 * fmax(1e-4 * fabs(first), e) + s_pen(x, b->d, 5);
}

static double s_rosen_scale(int d) { return fmax(1.0, sqrt((double)d) / 8.0); }

static double s_f8(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, c = s_rosen_scale(b->d);
    for (int i = 0; i < b->d; i++)
        z[i] = c * (x[i] - b->xopt[i]) + 1;
    return s_rosenbrock(z, b->d);
}

/* z = c ra x + 1/2 (f9 and f19). */
static void s_rosen_rotated(const bbob_t *b, const double *x, double *z)
{
    double c = s_rosen_scale(b->d);
    s_mul(b->ra, x, z, b->d);
    for (int i = 0; i < b->d; i++)
        z[i] = c * z[i] + 0.5;
}

static double s_f9(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    s_rosen_rotated(b, x, z);
    return s_rosenbrock(z, b->d);
}

/* z = T_osz(rb (x - x_opt)) (f10, f11). */
static void s_rot_osz(const bbob_t *b, const double *x, double *z)
{
    s_shift_mul(b, b->rb, x, z);
    s_tosz_all(z, b->d);
}

static double s_f10(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    s_rot_osz(b, x, z);
    return s_ellipsoid(z, b->d, 1e6);
}

static double s_f11(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    s_rot_osz(b, x, z);
    return 1e6 * z[0] * z[0] + s_sumsq(z, 1, b->d);
}

static double s_f12(const bbob_t *b, const double *x)
{
    double t[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0};
    s_shift_mul(b, b->rb, x, t);
    s_tasy(t, b->d, 0.5);
    s_mul(b->rb, t, z, b->d);
    return z[0] * z[0] + 1e6 * s_sumsq(z, 1, b->d);
}

static double s_f13(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0};
    s_shift_mul(b, b->m, x, z);
    return z[0] * z[0] + 100 * sqrt(s_sumsq(z, 1, b->d));
}

static double s_f14(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, s = 0;
    s_shift_mul(b, b->rb, x, z);
    for (int i = 0; i < b->d; i++)
        s += pow(fabs(z[i]), 2 + 4 * s_frac(i, b->d));
    return sqrt(s);
}

static double s_f15(const bbob_t *b, const double *x)
{
    double t[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0};
    s_rot_osz(b, x, t);
    s_tasy(t, b->d, 0.2);
    s_mul(b->m, t, z, b->d);
    return s_rastrigin(z, b->d);
}

/* Weierstrass with 12 terms; f0 is the sum's value at the optimum. */
static double s_f16(const bbob_t *b, const double *x)
{
    double t[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0}, s = 0, f0 = 0;
    s_rot_osz(b, x, t);
    s_mul(b->m, t, z, b->d);
    for (int k = 0; k < 12; k++)
        f0 += pow(0.5, k) * cos(S_TWO_PI * pow(3, k) * 0.5);
    for (int i = 0; i < b->d; i++)
        for (int k = 0; k < 12; k++)
            s += cos(S_TWO_PI * (z[i] + 0.5) * pow(3, k)) * pow(0.5, k);
    return 10 * pow(s / b->d - f0, 3) + 10.0 / b->d * s_pen(x, b->d, 5);
}

/* Schaffers F7 (f17 condition 10, f18 condition 1000). */
static double s_schaffers(const bbob_t *b, const double *x, double cond)
{
    double t[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0}, f = 0;
    s_shift_mul(b, b->rb, x, t);
    s_tasy(t, b->d, 0.5);
    s_mul(b->ra, t, z, b->d);
    for (int i = 0; i < b->d; i++)
        z[i] *= s_lambda(cond, i, b->d);
    for (int i = 0; i < b->d - 1; i++) {
        double s = z[i] * z[i] + z[i + 1] * z[i + 1];
        f += pow(s, 0.25) * (pow(sin(50 * pow(s, 0.1)), 2) + 1);
    }
    f /= b->d - 1;
    return f * f + 10 * s_pen(x, b->d, 5);
}

static double s_f17(const bbob_t *b, const double *x) { return s_schaffers(b, x, 10); }
static double s_f18(const bbob_t *b, const double *x) { return s_schaffers(b, x, 1000); }

static double s_f19(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, f = 0;
    s_rosen_rotated(b, x, z);
    for (int i = 0; i < b->d - 1; i++) {
        double u = z[i] * z[i] - z[i + 1], v = 1 - z[i], s = 100 * u * u + v * v;
        f += s / 4000 - cos(s);
    }
    return 10 + 10 * f / (b->d - 1);
}

/* Schwefel x sin(sqrt(|x|)) after a sign flip, a tridiagonal coupling and scaling. */
static double s_f20(const bbob_t *b, const double *x)
{
    double xh[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0}, f = 0;
    int d = b->d;
    for (int i = 0; i < d; i++)
        xh[i] = b->xopt[i] < 0 ? -2 * x[i] : 2 * x[i];
    for (int i = 0; i < d; i++) {
        double a = fabs(b->xopt[i]), zh = xh[i];
        if (i > 0)
            zh += 0.25 * (xh[i - 1] - 2 * fabs(b->xopt[i - 1]));
        z[i] = 100 * ((zh - 2 * a) * s_lambda(10, i, d) + 2 * a);
    }
    for (int i = 0; i < d; i++)
        f += z[i] * sin(sqrt(fabs(z[i])));
    return 0.01 * (418.9828872724339 - f / d) + 0.01 * s_pen(z, d, 500);
}

/* Gallagher: 10 minus the highest of the Gaussian peaks, through T_osz, squared. */
static double s_gallagher(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, best = 0;
    int d = b->d;
    s_mul(b->ra, x, z, d);
    for (int p = 0; p < b->npeaks; p++) {
        double q = 0;
        for (int j = 0; j < d; j++) {
            double t = z[j] - b->peak_y[p * d + j];
            q += b->peak_scale[p * d + j] * t * t;
        }
        best = fmax(best, b->peak_height[p] * exp(-0.5 / d * q));
    }
    double v = s_tosz(10 - best);
    return v * v + s_pen(x, d, 5);
}

/* Katsuura: a product of fractal sums, 32 binary digits per coordinate. */
static double s_f23(const bbob_t *b, const double *x)
{
    double z[BBOB_MAXDIM] = {0}, prod = 1;
    int d = b->d;
    s_shift_mul(b, b->m, x, z);
    for (int i = 0; i < d; i++) {
        double s = 0;
        for (int j = 1; j <= 32; j++) {
            double p = pow(2, j), v = z[i] * p;
            s += fabs(v - round(v)) / p;
        }
        prod *= 1 + (i + 1) * s;
    }
    return 10.0 / d / d * (pow(prod, 10 / pow(d, 1.2)) - 1) + s_pen(x, d, 5);
}

/* Lunacek bi-Rastrigin: the better of two spheres (at mu0 and mu1) plus Rastrigin. */
static double s_f24(const bbob_t *b, const double *x)
{
    int d = b->d;
    double mu0 = 2.5, s = 1 - 0.5 / (sqrt((double)d + 20) - 4.1);
    double mu1 = -sqrt((mu0 * mu0 - 1) / s);
    double xh[BBOB_MAXDIM] = {0}, t[BBOB_MAXDIM] = {0}, z[BBOB_MAXDIM] = {0}, a = 0, c = 0, r = 0;
    for (int i = 0; i < d; i++) {
        xh[i] = b->xopt[i] < 0 ? -2 * x[i] : 2 * x[i];
        t[i] = xh[i] - mu0;
        a += (xh[i] - mu0) * (xh[i] - mu0);
        c += (xh[i] - mu1) * (xh[i] - mu1);
    }
    s_mul(b->m, t, z, d);
    for (int i = 0; i < d; i++)
        r += cos(S_TWO_PI * z[i]);
    return fmin(a, d + s * c) + 10 * (d - r) + 1e4 * s_pen(x, d, 5);
}

static const s_fn_t s_fns[BBOB_NFUNCS] = {
    s_f1,  s_f2,  s_f3,  s_f4,  s_f5,  s_f6,  s_f7,  s_f8,  s_f9,  s_f10, s_f11,       s_f12,
    s_f13, s_f14, s_f15, s_f16, s_f17, s_f18, s_f19, s_f20, s_gallagher, s_gallagher, s_f23,
    s_f24};

double bbob_eval(const bbob_t *self, const double *x)
{
    return s_fns[self->fn - 1](self, x) + self->fopt;
}

double bbob_fopt(const bbob_t *self) { return self->fopt; }
const double *bbob_xopt(const bbob_t *self) { return self->xopt; }

/* ---- instances ---------------------------------------------------------------------- */

typedef struct {
    double value;
    int index;
} s_ranked_t;

static int s_by_value(const void *a, const void *b)
{
    const s_ranked_t *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->index - y->index;
}

/* rank[i] = the position of value i in ascending order of n uniforms from seed. */
static void s_random_order(int *order, int n, long seed)
{
    double *u = xmalloc((size_t)n * sizeof *u);
    s_ranked_t *r = xmalloc((size_t)n * sizeof *r);
    s_unif(u, n, seed);
    for (int i = 0; i < n; i++)
        r[i] = (s_ranked_t){u[i], i};
    qsort(r, (size_t)n, sizeof *r, s_by_value);
    for (int i = 0; i < n; i++)
        order[i] = r[i].index;
    free(u);
    free(r);
}

/* f21 (101 peaks) and f22 (21): heights, conditionings, centres; the first peak is the
 * global one and its centre x_opt. */
static void s_gallagher_init(bbob_t *b, long seed)
{
    int d = b->d, n = b->fn == 21 ? 101 : 21, *order = xmalloc((size_t)(n + d) * sizeof *order);
    double range = b->fn == 21 ? 10 : 9.8, *cond = xmalloc((size_t)n * sizeof *cond);
    b->npeaks = n;
    b->peak_y = xmalloc((size_t)(n * d) * sizeof *b->peak_y);
    b->peak_scale = xmalloc((size_t)(n * d) * sizeof *b->peak_scale);
    b->peak_height = xmalloc((size_t)n * sizeof *b->peak_height);
    s_random_order(order, n - 1, seed);
    cond[0] = b->fn == 21 ? sqrt(1000.0) : 1000.0;
    b->peak_height[0] = 10;
    for (int i = 1; i < n; i++) {
        cond[i] = pow(1000.0, (double)order[i - 1] / (n - 2));
        b->peak_height[i] = (double)(i - 1) / (n - 2) * (9.1 - 1.1) + 1.1;
    }
    for (int i = 0; i < n; i++) {
        s_random_order(order, d, seed + 1000L * i);
        for (int j = 0; j < d; j++)
            b->peak_scale[i * d + j] = pow(cond[i], (double)order[j] / (d - 1) - 0.5);
    }
    double *u = xmalloc((size_t)(n * d) * sizeof *u), y[BBOB_MAXDIM] = {0}, ry[BBOB_MAXDIM] = {0};
    s_unif(u, n * d, seed);
    for (int p = 0; p < n; p++) {
        for (int k = 0; k < d; k++)
            y[k] = (range * u[p * d + k] - range / 2) * (p == 0 ? 0.8 : 1);
        s_mul(b->ra, y, ry, d);
        memcpy(b->peak_y + p * d, ry, (size_t)d * sizeof *ry);
    }
    for (int i = 0; i < d; i++)
        b->xopt[i] = 0.8 * (range * u[i] - range / 2);
    free(u);
    free(cond);
    free(order);
}

/* m = rb Lambda^alpha ra. */
static double *s_product(const bbob_t *b, double alpha)
{
    int d = b->d;
    double *m = xmalloc((size_t)(d * d) * sizeof *m);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += b->rb[i * d + k] * s_lambda(alpha, k, d) * b->ra[k * d + j];
            m[i * d + j] = s;
        }
    return m;
}

/* x_opt where a function moves it from the drawn one. */
static void s_place_optimum(bbob_t *b, long seed)
{
    int d = b->d;
    double c = s_rosen_scale(d), g[BBOB_MAXDIM] = {0};
    switch (b->fn) {
    case 4: for (int i = 0; i < d; i += 2) b->xopt[i] = fabs(b->xopt[i]); break;
    case 5: for (int i = 0; i < d; i++) b->xopt[i] = b->xopt[i] > 0 ? 5 : -5; break;
    case 8: for (int i = 0; i < d; i++) b->xopt[i] *= 0.75; break;
    case 9:
    case 19: /* z = c ra x + 1/2 is all ones at x_opt = ra^T 1 / (2 c) */
        for (int i = 0; i < d; i++) {
            b->xopt[i] = 0;
            for (int j = 0; j < d; j++)
                b->xopt[i] += b->ra[j * d + i] * 0.5 / c;
        }
        break;
    case 12: s_xopt(b->xopt, d, seed + 1000000); break;
    case 20:
        s_unif(g, d, seed);
        for (int i = 0; i < d; i++)
            b->xopt[i] = (g[i] < 0.5 ? -0.5 : 0.5) * 4.2096874633;
        break;
    case 21: case 22: s_gallagher_init(b, seed); break;
    case 24:
        s_gauss(g, d, seed);
        for (int i = 0; i < d; i++)
            b->xopt[i] = g[i] < 0 ? -1.25 : 1.25;
        break;
    default: break;
    }
}

/* Which rotations a function uses: 1 ra, 2 rb; and the Lambda of m (0: no m). */
static void s_needs(int fn, int *rot, double *m_alpha)
{
    static const int rots[BBOB_NFUNCS] = {0, 0, 0, 0, 0, 3, 3, 0, 1, 2, 2, 2,
                                          3, 2, 3, 3, 3, 3, 1, 0, 1, 1, 3, 3};
    *rot = rots[fn - 1];
    *m_alpha = fn == 6 || fn == 13 || fn == 15 ? 10 : fn == 16 ? 0.01
               : fn == 23 || fn == 24          ? 100 : 0;
}

bbob_t *bbob_new(int fn, int dim, int instance)
{
    if (fn < 1 || fn > BBOB_NFUNCS || dim < 2 || dim > BBOB_MAXDIM || instance < 1 ||
        instance > 100000)
        return NULL;
    bbob_t *b = xcalloc(1, sizeof *b);
    b->fn = fn;
    b->d = dim;
    long seed = (fn == 4 ? 3 : fn == 18 ? 17 : fn) + 10000L * instance;
    b->fopt = s_fopt(fn, instance);
    b->xopt = xmalloc((size_t)dim * sizeof *b->xopt);
    s_xopt(b->xopt, dim, seed);
    int rot;
    double alpha;
    s_needs(fn, &rot, &alpha);
    if (rot & 1)
        b->ra = s_rotation(dim, seed);
    if (rot & 2)
        b->rb = s_rotation(dim, seed + 1000000);
    if (alpha > 0)
        b->m = s_product(b, alpha);
    s_place_optimum(b, seed);
    return b;
}

void bbob_destroy(bbob_t **self_p)
{
    bbob_t *b = *self_p;
    if (!b)
        return;
    free(b->xopt);
    free(b->ra);
    free(b->rb);
    free(b->m);
    free(b->peak_y);
    free(b->peak_scale);
    free(b->peak_height);
    free(b);
    *self_p = NULL;
}
