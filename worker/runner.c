/* runner — trials in child processes (see runner.h).
 *
 * Lifetime of a child: fork -> setsid -> exec (spawn.c) -> SETUP frame -> (TASK frame
 * -> objective -> TELL frame)... -> EOF from the parent -> exit 0. The parent learns the
 * end from EOF on its socket end, then peeks with waitid(WNOWAIT) so it can kill leftover
 * descendants while the zombie leader still reserves its pid as their session and group
 * id, and only then reaps. A child that sent no TELL is a crash, described from its wait status.
 *
 * Why a session and not just a process group: the `command` objective puts its
 * program in a process group of its own (so it can kill it on timeout or prune), and a
 * kill of our group would miss it. setpgid() cannot leave a session, so every
 * descendant that does not call setsid() itself stays in the trial's session, and
 * killing "the trial" means SIGKILL to each process whose session id is the child's
 * pid (found in /proc; Linux, like the rest of the worker). */
#include "worker/runner.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "worker/spawn.h"

struct runner_s {
    pid_t pid;
    int fd;             /* parent's end, non-blocking; -1 once closed */
    bool reaped;
    bool busy;          /* a trial was sent and its TELL has not come back */
    int64_t started_ms; /* monotonic; of the current trial */
    long trial;
    int attempt;
    int served;         /* trials handed to this process */
    char *buf;          /* bytes received and not yet parsed into messages */
    size_t len, cap;
};

/* ---- framing ---------------------------------------------------------------------- */

/* Write all of buf; a peer that went away is an error, never SIGPIPE. */
static int s_write_all(int fd, const char *buf, size_t len, char *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The parent's end is non-blocking: wait until the child reads. */
            struct pollfd p = {fd, POLLOUT, 0};
            if (poll(&p, 1, -1) < 0 && errno != EINTR)
                return set_err(err, "poll: %s", strerror(errno));
            continue;
        }
        if (n < 0)
            return set_err(err, "send to trial process: %s", strerror(errno));
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read exactly len bytes. 1 ok, 0 on EOF before the first byte, -1 with err. */
static int s_read_all(int fd, char *buf, size_t len, char *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return set_err(err, "read from peer process: %s", strerror(errno));
        if (n == 0) {
            if (got == 0)
                return 0;
            return set_err(err, "peer process closed mid-message");
        }
        got += (size_t)n;
    }
    return 1;
}

int runner_frame_write(int fd, const proto_msg_t *m, char *err)
{
    char *body;
    size_t len;
    proto_encode(m, &body, &len);
    assert(len <= PROTO_MAX_FRAME);
    uint32_t be = htonl((uint32_t)len);
    char *buf = xmalloc(len + 4);
    memcpy(buf, &be, 4);
    memcpy(buf + 4, body, len);
    free(body);
    int rc = s_write_all(fd, buf, len + 4, err);
    free(buf);
    return rc;
}

proto_msg_t *runner_frame_read(int fd, char *err)
{
    err[0] = '\0';
    uint32_t be;
    int rc = s_read_all(fd, (char *)&be, 4, err);
    if (rc <= 0)
        return NULL;
    uint32_t len = ntohl(be);
    if (len > PROTO_MAX_FRAME) {
        set_err(err, "frame of %u bytes is too large", len);
        return NULL;
    }
    char *body = xmalloc(len);
    proto_msg_t *m = NULL;
    rc = s_read_all(fd, body, len, err);
    if (rc == 0)
        set_err(err, "peer process closed mid-message");
    else if (rc > 0)
        m = proto_decode(body, len, err);
    free(body);
    return m;
}

/* ---- results ---------------------------------------------------------------------- */

static void s_opt_dbl(proto_msg_t *m, const char *key, double v)
{
    if (!isnan(v))
        proto_set_dbl(m, key, v);
}

static void s_opt_str(proto_msg_t *m, const char *key, const char *v)
{
    if (v)
        proto_set_str(m, key, v);
}

