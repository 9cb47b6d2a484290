/* hps-bench — main() of the benchmark binary behind `make bench` (bench/bench.sh): the
 * programs that time hps's parts against their peers. They link the library like hps
 * does, but are not part of the shipped `hps`. Exit codes as hps: 0 ok, 1 runtime
 * failure, 2 bad arguments. */
#include <stdio.h>
#include <string.h>

#include "bench/idle.h"
#include "bench/model.h"
#include "bench/tpe.h"
#include "core/util.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t s_commands[] = {
    {"idle", bench_idle_main, "idle fake workers against a coordinator (bench/cluster.sh)"},
    {"tpe", tpe_bench_main, "TPE suggestion cost, search quality, memory (bench/tpe.sh)"},
    {"model", model_bench_main, "logreg on the reviews TF-IDF (bench/models.py)"},
    {"mlp-xgb", model_bench2_main, "mlp and xgboost training (bench/models.sh)"},
};

static void s_help(FILE *f)
{
    fprintf(f, "usage: hps-bench COMMAND [options]\n\n");
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        fprintf(f, "  %-8s %s\n", s_commands[i].name, s_commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        s_help(stdout);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        if (strcmp(argv[1], s_commands[i].name) == 0)
            return s_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hps-bench: unknown command '%s'\n", argv[1]);
    s_help(stderr);
    return 2;
}
