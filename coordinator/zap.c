/* zap — ZAP handler admitting the keys of a directory, naming those it refuses (zap.h). */
#include "coordinator/zap.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

typedef struct {
    zsock_t *handler;     /* REP bound at the ZAP endpoint; owned by the actor */
    zcertstore_t *certs;  /* owned by the actor */
    char *dir;            /* owned by the actor */
} zap_args_t;

#define ZAP_LOGGED_MAX 1024 /* distinct refused keys remembered for the log's rate */

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

/* Whether key was logged within ZAP_LOG_EVERY_MS (and if not, note it now). */
static bool s_logged_lately(zhashx_t *logged, const char *key, int64_t now)
{
    int64_t *at = zhashx_lookup(logged, key);
    if (at && now - *at < ZAP_LOG_EVERY_MS)
        return true;
    if (!at && zhashx_size(logged) >= ZAP_LOGGED_MAX)
        zhashx_purge(logged);
    if (!at) {
        at = xmalloc(sizeof *at);
        zhashx_insert(logged, key, at);
    }
    *at = now;
    return false;
}

/* Answer one ZAP request: 200 with the key's Z85 text as User-Id, or 400. */
static void s_answer(zap_args_t *a, zhashx_t *logged)
{
    zmsg_t *req = zmsg_recv(a->handler);
    if (!req)
        return;
    char *version = zmsg_popstr(req);
    zframe_t *id = zmsg_pop(req);
    char *domain = zmsg_popstr(req), *address = zmsg_popstr(req);
    zframe_t *identity = zmsg_pop(req);
    char *mechanism = zmsg_popstr(req);
    zframe_t *key = zmsg_pop(req);
    char z85[41] = "";
    bool curve = version && strcmp(version, "1.0") == 0 && mechanism &&
                 strcmp(mechanism, "CURVE") == 0 && key && zframe_size(key) == 32 &&
                 zmq_z85_encode(z85, zframe_data(key), 32) != NULL;
    bool ok = curve && zcertstore_lookup(a->certs, z85) != NULL;
    if (!ok && curve && !s_logged_lately(logged, z85, now_ms()))
        log_warn("refused a CURVE client from %s: public key %s is not in --allow %s "
                 "(copy that client's public key file there to admit it)",
                 address ? address : "?", z85, a->dir);
    else if (!ok && !curve)
        log_warn("refused a client from %s: not a CURVE request (%s)", address ? address : "?",
                 mechanism ? mechanism : "no mechanism");
    zmsg_t *r = zmsg_new();
    zmsg_addstr(r, "1.0");
    if (id)
        zmsg_append(r, &id);
    else
        zmsg_addstr(r, "");
    zmsg_addstr(r, ok ? "200" : "400");
    zmsg_addstr(r, ok ? "OK" : "key not allowed");
    zmsg_addstr(r, ok ? z85 : "");
    zmsg_addmem(r, NULL, 0); /* no metadata */
    if (zmsg_send(&r, a->handler) != 0) {
        log_warn("ZAP reply not sent: %s", zmq_strerror(zmq_errno()));
        zmsg_destroy(&r);
    }
    zframe_destroy(&id);
    zframe_destroy(&identity);
    zframe_destroy(&key);
    free(version);
    free(domain);
    free(address);
    free(mechanism);
    zmsg_destroy(&req);
}

static void s_actor(zsock_t *pipe, void *arg)
{
    zap_args_t *a = arg;
    zhashx_t *logged = zhashx_new();
    zhashx_set_destructor(logged, s_free_item);
    zpoller_t *poller = zpoller_new(pipe, a->handler, NULL);
    zsock_signal(pipe, 0);
    while (poller) {
        zsock_t *which = zpoller_wait(poller, -1);
        if (which == a->handler) {
            s_answer(a, logged);
        } else if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || strcmp(cmd, "$TERM") == 0;
            zstr_free(&cmd);
            if (term)
                break;
        } else if (zpoller_terminated(poller)) {
            break;
        }
    }
    zpoller_destroy(&poller);
    zhashx_destroy(&logged);
    zsock_destroy(&a->handler);
    zcertstore_destroy(&a->certs);
    free(a->dir);
    free(a);
}

zactor_t *zap_new(const char *allow_dir, char *err)
{
    zap_args_t *a = xcalloc(1, sizeof *a);
    a->handler = zsock_new(ZMQ_REP);
    if (!a->handler || zsock_bind(a->handler, "inproc://zeromq.zap.01") != 0) {
        set_err(err, "cannot start the authenticator: %s", zmq_strerror(zmq_errno()));
        zsock_destroy(&a->handler);
        free(a);
        return NULL;
    }
    a->certs = zcertstore_new(allow_dir);
    a->dir = xstrdup(allow_dir);
    zactor_t *actor = zactor_new(s_actor, a); /* the actor owns a from here */
    if (!actor) {
        set_err(err, "cannot start the authenticator");
        zsock_destroy(&a->handler);
        zcertstore_destroy(&a->certs);
        free(a->dir);
        free(a);
    }
    return actor;
}

void zap_test(bool verbose)
{
    (void)verbose;
    zhashx_t *logged = zhashx_new();
    zhashx_set_destructor(logged, s_free_item);
    assert(!s_logged_lately(logged, "k", 1000));
    assert(s_logged_lately(logged, "k", 1000 + ZAP_LOG_EVERY_MS - 1));
    assert(!s_logged_lately(logged, "k", 1000 + ZAP_LOG_EVERY_MS));
    assert(!s_logged_lately(logged, "j", 1000));
    zhashx_destroy(&logged);
}
