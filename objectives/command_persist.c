/* command_persist — the `command` objective's persistent mode: one program per trial
 * process serves trial after trial over the line protocol of command_proto.h
 * (docs/command-protocol.md), so a Python objective pays for its interpreter and its
 * imports once per slot, not once per trial.
 *
 *   objective:
 *     type: command
 *     run: [python3, train.py]
 *     persistent: true     # start once, serve many trials
 *     restart_every: 100   # a fresh program after this many trials (0 = never, default)
 *     start_timeout: 60    # seconds from start to its `@hps ready` (default 60)
 *     timeout: 600         # seconds per trial, as in the per-trial mode
 *
 * The program lives in a static of this file: a trial process is single-threaded and
 * runs one trial at a time, and the program is that process's to keep between trials
 * (as objectives/evaluate.c keeps a study's data). It dies with the trial process
 * (PR_SET_PDEATHSIG, set in command.c's spawn). Started lazily by the first trial; a new
 * one replaces it when the trial's study needs another (a different command, directory,
 * environment, dataset or study name), after restart_every trials, and after any trial
 * that left it in an unknown state: it exited or crashed (that trial is FAIL), broke the
 * protocol (FAIL), timed out (FAIL), or did not end a pruned trial within
 * COMMAND_PRUNE_GRACE_MS (PRUNED all the same).
 *
 * A trial: its JSON line goes to stdin; then one poll() loop over stdin (the queued
 * lines), stdout (protocol lines, log), stderr (log) and the pidfd, until the program
 * ends the trial (result, pruned, fail), exits, or a deadline passes. Bytes after the
 * line that ended a trial stay buffered for the next one. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "objectives/command_priv.h"
#include "objectives/command_proto.h"

#define COMMAND_PRUNE_GRACE_MS 5000 /* a pruned trial's time to end before a kill */
#define COMMAND_START_TIMEOUT 60.0  /* seconds: the default of start_timeout */

static const char s_hint[] = "persistent: true needs a program that speaks hps's line "
                             "protocol (docs/command-protocol.md; python/hps_objective.py)";

typedef struct {
    command_proc_t proc; /* proc.pid == -1: none runs */
    strbuf_t in;         /* stdout bytes not yet taken as lines */
    char *key;           /* what it runs as (argv, cwd, environment); owned */
    long served;         /* trials it has been given */
    bool init;
} s_prog_t;

static s_prog_t s_prog;

/* One exchange with the program: the handshake, or a trial. */
typedef struct {
    const objective_ctx_t *ctx; /* NULL in the handshake */
    strbuf_t out;               /* lines for its stdin */
    size_t out_off;             /* of them written */
    bool done;                  /* the handshake's ready, or the trial's end, was read */
    bool broken;                /* a protocol error (err says which): kill it */
    bool prune;                 /* a report was answered with prune */
    bool reported;              /* a value was reported (value holds the last one) */
    bool silent_end;            /* it timed out, or exited with status 0: no error of
                                   its own says what went wrong */
    bool said;                  /* a protocol line came in this turn */
    int status;                 /* its wait status when it ended; -1: it did not */
    double value;
    int64_t deadline;        /* ms (monotonic); 0 = none */
    objective_result_t *res; /* the trial's result, filled when done */
    char err[HPS_ERR_LEN];
} s_turn_t;

/* ---- options ----------------------------------------------------------------------- */

bool command_persistent(const cfg_node_t *obj)
{
    bool on = false;
    cfg_bool(obj, "persistent", false, &on, NULL);
    return on;
}

int command_persist_check(const cfg_node_t *obj, cfg_errs_t *errs)
{
    int before = errs->n;
    bool on;
    long every;
    double start;
    cfg_bool(obj, "persistent", false, &on, errs);
    if (cfg_long(obj, "restart_every", 0, &every, errs) == 0 && every < 0)
        cfg_error(errs, cfg_get(obj, "restart_every"),
                  "restart_every: must be >= 0 trials "
                  "(0: never)");
    if (cfg_double(obj, "start_timeout", COMMAND_START_TIMEOUT, &start, errs) == 0 && !(start > 0))
        cfg_error(errs, cfg_get(obj, "start_timeout"), "start_timeout: must be > 0 seconds");
    const char *only[] = {"restart_every", "start_timeout"};
    for (int i = 0; i < 2 && !on && errs->n == before; i++) {
        const cfg_node_t *n = cfg_get(obj, only[i]);
        if (n && n->type != CFG_NULL)
            cfg_error(errs, n, "%s: only with persistent: true", only[i]);
    }
    return errs->n > before ? -1 : 0;
}

