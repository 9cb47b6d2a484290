/* tpe_bench — benchmarks of the TPE sampler, `hps-bench tpe MODE ...`:
 *
 *   cost    [--sizes 100,1000,...] [--reps N] [--univariate]   time per suggestion
 *           [--clustered]                   (9 of 10 filled trials near the optimum)
 *   quality [--seeds N] [--trials N] [--workers N] [--sampler tpe|random]
 *           [--univariate] [--functions a,b] [--opts YAML]     best-value regret
 *   memory  [--trials N] [--univariate]                          sampler->memory()
 *
 * TPE runs multivariate unless --univariate (the sampler's own default is univariate).
 * quality prints, per function, a summary line and a `seeds ... regrets=r0,r1,...` line
 * (seed order), which bench/tpe_quality_stats.py compares with Optuna's.
 * Results go to stdout, one line per measurement; bench/tpe.sh runs them
 * next to bench/tpe_optuna.py and writes docs/bench-tpe.md. */
#ifndef HPS_BENCH_TPE_H
#define HPS_BENCH_TPE_H

/* Exit code: 0 done, 2 bad arguments (message on stderr). */
int tpe_bench_main(int argc, char **argv);

#endif
