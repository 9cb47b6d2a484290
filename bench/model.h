/* model_bench — `hps-bench` subcommands behind `make bench` for the models:
 *   hps-bench model ...      logreg on the reviews TF-IDF (vs bench/models.py)
 *   hps-bench mlp-xgb ...    mlp on digits, xgboost on diamonds (vs bench/models_peers.py)
 * Each prints its measurements on stdout and returns an exit code. */
#ifndef HPS_BENCH_MODEL_H
#define HPS_BENCH_MODEL_H

int model_bench_main(int argc, char **argv);
int model_bench2_main(int argc, char **argv);

#endif
