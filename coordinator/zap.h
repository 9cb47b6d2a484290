/* zap — the coordinator's ZAP handler (ZeroMQ RFC 27) for its CURVE socket.
 *
 * It admits the public keys in the --allow directory (a zcertstore, re-read when the
 * directory changes), as czmq's zauth does, and gives the key's Z85 text as the
 * connection's User-Id (what --submitters and the worker name binding check). Unlike
 * zauth it says whom it refused: "refused a CURVE client from 10.0.0.7: public key
 * <Z85> is not in --allow DIR", at most once per key every ZAP_LOG_EVERY_MS, so an
 * operator sees which key to add. It runs in its own thread (a zactor): handshakes do
 * not wait for the coordinator's loop. */
#ifndef HPS_ZAP_H
#define HPS_ZAP_H

#include <czmq.h>
#include <stdbool.h>

#define ZAP_LOG_EVERY_MS 30000

/* Start the handler for allow_dir (bound at inproc://zeromq.zap.01 in czmq's context,
 * before any CURVE socket binds). NULL with err. zactor_destroy stops it. */
zactor_t *zap_new(const char *allow_dir, char *err);

void zap_test(bool verbose);

#endif
