/* run — `hps run CONFIG [key=value...] [-j N]`: the embedded cluster (see run.h). It
 * validates the config first (so bad input never touches the DB), forks N workers before
 * any ZeroMQ context exists in this process, then runs a coordinator on a private ipc
 * endpoint until the study is done. */
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run.h"
#include "cli/client.h"
#include "cli/multirun.h"
#include "cli/coordinator.h"
#include "coordinator/blobs.h"
#include "cli/cli_flags.h"
#include "coordinator/coord.h"
#include "coordinator/progress.h"
#include "core/capable.h"
#include "core/config.h"
#include "core/log.h"
#include "core/report.h"
#include "core/store.h"
#include "objectives/model.h"
#include "worker/worker.h"

static const char s_run_usage[] =
    "usage: hps run CONFIG [key=value | group=name ...] [-j N] [--db FILE] [options]\n"
    "       hps run CONFIG --multirun key=a,b group=x,y ... [--to ENDPOINT] [options]\n"
    "  -j, --workers N    local worker processes (default: number of CPUs)\n"
    "  --db FILE          study database (default hps.db); an existing study resumes\n"
    "  --json             print the final status as JSON instead of the leaderboard\n"
    "  --heartbeat-ms N, --lease-ms N, --sync full|normal   as for hps coordinator\n"
    "  --max-artifact-mb MB  a final refit's model file is at most MB (default 512),\n"
    "                     as for hps worker\n"
    "  -v, -q             more or less logging (-q: no progress either)\n"
    "  -m, --multirun     one study per combination of the values of overrides that\n"
    "                     list several (model=logreg,xgboost n_trials=10,20: 4 studies),\n"
    "                     named CONFIG's study + -VALUE per swept group (-logreg) or\n"
    "                     -KEY=VALUE per other key (-n_trials=10); all share the local\n"
    "                     workers and one leaderboard. A list value is one value in\n"
    "                     brackets (k=[a,b]); a comma in a value is quoted (k=\"'a,b'\")\n"
    "  --to ENDPOINT      submit the studies to a running coordinator instead (as hps\n"
    "                     submit; with --cert FILE --server-key FILE off loopback)\n"
    "Progress on stderr: a line per study rewritten in place on a terminal, else a line\n"
    "every 5 s and at each 10%. Ctrl-C (or SIGTERM) stops: running trials go back to the\n"
    "queue and the exit status is 130 (143); run the same command again to resume.\n";

typedef struct {
    const char *config;
    char **over;
    int n_over;
    long workers, max_artifact_mb;
    coord_opts_t co; /* the coordinator's flags: db_path, heartbeat_ms, lease_ms, sync_full */
    bool json, quiet;
    bool multirun;
    const char *to, *cert, *server_key; /* --to: submit instead of running */
} run_flags_t;

static int s_parse(int argc, char **argv, run_flags_t *f)
{
    static const struct option longopts[] = {
        CLI_COORD_LONGOPTS,
        {"workers", required_argument, 0, 'j'},    {"json", no_argument, 0, 'J'},
        {"max-artifact-mb", required_argument, 0, 'A'},
        {"help", no_argument, 0, 'h'},             {"multirun", no_argument, 0, 'm'},
        {"to", required_argument, 0, 'T'},         {"cert", required_argument, 0, 'C'},
        {"server-key", required_argument, 0, 'K'}, {0, 0, 0, 0}};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *f = (run_flags_t){.workers = ncpu > 0 ? ncpu : 1};
    cli_coord_defaults(&f->co);
    f->over = xcalloc((size_t)argc, sizeof(char *));
    int opt;
    optind = 1;
    /* '-' in optstring: operands come back in order as opt 1, so overrides may follow flags. */
    while ((opt = getopt_long(argc, argv, "-j:vqm", longopts, NULL)) != -1) {
        int rc = cli_coord_flag("run", &f->co, opt, optarg);
        if (rc < 0)
            return 2;
        if (rc == 0)
            continue;
        switch (opt) {
        case 1:
            if (strchr(optarg, '='))
                f->over[f->n_over++] = optarg;
            else if (!f->config)
                f->config = optarg;
            else {
                fprintf(stderr, "hps run: unexpected argument '%s' (overrides are key=value)\n",
                        optarg);
                return 2;
            }
            break;
        case 'j':
            if (cli_flag_long("run", "-j", optarg, 1, 256, &f->workers) != 0)
                return 2;
            break;
        case 'J': f->json = true; break;
        case 'A':
            if (cli_flag_long("run", "--max-artifact-mb", optarg, 1, 1 << 20,
                              &f->max_artifact_mb) != 0)
                return 2;
            break;
        case 'm': f->multirun = true; break;
        case 'T': f->to = optarg; break;
        case 'C': f->cert = optarg; break;
        case 'K': f->server_key = optarg; break;
        case 'v': log_set_level(log_level() == LL_WARN ? LL_INFO : LL_DEBUG); break;
        case 'q': log_set_level(LL_WARN); f->quiet = true; break;
        case 'h': fputs(s_run_usage, stdout); return 0;
        default: fputs(s_run_usage, stderr); return 2;
        }
    }
    if (!f->config) {
        fprintf(stderr, "hps run: a CONFIG file is required\n%s", s_run_usage);
        return 2;
    }
    return -1;
}

