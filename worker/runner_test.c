/* runner_test — unit tests of worker/runner.c: framing, trial processes (reuse,
 * reports and pruning, crashes, cancel, a fresh exec), and the --allow-command refusal
 * (the rule itself: cmdpolicy.c). The trial processes are this selftest exec'd again
 * (worker/spawn.h); they find the fakes below by name (runner_test_child_main). */
#include <assert.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "worker/runner.h"
#include "worker/spawn.h"


#include <poll.h>
#include <sys/resource.h>

/* A large message written by another process arrives in many partial reads. */
static void s_frame_test(void)
{
    char err[HPS_ERR_LEN];
    int sv[2];
    assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    size_t big = 3 * 1024 * 1024;
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        char *data = xmalloc(big);
        for (size_t i = 0; i < big; i++)
            data[i] = (char)(i * 7);
        proto_msg_t *m = proto_new("CHUNK");
        proto_set_str(m, "sha256", "x");
        proto_set_int(m, "offset", 0);
        proto_set_int(m, "total", (int64_t)big);
        proto_set_bin(m, "data", data, big);
        int rc = runner_frame_write(sv[1], m, err);
        proto_destroy(&m);
        m = proto_new("CONTINUE");
        proto_set_int(m, "trial", 5);
        proto_set_int(m, "attempt", 1);
        rc |= runner_frame_write(sv[1], m, err);
        proto_destroy(&m);
        _exit(rc == 0 ? 0 : 1);
    }
    close(sv[1]);
    proto_msg_t *m = runner_frame_read(sv[0], err);
    assert(m && strcmp(proto_type(m), "CHUNK") == 0);
    size_t len;
    const char *data = proto_get_bin(m, "data", &len);
    assert(data && len == big && data[12345] == (char)(12345 * 7));
    proto_destroy(&m);
    m = runner_frame_read(sv[0], err);
    assert(m && strcmp(proto_type(m), "CONTINUE") == 0 && proto_int_or(m, "trial", 0) == 5);
    proto_destroy(&m);
    assert(runner_frame_read(sv[0], err) == NULL && err[0] == '\0'); /* clean EOF */
    int status;
    assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(sv[0]);

    /* A length beyond the limit is rejected, not allocated. */
    assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint32_t be = htonl(PROTO_MAX_FRAME + 1);
    assert(write(sv[1], &be, 4) == 4);
    assert(runner_frame_read(sv[0], err) == NULL && strstr(err, "too large"));
    close(sv[0]);
    close(sv[1]);
}

/* Fake objectives, selected by name. */
static void s_fake_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    (void)ctx;
    res->state = TRIAL_COMPLETE;
    res->value = 1.5;
}

/* The TASK's fields in one number: x + 10 seed + 1000 final + 10000 strlen(data). */
static void s_fake_echo(const objective_ctx_t *ctx, objective_result_t *res)
{
    res->state = TRIAL_COMPLETE;
    res->value = ctx->x[0] + 10.0 * (double)ctx->seed + (ctx->final ? 1000 : 0) +
                 (ctx->data_path ? 10000.0 * (double)strlen(ctx->data_path) : 0);
}

static void s_fake_report(const objective_ctx_t *ctx, objective_result_t *res)
{
    for (long step = 0; step < 5; step++) {
        res->fold_scores[res->n_folds++] = ctx->x[0] + (double)step;
        if (ctx->report(ctx->report_arg, step, ctx->x[0] + (double)step)) {
            res->state = TRIAL_PRUNED;
            res->value = ctx->x[0] + (double)step;
            return;
        }
    }
    res->state = TRIAL_COMPLETE;
    res->value = 42;
}

static void s_fake_segv(const objective_ctx_t *ctx, objective_result_t *res)
{
    (void)ctx;
    (void)res;
    struct rlimit no_core = {0, 0};
    assert(setrlimit(RLIMIT_CORE, &no_core) == 0);
    /* Sanitizers catch SIGSEGV and exit(1); the test wants the plain signal. */
    assert(signal(SIGSEGV, SIG_DFL) != SIG_ERR);
    assert(raise(SIGSEGV) == 0);
}

static void s_fake_exit(const objective_ctx_t *ctx, objective_result_t *res)
{
    (void)ctx;
    (void)res;
    _exit(3);
}

static void s_fake_sleep(const objective_ctx_t *ctx, objective_result_t *res)
{
    (void)ctx;
    (void)res;
    for (;;)
        pause();
}

/* The fakes a trial process of the selftest can run (runner_test_child_main). The
 * `command` one would crash: the policy must refuse it first. */
static const objective_ops_t s_fakes[] = {
    {.name = "fake", .run = s_fake_run},     {.name = "echo", .run = s_fake_echo},
    {.name = "report", .run = s_fake_report}, {.name = "segv", .run = s_fake_segv},
    {.name = "exit", .run = s_fake_exit},     {.name = "sleep", .run = s_fake_sleep},
    {.name = "command", .run = s_fake_segv},
};

