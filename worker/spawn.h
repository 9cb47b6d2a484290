/* spawn — start a trial process as a fresh program image.
 *
 * A worker has threads when it starts a trial process: ZeroMQ's I/O and reaper threads,
 * OpenBLAS's pool, czmq's actors. fork() copies only the calling thread, so a lock any
 * other thread held at that instant (the allocator's, stdio's, a library's) stays held
 * in the child for good, and the child's first malloc can wait forever (seen under ASan:
 * cfg_parse -> malloc -> the allocator's futex). So the child does only async-signal-
 * safe work between fork and exec (setsid, prctl, fcntl, close_range, execve) and then
 * runs this same binary again, /proc/self/exe, as
 *
 *     PROGRAM __trial-process FD
 *
 * where FD is its end of the worker's socketpair, the only descriptor beyond 0-2 that
 * survives the exec. Every binary that starts trial processes (hps, the selftest)
 * dispatches SPAWN_ARG to its trial-process main before anything else; what the
 * process needs beyond the fd comes as the first frame on it (worker/runner.c).
 * /proc/self/exe and not argv[0]: the very binary that runs, even when $PATH or the
 * working directory changed, or the file was replaced by a rebuild meanwhile. */
#ifndef HPS_SPAWN_H
#define HPS_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

/* The hidden first argument; not in any help text. */
#define SPAWN_ARG "__trial-process"

/* Fork a child that starts its own session, dies with the calling thread
 * (PR_SET_PDEATHSIG SIGKILL) and execs this binary as SPAWN_ARG fd. fd must be open in
 * the caller; it may be close-on-exec (the child clears that on its copy). Returns the
 * child's pid, or -1 with err when fork fails. An exec that fails ends the child with
 * status 127 and a line on stderr. */
pid_t spawn_trial_process(int fd, char *err);

/* In the child, after the exec: the fd of `PROGRAM SPAWN_ARG FD` once it is checked to
 * be a connected AF_UNIX stream socket, and made close-on-exec again (programs the
 * objective runs must not hold it); -1 with err when argv is anything else. */
int spawn_child_fd(int argc, char **argv, char *err);

void spawn_test(bool verbose);

#endif
