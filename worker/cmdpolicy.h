/* cmdpolicy — which `command` objectives a worker runs: its --allow-command,
 * --allow-env, --allow-cwd and --allow-any-command, checked in the trial process
 * against what the objective would actually do (objectives/command.h).
 *
 * A submitted config is code to run on the worker's machine. Without a pattern a
 * worker runs any command (plain loopback, or the explicit --allow-any-command); with
 * one it runs only the argv the pattern admits, and a config may then set no `env` and
 * no `cwd` beyond what the worker allows: PYTHONPATH, LD_PRELOAD or a directory with
 * its own train.py would otherwise run the submitter's code under an admitted argv.
 *
 * The pattern is words separated by single spaces. Each word matches one argument of
 * the argv executed (fnmatch with FNM_PATHNAME | FNM_PERIOD: `*` crosses no '/' and
 * matches no leading '.'); a last word `*` matches any further arguments, or none. A
 * `run:` string executes as /bin/sh -c STRING; only a pattern beginning "sh -c "
 * admits one, its rest matched (plain fnmatch) against the string, so such a pattern
 * admits whatever the shell makes of a string it matches. */
#ifndef HPS_CMDPOLICY_H
#define HPS_CMDPOLICY_H

#include <stdbool.h>

#include "core/config.h"

typedef struct {
    const char *pattern; /* --allow-command; NULL = any argv, env and cwd */
    const char *env;     /* --allow-env NAME[,NAME...]: names a config's env may set
                            (pattern set only); NULL = none */
    const char *cwd;     /* --allow-cwd DIR: a config's cwd must be DIR or below it
                            (pattern set only); NULL = none */
    bool none;           /* runs no `command` objective at all (a CURVE worker without
                            --allow-command or --allow-any-command) */
} cmdpolicy_t;

/* Whether a `command` objective may run under policy (NULL: anything). false with the
 * reason in why (HPS_ERR_LEN), which becomes the trial's FAIL error. */
bool cmdpolicy_allows(const cmdpolicy_t *policy, const cfg_node_t *objective, char *why);

/* Whether pattern (see above) admits argv (NULL-terminated). Can't fail. */
bool cmdpolicy_argv_match(const char *pattern, char *const *argv);

void cmdpolicy_test(bool verbose);

#endif
