/* command — any program as an objective: how a user runs a PyTorch or BERT model.
 *
 *   objective:
 *     type: command
 *     run: python3 train.py --epochs 3    # a string runs under /bin/sh -c;
 *                                         # a list [prog, arg, ...] is exec'd directly
 *     timeout: 600                        # seconds; 0 (default) = none
 *     cwd: /srv/models                    # working directory (default: the worker's)
 *     env: {CUDA_VISIBLE_DEVICES: "0"}    # extra environment
 *     metric: accuracy                    # what the score is (optional): the leaderboard
 *                                         # ranks the study with the models scored so,
 *                                         # and the final refit's score is the test score
 *     model: transformer                  # the leaderboard's model column (optional)
 *     persistent: true                    # one program per trial process serving many
 *                                         # trials (command_persist.c; restart_every,
 *                                         # start_timeout): docs/command-protocol.md
 *
 * What follows is the per-trial mode (the default).
 * In: the parameters as one JSON object on stdin ({"lr": 0.01, "opt": "adam"}) and as
 * environment variables HPS_PARAM_<NAME> (upper case, other than [A-Z0-9] -> '_'),
 * plus HPS_TRIAL, HPS_ATTEMPT, HPS_SEED, HPS_FINAL (0/1), and HPS_DATA / HPS_CACHE_DIR
 * when the trial has them. A final refit also gets HPS_ARTIFACT_DIR, an empty private
 * folder: a program that writes its fitted model there as one file (any name, e.g.
 * model.pkl) hands it back, and the worker uploads it to the registry. The score a
 * final refit prints is its test score (HPS_FINAL=1 tells the program to fit on the
 * training part and score the held-out test data), as a model objective's is. Parameters never reach a command line, so no value can be
 * interpreted by a shell.
 *
 * Out: the score is the last non-empty stdout line, a bare number. A stdout line
 * `report STEP VALUE` (integer step, number value) is an intermediate value: it goes
 * to the pruner, and when the pruner says stop, the program's process group is
 * killed and the trial is PRUNED with that value. A non-zero exit is FAIL with the
 * tail of stderr ("exit status 3: <stderr tail>"), as are a signal, a timeout (the
 * whole process group is killed) and a missing score.
 *
 * The program runs in its own process group so that a timeout or a prune also ends
 * whatever it started. I/O is one poll() loop over its stdin, stdout, stderr and a
 * pidfd (process exit), so nothing blocks on a program that reads or writes little. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/codepack.h"
#include "core/metrics.h"
#include "objectives/command.h"
#include "objectives/command_priv.h"
#include "objectives/objective.h"

extern char **environ;

#define CMD_EXIT_GRACE_MS 500 /* after exit, how long to drain pipes kept by children */

static const char *const s_keys[] = {"type", "run", "timeout", "cwd", "env", "metric",
                                     "model", "code", "code_dir", "code_sha256",
                                     "persistent", "restart_every", "start_timeout", NULL};

/* ---- options ----------------------------------------------------------------------- */

