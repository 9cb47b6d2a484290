/* fdcap — connections capped below the open-file limit (issue 12, "bounded resources").
 *
 * Every connection costs the coordinator a file descriptor, and so do the files it opens
 * while it runs: blob uploads and downloads, the blob sweep, SQLite's temporary files.
 * Left alone, libzmq accepts connections until the process has no descriptor left, and
 * then an upload fails and the accepting I/O thread spins on EMFILE. So connections are
 * counted from the socket monitor (ACCEPTED and DISCONNECTED carry the descriptor) and
 * held at the open-file limit less a reserve: a connection accepted over the cap makes
 * room by closing every connection silent for silent_ms (nothing received, as the
 * kernel's TCP_INFO says: a peer that connected and never spoke, or a dead one; live
 * workers send a heartbeat more often), or, when every connection is alive, is itself
 * closed at once (a client's request on it is then lost: it times out).
 * Closing is shutdown() on the descriptor: libzmq notices and closes it itself. */
#ifndef HPS_FDCAP_H
#define HPS_FDCAP_H

#include <czmq.h>
#include <stdint.h>

#define FDCAP_RESERVE_MIN 64   /* descriptors kept for files (and a burst of accepts) */
#define FDCAP_RESERVE_DIV 64   /* plus 1/64 of the limit: bursts grow with it */
#define FDCAP_LOG_MS 10000     /* closed connections are reported at most this often */
#define FDCAP_EVENTS_HWM 100000 /* monitor events queued before libzmq's I/O thread waits */

typedef struct fdcap_s fdcap_t;

/* Watch the connections of sock, bound to the TCP endpoint bound (its port is what an
 * accepted descriptor is checked against), under the open-file limit now in force; a
 * connection silent for silent_ms may be closed to make room.
 * NULL with err when the monitor cannot be set up; NULL and no err when there is
 * nothing to watch (not TCP). */
fdcap_t *fdcap_new(zsock_t *sock, const char *bound, long silent_ms, char *err);
void fdcap_destroy(fdcap_t **self_p);
/* The monitor's socket, to poll with the ROUTER. */
zsock_t *fdcap_socket(fdcap_t *self);
/* Handle the monitor's events: count, and close what is over the cap. This function
 * can't fail (what it cannot do is logged). */
void fdcap_handle(fdcap_t *self, int64_t now);
/* Connections open now, and the cap. */
long fdcap_open(const fdcap_t *self);
long fdcap_cap(const fdcap_t *self);

void fdcap_test(bool verbose);

#endif
