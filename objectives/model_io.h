/* model_io — a fitted model with its whole preprocessing pipeline, saved as one model
 * artifact (docs/artifacts.md) by a final refit and read back for `hps predict`.
 *
 * The payload map: format ("hps-model"), family (the model: logreg, ridge, mlp,
 * xgboost), task (classification or regression), metric (the study's), y_name (label
 * or target column), classes (the label texts in class index order: the label
 * encoding), ignored (training columns that were never features: the test split
 * column), data_sha256 and n_train (the rows it was fitted on), hps_version, pipeline
 * (objectives/features_io.h) and model (the family's own map, model_ops_t.save). */
#ifndef HPS_MODEL_IO_H
#define HPS_MODEL_IO_H

#include <stdbool.h>

#include "core/dataset.h"
#include "objectives/features.h"
#include "objectives/model.h"
#include "objectives/select.h"

typedef struct {
    const model_ops_t *ops;
    void *model;             /* owned, through ops->destroy */
    features_t *pipeline;    /* owned; unbound (features_bind) */
    select_t *select;        /* the columns kept after the pipeline (select_k); NULL: all */
    bool classification;
    char *y_name, *metric, *data_sha256; /* owned */
    int n_classes;
    char **classes;          /* n_classes label texts; owned */
    int n_ignored;
    char **ignored;          /* owned */
    long n_train;
} model_artifact_t;

/* What a final refit fitted: the model, the transform fitted with it, its dataset and
 * rows, the columns that were not features, the study's metric. */
typedef struct {
    const model_ops_t *ops;
    const void *model;
    const features_t *pipeline;
    const select_t *select;  /* NULL: every pipeline column goes to the model */
    const dataset_t *ds;
    int n_train;
    const char *const *ignored;
    int n_ignored;
    const char *metric;
} model_fitted_t;

/* Write the artifact to path (atomically). 0, or -1 with err. */
int model_artifact_save(const char *path, const model_fitted_t *fit, char *err);
/* Read and check an artifact; NULL with err (bad magic, version or checksum, or a
 * payload that does not describe a model). Caller frees. */
model_artifact_t *model_artifact_load(const char *path, char *err);
/* The same from a payload already read and checked (artifact_read); name is used in
 * messages. */
model_artifact_t *model_artifact_parse(const char *payload, size_t len, const char *name,
                                       char *err);
void model_artifact_destroy(model_artifact_t **self_p);

#endif
