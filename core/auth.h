/* auth — the CURVE rules shared by the coordinator and the client commands: where a
 * plain (unauthenticated) socket is acceptable, and whether a directory of public keys
 * (--allow, --submitters) admits anybody at all.
 *
 * Plain ZeroMQ carries no authentication and no encryption, so it is allowed only on
 * endpoints nobody else can reach: loopback TCP and local transports. Everything else
 * needs keys, on both ends. */
#ifndef HPS_AUTH_H
#define HPS_AUTH_H

#include <stdbool.h>

/* Whether ep is local: tcp:// to an address in 127.0.0.0/8, "localhost" or [::1]
 * (the address checked numerically, so "127.evil.example" is not local), ipc:// or
 * inproc://. Anything else, including a tcp source;destination pair, is not.
 * Can't fail. */
bool auth_endpoint_local(const char *ep);
/* What is wrong with endpoint ep before libzmq sees it (which would wrap a tcp port past
 * 65535 silently), or NULL: tcp://HOST:PORT (PORT 1..65535, or * to bind any), ipc://,
 * inproc://. Borrowed static text. */
const char *auth_endpoint_problem(const char *ep);

/* Check a directory of public keys for zauth/zcertstore: not "*" (zauth's "any key"),
 * an existing directory, holding at least one loadable public key. flag names the
 * option in err ("--allow"). 0 ok, -1 with err. */
int auth_check_key_dir(const char *flag, const char *dir, char *err);

void auth_test(bool verbose);

#endif
