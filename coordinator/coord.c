/* coord — the coordinator's ROUTER loop (see coord.h).
 *
 * Each connection has a routing id of its own (the ROUTER makes one up; workers set
 * none), so a worker's new connection is never parked behind an old one still held
 * here. A message from a connection that has not said HELLO (a worker reconnected, or
 * this coordinator restarted) is answered RESET and the worker says HELLO again; the
 * name rule (wname.h) then moves the name, and its leases, to the new connection when
 * it is the same worker. Leases belong to the scheduler; this file translates messages
 * (the worker table is coord_workers.c).
 *
 * Every message from a known worker renews its last_seen in memory. The file's
 * workers.last_seen follows at most every lease_ms / STORE_HEARD_FLUSH_DIV (one small
 * transaction for all workers heard since), and at once before a STATUS reply, so
 * `hps status --to` is exact and `--db` a fraction of a lease behind, without a write
 * per heartbeat. */
#include "coordinator/coord.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/blobs.h"
#include "coordinator/coord_priv.h"
#include "coordinator/dblock.h"
#include "coordinator/guard.h"
#include "coordinator/progress.h"
#include "coordinator/schedule.h"
#include "coordinator/study_check.h"
#include "coordinator/zap.h"
#include "core/auth.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/report.h"
#include "core/store.h"
#include "core/study_diff.h"

/* Reply to the sender. Inside a batch the reply waits in the outbox: nothing is
 * acknowledged before the commit that makes it true. */
void coord__send(ctx_t *c, proto_msg_t **m)
{
    coord_t *self = c->self;
    if (!self->outbox) {
        if (proto_send(m, self->sock, c->route) != 0)
            log_warn("send failed: %s", zmq_strerror(zmq_errno()));
        return;
    }
    char *buf;
    size_t len;
    proto_encode(*m, &buf, &len);
    if (len > PROTO_MAX_FRAME) { /* the peer would drop it: say so instead */
        log_warn("a %s reply of %zu bytes is too large to send", proto_type(*m), len);
        free(buf);
        proto_destroy(m);
        proto_msg_t *e = proto_new("ERROR");
        proto_set_str(e, "msg", "reply too large");
        proto_encode(e, &buf, &len);
        proto_destroy(&e);
    }
    proto_destroy(m);
    zmsg_t *z = zmsg_new();
    zframe_t *route = zframe_dup(c->route);
    if (!z || !route || zmsg_append(z, &route) != 0 || zmsg_addmem(z, buf, len) != 0)
        log_warn("cannot queue a reply");
    else
        zlistx_add_end(self->outbox, z), z = NULL;
    zframe_destroy(&route);
    zmsg_destroy(&z);
    free(buf);
}

void coord__error(ctx_t *c, const char *msg)
{
    char *who = zframe_strhex(c->route);
    log_warn("%s from %s: %s", c->msg ? proto_type(c->msg) : "message", who, msg);
    free(who);
    proto_msg_t *m = proto_new("ERROR");
    proto_set_str(m, "msg", msg);
    /* A refused TELL is named, so that its worker stops sending it (and stops holding
     * the trial: its lease expires and the trial runs again). */
    int64_t trial, attempt;
    if (c->msg && strcmp(proto_type(c->msg), "TELL") == 0 &&
        proto_get_int(c->msg, "trial", &trial) == 0 &&
        proto_get_int(c->msg, "attempt", &attempt) == 0) {
        proto_set_str(m, "re", "TELL");
        proto_set_int(m, "trial", trial);
        proto_set_int(m, "attempt", attempt);
    }
    coord__send(c, &m);
}

void coord__simple(ctx_t *c, const char *type)
{
    proto_msg_t *m = proto_new(type);
    coord__send(c, &m);
}

static void s_wait(ctx_t *c, int ms)
{
    proto_msg_t *m = proto_new("WAIT");
    proto_set_int(m, "ms", ms);
    coord__send(c, &m);
}

