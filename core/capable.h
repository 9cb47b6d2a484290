/* capable — what a worker can run, what a study needs per trial, and whether they meet.
 *
 * A worker says what it can run in its HELLO (core/proto.h): the objective types of its
 * registry, whether it runs `command` objectives (none, any, or those its
 * --allow-command pattern admits, with the env names and whether a cwd it allows), its
 * resources (`--resources cpu=4,gpu=2,mem=16G`: named integer amounts) and labels
 * (`--label zone=a`). A study asks per trial for resources (`resources: {gpu: 1}`) and
 * may constrain labels (`constraints: {zone: a}` or `{zone: [a, b]}`: any of).
 *
 * The coordinator leases a study's trials only to workers that can run them
 * (capable_can_run: objective, command, labels, and each resource at least the study's
 * amount) and whose resources not held by their other leases still cover one more trial
 * (capable_fits over a capable_usage_t): a worker with gpu=2 runs at most two trials of
 * a study asking gpu: 1, whatever its slots. The command test is the worker's own
 * (capable_argv_match is what worker/cmdpolicy.c runs on the argv it executes), exact
 * for argv and env names; a cwd is judged by the worker alone (it resolves the path), so
 * here only a worker with no --allow-cwd at all is ruled out. The worker still checks
 * every trial: this is the schedule, not the guard.
 *
 * A HELLO without the `command` field comes from a worker older than this: it runs the
 * objectives it lists (all built-in ones when it lists none) except `command` (it does
 * not say which commands it admits), and has no resources and no labels.
 *
 * Amounts are integers; K, M, G, T multiply by powers of 1024 (mem=16G). Resource names
 * are [a-z][a-z0-9_]*, at most CAPABLE_KEY_MAX bytes; label keys the same plus '.', '-'
 * and '/'; label values printable, without ',' and '=', at most CAPABLE_VALUE_MAX. */
#ifndef HPS_CAPABLE_H
#define HPS_CAPABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/proto.h"

#define CAPABLE_KEY_MAX 63
#define CAPABLE_VALUE_MAX 128
#define CAPABLE_MAX_KV 32     /* resources, labels or constraints in one list */
#define CAPABLE_PATTERN_MAX 4096
#define CAPABLE_MAX_OBJECTIVES 256 /* objective types one HELLO may list */

typedef enum { CAPABLE_CMD_NONE = 0, CAPABLE_CMD_ANY, CAPABLE_CMD_MATCH } capable_cmd_t;

/* A resource (amount) or a label / constraint (value). */
typedef struct {
    char *key;      /* owned */
    char *value;    /* owned; NULL for a resource */
    int64_t amount; /* a resource's */
} capable_kv_t;

typedef struct {
    capable_kv_t *v; /* owned */
    int n;
} capable_list_t;

/* A worker's capabilities. */
typedef struct {
    bool declared;          /* its HELLO said them (false: an older worker) */
    char **objectives;      /* objective types it runs; owned */
    int n_objectives;       /* -1: every type (an older worker that listed none) */
    capable_cmd_t command;
    char *pattern;          /* CAPABLE_CMD_MATCH: --allow-command; owned */
    char *allow_env;        /* CAPABLE_CMD_MATCH: --allow-env NAME[,NAME...]; owned, NULL */
    bool allow_cwd;         /* CAPABLE_CMD_MATCH: it has an --allow-cwd */
    capable_list_t res;     /* resources */
    capable_list_t labels;
} capable_t;

/* What one trial of a study needs. */
typedef struct {
    char *objective;        /* objective type; owned */
    char **argv;            /* a command objective's argv (NULL-terminated, owned); NULL for
                               other objectives, or a `run` that is not valid */
    char **env;             /* names its `env` sets; owned */
    int n_env;
    bool cwd;               /* it sets a `cwd` */
    capable_list_t res;     /* amounts > 0 only */
    capable_list_t constraints; /* a key may appear several times: any of its values */
} capable_need_t;

/* Resources held by one worker's leases, by name. */
typedef struct {
    capable_list_t used;
} capable_usage_t;

void capable_clear(capable_t *c);
void capable_need_clear(capable_need_t *n);
void capable_usage_clear(capable_usage_t *u);
void capable_list_clear(capable_list_t *l);

/* Parse "k=v,k=v" and append to l: resources (amounts, suffixes K M G T) when resources,
 * else labels. A key given twice, a bad key, amount or value: -1 with err (l holds what
 * came before). */
int capable_parse(const char *text, bool resources, capable_list_t *l, char *err);
/* The entry of key in l, or NULL. */
const capable_kv_t *capable_find(const capable_list_t *l, const char *key);
/* Append key with value (a label) or amount (value NULL). Can't fail. */
void capable_add(capable_list_t *l, const char *key, const char *value, int64_t amount);
/* This machine's cpu (online CPUs) and mem (physical memory, bytes), each added to l
 * when l has no entry of that name: a worker's defaults. Can't fail. */
void capable_machine(capable_list_t *l);
/* "gpu=1, cpu=2" (or "zone=a"), into out (truncated to size). Can't fail. */
void capable_list_text(const capable_list_t *l, char *out, size_t size);

/* HELLO fields of c (objectives, command, allow, allow_env, allow_cwd, resources,
 * labels) into m. Can't fail. */
void capable_to_hello(const capable_t *c, proto_msg_t *m);
/* c from a HELLO (see the header comment for a HELLO without them); -1 with err when a
 * field is malformed. c is cleared first, and clear again after a failure. */
int capable_from_hello(const proto_msg_t *m, capable_t *c, char *err);

/* Validate a study's `resources:` and `constraints:` (both optional) into errs. */
void capable_check_study(const cfg_node_t *root, cfg_errs_t *errs);
/* The needs of a validated study (root: its tree); argv is the argv its command
 * objective executes (copied; NULL for another objective). Can't fail. */
void capable_need_from_study(const cfg_node_t *root, const char *const *argv,
                             capable_need_t *need);
/* The amount of resource key one trial needs (0 when none). */
int64_t capable_need_amount(const capable_need_t *need, const char *key);

/* Whether pattern (words: fnmatch per argument, a last `*` for any rest; "sh -c REST"
 * matches a /bin/sh -c STRING against REST; see worker/cmdpolicy.h) admits argv. */
bool capable_argv_match(const char *pattern, char *const *argv);

/* Whether name is in the comma-separated list (NULL: empty). Can't fail. */
bool capable_listed(const char *list, const char *name);

/* Whether worker w can ever run a trial of need, resources aside from what its leases
 * hold: false with the first unmet requirement in why ("needs gpu=1"). */
bool capable_can_run(const capable_t *w, const capable_need_t *need, char *why, size_t size);
/* Whether w's resources not held in u cover one more trial of need. */
bool capable_fits(const capable_t *w, const capable_usage_t *u, const capable_need_t *need);
/* A trial of need starts (sign 1) or ends (-1) holding resources in u. */
void capable_use(capable_usage_t *u, const capable_need_t *need, int sign);
/* Why none of the n workers can run need (each capable_can_run false), for `status`:
 * "needs gpu=1; connected workers offer none", or "no worker connected". */
void capable_explain(const capable_t *const *w, int n, const capable_need_t *need, char *out,
                     size_t size);

void capable_test(bool verbose);

#endif
