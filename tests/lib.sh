# Shared helpers for the integration tests (sourced). Every test gets its own temp dir
# and kills what it started on exit, whatever happens.
set -euo pipefail
: "${HPS:?HPS must point at the hps binary}"
TMP=$(mktemp -d /tmp/hps-test.XXXXXX)
PIDS=()
cleanup() {
    exec 2>/dev/null # bash would report each killed job
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start NAME CMD... : run in background, log to $TMP/NAME.log, remember the pid in $LAST_PID.
start() {
    local name=$1; shift
    "$@" >"$TMP/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}
# expect CODE CMD...: run CMD (stdout to $TMP/out, stderr to $TMP/err), check its exit code.
expect() {
    local want=$1 rc=0; shift
    "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" = "$want" ] || fail "exit $rc, not $want: $* -- $(cat "$TMP/err")"
}
# expect_err CODE SUBSTRING CMD...: as expect, and SUBSTRING on stderr.
expect_err() {
    local code=$1 want=$2; shift 2
    expect "$code" "$@"
    grep -qF -- "$want" "$TMP/err" || fail "$*: stderr lacks '$want': $(cat "$TMP/err")"
}
# start_coord [NAME] [FLAGS...]: `hps coordinator` on $ep with $DB, heartbeats every
# 200 ms, and FLAGS (a later --heartbeat-ms wins); log $TMP/NAME.log (default coord),
# pid in $COORD. The first call picks a free loopback port for $ep unless the test set
# ep itself; later calls (a restart) bind the same endpoint.
start_coord() {
    local name=coord
    case ${1:-} in -* | '') ;; *) name=$1; shift ;; esac
    ep=${ep:-tcp://127.0.0.1:$(free_port)}
    start "$name" "$HPS" coordinator --bind "$ep" --db "$DB" --heartbeat-ms 200 "$@"
    COORD=$LAST_PID
}
# py EXPR-SCRIPT: run python with the status JSON of $DB on stdin as `st`.
status_py() {
    "$HPS" status --db "$DB" --json | python3 -c "import json,sys; st=json.load(sys.stdin); $1"
}
# wait_for SECONDS PYTHON-CONDITION: poll the DB's status until the condition holds.
wait_for() {
    local deadline=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if [ -f "$DB" ] && status_py "sys.exit(0 if ($2) else 1)" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "timeout waiting for: $2" >&2
    "$HPS" status --db "$DB" --json >&2 || true
    return 1
}
# sql QUERY: one query against $DB through Python's sqlite3, rows printed with '|'.
sql() {
    python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}