static bool s_env_name_ok(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static void s_check_run(const cfg_node_t *obj, cfg_errs_t *errs)
{
    const cfg_node_t *run = cfg_get(obj, "run");
    if (!run || run->type == CFG_NULL) {
        cfg_error(errs, obj, "command objective: 'run' is required (a shell command or a "
                             "list [program, arg, ...])");
    } else if (run->type == CFG_SCALAR) {
        if (!run->value[0])
            cfg_error(errs, run, "run: empty command");
    } else if (run->type == CFG_SEQ && run->n > 0) {
        for (int i = 0; i < run->n; i++)
            if (run->items[i]->type != CFG_SCALAR)
                cfg_error(errs, run->items[i], "run: each argument must be a string");
    } else {
        cfg_error(errs, run, "run: expected a command string or a non-empty list");
    }
}

static void s_check_env(const cfg_node_t *obj, cfg_errs_t *errs)
{
    const cfg_node_t *env = cfg_get(obj, "env");
    if (!env || env->type == CFG_NULL)
        return;
    if (env->type != CFG_MAP) {
        cfg_error(errs, env, "env: expected a map of NAME: value");
        return;
    }
    for (int i = 0; i < env->n; i++) {
        if (!s_env_name_ok(env->keys[i]))
            cfg_key_error(errs, env, i, "env: '%s' is not a valid variable name",
                          env->keys[i]);
        else if (env->items[i]->type == CFG_MAP || env->items[i]->type == CFG_SEQ)
            cfg_error(errs, env->items[i], "env: %s: expected a string", env->keys[i]);
    }
}

int command_check_options(const cfg_node_t *obj, cfg_errs_t *errs)
{
    assert(obj && errs);
    int before = errs->n;
    double timeout;
    const char *cwd;
    cfg_check_keys(obj, s_keys, errs);
    s_check_run(obj, errs);
    if (cfg_double(obj, "timeout", 0, &timeout, errs) == 0 && !(timeout >= 0))
        cfg_error(errs, cfg_get(obj, "timeout"), "timeout: must be >= 0 seconds");
    cfg_str(obj, "cwd", NULL, &cwd, errs);
    codepack_check(obj, errs);
    s_check_env(obj, errs);
    const char *metric = NULL, *model = NULL;
    if (cfg_str(obj, "metric", NULL, &metric, errs) == 0 && metric && metric_lookup(metric) < 0)
        cfg_error(errs, cfg_get(obj, "metric"), "metric: unknown metric '%s' (accuracy, f1, "
                  "roc_auc, logloss, rmse, mae, r2)", metric);
    cfg_str(obj, "model", NULL, &model, errs);
    command_persist_check(obj, errs);
    return errs->n > before ? -1 : 0;
}

static int s_check(const study_config_t *study, cfg_errs_t *errs)
{
    assert(study && study->objective);
    int rc = command_check_options(study->objective, errs);
    /* Cleaning is done by the model objectives' feature pipeline; a program reads
     * $HPS_DATA as it is, so accepting these would promise what never happens. */
    if (objective_refuse_cleaning(study, "a command objective reads $HPS_DATA as it is, "
                                         "so clean the data in the program", errs) != 0)
        rc = -1;
    return rc;
}

/* The declared `metric:`, which an explicit direction must agree with; NULL = none. */
static const char *s_metric_of(const study_config_t *study)
{
    const char *metric = NULL;
    cfg_str(study->objective, "metric", NULL, &metric, NULL);
    return metric;
}

/* ---- building the spec ------------------------------------------------------------- */

/* Set NAME=VALUE in the environment being built, replacing an earlier NAME. Takes
 * ownership of entry. */
static void s_env_put(command_spec_t *spec, char *entry)
{
    size_t name_len = strcspn(entry, "=");
    for (int i = 0; i < spec->n_env; i++) {
        if (strncmp(spec->envp[i], entry, name_len) == 0 && spec->envp[i][name_len] == '=') {
            free(spec->envp[i]);
            spec->envp[i] = entry;
            return;
        }
    }
    spec->envp = xrealloc(spec->envp, (size_t)(spec->n_env + 2) * sizeof *spec->envp);
    spec->envp[spec->n_env++] = entry;
    spec->envp[spec->n_env] = NULL;
}

/* HPS_PARAM_<NAME>=<value as the user wrote it> for every parameter. */
static void s_env_params(command_spec_t *spec, const space_t *space, const double *x)
{
    for (int i = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        if (isnan(x[i]))
            continue; /* inactive: no variable */
        strbuf_t sb;
        sb_init(&sb);
        sb_puts(&sb, "HPS_PARAM_");
        for (const char *c = p->name; *c; c++)
            sb_putc(&sb, isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_');
        sb_putc(&sb, '=');
        if (p->kind == PARAM_CAT) /* the choice text: a JSON string would bring quotes */
            sb_puts(&sb, p->choices[(int)x[i]]);
        else
            space_value_json(&sb, p, x[i]);
        s_env_put(spec, sb_take(&sb));
    }
}

/* The environment: ours, then the config's `env`, then the HPS_* variables (a
 * persistent program gets the per-trial ones in each trial's JSON line instead). */
static void s_build_env(command_spec_t *spec, const objective_ctx_t *ctx, const cfg_node_t *obj,
                        bool persistent)
{
    for (char **e = environ; e && *e; e++)
        s_env_put(spec, xstrdup(*e));
    const cfg_node_t *env = cfg_get(obj, "env");
    for (int i = 0; env && env->type == CFG_MAP && i < env->n; i++) {
        const cfg_node_t *v = env->items[i];
        s_env_put(spec, xasprintf("%s=%s", env->keys[i], v->type == CFG_SCALAR ? v->value : ""));
    }
    if (ctx->data_path)
        s_env_put(spec, xasprintf("HPS_DATA=%s", ctx->data_path));
    if (ctx->cache_dir)
        s_env_put(spec, xasprintf("HPS_CACHE_DIR=%s", ctx->cache_dir));
    if (ctx->code_dir)
        s_env_put(spec, xasprintf("HPS_CODE_DIR=%s", ctx->code_dir));
    if (persistent) {
        s_env_put(spec, xstrdup("HPS_PERSISTENT=1"));
        s_env_put(spec, xasprintf("HPS_STUDY=%s", ctx->study->name ? ctx->study->name : ""));
        return;
    }
    s_env_params(spec, ctx->study->space, ctx->x);
    s_env_put(spec, xasprintf("HPS_TRIAL=%ld", ctx->trial));
    s_env_put(spec, xasprintf("HPS_TRIAL_NUMBER=%ld", ctx->number));
    s_env_put(spec, xasprintf("HPS_ATTEMPT=%d", ctx->attempt));
    s_env_put(spec, xasprintf("HPS_SEED=%llu", (unsigned long long)ctx->seed));
    s_env_put(spec, xasprintf("HPS_FINAL=%d", ctx->final ? 1 : 0));
    if (ctx->artifact_dir)
        s_env_put(spec, xasprintf("HPS_ARTIFACT_DIR=%s", ctx->artifact_dir));
}

char **command_argv(const cfg_node_t *objective)
{
    const cfg_node_t *run = objective ? cfg_get(objective, "run") : NULL;
    if (!run || !((run->type == CFG_SCALAR && run->value[0]) || (run->type == CFG_SEQ && run->n)))
        return NULL;
    for (int i = 0; run->type == CFG_SEQ && i < run->n; i++)
        if (run->items[i]->type != CFG_SCALAR)
            return NULL;
    int argc = run->type == CFG_SEQ ? run->n : 3;
    char **argv = xcalloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; run->type == CFG_SEQ && i < run->n; i++)
        argv[i] = xstrdup(run->items[i]->value);
    if (run->type == CFG_SCALAR) {
        argv[0] = xstrdup("/bin/sh");
        argv[1] = xstrdup("-c");
        argv[2] = xstrdup(run->value);
    }
    return argv;
}

void command_argv_free(char ***argv_p)
{
    for (char **a = *argv_p; a && *a; a++)
        free(*a);
    free(*argv_p);
    *argv_p = NULL;
}

void command_spec_free(command_spec_t *spec)
{
    command_argv_free(&spec->argv);
    for (int i = 0; i < spec->n_env; i++)
        free(spec->envp[i]);
    free(spec->envp);
    sb_free(&spec->input);
}

int command_spec_build(command_spec_t *spec, const objective_ctx_t *ctx, bool persistent,
                       char *err)
{
    const cfg_node_t *obj = ctx->study->objective;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    s_check(ctx->study, &errs);
    if (errs.n) {
        set_err(err, "%s", errs.msgs[0]);
        cfg_errs_free(&errs);
        return -1;
    }
    cfg_errs_free(&errs);
    memset(spec, 0, sizeof *spec);
    cfg_double(obj, "timeout", 0, &spec->timeout, NULL);
    cfg_str(obj, "cwd", NULL, &spec->cwd, NULL);
    if (ctx->code_dir)
        spec->cwd = ctx->code_dir; /* the worker's unpacked copy of `code:` */
    spec->argv = command_argv(obj);
    assert(spec->argv); /* s_check_run passed */
    s_build_env(spec, ctx, obj, persistent);
    sb_init(&spec->input);
    if (!persistent) {
        space_point_json(&spec->input, ctx->study->space, ctx->x);
        sb_putc(&spec->input, '\n');
    }
    return 0;
}

/* ---- spawning ---------------------------------------------------------------------- */

/* In the child, between fork and exec: async-signal-safe calls only. Reports a failed
 * chdir (stage 0) or exec (stage 1) through the status pipe. Never returns. */
_Noreturn static void s_child(const command_spec_t *spec, const int fds[3][2], int status_fd,
                              pid_t parent)
{
    int why[2];
    /* The program dies with the trial process (which dies with its worker): a kill -9
     * of the worker must not leave a training run behind. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL); /* the worker may ignore it; the program expects default */
    setpgid(0, 0);
    if (dup2(fds[0][0], 0) < 0 || dup2(fds[1][1], 1) < 0 || dup2(fds[2][1], 2) < 0)
        _exit(127);
    for (int fd = 0; fd < 3; fd++) /* dup2 onto itself would keep O_CLOEXEC */
        if (fcntl(fd, F_SETFD, 0) != 0)
            _exit(127);
    why[0] = 0;
    if (spec->cwd && chdir(spec->cwd) != 0)
        goto fail;
    why[0] = 1;
    execvpe(spec->argv[0], spec->argv, spec->envp);
fail:
    why[1] = errno;
    if (write(status_fd, why, sizeof why) < 0) {
        /* nothing more to tell: the exit status says it failed */
    }
    _exit(127);
}

void command_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* After fork: learn whether exec worked (the CLOEXEC status pipe closes empty). */
static int s_exec_status(const command_spec_t *spec, int status_fd, char *err)
{
    int why[2];
    ssize_t n;
    do
        n = read(status_fd, why, sizeof why);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof why) {
        if (why[0] == 0)
            return set_err(err, "cannot chdir to '%s': %s", spec->cwd, strerror(why[1]));
        return set_err(err, "cannot run '%s': %s", spec->argv[0], strerror(why[1]));
    }
    if (n < 0)
        return set_err(err, "reading exec status: %s", strerror(errno));
    return 0;
}

