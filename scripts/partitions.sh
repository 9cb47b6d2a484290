#!/usr/bin/env bash
# How soon a worker is heard again after short partitions: a namespaced CURVE worker
# (tests/lib.sh ns_setup) running trials loses its link COUNT times for SECS seconds
# (`ip link set down` on the coordinator's side); each line gives the time from the
# link being up again to the worker's next message as the coordinator records it.
# Needs root and `ip netns`. HPS picks the binary (e.g. an older build to compare).
#   scripts/partitions.sh [COUNT [SECS]]      (default 8 partitions of 5 s)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export HPS=${HPS:-$here/hps}
. "$here/tests/lib.sh"
COUNT=${1:-8} SECS=${2:-5} HB_MS=1000
ns_setup P || fail "needs root and ip netns"
DB=$TMP/part.db
ns_curve_cluster far --heartbeat-ms $HB_MS --lease-ms 3000
write_study "$TMP/n.yaml" partitions 1000000 \
    "objective: {type: synthetic, function: sphere, sleep_ms: 100}" "sampler: {type: random, seed: 5}"
"$HPS" submit "$TMP/n.yaml" --to "$ep" "${KW[@]}" >/dev/null
for i in $(seq "$COUNT"); do
    done0=$(sql "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'")
    wait_sql 30 "SELECT COUNT(*) >= $done0 + 10 FROM trials WHERE state = 'COMPLETE'" 1
    ip link set "$VA" down
    sleep "$SECS" # the fault itself
    up=$(ns_heal)
    echo "partition $i ($SECS s): worker heard $(heard_after far "$up" 60) s after the heal" \
        "(heartbeat $HB_MS ms)"
done
