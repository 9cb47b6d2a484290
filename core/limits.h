/* limits — how long, and made of what, the names and strings that travel and are stored
 * may be.
 *
 * A name (study, worker, host, parameter, categorical choice, metric...) is shown in
 * tables, logged, stored and sent in every TRIAL frame, so it is bounded and made of
 * printable UTF-8 only: no C0/C1 control characters (newlines, ESC of terminal escapes),
 * no DEL, no Unicode bidi or line-separator controls (RTL overrides reorder what a
 * terminal shows), no invalid or overlong UTF-8. Free text (a trial's error message) is
 * only bounded in length: it is escaped where it is shown (limits_escape).
 *
 * The checks run where input enters: config validation (file:line, exit 2), the worker's
 * --name, and the coordinator for every protocol message (limits_check_msg: an ERROR
 * reply). Output escapes again, as a defence in depth for rows stored before. */
#ifndef HPS_LIMITS_H
#define HPS_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/proto.h"

#define LIMITS_NAME_MAX 128   /* bytes of a study, worker, parameter or metric name */
#define LIMITS_HOST_MAX 255   /* bytes of a host name (DNS limit) */
#define LIMITS_CHOICE_MAX 256 /* bytes of a categorical choice */
#define LIMITS_TEXT_MAX 4096  /* bytes of free text: a trial's error message */
#define LIMITS_CONFIG_MAX (1024 * 1024) /* bytes of a study config as JSON: it rides in
                                           every TRIAL frame (PROTO_MAX_FRAME 4 MiB) */

/* NULL when s is a valid name of at most max bytes (non-empty, printable UTF-8, see
 * above), else a static phrase saying why ("is empty", "is too long", "contains a
 * control character"...). Can't fail. */
const char *limits_name_problem(const char *s, size_t max);

/* The strings of a protocol message that must be names or bounded text (HELLO worker,
 * host and objectives, STATUS/STOP study, TELL error): 0 when all are fine, else -1
 * with err naming the field and the problem. */
int limits_check_msg(const proto_msg_t *m, char *err);

/* A copy of s for a terminal: control characters, DEL, C1 controls, bidi controls and
 * invalid UTF-8 bytes become \xNN or \u{NNNN}; newlines too unless keep_newlines.
 * Caller frees. Can't fail. */
char *limits_escape(const char *s, bool keep_newlines);

void limits_test(bool verbose);

#endif
