/* bbob_priv — an instance's data, shared by bbob.c and its self-test (bbob_test.c). */
#ifndef HPS_BENCH_BBOB_PRIV_H
#define HPS_BENCH_BBOB_PRIV_H

#include "bench/bbob.h"

#define BBOB_MAXDIM 40

struct bbob_s {
    int fn, d;
    double fopt;
    double *xopt;         /* d */
    double *ra, *rb, *m;  /* d x d, row-major; NULL where unused */
    int npeaks;           /* f21, f22: the Gaussian peaks */
    double *peak_y;       /* npeaks x d: each peak's centre, rotated by ra */
    double *peak_scale;   /* npeaks x d: its diagonal conditioning */
    double *peak_height;  /* npeaks */
};

#endif
