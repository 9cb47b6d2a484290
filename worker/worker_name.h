/* worker_name — the name a worker takes when none is given (`hps worker` without
 * --name): HOST-PID, or, inside a Slurm job, a name built from the job.
 *
 * Under Slurm the names say where a worker runs in `hps status`, and they are unique
 * per job, step, task and requeue, with no pid to look up:
 *   - an srun task (SLURM_STEP_ID set): NODE-jJOB.STEP-tPROCID, e.g. n7-j4211.0-t3;
 *     SLURM_PROCID is unique within a step, the step within the job. A requeued job
 *     (SLURM_RESTART_COUNT N > 0) adds -rN: it keeps its job id, and its workers may
 *     hold new keys (hps.sbatch makes keys per run), while a name stays bound to the
 *     key that first used it (README, "A cluster walkthrough").
 *   - the batch script or an salloc shell (no step; every process there has
 *     SLURM_PROCID 0): NODE-jJOB-PID, so two workers started there stay apart.
 * NODE is SLURMD_NODENAME (the Slurm node, which need not be the host name: several
 * nodes may share one host) or else the host name. Every byte outside [A-Za-z0-9._-]
 * becomes '_' and each part is cut to a bounded length, so the result is a valid
 * worker name (core/limits.h) whatever the environment holds. */
#ifndef HPS_WORKER_NAME_H
#define HPS_WORKER_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* The Slurm variables the name is made of; NULL = unset. Borrowed strings. */
typedef struct {
    const char *job;    /* SLURM_JOB_ID */
    const char *step;   /* SLURM_STEP_ID (set in srun tasks only) */
    const char *procid; /* SLURM_PROCID */
    const char *node;   /* SLURMD_NODENAME */
    const char *restart; /* SLURM_RESTART_COUNT (set in a requeued job) */
} worker_slurm_t;

/* The variables from this process's environment (getenv: borrowed). Can't fail. */
worker_slurm_t worker_slurm_from_env(void);

/* Write the default worker name into out (size > LIMITS_NAME_MAX), from the host name, the
 * pid and the Slurm variables (slurm NULL, or no job id: HOST-PID). Can't fail. */
void worker_name_default(char *out, size_t size, const char *host, long pid,
                         const worker_slurm_t *slurm);

void worker_name_test(bool verbose);

#endif