proto_msg_t *runner_tell_new(long trial, int attempt, const objective_result_t *res,
                             double secs)
{
    proto_msg_t *m = proto_new("TELL");
    proto_set_int(m, "trial", trial);
    proto_set_int(m, "attempt", attempt);
    proto_set_str(m, "state", trial_state_name(res->state));
    proto_set_dbl(m, "value", res->value);
    proto_set_dbl(m, "secs", secs);
    int nf = res->n_folds < OBJ_MAX_FOLDS ? res->n_folds : OBJ_MAX_FOLDS;
    if (nf > 0)
        proto_set_dbls(m, "folds", res->fold_scores, nf);
    if (res->error[0])
        proto_set_str(m, "error", res->error);
    s_opt_dbl(m, "cv_mean", res->cv_mean);
    s_opt_dbl(m, "cv_std", res->cv_std);
    s_opt_dbl(m, "val", res->val_score);
    s_opt_dbl(m, "test", res->test_score);
    return m;
}

void runner_crash_reason(int status, char *out, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(out, size, "objective crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(out, size, "objective exited with status %d", WEXITSTATUS(status));
    else
        snprintf(out, size, "objective ended with wait status %d", status);
}

/* ---- the child -------------------------------------------------------------------- */

typedef struct {
    int fd;
    long trial;
    int attempt;
} child_t;

/* The objective's report callback: REPORT up, then block for the verdict. A broken
 * channel means the worker is gone, so the trial stops (as if pruned). */
static int s_child_report(void *arg, long step, double value)
{
    child_t *c = arg;
    char err[HPS_ERR_LEN];
    proto_msg_t *m = proto_new("REPORT");
    proto_set_int(m, "trial", c->trial);
    proto_set_int(m, "attempt", c->attempt);
    proto_set_int(m, "step", step);
    proto_set_dbl(m, "value", value);
    int rc = runner_frame_write(c->fd, m, err);
    proto_destroy(&m);
    if (rc != 0)
        return 1;
    proto_msg_t *r = runner_frame_read(c->fd, err);
    if (!r)
        return 1;
    int prune = strcmp(proto_type(r), "PRUNE") == 0;
    proto_destroy(&r);
    return prune;
}

/* The studies of a trial process, each parsed and validated once: the process runs
 * trial after trial, mostly of one study. The CHILD_STUDIES most recently used configs
 * are kept (compared by their JSON), so memory does not grow with the number of
 * studies a worker serves; a config that does not parse is not kept. */
#define CHILD_STUDIES 2

typedef struct {
    char *json;            /* the config the study was parsed from; owned */
    study_config_t *study; /* owned */
    uint64_t used;         /* LRU clock */
} study_slot_t;

typedef struct {
    study_slot_t slot[CHILD_STUDIES];
    uint64_t clock;
} study_cache_t;

/* A trial process checks only the objective it runs: no sampler or pruner registry. */
static const study_checks_t s_checks = {objective_check_study, NULL, NULL};

static void s_slot_free(study_slot_t *slot)
{
    free(slot->json);
    study_config_destroy(&slot->study);
    memset(slot, 0, sizeof *slot);
}

static study_config_t *s_study_for(study_cache_t *cache, const char *json,
                                   objective_result_t *res)
{
    study_slot_t *lru = &cache->slot[0];
    for (int i = 0; i < CHILD_STUDIES; i++) {
        study_slot_t *slot = &cache->slot[i];
        if (slot->json && strcmp(slot->json, json) == 0) {
            slot->used = ++cache->clock;
            return slot->study;
        }
        if (slot->used < lru->used)
            lru = slot; /* an empty slot has used 0: taken first */
    }
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *study = study_config_from_json(json, &s_checks, &errs);
    if (study) {
        s_slot_free(lru);
        *lru = (study_slot_t){xstrdup(json), study, ++cache->clock};
    }
    else
        snprintf(res->error, sizeof res->error, "bad study config: %s",
                 errs.n ? errs.msgs[0] : "unknown error");
    cfg_errs_free(&errs);
    return study;
}

/* Pick the objective of a trial; NULL with res->error when it cannot run. */
static const objective_ops_t *s_child_setup(const runner_spec_t *spec, study_cache_t *cache,
                                            study_config_t **study, objective_result_t *res)
{
    *study = NULL;
    if (spec->config_json && !(*study = s_study_for(cache, spec->config_json, res)))
        return NULL;
    const objective_ops_t *ops = spec->ops;
    if (!ops) {
        assert(*study);
        const cfg_node_t *type = cfg_get((*study)->objective, "type");
        const char *name = type && type->type == CFG_SCALAR ? type->value : "";
        ops = objective_find(name);
        if (!ops) {
            snprintf(res->error, sizeof res->error, "unknown objective '%s' on this worker",
                     name);
            return NULL;
        }
    }
    if (*study && (*study)->space && (*study)->space->n != spec->nx) {
        snprintf(res->error, sizeof res->error, "trial has %d parameters, the space %d",
                 spec->nx, (*study)->space->n);
        return NULL;
    }
    char why[HPS_ERR_LEN];
    if (strcmp(ops->name, "command") == 0 &&
        !cmdpolicy_allows(spec->policy, *study ? (*study)->objective : NULL, why)) {
        snprintf(res->error, sizeof res->error, "%s", why);
        return NULL;
    }
    return ops;
}

/* Run one trial and send its TELL; -1 when the worker is gone. */
static int s_child_trial(int fd, const runner_spec_t *spec, study_cache_t *cache)
{
    double t0 = now_secs();
    objective_result_t res;
    objective_result_init(&res);
    for (int i = 0; i < spec->n_env; i++) { /* the objective and its programs see them */
        const char *eq = strchr(spec->env[i], '=');
        char *name = eq ? xstrndup(spec->env[i], (size_t)(eq - spec->env[i])) : NULL;
        if (name && setenv(name, eq + 1, 1) != 0)
            log_warn("trial process: cannot set %s: %s", name, strerror(errno));
        free(name);
    }
    study_config_t *study;
    const objective_ops_t *ops = s_child_setup(spec, cache, &study, &res);
    if (ops) {
        child_t c = {fd, spec->trial, spec->attempt};
        objective_ctx_t ctx = {
            .study = study, .x = spec->x, .trial = spec->trial, .number = spec->number,
            .attempt = spec->attempt,
            .seed = spec->seed, .data_path = spec->data_path, .cache_dir = spec->cache_dir,
            .code_dir = spec->code_dir,
            .final = spec->final, .artifact_dir = spec->artifact_dir,
            .report = s_child_report, .report_arg = &c};
        ops->run(&ctx, &res);
    }
    if (res.state != TRIAL_COMPLETE && res.state != TRIAL_PRUNED && res.state != TRIAL_FAIL) {
        snprintf(res.error, sizeof res.error, "objective returned state %s",
                 trial_state_name(res.state));
        res.state = TRIAL_FAIL;
    }
    char err[HPS_ERR_LEN];
    proto_msg_t *tell = runner_tell_new(spec->trial, spec->attempt, &res, now_secs() - t0);
    int rc = runner_frame_write(fd, tell, err);
    proto_destroy(&tell);
    return rc;
}

/* The trial of a TASK: base (what holds for every trial) with the task's fields, which
 * borrow from m. -1 when m is not a TASK. */
static int s_spec_of(const proto_msg_t *m, const runner_spec_t *base, runner_spec_t *spec)
{
    if (strcmp(proto_type(m), "TASK") != 0)
        return -1;
    *spec = *base;
    spec->trial = (long)proto_int_or(m, "trial", 0);
    spec->number = (long)proto_int_or(m, "number", 0);
    spec->attempt = (int)proto_int_or(m, "attempt", 0);
    spec->x = proto_get_dbls(m, "x", &spec->nx);
    spec->seed = (uint64_t)proto_int_or(m, "seed", 0);
    spec->final = proto_int_or(m, "final", 0) != 0;
    spec->config_json = proto_get_str(m, "config");
    spec->data_path = proto_get_str(m, "data");
    spec->artifact_dir = proto_get_str(m, "artifact_dir");
    spec->env = proto_get_strs(m, "env", &spec->n_env);
    spec->code_dir = proto_get_str(m, "code_dir");
    return 0;
}

/* What every trial of the process shares, from the SETUP frame m (kept by the caller
 * for the process's life: base and policy borrow from it). -1 with err when an
 * objective it names is not in the table. */
static int s_base_of(const proto_msg_t *m, runner_find_fn find, runner_spec_t *base,
                     cmdpolicy_t *policy, char *err)
{
    memset(base, 0, sizeof *base);
    log_set_level((log_level_t)proto_int_or(m, "log_level", LL_INFO));
    log_set_component(proto_get_str(m, "log_component"));
    base->cache_dir = proto_get_str(m, "cache_dir");
    if (proto_int_or(m, "policy", 0)) {
        *policy = (cmdpolicy_t){.pattern = proto_get_str(m, "allow_command"),
                                .env = proto_get_str(m, "allow_env"),
                                .cwd = proto_get_str(m, "allow_cwd"),
                                .none = proto_int_or(m, "no_command", 0) != 0};
        base->policy = policy;
    }
    const char *name = proto_get_str(m, "objective");
    if (name && !(base->ops = (find ? find : objective_find)(name)))
        return set_err(err, "no objective '%s' in this program", name);
    return 0;
}

/* The process's own signal state: the default actions (the exec kept what the worker
 * ignored), and none blocked (spawn.c blocks all across the fork). */
static void s_child_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP};
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        if (signal(sigs[i], SIG_DFL) == SIG_ERR)
            log_warn("trial process: cannot reset signal %d: %s", sigs[i], strerror(errno));
    sigset_t none;
    if (sigemptyset(&none) != 0 || sigprocmask(SIG_SETMASK, &none, NULL) != 0)
        log_warn("trial process: cannot unblock signals: %s", strerror(errno));
}

