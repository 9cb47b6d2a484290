/* loop — what the sampler benchmarks share (bench/tpe.c, bench/bbob_bench.c): a sampler
 * made from inline YAML options, and one simulated study with `workers` trials
 * outstanding, the oldest finished first (each finish is the sampler's next tell, as a
 * cluster of equal workers would give them). */
#ifndef HPS_BENCH_LOOP_H
#define HPS_BENCH_LOOP_H

#include "samplers/sampler.h"

/* A sampler of ops on space from YAML options such as "{type: tpe, seed: 3}"; NULL
 * (message printed, naming who) on bad options. */
void *bench_sampler_new(const sampler_ops_t *ops, const space_t *space, const char *yaml,
                        const char *who);

typedef double (*bench_eval_t)(void *arg, const double *x);

/* Run `trials` trials of smp (on a space of d params) against eval with `workers`
 * outstanding; best[t] (when best is not NULL) is the best value among the trials
 * finished once trial t has finished, in finishing order. Returns the best value. */
double bench_study(const sampler_ops_t *ops, void *smp, int d, long trials, long workers,
                   bench_eval_t eval, void *arg, double *best);

#endif
