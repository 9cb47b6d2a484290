/* pruner — the registry of pruners (see pruner.h). */
#include "samplers/pruner.h"

#include <string.h>

static const pruner_ops_t *const s_pruners[] = {
    NULL, /* placeholder so the table is never empty; skipped by lookups */
};

const pruner_ops_t *pruner_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_pruners); i++)
        if (s_pruners[i] && strcmp(s_pruners[i]->name, name) == 0)
            return s_pruners[i];
    return NULL;
}

const char *pruner_name_of(const cfg_node_t *opts)
{
    const cfg_node_t *t = opts ? cfg_get(opts, "type") : NULL;
    return t && t->type == CFG_SCALAR ? t->value : "none";
}
