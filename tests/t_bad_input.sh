# Every bad config in tests/bad_configs and a set of bad command lines: each gets its
# precise error and exit 2, and the study database is left byte-for-byte untouched.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
DB=$TMP/b.db
write_study "$TMP/ok.yaml" ok 3 "sampler: {type: random, seed: 1}"
"$HPS" run "$TMP/ok.yaml" -j 1 --db "$DB" -q >/dev/null
dbsum() { { cat "$DB"; cat "$DB-wal" 2>/dev/null || true; } | sha256sum; }
before=$(dbsum)
n=0
expect2() { expect_err 2 "$@"; n=$((n + 1)); } # expect2 SUBSTRING CMD...
cd "$here/.."
for f in tests/bad_configs/[0-9]*.yaml; do
    want=$(sed -n 's/^# expect: //p' "$f" | head -1)
    [ -n "$want" ] || fail "$f has no '# expect:' line"
    expect2 "$want" "$HPS" run "$f" -j 1 --db "$DB"
done
good=tests/bad_configs/good.yaml
# the core schema's tags read as written (PyYAML users write !!float 1e-3)
sed 's/low: -5, high: 5}/low: !!float -5, high: !!int 5}/' $good >"$TMP/tagged.yaml"
"$HPS" run "$TMP/tagged.yaml" -j 1 --db "$TMP/tagged.db" -q >/dev/null 2>"$TMP/err" \
    || fail "tagged config: $(cat "$TMP/err")"
# sizes a SUBMIT could hold the coordinator with: 4097 keys in a map are refused, and
# 100k choices are checked for duplicates at once (sorted; 1 and 1.0 are the same)
python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
base = dict(study="big", n_trials=2, objective={"type": "synthetic", "function": "sphere"},
            sampler={"type": "random"})
keys = dict(base, space={f"x{i}": {"type": "float", "low": 0, "high": 1} for i in range(4097)})
json.dump(keys, open(f"{d}/keys.yaml", "w"))
json.dump(dict(base, space={"c": {"type": "categorical", "choices": list(range(100000)) + [7.0]}}),
          open(f"{d}/choices.yaml", "w"))
PY
expect2 "a map of more than 4096 keys" "$HPS" run "$TMP/keys.yaml" -j 1 --db "$DB"
expect2 "c: duplicate choice '7.0'" timeout 20 "$HPS" run "$TMP/choices.yaml" -j 1 --db "$DB"
expect2 "usage" "$HPS"
expect2 "unknown command 'frobnicate'" "$HPS" frobnicate
expect2 "CONFIG file is required" "$HPS" run --db "$DB"
expect2 "-j: expected an integer" "$HPS" run $good -j 0 --db "$DB"
expect2 "--sync: expected full or normal" "$HPS" run $good --sync maybe --db "$DB"
expect2 "no-such.yaml" "$HPS" run "$TMP/no-such.yaml" --db "$DB"
expect2 "unknown key 'bogus'" "$HPS" run $good bogus=1 --db "$DB"
expect2 "override" "$HPS" run $good =3 --db "$DB"
expect2 "override 'n_trials=4': 'n_trials' is given twice (also 'n_trials=3')" \
    "$HPS" run $good n_trials=3 n_trials=4 --db "$DB"
