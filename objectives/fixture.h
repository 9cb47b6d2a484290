/* fixture — reads the reference solutions written by scripts/model_fixtures.py
 * (scikit-learn) for the model unit tests. See that script for the file format. */
#ifndef HPS_FIXTURE_H
#define HPS_FIXTURE_H

#include "objectives/features.h"

typedef struct {
    int n, d, n_classes;
    double reg;       /* C for logreg, alpha for ridge */
    double *X;        /* n x d, row-major; owned */
    double *y;        /* n; owned */
    int n_vec;        /* weight vectors */
    double *coef;     /* n_vec x (1 + d): intercept then weights; owned */
} fixture_t;

/* Load path; -1 with err when missing or malformed. */
int fixture_load(const char *path, fixture_t *fx, char *err);
void fixture_free(fixture_t *fx);
/* The fixture's X as a CSR matrix (zeros dropped), for the sparse code paths. */
void fixture_csr(const fixture_t *fx, fmat_t *out);

#endif
