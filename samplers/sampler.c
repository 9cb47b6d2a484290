/* sampler — the registry of samplers (see sampler.h). */
#include "samplers/sampler.h"

#include <assert.h>
#include <string.h>

static const sampler_ops_t *const s_samplers[] = {
    &random_sampler,
    &grid_sampler,
    &tpe_sampler,
    NULL, /* placeholder so the table is never empty; skipped by lookups */
};

const sampler_ops_t *sampler_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_samplers); i++)
        if (s_samplers[i] && strcmp(s_samplers[i]->name, name) == 0)
            return s_samplers[i];
    return NULL;
}

const char *sampler_name_of(const cfg_node_t *opts)
{
    const cfg_node_t *t = opts ? cfg_get(opts, "type") : NULL;
    return t && t->type == CFG_SCALAR ? t->value : "random";
}
