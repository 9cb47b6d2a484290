# A HELLO flood does not starve a real worker (issue 12, item 9): 5,000 connections that
# HELLO and heartbeat every second (hps-bench idle) against a coordinator serving one
# worker with 25 ms trials. It keeps >= 75% of its rate (87-105% measured; 80% is the
# goal, the margin is for a shared machine) and the coordinator's CPU stays low: libzmq
# cancelled each connection's ZMTP heartbeat timer by a linear search (70% of a core
# and 48% of the rate at 4,000 connections; 2% of the rate at 10,000).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
: "${HPS_BENCH:=$(dirname "$HPS")/hps-bench}"
[ -x "$HPS_BENCH" ] || fail "no $HPS_BENCH (make builds it)"
r=$(FLOOD=5000 HB=200 SECS=5 HPS_BENCH=$HPS_BENCH bash "$here/../bench/flood.sh" 2>"$TMP/flood.txt") \
    || fail "bench/flood.sh: $(cat "$TMP/flood.txt")"
cat "$TMP/flood.txt"
echo "$r"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["percent"] >= 75 and r["coord_cpu"] < 50, r' "$r" \
    || fail "a flood of 5,000 connections starved the worker: $r"
echo "ok: a real worker keeps its rate under a flood of 5,000 connections"
