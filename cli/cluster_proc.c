/* cluster_proc — the processes of `hps cluster`: started, watched and stopped.
 *
 * A remote process is started by one ssh per host: `nohup hps ... &` in the host's
 * directory, with every descriptor redirected so ssh returns at once, and `echo pid $!`.
 * It is later recognised by its pid AND its command line (/proc/PID/cmdline holds
 * " coordinator " or "--name HOST-i"), so a pid reused by something else after a crash
 * is never signalled. Every remote command is one sh string whose variable parts are
 * single-quoted (cluster_shq); names and paths are checked words (cluster_hosts.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cluster_priv.h"
#include "core/config.h"
#include "core/util.h"

/* sh: own PID PATTERN is true while PID's command line holds " PATTERN "; live PID
 * while it has one at all (a zombie's is empty). */
static const char s_sh_fns[] =
    "own() { tr '\\000' ' ' <\"/proc/$1/cmdline\" 2>/dev/null | grep -qF -e \" $2 \"; }; "
    "live() { tr '\\000' ' ' <\"/proc/$1/cmdline\" 2>/dev/null | grep -q .; }; ";

int cluster_ssh_all(const cluster_opts_t *o, const cluster_t *c, char **cmds, cluster_job_t *jobs)
{
    char err[HPS_ERR_LEN];
    for (int i = 0; i < c->n; i++) {
        jobs[i] = (cluster_job_t){0};
        if (cmds[i] && cluster_ssh_start(&jobs[i], &o->ssh, &c->hosts[i], cmds[i], err) != 0)
            fprintf(stderr, "hps cluster %s: %s\n", o->cmd, err);
    }
    int failed = 0;
    for (int i = 0; i < c->n; i++) {
        if (!cmds[i])
            continue;
        cluster_job_finish(&jobs[i]);
        if (jobs[i].status == 0)
            continue;
        char why[HPS_ERR_LEN];
        cluster_last_line(jobs[i].err, why, sizeof why);
        if (!why[0])
            cluster_last_line(jobs[i].out, why, sizeof why);
        fprintf(stderr, "hps cluster %s: host %s (%s:%d): %s (exit %d)\n", o->cmd, c->hosts[i].name,
                o->hosts ? o->hosts : o->state, c->hosts[i].line, why[0] ? why : "failed",
                jobs[i].status);
        failed++;
    }
    return failed;
}

/* "pid N" lines of out into pids[0..n): 0 when all n were there. */
static int s_read_pids(const char *out, long *pids, int n)
{
    int k = 0;
    char *copy = xstrdup(out ? out : ""), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (k < n && strncmp(l, "pid ", 4) == 0 && parse_long(l + 4, &pids[k]) == 0 && pids[k] > 0)
            k++;
    free(copy);
    return k == n ? 0 : -1;
}

/* The first line of a start command's output is the remote `hps --version`. */
static void s_check_version(const cluster_opts_t *o, const cluster_host_t *h, const char *out)
{
    char first[128] = "";
    sscanf(out ? out : "", "%127[^\n]", first);
    if (strcmp(first, "hps " HPS_VERSION) != 0)
        fprintf(stderr, "hps cluster %s: warning: host %s runs '%s', this is hps %s\n", o->cmd,
                h->name, first, HPS_VERSION);
}

/* One process of a host: its pid, name and the words its command line holds. */
typedef struct {
    long pid;
    char name[160]; /* "coordinator" or HOST-i; its log is NAME.log */
    char pat[180];  /* " coordinator " or "--name HOST-i" (cluster_proc's own()) */
} s_proc_t;

/* h's processes that have a pid (coordinator first, when coord; workers when workers)
 * into out (1 + CLUSTER_MAX_WORKERS entries); their count. */
static int s_procs(const cluster_host_t *h, bool coord, bool workers, s_proc_t *out)
{
    int n = 0;
    if (coord && h->coordinator && h->coord_pid > 0) {
        out[n] = (s_proc_t){.pid = h->coord_pid};
        snprintf(out[n].name, sizeof out[n].name, "coordinator");
        snprintf(out[n].pat, sizeof out[n].pat, "coordinator");
        n++;
    }
    for (int i = 0; workers && h->pids && i < h->workers; i++) {
        if (h->pids[i] <= 0)
            continue;
        out[n] = (s_proc_t){.pid = h->pids[i]};
        cluster_worker_name(h, i + 1, out[n].name, sizeof out[n].name);
        snprintf(out[n].pat, sizeof out[n].pat, "--name %s", out[n].name);
        n++;
    }
    return n;
}

