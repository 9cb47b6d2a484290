/* guard — per-peer request budgets and the STATUS reply cache (see guard.h). */
#include "coordinator/guard.h"

#include <assert.h>
#include <czmq.h>
#include <string.h>

#include "coordinator/blobs.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/util.h"

typedef struct {
    double tokens;
    int64_t at; /* ms of the last refill */
} bucket_t;

struct guard_s {
    double rate, burst;
    zhashx_t *buckets; /* peer -> bucket_t (owned) */
    long dropped;
    char *status_key;  /* "" = all studies; NULL = nothing cached */
    char *status_json, *status_text;
    int64_t status_at;
    int64_t swept_at;  /* now of the last guard_tick sweep */
};

static void s_free(void **item)
{
    free(*item);
    *item = NULL;
}

guard_t *guard_new(double rate, double burst)
{
    assert(rate > 0 && burst >= 1);
    guard_t *self = xcalloc(1, sizeof *self);
    self->rate = rate;
    self->burst = burst;
    self->buckets = zhashx_new();
    assert(self->buckets);
    zhashx_set_destructor(self->buckets, s_free);
    return self;
}

static void s_status_clear(guard_t *self)
{
    free(self->status_key);
    free(self->status_json);
    free(self->status_text);
    self->status_key = self->status_json = self->status_text = NULL;
}

void guard_destroy(guard_t **self_p)
{
    assert(self_p);
    guard_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->buckets);
    s_status_clear(self);
    free(self);
    *self_p = NULL;
}

static void s_refill(const guard_t *self, bucket_t *b, int64_t now)
{
    if (now > b->at) {
        b->tokens += self->rate * (double)(now - b->at) / 1e3;
        if (b->tokens > self->burst)
            b->tokens = self->burst;
    }
    b->at = now;
}

bool guard_take(guard_t *self, const char *peer, int64_t now)
{
    bucket_t *b = zhashx_lookup(self->buckets, peer);
    if (!b) {
        b = xcalloc(1, sizeof *b);
        *b = (bucket_t){.tokens = self->burst, .at = now};
        zhashx_insert(self->buckets, peer, b);
    }
    s_refill(self, b, now);
    if (b->tokens < 1) {
        self->dropped++;
        return false;
    }
    b->tokens -= 1;
    return true;
}

long guard_sweep(guard_t *self, int64_t now)
{
    zlistx_t *full = zlistx_new();
    assert(full);
    for (bucket_t *b = zhashx_first(self->buckets); b; b = zhashx_next(self->buckets)) {
        s_refill(self, b, now);
        if (b->tokens >= self->burst)
            zlistx_add_end(full, (void *)zhashx_cursor(self->buckets));
    }
    for (const char *k = zlistx_first(full); k; k = zlistx_next(full))
        zhashx_delete(self->buckets, k);
    zlistx_destroy(&full);
    long n = self->dropped;
    self->dropped = 0;
    return n;
}

int guard_status_get(guard_t *self, const char *key, int64_t now, const char **json,
                     const char **text)
{
    if (!self->status_key || strcmp(self->status_key, key ? key : "") != 0 ||
        now - self->status_at >= GUARD_STATUS_CACHE_MS || now < self->status_at)
        return -1;
    *json = self->status_json;
    *text = self->status_text;
    return 0;
}

void guard_status_put(guard_t *self, const char *key, const char *json, const char *text,
                      int64_t now)
{
    s_status_clear(self);
    self->status_key = xstrdup(key ? key : "");
    self->status_json = xstrdup(json);
    self->status_text = text ? xstrdup(text) : NULL;
    self->status_at = now;
}

void guard_tick(guard_t *self, store_t *store, const char *blob_dir, int64_t now)
{
    if (now && now - self->swept_at < GUARD_SWEEP_MS)
        return;
    self->swept_at = now ? now : now_ms();
    char err[HPS_ERR_LEN];
    int n = blob_clean_parts(blob_dir, GUARD_PART_MAX_AGE_S, err);
    if (n < 0)
        log_warn("cleaning abandoned uploads: %s", err);
    else if (n > 0)
        log_info("removed %d abandoned upload(s) untouched for %d minutes", n,
                 GUARD_PART_MAX_AGE_S / 60);
    n = store_workers_forget(store, now_secs() - GUARD_WORKER_FORGET_S, err);
    if (n < 0)
        log_warn("forgetting old workers: %s", err);
    else if (n > 0)
        log_info("forgot %d worker(s) not heard from for over an hour", n);
    long dropped = guard_sweep(self, self->swept_at);
    if (dropped > 0)
        log_warn("dropped %ld STATUS/SUBMIT/STOP request(s) over their peers' budget of %g/s",
                 dropped, self->rate);
}

void guard_socket(zsock_t *sock, int heartbeat_ms)
{
    proto_limit_socket(sock);
    zsock_set_sndhwm(sock, 1000);
    zsock_set_backlog(sock, 4096);
    int secs = heartbeat_ms >= 1000 ? heartbeat_ms / 1000 : 1;
    zsock_set_tcp_keepalive(sock, 1);
    zsock_set_tcp_keepalive_idle(sock, 3 * secs);
    zsock_set_tcp_keepalive_intvl(sock, secs);
    zsock_set_tcp_keepalive_cnt(sock, 3);
}

void guard_test(bool verbose)
{
    (void)verbose;
    guard_t *g = guard_new(10, 3);
    /* A burst of 3, then 10 per second. */
    for (int i = 0; i < 3; i++)
        assert(guard_take(g, "a", 1000));
    assert(!guard_take(g, "a", 1000) && !guard_take(g, "a", 1050));
    assert(guard_take(g, "a", 1100)); /* 100 ms: one token back */
    assert(!guard_take(g, "a", 1100));
    assert(guard_take(g, "b", 1100)); /* another peer has its own bucket */
    assert(guard_sweep(g, 1100) == 3);
    assert(zhashx_size(g->buckets) == 2);
    assert(guard_sweep(g, 5000) == 0 && zhashx_size(g->buckets) == 0); /* refilled */
    const char *json, *text;
    assert(guard_status_get(g, NULL, 0, &json, &text) == -1);
    guard_status_put(g, NULL, "{}", "t", 100);
    assert(guard_status_get(g, NULL, 599, &json, &text) == 0 && strcmp(json, "{}") == 0);
    assert(strcmp(text, "t") == 0);
    assert(guard_status_get(g, "s", 200, &json, &text) == -1); /* another study */
    assert(guard_status_get(g, NULL, 600, &json, &text) == -1); /* too old */
    guard_status_put(g, "s", "{1}", NULL, 700);
    assert(guard_status_get(g, "s", 700, &json, &text) == 0 && !text);
    guard_destroy(&g);
    assert(!g);
}