/* The TRIAL message of lease l. */
static proto_msg_t *s_trial_msg(const sched_lease_t *l)
{
    proto_msg_t *m = proto_new("TRIAL");
    proto_set_str(m, "study", l->study);
    proto_set_int(m, "trial", l->trial);
    proto_set_int(m, "attempt", l->attempt);
    proto_set_int(m, "number", l->number);
    proto_set_dbls(m, "x", l->x, l->nx);
    proto_set_str(m, "config", l->config);
    proto_set_str(m, "data", l->data);
    if (l->code && l->code[0])
        proto_set_str(m, "code", l->code);
    proto_set_int(m, "seed", (int64_t)(l->seed >> 1));
    proto_set_str(m, "kind", l->final ? "final" : "search");
    if (l->timeout > 0)
        proto_set_dbl(m, "timeout", l->timeout);
    if (l->gpus > 0)
        proto_set_int(m, "gpus", l->gpus);
    return m;
}

/* Embedded run, every study over: BYE to worker w (on c's route), recorded as gone;
 * why: what brought it ("its ASK", "all done"). */
static void s_bye(ctx_t *c, worker_rec_t *w, const char *why)
{
    char err[HPS_ERR_LEN];
    if (!w->byed && store_worker_left(c->self->store, w->name, err) != 0)
        log_warn("%s", err);
    w->byed = true;
    log_debug("BYE to worker %s (%s)", w->name, why);
    coord__simple(c, "BYE");
}

/* An ASK for `want` trials (ASK's slots_free, or a TELL's ask): as many TRIALs as
 * that (and as there is room for under the worker's slots + prefetch), in one answer,
 * so that a worker of S slots fills them in one round trip and not S; each TRIAL's
 * `more` counts those after it. Nothing leased: WAIT (or BYE once every study is over). */
static void s_ask(ctx_t *c, int64_t want)
{
    coord_t *self = c->self;
    worker_rec_t *w = coord__worker(c);
    if (!w)
        return;
    int room = w->slots + w->prefetch - sched_leases_of(self->sched, w->name);
    int n_want = want < 1 ? 1 : want < room ? (int)want : room;
    /* Full: usually its TELL is still on the way; ask again soon. */
    if (room <= 0) {
        s_wait(c, 20);
        return;
    }
    proto_msg_t **trials = xmalloc(sizeof *trials * (size_t)n_want);
    int n = 0, rc = SCHED_LEASED;
    sched_lease_t l;
    char err[HPS_ERR_LEN];
    while (n < n_want &&
           (rc = sched_next_for(self->sched, w->name, &w->caps, &l, err)) == SCHED_LEASED)
        trials[n++] = s_trial_msg(&l);
    for (int i = 0; i < n; i++) {
        proto_set_int(trials[i], "more", n - 1 - i);
        coord__send(c, &trials[i]);
    }
    free(trials);
    if (n > 0)
        return; /* the rest (an error included) is for the worker's next ASK */
    if (rc < 0)
        coord__error(c, err);
    else if (rc == SCHED_ALL_DONE && self->opts.exit_when_done)
        s_bye(c, w, "its ASK");
    else
        s_wait(c, rc == SCHED_NOTHING ? 50 : self->opts.heartbeat_ms);
}

static void s_on_ask(ctx_t *c) { s_ask(c, proto_int_or(c->msg, "slots_free", 1)); }

static void s_on_report(ctx_t *c)
{
    int64_t trial = proto_int_or(c->msg, "trial", 0), attempt = proto_int_or(c->msg, "attempt", 0);
    if (attempt < 1 || attempt > 1000000) {
        coord__error(c, "REPORT: attempt out of range");
        return;
    }
    if (!coord__from_holder(c, trial, attempt, false))
        return;
    bool prune;
    char err[HPS_ERR_LEN];
    if (sched_report(c->self->sched, trial, (int)attempt, (long)proto_int_or(c->msg, "step", 0),
                     proto_dbl_or(c->msg, "value", NAN), &prune, err) != 0) {
        coord__error(c, err);
        return;
    }
    proto_msg_t *m = proto_new(prune ? "PRUNE" : "CONTINUE");
    proto_set_int(m, "trial", trial);
    proto_set_int(m, "attempt", attempt);
    coord__send(c, &m);
}