/* ---- the program ------------------------------------------------------------------- */

static char *s_key_of(const command_spec_t *spec)
{
    strbuf_t sb;
    sb_init(&sb);
    for (char **a = spec->argv; *a; a++)
        sb_puts(&sb, *a), sb_putc(&sb, '\x1f');
    sb_printf(&sb, "\x1e%s\x1e", spec->cwd ? spec->cwd : "");
    for (int i = 0; i < spec->n_env; i++)
        sb_puts(&sb, spec->envp[i]), sb_putc(&sb, '\x1f');
    return sb_take(&sb);
}

/* Kill and reap the program, if one runs. Can't fail (a reap error leaves nothing we
 * could do more). */
static void s_stop(s_prog_t *g)
{
    if (g->proc.pid > 0)
        command_reap(&g->proc);
    command_proc_free(&g->proc);
    command_proc_init(&g->proc);
    g->in.len = 0;
    if (g->in.buf)
        g->in.buf[0] = '\0';
    free(g->key);
    g->key = NULL;
    g->served = 0;
}

/* Queue a line for the program's stdin and write what it takes now. */
static void s_write(s_prog_t *g, s_turn_t *t)
{
    while (g->proc.in >= 0 && t->out_off < t->out.len) {
        ssize_t n = write(g->proc.in, t->out.buf + t->out_off, t->out.len - t->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) { /* EPIPE: it closed stdin; its exit or silence ends the turn */
            command_close_fd(&g->proc.in);
            return;
        }
        t->out_off += (size_t)n;
    }
}

static void s_trial_end(s_turn_t *t, const command_msg_t *m)
{
    objective_result_t *res = t->res;
    t->done = true;
    if (m->kind == COMMAND_MSG_FAIL) {
        set_err(res->error, "the program failed the trial%s%s", *m->text ? ": " : "", m->text);
    } else if (t->prune || m->kind == COMMAND_MSG_PRUNED) {
        if (t->reported) {
            res->state = TRIAL_PRUNED;
            res->value = t->value;
        } else {
            set_err(res->error, "the program pruned the trial before reporting a value");
        }
    } else if (!isfinite(m->value)) {
        set_err(res->error, "the program's result is not finite (%g)", m->value);
    } else {
        res->state = TRIAL_COMPLETE;
        res->value = m->value;
    }
}

/* A report: to the pruner (once it said prune, it is not asked again), then the answer. */
static void s_report(s_prog_t *g, s_turn_t *t, const command_msg_t *m)
{
    t->reported = true;
    t->value = m->value;
    if (!t->prune && t->ctx->report && t->ctx->report(t->ctx->report_arg, m->step, m->value) == 1) {
        t->prune = true; /* it has a grace to end the trial, then it is killed */
        int64_t grace = now_ms() + COMMAND_PRUNE_GRACE_MS;
        if (t->deadline == 0 || grace < t->deadline)
            t->deadline = grace;
    }
    command_prune_line(&t->out, t->prune);
    s_write(g, t);
}

/* One stdout line of the program. */
static void s_line(s_prog_t *g, s_turn_t *t, char *line)
{
    command_msg_t m;
    char err[HPS_ERR_LEN];
    command_msg_kind_t k = command_msg_parse(line, &m, err);
    t->said = t->said || k != COMMAND_MSG_LOG;
    if (k == COMMAND_MSG_LOG) {
        command_keep_tail(&g->proc, line, strlen(line));
        command_keep_tail(&g->proc, "\n", 1);
    } else if (k == COMMAND_MSG_BAD) {
        t->broken = true;
        set_err(t->err, "protocol error: %s", err);
    } else if (!t->ctx) { /* the handshake */
        t->done = k == COMMAND_MSG_READY;
        if (!t->done)
            t->broken = true, set_err(t->err, "protocol error: '%.60s' before '@hps ready'", line);
    } else if (k == COMMAND_MSG_READY) {
        t->broken = true;
        set_err(t->err, "protocol error: '@hps ready' during a trial (did the program restart "
                        "itself?)");
    } else if (k == COMMAND_MSG_REPORT) {
        s_report(g, t, &m);
    } else {
        s_trial_end(t, &m);
    }
}

