# hps cluster up/status/submit/down over real ssh: two network namespaces on a bridge
# (198.18.5.0/24) stand in for two machines, each with its own OpenSSH sshd (a config,
# host key, authorized key and pid file in $TMP; nothing of the host's /etc/ssh). One
# host runs the coordinator and a worker, the other two workers; the hps binary is
# copied to them. Checked: an unreachable host is named and nothing is started; up
# starts every process and waits for its HELLO; a study submitted through the cluster
# finishes with every trial COMPLETE exactly once; a worker that dies at start makes up
# stop what it had started; down leaves no hps process in either namespace; and with
# no host marked, the coordinator runs here. Needs root, `ip netns` and sshd
# (scripts/deps.sh installs openssh-server); skipped without them.
. "$(dirname "$0")/lib.sh"
SSHD=/usr/sbin/sshd
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1 || [ ! -x "$SSHD" ] ||
   ! command -v ssh >/dev/null || ! command -v scp >/dev/null; then
    echo "ok: skipped (needs root, ip netns and sshd: scripts/deps.sh installs openssh-server)"
    exit 0
fi
net=198.18.5
if ip -o -4 addr show | grep -qF " $net."; then
    echo "ok: skipped ($net.0/24 is in use here: another run of this test?)"
    exit 0
fi
BR=hpsfobr$$ NSS=(hpsfoA-$$ hpsfoB-$$) ADDRS=($net.2 $net.3) made_run_sshd=
# Every hps process in our namespaces (by pid; sshd excluded) and a coordinator here.
our_hps() {
    local ns p
    for ns in "${NSS[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q "hps \(worker\|coordinator\)" &&
                echo "$p"
        done
    done
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$TMP/hpsc/" && echo "${p#/proc/}"
    done
    return 0
}
teardown() {
    local p ns
    for p in $(our_hps); do kill -9 "$p" 2>/dev/null; done
    for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    ip link del "$BR" 2>/dev/null
    [ -n "$made_run_sshd" ] && rmdir /run/sshd 2>/dev/null
    cleanup
}
trap teardown EXIT
ip link add "$BR" type bridge
ip addr add "$net.1/24" dev "$BR"
ip link set "$BR" up
for i in 0 1; do
    ns=${NSS[$i]} vh=hpsfo${i}h$$ vn=hpsfo${i}n$$
    ip netns add "$ns"
    ip link add "$vh" type veth peer name "$vn"
    ip link set "$vn" netns "$ns"
    ip link set "$vh" master "$BR" up
    ip -n "$ns" addr add "${ADDRS[$i]}/24" dev "$vn"
    ip -n "$ns" link set "$vn" up
    ip -n "$ns" link set lo up
done

# sshd's privilege-separation directory (the package leaves it to systemd-tmpfiles)
[ -d /run/sshd ] || { mkdir -m 755 /run/sshd && made_run_sshd=1; }
S=$TMP/ssh
mkdir -m 700 "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C hpsfo-host
ssh-keygen -q -t ed25519 -N '' -f "$S/id" -C hpsfo-client
cp "$S/id.pub" "$S/authorized_keys"
for i in 0 1; do
    cat >"$S/sshd$i.conf" <<EOF
ListenAddress ${ADDRS[$i]}
HostKey $S/host
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd$i.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
    start sshd$i ip netns exec "${NSS[$i]}" "$SSHD" -D -e -f "$S/sshd$i.conf"
done
cat >"$S/config" <<EOF
Host *
    User root
    IdentityFile $S/id
    IdentitiesOnly yes
    UserKnownHostsFile $S/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking accept-new
    LogLevel ERROR
EOF
for a in "${ADDRS[@]}"; do
    deadline=$(( $(date +%s) + 15 ))
    until ssh -F "$S/config" -o BatchMode=yes -o ConnectTimeout=2 "$a" true 2>"$TMP/ssh.err"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "sshd on $a: $(cat "$TMP/ssh.err" "$TMP"/sshd?.log)"
        sleep 0.1
    done
done
echo "ok: sshd answers in both namespaces"

C=$TMP/hpsc R=$TMP/remote
CL=(--dir "$C" --ssh-config "$S/config")
UP=(cluster up "${CL[@]}" --remote-dir "$R" --port 5599 --wait 20 --connect-timeout 3)

# An unreachable host (nothing listens on its port): named, nothing started, no state.
printf '%s coordinator workers=1\n%s port=2222\n' "${ADDRS[@]}" >"$TMP/bad.hosts"
expect_err 1 "host ${ADDRS[1]} ($TMP/bad.hosts:2)" "$HPS" "${UP[@]}" --hosts "$TMP/bad.hosts"
grep -q "nothing was started" "$TMP/err" || fail "unreachable host: $(cat "$TMP/err")"
[ ! -e "$C/state" ] && [ -z "$(our_hps)" ] || fail "a process or state after a failed up"
printf '%s slots=0\n' "${ADDRS[0]}" >"$TMP/bad2.hosts"
expect_err 2 "$TMP/bad2.hosts:1: slots=0: expected a number" "$HPS" "${UP[@]}" --hosts "$TMP/bad2.hosts"
echo "ok: an unreachable host is named, nothing started; a bad hosts file exits 2 at its line"

# Up: the coordinator and a worker (2 slots) on A, two workers on B.
cat >"$TMP/hosts" <<EOF
# the test's two machines
${ADDRS[0]} coordinator workers=1 slots=2   # the head
${ADDRS[1]} workers=2
EOF
# Worker flags after -- reach every worker as the same words (quoted for the remote shell:
# no word split at its space, no glob expanded there).
pat="/opt/hps fo/'q' * *"
expect 0 "$HPS" "${UP[@]}" --hosts "$TMP/hosts" -- --allow-command "$pat" --prefetch 2
cp "$TMP/out" "$TMP/up.out"
grep -q "^coordinator  tcp://${ADDRS[0]}:5599" "$TMP/up.out" || fail "up said: $(cat "$TMP/up.out")"
grep -q "^workers      3 on 2 hosts, 4 slots" "$TMP/up.out" || fail "up said: $(cat "$TMP/up.out")"
[ -x "$R/${ADDRS[0]}/hps" ] && [ -x "$R/${ADDRS[1]}/hps" ] || fail "hps not copied"
[ "$(stat -c %a "$R/${ADDRS[1]}/keys/${ADDRS[1]}.key_secret")" = 600 ] || fail "key mode"
[ ! -e "$R/${ADDRS[1]}/keys/coord.key_secret" ] || fail "the coordinator's secret on a worker host"
expect 0 "$HPS" cluster status "${CL[@]}"
[ "$(grep -c ' running$' "$TMP/out")" = 4 ] || fail "status: $(cat "$TMP/out" "$TMP/err")"
expect_err 1 "exists: a cluster is up" "$HPS" "${UP[@]}" --hosts "$TMP/hosts"
checked=0
for p in $(sed -n 's/.* pids=\([0-9,]*\).*/\1/p' "$C/state" | tr ',' ' '); do
    tr '\0' '\n' <"/proc/$p/cmdline" | grep -A3 -x -e --allow-command >"$TMP/args"
    [ "$(cat "$TMP/args")" = "$(printf -- '--allow-command\n%s\n--prefetch\n2' "$pat")" ] ||
        fail "worker $p got: $(cat "$TMP/args")"
    checked=$((checked + 1))
done
[ "$checked" = 3 ] || fail "worker pids in the state file: $(cat "$C/state")"
echo "ok: up started 1 coordinator + 3 workers over ssh (hps copied, keys 0600, worker flags"\
     "intact); status sees them"

DB=$R/${ADDRS[0]}/hps.db
n=24
write_study "$TMP/s.yaml" fan $n "objective: {type: synthetic, function: sphere, sleep_ms: 100}" \
    "sampler: {type: random, seed: 5}"
expect 0 "$HPS" cluster submit "$TMP/s.yaml" "${CL[@]}"
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" $n
[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT number), MAX(attempt) FROM trials")" = "$n|$n|1" ] ||
    fail "trials: $(sql "SELECT state, attempt, COUNT(*) FROM trials GROUP BY 1, 2")"
