/* coordinator — `hps coordinator` (flags into coord_opts_t, then coord_run), and the
 * study loading that `hps run` and `hps submit` share. Exit codes: 0 success, 1 runtime
 * failure, 2 bad input. */
#ifndef HPS_CLI_COORDINATOR_H
#define HPS_CLI_COORDINATOR_H

#include "core/study.h"

int coord_main(int argc, char **argv);

/* Shared by run and submit: load a study config with overrides, fill in data.sha256
 * (hashing the file data.path names, resolved into data_file: see study_config_load;
 * an unreadable one is a config error naming both paths) and, when fill_seed,
 * sampler.seed and sampler.type (keep_seed_from: a stored config JSON whose seed and
 * type to reuse, or NULL for a fresh study: a new seed and type auto; submit leaves
 * both to the coordinator, which knows the stored study).
 * Errors go to stderr; NULL = exit 2. */
study_config_t *cli_load_study(const char *path, int n_over, char *const *over,
                               bool fill_seed, const char *keep_seed_from);

#endif
