# Bounded resources (issue 12): what one peer can make the coordinator hold.
. "$(dirname "$0")/lib.sh"
DB=$TMP/b.db
RAW="python3 $(dirname "$0")/zmtp_raw.py"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
start_coord
wait_sql 10 "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'trials'" 1
port=${ep##*:}

# 1. A frame declaring 8 GiB: the peer is cut off at the header, nothing is buffered.
before=$(rss_kb "$COORD")
sent=$($RAW 127.0.0.1 "$port" bigframe 200)
after=$(rss_kb "$COORD")
echo "bigframe: peer took $sent bytes; coordinator RSS $before -> $after kB"
[ $((after - before)) -lt 32768 ] || fail "coordinator grew by $((after - before)) kB"
[ "$sent" -lt $((100 << 20)) ] || fail "the coordinator accepted $sent bytes of an 8 GiB frame"
"$HPS" status --to "$ep" --timeout 5 >/dev/null || fail "coordinator unusable after the big frame"
echo "ok: an 8 GiB frame is refused at its header"

# 2. Names that travel: a worker name must be 1..128 bytes of printable UTF-8.
# raw_send NAME HOST: a HELLO; prints the reply. NAME @long: a 3 MB name.
raw_send() {
    python3 -c 'import json,sys; n = "w" * 3000000 if sys.argv[1] == "@long" else sys.argv[1]
print(json.dumps({"v": 1, "t": "HELLO", "worker": n, "host": sys.argv[2], "pid": 1, "slots": 1}))' \
        "$1" "$2" | $RAW 127.0.0.1 "$port" send -
}
for name in "" @long $'evil\e[2J\e]0;pwned\a' $'rtl\u202eexe.txt' $'two\nlines'; do
    r=$(raw_send "$name" host)
    case $r in *'"ERROR"'*) ;; *) fail "HELLO with a bad name (${#name} bytes) got $r" ;; esac
done
r=$(raw_send good $'host\e[31m')
case $r in *'"ERROR"'*'printable'*) ;; *) fail "HELLO with a bad host got $r" ;; esac
r=$(raw_send "ok-wörker" host)
case $r in *'"WELCOME"'*) ;; *) fail "a good HELLO got $r" ;; esac
[ "$(sql "SELECT COUNT(*), MIN(name) FROM workers")" = "1|ok-wörker" ] \
    || fail "workers stored: $(sql "SELECT COUNT(*), length(MIN(name)) FROM workers")"
grep -q "HELLO worker is too long" "$TMP/coord.log" || fail "refused HELLO not logged"
expect_err 2 "--name is empty" "$HPS" worker --connect "$ep" --name ""
expect_err 2 "--name is too long" "$HPS" worker --connect "$ep" --name "$(head -c 200 /dev/zero | tr '\0' w)"
expect_err 2 "--name contains a control, escape or bidi" "$HPS" worker --connect "$ep" --name $'a\tb'
echo "ok: empty, 3 MB, escape, bidi and newline worker names refused (protocol and --name)"

# 3. Names in configs: exit 2 with file:line, no DB written.
D2=$TMP/none.db
printf 'study: %s\nn_trials: 1\nobjective: {type: synthetic, function: sphere}\nspace:\n  x: {type: float, low: 0, high: 1}\n' \
    "$(head -c 300000 /dev/zero | tr '\0' s)" >"$TMP/long.yaml"
expect_err 2 "long.yaml:1:8: study: the name is too long" "$HPS" run "$TMP/long.yaml" --db "$D2"
write_study "$TMP/esc.yaml" $'"a\\e[31mred"' 1
expect_err 2 "esc.yaml:1:8: study: the name contains a control, escape or bidi" "$HPS" run "$TMP/esc.yaml" --db "$D2"
write_study "$TMP/key.yaml" k 1 '  "x\ny": {type: float, low: 0, high: 1}'
expect_err 2 "key.yaml:7:3: space: parameter name 'x\\x0ay' contains a control, escape or bidi" \
    "$HPS" run "$TMP/key.yaml" --db "$D2"
write_study "$TMP/cat.yaml" c 1 '  c: {type: categorical, choices: [a, "b\u202ec"]}'
expect_err 2 "cat.yaml:7:39: c: choice 2 contains a control, escape or bidi" "$HPS" run "$TMP/cat.yaml" --db "$D2"
# under the 1 MiB file bound, but every backslash doubles in the stored JSON: over 1 MiB
python3 -c 'import sys; print("study: big\nn_trials: 1\nobjective: {type: synthetic, function: sphere}\nspace:\n  c: {type: categorical, choices: [" + ", ".join("c%d-%s" % (i, "\\" * 200) for i in range(3000)) + "]}")' >"$TMP/big.yaml"
[ "$(stat -c %s "$TMP/big.yaml")" -lt 1048576 ] || fail "big.yaml is not under the file bound"
expect_err 2 "big.yaml:1:1: the study config is" "$HPS" run "$TMP/big.yaml" --db "$D2"
[ ! -e "$D2" ] || fail "a refused config created a DB"
echo "ok: 3 MB and escape study names, a newline parameter name, a bidi choice, a 2 MB config exit 2"

# 4. Output escapes what was stored before the checks existed (defence in depth).
sql "SELECT 1" >/dev/null
python3 - "$DB" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("INSERT INTO workers(name, host, pid, slots, first_seen, last_seen, lease_ms) "
            "VALUES ('old\x1b[2Jworker', 'h\u202eost', 1, 1, strftime('%s','now'), strftime('%s','now'), 10000)")
