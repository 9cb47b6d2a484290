/* objserve — `hps-bench objective CONFIG [KEY=VALUE ...]`: a study's objective served
 * over stdin/stdout, so that another optimiser (Optuna, in bench/hpo_optuna.py) trains
 * exactly hps's models with the same data, folds and per-trial seeds. First line out:
 * {"direction": ..., "params": [{"name", "type", "low", "high", "log", "step" |
 * "choices"}]}; then one JSON object of values per line in, the trial's value out. */
#ifndef HPS_BENCH_OBJSERVE_H
#define HPS_BENCH_OBJSERVE_H

/* Exit code: 0 at the end of stdin, 2 bad arguments or config. */
int objserve_main(int argc, char **argv);

#endif
