/* coordinator — `hps coordinator`, and the study loading of `hps run` and `hps submit`
 * (see coordinator.h). */
#include "cli/coordinator.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "coordinator/coord.h"
#include "coordinator/study_check.h"
#include "core/codepack.h"
#include "core/log.h"
#include "core/store.h"
#include "core/study_diff.h"
#include "objectives/objective.h"

static int s_usage(const char *msg, const char *usage)
{
    if (msg)
        fprintf(stderr, "hps: %s\n", msg);
    fprintf(stderr, "%s", usage);
    return 2;
}

/* ---- study loading (run, submit) ---------------------------------------------------- */

/* Hash the dataset into data.sha256, after the objective has checked every row of it
 * (a bad row is reported here as file:line and nothing is submitted). */
static int s_fill_data(study_config_t *cfg, cfg_errs_t *errs)
{
    const cfg_node_t *path = cfg->data ? cfg_get(cfg->data, "path") : NULL;
    if (!cfg->data_file)
        return 0;
    char sha[65], err[HPS_ERR_LEN];
    FILE *f = file_open_regular(cfg->data_file, HPS_FILE_MAX, err);
    if (!f) {
        bool override = path->line == 0;
        size_t n = strlen(cfg->data_file); /* err is "path: why" */
        const char *why = strncmp(err, cfg->data_file, n) == 0 ? err + n + 2 : err;
        cfg_error(errs, path, "data.path: cannot open '%s' (%s %s): %s", cfg->data_file,
                  override ? "relative to" : "resolved relative to",
                  override ? "the current directory" : path->file, why);
        return -1;
    }
    fclose(f);
    if (sha256_file(cfg->data_file, sha, err) != 0) {
        cfg_error(errs, path, "data.path: %s", err);
        return -1;
    }
    const objective_ops_t *ops = objective_find(cfg_type_or(cfg->objective, ""));
    if (ops && ops->check_data && ops->check_data(cfg, cfg->data_file, err) != 0) {
        cfg_error_at(errs, NULL, 0, 0, "%s", err);
        return -1;
    }
    return cfg_set_path(cfg->root, "data.sha256", sha, errs);
}

/* A hash of a study name: the studies of one --multirun, made in the same millisecond,
 * get different seeds. */
static uint64_t s_name_hash(const char *name)
{
    uint64_t h = 0;
    for (const char *c = name ? name : ""; *c; c++)
        h = hash_mix64(h ^ (unsigned char)*c);
    return h;
}

/* Pack the objective's code (code:, code_dir:) into *code and record its sha256 as
 * objective.code_sha256: the stored study names the code its trials ran. */
static int s_fill_code(study_config_t *cfg, char **code, size_t *len, cfg_errs_t *errs)
{
    if (codepack_of_config(cfg->objective, code, len, errs) != 0)
        return -1;
    char sha[65];
    if (*code)
        sha256_hex(*code, *len, sha);
    return *code ? cfg_set_path(cfg->root, "objective.code_sha256", sha, errs) : 0;
}

/* What the config leaves out of its sampler, from the stored study's config keep (NULL:
 * a new study): sampler.seed, the stored one or a new one; sampler.type, the stored
 * one, or "auto" (the default of new configs) for a new study. A stored study without
 * a type keeps none: it resumes with the sampler it had (random, the default before
 * auto). The same rule as the coordinator's (coordinator/schedule_life.c). */
static int s_fill_sampler(study_config_t *cfg, const char *keep, cfg_errs_t *errs)
{
    int rc = 0;
    if (!cfg_get(cfg->root, "sampler.type")) {
        char *type = keep ? study_json_get(keep, "sampler.type") : xstrdup("auto");
        rc = type ? cfg_set_path(cfg->root, "sampler.type", type, errs) : 0;
        free(type);
    }
    if (rc == 0 && !cfg_get(cfg->root, "sampler.seed")) {
        char *seed = keep ? study_json_get(keep, "sampler.seed") : NULL;
        if (!seed)
            seed = xasprintf("%ld", (long)((now_ms() ^ ((int64_t)getpid() << 16) ^
                                            (int64_t)s_name_hash(cfg->name)) &
                                           0x7fffffff));
        rc = cfg_set_path(cfg->root, "sampler.seed", seed, errs);
        free(seed);
    }
    return rc;
}

