# The systemd units of scripts/systemd/: `systemd-analyze verify` finds nothing to say
# about them (an unknown key is only a warning there, so any output fails), `systemd-
# analyze security --offline` rates their hardening at most 2.0 of 10 (exposure), and
# their ExecStart lines, with the specifiers and variables filled in as systemd would,
# run a coordinator and a worker that finish a study under CURVE. Skipped without
# systemd-analyze (Debian's systemd package); no systemd needs to be running.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
SA=$(command -v systemd-analyze || true)
[ -n "$SA" ] || { echo "ok: skipped (no systemd-analyze: Debian's systemd package has it)"; exit 0; }
U=$TMP/units
mkdir -p "$U"
for f in "$root"/scripts/systemd/*.service; do
    sed "s|/usr/local/bin/hps|$HPS|" "$f" >"$U/$(basename "$f")"
done
cp "$U/hps-worker@.service" "$U/hps-worker@1.service"
for u in hps-coordinator.service hps-worker@.service hps-worker@1.service; do
    (cd "$U" && "$SA" verify "./$u") >"$TMP/verify.out" 2>&1 || fail "verify $u: $(cat "$TMP/verify.out")"
    [ ! -s "$TMP/verify.out" ] || fail "verify $u says: $(cat "$TMP/verify.out")"
done
echo "ok: systemd-analyze verify: nothing to say about either unit"
for u in hps-coordinator.service hps-worker@1.service; do
    (cd "$U" && "$SA" security --offline=true --threshold=20 "./$u") >"$TMP/sec.out" 2>&1 ||
        fail "security $u: $(grep -E 'Overall|✗' "$TMP/sec.out")"
    echo "ok: $u: $(grep -o 'Overall exposure level.*' "$TMP/sec.out")"
done

# ExecStart as systemd runs it: continuation lines joined, %S %C %d %H %i filled in,
# ${VAR} as one word, $VAR split at spaces; /etc/hps is $TMP/etc.
E=$TMP/etc
execstart() {
    local unit=$1 line
    line=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$root/scripts/systemd/$unit" | sed 's/\\$//' | tr -d '\n')
    line=${line#ExecStart=}
    line=${line//\/usr\/local\/bin\/hps/$HPS}
    line=${line//\/etc\/hps/$E}
    line=${line//%S/$TMP/state}
    line=${line//%C/$TMP/cache}
    line=${line//%d/$TMP/creds}
    line=${line//%H/$(hostname)}
    line=${line//%i/1}
    echo "$line"
}
mkdir -p "$E/keys" "$E/allow" "$E/submitters" "$TMP/state/hps" "$TMP/creds" "$TMP/cache/hps"
for n in coord worker client; do "$HPS" keygen -o "$E/keys" --name $n >/dev/null; done
cp "$E/keys/worker.key" "$E/keys/client.key" "$E/allow/"
cp "$E/keys/client.key" "$E/submitters/"
cp "$E/keys/coord.key_secret" "$E/keys/worker.key_secret" "$TMP/creds/"
port=$(free_port)
HPS_BIND=tcp://127.0.0.1:$port HPS_COORDINATOR_ARGS="--heartbeat-ms 200 --lease-ms 5000"
HPS_CONNECT=tcp://127.0.0.1:$port HPS_SLOTS=2 HPS_WORKER_ARGS="--prefetch 1"
cmd=$(execstart hps-coordinator.service)
cmd=${cmd//\$\{HPS_BIND\}/$HPS_BIND}
cmd=${cmd//\$HPS_COORDINATOR_ARGS/$HPS_COORDINATOR_ARGS}
start coord $cmd
cmd=$(execstart hps-worker@.service)
cmd=${cmd//\$\{HPS_CONNECT\}/$HPS_CONNECT}
cmd=${cmd//\$\{HPS_SLOTS\}/$HPS_SLOTS}
cmd=${cmd//\$HPS_WORKER_ARGS/$HPS_WORKER_ARGS}
start worker $cmd
DB=$TMP/state/hps/hps.db
write_study "$TMP/s.yaml" units 8
"$HPS" submit "$TMP/s.yaml" --to "$HPS_CONNECT" --cert "$E/keys/client.key_secret" \
    --server-key "$E/keys/coord.key" --timeout 20 >/dev/null
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" 8
[ "$(sql "SELECT DISTINCT worker FROM trials")" = "$(hostname)-1" ] || fail "worker name"
[ -d "$TMP/cache/hps/1" ] || fail "the worker's cache is not in its CacheDirectory"
echo "ok: the units' ExecStart lines run a coordinator and worker $(hostname)-1: 8/8 COMPLETE"
