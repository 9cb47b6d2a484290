#!/usr/bin/env bash
# check_slurm — `make check-slurm` (not part of `make check`; root): scripts/slurm/hps.sbatch
# on a real Slurm. The test starts a single-host Slurm of its own: munged with a fresh key
# and its socket in a temp dir, slurmctld and one slurmd per node name (hpsn1..3, one
# host, a port each) with a slurm.conf there (SLURM_CONF; AuthInfo points Slurm at that
# munge socket, so /etc/munge and /etc/slurm are not used). Three jobs, one after another:
#   1. sbatch -N 3, keys made by the job: coordinator on hpsn1, srun workers on hpsn2 and
#      hpsn3, a 24-trial logreg study on the reviews with its refit;
#   2. sbatch -N 1 --cpus-per-task=2 with HPS_KEYS (a shared key folder) into the same
#      database: the worker beside the coordinator, 2 slots, a rigorous (5-fold) study;
#   3. a slow study cancelled with scancel while a trial runs.
# Checked: the job's end state; every search trial and the refit COMPLETE, each with
# exactly one accepted TELL (sqlite3 on the database); the workers named from Slurm; the
# leaderboard in the job output (both studies after job 2); no process of any job left
# and the keys copied to the nodes removed. Every daemon (and anything the jobs started)
# is stopped on every exit path. Ends "3 passed, 0 failed" or with FAIL: and the logs.
# Env: HPS (the binary), CHECK_SLURM_TRIALS (default 24), CHECK_SLURM_SECS (job deadline,
# default 240), CHECK_SLURM_KEEP=1 (keep the temp dir).
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${HPS:=$root/hps}"
export HPS
[ "$(id -u)" = 0 ] || { echo "check-slurm: run as root (slurmd starts jobs as their user)" >&2; exit 2; }
for c in munged munge slurmctld slurmd sbatch squeue scontrol sinfo scancel sqlite3 python3; do
    command -v "$c" >/dev/null || { echo "check-slurm: no $c (scripts/deps.sh --slurm)" >&2; exit 2; }
done
. "$here/lib.sh"
n_trials=${CHECK_SLURM_TRIALS:-24}
deadline_secs=${CHECK_SLURM_SECS:-240}
study=slurm-reviews
nodes=(hpsn1 hpsn2 hpsn3)
chmod 755 "$TMP" # munged wants its socket's folder open to all (the key stays private)
M=$TMP/munge
mkdir -p "$M" "$TMP/key" "$TMP/state" "$TMP/log" "$TMP/job" "$TMP/jobtmp" "$TMP/nodetmp"
for n in "${nodes[@]}"; do mkdir -p "$TMP/spool/$n"; done
chmod 700 "$TMP/key"
export SLURM_CONF=$TMP/slurm.conf
# Every daemon and the job get this in their environment (the job through sbatch's
# --export=ALL, slurmstepd from slurmd), and this shell does not: it finds them all.
mark=HPS_CHECK_SLURM=$TMP

# --- teardown, on every exit path ------------------------------------------------------
pid_of() { [ -s "$1" ] && cat "$1"; }
# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
    local i
    [ -n "$1" ] && kill -TERM "$1" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