/* Start the program with pipes on fds 0-2. -1 with err (nothing left running). */
int command_spawn(const command_spec_t *spec, command_proc_t *p, char *err)
{
    int fds[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}}; /* in, out, err, status */
    for (int i = 0; i < 4; i++)
        if (pipe2(fds[i], O_CLOEXEC) != 0) {
            set_err(err, "pipe: %s", strerror(errno));
            for (int j = 0; j < i; j++)
                close(fds[j][0]), close(fds[j][1]);
            return -1;
        }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        s_child(spec, (const int(*)[2])fds, fds[3][1], parent);
    int fork_errno = errno;
    /* both sides call setpgid so a kill(-pid) can never miss a just-forked child */
    if (pid > 0 && setpgid(pid, pid) != 0 && errno != EACCES && errno != ESRCH)
        assert(!"setpgid on our own child failed");
    close(fds[0][0]), close(fds[1][1]), close(fds[2][1]), close(fds[3][1]);
    p->in = fds[0][1], p->out = fds[1][0], p->err = fds[2][0];
    if (pid < 0) {
        close(fds[3][0]);
        return set_err(err, "fork: %s", strerror(fork_errno));
    }
    p->pid = pid;
    int rc = s_exec_status(spec, fds[3][0], err);
    close(fds[3][0]);
    for (int i = 0; i < 3; i++) {
        int *fd = i == 0 ? &p->in : i == 1 ? &p->out : &p->err;
        if (fcntl(*fd, F_SETFL, O_NONBLOCK) != 0 && rc == 0)
            rc = set_err(err, "fcntl: %s", strerror(errno));
    }
    p->pidfd = pidfd_open(pid, 0); /* -1 on old kernels: exit is then polled for */
    return rc;
}