/* ---- starting ------------------------------------------------------------------------ */

/* The coordinator on this machine, detached (its own session, reparented to init) and
 * logging to DIR/coordinator.log. Its pid, or -1 with err. */
static long s_start_local(const cluster_opts_t *o, char *err)
{
    char *log = xasprintf("%s/coordinator.log", o->dir);
    char *db = o->db[0] == '/' ? xstrdup(o->db) : xasprintf("%s/%s", o->dir, o->db);
    char *bind = xasprintf("tcp://0.0.0.0:%ld", o->port);
    char *cert = xasprintf("%s/coord.key_secret", o->keys);
    char *allow = xasprintf("%s/allow", o->dir), *subm = xasprintf("%s/submitters", o->dir);
    char *argv[] = {o->self, "coordinator", "--bind", bind,           "--db", db,  "--cert",
                    cert,    "--allow",     allow,    "--submitters", subm,   NULL};
    int fds[2];
    long pid = -1;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_err(err, "pipe: %s", strerror(errno));
        goto done;
    }
    pid_t child = fork();
    if (child == 0) {
        pid_t g = setsid() < 0 ? -1 : fork();
        if (g == 0) {
            int in = open("/dev/null", O_RDONLY);
            int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (in >= 0 && out >= 0 && dup2(in, 0) == 0 && dup2(out, 1) == 1 && dup2(out, 2) == 2)
                execv(argv[0], argv);
            _exit(127);
        }
        long v = g;
        _exit(g > 0 && write(fds[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
    }
    close(fds[1]);
    if (child > 0 && read(fds[0], &pid, sizeof pid) != (ssize_t)sizeof pid)
        pid = -1;
    close(fds[0]);
    while (child > 0 && waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    if (pid <= 0)
        set_err(err, "cannot start the coordinator here: %s", strerror(errno));
done:
    free(log);
    free(db);
    free(bind);
    free(cert);
    free(allow);
    free(subm);
    return pid;
}

int cluster_start_coord(const cluster_opts_t *o, cluster_t *c)
{
    char err[HPS_ERR_LEN];
    int ch = cluster_coord_host(c);
    if (ch < 0) {
        c->local_pid = s_start_local(o, err);
        if (c->local_pid > 0)
            return 0;
        c->local_pid = 0;
        fprintf(stderr, "hps cluster %s: %s\n", o->cmd, err);
        return -1;
    }
    cluster_host_t *h = &c->hosts[ch];
    char *d = cluster_shq(h->dir), *hps = cluster_shq(h->hps), *db = cluster_shq(o->db);
    char **cmds = xcalloc((size_t)c->n, sizeof(char *));
    cmds[ch] = xasprintf("cd %s && %s --version && { nohup %s coordinator --bind "
                         "tcp://0.0.0.0:%ld --db %s --cert keys/coord.key_secret --allow allow "
                         "--submitters submitters >coordinator.log 2>&1 </dev/null & "
                         "echo \"pid $!\"; }",
                         d, hps, hps, o->port, db);
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    int rc = cluster_ssh_all(o, c, cmds, jobs) ? -1 : 0;
    if (rc == 0 && s_read_pids(jobs[ch].out, &h->coord_pid, 1) != 0) {
        fprintf(stderr, "hps cluster %s: host %s: no pid from the coordinator's start\n", o->cmd,
                h->name);
        rc = -1;
    }
    if (rc == 0)
        s_check_version(o, h, jobs[ch].out);
    cluster_job_free(&jobs[ch]);
    free(jobs);
    free(cmds[ch]);
    free(cmds);
    free(d);
    free(hps);
    free(db);
    return rc;
}

/* The sh command starting h's workers, each printing "pid N". */
static char *s_workers_cmd(const cluster_opts_t *o, const cluster_t *c, const cluster_host_t *h)
{
    strbuf_t sb;
    sb_init(&sb);
    char *d = cluster_shq(h->dir), *hps = cluster_shq(h->hps), *ep = cluster_shq(c->endpoint);
    char *key = xasprintf("keys/%s.key_secret", h->name), *keyq = cluster_shq(key);
    sb_printf(&sb, "cd %s && %s --version && { ", d, hps);
    for (int i = 1; i <= h->workers; i++) {
        char name[160];
        cluster_worker_name(h, i, name, sizeof name);
        char *nq = cluster_shq(name), *log = xasprintf("%s.log", name), *logq = cluster_shq(log);
        sb_printf(&sb,
                  "nohup %s worker --connect %s --name %s --slots %ld --cert %s "
                  "--server-key keys/coord.key --cache cache",
                  hps, ep, nq, h->slots, keyq);
        for (int a = 0; a < o->n_wargs; a++) {
            char *q = cluster_shq(o->wargs[a]);
            sb_printf(&sb, " %s", q);
            free(q);
        }
        sb_printf(&sb, " >%s 2>&1 </dev/null & echo \"pid $!\"; ", logq);
        free(nq);
        free(log);
        free(logq);
    }
    sb_puts(&sb, "}");
    free(d);
    free(hps);
    free(ep);
    free(key);
    free(keyq);
    return sb_take(&sb);
}

int cluster_start_workers(const cluster_opts_t *o, cluster_t *c)
{
    char **cmds = xcalloc((size_t)c->n, sizeof(char *));
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        h->pids = xcalloc((size_t)h->workers + 1, sizeof(long));
        cmds[i] = h->workers ? s_workers_cmd(o, c, h) : NULL;
    }
    int rc = cluster_ssh_all(o, c, cmds, jobs) ? -1 : 0;
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        /* the pids that came, even from a host that failed half-way: they are stopped */
        if (cmds[i] && s_read_pids(jobs[i].out, h->pids, (int)h->workers) != 0 && !jobs[i].status) {
            fprintf(stderr, "hps cluster %s: host %s: not every worker's pid came back\n", o->cmd,
                    h->name);
            rc = -1;
        }
        if (cmds[i] && jobs[i].status == 0)
            s_check_version(o, h, jobs[i].out);
        cluster_job_free(&jobs[i]);
        free(cmds[i]);
    }
    free(cmds);
    free(jobs);
    return rc;
}

/* ---- watching -------------------------------------------------------------------- */

/* Is the process pid on this machine the coordinator (its command line holds
 * " coordinator ")? */
static bool s_local_own(long pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return false;
    for (ssize_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = ' ';
    buf[n] = 0;
    return strstr(buf, " coordinator ") != NULL;
}

/* The sh command printing "PID running" or "PID exited" (then "| " and the last lines
 * of its log) for each of h's processes; NULL when h has none. */
static char *s_check_cmd(const cluster_host_t *h)
{
    s_proc_t *p = xcalloc(CLUSTER_MAX_WORKERS + 1, sizeof(s_proc_t));
    int n = s_procs(h, true, true, p);
    char *cmd = NULL;
    if (n) {
        strbuf_t sb;
        sb_init(&sb);
        char *d = cluster_shq(h->dir);
        sb_printf(&sb, "cd %s 2>/dev/null; %s", d, s_sh_fns);
        for (int i = 0; i < n; i++) {
            char *pat = cluster_shq(p[i].pat), *log = xasprintf("%s.log", p[i].name);
            char *logq = cluster_shq(log);
            sb_printf(&sb,
                      "if own %ld %s; then echo '%ld running'; else echo '%ld exited'; "
                      "tail -n 5 %s 2>/dev/null | sed 's/^/| /'; fi; ",
                      p[i].pid, pat, p[i].pid, p[i].pid, logq);
            free(pat);
            free(log);
            free(logq);
        }
        free(d);
        cmd = sb_take(&sb);
    }
    free(p);
    return cmd;
}

/* One host's answer to s_check_cmd: a row per process (print), the log lines of an
 * exited one on stderr. How many exited. */
static int s_check_report(const cluster_opts_t *o, const cluster_host_t *h, const char *out,
                          bool print)
{
    s_proc_t *p = xcalloc(CLUSTER_MAX_WORKERS + 1, sizeof(s_proc_t));
    int n = s_procs(h, true, true, p), exited = 0;
    char *copy = xstrdup(out ? out : ""), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long pid;
        char state[16];
        if (l[0] == '|') {
            fprintf(stderr, "    %s\n", l);
            continue;
        }
        if (sscanf(l, "%ld %15s", &pid, state) != 2)
            continue;
        const char *name = "?";
        for (int i = 0; i < n; i++)
            if (p[i].pid == pid)
                name = p[i].name;
        if (print)
            printf("%-20s %-14s %-24s %8ld  %s\n", h->name,
                   strcmp(name, "coordinator") ? "worker" : "coordinator", name, pid, state);
        if (strcmp(state, "running") != 0) {
            exited++;
            fprintf(stderr,
                    "hps cluster %s: host %s: %s (pid %ld) is not running; the end "
                    "of %s/%s.log:\n",
                    o->cmd, h->name, name, pid, h->dir, name);
        }
    }
    free(copy);
    free(p);
    return exited;
}

int cluster_check(const cluster_opts_t *o, const cluster_t *c, bool print)
{
    int exited = 0;
    if (print)
        printf("%-20s %-14s %-24s %8s  %s\n", "HOST", "ROLE", "NAME", "PID", "STATE");
    if (c->local_pid) {
        bool up = s_local_own(c->local_pid);
        if (print)
            printf("%-20s %-14s %-24s %8ld  %s\n", "(here)", "coordinator", "coordinator",
                   c->local_pid, up ? "running" : "exited");
        if (!up) {
            fprintf(stderr,
                    "hps cluster %s: the coordinator here (pid %ld) is not running; "
                    "see %s/coordinator.log\n",
                    o->cmd, c->local_pid, o->dir);
            exited++;
        }
    }
    char **cmds = xcalloc((size_t)c->n, sizeof(char *));
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    for (int i = 0; i < c->n; i++)
        cmds[i] = s_check_cmd(&c->hosts[i]);
    int failed = cluster_ssh_all(o, c, cmds, jobs);
    for (int i = 0; i < c->n; i++) {
        if (cmds[i] && jobs[i].status == 0)
            exited += s_check_report(o, &c->hosts[i], jobs[i].out, print);
        cluster_job_free(&jobs[i]);
        free(cmds[i]);
    }
    free(cmds);
    free(jobs);
    return failed ? -1 : exited ? 1 : 0;
}

/* Is (name, pid) one of the workers c started (HOST-i, i in 1..workers, that pid)? A
 * name alone could be a row the coordinator kept from an earlier run. */
static bool s_is_ours(const cluster_t *c, const char *name, long pid)
{
    for (int i = 0; i < c->n; i++)
        for (int w = 1; c->hosts[i].pids && w <= c->hosts[i].workers; w++) {
            char mine[160];
            cluster_worker_name(&c->hosts[i], w, mine, sizeof mine);
            if (strcmp(mine, name) == 0 && c->hosts[i].pids[w - 1] == pid)
                return true;
        }
    return false;
}

/* How many of c's workers the coordinator lists as alive; -1 when it did not answer. */
static int s_alive_workers(const cluster_opts_t *o, const cluster_t *c)
{
    int k, n = -1;
    char **argv = cluster_client_argv(o, c, "status", 3, &k), err[HPS_ERR_LEN];
    argv[k++] = xstrdup("--json");
    argv[k++] = xstrdup("--timeout");
    argv[k++] = xstrdup("2");
    cluster_job_t job;
    if (cluster_job_start(&job, argv, err) == 0) {
        cluster_job_finish(&job);
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        cfg_node_t *root = job.status == 0 ? cfg_parse(job.out, strlen(job.out), "status", &errs)
                                           : NULL;
        const cfg_node_t *ws = root ? cfg_get(root, "workers") : NULL;
        n = root ? 0 : -1;
        for (int i = 0; ws && ws->type == CFG_SEQ && i < ws->n; i++) {
            const cfg_node_t *name = cfg_get(ws->items[i], "name");
            const cfg_node_t *state = cfg_get(ws->items[i], "state");
            const cfg_node_t *pid = cfg_get(ws->items[i], "pid");
            long p;
            if (name && name->value && state && state->value && pid && pid->value &&
                parse_long(pid->value, &p) == 0 && strcmp(state->value, "alive") == 0 &&
                s_is_ours(c, name->value, p))
                n++;
        }
        cfg_free(&root);
        cfg_errs_free(&errs);
        cluster_job_free(&job);
    }
    cluster_argv_free(argv);
    return n;
}

int cluster_wait(const cluster_opts_t *o, const cluster_t *c, bool workers)
{
    int want = 0, got = -1;
    for (int i = 0; workers && i < c->n; i++)
        want += (int)c->hosts[i].workers;
    int64_t deadline = now_ms() + o->wait_secs * 1000, next_check = now_ms() + 1000;
    while (now_ms() < deadline) {
        if ((got = s_alive_workers(o, c)) >= want)
            return 0;
        if (now_ms() >= next_check) {
            if (cluster_check(o, c, false) > 0)
                return -1;
            next_check = now_ms() + 2000;
        }
        usleep(200 * 1000);
    }
    if (cluster_check(o, c, false) > 0)
        return -1;
    if (got < 0)
        fprintf(stderr,
                "hps cluster %s: the coordinator at %s did not answer within %ld s "
                "(can this machine reach that address and port?)\n",
                o->cmd, c->endpoint, o->wait_secs);
    else
        fprintf(stderr,
                "hps cluster %s: %d of %d workers connected to %s within %ld s (can "
                "every host reach that address and port? see their logs)\n",
                o->cmd, got, want, c->endpoint, o->wait_secs);
    return -1;
}

/* ---- stopping -------------------------------------------------------------------- */

/* The sh command stopping h's processes (the coordinator's or the workers'): SIGTERM
 * to each that is still ours, SIGKILL to those alive 10 s later. NULL when none. */
static char *s_stop_cmd(const cluster_host_t *h, bool coord)
{
    s_proc_t *p = xcalloc(CLUSTER_MAX_WORKERS + 1, sizeof(s_proc_t));
    int n = s_procs(h, coord, !coord, p);
    char *cmd = NULL;
    if (n) {
        strbuf_t sb;
        sb_init(&sb);
        sb_printf(&sb, "%sl=; ", s_sh_fns);
        for (int i = 0; i < n; i++) {
            char *pat = cluster_shq(p[i].pat);
            sb_printf(&sb, "own %ld %s && kill %ld && l=\"$l %ld\"; ", p[i].pid, pat, p[i].pid,
                      p[i].pid);
            free(pat);
        }
        sb_puts(&sb, "i=0; while [ -n \"$l\" ] && [ $i -lt 100 ]; do a=; for p in $l; do "
                     "live $p && a=\"$a $p\"; done; l=$a; [ -z \"$l\" ] || sleep 0.1; "
                     "i=$((i+1)); done; for p in $l; do kill -9 $p && echo \"killed $p\"; "
                     "done; true");
        cmd = sb_take(&sb);
    }
    free(p);
    return cmd;
}

/* SIGTERM to the coordinator here, SIGKILL after 10 s. */
static void s_stop_local(cluster_t *c)
{
    if (s_local_own(c->local_pid) && kill((pid_t)c->local_pid, SIGTERM) == 0) {
        int64_t deadline = now_ms() + 10000;
        while (s_local_own(c->local_pid) && now_ms() < deadline)
            usleep(50 * 1000);
        if (s_local_own(c->local_pid))
            kill((pid_t)c->local_pid, SIGKILL);
    }
    c->local_pid = 0;
}

/* One round of stop commands: the workers of every host, or the coordinator. */
static int s_stop_round(const cluster_opts_t *o, cluster_t *c, bool coord)
{
    char **cmds = xcalloc((size_t)c->n, sizeof(char *));
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    for (int i = 0; i < c->n; i++)
        cmds[i] = s_stop_cmd(&c->hosts[i], coord);
    int failed = cluster_ssh_all(o, c, cmds, jobs);
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        if (cmds[i] && jobs[i].status == 0) {
            if (coord)
                h->coord_pid = 0;
            for (int w = 0; !coord && h->pids && w < h->workers; w++)
                h->pids[w] = 0;
            if (jobs[i].out && *jobs[i].out)
                fprintf(stderr, "hps cluster %s: host %s: %s", o->cmd, h->name, jobs[i].out);
        }
        cluster_job_free(&jobs[i]);
        free(cmds[i]);
    }
    free(cmds);
    free(jobs);
    return failed;
}

int cluster_stop(const cluster_opts_t *o, cluster_t *c)
{
    int failed = s_stop_round(o, c, false);
    if (c->local_pid)
        s_stop_local(c);
    failed += s_stop_round(o, c, true);
    return failed ? -1 : 0;
}
