/* fdcap — connections capped below the open-file limit (see fdcap.h). */
#include "coordinator/fdcap.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

typedef struct {
    bool open;     /* an accepted connection, not yet DISCONNECTED */
    bool closing;  /* shut down by us, DISCONNECTED to come */
} slot_t;

struct fdcap_s {
    zsock_t *mon;       /* PAIR connected to the ROUTER's monitor */
    slot_t *slots;      /* indexed by descriptor; n_slots long */
    size_t n_slots;
    long open, cap;     /* open connections (closing ones included); the cap */
    long closing;       /* of those, shut down by us */
    long silent_ms;     /* a connection silent this long may make room */
    int64_t scan_after; /* no silent connection was found: no new search before this */
    int port;           /* the bound port: an accepted descriptor's local port */
    long refused, evicted; /* closed since the last report */
    int64_t logged_at;
};

/* The limit less the reserve; 0 (no cap) when there is no limit to keep under. */
static long s_cap(char *why)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    long limit = (long)rl.rlim_cur, reserve = FDCAP_RESERVE_MIN + limit / FDCAP_RESERVE_DIV;
    snprintf(why, HPS_ERR_LEN, "the open-file limit %ld less %ld in reserve", limit, reserve);
    return limit > 2 * reserve ? limit - reserve : limit / 2;
}

