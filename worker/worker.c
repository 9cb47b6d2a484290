/* worker — the DEALER loop (see worker.h for the protocol duties).
 *
 * State is one worker_t on worker_run()'s stack: the socket, the tasks (leased trials,
 * either waiting for their dataset or running in a child), and the TELLs not yet
 * ACKed. Everything is driven from one loop: timers first (HELLO, HEARTBEAT, ASK,
 * FETCH and TELL resends, REPORT timeouts), then zmq_poll over the socket and the
 * children's sockets, then messages and reaping. No signal handlers of our own:
 * czmq's set zsys_interrupted and zmq_poll returns EINTR; children are noticed by EOF
 * on their socket and reaped without blocking.
 *
 * Sends never block (ZMQ_SNDTIMEO 0, ZMQ_IMMEDIATE): while the coordinator is away a
 * send fails and the timers simply try again, so nothing stale piles up in zmq's
 * queue to be replayed on reconnect. */
#include "worker/worker.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "core/util.h"
#include "worker/blobcache.h"
#include "worker/codedir.h"
#include "worker/runner.h"
#include "worker/worker_priv.h"

/* ---- sending ---------------------------------------------------------------------- */

/* Send one frame. -1 when zmq refused it (no connection yet): callers retry, and a
 * welcomed worker says HELLO again first. Not proto_send(): czmq 4.2 keeps a frame it
 * failed to send, and failed sends are routine here, so it is destroyed explicitly. */
static int s_send_raw(worker_t *w, const char *what, const void *buf, size_t len)
{
    zframe_t *f = zframe_new(buf, len);
    if (f && zframe_send(&f, w->sock, ZFRAME_DONTWAIT) == 0)
        return 0;
    zframe_destroy(&f);
    log_debug("cannot send %s now: %s", what, zmq_strerror(zmq_errno()));
    if (w->welcomed) {
        /* No connection (ZMQ_IMMEDIATE), or a full queue: the next connection is a new
         * route, unknown to the coordinator until it hears HELLO on it. */
        log_info("lost the connection to the coordinator: saying HELLO again");
        w->welcomed = false;
        w->hello_at = 0;
    }
    return -1;
}

/* Send and destroy m; -1 as s_send_raw. */
static int s_send(worker_t *w, proto_msg_t **m_p)
{
    char type[16], *buf;
    size_t len;
    snprintf(type, sizeof type, "%s", proto_type(*m_p));
    proto_encode(*m_p, &buf, &len);
    proto_destroy(m_p);
    int rc = s_send_raw(w, type, buf, len);
    free(buf);
    return rc;
}
int worker__send(worker_t *w, proto_msg_t **m_p) { return s_send(w, m_p); }

static void s_send_heartbeat(worker_t *w, int64_t now)
{
    int n = 0;
    for (upload_t *u = w->uploads; u; u = u->next)
        n++;
    int64_t *pairs = xmalloc(sizeof(int64_t) * 2 * (size_t)(w->n_tasks + n + 1));
    n = 0;
    for (upload_t *u = w->uploads; u; u = u->next) { /* its lease holds while it uploads */
        pairs[n++] = u->trial;
        pairs[n++] = u->attempt;
    }
    for (task_t *t = w->tasks; t; t = t->next) {
        if (t->cancelled)
            continue;
        pairs[n++] = t->id;
        pairs[n++] = t->attempt;
    }
    proto_msg_t *m = proto_new("HEARTBEAT");
    proto_set_ints(m, "running", pairs, n);
    free(pairs);
    s_send(w, &m);
    w->hb_at = now;
}

/* A heartbeat when due; also between trial starts (each a fork: 100s of ms under ASan).
 * Messages only queue trials (s_task_try), so reading a burst of them is quick. */
static void s_beat_if_due(worker_t *w, int64_t now)
{
    if (w->welcomed && (w->hb_at == 0 || now - w->hb_at >= w->heartbeat_ms))
        s_send_heartbeat(w, now);
}

/* How many trials to ask for now; 0 = don't ask. Marks the ASK as outstanding when
 * the answer is not 0 (the caller sends it). */
