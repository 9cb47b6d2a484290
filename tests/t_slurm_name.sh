# A worker started without --name inside a Slurm job is named from SLURM_* (what
# scripts/slurm/hps.sbatch relies on; the real Slurm run is `make check-slurm`): an srun
# task NODE-jJOB.STEP-tTASK, a process of the batch script NODE-jJOB-PID, outside Slurm
# HOST-PID as before, and --name always wins. The variables are set by hand here.
. "$(dirname "$0")/lib.sh"
DB=$TMP/sn.db
start_coord
write_study "$TMP/s.yaml" sn 8 "objective: {type: synthetic, function: sphere, sleep_ms: 20}"
# worker LOG ENV...: a worker with ENV and no other SLURM_* variable set.
worker() {
    local log=$1; shift
    start "$log" env -u SLURM_JOB_ID -u SLURM_STEP_ID -u SLURM_PROCID -u SLURMD_NODENAME \
        "$@" "$HPS" worker --connect "$ep"
}
worker task SLURM_JOB_ID=4211 SLURM_STEP_ID=0 SLURM_PROCID=3 SLURMD_NODENAME=n7
worker batch SLURM_JOB_ID=4211 SLURM_PROCID=0 SLURMD_NODENAME=n7
batch_pid=$LAST_PID
worker plain
plain_pid=$LAST_PID
start named env SLURM_JOB_ID=4211 SLURM_STEP_ID=0 SLURM_PROCID=4 SLURMD_NODENAME=n7 \
    "$HPS" worker --connect "$ep" --name mine
"$HPS" submit "$TMP/s.yaml" --to "$ep" >/dev/null
host=$(hostname)
# (env execs hps, so each worker's pid is the pid start recorded)
want=$(printf '%s\n' "$host-$plain_pid" mine "n7-j4211-$batch_pid" n7-j4211.0-t3 | LC_ALL=C sort)
wait_sql 30 "SELECT name FROM workers ORDER BY name" "$want"
wait_for 30 "st['studies'][0]['trials']['COMPLETE'] == 8"
echo "ok: workers named $(echo $want)"
