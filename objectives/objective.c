/* objective — the registry of objectives, and the check of a study's objective section
 * against it (see objective.h). */
#include "objectives/objective.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

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

/* The rules for `direction:` that a new study must follow (strict: loaded from a file).
 * Studies stored before them still load: they keep minimising, as they did. */
static void s_direction_rules(study_config_t *s, const objective_ops_t *ops, cfg_errs_t *errs)
{
    if (s->direction == 0 && !ops->default_direction) {
        cfg_error(errs, study_type_node(s, s->objective),
                  "objective: a %s objective needs 'direction: minimize' or 'direction: "
                  "maximize' in the study (hps cannot tell whether a higher score is better)",
                  ops->name);
        return;
    }
    const char *metric = ops->metric_of ? ops->metric_of(s) : NULL;
    direction_t want = metric ? metric_direction(metric) : 0;
    if (s->direction != 0 && metric && s->direction != want)
        cfg_error(errs, cfg_get(s->root, "direction"),
                  "direction: %s, but the metric %s is %s (drop 'direction:' or set it to "
                  "%s)", s->direction == DIR_MAXIMIZE ? "maximize" : "minimize", metric,
                  want == DIR_MAXIMIZE ? "maximised" : "minimised",
                  want == DIR_MAXIMIZE ? "maximize" : "minimize");
}

int objective_refuse_cleaning(const study_config_t *study, const char *why, cfg_errs_t *errs)
{
    static const char *const cleaning[] = {"missing", "impute", "clip"};
    int rc = 0;
    for (size_t i = 0; study->data && i < sizeof cleaning / sizeof *cleaning; i++) {
        const cfg_node_t *v = cfg_get(study->data, cleaning[i]);
        if (v && v->type != CFG_NULL) {
            cfg_error(errs, v, "data.%s: cleaning is done by the model objectives (logreg, "
                      "ridge, mlp, xgboost); %s", cleaning[i], why);
            rc = -1;
        }
    }
    return rc;
}

void objective_check_study(study_config_t *s, bool strict, cfg_errs_t *errs)
{
    assert(s && errs);
    const cfg_node_t *obj = s->objective;
    const char *type = NULL;
    const objective_ops_t *ops = NULL;
    if (obj && cfg_str(obj, "type", NULL, &type, errs) == 0) {
        if (!type)
            cfg_error(errs, obj, "objective: missing 'type'");
        else if (!(ops = objective_find(type)))
            study_unknown_type(errs, cfg_get(obj, "type"), "objective", type,
                               objective_names());
    }
    int rc = -1;
    if (ops && s->space)
        rc = ops->check(s, errs);
    if (rc == 0 && strict)
        s_direction_rules(s, ops, errs);
    if (s->direction == 0)
        s->direction = rc == 0 && ops->default_direction ? ops->default_direction(s)
                                                         : DIR_MINIMIZE;
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