static int s_ask_room(worker_t *w, int64_t now)
{
    /* Short trials: lease the next ones while these run, so a slot never waits for the
     * coordinator's answer. Long ones: no (a prefetched trial would idle meanwhile). */
    int ahead = w->short_trials && w->opts->prefetch > 0 ? w->opts->prefetch : 0;
    int free_slots = w->slots + ahead - w->n_tasks;
    if (w->opts->max_trials > 0 && w->opts->max_trials - w->started < free_slots)
        free_slots = w->opts->max_trials - w->started;
    if (!w->welcomed || w->draining || free_slots <= 0 || now < w->wait_until)
        return 0;
    /* Unanswered for 2 heartbeats: lost (restart, dropped send). The coordinator bounds
     * leases by slots, so a duplicate ASK cannot overbook us. */
    if (w->asking && now - w->ask_at < 2 * (int64_t)w->heartbeat_ms)
        return 0;
    w->asking = true;
    w->ask_at = now;
    return free_slots;
}

static void s_maybe_ask(worker_t *w, int64_t now)
{
    int n = s_ask_room(w, now);
    if (!n)
        return;
    proto_msg_t *m = proto_new("ASK");
    proto_set_int(m, "slots_free", n);
    s_send(w, &m);
}

/* ---- TELLs ------------------------------------------------------------------------ */

/* Queue a TELL for sending until ACKed. When the worker would ask for work now, the
 * TELL carries the ASK (field `ask`): one message instead of two per trial. */
void worker__queue_tell(worker_t *w, proto_msg_t **tell_p)
{
    int ask = s_ask_room(w, now_ms());
    if (ask)
        proto_set_int(*tell_p, "ask", ask);
    tell_t *t = xcalloc(1, sizeof *t);
    t->trial = (long)proto_int_or(*tell_p, "trial", 0);
    t->attempt = (int)proto_int_or(*tell_p, "attempt", 0);
    proto_encode(*tell_p, &t->buf, &t->len);
    proto_destroy(tell_p);
    t->backoff_ms = TELL_BACKOFF_MS;
    t->next = w->tells;
    w->tells = t; /* next_at 0: due at once */
}

static void s_resend_tells(worker_t *w, int64_t now)
{
    for (tell_t *t = w->tells; t; t = t->next) {
        if (t->next_at > now)
            continue;
        s_send_raw(w, "TELL", t->buf, t->len);
        if (t->next_at != 0)
            log_info("TELL %ld.%d not ACKed yet, sent again", t->trial, t->attempt);
        t->next_at = now + t->backoff_ms;
        t->backoff_ms = t->backoff_ms * 2 > TELL_BACKOFF_MAX_MS ? TELL_BACKOFF_MAX_MS
                                                               : t->backoff_ms * 2;
    }
}

/* Forget the TELL of trial.attempt (ACKed or refused); whether there was one. */
static bool s_tell_drop(worker_t *w, long trial, int attempt)
{
    for (tell_t **p = &w->tells; *p; p = &(*p)->next) {
        tell_t *t = *p;
        if (t->trial != trial || t->attempt != attempt)
            continue;
        *p = t->next;
        free(t->buf);
        free(t);
        return true;
    }
    return false;
}

static void s_on_ack(worker_t *w, const proto_msg_t *m)
{
    long trial = (long)proto_int_or(m, "trial", -1);
    int attempt = (int)proto_int_or(m, "attempt", -1);
    if (s_tell_drop(w, trial, attempt) && proto_int_or(m, "stale", 0))
        log_info("trial %ld.%d: result was stale (attempt superseded)", trial, attempt);
}

/* ---- tasks ------------------------------------------------------------------------ */

static task_t *s_task_find(worker_t *w, long id, int attempt)
{
    for (task_t *t = w->tasks; t; t = t->next)
        if (t->id == id && t->attempt == attempt)
            return t;
    return NULL;
}

