/* cluster_priv — what cli/cluster.c (flags, keys, up/down/status) and cli/cluster_proc.c
 * (the processes: started, watched and stopped over ssh) share. */
#ifndef HPS_CLI_CLUSTER_PRIV_H
#define HPS_CLI_CLUSTER_PRIV_H

#include "cli/cluster_hosts.h"
#include "cli/cluster_ssh.h"

typedef struct {
    const char *cmd;        /* "up", "down", ...: for messages */
    const char *hosts;      /* --hosts FILE */
    const char *dir;        /* --dir: keys and state here (default hps-cluster) */
    const char *remote_dir; /* --remote-dir: each host's directory is this/HOST */
    const char *addr;       /* --addr: this machine for workers (a local coordinator) */
    const char *hps;        /* --hps: the hps to run on every host; NULL: find or copy */
    const char *db;         /* --db: the coordinator's study file (default hps.db) */
    long port;              /* --port of the coordinator */
    long wait_secs;         /* --wait: for the coordinator and the workers to answer */
    cluster_ssh_opts_t ssh; /* --ssh-config, --connect-timeout */
    char **wargs;           /* after --: passed to every worker */
    int n_wargs;
    char *self;  /* this hps (absolute; cluster_main's buffer) */
    char *state; /* DIR/state; owned */
    char *keys;  /* DIR/keys; owned */
} cluster_opts_t;

/* Run cmds[i] (NULL: none) over ssh on host i of c, all at once; jobs[i] are finished
 * (the caller frees them). Each failure is reported as "hps cluster CMD: host NAME
 * (FILE:LINE): what ssh or the command said"; returns how many failed. */
int cluster_ssh_all(const cluster_opts_t *o, const cluster_t *c, char **cmds, cluster_job_t *jobs);

/* Start the coordinator (on its host, or here when none is marked) and record its pid
 * in c; then the workers of every host. 0, or -1 after a message (what was started is
 * in c, for cluster_stop). */
int cluster_start_coord(const cluster_opts_t *o, cluster_t *c);
int cluster_start_workers(const cluster_opts_t *o, cluster_t *c);

/* Until the coordinator answers (and, with workers, every worker of c is connected to
 * it) or --wait seconds pass; the processes are checked on the way, and a dead one ends
 * the wait with its log's last lines. 0, or -1 after a message. */
int cluster_wait(const cluster_opts_t *o, const cluster_t *c, bool workers);

/* Each process of c: running or exited (printed as a table when print). 0 all running,
 * 1 some exited, -1 a host could not be asked. */
int cluster_check(const cluster_opts_t *o, const cluster_t *c, bool print);

/* Stop the workers (SIGTERM, SIGKILL after 10 s), then the coordinator; pids confirmed
 * stopped are set to 0 in c. 0, or -1 when a host could not be reached (named). */
int cluster_stop(const cluster_opts_t *o, cluster_t *c);

/* argv of `hps CMD --to EP --cert ... --server-key ...` with room for n more entries
 * (NULL-terminated after those); free with cluster_argv_free. */
char **cluster_client_argv(const cluster_opts_t *o, const cluster_t *c, const char *cmd, int n,
                           int *k);

#endif
