/* pruner — decides from intermediate values (REPORT: a fold, an epoch) whether a
 * running trial should stop early. Like samplers, a pruner's state is rebuilt after a
 * restart by replaying the intermediate values and final states from the DB in trial
 * order, so report() must have no effect other than on its own state. */
#ifndef HPS_PRUNER_H
#define HPS_PRUNER_H

#include "core/study.h"
#include "core/trial.h"

typedef struct {
    const char *name; /* "none", "median", "halving" */
    int (*check)(const cfg_node_t *opts, cfg_errs_t *errs);
    void *(*create)(const cfg_node_t *opts, direction_t dir, char *err);
    /* Trial `number` reached `step` with `value`: 1 = prune it, 0 = continue. */
    int (*report)(void *self, long number, long step, double value);
    /* The trial ended (COMPLETE, PRUNED or FAIL), or its attempt was abandoned
     * (WAITING: a lost lease; the trial runs again and reports its steps anew, so the
     * abandoned attempt's values must be forgotten). */
    void (*finished)(void *self, long number, trial_state_t state);
    void (*destroy)(void **self_p);
} pruner_ops_t;

extern const pruner_ops_t none_pruner, median_pruner, halving_pruner;

const pruner_ops_t *pruner_find(const char *name);
/* The registered names, NULL-terminated; caller frees the array. */
const char **pruner_names(void);
/* Name of the pruner a study uses ("none" when `pruner:` is absent). */
const char *pruner_name_of(const cfg_node_t *opts);
/* The pruner check of a study (a study_checks_t's pruner): pruner.type registered (or
 * "none") and the pruner's own check of its options. Errors go to errs. */
void pruner_check_study(const study_config_t *study, cfg_errs_t *errs);

/* Shared by the pruners (pruner.c). */

/* Read an integer option of a pruner that must be >= min; errors at the value. */
/* A pruner's integer options as a table: key, default, minimum, and the offset of the
 * long field that receives it. The table ends with a NULL key. */
typedef struct {
    const char *key;
    long def, min;
    size_t offset;
} pruner_opt_t;

/* check(): unknown keys (besides `type`) and bad values become errors. 0 or -1. */
int pruner_opts_check(const cfg_node_t *opts, const pruner_opt_t *table, cfg_errs_t *errs);
/* create(): a zeroed object of size bytes with the options read into it; NULL with
 * err when an option is bad (check() has normally caught that already). */
void *pruner_opts_new(const cfg_node_t *opts, const pruner_opt_t *table, size_t size,
                      char *err);

/* A sorted (ascending) vector of doubles, NaN-free: the values of a step or a rung. */
typedef struct {
    double *v; /* owned */
    size_t n, cap;
} sortvec_t;
void sortvec_insert(sortvec_t *s, double x); /* O(n) memmove; x must not be NaN */
/* Quantile q in [0, 1] with linear interpolation (numpy's default); NaN when empty. */
double sortvec_quantile(const sortvec_t *s, double q);
void sortvec_free(sortvec_t *s);

void pruner_test(bool verbose);

#endif
