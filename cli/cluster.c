/* cluster — `hps cluster up|down|status|submit` (see cluster.h; docs/launchers.md).
 *
 * up: check the hosts file, make the CURVE keys once (DIR/keys, by `hps keygen`), ask
 * every host at once over ssh for its directory and an hps (this binary is copied there
 * when it has none), copy each host its keys, start the coordinator (on the host marked
 * `coordinator`, else here), wait until it answers, start the workers, wait until every
 * one has said HELLO. What runs is written to DIR/state as soon as it runs, so a failure
 * half-way stops exactly that, and `down` finds it after any exit of up. Nothing here
 * speaks ssh: OpenSSH's ssh and scp are child processes (cluster_ssh.c). */
#include "cli/cluster.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "cli/cluster_priv.h"
#include "core/util.h"

static const char s_usage[] =
    "usage: hps cluster up --hosts FILE [options] [-- WORKER-FLAGS...]\n"
    "       hps cluster down | status [--dir DIR]\n"
    "       hps cluster submit CONFIG [key=value ...] [--dir DIR]\n"
    "Start a coordinator and workers on other machines over ssh (OpenSSH's ssh and scp,\n"
    "key login without a prompt), stop them, see them, submit to them. The hosts file:\n"
    "one host a line, `HOST [workers=N] [slots=N] [user=U] [port=N] [addr=A] [hps=PATH]\n"
    "[coordinator]`, # comments. The coordinator runs on the host marked `coordinator`\n"
    "(workers reach it at addr=, default HOST), else on this machine (--addr).\n"
    "  --hosts FILE          up: the hosts file\n"
    "  --dir DIR             here: keys (made once), the state file (default hps-cluster)\n"
    "  --remote-dir DIR      up: each host works in DIR/HOST, relative to the login's\n"
    "                        home unless absolute (default .hps-cluster)\n"
    "  --hps PATH            up: the hps on every host (a host's hps= wins); default:\n"
    "                        `hps` on its PATH, else this binary is copied to its dir\n"
    "  --port N              up: the coordinator's TCP port (default 5555)\n"
    "  --addr ADDR           up: this machine's address for workers, when the\n"
    "                        coordinator runs here (default: its host name)\n"
    "  --db FILE             up: the coordinator's study file, in its directory unless\n"
    "                        absolute (default hps.db)\n"
    "  --wait SECS           up: how long the coordinator and workers get to answer\n"
    "                        (default 30)\n"
    "  --ssh-config FILE     ssh -F FILE (up remembers it for down and status)\n"
    "  --connect-timeout S   ssh ConnectTimeout in seconds (default 10)\n"
    "  -- WORKER-FLAGS       up: passed to every `hps worker`, e.g. --allow-command PAT\n"
    "status lists each process (exit 1 when one is not running) and the coordinator's\n"
    "own status; down stops workers, then the coordinator, and removes the state file.\n";

/* The flags (getopt values) only `up` takes. */
static const char s_up_only[] = "HRPpAdw";

