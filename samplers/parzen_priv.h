/* parzen_priv — the estimator's layout, shared by parzen.c (building, bandwidths,
 * normalisers) and parzen_eval.c (densities and sampling). Nothing outside these two
 * files includes it. */
#ifndef HPS_PARZEN_PRIV_H
#define HPS_PARZEN_PRIV_H

#include <stdint.h>

#include "samplers/parzen.h"

#define PZ_LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define PZ_EPS 1e-12                           /* smallest sigma without the magic clip */
#define PZ_BLOCK 64 /* entries per evaluation block; capacity is a multiple of it */

/* What bounds a block of univariate kernels: a kernel at mu with bandwidth sigma adds
 * at most lc - (|u - mu| - q/2)^2 / (2 sigma^2) to the log-density at u. */
typedef struct {
    double lo, hi;        /* smallest and largest centre */
    double sig;           /* largest bandwidth */
    double lc;            /* largest log weight - log normaliser */
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
    /* Normaliser caches (see parzen.c). Univariate: per kernel and param. */
    double **zlog;        /* [d] univariate numeric: log Z at sig, the kernel's mass inside
                             the domain */
    double **sig;         /* [d] univariate numeric: bandwidth at the last prepare that made
                             the entry a component (NaN: never), the one zlog is for */
    /* Joint: per entry, summed over the numeric params, keyed by the common factor
     * phi = sigma / range that Scott's rule gives every param. */
    double *zphi;         /* phi the sum was computed at (NaN: none) */
    double *zsum;         /* sum of log Z */
    float *zc1, *zc2;     /* its first and second derivatives in phi / zphi */
    int32_t **ord;        /* [d] univariate numeric: entries [0, n_sorted) sorted by mu, ties
                             by index, then the newer ones in index order */
    long n_sorted;        /* entries ord[] has sorted in (the tail waits for a prepare) */
    double *w;            /* normalised weight of each entry (0 = not a component) */
    double *logw;         /* its log (-inf = not a component) */
    double *logc;         /* multivariate: log weight - sum of log normalisers */
    double *cum;          /* running sum of w, for picking components */

    /* Univariate evaluation columns, rebuilt per numeric param by parzen_prepare(): the
     * components in order of their centres, padded to whole blocks with lc = -inf, and
     * a span per block that bounds its terms, so a candidate skips the blocks too far
     * away to matter (see parzen_eval.c). */
    double **smu;         /* [d] kernel centre */
    double **ssig;        /* [d] its bandwidth */
    double **slc;         /* [d] log weight - log normaliser */
    int32_t **sgi;        /* [d] stepped: grid index */
    pz_span_t **span;     /* [d] one per block */
    long n_blk;           /* blocks of the columns: n_act / PZ_BLOCK rounded up */

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
    double *sv;           /* univariate bandwidths: sorted values, cap + 1 */
    int32_t *sid;         /* ... and their entry indexes (-1 = prior) */
    double *tab;          /* per-candidate tables of stepped kernels */
    size_t tab_cap;
    double *edge;         /* 2 max n_grid + 1: cell edges for pz_cell_offsets() */
};

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

#endif