static const objective_ops_t *s_fake_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_fakes); i++)
        if (strcmp(s_fakes[i].name, name) == 0)
            return &s_fakes[i];
    return NULL;
}

int runner_test_child_main(int argc, char **argv)
{
    return runner_child_main(argc, argv, s_fake_find);
}

/* Drive a trial like the worker does: answer REPORTs (PRUNE from step prune_at on)
 * until the TELL comes (the process then waits for its next trial; *status = 0) or
 * the process ends without one (reaped; *status is its wait status). */
static proto_msg_t *s_drive(runner_t *r, long prune_at, int *status)
{
    char err[HPS_ERR_LEN];
    proto_msg_t *tell = NULL;
    for (;;) {
        if (runner_fd(r) >= 0) {
            struct pollfd p = {runner_fd(r), POLLIN, 0};
            assert(poll(&p, 1, 5000) == 1);
        }
        bool eof;
        proto_msg_t *m;
        while ((m = runner_read(r, &eof, err))) {
            if (strcmp(proto_type(m), "REPORT") == 0) {
                assert(runner_reply(r, proto_int_or(m, "step", 0) >= prune_at, err) == 0);
                proto_destroy(&m);
            }
            else {
                assert(strcmp(proto_type(m), "TELL") == 0 && !tell);
                tell = m;
            }
        }
        assert(err[0] == '\0');
        if (tell && !runner_busy(r)) {
            *status = 0;
            return tell;
        }
        if (eof)
            break;
    }
    int rc;
    while ((rc = runner_reap(r, status, err)) == 0)
        usleep(1000);
    assert(rc == 1);
    return tell;
}

static proto_msg_t *s_run_fake(const char *name, const cmdpolicy_t *policy, long prune_at,
                               int *status)
{
    double x[1] = {10};
    runner_spec_t spec = {.trial = 7, .attempt = 2, .x = x, .nx = 1, .seed = 1,
                          .policy = policy, .ops = s_fake_find(name)};
    char err[HPS_ERR_LEN];
    runner_t *r = runner_start(&spec, err);
    assert(r);
    proto_msg_t *tell = s_drive(r, prune_at, status);
    runner_destroy(&r);
    assert(r == NULL);
    return tell;
}

static void s_objective_test(void)
{
    int status;
    double d;
    int n;
    proto_msg_t *t = s_run_fake("fake", NULL, 99, &status);
    assert(t && status == 0);
    assert(proto_int_or(t, "trial", 0) == 7 && proto_int_or(t, "attempt", 0) == 2);
    assert(strcmp(proto_get_str(t, "state"), "COMPLETE") == 0);
    assert(proto_get_dbl(t, "value", &d) == 0 && d == 1.5);
    /* NaN and empty optional fields are left out. */
    assert(!proto_get_str(t, "error") && proto_get_dbl(t, "cv_mean", &d) != 0);
    assert(!proto_get_dbls(t, "folds", &n));
    proto_destroy(&t);

    /* Reports are answered; PRUNE at step 2 stops the objective there. */
    t = s_run_fake("report", NULL, 2, &status);
    assert(t && strcmp(proto_get_str(t, "state"), "PRUNED") == 0);
    assert(proto_get_dbl(t, "value", &d) == 0 && d == 12);
    const double *folds = proto_get_dbls(t, "folds", &n);
    assert(folds && n == 3 && folds[2] == 12);
    proto_destroy(&t);

    /* A `command` objective is refused before it runs (the fake would crash). */
    const cmdpolicy_t python = {.pattern = "python3 *"};
    t = s_run_fake("command", &python, 99, &status);
    assert(t && strcmp(proto_get_str(t, "state"), "FAIL") == 0);
    assert(strcmp(proto_get_str(t, "error"), "command not allowed on this worker") == 0);
    proto_destroy(&t);
}

/* One process serves trial after trial; each TASK reaches the objective whole, and
 * each TELL names its own trial and carries the process's own secs. */
static void s_reuse_test(void)
{
    double x[1] = {10};
    runner_spec_t spec = {.trial = 1, .attempt = 1, .x = x, .nx = 1,
                          .ops = s_fake_find("echo")};
    char err[HPS_ERR_LEN];
    runner_t *r = runner_new(&spec, err);
    assert(r);
    pid_t pid = runner_pid(r);
    static const double want[] = {10 + 10, 10 + 20 + 1000 + 40000, 20 + 30};
    for (long trial = 1; trial <= 3; trial++) {
        spec.trial = trial;
        spec.attempt = (int)trial + 1;
        spec.seed = (uint64_t)trial;
        spec.final = trial == 2;
        spec.data_path = trial == 2 ? "/d/x" : NULL;
        x[0] = trial == 3 ? 20 : 10;
        assert(runner_run(r, &spec, err) == 0 && runner_busy(r));
        int status;
        double v, secs;
        proto_msg_t *t = s_drive(r, 99, &status);
        assert(t && proto_int_or(t, "trial", 0) == trial && !runner_busy(r));
        assert(proto_int_or(t, "attempt", 0) == trial + 1);
        assert(proto_get_dbl(t, "value", &v) == 0 && v == want[trial - 1]);
        assert(proto_get_dbl(t, "secs", &secs) == 0 && secs >= 0 && secs < 5);
        proto_destroy(&t);
    }
    assert(runner_pid(r) == pid);
    runner_destroy(&r);
}

