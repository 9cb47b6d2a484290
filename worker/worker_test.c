/* worker_test — worker_run() in a child process against a scripted fake coordinator
 * (a ROUTER socket in the test process): HELLO resends and WELCOME, ASK/TRIAL, TELL
 * resends until ACK and none after an ERROR refusing it, an ASK answered by several TRIALs, dataset fetch with a corrupted
 * and a good blob, --allow-command, lease cancellation through HB_ACK, WAIT, and BYE. The pieces have their own tests
 * (runner_test, blobcache_test); this one checks the protocol the coordinator sees. */
#include <assert.h>
#include <czmq.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "core/util.h"
#include "worker/worker.h"

#define WT_TIMEOUT_MS 8000

typedef struct {
    zsock_t *sock;
    zframe_t *route;     /* the worker's identity */
    int asks;            /* ASKs seen (not answered by s_expect) */
    int64_t running[16]; /* the last HEARTBEAT's pairs */
    int n_running;
    long watch;          /* a trial whose TELLs s_expect counts (not returned)... */
    int watched;         /* ...in here */
} fake_t;

static void s_reply(fake_t *f, proto_msg_t *m)
{
    assert(proto_send(&m, f->sock, f->route) == 0);
}

/* Receive until a message of type arrives (returned, caller destroys). Heartbeats are
 * answered, REPORTs continued, ASKs counted; other types are dropped. */
static proto_msg_t *s_expect(fake_t *f, const char *type)
{
    int64_t until = now_ms() + WT_TIMEOUT_MS;
    char err[HPS_ERR_LEN];
    zpoller_t *p = zpoller_new(f->sock, NULL);
    while (now_ms() < until) {
        if (!zpoller_wait(p, 100))
            continue;
        zframe_t *route;
        proto_msg_t *m = proto_recv(f->sock, &route, err);
        assert(m && route);
        zframe_destroy(&f->route);
        f->route = route;
        const char *t = proto_type(m);
        if (strcmp(t, type) == 0) {
            zpoller_destroy(&p);
            return m;
        }
        if (strcmp(t, "HEARTBEAT") == 0)
            s_reply(f, proto_new("HB_ACK"));
        else if (strcmp(t, "REPORT") == 0) {
            proto_msg_t *c = proto_new("CONTINUE");
            proto_set_int(c, "trial", proto_int_or(m, "trial", 0));
            proto_set_int(c, "attempt", proto_int_or(m, "attempt", 0));
            s_reply(f, c);
        }
        else if (strcmp(t, "ASK") == 0)
            f->asks++;
        else if (strcmp(t, "TELL") == 0 && f->watch && proto_int_or(m, "trial", 0) == f->watch)
            f->watched++;
        proto_destroy(&m);
    }
    zpoller_destroy(&p);
    fprintf(stderr, "worker_test: no %s within %d ms\n", type, WT_TIMEOUT_MS);
    assert(!"timeout");
    return NULL;
}

/* Wait for a HEARTBEAT, note its running pairs, answer (cancelling trial, attempt 1,
 * when trial is not 0). */
static void s_heartbeat(fake_t *f, long trial)
{
    proto_msg_t *m = s_expect(f, "HEARTBEAT");
    const int64_t *r = proto_get_ints(m, "running", &f->n_running);
    assert(f->n_running <= 16);
    memcpy(f->running, r, sizeof(int64_t) * (size_t)f->n_running);
    proto_destroy(&m);
    m = proto_new("HB_ACK");
    int64_t cancel[2] = {trial, 1};
    if (trial)
        proto_set_ints(m, "cancel", cancel, 2);
    s_reply(f, m);
}

static proto_msg_t *s_trial_msg(long id, const char *config, const char *data, double x)
{
    proto_msg_t *m = proto_new("TRIAL");
    proto_set_str(m, "study", "wt");
    proto_set_int(m, "trial", id);
    proto_set_int(m, "attempt", 1);
    proto_set_int(m, "number", id);
    proto_set_dbls(m, "x", &x, 1);
    proto_set_str(m, "config", config);
    proto_set_str(m, "data", data);
    proto_set_int(m, "seed", 7);
    proto_set_str(m, "kind", "search");
    return m;
}

