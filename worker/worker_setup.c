/* worker_setup — building and tearing down a worker_t: name, cache, socket, CURVE
 * keys (see worker.h; the event loop is worker.c). */
#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/log.h"
#include "core/proto.h"
#include "objectives/objective.h"
#include "core/util.h"
#include "worker/worker_name.h"
#include "worker/worker_priv.h"


static char *s_default_cache(char *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0])
        return xasprintf("%s/hps", xdg);
    const char *home = getenv("HOME");
    if (home && home[0])
        return xasprintf("%s/.cache/hps", home);
    set_err(err, "no cache directory: set --cache, $XDG_CACHE_HOME or $HOME");
    return NULL;
}

/* Apply the CURVE keys, if any; *pub: this worker's public key text (caller frees),
 * NULL without keys. */
static int s_apply_curve(worker_t *w, char **pub, char *err)
{
    const worker_opts_t *o = w->opts;
    *pub = NULL;
    if (!o->cert_path && !o->server_key_path)
        return 0;
    if (!o->cert_path || !o->server_key_path)
        return set_err(err, "CURVE needs both a worker certificate and the server key");
    zcert_t *mine = zcert_load(o->cert_path);
    if (!mine)
        return set_err(err, "cannot load certificate %s", o->cert_path);
    zcert_t *server = zcert_load(o->server_key_path);
    if (!server) {
        zcert_destroy(&mine);
        return set_err(err, "cannot load server key %s", o->server_key_path);
    }
    zcert_apply(mine, w->sock);
    zsock_set_curve_serverkey(w->sock, zcert_public_txt(server));
    *pub = xstrdup(zcert_public_txt(mine));
    zcert_destroy(&mine);
    zcert_destroy(&server);
    return 0;
}

static int s_open_socket(worker_t *w, char *err)
{
    w->sock = zsock_new(ZMQ_DEALER);
    if (!w->sock)
        return set_err(err, "cannot create socket: %s", zmq_strerror(zmq_errno()));
    /* No routing id of our own: the coordinator's ROUTER gives each connection a new
     * one, so a new connection is never parked behind an old one it still holds (it
     * allows no handover); HELLO, not the route, says which worker this is. */
    int dead_ms = w->opts->link_timeout_ms > 0 ? w->opts->link_timeout_ms : LINK_DEAD_MS;
    zsock_set_tcp_maxrt(w->sock, dead_ms);
    zsock_set_connect_timeout(w->sock, dead_ms / 3);
    zsock_set_sndtimeo(w->sock, 0);
    zsock_set_immediate(w->sock, 1);
    zsock_set_linger(w->sock, 200); /* a last TELL may still be on its way at exit */
    /* On this machine a connect costs next to nothing: try again soon (hps run's
     * workers start before their coordinator binds), backing off to zmq's default. */
    if (auth_endpoint_local(w->opts->endpoint)) {
        zsock_set_reconnect_ivl(w->sock, LOCAL_RECONNECT_MS);
        zsock_set_reconnect_ivl_max(w->sock, LOCAL_RECONNECT_MAX_MS);
    }
    proto_limit_socket(w->sock);
    char *pub;
    if (s_apply_curve(w, &pub, err) != 0)
        return -1;
    w->watch = connwatch_new(w->sock, w->opts->endpoint, pub, err);
    free(pub);
    if (!w->watch)
        return -1;
    if (zsock_connect(w->sock, "%s", w->opts->endpoint) != 0)
        return set_err(err, "cannot connect to %s: %s", w->opts->endpoint,
                       zmq_strerror(zmq_errno()));
    return 0;
}