/* The stored config of a study of this name in db, if any (caller frees). */
static char *s_stored_config(const char *db, const char *name)
{
    if (access(db, F_OK) != 0)
        return NULL;
    char err[HPS_ERR_LEN];
    store_t *st = store_open_read(db, err);
    if (!st)
        return NULL;
    store_study_t s;
    char *json = NULL;
    if (store_study_get(st, name, &s, err) == 0) {
        json = s.config;
        s.config = NULL;
        store_study_clear(&s);
    }
    store_close(&st);
    return json;
}

/* What running cfg would do to the study stored in db (store_plan), read before any
 * worker is forked: the plan's kind, or -1 after printing why the run cannot go on
 * (*code: 2 a refused difference, 1 a final refit to run first or an unreadable file). */
static int s_plan(const char *db, const study_config_t *cfg, int *code)
{
    char err[HPS_ERR_LEN];
    store_t *st = store_open_read(db, err);
    store_plan_t p;
    int rc = st ? store_plan(st, cfg->json, &p, err) : -1;
    store_close(&st);
    *code = 1;
    if (rc != 0) {
        fprintf(stderr, "hps run: %s\n", err);
        return -1;
    }
    int kind = p.kind;
    if (kind == STORE_PLAN_REFUSED || kind == STORE_PLAN_FINISHED || kind == STORE_PLAN_BUSY) {
        strbuf_t sb;
        sb_init(&sb);
        store_plan_describe(&p, cfg->name, &sb);
        fprintf(stderr, "hps run: %s%s\n", sb.buf, kind == STORE_PLAN_FINISHED ? " (its results "
                "again below)" : "");
        sb_free(&sb);
    }
    store_plan_clear(&p);
    *code = kind == STORE_PLAN_REFUSED ? 2 : 1;
    return kind == STORE_PLAN_REFUSED || kind == STORE_PLAN_BUSY ? -1 : kind;
}

/* A socket listening on the unix path, made before the workers are forked: their first
 * connect then succeeds (the kernel queues it until the coordinator, once bound to it,
 * accepts) instead of failing and waiting for a reconnect. -1 when it cannot be made
 * (said at -v): the coordinator binds the path itself. */
static int s_listen(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd > STDERR_FILENO && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        listen(fd, SOMAXCONN) == 0)
        return fd;
    /* (0-2 come back only when those were closed: not a socket to hand to zmq) */
    log_debug("no listening socket made before the workers: %s",
              fd >= 0 && fd <= STDERR_FILENO ? "standard descriptors closed" : strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Fork n workers on endpoint; they run until BYE. Returns the number started. listen_fd
 * (-1: none) is the coordinator's; the workers close their copies. */
static int s_spawn(const char *endpoint, int listen_fd, long n, long max_artifact_mb,
                   pid_t *pids)
{
    fflush(NULL);
    for (long i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            log_error("fork: %s", strerror(errno));
            return (int)i;
        }
        if (pids[i] == 0) {
            /* A local worker ends with its `hps run`, even after a kill -9 of it. */
            if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
                _exit(1);
            if (listen_fd >= 0)
                close(listen_fd);
            char name[64], comp[80], err[HPS_ERR_LEN];
            snprintf(name, sizeof name, "local-%d-%ld", (int)getppid(), i + 1);
            snprintf(comp, sizeof comp, "worker %ld", i + 1);
            log_set_component(comp);
            worker_opts_t o = {.endpoint = endpoint, .slots = 1, .name = name, .prefetch = 1,
                              .recycle_after = WORKER_RECYCLE_AFTER,
                              .max_artifact_mb = max_artifact_mb};
            int rc = worker_run(&o, err);
            if (rc != 0)
                log_error("%s", err);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    return (int)n;
}

static void s_reap(pid_t *pids, int n)
{
    int64_t deadline = now_ms() + 5000;
    for (int i = 0; i < n; i++) {
        int status;
        while (waitpid(pids[i], &status, WNOHANG) == 0) {
            if (now_ms() > deadline) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], &status, 0);
                break;
            }
            usleep(1000); /* told BYE, it is on its way out: a millisecond or few */
        }
    }
}

