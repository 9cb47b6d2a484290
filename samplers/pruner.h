/* pruner — decides from intermediate values (REPORT: a fold, an epoch) whether a
 * running trial should stop early. Like samplers, a pruner's state is rebuilt after a
 * restart by replaying the intermediate values and final states from the DB in trial
 * order, so report() must have no effect other than on its own state. */
#ifndef HPS_PRUNER_H
#define HPS_PRUNER_H

#include "core/config.h"
#include "core/trial.h"

typedef struct {
    const char *name; /* "none", "median", "halving" */
    int (*check)(const cfg_node_t *opts, cfg_errs_t *errs);
    void *(*create)(const cfg_node_t *opts, direction_t dir, char *err);
    /* Trial `number` reached `step` with `value`: 1 = prune it, 0 = continue. */
    int (*report)(void *self, long number, long step, double value);
    /* The trial ended (COMPLETE, PRUNED or FAIL). */
    void (*finished)(void *self, long number, trial_state_t state);
    void (*destroy)(void **self_p);
} pruner_ops_t;

const pruner_ops_t *pruner_find(const char *name);
/* Name of the pruner a study uses ("none" when `pruner:` is absent). */
const char *pruner_name_of(const cfg_node_t *opts);

void pruner_test(bool verbose);

#endif