static void s_on_tell(ctx_t *c)
{
    store_result_t r;
    int64_t trial;
    int attempt;
    char err[HPS_ERR_LEN];
    if (coord__tell_result(c->msg, &r, &trial, &attempt, err) != 0) {
        coord__error(c, err);
        return;
    }
    if (!coord__from_holder(c, trial, attempt, false))
        return;
    coord__tell_artifact(c, &r); /* a model file not received: a FAIL, never registered */
    int rc = sched_tell(c->self->sched, trial, attempt, &r, err);
    if (rc < 0 || (rc != TELL_STALE &&
                   coord__register_artifact(c, trial, &r, rc == TELL_RECORDED, err) != 0)) {
        coord__error(c, err);
        return;
    }
    proto_msg_t *m = proto_new("ACK");
    proto_set_int(m, "trial", trial);
    proto_set_int(m, "attempt", attempt);
    if (rc == TELL_STALE)
        proto_set_int(m, "stale", 1);
    coord__send(c, &m);
    int64_t ask = proto_int_or(c->msg, "ask", 0);
    if (ask > 0)
        s_ask(c, ask); /* the worker's next ASK rode along */
}

/* An ERROR answering a FETCH or PUT names the blob, so the worker can give up on it. */
static void s_blob_error(ctx_t *c, const char *sha, const char *msg)
{
    log_warn("%s %.12s: %s", proto_type(c->msg), sha ? sha : "?", msg);
    proto_msg_t *m = proto_new("ERROR");
    proto_set_str(m, "msg", msg);
    if (sha)
        proto_set_str(m, "sha256", sha);
    coord__send(c, &m);
}

static void s_on_fetch(ctx_t *c)
{
    const char *sha = proto_get_str(c->msg, "sha256");
    int64_t offset = proto_int_or(c->msg, "offset", 0), total;
    char *data, err[HPS_ERR_LEN];
    size_t len;
    if (blob_read(c->self->blob_dir, sha, offset, PROTO_CHUNK, &data, &len, &total, err) != 0) {
        s_blob_error(c, sha, err);
        return;
    }
    proto_msg_t *m = proto_new("CHUNK");
    proto_set_str(m, "sha256", sha);
    proto_set_int(m, "offset", offset);
    proto_set_int(m, "total", total);
    proto_set_bin(m, "data", data, len);
    free(data);
    coord__send(c, &m);
}

static void s_on_put(ctx_t *c)
{
    int64_t trial; /* a worker's model upload names its lease (worker/upload.h) */
    if (proto_get_int(c->msg, "trial", &trial) == 0
            ? !coord__from_holder(c, trial, proto_int_or(c->msg, "attempt", 0), true)
            : !coord__may_submit(c))
        return;
    size_t len;
    const void *data = proto_get_bin(c->msg, "data", &len);
    const char *sha = proto_get_str(c->msg, "sha256");
    int64_t next;
    char err[HPS_ERR_LEN];
    if (blob_put(c->self->blob_dir, sha, proto_int_or(c->msg, "offset", 0),
                 proto_int_or(c->msg, "total", 0), (int64_t)c->self->opts.max_blob_mb << 20,
                 data, len, &next, err) != 0) {
        s_blob_error(c, sha, err);
        return;
    }
    proto_msg_t *m = proto_new("PUT_ACK");
    proto_set_str(m, "sha256", sha);
    proto_set_int(m, "offset", next);
    coord__send(c, &m);
}

/* budgeted: a request any peer may send, and costly (a client's): within the peer's
 * budget (guard.h), or dropped unanswered. */
typedef struct {
    const char *type;
    void (*fn)(ctx_t *c);
    bool budgeted;
} handler_t;

static const handler_t s_handlers[] = {
    {"HELLO", coord__on_hello, false},      {"ASK", s_on_ask, false},
    {"HEARTBEAT", coord__on_heartbeat, false}, {"REPORT", s_on_report, false},
    {"TELL", s_on_tell, false},             {"FETCH", s_on_fetch, false},
    {"PUT", s_on_put, false},               {"SUBMIT", coord__on_submit, true},
    {"STATUS", coord__on_status, true},     {"STOP", coord__on_stop, true},
    {"RESUME", coord__on_resume, true},     {"ENQUEUE", coord__on_enqueue, true},
};

