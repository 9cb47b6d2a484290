# The layer picture of docs/design.md holds: a folder includes only from itself and the
# folders below it (core < samplers, objectives, results < coordinator, worker < cli, bench <
# hps.c), never sideways, and ./hps carries no test or benchmark code.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
rank() { # a folder's floor; folders on one floor may not include each other
    case $1 in
        core) echo 1 ;; samplers | objectives | results) echo 2 ;; coordinator | worker) echo 3 ;;
        cli | bench) echo 4 ;; hps.c) echo 5 ;; *) echo 0 ;;
    esac
}
bad=
shopt -s nullglob # a folder may have no files yet
while IFS=: read -r file _ inc; do
    from=${file%%/*} to=${inc#*\"}
    to=${to%%/*}
    [ "$from" = "$to" ] && continue
    rf=$(rank "$from") rt=$(rank "$to")
    [ "$rf" -gt 0 ] && [ "$rt" -gt 0 ] || fail "unknown folder in $file: $inc"
    [ "$rt" -lt "$rf" ] || bad="$bad$file includes $to ($inc)"$'\n'
done < <(grep -n '#include "[a-z]*/' core/*.[ch] samplers/*.[ch] objectives/*.[ch] results/*.[ch] \
             coordinator/*.[ch] worker/*.[ch] cli/*.[ch] bench/*.[ch] hps.c)
[ -z "$bad" ] || fail "includes against the layers:"$'\n'"$bad"
echo "ok: every include goes down a floor"
syms=$(nm "$HPS")
# ASan keeps every global alive (its metadata points at them): the shipped build only.
if ! grep -q __asan_init <<<"$syms"; then
    n=$(grep -c -e _test -e bench <<<"$syms") || true
    [ "$n" = 0 ] || fail "$HPS has $n test or benchmark symbols: $(grep -e _test -e bench <<<"$syms" | head)"
    echo "ok: no test or benchmark code in hps"
fi
