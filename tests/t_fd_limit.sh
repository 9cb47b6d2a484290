# The coordinator keeps file descriptors for files when connections come in beyond its
# open-file limit. Started with `ulimit -n 256`, it gets 400 connections that never
# speak (more than the limit) while a worker is connected; then a study with a dataset
# is submitted (a blob upload: a file opened) and run (the worker fetches the blob: a
# file read; results stored). Connections over the cap make room by closing the ones
# silent for three heartbeats (at least 1 s), or are closed at once: the upload, the fetch and every result go
# through, and the cap is logged. (Before: the 256 descriptors went to connections;
# the submit was never read, or its upload failed.)
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
DB=$TMP/fd.db
ep=tcp://127.0.0.1:$(free_port)
start coord bash -c 'ulimit -n 256 && exec "$0" "$@"' "$HPS" coordinator --bind "$ep" \
    --db "$DB" --heartbeat-ms 200
COORD=$LAST_PID
start w1 "$HPS" worker --connect "$ep" --name fd1 --slots 2 --cache "$TMP/cache"
wait_sql 30 "SELECT COUNT(*) FROM workers WHERE name = 'fd1'" 1
# 400 connections that stay silent, held until killed
cat >"$TMP/flood.py" <<'PY'
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
    except OSError as e:
        print("connect:", e, flush=True)
print("ready", len(socks), flush=True)
time.sleep(600)
PY
start flood python3 "$TMP/flood.py" "${ep##*:}" 400
deadline=$(( $(date +%s) + 30 ))
until grep -q "^ready" "$TMP/flood.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "flood: $(cat "$TMP/flood.log")"
    sleep 0.05
done
sleep 1.5 # the flood's age: a connection silent for a second (3 heartbeats) may be closed
cat >"$TMP/s.yaml" <<Y
study: fdlimit
n_trials: 12
data: {path: $data/breast_cancer.csv, label: label}
objective: {type: logreg}
space:
  C: {type: float, low: 0.01, high: 10, log: true}
Y
timeout 60 "$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null || fail "submit failed"
sha=$(sha256sum <"$data/breast_cancer.csv" | cut -d' ' -f1)
[ -f "$DB.blobs/$sha" ] || fail "no blob $DB.blobs/$sha: $(grep -i "error\|warn" "$TMP/coord.log" | tail -3)"
wait_for 60 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(count_state COMPLETE)" = 12 ] || fail "COMPLETE: $(count_state COMPLETE)"
grep -q "at most [0-9]* connections: the open-file limit 256" "$TMP/coord.log" \
    || fail "no cap: $(head -3 "$TMP/coord.log")"
grep -q "at the connection cap" "$TMP/coord.log" || fail "the cap was never reached"
kill -0 "$COORD" || fail "the coordinator died"
echo "ok: 400 silent connections at ulimit -n 256: upload, fetch and 12 results stored;" \
    "$(grep -o "at most [0-9]* connections" "$TMP/coord.log")"