expect2 "'sampler.seed' is given twice" "$HPS" run $good -m sampler.seed=1,2 sampler.seed=7 --db "$DB"
expect2 "--bind is required" "$HPS" coordinator --db "$DB"
expect2 "CURVE keys are required" "$HPS" coordinator --bind tcp://0.0.0.0:1 --db "$DB"
expect2 "the port must be a number from 1 to 65535" "$HPS" coordinator --bind tcp://127.0.0.1:99999 --db "$DB"
expect2 "the port must be a number from 1 to 65535" "$HPS" status --to tcp://127.0.0.1:70000
expect2 "not an endpoint" "$HPS" worker --connect garbage
expect2 "study 'a:1' not created: its name contains '@' or ':'" "$HPS" run $good study=a:1 --db "$DB"
expect2 "register: the name contains '@' or ':'" "$HPS" run $good register=m@x --db "$DB"
expect2 "--connect" "$HPS" worker
expect2 "--slots" "$HPS" worker --connect tcp://127.0.0.1:1 --slots 0
expect2 "give one of --to ENDPOINT or --db FILE" "$HPS" status --to tcp://127.0.0.1:1 --db "$DB"
expect2 "no such study database" "$HPS" leaderboard --db "$TMP/missing.db"
expect2 "format" "$HPS" leaderboard --db "$DB" --format xml
expect2 "CONFIG and --to ENDPOINT are required" "$HPS" submit $good
expect2 "--cert and --server-key go together" "$HPS" submit $good --to tcp://127.0.0.1:1 --cert x
# bad CSV rows are found before anything is submitted: file:line, exit 2
csvcase() { # csvcase NAME CONTENT EXPECTED
    printf '%b' "$2" >"$TMP/$1.csv"
    cat >"$TMP/$1.yaml" <<Y
study: csv-$1
n_trials: 2
data: {path: $TMP/$1.csv, label: label, text: [text], numeric: [n]}
objective: {type: logreg}
space:
  C: {type: float, low: 0.1, high: 10, log: true}
strategy: {type: quick, test: {fraction: 0.3}}
Y
    expect2 "$3" "$HPS" run "$TMP/$1.yaml" -j 1 --db "$DB"
}
csvcase quote 'text,n,label\n"a b,1,0\nc d,2,1\n' "$TMP/quote.csv:2: unterminated quoted field"
csvcase fields 'text,n,label\na b,1,0\nc d,2\n' "$TMP/fields.csv:3:"
csvcase number 'text,n,label\na b,1,0\nc d,x,1\n' "$TMP/number.csv:3:"
csvcase nolabel 'text,n,y\na b,1,0\nc d,2,1\n' "$TMP/nolabel.csv"
csvcase utf8 'text,n,label\na \xff b,1,0\nc d,2,1\n' "$TMP/utf8.csv:2:"
csvcase nul 'text,n,label\na b,1,0\nc\0d,2,1\n' "$TMP/nul.csv:3: a NUL byte in a field"
csvcase nan 'text,n,label\na b,1,0\nc d,+inf,1\n' "$TMP/nan.csv:3: column 'n': '+inf' is not a finite number"
csvcase inf 'text,n,label\na b,-inf,0\nc d,2,1\n' "$TMP/inf.csv:2: column 'n': '-inf' is not a finite number"
csvcase oneclass 'text,n,label\na b,1,x\nc d,2,x\n' "label column 'label' has one class 'x'; classification needs two"
# only regular files are read, without blocking on a FIFO or reading a device forever
mkfifo "$TMP/fifo"
expect2 "/dev/zero: not a regular file" "$HPS" run /dev/zero -j 1 --db "$DB"
expect2 "$TMP/fifo: not a regular file" "$HPS" run "$TMP/fifo" -j 1 --db "$DB"
expect2 "$TMP: not a regular file" "$HPS" run "$TMP" -j 1 --db "$DB"
head -c 1048577 /dev/zero | tr '\0' '#' >"$TMP/big.yaml"
expect2 "$TMP/big.yaml: larger than 1048576 bytes" "$HPS" run "$TMP/big.yaml" -j 1 --db "$DB"
sed "s|path: $TMP/nan.csv|path: /dev/zero|" "$TMP/nan.yaml" >"$TMP/zero.yaml"
expect2 "$TMP/zero.yaml:3:14: data.path: cannot open '/dev/zero' (resolved relative to $TMP/zero.yaml): not a regular file" \
    "$HPS" run "$TMP/zero.yaml" -j 1 --db "$DB"
sed "s|path: $TMP/nan.csv|path: $TMP/fifo|" "$TMP/nan.yaml" >"$TMP/fifo.yaml"
expect2 "data.path: cannot open '$TMP/fifo'" "$HPS" run "$TMP/fifo.yaml" -j 1 --db "$DB"
# neither label nor target named, and the header says regression: the direction taken
# from accuracy would maximise the error, so it must be named
printf 'x,target\n1,2.5\n2,3.5\n3,1.5\n4,0.5\n' >"$TMP/reg.csv"
printf 'study: reg\nn_trials: 2\ndata: {path: %s}\nobjective: {type: ridge}\nspace:\n  alpha: {type: float, low: 0.1, high: 10}\n' \
    "$TMP/reg.csv" >"$TMP/reg.yaml"
expect2 "no 'target:' in data: add 'target: target'" "$HPS" run "$TMP/reg.yaml" -j 1 --db "$DB"
after=$(dbsum)
[ "$before" = "$after" ] || fail "the database changed"
[ "$n" -ge 50 ] || fail "only $n cases"
echo "ok: $n bad inputs, each exit 2 with its message; DB untouched"
