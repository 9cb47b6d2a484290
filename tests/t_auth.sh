# Keys and permissions (issue 12, items 1, 2c, 5). Clients refuse plaintext off loopback
# before connecting; the coordinator refuses an --allow that admits anyone or nobody;
# the DB, its WAL and the blob directory are the owner's only, keygen's public key is
# 0644 and its secret 0600 whatever the umask; and a CURVE worker runs submitted
# commands only when told it may.
. "$(dirname "$0")/lib.sh"
DB=$TMP/a.db
# 198.18.0.1 (a benchmarking range) is not loopback; nothing listens there and nothing
# is sent: each command refuses while parsing its flags, before it makes a socket.
far=tcp://198.18.0.1:5555
write_study "$TMP/s.yaml" auth 4
for cmd in "worker --connect $far" "submit $TMP/s.yaml --to $far" "status --to $far" \
           "stop auth --to $far"; do
    # shellcheck disable=SC2086
    expect_err 2 "$far is not a loopback address: CURVE keys are required" timeout 20 "$HPS" $cmd
done
# ... also with a source address, which is not a loopback destination
expect_err 2 "is not a loopback address" timeout 20 "$HPS" worker --connect "tcp://127.0.0.1;198.18.0.1:5555"
echo "ok: worker, submit, status --to, stop refuse plaintext off loopback (exit 2)"

# keygen: modes whatever the umask
K=$TMP/keys
(umask 077 && "$HPS" keygen -o "$K" --name tight >/dev/null)
(umask 000 && "$HPS" keygen -o "$K" --name loose >/dev/null)
for n in tight loose; do
    [ "$(stat -c %a "$K/$n.key")" = 644 ] || fail "$n.key: $(stat -c %a "$K/$n.key")"
    [ "$(stat -c %a "$K/$n.key_secret")" = 600 ] || fail "$n.key_secret: $(stat -c %a "$K/$n.key_secret")"
done
echo "ok: keygen writes the public key 0644 and the secret 0600 under umask 077 and 000"

# --allow that admits any key, or nobody: refused at start-up, no DB made
ep=tcp://127.0.0.2:$(free_port)
mkdir -p "$TMP/empty" "$TMP/allow" "$TMP/submit"
cp "$K/loose.key" "$TMP/allow/"
cp "$K/tight.key" "$TMP/submit/"
cp "$K/tight.key" "$TMP/allow/"
for bad in "*|--allow '*' would admit any key" "$TMP/none|--allow $TMP/none: No such file" \
           "$TMP/empty|--allow $TMP/empty: no public key" "$K/loose.key|not a directory"; do
    expect_err 2 "${bad#*|}" timeout 20 \
        "$HPS" coordinator --bind "$ep" --db "$TMP/x.db" --cert "$K/tight.key_secret" --allow "${bad%%|*}"
    expect_err 2 "--submitters $TMP/empty: no public key" timeout 20 "$HPS" coordinator --bind "$ep" \
        --db "$TMP/x.db" --cert "$K/tight.key_secret" --allow "$TMP/allow" --submitters "$TMP/empty"
done
[ ! -e "$TMP/x.db" ] && [ ! -e "$TMP/x.db.blobs" ] || fail "a refused coordinator made files"
echo "ok: --allow '*', a missing, an empty dir and a file are refused (exit 2), nothing created"

# Owner-only files under umask 022, CURVE on 127.0.0.2. A worker with keys but without
# --allow-command runs no command (it is given none: status says why); with
# --allow-any-command it does.
umask 022
start_coord --cert "$K/tight.key_secret" --allow "$TMP/allow" --submitters "$TMP/submit"
wait_sql 10 "SELECT 1" 1
for _ in $(seq 100); do [ -e "$DB-wal" ] && [ -e "$DB-shm" ] && break; sleep 0.05; done
for f in "$DB" "$DB-wal" "$DB-shm" "$DB.blobs"; do
    want=600; [ -d "$f" ] && want=700
    [ "$(stat -c %a "$f")" = $want ] || fail "$f: mode $(stat -c %a "$f"), not $want"
done
echo "ok: DB, -wal, -shm 0600 and the blob directory 0700 under umask 022"
keys=(--cert "$K/tight.key_secret" --server-key "$K/tight.key")
write_study "$TMP/c.yaml" cmd 1 "objective: {type: command, run: [sh, -c, 'touch $TMP/ran; echo 1']}" "direction: minimize"
"$HPS" submit "$TMP/c.yaml" --to "$ep" "${keys[@]}" >/dev/null
start w1 "$HPS" worker --connect "$ep" --name w1 "${keys[@]}" --max-trials 1
want="study cmd: waiting: no capable worker (command not allowed on any connected worker: runs no command objective)"
for _ in $(seq 200); do
    "$HPS" status --to "$ep" "${keys[@]}" >"$TMP/status" 2>&1 && grep -qF "$want" "$TMP/status" && break
    sleep 0.1
done
grep -qF "$want" "$TMP/status" || fail "status: $(cat "$TMP/status")"
[ "$(sql "SELECT COUNT(*) FROM trials")" = 0 ] || fail "a trial was leased to w1"
[ ! -e "$TMP/ran" ] || fail "a CURVE worker without --allow-command ran a command"
write_study "$TMP/c2.yaml" cmd2 1 "objective: {type: command, run: [sh, -c, 'touch $TMP/ran; echo 1']}" "direction: minimize"
"$HPS" submit "$TMP/c2.yaml" --to "$ep" "${keys[@]}" >/dev/null
start w2 "$HPS" worker --connect "$ep" --name w2 "${keys[@]}" --max-trials 2 --allow-any-command
wait_sql 30 "SELECT COUNT(*) || worker FROM trials WHERE state = 'COMPLETE'" 2w2
[ -e "$TMP/ran" ] || fail "--allow-any-command did not run the command"
echo "ok: a CURVE worker runs commands only with --allow-any-command (or --allow-command)"