/* Whether trial process r is due for replacement (--recycle-after, --max-trial-rss-mb). */
static bool s_worn_out(const worker_t *w, const runner_t *r)
{
    int after = w->opts->recycle_after;
    if (after > 0 && runner_served(r) >= after) {
        log_info("trial process %d served %d trials: replaced", (int)runner_pid(r), after);
        return true;
    }
    long max_kb = w->opts->max_trial_rss_mb * 1024, kb;
    if (max_kb > 0 && (kb = runner_rss_kb(r)) > max_kb) {
        log_info("trial process %d uses %ld MiB (over %ld): replaced", (int)runner_pid(r),
                 kb / 1024, w->opts->max_trial_rss_mb);
        return true;
    }
    return false;
}

void worker__task_remove(worker_t *w, task_t *task)
{
    for (task_t **p = &w->tasks; *p; p = &(*p)->next) {
        if (*p == task) {
            *p = task->next;
            break;
        }
    }
    /* A process that answered and was not cancelled serves the next trial, unless it
     * served its share or grew too big (a leaking objective). */
    if (task->runner && !task->cancelled && !runner_busy(task->runner) &&
        runner_fd(task->runner) >= 0 && w->n_idle < w->slots && !s_worn_out(w, task->runner))
        w->idle[w->n_idle++] = task->runner;
    else
        runner_destroy(&task->runner);
    worker__slot_release(w, task);
    if (task->artifact_dir)
        upload_dir_remove(task->artifact_dir);
    free(task->artifact_dir);
    free(task->code_dir);
    proto_destroy(&task->result);
    proto_destroy(&task->trial);
    free(task);
    w->n_tasks--;
}

/* End a task that never ran (or could not start) with a FAIL TELL. */
static void s_task_fail(worker_t *w, task_t *task, const char *why)
{
    log_warn("trial %ld.%d failed: %s", task->id, task->attempt, why);
    objective_result_t res;
    objective_result_init(&res);
    snprintf(res.error, sizeof res.error, "%s", why);
    proto_msg_t *tell = runner_tell_new(task->id, task->attempt, &res, 0);
    worker__task_remove(w, task);
    worker__queue_tell(w, &tell);
}

static int s_running(const worker_t *w)
{
    int n = 0;
    for (const task_t *t = w->tasks; t; t = t->next)
        n += t->phase == TASK_RUNNING;
    return n;
}

/* Start task's trial, or queue it while no slot (or not its GPUs) is free. 0 when it
 * waits in the queue, 1 when it was started or failed (and then removed). */
static int s_task_start(worker_t *w, task_t *task)
{
    char err[HPS_ERR_LEN];
    int claimed = s_running(w) >= w->slots ? 0 : worker__slot_claim(w, task, err);
    if (claimed <= 0) {
        task->phase = TASK_QUEUED; /* prefetched: starts when a slot frees */
        if (claimed < 0)
            s_task_fail(w, task, err);
        return claimed < 0;
    }
    int nx = 0;
    const double *x = proto_get_dbls(task->trial, "x", &nx);
    char *data = task->sha[0] ? blobcache_path(w->blobs, task->sha) : NULL;
    bool final = strcmp(proto_get_str(task->trial, "kind"), "final") == 0;
    if (final && !task->artifact_dir) {
        task->artifact_dir = xasprintf("%s/artifacts/%ld.%d", w->cache_dir, task->id,
                                       task->attempt);
        if (upload_dir_make(task->artifact_dir, err) != 0) {
            free(data);
            s_task_fail(w, task, err);
            return 1;
        }
    }
    char *env[2];
    int n_env = worker__slot_env(w, task, env);
    runner_spec_t spec = {
        .trial = task->id, .attempt = task->attempt,
        .number = (long)proto_int_or(task->trial, "number", 0),
        .config_json = proto_get_str(task->trial, "config"), .x = x, .nx = nx,
        .seed = (uint64_t)proto_int_or(task->trial, "seed", 0), .data_path = data,
        .cache_dir = blobcache_features_dir(w->blobs), .code_dir = task->code_dir,
        .final = final, .artifact_dir = task->artifact_dir, .policy = &w->policy,
        .env = env, .n_env = n_env};
    /* An idle process if there is one (it may have died meanwhile: then a fresh one). */
    while (w->n_idle > 0 && !task->runner) {
        task->runner = w->idle[--w->n_idle];
        if (runner_run(task->runner, &spec, err) != 0)
            runner_destroy(&task->runner);
    }
    if (!task->runner)
        task->runner = runner_start(&spec, err);
    free(data);
    for (int i = 0; i < n_env; i++)
        free(env[i]);
    if (!task->runner) {
        s_task_fail(w, task, err);
        return 1;
    }
    task->phase = TASK_RUNNING;
    log_info("trial %ld.%d (%s #%ld) started, pid %d, slot %d", task->id, task->attempt,
             proto_get_str(task->trial, "study"), (long)proto_int_or(task->trial, "number", 0),
             (int)runner_pid(task->runner), task->slot);
    return 1;
}

