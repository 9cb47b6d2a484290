/* command_proto — the line protocol of a persistent `command` objective
 * (docs/command-protocol.md): what a program's stdout line means, and the JSON lines
 * hps writes to its stdin. Pure text in, text out; command_persist.c does the I/O.
 *
 * Program -> hps, one line each; only lines whose first word is `@hps` are the protocol,
 * every other stdout line is the program's log:
 *   @hps ready              started, waiting for its first trial (sent once)
 *   @hps report STEP VALUE  an intermediate value; hps answers {"prune": true|false}
 *   @hps result VALUE       the trial's score: the trial is over
 *   @hps pruned             the program stopped the trial after a prune answer
 *   @hps fail [MESSAGE]     the trial failed (the program goes on serving)
 * hps -> program: one JSON object a line: a trial ({"trial": 3, "params": {...}, ...}) or
 * the answer to a report ({"prune": false}). EOF on stdin: exit. */
#ifndef HPS_COMMAND_PROTO_H
#define HPS_COMMAND_PROTO_H

#include <stdbool.h>

#include "core/util.h"
#include "objectives/objective.h"

typedef enum {
    COMMAND_MSG_LOG, /* not a protocol line: the program's log */
    COMMAND_MSG_READY,
    COMMAND_MSG_REPORT, /* step, value */
    COMMAND_MSG_RESULT, /* value (may be non-finite: the trial then fails) */
    COMMAND_MSG_PRUNED,
    COMMAND_MSG_FAIL, /* text: the program's message ("" when none) */
    COMMAND_MSG_BAD   /* an `@hps` line that is none of the above; err says why */
} command_msg_kind_t;

typedef struct {
    command_msg_kind_t kind;
    long step;
    double value;
    const char *text; /* borrowed from the line */
} command_msg_t;

/* What one stdout line (without its newline) says. Can't fail: a malformed `@hps` line
 * is COMMAND_MSG_BAD with the reason in err (HPS_ERR_LEN bytes). */
command_msg_kind_t command_msg_parse(const char *line, command_msg_t *m, char *err);
/* Append the trial line for ctx: {"trial": N, "attempt": A, "seed": S, "final": false,
 * "params": {...}, "data": ..., "cache_dir": ..., "artifact_dir": ...} and '\n' (the
 * last three only when the trial has them). Can't fail. */
void command_trial_line(strbuf_t *sb, const objective_ctx_t *ctx);
/* Append the answer to a report: {"prune": true} or {"prune": false}, and '\n'. */
void command_prune_line(strbuf_t *sb, bool prune);

void command_proto_test(bool verbose);

#endif
