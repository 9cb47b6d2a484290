# Code travels with the study: configs/command-example.yaml (`code: [examples/quadratic.py]`)
# submitted to a coordinator started in one empty directory and run by a worker started
# in another, with its own cache: no shared files, every trial COMPLETE, in the
# worker's unpacked copy. Bad `code:` entries are config errors (file:line, exit 2); an
# archive with a path escape planted on the coordinator is refused by the worker, which
# writes nothing outside its code directory, and the all-failed study says so.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
REPO=$PWD
DB=$TMP/head/code.db
mkdir -p "$TMP/head" "$TMP/box" "$TMP/laptop"
ep=tcp://127.0.0.1:$(free_port)
(cd "$TMP/head" && exec "$HPS" coordinator --bind "$ep" --db "$DB" --heartbeat-ms 200) \
    >"$TMP/coord.log" 2>&1 &
PIDS+=($!)
(cd "$TMP/box" && XDG_CACHE_HOME=$TMP/box/cache exec "$HPS" worker --connect "$ep" \
    --name box --slots 2 -v) >"$TMP/worker.log" 2>&1 &
PIDS+=($!)

(cd "$TMP/laptop" && "$HPS" submit "$REPO/configs/command-example.yaml" --to "$ep" \
    n_trials=12 pruner=null) >"$TMP/out" 2>"$TMP/err" || fail "submit: $(cat "$TMP/err")"
wait_for 30 "st['studies'][0]['state'] == 'done'" || fail "not done: $(tail -5 "$TMP/worker.log")"
[ "$(count_state COMPLETE)" = 12 ] ||
    fail "not 12 COMPLETE: $(sql "SELECT error FROM trials LIMIT 3")"
code=$(sql "SELECT json_extract(config, '$.objective.code_sha256') FROM studies")
[ ${#code} = 64 ] || fail "no code_sha256 in the stored study: '$code'"
[ -f "$TMP/head/code.db.blobs/$code" ] || fail "coordinator has no code blob"
unpacked=$TMP/box/cache/hps/code/$code
[ -f "$unpacked/examples/quadratic.py" ] || fail "worker did not unpack the code"
# The same tree packs to the same blob from anywhere (deterministic archive): the
# study is found unchanged, and done.
cd /tmp
expect_err 1 "is already done" "$HPS" submit "$REPO/configs/command-example.yaml" --to "$ep" \
    n_trials=12 pruner=null
cd "$REPO"
[ "$(sql "SELECT COUNT(*) FROM studies")" = 1 ] || fail "resubmit made a second study"

# Config errors: a path outside the config's directory, a missing file, a symlink.
mkdir -p "$TMP/cfg/src"
printf 'print(1)\n' >"$TMP/cfg/src/t.py"
ln -s t.py "$TMP/cfg/src/link.py"
obj="objective: {type: command, run: [python3, t.py], code: [../x.py]}"
write_study "$TMP/cfg/s.yaml" bad 2 "$obj" "direction: minimize"
expect_err 2 "s.yaml:3:" "$HPS" submit "$TMP/cfg/s.yaml" --to "$ep"
grep -q "inside the config's directory" "$TMP/err" || fail "escape: $(cat "$TMP/err")"
write_study "$TMP/cfg/s.yaml" bad 2 "${obj/..\/x.py/nope.py}" "direction: minimize"
expect_err 2 "nope.py: No such file" "$HPS" submit "$TMP/cfg/s.yaml" --to "$ep"
write_study "$TMP/cfg/s.yaml" bad 2 \
    "objective: {type: command, run: [python3, t.py], code_dir: src}" "direction: minimize"
expect_err 2 "is a symlink" "$HPS" submit "$TMP/cfg/s.yaml" --to "$ep"
rm "$TMP/cfg/src/link.py"
write_study "$TMP/cfg/s.yaml" bad 2 \
    "objective: {type: command, run: [python3, t.py], code_dir: src, cwd: /tmp}" \
    "direction: minimize"
expect_err 2 "drop cwd" "$HPS" submit "$TMP/cfg/s.yaml" --to "$ep"

# A planted archive that writes outside its directory: refused by the worker's unpacker.
python3 - "$TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
    data = b"escaped\n"
    info = tarfile.TarInfo("../escaped.txt")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
evil=$(sha256sum "$TMP/evil.tar" | cut -d' ' -f1)
cp "$TMP/evil.tar" "$TMP/head/code.db.blobs/$evil"
write_study "$TMP/cfg/evil.yaml" evil 3 \
    "objective: {type: command, run: [python3, t.py], code_sha256: $evil}" "direction: minimize"
"$HPS" submit "$TMP/cfg/evil.yaml" --to "$ep" >/dev/null 2>"$TMP/err" || fail "$(cat "$TMP/err")"
wait_for 20 "[s['trials']['FAIL'] for s in st['studies'] if s['study'] == 'evil'] == [3]"
sql "SELECT error FROM trials WHERE error IS NOT NULL LIMIT 1" | grep -q "'..' refused" ||
    fail "evil archive error: $(sql "SELECT error FROM trials WHERE error IS NOT NULL LIMIT 1")"
[ ! -e "$TMP/box/cache/hps/code/escaped.txt" ] && [ ! -e "$TMP/box/cache/hps/escaped.txt" ] ||
    fail "the archive wrote outside its directory"
ls "$TMP/box/cache/hps/code" | grep -q "$evil" && fail "a refused archive left a directory"
# A study whose every trial failed does not end silently.
"$HPS" status --to "$ep" evil >"$TMP/out" 2>&1 || fail "status: $(cat "$TMP/out")"
grep -q "warning: 'evil': all 3 trials failed; last error: code archive: entry '../escaped.txt'" \
    "$TMP/out" || fail "no all-failed warning: $(cat "$TMP/out")"
echo "ok: 12/12 COMPLETE from the worker's unpacked code ($(echo "$code" | cut -c1-12));" \
    "bad code entries and a '..' archive refused"