/* Anything but a TASK on the pipe ends the process without a result. */
static void s_not_task_test(void)
{
    runner_spec_t spec = {.ops = s_fake_find("fake")};
    char err[HPS_ERR_LEN];
    runner_t *r = runner_new(&spec, err);
    assert(r);
    proto_msg_t *m = proto_new("CONTINUE");
    proto_set_int(m, "trial", 1);
    proto_set_int(m, "attempt", 1);
    assert(runner_frame_write(runner_fd(r), m, err) == 0);
    proto_destroy(&m);
    int status;
    assert(s_drive(r, 99, &status) == NULL);
    assert(WIFEXITED(status) && WEXITSTATUS(status) == 126);
    runner_destroy(&r);
}

static void s_crash_test(void)
{
    int status;
    char why[HPS_ERR_LEN];
    assert(s_run_fake("segv", NULL, 99, &status) == NULL);
    runner_crash_reason(status, why, sizeof why);
    assert(strcmp(why, "objective crashed: signal 11 (Segmentation fault)") == 0);
    assert(s_run_fake("exit", NULL, 99, &status) == NULL);
    runner_crash_reason(status, why, sizeof why);
    assert(strcmp(why, "objective exited with status 3") == 0);

    /* A cancelled child is killed with its session. */
    runner_spec_t spec = {.trial = 1, .attempt = 1, .ops = s_fake_find("sleep")};
    char err[HPS_ERR_LEN];
    runner_t *r = runner_start(&spec, err);
    assert(r && runner_reap(r, &status, err) == 0);
    runner_kill(r);
    proto_msg_t *t = s_drive(r, 0, &status);
    assert(!t && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    runner_destroy(&r);
}

/* The first argument of process pid's command line ("" when unreadable). */
static void s_cmdline_arg1(pid_t pid, char *out, size_t size)
{
    char path[64], buf[4096] = "";
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    size_t first = strlen(buf);
    snprintf(out, size, "%s", first < n ? buf + first + 1 : "");
}

/* The first line of /proc/PID/NAME (pid 0: self), "" when unreadable. */
static void s_proc_line(pid_t pid, const char *name, char *out, int size)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    else
        snprintf(path, sizeof path, "/proc/self/%s", name);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, size, f))
        out[0] = '\0';
    if (f)
        fclose(f);
}

/* Whether process pid has a descriptor open on the same file as fd. */
static bool s_holds(pid_t pid, int fd)
{
    char path[64], mine[256], theirs[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, mine, sizeof mine - 1);
    assert(n > 0);
    mine[n] = '\0';
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    assert(d);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        char link[320];
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        n = readlink(link, theirs, sizeof theirs - 1);
        if (n > 0) {
            theirs[n] = '\0';
            found |= strcmp(theirs, mine) == 0;
        }
    }
    closedir(d);
    return found;
}

/* A trial process is a fresh exec of this program (PROGRAM __trial-process FD), not a
 * forked copy: its command line says so, and a descriptor of ours that is not
 * close-on-exec did not reach it. It is named as we are (not "exe"). */
static void s_exec_test(void)
{
    int p[2];
    assert(pipe(p) == 0); /* inheritable on purpose */
    runner_spec_t spec = {.trial = 1, .attempt = 1, .ops = s_fake_find("fake")};
    char err[HPS_ERR_LEN], arg1[64];
    runner_t *r = runner_start(&spec, err);
    assert(r);
    int status;
    proto_msg_t *t = s_drive(r, 99, &status); /* the TELL: the exec is done */
    assert(t && status == 0);
    proto_destroy(&t);
    s_cmdline_arg1(runner_pid(r), arg1, sizeof arg1);
    assert(strcmp(arg1, SPAWN_ARG) == 0);
    assert(!s_holds(runner_pid(r), p[1]));
    char mine[64], theirs[64];
    s_proc_line(0, "comm", mine, sizeof mine);
    s_proc_line(runner_pid(r), "comm", theirs, sizeof theirs);
    assert(mine[0] && strcmp(mine, theirs) == 0);
    runner_destroy(&r);
    close(p[0]);
    close(p[1]);
}

void runner_test(bool verbose)
{
    if (verbose)
        printf(" * runner: ");
    s_frame_test();
    s_objective_test();
    s_reuse_test();
    s_not_task_test();
    s_crash_test();
    s_exec_test();
    if (verbose)
        printf("OK\n");
}