/* One TASK after another until the worker closes its end. 0, or 126 when it sent
 * something else or went away mid-trial. */
static int s_child_loop(int fd, const runner_spec_t *base)
{
    study_cache_t cache = {0};
    int rc = 0;
    char err[HPS_ERR_LEN];
    proto_msg_t *m;
    while (rc == 0 && (m = runner_frame_read(fd, err))) {
        runner_spec_t spec;
        rc = s_spec_of(m, base, &spec);
        if (rc == 0)
            rc = s_child_trial(fd, &spec, &cache);
        else
            log_error("trial process: %s where a TASK was expected", proto_type(m));
        proto_destroy(&m);
    }
    for (int i = 0; i < CHILD_STUDIES; i++)
        s_slot_free(&cache.slot[i]);
    return rc == 0 ? 0 : 126;
}

int runner_child_main(int argc, char **argv, runner_find_fn find)
{
    char err[HPS_ERR_LEN];
    /* Named as the program, not "exe" (the name of /proc/self/exe) in ps and top. */
    if (prctl(PR_SET_NAME, program_invocation_short_name) != 0)
        log_debug("trial process: PR_SET_NAME: %s", strerror(errno));
    s_child_signals();
    int fd = spawn_child_fd(argc, argv, err);
    if (fd < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    proto_msg_t *setup = runner_frame_read(fd, err);
    if (!setup || strcmp(proto_type(setup), "SETUP") != 0) {
        fprintf(stderr, "%s: no SETUP from the worker%s%s\n", SPAWN_ARG, err[0] ? ": " : "",
                err);
        proto_destroy(&setup);
        return 2;
    }
    runner_spec_t base;
    cmdpolicy_t policy;
    if (s_base_of(setup, find, &base, &policy, err) != 0) {
        log_error("trial process: %s", err);
        proto_destroy(&setup);
        return 2;
    }
    int rc = s_child_loop(fd, &base);
    proto_destroy(&setup);
    /* The worker closed its end: it is done with this process or gone, and then the
     * SIGKILL of PR_SET_PDEATHSIG is on its way. Leave at once, without the libraries'
     * exit handlers or a sanitizer's leak check, which that kill would cut short (LSan
     * then logs "Unable to get registers from thread"). */
    if (fflush(NULL) != 0)
        log_debug("trial process: fflush: %s", strerror(errno));
    _exit(rc);
}

/* The SETUP frame of a new process: what base holds for all its trials, and the log
 * level and component the process logs under. */
static proto_msg_t *s_setup_new(const runner_spec_t *base)
{
    proto_msg_t *m = proto_new("SETUP");
    proto_set_int(m, "log_level", log_level());
    proto_set_str(m, "log_component", log_component());
    s_opt_str(m, "cache_dir", base->cache_dir);
    s_opt_str(m, "objective", base->ops ? base->ops->name : NULL);
    const cmdpolicy_t *p = base->policy;
    if (p) {
        proto_set_int(m, "policy", 1);
        s_opt_str(m, "allow_command", p->pattern);
        s_opt_str(m, "allow_env", p->env);
        s_opt_str(m, "allow_cwd", p->cwd);
        proto_set_int(m, "no_command", p->none);
    }
    return m;
}

/* ---- the parent ------------------------------------------------------------------- */

runner_t *runner_new(const runner_spec_t *base, char *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        set_err(err, "socketpair: %s", strerror(errno));
        return NULL;
    }
    int fl = fcntl(sv[0], F_GETFL);
    if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) != 0) {
        set_err(err, "fcntl: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    pid_t pid = spawn_trial_process(sv[1], err);
    if (close(sv[1]) != 0)
        log_debug("close: %s", strerror(errno));
    if (pid < 0) {
        close(sv[0]);
        return NULL;
    }
    runner_t *self = xcalloc(1, sizeof *self);
    self->pid = pid;
    self->fd = sv[0];
    self->started_ms = now_ms();
    /* Queued in the socket buffer for the process to read after its exec. */
    proto_msg_t *setup = s_setup_new(base);
    int rc = runner_frame_write(self->fd, setup, err);
    proto_destroy(&setup);
    if (rc != 0)
        runner_destroy(&self);
    return self;
}

int runner_run(runner_t *self, const runner_spec_t *spec, char *err)
{
    assert(!self->busy && (spec->config_json || spec->ops));
    if (self->fd < 0 || self->reaped)
        return set_err(err, "trial process has exited");
    proto_msg_t *m = proto_new("TASK");
    proto_set_int(m, "trial", spec->trial);
    proto_set_int(m, "number", spec->number);
    proto_set_int(m, "attempt", spec->attempt);
    proto_set_dbls(m, "x", spec->x, spec->nx);
    proto_set_int(m, "seed", (int64_t)spec->seed);
    proto_set_int(m, "final", spec->final);
    s_opt_str(m, "config", spec->config_json);
    s_opt_str(m, "data", spec->data_path);
    s_opt_str(m, "artifact_dir", spec->artifact_dir);
    if (spec->n_env > 0)
        proto_set_strs(m, "env", (const char *const *)spec->env, spec->n_env);
    s_opt_str(m, "code_dir", spec->code_dir);
    /* The idle child is blocked in read: the frame fits the socket buffer, or the
     * write waits for the child to drain it. */
    int rc = runner_frame_write(self->fd, m, err);
    proto_destroy(&m);
    if (rc != 0)
        return -1;
    self->busy = true;
    self->served++;
    self->started_ms = now_ms();
    self->trial = spec->trial;
    self->attempt = spec->attempt;
    return 0;
}

bool runner_busy(const runner_t *self) { return self->busy; }

runner_t *runner_start(const runner_spec_t *spec, char *err)
{
    runner_t *self = runner_new(spec, err);
    if (self && runner_run(self, spec, err) != 0)
        runner_destroy(&self);
    return self;
}

int runner_fd(const runner_t *self) { return self->fd; }
pid_t runner_pid(const runner_t *self) { return self->pid; }
int runner_served(const runner_t *self) { return self->served; }

long runner_rss_kb(const runner_t *self)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)self->pid);
    FILE *f = fopen(path, "r");
    long size, resident = -1;
    if (f && fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return resident < 0 || page <= 0 ? -1 : resident * (page / 1024);
}
double runner_secs(const runner_t *self) { return (double)(now_ms() - self->started_ms) / 1e3; }

