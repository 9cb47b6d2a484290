/* runner — a worker slot's trial process, and the framing used to talk to it.
 *
 * runner_start() starts one process per slot; it serves trial after trial. The process
 * is a fresh exec of the same binary (worker/spawn.h: a fork of the threaded worker
 * must not run library code), in its own session (so a kill reaches a `command`
 * objective's subprocesses too, even in their own process groups). For each TASK it
 * parses the study config (cached per study), finds the objective, runs it and sends
 * the result back as a TELL message. A crash or a kill costs only the trial it was
 * running; the worker starts a fresh process.
 *
 * Parent and child talk over one AF_UNIX socketpair (not pipes: send(MSG_NOSIGNAL)
 * means a dead peer is an error return, never a SIGPIPE that kills the worker).
 * Each message is a proto message, msgpack-encoded, behind a 4-byte big-endian length:
 *
 *   parent -> child   SETUP {log_level, log_component, cache_dir?, objective?, policy?,
 *                           allow_command?, allow_env?, allow_cwd?, no_command?}
 *                     once, first: what holds for every trial of the process
 *   parent -> child   TASK {trial, number, attempt, x, seed, final, config?, data? (local path),
 *                          artifact_dir? (a final refit's folder for its model file)}
 *   child -> parent   REPORT {trial, attempt, step, value}    then waits for a reply
 *   parent -> child   CONTINUE | PRUNE {trial, attempt}
 *   child -> parent   TELL {trial, attempt, state, value, secs, ...}   the result
 *
 * TASK is this pipe's own message (core/proto.h): exactly what the child needs, decoded
 * once there. The TELL is complete as the child sends it (secs is the child's own
 * measure of the trial); the worker forwards it to the coordinator as it is.
 *
 * The parent's end is non-blocking and read through a buffer, so a slow or stuck
 * child never stalls the worker's event loop. Internal to worker/, but for
 * runner_child_main, the trial process's entry (cli/worker_main.c, the selftest). */
#ifndef HPS_RUNNER_H
#define HPS_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/proto.h"
#include "objectives/objective.h"
#include "worker/cmdpolicy.h"

/* What to run. All pointers are borrowed and only need to live through runner_start. */
typedef struct {
    long trial;
    long number;                 /* the trial's number within its study */
    int attempt;
    const char *config_json;     /* the study's canonical JSON; NULL only with ops */
    const double *x;             /* internal values, space order */
    int nx;
    uint64_t seed;
    const char *data_path;       /* local dataset copy, or NULL */
    const char *cache_dir;       /* feature cache directory */
    const char *code_dir;        /* the study's unpacked `code:`, or NULL */
    bool final;                  /* kind == "final" */
    const char *artifact_dir;    /* a final refit's private folder for its model; NULL:
                                    none (objective_ctx_t.artifact_dir) */
    const cmdpolicy_t *policy;   /* which `command` objectives run; NULL = any */
    char *const *env;            /* "NAME=VALUE" set in the trial process for this trial
                                  (HPS_SLOT, CUDA_VISIBLE_DEVICES); n_env of them */
    int n_env;
    const objective_ops_t *ops;  /* NULL = objective_find(config's objective.type);
                                    tests pass a fake one (then config_json may be NULL):
                                    only its name reaches the process, which looks it up
                                    with the runner_find_fn its main passes */
} runner_spec_t;

typedef struct runner_s runner_t;

/* Start an idle trial process. Of base only ops, cache_dir and policy are used:
 * they hold for every trial it runs. NULL with err when socketpair or fork fails. */
runner_t *runner_new(const runner_spec_t *base, char *err);
/* Hand the idle process its next trial (the base fields of spec are ignored). -1 with
 * err when the process is gone. */
int runner_run(runner_t *self, const runner_spec_t *spec, char *err);
/* A trial was handed over and its TELL has not been read yet. */
bool runner_busy(const runner_t *self);
/* runner_new + runner_run: a process for one trial. */
runner_t *runner_start(const runner_spec_t *spec, char *err);
/* Kill the child and its session (SIGKILL), reap it and free. Accepts *self_p == NULL. */
void runner_destroy(runner_t **self_p);

int runner_fd(const runner_t *self);    /* parent's end, for zmq_poll; -1 after EOF */
pid_t runner_pid(const runner_t *self);
int runner_served(const runner_t *self); /* trials handed to this process so far */
/* The process's resident memory in KiB (/proc/PID/statm), or -1 when unknown. */
long runner_rss_kb(const runner_t *self);
double runner_secs(const runner_t *self); /* wall time since the start or last TASK */

/* Read what the child sent. Returns the next complete message (caller destroys) or
 * NULL when none is complete yet. *eof is set once the child closed its end (it has
 * exited or is exiting) or broke the framing (err says how; the child gets killed). */
proto_msg_t *runner_read(runner_t *self, bool *eof, char *err);
/* Answer a REPORT: CONTINUE (prune false) or PRUNE. -1 with err when the child is gone. */
int runner_reply(runner_t *self, bool prune, char *err);
/* SIGKILL the child and every process in its session. Can't fail. */
void runner_kill(runner_t *self);
/* Non-blocking reap. 1 when the child has been reaped (then *status is its wait
 * status), 0 while it still runs, -1 with err when waitpid fails. */
int runner_reap(runner_t *self, int *status, char *err);

/* TELL for a result (optional fields that are NaN or empty are left out). Can't fail. */
proto_msg_t *runner_tell_new(long trial, int attempt, const objective_result_t *res,
                             double secs);
/* Why a child that sent no result died: "objective crashed: signal 11 (Segmentation
 * fault)" or "objective exited with status N". Can't fail. */
void runner_crash_reason(int status, char *out, size_t size);

/* The objectives a trial process can run, by name (objective_find in hps). */
typedef const objective_ops_t *(*runner_find_fn)(const char *name);
/* The trial process: `PROGRAM __trial-process FD` (spawn.h), dispatched by the main of
 * each binary that starts runners before anything else runs. Reads SETUP, then serves
 * TASKs until the worker closes its end. find NULL = objective_find. Returns 2 when argv
 * or SETUP is wrong (message on stderr); else it ends the process itself with _exit():
 * 0 at the end, 126 when the worker sent something else or went away mid-trial. */
int runner_child_main(int argc, char **argv, runner_find_fn find);

/* Framing, shared with tests: one length-prefixed message on a blocking fd, with
 * loops over EINTR and partial transfers. frame_write: 0 or -1 with err.
 * frame_read: the message (caller destroys) or NULL with err ("" on a clean EOF). */
int runner_frame_write(int fd, const proto_msg_t *m, char *err);
proto_msg_t *runner_frame_read(int fd, char *err);

void runner_test(bool verbose);
/* The selftest's trial process: runner_child_main with runner_test's fake objectives. */
int runner_test_child_main(int argc, char **argv);

#endif