static void s_task_try(worker_t *w, task_t *task, const char *fail);

static void s_on_trial(worker_t *w, proto_msg_t **m_p, int64_t now)
{
    proto_msg_t *m = *m_p;
    long id = (long)proto_int_or(m, "trial", 0);
    int attempt = (int)proto_int_or(m, "attempt", 0);
    /* One ASK may be answered by several TRIALs: the last says more 0 (an older
     * coordinator sends one, without the field). */
    w->asking = proto_int_or(m, "more", 0) > 0;
    w->wait_until = now;
    if (s_task_find(w, id, attempt)) {
        log_debug("trial %ld.%d already here, duplicate TRIAL ignored", id, attempt);
        return;
    }
    if (w->n_tasks >= w->slots + (w->opts->prefetch > 0 ? w->opts->prefetch : 0))
        log_warn("trial %ld.%d arrived with no room; queueing it anyway", id, attempt);
    task_t *task = xcalloc(1, sizeof *task);
    task->trial = m;
    *m_p = NULL;
    task->id = id;
    task->attempt = attempt;
    task->phase = TASK_BLOB;
    task->slot = -1;
    task->sha = proto_get_str(m, "data");
    task->code = proto_get_str(m, "code") ? proto_get_str(m, "code") : "";
    task->next = w->tasks;
    w->tasks = task;
    w->n_tasks++;
    if (w->opts->max_trials > 0 && ++w->started >= w->opts->max_trials)
        w->draining = true;
    s_task_try(w, task, NULL);
}

/* Whether the blobs of task (dataset, code) are here: 1 (and the code unpacked into
 * task->code_dir), 0 still fetching (asked for), -1 with why. */
static int s_task_blobs(worker_t *w, task_t *task, char *why)
{
    const char *shas[2] = {task->sha, task->code};
    int fetching = 0;
    for (int i = 0; i < 2; i++) {
        if (!shas[i][0])
            continue;
        if (!is_sha256_hex(shas[i]))
            return set_err(why, "%s id is not a sha256", i ? "code" : "dataset");
        if (!blobcache_ready(w->blobs, shas[i])) {
            blobcache_want(w->blobs, shas[i]); /* started when its last CHUNK arrives */
            fetching++;
        }
    }
    if (fetching || !task->code[0] || task->code_dir)
        return fetching ? 0 : 1;
    char *blob = blobcache_path(w->blobs, task->code);
    task->code_dir = codedir_get(w->cache_dir, blob, task->code, why);
    free(blob);
    return task->code_dir ? 1 : -1;
}

/* Queue task for s_start_queued once its blobs are here, or fail it (fail: why a blob
 * could not come): a burst of TRIALs is all read, and in heartbeats, before a start. */
static void s_task_try(worker_t *w, task_t *task, const char *fail)
{
    char why[HPS_ERR_LEN];
    int rc = fail ? -1 : s_task_blobs(w, task, why);
    if (rc > 0)
        task->phase = TASK_QUEUED;
    else if (rc < 0)
        s_task_fail(w, task, fail ? fail : why);
}

/* Start (ok) or fail (why != NULL) every task waiting for blob sha. */
static void s_blob_done(worker_t *w, const char *sha, const char *why)
{
    task_t *next;
    for (task_t *t = w->tasks; t; t = next) {
        next = t->next;
        if (t->phase == TASK_BLOB && (strcmp(t->sha, sha) == 0 || strcmp(t->code, sha) == 0))
            s_task_try(w, t, why);
    }
}

