# The CLI explains itself: -h is --help for every command (usage on stdout, exit 0);
# typos in a command, a group name, an override key, an objective type or a space
# parameter get "did you mean" with the choices (exit 2, no database written); a command
# objective must say its direction; data.path and the group folders are found beside
# the config file, whatever the current directory, or one clear error says where.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
n=0

for c in run coordinator worker submit status stop leaderboard promote keygen trials export report resume delete rename copy import enqueue models model predict cluster; do
    for h in -h --help; do
        "$HPS" "$c" $h >"$TMP/out" 2>"$TMP/err" || fail "hps $c $h: exit $?: $(cat "$TMP/err")"
        grep -q "^usage: " "$TMP/out" && grep -Eq "^(usage:)? *hps $c( |$)" "$TMP/out" \
            || fail "hps $c $h: no usage on stdout: $(cat "$TMP/out")"
    done
    "$HPS" help "$c" | grep -q "hps $c" || fail "hps help $c"
    n=$((n + 1))
done
for f in "--resources LIST" "--gpus IDS" "--label KEY=VALUE" "--labels LIST"; do
    "$HPS" worker --help | grep -qF -- "  $f" || fail "hps worker --help lacks $f"
done
"$HPS" run "$root/configs/reviews.yaml" -j 1 -h --db "$TMP/h.db" | grep -q "^usage: hps run" \
    || fail "-h among other flags"
[ ! -e "$TMP/h.db" ] || fail "-h wrote a database"
# -h or --help as the value of a flag is still help, never a file or folder named so
(cd "$TMP" && "$HPS" keygen -o -h | grep -q "^usage: hps keygen") || fail "keygen -o -h"
(cd "$TMP" && "$HPS" run "$root/configs/reviews.yaml" --db --help -q | grep -q "^usage: hps run") \
    || fail "run --db --help"
[ -z "$(ls -A "$TMP" | grep -e '^-')" ] || fail "a file named like a flag: $(ls -A "$TMP")"
"$HPS" help help | grep -q "^usage: hps COMMAND" || fail "hps help help"

# expect2 SUBSTRING CMD...: exit 2, SUBSTRING on stderr, and no database (a fresh path
# per case) or blob folder created.
expect2() {
    expect_err 2 "$@"
    [ -z "$(ls "$TMP"/case*.db* 2>/dev/null)" ] || fail "$*: a database was written"
    n=$((n + 1))
}
db() { echo "$TMP/case$n.db"; }
cd "$TMP"
cfg=$root/configs/reviews.yaml
expect2 "hps: unknown command 'statsu' (did you mean 'status'?)" "$HPS" statsu
expect2 "hps: unknown command 'rnu' (did you mean 'run'?)" "$HPS" help rnu
expect2 "hps: unknown command 'LEADERBOARD' (did you mean 'leaderboard'?)" "$HPS" LEADERBOARD
expect2 "hps report: unknown or incomplete option '--bogus'" "$HPS" report --bogus --db "$(db)"
expect2 "override 'model=xgbost': unknown model 'xgbost' (did you mean 'xgboost'? choices in $root/configs/model/: logreg, mlp, ridge, transformer, xgboost)" \
    "$HPS" run "$cfg" model=xgbost --db "$(db)"
expect2 "override 'modle=logreg': unknown key 'modle' (did you mean 'model'?)" \
    "$HPS" run "$cfg" modle=logreg --db "$(db)"
expect2 "override 'n_trail=5': unknown key 'n_trail' (did you mean 'n_trials'?)" \
    "$HPS" run "$cfg" n_trail=5 --db "$(db)"
expect2 "override 'model=': empty value" "$HPS" run "$cfg" model= --db "$(db)"
expect2 "override 'model=xgbost': unknown model 'xgbost' (did you mean 'xgboost'?" \
    "$HPS" run "$cfg" --multirun model=logreg,xgbost strategy=quick,balanced --db "$(db)"
expect2 "override 'model=logreg,xgboost' has several values: add --multirun" \
    "$HPS" run "$cfg" model=logreg,xgboost --db "$(db)"
expect2 "override 'study=': empty value" "$HPS" run "$cfg" study= --db "$(db)"
mkdir -p "$TMP/typo" && cp -r "$root/configs/model" "$root/configs/strategy" \
    "$root/configs/sampler" "$TMP/typo/"
sed 's/^  - model: logreg/  - modl: logreg/' "$cfg" >"$TMP/typo/r.yaml"
expect2 "defaults: no group folder modl/ in '$TMP/typo/' (did you mean 'model'?)" \
    "$HPS" run "$TMP/typo/r.yaml" --db "$(db)"
expect2 "override 'sampler.type=tpee': unknown sampler type 'tpee' (did you mean 'tpe'? choices: auto, gp, grid, random, tpe)" \
    "$HPS" run "$cfg" sampler.type=tpee --db "$(db)"

