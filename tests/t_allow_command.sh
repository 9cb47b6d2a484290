# --allow-command is not bypassable (issue 12, item 2). A worker restricted to
# 'python3 train*.py *' refuses the three bypasses of the red-team pass -- a `run:`
# string that the pattern matches but /bin/sh runs (`; touch`), env PYTHONPATH pointing
# at a sitecustomize.py, a cwd with its own train.py -- each trial FAILs and its marker
# file is never made, while the plain argv runs. The opt-ins admit each of them.
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
# state|error of study $1's trial, once it has ended
ended() {
    wait_sql 30 "SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id
                 WHERE s.name = '$1' AND t.state IN ('COMPLETE', 'FAIL')" 1
    sql "SELECT t.state || '|' || COALESCE(t.error, '') FROM trials t JOIN studies s
         ON s.id = t.study_id WHERE s.name = '$1'"
}
start_coord
cd "$TMP/w"  # the workers' cwd: train.py is found here
pat='python3 train*.py *'
start w1 "$HPS" worker --connect "$ep" --name w1 --allow-command "$pat" --max-trials 4
study shell "run: 'python3 train.py --x 1; touch $TMP/m_shell'"
study env "run: [python3, train.py, --fast], env: {PYTHONPATH: $TMP/evil}"
study cwd "run: [python3, train.py, --fast], cwd: $TMP/evil2"
study plain "run: [python3, train.py, --fast]"
r=$(ended shell); [ "$r" = "FAIL|command not allowed on this worker" ] || fail "shell: $r"
r=$(ended env); case $r in "FAIL|env PYTHONPATH is not allowed on this worker"*) ;; *) fail "env: $r" ;; esac
r=$(ended cwd); case $r in "FAIL|cwd $TMP/evil2 is not allowed on this worker"*) ;; *) fail "cwd: $r" ;; esac
r=$(ended plain); [ "$r" = "COMPLETE|" ] || fail "plain: $r"
for m in m_shell m_env m_cwd; do [ ! -e "$TMP/$m" ] || fail "bypass ran: $m exists"; done
echo "ok: the sh -c string, env PYTHONPATH and cwd bypasses FAIL without running; the argv runs"

# Opt-ins: a pattern that names the shell, --allow-env, --allow-cwd.
start w2 "$HPS" worker --connect "$ep" --name w2 --allow-command "sh -c python3 train.py *" \
    --max-trials 1
study shell2 "run: 'python3 train.py --x 1; touch $TMP/m_shell'"
r=$(ended shell2); [ "$r" = "COMPLETE|" ] || fail "shell2: $r"
start w3 "$HPS" worker --connect "$ep" --name w3 --allow-command "$pat" --max-trials 2 \
    --allow-env PYTHONPATH,OMP_NUM_THREADS --allow-cwd "$TMP/evil2"
study env2 "run: [python3, train.py, --fast], env: {PYTHONPATH: $TMP/evil}"
study cwd2 "run: [python3, train.py, --fast], cwd: $TMP/evil2"
r=$(ended env2); [ "$r" = "COMPLETE|" ] || fail "env2: $r"
r=$(ended cwd2); [ "$r" = "COMPLETE|" ] || fail "cwd2: $r"
for m in m_shell m_env m_cwd; do [ -e "$TMP/$m" ] || fail "opt-in did not run: $m"; done
echo "ok: 'sh -c ...' patterns, --allow-env and --allow-cwd admit what they name"

expect_err 2 "go with --allow-command" "$HPS" worker --connect "$ep" --allow-env PATH
expect_err 2 "exclude each other" "$HPS" worker --connect "$ep" --allow-command x --allow-any-command
expect_err 2 "--allow-cwd: not a directory" "$HPS" worker --connect "$ep" --allow-command x \
    --allow-cwd "$TMP/none"
echo "ok: inconsistent --allow-* flags exit 2"
