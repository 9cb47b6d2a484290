/* parzen_priv — the estimator's layout, shared by parzen.c (building, joint bandwidths
 * and normalisers), parzen_eval.c (joint densities and sampling, log-sum-exp) and
 * parzen_1d.c (the univariate mixture). Nothing outside these files includes it. */
#ifndef HPS_PARZEN_PRIV_H
#define HPS_PARZEN_PRIV_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "samplers/parzen.h"

#define PZ_LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define PZ_EPS 1e-12                           /* smallest sigma without the magic clip */
#define PZ_BLOCK 64 /* entries per evaluation block; capacity is a multiple of it */

/* Marks the few loops that are most of a large study's time: on x86-64 they are also
 * compiled for AVX2 (4 doubles a vector instead of SSE2's 2), the version picked when
 * the program loads. Both round alike: neither uses FMA (AVX2 alone does not enable
 * it), and sums run in the order the source writes. */
/* Not under ThreadSanitizer: the clones' ifunc resolver would be instrumented, and the
 * dynamic loader runs it before the TSan runtime is up (SIGSEGV at load). */
#if defined(__SANITIZE_THREAD__)
#define PZ_NO_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PZ_NO_CLONES
#endif
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(PZ_NO_CLONES)
#define PZ_VECTOR __attribute__((target_clones("avx2", "default")))
#else
#define PZ_VECTOR
#endif

#define PZ_NMOM 21 /* most terms of a univariate block's series (see parzen_1d.c) */

/* What bounds a block of univariate kernels: a kernel at mu with bandwidth sigma adds
 * at most lc - (|u - mu| - q/2)^2 / (2 sigma^2) to the log-density at u. A block
 * whose kernels all share one sigma and sit close together can also be summed as a
 * series in u around its centre (see parzen_1d.c). */
typedef struct {
    double lo, hi;        /* smallest and largest centre */
    double sig;           /* largest bandwidth */
    double lc;            /* largest log weight - log normaliser */
    double c;             /* the series' centre, (lo + hi) / 2 */
    int nk;               /* terms of the series kept in smom; 0 = none, sum the kernels */
} pz_span_t;

struct parzen_s {
    int d;
    parzen_dim_t *dims;   /* d; owned copy */
    parzen_opts_t opts;
    int d_model;          /* parameters that are not single: the dimension in Scott's rule */
    long n, cap;          /* entries, allocated entries */

    /* Columns, one value per entry, so kernel loops stream contiguous memory. */
    double **mu;          /* [d] numeric: kernel coordinate; NULL for categorical/single */
    int32_t **gi;         /* [d] stepped: grid index; categorical: choice; else NULL */
    /* Joint normaliser cache (see parzen.c): per entry, summed over the numeric params,
     * keyed by the common factor phi = sigma / range that Scott's rule gives every param. */
    double *zphi;         /* phi the sum was computed at (NaN: none) */
    double *zsum;         /* sum of log Z */
    float *zc1, *zc2;     /* its first and second derivatives in phi / zphi */
    double *w;            /* normalised weight of each entry (0 = not a component) */
    double *logw;         /* its log (-inf = not a component) */
    double *logc;         /* multivariate: log weight - sum of log normalisers */
    double *cum;          /* running sum of w, for picking components */

    /* Univariate numeric params: the entries in order of their centres, ties by index
     * (see parzen_1d.c). Entries 0 .. n_sorted-1 are in; newer ones wait in mu and gi
     * for the next prepare. NULL for other params and in multivariate mode. */
    long n_sorted;
    double **smu;         /* [d] kernel centre */
    int32_t **sidx;       /* [d] entry index */
    int32_t **sgi;        /* [d] stepped: grid index */
    double **zsig;        /* [d] sigma the cached log Z is for (NaN: none) */
    double **zlog;        /* [d] log Z, the kernel's mass inside the domain */
    /* ... and, rebuilt by every parzen_prepare() and padded to whole blocks: */
    double **ssig;        /* [d] bandwidth (the clip floor when not a component) */
    double **slc;         /* [d] log weight - log normaliser (-inf when not a component) */
    pz_span_t **span;     /* [d] one per block */
    double **smom;        /* [d] PZ_NMOM per block: its series' coefficients */
    long n_blk;           /* blocks: n_sorted / PZ_BLOCK rounded up */

