/* cli_trials — `hps trials` (see trials.h). Reads the study file only: a coordinator's
 * file can be listed while it runs (SQLite WAL lets a reader and the writer work side by
 * side), so there is no `--to`: the protocol has no trial listing, and a live one would
 * read the same rows a few milliseconds earlier. */
#include "cli/trials.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "results/trials.h"

static const char s_usage[] =
    "usage: hps trials STUDY [--db FILE] [options]\n"
    "Every trial of a study: number (-1 = the final refit), state, value, each parameter\n"
    "decoded by name, duration, worker, attempt, cv_mean/cv_std/test_score of a model,\n"
    "and the error text of a FAIL. Reads the study file (also while a coordinator runs).\n"
    "  --db FILE           study database (default hps.db)\n"
    "  --state S           only trials in state S: complete, pruned, fail, running, waiting\n"
    "  --sort KEY          number (default) or value (best first by the study's direction;\n"
    "                      trials without a value last); the final refit always comes last\n"
    "  --limit N           at most N trials\n"
    "  --format FMT        table (default), csv (param.NAME columns) or json (an array of\n"
    "                      objects with a params map)\n"
    "  --steps             also the intermediate values the trials reported (csv: a steps\n"
    "                      column of STEP:VALUE pairs joined by ';'; json: a steps list)\n"
    "Exit 2 for an unknown study (the message lists the studies of the file).\n";

int cli_open_read(const char *cmd, const char *db, store_t **st)
{
    char err[HPS_ERR_LEN];
    *st = store_open_read(db, err);
    if (*st)
        return 0;
    fprintf(stderr, "hps %s: %s\n", cmd, err);
    return access(db, F_OK) == 0 ? 1 : 2;
}

/* A state name in any case ("fail", "FAIL") as a trial_state_t; -1 when unknown. */
static int s_state(const char *name)
{
    char up[16];
    size_t n = strlen(name);
    if (n >= sizeof up)
        return -1;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    return trial_state_parse(up);
}

static int s_bad(const char *fmt, const char *arg)
{
    return cli_usage_error("trials", s_usage, fmt, arg);
}

/* Parse argv into o, *db and *study: -1 to go on, else the exit code. */
static int s_parse(int argc, char **argv, trials_opts_t *o, const char **db,
                   const char **study)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},     {"state", required_argument, 0, 's'},
        {"sort", required_argument, 0, 'S'},   {"limit", required_argument, 0, 'l'},
        {"format", required_argument, 0, 'f'}, {"steps", no_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},         {"to", required_argument, 0, 't'},
        {0, 0, 0, 0}};
    *o = (trials_opts_t){.format = "table", .state = -1};
    *db = "hps.db";
    *study = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(s_usage, stdout); return 0;
        case 'd': *db = optarg; break;
        case 'p': o->steps = true; break;
        case 'f':
            if (!trials_format_valid(optarg))
                return s_bad("--format: unknown format '%s' (table, csv or json)", optarg);
            o->format = optarg;
            break;
        case 's':
            if ((o->state = s_state(optarg)) < 0)
                return s_bad("--state: unknown state '%s' (complete, pruned, fail, running, "
                             "waiting)", optarg);
            break;
        case 'S':
            if (strcmp(optarg, "number") != 0 && strcmp(optarg, "value") != 0)
                return s_bad("--sort: unknown key '%s' (number or value)", optarg);
            o->by_value = strcmp(optarg, "value") == 0;
            break;
        case 'l':
            if (cli_flag_long("trials", "--limit", optarg, 1, 1000000000L, &o->limit) != 0)
                return 2;
            break;
        case 't':
            return s_bad("--to %s: trials are read from the study file: give the "
                         "coordinator's --db FILE (it can be read while it runs)", optarg);
        case 1:
            if (*study)
                return s_bad("unexpected argument '%s'", optarg);
            *study = optarg;
            break;
        default: return s_bad("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return *study ? -1 : s_bad("%s", "STUDY is required");
}

int trials_main(int argc, char **argv)
{
    trials_opts_t o;
    const char *db, *study;
    int code = s_parse(argc, argv, &o, &db, &study);
    if (code >= 0)
        return code;
    store_t *st;
    if ((code = cli_open_read("trials", db, &st)) != 0)
        return code;
    char err[HPS_ERR_LEN];
    int rc = trials_write(st, study, &o, stdout, err);
    store_close(&st);
    if (rc != 0)
        fprintf(stderr, "hps trials: %s\n", err);
    return rc == 0 ? 0 : rc == 1 ? 2 : 1;
}
