/* hps — main(): the subcommand table and exit codes (0 ok, 1 runtime failure, 2 bad
 * input). Each subcommand's *_main parses its own flags. */
#include "cli/client.h"
#include "cli/cluster.h"
#include "cli/coordinator.h"
#include "cli/db.h"
#include "cli/export.h"
#include "cli/import.h"
#include "cli/report.h"
#include "cli/lifecycle.h"
#include "cli/models.h"
#include "cli/predict.h"
#include "cli/run.h"
#include "cli/trials.h"
#include "cli/worker_main.h"
#include "core/subcmd.h"
#include "core/util.h"
#include "worker/spawn.h"

#include <string.h>

static const subcmd_t s_commands[] = {
    {"run", run_main, "run a study with an embedded coordinator and local workers"},
    {"coordinator", coord_main, "serve studies to workers over ZeroMQ"},
    {"worker", worker_main, "run trials for a coordinator"},
    {"submit", submit_main, "add a study to a running coordinator"},
    {"status", status_main, "studies, trials and workers (default hps.db; --to ENDPOINT for live)"},
    {"stop", stop_main, "stop a study on a running coordinator"},
    {"leaderboard", leaderboard_main, "compare studies (table, csv, json, md)"},
    {"promote", promote_main, "move a registered model version to staging, production or archived"},
    {"keygen", keygen_main, "write a CURVE key pair"},
    {"trials", trials_main, "every trial of a study: params by name, steps, errors"},
    {"export", export_main, "a study's trials as csv or json (every trial, with steps)"},
    {"report", report_main, "a self-contained HTML report of studies (plots, importance, trials)"},
    {"resume", resume_main, "run a stopped or done study again (n_trials=N raises it)"},
    {"delete", delete_main, "remove a study, its trials and its unused dataset blob"},
    {"rename", rename_main, "rename a study in a study file"},
    {"copy", copy_main, "copy a study with all its trials into another study file"},
    {"import", import_main, "import an Optuna study (SQLite) to continue it here"},
    {"enqueue", enqueue_main, "add given points to a study as trials to run first"},
    {"models", models_main, "the model registry: versions, stages, scores (history NAME: moves)"},
    {"model", model_main, "a registered model: export REF -o DIR (file + card), path REF"},
    {"predict", predict_main, "apply a saved model artifact to a CSV (one prediction per row)"},
    {"cluster", cluster_main, "start, see and stop a coordinator and workers on hosts over ssh"},
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], SPAWN_ARG) == 0) /* a worker's trial process */
        return trial_process_main(argc, argv);
    return subcmd_main("hps", s_commands, ARRAY_SIZE(s_commands), argc, argv);
}
