/* parzen — the Parzen estimator behind TPE: a weighted mixture of one kernel per
 * observation plus a prior kernel, over a whole search space (multivariate) or one
 * parameter at a time (univariate).
 *
 * Kernels follow Optuna 3.1's _ParzenEstimator: truncated normals on the parameter's
 * range (log scale for log parameters, the range widened by half a step for int and
 * stepped parameters, whose density is the kernel's mass over the step's interval),
 * and for categoricals a row of choice weights mixed with a flat prior. Bandwidths are
 * Scott's rule (multivariate) or the neighbour gap rule (univariate), clipped by the
 * "magic clip"; the prior sits mid-range with sigma = range.
 *
 * The estimator is built for reuse as a study grows: entries are appended (one per
 * trial, in trial order) and stay in contiguous columns; parzen_prepare() sets the
 * mixture weights for the next evaluations (weight 0 leaves an entry out, so the good
 * and bad sets of TPE are both weight patterns over the same columns), and the
 * truncation normalisers are cached per entry, so a prepare costs O(n d) cheap work.
 * Evaluation runs in blocks over the columns, which is where the time goes. The
 * univariate mixture also keeps each parameter's entries sorted by value, so a
 * density reads only the kernels near its point (parzen_1d.c). */
#ifndef HPS_PARZEN_H
#define HPS_PARZEN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/space.h"
#include "core/util.h"

/* How one parameter is modelled. Plain record, filled by parzen_dim_init(). */
typedef struct {
    param_kind_t kind;
    bool log;
    bool single;        /* one legal value: not modelled, always plow */
    double low, high;   /* kernel domain: log scale when log, widened by q/2 when stepped */
    double q;           /* grid step on the kernel scale; 0 = continuous */
    double plow, phigh; /* the parameter's own bounds */
    int n_grid;         /* stepped: grid points; categorical: choices; else 0 */
} parzen_dim_t;

typedef struct {
    double prior_weight; /* > 0 */
    bool magic_clip;     /* floor sigmas at range / min(100, n + 1) */
    bool endpoints;      /* univariate: let the range ends count as neighbours */
    bool multivariate;   /* one joint mixture instead of one per parameter */
    bool normalized;     /* continuous kernels carry their -log sigma; false reproduces
                            Optuna < 3.5, whose truncated-normal logpdf omits it (#5109) */
} parzen_opts_t;

typedef struct parzen_s parzen_t;

void parzen_dim_init(parzen_dim_t *dim, const param_t *p);
/* Internal value -> kernel coordinate (choice index for categoricals). Can't fail. */
double parzen_to_u(const parzen_dim_t *dim, double x);
/* Kernel coordinate -> nearest legal internal value. Can't fail. */
double parzen_from_u(const parzen_dim_t *dim, double u);

/* log(Phi(b) - Phi(a)) for a <= b, accurate in both tails. */
double parzen_log_gauss_mass(double a, double b);

/* New empty estimator over d parameters (dims and opts are copied). Never NULL. */
parzen_t *parzen_new(int d, const parzen_dim_t *dims, const parzen_opts_t *opts);
void parzen_destroy(parzen_t **self_p);
/* Forget every entry (keeps the allocations). */
void parzen_clear(parzen_t *self);
/* Add an observation (d internal values); returns its entry index. */
long parzen_append(parzen_t *self, const double *x);
/* Add a copy of src's entry j (same dims): exact, no round trip through x. */
long parzen_append_from(parzen_t *self, const parzen_t *src, long j);
long parzen_size(const parzen_t *self);
/* Entry j's kernel coordinates (choice index for categoricals) into u[d]. */
void parzen_entry(const parzen_t *self, long j, double *u);
const parzen_dim_t *parzen_dim(const parzen_t *self, int p);
/* Drop the entries with keep[j] false, keeping the others' order. */
void parzen_compact(parzen_t *self, const bool *keep);

/* Set the mixture used by the following calls: entry j gets raw weight w[j] >= 0
 * (0 = not a component), the prior gets prior_weight, and weights are normalised.
 * Recomputes bandwidths and refreshes cached normalisers. */
void parzen_prepare(parzen_t *self, const double *w);
/* Number of components (entries with w > 0) of the last prepare, prior excluded. */
long parzen_components(const parzen_t *self);

/* Draw m joint samples into xs (m x d internal values, row-major): pick a component
 * by weight, then each parameter from that component's kernel. */
void parzen_sample(const parzen_t *self, rng_t *r, int m, double *xs);
/* Draw m values of parameter p alone from its own mixture (univariate TPE). */
void parzen_sample_1d(const parzen_t *self, int p, rng_t *r, int m, double *x);
/* Joint log-density at m points (m x d internal values) into out[m]. */
void parzen_log_pdf(parzen_t *self, int m, const double *xs, double *out);
/* Log-density of parameter p's own mixture at m values into out[m]. */
void parzen_log_pdf_1d(parzen_t *self, int p, int m, const double *x, double *out);

/* Bytes held. */
size_t parzen_memory(const parzen_t *self);

void parzen_test(bool verbose);

#endif