/* ---- running ----------------------------------------------------------------------- */

/* A complete stdout line: an intermediate report, or a score candidate. */
char *command_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void s_line(command_proc_t *p, const objective_ctx_t *ctx, char *s)
{
    s = command_trim(s);
    if (!*s)
        return;
    char *end;
    if (strncmp(s, "report", 6) == 0 && isspace((unsigned char)s[6])) {
        errno = 0;
        long step = strtol(s + 7, &end, 10);
        char *vend;
        double value = strtod(end, &vend);
        if (errno == 0 && end != s + 7 && vend != end && *vend == '\0' &&
            !num_text_is_hex(end)) {
            if (ctx->report && ctx->report(ctx->report_arg, step, value) == 1) {
                p->pruned = true;
                p->pruned_value = value;
            }
            return;
        }
    }
    free(p->last);
    p->last = xstrdup(s);
}

/* Split new stdout bytes into lines; at EOF (n == 0) the unterminated rest is one. */
static void s_stdout(command_proc_t *p, const objective_ctx_t *ctx, const char *buf, size_t n)
{
    for (size_t i = 0; i < n && !p->pruned; i++) {
        if (buf[i] != '\n') {
            if (p->line.len < COMMAND_LINE_MAX)
                sb_putc(&p->line, buf[i]);
            else
                p->line_long = true;
            continue;
        }
        s_line(p, ctx, p->line.buf);
        p->line.len = 0, p->line.buf[0] = '\0', p->line_long = false;
    }
    if (n == 0 && p->line.len > 0 && !p->pruned)
        s_line(p, ctx, p->line.buf);
}

