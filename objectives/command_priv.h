/* command_priv — what the two modes of the `command` objective share: command.c starts
 * a program per trial, command_persist.c keeps one program per trial process serving
 * trial after trial over the line protocol of command_proto.c (docs/command-protocol.md).
 * Both build the same spec, spawn and reap the same way, and describe a program's end in
 * the same words. Not for use outside objectives/command*.c. */
#ifndef HPS_COMMAND_PRIV_H
#define HPS_COMMAND_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/util.h"
#include "objectives/objective.h"

#define COMMAND_TAIL 400      /* bytes of stderr kept for the error message */
#define COMMAND_LINE_MAX 4096 /* longer stdout lines are truncated (never a score) */

/* What to run, built entirely before fork: the child only dup2s and execs. */
typedef struct {
    char **argv; /* owned, NULL-terminated */
    char **envp; /* owned, NULL-terminated */
    int n_env;
    const char *cwd; /* borrowed from the config; NULL = inherit */
    double timeout;  /* seconds; 0 = none */
    strbuf_t input;  /* stdin of a per-trial program: the parameters as JSON */
} command_spec_t;

/* A running program and what it said so far. */
typedef struct {
    pid_t pid;
    int in, out, err; /* our ends of its stdin/stdout/stderr; -1 once closed */
    int pidfd;        /* readable when it exits; -1 when unsupported */
    size_t in_off;    /* bytes of input written */
    strbuf_t line;    /* the stdout line being assembled */
    bool line_long;   /* the line overflowed COMMAND_LINE_MAX */
    char *last;       /* last non-empty, non-report stdout line; owned */
    strbuf_t tail;    /* stderr, trimmed to its tail now and then */
    bool exited, timed_out, pruned;
    double pruned_value;
} command_proc_t;

/* The signal dispositions a running program needs (SIGPIPE ignored: a program that
 * stops reading costs an EPIPE, not our life; SIGCHLD default: nothing else reaps it),
 * and the ones to restore after. */
typedef struct {
    struct sigaction old_pipe, old_chld;
} command_sigs_t;

/* Check the objective section's options (both modes). 0 ok, -1 with errors in errs. */
int command_check_options(const cfg_node_t *obj, cfg_errs_t *errs);
/* Build argv, env and (per trial) stdin from the checked options. A persistent spec
 * gets no per-trial variables (they travel in the trial's JSON line) but HPS_PERSISTENT=1
 * and HPS_STUDY. -1 with err on bad options. */
int command_spec_build(command_spec_t *spec, const objective_ctx_t *ctx, bool persistent,
                       char *err);
void command_spec_free(command_spec_t *spec);

void command_proc_init(command_proc_t *p);
/* Close the pipes and free the buffers (not the process: reap it first). */
void command_proc_free(command_proc_t *p);
/* Start the program with pipes on fds 0-2, non-blocking, in a process group of its own.
 * -1 with err; p->pid > 0 then still needs command_reap. */
int command_spawn(const command_spec_t *spec, command_proc_t *p, char *err);
/* Whether it has exited; it stays a zombie (WNOWAIT) so its group id is not reused. */
bool command_has_exited(pid_t pid);
/* Kill the whole group (a no-op when all exited) and reap the program: its wait status,
 * or -1 (errno set) when it could not be reaped. */
int command_reap(command_proc_t *p);
/* One non-blocking read of fd: the bytes read (> 0), 0 when none are there now, -1 at
 * EOF or on an error (fd is then closed and -1). */
ssize_t command_read(int *fd, char *buf, size_t cap);
/* Keep stderr bytes (the tail of them) for error messages. Can't fail. */
void command_keep_tail(command_proc_t *p, const char *buf, size_t n);
/* The kept tail, trailing whitespace off, at most COMMAND_TAIL bytes; borrowed. */
const char *command_tail(command_proc_t *p);
/* "killed by signal 9 (Killed): TAIL" or "exit status 3: TAIL" into err; what before
 * it (e.g. "exited before its result: "). Returns -1. */
int command_status_err(char *err, const char *what, int status, const char *tail);
/* Trim white space on both ends in place; returns the start. */
char *command_trim(char *s);
void command_close_fd(int *fd);
void command_sigs_enter(command_sigs_t *s);
void command_sigs_leave(const command_sigs_t *s);

/* command_persist.c: the options of the persistent mode, and one trial in it. */
int command_persist_check(const cfg_node_t *obj, cfg_errs_t *errs);
bool command_persistent(const cfg_node_t *obj);
void command_persist_run(const objective_ctx_t *ctx, objective_result_t *res);
/* Kill the persistent program of this process, if one runs (tests; a trial process
 * that exits takes its program with it anyway). Can't fail. */
void command_persist_stop(void);
void command_persist_test(bool verbose);

#endif