static bool s_within_budget(ctx_t *c)
{
    char *peer = zframe_strhex(c->route);
    bool ok = guard_take(c->self->guard, peer, now_ms());
    free(peer);
    return ok;
}

static void s_handle_one(coord_t *self)
{
    char err[HPS_ERR_LEN], user_id[64];
    ctx_t c = {.self = self, .user_id = user_id};
    c.msg = proto_recv_auth(self->sock, &c.route, user_id, err);
    if (!c.msg) {
        if (c.route && *err)
            coord__error(&c, err);
        zframe_destroy(&c.route);
        return;
    }
    if (c.route) {
        char *key = zframe_strhex(c.route);
        c.worker = zhashx_lookup(self->workers, key);
        free(key);
        if (c.worker)
            c.worker->last_seen = now_ms(); /* whatever it says, it is alive */
    }
    size_t i = 0;
    while (i < ARRAY_SIZE(s_handlers) && strcmp(s_handlers[i].type, proto_type(c.msg)) != 0)
        i++;
    if (!c.route)
        log_warn("message without a route");
    else if (limits_check_msg(c.msg, err) != 0)
        coord__error(&c, err);
    else if (i < ARRAY_SIZE(s_handlers) && s_handlers[i].budgeted && !s_within_budget(&c))
        log_debug("%s over its peer's budget: dropped", proto_type(c.msg));
    else if (i < ARRAY_SIZE(s_handlers))
        s_handlers[i].fn(&c);
    else
        coord__error(&c, "unexpected message type for a coordinator");
    proto_destroy(&c.msg);
    zframe_destroy(&c.route);
    self->n_msgs++;
}

static int s_drain(coord_t *self, char *err);

/* Before leases expire, what is queued is handled (a drain stops at 256 messages: the
 * heartbeats that came during a stall may wait behind more). After a stall of over
 * half a lease (SIGSTOP, a host swapping), nothing expires for one lease: heartbeats
 * still in the kernel's buffers come in, and every live worker sends a new one.
 * *hold: leave leases and workers be this tick. */
static int s_before_expiry(coord_t *self, bool *hold, char *err)
{
    for (int n = 0; n < 64 && (zsock_events(self->sock) & ZMQ_POLLIN); n++)
        if (s_drain(self, err) != 0)
            return -1;
    int64_t now = now_ms(), lease = (int64_t)self->opts.lease_ms;
    if (self->ticked_at && now - self->ticked_at > lease / 2) {
        log_warn("the coordinator did not run for %.1f s: no lease expires for %.1f s",
                 (double)(now - self->ticked_at) / 1000, (double)lease / 1000);
        self->hold_expiry = now + lease;
    }
    self->ticked_at = now;
    *hold = now < self->hold_expiry;
    return 0;
}

/* Periodic work: expire leases, forget silent workers, report progress. */
static int s_tick(coord_t *self, char *err)
{
    bool hold;
    if (s_before_expiry(self, &hold, err) != 0 || (!hold && sched_expire(self->sched, err) < 0))
        return -1;
    int64_t now = now_ms();
    zlistx_t *gone = zlistx_new();
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers))
        if (!hold && now - w->last_seen > 3 * (int64_t)self->opts.lease_ms)
            zlistx_add_end(gone, (void *)zhashx_cursor(self->workers));
    for (const char *k = zlistx_first(gone); k; k = zlistx_next(gone))
        zhashx_delete(self->workers, k);
    zlistx_destroy(&gone);
    if (now - self->heard_flushed_at >= self->opts.lease_ms / STORE_HEARD_FLUSH_DIV)
        coord__flush_heard(self);
    guard_tick(self->guard, self->store, self->blob_dir, now);
    if (now - self->waiting_at >= COORD_WAITING_LOG_MS)
        coord__log_waiting(self, now);
    return 0;
}

/* Embedded run: done once idle and every live worker got BYE (or after a grace). */
static bool s_finished(coord_t *self)
{
    if (!self->opts.exit_when_done || !sched_idle(self->sched)) {
        self->idle_since = 0;
        return false;
    }
    if (!self->idle_since)
        self->idle_since = now_ms();
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers))
        if (!w->byed)
            return now_ms() - self->idle_since > 2 * (int64_t)self->opts.heartbeat_ms + 1000;
    return true;
}

