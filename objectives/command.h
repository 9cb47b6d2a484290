/* command — the parts of the `command` objective (command.c) that a worker's policy
 * (worker/cmdpolicy.h) checks before the objective runs: what it would execute. */
#ifndef HPS_COMMAND_H
#define HPS_COMMAND_H

#include "core/config.h"

/* The argv the objective executes: its `run` list as it is, or a `run` string as
 * {"/bin/sh", "-c", STRING}; NULL-terminated. NULL when `run` is missing, empty or
 * not a string or a list of strings. Caller frees with command_argv_free. */
char **command_argv(const cfg_node_t *objective);
/* Free an argv from command_argv and NULL the pointer; accepts NULL. Can't fail. */
void command_argv_free(char ***argv_p);

#endif
