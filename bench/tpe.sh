#!/usr/bin/env bash
# TPE benchmarks: hps vs Optuna (the installed python3-optuna), results in docs/bench-tpe.md.
#
#   bench/tpe.sh [cost|quality|memory|all]     (default all; OUT=dir for raw logs,
#                                                       SEEDS=n quality seeds, default 20)
#
# hps's side is the hidden subcommand `hps-bench tpe` (bench/tpe.c); Optuna's
# side is bench/tpe_optuna.py. The Optuna quality runs take about a minute per
# configuration at 20 seeds (2-core VM).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
what=${1:-all}
out=${OUT:-build/bench-tpe}
seeds=${SEEDS:-20}
py=/usr/bin/python3
mkdir -p "$out"

make -s hps-bench
bench() { ./hps-bench tpe "$@"; }

run() { # run LOGNAME CMD... : show and keep the output
    echo "\$ ${*:2}" | tee -a "$out/$1.log"
    "${@:2}" | tee -a "$out/$1.log"
}

if [ "$what" = cost ] || [ "$what" = all ]; then
    : >"$out/cost.log"
    run cost bench cost --sizes 100,1000,2000,10000,20000,100000 --reps 51
    run cost bench cost --sizes 100,1000,2000,10000,20000,100000 --reps 51 --univariate
    # TPE proposals alone (no refinement steps, which are cheaper)
    run cost bench cost --sizes 100,1000,2000,10000,20000 --reps 51 --opts "refine_every: 0"
    run cost bench cost --sizes 100,1000,2000,10000,20000 --reps 51 --univariate \
        --opts "refine_every: 0"
    run cost $py bench/tpe_optuna.py cost --sizes 100,1000,2000 --reps 5
    run cost $py bench/tpe_optuna.py cost --sizes 100,1000,2000 --reps 3 --univariate
fi
if [ "$what" = memory ] || [ "$what" = all ]; then
    : >"$out/memory.log"
    for n in 100000 1000000; do
        run memory bench memory --trials $n
        run memory bench memory --trials $n --univariate
    done
    run memory bench memory --trials 100000 --opts "max_history: 0" # unbounded, as Optuna
    run memory bench memory --trials 100000 --univariate --opts "max_history: 0"
fi
if [ "$what" = quality ] || [ "$what" = all ]; then
    : >"$out/quality.log"
    cfgs=("--univariate" "--univariate --workers 8" "" "--workers 8" "--sampler random")
    for cfg in "${cfgs[@]}"; do
        # shellcheck disable=SC2086
        run quality bench quality --seeds "$seeds" --trials 100 $cfg
    done
    run quality bench quality --seeds "$seeds" --trials 100 --workers 8 \
        --opts "deterministic: true, parallelism: 8"
    # Without the refinement steps (Optuna 3.1's TPE), and the functions outside the suite
    for cfg in "--univariate" "--univariate --workers 8" "" "--workers 8"; do
        # shellcheck disable=SC2086
        run quality bench quality --seeds "$seeds" --trials 100 $cfg --opts "refine_every: 0"
        # shellcheck disable=SC2086
        run quality bench quality --seeds "$seeds" --trials 100 $cfg \
            --functions rosenbrock,sphere,cost --opts "refine_every: 0"
        # shellcheck disable=SC2086
        run quality bench quality --seeds "$seeds" --trials 100 $cfg --functions rosenbrock,sphere,cost
    done
    for cfg in "${cfgs[@]}"; do
        # shellcheck disable=SC2086
        run quality $py bench/tpe_optuna.py quality --seeds "$seeds" --trials 100 $cfg
    done
    # Per-seed regrets of both sides: medians, Mann-Whitney U p-values, verdicts.
    $py bench/tpe_quality_stats.py "$out/quality.log" | tee "$out/quality-stats.md"
fi
echo "raw logs in $out/"
