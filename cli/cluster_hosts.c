/* cluster_hosts — the hosts file and the state file of `hps cluster` (see cluster_hosts.h).
 *
 * One parser reads both: the state file is a hosts file whose lines carry the options
 * only `up` writes (dir=, hps=, coordinator=PID, pids=), plus `endpoint` and `local`
 * lines. Errors read like the config's: "hosts:3: port=x: expected 1..65535". */
#include "cli/cluster_hosts.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

bool cluster_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 128 ||
        !strchr("abcdefghijklmnopqrstuvwxyz"
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                *s))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
           strlen(s);
}

/* A path of the state file: printable, no whitespace, no quote (it is quoted for sh). */
static bool s_path_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\'')
            return false;
    return *s != 0;
}

int cluster_coord_host(const cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->hosts[i].coordinator)
            return i;
    return -1;
}

void cluster_worker_name(const cluster_host_t *h, int i, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%d", h->name, i);
}

/* "1,2,3" into h->pids (h->workers entries). 0 or -1. */
static int s_pids(cluster_host_t *h, const char *v)
{
    h->pids = xcalloc((size_t)h->workers + 1, sizeof(long));
    char *copy = xstrdup(v), *save = NULL;
    int n = 0, rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n >= h->workers || parse_long(t, &h->pids[n]) != 0 || h->pids[n] < 0)
            rc = -1;
        n++;
    }
    free(copy);
    return rc == 0 && n == h->workers ? 0 : -1;
}

/* One key=value of a host line into h; NULL or the reason it is refused. */
static const char *s_option(cluster_host_t *h, const char *key, const char *v, bool state)
{
    long n;
    if (strcmp(key, "user") == 0)
        return cluster_name_ok(v) ? (h->user = xstrdup(v), NULL) : "not a user name";
    if (strcmp(key, "addr") == 0)
        return cluster_name_ok(v) ? (h->addr = xstrdup(v), NULL) : "not a host name or address";
    if (strcmp(key, "hps") == 0)
        return s_path_ok(v) ? (h->hps = xstrdup(v), NULL) : "not a path without spaces";
    long lo = 1, hi = 65535, *out = &h->port;
    if (strcmp(key, "workers") == 0)
        lo = 0, hi = CLUSTER_MAX_WORKERS, out = &h->workers;
    else if (strcmp(key, "slots") == 0)
        hi = 4096, out = &h->slots;
    else if (state && strcmp(key, "coordinator") == 0)
        lo = 0, hi = 1L << 30, out = &h->coord_pid;
    else if (state && strcmp(key, "dir") == 0)
        return s_path_ok(v) ? (h->dir = xstrdup(v), NULL) : "not a path without spaces";
    else if (state && strcmp(key, "pids") == 0)
        return s_pids(h, v) == 0 ? NULL : "expected one pid per worker";
    else if (strcmp(key, "port") != 0)
        return "unknown option (options: user=, port=, workers=, slots=, addr=, hps=, "
               "coordinator)";
    if (parse_long(v, &n) != 0 || n < lo || n > hi) {
        static char why[64];
        snprintf(why, sizeof why, "expected a number in %ld..%ld", lo, hi);
        return why;
    }
    *out = n;
    return NULL;
}

/* One line's words (words[0] the host) into a new host of c; false after a message. */
static bool s_host_line(cluster_t *c, char **words, int n, const char *path, int line, bool state)
{
    if (!cluster_name_ok(words[0])) {
        fprintf(stderr, "%s:%d: '%s': a host is letters, digits, '.', '_', '-'\n", path, line,
                words[0]);
        return false;
    }
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->hosts[i].name, words[0]) == 0) {
            fprintf(stderr, "%s:%d: host %s again (first at line %d)\n", path, line, words[0],
                    c->hosts[i].line);
            return false;
        }
    c->hosts = xrealloc(c->hosts, (size_t)(c->n + 1) * sizeof(cluster_host_t));
    cluster_host_t *h = &c->hosts[c->n++];
    *h = (cluster_host_t){.name = xstrdup(words[0]), .workers = 1, .slots = 1, .line = line};
    bool ok = true;
    for (int i = 1; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq && strcmp(words[i], "coordinator") == 0) {
            h->coordinator = true;
            continue;
        }
        const char *why = "expected key=value";
        if (eq) {
            *eq = 0;
            why = s_option(h, words[i], eq + 1, state);
            if (!why && state && strcmp(words[i], "coordinator") == 0)
                h->coordinator = true;
            *eq = '=';
        }
        if (why) {
            fprintf(stderr, "%s:%d: %s: %s\n", path, line, words[i], why);
            ok = false;
        }
    }
    if (!state && h->workers == 0 && !h->coordinator) {
        fprintf(stderr, "%s:%d: host %s runs nothing (workers=0 without coordinator)\n", path, line,
                h->name);
        ok = false;
    }
    return ok;
}

