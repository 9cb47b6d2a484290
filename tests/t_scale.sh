# A study file at scale (issue 12, "Faults and scale, measured"), small enough for
# `make check`: bench/scale.sh on 5,000 random-sampler trials (and the same file
# relabelled TPE) and 500 TPE trials, then 200 idle workers. `hps status`/`leaderboard`
# answer in < 1 s, a restarted coordinator completes a new trial within 5 s, and the
# idle workers cost the coordinator < 20% of a core. The coordinator logs each study's
# replay time ("N stored trials replayed in T s"). The full-size run (1,000,000
# trials, 1,000 workers) is `bench/scale.sh` itself (README, "Scale").
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
: "${HPS_BENCH:=$(dirname "$HPS")/hps-bench}"
[ -x "$HPS_BENCH" ] || fail "no $HPS_BENCH (make builds it)"
r=$(N=5000 NT=500 REPS=1 IDLE=200 IDLE_SECS=2 HPS=$HPS HPS_BENCH=$HPS_BENCH \
    bash "$here/../bench/scale.sh" 2>"$TMP/scale.txt") || fail "bench/scale.sh: $(cat "$TMP/scale.txt")"
cat "$TMP/scale.txt"
echo "$r"
python3 - "$r" <<'PY' || fail "a target was missed: $r"
import json, sys
r = json.loads(sys.argv[1])
for k in ("big", "bigtpe", "tpe"):
    s = r[k]
    assert s["trials"] >= 500 and s["status_s"] < 1 and s["leaderboard_s"] < 1, s
    assert s["restart_s"] < 5 and s["replay_s"] is not None and s["replay_s"] < 5, s
i = r["idle"]
assert i["bench"]["welcomed"] == 200 and i["coordinator_cpu_pct"] < 20, i
PY
echo "ok: status, leaderboard and a restart on a study file, and idle workers, within their targets"