/* SIGKILL every process in session sid except its leader. A few rounds, because a
 * process may fork while we look. Only call while the leader is unreaped: it keeps the
 * id from being reused. */
static void s_kill_session(pid_t sid)
{
    for (int round = 0; round < 4; round++) {
        DIR *d = opendir("/proc");
        if (!d) {
            log_warn("opendir /proc: %s", strerror(errno));
            return;
        }
        int killed = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            long p;
            if (parse_long(e->d_name, &p) != 0 || p <= 1 || p == sid)
                continue;
            if (getsid((pid_t)p) == sid && kill((pid_t)p, SIGKILL) == 0)
                killed++;
        }
        if (closedir(d) != 0)
            log_debug("closedir /proc: %s", strerror(errno));
        if (!killed)
            return;
    }
}

void runner_kill(runner_t *self)
{
    if (self->reaped)
        return;
    /* The leader first: it must not start anything new while its session is swept. */
    if (kill(self->pid, SIGKILL) != 0 && errno != ESRCH)
        log_debug("kill %d: %s", (int)self->pid, strerror(errno));
    s_kill_session(self->pid);
}

static void s_close(runner_t *self)
{
    if (self->fd >= 0 && close(self->fd) != 0)
        log_debug("close: %s", strerror(errno));
    self->fd = -1;
}

