/* import — `hps import`: an Optuna study (an Optuna 3.1 SQLite storage file) into an hps
 * study database, to continue it here (results/optuna.h). Returns the exit code: 0
 * imported (or the config printed), 1 a runtime failure, 2 bad flags or input (a missing
 * file, an unknown study, a config whose space differs from the Optuna study's, a study
 * name taken). */
#ifndef HPS_CLI_IMPORT_H
#define HPS_CLI_IMPORT_H

/* hps import OPTUNA_DB --study NAME [--as NEW] [--db FILE] --config FILE [key=value...]
 * hps import OPTUNA_DB --study NAME [--as NEW] --print-config */
int import_main(int argc, char **argv);

#endif