static void s_trial(fake_t *f, long id, const char *config, const char *data, double x)
{
    s_reply(f, s_trial_msg(id, config, data, x));
}

static void s_ack(fake_t *f, long id)
{
    proto_msg_t *m = proto_new("ACK");
    proto_set_int(m, "trial", id);
    proto_set_int(m, "attempt", 1);
    s_reply(f, m);
}

/* The next TELL, which must be for trial id in state; ACKed unless told not to. */
static proto_msg_t *s_tell(fake_t *f, long id, const char *state, bool ack)
{
    proto_msg_t *t = s_expect(f, "TELL");
    if (proto_int_or(t, "trial", 0) != id || strcmp(proto_get_str(t, "state"), state) != 0)
        fprintf(stderr, "worker_test: TELL %ld %s (%s), expected %ld %s\n",
                (long)proto_int_or(t, "trial", 0), proto_get_str(t, "state"),
                proto_get_str(t, "error") ? proto_get_str(t, "error") : "", id, state);
    assert(proto_int_or(t, "trial", 0) == id && strcmp(proto_get_str(t, "state"), state) == 0);
    if (ack)
        s_ack(f, id);
    return t;
}

static const char s_synthetic[] =
    "{\"study\": \"wt\", \"n_trials\": 10, \"objective\": {\"type\": \"synthetic\", "
    "\"function\": \"sphere\"}, \"space\": {\"x\": {\"type\": \"float\", \"low\": -5, "
    "\"high\": 5}}}";
static const char s_command_fmt[] =
    "{\"study\": \"wt\", \"n_trials\": 10, \"objective\": {\"type\": \"command\", "
    "\"run\": \"%s\"}, \"space\": {\"x\": {\"type\": \"float\", \"low\": -5, "
    "\"high\": 5}}}";

static void s_hello_phase(fake_t *f)
{
    proto_msg_t *m = s_expect(f, "HELLO");
    assert(strcmp(proto_get_str(m, "worker"), "wt-1") == 0);
    assert(proto_int_or(m, "slots", 0) == 2);
    int n;
    char *const *objs = proto_get_strs(m, "objectives", &n);
    assert(objs && n >= 1);
    proto_destroy(&m);
    int64_t t0 = now_ms();
    m = s_expect(f, "HELLO"); /* not answered: said again about a second later */
    assert(now_ms() - t0 >= 700);
    proto_destroy(&m);
    m = proto_new("WELCOME");
    proto_set_int(m, "heartbeat_ms", 200);
    proto_set_int(m, "lease_ms", 1000);
    s_reply(f, m);
    m = s_expect(f, "ASK");
    assert(proto_int_or(m, "slots_free", 0) == 2);
    proto_destroy(&m);
}

/* A good trial whose first TELL goes unACKed: it comes again after ~0.5 s. */
static void s_tell_phase(fake_t *f)
{
    s_trial(f, 1, s_synthetic, "", 1.5);
    proto_msg_t *t = s_tell(f, 1, "COMPLETE", false);
    double v, secs;
    assert(proto_get_dbl(t, "value", &v) == 0 && v == 2.25);
    assert(proto_get_dbl(t, "secs", &secs) == 0 && secs >= 0 && secs < 5);
    proto_destroy(&t);
    int64_t t0 = now_ms();
    t = s_tell(f, 1, "COMPLETE", true);
    assert(now_ms() - t0 >= 300);
    proto_destroy(&t);
}

/* The WELCOME of a fake coordinator with heartbeat hb_ms. */
static void s_welcome(fake_t *f, int hb_ms)
{
    proto_msg_t *m = proto_new("WELCOME");
    proto_set_int(m, "heartbeat_ms", hb_ms);
    proto_set_int(m, "lease_ms", 1000);
    s_reply(f, m);
}

/* An ASK answered by two TRIALs: while the first says one more follows, the worker's
 * ASK is still outstanding (no ASK, and its TELL asks for nothing); after the last it
 * asks again.
 * A 5 s heartbeat keeps the worker's lost-answer resend (2 heartbeats) out of the way. */
