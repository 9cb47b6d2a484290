/* worker_main — `hps worker`: flags into worker_opts_t, then worker_run().
 *
 * Kept apart from the loop so worker.c stays about the protocol. Flag errors exit 2
 * with one clear line on stderr; runtime failures exit 1. Certificates are passed as
 * file paths, never as key text, so no secret appears in argv or in the logs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_flags.h"
#include "cli/worker_main.h"
#include "core/capable.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/util.h"
#include "worker/runner.h"
#include "worker/worker.h"

static const char s_usage[] =
    "usage: hps worker --connect ENDPOINT [options]\n"
    "\n"
    "Run trials for a coordinator until it says BYE or the worker is interrupted.\n"
    "\n"
    "  --connect EP          coordinator endpoint, e.g. tcp://head:5555 (required)\n"
    "  --slots N             trials run at once (default 1)\n"
    "  --name NAME           unique worker name (default HOST-PID; in a Slurm job\n"
    "                        NODE-jJOB.STEP-tTASK from SLURM_* in an srun task,\n"
    "                        NODE-jJOB-PID elsewhere in the job)\n"
    "  --cache DIR           dataset and feature cache (default $XDG_CACHE_HOME/hps\n"
    "                        or ~/.cache/hps)\n"
    "  --cert FILE           CURVE: this worker's secret certificate (from hps keygen)\n"
    "  --server-key FILE     CURVE: the coordinator's public certificate\n"
    "  --allow-command PAT   only run `command` objectives whose argv matches PAT: one\n"
    "                        word per argument (fnmatch; `*` crosses no '/'), a last\n"
    "                        `*` = any further arguments, e.g. 'python3 train*.py *';\n"
    "                        a `run:` string (/bin/sh -c) only with a PAT 'sh -c ...'\n"
    "  --allow-env NAMES     with --allow-command: env names a study may set\n"
    "                        (NAME[,NAME...]; default none)\n"
    "  --allow-cwd DIR       with --allow-command: a study's cwd may be DIR or below\n"
    "                        (default: no cwd)\n"
    "  --allow-any-command   with --cert: run any `command` objective (without it and\n"
    "                        without --allow-command, a CURVE worker runs none)\n"
    "  --prefetch N          while trials are short (< 1 s), lease N more than the free\n"
    "                        slots so none waits for the coordinator (default 1; 0 = off)\n"
    "  --recycle-after N     a trial process serves at most N trials, then a fresh one\n"
    "                        is started (default 1000; 0 = never)\n"
    "  --max-trial-rss-mb MB replace a trial process whose resident memory is over MB\n"
    "                        after a trial (default 0 = no bound)\n"
    "  --link-timeout-ms N   take the link for dead when what was sent stays\n"
    "                        unacknowledged N ms, and reconnect (default 1500; each\n"
    "                        connect attempt gets N/3 ms: raise it for links with a\n"
    "                        round trip over 0.5 s)\n"
    "  --max-artifact-mb MB  a final refit's model file (HPS_ARTIFACT_DIR) is at most MB\n"
    "                        (default 512); a larger one fails the refit\n"
    "  --resources LIST      what one trial of a study's `resources:` may take here, as\n"
    "                        NAME=AMOUNT[,...], whole amounts, K M G T = x1024,\n"
    "                        e.g. cpu=4,gpu=2,mem=16G (default: cpu = online CPUs,\n"
    "                        mem = physical memory in bytes, gpu = the --gpus count)\n"
    "  --gpus IDS            GPU device ids, e.g. 0,1: a trial asking gpu: k gets k free\n"
    "                        ones as CUDA_VISIBLE_DEVICES, other trials their slot's\n"
    "                        (default with --resources gpu=N: 0..N-1)\n"
    "  --label KEY=VALUE     a label a study's `constraints:` can ask for (repeatable)\n"
    "  --labels LIST         several labels, KEY=VALUE[,...]\n"
    "  --max-trials N        exit after N trials (for tests)\n"
    "  -v, --verbose         debug logging\n"
    "  -q, --quiet           warnings and errors only\n"
    "  -h, --help            this text\n";

/* A positive int flag value, or -1 with a message. */
static int s_positive(const char *flag, const char *text, int max, int *out)
{
    long v;
    if (parse_long(text, &v) != 0 || v < 1 || v > max) {
        fprintf(stderr, "hps worker: %s: expected a number from 1 to %d, got '%s'\n", flag,
                max, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A flag value from 0 to max, or -1 with a message. */
static int s_count(const char *flag, const char *text, int max, int *out)
{
    return strcmp(text, "0") == 0 ? (*out = 0) : s_positive(flag, text, max, out);
}

/* The --allow-* flags together: 0 or -1 after a message. */
static int s_check_allow(const worker_opts_t *opts)
{
    const char *msg = NULL;
    struct stat st;
    if (opts->allow_any_command && opts->allow_command)
        msg = "--allow-any-command and --allow-command exclude each other";
    else if ((opts->allow_env || opts->allow_cwd) && !opts->allow_command)
        msg = "--allow-env and --allow-cwd go with --allow-command (without it any env and "
              "cwd are allowed, or on a CURVE worker no command at all)";
    else if (opts->allow_command && !opts->allow_command[0])
        msg = "--allow-command: empty pattern";
    else if (opts->allow_cwd && (stat(opts->allow_cwd, &st) != 0 || !S_ISDIR(st.st_mode)))
        msg = "--allow-cwd: not a directory";
    if (msg)
        fprintf(stderr, "hps worker: %s\n", msg);
    return msg ? -1 : 0;
}

/* --resources, --labels and --gpus as the worker will read them: 0 or -1 after a
 * message. */
static int s_check_caps(const worker_opts_t *opts)
{
    capable_list_t l = {0};
    char err[HPS_ERR_LEN];
    int rc = opts->resources ? capable_parse(opts->resources, true, &l, err) : 0;
    const capable_kv_t *gpu = rc == 0 ? capable_find(&l, "gpu") : NULL;
    int n_gpus = 0;
    if (rc == 0 && opts->gpus)
        rc = worker_gpus_count(opts->gpus, &n_gpus, err);
    if (rc == 0 && gpu && opts->gpus && gpu->amount != n_gpus)
        rc = set_err(err, "--resources gpu=%lld but --gpus names %d device(s)",
                     (long long)gpu->amount, n_gpus);
    capable_list_clear(&l);
    if (rc == 0 && opts->labels)
        rc = capable_parse(opts->labels, false, &l, err);
    capable_list_clear(&l);
    if (rc != 0)
        fprintf(stderr, "hps worker: %s\n", err);
    return rc;
}

static int s_check_opts(const worker_opts_t *opts);

/* Parse argv into opts. 0 ok, 1 --help shown, -1 bad flags (message printed). */
static int s_parse(int argc, char **argv, worker_opts_t *opts, log_level_t *level,
                   strbuf_t *labels)
{
    enum {
        O_CONNECT = 256, O_SLOTS, O_NAME, O_CACHE, O_CERT, O_SKEY, O_ALLOW, O_MAX, O_PRE,
        O_RECYCLE, O_RSS, O_ENV, O_CWD, O_ANY, O_LINK, O_ARTIFACT, O_RES, O_GPUS, O_LABEL
    };
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, O_CONNECT},
        {"slots", required_argument, NULL, O_SLOTS},
        {"name", required_argument, NULL, O_NAME},
        {"cache", required_argument, NULL, O_CACHE},
        {"cert", required_argument, NULL, O_CERT},
        {"server-key", required_argument, NULL, O_SKEY},
        {"allow-command", required_argument, NULL, O_ALLOW},
        {"recycle-after", required_argument, NULL, O_RECYCLE},
        {"max-trial-rss-mb", required_argument, NULL, O_RSS},
        {"max-artifact-mb", required_argument, NULL, O_ARTIFACT},
        {"allow-env", required_argument, NULL, O_ENV},
        {"allow-cwd", required_argument, NULL, O_CWD},
        {"allow-any-command", no_argument, NULL, O_ANY},
        {"max-trials", required_argument, NULL, O_MAX},
        {"prefetch", required_argument, NULL, O_PRE},
        {"link-timeout-ms", required_argument, NULL, O_LINK},
        {"resources", required_argument, NULL, O_RES},
        {"gpus", required_argument, NULL, O_GPUS},
        {"label", required_argument, NULL, O_LABEL},
        {"labels", required_argument, NULL, O_LABEL},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    opterr = 0;
    optind = 1;
    int c, rc = 0, rss = 0, artifact = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":vqh", longopts, NULL)) != -1) {
        switch (c) {
        case O_CONNECT: opts->endpoint = optarg; break;
        case O_SLOTS: rc = s_positive("--slots", optarg, 4096, &opts->slots); break;
        case O_NAME: opts->name = optarg; break;
        case O_CACHE: opts->cache_dir = optarg; break;
        case O_CERT: opts->cert_path = optarg; break;
        case O_SKEY: opts->server_key_path = optarg; break;
        case O_ALLOW: opts->allow_command = optarg; break;
        case O_ENV: opts->allow_env = optarg; break;
        case O_CWD: opts->allow_cwd = optarg; break;
        case O_ANY: opts->allow_any_command = true; break;
        case O_MAX: rc = s_positive("--max-trials", optarg, 1 << 30, &opts->max_trials); break;
        case O_PRE: rc = s_count("--prefetch", optarg, 64, &opts->prefetch); break;
        case O_LINK:
            rc = s_positive("--link-timeout-ms", optarg, 600000, &opts->link_timeout_ms);
            rc = rc == 0 && opts->link_timeout_ms < 300
                     ? (fprintf(stderr, "hps worker: --link-timeout-ms: at least 300\n"), -1)
                     : rc;
            break;
        case O_RES: opts->resources = optarg; break;
        case O_GPUS: opts->gpus = optarg; break;
        case O_LABEL: sb_printf(labels, "%s%s", labels->len ? "," : "", optarg); break;
        case O_RECYCLE:
            rc = s_count("--recycle-after", optarg, 1 << 30, &opts->recycle_after);
            break;
        case O_RSS: rc = s_count("--max-trial-rss-mb", optarg, 1 << 30, &rss); break;
        case O_ARTIFACT:
            rc = s_positive("--max-artifact-mb", optarg, 1 << 20, &artifact);
            break;
        case 'v': *level = LL_DEBUG; break;
        case 'q': *level = LL_WARN; break;
        case 'h': return 1;
        case ':':
            fprintf(stderr, "hps worker: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "hps worker: unknown option '%s' (see hps worker --help)\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    opts->max_trial_rss_mb = rss;
    opts->max_artifact_mb = artifact;
    if (rc != 0)
        return -1;
    if (optind < argc) {
        fprintf(stderr, "hps worker: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    opts->labels = labels->len ? labels->buf : NULL;
    return s_check_opts(opts);
}

/* The flags together, once parsed: 0 or -1 after a message. */
static int s_check_opts(const worker_opts_t *opts)
{
    if (!opts->endpoint) {
        fprintf(stderr, "hps worker: --connect ENDPOINT is required\n");
        return -1;
    }
    if (s_check_caps(opts) != 0)
        return -1;
    if (!opts->cert_path != !opts->server_key_path) {
        fprintf(stderr, "hps worker: --cert and --server-key go together\n");
        return -1;
    }
    if (cli_check_plain("worker", opts->endpoint, opts->cert_path) != 0)
        return -1;
    const char *why = opts->name ? limits_name_problem(opts->name, LIMITS_NAME_MAX) : NULL;
    if (why) {
        fprintf(stderr, "hps worker: --name %s (at most %d bytes of printable UTF-8)\n", why,
                LIMITS_NAME_MAX);
        return -1;
    }
    return s_check_allow(opts);
}


int worker_main(int argc, char **argv)
{
    worker_opts_t opts = {.slots = 1, .prefetch = 1, .recycle_after = WORKER_RECYCLE_AFTER};
    log_level_t level = log_level();
    strbuf_t labels; /* --label and --labels, joined: the worker reads them from opts */
    sb_init(&labels);
    int rc = s_parse(argc, argv, &opts, &level, &labels);
    if (rc != 0) {
        if (rc > 0)
            fputs(s_usage, stdout);
        sb_free(&labels);
        return rc > 0 ? 0 : 2;
    }
    log_set_level(level);
    char err[HPS_ERR_LEN];
    rc = worker_run(&opts, err);
    sb_free(&labels);
    if (rc != 0) {
        log_error("%s", err);
        return 1;
    }
    return 0;
}

int trial_process_main(int argc, char **argv)
{
    return runner_child_main(argc, argv, NULL);
}
