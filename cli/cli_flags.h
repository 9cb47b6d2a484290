/* cli_flags — flag parsing shared by the command front-ends (client.c, run.c, cli.c):
 * integer flags checked against a range, and the coordinator's own flags, which
 * `hps coordinator` and `hps run` take alike. Messages go to stderr and name the
 * command ("hps run: --lease-ms: ..."); the callers exit 2 on them. */
#ifndef HPS_CLI_FLAGS_H
#define HPS_CLI_FLAGS_H

#include <getopt.h>
#include <stdbool.h>

#include "coordinator/coord.h"

/* A usage error: "hps CMD: " fmt (with arg) and the command's usage on stderr; 2, the
 * exit code of bad input. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, const char *arg);

/* arg as an integer in lo..hi into *out: 0, or -1 after a message. */
int cli_flag_long(const char *cmd, const char *flag, const char *arg, long lo, long hi, long *out);

/* A client's endpoint (NULL: none) without keys (cert NULL) must be local
 * (auth_endpoint_local): plain ZeroMQ neither authenticates the other end nor encrypts.
 * Checked before any connection is made. 0 ok, -1 after a message. */
int cli_check_plain(const char *cmd, const char *endpoint, const char *cert);

/* Whether a and b name one existing file (links and symlinks count as the file). */
bool cli_same_file(const char *a, const char *b);

/* Whether writing to out (a file or folder; NULL or "-": stdout, fine) would overwrite
 * an input: the study file db (NULL: none), its -wal or -shm, anything in its .blobs
 * folder, or one of the n files in inputs. Links and symlinks count as the file they
 * name. NULL when fine, else what out is ("the study file", ...). */
const char *cli_output_clash(const char *out, const char *db, const char *const *inputs, int n);
/* The same as a check: 0 ok, or 2 after "hps CMD: -o OUT is ...". file: out names a
 * file to write, so a folder, or a folder that does not exist to hold it, is bad too. */
int cli_check_output(const char *cmd, const char *out, const char *db,
                     const char *const *inputs, int n, bool file);

/* getopt_long rows of the coordinator's flags (--db, --heartbeat-ms, --lease-ms, --sync),
 * for a command's longopts table; cli_coord_flag() handles what they return. (Not
 * clang-formatted: it would read the rows as one braced expression.) */
/* clang-format off */
#define CLI_COORD_LONGOPTS                                                                         \
    {"db", required_argument, 0, 'd'},       {"heartbeat-ms", required_argument, 0, 'H'},          \
    {"lease-ms", required_argument, 0, 'L'}, {"sync", required_argument, 0, 'S'}
/* clang-format on */

/* Defaults of those flags into co: hps.db, heartbeat 1000 ms, lease 10000 ms, normal. */
void cli_coord_defaults(coord_opts_t *co);
/* One getopt_long result: 0 handled into co, 1 not a coordinator flag, -1 bad value
 * (message printed). */
int cli_coord_flag(const char *cmd, coord_opts_t *co, int opt, const char *arg);

#endif