/* Flags into o (positional operands into *args). 0 parsed, or an exit code. */
static int s_parse(int argc, char **argv, cluster_opts_t *o, char ***args, int *n_args)
{
    static const struct option longopts[] = {{"hosts", required_argument, 0, 'H'},
                                             {"dir", required_argument, 0, 'D'},
                                             {"remote-dir", required_argument, 0, 'R'},
                                             {"hps", required_argument, 0, 'P'},
                                             {"port", required_argument, 0, 'p'},
                                             {"addr", required_argument, 0, 'A'},
                                             {"db", required_argument, 0, 'd'},
                                             {"wait", required_argument, 0, 'w'},
                                             {"ssh-config", required_argument, 0, 'F'},
                                             {"connect-timeout", required_argument, 0, 'T'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    *args = xcalloc((size_t)argc + 1, sizeof(char *));
    int opt, idx = 0;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "-h", longopts, &idx)) != -1) {
        char flag[32];
        snprintf(flag, sizeof flag, "--%s", longopts[idx].name);
        if (opt == 'h') {
            fputs(s_usage, stdout);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error("cluster", s_usage, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        if (opt > 1 && strchr(s_up_only, opt) && strcmp(o->cmd, "up") != 0)
            return cli_usage_error("cluster", s_usage, "%s is only for up", flag);
        long *num = opt == 'p' ? &o->port : opt == 'w' ? &o->wait_secs : NULL;
        switch (opt) {
        case 1: (*args)[(*n_args)++] = optarg; break;
        case 'H': o->hosts = optarg; break;
        case 'D': o->dir = optarg; break;
        case 'R': o->remote_dir = optarg; break;
        case 'P': o->hps = optarg; break;
        case 'A': o->addr = optarg; break;
        case 'd': o->db = optarg; break;
        case 'F': o->ssh.config = optarg; break;
        case 'T': num = &o->ssh.connect_timeout; break;
        }
        if (num &&
            cli_flag_long("cluster", flag, optarg, 1, num == &o->port ? 65535 : 86400, num) != 0)
            return 2;
    }
    o->wargs = argv + optind;
    o->n_wargs = argc - optind;
    return 0;
}

/* A path that goes into the state file and remote sh commands: no space, no quote. */
static bool s_word_ok(const char *s)
{
    for (const char *p = s; p && *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '\'' || *p == 0x7f)
            return false;
    return true;
}

/* The words that become parts of remote sh commands or file names: checked here. */
static int s_check_words(const cluster_opts_t *o)
{
    const char *bad = o->addr && !cluster_name_ok(o->addr)           ? "--addr"
                      : !s_word_ok(o->remote_dir) || !*o->remote_dir ? "--remote-dir"
                      : !s_word_ok(o->db) || !*o->db                 ? "--db"
                      : !s_word_ok(o->hps)                           ? "--hps"
                                                                     : NULL;
    if (!bad)
        return 0;
    return cli_usage_error("cluster", s_usage,
                           "%s: letters, digits and punctuation without "
                           "spaces or quotes",
                           bad);
}

/* ---- keys and what each host gets --------------------------------------------------- */

/* DIR/keys/NAME.key and .key_secret, made by `hps keygen` unless there. 0 or -1. */
static int s_key(const cluster_opts_t *o, const char *name)
{
    char *pub = xasprintf("%s/%s.key", o->keys, name), err[HPS_ERR_LEN];
    int rc = 0;
    if (access(pub, F_OK) != 0) {
        char *argv[] = {o->self, "keygen", "-o", o->keys, "--name", (char *)name, NULL};
        cluster_job_t job;
        rc = cluster_job_start(&job, argv, err);
        if (rc == 0) {
            cluster_job_finish(&job);
            cluster_last_line(job.err, err, sizeof err);
            rc = job.status ? -1 : 0;
            cluster_job_free(&job);
        }
        if (rc)
            fprintf(stderr, "hps cluster up: keygen %s: %s\n", name, err);
    }
    free(pub);
    return rc;
}

/* dir, made 0700 and emptied of its files (a folder of links to keys). */
static int s_fresh_dir(const char *dir)
{
    char err[HPS_ERR_LEN];
    if (mkdir_p(dir, err) != 0 || chmod(dir, 0700) != 0) {
        fprintf(stderr, "hps cluster up: %s: %s\n", dir, *err ? err : strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "hps cluster up: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && !S_ISDIR(sb.st_mode) && unlink(p) != 0)
            rc = -1;
        free(p);
    }
    closedir(d);
    return rc;
}

/* A hard link of DIR/keys/FILE in dir (keys are never copied by hand). */
static int s_link_key(const cluster_opts_t *o, const char *file, const char *dir)
{
    char *src = xasprintf("%s/%s", o->keys, file), *dst = xasprintf("%s/%s", dir, file);
    int rc = link(src, dst);
    if (rc != 0)
        fprintf(stderr, "hps cluster up: link %s %s: %s\n", src, dst, strerror(errno));
    free(src);
    free(dst);
    return rc;
}

/* The allow/ and submitters/ folders of a coordinator, under base: every host's public
 * key and the client's may connect; only the client's may submit. */
static int s_coord_dirs(const cluster_opts_t *o, const cluster_t *c, const char *base)
{
    char *allow = xasprintf("%s/allow", base), *subm = xasprintf("%s/submitters", base);
    int rc = s_fresh_dir(allow) || s_fresh_dir(subm) || s_link_key(o, "client.key", allow) ||
             s_link_key(o, "client.key", subm);
    for (int i = 0; rc == 0 && i < c->n; i++) {
        char *k = xasprintf("%s.key", c->hosts[i].name);
        rc = s_link_key(o, k, allow);
        free(k);
    }
    free(allow);
    free(subm);
    return rc ? -1 : 0;
}

/* Every key made, and DIR/stage/HOST/ holding what HOST gets: keys/ (its secret key,
 * the coordinator's public one; the coordinator's host also its secret key, allow/ and
 * submitters/). A coordinator here gets DIR/allow and DIR/submitters. */
static int s_keys(const cluster_opts_t *o, const cluster_t *c)
{
    int rc = s_key(o, "coord") || s_key(o, "client");
    for (int i = 0; rc == 0 && i < c->n; i++)
        rc = s_key(o, c->hosts[i].name);
    for (int i = 0; rc == 0 && i < c->n; i++) {
        const cluster_host_t *h = &c->hosts[i];
        char *base = xasprintf("%s/stage/%s", o->dir, h->name);
        char *keys = xasprintf("%s/keys", base), *sec = xasprintf("%s.key_secret", h->name);
        rc = s_fresh_dir(base) || s_fresh_dir(keys) || s_link_key(o, "coord.key", keys) ||
             s_link_key(o, sec, keys) ||
             (h->coordinator &&
              (s_link_key(o, "coord.key_secret", keys) || s_coord_dirs(o, c, base)));
        free(base);
        free(keys);
        free(sec);
    }
    if (rc == 0 && cluster_coord_host(c) < 0)
        rc = s_coord_dirs(o, c, o->dir);
    return rc ? -1 : 0;
}

/* ---- up ---------------------------------------------------------------------------- */

/* Every host at once: its directory made, its hps found (h->hps; "./hps" = to copy). */
static int s_preflight(const cluster_opts_t *o, cluster_t *c)
{
    char **cmds = xcalloc((size_t)c->n, sizeof(char *));
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        char *d = cluster_shq(h->dir), *hps = cluster_shq(h->hps   ? h->hps
                                                          : o->hps ? o->hps
                                                                   : "hps");
        cmds[i] = xasprintf("mkdir -p %s && chmod 700 %s && cd %s && mkdir -p cache && "
                            "{ command -v %s || echo COPY; }",
                            d, d, d, hps);
        free(d);
        free(hps);
    }
    int failed = cluster_ssh_all(o, c, cmds, jobs);
    for (int i = 0; i < c->n; i++) {
        cluster_host_t *h = &c->hosts[i];
        char found[PATH_MAX];
        cluster_last_line(jobs[i].out, found, sizeof found);
        if (jobs[i].status == 0 && strcmp(found, "COPY") == 0 && (h->hps || o->hps)) {
            fprintf(stderr, "hps cluster up: host %s: no %s there\n", h->name,
                    h->hps ? h->hps : o->hps);
            failed++;
        } else if (jobs[i].status == 0) {
            free(h->hps);
            h->hps = xstrdup(strcmp(found, "COPY") == 0 ? "./hps" : found);
        }
        cluster_job_free(&jobs[i]);
        free(cmds[i]);
    }
    free(cmds);
    free(jobs);
    return failed ? -1 : 0;
}

/* Every host at once: its stage/HOST/ folders and, when it has no hps, this binary. */
static int s_copy(const cluster_opts_t *o, cluster_t *c)
{
    cluster_job_t *jobs = xcalloc((size_t)c->n, sizeof(cluster_job_t));
    char err[HPS_ERR_LEN], *bin = xasprintf("%s/stage/hps", o->dir);
    int failed = 0;
    /* scp names the copy after its source: a link named hps to whatever this one is */
    if ((unlink(bin) != 0 && errno != ENOENT) || symlink(o->self, bin) != 0) {
        fprintf(stderr, "hps cluster up: %s: %s\n", bin, strerror(errno));
        failed = c->n;
    }
    for (int i = 0; !failed && i < c->n; i++) {
        const cluster_host_t *h = &c->hosts[i];
        char *srcs[4];
        int n = 0;
        srcs[n++] = xasprintf("%s/stage/%s/keys", o->dir, h->name);
        if (h->coordinator) {
            srcs[n++] = xasprintf("%s/stage/%s/allow", o->dir, h->name);
            srcs[n++] = xasprintf("%s/stage/%s/submitters", o->dir, h->name);
        }
        if (strcmp(h->hps, "./hps") == 0)
            srcs[n++] = xstrdup(bin);
        if (cluster_scp_start(&jobs[i], &o->ssh, h, srcs, n, h->dir, err) != 0)
            fprintf(stderr, "hps cluster up: %s\n", err);
        for (int k = 0; k < n; k++)
            free(srcs[k]);
    }
    for (int i = 0; !failed && i < c->n; i++) {
        cluster_job_finish(&jobs[i]);
        if (jobs[i].status != 0) {
            cluster_last_line(jobs[i].err, err, sizeof err);
            fprintf(stderr, "hps cluster up: host %s: scp: %s\n", c->hosts[i].name, err);
            failed++;
        }
        cluster_job_free(&jobs[i]);
    }
    free(jobs);
    free(bin);
    return failed ? -1 : 0;
}

/* The endpoint workers and clients use: the coordinator's host (addr= or its name) or
 * this machine (--addr or its host name). */
static char *s_endpoint(const cluster_opts_t *o, const cluster_t *c)
{
    int ch = cluster_coord_host(c);
    char here[256] = "localhost";
    if (ch < 0 && !o->addr && gethostname(here, sizeof here - 1) != 0)
        snprintf(here, sizeof here, "localhost");
    const char *addr = ch >= 0   ? (c->hosts[ch].addr ? c->hosts[ch].addr : c->hosts[ch].name)
                       : o->addr ? o->addr
                                 : here;
    return xasprintf("tcp://%s:%ld", addr, o->port);
}

static int s_save(const cluster_opts_t *o, const cluster_t *c)
{
    char err[HPS_ERR_LEN];
    if (cluster_save(o->state, c, err) == 0)
        return 0;
    fprintf(stderr, "hps cluster %s: %s\n", o->cmd, err);
    return -1;
}

/* After a failure half-way: stop what runs; the state file goes when nothing is left. */
static int s_rollback(const cluster_opts_t *o, cluster_t *c)
{
    fprintf(stderr, "hps cluster up: stopping what was started\n");
    if (cluster_stop(o, c) == 0 && unlink(o->state) == 0)
        return 1;
    if (s_save(o, c) == 0)
        fprintf(stderr,
                "hps cluster up: what may still run is in %s: hps cluster down "
                "--dir %s\n",
                o->state, o->dir);
    return 1;
}

static void s_print_up(const cluster_opts_t *o, const cluster_t *c)
{
    long workers = 0, slots = 0;
    for (int i = 0; i < c->n; i++)
        workers += c->hosts[i].workers, slots += c->hosts[i].workers * c->hosts[i].slots;
    int ch = cluster_coord_host(c);
    printf("coordinator  %s (on %s, study file %s/%s)\n", c->endpoint,
           ch >= 0 ? c->hosts[ch].name : "this machine", ch >= 0 ? c->hosts[ch].dir : o->dir,
           o->db);
    printf("workers      %ld on %d host%s, %ld slots\n", workers, c->n, c->n == 1 ? "" : "s",
           slots);
    printf("state        %s\n", o->state);
    printf("submit       hps cluster submit CONFIG --dir %s\n", o->dir);
    printf("   or        hps submit CONFIG --to %s --cert %s/client.key_secret --server-key "
           "%s/coord.key\n",
           c->endpoint, o->keys, o->keys);
}

static int s_up(cluster_opts_t *o)
{
    if (!o->hosts)
        return cli_usage_error("cluster", s_usage, "up needs --hosts FILE%s", "");
    cluster_t c;
    int rc = cluster_load(o->hosts, false, &c);
    if (rc)
        return rc == -1 ? 2 : 1;
    if (access(o->state, F_OK) == 0) {
        fprintf(stderr,
                "hps cluster up: %s exists: a cluster is up (hps cluster down --dir "
                "%s first)\n",
                o->state, o->dir);
        cluster_free(&c);
        return 1;
    }
    for (int i = 0; i < c.n; i++)
        c.hosts[i].dir = xasprintf("%s/%s", o->remote_dir, c.hosts[i].name);
    c.endpoint = s_endpoint(o, &c);
    c.ssh_config = o->ssh.config ? realpath(o->ssh.config, NULL) : NULL;
    if (o->ssh.config && !c.ssh_config) {
        fprintf(stderr, "hps cluster up: --ssh-config %s: %s\n", o->ssh.config, strerror(errno));
        rc = 2;
    }
    if (rc == 0 && (s_keys(o, &c) != 0 || s_preflight(o, &c) != 0 || s_copy(o, &c) != 0)) {
        fprintf(stderr, "hps cluster up: nothing was started\n");
        rc = 1;
    }
    if (rc == 0) {
        bool ok = cluster_start_coord(o, &c) == 0;
        ok = s_save(o, &c) == 0 && ok && cluster_wait(o, &c, false) == 0;
        ok = ok && cluster_start_workers(o, &c) == 0;
        ok = s_save(o, &c) == 0 && ok && cluster_wait(o, &c, true) == 0;
        if (ok)
            s_print_up(o, &c);
        else
            rc = s_rollback(o, &c);
    }
    cluster_free(&c);
    return rc;
}

/* ---- down, status, submit ------------------------------------------------------------ */

/* The state file into c, its ssh config unless --ssh-config says otherwise. 0, or an
 * exit code: with need, 1 after "no cluster is up" when there is no state file; without,
 * 3 (nothing to say). */
static int s_load_state(cluster_opts_t *o, cluster_t *c, bool need)
{
    *c = (cluster_t){0};
    if (access(o->state, F_OK) != 0) {
        if (need)
            fprintf(stderr, "hps cluster %s: no %s: no cluster is up\n", o->cmd, o->state);
        return need ? 1 : 3;
    }
    int rc = cluster_load(o->state, true, c);
    if (rc)
        return rc == -1 ? 2 : 1;
    if (!o->ssh.config)
        o->ssh.config = c->ssh_config;
    return 0;
}

static int s_down(cluster_opts_t *o)
{
    cluster_t c;
    int rc = s_load_state(o, &c, false);
    if (rc == 3)
        printf("nothing to stop: no %s\n", o->state);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (cluster_stop(o, &c) == 0 && unlink(o->state) == 0)
        printf("stopped: the coordinator and the workers of %d host%s\n", c.n, c.n == 1 ? "" : "s");
    else {
        if (s_save(o, &c) == 0)
            fprintf(stderr,
                    "hps cluster down: what may still run is in %s; run down again "
                    "when the hosts answer\n",
                    o->state);
        rc = 1;
    }
    cluster_free(&c);
    return rc;
}

char **cluster_client_argv(const cluster_opts_t *o, const cluster_t *c, const char *cmd, int n,
                           int *k)
{
    char **argv = xcalloc((size_t)n + 9, sizeof(char *));
    int j = 0;
    argv[j++] = xstrdup(o->self);
    argv[j++] = xstrdup(cmd);
    argv[j++] = xstrdup("--to");
    argv[j++] = xstrdup(c->endpoint);
    argv[j++] = xstrdup("--cert");
    argv[j++] = xasprintf("%s/client.key_secret", o->keys);
    argv[j++] = xstrdup("--server-key");
    argv[j++] = xasprintf("%s/coord.key", o->keys);
    *k = j;
    return argv;
}

static int s_status(cluster_opts_t *o)
{
    cluster_t c;
    int rc = s_load_state(o, &c, true);
    if (rc)
        return rc;
    rc = cluster_check(o, &c, true) == 0 ? 0 : 1;
    fflush(stdout);
    int k;
    char **argv = cluster_client_argv(o, &c, "status", 0, &k), err[HPS_ERR_LEN];
    cluster_job_t job;
    printf("\n");
    fflush(stdout);
    if (cluster_job_start(&job, argv, err) == 0) {
        cluster_job_finish(&job);
        fputs(job.out, stdout);
        fputs(job.err, stderr);
        rc = job.status ? 1 : rc;
        cluster_job_free(&job);
    }
    cluster_argv_free(argv);
    cluster_free(&c);
    return rc;
}

static int s_submit(cluster_opts_t *o, char **args, int n_args)
{
    if (n_args < 1)
        return cli_usage_error("cluster", s_usage, "submit needs CONFIG%s", "");
    cluster_t c;
    int rc = s_load_state(o, &c, true);
    if (rc)
        return rc;
    int k;
    char **argv = cluster_client_argv(o, &c, "submit", n_args, &k);
    for (int i = 0; i < n_args; i++)
        argv[k++] = xstrdup(args[i]);
    fflush(stdout);
    execv(argv[0], argv);
    fprintf(stderr, "hps cluster submit: %s: %s\n", argv[0], strerror(errno));
    cluster_argv_free(argv);
    cluster_free(&c);
    return 1;
}

int cluster_main(int argc, char **argv)
{
    static const char *const actions[] = {"up", "down", "status", "submit", NULL};
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(s_usage, stdout);
        return 0;
    }
    int a = 0;
    while (argc >= 2 && actions[a] && strcmp(actions[a], argv[1]) != 0)
        a++;
    if (argc < 2 || !actions[a]) {
        char *hint = argc < 2 ? NULL : did_you_mean(argv[1], actions, "actions");
        if (hint)
            fprintf(stderr, "hps cluster: unknown action '%s'%s\n%s", argv[1], hint, s_usage);
        else
            fprintf(stderr, "hps cluster: up, down, status or submit?\n%s", s_usage);
        free(hint);
        return 2;
    }
    cluster_opts_t o = {.cmd = actions[a],
                        .dir = "hps-cluster",
                        .remote_dir = ".hps-cluster",
                        .db = "hps.db",
                        .port = 5555,
                        .wait_secs = 30,
                        .ssh = {.connect_timeout = 10}};
    char **args = NULL, self[PATH_MAX];
    int n_args = 0, rc = s_parse(argc - 1, argv + 1, &o, &args, &n_args);
    if (rc == 0 && ((a != 3 && n_args) || (a != 0 && o.n_wargs)))
        rc = cli_usage_error("cluster", s_usage, "unexpected argument '%s'",
                             n_args ? args[0] : o.wargs[0]);
    if (rc == 0)
        rc = s_check_words(&o);
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (rc == 0 && len <= 0) {
        fprintf(stderr, "hps cluster: /proc/self/exe: %s\n", strerror(errno));
        rc = 1;
    }
    if (rc == 0) {
        self[len] = 0;
        o.self = self;
        o.state = xasprintf("%s/state", o.dir);
        o.keys = xasprintf("%s/keys", o.dir);
        rc = a == 0   ? s_up(&o)
             : a == 1 ? s_down(&o)
             : a == 2 ? s_status(&o)
                      : s_submit(&o, args, n_args);
    }
    free(args);
    free(o.state);
    free(o.keys);
    return rc < 0 ? 0 : rc;
}