# wait_sql SECONDS QUERY EXPECTED: poll a query of $DB until it prints EXPECTED.
wait_sql() {
    local deadline=$(( $(date +%s) + $1 ))
    until [ "$(sql "$2" 2>/dev/null || true)" = "$3" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "timeout: $2 -> $(sql "$2" 2>&1) (want $3)"
        sleep 0.05
    done
}
# A synthetic study config: write_study FILE NAME N_TRIALS [extra yaml lines...]. An
# extra line "objective: ..." takes the place of the default objective (line 3).
write_study() {
    local file=$1 name=$2 n=$3 l; shift 3
    local objective="objective: {type: synthetic, function: sphere}" extra=()
    for l in "$@"; do
        case $l in objective:*) objective=$l ;; *) extra+=("$l") ;; esac
    done
    {
        echo "study: $name"
        echo "n_trials: $n"
        echo "$objective"
        echo "space:"
        echo "  x: {type: float, low: -5, high: 5}"
        echo "  y: {type: float, low: -5, high: 5}"
        for l in "${extra[@]}"; do echo "$l"; done
    } >"$file"
}
# trials in state S of study (default: all studies)
count_state() { status_py "print(sum(s['trials']['$1'] for s in st['studies']))"; }
# wait_exit SECONDS PID WHAT: poll until PID (a child of this shell) has ended, then its
# exit code is in $WAIT_RC; fail when WHAT still runs after SECONDS.
wait_exit() {
    local deadline=$(( $(date +%s) + $1 ))
    while kill -0 "$2" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$3 still runs after $1 s"
        sleep 0.05
    done
    WAIT_RC=0
    wait "$2" || WAIT_RC=$?
}
# ns_setup TAG: a network namespace $NS joined to this one by a veth pair, $VA here
# ($net.1) and $VB in it ($net.2), on a 198.19.x.0/24 no interface here uses yet; all
# deleted on exit. Returns 1 (nothing made) without root or `ip netns`.
ns_setup() {
    [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 || return 1
    NS=hps$1-$$ VA=hps${1}a$$ VB=hps${1}b$$
    local x=$(( $$ % 150 )) i
    for i in $(seq 150); do
        net=198.19.$(( 100 + (x + i) % 150 ))
        ip -o -4 addr show | grep -qF " $net." || break
    done
    trap 'ip link del "$VA" 2>/dev/null; ip netns del "$NS" 2>/dev/null; cleanup' EXIT
    ip netns add "$NS"
    ip link add "$VA" type veth peer name "$VB"
    ip link set "$VB" netns "$NS"
    ip addr add "$net.1/24" dev "$VA"
    ip link set "$VA" up
    ip -n "$NS" addr add "$net.2/24" dev "$VB"
    ip -n "$NS" link set "$VB" up
    ip -n "$NS" link set lo up
    # ARP re-asks every 100 ms on both ends (default 1 s): after a long cut the heal is
    # then timed by hps, not by a neighbour entry left INCOMPLETE on the test's own link
    ip netns exec "$NS" sysctl -qw "net.ipv4.neigh.$VB.retrans_time_ms=100" || true
    sysctl -qw "net.ipv4.neigh.$VA.retrans_time_ms=100" || true
}
# ns_curve_cluster NAME FLAGS...: CURVE keys in $K, a coordinator on $net.1 ($ep, $DB)
# with FLAGS, and worker NAME (2 slots) in $NS; $KW holds the worker's key flags.
ns_curve_cluster() {
    local name=$1; shift
    K=$TMP/keys
    mkdir -p "$K" "$TMP/allow"
    for n in coord w; do "$HPS" keygen -o "$K" --name $n >/dev/null; done
    cp "$K/w.key" "$TMP/allow/"
    KW=(--cert "$K/w.key_secret" --server-key "$K/coord.key")
    ep=tcp://$net.1:$(free_port)
    start_coord part "$@" --cert "$K/coord.key_secret" --allow "$TMP/allow" \
        --submitters "$TMP/allow"
    start nsw ip netns exec "$NS" "$HPS" worker --connect "$ep" --name "$name" --slots 2 \
        "${KW[@]}"
}
# ns_heal: bring $VA up again and wait until the namespace's end is usable (operstate
# UP, which the kernel's link watch sets up to a second after a change that follows
# another within the second); print that moment (epoch seconds).
ns_heal() {
    local deadline=$(( $(date +%s) + 10 ))
    while ip -n "$NS" -o link show "$VB" | grep -q "state UP"; do # the cut, seen there
        [ "$(date +%s)" -lt "$deadline" ] || fail "$VB still up 10 s after the cut"
        sleep 0.01
    done
    ip link set "$VA" up
    until ip -n "$NS" -o link show "$VB" | grep -q "state UP"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$VB not up 10 s after the heal"
        sleep 0.01
    done
    date +%s.%N
}
# heard_after NAME EPOCH SECS: wait (at most SECS) until the coordinator records worker
# NAME heard from after EPOCH (workers.last_seen); print how long after, in seconds.
heard_after() {
    local deadline=$(( $(date +%s) + $3 ))
    until [ "$(sql "SELECT last_seen > $2 FROM workers WHERE name = '$1'")" = 1 ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "worker $1 not heard from $3 s after $2"
        sleep 0.02
    done
    sql "SELECT printf('%.3f', last_seen - $2) FROM workers WHERE name = '$1'"
}
