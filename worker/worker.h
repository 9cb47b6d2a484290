/* worker — runs trials for a coordinator: `hps worker`, and the local workers of
 * `hps run`.
 *
 * One thread, one DEALER socket, one event loop (zmq_poll over the socket and the
 * trial processes' sockets). Each trial runs in a forked child process (worker/
 * runner.h), so an objective that crashes, leaks or hangs costs one trial, never the
 * worker. Datasets come from the coordinator in chunks and are cached by sha256
 * (worker/blobcache.h).
 *
 * Protocol duties (core/proto.h), which the coordinator relies on:
 *   - HELLO (resent every second) until WELCOME{heartbeat_ms, lease_ms};
 *   - ASK{slots_free} whenever a slot is free and no ASK is outstanding (resent after
 *     2 x heartbeat_ms without reply); TRIAL starts (an ASK is answered by up to
 *     slots_free TRIALs, the last with more 0), WAIT{ms} delays, BYE drains;
 *   - HEARTBEAT{running} every heartbeat_ms; HB_ACK{cancel} kills those trials
 *     (their leases are gone) and no TELL is sent for them;
 *   - REPORTs from objectives are forwarded, CONTINUE/PRUNE passed back (CONTINUE
 *     when the coordinator does not answer within 2 x heartbeat_ms);
 *   - TELL per finished trial, resent with backoff (0.5 s doubling to 10 s) until
 *     ACKed — across coordinator restarts; RESET means say HELLO again.
 * The worker never exits because the coordinator is unreachable: zmq reconnects.
 *
 * worker_run() creates its own ZeroMQ socket (and so, lazily, czmq's context), so
 * `hps run` may fork before any context exists and call it in the child. */
#ifndef HPS_WORKER_H
#define HPS_WORKER_H

#include <stdbool.h>

#define WORKER_RECYCLE_AFTER 1000 /* default of --recycle-after */

typedef struct {
    const char *endpoint;        /* coordinator, e.g. tcp://127.0.0.1:5555 or ipc://... */
    int slots;                   /* concurrent trials (<= 0 means 1) */
    const char *name;            /* unique worker name; NULL = "<host>-<pid>", or under
                                    Slurm from the job (worker/worker_name.h) */
    const char *cache_dir;       /* blob + feature cache; NULL = $XDG_CACHE_HOME/hps
                                    or ~/.cache/hps */
    const char *cert_path;       /* CURVE: this worker's secret cert file (zcert_load);
                                    NULL = plain */
    const char *server_key_path; /* CURVE: the coordinator's public cert file */
    const char *allow_command;   /* the argv pattern `command` objectives must match
                                    (worker/cmdpolicy.h); NULL = any, or none under
                                    CURVE unless allow_any_command */
    const char *allow_env;       /* with allow_command: env names a config may set
                                    (NAME[,NAME...]); NULL = none */
    const char *allow_cwd;       /* with allow_command: the directory a config's cwd
                                    must be in; NULL = none */
    bool allow_any_command;      /* under CURVE: run any command objective */
    int max_trials;              /* exit after this many trials (0 = no limit); tests */
    int prefetch;                /* trials leased ahead of free slots while trials are
                                    short (< 1 s), hiding the coordinator round trip;
                                    0 = none (hps worker and hps run use 1) */
    int recycle_after;           /* a trial process serves at most this many trials,
                                    then a fresh one is forked (0 = no limit) */
    long max_trial_rss_mb;       /* a trial process whose resident memory is over this
                                    after a trial is replaced (0 = no bound) */
    int link_timeout_ms;         /* the link is dead after this long unacknowledged;
                                    connect attempts get a third (0 = LINK_DEAD_MS) */
    long max_artifact_mb;        /* a final refit's model file is at most this big
                                    (worker/upload.h); 0 = UPLOAD_DEFAULT_MAX_MB */
    const char *resources;       /* "cpu=4,gpu=2,mem=16G" (core/capable.h); NULL = the
                                    machine's cpu and mem, gpu from gpus */
    const char *labels;          /* "zone=a,rack=3"; NULL = none */
    const char *gpus;            /* GPU device ids "0,1" (worker/slots.c); NULL = none,
                                    or 0..N-1 with resources gpu=N */
} worker_opts_t;

/* Run until BYE (after running trials finish and their TELLs are ACKed, or a 10 s
 * grace), max_trials, or SIGINT/SIGTERM (zsys_interrupted; running trials are
 * killed). 0 then; -1 with err when the worker cannot start (bad cache dir, socket,
 * certificates, endpoint) or its event loop fails. */
int worker_run(const worker_opts_t *opts, char *err);
/* The number of device ids in --gpus text (worker/slots.c's reading: empty ids skipped,
 * none given twice): 0, or -1 with err. */
int worker_gpus_count(const char *text, int *n, char *err);

void worker_test(bool verbose);

#endif
