# hps status --watch on a running study: over --to and --db, a pipe gets a new block per
# refresh with trials done, trials/s and an ETA once trials ended; Ctrl-C (SIGINT) exits
# 0. On a terminal (script -qc gives one) the block is redrawn in place (cursor up).
. "$(dirname "$0")/lib.sh"
DB=$TMP/w.db
start_coord
start w1 "$HPS" worker --connect "$ep" --slots 2 --name w1
# 100 ms trials on two slots: about 100 s of work, stopped once the watches are seen
write_study "$TMP/w.yaml" wa 2000 "objective: {type: synthetic, function: sphere, sleep_ms: 100}" \
    "sampler: {type: random, seed: 1}"
"$HPS" submit "$TMP/w.yaml" --to "$ep" >/dev/null

# blocks FILE: how many refreshes FILE holds
blocks() { grep -c '^hps status --watch' "$1" 2>/dev/null || true; }
# wait_out SECONDS FILE REGEX: poll until FILE has a line matching REGEX
wait_out() {
    local deadline=$(( $(date +%s) + $1 ))
    until grep -Eq "$3" "$2" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "no line matching '$3' in $2: $(tail -5 "$2"; cat "${2%.out}.err" 2>/dev/null)"
        sleep 0.1
    done
}
# interrupt PID: SIGINT, then it must end (within 10 s) with exit code 0
interrupt() {
    kill -INT "$1"
    wait_exit 10 "$1" "the watch (after SIGINT)"
    [ "$WAIT_RC" = 0 ] || fail "watch exited $WAIT_RC after SIGINT"
}
# a running study's row with a number of trials/s and an ETA (7s, 2m05s)
row='^wa +running +[0-9]+/2000 +[-0-9.e]+ +[0-9.e+]+ +[0-9]+[smh]'

for src in "--to $ep" "--db $DB"; do
    name=${src%% *}; name=${name#--}
    "$HPS" status --watch $src --interval 0.3 >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pid=$!
    PIDS+=("$pid")
    wait_out 30 "$TMP/$name.out" "$row"
    n=$(blocks "$TMP/$name.out")
    [ "$n" -ge 2 ] || fail "$name: $n blocks before a rate"
    interrupt "$pid"
    grep -Eq '^STUDY +STATE +DONE +BEST +TRIALS/S +ETA$' "$TMP/$name.out" || fail "$name: header"
    grep -Eq '^workers: 1 alive' "$TMP/$name.out" || fail "$name: live workers"
    # done never goes back from block to block
    grep -E '^wa ' "$TMP/$name.out" | awk '{split($3, d, "/"); if (d[1] < last) exit 1; last = d[1]}' \
        || fail "$name: done went back: $(grep -E '^wa ' "$TMP/$name.out")"
    [ ! -s "$TMP/$name.err" ] || fail "$name: stderr: $(cat "$TMP/$name.err")"
    echo "ok: --watch $name: $n blocks, then a rate and ETA; SIGINT exits 0"
done

# a terminal: the block is redrawn in place
if command -v script >/dev/null; then
    script -qec "echo \$\$ >'$TMP/tty.pid'; exec '$HPS' status --watch --db '$DB' --interval 0.2" \
        /dev/null >"$TMP/tty.out" 2>&1 &
    spid=$!
    PIDS+=("$spid")
    deadline=$(( $(date +%s) + 30 ))
    until grep -q $'\033\\[[0-9]*A' "$TMP/tty.out" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "tty: no redraw: $(cat -v "$TMP/tty.out" | tail -5)"
        sleep 0.1
    done
    kill -INT "$(cat "$TMP/tty.pid")"
    interrupt "$spid" # script -e: its exit code is the watch's
    [ "$(grep -o 'hps status --watch' "$TMP/tty.out" | wc -l)" -ge 2 ] || fail "tty: blocks"
    echo "ok: --watch on a terminal redraws in place"
    # hps run on a terminal: its progress line has the same ETA
    write_study "$TMP/r.yaml" run30 30 "objective: {type: synthetic, function: sphere, sleep_ms: 100}"
    script -qec "'$HPS' run '$TMP/r.yaml' -j 2 --db '$TMP/r.db'" /dev/null >"$TMP/run.out" 2>&1 \
        || fail "hps run on a tty: $(cat -v "$TMP/run.out" | tail -3)"
    tr '\r' '\n' <"$TMP/run.out" | grep -Eq 'run30: [0-9]+/30 done, [0-9]+s elapsed, ETA [0-9]+s' \
        || fail "hps run on a tty: no ETA: $(cat -v "$TMP/run.out" | tail -3)"
    echo "ok: hps run on a terminal shows the ETA"
else
    echo "skip: the tty check needs script (util-linux)"
fi

# bad input
expect_err 2 "no study 'nope' (studies: wa)" "$HPS" status --watch --db "$DB" nope
expect_err 2 "--interval" "$HPS" status --watch --db "$DB" --interval 0
expect_err 2 "--json is for one snapshot" "$HPS" status --watch --json --db "$DB"
"$HPS" stop wa --to "$ep" >/dev/null
