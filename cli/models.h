/* cli_models — the model registry's commands, on a study file (results/modelreg.h):
 *
 *   hps models [--db FILE] [--format table|json]          every registered version
 *   hps models history NAME [--db FILE] [--format ...]    every stage move of NAME
 *   hps promote NAME[:VERSION] --stage S [--force]        move a version (S: staging,
 *                                                         production or archived)
 *   hps model export REF -o DIR [--db FILE]               the artifact + model_card.json
 *   hps model path REF [--db FILE]                        the artifact file's path
 *
 * REF is NAME, NAME:VERSION or NAME@STAGE. Exit codes: 0, 1 (a refused promotion, a
 * failure), 2 (bad flags, a missing file, an unknown model, version or stage). */
#ifndef HPS_CLI_MODELS_H
#define HPS_CLI_MODELS_H

#include <stdbool.h>

int models_main(int argc, char **argv);
int model_main(int argc, char **argv);
int promote_main(int argc, char **argv);

void cli_models_test(bool verbose);

#endif
