/* objective — the registry of objectives (see objective.h). */
#include "objectives/objective.h"

#include <math.h>
#include <string.h>

static const objective_ops_t *const s_objectives[] = {
    &synthetic_objective,
    &command_objective,
    &logreg_objective,
    &ridge_objective,
    &mlp_objective,
    &xgboost_objective,
    NULL, /* the end */
};

const objective_ops_t *objective_find(const char *name)
{
    return registry_find((const void *const *)s_objectives, name);
}

const char **objective_names(void)
{
    return registry_names((const void *const *)s_objectives);
}

void objective_result_init(objective_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->state = TRIAL_FAIL;
    res->value = res->cv_mean = res->cv_std = res->val_score = res->test_score = NAN;
}