con.commit()
PY
for how in --db --to; do
    target=$DB; [ $how = --to ] && target=$ep
    "$HPS" status $how "$target" >"$TMP/st.txt" || fail "status $how"
    if LC_ALL=C grep -q $'\e\|\xe2\x80\xae' "$TMP/st.txt"; then fail "status $how printed raw escapes"; fi
    grep -qF 'old\x1b[2Jworker' "$TMP/st.txt" || fail "status $how: $(cat "$TMP/st.txt")"
done
echo "ok: hps status escapes control and bidi characters of stored names"

# 5. Uploads: a PUT larger than --max-blob-mb is refused before anything is written, and
#    partial uploads left for over ten minutes are removed (at start, then every minute).
kill "$COORD"
wait "$COORD" 2>/dev/null || true
BLOBS=$DB.blobs
mkdir -p "$BLOBS"
old=$BLOBS/$(printf '%064d' 1).part fresh=$BLOBS/$(printf '%064d' 2).part
echo x >"$old"
echo x >"$fresh"
touch -d '-2 hours' "$old"
sql "SELECT 1" >/dev/null # (part 6) a worker row two hours old goes at start as well
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO workers(name, host, pid, slots, first_seen, last_seen, lease_ms) VALUES (?, ?, 1, 1, strftime(\"%s\",\"now\") - 7300, strftime(\"%s\",\"now\") - 7200, 10000)", ("ancient", "h")); c.commit()' "$DB"
start_coord --max-blob-mb 2
wait_for_log() { # wait_for_log SECONDS TEXT
    local deadline=$(( $(date +%s) + $1 ))
    until grep -qF -- "$2" "$TMP/coord.log"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "no '$2' in the coordinator log"
        sleep 0.05
    done
}
wait_for_log 10 "coordinator on"
[ ! -e "$old" ] || fail "an upload abandoned two hours ago was kept"
[ -e "$fresh" ] || fail "a fresh partial upload was removed"
grep -q "removed 1 abandoned upload" "$TMP/coord.log" || fail "removal not logged"
put() { # put SHA TOTAL: one 4-byte chunk at offset 0
    $RAW 127.0.0.1 "$port" send "{\"v\": 1, \"t\": \"PUT\", \"sha256\": \"$1\", \"offset\": 0, \"total\": $2, \"data\": {\"\$bin\": \"00010203\"}}"
}
sha=$(printf '%064d' 3)
for total in $((1 << 62)) $((2 * 1048576 + 1)); do
    r=$(put "$sha" "$total")
    case $r in *'"ERROR"'*'--max-blob-mb'*) ;; *) fail "PUT of $total bytes got $r" ;; esac
done
[ ! -e "$BLOBS/$sha.part" ] || fail "a refused PUT left a .part file"
r=$(put "$sha" $((2 * 1048576)))
case $r in *'"PUT_ACK"'*'"offset": 4'*) ;; *) fail "PUT within the limit got $r" ;; esac
echo "ok: PUTs of 2^62 and 2 MiB + 1 bytes refused at --max-blob-mb 2; old .part removed at start"

# 6. STATUS stays cheap: worker rows of a HELLO flood are listed up to 500, rows silent
#    for an hour are deleted, and a peer sending 300 STATUS without reading gets its
#    budget (20 at once, 10/s) of cached replies: the coordinator neither stalls nor grows.
[ "$(sql "SELECT COUNT(*) FROM workers WHERE name = 'ancient'")" = 0 ] || fail "a worker silent for 2 h was kept"
grep -q "forgot 1 worker" "$TMP/coord.log" || fail "forgetting not logged"
$RAW 127.0.0.1 "$port" hellos 3000 >/dev/null
"$HPS" status --to "$ep" --json >"$TMP/st.json"
python3 -c 'import json,sys; st=json.load(open(sys.argv[1])); assert len(st["workers"]) == 500 and st["workers_total"] == 3002, (len(st["workers"]), st["workers_total"])' "$TMP/st.json" \
    || fail "status lists every flooded worker"
"$HPS" status --to "$ep" | grep -q "older workers not listed" || fail "text does not say workers were left out"
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
before=$(hwm_kb "$COORD")
mkfifo "$TMP/hold"
$RAW 127.0.0.1 "$port" flood 300 '{"v": 1, "t": "STATUS"}' <"$TMP/hold" >"$TMP/flood.out" &
PIDS+=($!)
exec 3>"$TMP/hold" # the flooder stays connected, never reading, until fd 3 closes
deadline=$(( $(date +%s) + 10 ))
until grep -q sent "$TMP/flood.out"; do [ "$(date +%s)" -lt "$deadline" ] || fail "flood not sent"; sleep 0.05; done
t0=$(date +%s%N)
"$HPS" status --to "$ep" --timeout 10 >/dev/null || fail "status during a STATUS flood"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
after=$(hwm_kb "$COORD")
exec 3>&-
echo "STATUS flood: another client's status took $ms ms; coordinator peak RSS $before -> $after kB"
[ "$ms" -lt 2000 ] || fail "status took $ms ms during a STATUS flood"
[ $((after - before)) -lt 51200 ] || fail "coordinator peak RSS grew by $((after - before)) kB"
echo "ok: 3,000 flooded workers listed as 500; a 300-STATUS flood neither stalls nor grows"
