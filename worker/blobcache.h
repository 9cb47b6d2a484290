/* blobcache — the worker's content-addressed dataset cache and its chunked fetches.
 *
 * Layout under the cache directory: blobs/<sha256> (complete, verified files),
 * blobs/.<sha256>.<pid>.part (a fetch in progress) and features/ (objectives' own
 * cache of fitted transforms). Several workers may share one cache: each fetches into
 * its own part file and renames into place, so readers only ever see whole blobs.
 *
 * Fetches are a small state machine the worker drives from its event loop: want() a
 * blob, send the FETCH messages due() hands out, feed every CHUNK to chunk(). One chunk
 * is in flight per blob; a FETCH with no CHUNK for BLOB_RESEND_MS is handed out again.
 * A finished blob is hashed and rejected unless the hash matches its name. Internal to
 * worker/; does no I/O on sockets, so it is testable alone. */
#ifndef HPS_BLOBCACHE_H
#define HPS_BLOBCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/proto.h"

#define BLOB_RESEND_MS 2000
#define BLOB_MAX_ERRORS 3 /* ERROR answers to a blob's FETCHes before giving up */

enum { BLOB_FAILED = -1, BLOB_MORE = 0, BLOB_READY = 1 };

typedef struct blobcache_s blobcache_t;

/* Open (creating) dir/blobs and dir/features. NULL with err when they cannot be made. */
blobcache_t *blobcache_new(const char *dir, char *err);
/* Abandons fetches in progress (their part files are removed). */
void blobcache_destroy(blobcache_t **self_p);

const char *blobcache_features_dir(const blobcache_t *self);
/* Where blob sha lives once complete. Caller frees. */
char *blobcache_path(const blobcache_t *self, const char *sha);

/* Whether blob sha is cached. The first time in this process the file is hashed; a
 * file whose hash is wrong is deleted (so it gets fetched again) and reads as absent. */
bool blobcache_ready(blobcache_t *self, const char *sha);
/* Start fetching sha; nothing when a fetch of it is already going. */
void blobcache_want(blobcache_t *self, const char *sha);
/* The next FETCH to send at time now (monotonic ms), or NULL when none is due.
 * Call until NULL. Caller sends or destroys. */
proto_msg_t *blobcache_due(blobcache_t *self, int64_t now);
/* Take a CHUNK. BLOB_MORE: stored, or ignored as a duplicate/unknown chunk.
 * BLOB_READY: the blob is complete and verified. BLOB_FAILED: the fetch was abandoned
 * (bad chunk, write error, hash mismatch) with err. For READY and FAILED, sha_out
 * names the blob. */
int blobcache_chunk(blobcache_t *self, const proto_msg_t *chunk, char sha_out[65], char *err);
/* The fetch in progress whose sha256 appears in text (an ERROR reply names it), copied
 * to sha_out and abandoned: true. False when none matches. */
bool blobcache_fail_match(blobcache_t *self, const char *text, char sha_out[65]);
/* An ERROR naming blob sha answered its FETCH: asked again later, and after
 * BLOB_MAX_ERRORS such answers abandoned: true (err says why). False: retrying, or no
 * fetch of sha. */
bool blobcache_error(blobcache_t *self, const char *sha, const char *msg, int64_t now,
                     char *err);
int blobcache_pending(const blobcache_t *self); /* fetches in progress */

void blobcache_test(bool verbose);

#endif
