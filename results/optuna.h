/* optuna — a study in Optuna's RDB storage (the SQLite schema of Optuna 3.1: schema
 * version 12, alembic revision v3.0.0.d), both ways.
 *
 * Export: `optuna.load_study(study_name=..., storage="sqlite:///FILE")` opens the file
 * with the study's search trials as they are in hps: numbers, states, values, params
 * (Optuna's internal representation: the number itself for float and int, the index
 * for a categorical) with their distributions written as
 * optuna.distributions.distribution_to_json writes them, intermediate values, start and
 * completion times, and the direction. The final refit is not an Optuna trial: its test
 * score goes into the study's user attributes (hps_test_score). Worker, attempt and a
 * FAIL's error become trial user attributes (hps_worker, hps_attempt, hps_error).
 *
 * Import: a single-objective Optuna 3.1 study is read whole (optuna_read) and goes
 * into a new hps study whose config the user gives (objective, sampler, n_trials...),
 * after a check that its space is the Optuna distributions (optuna_check_space). Every
 * trial comes with its number (hps numbers a study's trials without gaps): COMPLETE,
 * PRUNED and FAIL as they are, RUNNING and WAITING as FAIL; a FAIL trial without every
 * parameter gets the missing ones at their low end; the error text of both says so.
 * optuna_config_text writes a starting config from the distributions for the user to
 * complete with an objective. */
#ifndef HPS_OPTUNA_H
#define HPS_OPTUNA_H

#include <stdbool.h>

#include "core/store.h"
#include "core/study.h"

/* Write study `study` of st to a new Optuna file at path (written beside it, renamed
 * into place when complete). 0; 1 bad input with err (no such study, path exists and
 * not force); -1 with err. */
int optuna_export(store_t *st, const char *study, const char *path, bool force, char *err);

typedef struct optuna_study_s optuna_study_t;

/* Read study `name` of the Optuna file at path (opened read-only). NULL with err: not
 * an Optuna 3.1 file, no such study, several objectives, a distribution hps cannot
 * represent, or a parameter whose distribution changes between trials. */
optuna_study_t *optuna_read(const char *path, const char *name, char *err);
void optuna_study_destroy(optuna_study_t **self_p);
/* Trials that will be imported (all), and among them those Optuna did not finish
 * (running, waiting: imported as FAIL). */
void optuna_counts(const optuna_study_t *self, long *finished, long *skipped);
/* A YAML study config with the Optuna study's space, direction, n_trials (the number of
 * trials) and sampler tpe, with `objective:` left for the user. Caller frees. */
char *optuna_config_text(const optuna_study_t *self, const char *name);
/* Whether cfg's space and direction are the Optuna study's: 0, or -1 with every
 * difference in errs ("space.x: low is 0.5 in the config, 0 in the Optuna study"). */
int optuna_check_space(const optuna_study_t *self, const study_config_t *cfg,
                       cfg_errs_t *errs);
/* Create the study cfg in st (its name must be free: 1 with err otherwise) with the
 * Optuna study's trials, numbers kept, params in the order of cfg's space, and
 * their intermediate values, all in one transaction. The study is `done` when they
 * reach cfg's n_trials, else `running`, so hps run/coordinator continue it. 0, 1 bad
 * input, -1 with err. */
int optuna_import(const optuna_study_t *self, const study_config_t *cfg, store_t *st,
                  char *err);

void optuna_test(bool verbose);

#endif