/* A study none of whose trials completed has nothing to show: say so with the last
 * error (a script path the workers cannot open, say) and fail the run. 0 when at least
 * one trial completed or none failed, 1 after the message. */
static int s_all_failed(store_t *st, const char *study)
{
    char err[HPS_ERR_LEN], *last = NULL;
    store_study_t s;
    long counts[TRIAL_NSTATES];
    if (store_study_get(st, study, &s, err) != 0)
        return 0;
    int rc = store_trial_counts(st, s.id, counts, err) == 0 && counts[TRIAL_COMPLETE] == 0 &&
             counts[TRIAL_FAIL] > 0;
    if (rc && store_last_error(st, s.id, &last, err) < 0)
        last = NULL;
    if (rc)
        fprintf(stderr, "hps run: no trial of '%s' completed (%ld failed); the last error: %s\n",
                study, counts[TRIAL_FAIL], last ? last : "(none recorded)");
    free(last);
    store_study_clear(&s);
    return rc;
}

/* The final leaderboard (or status JSON), from the file: of every study there after a
 * plain run (as always), of the studies run after --multirun. */
static int s_print_result(const run_flags_t *f, char *const *studies, int n)
{
    char err[HPS_ERR_LEN];
    store_t *st = store_open_read(f->co.db_path, err);
    if (!st) {
        fprintf(stderr, "hps run: %s\n", err);
        return 1;
    }
    strbuf_t sb;
    sb_init(&sb);
    report_board_opts_t o = {.format = "table", .studies = (const char *const *)studies,
                             .n_studies = f->multirun ? n : 0, .is_model = model_known};
    int rc = f->json ? report_status_json(st, n == 1 ? studies[0] : NULL, &sb, err)
                     : report_board(st, &o, &sb, err);
    if (rc == 0)
        fputs(sb.buf, stdout);
    else
        fprintf(stderr, "hps run: %s\n", err);
    sb_free(&sb);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = s_all_failed(st, studies[i]);
    store_close(&st);
    return rc == 0 ? 0 : 1;
}

/* The first SIGINT or SIGTERM; 0 = none. */
static volatile sig_atomic_t s_signal;
/* The private socket and its folder, for the second signal's hurried exit (unlink and
 * rmdir are async-signal-safe; the paths are set before any handler is installed). */
static char s_sock_path[64], s_sock_dir[32];

/* First signal: stop serving (zsys_interrupted ends coord_run), release the running
 * trials, stop the workers. A second one exits at once: every change is its own SQLite
 * transaction, so the file stays consistent, and the next run takes back what is left
 * running. */
static void s_on_signal(int sig)
{
    if (s_signal) {
        unlink(s_sock_path);
        rmdir(s_sock_dir);
        _exit(128 + s_signal);
    }
    s_signal = sig;
    zsys_interrupted = 1;
}

/* Load and check the config; a study already stored keeps its seed and runs its missing
 * trials (stopped or done: resumed; n_trials raised, trial_timeout or max_retries
 * changed: stored). NULL after printing the errors, with the exit code in *code (2:
 * bad input, or a difference a stored study refuses, each key named). *finished: the
 * study is done and the config asks for no more; its results are printed again. */
static study_config_t *s_load(const run_flags_t *f, int n_over, char *const *over,
                              bool *finished, int *code)
{
    *finished = false;
    *code = 2;
    /* A first pass only to learn the study name, so a resumed study keeps its seed. */
    study_config_t *cfg = cli_load_study(f->config, n_over, over, true, NULL);
    char *stored = cfg ? s_stored_config(f->co.db_path, cfg->name) : NULL;
    if (stored) {
        study_config_destroy(&cfg);
        cfg = cli_load_study(f->config, n_over, over, true, stored);
        free(stored);
        int kind = cfg ? s_plan(f->co.db_path, cfg, code) : -1;
        if (kind < 0)
            study_config_destroy(&cfg);
        *finished = kind == STORE_PLAN_FINISHED;
    }
    return cfg;
}