/* A state file's own lines: "endpoint EP", "local PID". 1 taken, 0 not one, -1 bad. */
static int s_state_line(cluster_t *c, char **words, int n)
{
    if (n == 2 && strcmp(words[0], "endpoint") == 0 && s_path_ok(words[1])) {
        free(c->endpoint);
        c->endpoint = xstrdup(words[1]);
        return 1;
    }
    if (n == 2 && strcmp(words[0], "ssh-config") == 0 && s_path_ok(words[1])) {
        free(c->ssh_config);
        c->ssh_config = xstrdup(words[1]);
        return 1;
    }
    if (strcmp(words[0], "local") == 0)
        return n == 2 && parse_long(words[1], &c->local_pid) == 0 && c->local_pid > 0 ? 1 : -1;
    return strcmp(words[0], "host") == 0 ? 0 : -1;
}

/* Split a line at whitespace, dropping a comment; the words point into line. */
static int s_words(char *line, char **words, int max)
{
    char *hash = strchr(line, '#'), *save = NULL;
    if (hash)
        *hash = 0;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max;
         t = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = t;
    return n;
}

static int s_check(cluster_t *c, const char *path, bool state)
{
    int coord = -1, bad = 0;
    for (int i = 0; i < c->n; i++) {
        if (!c->hosts[i].coordinator)
            continue;
        if (coord >= 0) {
            fprintf(stderr, "%s:%d: a second coordinator (the first at line %d)\n", path,
                    c->hosts[i].line, c->hosts[coord].line);
            bad = 1;
        }
        coord = i;
    }
    if (c->n == 0) {
        fprintf(stderr, "%s: no hosts\n", path);
        bad = 1;
    }
    if (state && !c->endpoint) {
        fprintf(stderr, "%s: no endpoint line: not a state file of hps cluster up\n", path);
        bad = 1;
    }
    return bad ? -1 : 0;
}

int cluster_load(const char *path, bool state, cluster_t *c)
{
    *c = (cluster_t){0};
    char err[HPS_ERR_LEN];
    char *text = file_read_max(path, 1 << 20, NULL, err);
    if (!text) {
        fprintf(stderr, "hps cluster: %s\n", err);
        return access(path, F_OK) == 0 ? -2 : -1;
    }
    bool ok = true;
    char *words[64];
    int line = 0;
    /* strtok_r would merge empty lines and so lose the count: split by hand */
    for (char *l = text, *next; l; l = next) {
        next = strchr(l, '\n');
        if (next)
            *next++ = 0;
        line++;
        int n = s_words(l, words, (int)ARRAY_SIZE(words));
        int own = n && state ? s_state_line(c, words, n) : 0;
        if (own < 0)
            fprintf(stderr, "%s:%d: '%s': not a line of a state file\n", path, line, words[0]);
        if (own < 0 ||
            (n && own == 0 && !s_host_line(c, words + state, n - state, path, line, state)))
            ok = false;
    }
    free(text);
    if (ok && s_check(c, path, state) == 0)
        return 0;
    cluster_free(c);
    return -1;
}

