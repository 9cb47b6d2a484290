/* bbob — the 24 noiseless BBOB functions (Hansen, Finck, Ros, Auger: "Real-Parameter
 * Black-Box Optimization Benchmarking 2009: Noiseless Functions Definitions", INRIA
 * RR-6829), written here from those definitions, with the instance generator of BBOB
 * 2009 (optimum x_opt, offset f_opt and rotations drawn from the seed
 * function + 10000 * instance, so instance i of function f is the same problem as in
 * COCO's bbob suite).
 *
 * Search domain [-5, 5]^dim, dim >= 2. f(x_opt) = f_opt (f20 within 1e-8: its x_opt is
 * the rounded Schwefel optimum), and f_opt is the global minimum of the domain. */
#ifndef HPS_BENCH_BBOB_H
#define HPS_BENCH_BBOB_H

#include <stdbool.h>

#define BBOB_NFUNCS 24

typedef struct bbob_s bbob_t;

/* Function fn (1..24) in dimension dim (2..40), instance >= 1. NULL on bad arguments. */
bbob_t *bbob_new(int fn, int dim, int instance);
void bbob_destroy(bbob_t **self_p);

double bbob_eval(const bbob_t *self, const double *x);
double bbob_fopt(const bbob_t *self);
/* The optimum's location, dim values. */
const double *bbob_xopt(const bbob_t *self);

/* "sphere", "ellipsoid", ... for fn 1..24; NULL otherwise. */
const char *bbob_name(int fn);
/* Whether fn is one of the separable functions (f1-f5). */
bool bbob_separable(int fn);

#endif
