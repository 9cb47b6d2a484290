/* import — `hps import OPTUNA_DB --study NAME` (see import.h).
 *
 * Design: an Optuna study has no objective hps could run, so the user gives the
 * study config (--config: objective, sampler, pruner, n_trials, ...), and the import
 * checks that its space and direction are the Optuna study's, parameter by parameter,
 * before anything is written. --print-config writes a starting config from the Optuna
 * study (its space, direction, n_trials = the trials imported, sampler tpe) with the
 * objective left to fill in. The imported study then runs like any other: `hps run
 * CONFIG --db FILE` continues it, with the imported trials as the sampler's
 * observations and numbering after them. */
#include "cli/import.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/coordinator.h"
#include "coordinator/dblock.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/study.h"
#include "results/optuna.h"

/* ---- import --------------------------------------------------------------------- */

static int s_usage(const char *usage, const char *msg, const char *arg)
{
    if (msg)
        fprintf(stderr, msg, arg);
    fputs(usage, stderr);
    return 2;
}

static const char s_import_usage[] =
    "usage: hps import OPTUNA_DB --study NAME [--as NEW] [--db FILE] --config FILE "
    "[key=value...]\n"
    "       hps import OPTUNA_DB --study NAME [--as NEW] --print-config\n"
    "  OPTUNA_DB        an Optuna 3.1 SQLite storage file (storage=\"sqlite:///OPTUNA_DB\")\n"
    "  --study NAME     the Optuna study to import (single objective)\n"
    "  --as NEW         the hps study's name (default: NAME; it replaces the config's\n"
    "                   `study:`)\n"
    "  --db FILE        hps study database to import into (default hps.db; created)\n"
    "  --config FILE    the hps study config: objective, sampler, pruner, n_trials; its\n"
    "                   space and direction must be the Optuna study's (checked first)\n"
    "  key=value        overrides of the config, as for hps run\n"
    "  --print-config   print a starting config from the Optuna study (space, direction,\n"
    "                   n_trials, sampler tpe) to complete with an objective; no import\n"
    "Every trial is imported with its number, state (COMPLETE, PRUNED, FAIL), value,\n"
    "params and intermediate values; running and waiting ones as FAIL. A FAIL trial that\n"
    "failed before it had every parameter gets the missing ones at their low end; its\n"
    "error text says so. Continue the study with `hps run FILE --db DB` (with n_trials\n"
    "above the imported count).\n";

typedef struct {
    const char *optuna, *study, *as, *db, *config;
    char **over;
    int n_over;
    bool print;
} s_import_flags_t;

/* -1 parsed, else the exit code. */
static int s_import_parse(int argc, char **argv, s_import_flags_t *f)
{
    static const struct option opts[] = {
        {"study", required_argument, 0, 's'}, {"as", required_argument, 0, 'a'},
        {"db", required_argument, 0, 'd'},    {"config", required_argument, 0, 'c'},
        {"print-config", no_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    *f = (s_import_flags_t){.db = "hps.db"};
    f->over = xcalloc((size_t)argc + 1, sizeof *f->over);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
        switch (opt) {
        case 1:
            if (strchr(optarg, '='))
                f->over[f->n_over++] = optarg;
            else if (!f->optuna)
                f->optuna = optarg;
            else
                return s_usage(s_import_usage, "hps import: unexpected argument '%s'\n",
                               optarg);
            break;
        case 's': f->study = optarg; break;
        case 'a': f->as = optarg; break;
        case 'd': f->db = optarg; break;
        case 'c': f->config = optarg; break;
        case 'p': f->print = true; break;
        case 'h': fputs(s_import_usage, stdout); return 0;
        default: return s_usage(s_import_usage, NULL, NULL);
        }
    }
    if (!f->optuna || !f->study)
        return s_usage(s_import_usage, "hps import: %s is required\n",
                       !f->optuna ? "OPTUNA_DB" : "--study NAME");
    if (!f->print == !f->config)
        return s_usage(s_import_usage, "hps import: %s\n",
                       f->print ? "--print-config and --config exclude each other"
                                : "--config FILE is required (--print-config writes one)");
    return -1;
}

/* Load the config with study=NAME last, check it against the Optuna study: NULL after
 * printing every problem. */
static study_config_t *s_import_config(s_import_flags_t *f, const optuna_study_t *o)
{
    for (int i = 0; i < f->n_over; i++)
        if (cfg_override_sets(f->over[i], "study")) {
            fprintf(stderr, "hps import: %s: the study's name is --as NAME (default: the "
                            "Optuna study's)\n", f->over[i]);
            return NULL;
        }
    const char *name = f->as ? f->as : f->study, *why = study_name_problem(name);
    if (why) {
        char *shown = limits_escape(name, false);
        fprintf(stderr, "hps import: study name '%s' %s: model references use them (give "
                        "--as NAME)\n", shown, why);
        free(shown);
        return NULL;
    }
    char *name_over = xasprintf("study=%s", name);
    f->over[f->n_over++] = name_over;
    study_config_t *cfg = cli_load_study(f->config, f->n_over, f->over, true, NULL);
    f->n_over--;
    free(name_over);
    if (!cfg)
        return NULL;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (optuna_check_space(o, cfg, &errs) != 0) {
        fprintf(stderr, "hps import: %s does not match the Optuna study '%s':\n", f->config,
                f->study);
        cfg_errs_print(&errs, stderr);
        study_config_destroy(&cfg);
    }
    cfg_errs_free(&errs);
    return cfg;
}

static int s_import_run(s_import_flags_t *f)
{
    char err[HPS_ERR_LEN];
    optuna_study_t *o = optuna_read(f->optuna, f->study, err);
    if (!o) {
        fprintf(stderr, "hps import: %s\n", err);
        return 2;
    }
    long finished, skipped;
    optuna_counts(o, &finished, &skipped);
    int rc = 0;
    if (f->print) {
        char *text = optuna_config_text(o, f->as ? f->as : f->study);
        fputs(text, stdout);
        free(text);
    } else {
        study_config_t *cfg = s_import_config(f, o);
        /* A coordinator serving the file would not see the new study until it restarts:
         * take its lock, as delete/rename/copy do. */
        dblock_t *lock = cfg ? dblock_acquire(f->db, err) : NULL;
        if (cfg && !lock)
            strncat(err, " (stop it first)", HPS_ERR_LEN - strlen(err) - 1);
        store_t *st = lock ? store_open(f->db, true, false, err) : NULL;
        if (st && dblock_pin(lock, f->db, err) != 0)
            store_close(&st);
        int r = st ? optuna_import(o, cfg, st, err) : -1;
        rc = !cfg ? 2 : r == 0 ? 0 : r == 1 ? 2 : 1;
        if (cfg && r != 0)
            fprintf(stderr, "hps import: %s\n", err);
        if (r == 0)
            printf("imported %ld trials of Optuna study '%s' as '%s' into %s%s\n", finished,
                   f->study, cfg->name, f->db,
                   finished >= cfg->n_trials ? " (n_trials reached: raise it to continue)"
                                             : "");
        if (r == 0 && skipped > 0)
            fprintf(stderr, "hps import: %ld trials running or waiting in the Optuna study "
                            "imported as FAIL\n", skipped);
        store_close(&st);
        dblock_release(&lock);
        study_config_destroy(&cfg);
    }
    optuna_study_destroy(&o);
    return rc;
}

int import_main(int argc, char **argv)
{
    s_import_flags_t f;
    int rc = s_import_parse(argc, argv, &f);
    if (rc < 0)
        rc = s_import_run(&f);
    free(f.over);
    return rc;
}
