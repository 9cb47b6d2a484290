# A coordinator that cannot serve a dataset blob and says so without naming it in the
# text (here: the blob replaced by a directory, a read error): its ERROR carries the
# sha256, the worker asks a few times, then gives up and FAILs the trials with a
# message naming the blob (before: it asked again every 2 s, forever).
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
DB=$TMP/f.db
cat >"$TMP/s.yaml" <<Y
study: fetch
n_trials: 2
max_retries: 0
data: {path: $data/breast_cancer.csv, label: label}
objective: {type: logreg}
space:
  C: {type: float, low: 0.01, high: 10, log: true}
Y
start_coord
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
sha=$(sha256sum <"$data/breast_cancer.csv" | cut -d' ' -f1)
[ -f "$DB.blobs/$sha" ] || fail "no blob $DB.blobs/$sha"
rm "$DB.blobs/$sha"
mkdir "$DB.blobs/$sha"
start w1 "$HPS" worker --connect "$ep" --name f1 --cache "$TMP/cache"
wait_for 60 "all(s['state'] == 'done' for s in st['studies'])"
[ "$(count_state FAIL)" = 2 ] || fail "FAIL: $(count_state FAIL)"
errors=$(sql "SELECT DISTINCT error FROM trials")
case $errors in
*"dataset $sha: the coordinator cannot serve it (3 tries): read error"*) ;;
*) fail "trial errors: $errors" ;;
esac
echo "ok: a blob the coordinator cannot read FAILs its trials after 3 tries, named"
