/* coord_workers — the coordinator's worker table: HELLO and the name rule (wname.h),
 * heartbeats, when each worker was last heard from, and whether a result comes from the
 * holder of its lease. Internal to coordinator/ (coord_priv.h). */
#include <string.h>

#include "coordinator/coord_priv.h"
#include "coordinator/schedule.h"
#include "coordinator/wname.h"
#include "core/log.h"
#include "core/store.h"

void coord__worker_free(void **item)
{
    worker_rec_t *w = *item;
    if (!w)
        return;
    free(w->name);
    capable_clear(&w->caps);
    free(w);
    *item = NULL;
}

/* The worker behind this route, or NULL after answering RESET. */
worker_rec_t *coord__worker(ctx_t *c)
{
    if (!c->worker)
        coord__simple(c, "RESET");
    return c->worker;
}

/* Write the last_seen times that moved since their last write, in the open transaction
 * (a batch) or in one of their own. A failure is logged: the times are only advice. */
void coord__flush_heard(coord_t *self)
{
    int64_t now = now_ms();
    double epoch = now_secs();
    self->heard_flushed_at = now;
    char err[HPS_ERR_LEN];
    bool own = false;
    int rc = 0;
    for (worker_rec_t *w = zhashx_first(self->workers); w && rc == 0;
         w = zhashx_next(self->workers)) {
        if (w->last_seen <= w->flushed)
            continue;
        if (!own && !store_in_batch(self->store)) {
            if ((rc = store_batch_begin(self->store, err)) != 0)
                break;
            own = true;
        }
        double at = epoch - (double)(now - w->last_seen) / 1e3;
        if ((rc = store_worker_heard(self->store, w->name, at, err)) == 0)
            w->flushed = w->last_seen;
    }
    if (rc != 0)
        log_warn("recording when workers were last heard from: %s", err);
    if (own && store_batch_commit(self->store, err) != 0)
        log_warn("recording when workers were last heard from: %s", err);
}

/* The worker record that holds name (its route hex in *route, caller frees), or NULL. */
static worker_rec_t *s_name_holder(coord_t *self, const char *name, char **route)
{
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers))
        if (w->name && strcmp(w->name, name) == 0) {
            *route = xstrdup(zhashx_cursor(self->workers));
            return w;
        }
    *route = NULL;
    return NULL;
}

/* Judge a HELLO under name by the rule of wname.h: WNAME_REFUSE is answered (ERROR) and
 * logged. A name that moves to this connection leaves its old one's record, so that a
 * name has one connection and results are taken from that one alone. */
static int s_hello_judge(ctx_t *c, const char *name, long pid)
{
    coord_t *self = c->self;
    char *route, err[HPS_ERR_LEN], why[HPS_ERR_LEN];
    worker_rec_t *h = s_name_holder(self, name, &route);
    wname_holder_t facts = {.known = h != NULL, .key = h ? h->key : "", .pid = h ? h->pid : 0,
                            .live = h && now_ms() - h->last_seen <= self->opts.lease_ms};
    char *stored_key = NULL;
    if (!h && store_worker_binding(self->store, name, &facts.stored_pid, &stored_key, err) < 0)
        log_warn("%s", err);
    facts.stored_key = stored_key;
    int verdict = wname_decide(&facts, self->auth != NULL, c->user_id, pid, why);
    free(stored_key);
    if (verdict == WNAME_REFUSE) {
        set_err(err, "worker %s: %s", name, why);
        coord__error(c, err);
    } else if (h && h != c->worker) {
        log_info("worker %s moves to a new connection", name);
        zhashx_delete(self->workers, route);
    }
    free(route);
    return verdict;
}

void coord__on_hello(ctx_t *c)
{
    coord_t *self = c->self;
    const char *name = proto_get_str(c->msg, "worker");
    int64_t slots = proto_int_or(c->msg, "slots", 1), pid = proto_int_or(c->msg, "pid", 0);
    int64_t prefetch = proto_int_or(c->msg, "prefetch", 0);
    if (slots < 1 || slots > 4096 || prefetch < 0 || prefetch > 64) {
        coord__error(c, "slots must be 1..4096 and prefetch 0..64");
        return;
    }
    capable_t caps;
    char err[HPS_ERR_LEN];
    if (capable_from_hello(c->msg, &caps, err) != 0) {
        coord__error(c, err);
        return;
    }
    int verdict = s_hello_judge(c, name, (long)pid);
    if (verdict == WNAME_REFUSE) {
        capable_clear(&caps);
        return;
    }
    char *key = zframe_strhex(c->route);
    worker_rec_t *w = zhashx_lookup(self->workers, key);
    if (!w) {
        w = xcalloc(1, sizeof *w);
        zhashx_insert(self->workers, key, w);
        char res[256];
        capable_list_text(&caps.res, res, sizeof res);
        log_info("worker %s joined (%lld slots%s%s)", name, (long long)slots, *res ? "; " : "",
                 res);
    }
    free(key);
    free(w->name);
    w->name = xstrdup(name);
    w->slots = (int)slots;
    w->prefetch = (int)prefetch;
    w->last_seen = w->flushed = now_ms();
    w->byed = false;
    w->pid = (long)pid;
    snprintf(w->key, sizeof w->key, "%s", c->user_id);
    capable_clear(&w->caps);
    w->caps = caps;
    /* Another process of the same worker (a restart): the old one is gone, and its
     * leases with it. The same process after our restart keeps them. */
    if (verdict == WNAME_RESTART) {
        int n = sched_release_worker(self->sched, name, err);
        if (n > 0)
            log_warn("worker %s restarted: its %d trial(s) go back to the queue", name, n);
        if (n < 0)
            log_error("%s", err);
    }
    if (store_worker_seen(self->store, name, proto_get_str(c->msg, "host"), (long)pid,
                          (int)slots, self->opts.lease_ms, err) != 0 ||
        (*c->user_id && store_worker_bind_key(self->store, name, c->user_id, err) != 0))
        log_warn("%s", err);
    proto_msg_t *m = proto_new("WELCOME");
    proto_set_int(m, "heartbeat_ms", self->opts.heartbeat_ms);
    proto_set_int(m, "lease_ms", self->opts.lease_ms);
    coord__send(c, &m);
}

