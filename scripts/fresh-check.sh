#!/usr/bin/env bash
# Fresh-machine check: do the README's two commands set up everything on a new Debian 12?
#
# Usage: scripts/fresh-check.sh [REPO [COMMIT]]          (as root; needs the Debian mirror)
#   REPO    git repository to test (default: the repository this script lives in)
#   COMMIT  commit, branch or tag to check out (default: HEAD of REPO)
# The repository is copied with a clean `git clone`: uncommitted changes in REPO are NOT
# part of the check. Commit first.
#
# What it proves: in a Debian 12 (bookworm) root that holds only what a newcomer has before
# reading the README (debootstrap minbase plus git, make and ca-certificates: no compiler,
# no pkg-config, no -dev packages, no python3), `make check` and then `make demo`, run as
# root in a fresh clone, both succeed; scripts/deps.sh and the Makefile do all the set-up.
# It prints the wall time and exit status of each, whether `make check` ended with
# "N passed, N failed", and which tools the tests call are still missing afterwards. Exits
# 0 only if every goal succeeded.
#
# The bootstrapped root is cached as a tarball, so only the first run bootstraps; every run
# unpacks a fresh copy, mounts /proc, /sys, /dev, /dev/pts and /dev/shm in it, and on exit
# (also on failure or Ctrl-C) kills what still runs in it, unmounts everything and removes it.
#
# Env:
#   FRESH_DIR      cache and runs (default /var/tmp/hps-fresh): the cached root is
#                  FRESH_DIR/bookworm-minbase.tar.gz (delete it to bootstrap again); run N
#                  keeps its logs in FRESH_DIR/run-DATE/logs (named at the end)
#   FRESH_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   FRESH_SECURITY Debian security mirror (default http://deb.debian.org/debian-security)
#   FRESH_ORDER    make goals in order (default "check demo"; "demo check" proves that a
#                  first `make demo` sets up on its own too)
#   FRESH_TIMEOUT  seconds allowed per goal (default 3600)
#   FRESH_KEEP     1: keep the unpacked root after the run, for a look inside (default 0)
# shellcheck disable=SC2317 # the cleanup helpers are reached from the EXIT trap
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=${1:-$(git -C "$here" rev-parse --show-toplevel)}
rev=${2:-HEAD}
dir=$(realpath -m "${FRESH_DIR:-/var/tmp/hps-fresh}") # compared with /proc/PID/root
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
security=${FRESH_SECURITY:-http://deb.debian.org/debian-security}
order=${FRESH_ORDER:-check demo}
limit=${FRESH_TIMEOUT:-3600}
keep=${FRESH_KEEP:-0}
suite=bookworm
newcomer=git,make,ca-certificates
cache=$dir/$suite-minbase.tar.gz
run=$dir/run-$(date +%Y%m%d-%H%M%S)
root=$run/root
logs=$run/logs
boot=$dir/bootstrap.tmp
chroot_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Commands the tests and the demo call; reported if still missing after the run.
tools=(cc pkg-config python3 timeout awk sha256sum dd ps pgrep pkill)

say() { echo "fresh-check: $*" >&2; }
die() { say "$*"; exit 2; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
[ "$#" -le 2 ] || die "usage: scripts/fresh-check.sh [REPO [COMMIT]]"
[[ $dir == /* && $dir != *[[:space:]]* ]] || die "FRESH_DIR must be an absolute path without spaces"
[[ $limit =~ ^[0-9]+$ ]] || die "FRESH_TIMEOUT must be a number of seconds"
commit=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") ||
    die "$repo: no commit '$rev'"

# Mount points under $1, deepest first.
mounts_under() {
    awk -v p="$1" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# Kill every process whose root directory is $1 (only processes started in our chroot),
# and print what was still running.
kill_chrooted() {
    local p r left=()
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        [ "$r" = "$1" ] || continue
        left+=("${p#/proc/}:$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-60)")
        kill -9 "${p#/proc/}" 2>/dev/null || true
    done
    [ ${#left[@]} -eq 0 ] || printf '%s\n' "${left[@]}"
}

# Unmount everything under $1 (lazily if busy); fails if anything is still mounted.
unmount_under() {
    local m
    for m in $(mounts_under "$1"); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
    [ -z "$(mounts_under "$1")" ]
}

cleanup() {
    local st=$?
    set +e
    trap - EXIT INT TERM
    local left
    for r in "$root" "$boot"; do
        [ -d "$r" ] || continue
        left=$(kill_chrooted "$r")
        [ -z "$left" ] || say "killed processes left in $r: $left"
        if ! unmount_under "$r"; then
            say "could not unmount $(mounts_under "$r" | tr '\n' ' '); $r left in place"
            continue
        fi
        if [ "$r" = "$root" ] && [ "$keep" = 1 ]; then
            say "kept the root: $root"
        else
            rm -rf --one-file-system "$r"
        fi
    done
    exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The cached bare root: minbase plus what a newcomer has, with a stock machine's sources.
bootstrap() {
    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    say "bootstrapping $suite (minbase + $newcomer) from $mirror; log: $logs/debootstrap.log"
    local t0
    t0=$(now)
    rm -rf --one-file-system "$boot"
    debootstrap --variant=minbase --include="$newcomer" "$suite" "$boot" "$mirror" \
        >"$logs/debootstrap.log" 2>&1 || die "debootstrap failed; see $logs/debootstrap.log"
    cat >"$boot/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
    rm -f "$boot"/var/cache/apt/archives/*.deb
    tar -C "$boot" --numeric-owner -czpf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    elapsed "$t0" "$(now)" >"$cache.seconds"
    rm -rf --one-file-system "$boot"
}

mount_all() {
    # The root a mount point of its own, as / is on a machine: `ip netns exec` (the
    # partition test) remounts / as a slave and fails on a plain directory.
    mount --bind "$root" "$root"
    mount --make-private "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --bind /dev "$root/dev"
    mount --make-private "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

# Copy stdin to stderr, and to file $1 with the seconds since $2 before each line.
stamp() {
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line" >&2
        printf '%7s %s\n' "$(elapsed "$2" "$(now)")" "$line"
    done >"$1"
}

# run_goal GOAL: `make GOAL` in the clone as root with a login-like clean environment.
# Prints "seconds status".
run_goal() {
    local goal=$1 log=$logs/make-$1.log t0 st
    say "make $goal (log, each line with the seconds since the start: $log)"
    t0=$(now)
    set +e
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    timeout "$limit" chroot "$root" /usr/bin/env -i HOME=/root PATH="$chroot_path" \
        LANG=C.UTF-8 TERM=dumb /bin/bash -c 'cd /root/hps && exec make "$1"' _ "$goal" \
        2>&1 | stamp "$log" "$t0"
    st=${PIPESTATUS[0]}
    set -e
    echo "$(elapsed "$t0" "$(now)") $st"
}

mkdir -p "$dir" "$logs"
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
    say "note: $repo has uncommitted changes; they are not part of this check"
boot_time="cached ($(date -r "$cache" '+%F %T' 2>/dev/null || true), took $(cat "$cache.seconds" 2>/dev/null || echo ?) s)"
if [ ! -s "$cache" ]; then
    bootstrap
    boot_time="$(cat "$cache.seconds") s"
fi
mkdir -p "$root"
t0=$(now)
tar -C "$root" --numeric-owner -xzpf "$cache"
unpack_time=$(elapsed "$t0" "$(now)")
mount_all
git clone --quiet --no-hardlinks "$repo" "$root/root/hps"
git -C "$root/root/hps" checkout --quiet --detach "$commit"

summary=$logs/summary.txt
{
    echo "date:      $(date '+%F %T %Z')"
    echo "host:      $(uname -n), $(nproc) cores, $(uname -r)"
    echo "repo:      $repo @ $(git -C "$repo" log -1 --format='%h %s' "$commit" | cut -c1-90)"
    echo "root:      Debian $(cat "$root/etc/debian_version") minbase + $newcomer"
    echo "bootstrap: $boot_time; unpack ${unpack_time} s"
} >"$summary"
failed=0
for goal in $order; do
    read -r secs st < <(run_goal "$goal")
    left=$(kill_chrooted "$root")
    line="make $goal: ${secs} s, exit $st"
    if [ "$goal" = check ]; then
        counts=$(sed -nE 's/^ *[0-9.]+ ([0-9]+ passed, [0-9]+ failed)$/\1/p' \
            "$logs/make-$goal.log" | tail -1)
        line+=", ${counts:-NO \"N passed, N failed\" line}"
        [ -n "$counts" ] || st=1
    fi
    [ -z "$left" ] || line+="; left running (killed): $(echo "$left" | tr '\n' ' ')"
    echo "$line" >>"$summary"
    [ "$st" -eq 0 ] || failed=1
done
missing=()
for t in "${tools[@]}"; do
    chroot "$root" /usr/bin/env -i PATH="$chroot_path" /bin/sh -c "command -v $t" >/dev/null ||
        missing+=("$t")
done
echo "missing after the run: ${missing[*]:-none} (checked: ${tools[*]})" >>"$summary"
echo "logs:      $logs" >>"$summary"
echo >&2
cat "$summary" >&2
if [ "$failed" -eq 0 ]; then say "PASS"; else say "FAIL"; fi
exit "$failed"
