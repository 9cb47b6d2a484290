/* hps — main(): the subcommand table and exit codes (0 ok, 1 runtime failure, 2 bad
 * input). Each subcommand's *_main parses its own flags. */
#include "cli/client.h"
#include "cli/coordinator.h"
#include "cli/db.h"
#include "cli/export.h"
#include "cli/report.h"
#include "cli/lifecycle.h"
#include "cli/predict.h"
#include "cli/run.h"
#include "cli/trials.h"
#include "cli/worker_main.h"
#include "core/subcmd.h"
#include "core/util.h"

static const subcmd_t s_commands[] = {
    {"run", run_main, "run a study with an embedded coordinator and local workers"},
    {"coordinator", coord_main, "serve studies to workers over ZeroMQ"},
    {"worker", worker_main, "run trials for a coordinator"},
    {"submit", submit_main, "add a study to a running coordinator"},
    {"status", status_main, "studies, trials and workers (default hps.db; --to ENDPOINT for live)"},
    {"stop", stop_main, "stop a study on a running coordinator"},
    {"leaderboard", leaderboard_main, "compare studies (table, csv, json, md)"},
    {"promote", promote_main, "promote a study's best model to staging or production"},
    {"keygen", keygen_main, "write a CURVE key pair"},
    {"trials", trials_main, "every trial of a study: params by name, steps, errors"},
    {"export", export_main, "a study's trials as csv or json (every trial, with steps)"},
    {"report", report_main, "a self-contained HTML report of studies (plots, importance, trials)"},
    {"resume", resume_main, "run a stopped or done study again (n_trials=N raises it)"},
    {"delete", delete_main, "remove a study, its trials and its unused dataset blob"},
    {"rename", rename_main, "rename a study in a study file"},
    {"copy", copy_main, "copy a study with all its trials into another study file"},
    {"predict", predict_main, "apply a saved model artifact to a CSV (one prediction per row)"},
};

int main(int argc, char **argv)
{
    return subcmd_main("hps", s_commands, ARRAY_SIZE(s_commands), argc, argv);
}
