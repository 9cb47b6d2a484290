/* synthetic — closed-form test functions as an objective, for tests and sampler
 * benchmarks: sphere, rosenbrock, branin, hartmann3, ackley, rastrigin, camel
 * (six-hump camel back) and noop (always 0, for throughput runs).
 *
 * The objective (`synthetic_objective`, declared in objective.h) evaluates the
 * function on all space parameters in config order, internal values as-is. */
#ifndef HPS_SYNTHETIC_H
#define HPS_SYNTHETIC_H

#include <stdbool.h>

/* f(x[0..n-1]) into *out. -1 for an unknown function or a dimension it does not take
 * (branin and camel take 2, hartmann3 3, noop any n >= 0, the others any n >= 1). */
int synthetic_eval(const char *fn, const double *x, int n, double *out);
/* The known global minimum for n dimensions; NaN for an unknown function or n. */
double synthetic_optimum(const char *fn, int n);

void synthetic_test(bool verbose);

#endif
