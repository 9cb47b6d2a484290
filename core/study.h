/* study — a study config validated into a study_config_t: the keys hps itself owns
 * (study, n_trials, direction, retries, seed, timeout, space, the names of data keys)
 * are checked here; the sections owned by plugins (objective, sampler, pruner, and the
 * options inside them) are checked by the plugins, through the study_checks_t the
 * caller passes. So core never calls up into samplers/ or objectives/: the layer that
 * knows the registries (the coordinator's study_check_all, a worker's objective-only
 * table) supplies them, and a worker that decodes a stored config needs no sampler.
 *
 * Validation reports every problem it can find in one pass, plugins' included. */
#ifndef HPS_STUDY_H
#define HPS_STUDY_H

#include <stdbool.h>

#include "core/config.h"
#include "core/space.h"
#include "core/trial.h"

/* A validated study. */
typedef struct {
    char *name;                  /* `study:`; owned */
    direction_t direction;
    long n_trials;
    int max_retries;             /* extra attempts after a lost lease; default 3 */
    long max_fail_streak;        /* `max_consecutive_failures`: stop the study after this
                                    many search trials in a row FAIL; 0 = never */
    double trial_timeout;        /* seconds a trial may run before the worker kills it
                                    (FAIL); 0 = none */
    space_t *space;              /* owned */
    cfg_node_t *root;            /* the merged tree (defaults: resolved and removed,
                                    overrides applied); owned */
    const cfg_node_t *objective; /* borrowed from root; never NULL after validation */
    const cfg_node_t *sampler;   /* borrowed; NULL = defaults */
    const cfg_node_t *pruner;    /* borrowed; NULL = none */
    const cfg_node_t *data;      /* borrowed; NULL when the objective needs no data */
    const cfg_node_t *strategy;  /* borrowed; NULL = none */
    const cfg_node_t *warm_start; /* borrowed; NULL = none: {study: NAME, db: FILE?}, the
                                    study whose trials seed the sampler (read when the
                                    study is created, by the process that creates it) */
    char *json;                  /* cfg_to_json(root); owned */
    char *data_file;             /* data.path resolved for reading (see
                                    study_config_load); NULL when there is none or the
                                    study came from JSON; owned */
    char *code;                  /* objective.code packed (core/codepack.h) by run and
                                    submit to upload; NULL = none; owned */
    size_t code_len;
} study_config_t;

/* The plugin checks of a study, run in this order once the keys hps owns are read
 * (each may be NULL: not checked). They add errors to errs and may read everything
 * built so far (space NULL when it did not parse).
 *   objective  the objective section (required type, registered, its own options);
 *              sets direction when the config gives none. strict: a new study loaded
 *              from a file, which also follows the direction rules (see below).
 *   sampler, pruner   their sections (NULL = defaults / none). */
typedef struct {
    void (*objective)(study_config_t *study, bool strict, cfg_errs_t *errs);
    void (*sampler)(const study_config_t *study, cfg_errs_t *errs);
    void (*pruner)(const study_config_t *study, cfg_errs_t *errs);
} study_checks_t;

/* Load a study: read path, merge `defaults:` groups (<group>/<name>.yaml beside the
 * file), apply overrides ("group=name" picks a group file when <group>/ is a directory
 * there, "group=null" drops it; "a.b=value" sets a value), validate everything (space,
 * strategy options, and through checks the objective, sampler and pruner). Errors from
 * overrides read "override 'a.b=value': message". A missing sampler.seed is left
 * missing. NULL with all errors. The direction is the config's, else the objective
 * check's default, else minimize.
 * A new study also follows the direction rules a stored one is spared (the objective
 * check applies them when strict): an objective without a default direction (command)
 * needs `direction:`, and an explicit one must agree with the metric of a model
 * objective.
 * data.path stays in the tree as written (so the stored config does not depend on the
 * directory hps ran in); data_file is where to read it: relative to the directory of
 * the file that sets it, or to the current directory when an override sets it. */
study_config_t *study_config_load(const char *path, int n_overrides, char *const *overrides,
                                  const study_checks_t *checks, cfg_errs_t *errs);
/* Rebuild a study from its canonical JSON (as stored in the DB), checked by checks. */
study_config_t *study_config_from_json(const char *json, const study_checks_t *checks,
                                       cfg_errs_t *errs);
void study_config_destroy(study_config_t **self_p);

/* What is wrong with name as a study's or a registered model's name, or NULL: as
 * core/limits.c allows (printable UTF-8, at most LIMITS_NAME_MAX bytes), and without '@'
 * or ':', which separate a model reference's stage and version (NAME@STAGE, NAME:V). */
const char *study_name_problem(const char *name);

/* ---- for the plugin checks ---- */

/* Where to report a plugin name: section's `type:` value, else section, else the
 * root. */
const cfg_node_t *study_type_node(const study_config_t *study, const cfg_node_t *section);
/* Whether section's `type:` is a string when present (else an error). */
bool study_type_ok(const cfg_node_t *section, cfg_errs_t *errs);
/* "unknown sampler type 'tpee' (did you mean 'tpe'? choices: grid, random, tpe)" at
 * node; frees names (a registry's name list). */
void study_unknown_type(cfg_errs_t *errs, const cfg_node_t *node, const char *what,
                        const char *name, const char **names);

#endif
