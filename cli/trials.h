/* cli_trials — `hps trials STUDY`: every trial of a study from its file (results/trials.h
 * renders them). Returns the exit code: 0 listed, 1 a DB or write error, 2 bad flags, a
 * missing file or an unknown study (the message names the studies of the file). */
#ifndef HPS_CLI_TRIALS_H
#define HPS_CLI_TRIALS_H

#include "core/store.h"

/* hps trials STUDY [--db FILE] [--state S] [--sort number|value] [--limit N]
 *                  [--format table|csv|json] [--steps] */
int trials_main(int argc, char **argv);

/* Open an existing study file for reading (cmd names the command in messages): 0 with
 * *st, or the exit code after a message: 2 when the file does not exist (a typo), 1 when
 * it cannot be opened. Shared by trials and export. */
int cli_open_read(const char *cmd, const char *db, store_t **st);

#endif