void coord__on_heartbeat(ctx_t *c)
{
    worker_rec_t *w = coord__worker(c);
    if (!w)
        return;
    int n;
    const int64_t *pairs = proto_get_ints(c->msg, "running", &n);
    int64_t *cancel;
    int n_cancel;
    sched_heartbeat(c->self->sched, w->name, pairs, n, &cancel, &n_cancel);
    proto_msg_t *m = proto_new("HB_ACK");
    if (n_cancel)
        proto_set_ints(m, "cancel", cancel, n_cancel);
    free(cancel);
    coord__send(c, &m);
}

/* Results are taken from the lease holder alone: a connection that said HELLO, with
 * the key it said it with, under the name that holds the lease. False when refused
 * (answered: RESET to a connection that never said HELLO, else ERROR; logged). */
bool coord__from_holder(ctx_t *c, int64_t trial, int64_t attempt, bool running)
{
    worker_rec_t *w = c->worker;
    const char *type = proto_type(c->msg);
    if (!w) {
        log_warn("%s for trial %lld from a connection that did not say HELLO: refused", type,
                 (long long)trial);
        coord__simple(c, "RESET");
        return false;
    }
    char why[HPS_ERR_LEN], err[HPS_ERR_LEN];
    int rc = strcmp(w->key, c->user_id) != 0 ? set_err(why, "not the key it said HELLO with")
             : attempt < 1 || attempt > INT_MAX ? set_err(why, "attempt %lld", (long long)attempt)
             : running ? sched_check_running(c->self->sched, w->name, trial, (int)attempt, why)
                       : sched_check_holder(c->self->sched, w->name, trial, (int)attempt, why);
    if (rc == 0)
        return true;
    set_err(err, "worker %s: %s for trial %lld refused: %s", w->name, type, (long long)trial,
            why);
    coord__error(c, err);
    return false;
}


/* The live workers' capabilities (caller frees the array; items borrowed). */
static const capable_t **s_live_caps(coord_t *self, int *n)
{
    const capable_t **caps = xcalloc(zhashx_size(self->workers) + 1, sizeof *caps);
    int64_t now = now_ms();
    *n = 0;
    for (worker_rec_t *w = zhashx_first(self->workers); w; w = zhashx_next(self->workers))
        if (!w->byed && now - w->last_seen <= self->opts.lease_ms)
            caps[(*n)++] = &w->caps;
    return caps;
}

/* One waiting study: a line of text and an item of the JSON list. */
static void s_waiting_one(const char *study, const char *what, const char *why, strbuf_t *text,
                          strbuf_t *json)
{
    sb_printf(text, "study %s: waiting: %s%s%s%s\n", study, what, *why ? " (" : "", why,
              *why ? ")" : "");
    sb_puts(json, json->len ? ", {\"study\": " : "{\"study\": ");
    sb_json_str(json, study);
    sb_puts(json, ", \"waiting\": ");
    sb_json_str(json, what);
    sb_puts(json, ", \"why\": ");
    sb_json_str(json, why);
    sb_putc(json, '}');
}

void coord__waiting(coord_t *self, const char *study, strbuf_t *text, strbuf_t *json)
{
    int n_live;
    const capable_t **caps = s_live_caps(self, &n_live);
    char why[HPS_ERR_LEN];
    for (int i = 0; i < sched_n_studies(self->sched); i++) {
        sched_progress_t p;
        sched_study_progress(self->sched, i, &p);
        if (!p.wants || (study && strcmp(study, p.name) != 0))
            continue;
        int k = 0;
        while (k < n_live && !capable_can_run(caps[k], p.need, why, sizeof why))
            k++;
        if (k < n_live)
            continue;
        capable_explain(caps, n_live, p.need, why, sizeof why);
        s_waiting_one(p.name, n_live ? "no capable worker" : "no worker connected",
                      n_live ? why : "", text, json);
    }
    free(caps);
}

void coord__log_waiting(coord_t *self, int64_t now)
{
    strbuf_t text, json;
    sb_init(&text);
    sb_init(&json);
    self->waiting_at = now;
    coord__waiting(self, NULL, &text, &json);
    if (!self->waiting_logged || strcmp(self->waiting_logged, text.buf) != 0) {
        for (char *line = text.buf, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            *nl = '\0';
            if (!strstr(line, "no worker connected")) /* before workers start: the usual */
                log_warn("%s", line);
            *nl = '\n';
        }
        free(self->waiting_logged);
        self->waiting_logged = sb_take(&text);
    }
    sb_free(&text);
    sb_free(&json);
}
