#!/usr/bin/env bash
# bench/report.sh — `hps report` on a large study (issue 13, "HTML report"): builds a
# study of N trials (random sampler, a synthetic sphere over a float, a log float, an int
# and a categorical, 3 reported steps per trial; PRUNER=median adds the median pruner),
# then measures, median of REPS runs:
#   * `hps report` wall time and the size of the page;
#   * the browser: headless chromium loads a copy of the page whose only change is one
#     timing script (and no CSP, which would block it), and logs performance.now() at
#     the first frame after the load event: navigation start to the drawn page.
# Env: HPS (binary), N (default 100000), REPS (default 3), PRUNER (default none),
#      KEEP=DIR (build there and keep; an existing study file is reused).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HPS=${HPS:-$here/../hps} N=${N:-100000} REPS=${REPS:-3} PRUNER=${PRUNER:-none}
command -v chromium >/dev/null || { echo "report: chromium is not installed" >&2; exit 1; }
if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && tmp=$KEEP
else
    tmp=$(mktemp -d /tmp/hps-report.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
fi
db=$tmp/report-$N-$PRUNER.db
cat >"$tmp/big.yaml" <<YAML
study: big
n_trials: $N
objective: {type: synthetic, function: sphere, steps: 3}
space:
  x: {type: float, low: -5, high: 5}
  lr: {type: float, low: 1.0e-4, high: 1, log: true}
  n: {type: int, low: 1, high: 8}
  kind: {type: categorical, choices: [a, b, c]}
sampler: {type: random, seed: 1}
pruner: {type: $PRUNER}
YAML
[ -f "$db" ] || "$HPS" run "$tmp/big.yaml" -j 2 --db "$db" -q >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for _ in $(seq "$REPS"); do
    s=$(date +%s.%N)
    "$HPS" report --db "$db" -o "$tmp/report.html" 2>/dev/null
    e=$(date +%s.%N)
    python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s" "$e"
done | median >"$tmp/report_secs"
timed=$tmp/timed.html
sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' \
    -e 's|</body></html>|<script>addEventListener("load",()=>requestAnimationFrame(()=>requestAnimationFrame(()=>console.log("rendered_ms="+performance.now().toFixed(0)))))</script></body></html>|' \
    "$tmp/report.html" >"$timed"
for _ in $(seq "$REPS"); do
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr \
        --v=0 --window-size=1280,3000 --screenshot="$tmp/shot.png" "file://$timed" 2>&1 |
        grep -o 'rendered_ms=[0-9]*' | cut -d= -f2
done | median >"$tmp/render_ms"
kb=$(( $(wc -c <"$tmp/report.html") / 1024 ))
echo "report: N=$N pruner=$PRUNER hps report $(cat "$tmp/report_secs") s, page $kb KB," \
     "chromium load to first frame $(cat "$tmp/render_ms") ms (median of $REPS)" >&2
printf '{"n": %s, "pruner": "%s", "report_secs": %s, "page_kb": %s, "render_ms": %s}\n' \
    "$N" "$PRUNER" "$(cat "$tmp/report_secs")" "$kb" "$(cat "$tmp/render_ms")"