study_config_t *cli_load_study(const char *path, int n_over, char *const *over,
                               bool fill_seed, const char *keep_seed_from)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = study_config_load(path, n_over, over, &study_check_all, &errs);
    study_config_t *out = NULL;
    char *code = NULL;
    size_t code_len = 0;
    if (cfg && s_fill_data(cfg, &errs) == 0 && s_fill_code(cfg, &code, &code_len, &errs) == 0) {
        int rc = fill_seed ? s_fill_sampler(cfg, keep_seed_from, &errs) : 0;
        if (rc == 0) {
            /* Re-validate from the canonical text, which states the direction: what is
             * stored is what was checked. */
            char *text = cfg_to_json(cfg->root), err[HPS_ERR_LEN];
            char *json = store_study_config(text, cfg->direction, err);
            if (json)
                out = study_config_from_json(json, &study_check_all, &errs);
            else
                cfg_error_at(&errs, NULL, 0, 0, "%s", err);
            free(text);
            free(json);
            if (out) {
                out->data_file = cfg->data_file; /* where run and submit read the data */
                cfg->data_file = NULL;
                out->code = code; /* what run and submit upload */
                out->code_len = code_len;
                code = NULL;
            }
        }
    }
    study_config_destroy(&cfg);
    free(code);
    if (!out)
        cfg_errs_print(&errs, stderr);
    cfg_errs_free(&errs);
    return out;
}

/* ---- hps coordinator ---------------------------------------------------------------- */

static const char s_coord_usage[] =
    "usage: hps coordinator --bind ENDPOINT [--db FILE] [options]\n"
    "  --bind EP          e.g. tcp://127.0.0.1:5555 (CURVE keys required off loopback)\n"
    "  --db FILE          study database (default hps.db)\n"
    "  --cert FILE        coordinator's CURVE secret key (from hps keygen)\n"
    "  --allow DIR        public keys of workers and clients allowed to connect\n"
    "  --submitters DIR   public keys allowed to submit and stop studies\n"
    "  --heartbeat-ms N   worker heartbeat interval (default 1000)\n"
    "  --lease-ms N       lease without heartbeat before a trial is re-queued (10000)\n"
    "  --sync full|normal SQLite durability: full survives power loss (default normal)\n"
    "  --max-blob-mb N    largest dataset a submit may upload, MiB (default 1024)\n"
    "  -v, -q             more or less logging\n";

int coord_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_COORD_LONGOPTS,
        {"bind", required_argument, 0, 'b'},       {"cert", required_argument, 0, 'c'},
        {"allow", required_argument, 0, 'a'},      {"submitters", required_argument, 0, 's'},
        {"max-blob-mb", required_argument, 0, 'M'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    coord_opts_t co = {0};
    cli_coord_defaults(&co);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "vq", longopts, NULL)) != -1) {
        int rc = cli_coord_flag("coordinator", &co, opt, optarg);
        if (rc < 0)
            return 2;
        if (rc == 0)
            continue;
        switch (opt) {
        case 'b': co.bind = optarg; break;
        case 'c': co.cert_path = optarg; break;
        case 'a': co.allow_dir = optarg; break;
        case 's': co.submitters_dir = optarg; break;
        case 'M':
            if (cli_flag_long("coordinator", "--max-blob-mb", optarg, 1, 1L << 30,
                              &co.max_blob_mb) != 0)
                return 2;
            break;
        case 'v': log_set_level(LL_DEBUG); break;
        case 'q': log_set_level(LL_WARN); break;
        case 'h': fputs(s_coord_usage, stdout); return 0;
        default: return s_usage(NULL, s_coord_usage);
        }
    }
    if (optind < argc)
        return s_usage("coordinator: unexpected argument", s_coord_usage);
    if (!co.bind)
        return s_usage("coordinator: --bind is required", s_coord_usage);
    log_set_component("coord");
    /* One descriptor per connected worker: allow as many as the hard limit does. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open-file limit");
    }
    char err[HPS_ERR_LEN];
    bool usage;
    coord_t *c = coord_new(&co, &usage, err);
    if (!c) {
        fprintf(stderr, "hps coordinator: %s\n", err);
        return usage ? 2 : 1;
    }
    int rc = coord_run(c, err);
    if (rc != 0)
        log_error("%s", err);
    coord_destroy(&c);
    return rc == 0 ? 0 : 1;
}
