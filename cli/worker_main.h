/* worker_main — `hps worker`: flags into worker_opts_t, then worker_run(). */
#ifndef HPS_CLI_WORKER_MAIN_H
#define HPS_CLI_WORKER_MAIN_H

/* `hps worker --connect EP [--slots N] [--name NAME] [--cache DIR]
 *             [--cert FILE --server-key FILE] [--allow-command PATTERN] [-v|-q]`.
 * argv[0] is the subcommand name ("worker"); flags follow. Exit code: 0 ok, 1 runtime
 * failure, 2 bad flags (message on stderr). --help prints usage on stdout, exits 0. */
int worker_main(int argc, char **argv);
/* `hps __trial-process FD`: a worker's trial process (worker/spawn.h), hidden from the
 * help; main() dispatches it before the subcommand table. argv[0] is the program. */
int trial_process_main(int argc, char **argv);

#endif
