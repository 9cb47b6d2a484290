/* cluster_ssh — child processes for `hps cluster`: ssh and scp (OpenSSH's own clients;
 * hps speaks no ssh itself), and this hps binary for keygen, status and submit.
 *
 * A job is started with its stdout and stderr on pipes and finished by reading both to
 * the end and reaping it, so many hosts can be worked on at once: start one job per
 * host, then finish each. ssh always runs with BatchMode (a password or host-key prompt
 * fails at once instead of waiting on a terminal) and a connect timeout. */
#ifndef HPS_CLI_CLUSTER_SSH_H
#define HPS_CLI_CLUSTER_SSH_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/cluster_hosts.h"

typedef struct {
    const char *config;   /* ssh -F FILE; NULL: the user's own */
    long connect_timeout; /* seconds */
} cluster_ssh_opts_t;

typedef struct {
    pid_t pid;          /* 0: not started */
    int out_fd, err_fd; /* read ends */
    char *out, *err;    /* after cluster_job_finish: all it printed (owned) */
    int status;         /* after cluster_job_finish: exit code, 128+N for signal N */
} cluster_job_t;

/* Run argv (argv[0] looked up in PATH) with stdin from /dev/null. 0, or -1 with err
 * (fork, pipe). */
int cluster_job_start(cluster_job_t *job, char *const *argv, char *err);
/* Read the job's output to the end and reap it: job->out, job->err, job->status. A job
 * never started gets status 127 and empty output. */
void cluster_job_finish(cluster_job_t *job);
void cluster_job_free(cluster_job_t *job);

/* ssh to host h running cmd (a string for its login shell) as a started job. */
int cluster_ssh_start(cluster_job_t *job, const cluster_ssh_opts_t *o, const cluster_host_t *h,
                      const char *cmd, char *err);
/* scp -r the n paths srcs to directory dest (relative: to the login's home) on h. */
int cluster_scp_start(cluster_job_t *job, const cluster_ssh_opts_t *o, const cluster_host_t *h,
                      char *const *srcs, int n, const char *dest, char *err);

/* Free a NULL-terminated argv of owned strings. */
void cluster_argv_free(char **argv);

/* s as one word for sh: in single quotes, with each ' as '\''. Caller frees. */
char *cluster_shq(const char *s);
/* The last non-empty line of text, trimmed (into buf); "" when none. For messages. */
void cluster_last_line(const char *text, char *buf, size_t len);

void cluster_ssh_test(bool verbose);

#endif