# In a file: the position of the offending text, the suggestion, the list.
mkdir -p "$TMP/p/cfg" "$TMP/p/data" "$TMP/elsewhere"
cp -r "$root/configs/model" "$root/configs/strategy" "$root/configs/sampler" "$TMP/p/cfg/"
cp "$root/data/reviews.csv" "$TMP/p/data/"
study() { # study FILE LINES...: a logreg study on the reviews, beside the groups
    local f=$1; shift
    { echo "study: s"; echo "n_trials: 2"
      echo "data: {path: ../data/reviews.csv, label: label, text: [text]}"
      echo "strategy: {type: quick, test: {column: split, value: test}}"
      for l in "$@"; do echo "$l"; done; } >"$f"
}
study "$TMP/p/cfg/obj.yaml" "objective: {type: logregg}" "space: {C: {type: float, low: 1, high: 2}}"
expect2 "$TMP/p/cfg/obj.yaml:5:19: unknown objective type 'logregg' (did you mean 'logreg'? choices: command, logreg, mlp, ridge, synthetic, xgboost)" \
    "$HPS" run "$TMP/p/cfg/obj.yaml" --db "$(db)"
study "$TMP/p/cfg/cc.yaml" "objective: {type: logreg}" "space:" "  CC: {type: float, low: 1, high: 2}"
expect2 "$TMP/p/cfg/cc.yaml:7:3: space.CC: logreg takes no parameter 'CC' (did you mean 'C'? parameters: C, hash_bits, " \
    "$HPS" run "$TMP/p/cfg/cc.yaml" --db "$(db)"
study "$TMP/p/cfg/dir.yaml" "objective: {type: logreg}" "space: {C: {type: float, low: 1, high: 2}}" \
    "direction: minimize"
expect2 "$TMP/p/cfg/dir.yaml:7:12: direction: minimize, but the metric accuracy is maximised" \
    "$HPS" run "$TMP/p/cfg/dir.yaml" --db "$(db)"

# A command objective's score means what its author says: direction is required.
write_study "$TMP/cmd.yaml" cmd 2 "sampler: {type: random}" 'objective: {type: command, run: "echo 1"}'
expect2 "$TMP/cmd.yaml:3:19: objective: a command objective needs 'direction: minimize' or 'direction: maximize'" \
    "$HPS" run "$TMP/cmd.yaml" --db "$(db)"
echo "direction: maximize" >>"$TMP/cmd.yaml"
"$HPS" run "$TMP/cmd.yaml" -j 1 --db "$TMP/cmd.db" -q >/dev/null || fail "command study with direction"

# Config paths. Alone in a folder, reviews.yaml fails with one line naming the missing
# group folders and where they were looked for.
mkdir -p "$TMP/alone"
cp "$cfg" "$TMP/alone/"
cd "$TMP/elsewhere"
expect2 "$TMP/alone/reviews.yaml:8:15: defaults: no group folder strategy/, model/, sampler/ in '$TMP/alone/'" \
    "$HPS" run "$TMP/alone/reviews.yaml" --db "$(db)"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "more than one error line: $(cat "$TMP/err")"
# With its groups beside it and the data where its relative path points, it runs from
# a third directory, and resumes from another one (same stored config).
cp "$cfg" "$TMP/p/cfg/"
"$HPS" run "$TMP/p/cfg/reviews.yaml" strategy=quick n_trials=2 -j 1 --db "$TMP/p.db" -q \
    >/dev/null 2>"$TMP/err" || fail "copied config from elsewhere: $(cat "$TMP/err")"
cd "$TMP/p"
"$HPS" run cfg/reviews.yaml strategy=quick n_trials=1 -j 1 --db "$TMP/p.db" -q >/dev/null \
    2>"$TMP/err" && fail "n_trials lowered, yet no 'different config'"
grep -q "already exists with a different config" "$TMP/err" || fail "resume: $(cat "$TMP/err")"
"$HPS" run cfg/reviews.yaml strategy=quick n_trials=2 -j 1 --db "$TMP/p.db" -q >/dev/null \
    2>"$TMP/err" || fail "resume from another directory: $(cat "$TMP/err")"
DB=$TMP/p.db
[ "$(count_state COMPLETE)" = 2 ] || fail "resumed study ran more trials"
# Without the data: one line naming the path tried and the config it is relative to.
mv "$TMP/p/data/reviews.csv" "$TMP/p/moved.csv"
cd "$TMP/elsewhere"
expect2 "$TMP/p/cfg/reviews.yaml:13:14: data.path: cannot open '$TMP/p/cfg/../data/reviews.csv' (resolved relative to $TMP/p/cfg/reviews.yaml): No such file or directory" \
    "$HPS" run "$TMP/p/cfg/reviews.yaml" study=other --db "$(db)"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "more than one error line: $(cat "$TMP/err")"
# On the command line, data.path is relative to the current directory.
expect2 "override 'data.path=moved.csv': data.path: cannot open '$TMP/elsewhere/moved.csv' (relative to the current directory)" \
    "$HPS" run "$TMP/p/cfg/reviews.yaml" study=other data.path=moved.csv --db "$(db)"
cd "$TMP/p"
"$HPS" run cfg/reviews.yaml study=other data.path=moved.csv strategy=quick n_trials=1 -j 1 \
    --db "$TMP/p.db" -q >/dev/null 2>"$TMP/err" || fail "data.path override: $(cat "$TMP/err")"
echo "ok: -h on 10 commands, $n cases with their message and exit code"
