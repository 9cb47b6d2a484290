# The shipped Python model example through the `command` objective: the dataset is
# uploaded by sha256, fetched by each worker into its own cache, and the script trains
# on that copy ($HPS_DATA), reporting per epoch; nothing fails.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
DB=$TMP/cm.db
export XDG_CACHE_HOME=$TMP/cache
"$HPS" run configs/command-python-model.yaml n_trials=6 -j 2 --db "$DB" -q >/dev/null
[ "$(count_state FAIL)" = 0 ] || fail "failed trials: $(sql "SELECT error FROM trials WHERE state = 'FAIL'")"
[ "$(( $(count_state COMPLETE) + $(count_state PRUNED) ))" = 6 ] || fail "not 6 finished"
sha=$(sha256sum data/breast_cancer.csv | cut -d' ' -f1)
[ -f "$TMP/cache/hps/blobs/$sha" ] || fail "workers did not cache the dataset"
[ "$(sql "SELECT COUNT(*) FROM intermediate")" -ge 6 ] || fail "no per-epoch reports"
best=$(status_py "print(st['studies'][0]['best']['value'])")
python3 -c "import sys; sys.exit(0 if float('$best') > 0.85 else 1)" || fail "best accuracy $best"
echo "ok: 6 trials, best validation accuracy $best"