static void s_on_chunk(worker_t *w, const proto_msg_t *m)
{
    char sha[65], err[HPS_ERR_LEN];
    int rc = blobcache_chunk(w->blobs, m, sha, err);
    if (rc == BLOB_READY) {
        log_info("blob %.12s fetched", sha);
        s_blob_done(w, sha, NULL);
    }
    else if (rc == BLOB_FAILED)
        s_blob_done(w, sha, err);
}

/* A child finished: TELL its result, or the reason it died without one. */
static void s_task_exited(worker_t *w, task_t *task, int status)
{
    if (task->cancelled) {
        log_info("trial %ld.%d cancelled", task->id, task->attempt);
        worker__task_remove(w, task);
        return;
    }
    double secs = runner_secs(task->runner);
    w->short_trials = secs * 1000 < PREFETCH_BELOW_MS;
    proto_msg_t *tell = task->result; /* complete as the trial process sent it */
    task->result = NULL;
    if (!tell) {
        objective_result_t res;
        objective_result_init(&res);
        if (task->timed_out)
            snprintf(res.error, sizeof res.error, "trial timed out after %g s",
                     proto_dbl_or(task->trial, "timeout", 0));
        else
            runner_crash_reason(status, res.error, sizeof res.error);
        tell = runner_tell_new(task->id, task->attempt, &res, secs);
    }
    const char *error = proto_get_str(tell, "error");
    log_info("trial %ld.%d %s value %g in %.2f s%s%s", task->id, task->attempt,
             proto_get_str(tell, "state"), proto_dbl_or(tell, "value", NAN), secs,
             error ? ": " : "", error ? error : "");
    worker__tell_artifact(w, task, &tell); /* a final refit's model goes first */
    worker__task_remove(w, task); /* first: the slot is free when the TELL asks for work */
    if (tell)
        worker__queue_tell(w, &tell);
}

static void s_on_child_msg(worker_t *w, task_t *task, proto_msg_t **m_p, int64_t now)
{
    proto_msg_t *m = *m_p;
    bool tell = strcmp(proto_type(m), "TELL") == 0;
    if ((tell || strcmp(proto_type(m), "REPORT") == 0) &&
        (proto_int_or(m, "trial", -1) != task->id ||
         proto_int_or(m, "attempt", -1) != task->attempt)) {
        /* The process lost track of its trial: it cannot be trusted with the next one. */
        log_warn("trial %ld.%d: its process sent a %s for %lld.%lld; killing it", task->id,
                 task->attempt, proto_type(m), (long long)proto_int_or(m, "trial", -1),
                 (long long)proto_int_or(m, "attempt", -1));
        runner_kill(task->runner); /* reaped as a death without result: FAIL */
    }
    else if (tell) {
        proto_destroy(&task->result);
        task->result = m;
        *m_p = NULL;
    }
    else if (strcmp(proto_type(m), "REPORT") == 0 && !task->cancelled) {
        task->report_pending = true;
        task->report_at = now;
        s_send(w, m_p);
    }
    else
        log_warn("trial %ld.%d: unexpected %s from its process", task->id, task->attempt,
                 proto_type(m));
    proto_destroy(m_p);
}

/* Read from and reap every running child. Cheap: reads are non-blocking. */
static void s_poll_children(worker_t *w, int64_t now)
{
    char err[HPS_ERR_LEN];
    task_t *next;
    for (task_t *t = w->tasks; t; t = next) {
        next = t->next;
        if (t->phase != TASK_RUNNING)
            continue;
        bool eof;
        proto_msg_t *m;
        while ((m = runner_read(t->runner, &eof, err)))
            s_on_child_msg(w, t, &m, now);
        if (err[0])
            log_warn("trial %ld.%d: %s", t->id, t->attempt, err);
        if (t->result && !runner_busy(t->runner) && !t->cancelled) {
            s_task_exited(w, t, 0); /* answered; the process waits for the next trial */
            continue;
        }
        if (!eof)
            continue;
        int status = 0;
        int rc = runner_reap(t->runner, &status, err);
        if (rc < 0) {
            log_error("trial %ld.%d: %s", t->id, t->attempt, err);
            status = 0;
        }
        if (rc != 0)
            s_task_exited(w, t, status);
    }
}