    /* Set by parzen_prepare(). */
    long n_act;           /* entries with weight > 0 */
    double w_prior, logw_prior;
    double *s;            /* [d] multivariate: bandwidth of every observation kernel */
    double *minsig;       /* [d] numeric: the clip floor, the usual univariate bandwidth */
    double phi;           /* multivariate: s[p] / range for every numeric p; NaN if not common */
    double *prior_lnorm;  /* [d] log normaliser of the prior kernel */
    double *cat_hit;      /* [d] log weight of a categorical row at its own choice */
    double *cat_miss;     /* [d] ... at any other choice */
    double **cat_marg;    /* [d] univariate categorical: log mixture mass of each choice */

    /* Scratch, grown on demand. */
    double *sv;           /* univariate bandwidths: the components' values, cap + 1 */
    int32_t *sid;         /* ... and their column positions (-1 = prior) */
    double *tab;          /* per-candidate tables of stepped kernels */
    size_t tab_cap;
    double *edge;         /* 2 max n_grid + 1: cell edges for pz_cell_offsets() */
};

/* exp(x) for -708 <= x <= 0 (callers clamp: a term below e^-708 is noise next to the
 * 1 every log-sum-exp here contains). Range reduction to r in [-ln2/2, ln2/2] and a
 * degree-12 Taylor polynomial, error below 3e-16 relative; the power of two is built
 * from the bits of the rounding sum. Plain arithmetic, so a loop over it vectorises,
 * which libm's exp does not; this is where most of a large study's time goes. */
static inline double pz_exp_neg(double x)
{
    const double shift = 0x1.8p52, ln2_hi = 0x1.62e42fefa3800p-1, ln2_lo = 0x1.ef35793c76730p-45;
    double sh = x * M_LOG2E + shift, k = sh - shift;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 479001600;
    p = p * r + 1.0 / 39916800, p = p * r + 1.0 / 3628800, p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320, p = p * r + 1.0 / 5040, p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120, p = p * r + 1.0 / 24, p = p * r + 1.0 / 6, p = p * r + 0.5;
    p = p * r + 1, p = p * r + 1;
    uint64_t bits, sbits;
    memcpy(&bits, &sh, sizeof bits);
    memcpy(&sbits, &shift, sizeof sbits);
    bits = (bits - sbits + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Phi(a), the standard normal CDF. */
double pz_ndtr(double a);
/* log Phi(a), accurate far into the left tail. */
double pz_log_ndtr(double a);
/* log of a stepped kernel's mass over the grid cell at u (kernel coordinates). */
double pz_cell_log_mass(const parzen_dim_t *dim, double u, double mu, double sigma);
/* Log masses of a stepped kernel over the cells 1-G .. G-1 steps from its centre,
 * into out[2G - 1] (see parzen.c). edge: scratch of 2G. */
void pz_cell_offsets(const parzen_dim_t *dim, double sigma, double *out, double *edge);
/* Grid index of u (kernel coordinates) or -1 when u is off the grid. */
int pz_grid_index(const parzen_dim_t *dim, double u);
/* A draw from N(mu, sigma) truncated to [lo, hi]. */
double pz_trunc_normal(rng_t *r, double mu, double sigma, double lo, double hi);
/* Index of the component picked by a uniform draw: 0..n-1 an entry, n the prior. */
long pz_pick(const parzen_t *self, rng_t *r);
/* log Z for a kernel at mu, and its first two derivatives in sigma when d1 is not NULL
 * (see parzen.c). */
double pz_log_z(const parzen_dim_t *dim, double mu, double sigma, double *d1, double *d2);
/* Log-density of param p's prior kernel at u (kernel coordinates). */
double pz_prior_term(const parzen_t *self, int p, double u);

/* A sum this small lost its leading terms to underflow under a loose bound. */
#define PZ_TINY 1e-280
/* Fold a block of PZ_BLOCK log terms into the running (ref, sum) of a log-sum-exp: sum
 * holds the total of exp(term - ref). bound must be >= every term of the block. When
 * it is loose the sum can come out tiny (< PZ_TINY); the caller then redoes the
 * candidate with pz_merge_exact(). */
void pz_merge(const double *restrict acc, double bound, double *ref, double *sum);
/* The same for n terms with the block's true maximum as the bound. */
void pz_merge_exact(const double *acc, long n, double *ref, double *sum);

/* Univariate (parzen_1d.c). Merge the entries appended since the last call into the
 * sorted columns. */
void pz_flush_1d(parzen_t *self);
/* Drop the entries whose remap[j] is -1 from the sorted columns, renumbering the others
 * to remap[j] (parzen_compact()). */
void pz_compact_1d(parzen_t *self, const int32_t *remap);
/* Param p's bandwidths (between minsig and maxsig), normalisers and evaluation columns
 * for the weights of this prepare; the columns must be flushed. */
void pz_prepare_1d(parzen_t *self, int p, double minsig, double maxsig);

#endif