fdcap_t *fdcap_new(zsock_t *sock, const char *bound, long silent_ms, char *err)
{
    assert(silent_ms > 0);
    err[0] = '\0';
    const char *colon = strrchr(bound, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (strncmp(bound, "tcp://", 6) != 0 || !colon || *end || port <= 0 || port > 65535)
        return NULL;
    char why[HPS_ERR_LEN];
    long cap = s_cap(why);
    if (cap <= 0)
        return NULL;
    char *ep = xasprintf("inproc://hps-fdcap-%p", (void *)sock);
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED;
    fdcap_t *self = NULL;
    if (zmq_socket_monitor(zsock_resolve(sock), ep, events) != 0)
        set_err(err, "socket monitor: %s", zmq_strerror(zmq_errno()));
    else {
        self = xcalloc(1, sizeof *self);
        self->mon = zsock_new(ZMQ_PAIR);
        /* libzmq's I/O thread blocks on a full monitor pipe: room for bursts */
        if (self->mon)
            zsock_set_rcvhwm(self->mon, FDCAP_EVENTS_HWM);
        if (!self->mon || zsock_connect(self->mon, "%s", ep) != 0) {
            set_err(err, "socket monitor: %s", zmq_strerror(zmq_errno()));
            fdcap_destroy(&self);
        }
    }
    free(ep);
    if (!self)
        return NULL;
    self->cap = cap;
    self->port = (int)port;
    self->silent_ms = silent_ms;
    log_info("at most %ld connections: %s", cap, why);
    return self;
}

void fdcap_destroy(fdcap_t **self_p)
{
    assert(self_p);
    fdcap_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->mon);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

zsock_t *fdcap_socket(fdcap_t *self) { return self->mon; }
long fdcap_open(const fdcap_t *self) { return self->open; }
long fdcap_cap(const fdcap_t *self) { return self->cap; }

static slot_t *s_slot(fdcap_t *self, int fd)
{
    if ((size_t)fd >= self->n_slots) {
        size_t n = self->n_slots ? self->n_slots : 256;
        while (n <= (size_t)fd)
            n *= 2;
        self->slots = xrealloc(self->slots, n * sizeof *self->slots);
        memset(self->slots + self->n_slots, 0, (n - self->n_slots) * sizeof *self->slots);
        self->n_slots = n;
    }
    return &self->slots[fd];
}

/* ms since fd last received data; -1 when fd is not a connection to our port (the
 * descriptor was closed and reused meanwhile). */
static long s_silent_ms(const fdcap_t *self, int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    int port = sa.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
               : sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                          : -1;
    struct tcp_info ti;
    len = sizeof ti;
    if (port != self->port || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return -1;
    return (long)ti.tcpi_last_data_recv;
}

static void s_close(fdcap_t *self, int fd)
{
    if (shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        log_debug("shutdown of connection %d: %s", fd, strerror(errno));
    self->slots[fd].closing = true;
    self->closing++;
}

/* Close every connection silent for silent_ms; how many. */
static long s_evict_silent(fdcap_t *self, int except)
{
    long n = 0;
    for (size_t fd = 0; fd < self->n_slots; fd++) {
        slot_t *s = &self->slots[fd];
        if (!s->open || s->closing || (int)fd == except)
            continue;
        if (s_silent_ms(self, (int)fd) >= self->silent_ms) {
            s_close(self, (int)fd);
            n++;
        }
    }
    return n;
}

/* A connection accepted on fd: over the cap, room is made or it is closed. A search
 * for silent connections that found none is not repeated for a fifth of the silence. */
static void s_accepted(fdcap_t *self, int fd, int64_t now)
{
    slot_t *s = s_slot(self, fd);
    if (s->open) { /* its DISCONNECTED was missed: the descriptor was reused */
        self->closing -= s->closing;
        self->open--;
    }
    *s = (slot_t){0};
    if (s_silent_ms(self, fd) < 0)
        return; /* already closed by libzmq (and maybe reused): not ours to count */
    s->open = true;
    self->open++;
    if (self->open - self->closing <= self->cap)
        return;
    long n = now >= self->scan_after ? s_evict_silent(self, fd) : 0;
    if (n == 0) {
        self->scan_after = now + self->silent_ms / 5;
        s_close(self, fd);
        self->refused++;
    }
    self->evicted += n;
}

static void s_report(fdcap_t *self, int64_t now)
{
    if (!self->refused && !self->evicted)
        return;
    if (self->logged_at && now - self->logged_at < FDCAP_LOG_MS)
        return;
    log_warn("at the connection cap (%ld): %ld new connection(s) refused, %ld silent one(s) "
             "closed since the last report",
             self->cap, self->refused, self->evicted);
    self->logged_at = now;
    self->refused = self->evicted = 0;
}

void fdcap_handle(fdcap_t *self, int64_t now)
{
    while (zsock_events(self->mon) & ZMQ_POLLIN) {
        zmsg_t *z = zmsg_recv(self->mon);
        zframe_t *f = z ? zmsg_first(z) : NULL;
        if (f && zframe_size(f) >= 6) {
            uint16_t event;
            uint32_t value;
            memcpy(&event, zframe_data(f), sizeof event);
            memcpy(&value, zframe_data(f) + 2, sizeof value);
            int fd = (int)value;
            if (event == ZMQ_EVENT_ACCEPTED)
                s_accepted(self, fd, now);
            else if (event == ZMQ_EVENT_DISCONNECTED && (size_t)fd < self->n_slots &&
                     self->slots[fd].open) {
                self->closing -= self->slots[fd].closing;
                self->slots[fd] = (slot_t){0};
                self->open--;
            }
        }
        zmsg_destroy(&z);
    }
    s_report(self, now);
}

/* ---- self-test ----------------------------------------------------------------------- */

static int s_test_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

/* Whether the coordinator's end of fd is closed within 5 s (the greeting read past). */
static bool s_test_closed(fdcap_t *self, int fd)
{
    char buf[256];
    for (int64_t until = zclock_mono() + 5000; zclock_mono() < until;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
        if (n < 0) {
            fdcap_handle(self, zclock_mono());
            zclock_sleep(10);
        }
    }
    return false;
}

static void s_test_wait_open(fdcap_t *self, long n)
{
    for (int64_t until = zclock_mono() + 5000; fdcap_open(self) != n;) {
        assert(zclock_mono() < until);
        fdcap_handle(self, zclock_mono());
        zclock_sleep(10);
    }
}

void fdcap_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN], bound[64];
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    assert(router);
    int port = zsock_bind(router, "tcp://127.0.0.1:*");
    assert(port > 0);
    assert(!fdcap_new(router, "ipc:///tmp/x", 300, err) && !err[0]); /* not TCP: no cap */
    snprintf(bound, sizeof bound, "tcp://127.0.0.1:%d", port);
    fdcap_t *cap = fdcap_new(router, bound, 300, err);
    assert(cap && fdcap_cap(cap) > 0 && fdcap_open(cap) == 0);
    cap->cap = 2;
    int fds[4];
    for (int i = 0; i < 2; i++)
        fds[i] = s_test_connect(port);
    s_test_wait_open(cap, 2);
    /* over the cap with nobody silent yet: the new connection is closed */
    fds[2] = s_test_connect(port);
    assert(s_test_closed(cap, fds[2]));
    s_test_wait_open(cap, 2);
    /* later the two are silent: a new connection makes room by closing them */
    zclock_sleep(400);
    fds[3] = s_test_connect(port);
    assert(s_test_closed(cap, fds[0]) && s_test_closed(cap, fds[1]));
    s_test_wait_open(cap, 1);
    assert(!s_test_closed(cap, fds[3]) || fdcap_open(cap) == 1);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    fdcap_destroy(&cap);
    assert(!cap);
    zsock_destroy(&router);
}