static void s_more_phase(fake_t *f)
{
    s_welcome(f, 5000);
    proto_msg_t *m = s_expect(f, "ASK");
    proto_destroy(&m);
    for (int more = 1; more >= 0; more--) {
        long id = 11 - more;
        m = s_trial_msg(id, s_synthetic, "", 1);
        proto_set_int(m, "more", more);
        int asks = f->asks;
        s_reply(f, m);
        proto_msg_t *t = s_tell(f, id, "COMPLETE", true);
        /* asked again, alone or riding on the TELL, only once the answer is complete */
        bool asked = f->asks > asks || proto_int_or(t, "ask", 0) > 0;
        assert(asked == !more);
        proto_destroy(&t);
    }
    s_welcome(f, 200);
}

/* A TELL the coordinator refuses (ERROR naming it: re TELL, trial, attempt) can never
 * be recorded: it is not sent again, even after a new WELCOME (which makes every TELL
 * still held go out at once, before the ASK). Before, it was resent forever. */
static void s_refused_phase(fake_t *f)
{
    s_trial(f, 21, s_synthetic, "", 1);
    proto_msg_t *t = s_tell(f, 21, "COMPLETE", false);
    proto_destroy(&t);
    proto_msg_t *m = proto_new("ERROR");
    proto_set_str(m, "msg", "worker wt-1: TELL for trial 21 refused: leased to another worker");
    proto_set_str(m, "re", "TELL");
    proto_set_int(m, "trial", 21);
    proto_set_int(m, "attempt", 1);
    s_reply(f, m);
    s_reply(f, proto_new("RESET")); /* handled after the ERROR: HELLO follows both */
    m = s_expect(f, "HELLO");
    proto_destroy(&m);
    f->watch = 21;
    s_welcome(f, 200);
    m = s_expect(f, "ASK");
    proto_destroy(&m);
    s_heartbeat(f, 0); /* and the trial is not held any more */
    for (int i = 0; i + 1 < f->n_running; i += 2)
        assert(f->running[i] != 21);
    assert(f->watched == 0);
    f->watch = 0;
}

/* Serve one FETCH with data (total = the real blob's size). */
static void s_serve_fetch(fake_t *f, const char *sha, const char *data, size_t len)
{
    proto_msg_t *m = s_expect(f, "FETCH");
    assert(strcmp(proto_get_str(m, "sha256"), sha) == 0 && proto_int_or(m, "offset", 1) == 0);
    proto_destroy(&m);
    m = proto_new("CHUNK");
    proto_set_str(m, "sha256", sha);
    proto_set_int(m, "offset", 0);
    proto_set_int(m, "total", (int64_t)len);
    proto_set_bin(m, "data", data, len);
    s_reply(f, m);
}

static void s_fetch_phase(fake_t *f, const char *cache)
{
    static const char blob[] = "a,b\n1,2\n";
    char sha[65];
    sha256_hex(blob, strlen(blob), sha);
    s_trial(f, 2, s_synthetic, sha, 1);
    s_serve_fetch(f, sha, "a,b\n1,3\n", strlen(blob)); /* corrupted in transit */
    proto_msg_t *t = s_tell(f, 2, "FAIL", true);
    assert(strstr(proto_get_str(t, "error"), "verification"));
    proto_destroy(&t);

    s_trial(f, 3, s_synthetic, sha, 2);
    s_serve_fetch(f, sha, blob, strlen(blob));
    t = s_tell(f, 3, "COMPLETE", true);
    proto_destroy(&t);
    char *path = xasprintf("%s/blobs/%s", cache, sha);
    assert(access(path, R_OK) == 0);
    free(path);

    /* The coordinator cannot serve a blob: the trial fails with its words. */
    sha256_hex("missing", 7, sha);
    s_trial(f, 4, s_synthetic, sha, 2);
    proto_msg_t *m = s_expect(f, "FETCH");
    proto_destroy(&m);
    char *msg = xasprintf("FETCH: no blob %s", sha);
    m = proto_new("ERROR");
    proto_set_str(m, "msg", msg);
    s_reply(f, m);
    t = s_tell(f, 4, "FAIL", true);
    assert(strcmp(proto_get_str(t, "error"), msg) == 0);
    proto_destroy(&t);
    free(msg);
}

