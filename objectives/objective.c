/* objective — the registry of objectives (see objective.h). */
#include "objectives/objective.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
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

void objective_test(bool verbose)
{
    (void)verbose;
    const char **names = objective_names();
    int n = 0;
    for (; names[n]; n++) {
        const objective_ops_t *ops = objective_find(names[n]);
        assert(ops && strcmp(ops->name, names[n]) == 0 && ops->check && ops->run);
    }
    assert(n == (int)ARRAY_SIZE(s_objectives) - 1);
    free(names);
    assert(objective_find("synthetic") == &synthetic_objective);
    assert(objective_find("logreg") == &logreg_objective);
    assert(!objective_find("Synthetic") && !objective_find(""));
    /* Only the command objective leaves the direction to the study. */
    assert(!command_objective.default_direction && synthetic_objective.default_direction);

    objective_result_t res;
    memset(&res, 0x5a, sizeof res);
    objective_result_init(&res);
    assert(res.state == TRIAL_FAIL && isnan(res.value) && res.n_folds == 0);
    assert(isnan(res.cv_mean) && isnan(res.cv_std) && isnan(res.val_score));
    assert(isnan(res.test_score) && res.error[0] == '\0');
}
