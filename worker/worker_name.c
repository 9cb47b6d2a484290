/* worker_name — default worker names, from the host and pid or from Slurm's variables
 * (see worker_name.h for the forms and why). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "worker/worker_name.h"

#define NODE_MAX 40 /* bytes of the node part; ids are cut at 20 (any 64-bit number), so a
                    * name is at most 40 + 4 * 20 + 7 = 127 bytes (LIMITS_NAME_MAX 128) */
#define ID_MAX 20

worker_slurm_t worker_slurm_from_env(void)
{
    return (worker_slurm_t){.job = getenv("SLURM_JOB_ID"),
                            .step = getenv("SLURM_STEP_ID"),
                            .procid = getenv("SLURM_PROCID"),
                            .node = getenv("SLURMD_NODENAME"),
                            .restart = getenv("SLURM_RESTART_COUNT")};
}

/* Copy at most max bytes of src into dst (room for max + 1), each byte outside
 * [A-Za-z0-9._-] as '_'; an empty or NULL src gives "_". */
static void s_clean(char *dst, const char *src, size_t max)
{
    size_t n = 0;
    for (; src && src[n] && n < max; n++) {
        unsigned char ch = (unsigned char)src[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        dst[n] = ok ? (char)ch : '_';
    }
    if (n == 0)
        dst[n++] = '_';
    dst[n] = '\0';
}

void worker_name_default(char *out, size_t size, const char *host, long pid,
                         const worker_slurm_t *slurm)
{
    assert(out && size > LIMITS_NAME_MAX && host);
    if (!slurm || !slurm->job || !slurm->job[0]) {
        snprintf(out, size, "%s-%ld", host, pid);
        return;
    }
    char node[NODE_MAX + 1], job[ID_MAX + 1], step[ID_MAX + 1], proc[ID_MAX + 1];
    s_clean(node, slurm->node && slurm->node[0] ? slurm->node : host, NODE_MAX);
    s_clean(job, slurm->job, ID_MAX);
    if (slurm->step && slurm->step[0] && slurm->procid && slurm->procid[0]) {
        s_clean(step, slurm->step, ID_MAX);
        s_clean(proc, slurm->procid, ID_MAX);
        int n = snprintf(out, size, "%s-j%s.%s-t%s", node, job, step, proc);
        const char *r = slurm->restart;
        if (r && r[0] && strspn(r, "0") < strlen(r)) { /* a requeue: not "0" */
            char restart[ID_MAX + 1];
            s_clean(restart, r, ID_MAX);
            snprintf(out + n, size - (size_t)n, "-r%s", restart);
        }
    } else
        snprintf(out, size, "%s-j%s-%ld", node, job, pid);
}

void worker_name_test(bool verbose)
{
    (void)verbose;
    char name[256];
    worker_name_default(name, sizeof name, "box", 42, NULL);
    assert(strcmp(name, "box-42") == 0);
    /* A Slurm variable without a job id is not a Slurm job. */
    worker_slurm_t s = {.node = "n1", .procid = "0"};
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "box-42") == 0);
    /* An srun task: node, job, step and task, no pid (stable across a restart). */
    s = (worker_slurm_t){.job = "4211", .step = "0", .procid = "3", .node = "n7"};
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "n7-j4211.0-t3") == 0);
    /* A requeued job keeps its id: the restart count keeps its names new. */
    s.restart = "0";
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "n7-j4211.0-t3") == 0);
    s.restart = "2";
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "n7-j4211.0-t3-r2") == 0);
    s.restart = NULL;
    /* The batch script (no step): every process there has SLURM_PROCID 0, so the pid. */
    s.step = NULL;
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "n7-j4211-42") == 0);
    /* No SLURMD_NODENAME: the host name. */
    s = (worker_slurm_t){.job = "9", .step = "1", .procid = "0"};
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strcmp(name, "box-j9.1-t0") == 0);
    /* Whatever the environment holds, the name is a valid worker name. */
    char longnode[300];
    memset(longnode, 'x', sizeof longnode - 1);
    longnode[sizeof longnode - 1] = '\0';
    longnode[3] = '\n';
    s = (worker_slurm_t){.job = "1 2;\x1b[31m", .step = "", .procid = "7", .node = longnode};
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strncmp(name, "xxx_xxx", 7) == 0);
    assert(strstr(name, "-j1_2___31m-42") != NULL);
    assert(limits_name_problem(name, LIMITS_NAME_MAX) == NULL);
    s = (worker_slurm_t){.job = "12345678901234567890123", .step = "99999999999999999999999",
                         .procid = "-99999999999999999999999", .node = longnode,
                         .restart = longnode};
    worker_name_default(name, sizeof name, "box", 42, &s);
    assert(strlen(name) == NODE_MAX + 4 * ID_MAX + 7);
    assert(limits_name_problem(name, LIMITS_NAME_MAX) == NULL);
}
