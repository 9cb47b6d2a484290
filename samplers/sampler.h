/* sampler — the interface every sampler implements, and the registry of samplers.
 *
 * The coordinator owns one sampler instance per study. It tells the sampler about
 * every trial in trial-number order: started(x) when a trial is created (including
 * the trials this sampler proposed, and every trial replayed from the DB after a
 * restart), finished() when it ends. A trial re-queued after a lost lease keeps its
 * number and parameters; the sampler sees nothing of that. So a sampler's state is a
 * pure function of the study's trial table, which is what makes restarts exact.
 * A warm-started study's observations come first, numbered -n .. -1 (started and at
 * once finished, COMPLETE or PRUNED), as if they were its own earliest trials: TPE
 * counts them toward n_startup_trials and its good/bad split, grid skips their points,
 * random ignores them.
 *
 * Adding a sampler = one .c file with a `const sampler_ops_t foo_sampler` + one line
 * in the table in sampler.c. */
#ifndef HPS_SAMPLER_H
#define HPS_SAMPLER_H

#include <stddef.h>

#include "core/study.h"
#include "core/space.h"
#include "core/trial.h"

enum {
    SAMPLER_OK = 0,   /* x filled */
    SAMPLER_DONE = 1, /* nothing left to propose (grid exhausted) */
    SAMPLER_WAIT = 2, /* cannot propose until more trials finish (deterministic mode) */
};

typedef struct {
    const char *name; /* "random", "grid", "tpe" */
    /* Validate the `sampler:` map (may be NULL); add errors. 0 ok, -1 errors added. */
    int (*check)(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs);
    /* New instance for a study; opts were checked. NULL with err on failure. The
     * space is borrowed and outlives the sampler. */
    void *(*create)(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err);
    /* Propose the parameters of trial `number` into x[space->n] (internal values).
     * Returns SAMPLER_OK, SAMPLER_DONE, SAMPLER_WAIT, or -1 with err. The coordinator
     * calls started(number, x) right after a SAMPLER_OK once the trial is stored. */
    int (*propose)(void *self, long number, double *x, char *err);
    void (*started)(void *self, long number, const double *x);
    /* COMPLETE or PRUNED with its (last) value; FAIL with NaN. */
    void (*finished)(void *self, long number, trial_state_t state, double value);
    /* Bytes held by the instance (for memory reports); may be NULL. */
    size_t (*memory)(const void *self);
    void (*destroy)(void **self_p);
} sampler_ops_t;

extern const sampler_ops_t random_sampler, grid_sampler;
extern const sampler_ops_t tpe_sampler, gp_sampler, auto_sampler;

/* The registry. NULL when no sampler has that name. */
const sampler_ops_t *sampler_find(const char *name);
/* The registered names, NULL-terminated; caller frees the array. */
const char **sampler_names(void);
/* A new instance of ops with its default options and this seed, plus `extra` (NULL,
 * or more `key: value` pairs of the flow map, e.g. "refine_start: 0"); NULL with err. */
void *sampler_create_seeded(const sampler_ops_t *ops, const space_t *space, long seed,
                            const char *extra, direction_t dir, char *err);
/* Name of the sampler a study uses ("random" when `sampler:` is absent). */
const char *sampler_name_of(const cfg_node_t *opts);
/* The sampler check of a study (a study_checks_t's sampler): sampler.type registered
 * ("unknown sampler type 'x' (did you mean ...)") and, when the space parsed, the
 * sampler's own check of its options. Errors go to errs. */
void sampler_check_study(const study_config_t *study, cfg_errs_t *errs);

void sampler_test(bool verbose);

#endif