static void s_outbox_free(void **item)
{
    zmsg_destroy((zmsg_t **)item);
}

/* The routing id whose hex text (zframe_strhex) is hex; NULL when it is not such. */
static zframe_t *s_route_from_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    unsigned char bytes[256];
    if (n == 0 || n > sizeof bytes || strlen(hex) % 2)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return NULL;
        bytes[i] = (unsigned char)v;
    }
    return zframe_new(bytes, n);
}

/* fn(c, w) for every worker w, c addressed to it. */
static void s_each_worker(coord_t *self, void (*fn)(ctx_t *c, worker_rec_t *w))
{
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers)) {
        ctx_t c = {.self = self, .route = s_route_from_hex(zhashx_cursor(self->workers)),
                   .worker = w};
        if (c.route)
            fn(&c, w);
        zframe_destroy(&c.route);
    }
}

static void s_bye_left(ctx_t *c, worker_rec_t *w)
{
    if (!w->byed)
        s_bye(c, w, "all done");
}

/* A worker with a free slot holds a WAIT (of up to a heartbeat when there was nothing
 * to do): WAIT 0 ends it, and its ASK comes now. */
static void s_wake(ctx_t *c, worker_rec_t *w)
{
    if (w->byed || sched_leases_of(c->self->sched, w->name) >= w->slots)
        return;
    log_debug("trials added: worker %s asked to ask now", w->name);
    s_wait(c, 0);
}

/* After a batch: in an embedded run once every study is over, BYE at once to every
 * worker not told yet, so that one waiting out a WAIT, or between two ASKs, does not
 * have to ask first; else, when the batch added trials (SUBMIT, RESUME, ENQUEUE),
 * idle workers are woken to ask for them. */
static void s_tell_workers(coord_t *self)
{
    if (self->opts.exit_when_done && sched_idle(self->sched))
        s_each_worker(self, s_bye_left);
    else if (self->added_work)
        s_each_worker(self, s_wake);
    self->added_work = false;
}

/* Handle what is queued (up to a bound, to come back to the timers) as one batch:
 * one commit, then every reply. A failed commit is fatal: memory may be ahead of the
 * file, and a restart replays the file. */
static int s_drain(coord_t *self, char *err)
{
    if (store_batch_begin(self->store, err) != 0)
        return -1;
    self->outbox = zlistx_new();
    assert(self->outbox);
    zlistx_set_destructor(self->outbox, s_outbox_free);
    for (int n = 0; n < 256 && (zsock_events(self->sock) & ZMQ_POLLIN); n++)
        s_handle_one(self);
    s_tell_workers(self); /* after the batch's replies, in its transaction */
    zlistx_t *outbox = self->outbox;
    self->outbox = NULL;
    int rc = store_batch_commit(self->store, err);
    zmsg_t *z;
    while (rc == 0 && (z = zlistx_detach(outbox, NULL))) {
        if (zmsg_send(&z, self->sock) != 0)
            log_warn("send failed: %s", zmq_strerror(zmq_errno()));
        zmsg_destroy(&z);
    }
    zlistx_destroy(&outbox);
    return rc;
}

/* Slots of the workers not yet told BYE: how many leases can be running at once. */
static long s_slots(coord_t *self)
{
    long n = 0;
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers))
        n += w->byed ? 0 : w->slots;
    return n;
}

