/* client — `hps submit`, `hps status`, `hps stop`: short request/reply exchanges with a
 * running coordinator over a DEALER socket (CURVE when --cert/--server-key are given). */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/coordinator.h"
#include "cli/db.h"
#include "cli/lifecycle.h"
#include "cli/cli_flags.h"
#include "cli/watch.h"
#include "core/connwatch.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/points.h"
#include "core/proto.h"

typedef struct {
    const char *to, *cert, *server_key, *db;
    long timeout_ms;
    bool json;
    bool watch;      /* status --watch */
    double interval; /* seconds between --watch refreshes */
    char **args; /* operands in order */
    int n_args;
} client_flags_t;

/* The options every client command takes. */
#define S_CONNECT_HELP                                                                    \
    "  --cert FILE         this client's CURVE secret key (hps keygen)\n"                  \
    "  --server-key FILE   the coordinator's public key (both needed off loopback)\n"      \
    "  --timeout SECS      how long to wait for the coordinator (default 10)\n"            \
    "  -v, -q              more or less logging on stderr\n"

static const char s_submit_usage[] =
    "usage: hps submit CONFIG [key=value ...] --to ENDPOINT [options]\n"
    "Add a study to a running coordinator. Its dataset, and a command objective's code\n"
    "(code: or code_dir:), are uploaded first (by sha256, skipped when the coordinator\n"
    "has them already); workers then run its trials.\n"
    "  --to ENDPOINT       the coordinator, e.g. tcp://head:5555\n" S_CONNECT_HELP;

static const char s_status_usage[] =
    "usage: hps status [--to ENDPOINT | --db FILE] [--json | --watch] [STUDY]\n"
    "Studies (DONE = COMPLETE + PRUNED + FAIL of n_trials, each count, best) and\n"
    "workers (alive, gone or left, and when the coordinator last heard from them).\n"
    "  --to ENDPOINT       ask a running coordinator (live, exact)\n"
    "  --db FILE           read a study file (default hps.db when neither is given;\n"
    "                      worker times there are up to a quarter lease behind)\n"
    "  --json              one JSON object: {\"studies\": [...], \"workers\": [...]}\n"
    "  STUDY               only this study (exit 2 if there is none of that name)\n"
    "  --watch             refresh every --interval until Ctrl-C (exit 0): trials done,\n"
    "                      best so far, trials/s and ETA (since the watch began), live\n"
    "                      workers; redrawn in place on a terminal, else a new block each\n"
    "  --interval SECS     seconds between --watch refreshes (default 2)\n"
    "with --to:\n" S_CONNECT_HELP;

static const char s_stop_usage[] =
    "usage: hps stop STUDY --to ENDPOINT [options]\n"
    "Stop a study on a running coordinator: it hands out no new trials (trials already\n"
    "running may still finish).\n"
    "  --to ENDPOINT       the coordinator, e.g. tcp://head:5555\n" S_CONNECT_HELP;

static const char s_resume_usage[] =
    "usage: hps resume STUDY [n_trials=N] (--to ENDPOINT | --db FILE) [options]\n"
    "Run a stopped or done study again: it runs its missing trials (n_trials minus the\n"
    "COMPLETE, PRUNED and FAIL ones; a failed trial counts as run, as in Optuna), numbering\n"
    "on. n_trials=N raises n_trials first. A done study with nothing missing exits 1.\n"
    "  --to ENDPOINT       on a running coordinator\n"
    "  --db FILE           in a study file, for the next hps coordinator or hps run on it\n"
    "                      (refused while a coordinator serves the file: use --to)\n"
    "with --to:\n" S_CONNECT_HELP;

static const char s_enqueue_usage[] =
    "usage: hps enqueue STUDY FILE (--to ENDPOINT | --db FILE) [options]\n"
    "Add given points to a study as WAITING trials, run before any the sampler proposes\n"
    "(Optuna's enqueue_trial). FILE is JSON ({\"param\": value, ...} or an array of them)\n"
    "or CSV (.csv: a header of parameter names, one row per point). Every parameter must\n"
    "be given, within its range and step, or one of its choices, except a conditional\n"
    "one where its `when` does not hold (left out, or an empty CSV cell); enqueued\n"
    "trials count toward n_trials (raise it first with hps resume STUDY n_trials=N).\n"
    "Any bad point: exit 2 naming FILE:line and the parameter, nothing stored.\n"
    "  --to ENDPOINT       on a running coordinator\n"
    "  --db FILE           in a study file (refused while a coordinator serves it)\n"
    "with --to:\n" S_CONNECT_HELP;