/* Processes whose command line contains needle. */
static int s_count_procs(const char *needle)
{
    DIR *d = opendir("/proc");
    assert(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        if (parse_long(e->d_name, &pid) != 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        for (size_t i = 0; i < len; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[len] = '\0';
        if (strstr(buf, needle) && !strstr(buf, "zombie"))
            n++;
    }
    closedir(d);
    return n;
}

/* A disallowed command fails without running; a cancelled lease is killed quietly. */
static void s_command_phase(fake_t *f)
{
    char *config = xasprintf(s_command_fmt, "touch /tmp/hps-worker-test-must-not-exist");
    s_trial(f, 5, config, "", 0);
    proto_msg_t *t = s_tell(f, 5, "FAIL", true);
    assert(strcmp(proto_get_str(t, "error"), "command not allowed on this worker") == 0);
    proto_destroy(&t);
    free(config);

    /* `; true` keeps the shell around: two processes, in their own process group. */
    config = xasprintf(s_command_fmt, "sleep 30.4242; true");
    s_trial(f, 6, config, "", 0);
    free(config);
    int64_t t0 = now_ms();
    do
        s_heartbeat(f, 0);
    while (f->n_running != 2 && now_ms() - t0 < WT_TIMEOUT_MS);
    assert(f->n_running == 2 && f->running[0] == 6 && f->running[1] == 1);
    /* Cancelled: killed at once, heartbeats list nothing, and no TELL for 6 comes. */
    s_heartbeat(f, 6);
    t0 = now_ms();
    do
        s_heartbeat(f, 0);
    while (f->n_running != 0 && now_ms() - t0 < WT_TIMEOUT_MS);
    assert(f->n_running == 0 && now_ms() - t0 < 2000);
    t0 = now_ms();
    while (s_count_procs("30.4242") > 0 && now_ms() - t0 < 2000)
        usleep(10000);
    assert(s_count_procs("30.4242") == 0);
}

static pid_t s_spawn_worker(const char *endpoint, const char *cache)
{
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0) {
        log_set_level(getenv("HPS_TEST_VERBOSE") ? LL_DEBUG : LL_ERROR);
        worker_opts_t opts = {.endpoint = endpoint, .slots = 2, .name = "wt-1",
                              .cache_dir = cache, .allow_command = "sh -c sleep *"};
        char err[HPS_ERR_LEN];
        int rc = worker_run(&opts, err);
        if (rc != 0)
            fprintf(stderr, "worker_run: %s\n", err);
        /* exit, not _exit: the worker owns this process, and a sanitizer build then
         * checks it for leaks. */
        exit(rc == 0 ? 0 : 1);
    }
    return pid;
}

void worker_test(bool verbose)
{
    if (verbose)
        printf(" * worker: ");
    char dir[] = "/tmp/hps-worker-test-XXXXXX";
    assert(mkdtemp(dir));
    char *endpoint = xasprintf("ipc://%s/coord", dir);
    char *cache = xasprintf("%s/cache", dir);
    /* Fork first: like `hps run`, the worker starts where no zmq context exists. The
     * flush keeps the child's exit() from printing our buffered output again. */
    fflush(stdout);
    pid_t pid = s_spawn_worker(endpoint, cache);
    fake_t f = {.sock = zsock_new(ZMQ_ROUTER)};
    assert(f.sock && zsock_bind(f.sock, "%s", endpoint) == 0);

    s_hello_phase(&f);
    s_tell_phase(&f);
    s_more_phase(&f);
    s_refused_phase(&f);
    s_fetch_phase(&f, cache);
    s_command_phase(&f);
    /* RESET: the worker says HELLO again and carries on. */
    s_reply(&f, proto_new("RESET"));
    proto_msg_t *m = s_expect(&f, "HELLO");
    proto_destroy(&m);
    m = proto_new("WELCOME");
    proto_set_int(m, "heartbeat_ms", 200);
    proto_set_int(m, "lease_ms", 1000);
    s_reply(&f, m);
    m = s_expect(&f, "ASK");
    proto_destroy(&m);
    s_reply(&f, proto_new("BYE"));
    int status;
    assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert(access("/tmp/hps-worker-test-must-not-exist", F_OK) != 0);

    zframe_destroy(&f.route);
    zsock_destroy(&f.sock);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert(system(cmd) == 0);
    free(cmd);
    free(endpoint);
    free(cache);
    if (verbose)
        printf("OK\n");
}
