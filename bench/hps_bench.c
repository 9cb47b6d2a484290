/* hps-bench — main() of the benchmark binary behind `make bench` (bench/bench.sh): the
 * programs that time hps's parts against their peers. They link the library like hps
 * does, but are not part of the shipped `hps`. Exit codes as hps: 0 ok, 1 runtime
 * failure, 2 bad arguments. */
#include "bench/bbob_bench.h"
#include "bench/idle.h"
#include "bench/model.h"
#include "bench/objserve.h"
#include "bench/tpe.h"
#include "core/subcmd.h"
#include "core/util.h"

static const subcmd_t s_commands[] = {
    {"idle", bench_idle_main, "idle fake workers against a coordinator (bench/cluster.sh)"},
    {"bbob", bbob_bench_main, "the 24 BBOB functions as a sampler benchmark (bench/bbob.sh)"},
    {"tpe", tpe_bench_main, "TPE suggestion cost, search quality, memory (bench/tpe.sh)"},
    {"model", model_bench_main, "logreg on the reviews TF-IDF (bench/models.py)"},
    {"mlp-xgb", model_bench2_main, "mlp and xgboost training (bench/models.sh)"},
    {"objective", objserve_main, "a study's objective served to another optimiser (bench/hpo.sh)"},
};

int main(int argc, char **argv)
{
    return subcmd_main("hps-bench", s_commands, ARRAY_SIZE(s_commands), argc, argv);
}
