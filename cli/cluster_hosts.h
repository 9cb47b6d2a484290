/* cluster_hosts — the hosts file of `hps cluster up` and the state file it leaves for
 * `hps cluster down` and `hps cluster status`.
 *
 * Both are lines of words: a host name followed by key=value options (and the bare
 * word `coordinator`), `#` to the end of a line is a comment. The state file is the
 * hosts file again with what was resolved and started on each host (its directory, its
 * hps, the pids), so down and status need nothing else. Names are restricted to
 * letters, digits, '.', '_' and '-' (first a letter or digit): they become file names
 * here and there and words of remote shell commands, and never look like an option. */
#ifndef HPS_CLI_CLUSTER_HOSTS_H
#define HPS_CLI_CLUSTER_HOSTS_H

#include <stdbool.h>
#include <stdio.h>

#define CLUSTER_MAX_WORKERS 256 /* worker processes per host */

typedef struct {
    char *name;       /* ssh destination, as written */
    char *user;       /* user=; NULL: ssh's default */
    long port;        /* port= of sshd; 0: ssh's default */
    long workers;     /* workers=: worker processes (default 1; 0 with coordinator) */
    long slots;       /* slots=: slots of each worker (default 1) */
    bool coordinator; /* the coordinator runs here */
    char *addr;       /* addr=: how workers reach a coordinator here (default name) */
    char *hps;        /* hps=: the hps to run there; NULL: found or copied by up */
    char *dir;        /* state: its directory there (relative: to the login's home) */
    long coord_pid;   /* state: the coordinator's pid; 0 none */
    long *pids;       /* state: worker i+1's pid (workers entries; 0 = not started) */
    int line;         /* in the file it came from */
} cluster_host_t;

typedef struct {
    cluster_host_t *hosts;
    int n;
    char *endpoint;   /* state: the coordinator's endpoint for workers and clients */
    long local_pid;   /* state: a coordinator on this machine; 0 none */
    char *ssh_config; /* state: the ssh -F file up used; NULL none */
} cluster_t;

/* Parse a hosts file (state: a state file, which may say more). Every error is printed
 * as "FILE:LINE: ..." on stderr. 0 with *c filled, or -1 (bad input or no such file,
 * exit 2) / -2 (the file cannot be read, exit 1). */
int cluster_load(const char *path, bool state, cluster_t *c);
/* Write c as a state file (atomically); -1 with err. */
int cluster_save(const char *path, const cluster_t *c, char *err);
void cluster_free(cluster_t *c);

/* A word of the allowed characters (see the header comment). */
bool cluster_name_ok(const char *s);
/* The host's index of the coordinator, or -1 (on this machine). */
int cluster_coord_host(const cluster_t *c);
/* Worker i (1-based) of host h is named "HOST-i": into buf. */
void cluster_worker_name(const cluster_host_t *h, int i, char *buf, size_t len);

void cluster_hosts_test(bool verbose);

#endif