/* 0 parsed, -1 after --help (exit 0), or an exit code. with_db: --db and --json are
 * accepted (status only). */
static int s_parse(int argc, char **argv, const char *usage, bool with_db, client_flags_t *f)
{
    static const struct option longopts[] = {
        {"to", required_argument, 0, 't'},         {"cert", required_argument, 0, 'c'},
        {"server-key", required_argument, 0, 'k'}, {"db", required_argument, 0, 'd'},
        {"timeout", required_argument, 0, 'T'},    {"json", no_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'},             {"watch", no_argument, 0, 'W'},
        {"interval", required_argument, 0, 'I'},   {0, 0, 0, 0}};
    *f = (client_flags_t){.timeout_ms = 10000, .interval = 2};
    f->args = xcalloc((size_t)argc, sizeof(char *));
    int opt;
    long secs;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "-vqh", longopts, NULL)) != -1) {
        if (opt > 0 && strchr("dJWI", opt) && !with_db) {
            fprintf(stderr, "hps %s: %s is only for hps status\n%s", argv[0],
                    argv[optind - 1], usage);
            return 2;
        }
        switch (opt) {
        case 1: f->args[f->n_args++] = optarg; break;
        case 't': f->to = optarg; break;
        case 'c': f->cert = optarg; break;
        case 'k': f->server_key = optarg; break;
        case 'd': f->db = optarg; break;
        case 'J': f->json = true; break;
        case 'W': f->watch = true; break;
        case 'I':
            if (parse_double(optarg, &f->interval) != 0 || !(f->interval >= 0.05) ||
                f->interval > 86400) {
                fprintf(stderr, "hps status: --interval: expected seconds in 0.05..86400, "
                                "got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'v': log_set_level(LL_DEBUG); break;
        case 'q': log_set_level(LL_WARN); break;
        case 'T':
            if (cli_flag_long(argv[0], "--timeout", optarg, 1, 86400, &secs) != 0)
                return 2;
            f->timeout_ms = secs * 1000;
            break;
        case 'h': fputs(usage, stdout); return -1;
        default: fputs(usage, stderr); return 2;
        }
    }
    if ((f->cert != NULL) != (f->server_key != NULL)) {
        fprintf(stderr, "hps: --cert and --server-key go together\n");
        return 2;
    }
    return cli_check_plain(argv[0], f->to, f->cert) == 0 ? 0 : 2;
}

/* A client's connection: its socket, and what explains a silence (core/connwatch.h). */
typedef struct {
    zsock_t *sock;
    connwatch_t *watch;
} conn_t;

static void s_close(conn_t **c_p)
{
    if (!*c_p)
        return;
    connwatch_destroy(&(*c_p)->watch);
    zsock_destroy(&(*c_p)->sock);
    free(*c_p);
    *c_p = NULL;
}

static conn_t *s_connect(const client_flags_t *f, char *err)
{
    conn_t *c = xcalloc(1, sizeof *c);
    c->sock = zsock_new(ZMQ_DEALER);
    if (!c->sock) {
        s_close(&c);
        return set_err(err, "cannot create socket"), NULL;
    }
    zsock_set_linger(c->sock, 0);
    proto_limit_socket(c->sock);
    char *pub = NULL;
    if (f->cert) {
        zcert_t *mine = zcert_load(f->cert), *server = zcert_load(f->server_key);
        if (!mine || !server) {
            set_err(err, "cannot load %s", mine ? f->server_key : f->cert);
            zcert_destroy(&mine);
            zcert_destroy(&server);
            s_close(&c);
            return NULL;
        }
        zcert_apply(mine, c->sock);
        zsock_set_curve_serverkey(c->sock, zcert_public_txt(server));
        pub = xstrdup(zcert_public_txt(mine));
        zcert_destroy(&mine);
        zcert_destroy(&server);
    }
    c->watch = connwatch_new(c->sock, f->to, pub, err);
    free(pub);
    if (!c->watch)
        s_close(&c);
    else if (zsock_connect(c->sock, "%s", f->to) != 0) {
        set_err(err, "cannot connect to %s", f->to);
        s_close(&c);
    }
    return c;
}

/* Send m and wait for the reply; ERROR replies become err (and *bad, when not NULL,
 * says whether the coordinator found the request itself bad). NULL on failure. */
static proto_msg_t *s_call(conn_t *c, proto_msg_t **m, long timeout_ms, bool *bad,
                           char *err)
{
    /* A DEALER blocks a send while it has no peer: after a failed handshake (a plain
     * client against a CURVE coordinator) libzmq can drop the pipe before the send,
     * and without a send timeout the call never returns (caught under ASan). */
    err[0] = '\0'; /* proto_recv sets it, a failed send does not */
    zsock_set_sndtimeo(c->sock, (int)timeout_ms);
    zsock_set_rcvtimeo(c->sock, (int)timeout_ms);
    bool sent = proto_send(m, c->sock, NULL) == 0;
    proto_msg_t *r = sent ? proto_recv(c->sock, NULL, err) : NULL;
    if (!r) {
        char why[512];
        connwatch_update(c->watch);
        connwatch_why(c->watch, why, sizeof why);
        if (!*err)
            set_err(err, "%s the coordinator within %ld s: %s",
                    sent ? "no answer from" : "could not send to", timeout_ms / 1000, why);
        return NULL;
    }
    if (strcmp(proto_type(r), "ERROR") == 0) {
        set_err(err, "%s", proto_get_str(r, "msg"));
        if (bad)
            *bad = proto_int_or(r, "bad", 0) != 0;
        proto_destroy(&r);
    }
    return r;
}

/* Upload len bytes at data (named by sha) in chunks unless the coordinator has them. */
static int s_upload_mem(conn_t *sock, const char *data, size_t len, const char *sha,
                        long timeout_ms, char *err)
{
    int64_t off = 0;
    int rc = 0;
    do {
        size_t n = len - (size_t)off < PROTO_CHUNK ? len - (size_t)off : PROTO_CHUNK;
        proto_msg_t *m = proto_new("PUT");
        proto_set_str(m, "sha256", sha);
        proto_set_int(m, "offset", off);
        proto_set_int(m, "total", (int64_t)len);
        proto_set_bin(m, "data", data + off, n);
        proto_msg_t *r = s_call(sock, &m, timeout_ms, NULL, err);
        if (!r) {
            rc = -1;
            break;
        }
        off = proto_int_or(r, "offset", -1);
        proto_destroy(&r);
        if (off < 0 || off > (int64_t)len)
            rc = set_err(err, "bad upload acknowledgement");
    } while (rc == 0 && off < (int64_t)len);
    return rc;
}

/* Upload the dataset file; see s_upload_mem. */
static int s_upload(conn_t *sock, const char *path, const char *sha, long timeout_ms, char *err)
{
    size_t len;
    char *data = file_read(path, &len, err);
    if (!data)
        return -1;
    int rc = s_upload_mem(sock, data, len, sha, timeout_ms, err);
    free(data);
    return rc;
}

/* A SUBMITTED reply (taken) as one line on stdout: 0, or -1 when r is NULL. */
static int client_print_submitted(proto_msg_t *r)
{
    if (!r)
        return -1;
    const char *text = proto_get_str(r, "text");
    char *shown = text ? limits_escape(text, false) : NULL;
    if (shown)
        printf("%s\n", shown);
    else
        printf("submitted %s\n", proto_get_str(r, "study"));
    free(shown);
    proto_destroy(&r);
    return 0;
}

static void client_print_error(const char *cmd, const char *err)
{
    char *shown = limits_escape(err, true);
    fprintf(stderr, "hps %s: %s\n", cmd, shown);
    free(shown);
}

int submit_main(int argc, char **argv)
{
    client_flags_t f;
    int rc = s_parse(argc, argv, s_submit_usage, false, &f);
    if (rc == 0 && (f.n_args < 1 || !f.to)) {
        fprintf(stderr, "hps submit: CONFIG and --to ENDPOINT are required\n");
        rc = 2;
    }
    if (rc != 0) {
        free(f.args);
        return rc < 0 ? 0 : rc;
    }
    for (int i = 1; i < f.n_args; i++)
        if (!strchr(f.args[i], '=')) {
            fprintf(stderr, "hps submit: unexpected argument '%s'\n", f.args[i]);
            free(f.args);
            return 2;
        }
    study_config_t *cfg = cli_load_study(f.args[0], f.n_args - 1, f.args + 1, false, NULL);
    free(f.args);
    if (!cfg)
        return 2;
    char err[HPS_ERR_LEN];
    conn_t *sock = s_connect(&f, err);
    rc = sock ? 0 : -1;
    const cfg_node_t *sha = cfg->data ? cfg_get(cfg->data, "sha256") : NULL;
    if (rc == 0 && cfg->data_file && sha)
        rc = s_upload(sock, cfg->data_file, sha->value, f.timeout_ms, err);
    const cfg_node_t *code = cfg_get(cfg->objective, "code_sha256");
    if (rc == 0 && cfg->code && code)
        rc = s_upload_mem(sock, cfg->code, cfg->code_len, code->value, f.timeout_ms, err);
    bool bad = false;
    if (rc == 0) {
        proto_msg_t *m = proto_new("SUBMIT");
        proto_set_str(m, "config", cfg->json);
        rc = client_print_submitted(s_call(sock, &m, f.timeout_ms, &bad, err));
    }
    if (rc != 0)
        client_print_error("submit", err);
    s_close(&sock);
    study_config_destroy(&cfg);
    return rc == 0 ? 0 : bad ? 2 : 1;
}

/* One request without arguments beyond an optional study; prints the reply. Exit 2 when
 * the coordinator calls the request bad (an unknown study), 1 on other failures. */
static int s_simple_call(const client_flags_t *f, proto_msg_t *m, const char *cmd)
{
    char err[HPS_ERR_LEN];
    bool bad = false;
    conn_t *sock = s_connect(f, err);
    proto_msg_t *r = sock ? s_call(sock, &m, f->timeout_ms, &bad, err) : NULL;
    proto_destroy(&m);
    if (r && strcmp(proto_type(r), "STATUS_REPLY") == 0) {
        const char *text = proto_get_str(r, "text");
        /* The coordinator's words, as bytes for a terminal: escaped (core/limits.h). */
        char *shown = f->json || !text ? NULL : limits_escape(text, true);
        if (shown)
            fputs(shown, stdout);
        else
            puts(proto_get_str(r, "json"));
        free(shown);
    }
    else if (r)
        printf("stopped %s\n", proto_get_str(r, "study"));
    else {
        char *shown = limits_escape(err, false);
        fprintf(stderr, "hps %s: %s\n", cmd, shown);
        free(shown);
    }
    int rc = r ? 0 : bad ? 2 : 1;
    proto_destroy(&r);
    s_close(&sock);
    return rc;
}

/* Neither --to nor --db: hps.db here, as leaderboard and promote do; never created. */
static int s_default_db(client_flags_t *f)
{
    f->db = "hps.db";
    if (access(f->db, F_OK) == 0)
        return 0;
    fprintf(stderr, "hps status: no hps.db in this directory (give --db FILE, or --to ENDPOINT "
                    "for a running coordinator)\n");
    return 2;
}

/* --watch over a coordinator: one STATUS request per refresh on one socket. */
typedef struct {
    const client_flags_t *f;
    conn_t *sock;
    const char *study;
} s_watch_to_t;

static int s_watch_to_fetch(void *arg, char **json, char *err)
{
    s_watch_to_t *w = arg;
    proto_msg_t *m = proto_new("STATUS");
    if (w->study)
        proto_set_str(m, "study", w->study);
    bool bad = false;
    proto_msg_t *r = s_call(w->sock, &m, w->f->timeout_ms, &bad, err);
    proto_destroy(&m);
    if (r && strcmp(proto_type(r), "STATUS_REPLY") != 0) {
        set_err(err, "unexpected %s reply", proto_type(r));
        proto_destroy(&r);
    }
    *json = r ? xstrdup(proto_get_str(r, "json")) : NULL;
    proto_destroy(&r);
    return *json ? 0 : bad ? 1 : -1;
}

/* hps status --watch, from f->db or f->to. */
static int s_watch(const client_flags_t *f, const char *study)
{
    watch_opts_t o = {.interval = f->interval, .tty = isatty(STDOUT_FILENO), .out = stdout};
    char err[HPS_ERR_LEN];
    if (f->db) {
        watch_db_t d = {.st = store_open_read(f->db, err), .study = study};
        if (!d.st) {
            fprintf(stderr, "hps status: %s\n", err);
            return access(f->db, F_OK) == 0 ? 1 : 2;
        }
        int rc = watch_run(&o, watch_db_fetch, &d);
        store_close(&d.st);
        return rc;
    }
    s_watch_to_t w = {.f = f, .sock = s_connect(f, err), .study = study};
    if (!w.sock) {
        fprintf(stderr, "hps status: %s\n", err);
        return 1;
    }
    int rc = watch_run(&o, s_watch_to_fetch, &w);
    s_close(&w.sock);
    return rc;
}

int status_main(int argc, char **argv)
{
    client_flags_t f;
    int rc = s_parse(argc, argv, s_status_usage, true, &f);
    if (rc == 0 && ((f.to && f.db) || f.n_args > 1)) {
        fprintf(stderr, "hps status: give one of --to ENDPOINT or --db FILE, and at most "
                        "one STUDY\n%s", s_status_usage);
        rc = 2;
    }
    if (rc == 0 && f.watch && f.json) {
        fprintf(stderr, "hps status: --watch shows a table; --json is for one snapshot\n");
        rc = 2;
    }
    if (rc == 0 && !f.to && !f.db)
        rc = s_default_db(&f);
    const char *study = f.n_args ? f.args[0] : NULL;
    if (rc == 0 && f.watch)
        rc = s_watch(&f, study);
    else if (rc == 0 && f.db)
        rc = status_db_run(f.db, f.json, study);
    else if (rc == 0) {
        proto_msg_t *m = proto_new("STATUS");
        if (study)
            proto_set_str(m, "study", study);
        rc = s_simple_call(&f, m, "status");
    }
    free(f.args);
    return rc < 0 ? 0 : rc;
}

int stop_main(int argc, char **argv)
{
    client_flags_t f;
    int rc = s_parse(argc, argv, s_stop_usage, false, &f);
    if (rc == 0 && (f.n_args != 1 || !f.to)) {
        fprintf(stderr, "hps stop: STUDY and --to ENDPOINT are required\n");
        rc = 2;
    }
    if (rc == 0) {
        proto_msg_t *m = proto_new("STOP");
        proto_set_str(m, "study", f.args[0]);
        rc = s_simple_call(&f, m, "stop");
    }
    free(f.args);
    return rc < 0 ? 0 : rc;
}

/* STUDY [n_trials=N]: the n_trials given (0: none), or -1 after a message. */
static long s_resume_n_trials(const client_flags_t *f)
{
    long n = 0;
    if (f->n_args == 2 && strncmp(f->args[1], "n_trials=", 9) == 0 &&
        cli_flag_long("resume", "n_trials", f->args[1] + 9, 1, 1L << 40, &n) == 0)
        return n;
    if (f->n_args == 1)
        return 0;
    if (f->n_args == 2 && strncmp(f->args[1], "n_trials=", 9) == 0)
        return -1;
    fprintf(stderr, "hps resume: STUDY [n_trials=N] and one of --to ENDPOINT or --db FILE\n%s",
            s_resume_usage);
    return -1;
}

int resume_main(int argc, char **argv)
{
    client_flags_t f;
    int rc = s_parse(argc, argv, s_resume_usage, true, &f);
    if (rc == 0 && (!f.to == !f.db || f.json)) {
        fprintf(stderr, "hps resume: give one of --to ENDPOINT or --db FILE\n%s", s_resume_usage);
        rc = 2;
    }
    long n = rc == 0 ? s_resume_n_trials(&f) : 0;
    if (n < 0)
        rc = 2;
    if (rc == 0 && f.db)
        rc = lifecycle_resume_db(f.db, f.args[0], n);
    else if (rc == 0) {
        char err[HPS_ERR_LEN];
        bool bad = false;
        conn_t *sock = s_connect(&f, err);
        proto_msg_t *m = proto_new("RESUME");
        proto_set_str(m, "study", f.args[0]);
        if (n > 0)
            proto_set_int(m, "n_trials", n);
        rc = sock ? client_print_submitted(s_call(sock, &m, f.timeout_ms, &bad, err)) : -1;
        proto_destroy(&m);
        if (rc != 0)
            client_print_error("resume", err);
        rc = rc == 0 ? 0 : bad ? 2 : 1;
        s_close(&sock);
    }
    free(f.args);
    return rc < 0 ? 0 : rc;
}

/* ENQUEUE of every point of pts to f->to: the exit code. */
static int s_enqueue_to(const client_flags_t *f, const char *study, const points_t *pts)
{
    char err[HPS_ERR_LEN];
    bool bad = false;
    char **json = xcalloc((size_t)pts->n, sizeof *json);
    const char **where = xcalloc((size_t)pts->n, sizeof *where);
    for (int i = 0; i < pts->n; i++) {
        json[i] = points_json(&pts->items[i]);
        where[i] = pts->items[i].where;
    }
    proto_msg_t *m = proto_new("ENQUEUE");
    proto_set_str(m, "study", study);
    proto_set_strs(m, "points", (const char *const *)json, pts->n);
    proto_set_strs(m, "where", where, pts->n);
    for (int i = 0; i < pts->n; i++)
        free(json[i]);
    free(json);
    free(where);
    conn_t *sock = s_connect(f, err);
    int rc = sock ? client_print_submitted(s_call(sock, &m, f->timeout_ms, &bad, err)) : -1;
    proto_destroy(&m);
    if (rc != 0)
        client_print_error("enqueue", err);
    s_close(&sock);
    return rc == 0 ? 0 : bad ? 2 : 1;
}

int enqueue_main(int argc, char **argv)
{
    client_flags_t f;
    int rc = s_parse(argc, argv, s_enqueue_usage, true, &f);
    if (rc == 0 && (!f.to == !f.db || f.json || f.watch || f.n_args != 2)) {
        fprintf(stderr, "hps enqueue: STUDY FILE and one of --to ENDPOINT or --db FILE\n%s",
                s_enqueue_usage);
        rc = 2;
    }
    char err[HPS_ERR_LEN];
    points_t *pts = rc == 0 ? points_load(f.args[1], err) : NULL;
    if (rc == 0 && !pts) {
        fprintf(stderr, "hps enqueue: %s\n", err);
        rc = 2;
    }
    if (rc == 0)
        rc = f.db ? lifecycle_enqueue_db(f.db, f.args[0], pts) : s_enqueue_to(&f, f.args[0], pts);
    points_destroy(&pts);
    free(f.args);
    return rc < 0 ? 0 : rc;
}

/* s_call's send timeout: a DEALER without a peer holds a send back (as after a failed
 * handshake dropped its pipe); the call must give up after timeout_ms and say it could
 * not send, whatever err held before. Never connected, so no pipe ever exists. */
void client_test(bool verbose)
{
    if (verbose)
        printf(" * client: a send with no peer times out\n");
    conn_t c = {.sock = zsock_new(ZMQ_DEALER)};
    assert(c.sock);
    zsock_set_linger(c.sock, 0);
    char err[HPS_ERR_LEN];
    c.watch = connwatch_new(c.sock, "tcp://127.0.0.1:9", NULL, err);
    assert(c.watch);
    memset(err, 'x', sizeof err - 1); /* stale text the call must not keep */
    err[sizeof err - 1] = '\0';
    proto_msg_t *m = proto_new("STATUS");
    assert(!s_call(&c, &m, 1000, NULL, err) && !m);
    const char *want = "could not send to the coordinator within 1 s: ";
    if (verbose)
        printf("   %s\n", err);
    assert(strncmp(err, want, strlen(want)) == 0);
    connwatch_destroy(&c.watch);
    zsock_destroy(&c.sock);
}