/* Submit one study to the embedded coordinator c (its data imported first): 0, or -1
 * with err (*usage: the config was refused). */
static int s_submit_one(const run_flags_t *f, coord_t *c, study_config_t **cfg_p, bool *usage,
                        char *err)
{
    char sha[65];
    if ((*cfg_p)->data_file && blob_import(coord_blob_dir(c), (*cfg_p)->data_file, sha, err) != 0)
        return -1;
    if ((*cfg_p)->code &&
        blob_import_mem(coord_blob_dir(c), (*cfg_p)->code, (*cfg_p)->code_len, sha, err) != 0)
        return -1;
    sched_outcome_t out = {0};
    int rc = 0, sub = coord_submit(c, cfg_p, &out, err);
    if (sub != 0) {
        if (sub > 0)
            set_err(err, "%s", out.text);
        rc = -1;
        *usage = true;
    } else if (!f->quiet && (out.kind == STORE_PLAN_RESUME || out.kind == STORE_PLAN_CHANGE))
        fprintf(stderr, "hps run: %s\n", out.text);
    sched_outcome_clear(&out);
    return rc;
}

/* The embedded coordinator on endpoint, until every study of cfgs (n; NULL entries are
 * skipped: finished already) is done or a signal. Every worker of it is a child of this
 * process, so trials left RUNNING by an earlier run (killed hard) are released at the
 * start, and on a signal the running ones are released (*released: how many, -1 when
 * that failed). 0, or -1 with err (*usage: exit code 2). */
static int s_serve(const run_flags_t *f, study_config_t **cfgs, int n, const char *endpoint,
                   int listen_fd, bool *usage, int *released, char *err)
{
    coord_opts_t co = f->co;
    co.bind = endpoint;
    co.listen_fd = listen_fd > 0 ? listen_fd : 0;
    co.exit_when_done = true;
    co.progress = f->quiet ? PROGRESS_OFF : isatty(2) ? PROGRESS_TTY : PROGRESS_LINES;
    for (int i = 0; i < n && !co.only_study; i++)
        co.only_study = cfgs[i] ? cfgs[i]->name : NULL; /* the others come by submit */
    coord_t *c = coord_new(&co, usage, err);
    int rc = c ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++)
        if (cfgs[i])
            rc = s_submit_one(f, c, &cfgs[i], usage, err);
    /* After the submit, so that a resumed study's trials are released too. */
    if (rc == 0 && (*released = coord_release_leases(c, err)) < 0)
        rc = -1;
    else if (rc == 0 && *released > 0)
        log_info("%d trial(s) left running by an earlier run go back to the queue", *released);
    if (rc == 0)
        rc = coord_run(c, err);
    *released = 0;
    if (rc == 0 && s_signal)
        *released = coord_release_leases(c, err);
    coord_destroy(&c);
    return rc;
}

/* Fork the workers, serve cfgs (n, NULL when finished) and print the leaderboard of
 * names: the exit code. */
static int s_run_local(const run_flags_t *f, study_config_t **cfgs, char **names, int n)
{
    log_set_component("coord");
    char dir[] = "/tmp/hps-run-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "hps run: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    char *endpoint = xasprintf("ipc://%s/coord.ipc", dir);
    snprintf(s_sock_dir, sizeof s_sock_dir, "%s", dir);
    snprintf(s_sock_path, sizeof s_sock_path, "%s/coord.ipc", dir);
    pid_t *pids = xcalloc((size_t)f->workers, sizeof(pid_t));
    int listen_fd = s_listen(s_sock_path);
    int nw = s_spawn(endpoint, listen_fd, f->workers, f->max_artifact_mb, pids);
    /* After the fork (czmq's context must not be forked), before anything is served. */
    zsys_init();
    zsys_handler_set(s_on_signal);
    char err[HPS_ERR_LEN];
    bool usage = false;
    int released = 0;
    int rc = s_serve(f, cfgs, n, endpoint, listen_fd, &usage, &released, err);
    if (listen_fd >= 0)
        close(listen_fd);
    if (rc != 0 || released < 0)
        fprintf(stderr, "hps run: %s\n", err);
    /* Every study is done, or we stop: workers still waiting for BYE have nothing to
     * lose, and SIGTERM makes them exit at once (their trial processes with them). */
    for (int i = 0; i < nw; i++)
        if (kill(pids[i], SIGTERM) != 0 && errno != ESRCH)
            log_warn("kill %d: %s", (int)pids[i], strerror(errno));
    s_reap(pids, nw);
    unlink(s_sock_path);
    rmdir(dir);
    free(pids);
    free(endpoint);
    if (s_signal) {
        if (released >= 0)
            fprintf(stderr, "hps run: interrupted; %d running trial%s released; rerun the same "
                            "command to resume\n", released, released == 1 ? "" : "s");
        else
            fprintf(stderr, "hps run: interrupted; rerun the same command to resume\n");
        return 128 + s_signal;
    }
    return rc == 0 ? s_print_result(f, names, n) : usage ? 2 : 1;
}

