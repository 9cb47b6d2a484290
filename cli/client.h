/* client — the subcommands that talk to a running coordinator: `hps submit`,
 * `hps status --to` (and `hps status --db`, handed to cli/db.c), `hps stop`. Each returns
 * the process exit code: 0 success, 1 runtime failure, 2 bad input. */
#ifndef HPS_CLI_CLIENT_H
#define HPS_CLI_CLIENT_H

int submit_main(int argc, char **argv);
int status_main(int argc, char **argv);
int stop_main(int argc, char **argv);
/* `hps resume STUDY [n_trials=N] --to EP | --db FILE` (--db: cli/lifecycle.c). */
int resume_main(int argc, char **argv);
/* `hps enqueue STUDY FILE --to EP | --db FILE` (--db: cli/lifecycle.c). */
int enqueue_main(int argc, char **argv);

#endif
