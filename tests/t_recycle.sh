# Persistent trial processes are recycled: with --recycle-after N a fresh process takes
# over after every N trials, and with --max-trial-rss-mb a process that grew past the
# bound (an objective leaking 8 MiB a trial) is replaced after the trial that crossed
# it; every trial still completes. Without either, one process serves them all. The
# pids come from the worker's "started, pid" log lines.
. "$(dirname "$0")/lib.sh"
DB=$TMP/r.db
start_coord
pids() { sed -n "s/.*($1 #[0-9]*) started, pid \([0-9]*\).*/\1/p" "$TMP/$2.log"; }
# study NAME N WORKER-FLAGS...: run study NAME (a trial leaks 8 MiB) on a fresh
# one-slot worker with FLAGS, to the end; the worker is stopped after.
study() {
    local name=$1 n=$2; shift 2
    write_study "$TMP/$name.yaml" "$name" "$n" "sampler: {type: random, seed: 1}" \
        "objective: {type: synthetic, function: sphere, leak_kb: 8192}"
    "$HPS" submit "$TMP/$name.yaml" --to "$ep" >/dev/null
    start "$name" "$HPS" worker --connect "$ep" --name "$name" --prefetch 0 "$@"
    wait_for 60 "[s for s in st['studies'] if s['study'] == '$name' and s['state'] == 'done']"
    kill "$LAST_PID"
    wait "$LAST_PID" || true
    [ "$(pids "$name" "$name" | wc -l)" = "$n" ] || fail "$name: $(cat "$TMP/$name.log")"
}
study plain 6
[ "$(pids plain plain | sort -u | wc -l)" = 1 ] || fail "plain: $(pids plain plain)"
study every4 9 --recycle-after 4
[ "$(pids every4 every4 | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "4 4 1 " ] \
    || fail "every4: $(pids every4 every4 | uniq -c)"
grep -q "served 4 trials: replaced" "$TMP/every4.log" || fail "no recycle message"
# 60 MiB: crossed after a few trials of 8 MiB each, never at the first
study rss 12 --max-trial-rss-mb 60
n=$(pids rss rss | sort -u | wc -l)
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "rss: $n processes for 12 trials: $(pids rss rss | uniq -c)"
grep -q "uses [0-9]* MiB (over 60): replaced" "$TMP/rss.log" || fail "no RSS message"
[ "$(count_state COMPLETE)" = 27 ] || fail "COMPLETE: $(count_state COMPLETE)"
echo "ok: recycled every 4 trials (4 4 1) and at 60 MiB RSS ($n processes for 12 trials)"