int worker__init(worker_t *w, const worker_opts_t *opts, char *err)
{
    memset(w, 0, sizeof *w);
    w->opts = opts;
    w->slots = opts->slots > 0 ? opts->slots : 1;
    /* Under CURVE the worker serves a cluster: submitted commands only when told so. */
    w->policy = (cmdpolicy_t){
        .pattern = opts->allow_command, .env = opts->allow_env, .cwd = opts->allow_cwd,
        .none = opts->cert_path && !opts->allow_command && !opts->allow_any_command};
    w->heartbeat_ms = 1000;
    if (!opts->endpoint || !opts->endpoint[0])
        return set_err(err, "no coordinator endpoint");
    if (opts->name && (!opts->name[0] || strlen(opts->name) >= sizeof w->name))
        return set_err(err, "worker name must have 1 to %zu characters", sizeof w->name - 1);
    if (opts->name)
        snprintf(w->name, sizeof w->name, "%s", opts->name);
    else {
        char host[200];
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "worker");
        host[sizeof host - 1] = '\0';
        worker_slurm_t slurm = worker_slurm_from_env();
        worker_name_default(w->name, sizeof w->name, host, (long)getpid(), &slurm);
    }
    char *name_log = xasprintf("worker %s", w->name);
    log_set_component(name_log);
    free(name_log);
    w->cache_dir = opts->cache_dir ? xstrdup(opts->cache_dir) : s_default_cache(err);
    if (!w->cache_dir)
        return -1;
    w->idle = xcalloc((size_t)w->slots, sizeof(runner_t *));
    if (worker__caps_init(w, err) != 0)
        return -1;
    w->blobs = blobcache_new(w->cache_dir, err);
    if (!w->blobs)
        return -1;
    return s_open_socket(w, err);
}

void worker__fini(worker_t *w)
{
    while (w->tasks) {
        w->tasks->cancelled = true; /* no process goes back to the pool */
        worker__task_remove(w, w->tasks); /* kills and reaps running children */
    }
    while (w->n_idle > 0)
        runner_destroy(&w->idle[--w->n_idle]);
    free(w->idle);
    while (w->tells) {
        tell_t *t = w->tells;
        w->tells = t->next;
        free(t->buf);
        free(t);
    }
    connwatch_destroy(&w->watch);
    zsock_destroy(&w->sock);
    blobcache_destroy(&w->blobs);
    worker__uploads_free(w);
    free(w->cache_dir);
    worker__caps_fini(w);
}


/* ---- joining ---------------------------------------------------------------------- */

/* After a failed handshake libzmq gives the connection up; the coordinator's --allow
 * may since admit this key (it is read at each handshake), so dial again. */
static void s_redial(worker_t *w, int64_t now)
{
    const char *ep = w->opts->endpoint;
    w->redialed_at = now;
    if (zsock_disconnect(w->sock, "%s", ep) != 0 && zmq_errno() != ENOENT)
        log_debug("disconnect %s: %s", ep, zmq_strerror(zmq_errno()));
    if (zsock_connect(w->sock, "%s", ep) != 0)
        log_warn("cannot connect to %s again: %s", ep, zmq_strerror(zmq_errno()));
    else
        log_debug("connecting to %s again after the failed handshake", ep);
}

void worker__send_hello(worker_t *w, int64_t now)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    proto_msg_t *m = proto_new("HELLO");
    proto_set_str(m, "worker", w->name);
    proto_set_str(m, "host", host);
    proto_set_int(m, "pid", getpid());
    proto_set_int(m, "slots", w->slots);
    capable_to_hello(&w->caps, m); /* what it runs: objectives, commands, resources */
    proto_set_int(m, "prefetch", w->opts->prefetch > 0 ? w->opts->prefetch : 0);
    w->hello_failed = worker__send(w, &m) != 0;
    w->hello_at = now;
    if (!w->unwelcome_since)
        w->unwelcome_since = now;
    /* zmq hides refused connections and failed CURVE handshakes from the sender: the
     * socket monitor tells them (a refused key at once), and a silence says so after
     * SILENCE_WARN_MS, then every SILENCE_REPEAT_MS, with the best explanation. */
    const char *news = connwatch_update(w->watch);
    if (news)
        log_warn("%s", news);
    if (connwatch_refused(w->watch) && now - w->redialed_at >= REDIAL_MS)
        s_redial(w, now);
    int64_t silent = now - w->unwelcome_since;
    if (silent >= SILENCE_WARN_MS && (!w->warned_at || now - w->warned_at >= SILENCE_REPEAT_MS)) {
        char why[512];
        connwatch_why(w->watch, why, sizeof why);
        log_warn("no answer from %s for %lld s: %s", w->opts->endpoint,
                 (long long)silent / 1000, why);
        w->warned_at = now;
    }
}
