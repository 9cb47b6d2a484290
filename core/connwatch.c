/* connwatch — monitor events of a connecting socket, as explanations (see connwatch.h). */
#include "core/connwatch.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

typedef enum {
    CW_NONE = 0,   /* nothing seen yet: the first TCP connect is still pending */
    CW_NO_TCP,     /* a connect failed (refused, unreachable, timed out) */
    CW_AUTH,       /* the server's ZAP handler refused our key */
    CW_KEY,        /* the handshake broke off: wrong server key (or not CURVE there) */
    CW_MECHANISM,  /* one side CURVE, the other not */
    CW_PROTOCOL,   /* another handshake error */
    CW_CLOSED,     /* closed during the handshake (no keys here): value is errno */
    CW_UP,         /* handshake done: the peer is there */
} cw_state_t;

struct connwatch_s {
    zsock_t *sock;     /* the socket watched; borrowed, outlives the watch */
    zsock_t *mon;      /* PAIR connected to the monitor endpoint; owned */
    char *endpoint;    /* owned */
    char *my_key;      /* owned; NULL without CURVE */
    cw_state_t state;  /* latest explanation */
    uint32_t value;    /* its event value (ZAP status, protocol error) */
    cw_state_t told;   /* last state returned by connwatch_update */
    bool came_up;      /* a handshake succeeded since connwatch_came_up last said so */
    char text[512];
};

connwatch_t *connwatch_new(zsock_t *sock, const char *endpoint, const char *my_key, char *err)
{
    connwatch_t *self = xcalloc(1, sizeof *self);
    char *addr = xasprintf("inproc://hps-connwatch-%p", (void *)self);
    int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CLOSED |
                 ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    int rc = zmq_socket_monitor(zsock_resolve(sock), addr, events);
    if (rc == 0) {
        self->sock = sock;
        self->mon = zsock_new(ZMQ_PAIR);
    }
    if (rc != 0 || !self->mon || zsock_connect(self->mon, "%s", addr) != 0) {
        set_err(err, "socket monitor: %s", zmq_strerror(zmq_errno()));
        free(addr);
        connwatch_destroy(&self);
        return NULL;
    }
    free(addr);
    zsock_set_rcvtimeo(self->mon, 0);
    self->endpoint = xstrdup(endpoint);
    self->my_key = my_key ? xstrdup(my_key) : NULL;
    return self;
}

void connwatch_destroy(connwatch_t **self_p)
{
    assert(self_p);
    connwatch_t *self = *self_p;
    if (!self)
        return;
    /* Stop the monitor before closing its PAIR: otherwise libzmq's I/O thread may block
     * for good sending a later event (the watched socket's close) to a peer that is
     * gone, and the context's termination at exit waits for it (libzmq issue #3575;
     * seen as a rare `hps status` that never returned, under ASan). */
    if (self->sock && zmq_socket_monitor(zsock_resolve(self->sock), NULL, 0) != 0)
        log_warn("socket monitor: cannot stop it: %s", zmq_strerror(zmq_errno()));
    zsock_destroy(&self->mon);
    free(self->endpoint);
    free(self->my_key);
    free(self);
    *self_p = NULL;
}

/* One event into the state. A close or retry after a handshake problem keeps that
 * problem: it is why the connection closed. */
static void s_event(connwatch_t *self, uint16_t event, uint32_t value)
{
    cw_state_t s = self->state;
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        s = CW_UP;
        self->came_up = true;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: s = CW_AUTH; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: s = self->my_key ? CW_KEY : CW_CLOSED; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        s = value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH ? CW_MECHANISM
            : value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC     ? CW_KEY
                                                                 : CW_PROTOCOL;
        break;
    case ZMQ_EVENT_CONNECT_RETRIED:
    case ZMQ_EVENT_CLOSED:
        if (s == CW_NONE || s == CW_UP)
            s = CW_NO_TCP;
        break;
    default: return; /* CONNECTED, DISCONNECTED: the handshake events say more */
    }
    if (event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        self->value = value;
    self->state = s;
}

/* Every event queued so far into the state (never blocks). */
static void s_read_events(connwatch_t *self)
{
    zmsg_t *m;
    while ((m = zmsg_recv(self->mon))) {
        zframe_t *f = zmsg_first(m);
        if (f && zframe_size(f) >= 6) {
            uint16_t event;
            uint32_t value;
            memcpy(&event, zframe_data(f), 2);
            memcpy(&value, zframe_data(f) + 2, 4);
            s_event(self, event, value);
        }
        zmsg_destroy(&m);
    }
}

