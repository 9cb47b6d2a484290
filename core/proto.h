/* proto — the wire protocol: one msgpack map per ZeroMQ frame, {v, t, ...fields}.
 *
 * A proto_msg_t is a small typed record of named fields. proto_decode() accepts a
 * frame only when it is a map with v == PROTO_VERSION, a known t, and every field the
 * schema of that type requires, with the right types; anything else is rejected with
 * an error string (never a crash), so handlers may rely on required fields existing.
 *
 * Messages (I int, D double, S string, B bytes, DD/II/SS arrays; ? optional):
 *   HELLO     worker S, host S, pid I, slots I, objectives SS?, prefetch I?   worker -> coord
 *             command S? (none|any|match), allow S?, allow_env S?, allow_cwd I?,
 *             resources SS? ("gpu=2"), labels SS? ("zone=a"): capabilities (core/capable.h)
 *   WELCOME   heartbeat_ms I, lease_ms I
 *   ASK       slots_free I (up to this many TRIALs answer it)
 *   TRIAL     study S, trial I, attempt I, number I, x DD, config S, data S, seed I, kind S,
 *             timeout D? (seconds; the worker kills a trial that runs longer: FAIL),
 *             more I? (TRIALs still to come in the same answer to an ASK),
 *             gpus I? (GPU devices the trial holds: the study's resources.gpu)
 *             code S? (sha256 of the study's packed `code:`, fetched like data)
 *   WAIT      ms I
 *   BYE       -                                                   coord -> worker: exit
 *   RESET     -                                                   coord -> worker: say HELLO
 *   HEARTBEAT running II (flat trial, attempt pairs)
 *   HB_ACK    cancel II? (pairs the coordinator no longer leases to this worker)
 *   REPORT    trial I, attempt I, step I, value D
 *   CONTINUE  trial I, attempt I           PRUNE  trial I, attempt I
 *   TELL      trial I, attempt I, state S, value D, secs D, folds DD?, error S?,
 *             cv_mean D?, cv_std D?, val D?, test D?, ask I? (an ASK riding along),
 *             artifact S?, artifact_name S?, artifact_size I? (a final refit's model
 *             file, uploaded first by PUT with trial and attempt: worker/upload.h)
 *   TASK      trial I, attempt I, x DD, seed I, final I, config S?, data S?, artifact_dir S?,
 *             env SS? ("NAME=VALUE": HPS_SLOT, CUDA_VISIBLE_DEVICES, set for the trial)
 *             code_dir S? (the unpacked `code:`, the command's working directory)
 *             worker -> its trial process only (worker/runner.h): the trial to run, with
 *             the study's config JSON and the local path of the dataset copy
 *   ACK       trial I, attempt I, stale I?
 *   FETCH     sha256 S, offset I             CHUNK  sha256 S, offset I, total I, data B
 *   PUT       sha256 S, offset I, total I, data B, trial I?, attempt I?  (a worker's
 *             artifact upload names its lease)       PUT_ACK  sha256 S, offset I
 *   SUBMIT    config S                       SUBMITTED  study S, created I, outcome S?,
 *                                                       text S? (store_plan_name, _describe)
 *   RESUME    study S, n_trials I?           SUBMITTED (as SUBMIT of the stored config)
 *   ENQUEUE   study S, points SS (JSON objects), where SS (file:line of each)
 *                                            SUBMITTED {outcome "enqueued", text}
 *   STATUS    study S? (only this study)     STATUS_REPLY  json S, text S?
 *   STOP      study S                        STOPPED  study S
 *   ERROR     msg S, bad I? (1: the request itself is bad, e.g. an unknown study)
 *   SETUP     log_level I, log_component S, cache_dir S?, objective S?, policy I?,
 *             allow_command S?, allow_env S?, allow_cwd S?, no_command I?
 *             worker -> its trial process only, first on the pipe (worker/runner.h)
 */
