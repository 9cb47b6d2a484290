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
    double **zsig;        /* [d] numeric: sigma the cached log Z is for (NaN: none) */
    double **zlog;        /* [d] numeric: log Z, the kernel's mass inside the domain */
    /* Joint: per entry, summed over the numeric params, keyed by the common factor
     * phi = sigma / range that Scott's rule gives every param. */
    double *zphi;         /* phi the sum was computed at (NaN: none) */
    double *zsum;         /* sum of log Z */
    float *zc1, *zc2;     /* its first and second derivatives in phi / zphi */
    double **sig;         /* [d] univariate numeric: each entry's own bandwidth */
    int32_t **ord;        /* [d] univariate numeric: entries sorted by mu, ties by index */
    double **lc;          /* [d] univariate: log weight - log normaliser of each entry */
    double *w;            /* normalised weight of each entry (0 = not a component) */
    double *logw;         /* its log (-inf = not a component) */
    double *logc;         /* multivariate: log weight - sum of log normalisers */
    double *cum;          /* running sum of w, for picking components */

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