int cluster_save(const char *path, const cluster_t *c, char *err)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb,
              "# hps cluster: what `hps cluster up` started; read by down and status\n"
              "endpoint %s\n",
              c->endpoint);
    if (c->local_pid)
        sb_printf(&sb, "local %ld\n", c->local_pid);
    if (c->ssh_config)
        sb_printf(&sb, "ssh-config %s\n", c->ssh_config);
    for (int i = 0; i < c->n; i++) {
        const cluster_host_t *h = &c->hosts[i];
        sb_printf(&sb, "host %s workers=%ld slots=%ld", h->name, h->workers, h->slots);
        if (h->user)
            sb_printf(&sb, " user=%s", h->user);
        if (h->port)
            sb_printf(&sb, " port=%ld", h->port);
        if (h->addr)
            sb_printf(&sb, " addr=%s", h->addr);
        sb_printf(&sb, " dir=%s hps=%s", h->dir, h->hps);
        if (h->coordinator)
            sb_printf(&sb, " coordinator=%ld", h->coord_pid);
        for (int w = 0; w < h->workers; w++)
            sb_printf(&sb, "%s%ld", w ? "," : " pids=", h->pids ? h->pids[w] : 0);
        sb_putc(&sb, '\n');
    }
    int rc = file_write_atomic(path, sb.buf, sb.len, err);
    sb_free(&sb);
    return rc;
}

void cluster_free(cluster_t *c)
{
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        free(h->name);
        free(h->user);
        free(h->addr);
        free(h->hps);
        free(h->dir);
        free(h->pids);
    }
    free(c->hosts);
    free(c->endpoint);
    free(c->ssh_config);
    *c = (cluster_t){0};
}

/* ---- self-test -------------------------------------------------------------------- */

static int s_load_text(const char *dir, const char *text, bool state, cluster_t *c)
{
    char *path = xasprintf("%s/hosts", dir), err[HPS_ERR_LEN];
    assert(file_write_atomic(path, text, strlen(text), err) == 0);
    int rc = cluster_load(path, state, c);
    free(path);
    return rc;
}

void cluster_hosts_test(bool verbose)
{
    char dir[] = "/tmp/hps-clhosts-XXXXXX";
    assert(mkdtemp(dir));
    cluster_t c;
    assert(s_load_text(dir,
                       "# a comment\n\nhead coordinator workers=0  # here\n"
                       "n1 slots=4 workers=2 user=al port=2222\n",
                       false, &c) == 0);
    assert(c.n == 2 && cluster_coord_host(&c) == 0 && c.hosts[0].workers == 0);
    assert(c.hosts[1].slots == 4 && c.hosts[1].workers == 2 && c.hosts[1].port == 2222);
    assert(strcmp(c.hosts[1].user, "al") == 0 && c.hosts[1].line == 4);
    char name[160];
    cluster_worker_name(&c.hosts[1], 2, name, sizeof name);
    assert(strcmp(name, "n1-2") == 0);

    /* out through the state file and back */
    c.endpoint = xstrdup("tcp://head:5555");
    for (int i = 0; i < 2; i++) {
        c.hosts[i].dir = xstrdup(".hps-cluster/x");
        c.hosts[i].hps = xstrdup("./hps");
    }
    c.hosts[0].coord_pid = 77;
    c.hosts[1].pids = xcalloc(2, sizeof(long));
    c.hosts[1].pids[0] = 10, c.hosts[1].pids[1] = 11;
    char *state = xasprintf("%s/state", dir), err[HPS_ERR_LEN];
    assert(cluster_save(state, &c, err) == 0);
    cluster_free(&c);
    assert(cluster_load(state, true, &c) == 0);
    assert(c.n == 2 && strcmp(c.endpoint, "tcp://head:5555") == 0 && c.hosts[0].coord_pid == 77);
    assert(c.hosts[1].pids[1] == 11 && strcmp(c.hosts[1].dir, ".hps-cluster/x") == 0);
    cluster_free(&c);
    unlink(state);
    free(state);

    /* bad input: each refused (messages on stderr only when verbose) */
    static const char *bad[] = {"-x\n",          "a b\n",    "a port=0\n",
                                "a workers=x\n", "a\na\n",   "a coordinator\nb coordinator\n",
                                "a bogus=1\n",   "# none\n", "a workers=0\n",
                                "a user=x;y\n"};
    int saved = dup(STDERR_FILENO);
    assert(saved >= 0 && (verbose || freopen("/dev/null", "w", stderr)));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert(s_load_text(dir, bad[i], false, &c) == -1 && c.n == 0);
    assert(dup2(saved, STDERR_FILENO) == STDERR_FILENO && close(saved) == 0);
    char *hosts = xasprintf("%s/hosts", dir);
    unlink(hosts);
    free(hosts);
    assert(rmdir(dir) == 0);
}
