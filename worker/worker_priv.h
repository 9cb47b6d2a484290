/* worker_priv — the worker's state, shared by worker.c (the event loop) and
 * worker_setup.c (construction). Internal to worker/. */
#ifndef HPS_WORKER_PRIV_H
#define HPS_WORKER_PRIV_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/capable.h"
#include "core/proto.h"
#include "core/connwatch.h"
#include "worker/blobcache.h"
#include "worker/runner.h"
#include "worker/upload.h"
#include "worker/worker.h"

#define HELLO_RESEND_MS 1000
#define HELLO_RETRY_MS 100   /* after a failed send: the connection is not up yet */
#define LOCAL_RECONNECT_MS 5 /* first reconnect to a coordinator on this machine */
#define LOCAL_RECONNECT_MAX_MS 100 /* doubling up to this (zmq's usual interval) */
#define TELL_BACKOFF_MS 500
#define TELL_BACKOFF_MAX_MS 10000
#define BYE_GRACE_MS 10000
#define TICK_MS 100          /* longest sleep: bounds timer lateness */
#define REAP_TICK_MS 2       /* a child closed its socket; its exit is imminent */
#define SILENCE_WARN_MS 5000 /* no WELCOME for this long: say so (wrong endpoint or keys) */
#define SILENCE_REPEAT_MS 30000 /* and again this often, while it lasts */
#define REDIAL_MS 5000       /* after a failed handshake, connect again this often */
/* The link to the coordinator. A stalled coordinator's host still acknowledges what
 * we send (TCP), a dead link does not: data left unacknowledged for LINK_DEAD_MS closes
 * the connection (TCP_USER_TIMEOUT through ZMQ_TCP_MAXRT; heartbeats keep some in
 * flight), and ZeroMQ connects anew. A TCP connect gives up after LINK_DEAD_MS / 3 and is
 * tried again, so that a fresh SYN goes out twice a second while a partition lasts
 * instead of backing off to seconds. (Links slower than that per round trip cannot
 * connect: `hps worker --link-timeout-ms` raises both, the connect to a third.) */
#define LINK_DEAD_MS 1500

#define WORKER_MAX_GPUS 64  /* device ids of --gpus (a bit mask per trial) */
#define PREFETCH_BELOW_MS 1000 /* prefetch only while trials take less than this */

/* BLOB: waiting for its dataset; QUEUED: prefetched, waiting for a free slot. */
typedef enum { TASK_BLOB, TASK_QUEUED, TASK_RUNNING } task_phase_t;

/* A leased trial. */
typedef struct task_s {
    proto_msg_t *trial;      /* the TRIAL message; owned */
    long id;
    int attempt;
    task_phase_t phase;
    const char *sha;         /* dataset, borrowed from trial; "" = none */
    const char *code;        /* packed `code:`, borrowed from trial; "" = none */
    char *code_dir;          /* code unpacked (worker/codedir.h), once fetched; owned */
    runner_t *runner;        /* TASK_RUNNING; owned */
    proto_msg_t *result;     /* the child's TELL once sent; owned */
    bool report_pending;     /* a REPORT awaits the coordinator's CONTINUE/PRUNE */
    int64_t report_at;       /* when it was forwarded */
    bool cancelled;          /* lease lost: killed, no TELL */
    bool timed_out;          /* ran past the study's trial_timeout: killed, FAIL */
    char *artifact_dir;      /* a final refit's private folder (upload.h); owned */
    int slot;                /* HPS_SLOT while it runs; -1 before (slots.c) */
    uint64_t gpu_mask;       /* GPU devices it holds: bits into worker_t.gpus */
    struct task_s *next;
} task_t;

/* A TELL awaiting its ACK. */
typedef struct tell_s {
    long trial;
    int attempt;
    char *buf;               /* encoded message; owned */
    size_t len;
    int64_t next_at;         /* next (re)send */
    int backoff_ms;
    struct tell_s *next;
} tell_t;