/* Take the complete lines buffered, until the turn is over. */
static void s_lines(s_prog_t *g, s_turn_t *t)
{
    size_t off = 0;
    while (!t->done && !t->broken) {
        char *nl = memchr(g->in.buf + off, '\n', g->in.len - off);
        size_t n = nl ? (size_t)(nl - (g->in.buf + off)) : g->in.len - off;
        if (!nl && n <= COMMAND_LINE_MAX)
            break; /* an incomplete line: wait for the rest (a longer one is log) */
        if (n > COMMAND_LINE_MAX)
            n = COMMAND_LINE_MAX;
        char *line = xstrndup(g->in.buf + off, n);
        off += n + (nl && g->in.buf + off + n == nl ? 1 : 0);
        s_line(g, t, command_trim(line));
        free(line);
    }
    memmove(g->in.buf, g->in.buf + off, g->in.len - off + 1);
    g->in.len -= off;
}

/* Read what fd has (stdout into the line buffer, stderr into the tail). */
static void s_read(s_prog_t *g, s_turn_t *t, int *fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = command_read(fd, buf, sizeof buf)) > 0) {
        if (fd == &g->proc.out)
            sb_putn(&g->in, buf, (size_t)n);
        else
            command_keep_tail(&g->proc, buf, (size_t)n);
    }
    if (fd == &g->proc.out || *fd < 0)
        s_lines(g, t);
}

/* Poll until the turn is done or broken, the program exited (or closed stdout), or
 * t->deadline passed. -1 with t->err when poll fails. */
static int s_pump(s_prog_t *g, s_turn_t *t)
{
    command_proc_t *p = &g->proc;
    s_write(g, t);
    s_lines(g, t); /* what came after the previous trial's end */
    while (!t->done && !t->broken && !p->exited && p->out >= 0) {
        int64_t now = now_ms(), deadline = t->deadline;
        if (deadline > 0 && now >= deadline)
            return 0;
        int wait = deadline > 0 ? (int)(deadline - now) : -1;
        if (p->pidfd < 0 && (wait < 0 || wait > 20))
            wait = 20; /* no pidfd: look for the exit every 20 ms */
        struct pollfd pf[4] = {{.fd = t->out_off < t->out.len ? p->in : -1, .events = POLLOUT},
                               {.fd = p->out, .events = POLLIN},
                               {.fd = p->err, .events = POLLIN},
                               {.fd = p->pidfd, .events = POLLIN}};
        int rc = poll(pf, 4, wait);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return set_err(t->err, "poll: %s", strerror(errno));
        if (pf[0].revents)
            s_write(g, t);
        if (pf[2].revents)
            s_read(g, t, &p->err);
        if (pf[1].revents)
            s_read(g, t, &p->out);
        if (command_has_exited(p->pid)) {
            /* what it wrote just before it exited is still in the pipes */
            p->exited = true;
            if (p->out >= 0)
                s_read(g, t, &p->out);
            if (p->err >= 0)
                s_read(g, t, &p->err);
        }
    }
    return 0;
}

/* Why the turn ended without an answer, into err, and the program stopped. */
static void s_lost(s_prog_t *g, s_turn_t *t, const char *stage, double timeout, char *err)
{
    if (t->broken) {
        set_err(err, "%s (%s)", t->err, s_hint);
    } else if (g->proc.exited || g->proc.out < 0) {
        int status = command_reap(&g->proc);
        char what[128];
        snprintf(what, sizeof what, "the program ended %s: ", stage);
        if (status == -1)
            set_err(err, "the program ended %s (its status is unknown: %s)", stage,
                    strerror(errno));
        else
            command_status_err(err, what, status, command_tail(&g->proc));
        t->silent_end = status == 0;
        t->status = status;
        g->proc.pid = -1;
    } else {
        const char *tail = command_tail(&g->proc);
        set_err(err, "timeout after %g s %s%s%s", timeout, stage, *tail ? ": " : "", tail);
        t->silent_end = true;
    }
    s_stop(g);
}