void command_keep_tail(command_proc_t *p, const char *buf, size_t n)
{
    sb_putn(&p->tail, buf, n);
    if (p->tail.len > 16 * COMMAND_TAIL) { /* keep memory flat on chatty programs */
        memmove(p->tail.buf, p->tail.buf + p->tail.len - COMMAND_TAIL, COMMAND_TAIL + 1);
        p->tail.len = COMMAND_TAIL;
    }
}

ssize_t command_read(int *fd, char *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(*fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) { /* EOF, or an error a pipe should not have: stop reading */
            command_close_fd(fd);
            return -1;
        }
        return n;
    }
}

/* Read what fd has; false when it reached EOF (or failed) and was closed. */
static bool s_drain(command_proc_t *p, const objective_ctx_t *ctx, int *fd)
{
    char buf[65536];
    for (;;) {
        ssize_t n = command_read(fd, buf, sizeof buf);
        if (n == 0)
            return true;
        if (n < 0) {
            if (fd == &p->out)
                s_stdout(p, ctx, buf, 0);
            return false;
        }
        if (fd == &p->out)
            s_stdout(p, ctx, buf, (size_t)n);
        else
            command_keep_tail(p, buf, (size_t)n);
        if (p->pruned)
            return true;
    }
}

/* Write more of the input; the program may exit or close stdin without reading. */
static void s_feed(command_proc_t *p, const command_spec_t *spec)
{
    while (p->in >= 0 && p->in_off < spec->input.len) {
        ssize_t n = write(p->in, spec->input.buf + p->in_off, spec->input.len - p->in_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) { /* EPIPE: it does not want its parameters on stdin */
            command_close_fd(&p->in);
            return;
        }
        p->in_off += (size_t)n;
    }
    command_close_fd(&p->in); /* all written: EOF tells the program the JSON is complete */
}

/* Whether the program has exited; it stays a zombie (WNOWAIT), keeping its pid and
 * process group id from being reused before we kill the group. */
bool command_has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Milliseconds poll() may sleep now; -1 = no limit. */
static int s_wait_ms(const command_proc_t *p, int64_t deadline, int64_t exited_at)
{
    int64_t now = now_ms(), wait = -1;
    if (deadline > 0)
        wait = deadline - now;
    if (exited_at > 0 && (wait < 0 || exited_at + CMD_EXIT_GRACE_MS - now < wait))
        wait = exited_at + CMD_EXIT_GRACE_MS - now;
    if (!p->exited && p->pidfd < 0 && (wait < 0 || wait > 20))
        wait = 20; /* no pidfd: look for the exit every 20 ms */
    return wait < 0 ? -1 : (int)(wait > 0 ? wait : 0);
}

/* The poll loop: until the program exited and its output is drained, it timed out,
 * or the pruner stopped it. -1 with err when poll itself fails. */
static int s_pump(command_proc_t *p, const command_spec_t *spec, const objective_ctx_t *ctx,
                  char *err)
{
    int64_t deadline = spec->timeout > 0 ? now_ms() + (int64_t)(spec->timeout * 1000) : 0;
    int64_t exited_at = 0;
    s_feed(p, spec);
    while (!p->pruned && !(p->exited && p->out < 0 && p->err < 0)) {
        int64_t now = now_ms();
        if (deadline > 0 && now >= deadline) {
            p->timed_out = true;
            break;
        }
        if (exited_at > 0 && now >= exited_at + CMD_EXIT_GRACE_MS)
            break; /* something it started still holds the pipes */
        struct pollfd pf[4] = {{.fd = p->in, .events = POLLOUT},
                               {.fd = p->out, .events = POLLIN},
                               {.fd = p->err, .events = POLLIN},
                               {.fd = p->exited ? -1 : p->pidfd, .events = POLLIN}};
        int rc = poll(pf, 4, s_wait_ms(p, deadline, exited_at));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return set_err(err, "poll: %s", strerror(errno));
        if (pf[0].revents)
            s_feed(p, spec);
        if (pf[1].revents)
            s_drain(p, ctx, &p->out);
        if (pf[2].revents && !p->pruned)
            s_drain(p, ctx, &p->err);
        if (!p->exited && command_has_exited(p->pid)) {
            p->exited = true;
            exited_at = now_ms();
        }
    }
    return 0;
}

