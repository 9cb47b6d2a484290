/* coord_priv — what coord.c, coord_workers.c and coord_test.c share: the coordinator's
 * state, the per-message context and the reply helpers. Internal to coordinator/. */
#ifndef HPS_COORD_PRIV_H
#define HPS_COORD_PRIV_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "coordinator/coord.h"
#include "coordinator/dblock.h"
#include "coordinator/fdcap.h"
#include "coordinator/guard.h"
#include "coordinator/schedule.h"
#include "core/capable.h"
#include "core/proto.h"
#include "core/store.h"

typedef struct {
    char *name;        /* owned */
    int slots;
    int prefetch;      /* leases it may hold beyond its slots (short trials) */
    int64_t last_seen; /* now_ms() of the last message */
    int64_t flushed;   /* the last_seen written to the file */
    bool byed;         /* told BYE (embedded run is over) */
    long pid;          /* as its HELLO said */
    char key[64];      /* CURVE key it said HELLO with; "" on plain */
    capable_t caps;    /* what it can run, as its HELLO said (core/capable.h) */
} worker_rec_t;

struct coord_s {
    coord_opts_t opts;
    char *endpoint;          /* owned */
    char *blob_dir;          /* owned */
    dblock_t *lock; /* one coordinator per database */
    store_t *store;
    sched_t *sched;
    zsock_t *sock;
    zactor_t *auth;          /* zauth when CURVE is on */
    zcertstore_t *submitters; /* keys allowed to SUBMIT/STOP under CURVE */
    zhashx_t *workers;       /* routing id (hex) -> worker_rec_t */
    int64_t idle_since;      /* exit_when_done: when everything became done */
    int64_t heard_flushed_at; /* now_ms() of the last write of last_seen times */
    long n_msgs;             /* messages handled, for the per-message cost */
    zlistx_t *outbox;        /* replies held until their batch commits; NULL outside */
    int64_t ticked_at;       /* now_ms() of the last tick */
    int64_t hold_expiry;     /* no lease expires before this now_ms() (after a stall) */
    guard_t *guard;          /* per-peer budgets, STATUS cache */
    fdcap_t *fdcap;          /* connections under the open-file limit; NULL = none */
    int64_t waiting_at;      /* now_ms() of the last look for studies no worker can run */
    char *waiting_logged;    /* what that look logged; owned */
    bool added_work;         /* this batch added trials: idle workers are woken */
};

#define COORD_WAITING_LOG_MS 5000 /* how often to look (and log any change) */

typedef struct {
    coord_t *self;
    zframe_t *route;
    proto_msg_t *msg;
    const char *user_id;     /* CURVE public key of the sender, or "" */
    worker_rec_t *worker;    /* the sender, when a known worker */
} ctx_t;

/* Reply to the sender; inside a batch the reply waits for the commit. Takes *m. */
void coord__send(ctx_t *c, proto_msg_t **m);
/* Answer ERROR {msg} and log it; answering a TELL, also {re: TELL, trial, attempt}. */
void coord__error(ctx_t *c, const char *msg);
/* Answer a message with no fields (RESET, BYE, ACK...). */
void coord__simple(ctx_t *c, const char *type);
/* The result a TELL carries: 0 with r, trial and attempt filled (borrowed from msg), or
 * -1 with err. */
int coord__tell_result(const proto_msg_t *msg, store_result_t *r, int64_t *trial,
                       int *attempt, char *err);

/* Whether the sender may submit (SUBMIT, RESUME, PUT, STOP, ENQUEUE); else answered. */
bool coord__may_submit(ctx_t *c);
/* An ERROR that says whether the request itself was bad (the client exits 2). */
void coord__error_bad(ctx_t *c, const char *msg, bool bad);
/* ENQUEUE {study, points, where} (coord_enqueue.c). */
void coord__on_enqueue(ctx_t *c);

/* coord_workers.c */
void coord__worker_free(void **item);
/* The worker behind this route, or NULL after answering RESET. */
worker_rec_t *coord__worker(ctx_t *c);
/* Write the last_seen times that moved since their last write. */
void coord__flush_heard(coord_t *self);
void coord__on_hello(ctx_t *c);
void coord__on_heartbeat(ctx_t *c);
/* The running studies that have trials to hand out and no live worker able to run any
 * (only study, when not NULL): a line "study S: waiting: no capable worker (why)" each
 * appended to text, and {"study", "waiting", "why"} items (comma-separated, no
 * brackets) to json. Can't fail. */
void coord__waiting(coord_t *self, const char *study, strbuf_t *text, strbuf_t *json);
/* Log the waiting studies when they changed since the last call (each line once). */
void coord__log_waiting(coord_t *self, int64_t now);
/* coord_clients.c: SUBMIT, RESUME, STATUS and STOP. */
void coord__on_submit(ctx_t *c);
void coord__on_resume(ctx_t *c);
void coord__on_status(ctx_t *c);
void coord__on_stop(ctx_t *c);
/* Whether a TELL/REPORT for (trial, attempt) comes from its lease holder; false when
 * refused (answered and logged). running: the attempt must be running now and held by
 * the sender (a model upload: PUT with a trial), not merely not another's. */
bool coord__from_holder(ctx_t *c, int64_t trial, int64_t attempt, bool running);

/* coord_tell.c: a TELL that names a model file (a final refit's artifact, uploaded
 * before by PUT). Before it is recorded: a COMPLETE whose blob is not here, whole and
 * verified, becomes a FAIL. After: the model version is registered in the same batch
 * (idempotent; nothing for a TELL without an artifact or not COMPLETE; for a repeated
 * TELL, !recorded, only from the worker that ran the trial). 0 or -1 with err (then no
 * ACK: the worker sends the TELL again). */
void coord__tell_artifact(ctx_t *c, store_result_t *r);
int coord__register_artifact(ctx_t *c, int64_t trial, const store_result_t *r, bool recorded,
                             char *err);

#endif
