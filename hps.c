/* hps — main(): the subcommand table and exit codes (0 ok, 1 runtime failure, 2 bad
 * input). Each subcommand's *_main parses its own flags. */
#include <stdio.h>
#include <string.h>

#include "coordinator/cli.h"
#include "coordinator/cli_db.h"
#include "core/util.h"
#include "objectives/model_bench.h"
#include "samplers/tpe_bench.h"
#include "worker/worker.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t s_commands[] = {
    {"run", run_main, "run a study with an embedded coordinator and local workers"},
    {"coordinator", coord_main, "serve studies to workers over ZeroMQ"},
    {"worker", worker_main, "run trials for a coordinator"},
    {"submit", submit_main, "add a study to a running coordinator"},
    {"status", status_main, "studies, trials and workers (--to ENDPOINT or --db FILE)"},
    {"stop", stop_main, "stop a study on a running coordinator"},
    {"leaderboard", leaderboard_main, "compare studies (table, csv, json, md)"},
    {"promote", promote_main, "promote a study's best model to staging or production"},
    {"keygen", keygen_main, "write a CURVE key pair"},
    {"bench-idle", bench_idle_main, NULL},
    {"bench-tpe", tpe_bench_main, NULL},
    {"bench-model", model_bench_main, NULL},
    {"bench-mlp-xgb", model_bench2_main, NULL},
};

static void s_help(FILE *f)
{
    fprintf(f, "usage: hps COMMAND [options]   (hps COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        if (s_commands[i].help) /* hidden: benchmark helpers */
            fprintf(f, "  %-12s %s\n", s_commands[i].name, s_commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hps %s\n", HPS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_help(stdout);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++) {
        if (strcmp(argv[1], s_commands[i].name) != 0)
            continue;
        for (int a = 2; a < argc; a++)
            if (strcmp(argv[a], "--version") == 0) {
                printf("hps %s\n", HPS_VERSION);
                return 0;
            }
        return s_commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "hps: unknown command '%s'\n", argv[1]);
    s_help(stderr);
    return 2;
}
