# Bounded resources (issue 12): what one peer can make the coordinator hold.
. "$(dirname "$0")/lib.sh"
DB=$TMP/b.db
RAW="python3 $(dirname "$0")/zmtp_raw.py"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
start_coord
wait_sql 10 "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'trials'" 1
port=${ep##*:}

# 1. A frame declaring 8 GiB: the peer is cut off at the header, nothing is buffered.
before=$(rss_kb "$COORD")
sent=$($RAW 127.0.0.1 "$port" bigframe 200)
after=$(rss_kb "$COORD")
echo "bigframe: peer took $sent bytes; coordinator RSS $before -> $after kB"
[ $((after - before)) -lt 32768 ] || fail "coordinator grew by $((after - before)) kB"
[ "$sent" -lt $((100 << 20)) ] || fail "the coordinator accepted $sent bytes of an 8 GiB frame"
"$HPS" status --to "$ep" --timeout 5 >/dev/null || fail "coordinator unusable after the big frame"
echo "ok: an 8 GiB frame is refused at its header"