[ "$(sql "SELECT group_concat(name) FROM (SELECT name FROM workers ORDER BY name)")" = \
    "${ADDRS[0]}-1,${ADDRS[1]}-1,${ADDRS[1]}-2" ] || fail "workers: $(sql "SELECT name FROM workers")"
echo "ok: a study submitted through the cluster: $n/$n COMPLETE, each once, on 3 named workers"

expect 0 "$HPS" cluster down "${CL[@]}"
[ ! -e "$C/state" ] || fail "state file left after down"
[ -z "$(our_hps)" ] || fail "hps left after down: $(for p in $(our_hps); do tr '\0' ' ' </proc/$p/cmdline; echo; done)"
expect 0 "$HPS" cluster down "${CL[@]}"
grep -q "nothing to stop" "$TMP/out" || fail "a second down: $(cat "$TMP/out")"
echo "ok: down stopped every process in both namespaces and removed the state file"

# A worker that dies at start (B's hps is a stand-in that exits): up stops A's
# coordinator and worker again, says which died and why, and leaves no state file.
printf '#!/bin/sh\n[ "$1" = --version ] && echo "hps 0.1.0" && exit 0\necho "fake hps: no" >&2\nexit 3\n' \
    >"$TMP/fakehps"
chmod +x "$TMP/fakehps"
printf '%s coordinator\n%s hps=%s\n' "${ADDRS[0]}" "${ADDRS[1]}" "$TMP/fakehps" >"$TMP/dies.hosts"
expect_err 1 "host ${ADDRS[1]}: ${ADDRS[1]}-1 (pid" "$HPS" "${UP[@]}" --hosts "$TMP/dies.hosts"
grep -q "fake hps: no" "$TMP/err" && grep -q "stopping what was started" "$TMP/err" ||
    fail "rollback said: $(cat "$TMP/err")"
[ ! -e "$C/state" ] && [ -z "$(our_hps)" ] || fail "left after a rolled back up: $(our_hps)"
echo "ok: a worker dying at start: named with its log, the rest stopped, no state left"

# No host marked: the coordinator runs here, reached by the namespaces at $net.1.
printf '%s\n%s\n' "${ADDRS[@]}" >"$TMP/here.hosts"
expect 0 "$HPS" "${UP[@]}" --hosts "$TMP/here.hosts" --addr "$net.1"
grep -q "^coordinator  tcp://$net.1:5599 (on this machine" "$TMP/out" || fail "up: $(cat "$TMP/out")"
DB=$C/hps.db
write_study "$TMP/h.yaml" here 6 "sampler: {type: random, seed: 6}"
expect 0 "$HPS" cluster submit "$TMP/h.yaml" "${CL[@]}"
wait_sql 30 "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'" 6
expect 0 "$HPS" cluster down "${CL[@]}"
[ -z "$(our_hps)" ] || fail "left after down (local coordinator): $(our_hps)"
echo "ok: with no host marked the coordinator ran here; 6/6 COMPLETE; down stopped it"