int coord_run(coord_t *self, char *err)
{
    zpoller_t *poller = zpoller_new(self->sock, NULL);
    assert(poller);
    if (self->fdcap && zpoller_add(poller, fdcap_socket(self->fdcap)) != 0)
        log_warn("cannot poll the connection monitor: %s", zmq_strerror(zmq_errno()));
    int tick_ms = self->opts.heartbeat_ms / 4 > 10 ? self->opts.heartbeat_ms / 4 : 10;
    int64_t last_tick = now_ms();
    progress_t *progress = progress_new(self->opts.progress, stderr);
    int rc = 0;
    while (rc == 0 && !zsys_interrupted && !s_finished(self)) {
        void *which = zpoller_wait(poller, tick_ms);
        if (which == self->sock && (rc = s_drain(self, err)) != 0)
            break; /* a batch that did not commit: memory is ahead of the file */
        if (sched_broken(self->sched)) {
            rc = set_err(err, "a state change failed halfway (see above); restart the "
                              "coordinator to replay the study file");
            break;
        }
        if (which != self->sock && zpoller_terminated(poller))
            break;
        int64_t now = now_ms();
        if (self->fdcap)
            fdcap_handle(self->fdcap, now);
        if (now - last_tick >= tick_ms) {
            last_tick = now;
            rc = s_tick(self, err);
        }
        /* s_slots walks every worker: not per wake-up when nothing is shown */
        progress_tick(progress, self->sched, self->opts.progress ? s_slots(self) : 0, now);
    }
    /* also after Ctrl-C: ends the line */
    progress_end(progress, self->sched, s_slots(self), now_ms());
    progress_destroy(&progress);
    zpoller_destroy(&poller);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0 && self->n_msgs > 0) {
        double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
        log_info("handled %ld messages, %.1f us CPU per message (process total %.2f s)",
                 self->n_msgs, cpu * 1e6 / (double)self->n_msgs, cpu);
    }
    return rc;
}

int coord_release_leases(coord_t *self, char *err)
{
    if (store_batch_begin(self->store, err) != 0)
        return -1;
    /* Each release is atomic on its own (store first, then memory): the ones made
     * before a failure are kept, and what failed stays RUNNING in both. */
    int n = sched_release_all(self->sched, err);
    char commit_err[HPS_ERR_LEN];
    int rc = store_batch_commit(self->store, n < 0 ? commit_err : err);
    return n < 0 || rc != 0 ? -1 : n;
}

static int s_setup_curve(coord_t *self, bool *usage, char *err)
{
    const coord_opts_t *o = &self->opts;
    const char *bad = auth_endpoint_problem(o->bind);
    if (bad) {
        *usage = true;
        return set_err(err, "--bind %s: %s", o->bind, bad);
    }
    if (!o->cert_path) {
        if (auth_endpoint_local(o->bind)) /* nobody else can connect */
            return 0;
        *usage = true;
        return set_err(err, "%s is not a loopback address: CURVE keys are required "
                            "(--cert FILE --allow DIR; see hps keygen)", o->bind);
    }
    if (!o->allow_dir) {
        *usage = true;
        return set_err(err, "--cert needs --allow DIR (the public keys of allowed clients)");
    }
    /* zauth takes "*" as any key, and a directory without keys as nobody: both silent. */
    if (auth_check_key_dir("--allow", o->allow_dir, err) != 0 ||
        (o->submitters_dir && auth_check_key_dir("--submitters", o->submitters_dir, err) != 0)) {
        *usage = true;
        return -1;
    }
    /* zcert_load reads FILE_secret when it exists, else FILE: the secret file's own name
     * and its public name both work. */
    zcert_t *cert = zcert_load(o->cert_path);
    if (!cert || !*zcert_secret_txt(cert) || strcmp(zcert_secret_txt(cert), "0000000000"
                                                    "000000000000000000000000000000") == 0) {
        zcert_destroy(&cert);
        *usage = true;
        return set_err(err, "%s: cannot load a CURVE secret key", o->cert_path);
    }
    self->auth = zap_new(o->allow_dir, err); /* names the keys it refuses */
    if (!self->auth) {
        zcert_destroy(&cert);
        return -1;
    }
    zcert_apply(cert, self->sock);
    zsock_set_curve_server(self->sock, 1);
    zsock_set_zap_domain(self->sock, "hps");
    zcert_destroy(&cert);
    if (o->submitters_dir)
        self->submitters = zcertstore_new(o->submitters_dir);
    return 0;
}

/* Lock and open the study file. What they create (the DB, the blob directory; SQLite
 * gives the -wal and -shm files the DB's mode) is the owner's only, whatever the umask:
 * the DB holds every config and result, the directory every uploaded dataset. */
static void s_open_private(coord_t *self, char *err)
{
    mode_t old = umask(077);
    self->lock = dblock_acquire(self->opts.db_path, err);
    self->store = self->lock ? store_open(self->opts.db_path, true, self->opts.sync_full, err)
                             : NULL;
    if (self->store && dblock_pin(self->lock, self->opts.db_path, err) != 0)
        store_close(&self->store);
    umask(old);
}