const char *connwatch_update(connwatch_t *self)
{
    s_read_events(self);
    /* Not reaching the host is said by the owner's periodic "no answer" (a restarting
     * coordinator is briefly not there, which is no news). */
    if (self->state == self->told || self->state == CW_UP || self->state == CW_NONE ||
        self->state == CW_NO_TCP)
        return NULL;
    self->told = self->state;
    connwatch_why(self, self->text, sizeof self->text);
    return self->text;
}

bool connwatch_refused(const connwatch_t *self)
{
    return self->state == CW_AUTH || self->state == CW_KEY || self->state == CW_MECHANISM ||
           self->state == CW_PROTOCOL || self->state == CW_CLOSED;
}

void connwatch_why(connwatch_t *self, char *buf, size_t n)
{
    const char *ep = self->endpoint;
    switch (self->state) {
    case CW_NONE:
        snprintf(buf, n, "no TCP connection to %s yet (host unreachable or packets dropped?)",
                 ep);
        break;
    case CW_NO_TCP:
        snprintf(buf, n, "cannot connect to %s: nothing accepts connections there (is the "
                 "coordinator running, on that host and port?)", ep);
        break;
    case CW_AUTH:
        snprintf(buf, n, "%s refused this key in the CURVE handshake (ZAP status %u): add "
                 "this side's public key %s to the coordinator's --allow directory", ep,
                 (unsigned)self->value, self->my_key ? self->my_key : "(none)");
        break;
    case CW_KEY:
        snprintf(buf, n, "CURVE handshake with %s failed: the server key (--server-key) is "
                 "not the coordinator's public key, or the coordinator runs without keys", ep);
        break;
    case CW_MECHANISM:
        snprintf(buf, n, "handshake with %s failed: one side uses CURVE keys and the other "
                 "does not (give --cert and --server-key to both, or to neither)", ep);
        break;
    case CW_PROTOCOL:
        snprintf(buf, n, "handshake with %s failed (ZMTP protocol error 0x%x): is it an hps "
                 "coordinator, with matching keys?", ep, (unsigned)self->value);
        break;
    case CW_CLOSED:
        snprintf(buf, n, "%s closed the connection during the handshake (%s): does the "
                 "coordinator use CURVE keys (then give --cert and --server-key)?", ep,
                 strerror((int)self->value));
        break;
    case CW_UP:
        snprintf(buf, n, "connected to %s, but no answer: the coordinator is busy or stopped, "
                 "or speaks another protocol version", ep);
        break;
    }
}

void connwatch_ok(connwatch_t *self) { self->told = CW_NONE; }

zsock_t *connwatch_socket(connwatch_t *self) { return self->mon; }

bool connwatch_came_up(connwatch_t *self)
{
    s_read_events(self);
    bool up = self->came_up;
    self->came_up = false;
    return up;
}

void connwatch_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], buf[512];
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert(sock);
    connwatch_t *cw = connwatch_new(sock, "tcp://127.0.0.1:9", NULL, err);
    assert(cw);
    connwatch_why(cw, buf, sizeof buf);
    assert(strstr(buf, "no TCP connection to tcp://127.0.0.1:9"));
    /* Events fed by hand: each one explained once. */
    s_event(cw, ZMQ_EVENT_CONNECT_RETRIED, 100);
    assert(cw->state == CW_NO_TCP);
    s_event(cw, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400);
    s_event(cw, ZMQ_EVENT_CLOSED, 7); /* the close that follows keeps the reason */
    const char *t = connwatch_update(cw);
    assert(t && strstr(t, "ZAP status 400") && !connwatch_update(cw));
    s_event(cw, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    assert((t = connwatch_update(cw)) && strstr(t, "one side uses CURVE"));
    assert(!connwatch_came_up(cw));
    s_event(cw, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
    assert(!connwatch_update(cw));
    assert(connwatch_came_up(cw) && !connwatch_came_up(cw)); /* said once */
    connwatch_why(cw, buf, sizeof buf);
    assert(strstr(buf, "connected to"));
    connwatch_destroy(&cw);
    assert(!cw);
    zsock_destroy(&sock);
}
