/* rawpeer — a raw protocol peer for the integration tests: sends hand-made messages to
 * a coordinator as a DEALER (any routing id, CURVE keys or none) and prints each
 * answer, to play a hostile or broken client (tests/t_lease_bind.sh). Not installed.
 *
 *   rawpeer --connect EP [--identity ID] [--cert SECRET --server-key PUBLIC]
 *           [--count N] [--every MS] [--wait MS] [--answers N] TYPE [key=value...]
 *           [-- TYPE ...]...
 *
 * A value is an integer, else a number, else a string ("s:" forces a string; "pid"
 * alone is this process's pid). Each message waits up to --wait ms (default 2000) for
 * one answer (up to --answers, default 1, each within --wait), printed on stdout as
 * "TYPE msg" (or "none"; a TRIAL as "TRIAL more=N" when it says how many follow; an ERROR
 * naming what it refuses adds "re=TYPE trial=N attempt=A"). The
 * sequence is sent --count times (default 1), --every ms apart (default 0). Exit 0, or
 * 2 on bad arguments. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/proto.h"
#include "core/util.h"

typedef struct {
    const char *endpoint, *identity, *cert, *server_key;
    long count, every, wait, answers;
    char **msgs; /* argv from the first TYPE on */
    int n_msgs;
} opts_t;

static int s_usage(const char *why)
{
    fprintf(stderr, "rawpeer: %s\nusage: rawpeer --connect EP [--identity ID] [--cert SECRET "
                    "--server-key PUBLIC] [--count N] [--every MS] [--wait MS] [--answers N] TYPE "
                    "[key=value...] [-- TYPE ...]\n", why);
    return 2;
}

static int s_long(const char *s, long *out)
{
    char *end;
    *out = strtol(s, &end, 10);
    return *s && !*end ? 0 : -1;
}

static int s_parse(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.count = 1, .wait = 2000, .answers = 1};
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2]; i += 2) {
        const char *f = argv[i], *v = argv[i + 1];
        if (strcmp(f, "--connect") == 0)
            o->endpoint = v;
        else if (strcmp(f, "--identity") == 0)
            o->identity = v;
        else if (strcmp(f, "--cert") == 0)
            o->cert = v;
        else if (strcmp(f, "--server-key") == 0)
            o->server_key = v;
        else if (strcmp(f, "--count") == 0 ? s_long(v, &o->count) != 0
                 : strcmp(f, "--every") == 0 ? s_long(v, &o->every) != 0
                 : strcmp(f, "--wait") == 0 ? s_long(v, &o->wait) != 0
                 : strcmp(f, "--answers") == 0 ? s_long(v, &o->answers) != 0
                 : 1)
            return -1;
    }
    o->msgs = argv + i;
    o->n_msgs = argc - i;
    return o->endpoint && o->n_msgs > 0 && !!o->cert == !!o->server_key ? 0 : -1;
}

/* The message of words[0..n) (TYPE key=value...); NULL on a malformed pair. */
static proto_msg_t *s_build(char **words, int n)
{
    proto_msg_t *m = proto_new(words[0]);
    for (int i = 1; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq) {
            proto_destroy(&m);
            return NULL;
        }
        char key[64], *end;
        snprintf(key, sizeof key, "%.*s", (int)(eq - words[i]), words[i]);
        const char *v = eq + 1;
        long long iv = strtoll(v, &end, 10);
        if (strcmp(v, "pid") == 0)
            proto_set_int(m, key, getpid());
        else if (strncmp(v, "s:", 2) == 0)
            proto_set_str(m, key, v + 2);
        else if (*v && !*end)
            proto_set_int(m, key, iv);
        else {
            double dv = strtod(v, &end);
            if (*v && !*end)
                proto_set_dbl(m, key, dv);
            else
                proto_set_str(m, key, v);
        }
    }
    return m;
}

/* Send one message and print its answers (up to `answers`, the first "none" ends
 * them). -1 on a malformed message. */
static int s_exchange(zsock_t *sock, char **words, int n, long wait_ms, long answers)
{
    proto_msg_t *m = s_build(words, n);
    if (!m)
        return -1;
    if (proto_send(&m, sock, NULL) != 0)
        fprintf(stderr, "rawpeer: send failed: %s\n", zmq_strerror(zmq_errno()));
    proto_destroy(&m);
    zpoller_t *poller = zpoller_new(sock, NULL);
    char err[HPS_ERR_LEN];
    for (long k = 0; k < answers; k++) {
        proto_msg_t *answer = poller && zpoller_wait(poller, (int)wait_ms) == sock
                                  ? proto_recv(sock, NULL, err)
                                  : NULL;
        const char *msg = answer ? proto_get_str(answer, "msg") : NULL;
        int64_t more;
        printf("%s%s%s", answer ? proto_type(answer) : "none", msg ? " " : "", msg ? msg : "");
        if (answer && proto_get_int(answer, "more", &more) == 0)
            printf(" more=%lld", (long long)more);
        const char *re = answer ? proto_get_str(answer, "re") : NULL;
        if (re) /* the refused message it names */
            printf(" re=%s trial=%lld attempt=%lld", re,
                   (long long)proto_int_or(answer, "trial", -1),
                   (long long)proto_int_or(answer, "attempt", -1));
        printf("\n");
        fflush(stdout);
        bool none = !answer;
        proto_destroy(&answer);
        if (none)
            break;
    }
    zpoller_destroy(&poller);
    return 0;
}

static int s_curve(zsock_t *sock, const opts_t *o)
{
    zcert_t *mine = zcert_load(o->cert), *server = zcert_load(o->server_key);
    int rc = mine && server ? 0 : -1;
    if (rc == 0) {
        zcert_apply(mine, sock);
        zsock_set_curve_serverkey(sock, zcert_public_txt(server));
    }
    zcert_destroy(&mine);
    zcert_destroy(&server);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o;
    if (s_parse(argc, argv, &o) != 0)
        return s_usage("bad arguments");
    zsys_init();
    zsys_set_logstream(stderr);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return fprintf(stderr, "rawpeer: no socket\n"), 1;
    if (o.identity)
        zsock_set_identity(sock, o.identity);
    zsock_set_linger(sock, 500);
    if (o.cert && s_curve(sock, &o) != 0) {
        zsock_destroy(&sock);
        return s_usage("cannot load the keys");
    }
    if (zsock_connect(sock, "%s", o.endpoint) != 0) {
        zsock_destroy(&sock);
        return s_usage("cannot connect");
    }
    int rc = 0;
    for (long k = 0; k < o.count && rc == 0; k++) {
        if (k > 0 && o.every > 0)
            zclock_sleep((int)o.every);
        for (int i = 0; i < o.n_msgs && rc == 0;) {
            int j = i;
            while (j < o.n_msgs && strcmp(o.msgs[j], "--") != 0)
                j++;
            rc = j > i ? s_exchange(sock, o.msgs + i, j - i, o.wait, o.answers) : -1;
            i = j + 1;
        }
    }
    zsock_destroy(&sock);
    return rc == 0 ? 0 : s_usage("malformed message (TYPE key=value...)");
}