typedef struct {
    const worker_opts_t *opts;
    cmdpolicy_t policy;      /* from opts; trial processes check commands against it */
    int slots;
    char name[256];
    char *cache_dir;         /* owned */
    zsock_t *sock;
    blobcache_t *blobs;
    connwatch_t *watch;      /* why the connection does not come up (core/connwatch.h) */
    bool welcomed;           /* WELCOME received since the last HELLO */
    int64_t hello_at;        /* last HELLO attempt; 0 = send now */
    int64_t unwelcome_since; /* first HELLO of the current attempt to join */
    int64_t warned_at;       /* last "no answer" warning */
    int64_t redialed_at;     /* last connect again after a failed handshake */
    bool hello_failed;       /* that send failed */
    int heartbeat_ms, lease_ms;
    int64_t hb_at;           /* last HEARTBEAT; 0 = send now */
    bool asking;             /* an ASK is outstanding */
    int64_t ask_at, wait_until;
    bool draining;           /* BYE or max_trials reached: take no more trials */
    int64_t bye_deadline;    /* 0 = none */
    int started;             /* trials taken, for max_trials */
    int n_tasks;             /* leased tasks (cancelled ones count until reaped) */
    bool short_trials;       /* the last trial took < PREFETCH_BELOW_MS: prefetch */
    task_t *tasks;
    tell_t *tells;
    upload_t *uploads;       /* final refits' artifacts on their way; their TELLs wait */
    runner_t **idle;         /* idle trial processes, at most `slots`; owned */
    int n_idle;
    capable_t caps;          /* what HELLO says it can run (slots.c) */
    char *gpus[WORKER_MAX_GPUS]; /* device ids (--gpus); owned */
    int n_gpus;
    uint64_t gpu_used;       /* devices held by running trials */
    unsigned char *slot_used; /* per slot: a running trial holds it; owned */
} worker_t;

int worker__init(worker_t *w, const worker_opts_t *opts, char *err);
/* slots.c: capabilities from opts (0, or -1 with err on a bad --resources, --labels or
 * --gpus); freed by worker__caps_fini. */
int worker__caps_init(worker_t *w, char *err);
void worker__caps_fini(worker_t *w);
/* A slot and the GPUs task's trial asks for (its TRIAL's gpus): 1 taken, 0 none free
 * now (it waits), -1 with err when this worker can never give them. */
int worker__slot_claim(worker_t *w, task_t *t, char *err);
/* Give back what task holds (nothing: a no-op). Can't fail. */
void worker__slot_release(worker_t *w, task_t *t);
/* The trial's environment, "NAME=VALUE" into env (caller frees each): HPS_SLOT, and
 * CUDA_VISIBLE_DEVICES on a worker with GPUs. Returns how many. Can't fail. */
int worker__slot_env(const worker_t *w, const task_t *t, char *env[2]);
/* Kills and reaps every trial, frees everything. */
void worker__fini(worker_t *w);
void worker__task_remove(worker_t *w, task_t *task);
/* worker_upload.c: a finished final refit's TELL goes out now or after its artifact
 * (taken); PUT_ACK, ERROR naming a blob, lease loss, and the PUTs due. */
void worker__tell_artifact(worker_t *w, task_t *task, proto_msg_t **tell_p);
void worker__on_put_ack(worker_t *w, const proto_msg_t *m);
bool worker__upload_error(worker_t *w, const char *sha, const char *msg);
bool worker__upload_cancel(worker_t *w, long trial, int attempt);
void worker__uploads_due(worker_t *w, int64_t now);
void worker__uploads_free(worker_t *w);
/* worker.c */
void worker__queue_tell(worker_t *w, proto_msg_t **tell_p);
int worker__send(worker_t *w, proto_msg_t **m_p);
/* Say HELLO (and, while no WELCOME comes, why: at once for a refused handshake, every
 * SILENCE_REPEAT_MS for silence). worker_setup.c */
void worker__send_hello(worker_t *w, int64_t now);

#endif
