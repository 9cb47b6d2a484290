#!/usr/bin/env bash
# bench/busy.sh — busy scale-out across simulated hosts (issue 12, "Busy scale-out").
# `make bench-busy` (or BUSY_RUNS=... bench/busy.sh); by hand, not part of `make bench`.
# Needs root, `ip netns` and the sqlite3 shell.
#
# A Linux bridge and one network namespace per simulated host (veth pairs on
# 198.18.0.0/15, every name prefixed hpsb-, all deleted in an EXIT trap); CURVE keys from
# `hps keygen`; a coordinator on the bridge address with --cert/--allow; one
# `hps worker --slots S` per namespace (ip netns exec); a study of slots x waves synthetic
# trials of BUSY_MS each (sleep_ms), so the ideal wall time is waves x BUSY_MS.
# For each run it prints one table row:
#   wall     first lease to last COMPLETE (the trials' started/finished columns)
#   eff      ideal / wall
#   busy     slot time inside trials' leases / (slots x wall)
#   fill     the first wave: first to last of a host's first `slots` leases (the worst
#            host), the time it takes to get every slot its first trial
#   gap      (wall - waves x mean lease time) / waves: the time a slot waits per wave
#   cpu      the coordinator's user+sys seconds from the submit to the end
#            (/proc/PID/stat), per trial and as % of one core over the wall time
#   load     the 1-minute load average at the end (the machine may be shared)
# Env: BUSY_RUNS   HOSTSxSLOTS per run (default "8x8 16x16 16x64": 64, 256, 1024 slots)
#      BUSY_WAVES  trials per slot (default 20)      BUSY_MS  trial length (default 1000)
#      BUSY_HB     coordinator --heartbeat-ms (default 1000)
#      BUSY_PERF   a directory: `perf record -g` the coordinator of each run into it
#      BUSY_KEEP   a directory: keep each run's DB and logs there
#      BUSY_WLOG   1: workers log at info level (a line per trial start and end)
#      HPS         the binary (default ./hps)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HPS=${HPS:-$here/../hps}
RUNS=${BUSY_RUNS:-8x8 16x16 16x64} WAVES=${BUSY_WAVES:-20} MS=${BUSY_MS:-1000}
HB=${BUSY_HB:-1000}
[ "$(id -u)" = 0 ] || { echo "busy.sh: needs root (network namespaces)" >&2; exit 2; }
ip netns list >/dev/null 2>&1 || { echo "busy.sh: ip netns does not work here" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "busy.sh: needs the sqlite3 shell" >&2; exit 2; }
max_hosts=0
for r in $RUNS; do
    case $r in [0-9]*x[0-9]*) ;; *) echo "busy.sh: bad run '$r' (HOSTSxSLOTS)" >&2; exit 2 ;; esac
    h=${r%x*} s=${r#*x}
    if [ "$h" -lt 1 ] || [ "$h" -gt 64 ] || [ "$s" -lt 1 ] || [ "$s" -gt 256 ]; then
        echo "busy.sh: '$r': 1..64 hosts of 1..256 slots" >&2; exit 2
    fi
    [ "$h" -gt "$max_hosts" ] && max_hosts=$h
done

id=$(( $$ % 100000 ))
br=hpsb-$id
net=198.18.$(( id % 250 ))
tmp=$(mktemp -d /tmp/hps-busy.XXXXXX)
pids=()
stop_all() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}
cleanup() {
    stop_all
    for i in $(seq "$max_hosts"); do
        ip netns del "hpsb-$id-$i" 2>/dev/null || true
        ip link del "hpsb-$id-$i" 2>/dev/null || true
    done
    ip link del "$br" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link add "$br" type bridge
ip addr add "$net.1/24" dev "$br"
ip link set "$br" up
for i in $(seq "$max_hosts"); do
    ns=hpsb-$id-$i
    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip link set "$ns" master "$br"
    ip link set "$ns" up
    ip -n "$ns" addr add "$net.$(( i + 1 ))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done

K=$tmp/keys
mkdir -p "$K" "$tmp/allow"
for n in coord submit $(seq -f 'h%g' "$max_hosts"); do "$HPS" keygen -o "$K" --name "$n" >/dev/null; done
cp "$K"/h*.key "$K/submit.key" "$tmp/allow/"
tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
q() { sqlite3 -readonly "$db" "$1" 2>/dev/null || true; }

printf '%-6s %5s %5s %8s %6s %6s %8s %8s %8s %10s %6s %5s\n' hosts slots waves wall_s eff busy \
    fill_ms gap_ms cpu_s cpu_ms/tr cpu% load
run_one() {
    local hosts=$1 slots=$2 total=$(( $1 * $2 )) n port ep coord c0 c1 i wq=-q
    [ "${BUSY_WLOG:-}" = 1 ] && wq=
    n=$(( total * WAVES ))
    db=$tmp/busy-$hosts-$slots.db
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ep=tcp://$net.1:$port
    "$HPS" coordinator --bind "$ep" --db "$db" --heartbeat-ms "$HB" --cert "$K/coord.key_secret" \
        --allow "$tmp/allow" --submitters "$tmp/allow" 2>"$tmp/coord.log" &
    coord=$!
    pids+=("$coord")
    for i in $(seq "$hosts"); do
        ip netns exec "hpsb-$id-$i" "$HPS" worker --connect "$ep" --name "h$i" --slots "$slots" \
            --cert "$K/h$i.key_secret" --server-key "$K/coord.key" $wq 2>"$tmp/w$i.log" &
        pids+=($!)
    done
    local deadline=$(( $(date +%s) + 60 ))
    until [ "$(q "SELECT COUNT(*) FROM workers")" = "$hosts" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "busy.sh: workers did not join" >&2; return 1; }
        sleep 0.2
    done
    cat >"$tmp/s.yaml" <<YAML
study: busy
n_trials: $n
objective: {type: synthetic, function: sphere, sleep_ms: $MS}
sampler: {type: random, seed: 1}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
YAML
    local perf=
    if [ -n "${BUSY_PERF:-}" ]; then
        mkdir -p "$BUSY_PERF"
        perf record -g -o "$BUSY_PERF/coord-$hosts-$slots.data" -p "$coord" 2>/dev/null &
        perf=$!
    fi
    c0=$(cpu_of "$coord")
    "$HPS" submit "$tmp/s.yaml" --to "$ep" --cert "$K/submit.key_secret" \
        --server-key "$K/coord.key" >/dev/null
    deadline=$(( $(date +%s) + WAVES * MS * 3 / 1000 + 120 ))
    until [ "$(q "SELECT state FROM studies")" = done ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "busy.sh: study not done in time" >&2; return 1; }
        sleep 0.2
    done
    c1=$(cpu_of "$coord")
    [ -n "$perf" ] && { kill -INT "$perf"; wait "$perf" 2>/dev/null || true; }
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    kill -INT "$coord"
    stop_all
    [ -n "${BUSY_KEEP:-}" ] && { mkdir -p "$BUSY_KEEP"; cp "$db" "$tmp"/*.log "$BUSY_KEEP/"; }
    local once
    once=$(q "SELECT COUNT(*) = $n AND MAX(attempt) = 1 FROM trials WHERE state = 'COMPLETE'")
    [ "$once" = 1 ] || echo "busy.sh: not every trial COMPLETE once: $(q "SELECT state, attempt, COUNT(*) FROM trials GROUP BY 1, 2")" >&2
    q "SELECT MAX(finished) - MIN(started), AVG(finished - started), SUM(finished - started),
       (SELECT MAX(f) FROM (SELECT MAX(started) - MIN(started) AS f FROM (SELECT worker,
        started, ROW_NUMBER() OVER (PARTITION BY worker ORDER BY started) AS r FROM trials)
        WHERE r <= $slots GROUP BY worker))
       FROM trials" | awk -F'|' -v h="$hosts" -v s="$slots" -v w="$WAVES" -v ms="$MS" \
        -v t="$total" -v n="$n" -v c0="$c0" -v c1="$c1" -v load="$load" '{
        wall = $1; ideal = w * ms / 1000; cpu = c1 - c0
        printf "%-6d %5d %5d %8.2f %5.1f%% %5.1f%% %8.1f %8.1f %8.2f %10.3f %5.1f%% %5s\n", h, t,
            w, wall, 100 * ideal / wall, 100 * $3 / (t * wall), 1000 * $4,
            1000 * (wall - w * $2) / w, cpu,
            1000 * cpu / n, 100 * cpu / wall, load }'
    rm -f "$db" "$db"-wal "$db"-shm
    rm -rf "$db.blobs"
}
for r in $RUNS; do run_one "${r%x*}" "${r#*x}"; done