/* Check and expand the overrides: -1 to go on, else the exit code (2: bad syntax). */
static int s_expand(const run_flags_t *f, multirun_t *m)
{
    for (int i = 0; !f->multirun && i < f->n_over; i++)
        if (multirun_sweeps(f->over[i])) {
            fprintf(stderr, "hps run: override '%s' has several values: add --multirun for "
                    "one study per value, write a list in brackets (key=[a,b]) or quote a "
                    "comma (key=\"'a,b'\")\n", f->over[i]);
            return 2;
        }
    char err[HPS_ERR_LEN];
    if (multirun_expand(f->config, f->n_over, f->over, m, err) != 0) {
        fprintf(stderr, "hps run: %s\n", err);
        return 2;
    }
    return -1;
}

/* Combination c's overrides (*n of them; the array and its last string, the study name
 * when given, are the caller's). The name replaces a study= of the user's, which it was
 * made from. */
static char **s_combo(const multirun_t *m, int c, const char *name, int *n)
{
    char **over = xcalloc((size_t)m->n_over + 2, sizeof *over);
    *n = 0;
    for (int i = 0; i < m->n_over; i++) {
        char *kv = m->over[(size_t)c * (size_t)m->n_over + (size_t)i];
        if (!name || !cfg_override_sets(kv, "study"))
            over[(*n)++] = kv;
    }
    if (name) {
        strbuf_t sb; /* a YAML single-quoted scalar: the name whatever it holds */
        sb_init(&sb);
        sb_puts(&sb, "study='");
        for (const char *p = name; *p; p++)
            sb_puts(&sb, *p == '\'' ? "''" : (char[]){*p, 0});
        sb_putc(&sb, '\'');
        over[(*n)++] = sb_take(&sb);
    }
    return over;
}

static void s_combo_free(char **over, int n, const char *name)
{
    if (name && n > 0)
        free(over[n - 1]);
    free(over);
}

/* The study name of combination c: NULL (the config's own) when nothing sweeps, else
 * the composed config's name and the combination's suffix (caller frees). -1 after
 * printing the config's errors. */
static int s_name(const run_flags_t *f, const multirun_t *m, int c, char **name)
{
    *name = NULL;
    if (!m->suffix[c][0])
        return 0;
    study_config_t *cfg = cli_load_study(f->config, m->n_over,
                                         m->over + (size_t)c * (size_t)m->n_over, false, NULL);
    if (!cfg)
        return -1;
    *name = xasprintf("%s%s", cfg->name, m->suffix[c]);
    study_config_destroy(&cfg);
    return 0;
}

/* Whether names[c] repeats an earlier one (said on stderr). */
static bool s_repeated(char *const *names, int c)
{
    for (int j = 0; j < c; j++)
        if (strcmp(names[j], names[c]) == 0) {
            fprintf(stderr, "hps run: combinations %d and %d are both named '%s'\n", j + 1,
                    c + 1, names[c]);
            return true;
        }
    return false;
}

/* Whether the local workers (this machine's cpu and mem, any objective and command, no
 * labels) can run the study's trials: else a message, 2 (it would wait forever). */
static int s_runs_here(const study_config_t *cfg)
{
    capable_t local = {.declared = true, .n_objectives = -1, .command = CAPABLE_CMD_ANY};
    capable_need_t need;
    capable_machine(&local.res);
    capable_need_from_study(cfg->root, NULL, &need);
    char why[HPS_ERR_LEN], have[256];
    bool ok = capable_can_run(&local, &need, why, sizeof why);
    capable_list_text(&local.res, have, sizeof have);
    if (!ok)
        fprintf(stderr, "hps run: study %s: its local workers cannot run its trials: %s (they "
                        "offer %s, no labels); submit it to workers that can (hps worker "
                        "--resources, --gpus, --label)\n", cfg->name, why, have);
    capable_need_clear(&need);
    capable_clear(&local);
    return ok ? 0 : 2;
}

