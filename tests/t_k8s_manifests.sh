# The Kubernetes manifests of deploy/k8s, checked without a cluster (tests/k8s_check.py):
# every object against the API schema of Debian's python3-kubernetes (unknown fields,
# types, required fields), the references between them (Secrets, ConfigMaps, volumes,
# selectors, ports, serviceName) and the kustomization; a misspelt field fails the check.
# deploy/k8s/keys.sh makes the Secrets (and refuses to overwrite them). Then the
# containers' own command lines, with their volumes written out as files, run here: the
# coordinator, a worker and the submit Job finish the ConfigMap's study. Skipped
# without /usr/bin/python3 and python3-yaml; without python3-kubernetes only the schema
# part is skipped (said so).
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
CHECK=$root/tests/k8s_check.py
"$PY" -c "import yaml" 2>/dev/null || { echo "ok: skipped (no $PY with python3-yaml)"; exit 0; }
K=$TMP/k8s
cp -r "$root/deploy/k8s" "$K"
rm -rf "$K/keys" "$K/secrets.yaml"
HPS=$HPS "$K/keys.sh" >/dev/null
[ "$(stat -c %a "$K/keys/coord.key_secret")" = 600 ] && grep -q "name: hps-worker-key" "$K/secrets.yaml" ||
    fail "keys.sh wrote: $(ls -l "$K/keys") $(grep name: "$K/secrets.yaml")"
expect_err 1 "exists" env HPS="$HPS" "$K/keys.sh"
expect 0 "$PY" "$CHECK" "$K"
grep -q "^11 objects checked$" "$TMP/out" || fail "check said: $(cat "$TMP/out")"
"$PY" -c "import kubernetes" 2>/dev/null && echo "ok: 11 objects match the API schema; references hold" ||
    echo "ok: references hold (schema part skipped: no python3-kubernetes; scripts/deps.sh installs it)"
if command -v kubectl >/dev/null && kubectl kustomize "$K" >"$TMP/rendered.yaml" 2>"$TMP/err"; then
    [ "$(grep -c '^kind:' "$TMP/rendered.yaml")" = 11 ] || fail "kustomize rendered: $(grep '^kind' "$TMP/rendered.yaml")"
    echo "ok: kubectl kustomize renders the 11 objects"
fi

# A misspelt field, a missing required one and a dangling Secret are each found.
mkdir "$TMP/bad"
cp "$K"/*.yaml "$TMP/bad/"
sed -i 's/mountPath: \/var\/lib\/hps/mountpath: \/var\/lib\/hps/; s/secretName: hps-allow/secretName: hps-alow/' \
    "$TMP/bad/coordinator.yaml"
if "$PY" -c "import kubernetes" 2>/dev/null; then
    expect_err 1 "volumeMounts[0].mountpath: unknown field of V1VolumeMount (did you mean mountPath?)" \
        "$PY" "$CHECK" "$TMP/bad"
    grep -qF 'Invalid value for `mount_path`, must not be `None`' "$TMP/err" || fail "required: $(cat "$TMP/err")"
fi
expect_err 1 "volume allow: no Secret hps-alow" "$PY" "$CHECK" "$TMP/bad"
echo "ok: a misspelt field, a missing required field and a dangling Secret fail the check"

# The containers' command lines, run here with their volumes as files.
port=$(free_port)
"$PY" "$CHECK" "$K" --materialize "$TMP/pods" --port "$port" >"$TMP/argv" || fail "materialize"
argv_of() { grep "^$1	" "$TMP/argv" | cut -f2- | tr '\t' '\n'; }
mapfile -t coord < <(argv_of coordinator)
mapfile -t worker < <(argv_of worker)
mapfile -t submit < <(argv_of submit)
start coord "$HPS" "${coord[@]}" --heartbeat-ms 200
start worker "$HPS" "${worker[@]}"
expect 0 "$HPS" "${submit[@]}"
DB=$TMP/pods/coordinator/var/lib/hps/hps.db
n=$(sed -n 's/^ *n_trials: //p' "$K/study-configmap.yaml")
wait_sql 60 "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" "$n"
[ "$(sql "SELECT COUNT(DISTINCT number), MAX(attempt), MIN(worker) FROM trials")" = "$n|1|hps-worker-0" ] ||
    fail "trials: $(sql "SELECT state, worker, COUNT(*) FROM trials GROUP BY 1, 2")"
echo "ok: the manifests' coordinator, worker and submit Job, run here: $n/$n COMPLETE"
