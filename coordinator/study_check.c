/* study_check — the plugin checks of a study for the coordinator (see study_check.h). */
#include "coordinator/study_check.h"

#include "objectives/objective.h"
#include "samplers/pruner.h"
#include "samplers/sampler.h"

const study_checks_t study_check_all = {objective_check_study, sampler_check_study,
                                        pruner_check_study};