/* Load every combination's config (all checked before anything runs), then run those
 * not finished already on one set of local workers. The exit code. */
static int s_run_all(const run_flags_t *f, const multirun_t *m)
{
    study_config_t **cfgs = xcalloc((size_t)m->n, sizeof *cfgs);
    char **names = xcalloc((size_t)m->n, sizeof *names);
    int rc = -1, c = 0, pending = 0;
    for (; c < m->n && rc < 0; c++) {
        char *name;
        if (s_name(f, m, c, &name) != 0) {
            rc = 2;
            break;
        }
        int n;
        char **over = s_combo(m, c, name, &n);
        bool finished;
        int code;
        cfgs[c] = s_load(f, n, over, &finished, &code);
        s_combo_free(over, n, name);
        names[c] = name ? name : cfgs[c] ? xstrdup(cfgs[c]->name) : NULL;
        if (!cfgs[c])
            rc = code;
        else if (s_repeated(names, c))
            rc = 2;
        else if (finished)
            study_config_destroy(&cfgs[c]);
        else if ((code = s_runs_here(cfgs[c])) != 0)
            rc = code;
        pending += cfgs[c] != NULL;
    }
    if (rc < 0 && f->multirun && !f->quiet) {
        fprintf(stderr, "hps run: --multirun: %d studies:", m->n);
        for (int i = 0; i < m->n; i++)
            fprintf(stderr, " %s", names[i]);
        fputc('\n', stderr);
    }
    if (rc < 0)
        rc = pending ? s_run_local(f, cfgs, names, m->n) : s_print_result(f, names, m->n);
    for (int i = 0; i < m->n; i++) {
        study_config_destroy(&cfgs[i]);
        free(names[i]);
    }
    free(cfgs);
    free(names);
    return rc;
}

/* --to: check every combination, then submit each as `hps submit` would. */
static int s_submit_all(const run_flags_t *f, const multirun_t *m)
{
    char **names = xcalloc((size_t)m->n, sizeof *names);
    int rc = 0;
    for (int c = 0; c < m->n && rc == 0; c++) {
        if (s_name(f, m, c, &names[c]) != 0) {
            rc = 2;
            break;
        }
        int n;
        char **over = s_combo(m, c, names[c], &n);
        study_config_t *cfg = cli_load_study(f->config, n, over, false, NULL);
        s_combo_free(over, n, names[c]);
        if (!cfg)
            rc = 2;
        else if (!names[c])
            names[c] = xstrdup(cfg->name);
        if (cfg && s_repeated(names, c))
            rc = 2;
        study_config_destroy(&cfg);
    }
    for (int c = 0; c < m->n && rc == 0; c++) {
        int n, k = 0;
        char **over = s_combo(m, c, m->suffix[c][0] ? names[c] : NULL, &n);
        char **argv = xcalloc((size_t)n + 10, sizeof *argv);
        argv[k++] = "submit";
        argv[k++] = (char *)f->config;
        for (int i = 0; i < n; i++)
            argv[k++] = over[i];
        argv[k++] = "--to";
        argv[k++] = (char *)f->to;
        if (f->cert) {
            argv[k++] = "--cert";
            argv[k++] = (char *)f->cert;
        }
        if (f->server_key) { /* submit says when only one of the two is given */
            argv[k++] = "--server-key";
            argv[k++] = (char *)f->server_key;
        }
        rc = submit_main(k, argv);
        free(argv);
        s_combo_free(over, n, m->suffix[c][0] ? names[c] : NULL);
    }
    for (int c = 0; c < m->n; c++)
        free(names[c]);
    free(names);
    return rc;
}

int run_main(int argc, char **argv)
{
    run_flags_t f;
    log_set_level(LL_WARN); /* progress line and result are the output; -v for more */
    int rc = s_parse(argc, argv, &f);
    multirun_t m = {0};
    if (rc < 0)
        rc = s_expand(&f, &m);
    if (rc >= 0) {
        free(f.over);
        return rc;
    }
    rc = f.to ? s_submit_all(&f, &m) : s_run_all(&f, &m);
    multirun_free(&m);
    free(f.over);
    return rc;
}
