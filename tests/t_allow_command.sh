# --allow-command is not bypassable (issue 12, item 2). A worker restricted to
# 'python3 train*.py *' is given none of the three bypasses of the red-team pass -- a
# `run:` string that the pattern matches but /bin/sh runs (`; touch`), env PYTHONPATH
# pointing at a sitecustomize.py, a cwd with its own train.py: it says what it admits in
# HELLO, and since issue 15 the coordinator leases such trials only to a worker that
# admits them (the worker's own refusal, should one arrive: runner_test). They wait,
# status says why, and no marker file is made, while the plain argv runs. The opt-ins
# admit each of them.
. "$(dirname "$0")/lib.sh"
DB=$TMP/ac.db
mkdir -p "$TMP/w" "$TMP/evil" "$TMP/evil2"
echo 'print(0.5)' >"$TMP/w/train.py"
echo "open('$TMP/m_env', 'w').close()" >"$TMP/evil/sitecustomize.py"
printf "open('%s/m_cwd', 'w').close()\nprint(0.25)\n" "$TMP" >"$TMP/evil2/train.py"
study() { # study NAME OBJECTIVE-FLOW-MAP-BODY: submit a one-trial command study
    write_study "$TMP/$1.yaml" "$1" 1 "objective: {type: command, $2}" "direction: minimize"
    "$HPS" submit "$TMP/$1.yaml" --to "$ep" >/dev/null
}
# state|error|worker of study $1's trial, once it has ended
ended() {
    wait_sql 30 "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
                 WHERE s.name = '$1' AND t.state IN ('COMPLETE', 'FAIL')" 1
    sql "SELECT t.state || '|' || COALESCE(t.error, '') || '|' || t.worker FROM trials t
         JOIN studies s ON s.id = t.study_id WHERE s.name = '$1'"
}
start_coord
cd "$TMP/w"  # the workers' cwd: train.py is found here
pat='python3 train*.py *'
start w1 "$HPS" worker --connect "$ep" --name w1 --allow-command "$pat"
study shell "run: 'python3 train.py --x 1; touch $TMP/m_shell'"
study env "run: [python3, train.py, --fast], env: {PYTHONPATH: $TMP/evil}"
study cwd "run: [python3, train.py, --fast], cwd: $TMP/evil2"
study plain "run: [python3, train.py, --fast]"
r=$(ended plain); [ "$r" = "COMPLETE||w1" ] || fail "plain: $r"
"$HPS" status --to "$ep" >"$TMP/status"
for want in "study shell: waiting: no capable worker (command not allowed on any connected worker: its --allow-command does not admit the command)" \
    "study env: waiting: no capable worker (command not allowed on any connected worker: env PYTHONPATH is not in its --allow-env)" \
    "study cwd: waiting: no capable worker (command not allowed on any connected worker: the command's cwd needs --allow-cwd)"; do
    grep -qF -- "$want" "$TMP/status" || fail "status lacks '$want': $(cat "$TMP/status")"
done
r=$(sql "SELECT COUNT(*) FROM trials"); [ "$r" = 1 ] || fail "$r trials leased, not 1"
for m in m_shell m_env m_cwd; do [ ! -e "$TMP/$m" ] || fail "bypass ran: $m exists"; done
echo "ok: the sh -c string, env PYTHONPATH and cwd bypasses wait unleased (status says why); the argv runs"

# Opt-ins: a pattern that names the shell, --allow-env, --allow-cwd.
start w2 "$HPS" worker --connect "$ep" --name w2 --allow-command "sh -c python3 train.py *" \
    --max-trials 1
r=$(ended shell); [ "$r" = "COMPLETE||w2" ] || fail "shell: $r"
start w3 "$HPS" worker --connect "$ep" --name w3 --allow-command "$pat" --max-trials 2 \
    --allow-env PYTHONPATH,OMP_NUM_THREADS --allow-cwd "$TMP/evil2"
r=$(ended env); [ "$r" = "COMPLETE||w3" ] || fail "env: $r"
r=$(ended cwd); [ "$r" = "COMPLETE||w3" ] || fail "cwd: $r"
for m in m_shell m_env m_cwd; do [ -e "$TMP/$m" ] || fail "opt-in did not run: $m"; done
echo "ok: 'sh -c ...' patterns, --allow-env and --allow-cwd admit what they name"

expect_err 2 "go with --allow-command" "$HPS" worker --connect "$ep" --allow-env PATH
expect_err 2 "exclude each other" "$HPS" worker --connect "$ep" --allow-command x --allow-any-command
expect_err 2 "--allow-cwd: not a directory" "$HPS" worker --connect "$ep" --allow-command x \
    --allow-cwd "$TMP/none"
echo "ok: inconsistent --allow-* flags exit 2"
