/* wname — who may use a worker name: the rule a HELLO is judged by (issue 12, item 4).
 *
 * A worker's name is what its leases are held under, so a name must not change hands
 * while the worker behind it is alive. Under CURVE a name is bound to the key that
 * said HELLO with it first, kept in the study file (workers.key) across coordinator
 * restarts until the name's row is forgotten after an hour of silence
 * (GUARD_WORKER_FORGET_S); on plain loopback to the first live connection: a HELLO
 * from another process under the name of a worker heard from within its lease, whose
 * process is still alive on this host, is refused.
 * A restart under the same name (another pid) releases the old process's leases at
 * once only when the old one is gone (not heard from within the lease, or its pid is
 * dead: a killed worker's connection is closed) or, under CURVE, the HELLO comes with
 * the name's key. The caller gathers the facts; this module decides. */
#ifndef HPS_WNAME_H
#define HPS_WNAME_H

#include <stdbool.h>

/* What the coordinator knows of the name a HELLO claims. */
typedef struct {
    bool known;        /* a connected worker holds the name (said HELLO with it) */
    const char *key;   /* its CURVE key ("" on plain) */
    long pid;          /* the pid it said HELLO with; 0 = unknown */
    bool live;         /* heard from within its lease */
    long stored_pid;   /* not known: the pid the file last saw under the name; 0 = none */
    const char *stored_key; /* not known: the CURVE key the file binds the name to (kept
                               across restarts); NULL or "" = none */
} wname_holder_t;

enum {
    WNAME_ACCEPT = 0,  /* the same worker (or a new name): leases stay */
    WNAME_RESTART = 1, /* a new process of the same worker: the old one's leases go back */
    WNAME_REFUSE = 2,  /* not the name's worker: answer ERROR, change nothing */
};

/* Judge a HELLO from (key, pid) under a name whose holder is h, on a CURVE socket or
 * not. WNAME_REFUSE fills why. This function can't fail. */
int wname_decide(const wname_holder_t *h, bool curve, const char *key, long pid, char *why);

/* Whether process pid exists on this host and is not a zombie (kill(pid, 0) and
 * /proc/pid/stat). False for pid <= 0. This function can't fail. */
bool wname_pid_alive(long pid);

void wname_test(bool verbose);

#endif
