/* bench_idle — `hps-bench idle --connect EP --workers N [--secs S]`: opens N DEALER
 * connections that behave as idle workers (HELLO, then a HEARTBEAT every second), and
 * reports how many the coordinator welcomed and how many heartbeats it answered.
 * Used by `make bench` to measure the number of connected idle workers. */
#include "bench/idle.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "core/util.h"

static void s_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open-file limit");
    }
}

static int s_send_all(zsock_t **socks, long n, const char *type)
{
    int failed = 0;
    for (long i = 0; i < n; i++) {
        proto_msg_t *m = proto_new(type);
        if (strcmp(type, "HELLO") == 0) {
            char name[48]; /* the pid: several benches may share one coordinator */
            snprintf(name, sizeof name, "idle-%ld-%ld", (long)getpid(), i);
            proto_set_str(m, "worker", name);
            proto_set_str(m, "host", "bench");
            proto_set_int(m, "pid", getpid());
            proto_set_int(m, "slots", 1);
        } else
            proto_set_ints(m, "running", NULL, 0);
        failed += proto_send(&m, socks[i], NULL) != 0;
    }
    return failed;
}

/* Read every reply within ms; count those of type want. A sweep over all sockets
 * per round: a poller returning one socket per call is quadratic at this scale. */
static long s_collect(zsock_t **socks, long n, const char *want, long expect, int ms)
{
    long got = 0;
    int64_t deadline = now_ms() + ms;
    char err[HPS_ERR_LEN];
    while (got < expect && now_ms() < deadline && !zsys_interrupted) {
        long round = 0;
        for (long i = 0; i < n; i++)
            while (zsock_events(socks[i]) & ZMQ_POLLIN) {
                proto_msg_t *m = proto_recv(socks[i], NULL, err);
                got += m && strcmp(proto_type(m), want) == 0;
                round++;
                proto_destroy(&m);
            }
        if (!round)
            usleep(1000);
    }
    return got;
}

int bench_idle_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"connect", required_argument, 0, 'c'},
                                             {"workers", required_argument, 0, 'n'},
                                             {"secs", required_argument, 0, 's'},
                                             {0, 0, 0, 0}};
    const char *ep = NULL;
    long n = 100, secs = 5;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 'c')
            ep = optarg;
        else if ((opt == 'n' && (parse_long(optarg, &n) != 0 || n < 1 || n > 100000)) ||
                 (opt == 's' && (parse_long(optarg, &secs) != 0 || secs < 1)) || opt == '?') {
            fprintf(stderr, "usage: hps-bench idle --connect EP --workers N [--secs S]\n");
            return 2;
        }
    }
    if (!ep) {
        fprintf(stderr, "hps-bench idle: --connect is required\n");
        return 2;
    }
    s_raise_fd_limit();
    zsys_set_max_sockets((size_t)n + 16);
    zsock_t **socks = xcalloc((size_t)n, sizeof *socks);
    long opened = 0;
    for (; opened < n; opened++) {
        socks[opened] = zsock_new(ZMQ_DEALER);
        if (!socks[opened] || zsock_connect(socks[opened], "%s", ep) != 0)
            break;
        zsock_set_linger(socks[opened], 0);
    }
    int64_t t0 = now_ms();
    s_send_all(socks, opened, "HELLO");
    long welcomed = s_collect(socks, opened, "WELCOME", opened, 30000);
    long acks = 0;
    for (long k = 0; k < secs && !zsys_interrupted; k++) {
        s_send_all(socks, opened, "HEARTBEAT");
        int64_t start = now_ms();
        acks += s_collect(socks, opened, "HB_ACK", welcomed, 1000);
        if (now_ms() - start < 1000)
            usleep((useconds_t)(1000 - (now_ms() - start)) * 1000);
    }
    printf("{\"opened\": %ld, \"welcomed\": %ld, \"heartbeats_answered\": %ld, "
           "\"heartbeats_sent\": %ld, \"secs\": %.1f}\n",
           opened, welcomed, acks, opened * secs, (double)(now_ms() - t0) / 1e3);
    for (long i = 0; i < opened; i++)
        zsock_destroy(&socks[i]);
    free(socks);
    return welcomed == n ? 0 : 1;
}
