/* parzen_priv — the estimator's layout, shared by parzen.c (building, bandwidths,
 * normalisers) and parzen_eval.c (densities and sampling). Nothing outside these two
 * files includes it. */
#ifndef HPS_PARZEN_PRIV_H
#define HPS_PARZEN_PRIV_H

#include <stdint.h>

#include "samplers/parzen.h"

#define PZ_LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define PZ_EPS 1e-12                           /* smallest sigma without the magic clip */

struct parzen_s {
    int d;
    parzen_dim_t *dims;   /* d; owned copy */
    parzen_opts_t opts;
    int d_model;          /* parameters that are not single: the dimension in Scott's rule */
    long n, cap;          /* entries, allocated entries */

    /* Columns, one value per entry, so kernel loops stream contiguous memory. */
    double **mu;          /* [d] numeric: kernel coordinate; NULL for categorical/single */
    int32_t **gi;         /* [d] stepped: grid index; categorical: choice; else NULL */
    double **zsig;        /* [d] numeric: sigma the cached log Z was computed at (NaN: none) */
    double **zlog;        /* [d] numeric: log Z, the kernel's mass inside the domain */
    float **zder;         /* [d] numeric: d log Z / d sigma at zsig (first-order refresh) */
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
    double *prior_lnorm;  /* [d] log normaliser of the prior kernel */
    double *cat_hit;      /* [d] log weight of a categorical row at its own choice */
    double *cat_miss;     /* [d] ... at any other choice */
    double **cat_marg;    /* [d] univariate categorical: log mixture mass of each choice */

    /* Scratch, grown on demand. */
    double *sv;           /* univariate bandwidths: sorted values, n + 1 */
    int32_t *sid;         /* ... and their entry indexes (-1 = prior) */
    double *tab;          /* per-candidate tables of stepped kernels */
    size_t tab_cap;
};

/* Phi(a), the standard normal CDF. */
double pz_ndtr(double a);
/* log Phi(a), accurate far into the left tail. */
double pz_log_ndtr(double a);
/* log of a stepped kernel's mass over the grid cell at u (kernel coordinates). */
double pz_cell_log_mass(const parzen_dim_t *dim, double u, double mu, double sigma);
/* A draw from N(mu, sigma) truncated to [lo, hi]. */
double pz_trunc_normal(rng_t *r, double mu, double sigma, double lo, double hi);
/* Index of the component picked by a uniform draw: 0..n-1 an entry, n the prior. */
long pz_pick(const parzen_t *self, rng_t *r);

#endif
