/* model — the interface of trainable models (logreg, ridge, mlp, xgboost) used by the
 * evaluation driver (objectives/evaluate.c), which owns data loading, splits, feature
 * transforms, metrics and strategies. A model only fits and predicts.
 *
 * Adding a model = one .c with a `const model_ops_t foo_model` + one line in the table
 * in model.c; the objective type of the same name then works under every strategy. */
#ifndef HPS_MODEL_H
#define HPS_MODEL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/study.h"
#include "core/util.h"

/* A feature matrix: dense row-major, or CSR when dense == NULL. Borrowed views. */
typedef struct {
    int n_rows, n_cols;
    const double *dense;    /* n_rows * n_cols, or NULL */
    const int64_t *indptr;  /* CSR: n_rows + 1 */
    const int32_t *indices; /* CSR column indices, sorted within a row */
    const double *values;
} fmatrix_t;

/* Hyperparameters of one trial: the searched parameters merged over the fixed ones of
 * the `objective:` section. Opaque; built by model.c. */
typedef struct hparams_s hparams_t;
double hp_double(const hparams_t *hp, const char *name, double def);
long hp_long(const hparams_t *hp, const char *name, long def);
/* String value (categorical choice or fixed string), or def. Borrowed. */
const char *hp_str(const hparams_t *hp, const char *name, const char *def);

/* Build hyperparameters: hparams_new() is empty; hparams_set() adds or replaces name
 * with the text of a value (numbers, true/false -> 1/0 and strings all read back
 * through hp_double/hp_long/hp_str). hparams_from_study() takes the scalar keys of the
 * `objective:` section except `type`, then the trial's searched values (x in
 * study->space order; NULL = none), which win. Caller frees with hparams_destroy(). */
hparams_t *hparams_new(void);
void hparams_set(hparams_t *hp, const char *name, const char *text);
hparams_t *hparams_from_study(const study_config_t *study, const double *x);
void hparams_destroy(hparams_t **hp_p);
/* "C=0.5, max_iter=100" for logs; caller frees. */
char *hparams_describe(const hparams_t *hp);

/* Per-epoch progress of a model in training (model_ops_t.fit_progress): fn(arg, epoch,
 * model) is called after each epoch (1, 2, ...) with the model as it stands, which
 * predict() accepts, so the caller can score it on held-out rows; returning 1 stops
 * the training there (a pruned trial). */
typedef struct {
    int (*fn)(void *arg, long epoch, const void *model);
    void *arg;
} model_progress_t;

typedef struct {
    const char *name;         /* "logreg", "ridge", "mlp", "xgboost" */
    bool classification;      /* supports label columns */
    bool regression;          /* supports target columns */
    bool sparse_ok;           /* accepts CSR input; otherwise the driver densifies */
    bool missing_ok;          /* takes NaN features as missing (data.impute none) */
    /* Hyperparameter names it reads (NULL-terminated); others are config errors. */
    const char *const *hparams;
    /* Fit on X (n_rows x n_cols), y (class index 0..n_classes-1, or target value);
     * n_classes = 0 for regression. NULL with err on failure. */
    void *(*fit)(const fmatrix_t *X, const double *y, int n_classes, const hparams_t *hp,
                 uint64_t seed, char *err);
    /* Classification: out[n_rows * n_classes] class probabilities. Regression:
     * out[n_rows] predictions. 0 ok, -1 with err. */
    int (*predict)(const void *model, const fmatrix_t *X, double *out, char *err);
    void (*destroy)(void **model_p);
    /* The model artifact (docs/artifacts.md, objectives/artifact.h): save packs a fitted
     * model as one msgpack map (0, or -1 with err); load reads it back into a model
     * that predicts exactly as the saved one did, checking that it takes n_cols
     * features and gives n_classes outputs (0: regression) as the artifact's pipeline
     * and labels say (NULL with err). */
    int (*save)(const void *model, msgpack_packer *pk, char *err);
    void *(*load)(const msgpack_object *map, int n_cols, int n_classes, char *err);
    /* Optional (NULL: the model has no epochs to report): fit() calling progress after
     * each epoch. A model stopped by progress is returned as it stands, *stopped set. */
    void *(*fit_progress)(const fmatrix_t *X, const double *y, int n_classes,
                          const hparams_t *hp, uint64_t seed, const model_progress_t *progress,
                          bool *stopped, char *err);
} model_ops_t;

const model_ops_t *model_find(const char *name);
/* Whether name is a model objective (for report_board_opts_t.is_model). */
bool model_known(const char *name);

/* Defined in objectives/mlp.c and objectives/xgboost.c. */
extern const model_ops_t mlp_model, xgboost_model;

void model_test(bool verbose);

#endif
