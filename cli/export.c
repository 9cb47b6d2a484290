/* cli_export — `hps export` (see export.h). The front door is generic: flags, opening the
 * file, and exit codes here; what a format writes is its function's business (results/).
 * csv and json are the listings of results/trials.h with every trial and its steps;
 * optuna and mlflow the files of those tools (results/optuna.h, results/mlflow.h). */
#include "cli/export.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "cli/trials.h"
#include "core/util.h"
#include "results/mlflow.h"
#include "results/optuna.h"
#include "results/trials.h"

typedef struct {
    const char *name;
    export_fn fn;
    bool needs_out; /* writes a file or folder: -o is required */
    const char *help; /* one line for the usage */
} export_format_t;

/* The listing of results/trials.h in format, every trial with its steps, to out. */
static int s_listing(store_t *st, const char *study, const char *format, const char *out,
                     char *err)
{
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f)
        return set_err(err, "%s: %s", out, strerror(errno));
    trials_opts_t o = {.format = format, .state = -1, .steps = true};
    int rc = trials_write(st, study, &o, f, err);
    if (out && fclose(f) != 0 && rc == 0)
        rc = set_err(err, "%s: %s", out, strerror(errno));
    if (out && rc != 0)
        unlink(out); /* no half file, and none for an unknown study */
    return rc;
}

static int s_csv(store_t *st, const char *study, const char *out, bool force, char *err)
{
    (void)force;
    return s_listing(st, study, "csv", out, err);
}

static int s_json(store_t *st, const char *study, const char *out, bool force, char *err)
{
    (void)force;
    return s_listing(st, study, "json", out, err);
}

static const export_format_t s_formats[] = {
    {"csv", s_csv, false, "one row per trial: param.NAME columns, steps as STEP:VALUE;..."},
    {"json", s_json, false, "an array of trials, each with a params map and a steps list"},
    {"optuna", optuna_export, true, "an SQLite file in Optuna 3.1's storage schema"},
    {"mlflow", mlflow_export, true, "an MLflow file store (OUT: the mlruns folder)"},
};

static void s_usage(FILE *f)
{
    fputs("usage: hps export STUDY [--db FILE] --format FMT [-o OUT] [--force]\n"
          "Every trial of a study, with its decoded parameters and intermediate values.\n"
          "  --db FILE       study database (default hps.db)\n"
          "  --format FMT    one of:\n",
          f);
    for (size_t i = 0; i < ARRAY_SIZE(s_formats); i++)
        fprintf(f, "                    %-7s %s%s\n", s_formats[i].name, s_formats[i].help,
                s_formats[i].needs_out ? " (needs -o)" : "");
    fputs("  -o, --out OUT   write to OUT (default stdout where the format allows)\n"
          "  --force         optuna: replace an existing OUT; mlflow: replace the study's\n"
          "                  experiment in OUT (others there are kept)\n"
          "optuna: optuna.load_study(study_name=STUDY, storage=\"sqlite:///OUT\") opens it.\n"
          "mlflow: an experiment for the study, a run per trial and one for the final refit.\n"
          "Exit 2 for an unknown study (the message lists the studies) or format, or an\n"
          "OUT that exists (optuna, mlflow) without --force.\n",
          f);
}

static int s_bad(const char *fmt, const char *arg)
{
    fputs("hps export: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    s_usage(stderr);
    return 2;
}

static const export_format_t *s_format(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_formats); i++)
        if (strcmp(s_formats[i].name, name) == 0)
            return &s_formats[i];
    return NULL;
}

int export_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},  {"format", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {"force", no_argument, 0, 'F'},     {0, 0, 0, 0}};
    const char *db = "hps.db", *study = NULL, *out = NULL, *format = NULL;
    bool force = false;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "-ho:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': s_usage(stdout); return 0;
        case 'd': db = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'F': force = true; break;
        case 1:
            if (study)
                return s_bad("unexpected argument '%s'", optarg);
            study = optarg;
            break;
        default: return s_bad("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (!study || !format)
        return s_bad("%s", "STUDY and --format are required");
    const export_format_t *f = s_format(format);
    if (!f)
        return s_bad("--format: unknown format '%s'", format);
    if (f->needs_out && !out)
        return s_bad("--format %s writes files: -o OUT is required", format);
    if (cli_check_output("export", out, db, NULL, 0, f->fn != mlflow_export) != 0)
        return 2;
    store_t *st;
    int code = cli_open_read("export", db, &st);
    if (code != 0)
        return code;
    char err[HPS_ERR_LEN];
    int rc = f->fn(st, study, out, force, err);
    store_close(&st);
    if (rc != 0)
        fprintf(stderr, "hps export: %s\n", err);
    return rc == 0 ? 0 : rc == 1 ? 2 : 1;
}
