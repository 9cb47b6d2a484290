/* guard — what keeps one peer from costing the coordinator much (issue 12, items 8-9).
 *
 * Requests that any connection may send and that cost the coordinator real work or a
 * large reply (STATUS, SUBMIT, STOP) take a token from a bucket per routing id: a peer
 * gets `burst` at once and `rate` per second after that; what is over budget is dropped
 * unanswered (a real client waits for its one reply and never comes near). Buckets that
 * are full again are forgotten by guard_sweep, so a flood of routing ids costs memory
 * only while it lasts.
 *
 * STATUS replies are also cached for GUARD_STATUS_CACHE_MS: many clients polling (or one
 * peer within its burst) cost one read of the file, not one each. A reply is at most
 * that old; `hps status` is a view, not a barrier.
 *
 * guard_tick sweeps what is left behind, and guard_socket sets the socket options that
 * bound what a peer can queue. */
#ifndef HPS_GUARD_H
#define HPS_GUARD_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/store.h"

#define GUARD_RATE 10.0             /* requests per second per peer, sustained */
#define GUARD_BURST 20.0            /* requests per peer at once */
#define GUARD_STATUS_CACHE_MS 500   /* how long a STATUS reply is served again */
#define GUARD_SWEEP_MS 60000        /* how often guard_tick sweeps */
#define GUARD_PART_MAX_AGE_S 600    /* an upload untouched this long is abandoned */
#define GUARD_WORKER_FORGET_S 3600  /* a worker row silent this long is deleted */

typedef struct guard_s guard_t;

/* Can't fail. */
guard_t *guard_new(double rate, double burst);
void guard_destroy(guard_t **self_p);

/* Whether peer (its routing id, as text) may make one more request at now (ms): takes a
 * token when it may; counts a drop when not. */
bool guard_take(guard_t *self, const char *peer, int64_t now);
/* Forget peers whose bucket has refilled. Returns the requests dropped since the last
 * sweep (for a log line) and zeroes that count. */
long guard_sweep(guard_t *self, int64_t now);

/* The STATUS reply cached for study key (NULL = all studies) when younger than
 * GUARD_STATUS_CACHE_MS: 0 with *json and *text (NULL when none) borrowed until the next
 * guard call, else -1. */
int guard_status_get(guard_t *self, const char *key, int64_t now, const char **json,
                     const char **text);
/* Remember a STATUS reply (copied) for key at now. */
void guard_status_put(guard_t *self, const char *key, const char *json, const char *text,
                      int64_t now);

/* Every GUARD_SWEEP_MS of now (ms; 0 = at once, at start): remove partial uploads of
 * blob_dir untouched for GUARD_PART_MAX_AGE_S, delete worker rows silent for
 * GUARD_WORKER_FORGET_S (a HELLO flood leaves thousands), forget idle peers' budgets.
 * Failures are logged: each is retried at the next sweep. */
void guard_tick(guard_t *self, store_t *store, const char *blob_dir, int64_t now);

/* The coordinator ROUTER's bounds: ZMQ_MAXMSGSIZE (proto_limit_socket); SNDHWM 1000 per
 * peer (a worker has a few replies in flight, a client one; a peer that does not read
 * loses what is over: ROUTER drops, never blocks); listen backlog 4096 (a burst of
 * connections waits in the kernel instead of being refused and retried); dead
 * connections found by TCP keepalive (idle 3 heartbeats, probes every heartbeat, 3
 * lost), not ZMTP heartbeats: libzmq cancels a connection's heartbeat timer by a
 * linear search over every timer of its I/O thread, which took 3/4 of the process
 * under 10,000 connections and starved the real workers. Can't fail. */
void guard_socket(zsock_t *sock, int heartbeat_ms);

void guard_test(bool verbose);

#endif
