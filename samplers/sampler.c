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
