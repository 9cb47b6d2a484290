/* sampler — the registry of samplers (see sampler.h). */
#include "samplers/sampler.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sampler_ops_t *const s_samplers[] = {
    &random_sampler,
    &grid_sampler,
    &tpe_sampler,
    &gp_sampler,
    &auto_sampler,
    NULL, /* the end */
};

const sampler_ops_t *sampler_find(const char *name)
{
    return registry_find((const void *const *)s_samplers, name);
}

const char **sampler_names(void) { return registry_names((const void *const *)s_samplers); }

const char *sampler_name_of(const cfg_node_t *opts) { return cfg_type_or(opts, "random"); }

void *sampler_create_seeded(const sampler_ops_t *ops, const space_t *space, long seed,
                            const char *extra, direction_t dir, char *err)
{
    char yaml[160];
    int len = snprintf(yaml, sizeof yaml, "{type: %s, seed: %ld%s%s}", ops->name, seed,
                       extra ? ", " : "", extra ? extra : "");
    assert(len > 0 && (size_t)len < sizeof yaml);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "<sampler>", &errs);
    void *s = opts ? ops->create(space, opts, dir, err) : NULL;
    if (!opts)
        set_err(err, "%s", errs.n ? errs.msgs[0] : "bad sampler options");
    cfg_free(&opts);
    cfg_errs_free(&errs);
    return s;
}

void sampler_check_study(const study_config_t *s, cfg_errs_t *errs)
{
    assert(s && errs);
    if (!study_type_ok(s->sampler, errs))
        return;
    const char *name = sampler_name_of(s->sampler);
    const sampler_ops_t *ops = sampler_find(name);
    if (!ops)
        study_unknown_type(errs, study_type_node(s, s->sampler), "sampler", name,
                           sampler_names());
    else if (s->space)
        ops->check(s->sampler, s->space, errs);
}

/* ---- self-test ----------------------------------------------------------------------- */

/* The contract every registered sampler keeps, on a discrete space of 3 x 3 x 3 points
 * with default options: it proposes legal points (or DONE once a grid is through),
 * takes started/finished in number order, and frees itself. Returns the OK count. */
static int s_test_contract(const sampler_ops_t *ops, const space_t *space, long n)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    assert(ops->check(NULL, space, &errs) == 0 && errs.n == 0);
    cfg_errs_free(&errs);
    char err[HPS_ERR_LEN];
    void *self = ops->create(space, NULL, DIR_MINIMIZE, err);
    assert(self);
    int n_ok = 0;
    for (long number = 0; number < n; number++) {
        double x[3];
        int rc = ops->propose(self, number, x, err);
        assert(rc == SAMPLER_OK || rc == SAMPLER_DONE);
        if (rc == SAMPLER_DONE)
            break;
        for (int i = 0; i < space->n; i++)
            assert(space_valid(&space->params[i], x[i]));
        ops->started(self, number, x);
        trial_state_t state = number % 5 == 4 ? TRIAL_FAIL : TRIAL_COMPLETE;
        ops->finished(self, number, state, state == TRIAL_FAIL ? NAN : x[0] + x[1] - x[2]);
        n_ok++;
    }
    assert(!ops->memory || ops->memory(self) > 0);
    ops->destroy(&self);
    assert(self == NULL);
    return n_ok;
}

void sampler_test(bool verbose)
{
    (void)verbose;
    const char **names = sampler_names();
    int n = 0;
    for (; names[n]; n++)
        assert(sampler_find(names[n]) && strcmp(sampler_find(names[n])->name, names[n]) == 0);
    assert(n == (int)ARRAY_SIZE(s_samplers) - 1);
    free(names);
    assert(sampler_find("random") == &random_sampler && sampler_find("grid") == &grid_sampler);
    assert(sampler_find("tpe") == &tpe_sampler && !sampler_find("TPE") && !sampler_find(""));

    const char *yaml = "{sampler: {type: grid}, space: {a: {type: float, low: 0, high: 1, "
                       "step: 0.5}, b: {type: int, low: 1, high: 3}, "
                       "c: {type: categorical, choices: [p, q, r]}}}";
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(yaml, strlen(yaml), "<sampler_test>", &errs);
    assert(root);
    assert(strcmp(sampler_name_of(NULL), "random") == 0);
    assert(strcmp(sampler_name_of(cfg_get(root, "sampler")), "grid") == 0);
    space_t *space = space_from_cfg(cfg_get(root, "space"), &errs);
    assert(space && space->n == 3 && errs.n == 0);
    cfg_errs_free(&errs);
    for (int i = 0; s_samplers[i]; i++) {
        int n_ok = s_test_contract(s_samplers[i], space, 40);
        assert(n_ok == (s_samplers[i] == &grid_sampler ? 27 : 40)); /* a grid: each once */
    }
    space_destroy(&space);
    cfg_free(&root);
}
