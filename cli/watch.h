/* watch — `hps status --watch`: the status of every study (or one) again every interval,
 * until SIGINT or SIGTERM (exit 0).
 *
 *   hps status --watch  every 2s, 12:04:31 (Ctrl-C stops)
 *   STUDY  STATE    DONE    BEST      TRIALS/S  ETA
 *   emb    running  23/40   0.0123    3.1       5s
 *   workers: 2 alive
 *
 * DONE counts COMPLETE + PRUNED + FAIL search trials of n_trials, as `hps status` does;
 * TRIALS/S is the rate at which trials ended since the watch first saw the study, and
 * the ETA divides the trials left by it, as `hps run`'s progress line does
 * (progress_eta: "--" until enough trials ended). On a terminal the block is redrawn in
 * place; otherwise (a pipe, a log) each refresh prints a new block after a blank line.
 *
 * The status comes from a fetch function: the same `hps status --json` object from a
 * study file (watch_db_fetch) or from a running coordinator (cli/client.c). */
#ifndef HPS_CLI_WATCH_H
#define HPS_CLI_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "core/store.h"

/* Fetch the status JSON (*json, caller frees): 0 ok, 1 bad input (an unknown study; err
 * says which), -1 a failure in err. */
typedef int (*watch_fetch_fn)(void *arg, char **json, char *err);

typedef struct {
    double interval; /* seconds between refreshes, > 0 */
    bool tty;        /* redraw in place (out is a terminal) */
    FILE *out;       /* borrowed */
} watch_opts_t;

/* Refresh until interrupted; returns the exit code: 0 interrupted, 2 when the first
 * fetch says bad input, 1 when a fetch fails (a message on stderr). */
int watch_run(const watch_opts_t *o, watch_fetch_fn fetch, void *arg);

/* A study file as the status source: arg is a watch_db_t. */
typedef struct {
    store_t *st;       /* open for reading; borrowed */
    const char *study; /* NULL = every study */
} watch_db_t;
int watch_db_fetch(void *arg, char **json, char *err);

#endif