/* Start prefetched trials, oldest lease first, while slots are free. */
static void s_start_queued(worker_t *w)
{
    for (;;) {
        task_t *oldest = NULL;
        for (task_t *t = w->tasks; t; t = t->next)
            if (t->phase == TASK_QUEUED && !t->cancelled)
                oldest = t; /* the list is newest first */
        if (!oldest || s_running(w) >= w->slots || !s_task_start(w, oldest))
            return;
        s_beat_if_due(w, now_ms());
    }
}

/* CONTINUE/PRUNE from the coordinator, or a timeout (prune false), to the child. */
static void s_answer_report(task_t *task, bool prune)
{
    char err[HPS_ERR_LEN];
    if (!task->report_pending || task->phase != TASK_RUNNING)
        return;
    task->report_pending = false;
    if (runner_reply(task->runner, prune, err) != 0)
        log_debug("trial %ld.%d: %s", task->id, task->attempt, err);
}

static void s_report_timeouts(worker_t *w, int64_t now)
{
    for (task_t *t = w->tasks; t; t = t->next) {
        if (t->report_pending && now - t->report_at >= 2 * (int64_t)w->heartbeat_ms) {
            log_info("trial %ld.%d: no answer to REPORT, continuing", t->id, t->attempt);
            s_answer_report(t, false);
        }
        /* The study's trial_timeout: a hung objective must not keep its lease alive
         * through our heartbeats forever. */
        double limit = proto_dbl_or(t->trial, "timeout", 0);
        if (limit > 0 && t->phase == TASK_RUNNING && !t->timed_out && !t->cancelled &&
            runner_secs(t->runner) > limit) {
            log_warn("trial %ld.%d: timed out after %g s, killing it", t->id, t->attempt, limit);
            t->timed_out = true;
            t->report_pending = false;
            runner_kill(t->runner); /* reaped as a death without result: FAIL */
        }
    }
}

/* Give up trial id.attempt: its task, if any, is killed (no TELL) and no longer listed
 * in heartbeats; an upload of its model is dropped. */
static void s_cancel(worker_t *w, long id, int attempt, const char *why)
{
    task_t *t = s_task_find(w, id, attempt);
    if (!t && worker__upload_cancel(w, id, attempt))
        return;
    if (!t || t->cancelled)
        return;
    log_warn("trial %ld.%d: %s, killing it", t->id, t->attempt, why);
    if (t->phase != TASK_RUNNING) { /* nothing runs yet: just forget it */
        worker__task_remove(w, t);
        return;
    }
    t->cancelled = true;
    t->report_pending = false;
    runner_kill(t->runner); /* the slot frees when it is reaped */
}

static void s_on_cancel(worker_t *w, const proto_msg_t *m)
{
    int n = 0;
    const int64_t *pairs = proto_get_ints(m, "cancel", &n);
    for (int i = 0; pairs && i + 1 < n; i += 2)
        s_cancel(w, (long)pairs[i], (int)pairs[i + 1], "lease lost");
}

/* An ERROR refusing our TELL of trial.attempt (re: TELL): never recorded, so not sent
 * again, and nothing of it is held (its lease expires, it runs again). True if so. */
static bool s_tell_refused(worker_t *w, const proto_msg_t *m)
{
    int64_t trial, attempt;
    const char *re = proto_get_str(m, "re");
    if (!re || strcmp(re, "TELL") != 0 || proto_get_int(m, "trial", &trial) != 0 ||
        proto_get_int(m, "attempt", &attempt) != 0)
        return false;
    if (s_tell_drop(w, (long)trial, (int)attempt))
        log_warn("trial %lld.%lld: result refused, not sent again", (long long)trial,
                 (long long)attempt);
    s_cancel(w, (long)trial, (int)attempt, "its result was refused");
    return true;
}

/* ---- coordinator messages ----------------------------------------------------------- */

