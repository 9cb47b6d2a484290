/* bbob_bench — the BBOB suite (bench/bbob.h) as a sampler benchmark,
 * `hps-bench bbob MODE ...`:
 *
 *   quality [--functions 1-24] [--dims 2,5] [--budgets 50,100] [--instances 5]
 *           [--seeds 6] [--workers 1] [--seed0 0] [--sampler tpe] [--opts YAML]
 *           [--label NAME] [--cats K [--levels M]]
 *       For each dimension and function, instances x seeds studies on [-5, 5]^dim (study
 *       k: instance 1 + k / seeds, sampler seed seed0 + k), each run to the largest
 *       budget; per budget a `quality fn=fF-dD-bB ...` summary line and a
 *       `seeds fn=fF-dD-bB sampler=LABEL workers=W regrets=...` line (best f - f_opt
 *       after B trials, study order) that bench/tpe_quality_stats.py pairs with
 *       bench/bbob_optuna.py's. --cats K makes x0..x{K-1} categorical with M choices
 *       (default 4), choice k standing for -5 + 10 k / (M - 1): a mixed space.
 *   cost --sampler gp [--dims 5] [--budgets 50,100,300,1000] [--opts YAML]
 *       Time per proposal after n finished trials of f15 (the first dimension given):
 *       `cost sampler=S dim=D n=N cpu_first_ms=... cpu_median_ms=...` (process CPU time
 *       of the first proposal after them, then the median of the next four).
 *   serve
 *       Reads lines "FN DIM INSTANCE x0 ... x{DIM-1}" and answers each with f(x) - f_opt
 *       (%.17g), so a peer in another language evaluates exactly these functions.
 *   info FN DIM INSTANCE
 *       The function's name, f_opt and x_opt. */
#ifndef HPS_BENCH_BBOB_BENCH_H
#define HPS_BENCH_BBOB_BENCH_H

/* Exit code: 0 done, 2 bad arguments (message on stderr). */
int bbob_bench_main(int argc, char **argv);

#endif