int runner_reap(runner_t *self, int *status, char *err)
{
    if (self->reaped)
        return 1;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)self->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == EINTR)
            return 0;
        return set_err(err, "waitid %d: %s", (int)self->pid, strerror(errno));
    }
    if (info.si_pid == 0)
        return 0;
    /* The zombie still holds the session id: clear out stray descendants safely. */
    s_kill_session(self->pid);
    pid_t r;
    do
        r = waitpid(self->pid, status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return set_err(err, "waitpid %d: %s", (int)self->pid, strerror(errno));
    self->reaped = true;
    s_close(self);
    return 1;
}

void runner_destroy(runner_t **self_p)
{
    assert(self_p);
    runner_t *self = *self_p;
    if (!self)
        return;
    if (!self->reaped) {
        runner_kill(self);
        pid_t r;
        int status;
        do
            r = waitpid(self->pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            log_warn("waitpid %d: %s", (int)self->pid, strerror(errno));
    }
    s_close(self);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

/* Next complete message in the buffer; NULL when none (err set if the bytes are bad). */
static proto_msg_t *s_pop(runner_t *self, char *err)
{
    if (self->len < 4)
        return NULL;
    uint32_t be;
    memcpy(&be, self->buf, 4);
    uint32_t n = ntohl(be);
    if (n > PROTO_MAX_FRAME) {
        set_err(err, "trial process sent a %u-byte frame", n);
        return NULL;
    }
    if (self->len < 4 + (size_t)n)
        return NULL;
    proto_msg_t *m = proto_decode(self->buf + 4, n, err);
    if (m && strcmp(proto_type(m), "TELL") == 0)
        self->busy = false;
    self->len -= 4 + (size_t)n;
    memmove(self->buf, self->buf + 4 + n, self->len);
    return m;
}

/* Read what is available without blocking. -1 on EOF or a read error (err set). */
static int s_fill(runner_t *self, char *err)
{
    for (;;) {
        if (self->cap - self->len < 65536) {
            self->cap = self->cap ? self->cap * 2 : 65536;
            self->buf = xrealloc(self->buf, self->cap);
        }
        ssize_t n = read(self->fd, self->buf + self->len, self->cap - self->len);
        if (n > 0) {
            self->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        /* A process that dies with bytes unread in its queue resets the connection:
         * that is its end like any EOF, and its exit status says why. */
        if (n < 0 && errno != ECONNRESET)
            set_err(err, "read from trial process: %s", strerror(errno));
        return -1;
    }
}

proto_msg_t *runner_read(runner_t *self, bool *eof, char *err)
{
    err[0] = '\0';
    proto_msg_t *m = s_pop(self, err);
    if (!m && !err[0] && self->fd >= 0 && s_fill(self, err) != 0)
        s_close(self);
    if (!m && !err[0])
        m = s_pop(self, err);
    if (err[0]) {
        /* A child that breaks the framing cannot be trusted to finish: end it. */
        runner_kill(self);
        s_close(self);
        self->len = 0;
    }
    *eof = self->fd < 0;
    return m;
}

int runner_reply(runner_t *self, bool prune, char *err)
{
    if (self->fd < 0)
        return set_err(err, "trial process has exited");
    proto_msg_t *m = proto_new(prune ? "PRUNE" : "CONTINUE");
    proto_set_int(m, "trial", self->trial);
    proto_set_int(m, "attempt", self->attempt);
    /* The non-blocking end cannot stall here: the child reads exactly one reply per
     * REPORT, so at most one small frame is ever queued in the socket buffer. */
    int rc = runner_frame_write(self->fd, m, err);
    proto_destroy(&m);
    return rc;
}
