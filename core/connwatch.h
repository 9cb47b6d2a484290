/* connwatch — why a ZeroMQ connection to the coordinator does not come up.
 *
 * ZeroMQ hides refused connections and failed CURVE handshakes from the sending side:
 * a message simply waits. A worker or a client that hears nothing would so say only
 * "no answer". connwatch reads the socket's monitor events (zmq_socket_monitor) and
 * keeps the latest explanation:
 *   no TCP connection          nothing listens there, or the host is unreachable
 *   HANDSHAKE_FAILED_AUTH      the coordinator's ZAP handler refused this key
 *   handshake closed / CRYPTOGRAPHIC   the server key is not the coordinator's
 *   MECHANISM_MISMATCH         one side uses CURVE, the other not
 *   connected, no answer       the coordinator is stalled or speaks another version
 * The owner asks connwatch_update() each loop turn (it never blocks) and logs what it
 * returns: a problem once when it first shows, not again until another one shows or
 * the connection worked in between. */
#ifndef HPS_CONNWATCH_H
#define HPS_CONNWATCH_H

#include <czmq.h>
#include <stdbool.h>

typedef struct connwatch_s connwatch_t;

/* Watch sock's connection to endpoint (before zsock_connect); sock must outlive the
 * watch (connwatch_destroy stops the monitor on it). my_key: this side's
 * CURVE public key text (named in a refusal), or NULL without CURVE. NULL with err. */
connwatch_t *connwatch_new(zsock_t *sock, const char *endpoint, const char *my_key, char *err);
void connwatch_destroy(connwatch_t **self_p);

/* Read the monitor events so far (never blocks). A new problem's explanation (borrowed,
 * valid until the next call), or NULL when nothing new went wrong. */
const char *connwatch_update(connwatch_t *self);

/* The best explanation so far of why nothing answers, into buf. */
void connwatch_why(connwatch_t *self, char *buf, size_t n);

/* Whether the last attempt ended in a failed handshake (a refused key, a wrong server
 * key, a mechanism mismatch). libzmq does not dial again after one: the owner does, by
 * disconnecting and connecting, once the other side may have changed (its --allow). */
bool connwatch_refused(const connwatch_t *self);

/* The peer answered: forget the problems seen, so the next one is reported again. */
void connwatch_ok(connwatch_t *self);

/* The monitor's socket, for the owner's poll: readable when an event came (the next
 * connwatch_update or connwatch_came_up reads it). Borrowed. */
zsock_t *connwatch_socket(connwatch_t *self);

/* Whether a handshake succeeded since the last call: the connection is up now, and a
 * message that could not be sent before (ZMQ_IMMEDIATE) can go at once. */
bool connwatch_came_up(connwatch_t *self);

void connwatch_test(bool verbose);

#endif
