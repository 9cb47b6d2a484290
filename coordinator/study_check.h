/* study_check — the plugin checks a coordinator applies to a study config: its
 * objective, sampler and pruner against their registries (core/study.h keeps core free
 * of them). Used wherever a study is accepted or resumed: `hps run` and `hps submit`
 * before anything is stored, SUBMIT, and the replay of stored studies. A worker checks
 * only the objective it runs (worker/runner.c), so it needs no sampler registry. */
#ifndef HPS_STUDY_CHECK_H
#define HPS_STUDY_CHECK_H

#include <stdbool.h>

#include "core/study.h"

/* objective_check_study, sampler_check_study, pruner_check_study. */
extern const study_checks_t study_check_all;

void study_check_test(bool verbose);

#endif