#ifndef HPS_PROTO_H
#define HPS_PROTO_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_MAX_FIELDS 16
/* Larger frames are rejected: by proto_decode, by proto_send, and by libzmq itself
 * (ZMQ_MAXMSGSIZE, proto_limit_socket) before it buffers them. The largest legitimate
 * frames are a CHUNK/PUT (PROTO_CHUNK of data plus a few dozen bytes), a TRIAL or
 * SUBMIT carrying a study config (kilobytes: names and strings are bounded, see
 * core/limits.h) and a STATUS_REPLY (its worker list is capped): all far below. */
#define PROTO_MAX_FRAME (4 * 1024 * 1024)
#define PROTO_CHUNK 262144                /* blob transfer chunk size, bytes */

typedef struct proto_msg_s proto_msg_t;

/* New empty message of a type from the table above. Can't fail. */
proto_msg_t *proto_new(const char *type);
void proto_destroy(proto_msg_t **self_p);
const char *proto_type(const proto_msg_t *m);

/* Setters copy their arguments; setting a key twice replaces it. */
void proto_set_int(proto_msg_t *m, const char *key, int64_t v);
void proto_set_dbl(proto_msg_t *m, const char *key, double v);
void proto_set_str(proto_msg_t *m, const char *key, const char *s);
void proto_set_bin(proto_msg_t *m, const char *key, const void *data, size_t len);
void proto_set_dbls(proto_msg_t *m, const char *key, const double *v, int n);
void proto_set_ints(proto_msg_t *m, const char *key, const int64_t *v, int n);
void proto_set_strs(proto_msg_t *m, const char *key, const char *const *v, int n);

/* Getters: 0 / pointer when present with the right type, -1 / NULL otherwise. An int
 * is accepted where a double is asked for. Returned pointers are borrowed. */
int proto_get_int(const proto_msg_t *m, const char *key, int64_t *out);
int proto_get_dbl(const proto_msg_t *m, const char *key, double *out);
const char *proto_get_str(const proto_msg_t *m, const char *key);
const void *proto_get_bin(const proto_msg_t *m, const char *key, size_t *len);
const double *proto_get_dbls(const proto_msg_t *m, const char *key, int *n);
const int64_t *proto_get_ints(const proto_msg_t *m, const char *key, int *n);
char *const *proto_get_strs(const proto_msg_t *m, const char *key, int *n);
/* Convenience: int field or def. */
int64_t proto_int_or(const proto_msg_t *m, const char *key, int64_t def);
double proto_dbl_or(const proto_msg_t *m, const char *key, double def);

/* msgpack bytes of m (caller frees *buf). Can't fail. */
void proto_encode(const proto_msg_t *m, char **buf, size_t *len);
/* Parse and validate a frame. NULL with err when malformed. */
proto_msg_t *proto_decode(const void *buf, size_t len, char *err);
/* Whether every msgpack container in buf declares no more elements than bytes remain:
 * msgpack-c allocates from the declared count, so check any msgpack read from outside
 * (proto_decode does; so does the model artifact reader) before unpacking it. */
bool proto_sizes_plausible(const void *buf, size_t len);

/* Bound what a peer can make this socket buffer: ZMQ_MAXMSGSIZE = PROTO_MAX_FRAME (a
 * peer declaring a larger frame is disconnected at once). Every hps socket calls it
 * before connect/bind. Can't fail. */
void proto_limit_socket(zsock_t *sock);

/* Send m (destroyed) on sock; for a ROUTER, route is the peer's identity frame
 * (borrowed; NULL for DEALER). 0 ok, -1 on a send error or when the encoded message
 * exceeds PROTO_MAX_FRAME (errno EMSGSIZE; the peer would drop it). */
int proto_send(proto_msg_t **m_p, zsock_t *sock, zframe_t *route);
/* Receive one message. ROUTER: *route_out gets the identity frame (caller destroys).
 * Returns NULL when interrupted (err "") or the frame is malformed (err says why; the
 * route is still returned so the caller can send an ERROR back). */
proto_msg_t *proto_recv(zsock_t *sock, zframe_t **route_out, char *err);
/* proto_recv that also returns the sender's CURVE public key (ZAP User-Id, Z85) in
 * user_id[64], or "" when the connection is not authenticated. */
proto_msg_t *proto_recv_auth(zsock_t *sock, zframe_t **route_out, char *user_id, char *err);

void proto_test(bool verbose);

#endif
