/* spawn — fork + exec of a trial process (see spawn.h).
 *
 * Between fork and execve the child runs in a copy of a multithreaded process, so it
 * calls only async-signal-safe functions (signal-safety(7); prctl, close_range and
 * fcntl are plain system calls): no malloc, no stdio, no log_*(), nothing built there.
 * argv is built before the fork. All signals are blocked across the fork, so no
 * handler of the worker's runs in the child before the exec; the new image starts with
 * them blocked and unblocks them once its handlers are the defaults (runner.c). */
#include "worker/spawn.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

extern char **environ;

/* A fixed line on stderr: all the child can say before the exec. */
static void s_say(const char *msg)
{
    ssize_t rc = write(STDERR_FILENO, msg, strlen(msg));
    (void)rc; /* nothing left to tell it to */
}

/* The child's side of the fork: only async-signal-safe calls, then the exec. */
static _Noreturn void s_child(int fd, pid_t parent, char *const argv[])
{
    if (setsid() < 0)
        s_say("hps: trial process: setsid failed\n");
    /* If the worker is SIGKILLed, its trials must not run on unsupervised; the setting
     * survives the exec (hps is no set-user-ID program). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    /* Only fd (and 0-2) may reach the new image: mark every other descriptor
     * close-on-exec (most already are) before clearing the flag on fd. An old kernel
     * without CLOSE_RANGE_CLOEXEC leaves them as they are. */
    if (fd > 2)
        (void)close_range(3, (unsigned)fd - 1, CLOSE_RANGE_CLOEXEC);
    (void)close_range((unsigned)fd + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    if (fcntl(fd, F_SETFD, 0) != 0) {
        s_say("hps: trial process: cannot pass its socket on\n");
        _exit(127);
    }
    execve("/proc/self/exe", argv, environ);
    s_say("hps: trial process: cannot execute /proc/self/exe (is /proc mounted?)\n");
    _exit(127);
}

pid_t spawn_trial_process(int fd, char *err)
{
    char fdarg[24];
    snprintf(fdarg, sizeof fdarg, "%d", fd);
    char *argv[] = {program_invocation_name, SPAWN_ARG, fdarg, NULL};
    sigset_t all, old;
    if (sigfillset(&all) != 0 || pthread_sigmask(SIG_SETMASK, &all, &old) != 0) {
        set_err(err, "cannot block signals for fork");
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        s_child(fd, parent, argv);
    int fork_errno = errno;
    if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
        abort(); /* it only fails for a bad `how`: a programming error */
    if (pid < 0)
        set_err(err, "fork: %s", strerror(fork_errno));
    return pid;
}

int spawn_child_fd(int argc, char **argv, char *err)
{
    long fd;
    if (argc != 3 || strcmp(argv[1], SPAWN_ARG) != 0 || parse_long(argv[2], &fd) != 0 ||
        fd < 0 || fd > INT_MAX)
        return set_err(err, "%s is started by hps worker only (usage: %s FD, FD its socket)",
                       SPAWN_ARG, SPAWN_ARG);
    struct stat st;
    if (fstat((int)fd, &st) != 0)
        return set_err(err, "%s: fd %ld: %s", SPAWN_ARG, fd, strerror(errno));
    int domain = 0, type = 0;
    socklen_t len = sizeof domain, tlen = sizeof type;
    if (!S_ISSOCK(st.st_mode) ||
        getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || domain != AF_UNIX ||
        type != SOCK_STREAM)
        return set_err(err, "%s: fd %ld is not a unix stream socket", SPAWN_ARG, fd);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    if (getpeername((int)fd, (struct sockaddr *)&peer, &plen) != 0)
        return set_err(err, "%s: fd %ld is not connected: %s", SPAWN_ARG, fd, strerror(errno));
    if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0)
        return set_err(err, "%s: fcntl: %s", SPAWN_ARG, strerror(errno));
    return (int)fd;
}

/* ---- tests ------------------------------------------------------------------------ */

static void s_refused(int argc, char **argv, const char *want)
{
    char err[HPS_ERR_LEN];
    assert(spawn_child_fd(argc, argv, err) == -1);
    assert(strstr(err, want));
}

static void s_refused_fd(int fd, const char *want)
{
    char num[24];
    snprintf(num, sizeof num, "%d", fd);
    char *argv[] = {"hps", SPAWN_ARG, num, NULL};
    s_refused(3, argv, want);
}

void spawn_test(bool verbose)
{
    if (verbose)
        printf(" * spawn: ");
    char *none[] = {"hps", SPAWN_ARG, NULL};
    s_refused(2, none, "started by hps worker only");
    char *word[] = {"hps", SPAWN_ARG, "three", NULL};
    s_refused(3, word, "started by hps worker only");
    char *neg[] = {"hps", SPAWN_ARG, "-1", NULL};
    s_refused(3, neg, "started by hps worker only");
    s_refused_fd(999, "fd 999: Bad file descriptor");
    int p[2], sv[2];
    assert(pipe(p) == 0);
    s_refused_fd(p[0], "is not a unix stream socket");
    assert(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    s_refused_fd(sv[0], "is not a unix stream socket");
    close(sv[0]);
    close(sv[1]);
    int lone = socket(AF_UNIX, SOCK_STREAM, 0);
    assert(lone >= 0);
    s_refused_fd(lone, "is not connected");
    close(lone);
    /* A connected pair is taken, and made close-on-exec. */
    assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    char num[24], err[HPS_ERR_LEN];
    snprintf(num, sizeof num, "%d", sv[1]);
    char *good[] = {"hps", SPAWN_ARG, num, NULL};
    assert(spawn_child_fd(3, good, err) == sv[1]);
    assert(fcntl(sv[1], F_GETFD) == FD_CLOEXEC);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    if (verbose)
        printf("OK\n");
}
