/* cli_db — the subcommands that work on a study file rather than a live coordinator:
 * `hps status --db`, `hps leaderboard` and `hps keygen` (which needs
 * neither). Each *_main takes argv with argv[0] = the subcommand name and returns the
 * exit code: 0 success, 1 runtime failure (or a leaderboard
 * --study pattern that matches no study), 2 bad flags, a missing DB file or an unknown
 * study. Results go to stdout, messages to stderr.
 *
 * The DB is opened without create, so a mistyped path is an error, not a new empty
 * file. (`hps promote` is in cli/models.c, with the model registry.) */
#ifndef HPS_CLI_DB_H
#define HPS_CLI_DB_H

#include <stdbool.h>

#include "core/store.h"

/* hps status --db FILE [--json] [STUDY] */
int status_db_main(int argc, char **argv);
/* The same with parsed flags, for `hps status` when it sees --db (study may be NULL). */
int status_db_run(const char *db, bool json, const char *study);
/* hps leaderboard [--db FILE] [--format table|csv|json|md] [--sort KEY] [--study PAT]... */
int leaderboard_main(int argc, char **argv);
/* hps keygen [-o DIR] [--name NAME] */
int keygen_main(int argc, char **argv);

void cli_db_test(bool verbose);

#endif
