/* tpe — the Tree-structured Parzen Estimator sampler (`tpe_sampler`, registered in
 * sampler.c). This header adds what tests and benchmarks need beyond sampler_ops_t. */
#ifndef HPS_TPE_H
#define HPS_TPE_H

#include "samplers/sampler.h"

/* The good (l) and bad (g) log-densities that propose(number) would use, at m points
 * xs (m x d internal values), without sampling. Multivariate: l[m], g[m]; univariate:
 * l[m * d], g[m * d], row-major (one column per parameter, 0 for single ones).
 * Returns SAMPLER_OK, or SAMPLER_WAIT when deterministic mode would wait. */
int tpe_log_densities(void *self, long number, int m, const double *xs, double *l, double *g);

/* Trials held (finished, running and not yet compacted failures). */
long tpe_size(const void *self);

void tpe_test(bool verbose);

#endif
