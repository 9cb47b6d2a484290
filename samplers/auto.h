/* auto — `sampler: {type: auto}`, the default of new configs: GP on small spaces
 * without conditions, TPE otherwise (the rule and its evidence: auto.c, docs/bench-bbob.md). */
#ifndef HPS_AUTO_H
#define HPS_AUTO_H

#include <stdbool.h>

#include "samplers/sampler.h"

/* The widest encoded space (numeric parameters plus categorical choices) given to GP. */
#define AUTO_MAX_WIDTH 16

/* The sampler auto uses on a space: &gp_sampler or &tpe_sampler. */
const sampler_ops_t *auto_choice(const space_t *space);

void auto_test(bool verbose);

#endif
