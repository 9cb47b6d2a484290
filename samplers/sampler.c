/* sampler — the registry of samplers (see sampler.h). */
#include "samplers/sampler.h"

#include <assert.h>
#include <string.h>

static const sampler_ops_t *const s_samplers[] = {
    &random_sampler,
    &grid_sampler,
    &tpe_sampler,
    NULL, /* the end */
};

const sampler_ops_t *sampler_find(const char *name)
{
    return registry_find((const void *const *)s_samplers, name);
}

const char **sampler_names(void) { return registry_names((const void *const *)s_samplers); }

const char *sampler_name_of(const cfg_node_t *opts) { return cfg_type_or(opts, "random"); }

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