# Processes started by this test: those with $mark in their environment.
ours() {
    local p
    for p in /proc/[0-9]*; do
        grep -zqxF "$mark" "$p/environ" 2>/dev/null && echo "${p#/proc/}"
    done
    return 0
}
teardown() {
    set +e
    if [ -n "$(pid_of "$TMP/slurmctld.pid")" ]; then
        scancel --quiet --user=root --full 2>/dev/null
        local i
        for ((i = 0; i < 100; i++)); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
    for n in "${nodes[@]}"; do stop_pid "$(pid_of "$TMP/slurmd-$n.pid")"; done
    stop_pid "$(pid_of "$TMP/slurmctld.pid")"
    stop_pid "$(pid_of "$M/munged.pid")"
    local left
    left=$(ours)
    if [ -n "$left" ]; then
        echo "check-slurm: killing what is left:" $left >&2
        # shellcheck disable=SC2086 # a list of pids
        kill -KILL $left 2>/dev/null
    fi
    [ "${CHECK_SLURM_KEEP:-0}" = 1 ] && { echo "kept $TMP" >&2; TMP=/nonexistent; }
    cleanup
}
trap teardown EXIT
diagnose() {
    local f
    for f in "$TMP"/log/* "$TMP"/job-*.out "$TMP"/job/*.log "$M/munged.log"; do
        [ -s "$f" ] && { echo "--- $f"; tail -25 "$f"; }
    done >&2
}
fail() { echo "FAIL: $*" >&2; diagnose; exit 1; }

# --- munge and Slurm -------------------------------------------------------------------
head -c 1024 /dev/urandom >"$TMP/key/munge.key"
chmod 400 "$TMP/key/munge.key"
env "$mark" munged --key-file="$TMP/key/munge.key" --socket="$M/munge.sock" --pid-file="$M/munged.pid" \
    --log-file="$M/munged.log" --seed-file="$M/munged.seed" || fail "munged did not start"
munge -S "$M/munge.sock" -n </dev/null | unmunge -S "$M/munge.sock" >/dev/null ||
    fail "munge credential round trip through $M/munge.sock failed"

host=$(hostname -s)
{
    echo "ClusterName=hpscheck"
    echo "SlurmctldHost=$host"
    echo "SlurmctldPort=$(free_port)"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "AuthInfo=socket=$M/munge.sock"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "StateSaveLocation=$TMP/state"
    echo "SlurmdSpoolDir=$TMP/spool/%n"
    echo "SlurmctldPidFile=$TMP/slurmctld.pid"
    echo "SlurmdPidFile=$TMP/slurmd-%n.pid"
    echo "SlurmctldLogFile=$TMP/log/slurmctld.log"
    echo "SlurmdLogFile=$TMP/log/slurmd-%n.log"
    echo "ProctrackType=proctrack/pgid"
    echo "TaskPlugin=task/none"
    echo "SwitchType=switch/none"
    echo "MpiDefault=none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "JobCompType=jobcomp/none"
    echo "SchedulerType=sched/builtin"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_CPU"
    echo "ReturnToService=2"
    echo "KillWait=5"
    # One host, several nodes: each slurmd (-N NAME) on its own port. The CPUs are the
    # host's own, so no node is drained for having fewer than configured.
    for n in "${nodes[@]}"; do
        echo "NodeName=$n NodeHostname=$host NodeAddr=127.0.0.1 Port=$(free_port) CPUs=$(nproc)"
    done
    echo "PartitionName=hpscheck Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
} >"$SLURM_CONF"
env "$mark" slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
for n in "${nodes[@]}"; do env "$mark" slurmd -N "$n" -f "$SLURM_CONF" || fail "slurmd -N $n did not start"; done
end=$(( $(date +%s) + 60 ))
until [ "$(sinfo -h -o '%t %D' 2>/dev/null)" = "idle ${#nodes[@]}" ]; do
    [ "$(date +%s)" -lt "$end" ] || fail "nodes not idle after 60 s: $(sinfo 2>&1)"
    sleep 0.2
done
echo "slurm up: $(sinfo -h -o '%P %t %D %N')"

# --- the launcher ----------------------------------------------------------------------
cd "$root" || fail "cannot enter $root"
DB=$TMP/job/hps.db
q() { sqlite3 -batch "$DB" "$1"; }
# submit_job SBATCH-FLAGS... -- LAUNCHER-ARGS...: sbatch the launcher (with the HPS_* and
# TMPDIR settings in the environment); sets $job. wait_job: wait until $job has left the
# queue; sets $secs (sbatch to the job's end) and $out (its output file).
# job_state STATE EXITCODE: the ended job $job has them. run_job: all three, for a job
# that must end COMPLETED with exit 0.
submit_job() {
    local flags=()
    while [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    t0=$(date +%s%N)
    job=$(env "$mark" HPS_DIR="$TMP/job" HPS_DB="$DB" HPS_STATUS_EVERY=5 TMPDIR="$TMP/jobtmp" \
        HPS_NODE_TMP="$TMP/nodetmp" sbatch --parsable --time=10 -o "$TMP/job-%j.out" \
        "${flags[@]}" scripts/slurm/hps.sbatch "$@") || fail "sbatch refused the launcher"
    echo "submitted job $job: sbatch ${flags[*]} hps.sbatch $*"
}
wait_job() {
    local end=$(( $(date +%s) + deadline_secs ))
    while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "job $job still in the queue after $deadline_secs s"
        sleep 0.2
    done
    secs=$(printf %.1f "$(( ($(date +%s%N) - t0) / 1000000 ))e-3")
    out=$TMP/job-$job.out
}
job_state() {
    local info
    info=$(scontrol show job "$job")
    echo "$info" | grep -Eq "JobState=$1( |$)" && echo "$info" | grep -Eq "ExitCode=$2( |$)" ||
        fail "job $job: $(echo "$info" | grep -o 'JobState=[^ ]*\|ExitCode=[^ ]*\|Reason=[^ ]*' | xargs), want $1 $2"
}
run_job() {
    submit_job "$@"
    wait_job
    job_state COMPLETED 0:0
}
# check_study STUDY N_TRIALS WORKER...: every search trial and the refit COMPLETE, each
# with exactly one accepted TELL, run only by the WORKERs (this job's: named from Slurm,
# no --name given), which are all the job's workers; the study done on the leaderboard
# in the job output. Sets $by_worker.
check_study() {
    local study=$1 n=$2 sid got bad want; shift 2
    sid=$(q "SELECT id FROM studies WHERE name = '$study'")
    [ -n "$sid" ] || fail "no study $study in $DB"
    got=$(q "SELECT count(*), count(DISTINCT number), min(number), max(number),
             sum(state = 'COMPLETE') FROM trials WHERE study_id = $sid AND kind = 'search'")
    [ "$got" = "$n|$n|0|$((n - 1))|$n" ] ||
        fail "$study: search trials (count|distinct|min|max|complete): $got, want $n, all COMPLETE"
    [ "$(q "SELECT state FROM trials WHERE study_id = $sid AND kind = 'final'")" = COMPLETE ] ||
        fail "$study: the final refit is not COMPLETE"
    got=$(q "SELECT count(*), count(DISTINCT t.trial_id), sum(t.state = 'COMPLETE') FROM tells t
             JOIN trials r ON r.id = t.trial_id WHERE r.study_id = $sid AND t.stale = 0")
    [ "$got" = "$((n + 1))|$((n + 1))|$((n + 1))" ] ||
        fail "$study: accepted TELLs (count|distinct trials|COMPLETE): $got, want $((n + 1)) each"
    want=$(printf '%s\n' "$@")
    got=$(q "SELECT name FROM workers WHERE name LIKE '%-j$job.%' OR name LIKE '%-j$job-%' ORDER BY name")
    [ "$got" = "$want" ] || fail "job $job's workers: $(echo $got), want $*"
    bad=$(q "SELECT count(*) FROM trials WHERE study_id = $sid
             AND worker NOT IN ($(printf "'%s'," "$@" | sed 's/,$//'))")
    [ "$bad" = 0 ] || fail "$study: $bad trials run by a worker not started by job $job"
    by_worker=$(q "SELECT worker || ':' || count(*) FROM trials WHERE study_id = $sid GROUP BY worker" | xargs)
    grep -q '^rank  *study' "$out" || fail "no leaderboard in the output of job $job"
    grep -Eq "^ *[0-9]+  +$study +accuracy +max +done " "$out" ||
        fail "the leaderboard of job $job lacks '$study ... done'"
}
# check_clean: no process of $job left, the keys copied to the nodes and the job's key
# folder removed.
check_clean() {
    local p end left
    end=$(( $(date +%s) + 15 ))
    for p in $(ours); do
        while grep -zqxF "SLURM_JOB_ID=$job" "/proc/$p/environ" 2>/dev/null; do
            [ "$(date +%s)" -lt "$end" ] ||
                fail "pid $p of job $job still runs: $(tr '\0' ' ' <"/proc/$p/cmdline")"
            sleep 0.2
        done
    done
    left=$(find "$TMP/jobtmp" "$TMP/nodetmp" -mindepth 1 | head -5)
    [ -z "$left" ] || fail "left behind by job $job: $left"
}

# 1. Three nodes, keys made by the job: the coordinator on hpsn1, workers on hpsn2, hpsn3.
HPS_SLOTS=2 run_job -N 3 -- configs/reviews.yaml study=slurm-reviews "n_trials=$n_trials"
check_study slurm-reviews "$n_trials" "hpsn2-j$job.0-t0" "hpsn3-j$job.0-t1"
check_clean
echo "--- job $job output"
cat "$out"
echo "---"
echo "check-slurm: job $job (3 nodes) COMPLETED; $n_trials/$n_trials search trials + the refit" \
    "COMPLETE, each once; by worker $by_worker; sbatch to job end ${secs} s"

# 2. One node with 2 CPUs for the task, keys from a shared folder, the same database: the
# worker beside the coordinator with a slot per CPU; both studies on the leaderboard.
mkdir -p "$TMP/shared-keys"
for k in coord worker; do "$HPS" keygen -o "$TMP/shared-keys" --name $k >/dev/null; done
HPS_KEYS=$TMP/shared-keys run_job -N 1 --cpus-per-task=2 -- \
    configs/reviews.yaml study=slurm-rigorous strategy=rigorous n_trials=10 pruner.type=none
check_study slurm-rigorous 10 "hpsn1-j$job.0-t0"
[ "$(q "SELECT count(*) FROM trials WHERE worker = 'hpsn1-j$job.0-t0' AND study_id =
       (SELECT id FROM studies WHERE name = 'slurm-reviews')")" = 0 ] ||
    fail "job $job ran trials of the finished study slurm-reviews"
[ "$(q "SELECT slots FROM workers WHERE name = 'hpsn1-j$job.0-t0'")" = 2 ] ||
    fail "the worker of job $job has not 2 slots"
grep -Eq "^ *[0-9]+  +slurm-reviews +accuracy +max +done " "$out" ||
    fail "job $job's leaderboard lacks the first study"
check_clean
[ "$(find "$TMP/shared-keys" -mindepth 1 | wc -l)" = 4 ] ||
    fail "files added to the shared key folder: $(ls "$TMP/shared-keys")"
echo "--- job $job output"
cat "$out"
echo "---"
echo "check-slurm: job $job (1 node, shared keys) COMPLETED; 10/10 rigorous search trials +" \
    "the refit COMPLETE, each once; by worker $by_worker; sbatch to job end ${secs} s"

# 3. scancel in the middle of a study (a time limit ends a job the same way): the
# launcher's trap and the workers' stop everything and remove the keys.
write_study "$TMP/slow.yaml" slurm-slow 200 \
    "objective: {type: synthetic, function: sphere, sleep_ms: 1000}"
submit_job -N 2 -- "$TMP/slow.yaml"
end=$(( $(date +%s) + deadline_secs ))
until [ "$(q "SELECT count(*) FROM trials WHERE state = 'RUNNING' AND worker = 'hpsn2-j$job.0-t0'" \
           2>/dev/null)" = 1 ]; do
    [ "$(date +%s)" -lt "$end" ] || fail "job $job: no trial running after $deadline_secs s"
    sleep 0.2
done
scancel "$job"
wait_job
job_state CANCELLED '[0-9]+:[0-9]+'  # the launcher's own exit 1 after its trap
check_clean
grep -q "signal: stopping" "$out" || fail "job $job's launcher did not stop on its signal"
echo "--- job $job output"
cat "$out"
echo "---"
echo "check-slurm: job $job cancelled while running a trial: nothing left; sbatch to job end ${secs} s"
echo "3 passed, 0 failed"
