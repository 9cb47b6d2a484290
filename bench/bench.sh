#!/usr/bin/env bash
# make bench: every benchmark against its peer in the same run on this machine, with
# the results written to docs/results.md (the README's table is copied from there).
#   bench/bench.sh [cluster] [tpe] [models] [scenario]     (default: all)
# The machine is noisy: every figure is a median of repeated runs, and none is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
export HPS=${HPS:-$PWD/hps} HPS_BENCH=${HPS_BENCH:-$PWD/hps-bench}
parts=${*:-cluster tpe models scenario}
out=docs/results.md
logs=build/bench
mkdir -p "$logs"
{
    echo "# Benchmark results"
    echo
    echo "Produced by \`make bench\` (bench/bench.sh) on $(date -u +%Y-%m-%d), $(nproc) cores,"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'). Peers: Debian's"
    echo "python3-optuna $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)'),"
    echo "python3-sklearn $(/usr/bin/python3 -c 'import sklearn; print(sklearn.__version__)'),"
    echo "python3-xgboost $(/usr/bin/python3 -c 'import xgboost; print(xgboost.__version__)')."
    echo
} >"$out"
for p in $parts; do
    case $p in
    cluster)
        echo "## Cluster" >>"$out"; echo >>"$out"
        bench/cluster.sh | tee -a "$out"
        echo >>"$out" ;;
    tpe)
        echo "## TPE" >>"$out"; echo >>"$out"
        OUT=$logs/tpe bench/tpe.sh cost >"$logs/tpe-cost.txt"
        OUT=$logs/tpe bench/tpe.sh memory >"$logs/tpe-mem.txt"
        [ -n "${BENCH_TPE_QUALITY:-}" ] && OUT=$logs/tpe bench/tpe.sh quality >"$logs/tpe-quality.txt"
        echo "Raw logs in $logs/tpe; tables in docs/bench-tpe.md." >>"$out"
        grep -h "^cost\|^memory\|median" "$logs"/tpe-*.txt | sed 's/^/    /' >>"$out" || true
        echo >>"$out" ;;
    models)
        echo "## Models" >>"$out"; echo >>"$out"
        bench/models.sh | tee -a "$out"
        echo >>"$out" ;;
    scenario)
        echo "## Scenario end to end" >>"$out"; echo >>"$out"
        bench/scenario.sh | tee -a "$out"
        echo >>"$out" ;;
    *) echo "bench.sh: unknown part '$p'" >&2; exit 2 ;;
    esac
done
echo "results in $out"
