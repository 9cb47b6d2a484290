# status and leaderboard only read: a file that is not an hps database (empty, or someone
# else's SQLite file) is refused and left byte for byte as it was; a study file in
# delete-journal mode stays so; a read-only file in a folder we cannot write (an archive)
# can still be read, by an unprivileged user.
. "$(dirname "$0")/lib.sh"
DB=$TMP/s.db
write_study "$TMP/s.yaml" ro 4
"$HPS" run "$TMP/s.yaml" -j 1 --db "$DB" -q >/dev/null || fail "run"
sum() { md5sum "$1" | cut -d' ' -f1; }
# expect_refused FILE MESSAGE: status and leaderboard exit 1 naming why; FILE unchanged
expect_refused() {
    local before; before=$(sum "$1")
    for cmd in status leaderboard; do
        rc=0; "$HPS" $cmd --db "$1" >/dev/null 2>"$TMP/err" || rc=$?
        [ "$rc" = 1 ] && grep -qF "$2" "$TMP/err" || fail "$cmd on $1: exit $rc: $(cat "$TMP/err")"
    done
    [ "$(sum "$1")" = "$before" ] || fail "$1 was changed"
    [ ! -e "$1-wal" ] || fail "$1 got a -wal"
}
: >"$TMP/empty.db"
expect_refused "$TMP/empty.db" "not an hps study database (an empty file)"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table notes(x)'); c.commit()" "$TMP/other.db"
expect_refused "$TMP/other.db" "not an hps study database (a SQLite file with tables of its own)"
# a backup tool left the study file in delete-journal mode: reading keeps it so
cp "$DB" "$TMP/del.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('pragma journal_mode=delete')" "$TMP/del.db"
before=$(sum "$TMP/del.db")
"$HPS" status --db "$TMP/del.db" | grep -q "^ro " || fail "status of del.db"
"$HPS" leaderboard --db "$TMP/del.db" --format csv | grep -q ",ro," || fail "leaderboard of del.db"
[ "$(sum "$TMP/del.db")" = "$before" ] || fail "reading changed del.db"
[ "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('pragma journal_mode').fetchone()[0])" "$TMP/del.db")" = delete ] \
    || fail "journal mode changed"
# an archive: the file alone (no -shm), read-only, in a folder nobody may write
command -v runuser >/dev/null || fail "runuser (util-linux) missing"
mkdir "$TMP/archive"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('pragma wal_checkpoint(TRUNCATE)')" "$DB"
cp "$DB" "$TMP/archive/s.db"
chmod 444 "$TMP/archive/s.db"
chmod 555 "$TMP/archive"
chmod 755 "$TMP"
# nobody may not reach the checkout (a clone under /root): a copy of the binary it can run;
# sanitizer reports go to its stderr (the shared log folder is not nobody's to write)
cp "$HPS" "$TMP/hps-copy"
chmod 755 "$TMP/hps-copy"
for cmd in status leaderboard; do
    env -u ASAN_OPTIONS -u UBSAN_OPTIONS runuser -u nobody -- "$TMP/hps-copy" $cmd \
        --db "$TMP/archive/s.db" >"$TMP/out" 2>"$TMP/err" \
        || fail "$cmd of a read-only archive: $(cat "$TMP/err")"
    grep -q "ro" "$TMP/out" || fail "$cmd of a read-only archive printed: $(cat "$TMP/out")"
done
chmod 755 "$TMP/archive"
echo "ok: foreign and empty files refused untouched; delete-journal file kept; read-only archive readable"