static void s_on_welcome(worker_t *w, const proto_msg_t *m)
{
    int64_t hb = proto_int_or(m, "heartbeat_ms", 1000);
    w->heartbeat_ms = hb < 50 ? 50 : hb > 600000 ? 600000 : (int)hb;
    w->lease_ms = (int)proto_int_or(m, "lease_ms", 0);
    if (!w->welcomed)
        log_info("welcomed by coordinator (heartbeat %d ms, lease %d ms)", w->heartbeat_ms,
                 w->lease_ms);
    w->welcomed = true;
    w->unwelcome_since = 0;
    w->warned_at = 0;
    connwatch_ok(w->watch);
    w->asking = false;
    w->wait_until = 0;
    w->hb_at = 0; /* heartbeat at once: renews running trials' leases after a restart */
    for (tell_t *t = w->tells; t; t = t->next) {
        t->next_at = 0;
        t->backoff_ms = TELL_BACKOFF_MS;
    }
    for (upload_t *u = w->uploads; u; u = u->next)
        u->sent_at = 0;
}

static void s_on_error(worker_t *w, const proto_msg_t *m)
{
    const char *msg = proto_get_str(m, "msg"), *named = proto_get_str(m, "sha256");
    char sha[65], why[HPS_ERR_LEN];
    log_warn("coordinator: %s", msg);
    if (s_tell_refused(w, m))
        return;
    if (named && worker__upload_error(w, named, msg))
        return;
    /* The coordinator names the blob in its answer to a FETCH it cannot serve (an
     * older one only in the text). */
    if (named && is_sha256_hex(named) && blobcache_error(w->blobs, named, msg, now_ms(), why))
        s_blob_done(w, named, why);
    else if (!named && blobcache_fail_match(w->blobs, msg, sha))
        s_blob_done(w, sha, msg);
}

static void s_on_message(worker_t *w, proto_msg_t **m_p, int64_t now)
{
    proto_msg_t *m = *m_p;
    const char *type = proto_type(m);
    if (strcmp(type, "WELCOME") == 0)
        s_on_welcome(w, m);
    else if (strcmp(type, "TRIAL") == 0)
        s_on_trial(w, m_p, now);
    else if (strcmp(type, "WAIT") == 0) {
        w->asking = false;
        w->wait_until = now + proto_int_or(m, "ms", 1000);
    }
    else if (strcmp(type, "BYE") == 0) {
        if (!w->bye_deadline)
            log_info("coordinator says BYE; finishing %d running trial(s)", w->n_tasks);
        w->draining = true;
        w->asking = false;
        if (!w->bye_deadline)
            w->bye_deadline = now + BYE_GRACE_MS;
    }
    else if (strcmp(type, "RESET") == 0 && w->welcomed) {
        /* (Not welcomed: the HELLO timer is at it; a restart can send several RESETs.) */
        log_info("coordinator asks for HELLO again");
        w->welcomed = false;
        w->hello_at = 0;
    }
    else if (strcmp(type, "RESET") == 0)
        log_debug("RESET while saying HELLO already");
    else if (strcmp(type, "HB_ACK") == 0)
        s_on_cancel(w, m);
    else if (strcmp(type, "CONTINUE") == 0 || strcmp(type, "PRUNE") == 0) {
        task_t *t = s_task_find(w, (long)proto_int_or(m, "trial", -1),
                                (int)proto_int_or(m, "attempt", -1));
        if (t)
            s_answer_report(t, strcmp(type, "PRUNE") == 0);
    }
    else if (strcmp(type, "ACK") == 0)
        s_on_ack(w, m);
    else if (strcmp(type, "CHUNK") == 0)
        s_on_chunk(w, m);
    else if (strcmp(type, "PUT_ACK") == 0)
        worker__on_put_ack(w, m);
    else if (strcmp(type, "ERROR") == 0)
        s_on_error(w, m);
    else
        log_warn("unexpected %s from coordinator", type);
    proto_destroy(m_p);
}

