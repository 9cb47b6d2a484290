#!/usr/bin/env bash
# The real-HPO sampler benchmark: hps's samplers against Optuna's on three of this
# repository's model studies, results in docs/bench-hpo.md.
#
#   bench/hpo.sh     SEEDS (20) studies per problem and sampler, SEED0 (0), TRIALS (50),
#                    SAMPLERS (hps's, default "auto tpe gp random"), OUT (bench/data/hpo),
#                    AT (30: each hps study's best after its first AT trials is also
#                    paired with Optuna's after TRIALS, as SAMPLER-atAT), TABLES_ONLY
#                    (1: no study is run, docs/bench-hpo.md is made from the logs in OUT)
#
# Problems (bench/hpo/*.yaml and configs/reviews.yaml): logreg on reviews (accuracy,
# 5-fold CV, no pruner), xgboost on diamonds (RMSE, one holdout), an MLP on digits
# (accuracy, one holdout). hps's side is `hps run` (one local worker, sampler.seed = the
# seed); Optuna's side (bench/hpo_optuna.py) drives the same objective through
# `hps-bench objective`, so both train identical models with identical folds and
# per-trial seeds. Regret: the best value (RMSE), or 1 - best (accuracy). Optuna's logs
# are kept in OUT and reused while they exist; delete them to run the peer again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=${OUT:-bench/data/hpo}
seeds=${SEEDS:-20} seed0=${SEED0:-0} trials=${TRIALS:-50} at=${AT:-30}
py=/usr/bin/python3
mkdir -p "$out"
make -s hps hps-bench
problems=("reviews-logreg configs/reviews.yaml strategy=rigorous pruner.type=none"
          "diamonds-xgb bench/hpo/diamonds_xgb.yaml"
          "digits-mlp bench/hpo/digits_mlp.yaml")
tmp=$(mktemp -d /tmp/hps-hpo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# hps_side NAME CONFIG SAMPLER OVERRIDES...: the quality lines of hps with SAMPLER
hps_side() {
    local name=$1 config=$2 sampler=$3 s study line regrets=() early=()
    shift 3
    for ((s = seed0; s < seed0 + seeds; s++)); do
        rm -rf "$tmp/h.db"*
        study=$(./hps run "$config" "$@" "sampler.type=$sampler" \
                    "sampler.seed=$s" "n_trials=$trials" --db "$tmp/h.db" -j 1 --json \
                    2>"$tmp/err" | $py -c 'import json,sys; print(json.load(sys.stdin)["studies"][0]["study"])') \
            || { cat "$tmp/err" >&2; exit 1; }
        # the best of all trials and the best of the first $at (by trial number)
        line=$(./hps trials "$study" --db "$tmp/h.db" --format json --state complete |
               $py -c 'import json,sys
d = sys.argv[1] == "minimize"; k = int(sys.argv[2])
t = [x for x in json.load(sys.stdin) if x["number"] >= 0]
best = lambda v: min(v) if d else max(v)
print(best([x["value"] for x in t]), best([x["value"] for x in t if x["number"] < k]))' "$dir" "$at")
        regrets+=("${line% *}")
        early+=("${line#* }")
    done
    s_lines "$name-b$trials" "$sampler" "${regrets[@]}"
    # the same studies after $at trials, named as the full budget so that the stats pair
    # them with Optuna's $trials-trial results: "reaches Optuna's score in $at trials"
    s_lines "$name-b$trials" "$sampler-at$at" "${early[@]}"
}

# s_lines FN LABEL VALUE...: the quality lines of bench/tpe_quality_stats.py
s_lines() {
    $py - "$1" "$2" "$dir" "${@:3}" <<'P'
import statistics, sys
fn, label, direction = sys.argv[1:4]
r = [float(v) if direction == "minimize" else 1 - float(v) for v in sys.argv[4:]]
print(f"quality fn={fn} sampler={label} workers=1 seeds={len(r)} "
      f"median_regret={statistics.median(r):.6g} mean_regret={statistics.mean(r):.6g}")
print(f"seeds fn={fn} sampler={label} workers=1 regrets={','.join(f'{v:.10g}' for v in r)}")
P
}

tag=s$seed0-n$seeds-t$trials
for p in "${problems[@]}"; do
    read -r name config over <<<"$p"
    # shellcheck disable=SC2086 # the overrides are words
    dir=$(./hps-bench objective "$config" $over </dev/null |
          $py -c 'import json,sys; print(json.load(sys.stdin)["direction"])')
    # shellcheck disable=SC2086 # the overrides are words
    for s in tpe tpe-multi random; do
        log=$out/optuna-$s-$name-$tag.log
        [ -s "$log" ] || $py bench/hpo_optuna.py ./hps-bench "$config" --name "$name" \
            --seeds "$seeds" --seed0 "$seed0" --trials "$trials" --sampler "$s" >"$log.part"
        [ -s "$log" ] || mv "$log.part" "$log"
    done
    for s in ${SAMPLERS:-auto tpe gp random}; do
        [ "${TABLES_ONLY:-0}" = 1 ] && continue
        # shellcheck disable=SC2086
        hps_side "$name" "$config" "$s" $over >"$out/hps-$s-$name-$tag.log"
    done
done
# Each hps sampler against Optuna's default TPE (and random against random): Optuna's
# lines relabelled so that the stats script pairs them.
cat "$out"/hps-*-"$tag".log >"$tmp/hps.log"
for s in $(grep -ho ' sampler=[^ ]*' "$tmp/hps.log" | sort -u | cut -d= -f2); do
    peer=tpe; [ "${s%-at*}" = random ] && peer=random
    sed "s/sampler=optuna-$peer /sampler=optuna-$s /" "$out"/optuna-$peer-*-"$tag".log
done >"$tmp/optuna.log"
{
    echo "# Real HPO problems: hps's samplers against Optuna $($py -c 'import optuna; print(optuna.__version__)')"
    echo
    echo "Generated by \`bench/hpo.sh\` ($seeds seeds from $seed0, $trials trials each, one"
    echo "worker). Regret = best RMSE (diamonds) or 1 - best accuracy (reviews, digits);"
    echo "each hps sampler is paired with Optuna's default TPESampler (random with random)."
    echo "Both sides train identical models: Optuna evaluates through \`hps-bench objective\`."
    echo "A column SAMPLER-at$at is the same hps studies after their first $at trials"
    echo "against Optuna after $trials: hps reaches Optuna's $trials-trial score in $at trials"
    echo "where its median is <= Optuna's."
    echo
    $py bench/tpe_quality_stats.py --wide "$tmp/hps.log" "$tmp/optuna.log"
} >docs/bench-hpo.md
echo "wrote docs/bench-hpo.md"
