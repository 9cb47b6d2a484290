# A worker name stays bound to its CURVE key across a coordinator restart (issue 12,
# item 4; schema 4's workers.key): before, the binding lived in memory only and after a
# restart the first allowed key to say HELLO under a name won it. The binding ends
# when the name's row is forgotten (an hour without a word, GUARD_WORKER_FORGET_S):
# then another key may take the name. Here the hour is made to have passed by ageing
# the row while the coordinator is stopped.
. "$(dirname "$0")/lib.sh"
: "${RAWPEER:?RAWPEER must point at the tests/rawpeer binary (make check sets it)}"
DB=$TMP/nk.db
ep=tcp://127.0.0.2:$(free_port)
K=$TMP/keys
mkdir -p "$K" "$TMP/allow"
for n in coord a b; do "$HPS" keygen -o "$K" --name $n >/dev/null; done
cp "$K/a.key" "$K/b.key" "$TMP/allow/"
cflags=(--cert "$K/coord.key_secret" --allow "$TMP/allow")
pubkey() { sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$K/$1.key"; }
akey=$(pubkey a) bkey=$(pubkey b)
[ ${#akey} = 40 ] && [ ${#bkey} = 40 ] || fail "keys: '$akey' '$bkey'"
# hello NAME-OF-KEY: a HELLO under the name a with that key; its replies in $TMP/hello.out
hello() {
    "$RAWPEER" --connect "$ep" --wait 2000 --cert "$K/$1.key_secret" --server-key "$K/coord.key" \
        HELLO worker=a host=h pid=pid slots=1 >"$TMP/hello.out" 2>&1 || true
}
stop_coord() { kill "$COORD"; wait "$COORD" 2>/dev/null || true; }

start_coord "${cflags[@]}"
start wa "$HPS" worker --connect "$ep" --name a --cert "$K/a.key_secret" --server-key "$K/coord.key"
wait_sql 30 "SELECT key FROM workers WHERE name = 'a'" "$akey"
hello b
grep -q "^ERROR worker a: worker name is bound to another key" "$TMP/hello.out" \
    || fail "b took a's live name: $(cat "$TMP/hello.out")"
kill "$LAST_PID"
wait "$LAST_PID" 2>/dev/null || true
stop_coord
echo "ok: the name a is bound to a's key in the file"

# after a restart, b's key is refused under the name exactly as before; a's is welcome
start_coord coord2 "${cflags[@]}"
hello b
grep -q "^ERROR worker a: worker name is bound to another key" "$TMP/hello.out" \
    || fail "after a restart b took a's name: $(cat "$TMP/hello.out")"
[ "$(sql "SELECT key FROM workers WHERE name = 'a'")" = "$akey" ] || fail "key changed"
hello a
[ "$(sed -n 1p "$TMP/hello.out")" = WELCOME ] || fail "a's own key: $(cat "$TMP/hello.out")"
stop_coord
echo "ok: after a coordinator restart the name keeps its key (another key refused)"

# an hour without a word: the row and its binding are forgotten at the next start, and
# the name is free for another key (how an operator re-binds a name)
python3 - "$DB" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("UPDATE workers SET last_seen = last_seen - 3700 WHERE name = 'a'")
con.commit()
PY
start_coord coord3 "${cflags[@]}"
hello b
[ "$(sed -n 1p "$TMP/hello.out")" = WELCOME ] || fail "b after the hour: $(cat "$TMP/hello.out")"
grep -q "forgot 1 worker" "$TMP/coord3.log" || fail "not forgotten: $(cat "$TMP/coord3.log")"
wait_sql 10 "SELECT key FROM workers WHERE name = 'a'" "$bkey"
echo "ok: a name silent for an hour is forgotten, and then bound to the next key"