static void s_drain_socket(worker_t *w)
{
    char err[HPS_ERR_LEN];
    while (!zsys_interrupted && (zsock_events(w->sock) & ZMQ_POLLIN)) {
        proto_msg_t *m = proto_recv(w->sock, NULL, err);
        if (m)
            s_on_message(w, &m, now_ms());
        else if (err[0])
            log_warn("malformed message from coordinator: %s", err);
        else
            break;
    }
}

/* ---- the loop --------------------------------------------------------------------- */

static void s_timers(worker_t *w, int64_t now)
{
    s_report_timeouts(w, now);
    if (!w->welcomed) {
        /* The connection came up (the handshake is done): say HELLO now rather than at
         * the next retry. */
        if (connwatch_came_up(w->watch) && w->hello_failed)
            w->hello_at = 0;
        int every = w->hello_failed ? HELLO_RETRY_MS : HELLO_RESEND_MS;
        if (w->hello_at == 0 || now - w->hello_at >= every)
            worker__send_hello(w, now);
        return; /* nothing else makes sense to a coordinator that does not know us */
    }
    s_beat_if_due(w, now);
    /* TELLs before the ASK: the sampler then sees a result before it proposes. */
    s_resend_tells(w, now);
    proto_msg_t *fetch;
    while ((fetch = blobcache_due(w->blobs, now)))
        s_send(w, &fetch);
    worker__uploads_due(w, now);
    s_maybe_ask(w, now);
}

static bool s_finished(worker_t *w, int64_t now)
{
    if (w->draining && !w->tasks && !w->tells && !w->uploads)
        return true;
    if (w->bye_deadline && now >= w->bye_deadline) {
        log_warn("BYE grace over: stopping %d trial(s), %s unACKed TELLs", w->n_tasks,
                 w->tells ? "dropping" : "no");
        return true;
    }
    return false;
}

/* How long the loop may sleep: TICK_MS, less when a WAIT ends sooner (the next ASK is
 * due then, not at the next tick). */
static int s_sleep_ms(const worker_t *w, int64_t now)
{
    int64_t ms = TICK_MS;
    if (w->welcomed && !w->draining && w->wait_until > now && w->wait_until - now < ms)
        ms = w->wait_until - now;
    return (int)ms;
}

/* Poll the socket, the connection monitor while no WELCOME came, and the running
 * children's sockets; -1 with err on a poll failure. */
static int s_poll(worker_t *w, char *err)
{
    zmq_pollitem_t *items = xcalloc((size_t)w->n_tasks + 2, sizeof *items);
    items[0].socket = zsock_resolve(w->sock);
    items[0].events = ZMQ_POLLIN;
    int n = 1, timeout = s_sleep_ms(w, now_ms());
    if (!w->welcomed) {
        items[n].socket = zsock_resolve(connwatch_socket(w->watch));
        items[n++].events = ZMQ_POLLIN;
    }
    for (task_t *t = w->tasks; t; t = t->next) {
        if (t->phase != TASK_RUNNING)
            continue;
        if (runner_fd(t->runner) < 0) {
            timeout = REAP_TICK_MS;
            continue;
        }
        items[n].fd = runner_fd(t->runner);
        items[n++].events = ZMQ_POLLIN;
    }
    int rc = zmq_poll(items, n, timeout);
    free(items);
    if (rc < 0 && zmq_errno() != EINTR)
        return set_err(err, "zmq_poll: %s", zmq_strerror(zmq_errno()));
    return 0;
}

static int s_loop(worker_t *w, char *err)
{
    while (!zsys_interrupted) {
        int64_t now = now_ms();
        if (s_finished(w, now))
            return 0;
        s_timers(w, now);
        if (s_poll(w, err) != 0)
            return -1;
        s_drain_socket(w);
        s_poll_children(w, now_ms());
        s_start_queued(w);
    }
    log_info("interrupted: stopping %d trial(s)", w->n_tasks);
    return 0;
}

int worker_run(const worker_opts_t *opts, char *err)
{
    assert(opts && err);
    worker_t w;
    int rc = worker__init(&w, opts, err);
    if (rc == 0) {
        log_info("connecting to %s with %d slot(s)", opts->endpoint, w.slots);
        rc = s_loop(&w, err);
    }
    worker__fini(&w);
    return rc;
}
