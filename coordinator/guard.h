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
 * that old; `hps status` is a view, not a barrier. */
#ifndef HPS_GUARD_H
#define HPS_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define GUARD_RATE 10.0             /* requests per second per peer, sustained */
#define GUARD_BURST 20.0            /* requests per peer at once */
#define GUARD_STATUS_CACHE_MS 500   /* how long a STATUS reply is served again */

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

void guard_test(bool verbose);

#endif