/* The duplicate of opts.listen_fd that zmq serves bind on (ZMQ_USE_FD; zmq closes it
 * with the socket), or -1: none given, or it cannot be duplicated (then zmq binds the
 * path anew, and connections already queued on the old socket are retried). */
static int s_use_fd(coord_t *self)
{
    if (self->opts.listen_fd <= 0)
        return -1;
    int fd = fcntl(self->opts.listen_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        log_warn("cannot use the listening socket made for %s: %s", self->opts.bind,
                 strerror(errno));
        return -1;
    }
    zsock_set_use_fd(self->sock, fd);
    return fd;
}

coord_t *coord_new(const coord_opts_t *opts, bool *usage, char *err)
{
    *usage = false;
    coord_t *self = xcalloc(1, sizeof *self);
    self->opts = *opts;
    if (self->opts.heartbeat_ms <= 0)
        self->opts.heartbeat_ms = 1000;
    if (self->opts.lease_ms <= 0)
        self->opts.lease_ms = 10000;
    if (self->opts.max_blob_mb <= 0)
        self->opts.max_blob_mb = 1024;
    self->workers = zhashx_new();
    zhashx_set_destructor(self->workers, coord__worker_free);
    self->guard = guard_new(GUARD_RATE, GUARD_BURST);
    self->blob_dir = xasprintf("%s.blobs", opts->db_path);
    self->sock = zsock_new(ZMQ_ROUTER);
    if (!self->sock) {
        set_err(err, "cannot create socket");
        coord_destroy(&self);
        return NULL;
    }
    /* No ROUTER handover: a second connection under a connected worker's routing id
     * must not take its replies over. Workers set no routing id (each connection gets
     * a new one); TCP keepalive closes dead connections (guard.h). */
    zsock_set_router_handover(self->sock, 0);
    guard_socket(self->sock, self->opts.heartbeat_ms);
    zsock_set_rcvhwm(self->sock, 100000);
    zsock_set_linger(self->sock, 200);
    if (s_setup_curve(self, usage, err) != 0) {
        coord_destroy(&self);
        return NULL;
    }
    s_open_private(self, err);
    self->sched =
        self->store ? sched_new(self->store, self->opts.lease_ms, opts->only_study, err) : NULL;
    if (!self->sched) {
        coord_destroy(&self);
        return NULL;
    }
    int fd = s_use_fd(self);
    if (zsock_bind(self->sock, "%s", opts->bind) < 0) {
        set_err(err, "cannot bind %s: %s", opts->bind, zmq_strerror(zmq_errno()));
        if (fd >= 0)
            close(fd); /* zmq takes it only once the endpoint parses */
        *usage = true;
        coord_destroy(&self);
        return NULL;
    }
    guard_tick(self->guard, self->store, self->blob_dir, 0);
    self->endpoint = zsock_last_endpoint(self->sock);
    if (!self->endpoint)
        self->endpoint = xstrdup(opts->bind);
    /* a live worker is heard from every heartbeat: three missed and it may go */
    long silent = 3L * self->opts.heartbeat_ms;
    self->fdcap = fdcap_new(self->sock, self->endpoint, silent > 1000 ? silent : 1000, err);
    if (!self->fdcap && err[0])
        log_warn("connections are not capped below the open-file limit: %s", err);
    log_info("coordinator on %s, db %s%s", self->endpoint, opts->db_path,
             self->auth ? " (CURVE)" : "");
    return self;
}

void coord_destroy(coord_t **self_p)
{
    assert(self_p);
    coord_t *self = *self_p;
    if (!self)
        return;
    fdcap_destroy(&self->fdcap);
    zsock_destroy(&self->sock);
    zactor_destroy(&self->auth);
    zcertstore_destroy(&self->submitters);
    zhashx_destroy(&self->workers);
    free(self->waiting_logged);
    guard_destroy(&self->guard);
    sched_destroy(&self->sched);
    store_close(&self->store);
    dblock_release(&self->lock);
    free(self->blob_dir);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

const char *coord_blob_dir(coord_t *self) { return self->blob_dir; }