/* Kill the whole group (a no-op when all exited) and reap the program. */
int command_reap(command_proc_t *p)
{
    if (kill(-p->pid, SIGKILL) != 0 && errno != ESRCH)
        assert(!"kill of our own process group failed");
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* ---- results ----------------------------------------------------------------------- */

/* The stderr tail on one line-ish string: trailing whitespace off, at most COMMAND_TAIL. */
const char *command_tail(command_proc_t *p)
{
    while (p->tail.len > 0 && isspace((unsigned char)p->tail.buf[p->tail.len - 1]))
        p->tail.buf[--p->tail.len] = '\0';
    return p->tail.len > COMMAND_TAIL ? p->tail.buf + p->tail.len - COMMAND_TAIL : p->tail.buf;
}

int command_status_err(char *err, const char *what, int status, const char *tail)
{
    const char *sep = *tail ? ": " : "";
    if (WIFSIGNALED(status))
        return set_err(err, "%skilled by signal %d (%s)%s%s", what, WTERMSIG(status),
                       strsignal(WTERMSIG(status)), sep, tail);
    return set_err(err, "%sexit status %d%s%s", what, WEXITSTATUS(status), sep, tail);
}

static void s_result(command_proc_t *p, const command_spec_t *spec, int status,
                     objective_result_t *res)
{
    const char *tail = command_tail(p), *sep = *tail ? ": " : "";
    double v;
    if (p->pruned) {
        res->state = TRIAL_PRUNED;
        res->value = p->pruned_value;
    } else if (p->timed_out) {
        set_err(res->error, "timeout after %g s%s%s", spec->timeout, sep, tail);
    } else if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
        command_status_err(res->error, "", status, tail);
    } else if (!p->last) {
        set_err(res->error, "command printed no score");
    } else if (parse_double(p->last, &v) != 0) {
        set_err(res->error, "command printed no score (last line: '%.100s')", p->last);
    } else if (!isfinite(v)) {
        set_err(res->error, "command printed a non-finite score '%s'", p->last);
    } else {
        res->state = TRIAL_COMPLETE;
        res->value = v;
    }
}

void command_sigs_enter(command_sigs_t *s)
{
    /* A program that exits without reading stdin must cost an EPIPE, not our life; and
     * SIGCHLD must be default, or an ignoring or reaping handler would take the exit
     * status from under us. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&ign.sa_mask);
    sigemptyset(&dfl.sa_mask);
    int rc = sigaction(SIGPIPE, &ign, &s->old_pipe) | sigaction(SIGCHLD, &dfl, &s->old_chld);
    assert(rc == 0);
    (void)rc;
}

void command_sigs_leave(const command_sigs_t *s)
{
    int rc = sigaction(SIGPIPE, &s->old_pipe, NULL) | sigaction(SIGCHLD, &s->old_chld, NULL);
    assert(rc == 0);
    (void)rc;
}

void command_proc_init(command_proc_t *p)
{
    memset(p, 0, sizeof *p);
    p->pid = -1, p->in = -1, p->out = -1, p->err = -1, p->pidfd = -1;
    sb_init(&p->line);
    sb_init(&p->tail);
}

void command_proc_free(command_proc_t *p)
{
    command_close_fd(&p->in), command_close_fd(&p->out), command_close_fd(&p->err);
    command_close_fd(&p->pidfd);
    free(p->last);
    p->last = NULL;
    sb_free(&p->line);
    sb_free(&p->tail);
}

static void s_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    assert(ctx && ctx->study && res);
    if (command_persistent(ctx->study->objective)) {
        command_persist_run(ctx, res);
        return;
    }
    objective_result_init(res);
    command_spec_t spec;
    if (command_spec_build(&spec, ctx, false, res->error) != 0)
        return;
    command_sigs_t sigs;
    command_sigs_enter(&sigs);
    command_proc_t p;
    command_proc_init(&p);
    char err[HPS_ERR_LEN];
    int rc = command_spawn(&spec, &p, err);
    if (rc == 0)
        rc = s_pump(&p, &spec, ctx, err);
    int status = p.pid > 0 ? command_reap(&p) : -1;
    if (rc != 0)
        set_err(res->error, "%s", err);
    else if (status == -1)
        set_err(res->error, "waitpid: %s", strerror(errno));
    else
        s_result(&p, &spec, status, res);
    if (ctx->final && res->state == TRIAL_COMPLETE)
        res->test_score = res->value;
    command_proc_free(&p);
    command_sigs_leave(&sigs);
    command_spec_free(&spec);
}

const objective_ops_t command_objective = {
    .name = "command",
    .check = s_check,
    .default_direction = NULL, /* a study must say: only its author knows the score */
    .run = s_run,
    .metric_of = s_metric_of,
};