/* Start the program and wait for its `@hps ready`. -1 with err (nothing left running). */
static int s_start(s_prog_t *g, const command_spec_t *spec, double start_timeout, char *err)
{
    if (command_spawn(spec, &g->proc, err) != 0) {
        s_stop(g);
        return -1;
    }
    g->key = s_key_of(spec);
    s_turn_t t = {.ctx = NULL,
                  .status = -1,
                  .deadline = now_ms() + (int64_t)(start_timeout * 1000)};
    sb_init(&t.out);
    int rc = s_pump(g, &t);
    if (rc != 0 || !t.done) {
        char why[HPS_ERR_LEN];
        if (rc != 0)
            set_err(why, "%s", t.err), s_stop(g);
        else
            s_lost(g, &t, "before '@hps ready'", start_timeout, why);
        if (t.silent_end) /* a program that does not speak the protocol, most likely */
            set_err(err, "%s (%s)", why, s_hint);
        else
            set_err(err, "%s", why);
        rc = -1;
    }
    sb_free(&t.out);
    return rc;
}

/* Give the running program one trial. True when it did not take it: it exited with
 * status 0 and said nothing (it had ended between trials as the trial was sent). */
static bool s_trial(s_prog_t *g, const command_spec_t *spec, const objective_ctx_t *ctx,
                    objective_result_t *res)
{
    s_turn_t t = {.ctx = ctx, .res = res, .status = -1};
    sb_init(&t.out);
    command_trial_line(&t.out, ctx);
    g->proc.tail.len = 0, g->proc.tail.buf[0] = '\0'; /* this trial's log only */
    g->served++;
    if (spec->timeout > 0)
        t.deadline = now_ms() + (int64_t)(spec->timeout * 1000);
    int rc = s_pump(g, &t);
    if (rc != 0) {
        set_err(res->error, "%s", t.err);
        s_stop(g);
    } else if (t.done) {
        /* the program ended the trial and waits for the next; what it wrote to stderr
         * before the end is this trial's log */
        if (g->proc.err >= 0)
            s_read(g, &t, &g->proc.err);
    } else if (t.prune && !t.broken) {
        /* it did not end a pruned trial in time (or died): pruned all the same */
        res->state = TRIAL_PRUNED, res->value = t.value;
        s_stop(g);
    } else {
        s_lost(g, &t, "during the trial", spec->timeout, res->error);
    }
    sb_free(&t.out);
    return !t.said && t.status == 0;
}

void command_persist_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    assert(ctx && ctx->study && res);
    objective_result_init(res);
    command_spec_t spec;
    if (command_spec_build(&spec, ctx, true, res->error) != 0)
        return;
    const cfg_node_t *obj = ctx->study->objective;
    long every = 0;
    double start_timeout = COMMAND_START_TIMEOUT;
    cfg_long(obj, "restart_every", 0, &every, NULL);
    cfg_double(obj, "start_timeout", COMMAND_START_TIMEOUT, &start_timeout, NULL);
    command_sigs_t sigs;
    command_sigs_enter(&sigs);
    s_prog_t *g = &s_prog;
    if (!g->init) {
        command_proc_init(&g->proc);
        sb_init(&g->in);
        g->init = true;
    }
    char *key = s_key_of(&spec);
    if (g->proc.pid > 0 && (strcmp(key, g->key) != 0 || command_has_exited(g->proc.pid)))
        s_stop(g); /* another study's program, or it ended between trials */
    free(key);
    bool fresh = g->proc.pid <= 0;
    if ((!fresh || s_start(g, &spec, start_timeout, res->error) == 0) &&
        s_trial(g, &spec, ctx, res) && !fresh) {
        objective_result_init(res); /* once more, to a program that takes it */
        if (s_start(g, &spec, start_timeout, res->error) == 0)
            s_trial(g, &spec, ctx, res);
    }
    if (g->proc.pid > 0 && every > 0 && g->served >= every)
        s_stop(g);
    if (ctx->final && res->state == TRIAL_COMPLETE)
        res->test_score = res->value;
    command_sigs_leave(&sigs);
    command_spec_free(&spec);
}

void command_persist_stop(void)
{
    if (s_prog.init) {
        s_stop(&s_prog);
        sb_free(&s_prog.in);
        command_proc_free(&s_prog.proc);
        s_prog.init = false;
    }
}
