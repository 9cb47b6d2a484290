/* coord — the coordinator: a ROUTER socket serving workers and clients, over a store
 * and a scheduler. Single-threaded. Messages are handled in batches (group commit):
 * whatever is queued, up to a bound, is handled in one SQLite transaction, the replies
 * wait in an outbox and are sent after the commit, so nothing is acknowledged before
 * the commit that makes it true (coord.c: s_drain). */
#ifndef HPS_COORD_H
#define HPS_COORD_H

#include <stdbool.h>

#include "coordinator/schedule.h"
#include "core/study.h"
#include "core/util.h"

typedef struct {
    const char *bind;           /* endpoint, e.g. tcp://127.0.0.1:5555 */
    const char *db_path;
    int heartbeat_ms;           /* default 1000 */
    int lease_ms;               /* default 10000 */
    bool sync_full;             /* PRAGMA synchronous=FULL */
    const char *cert_path;      /* CURVE secret cert of the coordinator; NULL = plain */
    const char *allow_dir;      /* public certs of clients allowed to connect */
    const char *submitters_dir; /* public certs allowed to SUBMIT/STOP; NULL = none (CURVE) */
    bool exit_when_done;        /* return once every study is done (embedded run) */
    const char *only_study;     /* serve this study alone (hps run); NULL = every study */
    int progress;               /* progress_mode_t (progress.h) on stderr; 0 = none */
    long max_blob_mb;           /* largest dataset a PUT may upload, MiB; 0 = default 1024 */
    int listen_fd;              /* > 0: a socket already listening on bind (ipc), made
                                   before the workers started (hps run); borrowed: zmq
                                   serves a duplicate. 0 = bind makes its own */
} coord_opts_t;

typedef struct coord_s coord_t;

/* Open the DB (resuming its running studies), bind. NULL with err; *usage set when the
 * failure is bad input (exit code 2) rather than a runtime failure. */
coord_t *coord_new(const coord_opts_t *opts, bool *usage, char *err);
void coord_destroy(coord_t **self_p);
/* Blob folder of this coordinator's DB. */
const char *coord_blob_dir(coord_t *self);
/* Add (or resume, or change) a study from a validated config (sched_submit), after
 * checking that its dataset is here. 0 the study will run, 1 not (out->text says why:
 * done already, or a refused difference), -1 with err. *cfg_p is taken on 0. */
int coord_submit(coord_t *self, study_config_t **cfg_p, sched_outcome_t *out, char *err);
/* Serve until interrupted, or (exit_when_done) until all studies are done and workers
 * have been sent BYE. 0 ok, -1 with err on a fatal store error. */
int coord_run(coord_t *self, char *err);
/* Put every running trial back in the queue as the same attempt, in one commit: for an
 * embedded run, whose workers are its own children and are gone (interrupted, or a
 * previous run's). Not for a coordinator with remote workers: they still run their
 * trials and will TELL. Returns how many, or -1 with err (nothing released). */
int coord_release_leases(coord_t *self, char *err);
/* TELL decoding and the loopback check, without a socket. */
void coord_test(bool verbose);

#endif
