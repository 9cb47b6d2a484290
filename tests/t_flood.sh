# A HELLO flood does not starve a real worker (issue 12, item 9): 5,000 connections that
# HELLO and heartbeat every second (hps-bench idle) against a coordinator serving one
# worker with 25 ms trials. It keeps 87-105% of its rate (bench/flood.sh) and the
# coordinator's CPU stays low: libzmq cancelled each connection's ZMTP heartbeat timer
# by a linear search (70% of a core and 48% of the rate at 4,000 connections; 2% of the
# rate at 10,000).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
: "${HPS_BENCH:=$(dirname "$HPS")/hps-bench}"
[ -x "$HPS_BENCH" ] || fail "no $HPS_BENCH (make builds it)"
r=$(FLOOD=5000 HB=200 SECS=5 HPS_BENCH=$HPS_BENCH bash "$here/../bench/flood.sh" 2>"$TMP/flood.txt") \
    || fail "bench/flood.sh: $(cat "$TMP/flood.txt")"
cat "$TMP/flood.txt"
echo "$r"
# The rate is printed, not judged (timings are not pass/fail here; make bench measures
# it): what is asserted is that the worker kept completing trials during the flood.
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["during"] > 0, r' "$r" \
    || fail "a flood of 5,000 connections stopped the worker: $r"
echo "ok: the worker ran on under a flood of 5,000 connections ($r)"
