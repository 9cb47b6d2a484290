/* upload — a final refit's model artifact, from the worker to the coordinator.
 *
 * A final refit runs with a fresh private folder (0700, under the worker's cache:
 * artifacts/<trial>.<attempt>); a model objective writes its file there, a `command`
 * gets the folder as HPS_ARTIFACT_DIR. After the trial the folder must hold nothing
 * (no artifact) or exactly one regular file of at most the worker's
 * --max-artifact-mb: more files, a folder or a link in it, or a larger file fail the
 * trial with a message that says so (a model is one file; a program that makes
 * several packs them, e.g. as a tar).
 *
 * The file goes to the coordinator by sha256 in PUT chunks (the blob upload `hps
 * submit` uses, naming the trial and attempt: the coordinator takes it only from the
 * lease holder), one chunk in flight, resent when unanswered for UPLOAD_RESEND_MS; the
 * coordinator keeps a partial upload (<sha>.part) and answers each PUT with what it
 * holds, so an upload resumes where it stopped, across a coordinator restart too. The
 * trial's TELL is held until the coordinator holds the whole verified blob, and then
 * names it (artifact, artifact_name, artifact_size): the coordinator registers the
 * model version in the TELL's transaction, so no partial file is ever registered. A
 * worker killed mid-upload loses the lease; the final refit runs again.
 *
 * Like blobcache, a state machine without socket I/O, driven by the worker's loop.
 * Internal to worker/. */
#ifndef HPS_UPLOAD_H
#define HPS_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/proto.h"

#define UPLOAD_RESEND_MS 2000
#define UPLOAD_MAX_ERRORS 3     /* ERROR answers naming the blob before giving up */
#define UPLOAD_DEFAULT_MAX_MB 512

typedef struct upload_s {
    long trial;
    int attempt;
    char *dir, *path, *name;  /* the private folder, the file in it, its name; owned */
    char sha[65];
    int64_t size, acked;      /* bytes; acked = what the coordinator holds */
    int64_t sent_at;          /* now_ms() of the PUT in flight; 0 = none */
    int errors;
    proto_msg_t *tell;        /* held until the blob is complete; owned */
    struct upload_s *next;
} upload_t;

/* Make the fresh private folder of a final refit, dir (any old content removed, mode
 * 0700, parents made). -1 with err. */
int upload_dir_make(const char *dir, char *err);
/* Remove dir and the files in it (an upload's folder has no subfolders that matter:
 * anything left is removed one level deep). Can't fail (logged). */
void upload_dir_remove(const char *dir);

/* What the trial left in dir: 0 with *u NULL (nothing), 0 with *u an upload holding
 * tell (taken), or -1 with err (the rule above; tell untouched). */
int upload_new(const char *dir, int64_t max_bytes, long trial, int attempt,
               proto_msg_t **tell_p, upload_t **u, char *err);
/* Frees u and removes its folder. Accepts *u_p == NULL. */
void upload_destroy(upload_t **u_p);

/* The PUT to send now (caller sends or destroys), or NULL when one is in flight and not
 * yet due again. NULL with err when the file cannot be read any more. */
proto_msg_t *upload_due(upload_t *u, int64_t now, char *err);
/* A PUT_ACK for u's blob: 1 when the coordinator holds the whole blob (then
 * upload_tell), 0 when more is to send. */
int upload_ack(upload_t *u, const proto_msg_t *ack);
/* The held TELL, naming the artifact (caller owns it). */
proto_msg_t *upload_tell(upload_t *u);

void upload_test(bool verbose);

#endif
