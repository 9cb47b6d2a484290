# hps-bench bbob quality --cats (the mixed spaces of docs/bench-bbob.md): bad arguments
# exit 2 with a message, and a categorical choice k stands for -5 + 10 k / (M - 1), the
# point `bbob serve` (which bench/bbob_optuna.py feeds the same mapping) is asked for.
. "$(dirname "$0")/lib.sh"
: "${HPS_BENCH:?HPS_BENCH must point at hps-bench (make check sets it)}"
expect_err 2 "--cats 3 is more than dimension 2" "$HPS_BENCH" bbob quality --dims 2 --cats 3
expect_err 2 "--levels must be 2..64" "$HPS_BENCH" bbob quality --dims 2 --cats 1 --levels 1
expect_err 2 "bad argument '--cats'" "$HPS_BENCH" bbob quality --dims 2 --cats -1
# Every coordinate categorical of 2 choices: the space is the 4 corners {-5, 5}^2, which
# 40 random trials all visit, so the regret is the best corner's, as serve computes it.
got=$("$HPS_BENCH" bbob quality --functions 1 --dims 2 --budgets 40 --instances 1 --seeds 1 \
          --cats 2 --levels 2 --sampler random | sed -n 's/^seeds .*regrets=//p')
want=$(for x in "-5 -5" "-5 5" "5 -5" "5 5"; do echo "1 2 1 $x"; done | "$HPS_BENCH" bbob serve |
       sort -g | head -1)
python3 -c 'import sys; a, b = map(float, sys.argv[1:]); assert abs(a - b) <= 1e-9 * max(1, abs(b)), (a, b)' \
    "$got" "$want" || fail "regret on the corners: $got, serve's best corner: $want"
echo "ok: --cats maps choices to the grid that serve evaluates (regret $got); bad arguments exit 2"
