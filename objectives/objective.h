/* objective — the interface every objective implements, and their registry.
 *
 * An objective runs inside one of a worker's trial processes, forked once per slot and
 * then reused for trial after trial: a crash or an exit costs only the trial that was
 * running (the worker reports it FAIL and forks a fresh process), never the worker. As
 * the process lives on, run() frees what it allocates. It gets the study config, the
 * trial's parameters and the local path of the dataset, reports intermediate values
 * through a callback (which says whether to prune) and fills a result.
 *
 * Adding an objective = one .c with a `const objective_ops_t foo_objective` + one
 * line in the table in objective.c. */
#ifndef HPS_OBJECTIVE_H
#define HPS_OBJECTIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/study.h"
#include "core/trial.h"

#define OBJ_MAX_FOLDS 64

typedef struct {
    const study_config_t *study; /* whole config: objective, data, strategy sections */
    const double *x;             /* internal values, study->space order */
    long trial;                  /* the trial's id in the study file */
    long number;                 /* its number within the study (0, 1, ...) */
    int attempt;
    uint64_t seed;               /* per-trial seed derived from the study seed */
    const char *data_path;       /* local copy of the dataset, or NULL */
    const char *cache_dir;       /* where objectives may cache fitted transforms */
    const char *code_dir;        /* the study's unpacked `code:` (a command runs there),
                                    or NULL */
    bool final;                  /* refit on the whole training part, score on test */
    /* A final refit writes what it fitted here as one file (the model artifact: model
     * objectives write MODEL_ARTIFACT_NAME; a command gets HPS_ARTIFACT_DIR); the worker
     * hands it to the coordinator. NULL: nothing is saved (search trials, and callers
     * that want no artifact). */
    const char *artifact_dir;
    /* Intermediate value; returns 1 when the trial should stop (pruned). */
    int (*report)(void *arg, long step, double value);
    void *report_arg;
} objective_ctx_t;

/* The file name a model objective's final refit writes in ctx->artifact_dir. */
#define MODEL_ARTIFACT_NAME "model.hpsm"

typedef struct {
    trial_state_t state;   /* COMPLETE, PRUNED or FAIL */
    double value;          /* the objective value; NaN on FAIL */
    int n_folds;
    double fold_scores[OBJ_MAX_FOLDS];
    double cv_mean, cv_std; /* NaN when not k-fold */
    double val_score;       /* NaN when no validation split */
    double test_score;      /* final runs only; NaN otherwise */
    char error[HPS_ERR_LEN]; /* reason on FAIL ("" otherwise) */
} objective_result_t;

typedef struct {
    const char *name; /* "synthetic", "command", "logreg", ... */
    /* Validate the objective section (and data/strategy as it needs). 0 ok, -1 errors. */
    int (*check)(const study_config_t *study, cfg_errs_t *errs);
    /* Direction when the config gives none; NULL = no default, a new study must say
     * (the command objective: only its author knows what its score means). */
    direction_t (*default_direction)(const study_config_t *study);
    /* Run one trial; always fills res (state FAIL with res->error on failure). */
    void (*run)(const objective_ctx_t *ctx, objective_result_t *res);
    /* Validate the study's dataset before anything is stored (hps run / submit): a bad
     * row is "file:line: message" in err and the command exits 2. NULL = no data. */
    int (*check_data)(const study_config_t *study, const char *path, char *err);
    /* The metric the score is ("accuracy", "rmse"), whose direction an explicit
     * `direction:` must agree with; NULL (or no function) when any direction goes. */
    const char *(*metric_of)(const study_config_t *study);
} objective_ops_t;

extern const objective_ops_t synthetic_objective, command_objective;
/* The model objectives (objectives/evaluate.c): one per model of objectives/model.c. */
extern const objective_ops_t logreg_objective, ridge_objective, mlp_objective,
    xgboost_objective;
/* They keep the dataset, splits and text counts of the last two studies they ran in
 * memory, for the next trial of the same study in this process; this drops them. */
void evaluate_cache_clear(void);
/* How many studies are kept now, and how many times a trial had to load its study's
 * data (a cache miss) since the process started. For tests. */
void evaluate_cache_stats(int *held, long *loads);
/* The data rows (0-based, ascending) of a model study's independent test split: the rows
 * its final refit scores (for checking a saved model against its test score). 0 with
 * *rows (caller frees) and *n, or -1 with err. */
int evaluate_test_rows(const study_config_t *study, const char *data_path, int **rows, int *n,
                       char *err);

const objective_ops_t *objective_find(const char *name);
/* The registered names, NULL-terminated; caller frees the array. */
const char **objective_names(void);
/* The objective check of a study (a study_checks_t's objective): objective.type
 * present, registered ("unknown objective type 'x' (did you mean ...)") and its own
 * check() passed (asked only when the space parsed); when strict, the direction rules
 * of a new study. Sets study->direction when the config gives none: the objective's
 * default, else minimize. Errors go to errs. */
void objective_check_study(study_config_t *study, bool strict, cfg_errs_t *errs);
/* For an objective that cleans no data: an error at each data.missing, data.impute or
 * data.clip the config sets ("data.impute: cleaning is done by the model objectives
 * (...); WHY"); -1 when there was one, else 0. */
int objective_refuse_cleaning(const study_config_t *study, const char *why, cfg_errs_t *errs);
/* Initialise res: state FAIL, value and scores NaN, no folds, empty error. */
void objective_result_init(objective_result_t *res);

void objective_test(bool verbose);

#endif
